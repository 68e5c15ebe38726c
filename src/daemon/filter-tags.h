/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Internal to the filter engine (filter.c): the translation of fail2ban-format regexes (Python re plus
 * the filter tags) into PCRE2 syntax. Pure text work, non-logging, no PCRE2 calls. */

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

/* Appends the PCRE2 translation of src to out and, for each byte appended, the offset in src it came
 * from to map (a GArray of size_t), so that an error offset into the translation can be mapped back to
 * the pattern as written (filter_pattern_source_offset()). See filter-tags.c for what is translated. */
void filter_pattern_expand(const char *src, GString *out, GArray *map);

/* The offset in src of the byte at offset in the translation that filter_pattern_expand() made of it,
 * with map as it filled it; an offset at or past the end of the translation maps to strlen(src). */
size_t filter_pattern_source_offset(const char *src, const GArray *map, size_t offset);

/* Whether a translated failregex may go into one combined "(?:re1)|(?:re2)" pattern without changing
 * what it matches. */
bool filter_pattern_is_combinable(const char *p);
