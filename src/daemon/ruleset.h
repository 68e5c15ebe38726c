/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "config.h"
#include "filter.h"
#include "journal-match.h"

/* The compiled form of a configuration: for every enabled jail its Filter (PCRE2-JIT) and its
 * JournalMatch. Built completely before it replaces anything, so that a reload with any error keeps the
 * running ruleset (the daemon) and check-config reports every error at once (the client). */

typedef struct JailRules {
        const JailConfig *config; /* borrowed from Ruleset.config */
        Filter *filter;
        JournalMatch *match;
} JailRules;

typedef struct Ruleset {
        Config *config;
        JailRules *jails; /* enabled jails only, in name order */
        size_t n_jails;
        char **warnings;  /* the config's warnings plus our own ("FILE:LINE: text"), NULL-terminated */
} Ruleset;

/* Loads PATHS with config_load(), or PATHS->fail2ban_dir with config_load_fail2ban() when set, and
 * compiles it. Returns 0, or a negative errno with *ret_error holding every error, one "FILE:LINE: text" per line. */
int ruleset_load(const ConfigPaths *paths, Ruleset **ret, char **ret_error);
Ruleset *ruleset_free(Ruleset *r);

const JailRules *ruleset_find(const Ruleset *r, const char *jail);
