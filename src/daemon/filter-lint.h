/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "filter.h"

/* Checks a filter definition's regexes for patterns that let logged text choose the address (refused) or
 * that backtrack catastrophically (warned); see filter-lint.c. Returns 0 with *ret_warnings (NULL-terminated,
 * "FILE:LINE: text", owned; may be empty) or -EINVAL with every refusal in *ret_error, one per line. */
int filter_lint(const FilterDef *def, char ***ret_warnings, char **ret_error);
