/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "ctl-transport.h"
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
        /* the verbs that talk to the daemon */
        bool no_pager;
        bool no_ask_password;
        bool varlink;                /* --varlink: use the control socket instead of the bus */
        const char *control_socket;  /* --control-socket=PATH (implies --varlink); NULL: the default */
        const char *jail;            /* unban --jail */
        bool all;                    /* unban --all */
        usec_t time_usec;            /* ban --time; 0 = the jail's bantime, USEC_INFINITY = permanent */
} CtlOptions;

/* Exit codes, as systemctl uses them where they overlap. */
enum {
        CTL_EXIT_OK = 0,
        CTL_EXIT_FAILURE = 1,
        CTL_EXIT_USAGE = 2,
        CTL_EXIT_NOT_FOUND = 4,
};

ConfigPaths ctl_config_paths(const CtlOptions *o);

/* ctl-connect.c: the one place that chooses the transport (logs on failure). */
int ctl_connect(const CtlOptions *o, CtlTransport **ret);
/* Whether polkit may ask for a password (stdin is a terminal and no --no-ask-password); the agent is
 * pkttyagent, started for mutating calls only. */
bool ctl_interactive(const CtlOptions *o);
void ctl_polkit_agent_open(const CtlOptions *o);
void ctl_polkit_agent_close(void);

/* ctl-output.c: colour (only on a terminal, not with NO_COLOR), pager, tables, times. */
#define ANSI_NORMAL "\x1B[0m"
#define ANSI_BOLD_UNDERLINE "\x1B[1;4m"
#define ANSI_HIGHLIGHT "\x1B[0;1;39m"
#define ANSI_GREEN "\x1B[0;1;32m"
#define ANSI_RED "\x1B[0;1;31m"
#define ANSI_GREY "\x1B[0;38;5;245m"
bool ctl_colors(void);
const char *ctl_ansi(const char *code);
void ctl_pager_open(const CtlOptions *o);
void ctl_pager_close(void);

typedef struct CtlTable {
        size_t n_columns;
        GPtrArray *cells; /* row-major; row 0 is the header */
} CtlTable;
CtlTable *ctl_table_new(size_t n_columns, ...);
void ctl_table_free(CtlTable *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CtlTable, ctl_table_free)
void ctl_table_add_row(CtlTable *t, ...); /* n_columns owned strings (NULL = empty) */
size_t ctl_table_rows(const CtlTable *t);
void ctl_table_print(const CtlTable *t, bool legend);
/* µs since the epoch (-1: never) as "Sat 2024-06-01 12:00:00 CEST"; a µs duration (-1: permanent) */
char *ctl_format_timestamp(int64_t usec);
char *ctl_format_duration(int64_t usec);

/* A duration from the command line ("1h", "permanent" → USEC_INFINITY); logs and returns -EINVAL for
 * anything else, including negative and zero durations. */
int ctl_parse_duration(const char *s, usec_t *ret);

/* Each verb gets its positional arguments (args[0] is the verb) and returns an exit code. */
int verb_test_filter(int n_args, char **args, const CtlOptions *o);
int verb_check_config(int n_args, char **args, const CtlOptions *o);
int verb_import_fail2ban(int n_args, char **args, const CtlOptions *o);
int verb_test_action(int n_args, char **args, const CtlOptions *o);
/* ctl-verbs.c: the verbs that talk to a running daemon */
int verb_status(int n_args, char **args, const CtlOptions *o);
int verb_list_jails(int n_args, char **args, const CtlOptions *o);
int verb_list_bans(int n_args, char **args, const CtlOptions *o);
int verb_show(int n_args, char **args, const CtlOptions *o);
int verb_ban(int n_args, char **args, const CtlOptions *o);
int verb_unban(int n_args, char **args, const CtlOptions *o);
int verb_reload(int n_args, char **args, const CtlOptions *o);
int verb_start_stop(int n_args, char **args, const CtlOptions *o);
int verb_set_bantime(int n_args, char **args, const CtlOptions *o);
int verb_monitor(int n_args, char **args, const CtlOptions *o);
