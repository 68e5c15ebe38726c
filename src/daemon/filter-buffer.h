/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

/* fail2ban's line buffer of multi-line filters (maxlines > 1): the last maxlines lines, which the
 * regexes see as one text, each line followed by "\n" (compiled with PCRE2_MULTILINE, so ^ and $ work per
 * line). After a match, the lines the match covered leave the buffer, except those a <SKIPLINES> passed
 * over; the lines before and after it stay for later matches.
 *
 * Bounds: maxlines is capped at FILTER_BUFFER_LINES_MAX and each line at FILTER_BUFFER_LINE_MAX bytes,
 * so the text is at most their product. Cost: the text is rebuilt once per line pushed (maxlines small
 * copies); a ring of offsets would avoid the copy, not worth it at fail2ban's typical maxlines of 2–20.
 * Non-logging. */
typedef struct FilterBuffer FilterBuffer;

#define FILTER_BUFFER_LINES_MAX 1000U
#define FILTER_BUFFER_LINE_MAX 8192U

/* maxlines >= 1 (clamped to FILTER_BUFFER_LINES_MAX). Returns NULL only on OOM. */
FilterBuffer *filter_buffer_new(unsigned maxlines);
FilterBuffer *filter_buffer_free(FilterBuffer *b);

/* Appends a line (need not be NUL-terminated; cut at FILTER_BUFFER_LINE_MAX bytes), dropping the oldest
 * beyond maxlines. */
void filter_buffer_push(FilterBuffer *b, const char *line, size_t len);

/* The buffer as one NUL-terminated text: every line followed by "\n". Valid until the next call. */
const char *filter_buffer_text(FilterBuffer *b, size_t *ret_len);

/* Removes the lines that the match [start, end) of the text touches, except those lying wholly inside
 * one of the SKIPPED spans [start, end). Returns the number of lines removed. */
size_t filter_buffer_consume(FilterBuffer *b, size_t start, size_t end, const size_t (*skipped)[2], size_t n_skipped);

size_t filter_buffer_size(const FilterBuffer *b);
/* Line I (0 = oldest), NUL-terminated. */
const char *filter_buffer_line(const FilterBuffer *b, size_t i);
void filter_buffer_clear(FilterBuffer *b);
