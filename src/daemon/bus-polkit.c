/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Asynchronous polkit authorization of D-Bus callers (see bus-polkit.h for the protocol). */
#include <errno.h>
#include <stdlib.h>

#include "bus-internal.h"
#include "bus-polkit.h"
#include "log.h"
#include "macro.h"

typedef struct PolkitQuery {
        GHashTable *registry;   /* borrowed: the registry this query is in */
        char *action;
        sd_bus_message *call;   /* the method call waiting for the answer (referenced; also the key) */
        sd_bus_slot *slot;      /* the pending CheckAuthorization, NULL once answered */
        bool done;
        bool authorized;
        bool challenge;         /* polkit would ask for a password */
        bool failed;            /* polkit unreachable / returned an error: denied */
} PolkitQuery;

static void polkit_query_free(void *p) {
        PolkitQuery *q = p;

        if (!q)
                return;
        sd_bus_slot_unref(q->slot);
        sd_bus_message_unref(q->call);
        free(q->action);
        free(q);
}

GHashTable *polkit_registry_new(void) {
        return g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, polkit_query_free);
}

void polkit_registry_free(GHashTable *registry) {
        if (registry)
                g_hash_table_unref(registry);
}

static int on_check_authorization(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        PolkitQuery *q = userdata;
        const sd_bus_error *e;
        int authorized = 0, challenge = 0, r;

        q->slot = sd_bus_slot_unref(q->slot);
        q->done = true;

        e = sd_bus_message_get_error(reply);
        if (e) {
                log_warning("polkit check of %s failed: %s: %s; denying.", q->action, e->name, e->message ?: "");
                q->failed = true;
        } else {
                r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
                if (r >= 0)
                        r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
                if (r < 0) {
                        log_warning_errno(r, "Unexpected reply from polkit for %s: %m; denying.", q->action);
                        q->failed = true;
                }
                q->authorized = authorized;
                q->challenge = challenge;
        }

        /* 2. dispatch the original call again: its handler finds this query answered */
        r = sd_bus_enqueue_for_read(sd_bus_message_get_bus(q->call), q->call);
        if (r < 0) {
                log_warning_errno(r, "Failed to queue the authorized call again: %m");
                (void) sd_bus_reply_method_errorf(q->call, BUS_ERROR_FAILED, "Internal error: %s", strerror(-r));
                g_hash_table_remove(q->registry, q->call);
        }
        return 1;
}

static int polkit_query_start(sd_bus_message *call, const char *action, bool interactive, GHashTable *registry,
                              sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *check = NULL;
        sd_bus *bus = sd_bus_message_get_bus(call);
        const char *sender = sd_bus_message_get_sender(call);
        PolkitQuery *q;
        int r;

        if (!sender)
                return sd_bus_error_set(error, BUS_ERROR_PERMISSION_DENIED, "Access denied: no sender.");
        if (g_hash_table_size(registry) >= POLKIT_QUERIES_MAX) {
                static bool logged = false;

                if (!logged)
                        log_warning("%u polkit checks pending, refusing further ones until they are answered.",
                                    (unsigned) POLKIT_QUERIES_MAX);
                logged = true;
                return sd_bus_error_set(error, BUS_ERROR_BUSY, "Too many authorization checks pending, try again.");
        }

        r = sd_bus_message_new_method_call(bus, &check, "org.freedesktop.PolicyKit1",
                                           "/org/freedesktop/PolicyKit1/Authority",
                                           "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization");
        if (r >= 0)
                r = sd_bus_message_append(check, "(sa{sv})s", "system-bus-name", 1, "name", "s", sender, action);
        if (r >= 0)
                /* no details; flags: 1 = AllowUserInteraction; no cancellation id */
                r = sd_bus_message_append(check, "a{ss}us", 0, (uint32_t) (interactive ? 1 : 0), "");
        if (r < 0)
                return r;

        q = calloc(1, sizeof *q);
        if (!q)
                return -ENOMEM;
        q->registry = registry;
        q->call = sd_bus_message_ref(call);
        q->action = strdup(action);
        if (!q->action) {
                polkit_query_free(q);
                return -ENOMEM;
        }
        /* an interactive check waits for a human: no timeout but polkit's own */
        r = sd_bus_call_async(bus, &q->slot, check, on_check_authorization, q,
                              interactive ? 300 * 1000000ULL : 0);
        if (r < 0) {
                polkit_query_free(q);
                log_warning_errno(r, "Cannot ask polkit about %s: %m; denying.", action);
                return sd_bus_error_set(error, BUS_ERROR_PERMISSION_DENIED, "Access denied: polkit unreachable.");
        }
        g_hash_table_insert(registry, call, q);
        return 0;
}

int bus_verify_polkit_async(sd_bus_message *call, const char *action, bool interactive, GHashTable *registry,
                            sd_bus_error *error) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        PolkitQuery *q;
        uid_t uid;
        int r;

        /* the allow-interactive-authorization header flag counts like the argument */
        interactive = interactive || sd_bus_message_get_allow_interactive_authorization(call) > 0;

        /* 1. second pass: the answer is there */
        q = g_hash_table_lookup(registry, call);
        if (q) {
                bool authorized = q->authorized, challenge = q->challenge, done = q->done;

                if (!done)  /* dispatched again before polkit answered: cannot happen, keep waiting */
                        return 0;
                if (!streq(q->action, action)) {
                        g_hash_table_remove(registry, call);
                        return sd_bus_error_set(error, BUS_ERROR_FAILED, "Internal error: authorization mismatch.");
                }
                g_hash_table_remove(registry, call);
                if (authorized)
                        return 1;
                if (challenge && !interactive)
                        return sd_bus_error_set(error, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED,
                                                "Interactive authentication required.");
                return sd_bus_error_setf(error, BUS_ERROR_PERMISSION_DENIED,
                                         "Access denied: not authorized for %s.", action);
        }

        /* root may do everything without asking polkit, as systemd's services allow it */
        r = sd_bus_query_sender_creds(call, SD_BUS_CREDS_EUID | SD_BUS_CREDS_AUGMENT, &creds);
        if (r >= 0)
                r = sd_bus_creds_get_euid(creds, &uid);
        if (r >= 0 && uid == 0)
                return 1;

        r = polkit_query_start(call, action, interactive, registry, error);
        if (r < 0)
                return r;
        return 0;
}
