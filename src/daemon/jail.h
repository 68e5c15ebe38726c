/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "time-util.h"

/* The failure tracker of one jail: per address, the times of its recent failures.
 *
 * Decision: an address is due for a ban when it has at least maxretry failures whose times lie within
 * findtime of the newest one (times are the journal entries' own timestamps, not "now", so that a
 * catch-up read decides as a live read would). A due address is forgotten by the tracker (the caller
 * bans it), so its count starts again from zero.
 *
 * Cost: one GHashTable lookup per failure, a ring of at most maxretry timestamps per address, and an
 * intrusive LRU list (GQueue) ordered by last failure, so that at the cap (max_tracked addresses) the
 * address that failed longest ago is evicted in O(1). Entries older than findtime are dropped lazily
 * (on their next failure, at eviction, or by failure_tracker_prune()). */
typedef struct FailureTracker FailureTracker;

typedef enum TrackResult {
        TRACK_COUNTED, /* recorded; not yet at maxretry */
        TRACK_BAN,     /* reached maxretry within findtime: ban it; the tracker has forgotten it */
        _TRACK_RESULT_MAX,
        _TRACK_RESULT_INVALID = -22,
} TrackResult;

/* maxretry >= 1, findtime_usec > 0, max_tracked >= 1. Returns NULL only on OOM. */
FailureTracker *failure_tracker_new(unsigned maxretry, usec_t findtime_usec, size_t max_tracked);
FailureTracker *failure_tracker_free(FailureTracker *t);

/* Records one failure of ADDRESS at time WHEN (CLOCK_REALTIME µs). Returns a TrackResult; on return
 * *ret_count (if not NULL) holds the number of failures within the window, including this one.
 * Failures arriving out of order (older than the newest one) still count when within findtime. */
int failure_tracker_record(FailureTracker *t, const Address *address, usec_t when, unsigned *ret_count);

/* Like failure_tracker_record(), and keeps LINE (cut at FAILURE_TRACKER_MATCH_MAX bytes) among the
 * address's matched lines: at most max_matches of them (failure_tracker_set_max_matches(), fail2ban's
 * maxmatches; 0, the default, keeps none), the oldest dropped first. On TRACK_BAN, *ret_matches (if not
 * NULL) gets them, oldest first, this one last, as a NULL-terminated vector the caller frees with
 * g_strfreev(), or NULL when none are kept; otherwise NULL. */
#define FAILURE_TRACKER_MATCH_MAX 1024U
int failure_tracker_record_line(FailureTracker *t, const Address *address, usec_t when, const char *line,
                                size_t len, unsigned *ret_count, char ***ret_matches);
void failure_tracker_set_max_matches(FailureTracker *t, unsigned max_matches);

/* Number of failures of ADDRESS still within findtime of NOW; 0 if unknown. */
unsigned failure_tracker_count(FailureTracker *t, const Address *address, usec_t now);
void failure_tracker_forget(FailureTracker *t, const Address *address);
/* Drops every address whose newest failure is older than now - findtime. Returns how many. */
size_t failure_tracker_prune(FailureTracker *t, usec_t now);

size_t failure_tracker_size(const FailureTracker *t);
/* Total evictions at the cap since creation (the caller logs the first one). */
uint64_t failure_tracker_evicted(const FailureTracker *t);

/* Changes the parameters (on reload), keeping what is tracked. */
void failure_tracker_reconfigure(FailureTracker *t, unsigned maxretry, usec_t findtime_usec, size_t max_tracked);
