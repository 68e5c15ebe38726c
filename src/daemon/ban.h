/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "time-util.h"

/* The ban table: every active ban, keyed by (jail, prefix), plus an index by end time for the single
 * bookkeeping timer. The kernel expires bans by itself (nft element timeouts); this table only mirrors
 * that for status, dedupe and events.
 *
 * Cost: GHashTable lookup O(1) per (jail, address); GTree ordered by (end, sequence) so that the
 * earliest expiry is O(log n) to find and O(log n) to remove; 100,000 bans are a few MB. */

typedef struct Ban {
        char *jail;           /* jail name (owned copy: a ban outlives a reload that drops its jail) */
        /* What is banned: a host (/32, /128) or a wider prefix (banprefix6, aggregation, a manual ban).
         * .address is .prefix.address (the network address), so code that only knows hosts keeps
         * working; whoever shows or acts on a ban must look at .prefix.prefixlen. */
        union {
                AddressPrefix prefix;
                Address address;
        };
        usec_t start_usec;    /* CLOCK_REALTIME */
        usec_t end_usec;      /* CLOCK_REALTIME; USEC_INFINITY for permanent */
        unsigned failures;    /* failures that led to it */
        unsigned ban_count;   /* how often this address was banned in this jail (1 for the first) */
        uint64_t seq;         /* insertion sequence, tie-breaker in the expiry index */
} Ban;

typedef struct BanTable BanTable;

BanTable *ban_table_new(void);
BanTable *ban_table_free(BanTable *t);

/* The host prefix of A: A itself as /32 or /128. */
static inline AddressPrefix ban_host_prefix(const Address *a) {
        return (AddressPrefix) { .address = *a, .prefixlen = a->family == AF_INET ? 32 : 128 };
}

static inline bool ban_is_host(const Ban *b) {
        return b->prefix.prefixlen == (b->address.family == AF_INET ? 32U : 128U);
}

/* Adds a ban. If (jail, address) is already banned and the new end is not later, nothing changes and
 * 0 is returned (dedupe); if it is later, the end is extended and 0 returned with *ret set. A new ban
 * returns 1. *ret (if not NULL) points to the table's Ban (valid until it is removed). */
int ban_table_add(BanTable *t, const char *jail, const Address *address, usec_t start_usec,
                  usec_t end_usec, unsigned failures, Ban **ret);

Ban *ban_table_get(BanTable *t, const char *jail, const Address *address);
/* Removes (jail, address). Returns 1 if it was there, 0 if not. */
int ban_table_remove(BanTable *t, const char *jail, const Address *address);

/* The same for any prefix (the three above are these with the host prefix of ADDRESS). PREFIX must be
 * masked (address_prefix_parse() and address_mask() do that); 10.0.0.0/24 and the host 10.0.0.0 are
 * different bans. */
int ban_table_add_prefix(BanTable *t, const char *jail, const AddressPrefix *prefix, usec_t start_usec,
                         usec_t end_usec, unsigned failures, Ban **ret);
Ban *ban_table_get_prefix(BanTable *t, const char *jail, const AddressPrefix *prefix);
int ban_table_remove_prefix(BanTable *t, const char *jail, const AddressPrefix *prefix);

/* Earliest end_usec of all bans, or USEC_INFINITY when none expires. */
usec_t ban_table_next_expiry(BanTable *t);

/* Removes every ban with end_usec <= now, calling cb for each before it is freed. Returns the count. */
typedef void (*ban_callback_t)(const Ban *b, void *userdata);
size_t ban_table_expire(BanTable *t, usec_t now, ban_callback_t cb, void *userdata);

/* Calls cb for every ban (of JAIL, or of all jails if NULL), in no particular order. */
void ban_table_foreach(BanTable *t, const char *jail, ban_callback_t cb, void *userdata);

size_t ban_table_size(const BanTable *t);
size_t ban_table_count_jail(BanTable *t, const char *jail);
