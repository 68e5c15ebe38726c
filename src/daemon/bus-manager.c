/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The Manager object /org/portcullis/Portcullis1, interface org.portcullis.Portcullis1.Manager
 * (docs/org.portcullis.Portcullis1.xml). Handlers go: read arguments → validate → polkit → mutate →
 * reply; the Manager's listener callbacks (bus.c) emit the signals. */
#include <errno.h>
#include <stdlib.h>

#include "bus-internal.h"
#include "bus-polkit.h"
#include "log.h"
#include "macro.h"

/* Appends the jails as TYPE "o" (object paths) or "(so)" (name and path), in name order. */
static int append_jails(Bus *b, sd_bus_message *reply, const char *type) {
        size_t n = manager_n_jails(b->manager);
        int r;

        r = sd_bus_message_open_container(reply, 'a', type);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                g_autofree char *p = NULL;
                ManagerJailInfo info;

                if (manager_get_jail_by_index(b->manager, i, &info) < 0)
                        continue;
                p = bus_jail_path(info.name);
                if (!p)
                        return -ENOMEM;
                if (streq(type, "o"))
                        r = sd_bus_message_append(reply, "o", p);
                else
                        r = sd_bus_message_append(reply, "(so)", info.name, p);
        }
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

enum { COUNTER_CURRENTLY_BANNED, COUNTER_TOTAL_BANNED, COUNTER_ENTRIES, COUNTER_FAILURES };

static int property_get(sd_bus *bus, const char *path, const char *interface, const char *property,
                        sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;
        ManagerStatus st;
        int r;

        manager_get_status(b->manager, &st);
        if (streq(property, "Version"))
                return sd_bus_message_append(reply, "s", st.version);
        if (streq(property, "State"))
                return sd_bus_message_append(reply, "s", manager_run_state_to_string(st.state));
        if (streq(property, "CurrentlyBanned"))
                return sd_bus_message_append(reply, "t", st.currently_banned);
        if (streq(property, "TotalBanned"))
                return sd_bus_message_append(reply, "t", st.total_banned);
        if (streq(property, "EntriesProcessed"))
                return sd_bus_message_append(reply, "t", st.entries_processed);
        if (streq(property, "FailuresSeen"))
                return sd_bus_message_append(reply, "t", st.failures_seen);
        if (streq(property, "StartedAt"))
                return sd_bus_message_append(reply, "t", (uint64_t) st.started_at_usec);
        if (streq(property, "JournalCursor")) {
                _cleanup_free_ char *cursor = NULL;

                r = manager_get_cursor(b->manager, &cursor);
                if (r < 0)
                        return r;
                return sd_bus_message_append(reply, "s", strempty(cursor));
        }
        if (streq(property, "Jails"))
                return append_jails(b, reply, "o");
        return sd_bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_PROPERTY, "Unknown property %s.", property);
}

void bus_manager_emit_counters(Bus *b, BusCounters *last) {
        static const char *const names[] = {
                [COUNTER_CURRENTLY_BANNED] = "CurrentlyBanned",
                [COUNTER_TOTAL_BANNED] = "TotalBanned",
                [COUNTER_ENTRIES] = "EntriesProcessed",
                [COUNTER_FAILURES] = "FailuresSeen",
        };
        const char *changed[ELEMENTSOF(names) + 1] = {};
        size_t n = 0;
        ManagerStatus st;

        manager_get_status(b->manager, &st);
        uint64_t now[] = { st.currently_banned, st.total_banned, st.entries_processed, st.failures_seen };
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (now[i] != last->v[i]) {
                        changed[n++] = names[i];
                        last->v[i] = now[i];
                }
        if (n > 0)
                (void) sd_bus_emit_properties_changed_strv(b->bus, BUS_MANAGER_PATH, BUS_MANAGER_INTERFACE,
                                                           (char **) changed);
}

static int method_list_jails(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = append_jails(userdata, reply, "(so)");
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int reply_bans(sd_bus_message *m, GArray *bans, bool with_total, uint64_t total) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(ssttuu)");
        for (guint i = 0; r >= 0 && i < bans->len; i++)
                r = bus_append_ban(reply, &g_array_index(bans, ManagerBanInfo, i));
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0 && with_total)
                r = sd_bus_message_append(reply, "t", total);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_list_bans(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        g_autoptr(GArray) bans = NULL;
        Bus *b = userdata;
        uint64_t offset, limit;
        const char *jail;
        size_t total = 0;
        int r;

        r = sd_bus_message_read(m, "stt", &jail, &offset, &limit);
        if (r < 0)
                return r;
        /* the cap: one reply never holds more than BUS_LIST_BANS_MAX bans, whatever LIMIT says */
        if (limit == 0 || limit > BUS_LIST_BANS_MAX)
                limit = BUS_LIST_BANS_MAX;
        if (offset > SIZE_MAX)
                offset = SIZE_MAX;
        r = manager_list_bans(b->manager, jail, (size_t) offset, (size_t) limit, &bans, &total);
        if (r < 0)
                return bus_error_from_manager(error, r, jail, NULL);
        return reply_bans(m, bans, true, total);
}

static int method_get_ban(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        g_autoptr(GArray) bans = NULL;
        Bus *b = userdata;
        const char *address;
        int r;

        r = sd_bus_message_read(m, "s", &address);
        if (r < 0)
                return r;
        r = manager_get_ban(b->manager, address, &bans);
        if (r < 0)
                return bus_error_from_manager(error, r, NULL, address);
        return reply_bans(m, bans, false, 0);
}

int bus_method_ban(sd_bus_message *m, Bus *b, const char *jail, const char *address, uint64_t duration,
                   bool interactive, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        ManagerJailInfo ji;
        ManagerBanInfo ban;
        AddressPrefix p;
        int r, created;

        /* 1. validate what can be checked without side effects, before asking polkit */
        if (manager_get_jail(b->manager, jail, &ji) < 0)
                return bus_error_from_manager(error, -ENOENT, jail, address);
        if (address_prefix_parse(address, &p) < 0)
                return bus_error_from_manager(error, -EINVAL, jail, address);
        if (duration != 0 && duration != USEC_INFINITY && duration > MANAGER_DURATION_MAX_USEC)
                return bus_error_from_manager(error, -ERANGE, jail, address);

        /* 2. authorize */
        r = bus_verify_polkit_async(m, POLKIT_ACTION_BAN, interactive, b->polkit_registry, error);
        if (r < 0)
                return r;
        if (r == 0)
                return 1;

        /* 3. ban (the Manager's listener emits Banned) */
        created = manager_ban_address(b->manager, jail, address, duration, &ban);
        if (created < 0)
                return bus_error_from_manager(error, created, jail, address);

        r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = bus_append_ban(reply, &ban);
        if (r >= 0)
                r = sd_bus_message_append(reply, "b", created > 0);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

int bus_method_unban(sd_bus_message *m, Bus *b, const char *jail, const char *address, bool interactive,
                     sd_bus_error *error) {
        AddressPrefix p;
        ManagerJailInfo ji;
        int r;

        if (!isempty(jail) && manager_get_jail(b->manager, jail, &ji) < 0)
                return bus_error_from_manager(error, -ENOENT, jail, address);
        if (address_prefix_parse(address, &p) < 0)
                return bus_error_from_manager(error, -EINVAL, jail, address);

        r = bus_verify_polkit_async(m, POLKIT_ACTION_UNBAN, interactive, b->polkit_registry, error);
        if (r < 0)
                return r;
        if (r == 0)
                return 1;

        r = manager_unban_address(b->manager, jail, address, "manual");
        if (r < 0)
                return bus_error_from_manager(error, r, jail, address);
        return sd_bus_reply_method_return(m, "u", (uint32_t) r);
}

static int method_ban(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *jail, *address;
        uint64_t duration;
        int interactive, r;

        r = sd_bus_message_read(m, "sstb", &jail, &address, &duration, &interactive);
        if (r < 0)
                return r;
        return bus_method_ban(m, userdata, jail, address, duration, interactive, error);
}

static int method_unban(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *jail, *address;
        int interactive, r;

        r = sd_bus_message_read(m, "ssb", &jail, &address, &interactive);
        if (r < 0)
                return r;
        return bus_method_unban(m, userdata, jail, address, interactive, error);
}

static int method_unban_all(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Bus *b = userdata;
        ManagerJailInfo ji;
        const char *jail;
        int interactive, r;

        r = sd_bus_message_read(m, "sb", &jail, &interactive);
        if (r < 0)
                return r;
        if (!isempty(jail) && manager_get_jail(b->manager, jail, &ji) < 0)
                return bus_error_from_manager(error, -ENOENT, jail, NULL);

        r = bus_verify_polkit_async(m, POLKIT_ACTION_UNBAN, interactive, b->polkit_registry, error);
        if (r < 0)
                return r;
        if (r == 0)
                return 1;

        r = manager_unban_all(b->manager, jail, "manual");
        if (r < 0)
                return bus_error_from_manager(error, r, jail, NULL);
        return sd_bus_reply_method_return(m, "u", (uint32_t) r);
}

static int method_reload(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *errors = NULL;
        Bus *b = userdata;
        int interactive, r;

        r = sd_bus_message_read(m, "b", &interactive);
        if (r < 0)
                return r;

        r = bus_verify_polkit_async(m, POLKIT_ACTION_RELOAD, interactive, b->polkit_registry, error);
        if (r < 0)
                return r;
        if (r == 0)
                return 1;

        /* synchronous: the reply says the reload is done (ExecReload= waits for it) */
        r = manager_reload(b->manager, &errors);
        if (r == -EBUSY)
                return bus_error_from_manager(error, r, NULL, NULL);
        if (r < 0)
                return sd_bus_error_setf(error, BUS_ERROR_CONFIG_ERROR,
                                         "%s", errors ?: "The configuration could not be loaded; the running one was kept.");
        return sd_bus_reply_method_return(m, NULL);
}

static int method_check_config(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        g_auto(GStrv) warnings = NULL;
        _cleanup_free_ char *errors = NULL;
        Bus *b = userdata;
        int r;

        r = manager_check_config(b->manager, &errors, &warnings);
        if (r < 0)
                return sd_bus_error_setf(error, BUS_ERROR_CONFIG_ERROR, "%s",
                                         errors ?: "The configuration could not be loaded.");
        r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = sd_bus_message_append_strv(reply, warnings);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

const sd_bus_vtable bus_manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Version", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("State", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Jails", "ao", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("CurrentlyBanned", "t", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("TotalBanned", "t", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("EntriesProcessed", "t", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("FailuresSeen", "t", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("JournalCursor", "s", property_get, 0, 0),
        SD_BUS_PROPERTY("StartedAt", "t", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_ARGS("ListJails", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(so)", jails),
                                method_list_jails, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListBans", SD_BUS_ARGS("s", jail, "t", offset, "t", limit),
                                SD_BUS_RESULT("a(ssttuu)", bans, "t", total),
                                method_list_bans, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetBan", SD_BUS_ARGS("s", address), SD_BUS_RESULT("a(ssttuu)", bans),
                                method_get_ban, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Ban", SD_BUS_ARGS("s", jail, "s", address, "t", duration_usec, "b", interactive),
                                SD_BUS_RESULT("(ssttuu)", ban, "b", new),
                                method_ban, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Unban", SD_BUS_ARGS("s", jail, "s", address, "b", interactive),
                                SD_BUS_RESULT("u", count),
                                method_unban, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("UnbanAll", SD_BUS_ARGS("s", jail, "b", interactive), SD_BUS_RESULT("u", count),
                                method_unban_all, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Reload", SD_BUS_ARGS("b", interactive), SD_BUS_NO_RESULT,
                                method_reload, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("CheckConfig", SD_BUS_NO_ARGS, SD_BUS_RESULT("as", warnings),
                                method_check_config, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_ARGS("Banned", SD_BUS_ARGS("s", jail, "s", address, "t", until_usec, "u", failures), 0),
        SD_BUS_SIGNAL_WITH_ARGS("Unbanned", SD_BUS_ARGS("s", jail, "s", address, "s", reason), 0),
        SD_BUS_SIGNAL("Reloaded", "", 0),
        SD_BUS_VTABLE_END
};
