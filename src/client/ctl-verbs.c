/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The verbs of portcullisctl that talk to a running portcullisd. Written once against the transport
 * contract (ctl-transport.h): every call takes and returns the varlink JSON shapes, whichever transport
 * carries it, and --json prints exactly those shapes (one document per verb). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"
#include "macro.h"

/* ListBans pages: the daemon caps one reply at 10,000 bans (BUS_LIST_BANS_MAX). */
#define LIST_BANS_PAGE 10000

typedef struct Session {
        const CtlOptions *o;
        CtlTransport *t;
} Session;

static void session_done(Session *s) {
        ctl_transport_free(s->t);
        s->t = NULL;
        ctl_polkit_agent_close();
        ctl_pager_close();
}

/* One call. PARAMS is consumed. Returns 0 with *ret (owned), or an exit code after printing the error. */
static int call(Session *s, const char *method, json_t *params, bool mutating, json_t **ret) {
        _cleanup_(ctl_error_done) CtlError e = {};
        bool interactive = mutating && ctl_interactive(s->o);
        json_t *reply = NULL;
        int r;

        if (!params)
                params = json_object();
        if (!s->t && ctl_connect(s->o, &s->t) < 0) {
                json_decref(params);
                return CTL_EXIT_FAILURE;
        }
        if (interactive)
                ctl_polkit_agent_open(s->o);
        r = s->t->ops->call(s->t, method, params, interactive, &reply, &e);
        json_decref(params);
        if (r < 0)
                return CTL_EXIT_FAILURE; /* logged by the transport */
        if (r > 0) {
                json_t *errors = json_object_get(e.parameters, "errors");

                if (json_array_size(errors) > 0) {
                        size_t i;
                        json_t *v;

                        log_error("%s failed, configuration errors:", method);
                        json_array_foreach(errors, i, v)
                                fprintf(stderr, "  %s\n", json_string_value(v));
                } else
                        log_error("%s", e.message ?: e.name);
                return ctl_error_exit_code(&e);
        }
        *ret = reply;
        return 0;
}

static void print_json(json_t *doc) {
        json_dumpf(doc, stdout, isatty(STDOUT_FILENO) > 0 ? JSON_INDENT(2) : JSON_COMPACT);
        putchar('\n');
}

static json_int_t jint(json_t *o, const char *key) {
        return json_integer_value(json_object_get(o, key));
}

static const char *jstr(json_t *o, const char *key) {
        return json_string_value(json_object_get(o, key)) ?: "";
}

static char *ports_text(json_t *jail) {
        json_t *ports = json_object_get(jail, "ports"), *v;
        GString *s = g_string_new(NULL);
        size_t i;

        json_array_foreach(ports, i, v)
                g_string_append_printf(s, "%s%s", i > 0 ? "," : "", json_string_value(v));
        if (s->len == 0)
                g_string_append(s, "all ports");
        return g_string_free(s, false);
}

int ctl_parse_duration(const char *s, usec_t *ret) {
        usec_t t;

        if (streq(s, "permanent") || streq(s, "infinity")) {
                *ret = USEC_INFINITY;
                return 0;
        }
        /* parse_duration() reads fail2ban's "-1" as permanent: here a negative duration is a mistake */
        if (s[0] == '-' || parse_duration(s, &t) < 0 || t == 0) {
                log_error("Invalid duration '%s': use e.g. 90s, 10m, 1h30m, 2d, or 'permanent'.", s);
                return -EINVAL;
        }
        *ret = t;
        return 0;
}

/* ---- status, list-jails, show ------------------------------------------------------------------------ */

/* The jails named in ARGS (all when none), from a ListJails reply; a name not found is an error. */
static int select_jails(json_t *all, int n, char **names, json_t **ret) {
        json_t *jails = json_object_get(all, "jails"), *sel = json_array(), *j;
        size_t i;

        for (int k = 0; k < n; k++) {
                bool found = false;

                json_array_foreach(jails, i, j)
                        if (streq(jstr(j, "name"), names[k])) {
                                json_array_append(sel, j);
                                found = true;
                        }
                if (!found) {
                        log_error("No jail '%s'.", names[k]);
                        json_decref(sel);
                        return CTL_EXIT_NOT_FOUND;
                }
        }
        if (n == 0)
                json_array_extend(sel, jails);
        *ret = sel;
        return 0;
}

static void print_jail_status(json_t *j) {
        g_autofree char *find = ctl_format_duration(jint(j, "findTimeUSec"));
        g_autofree char *ban = ctl_format_duration(jint(j, "banTimeUSec"));
        g_autofree char *ports = ports_text(j);
        bool running = json_is_true(json_object_get(j, "running"));

        printf("%s●%s %s — %s\n", ctl_ansi(running ? ANSI_GREEN : ANSI_GREY), ctl_ansi(ANSI_NORMAL), jstr(j, "name"),
               running ? "running" : "stopped");
        printf("     Filter: %s\n", jstr(j, "filter"));
        printf("    Journal: %s\n", jstr(j, "journalMatch"));
        printf("      Rules: %" JSON_INTEGER_FORMAT " failures within %s → ban for %s\n", jint(j, "maxRetry"), find, ban);
        printf("      Ports: %s/%s (%s)\n", ports, jstr(j, "protocol"), jstr(j, "blockType"));
        printf("     Failed: %" JSON_INTEGER_FORMAT " addresses now, %" JSON_INTEGER_FORMAT " failures since start\n",
               jint(j, "currentlyFailed"), jint(j, "totalFailed"));
        printf("     Banned: %" JSON_INTEGER_FORMAT " now, %" JSON_INTEGER_FORMAT " since start\n",
               jint(j, "currentlyBanned"), jint(j, "totalBanned"));
}

static void print_jail_table(json_t *jails, const CtlOptions *o) {
        g_autoptr(CtlTable) t = ctl_table_new(6, "JAIL", "STATE", "FILTER", "FAILED", "BANNED", "TOTAL");
        json_t *j;
        size_t i;

        json_array_foreach(jails, i, j)
                ctl_table_add_row(t, g_strdup(jstr(j, "name")),
                                  g_strdup(json_is_true(json_object_get(j, "running")) ? "running" : "stopped"),
                                  g_strdup(jstr(j, "filter")),
                                  g_strdup_printf("%" JSON_INTEGER_FORMAT, jint(j, "currentlyFailed")),
                                  g_strdup_printf("%" JSON_INTEGER_FORMAT, jint(j, "currentlyBanned")),
                                  g_strdup_printf("%" JSON_INTEGER_FORMAT, jint(j, "totalBanned")));
        ctl_table_print(t, !o->no_legend);
        if (!o->no_legend)
                printf("\n%zu jails listed.\n", ctl_table_rows(t));
}

static void print_daemon_status(json_t *status) {
        g_autofree char *since = ctl_format_timestamp(jint(status, "startedAtUSec"));
        bool running = streq(jstr(status, "state"), "running");

        printf("%s●%s portcullisd %s — %s\n", ctl_ansi(running ? ANSI_GREEN : ANSI_RED), ctl_ansi(ANSI_NORMAL),
               jstr(status, "version"), jstr(status, "state"));
        printf("     Since: %s\n", since);
        printf("     Jails: %" JSON_INTEGER_FORMAT "\n", jint(status, "jails"));
        printf("    Banned: %" JSON_INTEGER_FORMAT " now, %" JSON_INTEGER_FORMAT " since start\n",
               jint(status, "currentlyBanned"), jint(status, "totalBanned"));
        printf("  Failures: %" JSON_INTEGER_FORMAT " in %" JSON_INTEGER_FORMAT " journal entries\n",
               jint(status, "failuresSeen"), jint(status, "entriesProcessed"));
}

int verb_status(int n_args, char **args, const CtlOptions *o) {
        _cleanup_(session_done) Session s = { .o = o };
        json_t *status = NULL, *all = NULL, *sel = NULL;
        int r;

        r = call(&s, "GetStatus", NULL, false, &status);
        if (r == 0)
                r = call(&s, "ListJails", NULL, false, &all);
        if (r == 0)
                r = select_jails(all, n_args - 1, args + 1, &sel);
        if (r != 0)
                goto finish;

        if (o->json) {
                json_t *doc = json_pack("{s:O, s:O}", "status", status, "jails", sel);

                print_json(doc);
                json_decref(doc);
                goto finish;
        }
        ctl_pager_open(o);
        if (n_args > 1) {
                json_t *j;
                size_t i;

                json_array_foreach(sel, i, j) {
                        if (i > 0)
                                putchar('\n');
                        print_jail_status(j);
                }
                goto finish;
        }

        print_daemon_status(status);
        if (json_array_size(sel) > 0) {
                putchar('\n');
                print_jail_table(sel, o);
        }
finish:
        json_decref(status);
        json_decref(all);
        json_decref(sel);
        return r;
}

int verb_list_jails(int n_args, char **args, const CtlOptions *o) {
        _cleanup_(session_done) Session s = { .o = o };
        json_t *all = NULL;
        int r;

        if (n_args > 1) {
                log_error("list-jails takes no arguments.");
                return CTL_EXIT_USAGE;
        }
        r = call(&s, "ListJails", NULL, false, &all);
        if (r != 0)
                return r;
        if (o->json)
                print_json(all);
        else {
                ctl_pager_open(o);
                print_jail_table(json_object_get(all, "jails"), o);
        }
        json_decref(all);
        return 0;
}

/* "show": every property as Name=value, like systemctl show (names: the JSON fields, capitalized). */
static void print_properties(json_t *o) {
        const char *key;
        json_t *v;

        json_object_foreach(o, key, v) {
                printf("%c%s=", g_ascii_toupper(key[0]), key + 1);
                if (json_is_string(v))
                        fputs(json_string_value(v), stdout);
                else if (json_is_array(v)) {
                        json_t *x;
                        size_t i;

                        json_array_foreach(v, i, x)
                                printf("%s%s", i > 0 ? " " : "", json_string_value(x) ?: "");
                } else if (json_is_boolean(v))
                        fputs(json_is_true(v) ? "yes" : "no", stdout);
                else if (json_is_integer(v))
                        printf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
                putchar('\n');
        }
}

int verb_show(int n_args, char **args, const CtlOptions *o) {
        _cleanup_(session_done) Session s = { .o = o };
        json_t *doc = NULL, *all = NULL, *sel = NULL;
        int r;

        if (n_args <= 1) {
                r = call(&s, "GetStatus", NULL, false, &doc);
                if (r != 0)
                        return r;
                if (o->json)
                        print_json(doc);
                else {
                        ctl_pager_open(o);
                        print_properties(doc);
                }
                json_decref(doc);
                return 0;
        }
        r = call(&s, "ListJails", NULL, false, &all);
        if (r == 0)
                r = select_jails(all, n_args - 1, args + 1, &sel);
        if (r == 0) {
                json_t *j;
                size_t i;

                if (o->json) /* one document: the Jail shape for one jail, {"jails": [...]} for several */
                        print_json(json_array_size(sel) == 1 ? json_array_get(sel, 0) : (doc = json_pack("{s:O}", "jails", sel)));
                else {
                        ctl_pager_open(o);
                        json_array_foreach(sel, i, j) {
                                if (i > 0)
                                        putchar('\n');
                                print_properties(j);
                        }
                }
        }
        json_decref(doc);
        json_decref(all);
        json_decref(sel);
        return r;
}

/* ---- bans -------------------------------------------------------------------------------------------- */

int verb_list_bans(int n_args, char **args, const CtlOptions *o) {
        _cleanup_(session_done) Session s = { .o = o };
        json_t *bans = json_array(), *page = NULL, *b;
        json_int_t total = 0;
        size_t i;
        int r = 0;

        if (n_args > 2) {
                log_error("list-bans takes at most one jail.");
                json_decref(bans);
                return CTL_EXIT_USAGE;
        }
        /* page through: one reply never holds more than LIST_BANS_PAGE bans */
        for (;;) {
                json_t *params = json_pack("{s:s, s:I, s:I}", "jail", n_args > 1 ? args[1] : "",
                                           "offset", (json_int_t) json_array_size(bans), "limit", (json_int_t) LIST_BANS_PAGE);

                r = call(&s, "ListBans", params, false, &page);
                if (r != 0)
                        break;
                total = jint(page, "total");
                json_array_extend(bans, json_object_get(page, "bans"));
                size_t got = json_array_size(json_object_get(page, "bans"));
                json_decref(page);
                if (got == 0 || (json_int_t) json_array_size(bans) >= total)
                        break;
        }
        if (r != 0) {
                json_decref(bans);
                return r;
        }

        if (o->json) {
                json_t *doc = json_pack("{s:o, s:I}", "bans", bans, "total", (json_int_t) json_array_size(bans));

                print_json(doc);
                json_decref(doc);
                return 0;
        }
        ctl_pager_open(o);
        g_autoptr(CtlTable) t = ctl_table_new(6, "JAIL", "ADDRESS", "BANNED SINCE", "UNTIL", "FAILURES", "BANS");
        json_array_foreach(bans, i, b)
                ctl_table_add_row(t, g_strdup(jstr(b, "jail")), g_strdup(jstr(b, "address")),
                                  ctl_format_timestamp(jint(b, "startUSec")), ctl_format_timestamp(jint(b, "endUSec")),
                                  g_strdup_printf("%" JSON_INTEGER_FORMAT, jint(b, "failures")),
                                  g_strdup_printf("%" JSON_INTEGER_FORMAT, jint(b, "banCount")));
        if (json_array_size(bans) > 0 || !o->no_legend)
                ctl_table_print(t, !o->no_legend);
        if (!o->no_legend)
                printf("\n%zu bans listed.\n", json_array_size(bans));
        json_decref(bans);
        return 0;
}

int verb_ban(int n_args, char **args, const CtlOptions *o) {
        _cleanup_(session_done) Session s = { .o = o };
        json_t *reply = NULL, *ban;
        int r;

        if (n_args != 3) {
                log_error("Usage: portcullisctl ban JAIL ADDRESS [--time=DURATION]");
                return CTL_EXIT_USAGE;
        }
        r = call(&s, "Ban", json_pack("{s:s, s:s, s:I}", "jail", args[1], "address", args[2], "durationUSec",
                                      o->time_usec == USEC_INFINITY ? (json_int_t) -1 : (json_int_t) o->time_usec),
                 true, &reply);
        if (r != 0)
                return r;
        ban = json_object_get(reply, "ban");
        if (o->json)
                print_json(reply);
        else {
                g_autofree char *until = ctl_format_timestamp(jint(ban, "endUSec"));

                printf("%s %s in %s until %s.\n", json_is_true(json_object_get(reply, "new")) ? "Banned" : "Ban of",
                       jstr(ban, "address"), jstr(ban, "jail"), until);
        }
        json_decref(reply);
        return 0;
}

int verb_unban(int n_args, char **args, const CtlOptions *o) {
        _cleanup_(session_done) Session s = { .o = o };
        json_t *reply = NULL;
        json_int_t count;
        int r;

        if (o->all) {
                if (n_args > 2 || (n_args == 2 && o->jail)) {
                        log_error("Usage: portcullisctl unban --all [JAIL]");
                        return CTL_EXIT_USAGE;
                }
                r = call(&s, "UnbanAll", json_pack("{s:s}", "jail", n_args == 2 ? args[1] : (o->jail ?: "")), true, &reply);
        } else {
                if (n_args != 2) {
                        log_error("Usage: portcullisctl unban ADDRESS [--jail=JAIL] | unban --all [JAIL]");
                        return CTL_EXIT_USAGE;
                }
                r = call(&s, "Unban", json_pack("{s:s, s:s}", "address", args[1], "jail", o->jail ?: ""), true, &reply);
        }
        if (r != 0)
                return r;
        count = jint(reply, "count");
        if (o->json)
                print_json(reply);
        else
                printf("Lifted %" JSON_INTEGER_FORMAT " ban%s.\n", count, count == 1 ? "" : "s");
        json_decref(reply);
        return 0;
}

/* ---- configuration and jails ------------------------------------------------------------------------- */

static int simple_call(const CtlOptions *o, const char *method, json_t *params) {
        _cleanup_(session_done) Session s = { .o = o };
        json_t *reply = NULL;
        int r;

        r = call(&s, method, params, true, &reply);
        if (r != 0)
                return r;
        if (o->json)
                print_json(reply);
        json_decref(reply);
        return 0;
}

int verb_reload(int n_args, char **args, const CtlOptions *o) {
        if (n_args > 1) {
                log_error("reload takes no arguments.");
                return CTL_EXIT_USAGE;
        }
        /* the reply comes once the reload is done: ExecReload= can rely on it */
        return simple_call(o, "Reload", NULL);
}

int verb_start_stop(int n_args, char **args, const CtlOptions *o) {
        if (n_args != 2) {
                log_error("Usage: portcullisctl %s JAIL", args[0]);
                return CTL_EXIT_USAGE;
        }
        return simple_call(o, streq(args[0], "start") ? "StartJail" : "StopJail", json_pack("{s:s}", "jail", args[1]));
}

int verb_set_bantime(int n_args, char **args, const CtlOptions *o) {
        usec_t t;

        if (n_args != 3) {
                log_error("Usage: portcullisctl set-bantime JAIL DURATION");
                return CTL_EXIT_USAGE;
        }
        if (ctl_parse_duration(args[2], &t) < 0)
                return CTL_EXIT_USAGE;
        return simple_call(o, "SetBanTime", json_pack("{s:s, s:I}", "jail", args[1], "banTimeUSec",
                                                       t == USEC_INFINITY ? (json_int_t) -1 : (json_int_t) t));
}

/* ---- monitor ----------------------------------------------------------------------------------------- */

static int on_event(json_t *event, void *userdata) {
        const CtlOptions *o = userdata;
        json_t *ban = json_object_get(event, "ban");
        const char *what = jstr(event, "event");

        if (o->json)
                json_dumpf(event, stdout, JSON_COMPACT);
        else if (streq(what, "banned")) {
                g_autofree char *until = ctl_format_timestamp(jint(ban, "endUSec"));

                printf("%sbanned%s   %s %s until %s (%" JSON_INTEGER_FORMAT " failures)", ctl_ansi(ANSI_RED),
                       ctl_ansi(ANSI_NORMAL), jstr(ban, "jail"), jstr(ban, "address"), until, jint(ban, "failures"));
        } else if (streq(what, "unbanned"))
                printf("%sunbanned%s %s %s (%s)", ctl_ansi(ANSI_GREEN), ctl_ansi(ANSI_NORMAL), jstr(ban, "jail"),
                       jstr(ban, "address"), jstr(event, "reason"));
        else
                printf("%s", what);
        putchar('\n');
        fflush(stdout);
        return 0;
}

int verb_monitor(int n_args, char **args, const CtlOptions *o) {
        _cleanup_(session_done) Session s = { .o = o };
        int r;

        if (n_args > 1) {
                log_error("monitor takes no arguments.");
                return CTL_EXIT_USAGE;
        }
        if (ctl_connect(o, &s.t) < 0)
                return CTL_EXIT_FAILURE;
        if (isatty(STDERR_FILENO) > 0)
                fprintf(stderr, "Monitoring ban events, ^C to stop.\n");
        r = s.t->ops->monitor(s.t, on_event, (void *) o);
        return r < 0 ? CTL_EXIT_FAILURE : 0;
}
