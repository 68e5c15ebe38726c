/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "manager.h"

/* The control socket: the varlink wire protocol (NUL-terminated JSON objects) on a Unix stream socket,
 * serving org.portcullis.Portcullis1 (varlink-methods.c) and org.varlink.service. One thread, sd-event io
 * sources, non-blocking; every client is bounded (message size, pending output, time to finish a
 * message) and a misbehaving client only ever loses its own connection. */

#define VARLINK_SOCKET_NAME "io.portcullis.Portcullis1"
#define VARLINK_INTERFACE "org.portcullis.Portcullis1"

#define VARLINK_MESSAGE_MAX (64u * 1024u)        /* one request; larger: the connection is closed */
#define VARLINK_CLIENTS_MAX 64u                  /* more: a new connection is closed at once */
#define VARLINK_CLIENTS_PER_UID_MAX 16u          /* the same for one non-root uid: readers cannot lock root out */
#define VARLINK_OUTPUT_MAX (1024u * 1024u)       /* unsent replies/events per client; more: dropped */
#define VARLINK_MESSAGE_TIMEOUT_USEC (5u * 1000000u) /* a started message must end (NUL) within this */
#define VARLINK_LIST_BANS_MAX 1000u              /* the largest ListBans page */

typedef struct VarlinkServer VarlinkServer;
typedef struct VarlinkConnection VarlinkConnection;

/* Takes the socket passed by systemd (sd_listen_fds_with_names: named VARLINK_SOCKET_NAME or
 * "portcullisd.socket"), else binds RUNTIME_DIR/VARLINK_SOCKET_NAME itself with mode 0660 and group
 * GROUP (NULL or "": root's). Logs every problem. */
int varlink_server_new_and_log(Manager *m, sd_event *event, const char *runtime_dir, const char *group,
                               VarlinkServer **ret);
VarlinkServer *varlink_server_free(VarlinkServer *s);

/* ---- for varlink-methods.c ---------------------------------------------------------------------- */

Manager *varlink_connection_manager(const VarlinkConnection *c);
uid_t varlink_connection_uid(const VarlinkConnection *c);

/* Queues one reply: {"parameters": PARAMETERS} (stolen; NULL: {}), with "continues": true when
 * CONTINUES. Nothing is sent for a oneway call. Returns 0, or -ENOBUFS when the client's output is
 * over its limit (the connection is then closed when control returns to the loop). */
int varlink_reply(VarlinkConnection *c, json_t *parameters, bool continues);
/* {"error": NAME, "parameters": PARAMETERS (stolen; NULL: {})}. */
int varlink_error(VarlinkConnection *c, const char *name, json_t *parameters);
int varlink_error_invalid_parameter(VarlinkConnection *c, const char *parameter);

/* Marks the connection as a Monitor subscriber: it gets every event from now on (varlink_broadcast). */
void varlink_connection_subscribe(VarlinkConnection *c);
/* Sends EVENT ({"event": …}, borrowed) to every subscriber with "continues": true. */
void varlink_server_broadcast(VarlinkServer *s, json_t *event);

/* varlink-methods.c: handles one call of interface org.portcullis.Portcullis1 (METHOD without the
 * interface). MORE: the caller asked for a stream. Returns 0 when it replied (also with an error), or
 * -EOPNOTSUPP for an unknown method (the server answers MethodNotFound). */
int varlink_methods_dispatch(VarlinkConnection *c, const char *method, json_t *parameters, bool more);
/* Listener that turns the Manager's events into Monitor events. */
extern const ManagerListener varlink_methods_listener;
/* The interface description (docs/org.portcullis.Portcullis1.varlink), compiled in. */
extern const char varlink_interface_description[];

static inline void varlink_server_freep(VarlinkServer **s) {
        if (*s)
                *s = varlink_server_free(*s);
}
