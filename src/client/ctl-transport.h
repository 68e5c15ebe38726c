/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <jansson.h>
#include <stdbool.h>

/* How portcullisctl talks to a running portcullisd: one interface, two transports.
 *   ctl-bus.c      the system bus (org.portcullis.Portcullis1), polkit-checked, with pkttyagent on a
 *                  terminal for interactive authorization — the default;
 *   ctl-varlink.c  the control socket /run/portcullis/io.portcullis.Portcullis1 (varlink wire format),
 *                  with --varlink, or automatically when no system bus is reachable.
 * The verbs (ctl-verbs.c) are written once against the varlink shape below: every call takes and
 * returns JSON objects exactly as the varlink interface org.portcullis.Portcullis1 defines them
 * (docs/org.portcullis.Portcullis1.varlink). The D-Bus transport converts its replies into the same
 * shape. These shapes are also what `portcullisctl --json` prints: field names are stable.
 *
 * Shapes (times are µs since the epoch or µs durations as JSON integers; -1 = permanent/never):
 *   Ban  = {"jail": s, "address": s, "startUSec": i, "endUSec": i, "failures": i, "banCount": i}
 *   Jail = {"name": s, "running": b, "filter": s, "journalMatch": s, "maxRetry": i, "findTimeUSec": i,
 *           "banTimeUSec": i, "ports": [s] ("22", "8000-8080"; [] = all), "protocol": s, "blockType": s,
 *           "currentlyFailed": i, "totalFailed": i, "currentlyBanned": i, "totalBanned": i}
 * Methods (parameters → reply):
 *   GetStatus   {} → {"version": s, "state": s, "startedAtUSec": i, "jails": i, "currentlyBanned": i,
 *                     "totalBanned": i, "entriesProcessed": i, "failuresSeen": i, "journalCursor": s?}
 *   ListJails   {} → {"jails": [Jail]}
 *   ListBans    {"jail": s?, "offset": i?, "limit": i?} → {"bans": [Ban], "total": i}
 *   GetBan      {"address": s} → {"bans": [Ban]}
 *   Ban         {"jail": s, "address": s, "durationUSec": i? (absent/0: the jail's, -1: permanent)}
 *                 → {"ban": Ban, "new": b}
 *   Unban       {"address": s, "jail": s? (absent/"": every jail)} → {"count": i}
 *   UnbanAll    {"jail": s?} → {"count": i}
 *   StartJail / StopJail  {"jail": s} → {}
 *   SetBanTime  {"jail": s, "banTimeUSec": i} → {}
 *   Reload      {} → {}
 *   CheckConfig {} → {"warnings": [s]}
 *   Monitor     {} → a stream of {"event": "banned"|"unbanned"|"reloaded", "ban": Ban?, "reason": s?}
 * Errors (varlink names org.portcullis.Portcullis1.NAME; D-Bus org.portcullis.Portcullis1.Error.NAME;
 * CtlError.name holds NAME alone): NoSuchJail, InvalidAddress, AddressNotAllowed, InvalidDuration,
 * NotBanned, NotSupported, Busy, ConfigError (parameters {"errors": [s]}: "FILE:LINE: message"),
 * PermissionDenied (polkit said no / not root on the socket), InvalidParameter, Failed (anything else).
 * Exit codes of the verbs: see ctl_error_exit_code(). */

typedef struct CtlError {
        char *name;    /* "NoSuchJail", … (owned); NULL when the call succeeded */
        char *message; /* human text (owned), may be NULL */
        json_t *parameters; /* error parameters (owned), may be NULL */
} CtlError;

void ctl_error_done(CtlError *e);
/* CTL_EXIT_NOT_FOUND for NoSuchJail and NotBanned, CTL_EXIT_FAILURE otherwise. */
int ctl_error_exit_code(const CtlError *e);

typedef struct CtlTransport CtlTransport;

typedef struct CtlTransportOps {
        /* One call. Returns 0 with *ret_reply (owned) on success; a negative errno for a transport failure
         * (daemon unreachable, connection lost: the message is logged); 1 with *ret_error filled when the
         * daemon answered with an error. INTERACTIVE allows polkit to ask for a password (D-Bus only). */
        int (*call)(CtlTransport *t, const char *method, json_t *parameters, bool interactive, json_t **ret_reply,
                    CtlError *ret_error);
        /* Streams Monitor events to CB until it returns non-zero, the daemon goes away (returns -ECONNRESET)
         * or SIGINT/SIGTERM (returns 0). */
        int (*monitor)(CtlTransport *t, int (*cb)(json_t *event, void *userdata), void *userdata);
        void (*free)(CtlTransport *t);
} CtlTransportOps;

struct CtlTransport {
        const CtlTransportOps *ops;
};

/* ctl-bus.c: connects to the system bus (sd_bus_open_system: $DBUS_SYSTEM_BUS_ADDRESS or the standard
 * socket). A negative errno (-ENOENT, -ECONNREFUSED …) when no bus is reachable. */
int ctl_bus_transport_new(CtlTransport **ret);
/* ctl-varlink.c: connects to PATH (NULL: the default control socket in the runtime dir). */
int ctl_varlink_transport_new(const char *path, CtlTransport **ret);

static inline void ctl_transport_free(CtlTransport *t) {
        if (t)
                t->ops->free(t);
}
