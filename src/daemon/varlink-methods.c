/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The methods of org.portcullis.Portcullis1 on the control socket (docs/org.portcullis.Portcullis1.varlink),
 * on top of the Manager's control API (manager.h), which validates addresses, jails and durations. Here:
 * parameter shapes, the uid-0 rule for mutations, errno → varlink error, and Monitor events. Every handler
 * goes: parameters → validate → permission → act → reply. */
#include <inttypes.h>

#include "log.h"
#include "macro.h"
#include "varlink.h"

#define ERROR(name) VARLINK_INTERFACE "." name

/* ---- parameters ------------------------------------------------------------------------------------ */

typedef enum ParamType {
        PARAM_STRING,
        PARAM_INT,
} ParamType;

typedef struct ParamSpec {
        const char *name;
        ParamType type;
        bool required;
        void *ret; /* const char ** or int64_t *; left alone when the parameter is absent */
} ParamSpec;

/* Returns NULL when PARAMETERS fit SPECS (terminated by an entry without name), else the name of the
 * first parameter that is unknown, missing or of the wrong type. */
static const char *params_parse(json_t *parameters, const ParamSpec *specs) {
        const char *key;
        json_t *v;

        json_object_foreach(parameters, key, v) {
                const ParamSpec *s;

                for (s = specs; s->name; s++)
                        if (streq(s->name, key))
                                break;
                if (!s->name)
                        return key;
                if (json_is_null(v) && !s->required)
                        continue; /* varlink: null is the same as absent for an optional field */
                if (s->type == PARAM_STRING && json_is_string(v))
                        *(const char **) s->ret = json_string_value(v);
                else if (s->type == PARAM_INT && json_is_integer(v))
                        *(int64_t *) s->ret = json_integer_value(v);
                else
                        return key;
        }
        for (const ParamSpec *s = specs; s->name; s++) {
                json_t *given = json_object_get(parameters, s->name);

                if (s->required && (!given || json_is_null(given)))
                        return s->name;
        }
        return NULL;
}

#define PARSE_PARAMS(c, parameters, ...)                                                      \
        ({                                                                                    \
                const ParamSpec _specs[] = { __VA_ARGS__, {} };                               \
                const char *_bad = params_parse((parameters), _specs);                        \
                _bad ? varlink_error_invalid_parameter((c), _bad) : 0;                        \
        })

#define PARSE_NO_PARAMS(c, parameters)                                                        \
        ({                                                                                    \
                const ParamSpec _specs[] = { {} };                                            \
                const char *_bad = params_parse((parameters), _specs);                        \
                _bad ? varlink_error_invalid_parameter((c), _bad) : 0;                        \
        })

/* A duration from JSON: -1 permanent, > 0 µs; 0 stays 0 (callers decide). */
static int duration_from_json(int64_t v, usec_t *ret) {
        if (v == -1)
                *ret = USEC_INFINITY;
        else if (v < 0)
                return -ERANGE;
        else
                *ret = (usec_t) v;
        return 0;
}

static json_int_t usec_to_json(usec_t u) {
        return u == USEC_INFINITY || u > INT64_MAX ? -1 : (json_int_t) u;
}

/* ---- replies --------------------------------------------------------------------------------------- */

static int reply_errno(VarlinkConnection *c, int r, const char *jail, const char *address) {
        switch (-r) {
        case ENOENT:
                return varlink_error(c, ERROR("NoSuchJail"), json_pack("{s:s}", "jail", jail ?: ""));
        case EINVAL:
                return varlink_error(c, ERROR("InvalidAddress"), json_pack("{s:s}", "address", address ?: ""));
        case EADDRNOTAVAIL:
                return varlink_error(c, ERROR("AddressNotAllowed"), json_pack("{s:s}", "address", address ?: ""));
        case ERANGE:
                return varlink_error(c, ERROR("InvalidDuration"), NULL);
        case ENXIO:
                return varlink_error(c, ERROR("NotBanned"), json_pack("{s:s}", "address", address ?: ""));
        case EOPNOTSUPP:
                return varlink_error(c, ERROR("NotSupported"),
                                     json_pack("{s:s}", "message", "prefix bans are not supported by this jail"));
        case EBUSY:
                return varlink_error(c, ERROR("Busy"), NULL);
        default:
                return varlink_error(c, ERROR("Failed"), json_pack("{s:s}", "message", g_strerror(-r)));
        }
}

static int require_root(VarlinkConnection *c) {
        if (varlink_connection_uid(c) == 0)
                return 0;
        (void) varlink_error(c, ERROR("PermissionDenied"), NULL);
        return -EPERM;
}

static json_t *ban_to_json(const ManagerBanInfo *b) {
        return json_pack("{s:s,s:s,s:I,s:I,s:I,s:I}", "jail", b->jail, "address", b->address, "startUSec",
                         usec_to_json(b->start_usec), "endUSec", usec_to_json(b->end_usec), "failures",
                         (json_int_t) b->failures, "banCount", (json_int_t) b->ban_count);
}

static json_t *bans_to_json(GArray *bans) {
        json_t *a = json_array();

        for (guint i = 0; a && i < bans->len; i++)
                json_array_append_new(a, ban_to_json(&g_array_index(bans, ManagerBanInfo, i)));
        return a;
}

static json_t *jail_to_json(const ManagerJailInfo *j) {
        json_t *ports = json_array();

        for (size_t i = 0; ports && i < j->n_ports; i++) {
                g_autofree char *p = j->ports[i].first == j->ports[i].last ?
                        g_strdup_printf("%u", j->ports[i].first) :
                        g_strdup_printf("%u-%u", j->ports[i].first, j->ports[i].last);
                json_array_append_new(ports, json_string(p));
        }
        return json_pack("{s:s,s:b,s:s,s:s,s:I,s:I,s:I,s:o,s:s,s:s,s:I,s:I,s:I,s:I}", "name", j->name, "running",
                         j->running, "filter", j->filter ?: "", "journalMatch", j->journalmatch ?: "", "maxRetry",
                         (json_int_t) j->maxretry, "findTimeUSec", usec_to_json(j->findtime_usec), "banTimeUSec",
                         usec_to_json(j->bantime_usec), "ports", ports, "protocol", j->protocol ?: "all",
                         "blockType", j->blocktype ?: "drop", "currentlyFailed", (json_int_t) j->currently_failed,
                         "totalFailed", (json_int_t) j->total_failed, "currentlyBanned",
                         (json_int_t) j->currently_banned, "totalBanned", (json_int_t) j->total_banned);
}

static json_t *strv_to_json(char **l) {
        json_t *a = json_array();

        for (char **i = l; a && i && *i; i++)
                json_array_append_new(a, json_string(*i));
        return a;
}

static json_t *lines_to_json(const char *text) {
        g_auto(GStrv) lines = g_strsplit(text ?: "", "\n", -1);
        json_t *a = json_array();

        for (char **i = lines; a && *i; i++)
                if (**i)
                        json_array_append_new(a, json_string(*i));
        return a;
}

/* ---- methods --------------------------------------------------------------------------------------- */

static int method_get_status(VarlinkConnection *c, Manager *m, json_t *parameters) {
        _cleanup_free_ char *cursor = NULL;
        ManagerStatus st;
        json_t *reply;
        int r;

        r = PARSE_NO_PARAMS(c, parameters);
        if (r != 0)
                return r;
        manager_get_status(m, &st);
        reply = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I}", "version", st.version, "state",
                          manager_run_state_to_string(st.state), "startedAtUSec", usec_to_json(st.started_at_usec),
                          "jails", (json_int_t) st.n_jails, "currentlyBanned", (json_int_t) st.currently_banned,
                          "totalBanned", (json_int_t) st.total_banned, "entriesProcessed",
                          (json_int_t) st.entries_processed, "failuresSeen", (json_int_t) st.failures_seen);
        if (reply && manager_get_cursor(m, &cursor) >= 0 && cursor)
                json_object_set_new(reply, "journalCursor", json_string(cursor));
        return varlink_reply(c, reply, false);
}

static int method_list_jails(VarlinkConnection *c, Manager *m, json_t *parameters) {
        json_t *jails;
        int r;

        r = PARSE_NO_PARAMS(c, parameters);
        if (r != 0)
                return r;
        jails = json_array();
        for (size_t i = 0; jails && i < manager_n_jails(m); i++) {
                ManagerJailInfo info;

                if (manager_get_jail_by_index(m, i, &info) >= 0)
                        json_array_append_new(jails, jail_to_json(&info));
        }
        return varlink_reply(c, json_pack("{s:o}", "jails", jails), false);
}

static int method_list_bans(VarlinkConnection *c, Manager *m, json_t *parameters) {
        g_autoptr(GArray) bans = NULL;
        const char *jail = NULL;
        int64_t offset = 0, limit = 0;
        size_t total = 0;
        int r;

        r = PARSE_PARAMS(c, parameters, { "jail", PARAM_STRING, false, &jail },
                         { "offset", PARAM_INT, false, &offset }, { "limit", PARAM_INT, false, &limit });
        if (r != 0)
                return r;
        if (offset < 0)
                return varlink_error_invalid_parameter(c, "offset");
        if (limit < 0)
                return varlink_error_invalid_parameter(c, "limit");
        if (limit == 0 || limit > VARLINK_LIST_BANS_MAX)
                limit = VARLINK_LIST_BANS_MAX; /* no giant replies: clients page with total */

        r = manager_list_bans(m, jail, offset, limit, &bans, &total);
        if (r < 0)
                return reply_errno(c, r, jail, NULL);
        return varlink_reply(c, json_pack("{s:o,s:I}", "bans", bans_to_json(bans), "total", (json_int_t) total),
                             false);
}

static int method_get_ban(VarlinkConnection *c, Manager *m, json_t *parameters) {
        g_autoptr(GArray) bans = NULL;
        const char *address = NULL;
        int r;

        r = PARSE_PARAMS(c, parameters, { "address", PARAM_STRING, true, &address });
        if (r != 0)
                return r;
        r = manager_get_ban(m, address, &bans);
        if (r < 0)
                return reply_errno(c, r, NULL, address);
        return varlink_reply(c, json_pack("{s:o}", "bans", bans_to_json(bans)), false);
}

static int method_ban(VarlinkConnection *c, Manager *m, json_t *parameters) {
        const char *jail = NULL, *address = NULL;
        int64_t duration = 0;
        ManagerBanInfo info;
        usec_t d;
        int r;

        r = PARSE_PARAMS(c, parameters, { "jail", PARAM_STRING, true, &jail },
                         { "address", PARAM_STRING, true, &address }, { "durationUSec", PARAM_INT, false, &duration });
        if (r != 0)
                return r;
        if (duration_from_json(duration, &d) < 0)
                return reply_errno(c, -ERANGE, jail, address);
        if (require_root(c) < 0)
                return 0;

        r = manager_ban_address(m, jail, address, d, &info);
        if (r < 0)
                return reply_errno(c, r, jail, address);
        return varlink_reply(c, json_pack("{s:o,s:b}", "ban", ban_to_json(&info), "new", r > 0), false);
}

static int method_unban(VarlinkConnection *c, Manager *m, json_t *parameters) {
        const char *jail = NULL, *address = NULL;
        int r;

        r = PARSE_PARAMS(c, parameters, { "address", PARAM_STRING, true, &address },
                         { "jail", PARAM_STRING, false, &jail });
        if (r != 0)
                return r;
        if (require_root(c) < 0)
                return 0;

        r = manager_unban_address(m, jail, address, "manual");
        if (r < 0)
                return reply_errno(c, r, jail, address);
        return varlink_reply(c, json_pack("{s:i}", "count", r), false);
}

static int method_unban_all(VarlinkConnection *c, Manager *m, json_t *parameters) {
        const char *jail = NULL;
        int r;

        r = PARSE_PARAMS(c, parameters, { "jail", PARAM_STRING, false, &jail });
        if (r != 0)
                return r;
        if (require_root(c) < 0)
                return 0;

        r = manager_unban_all(m, jail, "manual");
        if (r < 0)
                return reply_errno(c, r, jail, NULL);
        return varlink_reply(c, json_pack("{s:i}", "count", r), false);
}

static int method_set_jail_running(VarlinkConnection *c, Manager *m, json_t *parameters, bool running) {
        const char *jail = NULL;
        int r;

        r = PARSE_PARAMS(c, parameters, { "jail", PARAM_STRING, true, &jail });
        if (r != 0)
                return r;
        if (require_root(c) < 0)
                return 0;

        r = manager_set_jail_running(m, jail, running);
        if (r < 0)
                return reply_errno(c, r, jail, NULL);
        return varlink_reply(c, NULL, false);
}

static int method_set_ban_time(VarlinkConnection *c, Manager *m, json_t *parameters) {
        const char *jail = NULL;
        int64_t bantime = 0;
        usec_t d;
        int r;

        r = PARSE_PARAMS(c, parameters, { "jail", PARAM_STRING, true, &jail },
                         { "banTimeUSec", PARAM_INT, true, &bantime });
        if (r != 0)
                return r;
        if (duration_from_json(bantime, &d) < 0 || d == 0)
                return reply_errno(c, -ERANGE, jail, NULL);
        if (require_root(c) < 0)
                return 0;

        r = manager_set_jail_bantime(m, jail, d);
        if (r < 0)
                return reply_errno(c, r, jail, NULL);
        return varlink_reply(c, NULL, false);
}

static int method_reload(VarlinkConnection *c, Manager *m, json_t *parameters) {
        g_autofree char *error = NULL;
        int r;

        r = PARSE_NO_PARAMS(c, parameters);
        if (r != 0)
                return r;
        if (require_root(c) < 0)
                return 0;

        r = manager_reload(m, &error);
        if (r < 0)
                return varlink_error(c, ERROR("ConfigError"), json_pack("{s:o}", "errors", lines_to_json(error)));
        return varlink_reply(c, NULL, false);
}

static int method_check_config(VarlinkConnection *c, Manager *m, json_t *parameters) {
        g_autofree char *error = NULL;
        g_auto(GStrv) warnings = NULL;
        int r;

        r = PARSE_NO_PARAMS(c, parameters);
        if (r != 0)
                return r;
        r = manager_check_config(m, &error, &warnings);
        if (r < 0)
                return varlink_error(c, ERROR("ConfigError"),
                                     json_pack("{s:o}", "errors", lines_to_json(error ?: g_strerror(-r))));
        return varlink_reply(c, json_pack("{s:o}", "warnings", strv_to_json(warnings)), false);
}

static int method_monitor(VarlinkConnection *c, Manager *m, json_t *parameters, bool more) {
        int r;

        r = PARSE_NO_PARAMS(c, parameters);
        if (r != 0)
                return r;
        if (!more)
                return varlink_error(c, "org.varlink.service.ExpectedMore", NULL);
        varlink_connection_subscribe(c);
        return varlink_reply(c, NULL, /* continues= */ true); /* the subscription is in place */
}

int varlink_methods_dispatch(VarlinkConnection *c, const char *method, json_t *parameters, bool more) {
        Manager *m = varlink_connection_manager(c);

        if (streq(method, "GetStatus"))
                return method_get_status(c, m, parameters);
        if (streq(method, "ListJails"))
                return method_list_jails(c, m, parameters);
        if (streq(method, "ListBans"))
                return method_list_bans(c, m, parameters);
        if (streq(method, "GetBan"))
                return method_get_ban(c, m, parameters);
        if (streq(method, "Ban"))
                return method_ban(c, m, parameters);
        if (streq(method, "Unban"))
                return method_unban(c, m, parameters);
        if (streq(method, "UnbanAll"))
                return method_unban_all(c, m, parameters);
        if (streq(method, "StartJail"))
                return method_set_jail_running(c, m, parameters, true);
        if (streq(method, "StopJail"))
                return method_set_jail_running(c, m, parameters, false);
        if (streq(method, "SetBanTime"))
                return method_set_ban_time(c, m, parameters);
        if (streq(method, "Reload"))
                return method_reload(c, m, parameters);
        if (streq(method, "CheckConfig"))
                return method_check_config(c, m, parameters);
        if (streq(method, "Monitor"))
                return method_monitor(c, m, parameters, more);
        return -EOPNOTSUPP;
}

/* ---- Monitor events -------------------------------------------------------------------------------- */

static void on_banned(Manager *m, const ManagerBanInfo *ban, void *userdata) {
        json_auto_t *ev = json_pack("{s:s,s:o}", "event", "banned", "ban", ban_to_json(ban));

        if (ev)
                varlink_server_broadcast(userdata, ev);
}

static void on_unbanned(Manager *m, const ManagerBanInfo *ban, const char *reason, void *userdata) {
        json_auto_t *ev = json_pack("{s:s,s:o,s:s}", "event", "unbanned", "ban", ban_to_json(ban), "reason",
                                    reason ?: "");

        if (ev)
                varlink_server_broadcast(userdata, ev);
}

static void on_reloaded(Manager *m, void *userdata) {
        json_auto_t *ev = json_pack("{s:s}", "event", "reloaded");

        if (ev)
                varlink_server_broadcast(userdata, ev);
}

const ManagerListener varlink_methods_listener = {
        .banned = on_banned,
        .unbanned = on_unbanned,
        .reloaded = on_reloaded,
};
