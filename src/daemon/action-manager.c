/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <glib.h>

#include "action-manager.h"
#include "action.h"
#include "log.h"
#include "manager-internal.h"

#define SHUTDOWN_WAIT_USEC (10 * USEC_PER_SEC)
#define RETIRED_MAX 64U

struct ActionManager {
        sd_event *event;
        Manager *manager;
        ActionRunner *runner;
        GHashTable *actions;  /* "jail\x1e" fingerprint → Action * (owned) */
        GHashTable *by_jail;  /* jail → GPtrArray of Action * (borrowed) */
        GPtrArray *retired;   /* removed by a reload, finishing their stop hooks (Action *, owned) */
        sd_event_source *shutdown_source;
        usec_t shutdown_deadline;
        bool started;
};

static void action_free_void(void *a) {
        action_free(a);
}

static void run_all(GPtrArray *list, const ActionEvent *e) {
        for (guint i = 0; list && i < list->len; i++) {
                Action *a = list->pdata[i];
                ActionEvent ev = *e;
                int r;

                ev.jail = action_jail(a);
                r = action_run(a, &ev);
                if (r < 0)
                        log_warning_errno(r, "Action '%s' of jail %s: cannot run its %s hook%s%s, ignoring: %m",
                                          action_name(a), action_jail(a), action_hook_to_string(e->hook),
                                          e->address ? " for " : "", e->address ?: "");
        }
}

/* Makes the set of actions match the running configuration. */
static void action_manager_sync(ActionManager *am) {
        g_autoptr(GHashTable) old = am->actions;
        const Ruleset *rs = am->manager->ruleset;

        am->actions = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, action_free_void);
        g_hash_table_remove_all(am->by_jail);

        for (size_t i = 0; rs && i < rs->n_jails; i++) {
                const JailConfig *c = rs->jails[i].config;
                GPtrArray *list = g_ptr_array_new();

                g_hash_table_insert(am->by_jail, g_strdup(c->name), list);
                for (guint k = 0; c->actions && k < c->actions->len; k++) {
                        const ActionSpec *spec = c->actions->pdata[k];
                        g_autofree char *fp = action_spec_fingerprint(spec);
                        char *key = g_strdup_printf("%s\x1e%s", c->name, fp);
                        gpointer oldkey, a = NULL;

                        if (old && g_hash_table_steal_extended(old, key, &oldkey, &a))
                                g_free(oldkey);
                        else {
                                g_autofree char *error = NULL;
                                int r = action_new(am->runner, c->name, spec, (Action **) &a, &error);

                                if (r < 0) {
                                        log_error("%s, action disabled", error ? error : "cannot set up an action");
                                        g_free(key);
                                        continue;
                                }
                                ActionEvent e = { .hook = ACTION_HOOK_START, .jail = c->name };
                                GPtrArray one = { .pdata = &a, .len = 1 };
                                run_all(&one, &e);
                        }
                        g_hash_table_insert(am->actions, key, a);
                        g_ptr_array_add(list, a);
                }
        }

        if (old) {
                GHashTableIter it;
                gpointer a;

                g_hash_table_iter_init(&it, old);
                while (g_hash_table_iter_next(&it, NULL, &a)) {
                        ActionEvent e = { .hook = ACTION_HOOK_STOP };
                        GPtrArray one = { .pdata = &a, .len = 1 };

                        g_hash_table_iter_steal(&it);
                        action_flush(a);
                        run_all(&one, &e);
                        if (am->retired->len >= RETIRED_MAX)
                                g_ptr_array_remove_index(am->retired, 0);
                        g_ptr_array_add(am->retired, a);
                }
        }
}

static void ban_event(const ManagerBanInfo *b, ActionHook hook, ActionEvent *ret) {
        *ret = (ActionEvent) {
                .hook = hook,
                .jail = b->jail,
                .address = b->address,
                .start_usec = b->start_usec,
                .end_usec = b->end_usec,
                .failures = b->failures,
                .ban_count = b->ban_count,
                .matches = b->matches,
        };
}

static void on_banned(Manager *m, const ManagerBanInfo *b, void *userdata) {
        ActionManager *am = userdata;
        ActionEvent e;

        ban_event(b, ACTION_HOOK_BAN, &e);
        run_all(g_hash_table_lookup(am->by_jail, b->jail), &e);
}

static void on_unbanned(Manager *m, const ManagerBanInfo *b, const char *reason, void *userdata) {
        ActionManager *am = userdata;
        ActionEvent e;

        ban_event(b, ACTION_HOOK_UNBAN, &e);
        run_all(g_hash_table_lookup(am->by_jail, b->jail), &e);
}

static void on_reloaded(Manager *m, void *userdata) {
        ActionManager *am = userdata;

        if (am->started)
                action_manager_sync(am);
}

static const ManagerListener listener = {
        .banned = on_banned,
        .unbanned = on_unbanned,
        .reloaded = on_reloaded,
};

int action_manager_new(sd_event *event, Manager *m, ActionManager **ret) {
        ActionManager *am = g_new0(ActionManager, 1);
        int r;

        am->event = sd_event_ref(event);
        am->manager = m;
        am->by_jail = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
        am->retired = g_ptr_array_new_with_free_func(action_free_void);
        r = action_runner_new(event, &am->runner);
        if (r >= 0)
                r = manager_add_listener(m, &listener, am);
        if (r < 0) {
                action_manager_free(am);
                return r;
        }
        *ret = am;
        return 0;
}

ActionManager *action_manager_free(ActionManager *am) {
        if (!am)
                return NULL;
        if (am->manager)
                manager_remove_listener(am->manager, &listener, am);
        sd_event_source_disable_unref(am->shutdown_source);
        if (am->actions)
                g_hash_table_unref(am->actions);
        g_hash_table_unref(am->by_jail);
        g_ptr_array_unref(am->retired);
        action_runner_free(am->runner);
        sd_event_unref(am->event);
        free(am);
        return NULL;
}

void action_manager_start(ActionManager *am) {
        am->started = true;
        action_manager_sync(am);
}

static int on_shutdown_tick(sd_event_source *s, uint64_t usec, void *userdata) {
        ActionManager *am = userdata;

        if (action_runner_busy(am->runner) == 0 || now_usec(CLOCK_MONOTONIC) >= am->shutdown_deadline) {
                if (action_runner_busy(am->runner) > 0)
                        log_warning("Exiting with %zu action job(s) unfinished.", action_runner_busy(am->runner));
                return sd_event_exit(am->event, 0);
        }
        return sd_event_source_set_time_relative(s, 20 * USEC_PER_MSEC);
}

void action_manager_shutdown(ActionManager *am) {
        GHashTableIter it;
        gpointer a;
        int r;

        if (am->shutdown_source)
                return; /* second SIGTERM: keep waiting, the deadline holds */
        if (am->actions) {
                g_hash_table_iter_init(&it, am->actions);
                while (g_hash_table_iter_next(&it, NULL, &a)) {
                        ActionEvent e = { .hook = ACTION_HOOK_STOP };
                        GPtrArray one = { .pdata = &a, .len = 1 };

                        action_flush(a);
                        run_all(&one, &e);
                }
        }
        am->shutdown_deadline = now_usec(CLOCK_MONOTONIC) + SHUTDOWN_WAIT_USEC;
        r = sd_event_add_time_relative(am->event, &am->shutdown_source, CLOCK_MONOTONIC, 0, 0, on_shutdown_tick, am);
        if (r >= 0)
                r = sd_event_source_set_enabled(am->shutdown_source, SD_EVENT_ON);
        if (r < 0)
                (void) sd_event_exit(am->event, 0);
}
