/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include <glib.h>

#include "config.h"
#include "ini.h"
#include "macro.h"

/* Internal to config.c and config-fail2ban.c (the public API is config.h): the jail parser both
 * configuration formats share. Non-logging: problems are appended to the error and warning lists as
 * "FILE:LINE: message" strings. */

#define JAIL_NAME_MAX 64U

DEFINE_TRIVIAL_CLEANUP_FUNC(JailConfig *, jail_config_free);
void jail_config_free_void(void *j);

typedef struct JailParser {
        const ConfigPaths *paths; /* where filters are looked up */
        const IniDocument *doc;
        const IniSection *section;
        GHashTable *used;      /* keys referenced through %(…)s: not "unknown" */
        GPtrArray *errors;
        GPtrArray *warnings;
        bool fail2ban;         /* a fail2ban jail.conf: no "blocktype" key (it is an action parameter
                                * there), and unknown keys are judged by the caller */
        bool maxlines_set, maxmatches_set; /* by the jail itself: the filter's values do not apply */
} JailParser;

/* Gets KEY of the jail, interpolated and joined with SEPARATOR. Returns 1 if set, 0 if not,
 * negative errno on interpolation error (already reported). */
int jail_get(JailParser *p, const char *key, const char *separator, char **ret, const char **ret_file,
             unsigned *ret_line);
/* Parses the jail in P->section (everything but its filter). */
int jail_parse(JailParser *p, JailConfig **ret);
/* Loads the filter of an enabled jail; the effective journal match is the jail's, else the filter's. */
int jail_load_filter(JailParser *p, JailConfig *j);

/* 1 for yes/true/on/1, 0 for no/false/off/0, -EINVAL otherwise. */
int parse_bool(const char *s);
/* Parses a port list ("ssh, 80, 1000:2000"); on error returns -EINVAL and the offending item in
 * *ret_bad. No ports (n == 0) means every port. */
int parse_ports(const char *s, Protocol proto, PortRange **ret, size_t *ret_n, char **ret_bad);
bool jail_name_valid(const char *name);
/* Whether KEY is in TABLE; entries ending in '.' or '_' are prefixes. */
bool key_in(const char *key, const char *const *table, size_t n);

int jail_config_compare(const void *a, const void *b);
/* Sorts JAILS (JailConfig *) by name and moves them and WARNINGS (char *) into a new Config. */
Config *config_new_steal(GPtrArray *jails, GPtrArray *warnings);
