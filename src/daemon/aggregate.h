/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "time-util.h"

/* Prefix aggregation (the aggregate.* jail keys): remembers, per (jail, aggregate prefix), which distinct
 * bans fell inside that prefix recently, so that the Nth distinct one within the window escalates to a
 * ban of the whole prefix. Non-logging, no knowledge of nft or the database.
 *
 * Cost: one GHashTable entry per (jail, aggregate prefix) with at most COUNT members each, O(COUNT) per
 * record (COUNT is small: default 5). The number of prefixes is capped; at the cap the least recently
 * touched prefix is forgotten (an LRU list), so a flood from everywhere cannot grow it without bound. A
 * time-ordered index would let old prefixes go before the cap; not needed while the cap is this small. */

typedef struct PrefixCounter PrefixCounter;

#define PREFIX_COUNTER_MAX_DEFAULT 65536U

PrefixCounter *prefix_counter_new(size_t max_prefixes);
PrefixCounter *prefix_counter_free(PrefixCounter *c);

/* Records that MEMBER (a banned host or a prefix narrower than AGGREGATE, inside it) was banned in JAIL at
 * WHEN (CLOCK_REALTIME). Members banned at or before WHEN - WINDOW_USEC no longer count; the same member
 * again only refreshes its time. Returns the number of distinct members of AGGREGATE within the window,
 * this one included (at most COUNT are remembered, so the result is at most COUNT). -EINVAL when MEMBER
 * is not inside AGGREGATE. */
int prefix_counter_record(PrefixCounter *c, const char *jail, const AddressPrefix *aggregate,
                          const AddressPrefix *member, usec_t when, usec_t window_usec, unsigned count);

/* Forgets AGGREGATE in JAIL (after it was banned: counting starts again). Returns 1 if it was known. */
int prefix_counter_forget(PrefixCounter *c, const char *jail, const AddressPrefix *aggregate);

size_t prefix_counter_size(const PrefixCounter *c);
/* How many prefixes were forgotten because of the cap, since the start. */
size_t prefix_counter_evicted(const PrefixCounter *c);
