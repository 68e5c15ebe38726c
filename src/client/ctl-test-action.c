/* SPDX-License-Identifier: GPL-2.0-or-later */
/* portcullisctl test-action JAIL ACTION ADDRESS: loads the configuration offline and runs the ban hook
 * of one action of one jail once, in an sd-event loop of our own (no retries, digest sent at once). */
#include <glib.h>
#include <stdio.h>

#include "action.h"
#include "ctl.h"
#include "log.h"

typedef struct Result {
        bool done, success;
        char *error;
} Result;

static void on_result(Action *a, ActionHook hook, bool success, bool final, const char *error, void *userdata) {
        Result *res = userdata;

        if (!final)
                return;
        res->done = true;
        res->success = success;
        free(res->error);
        res->error = error ? g_strdup(error) : NULL;
}

int verb_test_action(int n_args, char **args, const CtlOptions *o) {
        ConfigPaths paths = ctl_config_paths(o);
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(action_runner_freep) ActionRunner *runner = NULL;
        g_autofree char *error = NULL;
        const JailConfig *jail = NULL;
        const ActionSpec *spec = NULL;
        Action *action = NULL;
        AddressPrefix prefix;
        Config *c = NULL;
        Result res = {};
        char addr[ADDRESS_STRING_MAX];
        int r, ret = CTL_EXIT_FAILURE;

        if (n_args != 4) {
                log_error("Usage: portcullisctl test-action JAIL ACTION ADDRESS");
                return CTL_EXIT_USAGE;
        }
        if (address_prefix_parse(args[3], &prefix) < 0) {
                log_error("'%s' is not an IP address or prefix.", args[3]);
                return CTL_EXIT_USAGE;
        }
        if (paths.fail2ban_dir) {
                log_error("test-action works on a portcullis configuration, not with --fail2ban-config.");
                return CTL_EXIT_USAGE;
        }
        r = config_load(&paths, &c, &error);
        if (r < 0) {
                fprintf(stderr, "%s\n", error ? error : strerror(-r));
                return CTL_EXIT_FAILURE;
        }
        for (size_t i = 0; i < c->n_jails; i++)
                if (streq(c->jails[i]->name, args[1]))
                        jail = c->jails[i];
        for (guint i = 0; jail && jail->actions && i < jail->actions->len; i++) {
                const ActionSpec *s = jail->actions->pdata[i];

                if (streq(s->name, args[2]) || streq(action_type_to_string(s->type), args[2]))
                        spec = s;
        }
        if (!jail || !spec) {
                log_error(!jail ? "No jail '%s'." : "Jail '%s' has no action '%s'.", args[1], args[2]);
                ret = CTL_EXIT_NOT_FOUND;
                goto finish;
        }

        r = sd_event_new(&event);
        if (r >= 0)
                r = action_runner_new(event, &runner);
        if (r < 0) {
                log_error_errno(r, "Failed to set up the action runtime: %m");
                goto finish;
        }
        action_runner_set_result_callback(runner, on_result, &res);
        r = action_new(runner, jail->name, spec, &action, &error);
        if (r < 0) {
                fprintf(stderr, "%s\n", error);
                goto finish;
        }
        action_set_attempts(action, 1);

        usec_t now = now_usec(CLOCK_REALTIME);
        const char *matches[] = { o->message, NULL };
        ActionEvent e = {
                .hook = ACTION_HOOK_BAN,
                .jail = jail->name,
                .address = address_prefix_to_string(&prefix, addr),
                .start_usec = now,
                .end_usec = jail->bantime_usec == USEC_INFINITY ? USEC_INFINITY : now + jail->bantime_usec,
                .failures = jail->maxretry,
                .ban_count = 1,
                .matches = o->message ? matches : NULL,
        };
        r = action_run(action, &e);
        action_flush(action);
        if (r < 0) {
                log_error_errno(r, "Action '%s' of jail %s: cannot build the ban job: %m", spec->name, jail->name);
                goto finish;
        }
        while (action_runner_busy(runner) > 0) {
                r = sd_event_run(event, UINT64_MAX);
                if (r < 0) {
                        log_error_errno(r, "Event loop failed: %m");
                        goto finish;
                }
        }
        if (!res.done) {
                printf("Action '%s' of jail %s does nothing on ban for %s.\n", spec->name, jail->name, addr);
                ret = CTL_EXIT_OK;
        } else if (res.success) {
                printf("OK: action '%s' (%s) of jail %s: ban %s done.\n", spec->name, action_type_to_string(spec->type),
                       jail->name, addr);
                ret = CTL_EXIT_OK;
        } else
                printf("FAILED: action '%s' (%s) of jail %s: ban %s: %s\n", spec->name,
                       action_type_to_string(spec->type), jail->name, addr, res.error);

finish:
        action_free(action);
        free(res.error);
        config_free(c);
        return ret;
}
