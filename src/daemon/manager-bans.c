/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The Manager's ban path: journal entry → filter → failure tracker → ban; the batch commit (one nft
 * transaction, the ban events, one database transaction with the journal cursor); the expiry timer. */
#include <glib.h>
#include <inttypes.h>

#include "expr.h"
#include "log.h"
#include "manager-internal.h"
#include "message-ids.h"

#define PRUNE_INTERVAL_USEC (60 * USEC_PER_SEC)
#define LIMIT_WARN_INTERVAL_USEC (60 * USEC_PER_SEC)

/* ---- bans and expiry ------------------------------------------------------------------------------ */

void manager_ban_info_from_ban(const Ban *b, ManagerBanInfo *ret) {
        *ret = (ManagerBanInfo) {
                .jail = b->jail,
                .start_usec = b->start_usec,
                .end_usec = b->end_usec,
                .failures = b->failures,
                .ban_count = b->ban_count,
        };
        address_to_string(&b->address, ret->address);
}

static void on_ban_expired(const Ban *b, void *userdata) {
        Manager *m = userdata;
        ManagerBanInfo info;
        char addr[ADDRESS_STRING_MAX];
        g_autofree char *msg = g_strdup_printf("%s: ban of %s expired", b->jail, address_to_string(&b->address, addr));

        log_ban_event(MESSAGE_ID_UNBAN, LOG_INFO, b->jail, &b->address, b->end_usec - b->start_usec, b->failures,
                      "expired", msg);
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
 * address banned before (see config.h). *ret_count is the number of this ban (1 for the first). */
usec_t manager_bantime(Manager *m, const Jail *j, const Address *a, usec_t now, unsigned *ret_count) {
        const JailConfig *c = j->rules->config;
        double base_s = (double) c->bantime_usec / (double) USEC_PER_SEC, secs;
        int earlier = 0;
        usec_t u;

        *ret_count = 1;
        if (!c->bantime_increment || c->bantime_usec == USEC_INFINITY)
                return c->bantime_usec;

        if (m->state) {
                earlier = state_count_history(m->state, c->bantime_overalljails ? NULL : j->name, a,
                                              now > c->dbpurgeage_usec ? now - c->dbpurgeage_usec : 0);
                if (earlier < 0) {
                        log_warning_errno(earlier, "%s: failed to read the ban history, not escalating: %m", j->name);
                        earlier = 0;
                }
        }
        /* bans of this batch are not in the history yet */
        for (guint i = 0; i < m->pending->len; i++) {
                const PendingBan *p = &g_array_index(m->pending, PendingBan, i);

                if (address_equal(&p->address, a) && (c->bantime_overalljails || p->jail == j))
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

static void manager_ban(Manager *m, Jail *j, const Address *a, unsigned failures) {
        usec_t now = now_usec(CLOCK_REALTIME), end;
        Ban *b = NULL;
        int r;

        /* Already banned: late entries of an attack that is already stopped (the rest of the batch that
         * banned it, in-flight connections). The ban is not extended: the kernel's element keeps its
         * timeout (an "add element" of an existing element does not change it on older kernels), and the
         * table must say what the kernel does. */
        (void) ban_table_expire(m->bans, now, on_ban_expired, m); /* the timer may lag by up to a second */
        if (ban_table_get(m->bans, j->name, a))
                return;

        unsigned ban_count;
        usec_t bantime = manager_bantime(m, j, a, now, &ban_count);

        end = bantime == USEC_INFINITY ? USEC_INFINITY : now + bantime;
        r = ban_table_add(m->bans, j->name, a, now, end, failures, &b);
        if (r < 0) {
                log_error_errno(r, "%s: failed to record ban: %m", j->name);
                return;
        }
        if (b)
                b->ban_count = ban_count;

        r = nft_backend_queue_ban(m->nft, j->name, a, bantime);
        if (r < 0) {
                log_error_errno(r, "%s: failed to queue ban: %m", j->name);
                (void) ban_table_remove(m->bans, j->name, a);
                return;
        }
        PendingBan p = {
                .jail = j,
                .address = *a,
                .bantime_usec = bantime,
                .failures = failures,
                .ban_count = ban_count,
        };
        g_array_append_val(m->pending, p);
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
                Ban *b = ban_table_get(m->bans, p->jail->name, &p->address);

                if (b)
                        r = state_put_ban(m->state, b);
                if (r >= 0)
                        r = state_add_history(m->state, p->jail->name, &p->address, b ? b->start_usec : now_usec(CLOCK_REALTIME));
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

                address_to_string(&p->address, addr);
                format_duration(bt, sizeof bt, p->bantime_usec);
                if (p->reason)
                        msg = g_strdup_printf("%s: banned %s for %s (%s)", p->jail->name, addr, bt, p->reason);
                else
                        msg = g_strdup_printf("%s: banned %s for %s after %u failures", p->jail->name, addr, bt,
                                              p->failures);

                if (!p->changed) {
                        p->jail->total_banned++;
                        m->n_bans_total++;
                }
                log_ban_event(MESSAGE_ID_BAN, LOG_NOTICE, p->jail->name, &p->address, p->bantime_usec, p->failures,
                              p->reason, msg);
                b = ban_table_get(m->bans, p->jail->name, &p->address);
                if (b) {
                        ManagerBanInfo info;

                        manager_ban_info_from_ban(b, &info);
                        MANAGER_NOTIFY(m, banned, &info);
                }
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

static void manager_handle_failure(Manager *m, Jail *j, const FilterMatch *fm, sd_journal *journal, bool replay) {
        char addr[ADDRESS_STRING_MAX];
        unsigned count = 0;
        usec_t t;
        int r;

        if (manager_is_ignored(m, j, &fm->address)) {
                log_debug("%s: ignoring failure of %s (ignoreip/ignoreself)", j->name,
                          address_to_string(&fm->address, addr));
                return;
        }
        r = journal_entry_get_time(&m->entry, journal, &t);
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
        r = failure_tracker_record(j->tracker, &fm->address, t, &count);
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
                manager_ban(m, j, &fm->address, count);
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
                        r = journal_match_test(j->rules->match, journal);
                        if (r < 0)
                                return r;
                        if (r == 0)
                                continue;
                }
                r = filter_match(j->rules->filter, m->entry.line, m->entry.line_len, &fm);
                if (r < 0)
                        return r;
                if (r == FILTER_FAILURE)
                        manager_handle_failure(m, j, &fm, journal, replay);
                else if (r == FILTER_LIMIT)
                        manager_filter_over_budget(j);
                filter_match_done(&fm);
        }

        /* Trackers drop addresses whose failures left the window; at most once a minute, and only while
         * entries come in: no timer of its own. */
        usec_t now = now_usec(CLOCK_REALTIME);
        if (now > m->last_prune_usec + PRUNE_INTERVAL_USEC) {
                for (size_t i = 0; i < m->n_jails; i++)
                        (void) failure_tracker_prune(m->jails[i]->tracker, now);
                m->last_prune_usec = now;
        }
        return 0;
}
