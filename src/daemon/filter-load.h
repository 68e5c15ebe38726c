/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

#include "config.h"
#include "filter.h"

/* Internal to config.c and filter-load.c (the public API is config.h): the directory search path
 * both halves use, and the filter loader that config.c calls for every enabled jail. */

/* Search directories, highest priority first, NULL-terminated. */
typedef struct SearchPath {
        char *owned[3];
        const char *dirs[4];
} SearchPath;

void search_path_done(SearchPath *sp);
/* Appends DIR (or DIR/SUB); a NULL DIR is skipped. At most three directories. */
void search_path_add(SearchPath *sp, const char *dir, const char *sub);
/* Returns the first directory holding the regular file RELPATH and its full path in *ret_path, or
 * NULL if none does. */
const char *search_path_find(const SearchPath *sp, const char *relpath, char **ret_path);

/* Loads filter SPEC for JAIL (or NULL) into *RET; ARG_FILE:ARG_LINE is where the spec was written,
 * or NULL for a command line. Non-logging: returns 0 or a negative errno, and appends every problem
 * to ERRORS as "FILE:LINE: message". */
int filter_load(const ConfigPaths *paths, const char *spec, const char *jail, const char *arg_file,
                unsigned arg_line, FilterDef **ret, GPtrArray *errors);

/* Parses a filter (or fail2ban action) specification "name" or "name[key=value, key2="a, b"]": ARGS
 * maps the lower-cased key to its value (g_strdup()ed). On error returns -EINVAL and a message. */
int filter_spec_parse(const char *spec, char **ret_name, GHashTable **ret_args, char **ret_msg);
