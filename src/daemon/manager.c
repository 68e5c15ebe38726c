/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <glib.h>
#include <inttypes.h>
#include <systemd/sd-daemon.h>

#include "action-nft.h"
#include "ban.h"
#include "jail.h"
#include "journal-entry.h"
#include "journal-reader.h"
#include "log.h"
#include "manager.h"
#include "message-ids.h"
#include "nft-monitor.h"
#include "ruleset.h"
#include "state.h"

/* Runtime state of one jail. It survives a reload that keeps the jail (found by name), so that failures
 * counted before the reload still count after it. */
typedef struct Jail {
        char *name;
        const JailRules *rules; /* borrowed from Manager.ruleset, replaced on reload */
        FailureTracker *tracker;
        uint64_t total_failed;
        uint64_t total_banned;
        uint64_t limit_hits;
        bool cap_logged;
        usec_t limit_logged_usec; /* CLOCK_MONOTONIC of the last "filter over budget" warning */
} Jail;

/* A ban queued for nft in this batch; its journal event is written once the transaction went through. */
typedef struct PendingBan {
        Jail *jail;
        Address address;
        usec_t bantime_usec;
        unsigned failures;
        unsigned ban_count;
} PendingBan;

struct Manager {
        sd_event *event;
        ManagerOptions options; /* strings borrowed from argv for the life of the process */
        Ruleset *ruleset;
        Jail **jails; /* parallel to ruleset->jails */
        size_t n_jails;
        JournalReader *reader;
        NftBackend *nft;
        BanTable *bans;
        State *state;           /* NULL when the database cannot be used: we keep protecting without it */
        NftMonitor *nft_monitor;
        uint64_t n_too_old;     /* failures older than findtime when read (catch-up after a restart) */
        sd_event_source *expiry_source;
        AddressList self_addresses;
        JournalEntry entry; /* scratch, reused for every entry */
        GArray *pending;    /* PendingBan */
        uint64_t n_failures;
        uint64_t n_bans_total;
        usec_t last_prune_usec;
        char *last_status;
};

#define PRUNE_INTERVAL_USEC (60 * USEC_PER_SEC)
#define LIMIT_WARN_INTERVAL_USEC (60 * USEC_PER_SEC)

static Jail *jail_free(Jail *j) {
        if (!j)
                return NULL;
        failure_tracker_free(j->tracker);
        free(j->name);
        free(j);
        return NULL;
}

static Jail *jail_new(const JailRules *rules) {
        const JailConfig *c = rules->config;
        Jail *j = calloc(1, sizeof(Jail));

        if (!j)
                return NULL;
        j->name = strdup(c->name);
        j->rules = rules;
        j->tracker = failure_tracker_new(c->maxretry, c->findtime_usec, c->maxtracked);
        if (!j->name || !j->tracker)
                return jail_free(j);
        return j;
}

static void jails_free(Jail **jails, size_t n) {
        for (size_t i = 0; i < n; i++)
                jail_free(jails[i]);
        free(jails);
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        journal_reader_free(m->reader);
        nft_monitor_free(m->nft_monitor);
        sd_event_source_disable_unref(m->expiry_source);
        jails_free(m->jails, m->n_jails);
        ruleset_free(m->ruleset);
        nft_backend_free(m->nft);
        ban_table_free(m->bans);
        state_free(m->state);
        address_list_done(&m->self_addresses);
        journal_entry_done(&m->entry);
        if (m->pending)
                g_array_unref(m->pending);
        free(m->last_status);
        sd_event_unref(m->event);
        free(m);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(Manager *, manager_free);

int manager_new(sd_event *event, const ManagerOptions *options, Manager **ret) {
        _cleanup_(manager_freep) Manager *m = NULL;

        m = calloc(1, sizeof(Manager));
        if (!m)
                return -ENOMEM;
        m->event = sd_event_ref(event);
        m->options = *options;
        m->bans = ban_table_new();
        m->pending = g_array_new(false, false, sizeof(PendingBan));
        if (!m->bans)
                return -ENOMEM;
        *ret = TAKE_PTR(m);
        return 0;
}

uint64_t manager_bans_total(const Manager *m) {
        return m->n_bans_total;
}

static ConfigPaths manager_config_paths(const Manager *m) {
        return (ConfigPaths) {
                .config_dir = m->options.config_dir,
                .vendor_dir = m->options.vendor_dir,
        };
}

/* STATUS= for systemctl status; sent only when it changed. */
static void manager_update_status(Manager *m) {
        g_autofree char *s = NULL;

        s = g_strdup_printf("%zu jail%s, %zu banned, %" PRIu64 " failures, %" PRIu64 " entries read",
                            m->n_jails, m->n_jails == 1 ? "" : "s", ban_table_size(m->bans), m->n_failures,
                            m->reader ? journal_reader_entries(m->reader) : 0);
        if (streq_ptr(s, m->last_status))
                return;
        (void) sd_notifyf(false, "STATUS=%s", s);
        free(m->last_status);
        m->last_status = g_steal_pointer(&s);
}

/* An event with a MESSAGE_ID and optionally JAIL= (start, stop, reload, warnings about a jail). */
static void log_manager_event(const char *message_id, int level, const char *jail, const char *message) {
        g_autofree char *f_id = g_strdup_printf("MESSAGE_ID=%s", message_id),
                        *f_jail = jail ? g_strdup_printf("JAIL=%s", jail) : NULL;
        const char *fields[] = { f_id, f_jail, NULL };

        (void) log_event(level, message, fields);
}

static void log_ban_event(const char *message_id, int level, const char *jail, const Address *a,
                          usec_t bantime_usec, unsigned failures, const char *reason, const char *message) {
        char addr[ADDRESS_STRING_MAX];
        g_autofree char *f_id = g_strdup_printf("MESSAGE_ID=%s", message_id),
                        *f_jail = g_strdup_printf("JAIL=%s", jail),
                        *f_addr = g_strdup_printf("ADDRESS=%s", address_to_string(a, addr)),
                        *f_bantime = g_strdup_printf("BANTIME_USEC=%" PRIi64,
                                                     bantime_usec == USEC_INFINITY ? (int64_t) -1 : (int64_t) bantime_usec),
                        *f_failures = g_strdup_printf("FAILURES=%u", failures),
                        *f_reason = g_strdup_printf("REASON=%s", reason ? reason : "");
        const char *fields[] = { f_id, f_jail, f_addr, f_bantime, f_failures, reason ? f_reason : NULL, NULL };

        (void) log_event(level, message, fields);
}

/* ---- bans and expiry ------------------------------------------------------------------------------ */

static void on_ban_expired(const Ban *b, void *userdata) {
        char addr[ADDRESS_STRING_MAX];
        g_autofree char *msg = g_strdup_printf("%s: ban of %s expired", b->jail, address_to_string(&b->address, addr));

        log_ban_event(MESSAGE_ID_UNBAN, LOG_INFO, b->jail, &b->address, b->end_usec - b->start_usec, b->failures,
                      "expired", msg);
}

static int on_expiry(sd_event_source *s, uint64_t usec, void *userdata);

/* The one bookkeeping timer, armed at the earliest ban end. The kernel removes the element itself at
 * that time; we only keep our table and the audit trail in step. */
static void manager_arm_expiry(Manager *m) {
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
                r = state_delete_expired(m->state, now);
                if (r < 0)
                        log_warning_errno(r, "Failed to delete expired bans from the database, ignoring: %m");
        }
        manager_arm_expiry(m);
        manager_update_status(m);
        return 0;
}

static void manager_ban(Manager *m, Jail *j, const Address *a, unsigned failures) {
        const JailConfig *c = j->rules->config;
        usec_t now = now_usec(CLOCK_REALTIME), end;
        Ban *b = NULL;
        int r;

        /* Already banned: late entries of an attack that is already stopped (the rest of the batch that
         * banned it, in-flight connections). The ban is not extended: the kernel's element keeps its
         * timeout (an "add element" of an existing element does not change it on older kernels), and the
         * table must say what the kernel does. */
        if (ban_table_get(m->bans, j->name, a))
                return;

        end = c->bantime_usec == USEC_INFINITY ? USEC_INFINITY : now + c->bantime_usec;
        r = ban_table_add(m->bans, j->name, a, now, end, failures, &b);
        if (r < 0) {
                log_error_errno(r, "%s: failed to record ban: %m", j->name);
                return;
        }

        r = nft_backend_queue_ban(m->nft, j->name, a, c->bantime_usec);
        if (r < 0) {
                log_error_errno(r, "%s: failed to queue ban: %m", j->name);
                (void) ban_table_remove(m->bans, j->name, a);
                return;
        }
        PendingBan p = {
                .jail = j,
                .address = *a,
                .bantime_usec = c->bantime_usec,
                .failures = failures,
                .ban_count = b ? b->ban_count : 1,
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
static void manager_commit(Manager *m) {
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
                g_autofree char *msg = g_strdup_printf("%s: banned %s for %s after %u failures", p->jail->name,
                                                       address_to_string(&p->address, addr),
                                                       format_duration(bt, sizeof bt, p->bantime_usec), p->failures);

                p->jail->total_banned++;
                m->n_bans_total++;
                log_ban_event(MESSAGE_ID_BAN, LOG_NOTICE, p->jail->name, &p->address, p->bantime_usec, p->failures,
                              NULL, msg);
        }
        if (m->pending->len > 0)
                manager_arm_expiry(m);
        g_array_set_size(m->pending, 0);
        manager_update_status(m);
}

static void on_batch_done(void *userdata) {
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

static int on_entry(sd_journal *journal, bool replay, void *userdata) {
        Manager *m = userdata;
        int r;

        r = journal_entry_load(&m->entry, journal);
        if (r <= 0)
                return r;

        for (size_t i = 0; i < m->n_jails; i++) {
                Jail *j = m->jails[i];
                FilterMatch fm = {};

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

/* ---- configuration -------------------------------------------------------------------------------- */

static int manager_refresh_self_addresses(Manager *m) {
        AddressList l = {};
        int r;

        r = address_list_add_local(&l);
        if (r < 0) {
                address_list_done(&l);
                return log_warning_errno(r, "Failed to read this host's addresses, keeping the old list: %m");
        }
        address_list_done(&m->self_addresses);
        m->self_addresses = l;
        return 0;
}

static void log_config_errors(const char *error, const char *what) {
        g_autofree char *msg = g_strdup_printf("%s:\n%s", what, error);

        log_manager_event(MESSAGE_ID_CONFIG_ERROR, LOG_ERR, NULL, msg);
}

/* Builds the runtime jails for RS, taking over the state of same-named jails from the running set. */
static int manager_build_jails(Manager *m, const Ruleset *rs, Jail ***ret) {
        Jail **jails = calloc(MAX(rs->n_jails, (size_t) 1), sizeof(Jail *));

        if (!jails)
                return -ENOMEM;
        for (size_t i = 0; i < rs->n_jails; i++) {
                const JailConfig *c = rs->jails[i].config;
                Jail *old = NULL;

                for (size_t k = 0; k < m->n_jails; k++)
                        if (m->jails[k] && streq(m->jails[k]->name, c->name))
                                old = m->jails[k];
                if (old) {
                        /* move it over; the old array slot is cleared so it is not freed */
                        for (size_t k = 0; k < m->n_jails; k++)
                                if (m->jails[k] == old)
                                        m->jails[k] = NULL;
                        old->rules = &rs->jails[i];
                        failure_tracker_reconfigure(old->tracker, c->maxretry, c->findtime_usec, c->maxtracked);
                        jails[i] = old;
                } else {
                        jails[i] = jail_new(&rs->jails[i]);
                        if (!jails[i]) {
                                jails_free(jails, i);
                                return -ENOMEM;
                        }
                }
        }
        *ret = jails;
        return 0;
}

static NftJailSpec *nft_specs_new(const Ruleset *rs) {
        NftJailSpec *specs = calloc(MAX(rs->n_jails, (size_t) 1), sizeof(NftJailSpec));

        if (!specs)
                return NULL;
        for (size_t i = 0; i < rs->n_jails; i++) {
                const JailConfig *c = rs->jails[i].config;

                specs[i] = (NftJailSpec) {
                        .name = c->name,
                        .ports = c->ports,
                        .n_ports = c->n_ports,
                        .protocol = c->protocol,
                        .blocktype = c->blocktype,
                };
        }
        return specs;
}

static int manager_setup_nft(Manager *m, const Ruleset *rs, char **ret_error) {
        g_autofree NftJailSpec *specs = nft_specs_new(rs);

        if (!specs)
                return -ENOMEM;
        return nft_backend_setup(m->nft, specs, rs->n_jails, ret_error);
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
                g_autofree char *key = g_strdup_printf("%s %s", b->jail, address_to_string(&b->address, addr));

                if (g_hash_table_contains(x->present, key))
                        return;
        }
        if (nft_backend_queue_ban(x->m->nft, b->jail, &b->address,
                                  b->end_usec == USEC_INFINITY ? USEC_INFINITY : b->end_usec - x->now) >= 0)
                x->n++;
}

/* Someone else changed nftables. If our table lost anything (flushed ruleset, deleted table, chain or set,
 * flushed chain), it is rebuilt and every active ban put back with the time it has left; if only elements
 * went missing (a flushed set), they are put back. One transaction either way. */
static void on_nft_changed(void *userdata) {
        Manager *m = userdata;
        g_autofree NftJailSpec *specs = nft_specs_new(m->ruleset);
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

static int manager_set_journal_matches(Manager *m, const Ruleset *rs) {
        g_autofree JournalMatch **matches = calloc(MAX(rs->n_jails, (size_t) 1), sizeof(JournalMatch *));

        if (!matches)
                return -ENOMEM;
        for (size_t i = 0; i < rs->n_jails; i++)
                matches[i] = rs->jails[i].match;
        return journal_reader_set_matches(m->reader, matches, rs->n_jails);
}

static void log_warnings(const Ruleset *rs) {
        for (char **w = rs->warnings; w && *w; w++)
                log_warning("%s", *w);
}

static void collect_ban(const Ban *b, void *userdata) {
        g_array_append_val((GArray *) userdata, *b);
}

/* A jail that a reload removed: its sets went away with their elements, so its bans are over. */
static void manager_forget_jail_bans(Manager *m, const char *jail) {
        g_autoptr(GArray) bans = g_array_new(false, false, sizeof(Ban));

        /* collect first: the table must not change while it is walked */
        ban_table_foreach(m->bans, jail, collect_ban, bans);
        for (guint i = 0; i < bans->len; i++) {
                const Ban *b = &g_array_index(bans, Ban, i);
                char addr[ADDRESS_STRING_MAX];
                g_autofree char *msg = g_strdup_printf("%s: jail removed, ban of %s lifted", jail,
                                                       address_to_string(&b->address, addr));

                log_ban_event(MESSAGE_ID_UNBAN, LOG_INFO, jail, &b->address, b->end_usec - b->start_usec,
                              b->failures, "jail-removed", msg);
        }
        for (guint i = 0; i < bans->len; i++)
                (void) ban_table_remove(m->bans, jail, &g_array_index(bans, Ban, i).address);
        if (m->state) {
                int r = state_delete_jail(m->state, jail);

                if (r < 0)
                        log_warning_errno(r, "Failed to delete the bans of jail '%s' from the database, ignoring: %m",
                                          jail);
        }
}

/* ---- persistent state ----------------------------------------------------------------------------- */

static void manager_open_state(Manager *m) {
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

typedef struct Restore {
        Manager *m;
        usec_t now;
        GHashTable *in_kernel;  /* "jail address" of every element in our sets */
        GHashTable *gone_jails; /* jails of stored bans that are not configured any more */
        unsigned restored;
        unsigned readded;
        unsigned adopted;
} Restore;

static void restore_one(const char *jail, const Address *a, usec_t start, usec_t end, unsigned failures,
                        unsigned ban_count, void *userdata) {
        Restore *x = userdata;
        char addr[ADDRESS_STRING_MAX];
        g_autofree char *key = NULL;
        Ban *b = NULL;

        if (!ruleset_find(x->m->ruleset, jail)) {
                g_hash_table_add(x->gone_jails, g_strdup(jail));
                return;
        }
        if (ban_table_add(x->m->bans, jail, a, start, end, failures, &b) < 0)
                return;
        if (b)
                b->ban_count = ban_count;
        x->restored++;

        /* In the kernel already (a restart without a reboot): its element keeps counting down. Missing (after
         * a reboot, or a flushed ruleset): added again with the time that is left. */
        key = g_strdup_printf("%s %s", jail, address_to_string(a, addr));
        if (g_hash_table_contains(x->in_kernel, key))
                return;
        if (nft_backend_queue_ban(x->m->nft, jail, a, end == USEC_INFINITY ? USEC_INFINITY : end - x->now) >= 0)
                x->readded++;
}

/* At start: the bans of the database come back, with their remaining time, in one nft transaction; and
 * the kernel's elements the database does not know (a lost or damaged database, bans of an earlier run
 * without one) are adopted with the time they have left, so that the table says what the kernel does. */
static int manager_restore_and_log(Manager *m) {
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
                        if (address_parse(addrs[k], &b.address) >= 0) {
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

                if (ban_table_get(m->bans, a->jail, &a->address))
                        continue;
                if (ban_table_add(m->bans, a->jail, &a->address, a->start_usec, a->end_usec, 0, &b) < 0 || !b)
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

int manager_start_and_log(Manager *m) {
        static const JournalReaderCallbacks callbacks = {
                .entry = on_entry,
                .batch_done = on_batch_done,
        };
        ConfigPaths paths = manager_config_paths(m);
        g_autofree char *error = NULL;
        int r;

        r = ruleset_load(&paths, &m->ruleset, &error);
        if (r < 0) {
                log_config_errors(error ? error : strerror(-r), "Configuration is invalid, not starting");
                return r;
        }
        log_warnings(m->ruleset);
        if (m->ruleset->n_jails == 0)
                log_warning("No jail is enabled in %s: watching nothing until a reload enables one.",
                            m->options.config_dir);

        r = manager_build_jails(m, m->ruleset, &m->jails);
        if (r < 0)
                return log_oom();
        m->n_jails = m->ruleset->n_jails;

        (void) manager_refresh_self_addresses(m);

        r = nft_backend_new(m->options.nft_table, &m->nft);
        if (r < 0)
                return log_error_errno(r, "Failed to create the nftables context: %m");
        r = manager_setup_nft(m, m->ruleset, &error);
        if (r < 0)
                return log_error_errno(r, "Failed to set up nftables table 'inet %s': %s", m->options.nft_table,
                                       error ? error : strerror(-r));

        manager_open_state(m);
        (void) manager_restore_and_log(m);

        r = nft_monitor_new(m->event, on_nft_changed, m, &m->nft_monitor);
        if (r < 0)
                log_warning_errno(r, "Cannot watch nftables for changes by others, continuing without: %m "
                                  "(a flushed ruleset is not repaired until the next restart)");

        r = journal_reader_new(m->event, m->options.journal_directory, m->options.journal_files, &callbacks, m,
                               &m->reader);
        if (r < 0)
                return log_error_errno(r, "Failed to open the journal: %m");
        _cleanup_free_ char *cursor = NULL;
        if (m->state) {
                r = state_get_cursor(m->state, &cursor);
                if (r < 0)
                        log_warning_errno(r, "Failed to read the saved journal position, starting at the tail: %m");
        }
        usec_t replay_usec = 0;
        for (size_t i = 0; i < m->n_jails; i++)
                replay_usec = MAX(replay_usec, m->jails[i]->rules->config->findtime_usec);
        r = journal_reader_start(m->reader, cursor, replay_usec, m->options.since_usec);
        if (r < 0)
                return log_error_errno(r, "Failed to start following the journal: %m");
        if (cursor)
                log_info("Resuming the journal after the last entry processed before.");
        r = manager_set_journal_matches(m, m->ruleset);
        if (r < 0)
                return log_error_errno(r, "Failed to add journal matches: %m");

        g_autofree char *msg = g_strdup_printf("Started with %zu jail%s, nftables table 'inet %s'", m->n_jails,
                                               m->n_jails == 1 ? "" : "s", m->options.nft_table);
        log_manager_event(MESSAGE_ID_START, LOG_INFO, NULL, msg);

        (void) sd_notify(false, "READY=1");
        manager_update_status(m);
        return 0;
}

int manager_reload_and_log(Manager *m) {
        ConfigPaths paths = manager_config_paths(m);
        g_autofree char *error = NULL;
        Ruleset *rs = NULL;
        Jail **jails = NULL;
        int r;

        (void) sd_notifyf(false, "RELOADING=1\nMONOTONIC_USEC=%" PRIu64 "\nSTATUS=Reloading configuration…",
                          now_usec(CLOCK_MONOTONIC));

        /* 1. Build everything new without touching the running state. */
        r = ruleset_load(&paths, &rs, &error);
        if (r < 0) {
                log_config_errors(error ? error : strerror(-r), "Reload failed, keeping the running configuration");
                goto finish;
        }
        log_warnings(rs);

        /* 2. The firewall: one transaction; on failure nothing changed in the kernel. */
        r = manager_setup_nft(m, rs, &error);
        if (r < 0) {
                log_error_errno(r, "Reload failed, keeping the running configuration: nftables: %s",
                                error ? error : strerror(-r));
                ruleset_free(rs);
                goto finish;
        }

        /* 3. The journal matches; restore the old ones if that fails. */
        r = manager_set_journal_matches(m, rs);
        if (r < 0) {
                log_error_errno(r, "Reload failed, keeping the running configuration: journal matches: %m");
                (void) manager_set_journal_matches(m, m->ruleset);
                (void) manager_setup_nft(m, m->ruleset, NULL);
                ruleset_free(rs);
                goto finish;
        }

        /* 4. Swap: runtime jails are carried over by name; bans of removed jails are forgotten. */
        r = manager_build_jails(m, rs, &jails);
        if (r < 0) {
                log_oom();
                (void) manager_set_journal_matches(m, m->ruleset);
                (void) manager_setup_nft(m, m->ruleset, NULL);
                ruleset_free(rs);
                goto finish;
        }
        for (size_t i = 0; i < m->n_jails; i++)
                if (m->jails[i]) /* not carried over: removed or disabled */
                        manager_forget_jail_bans(m, m->jails[i]->name);
        jails_free(m->jails, m->n_jails);
        ruleset_free(m->ruleset);
        m->ruleset = rs;
        m->jails = jails;
        m->n_jails = rs->n_jails;
        (void) manager_refresh_self_addresses(m);
        manager_arm_expiry(m);

        error = g_strdup_printf("Configuration reloaded: %zu jail%s", m->n_jails, m->n_jails == 1 ? "" : "s");
        log_manager_event(MESSAGE_ID_RELOAD, LOG_INFO, NULL, error);

finish:
        (void) sd_notify(false, "READY=1");
        free(m->last_status);
        m->last_status = NULL;
        manager_update_status(m);
        return r;
}

void manager_stop(Manager *m) {
        (void) sd_notify(false, "STOPPING=1\nSTATUS=Stopping; bans stay in the kernel until they expire");
        if (m->nft && nft_backend_queued(m->nft) > 0)
                manager_commit(m);

        g_autofree char *msg = g_strdup_printf("Stopping; %zu ban%s stay in the kernel until they expire",
                                               ban_table_size(m->bans), ban_table_size(m->bans) == 1 ? "" : "s");
        log_manager_event(MESSAGE_ID_STOP, LOG_INFO, NULL, msg);
}
