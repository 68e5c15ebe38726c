/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <systemd/sd-bus.h>

/* Asynchronous polkit checks for D-Bus method handlers (the queued-message pattern).
 *
 * A handler that mutates calls bus_verify_polkit_async() after validating its arguments:
 *
 *     r = bus_verify_polkit_async(message, "org.portcullis.Portcullis1.ban", interactive, registry, error);
 *     if (r < 0)
 *             return r;         error is set: denied, interactive authorization required, too busy
 *     if (r == 0)
 *             return 1;         asked polkit: the handler runs again with the same message later
 *     ... authorized: mutate, emit, reply ...
 *
 * Call schematic:
 *
 *   method call M ─→ handler ─→ verify: sender root?  yes ─→ 1 (authorized at once, polkit not asked)
 *                                       │ no
 *                                       └─→ CheckAuthorization(system-bus-name sender, action, flags)
 *                                           sent asynchronously; M referenced in REGISTRY; returns 0
 *   polkit reply (or error) ─→ result stored in the query; sd_bus_enqueue_for_read(M)
 *   M dispatched again ─→ handler ─→ verify finds the query with its result, forgets it ─→ 1 or error
 *
 * An unreachable polkit or any error of the call means "denied". The caller's duties: read and
 * validate the arguments before calling (they are read again on the second pass, so the handler must
 * not have side effects before this call), and pass the same REGISTRY every time. At most
 * POLKIT_QUERIES_MAX queries are pending; further ones are refused with Busy (logged once). */

#define POLKIT_QUERIES_MAX 256

/* A registry of pending queries: create with polkit_registry_new(), free with polkit_registry_free(),
 * which cancels pending queries (their callers get no answer: the daemon is going away). */
GHashTable *polkit_registry_new(void);
void polkit_registry_free(GHashTable *registry);

int bus_verify_polkit_async(sd_bus_message *call, const char *action, bool interactive, GHashTable *registry,
                            sd_bus_error *error);
