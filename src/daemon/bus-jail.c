/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One object per jail, /org/portcullis/Portcullis1/jail/<escaped name>, interface
 * org.portcullis.Portcullis1.Jail: a fallback vtable on the prefix (the jails change with every
 * reload, so nothing is registered per jail) and a node enumerator for introspection. */
#include <errno.h>
#include <stdlib.h>

#include "bus-internal.h"
#include "bus-polkit.h"
#include "log.h"
#include "macro.h"

char *bus_jail_path(const char *jail) {
        char *p = NULL;

        if (sd_bus_path_encode(BUS_JAIL_PREFIX, jail, &p) < 0)
                return NULL;
        return p;
}

/* The jail an object path names, or -ENOENT (owned name in *ret_name). */
static int jail_from_path(Bus *b, const char *path, char **ret_name, ManagerJailInfo *ret_info) {
        _cleanup_free_ char *name = NULL;
        ManagerJailInfo info;
        int r;

        r = sd_bus_path_decode(path, BUS_JAIL_PREFIX, &name);
        if (r <= 0 || isempty(name))
                return -ENOENT;
        r = manager_get_jail(b->manager, name, &info);
        if (r < 0)
                return r;
        if (ret_info)
                *ret_info = info;
        if (ret_name)
                *ret_name = TAKE_PTR(name);
        return 0;
}

int bus_jail_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **ret_found,
                  sd_bus_error *error) {
        Bus *b = userdata;

        if (jail_from_path(b, path, NULL, NULL) < 0)
                return 0;
        *ret_found = b;
        return 1;
}

int bus_jail_enumerate(sd_bus *bus, const char *path, void *userdata, char ***ret_nodes, sd_bus_error *error) {
        Bus *b = userdata;
        size_t n = manager_n_jails(b->manager), k = 0;
        char **nodes;

        nodes = calloc(n + 1, sizeof(char *));
        if (!nodes)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                ManagerJailInfo info;

                if (manager_get_jail_by_index(b->manager, i, &info) < 0)
                        continue;
                nodes[k] = bus_jail_path(info.name);
                if (!nodes[k]) {
                        g_strfreev(nodes);
                        return -ENOMEM;
                }
                k++;
        }
        *ret_nodes = nodes;
        return 0;
}

static int property_get(sd_bus *bus, const char *path, const char *interface, const char *property,
                        sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *name = NULL;
        ManagerJailInfo j;
        int r;

        r = jail_from_path(userdata, path, &name, &j);
        if (r < 0)
                return sd_bus_error_setf(error, BUS_ERROR_NO_SUCH_JAIL, "No jail at %s.", path);

        if (streq(property, "Name"))
                return sd_bus_message_append(reply, "s", j.name);
        if (streq(property, "Enabled"))
                return sd_bus_message_append(reply, "b", j.running);
        if (streq(property, "Filter"))
                return sd_bus_message_append(reply, "s", strempty(j.filter));
        if (streq(property, "JournalMatch"))
                return sd_bus_message_append(reply, "s", strempty(j.journalmatch));
        if (streq(property, "MaxRetry"))
                return sd_bus_message_append(reply, "u", (uint32_t) j.maxretry);
        if (streq(property, "FindTimeUSec"))
                return sd_bus_message_append(reply, "t", (uint64_t) j.findtime_usec);
        if (streq(property, "BanTimeUSec"))
                return sd_bus_message_append(reply, "t", (uint64_t) j.bantime_usec);
        if (streq(property, "CurrentlyFailed"))
                return sd_bus_message_append(reply, "t", j.currently_failed);
        if (streq(property, "TotalFailed"))
                return sd_bus_message_append(reply, "t", j.total_failed);
        if (streq(property, "CurrentlyBanned"))
                return sd_bus_message_append(reply, "t", j.currently_banned);
        if (streq(property, "TotalBanned"))
                return sd_bus_message_append(reply, "t", j.total_banned);
        if (streq(property, "Protocol"))
                return sd_bus_message_append(reply, "s", strempty(j.protocol));
        if (streq(property, "BlockType"))
                return sd_bus_message_append(reply, "s", strempty(j.blocktype));
        if (streq(property, "Ports")) {
                r = sd_bus_message_open_container(reply, 'a', "s");
                for (size_t i = 0; r >= 0 && i < j.n_ports; i++) {
                        char buf[32];

                        if (j.ports[i].first == j.ports[i].last)
                                snprintf(buf, sizeof buf, "%u", (unsigned) j.ports[i].first);
                        else
                                snprintf(buf, sizeof buf, "%u-%u", (unsigned) j.ports[i].first,
                                         (unsigned) j.ports[i].last);
                        r = sd_bus_message_append(reply, "s", buf);
                }
                if (r < 0)
                        return r;
                return sd_bus_message_close_container(reply);
        }
        return sd_bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_PROPERTY, "Unknown property %s.", property);
}

/* Only reached after bus_jail_filter_set_property() authorized the caller. */
static int property_set_bantime(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *value, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *name = NULL;
        Bus *b = userdata;
        uint64_t bantime;
        int r;

        r = sd_bus_message_read(value, "t", &bantime);
        if (r < 0)
                return r;
        r = jail_from_path(b, path, &name, NULL);
        if (r >= 0)
                r = manager_set_jail_bantime(b->manager, name, bantime);
        if (r < 0)
                return bus_error_from_manager(error, r, name, NULL);
        (void) sd_bus_emit_properties_changed(bus, path, BUS_JAIL_INTERFACE, "BanTimeUSec", NULL);
        return 1;
}

/* sd-bus answers Set() itself right after the setter returns, so the asynchronous polkit check cannot
 * live in the setter: this filter sees Set(Jail, BanTimeUSec) first, validates, asks polkit (the call
 * is queued again when polkit answered) and lets the message through to the setter once authorized. */
int bus_jail_filter_set_property(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *interface, *property;
        _cleanup_free_ char *name = NULL;
        Bus *b = userdata;
        uint64_t bantime;
        int r;

        if (sd_bus_message_is_method_call(m, "org.freedesktop.DBus.Properties", "Set") <= 0)
                return 0;
        if (!g_str_has_prefix(strempty(sd_bus_message_get_path(m)), BUS_JAIL_PREFIX "/"))
                return 0;
        if (sd_bus_message_read(m, "ss", &interface, &property) < 0 ||
            !streq(interface, BUS_JAIL_INTERFACE) || !streq(property, "BanTimeUSec") ||
            sd_bus_message_enter_container(m, 'v', "t") <= 0 || sd_bus_message_read(m, "t", &bantime) < 0 ||
            jail_from_path(b, sd_bus_message_get_path(m), &name, NULL) < 0) {
                /* not ours, or malformed: sd-bus answers it (the setter is not reached without a 't') */
                (void) sd_bus_message_rewind(m, true);
                return 0;
        }

        if (bantime == 0 || (bantime != USEC_INFINITY && bantime > MANAGER_DURATION_MAX_USEC))
                return bus_error_from_manager(error, -ERANGE, name, NULL);

        r = bus_verify_polkit_async(m, POLKIT_ACTION_CONFIGURE, false, b->polkit_registry, error);
        if (r < 0)
                return r;
        if (r == 0)
                return 1; /* handled for now; dispatched again when polkit answered */

        (void) sd_bus_message_rewind(m, true);
        return 0;
}

static int method_ban(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *name = NULL;
        const char *address;
        uint64_t duration;
        int interactive, r;

        r = sd_bus_message_read(m, "stb", &address, &duration, &interactive);
        if (r < 0)
                return r;
        if (jail_from_path(userdata, sd_bus_message_get_path(m), &name, NULL) < 0)
                return bus_error_from_manager(error, -ENOENT, NULL, NULL);
        return bus_method_ban(m, userdata, name, address, duration, interactive, error);
}

static int method_unban(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *name = NULL;
        const char *address;
        int interactive, r;

        r = sd_bus_message_read(m, "sb", &address, &interactive);
        if (r < 0)
                return r;
        if (jail_from_path(userdata, sd_bus_message_get_path(m), &name, NULL) < 0)
                return bus_error_from_manager(error, -ENOENT, NULL, NULL);
        return bus_method_unban(m, userdata, name, address, interactive, error);
}

static int method_start_stop(sd_bus_message *m, Bus *b, bool running, sd_bus_error *error) {
        _cleanup_free_ char *name = NULL;
        int interactive, r;

        r = sd_bus_message_read(m, "b", &interactive);
        if (r < 0)
                return r;
        if (jail_from_path(b, sd_bus_message_get_path(m), &name, NULL) < 0)
                return bus_error_from_manager(error, -ENOENT, NULL, NULL);

        r = bus_verify_polkit_async(m, POLKIT_ACTION_CONFIGURE, interactive, b->polkit_registry, error);
        if (r < 0)
                return r;
        if (r == 0)
                return 1;

        r = manager_set_jail_running(b->manager, name, running);
        if (r < 0)
                return bus_error_from_manager(error, r, name, NULL);
        if (r > 0)
                (void) sd_bus_emit_properties_changed(sd_bus_message_get_bus(m), sd_bus_message_get_path(m),
                                                      BUS_JAIL_INTERFACE, "Enabled", NULL);
        return sd_bus_reply_method_return(m, NULL);
}

static int method_start(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return method_start_stop(m, userdata, true, error);
}

static int method_stop(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return method_start_stop(m, userdata, false, error);
}

void bus_jail_emit_counters(Bus *b, const char *jail, BusCounters *last) {
        static const char *const names[] = { "CurrentlyFailed", "TotalFailed", "CurrentlyBanned", "TotalBanned" };
        const char *changed[ELEMENTSOF(names) + 1] = {};
        g_autofree char *path = NULL;
        ManagerJailInfo j;
        size_t n = 0;

        if (manager_get_jail(b->manager, jail, &j) < 0)
                return;
        uint64_t now[] = { j.currently_failed, j.total_failed, j.currently_banned, j.total_banned };
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (now[i] != last->v[i]) {
                        changed[n++] = names[i];
                        last->v[i] = now[i];
                }
        path = bus_jail_path(jail);
        if (n > 0 && path)
                (void) sd_bus_emit_properties_changed_strv(b->bus, path, BUS_JAIL_INTERFACE, (char **) changed);
}

void bus_jail_emit_config_changed(Bus *b) {
        size_t n = manager_n_jails(b->manager);

        for (size_t i = 0; i < n; i++) {
                g_autofree char *path = NULL;
                ManagerJailInfo j;

                if (manager_get_jail_by_index(b->manager, i, &j) < 0)
                        continue;
                path = bus_jail_path(j.name);
                if (path)
                        (void) sd_bus_emit_properties_changed(b->bus, path, BUS_JAIL_INTERFACE, "Enabled", "Filter",
                                                              "JournalMatch", "MaxRetry", "FindTimeUSec",
                                                              "BanTimeUSec", "Ports", "Protocol", "BlockType", NULL);
        }
}

const sd_bus_vtable bus_jail_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Name", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Enabled", "b", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Filter", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("JournalMatch", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("MaxRetry", "u", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("FindTimeUSec", "t", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_WRITABLE_PROPERTY("BanTimeUSec", "t", property_get, property_set_bantime, 0,
                                 SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE | SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_PROPERTY("CurrentlyFailed", "t", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("TotalFailed", "t", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("CurrentlyBanned", "t", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("TotalBanned", "t", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Ports", "as", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Protocol", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("BlockType", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_ARGS("Ban", SD_BUS_ARGS("s", address, "t", duration_usec, "b", interactive),
                                SD_BUS_RESULT("(ssttuu)", ban, "b", new),
                                method_ban, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Unban", SD_BUS_ARGS("s", address, "b", interactive), SD_BUS_RESULT("u", count),
                                method_unban, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Start", SD_BUS_ARGS("b", interactive), SD_BUS_NO_RESULT,
                                method_start, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Stop", SD_BUS_ARGS("b", interactive), SD_BUS_NO_RESULT,
                                method_stop, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END
};
