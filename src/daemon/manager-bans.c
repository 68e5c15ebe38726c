/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The Manager's ban path: journal entry → filter → failure tracker → ban; the batch commit (one nft
 * transaction, the ban events, one database transaction with the journal cursor); the expiry timer. */
#include <assert.h>
#include <glib.h>
#include <inttypes.h>

#include "expr.h"
#include "log.h"
#include "manager-internal.h"
#include "message-ids.h"

#define PRUNE_INTERVAL_USEC (60 * USEC_PER_SEC)
#define LIMIT_WARN_INTERVAL_USEC (60 * USEC_PER_SEC)

/* ---- bans and expiry ------------------------------------------------------------------------------ */

static bool prefix_is_host(const AddressPrefix *p) {
        return p->prefixlen == (p->address.family == AF_INET ? 32U : 128U);
}

void manager_ban_info_from_ban(const Ban *b, ManagerBanInfo *ret) {
        *ret = (ManagerBanInfo) {
                .jail = b->jail,
                .start_usec = b->start_usec,
                .end_usec = b->end_usec,
                .failures = b->failures,
                .ban_count = b->ban_count,
        };
        address_prefix_to_string(&b->prefix, ret->address);
}

static void on_ban_expired(const Ban *b, void *userdata) {
        Manager *m = userdata;
        ManagerBanInfo info;
        char addr[ADDRESS_STRING_MAX];
        g_autofree char *msg = g_strdup_printf("%s: ban of %s expired", b->jail,
                                               address_prefix_to_string(&b->prefix, addr));

        log_ban_event_prefix(MESSAGE_ID_UNBAN, LOG_INFO, b->jail, &b->prefix, b->end_usec - b->start_usec,
                             b->failures, "expired", NULL, msg);
        manager_ban_info_from_ban(b, &info);
        MANAGER_NOTIFY(m, unbanned, &info, "expired");
}

static int on_expiry(sd_event_source *s, uint64_t usec, void *userdata);

/* The one bookkeeping timer, armed at the earliest ban end. The kernel removes the element itself at
 * that time; we only keep our table and the audit trail in step. */
void manager_arm_expiry(Manager *m) {
        usec_t next = ban_table_next_expiry(m->bans);
        int r;

        if (next == USEC_INFINITY) {
                if (m->expiry_source)
                        (void) sd_event_source_set_enabled(m->expiry_source, SD_EVENT_OFF);
                return;
        }
        if (!m->expiry_source) {
                r = sd_event_add_time(m->event, &m->expiry_source, CLOCK_REALTIME, next, USEC_PER_SEC,
                                      on_expiry, m);
                if (r < 0) {
                        log_warning_errno(r, "Failed to arm the expiry timer, ignoring: %m");
                        return;
                }
                (void) sd_event_source_set_description(m->expiry_source, "ban-expiry");
        } else
                (void) sd_event_source_set_time(m->expiry_source, next);
        (void) sd_event_source_set_enabled(m->expiry_source, SD_EVENT_ONESHOT);
}

static int on_expiry(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        usec_t now = now_usec(CLOCK_REALTIME);
        int r;

        (void) ban_table_expire(m->bans, now, on_ban_expired, m);
        if (m->state) {
                usec_t purge = 0;

                r = state_delete_expired(m->state, now);
                if (r < 0)
                        log_warning_errno(r, "Failed to delete expired bans from the database, ignoring: %m");
                /* the ban history only matters for dbpurgeage (the longest of all jails) */
                for (size_t i = 0; i < m->n_jails; i++)
                        purge = MAX(purge, m->jails[i]->rules->config->dbpurgeage_usec);
                if (purge > 0 && now > purge && (r = state_prune_history(m->state, now - purge)) < 0)
                        log_warning_errno(r, "Failed to prune the ban history, ignoring: %m");
        }
        manager_arm_expiry(m);
        manager_update_status(m);
        return 0;
}

/* The length of a new ban of A in J: the jail's bantime, or with bantime.increment the escalated one for an
 * address (or prefix) banned before (see config.h). *ret_count is the number of this ban (1 for the first). */
usec_t manager_bantime(Manager *m, const Jail *j, const AddressPrefix *a, usec_t now, unsigned *ret_count) {
        const JailConfig *c = j->rules->config;
        double base_s = (double) c->bantime_usec / (double) USEC_PER_SEC, secs;
        int earlier = 0;
        usec_t u;

        *ret_count = 1;
        if (!c->bantime_increment || c->bantime_usec == USEC_INFINITY)
                return c->bantime_usec;

        if (m->state) {
                earlier = state_count_history_prefix(m->state, c->bantime_overalljails ? NULL : j->name, a,
                                                     now > c->dbpurgeage_usec ? now - c->dbpurgeage_usec : 0);
                if (earlier < 0) {
                        log_warning_errno(earlier, "%s: failed to read the ban history, not escalating: %m", j->name);
                        earlier = 0;
                }
        }
        /* bans of this batch are not in the history yet */
        for (guint i = 0; i < m->pending->len; i++) {
                const PendingBan *p = &g_array_index(m->pending, PendingBan, i);

                if (p->prefix.prefixlen == a->prefixlen && address_equal(&p->address, &a->address) &&
                    (c->bantime_overalljails || p->jail == j))
                        earlier++;
        }

        if (c->n_bantime_multipliers > 0)
                secs = base_s * c->bantime_multipliers[MIN((size_t) earlier, c->n_bantime_multipliers - 1)];
        else {
                const ExprVariable vars[] = {
                        { "ban.Time", base_s }, { "ban.Count", earlier }, { "banFactor", c->bantime_factor },
                };
                g_autofree char *error = NULL;
                Expr *e = NULL;

                if (expr_parse(c->bantime_formula ?: BANTIME_FORMULA_DEFAULT, &e, &error) < 0 ||
                    expr_evaluate(e, vars, ELEMENTSOF(vars), &secs) < 0 || !(secs > 0)) {
                        log_warning("%s: bantime.formula gave no usable time, using bantime", j->name);
                        secs = base_s;
                }
                expr_free(e);
        }
        /* at most 100 years (the kernel refuses longer timeouts), at least a second */
        secs = MIN(MAX(secs, 1.0), 100.0 * 365.25 * 86400.0);
        u = (usec_t) (secs * (double) USEC_PER_SEC);
        if (c->bantime_rndtime_usec > 0)
                u += (usec_t) (g_random_double() * (double) c->bantime_rndtime_usec);
        if (c->bantime_maxtime_usec > 0)
                u = MIN(u, c->bantime_maxtime_usec);
        *ret_count = (unsigned) earlier + 1;
        return u;
}

/* Whether A and B share an address (one contains the other). */
static bool prefixes_overlap(const AddressPrefix *a, const AddressPrefix *b) {
        const AddressPrefix *wide = a->prefixlen <= b->prefixlen ? a : b, *narrow = wide == a ? b : a;

        return wide->address.family == narrow->address.family && address_prefix_contains(wide, &narrow->address);
}

/* A prefix that holds an address of ignoreip (or of this host, with ignoreself) is never banned. Returns the
 * entry in question in *ret_which for the log. */
static bool manager_prefix_is_ignored(Manager *m, const Jail *j, const AddressPrefix *p, AddressPrefix *ret_which) {
        const JailConfig *c = j->rules->config;

        for (size_t i = 0; i < c->ignoreip.n; i++)
                if (prefixes_overlap(p, &c->ignoreip.items[i])) {
                        *ret_which = c->ignoreip.items[i];
                        return true;
                }
        if (c->ignoreself)
                for (size_t i = 0; i < m->self_addresses.n; i++)
                        if (prefixes_overlap(p, &m->self_addresses.items[i])) {
                                *ret_which = m->self_addresses.items[i];
                                return true;
                        }
        return false;
}

/* The length of J's aggregate prefix for FAMILY, 0 without aggregation. */
static unsigned aggregate_prefixlen(const Jail *j, int family) {
        const JailConfig *c = j->rules->config;

        if (!c->aggregate)
                return 0;
        return family == AF_INET ? c->aggregate_prefix4 : c->aggregate_prefix6;
}

/* A ban of J that already covers P: P itself, or the wider prefix of banprefix6 or aggregation holding it.
 * Two lookups at most, whatever the number of bans. */
static Ban *manager_covering_ban(Manager *m, const Jail *j, const AddressPrefix *p) {
        const unsigned lengths[] = {
                p->prefixlen,
                p->address.family == AF_INET6 ? j->rules->config->banprefix6 : 0,
                aggregate_prefixlen(j, p->address.family),
        };

        for (size_t i = 0; i < ELEMENTSOF(lengths); i++) {
                AddressPrefix wide = *p;
                Ban *b;

                if (i > 0 && (lengths[i] == 0 || lengths[i] >= p->prefixlen))
                        continue;
                wide.prefixlen = lengths[i];
                address_mask(&wide.address, wide.prefixlen);
                b = ban_table_get_prefix(m->bans, j->name, &wide);
                if (b)
                        return b;
        }
        return NULL;
}

typedef struct Subsumed {
        const AddressPrefix *wide;
        GArray *bans; /* Ban (copies; .jail borrowed) */
} Subsumed;

static void collect_subsumed(const Ban *b, void *userdata) {
        Subsumed *x = userdata;

        /* hosts live in the plain sets and do not clash with the interval set: they stay until they expire */
        if (!ban_is_host(b) && b->prefix.prefixlen > x->wide->prefixlen &&
            b->address.family == x->wide->address.family && address_prefix_contains(x->wide, &b->address))
                g_array_append_val(x->bans, *b);
}

/* A new prefix ban NEW in J replaces the narrower prefix bans of J inside it: the kernel refuses overlapping
 * intervals in one set. They go from the table, the database and the set (deleted in the same transaction,
 * before NEW is added), and NEW lasts at least as long as the longest of them. O(bans of all jails), once per
 * prefix ban that is wider than other prefix bans: rare (aggregation of /banprefix6 bans, a manual ban). */
static void manager_subsume(Manager *m, Jail *j, Ban *new) {
        g_autoptr(GArray) bans = g_array_new(false, false, sizeof(Ban));
        Subsumed x = { .wide = &new->prefix, .bans = bans };
        bool extended = false;
        int r;

        ban_table_foreach(m->bans, j->name, collect_subsumed, &x);
        for (guint i = 0; i < bans->len; i++) {
                const Ban *b = &g_array_index(bans, Ban, i);
                AddressPrefix p = b->prefix;
                char addr[ADDRESS_STRING_MAX], wide[ADDRESS_STRING_MAX];
                g_autofree char *msg = g_strdup_printf("%s: ban of %s replaced by the ban of prefix %s", j->name,
                                                       address_prefix_to_string(&p, addr),
                                                       address_prefix_to_string(&new->prefix, wide));

                if (b->end_usec > new->end_usec) {
                        /* adding an existing ban with a later end extends it (and keeps the expiry index right) */
                        (void) ban_table_add_prefix(m->bans, j->name, &new->prefix, new->start_usec, b->end_usec,
                                                    new->failures, NULL);
                        extended = true;
                }
                log_ban_event_prefix(MESSAGE_ID_UNBAN, LOG_INFO, j->name, &p, b->end_usec - b->start_usec,
                                     b->failures, "subsumed", NULL, msg);
                ManagerBanInfo info;
                manager_ban_info_from_ban(b, &info);
                MANAGER_NOTIFY(m, unbanned, &info, "subsumed");
                r = nft_backend_queue_unban_prefix(m->nft, j->name, &p);
                if (r < 0)
                        log_warning_errno(r, "%s: failed to queue the unban of %s, ignoring: %m", j->name, addr);
                if (m->state && (r = state_delete_ban_prefix(m->state, j->name, &p)) < 0)
                        log_warning_errno(r, "%s: failed to delete the ban of %s from the database, ignoring: %m",
                                          j->name, addr);
                (void) ban_table_remove_prefix(m->bans, j->name, &p);
        }
        if (extended) {
                usec_t now = now_usec(CLOCK_REALTIME);

                r = nft_backend_queue_ban_prefix(m->nft, j->name, &new->prefix, new->end_usec == USEC_INFINITY ?
                                                 USEC_INFINITY : new->end_usec > now ? new->end_usec - now : 1);
                if (r < 0)
                        log_warning_errno(r, "%s: failed to extend the ban of a prefix, ignoring: %m", j->name);
        }
}

/* Aggregation: NEW (a ban of J narrower than the aggregate prefix) is counted in its aggregate prefix; the
 * aggregate.count-th distinct one within aggregate.window bans the prefix. */
static void manager_aggregate(Manager *m, Jail *j, const AddressPrefix *new, unsigned failures, usec_t now) {
        const JailConfig *c = j->rules->config;
        unsigned len = aggregate_prefixlen(j, new->address.family);
        AddressPrefix agg = *new, which;
        char addr[ADDRESS_STRING_MAX], ign[ADDRESS_STRING_MAX], window[DURATION_STRING_MAX];
        int n;

        if (len == 0 || new->prefixlen <= len)
                return;
        agg.prefixlen = len;
        address_mask(&agg.address, len);

        if (!m->aggregates)
                m->aggregates = prefix_counter_new(PREFIX_COUNTER_MAX_DEFAULT);
        n = prefix_counter_record(m->aggregates, j->name, &agg, new, now, c->aggregate_window_usec,
                                  c->aggregate_count);
        if (n < 0 || (unsigned) n < c->aggregate_count)
                return;

        /* Counting starts again, whatever comes next: an ignored prefix is said once per aggregate.count bans. */
        (void) prefix_counter_forget(m->aggregates, j->name, &agg);
        if (manager_prefix_is_ignored(m, j, &agg, &which)) {
                log_notice("%s: %u addresses of %s were banned within %s, but the prefix holds %s (ignoreip/"
                           "ignoreself): not banning the prefix", j->name, c->aggregate_count,
                           address_prefix_to_string(&agg, addr),
                           format_duration(window, sizeof window, c->aggregate_window_usec), address_prefix_to_string(&which, ign));
                return;
        }
        (void) manager_ban(m, j, &agg, failures, NULL, 0, NULL);
}

int manager_ban(Manager *m, Jail *j, const AddressPrefix *prefix, unsigned failures, char **matches,
                usec_t bantime_usec, const char *reason) {
        g_auto(GStrv) owned_matches = matches;
        usec_t now = now_usec(CLOCK_REALTIME), end;
        Ban *b = NULL;
        int r;

        assert(prefix);

        /* Already banned: late entries of an attack that is already stopped (the rest of the batch that
         * banned it, in-flight connections). The ban is not extended: the kernel's element keeps its
         * timeout (an "add element" of an existing element does not change it on older kernels), and the
         * table must say what the kernel does. A wider ban of the jail that holds it counts as well. */
        (void) ban_table_expire(m->bans, now, on_ban_expired, m); /* the timer may lag by up to a second */
        if (manager_covering_ban(m, j, prefix))
                return 0;

        unsigned ban_count = 1;
        usec_t bantime = bantime_usec > 0 ? bantime_usec : manager_bantime(m, j, prefix, now, &ban_count);

        end = bantime == USEC_INFINITY ? USEC_INFINITY : now + bantime;
        r = ban_table_add_prefix(m->bans, j->name, prefix, now, end, failures, &b);
        if (r < 0)
                return log_error_errno(r, "%s: failed to record ban: %m", j->name);
        if (b)
                b->ban_count = ban_count;

        r = nft_backend_queue_ban_prefix(m->nft, j->name, prefix, bantime);
        if (r < 0) {
                (void) ban_table_remove_prefix(m->bans, j->name, prefix);
                return log_error_errno(r, "%s: failed to queue ban: %m", j->name);
        }
        PendingBan p = {
                .jail = j,
                .prefix = *prefix,
                .bantime_usec = bantime,
                .failures = failures,
                .ban_count = ban_count,
                .reason = reason,
                .matches = g_steal_pointer(&owned_matches),
        };
        g_array_append_val(m->pending, p);

        if (!prefix_is_host(prefix) && b)
                manager_subsume(m, j, b);
        manager_aggregate(m, j, prefix, failures, now);
        return 1;
}

/* A ban from failures of A: as its /banprefix6 for IPv6 when the jail says so (but never a prefix that holds
 * an ignored address: then the host alone). */
static void manager_ban_failed(Manager *m, Jail *j, const Address *a, unsigned failures, char **matches) {
        AddressPrefix p = ban_host_prefix(a), which;
        unsigned len = j->rules->config->banprefix6;

        if (a->family == AF_INET6 && len < BANPREFIX6_OFF) {
                AddressPrefix wide = p;

                wide.prefixlen = len;
                address_mask(&wide.address, len);
                if (!manager_prefix_is_ignored(m, j, &wide, &which))
                        p = wide;
                else {
                        char addr[ADDRESS_STRING_MAX], ign[ADDRESS_STRING_MAX];

                        log_info("%s: %s holds %s (ignoreip/ignoreself): banning the address alone", j->name,
                                 address_prefix_to_string(&wide, addr), address_prefix_to_string(&which, ign));
                }
        }
        (void) manager_ban(m, j, &p, failures, matches, 0, NULL);
}

/* Writes the bans of this batch and the journal cursor in ONE transaction: after a crash the cursor never
 * points past an entry whose ban was lost. A database that fails is reported, and we go on protecting. */
static void manager_save_batch(Manager *m) {
        _cleanup_free_ char *cursor = NULL;
        int r;

        if (!m->state)
                return;
        if (!journal_reader_replaying(m->reader)) {
                r = journal_reader_get_cursor(m->reader, &cursor);
                if (r < 0)
                        cursor = NULL;
        }
        if (!cursor && m->pending->len == 0)
                return; /* nothing read yet, or only replayed entries */

        r = state_begin(m->state);
        for (guint i = 0; r >= 0 && i < m->pending->len; i++) {
                PendingBan *p = &g_array_index(m->pending, PendingBan, i);
                Ban *b = ban_table_get_prefix(m->bans, p->jail->name, &p->prefix);

                if (b)
                        r = state_put_ban(m->state, b);
                if (r >= 0)
                        r = state_add_history_prefix(m->state, p->jail->name, &p->prefix,
                                                     b ? b->start_usec : now_usec(CLOCK_REALTIME));
        }
        if (r >= 0 && cursor)
                r = state_set_cursor(m->state, cursor);
        if (r >= 0)
                r = state_commit(m->state);
        else
                state_rollback(m->state);
        if (r < 0)
                log_error_errno(r, "Failed to save bans and journal position in the database: %m "
                                "(bans stay in the kernel; after a restart this batch may be read again)");
}

/* End of a batch of journal entries: one nft transaction for all bans of the batch, their events, and one
 * database transaction with them and the journal position. */
void manager_commit(Manager *m) {
        g_autofree char *error = NULL;
        int r;

        if (nft_backend_queued(m->nft) > 0) {
                r = nft_backend_commit(m->nft, &error);
                if (r != 0)
                        log_error("nftables refused %s%d operation(s) of this batch: %s", r < 0 ? "all " : "",
                                  r < 0 ? (int) m->pending->len : r, error ? error : "unknown error");
        }
        manager_save_batch(m);

        for (guint i = 0; i < m->pending->len; i++) {
                PendingBan *p = &g_array_index(m->pending, PendingBan, i);
                char addr[ADDRESS_STRING_MAX], bt[DURATION_STRING_MAX];
                g_autofree char *msg = NULL;
                const Ban *b;

                address_prefix_to_string(&p->prefix, addr);
                format_duration(bt, sizeof bt, p->bantime_usec);
                if (p->reason)
                        msg = g_strdup_printf("%s: banned %s%s for %s (%s)", p->jail->name,
                                              prefix_is_host(&p->prefix) ? "" : "prefix ", addr, bt, p->reason);
                else
                        msg = g_strdup_printf("%s: banned %s%s for %s after %u failures", p->jail->name,
                                              prefix_is_host(&p->prefix) ? "" : "prefix ", addr, bt, p->failures);

                if (!p->changed) {
                        p->jail->total_banned++;
                        m->n_bans_total++;
                }
                log_ban_event_prefix(MESSAGE_ID_BAN, LOG_NOTICE, p->jail->name, &p->prefix, p->bantime_usec,
                                     p->failures, p->reason, p->matches, msg);
                b = ban_table_get_prefix(m->bans, p->jail->name, &p->prefix);
                if (b) {
                        ManagerBanInfo info;

                        manager_ban_info_from_ban(b, &info);
                        info.matches = (const char *const *) p->matches;
                        MANAGER_NOTIFY(m, banned, &info);
                }
                g_clear_pointer(&p->matches, g_strfreev);
        }
        if (m->pending->len > 0)
                manager_arm_expiry(m);
        g_array_set_size(m->pending, 0);
        manager_update_status(m);
}

void manager_on_batch_done(void *userdata) {
        manager_commit(userdata);
}

/* ---- journal entries ------------------------------------------------------------------------------ */

static bool manager_is_ignored(Manager *m, const Jail *j, const Address *a) {
        const JailConfig *c = j->rules->config;

        if (address_list_contains(&c->ignoreip, a))
                return true;
        return c->ignoreself && address_list_contains(&m->self_addresses, a);
}

/* T is the entry's time when already read (multi-line filters need it first), else USEC_INFINITY. */
static void manager_handle_failure(Manager *m, Jail *j, const FilterMatch *fm, sd_journal *journal, usec_t t,
                                   bool replay) {
        char addr[ADDRESS_STRING_MAX];
        g_auto(GStrv) matches = NULL;
        unsigned count = 0;
        int r;

        if (manager_is_ignored(m, j, &fm->address)) {
                log_debug("%s: ignoring failure of %s (ignoreip/ignoreself)", j->name,
                          address_to_string(&fm->address, addr));
                return;
        }
        r = t != USEC_INFINITY ? 0 : journal_entry_get_time(&m->entry, journal, &t);
        if (r < 0) {
                log_warning_errno(r, "Failed to read entry time, ignoring entry: %m");
                return;
        }

        /* An entry read late (catch-up after a restart or a stop) whose failure left the window already:
         * it cannot contribute to a ban any more, as under fail2ban. */
        if (t + j->rules->config->findtime_usec < now_usec(CLOCK_REALTIME)) {
                m->n_too_old++;
                return;
        }

        if (!replay) {
                j->total_failed++;
                m->n_failures++;
        }
        /* maxmatches: the tracker keeps the lines for the ban's record (cheap to set on every failure) */
        failure_tracker_set_max_matches(j->tracker, j->rules->config->maxmatches);
        r = failure_tracker_record_line(j->tracker, &fm->address, t, m->entry.line, m->entry.line_len, &count,
                                        &matches);
        if (r < 0) {
                log_warning_errno(r, "%s: failed to record failure: %m", j->name);
                return;
        }
        log_debug("%s: failure %u/%u from %s%s%s%s", j->name, count, j->rules->config->maxretry,
                  address_to_string(&fm->address, addr), fm->user ? " (user '" : "", fm->user ? fm->user : "",
                  fm->user ? "')" : "");
        if (!j->cap_logged && failure_tracker_evicted(j->tracker) > 0) {
                g_autofree char *msg = g_strdup_printf("%s: more than %u addresses with failures; forgetting the "
                                                       "oldest (logged once)", j->name,
                                                       j->rules->config->maxtracked);

                log_manager_event(MESSAGE_ID_TRACKER_CAP, LOG_WARNING, j->name, msg);
                j->cap_logged = true;
        }
        /* A replayed entry (processed before a restart) rebuilds the count but never bans: if that address
         * reached maxretry before the restart, it was banned then (and the ban was restored, or has expired). */
        if (r == TRACK_BAN && !replay)
                manager_ban_failed(m, j, &fm->address, count, TAKE_PTR(matches));
}

static void manager_filter_over_budget(Jail *j) {
        usec_t now = now_usec(CLOCK_MONOTONIC);

        j->limit_hits++;
        if (j->limit_logged_usec != 0 && now < j->limit_logged_usec + LIMIT_WARN_INTERVAL_USEC)
                return;
        j->limit_logged_usec = now;

        g_autofree char *msg = g_strdup_printf("%s: a regex of filter '%s' hit the PCRE2 match limit (%" PRIu64
                                               " times so far); such entries count as no match", j->name,
                                               j->rules->config->filter_spec, j->limit_hits);
        log_manager_event(MESSAGE_ID_FILTER_LIMIT, LOG_WARNING, j->name, msg);
}

/* Matches the entry's line for J: directly with filter_match() (single-line filters: no allocation, no
 * time lookup, the path as it always was), or through the jail's FilterFeed (buffer, sessions), which
 * needs the entry's time first (*t then holds it). */
static int manager_jail_feed(Manager *m, Jail *j, sd_journal *journal, usec_t *t, FilterMatch *fm) {
        Filter *f = j->rules->filter;
        unsigned maxlines = j->rules->config->maxlines;
        int r;

        if (!j->feed && !filter_feed_needed(f, maxlines))
                return filter_match(f, m->entry.line, m->entry.line_len, fm);

        /* first use, or a reload brought another filter: start afresh */
        if (j->feed_filter != f || !j->feed) {
                j->feed = filter_feed_free(j->feed);
                j->feed_filter = NULL;
                if (!filter_feed_needed(f, maxlines))
                        return filter_match(f, m->entry.line, m->entry.line_len, fm);
                j->feed = filter_feed_new(f, maxlines);
                if (!j->feed)
                        return -ENOMEM;
                j->feed_filter = f;
        }
        r = journal_entry_get_time(&m->entry, journal, t);
        if (r < 0) {
                log_warning_errno(r, "Failed to read entry time, ignoring entry: %m");
                return FILTER_NO_MATCH;
        }
        return filter_feed_line(j->feed, f, m->entry.line, m->entry.line_len, *t, fm);
}

int manager_on_entry(sd_journal *journal, bool replay, void *userdata) {
        Manager *m = userdata;
        int r;

        r = journal_entry_load(&m->entry, journal);
        if (r <= 0)
                return r;

        for (size_t i = 0; i < m->n_jails; i++) {
                Jail *j = m->jails[i];
                FilterMatch fm = {};

                if (j->stopped)
                        continue;
                /* With one jail the journal's own match is exactly the jail's. */
                if (m->n_jails > 1) {
                        r = journal_match_test_with(j->rules->match, journal_entry_get_item, &m->entry);
                        if (r < 0)
                                return r;
                        if (r == 0)
                                continue;
                }
                usec_t t = USEC_INFINITY;
                r = manager_jail_feed(m, j, journal, &t, &fm);
                if (r < 0)
                        return r;
                if (r == FILTER_FAILURE)
                        manager_handle_failure(m, j, &fm, journal, t, replay);
                else if (r == FILTER_LIMIT)
                        manager_filter_over_budget(j);
                filter_match_done(&fm);
        }

        /* Trackers drop addresses whose failures left the window; at most once a minute, and only while
         * entries come in: no timer of its own. */
        usec_t now = now_usec(CLOCK_REALTIME);
        if (now > m->last_prune_usec + PRUNE_INTERVAL_USEC) {
                for (size_t i = 0; i < m->n_jails; i++) {
                        (void) failure_tracker_prune(m->jails[i]->tracker, now);
                        filter_feed_prune(m->jails[i]->feed, now);
                }
                m->last_prune_usec = now;
        }
        return 0;
}
