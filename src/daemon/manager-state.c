/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The Manager's persistent state and the kernel's view: opening the database (a damaged one is kept
 * aside), restoring bans at start and adopting unknown kernel elements, the self-healing firewall. */
#include <glib.h>
#include <inttypes.h>
#include <systemd/sd-daemon.h>

#include "log.h"
#include "manager-internal.h"
#include "message-ids.h"

/* ---- persistent state ----------------------------------------------------------------------------- */

void manager_open_state(Manager *m) {
        g_autofree char *error = NULL, *moved = NULL, *msg = NULL;
        int r;

        r = state_open(m->options.state_dir, &m->state, &error);
        if (r == -EBADMSG) {
                /* A damaged database is kept aside for inspection, never deleted; we start a new one. The
                 * bans it held are still in the kernel, and are adopted below. */
                int q = state_quarantine(m->options.state_dir, &moved);

                if (q >= 0) {
                        msg = g_strdup_printf("The database %s/%s is damaged (%s); kept as %s, starting a new one. "
                                              "Bans in the kernel stay and are adopted.", m->options.state_dir,
                                              STATE_DB_NAME, error, moved);
                        log_manager_event(MESSAGE_ID_STATE_ERROR, LOG_ERR, NULL, msg);
                        g_clear_pointer(&error, g_free);
                        r = state_open(m->options.state_dir, &m->state, &error);
                } else
                        error = g_strdup_printf("%s; and it cannot be moved aside: %s", error, g_strerror(-q));
        }
        if (r < 0) {
                g_free(msg);
                msg = g_strdup_printf("Cannot use the database in %s: %s. Running without it: bans stay in the "
                                      "kernel until they expire, but are not restored after a restart, and the "
                                      "journal is read from its tail.", m->options.state_dir,
                                      error ? error : g_strerror(-r));
                log_manager_event(MESSAGE_ID_STATE_ERROR, LOG_ERR, NULL, msg);
                m->state = NULL;
        }
}

/* A restore of many bans (database rows, then one nft transaction) can outlast TimeoutStartSec=: every
 * RESTORE_CHUNK bans, and before a large transaction, systemd is asked for RESTORE_EXTEND_USEC more. */
#define RESTORE_CHUNK 10000u
#define RESTORE_EXTEND_USEC (30 * USEC_PER_SEC)

static void restore_extend_timeout(void) {
        (void) sd_notifyf(false, "EXTEND_TIMEOUT_USEC=%" PRIu64, (uint64_t) RESTORE_EXTEND_USEC);
}

typedef struct Restore {
        Manager *m;
        usec_t now;
        GHashTable *in_kernel;  /* "jail address" of every element in our sets */
        GHashTable *gone_jails; /* jails of stored bans that are not configured any more */
        unsigned restored;
        unsigned readded;
        unsigned adopted;
} Restore;

/* A restored ban still inside aggregate.window counts towards aggregation again, as it did before the
 * restart (without escalating now: had it reached the count then, the prefix would have been banned). */
static void restore_aggregate(Manager *m, const char *jail, const AddressPrefix *p, usec_t start, usec_t now) {
        const JailRules *rules = ruleset_find(m->ruleset, jail);
        const JailConfig *c = rules->config;
        unsigned len = p->address.family == AF_INET ? c->aggregate_prefix4 : c->aggregate_prefix6;
        AddressPrefix agg = *p;

        if (!c->aggregate || p->prefixlen <= len || start + c->aggregate_window_usec <= now)
                return;
        agg.prefixlen = len;
        address_mask(&agg.address, len);
        if (!m->aggregates)
                m->aggregates = prefix_counter_new(PREFIX_COUNTER_MAX_DEFAULT);
        (void) prefix_counter_record(m->aggregates, jail, &agg, p, start, c->aggregate_window_usec,
                                     c->aggregate_count);
}

static void restore_one(const char *jail, const AddressPrefix *a, usec_t start, usec_t end, unsigned failures,
                        unsigned ban_count, void *userdata) {
        Restore *x = userdata;
        char addr[ADDRESS_STRING_MAX];
        g_autofree char *key = NULL;
        Ban *b = NULL;

        if (!ruleset_find(x->m->ruleset, jail)) {
                g_hash_table_add(x->gone_jails, g_strdup(jail));
                return;
        }
        if (ban_table_add_prefix(x->m->bans, jail, a, start, end, failures, &b) < 0)
                return;
        if (b)
                b->ban_count = ban_count;
        if (++x->restored % RESTORE_CHUNK == 0)
                restore_extend_timeout();
        restore_aggregate(x->m, jail, a, start, x->now);

        /* In the kernel already (a restart without a reboot): its element keeps counting down. Missing (after
         * a reboot, or a flushed ruleset): added again with the time that is left. */
        key = g_strdup_printf("%s %s", jail, address_prefix_to_string(a, addr));
        if (g_hash_table_contains(x->in_kernel, key))
                return;
        if (nft_backend_queue_ban_prefix(x->m->nft, jail, a, end == USEC_INFINITY ? USEC_INFINITY : end - x->now) >= 0)
                x->readded++;
}

/* At start: the bans of the database come back, with their remaining time, in one nft transaction; and
 * the kernel's elements the database does not know (a lost or damaged database, bans of an earlier run
 * without one) are adopted with the time they have left, so that the table says what the kernel does. */
int manager_restore_and_log(Manager *m) {
        g_autoptr(GHashTable) in_kernel = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        g_autoptr(GHashTable) gone_jails = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        g_autoptr(GArray) adopt = g_array_new(false, false, sizeof(Ban));
        Restore x = { .m = m, .now = now_usec(CLOCK_REALTIME), .in_kernel = in_kernel, .gone_jails = gone_jails };
        unsigned skipped = 0;
        int r;

        /* 1. What the kernel has now. */
        for (size_t i = 0; i < m->n_jails; i++) {
                char **addrs = NULL;
                usec_t *timeouts = NULL;
                size_t n = 0;

                r = nft_backend_list(m->nft, m->jails[i]->name, &addrs, &timeouts, &n);
                if (r < 0) {
                        log_warning_errno(r, "%s: failed to list the kernel's bans, ignoring: %m", m->jails[i]->name);
                        continue;
                }
                for (size_t k = 0; k < n; k++) {
                        Ban b = { .jail = m->jails[i]->name, .start_usec = x.now, .ban_count = 1 };

                        g_hash_table_add(in_kernel, g_strdup_printf("%s %s", m->jails[i]->name, addrs[k]));
                        if (address_prefix_parse(addrs[k], &b.prefix) >= 0) {
                                b.end_usec = timeouts[k] == USEC_INFINITY ? USEC_INFINITY : x.now + timeouts[k];
                                g_array_append_val(adopt, b);
                        }
                        free(addrs[k]);
                }
                free(addrs);
                free(timeouts);
        }

        /* 2. The database's bans. */
        if (m->state) {
                r = state_foreach_ban(m->state, x.now, restore_one, &x, &skipped);
                if (r < 0)
                        log_error_errno(r, "Failed to read bans from the database, ignoring: %m");
                if (skipped > 0)
                        log_warning("Skipped %u unreadable ban row(s) in the database.", skipped);
        }

        /* 3. The kernel's elements that nobody knew of. */
        if (m->state)
                (void) state_begin(m->state);
        for (guint i = 0; i < adopt->len; i++) {
                Ban *a = &g_array_index(adopt, Ban, i), *b = NULL;

                if (ban_table_get_prefix(m->bans, a->jail, &a->prefix))
                        continue;
                if (ban_table_add_prefix(m->bans, a->jail, &a->prefix, a->start_usec, a->end_usec, 0, &b) < 0 || !b)
                        continue;
                x.adopted++;
                if (m->state)
                        (void) state_put_ban(m->state, b);
        }
        GHashTableIter it;
        const char *jail;
        g_hash_table_iter_init(&it, gone_jails);
        while (g_hash_table_iter_next(&it, (gpointer *) &jail, NULL))
                if (m->state)
                        (void) state_delete_jail(m->state, jail);
        if (m->state && state_commit(m->state) < 0)
                log_warning("Failed to record adopted bans in the database, ignoring.");

        g_autofree char *error = NULL;
        if (nft_backend_queued(m->nft) > 0) {
                if (nft_backend_queued(m->nft) >= RESTORE_CHUNK)
                        restore_extend_timeout();
                r = nft_backend_commit(m->nft, &error);
                if (r != 0)
                        log_error("nftables refused %d restored ban(s): %s", r, error ? error : "unknown error");
        }

        g_autofree char *msg = g_strdup_printf("Restored %u ban%s from the database (%u put back into the kernel), "
                                               "adopted %u unknown kernel element%s%s", x.restored,
                                               x.restored == 1 ? "" : "s", x.readded, x.adopted,
                                               x.adopted == 1 ? "" : "s",
                                               g_hash_table_size(gone_jails) > 0 ?
                                               "; dropped the bans of jails no longer configured" : "");
        log_manager_event(MESSAGE_ID_RESTORE, LOG_INFO, NULL, msg);
        manager_arm_expiry(m);
        return 0;
}

/* ---- self-healing firewall -------------------------------------------------------------------------- */

typedef struct Requeue {
        Manager *m;
        usec_t now;
        GHashTable *present; /* NULL: put every ban back; else "jail address" of elements in the kernel */
        unsigned n;
} Requeue;

static void requeue_one(const Ban *b, void *userdata) {
        Requeue *x = userdata;
        char addr[ADDRESS_STRING_MAX];

        if (b->end_usec != USEC_INFINITY && b->end_usec <= x->now)
                return; /* expires now anyway */
        if (x->present) {
                g_autofree char *key = g_strdup_printf("%s %s", b->jail, address_prefix_to_string(&b->prefix, addr));

                if (g_hash_table_contains(x->present, key))
                        return;
        }
        if (nft_backend_queue_ban_prefix(x->m->nft, b->jail, &b->prefix,
                                         b->end_usec == USEC_INFINITY ? USEC_INFINITY : b->end_usec - x->now) >= 0)
                x->n++;
}

/* Someone else changed nftables. If our table lost anything (flushed ruleset, deleted table, chain or set,
 * flushed chain), it is rebuilt and every active ban put back with the time it has left; if only elements
 * went missing (a flushed set), they are put back. One transaction either way. */
void manager_on_nft_changed(void *userdata) {
        Manager *m = userdata;
        g_autofree NftJailSpec *specs = manager_nft_specs_new(m->ruleset);
        g_autofree char *reason = NULL, *error = NULL, *msg = NULL;
        g_autoptr(GHashTable) present = NULL;
        usec_t t0 = now_usec(CLOCK_MONOTONIC);
        Requeue x = { .m = m, .now = now_usec(CLOCK_REALTIME) };
        int r;

        if (!specs)
                return (void) log_oom();
        r = nft_backend_verify(m->nft, specs, m->n_jails, &reason);
        if (r < 0)
                return (void) log_warning_errno(r, "Failed to check our nftables table, ignoring: %m");
        if (r == 0) {
                r = nft_backend_setup(m->nft, specs, m->n_jails, &error);
                if (r < 0)
                        return (void) log_error_errno(r, "Failed to rebuild our nftables table: %s",
                                                      error ? error : strerror(-r));
        } else {
                /* structure intact: are all elements there? */
                present = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
                for (size_t i = 0; i < m->n_jails; i++) {
                        char **addrs = NULL;
                        usec_t *timeouts = NULL;
                        size_t n = 0;

                        if (nft_backend_list(m->nft, m->jails[i]->name, &addrs, &timeouts, &n) < 0)
                                continue;
                        for (size_t k = 0; k < n; k++) {
                                g_hash_table_add(present, g_strdup_printf("%s %s", m->jails[i]->name, addrs[k]));
                                free(addrs[k]);
                        }
                        free(addrs);
                        free(timeouts);
                }
                x.present = present;
        }

        ban_table_foreach(m->bans, NULL, requeue_one, &x);
        if (x.n > 0) {
                g_clear_pointer(&error, g_free);
                r = nft_backend_commit(m->nft, &error);
                if (r != 0)
                        log_error("nftables refused %d re-added ban(s): %s", r, error ? error : "unknown error");
        }
        if (!reason && x.n == 0) {
                log_debug("nftables changed, our table is intact.");
                return;
        }
        msg = g_strdup_printf("Our nftables table was changed by someone else (%s): rebuilt, %u ban%s put back, "
                              "in %" PRIu64 " ms", reason ? reason : "ban elements were deleted", x.n,
                              x.n == 1 ? "" : "s", (now_usec(CLOCK_MONOTONIC) - t0) / USEC_PER_MSEC);
        log_manager_event(MESSAGE_ID_FIREWALL_REPAIRED, LOG_WARNING, NULL, msg);
}
