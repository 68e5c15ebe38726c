/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>
#include <systemd/sd-bus.h>

#include "bus.h"
#include "manager.h"

/* Internal to the D-Bus front end:
 *   bus.c          connection, name, listener → signals, coalesced PropertiesChanged, error mapping;
 *   bus-manager.c  the Manager object /org/portcullis/Portcullis1;
 *   bus-jail.c     one object per jail (fallback vtable + node enumerator);
 *   bus-polkit.c   asynchronous polkit checks. */

#define BUS_NAME "org.portcullis.Portcullis1"
#define BUS_MANAGER_PATH "/org/portcullis/Portcullis1"
#define BUS_JAIL_PREFIX "/org/portcullis/Portcullis1/jail"
#define BUS_MANAGER_INTERFACE "org.portcullis.Portcullis1.Manager"
#define BUS_JAIL_INTERFACE "org.portcullis.Portcullis1.Jail"

#define BUS_ERROR_PREFIX "org.portcullis.Portcullis1.Error."
#define BUS_ERROR_NO_SUCH_JAIL BUS_ERROR_PREFIX "NoSuchJail"
#define BUS_ERROR_INVALID_ADDRESS BUS_ERROR_PREFIX "InvalidAddress"
#define BUS_ERROR_ADDRESS_NOT_ALLOWED BUS_ERROR_PREFIX "AddressNotAllowed"
#define BUS_ERROR_INVALID_DURATION BUS_ERROR_PREFIX "InvalidDuration"
#define BUS_ERROR_NOT_BANNED BUS_ERROR_PREFIX "NotBanned"
#define BUS_ERROR_NOT_SUPPORTED BUS_ERROR_PREFIX "NotSupported"
#define BUS_ERROR_BUSY BUS_ERROR_PREFIX "Busy"
#define BUS_ERROR_CONFIG_ERROR BUS_ERROR_PREFIX "ConfigError"
#define BUS_ERROR_PERMISSION_DENIED BUS_ERROR_PREFIX "PermissionDenied"
#define BUS_ERROR_INVALID_PARAMETER BUS_ERROR_PREFIX "InvalidParameter"
#define BUS_ERROR_FAILED BUS_ERROR_PREFIX "Failed"

/* polkit actions (polkit/org.portcullis.Portcullis1.policy) */
#define POLKIT_ACTION_BAN "org.portcullis.Portcullis1.ban"
#define POLKIT_ACTION_UNBAN "org.portcullis.Portcullis1.unban"
#define POLKIT_ACTION_RELOAD "org.portcullis.Portcullis1.reload"
#define POLKIT_ACTION_CONFIGURE "org.portcullis.Portcullis1.configure"

/* At most this many bans in one ListBans() reply (about 60 bytes each on the wire: ~600 kB), whatever
 * limit the caller asks for; callers page with offset. */
#define BUS_LIST_BANS_MAX 10000

struct Bus {
        sd_bus *bus;
        sd_event *event;
        Manager *manager;
        GHashTable *polkit_registry;     /* pending polkit queries */
        sd_event_source *counters_timer; /* armed when counters changed; emits PropertiesChanged */
        GHashTable *emitted;             /* object path → BusCounters last emitted (owned) */
        bool listening;
};

/* Counter properties of one object as last announced by PropertiesChanged. */
typedef struct BusCounters {
        uint64_t v[4];
} BusCounters;

static inline const char *strempty(const char *s) {
        return s ?: "";
}

/* bus.c */
/* Sets ERROR from a control-API errno (manager.h), naming JAIL and ADDRESS (may be NULL) in the text;
 * returns the (negative) errno for "return bus_error_from_manager(…);". */
int bus_error_from_manager(sd_bus_error *error, int r, const char *jail, const char *address);
/* Appends a ban as (ssttuu): jail, address, start_usec, end_usec (UINT64_MAX: permanent), failures,
 * ban_count. */
int bus_append_ban(sd_bus_message *reply, const ManagerBanInfo *b);
/* PropertiesChanged for counters, at most every BUS_COUNTERS_INTERVAL_USEC per object. */
void bus_counters_changed(Bus *b);

/* bus-manager.c */
/* Ban / Unban with the jail given (the Manager's and the Jail object's methods): validate, polkit, act,
 * reply. Return like a method handler. */
int bus_method_ban(sd_bus_message *m, Bus *b, const char *jail, const char *address, uint64_t duration,
                   bool interactive, sd_bus_error *error);
int bus_method_unban(sd_bus_message *m, Bus *b, const char *jail, const char *address, bool interactive,
                     sd_bus_error *error);
extern const sd_bus_vtable bus_manager_vtable[];
void bus_manager_emit_counters(Bus *b, BusCounters *last);

/* bus-jail.c */
extern const sd_bus_vtable bus_jail_vtable[];
int bus_jail_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **ret_found,
                  sd_bus_error *error);
int bus_jail_enumerate(sd_bus *bus, const char *path, void *userdata, char ***ret_nodes, sd_bus_error *error);
/* The object path of JAIL (owned), or NULL on OOM. */
char *bus_jail_path(const char *jail);
void bus_jail_emit_counters(Bus *b, const char *jail, BusCounters *last);
/* After a reload: the configuration properties of every jail may have changed. */
void bus_jail_emit_config_changed(Bus *b);
/* A filter that puts Set(BanTimeUSec) behind polkit before sd-bus's property dispatch runs the setter. */
int bus_jail_filter_set_property(sd_bus_message *m, void *userdata, sd_bus_error *error);
