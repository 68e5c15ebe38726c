/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "config.h"
#include "time-util.h"

/* The nftables backend, through libnftables' JSON API only (one nft_ctx for the life of the process,
 * documents built with jansson, never printf'd nft syntax).
 *
 * Layout, all inside our own table (default "inet portcullis"; nothing outside it is ever touched):
 *   set  <jail>_v4  { type ipv4_addr; flags timeout; }
 *   set  <jail>_v6  { type ipv6_addr; flags timeout; }
 *   set  <jail>_v4net { type ipv4_addr; flags interval, timeout; }   only for a jail with .prefixes
 *   set  <jail>_v6net { type ipv6_addr; flags interval, timeout; }   only for a jail with .prefixes
 *   chain input { type filter hook input priority filter - 10; policy accept;
 *       [meta l4proto tcp|udp] [th dport { ports }] ip  saddr @<jail>_v4 drop|reject
 *       [meta l4proto tcp|udp] [th dport { ports }] ip6 saddr @<jail>_v6 drop|reject
 *       (the same two for @<jail>_v4net and @<jail>_v6net with .prefixes) }
 * A ban is a set element with a timeout: the kernel unbans by itself, also when we are dead. Host bans
 * (/32, /128) go into the plain sets, wider prefixes into the interval sets.
 *
 * Interval sets: libnftables 1.0.6 reads the whole interval set back from the kernel for every "add
 * element" command (overlap check), so adding N prefixes one command each costs O(N²) (10,000: ~155 s);
 * all prefixes of one set in one command cost one read (10,000: well under a second). commit() therefore
 * always sends one command per set. The kernel refuses overlapping intervals (EEXIST), so a prefix that
 * contains banned narrower prefixes can only go in after they are unbanned: commit() sends the deletes
 * of interval-set elements before the adds of the same transaction.
 *
 * Use: queue bans/unbans during one event-loop iteration, then nft_backend_commit() sends them as one
 * transaction (one JSON document, metainfo first). */

typedef struct NftBackend NftBackend;

typedef struct NftJailSpec {
        const char *name;
        const PortRange *ports; /* n_ports == 0: every port */
        size_t n_ports;
        Protocol protocol;
        BlockType blocktype;
        bool prefixes;          /* the jail can ban prefixes: it gets the two interval sets and rules */
} NftJailSpec;

/* table: our table's name (--nft-table). Returns 0 or negative errno (-ENOMEM). */
int nft_backend_new(const char *table, NftBackend **ret);
NftBackend *nft_backend_free(NftBackend *b);

/* Creates or refreshes, in one transaction: the table, both sets of every jail (existing sets and their
 * elements are kept: bans survive a restart or reload), the chain with exactly the rules for JAILS
 * (rebuilt), and deletes our sets of jails no longer listed. Tables of others are not touched.
 * On failure returns a negative errno and sets *ret_error to nft's error text plus the JSON sent. */
int nft_backend_setup(NftBackend *b, const NftJailSpec *jails, size_t n_jails, char **ret_error);

/* Queue a ban: element ADDRESS with TIMEOUT in the jail's set of its family; USEC_INFINITY = no timeout
 * (permanent). Timeouts are rounded up to whole seconds (at least 1 s). Queueing is cheap; nothing is
 * sent before commit. */
int nft_backend_queue_ban(NftBackend *b, const char *jail, const Address *address, usec_t timeout_usec);
int nft_backend_queue_unban(NftBackend *b, const char *jail, const Address *address);
/* The same for a prefix: a host prefix goes to the plain sets, a wider one to the jail's interval set,
 * which must exist (a jail set up with .prefixes), else -EOPNOTSUPP. An unban of a prefix queued for a
 * ban in this same batch cancels both (the interval set cannot take add + delete of one element next to
 * the deletes-first order, see above). */
int nft_backend_queue_ban_prefix(NftBackend *b, const char *jail, const AddressPrefix *prefix, usec_t timeout_usec);
int nft_backend_queue_unban_prefix(NftBackend *b, const char *jail, const AddressPrefix *prefix);
size_t nft_backend_queued(const NftBackend *b);

/* Sends everything queued as one transaction. If the kernel refuses the batch (for example an unban of
 * an element that already expired), each queued operation is retried on its own so that one bad
 * element cannot lose the others; operations that still fail are reported. Returns the number of
 * operations that failed (0 = all went through) or a negative errno; *ret_error (may be NULL) gets the
 * error text of the first failure. The queue is empty afterwards in every case. */
int nft_backend_commit(NftBackend *b, char **ret_error);

/* Lists the elements of a jail's sets (both families, and its interval sets if it has them) as "ADDRESS"
 * or "NET/LEN" strings with their remaining timeout
 * in µs (USEC_INFINITY when permanent). For status output and tests. The arrays are owned by the
 * caller (free each string and both arrays). */
int nft_backend_list(NftBackend *b, const char *jail, char ***ret_addresses, usec_t **ret_timeouts, size_t *ret_n);

/* Whether our table still has what nft_backend_setup() made for JAILS: the chain, both sets of every jail
 * (and both interval sets of a jail with .prefixes) and a rule per set (elements are not looked at). Returns 1 if so, 0 with *ret_reason (owned,
 * may be NULL) saying what is missing, or a negative errno. Cheap: one terse listing, no elements. */
int nft_backend_verify(NftBackend *b, const NftJailSpec *jails, size_t n_jails, char **ret_reason);

/* Deletes our whole table (portcullisctl/tests; the daemon leaves bans in place on stop). */
int nft_backend_delete_table(NftBackend *b, char **ret_error);
