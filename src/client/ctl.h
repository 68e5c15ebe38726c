/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "config.h"
#include "time-util.h"

/* All options, parsed once by ctl.c wherever they stand on the command line (before or after the verb);
 * each verb uses the ones that concern it. */
typedef struct CtlOptions {
        const char *config_dir;
        const char *vendor_dir;
        const char *filter_dir;
        const char *fail2ban_dir;    /* check-config --fail2ban-config */
        const char *output_dir;      /* import-fail2ban --output */
        bool json;
        bool no_legend;
        bool quiet;
        char **journal_files;        /* NULL-terminated; test-filter */
        const char *journal_directory;
        char *match;                 /* the --match terms joined with blanks, or NULL; test-filter */
        usec_t since_usec;           /* test-filter --since/--until, 0 = unset */
        usec_t until_usec;
        bool print_matched;          /* test-filter --print-all-* */
        bool print_missed;
        bool print_ignored;
        const char *message;         /* test-filter --message, with --identifier/--hostname/--pid */
        const char *identifier;
        const char *hostname;
        const char *pid;
} CtlOptions;

/* Exit codes, as systemctl uses them where they overlap. */
enum {
        CTL_EXIT_OK = 0,
        CTL_EXIT_FAILURE = 1,
        CTL_EXIT_USAGE = 2,
        CTL_EXIT_NOT_FOUND = 4,
};

ConfigPaths ctl_config_paths(const CtlOptions *o);

/* Each verb gets its positional arguments (args[0] is the verb) and returns an exit code. */
int verb_test_filter(int n_args, char **args, const CtlOptions *o);
int verb_check_config(int n_args, char **args, const CtlOptions *o);
int verb_import_fail2ban(int n_args, char **args, const CtlOptions *o);
int verb_test_action(int n_args, char **args, const CtlOptions *o);
