/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

#include "filter-buffer.h"
#include "filter-session.h"
#include "filter.h"
#include "time-util.h"

/* The state a filter carries from one line to the next, for the daemon (one per jail) and for
 * `portcullisctl test-filter` alike: the line buffer of maxlines > 1 (filter-buffer.h) and the sessions
 * of <F-MLFID> filters (filter-session.h). A filter that needs neither has no FilterFeed at all and is
 * matched with filter_match() directly: the single-line path costs what it did before. Non-logging. */
typedef struct FilterFeed FilterFeed;

/* Whether lines of F (with the jail's MAXLINES) must go through a FilterFeed. */
bool filter_feed_needed(const Filter *f, unsigned maxlines);

/* Returns NULL only on OOM. */
FilterFeed *filter_feed_new(const Filter *f, unsigned maxlines);
FilterFeed *filter_feed_free(FilterFeed *feed);

/* Matches the next line (in journal order) at time WHEN (the entry's CLOCK_REALTIME µs): through the
 * buffer, then the sessions. Returns a FilterResult as filter_match() does and fills *ret likewise
 * (ret must not be NULL); with a buffer, ret's offsets are into filter_feed_text(). */
int filter_feed_line(FilterFeed *feed, Filter *f, const char *line, size_t len, usec_t when, FilterMatch *ret);

/* Drops expired sessions. */
void filter_feed_prune(FilterFeed *feed, usec_t now);

FilterSessions *filter_feed_sessions(FilterFeed *feed); /* NULL when the filter has no sessions */
FilterBuffer *filter_feed_buffer(FilterFeed *feed);     /* NULL when maxlines <= 1 */
