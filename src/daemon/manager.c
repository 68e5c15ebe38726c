/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The Manager object: lifecycle, configuration and status. Bans are in manager-bans.c, persistence and
 * the self-healing firewall in manager-state.c. */
#include <glib.h>
#include <inttypes.h>
#include <systemd/sd-daemon.h>

#include "log.h"
#include "manager-internal.h"
#include "message-ids.h"

static Jail *jail_free(Jail *j) {
        if (!j)
                return NULL;
        failure_tracker_free(j->tracker);
        filter_feed_free(j->feed);
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
        sd_event_source_disable_unref(m->rate_source);
        jails_free(m->jails, m->n_jails);
        ruleset_free(m->ruleset);
        nft_backend_free(m->nft);
        ban_table_free(m->bans);
        prefix_counter_free(m->aggregates);
        state_free(m->state);
        address_list_done(&m->self_addresses);
        journal_entry_done(&m->entry);
        if (m->pending)
                g_array_unref(m->pending);
        if (m->listeners)
                g_array_unref(m->listeners);
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
        m->listeners = g_array_new(false, false, sizeof(ListenerSlot));
        m->run_state = MANAGER_STARTING;
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
                .fail2ban_dir = m->options.fail2ban_dir,
        };
}

/* STATUS= for systemctl status; sent only when it changed. Listeners hear of changed counters. */
void manager_update_status(Manager *m) {
        g_autofree char *s = NULL;

        MANAGER_NOTIFY(m, counters_changed);

        s = g_strdup_printf("%zu jail%s, %zu banned, %" PRIu64 " failures, %" PRIu64 " entries read, %.1f entries/s",
                            m->n_jails, m->n_jails == 1 ? "" : "s", ban_table_size(m->bans), m->n_failures,
                            m->reader ? journal_reader_entries(m->reader) : 0, m->entries_per_sec);
        if (streq_ptr(s, m->last_status))
                return;
        (void) sd_notifyf(false, "STATUS=%s", s);
        free(m->last_status);
        m->last_status = g_steal_pointer(&s);
}

/* The entry rate in STATUS= is measured over fixed intervals, so that an idle daemon shows 0 and not the
 * rate of its last burst. */
static int on_rate_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        usec_t now = now_usec(CLOCK_MONOTONIC);
        uint64_t entries = m->reader ? journal_reader_entries(m->reader) : 0;

        if (now > m->rate_sample_usec)
                m->entries_per_sec = (double) (entries - m->rate_sample_entries) * USEC_PER_SEC /
                                     (double) (now - m->rate_sample_usec);
        m->rate_sample_usec = now;
        m->rate_sample_entries = entries;
        (void) sd_event_source_set_time_relative(s, MANAGER_RATE_INTERVAL_USEC);
        (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        manager_update_status(m);
        return 0;
}

static void manager_start_rate_timer(Manager *m) {
        int r;

        m->rate_sample_usec = now_usec(CLOCK_MONOTONIC);
        m->rate_sample_entries = m->reader ? journal_reader_entries(m->reader) : 0;
        r = sd_event_add_time_relative(m->event, &m->rate_source, CLOCK_MONOTONIC, MANAGER_RATE_INTERVAL_USEC, 0,
                                       on_rate_timer, m);
        if (r < 0)
                log_warning_errno(r, "Failed to start the entry rate timer, ignoring: %m");
}

void manager_set_run_state(Manager *m, ManagerRunState state) {
        if (m->run_state == state)
                return;
        m->run_state = state;
        MANAGER_NOTIFY(m, state_changed, state);
}

Jail *manager_find_jail(Manager *m, const char *name) {
        if (!name)
                return NULL;
        for (size_t i = 0; i < m->n_jails; i++)
                if (streq(m->jails[i]->name, name))
                        return m->jails[i];
        return NULL;
}

/* An event with a MESSAGE_ID and optionally JAIL= (start, stop, reload, warnings about a jail). */
void log_manager_event(const char *message_id, int level, const char *jail, const char *message) {
        g_autofree char *f_id = g_strdup_printf("MESSAGE_ID=%s", message_id),
                        *f_jail = jail ? g_strdup_printf("JAIL=%s", jail) : NULL;
        const char *fields[] = { f_id, f_jail, NULL };

        (void) log_event(level, message, fields);
}

void log_ban_event(const char *message_id, int level, const char *jail, const Address *a,
                   usec_t bantime_usec, unsigned failures, const char *reason, const char *message) {
        AddressPrefix p = ban_host_prefix(a);

        log_ban_event_prefix(message_id, level, jail, &p, bantime_usec, failures, reason, NULL, message);
}

void log_ban_event_prefix(const char *message_id, int level, const char *jail, const AddressPrefix *p,
                          usec_t bantime_usec, unsigned failures, const char *reason, char *const *matches,
                          const char *message) {
        char addr[ADDRESS_STRING_MAX];
        bool host = p->prefixlen == (p->address.family == AF_INET ? 32U : 128U);
        g_autoptr(GPtrArray) fields = g_ptr_array_new_with_free_func(g_free);

        g_ptr_array_add(fields, g_strdup_printf("MESSAGE_ID=%s", message_id));
        g_ptr_array_add(fields, g_strdup_printf("JAIL=%s", jail));
        g_ptr_array_add(fields, g_strdup_printf("ADDRESS=%s", address_prefix_to_string(p, addr)));
        if (!host)
                g_ptr_array_add(fields, g_strdup_printf("PREFIXLEN=%u", p->prefixlen));
        g_ptr_array_add(fields, g_strdup_printf("BANTIME_USEC=%" PRIi64, bantime_usec == USEC_INFINITY ? (int64_t) -1 :
                                                (int64_t) bantime_usec));
        g_ptr_array_add(fields, g_strdup_printf("FAILURES=%u", failures));
        if (reason)
                g_ptr_array_add(fields, g_strdup_printf("REASON=%s", reason));
        if (matches && matches[0]) {
                g_autofree char *joined = g_strjoinv("\n", (char **) matches);

                g_ptr_array_add(fields, g_strconcat("MATCHES=", joined, NULL));
        }
        g_ptr_array_add(fields, NULL);
        (void) log_event(level, message, (const char *const *) fields->pdata);
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

NftJailSpec *manager_nft_specs_new(const Ruleset *rs) {
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
                        .prefixes = jail_config_bans_prefixes(c),
                };
        }
        return specs;
}

static int manager_setup_nft(Manager *m, const Ruleset *rs, char **ret_error) {
        g_autofree NftJailSpec *specs = manager_nft_specs_new(rs);

        if (!specs)
                return -ENOMEM;
        return nft_backend_setup(m->nft, specs, rs->n_jails, ret_error);
}

static int manager_set_journal_matches(Manager *m, const Ruleset *rs) {
        g_autofree JournalMatch **matches = calloc(MAX(rs->n_jails, (size_t) 1), sizeof(JournalMatch *));
        g_autoptr(GPtrArray) fields = g_ptr_array_new_with_free_func(g_free);
        int r;

        if (!matches)
                return -ENOMEM;
        for (size_t i = 0; i < rs->n_jails; i++) {
                matches[i] = rs->jails[i].match;
                journal_match_collect_fields(rs->jails[i].match, fields);
        }
        r = journal_reader_set_matches(m->reader, matches, rs->n_jails);
        if (r < 0)
                return r;
        /* With one jail the journal's own match is exactly the jail's; with more, each entry is tested per
         * jail, with the fields collected in the same pass that builds the line. */
        return journal_entry_watch(&m->entry, rs->n_jails > 1 ? (char *const *) fields->pdata : NULL,
                                   rs->n_jails > 1 ? fields->len : 0);
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
                                                       address_prefix_to_string(&b->prefix, addr));

                log_ban_event_prefix(MESSAGE_ID_UNBAN, LOG_INFO, jail, &b->prefix, b->end_usec - b->start_usec,
                                     b->failures, "jail-removed", NULL, msg);

                ManagerBanInfo info;
                manager_ban_info_from_ban(b, &info);
                MANAGER_NOTIFY(m, unbanned, &info, "jail-removed");
        }
        for (guint i = 0; i < bans->len; i++)
                (void) ban_table_remove_prefix(m->bans, jail, &g_array_index(bans, Ban, i).prefix);
        if (m->state) {
                int r = state_delete_jail(m->state, jail);

                if (r < 0)
                        log_warning_errno(r, "Failed to delete the bans of jail '%s' from the database, ignoring: %m",
                                          jail);
        }
}

int manager_start_and_log(Manager *m) {
        static const JournalReaderCallbacks callbacks = {
                .entry = manager_on_entry,
                .batch_done = manager_on_batch_done,
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

        r = nft_monitor_new(m->event, manager_on_nft_changed, m, &m->nft_monitor);
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

        m->started_at_usec = now_usec(CLOCK_REALTIME);
        (void) sd_notify(false, "READY=1");
        manager_set_run_state(m, MANAGER_RUNNING);
        manager_start_rate_timer(m);
        manager_update_status(m);
        return 0;
}

int manager_reload_and_log(Manager *m) {
        return manager_reload(m, NULL);
}

int manager_reload(Manager *m, char **ret_error) {
        ConfigPaths paths = manager_config_paths(m);
        g_autofree char *error = NULL;
        Ruleset *rs = NULL;
        Jail **jails = NULL;
        int r;

        manager_set_run_state(m, MANAGER_RELOADING);
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
        if (r < 0 && ret_error)
                *ret_error = g_strdup(error ? error : strerror(-r));
        (void) sd_notify(false, "READY=1");
        manager_set_run_state(m, MANAGER_RUNNING);
        if (r >= 0)
                MANAGER_NOTIFY(m, reloaded);
        free(m->last_status);
        m->last_status = NULL;
        manager_update_status(m);
        return r;
}

void manager_stop(Manager *m) {
        manager_set_run_state(m, MANAGER_STOPPING);
        (void) sd_notify(false, "STOPPING=1\nSTATUS=Stopping; bans stay in the kernel until they expire");
        if (m->nft && nft_backend_queued(m->nft) > 0)
                manager_commit(m);

        g_autofree char *msg = g_strdup_printf("Stopping; %zu ban%s stay in the kernel until they expire",
                                               ban_table_size(m->bans), ban_table_size(m->bans) == 1 ? "" : "s");
        log_manager_event(MESSAGE_ID_STOP, LOG_INFO, NULL, msg);
}
