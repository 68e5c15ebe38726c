/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "filter.h"
#include "time-util.h"

/* fail2ban's multi-line sessions: a failregex (or the prefregex) captures <F-MLFID>, an id of the
 * session a line belongs to (sshd's "HOST sshd[PID]: "). Lines of one session share what they captured:
 *   - a line with <F-NOFAIL> is no failure but leaves its host (and user) in the session;
 *   - a failure line without a host takes the session's; without one in the session either, it waits
 *     ("pending") and the next line of the session that brings a host turns into the failure, even a
 *     <F-NOFAIL> one;
 *   - <F-MLFGAINED> (a login succeeded) drops a pending failure and is no failure itself;
 *   - <F-MLFFORGET> ends the session (after this line is merged);
 *   - a session in which more than one user name was seen counts its <F-NOFAIL> lines as failures
 *     (someone tries several accounts on one connection).
 *
 * Bounds, so that an attacker cannot grow memory: at most max_sessions sessions (at the cap, the oldest
 * is dropped), each lives max_age_usec from its first line (fail2ban: 5 minutes), and ids and user names
 * are cut at FILTER_SESSION_TEXT_MAX bytes. Times are the entries' own (CLOCK_REALTIME µs), so that a
 * replay decides as a live read would.
 *
 * Cost: one GHashTable lookup per line that carries an mlfid and matched a failregex (other lines never
 * come here); sessions are in a queue ordered by creation, so expiry and eviction are O(1) each.
 * Non-logging. */
typedef struct FilterSessions FilterSessions;

#define FILTER_SESSIONS_MAX_DEFAULT 1000U
#define FILTER_SESSION_MAX_AGE_USEC_DEFAULT (5 * 60 * USEC_PER_SEC)
#define FILTER_SESSION_TEXT_MAX 512U

/* max_sessions >= 1, max_age_usec > 0. Returns NULL only on OOM. */
FilterSessions *filter_sessions_new(size_t max_sessions, usec_t max_age_usec);
FilterSessions *filter_sessions_free(FilterSessions *s);

/* Merges the line's match M (RESULT is what filter_match() returned for it) into the session M->mlfid
 * at time NOW. Without an mlfid, or for results other than FILTER_FAILURE and FILTER_NO_ADDRESS, returns
 * RESULT unchanged. Otherwise returns what the line means after the merge: FILTER_FAILURE (M->address,
 * M->prefixlen and M->user are then the merged ones), FILTER_NO_ADDRESS (the host is a name) or
 * FILTER_NO_MATCH (no failure: a <F-NOFAIL>/<F-MLFGAINED> line, or a failure waiting for its host).
 * Negative errno only for OOM. */
int filter_sessions_merge(FilterSessions *s, usec_t now, int result, FilterMatch *m);

/* Drops the sessions older than max_age at NOW. Returns how many. */
size_t filter_sessions_prune(FilterSessions *s, usec_t now);
size_t filter_sessions_size(const FilterSessions *s);
/* Sessions dropped at the cap since creation. */
uint64_t filter_sessions_evicted(const FilterSessions *s);
