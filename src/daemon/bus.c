/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The D-Bus front end: connection and name, the Manager's events as signals, coalesced
 * PropertiesChanged for the counters, and the mapping of control-API errors to typed D-Bus errors. */
#include <errno.h>
#include <stdlib.h>

#include "bus-internal.h"
#include "bus-polkit.h"
#include "log.h"
#include "macro.h"
#include "time-util.h"

/* Counters change with every journal entry; PropertiesChanged goes out at most this often per object. */
#define BUS_COUNTERS_INTERVAL_USEC (250 * USEC_PER_MSEC)

int bus_error_from_manager(sd_bus_error *error, int r, const char *jail, const char *address) {
        /* user-supplied text is cut short in error messages: a 1 MB argument must not come back as one */
        switch (r) {
        case -ENOENT:
                return sd_bus_error_setf(error, BUS_ERROR_NO_SUCH_JAIL, "No jail '%.64s'.", strempty(jail));
        case -EINVAL:
                return sd_bus_error_setf(error, BUS_ERROR_INVALID_ADDRESS, "'%.64s' is not an IP address.",
                                         strempty(address));
        case -EADDRNOTAVAIL:
                return sd_bus_error_setf(error, BUS_ERROR_ADDRESS_NOT_ALLOWED,
                                         "%.64s is a special address (loopback, unspecified, link-local, "
                                         "multicast) and is never banned.", strempty(address));
        case -ERANGE:
                return sd_bus_error_set(error, BUS_ERROR_INVALID_DURATION,
                                        "The duration must be more than 0 and at most 100 years "
                                        "(UINT64_MAX: permanent).");
        case -ENXIO:
                if (!isempty(jail))
                        return sd_bus_error_setf(error, BUS_ERROR_NOT_BANNED, "%.64s is not banned in %.64s.",
                                                 strempty(address), jail);
                return sd_bus_error_setf(error, BUS_ERROR_NOT_BANNED, "%.64s is not banned.", strempty(address));
        case -EOPNOTSUPP:
                return sd_bus_error_setf(error, BUS_ERROR_NOT_SUPPORTED,
                                         "Prefix bans (%.64s) are not supported by this jail.", strempty(address));
        case -EBUSY:
                return sd_bus_error_set(error, BUS_ERROR_BUSY, "The daemon is starting or stopping, try again.");
        case -ENOMEM:
                return sd_bus_error_set_errno(error, r);
        default:
                return sd_bus_error_setf(error, BUS_ERROR_FAILED, "Failed: %s.", strerror(-r));
        }
}

int bus_append_ban(sd_bus_message *reply, const ManagerBanInfo *b) {
        return sd_bus_message_append(reply, "(ssttuu)", b->jail, b->address, (uint64_t) b->start_usec,
                                     (uint64_t) b->end_usec, (uint32_t) b->failures, (uint32_t) b->ban_count);
}

/* ---- counters: coalesced PropertiesChanged --------------------------------------------------------- */

static int on_counters_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Bus *b = userdata;
        size_t n = manager_n_jails(b->manager);
        BusCounters *last;

        last = g_hash_table_lookup(b->emitted, BUS_MANAGER_PATH);
        if (!last) {
                last = g_new0(BusCounters, 1);
                g_hash_table_insert(b->emitted, g_strdup(BUS_MANAGER_PATH), last);
        }
        bus_manager_emit_counters(b, last);

        for (size_t i = 0; i < n; i++) {
                ManagerJailInfo info;
                g_autofree char *path = NULL;

                if (manager_get_jail_by_index(b->manager, i, &info) < 0)
                        continue;
                path = bus_jail_path(info.name);
                if (!path)
                        continue;
                last = g_hash_table_lookup(b->emitted, path);
                if (!last) {
                        last = g_new0(BusCounters, 1);
                        g_hash_table_insert(b->emitted, g_strdup(path), last);
                }
                bus_jail_emit_counters(b, info.name, last);
        }
        return 0;
}

void bus_counters_changed(Bus *b) {
        int r;

        if (!b->counters_timer) {
                r = sd_event_add_time_relative(b->event, &b->counters_timer, CLOCK_MONOTONIC,
                                               BUS_COUNTERS_INTERVAL_USEC, 50 * USEC_PER_MSEC, on_counters_timer, b);
                if (r < 0) {
                        log_warning_errno(r, "Failed to arm the PropertiesChanged timer: %m, ignoring");
                        return;
                }
                (void) sd_event_source_set_description(b->counters_timer, "bus-counters");
                (void) sd_event_source_set_enabled(b->counters_timer, SD_EVENT_ONESHOT);
                return;
        }
        /* armed already (or fired a while ago: re-arm one interval from now) */
        if (sd_event_source_get_enabled(b->counters_timer, NULL) > 0)
                return;
        r = sd_event_source_set_time_relative(b->counters_timer, BUS_COUNTERS_INTERVAL_USEC);
        if (r >= 0)
                r = sd_event_source_set_enabled(b->counters_timer, SD_EVENT_ONESHOT);
        if (r < 0)
                log_warning_errno(r, "Failed to arm the PropertiesChanged timer: %m, ignoring");
}

/* ---- Manager listener → signals ------------------------------------------------------------------- */

static void on_banned(Manager *m, const ManagerBanInfo *ban, void *userdata) {
        Bus *b = userdata;
        int r;

        r = sd_bus_emit_signal(b->bus, BUS_MANAGER_PATH, BUS_MANAGER_INTERFACE, "Banned", "sstu", ban->jail,
                               ban->address, (uint64_t) ban->end_usec, (uint32_t) ban->failures);
        if (r < 0)
                log_debug_errno(r, "Failed to emit Banned: %m");
        bus_counters_changed(b);
}

static void on_unbanned(Manager *m, const ManagerBanInfo *ban, const char *reason, void *userdata) {
        Bus *b = userdata;
        int r;

        r = sd_bus_emit_signal(b->bus, BUS_MANAGER_PATH, BUS_MANAGER_INTERFACE, "Unbanned", "sss", ban->jail,
                               ban->address, reason);
        if (r < 0)
                log_debug_errno(r, "Failed to emit Unbanned: %m");
        bus_counters_changed(b);
}

static void on_reloaded(Manager *m, void *userdata) {
        Bus *b = userdata;
        int r;

        r = sd_bus_emit_signal(b->bus, BUS_MANAGER_PATH, BUS_MANAGER_INTERFACE, "Reloaded", "");
        if (r < 0)
                log_debug_errno(r, "Failed to emit Reloaded: %m");
        (void) sd_bus_emit_properties_changed(b->bus, BUS_MANAGER_PATH, BUS_MANAGER_INTERFACE, "Jails", NULL);
        bus_jail_emit_config_changed(b);
        bus_counters_changed(b);
}

static void on_state_changed(Manager *m, ManagerRunState state, void *userdata) {
        Bus *b = userdata;

        (void) sd_bus_emit_properties_changed(b->bus, BUS_MANAGER_PATH, BUS_MANAGER_INTERFACE, "State", NULL);
        /* jails appear when the daemon starts running */
        if (state == MANAGER_RUNNING)
                (void) sd_bus_emit_properties_changed(b->bus, BUS_MANAGER_PATH, BUS_MANAGER_INTERFACE, "Jails",
                                                      "StartedAt", NULL);
}

static void on_counters_changed(Manager *m, void *userdata) {
        bus_counters_changed(userdata);
}

static const ManagerListener bus_listener = {
        .banned = on_banned,
        .unbanned = on_unbanned,
        .reloaded = on_reloaded,
        .state_changed = on_state_changed,
        .counters_changed = on_counters_changed,
};

/* ---- connection ------------------------------------------------------------------------------------ */

Bus *bus_free(Bus *b) {
        if (!b)
                return NULL;
        if (b->listening)
                manager_remove_listener(b->manager, &bus_listener, b);
        sd_event_source_disable_unref(b->counters_timer);
        /* the queries hold references to messages of this bus: drop them before the bus */
        polkit_registry_free(b->polkit_registry);
        if (b->emitted)
                g_hash_table_unref(b->emitted);
        sd_bus_flush_close_unref(b->bus);
        sd_event_unref(b->event);
        free(b);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(Bus *, bus_free);

int bus_new_and_log(sd_event *event, Manager *m, Bus **ret) {
        _cleanup_(bus_freep) Bus *b = NULL;
        int r;

        b = calloc(1, sizeof *b);
        if (!b)
                return log_oom();
        b->event = sd_event_ref(event);
        b->manager = m;
        b->polkit_registry = polkit_registry_new();
        b->emitted = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

        r = sd_bus_open_system_with_description(&b->bus, "portcullisd");
        if (r < 0) {
                log_warning_errno(r, "No system bus (%m): the D-Bus API is not available, continuing without it.");
                *ret = NULL;
                return 0;
        }
        r = sd_bus_attach_event(b->bus, event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Failed to attach the bus to the event loop: %m");

        r = sd_bus_add_object_vtable(b->bus, NULL, BUS_MANAGER_PATH, BUS_MANAGER_INTERFACE, bus_manager_vtable, b);
        if (r >= 0)
                r = sd_bus_add_fallback_vtable(b->bus, NULL, BUS_JAIL_PREFIX, BUS_JAIL_INTERFACE, bus_jail_vtable,
                                               bus_jail_find, b);
        if (r >= 0)
                r = sd_bus_add_node_enumerator(b->bus, NULL, BUS_JAIL_PREFIX, bus_jail_enumerate, b);
        if (r >= 0)
                r = sd_bus_add_object_manager(b->bus, NULL, BUS_MANAGER_PATH);
        if (r >= 0)
                r = sd_bus_add_filter(b->bus, NULL, bus_jail_filter_set_property, b);
        if (r < 0)
                return log_error_errno(r, "Failed to export the D-Bus objects: %m");

        r = manager_add_listener(m, &bus_listener, b);
        if (r < 0)
                return log_oom();
        b->listening = true;

        /* synchronously, so that the name is ours before READY=1 (a Type=notify unit with BusName=) */
        r = sd_bus_request_name(b->bus, BUS_NAME, 0);
        if (r == -ENOENT || r == -ECONNREFUSED || r == -ENOTCONN || r == -ECONNRESET) {
                log_warning_errno(r, "No system bus (%m): the D-Bus API is not available, continuing without it.");
                *ret = NULL;
                return 0;
        }
        if (r < 0)
                return log_error_errno(r, "Failed to take the bus name %s: %m", BUS_NAME);
        log_debug("Took the bus name %s.", BUS_NAME);

        *ret = TAKE_PTR(b);
        return 0;
}
