/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The Manager's control API (manager.h): status, jails and bans for the front ends (D-Bus, control
 * socket), manual bans and unbans through the same path as automatic ones, runtime jail changes, and
 * the listeners that front ends use for signals and streamed events. Input is validated here, once. */
#include <glib.h>

#include "build-config.h"
#include "log.h"
#include "manager-internal.h"
#include "message-ids.h"

static const char *const run_state_table[_MANAGER_RUN_STATE_MAX] = {
        [MANAGER_STARTING] = "starting",
        [MANAGER_RUNNING] = "running",
        [MANAGER_RELOADING] = "reloading",
        [MANAGER_STOPPING] = "stopping",
};

const char *manager_run_state_to_string(ManagerRunState s) {
        return s >= 0 && s < _MANAGER_RUN_STATE_MAX ? run_state_table[s] : NULL;
}

void manager_get_status(Manager *m, ManagerStatus *ret) {
        *ret = (ManagerStatus) {
                .version = PACKAGE_VERSION,
                .state = m->run_state,
                .started_at_usec = m->started_at_usec,
                .n_jails = m->n_jails,
                .currently_banned = ban_table_size(m->bans),
                .total_banned = m->n_bans_total,
                .entries_processed = m->reader ? journal_reader_entries(m->reader) : 0,
                .failures_seen = m->n_failures,
        };
}

int manager_get_cursor(Manager *m, char **ret) {
        int r;

        *ret = NULL;
        if (!m->reader)
                return 0;
        r = journal_reader_get_cursor(m->reader, ret);
        if (r < 0) {
                *ret = NULL;
                return r == -EADDRNOTAVAIL || r == -ENOENT ? 0 : r; /* nothing read yet */
        }
        return 0;
}

/* ---- jails ----------------------------------------------------------------------------------------- */

size_t manager_n_jails(const Manager *m) {
        return m->n_jails;
}

static void jail_info(Manager *m, const Jail *j, ManagerJailInfo *ret) {
        const JailConfig *c = j->rules->config;

        *ret = (ManagerJailInfo) {
                .name = j->name,
                .running = !j->stopped,
                .filter = c->filter_spec,
                .journalmatch = c->journalmatch ?: "",
                .maxretry = c->maxretry,
                .findtime_usec = c->findtime_usec,
                .bantime_usec = c->bantime_usec,
                .ports = c->ports,
                .n_ports = c->n_ports,
                .protocol = protocol_to_string(c->protocol),
                .blocktype = block_type_to_string(c->blocktype),
                .currently_failed = failure_tracker_size(j->tracker),
                .total_failed = j->total_failed,
                .currently_banned = ban_table_count_jail(m->bans, j->name),
                .total_banned = j->total_banned,
        };
}

int manager_get_jail_by_index(Manager *m, size_t i, ManagerJailInfo *ret) {
        if (i >= m->n_jails)
                return -ENOENT;
        jail_info(m, m->jails[i], ret);
        return 0;
}

int manager_get_jail(Manager *m, const char *name, ManagerJailInfo *ret) {
        Jail *j = manager_find_jail(m, name);

        if (!j)
                return -ENOENT;
        jail_info(m, j, ret);
        return 0;
}

int manager_set_jail_running(Manager *m, const char *jail, bool running) {
        Jail *j = manager_find_jail(m, jail);

        if (!j)
                return -ENOENT;
        if (j->stopped == !running)
                return 0;
        j->stopped = !running;
        if (!running) /* counting starts afresh when it runs again */
                (void) failure_tracker_prune(j->tracker, USEC_INFINITY);

        g_autofree char *msg = g_strdup_printf("%s: jail %s", j->name, running ? "started" : "stopped");
        log_manager_event(MESSAGE_ID_JAIL_CHANGED, LOG_INFO, j->name, msg);
        manager_update_status(m);
        return 1;
}

static bool duration_valid(usec_t d) {
        return d == USEC_INFINITY || (d > 0 && d <= MANAGER_DURATION_MAX_USEC);
}

int manager_set_jail_bantime(Manager *m, const char *jail, usec_t bantime_usec) {
        Jail *j = manager_find_jail(m, jail);

        if (!j)
                return -ENOENT;
        if (!duration_valid(bantime_usec))
                return -ERANGE;
        /* The ruleset is ours; JailRules only lends it out read-only to the rest of the daemon. */
        ((JailConfig *) j->rules->config)->bantime_usec = bantime_usec;

        char bt[DURATION_STRING_MAX];
        g_autofree char *msg = g_strdup_printf("%s: bantime set to %s until the next reload", j->name,
                                               format_duration(bt, sizeof bt, bantime_usec));
        log_manager_event(MESSAGE_ID_JAIL_CHANGED, LOG_INFO, j->name, msg);
        return 0;
}

/* ---- bans ------------------------------------------------------------------------------------------ */

/* An address ("1.2.3.4") or a prefix ("10.0.0.0/24") to ban or unban, from front-end text. */
static int parse_target(const char *text, bool for_ban, AddressPrefix *ret) {
        AddressPrefix p;

        if (!text || address_prefix_parse(text, &p) < 0)
                return -EINVAL;
        if (for_ban && (address_is_special(&p.address) || p.prefixlen == 0))
                return -EADDRNOTAVAIL;
        *ret = p;
        return 0;
}

/* Sorting compares the Ban's binary address, and only the requested page is formatted: with 100,000
 * bans, sorting pointers costs ~20 ms, where sorting formatted infos (parsing the text back in every
 * comparison) cost over a second. A sorted index kept up to date would make a page O(limit); not needed
 * at this size. */
static int ban_compare(const void *a, const void *b) {
        const Ban *x = *(const Ban *const *) a, *y = *(const Ban *const *) b;
        int c = strcmp(x->jail, y->jail);

        if (c != 0)
                return c;
        if (x->prefix.address.family != y->prefix.address.family)
                return x->prefix.address.family == AF_INET ? -1 : 1;
        c = memcmp(x->prefix.address.bytes, y->prefix.address.bytes, x->prefix.address.family == AF_INET ? 4 : 16);
        return c != 0 ? c : (int) x->prefix.prefixlen - (int) y->prefix.prefixlen;
}

static void collect_ban_ptr(const Ban *b, void *userdata) {
        g_ptr_array_add(userdata, (void *) b);
}

int manager_list_bans(Manager *m, const char *jail, size_t offset, size_t limit, GArray **ret, size_t *ret_total) {
        g_autoptr(GPtrArray) all = g_ptr_array_new();
        GArray *page;
        size_t n = 0;

        if (jail && *jail && !manager_find_jail(m, jail))
                return -ENOENT;
        ban_table_foreach(m->bans, jail && *jail ? jail : NULL, collect_ban_ptr, all);
        g_ptr_array_sort(all, ban_compare); /* gets pointers to the elements, like qsort */

        if (offset < all->len)
                n = limit > 0 ? MIN(all->len - offset, limit) : all->len - offset;
        page = g_array_sized_new(false, false, sizeof(ManagerBanInfo), n);
        for (size_t i = 0; i < n; i++) {
                ManagerBanInfo info;

                manager_ban_info_from_ban(all->pdata[offset + i], &info);
                g_array_append_val(page, info);
        }
        if (ret_total)
                *ret_total = all->len;
        *ret = page;
        return 0;
}

int manager_get_ban(Manager *m, const char *address, GArray **ret) {
        g_autoptr(GArray) bans = g_array_new(false, false, sizeof(ManagerBanInfo));
        AddressPrefix a;
        int r;

        r = parse_target(address, false, &a);
        if (r < 0)
                return r;
        for (size_t i = 0; i < m->n_jails; i++) {
                const Ban *b = ban_table_get_prefix(m->bans, m->jails[i]->name, &a);
                ManagerBanInfo info;

                if (!b)
                        continue;
                manager_ban_info_from_ban(b, &info);
                g_array_append_val(bans, info);
        }
        *ret = g_steal_pointer(&bans);
        return 0;
}

int manager_ban_address(Manager *m, const char *jail, const char *address, usec_t duration_usec,
                        ManagerBanInfo *ret) {
        AddressPrefix a;
        bool existed;
        Ban *b;
        Jail *j;
        int r;

        if (m->run_state != MANAGER_RUNNING && m->run_state != MANAGER_RELOADING)
                return -EBUSY;
        j = manager_find_jail(m, jail);
        if (!j)
                return -ENOENT;
        r = parse_target(address, true, &a);
        if (r < 0)
                return r;
        if (!ban_is_host(&(Ban) { .prefix = a }) && !jail_config_bans_prefixes(j->rules->config))
                return -EOPNOTSUPP; /* the jail has no interval sets */
        if (duration_usec != 0 && !duration_valid(duration_usec))
                return -ERANGE;

        /* The same path as a ban by failures: ban table, one nft transaction, database, event. An existing
         * ban of the same address gets the new end: a re-add keeps the old timeout on older kernels, so it
         * is deleted and added in one transaction. */
        b = ban_table_get_prefix(m->bans, j->name, &a);
        existed = b;
        if (b) {
                unsigned failures = b->failures;

                (void) ban_table_remove_prefix(m->bans, j->name, &a);
                r = nft_backend_queue_unban_prefix(m->nft, j->name, &a);
                if (r < 0)
                        return r;
                r = manager_ban(m, j, &a, failures, NULL, duration_usec, "manual");
        } else
                r = manager_ban(m, j, &a, 0, NULL, duration_usec, "manual");
        if (r < 0)
                return r;
        if (r > 0 && existed)
                g_array_index(m->pending, PendingBan, m->pending->len - 1).changed = true;
        manager_commit(m);

        b = ban_table_get_prefix(m->bans, j->name, &a);
        if (!b && r == 0) /* covered by a wider ban of the jail: report that one */
                for (unsigned len = a.prefixlen; !b && len > 0; len--) {
                        AddressPrefix wide = a;

                        wide.prefixlen = len - 1;
                        address_mask(&wide.address, wide.prefixlen);
                        b = ban_table_get_prefix(m->bans, j->name, &wide);
                }
        if (!b)
                return -EIO; /* nft refused it (logged by the commit) */
        if (ret)
                manager_ban_info_from_ban(b, ret);
        return existed || r == 0 ? 0 : 1;
}

/* Lifts one ban (it is in the table): table, tracker, kernel (queued), database, event, listeners. */
static void manager_lift(Manager *m, Jail *j, const Ban *b, const char *reason) {
        char addr[ADDRESS_STRING_MAX];
        AddressPrefix a = b->prefix;
        ManagerBanInfo info;
        int r;

        address_prefix_to_string(&a, addr);
        g_autofree char *msg = g_strdup_printf("%s: ban of %s lifted (%s)", b->jail, addr, reason);
        log_ban_event_prefix(MESSAGE_ID_UNBAN, LOG_NOTICE, b->jail, &a, b->end_usec - b->start_usec, b->failures,
                             reason, NULL, msg);
        manager_ban_info_from_ban(b, &info);
        MANAGER_NOTIFY(m, unbanned, &info, reason);

        r = nft_backend_queue_unban_prefix(m->nft, b->jail, &a);
        if (r < 0)
                log_warning_errno(r, "%s: failed to queue the removal of %s: %m", b->jail, addr);
        if (m->state && (r = state_delete_ban_prefix(m->state, b->jail, &a)) < 0)
                log_warning_errno(r, "%s: failed to delete the ban of %s from the database: %m", b->jail, addr);
        if (ban_is_host(b))
                failure_tracker_forget(j->tracker, &a.address);
        (void) ban_table_remove_prefix(m->bans, j->name, &a); /* frees b: last */
}

int manager_unban_address(Manager *m, const char *jail, const char *address, const char *reason) {
        bool all = !jail || !*jail;
        AddressPrefix a;
        int r, n = 0;

        if (!all && !manager_find_jail(m, jail))
                return -ENOENT;
        r = parse_target(address, false, &a);
        if (r < 0)
                return r;
        for (size_t i = 0; i < m->n_jails; i++) {
                Jail *j = m->jails[i];
                const Ban *b;

                if (!all && !streq(j->name, jail))
                        continue;
                b = ban_table_get_prefix(m->bans, j->name, &a);
                if (!b)
                        continue;
                manager_lift(m, j, b, reason ?: "manual");
                n++;
        }
        if (n == 0)
                return -ENXIO;
        manager_commit(m);
        manager_arm_expiry(m);
        return n;
}

static void collect_ban(const Ban *b, void *userdata) {
        g_array_append_val((GArray *) userdata, b->prefix);
}

int manager_unban_all(Manager *m, const char *jail, const char *reason) {
        bool all = !jail || !*jail;
        int n = 0;

        if (!all && !manager_find_jail(m, jail))
                return -ENOENT;
        for (size_t i = 0; i < m->n_jails; i++) {
                Jail *j = m->jails[i];
                g_autoptr(GArray) addresses = g_array_new(false, false, sizeof(AddressPrefix));

                if (!all && !streq(j->name, jail))
                        continue;
                /* collect first: the table must not change while it is walked */
                ban_table_foreach(m->bans, j->name, collect_ban, addresses);
                for (guint k = 0; k < addresses->len; k++) {
                        const Ban *b = ban_table_get_prefix(m->bans, j->name, &g_array_index(addresses, AddressPrefix, k));

                        if (b) {
                                manager_lift(m, j, b, reason ?: "manual");
                                n++;
                        }
                }
        }
        if (n > 0) {
                manager_commit(m);
                manager_arm_expiry(m);
        }
        return n;
}

/* ---- configuration --------------------------------------------------------------------------------- */

int manager_check_config(Manager *m, char **ret_error, char ***ret_warnings) {
        ConfigPaths paths = {
                .config_dir = m->options.config_dir,
                .vendor_dir = m->options.vendor_dir,
                .fail2ban_dir = m->options.fail2ban_dir,
        };
        Ruleset *rs = NULL;
        int r;

        r = ruleset_load(&paths, &rs, ret_error);
        if (r < 0)
                return r;
        if (ret_warnings)
                *ret_warnings = g_strdupv(rs->warnings);
        ruleset_free(rs);
        return 0;
}

/* ---- listeners ------------------------------------------------------------------------------------- */

int manager_add_listener(Manager *m, const ManagerListener *l, void *userdata) {
        ListenerSlot s = { .listener = l, .userdata = userdata };

        g_array_append_val(m->listeners, s);
        return 0;
}

void manager_remove_listener(Manager *m, const ManagerListener *l, void *userdata) {
        for (guint i = 0; i < m->listeners->len; i++) {
                const ListenerSlot *s = &g_array_index(m->listeners, ListenerSlot, i);

                if (s->listener == l && s->userdata == userdata) {
                        g_array_remove_index(m->listeners, i);
                        return;
                }
        }
}
