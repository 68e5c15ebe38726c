/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The D-Bus transport of portcullisctl: each call of the transport contract (ctl-transport.h, the varlink
 * shapes) becomes one or a few calls to org.portcullis.Portcullis1 on the system bus, and the replies
 * are converted to those JSON shapes. D-Bus marks "permanent"/"never" as UINT64_MAX, the shapes as -1. */
#include <errno.h>
#include <glib.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "ctl-transport.h"
#include "log.h"
#include "macro.h"

#define BUS_NAME "org.portcullis.Portcullis1"
#define BUS_PATH "/org/portcullis/Portcullis1"
#define BUS_JAIL_PREFIX "/org/portcullis/Portcullis1/jail"
#define BUS_MANAGER_INTERFACE "org.portcullis.Portcullis1.Manager"
#define BUS_JAIL_INTERFACE "org.portcullis.Portcullis1.Jail"
#define BUS_ERROR_PREFIX "org.portcullis.Portcullis1.Error."

/* an interactive call may wait for a human typing a password */
#define CALL_TIMEOUT_INTERACTIVE_USEC (300ULL * 1000000ULL)

typedef struct BusTransport {
        CtlTransport transport;
        sd_bus *bus;
} BusTransport;

static json_t *json_usec(uint64_t u) {
        return json_integer(u == UINT64_MAX ? -1 : (json_int_t) u);
}

static uint64_t usec_from_json(json_t *v) {
        json_int_t i = json_integer_value(v);

        return i == -1 ? UINT64_MAX : (uint64_t) i;
}

static const char *param_string(json_t *p, const char *key) {
        const char *s = json_string_value(json_object_get(p, key));

        return s ?: "";
}

/* ---- errors ------------------------------------------------------------------------------------------ */

static bool is_transport_error(const sd_bus_error *e) {
        static const char *const names[] = {
                SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER, SD_BUS_ERROR_NO_REPLY,
                SD_BUS_ERROR_DISCONNECTED, SD_BUS_ERROR_TIMEOUT, SD_BUS_ERROR_NO_SERVER,
                "org.freedesktop.DBus.Error.Spawn.ExecFailed", "org.freedesktop.DBus.Error.Spawn.ChildExited",
                "org.freedesktop.DBus.Error.Spawn.Failed", "org.freedesktop.DBus.Error.Spawn.ChildSignaled",
        };

        if (!e->name)
                return true;
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (streq(e->name, names[i]))
                        return true;
        return false;
}

/* Converts the D-Bus error of a failed call into CtlError (returns 1), or logs a transport failure
 * (returns the negative errno). */
static int convert_error(int r, const sd_bus_error *e, CtlError *ret) {
        const char *name;

        if (!sd_bus_error_is_set(e) || is_transport_error(e))
                return log_error_errno(r, "Failed to talk to portcullisd: %s", e->message ?: strerror(-r));

        if (g_str_has_prefix(e->name, BUS_ERROR_PREFIX))
                name = e->name + strlen(BUS_ERROR_PREFIX);
        else if (streq(e->name, SD_BUS_ERROR_ACCESS_DENIED) ||
                 streq(e->name, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED))
                name = "PermissionDenied";
        else if (streq(e->name, SD_BUS_ERROR_UNKNOWN_OBJECT))
                name = "NoSuchJail"; /* a jail object that does not exist */
        else if (streq(e->name, SD_BUS_ERROR_INVALID_ARGS))
                name = "InvalidParameter";
        else
                name = "Failed";

        *ret = (CtlError) {
                .name = strdup(name),
                .message = strdup(e->message ?: e->name),
        };
        if (streq(name, "ConfigError")) {
                g_auto(GStrv) lines = g_strsplit(e->message ?: "", "\n", -1);
                json_t *errors = json_array();

                for (char **l = lines; *l; l++)
                        if (**l)
                                json_array_append_new(errors, json_string(*l));
                ret->parameters = json_pack("{s:o}", "errors", errors);
        }
        return 1;
}

/* ---- helpers ----------------------------------------------------------------------------------------- */

static int new_call(BusTransport *b, const char *path, const char *interface, const char *member,
                    bool interactive, sd_bus_message **ret) {
        int r;

        r = sd_bus_message_new_method_call(b->bus, ret, BUS_NAME, path, interface, member);
        if (r < 0)
                return r;
        return sd_bus_message_set_allow_interactive_authorization(*ret, interactive);
}

static int do_call(BusTransport *b, sd_bus_message *m, bool interactive, sd_bus_message **reply,
                   CtlError *ret_error) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_call(b->bus, m, interactive ? CALL_TIMEOUT_INTERACTIVE_USEC : 0, &e, reply);
        if (r < 0)
                return convert_error(r, &e, ret_error);
        return 0;
}

/* One call on the manager object with arguments TYPES, ... (NULL: none). Returns like do_call(). */
static int manager_call(BusTransport *b, const char *member, bool interactive, sd_bus_message **reply,
                        CtlError *ret_error, const char *types, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        va_list ap;
        int r;

        r = new_call(b, BUS_PATH, BUS_MANAGER_INTERFACE, member, interactive, &m);
        if (r >= 0 && types) {
                va_start(ap, types);
                r = sd_bus_message_appendv(m, types, ap);
                va_end(ap);
        }
        if (r < 0)
                return log_error_errno(r, "Failed to build a D-Bus call: %m");
        return do_call(b, m, interactive, reply, ret_error);
}

/* Reads one basic or string-array variant into JSON. */
static int read_variant(sd_bus_message *m, json_t **ret) {
        const char *contents;
        char type;
        int r;

        r = sd_bus_message_peek_type(m, &type, &contents);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(m, 'v', contents);
        if (r < 0)
                return r;
        switch (contents[0]) {
        case 's': case 'o': {
                const char *s;
                r = sd_bus_message_read_basic(m, contents[0], &s);
                *ret = json_string(s);
                break;
        }
        case 'b': {
                int v;
                r = sd_bus_message_read_basic(m, 'b', &v);
                *ret = json_boolean(v);
                break;
        }
        case 'u': {
                uint32_t v;
                r = sd_bus_message_read_basic(m, 'u', &v);
                *ret = json_integer(v);
                break;
        }
        case 't': {
                uint64_t v;
                r = sd_bus_message_read_basic(m, 't', &v);
                *ret = json_usec(v);
                break;
        }
        case 'a': {
                char **l = NULL;
                r = sd_bus_message_read_strv(m, &l);
                *ret = json_array();
                for (char **i = l; r >= 0 && i && *i; i++)
                        json_array_append_new(*ret, json_string(*i));
                g_strfreev(l);
                break;
        }
        default:
                *ret = json_null();
                r = sd_bus_message_skip(m, contents);
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

typedef struct PropertyMap {
        const char *dbus;
        const char *json;
} PropertyMap;

static int get_all(BusTransport *b, const char *path, const char *interface, const PropertyMap *map,
                   json_t **ret, CtlError *ret_error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        json_t *o;
        int r;

        r = new_call(b, path, "org.freedesktop.DBus.Properties", "GetAll", false, &m);
        if (r >= 0)
                r = sd_bus_message_append(m, "s", interface);
        if (r < 0)
                return log_error_errno(r, "Failed to build a D-Bus call: %m");
        r = do_call(b, m, false, &reply, ret_error);
        if (r != 0)
                return r;

        o = json_object();
        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                const char *name;
                json_t *v = NULL;

                r = sd_bus_message_read(reply, "s", &name);
                if (r >= 0)
                        r = read_variant(reply, &v);
                if (r >= 0)
                        for (const PropertyMap *p = map; p->dbus; p++)
                                if (streq(p->dbus, name)) {
                                        json_object_set(o, p->json, v);
                                        break;
                                }
                json_decref(v);
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
        }
        if (r < 0) {
                json_decref(o);
                return log_error_errno(r, "Failed to parse the properties of %s: %m", path);
        }
        *ret = o;
        return 0;
}

static json_t *ban_from_message(sd_bus_message *m, int *ret_r) {
        const char *jail, *address;
        uint64_t start, end;
        uint32_t failures, count;

        *ret_r = sd_bus_message_read(m, "(ssttuu)", &jail, &address, &start, &end, &failures, &count);
        if (*ret_r <= 0)
                return NULL;
        return json_pack("{s:s, s:s, s:o, s:o, s:i, s:i}", "jail", jail, "address", address,
                         "startUSec", json_usec(start), "endUSec", json_usec(end),
                         "failures", (int) failures, "banCount", (int) count);
}

static int read_bans(sd_bus_message *reply, json_t **ret) {
        json_t *bans = json_array(), *ban;
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "(ssttuu)");
        while (r >= 0 && (ban = ban_from_message(reply, &r)))
                json_array_append_new(bans, ban);
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        if (r < 0) {
                json_decref(bans);
                return log_error_errno(r, "Failed to parse the list of bans: %m");
        }
        *ret = bans;
        return 0;
}

/* ---- the methods ------------------------------------------------------------------------------------- */

static const PropertyMap status_map[] = {
        { "Version", "version" },
        { "State", "state" },
        { "StartedAt", "startedAtUSec" },
        { "CurrentlyBanned", "currentlyBanned" },
        { "TotalBanned", "totalBanned" },
        { "EntriesProcessed", "entriesProcessed" },
        { "FailuresSeen", "failuresSeen" },
        { "JournalCursor", "journalCursor" },
        { "Jails", "jails" },
        {}
};

static const PropertyMap jail_map[] = {
        { "Name", "name" },
        { "Enabled", "running" },
        { "Filter", "filter" },
        { "JournalMatch", "journalMatch" },
        { "MaxRetry", "maxRetry" },
        { "FindTimeUSec", "findTimeUSec" },
        { "BanTimeUSec", "banTimeUSec" },
        { "Ports", "ports" },
        { "Protocol", "protocol" },
        { "BlockType", "blockType" },
        { "CurrentlyFailed", "currentlyFailed" },
        { "TotalFailed", "totalFailed" },
        { "CurrentlyBanned", "currentlyBanned" },
        { "TotalBanned", "totalBanned" },
        {}
};

static int call_get_status(BusTransport *b, json_t *p, bool interactive, json_t **ret, CtlError *e) {
        json_t *o = NULL;
        const char *cursor;
        int r;

        r = get_all(b, BUS_PATH, BUS_MANAGER_INTERFACE, status_map, &o, e);
        if (r != 0)
                return r;
        /* the shape has the number of jails; a missing cursor is left out */
        json_object_set_new(o, "jails", json_integer(json_array_size(json_object_get(o, "jails"))));
        cursor = json_string_value(json_object_get(o, "journalCursor"));
        if (isempty(cursor))
                json_object_del(o, "journalCursor");
        *ret = o;
        return 0;
}

static int call_list_jails(BusTransport *b, json_t *p, bool interactive, json_t **ret, CtlError *e) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        json_t *jails;
        const char *name, *path;
        int r;

        r = manager_call(b, "ListJails", false, &reply, e, NULL);
        if (r != 0)
                return r;
        jails = json_array();
        r = sd_bus_message_enter_container(reply, 'a', "(so)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(so)", &name, &path)) > 0) {
                json_t *j = NULL;

                r = get_all(b, path, BUS_JAIL_INTERFACE, jail_map, &j, e);
                if (r == 1 && streq_ptr(e->name, "NoSuchJail")) { /* gone in between (a reload) */
                        ctl_error_done(e);
                        r = 0;
                        continue;
                }
                if (r != 0) {
                        json_decref(jails);
                        return r;
                }
                json_array_append_new(jails, j);
        }
        if (r < 0) {
                json_decref(jails);
                return log_error_errno(r, "Failed to parse the list of jails: %m");
        }
        *ret = json_pack("{s:o}", "jails", jails);
        return 0;
}

static int call_list_bans(BusTransport *b, json_t *p, bool interactive, json_t **ret, CtlError *e) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        json_t *bans = NULL;
        uint64_t total;
        int r;

        r = manager_call(b, "ListBans", false, &reply, e, "stt", param_string(p, "jail"),
                         (uint64_t) json_integer_value(json_object_get(p, "offset")),
                         (uint64_t) json_integer_value(json_object_get(p, "limit")));
        if (r != 0)
                return r;
        r = read_bans(reply, &bans);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "t", &total);
        if (r < 0) {
                json_decref(bans);
                return log_error_errno(r, "Failed to parse the list of bans: %m");
        }
        *ret = json_pack("{s:o, s:I}", "bans", bans, "total", (json_int_t) total);
        return 0;
}

static int call_get_ban(BusTransport *b, json_t *p, bool interactive, json_t **ret, CtlError *e) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        json_t *bans = NULL;
        int r;

        r = manager_call(b, "GetBan", false, &reply, e, "s", param_string(p, "address"));
        if (r != 0)
                return r;
        r = read_bans(reply, &bans);
        if (r < 0)
                return r;
        *ret = json_pack("{s:o}", "bans", bans);
        return 0;
}

static int call_ban(BusTransport *b, json_t *p, bool interactive, json_t **ret, CtlError *e) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        json_t *ban;
        int r, created;

        r = manager_call(b, "Ban", interactive, &reply, e, "sstb", param_string(p, "jail"), param_string(p, "address"),
                         usec_from_json(json_object_get(p, "durationUSec")), interactive);
        if (r != 0)
                return r;
        ban = ban_from_message(reply, &r);
        if (r > 0)
                r = sd_bus_message_read(reply, "b", &created);
        if (r <= 0 || !ban) {
                json_decref(ban);
                return log_error_errno(r < 0 ? r : -EBADMSG, "Failed to parse the reply of Ban: %m");
        }
        *ret = json_pack("{s:o, s:b}", "ban", ban, "new", created);
        return 0;
}

/* {"count": N} from the reply of a call that returns "u" (R: what the call returned). */
static int reply_count(int r, sd_bus_message *reply, json_t **ret) {
        uint32_t count;

        if (r != 0)
                return r;
        r = sd_bus_message_read(reply, "u", &count);
        if (r < 0)
                return log_error_errno(r, "Failed to parse the reply: %m");
        *ret = json_pack("{s:i}", "count", (int) count);
        return 0;
}

static int call_unban(BusTransport *b, json_t *p, bool interactive, json_t **ret, CtlError *e) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = manager_call(b, "Unban", interactive, &reply, e, "ssb", param_string(p, "jail"), param_string(p, "address"),
                         interactive);
        return reply_count(r, reply, ret);
}

static int call_unban_all(BusTransport *b, json_t *p, bool interactive, json_t **ret, CtlError *e) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = manager_call(b, "UnbanAll", interactive, &reply, e, "sb", param_string(p, "jail"), interactive);
        return reply_count(r, reply, ret);
}

static int call_void(BusTransport *b, sd_bus_message *m, bool interactive, json_t **ret, CtlError *e) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = do_call(b, m, interactive, &reply, e);
        if (r != 0)
                return r;
        *ret = json_object();
        return 0;
}

static int jail_call(BusTransport *b, json_t *p, const char *member, bool interactive, json_t **ret, CtlError *e) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_free_ char *path = NULL;
        const char *jail = param_string(p, "jail");
        int r;

        if (isempty(jail)) {
                *e = (CtlError) { .name = strdup("NoSuchJail"), .message = strdup("No jail given.") };
                return 1;
        }
        r = sd_bus_path_encode(BUS_JAIL_PREFIX, jail, &path);
        if (r >= 0)
                r = new_call(b, path, streq(member, "Set") ? "org.freedesktop.DBus.Properties" : BUS_JAIL_INTERFACE,
                             member, interactive, &m);
        if (r >= 0 && streq(member, "Set"))
                r = sd_bus_message_append(m, "ssv", BUS_JAIL_INTERFACE, "BanTimeUSec", "t",
                                          usec_from_json(json_object_get(p, "banTimeUSec")));
        else if (r >= 0)
                r = sd_bus_message_append(m, "b", interactive);
        if (r < 0)
                return log_error_errno(r, "Failed to build a D-Bus call: %m");
        r = call_void(b, m, interactive, ret, e);
        if (r == 1 && streq_ptr(e->name, "NoSuchJail")) {
                free(e->message);
                e->message = g_strdup_printf("No jail '%s'.", jail);
        }
        return r;
}

static int call_start_jail(BusTransport *b, json_t *p, bool interactive, json_t **ret, CtlError *e) {
        return jail_call(b, p, "Start", interactive, ret, e);
}

static int call_stop_jail(BusTransport *b, json_t *p, bool interactive, json_t **ret, CtlError *e) {
        return jail_call(b, p, "Stop", interactive, ret, e);
}

static int call_set_ban_time(BusTransport *b, json_t *p, bool interactive, json_t **ret, CtlError *e) {
        return jail_call(b, p, "Set", interactive, ret, e);
}

static int call_reload(BusTransport *b, json_t *p, bool interactive, json_t **ret, CtlError *e) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = manager_call(b, "Reload", interactive, &reply, e, "b", interactive);
        if (r != 0)
                return r;
        *ret = json_object();
        return 0;
}

static int call_check_config(BusTransport *b, json_t *p, bool interactive, json_t **ret, CtlError *e) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        g_auto(GStrv) warnings = NULL;
        json_t *w;
        int r;

        r = manager_call(b, "CheckConfig", false, &reply, e, NULL);
        if (r != 0)
                return r;
        r = sd_bus_message_read_strv(reply, &warnings);
        if (r < 0)
                return log_error_errno(r, "Failed to parse the reply of CheckConfig: %m");
        w = json_array();
        for (char **i = warnings; i && *i; i++)
                json_array_append_new(w, json_string(*i));
        *ret = json_pack("{s:o}", "warnings", w);
        return 0;
}

static const struct {
        const char *method;
        int (*call)(BusTransport *b, json_t *p, bool interactive, json_t **ret, CtlError *e);
} methods[] = {
        { "GetStatus", call_get_status },
        { "ListJails", call_list_jails },
        { "ListBans", call_list_bans },
        { "GetBan", call_get_ban },
        { "Ban", call_ban },
        { "Unban", call_unban },
        { "UnbanAll", call_unban_all },
        { "StartJail", call_start_jail },
        { "StopJail", call_stop_jail },
        { "SetBanTime", call_set_ban_time },
        { "Reload", call_reload },
        { "CheckConfig", call_check_config },
};

static int bus_transport_call(CtlTransport *t, const char *method, json_t *parameters, bool interactive,
                              json_t **ret_reply, CtlError *ret_error) {
        BusTransport *b = (BusTransport *) t;

        for (size_t i = 0; i < ELEMENTSOF(methods); i++)
                if (streq(methods[i].method, method))
                        return methods[i].call(b, parameters, interactive, ret_reply, ret_error);
        *ret_error = (CtlError) { .name = strdup("NotSupported"), .message = g_strdup_printf("Unknown method %s.", method) };
        return 1;
}

/* ---- Monitor ----------------------------------------------------------------------------------------- */

typedef struct MonitorContext {
        int (*cb)(json_t *event, void *userdata);
        void *userdata;
        int result;
} MonitorContext;

static int monitor_deliver(sd_bus_message *m, MonitorContext *c, json_t *event) {
        int r = c->cb(event, c->userdata);

        json_decref(event);
        if (r != 0) {
                c->result = r < 0 ? r : 0;
                return sd_event_exit(sd_bus_get_event(sd_bus_message_get_bus(m)), 0);
        }
        return 0;
}

static int on_signal(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        MonitorContext *c = userdata;
        const char *jail, *address, *reason;
        uint64_t until;
        uint32_t failures;

        if (sd_bus_message_is_signal(m, BUS_MANAGER_INTERFACE, "Banned") > 0) {
                if (sd_bus_message_read(m, "sstu", &jail, &address, &until, &failures) < 0)
                        return 0;
                return monitor_deliver(m, c, json_pack("{s:s, s:{s:s, s:s, s:o, s:i}}", "event", "banned", "ban",
                                                       "jail", jail, "address", address, "endUSec", json_usec(until),
                                                       "failures", (int) failures));
        }
        if (sd_bus_message_is_signal(m, BUS_MANAGER_INTERFACE, "Unbanned") > 0) {
                if (sd_bus_message_read(m, "sss", &jail, &address, &reason) < 0)
                        return 0;
                return monitor_deliver(m, c, json_pack("{s:s, s:{s:s, s:s}, s:s}", "event", "unbanned", "ban",
                                                       "jail", jail, "address", address, "reason", reason));
        }
        if (sd_bus_message_is_signal(m, BUS_MANAGER_INTERFACE, "Reloaded") > 0)
                return monitor_deliver(m, c, json_pack("{s:s}", "event", "reloaded"));
        return 0;
}

static int on_name_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        MonitorContext *c = userdata;
        const char *name, *old_owner, *new_owner;

        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 || !streq(name, BUS_NAME) ||
            !isempty(new_owner))
                return 0;
        log_error("portcullisd left the bus.");
        c->result = -ECONNRESET;
        return sd_event_exit(sd_bus_get_event(sd_bus_message_get_bus(m)), 0);
}

static int bus_transport_monitor(CtlTransport *t, int (*cb)(json_t *event, void *userdata), void *userdata) {
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        BusTransport *b = (BusTransport *) t;
        MonitorContext c = { .cb = cb, .userdata = userdata };
        sigset_t mask;
        int r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigprocmask(SIG_BLOCK, &mask, NULL);

        r = sd_event_new(&event);
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGINT, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGTERM, NULL, NULL);
        if (r >= 0)
                r = sd_bus_attach_event(b->bus, event, 0);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the event loop: %m");

        r = sd_bus_match_signal(b->bus, NULL, BUS_NAME, BUS_PATH, BUS_MANAGER_INTERFACE, NULL, on_signal, &c);
        if (r >= 0)
                r = sd_bus_add_match(b->bus, NULL,
                                     "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
                                     "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='" BUS_NAME "'",
                                     on_name_owner_changed, &c);
        if (r < 0)
                return log_error_errno(r, "Failed to subscribe to the signals: %m");
        /* is the daemon there at all (this also starts it by bus activation)? */
        r = sd_bus_call_method(b->bus, BUS_NAME, BUS_PATH, "org.freedesktop.DBus.Peer", "Ping", &e, NULL, NULL);
        if (r < 0)
                return log_error_errno(r, "portcullisd is not reachable: %s", e.message ?: strerror(-r));

        r = sd_event_loop(event);
        (void) sd_bus_detach_event(b->bus);
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        return c.result;
}

static void bus_transport_free(CtlTransport *t) {
        BusTransport *b = (BusTransport *) t;

        sd_bus_flush_close_unref(b->bus);
        free(b);
}

static const CtlTransportOps bus_transport_ops = {
        .call = bus_transport_call,
        .monitor = bus_transport_monitor,
        .free = bus_transport_free,
};

int ctl_bus_transport_new(CtlTransport **ret) {
        BusTransport *b;
        int r;

        b = calloc(1, sizeof *b);
        if (!b)
                return -ENOMEM;
        b->transport.ops = &bus_transport_ops;
        r = sd_bus_open_system(&b->bus);
        if (r < 0) {
                free(b);
                return r;
        }
        *ret = &b->transport;
        return 0;
}
