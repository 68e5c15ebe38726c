/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "config.h"

/* Options every verb understands (parsed by ctl.c before the verb). */
typedef struct CtlOptions {
        const char *config_dir;
        const char *vendor_dir;
        const char *filter_dir;
        bool json;
        bool no_legend;
} CtlOptions;

/* Exit codes, as systemctl uses them where they overlap. */
enum {
        CTL_EXIT_OK = 0,
        CTL_EXIT_FAILURE = 1,
        CTL_EXIT_USAGE = 2,
        CTL_EXIT_NOT_FOUND = 4,
};

ConfigPaths ctl_config_paths(const CtlOptions *o);

/* Each verb gets its own argv (argv[0] is the verb) and returns an exit code. */
int verb_test_filter(int argc, char **argv, CtlOptions *o);
int verb_check_config(int argc, char **argv, CtlOptions *o);
