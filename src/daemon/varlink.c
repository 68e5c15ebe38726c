/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The control socket server: accepts clients on a Unix stream socket (socket-activated or bound here),
 * reads NUL-terminated JSON requests, answers them in order, and streams Monitor events. The varlink
 * protocol (varlink.org): a request is {"method": "IFACE.Method", "parameters": {…}, "more": b,
 * "oneway": b}; a reply is {"parameters": {…}} or {"error": "IFACE.Name", "parameters": {…}}, with
 * "continues": true on every reply of a stream but the last.
 *
 * What a client can make us hold, and the bound on it:
 *   connections      VARLINK_CLIENTS_MAX, VARLINK_CLIENTS_PER_UID_MAX per non-root uid; one more is
 *                    accepted and closed at once;
 *   input            one message, VARLINK_MESSAGE_MAX bytes; longer, or not finished (NUL) within
 *                    VARLINK_MESSAGE_TIMEOUT_USEC of its first byte: the connection is closed;
 *   output           VARLINK_OUTPUT_MAX bytes not yet taken by the client (the kernel's socket buffer
 *                    comes on top); more: closed. While a reply is unsent we read no further request
 *                    (back-pressure), so only Monitor events can pile up, and they are bounded too.
 * Closing is deferred (a "dead" flag and a defer source): a connection can be doomed while a call on
 * another one runs, e.g. a monitor that does not read its events when someone bans an address. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>

#include "build-config.h"
#include "log.h"
#include "macro.h"
#include "varlink.h"

struct VarlinkServer {
        Manager *manager;
        sd_event *event;
        int listen_fd;
        char *bound_path; /* the socket we bound ourselves (unlinked at exit); NULL when activated */
        sd_event_source *listen_source;
        sd_event_source *gc_source; /* frees dead connections, from the loop */
        GPtrArray *connections;     /* VarlinkConnection*, owned */
        bool limit_logged;
};

struct VarlinkConnection {
        VarlinkServer *server;
        int fd;
        uid_t uid;
        pid_t pid;
        sd_event_source *io_source;
        sd_event_source *timer_source; /* deadline of the message being received */
        GByteArray *in;
        GByteArray *out;
        size_t out_done; /* bytes of out already written */
        bool oneway;     /* the call being answered wants no reply */
        bool subscribed;
        bool dead;
};

static void connection_free(VarlinkConnection *c) {
        if (!c)
                return;
        sd_event_source_disable_unref(c->io_source);
        sd_event_source_disable_unref(c->timer_source);
        if (c->fd >= 0)
                close(c->fd);
        if (c->in)
                g_byte_array_unref(c->in);
        if (c->out)
                g_byte_array_unref(c->out);
        g_free(c);
}

static void connection_kill(VarlinkConnection *c, const char *why) {
        if (c->dead)
                return;
        log_debug("Control socket: closing connection of uid %u pid %i: %s", (unsigned) c->uid, (int) c->pid, why);
        c->dead = true;
        (void) sd_event_source_set_enabled(c->io_source, SD_EVENT_OFF);
        (void) sd_event_source_set_enabled(c->timer_source, SD_EVENT_OFF);
        (void) sd_event_source_set_enabled(c->server->gc_source, SD_EVENT_ONESHOT);
}

static int on_gc(sd_event_source *es, void *userdata) {
        VarlinkServer *s = userdata;

        for (guint i = s->connections->len; i > 0; i--) {
                VarlinkConnection *c = g_ptr_array_index(s->connections, i - 1);

                if (c->dead)
                        g_ptr_array_remove_index_fast(s->connections, i - 1); /* frees it */
        }
        return 0;
}

Manager *varlink_connection_manager(const VarlinkConnection *c) {
        return c->server->manager;
}

uid_t varlink_connection_uid(const VarlinkConnection *c) {
        return c->uid;
}

/* ---- output ---------------------------------------------------------------------------------------- */

static void connection_update_events(VarlinkConnection *c);

static void connection_flush(VarlinkConnection *c) {
        while (!c->dead && c->out_done < c->out->len) {
                ssize_t n = send(c->fd, c->out->data + c->out_done, c->out->len - c->out_done,
                                 MSG_DONTWAIT | MSG_NOSIGNAL);
                if (n < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                break;
                        connection_kill(c, "write failed");
                        return;
                }
                c->out_done += n;
        }
        if (c->out_done == c->out->len) {
                g_byte_array_set_size(c->out, 0);
                c->out_done = 0;
        } else if (c->out_done >= 64 * 1024) {
                g_byte_array_remove_range(c->out, 0, c->out_done);
                c->out_done = 0;
        }
        connection_update_events(c);
}

static int connection_send(VarlinkConnection *c, json_t *msg) {
        _cleanup_free_ char *text = NULL;
        size_t len;

        if (c->dead)
                return -ECONNRESET;
        text = json_dumps(msg, JSON_COMPACT);
        if (!text)
                return -ENOMEM;
        len = strlen(text);
        if (c->out->len - c->out_done + len + 1 > VARLINK_OUTPUT_MAX) {
                connection_kill(c, "output limit reached (the client does not read)");
                return -ENOBUFS;
        }
        g_byte_array_append(c->out, (const guint8 *) text, len + 1); /* with the NUL */
        connection_flush(c);
        return 0;
}

int varlink_reply(VarlinkConnection *c, json_t *parameters, bool continues) {
        json_t *p = parameters ?: json_object();
        json_auto_t *msg = NULL;

        if (c->oneway) {
                json_decref(p);
                return 0;
        }
        msg = continues ? json_pack("{s:o,s:b}", "parameters", p, "continues", 1) : json_pack("{s:o}", "parameters", p);
        if (!msg)
                return -ENOMEM;
        return connection_send(c, msg);
}

int varlink_error(VarlinkConnection *c, const char *name, json_t *parameters) {
        json_t *p = parameters ?: json_object();
        json_auto_t *msg = NULL;

        if (c->oneway) {
                json_decref(p);
                return 0;
        }
        msg = json_pack("{s:s,s:o}", "error", name, "parameters", p);
        if (!msg)
                return -ENOMEM;
        return connection_send(c, msg);
}

int varlink_error_invalid_parameter(VarlinkConnection *c, const char *parameter) {
        return varlink_error(c, "org.varlink.service.InvalidParameter", json_pack("{s:s}", "parameter", parameter));
}

void varlink_connection_subscribe(VarlinkConnection *c) {
        c->subscribed = true;
}

void varlink_server_broadcast(VarlinkServer *s, json_t *event) {
        for (guint i = 0; i < s->connections->len; i++) {
                VarlinkConnection *c = g_ptr_array_index(s->connections, i);

                if (c->subscribed && !c->dead)
                        (void) varlink_reply(c, json_incref(event), /* continues= */ true);
        }
}

/* ---- org.varlink.service --------------------------------------------------------------------------- */

static const char varlink_service_description[] =
        "# The Varlink Service Interface is provided by every varlink service.\n"
        "interface org.varlink.service\n"
        "\n"
        "method GetInfo() -> (\n"
        "  vendor: string,\n"
        "  product: string,\n"
        "  version: string,\n"
        "  url: string,\n"
        "  interfaces: []string\n"
        ")\n"
        "\n"
        "method GetInterfaceDescription(interface: string) -> (description: string)\n"
        "\n"
        "error InterfaceNotFound (interface: string)\n"
        "error MethodNotFound (method: string)\n"
        "error MethodNotImplemented (method: string)\n"
        "error InvalidParameter (parameter: string)\n"
        "error PermissionDenied ()\n"
        "error ExpectedMore ()\n";

static int service_dispatch(VarlinkConnection *c, const char *method, json_t *parameters) {
        if (streq(method, "GetInfo"))
                return varlink_reply(c, json_pack("{s:s,s:s,s:s,s:s,s:[s,s]}", "vendor", "Portcullis",
                                                  "product", "portcullisd", "version", PACKAGE_VERSION, "url",
                                                  "https://github.com/portcullis/portcullis", "interfaces",
                                                  "org.varlink.service", VARLINK_INTERFACE),
                                     false);
        if (streq(method, "GetInterfaceDescription")) {
                json_t *iface = json_object_get(parameters, "interface");
                const char *key;
                json_t *v;

                json_object_foreach(parameters, key, v)
                        if (!streq(key, "interface"))
                                return varlink_error_invalid_parameter(c, key);
                if (!json_is_string(iface))
                        return varlink_error_invalid_parameter(c, "interface");
                if (streq(json_string_value(iface), VARLINK_INTERFACE))
                        return varlink_reply(c, json_pack("{s:s}", "description", varlink_interface_description),
                                             false);
                if (streq(json_string_value(iface), "org.varlink.service"))
                        return varlink_reply(c, json_pack("{s:s}", "description", varlink_service_description),
                                             false);
                return varlink_error(c, "org.varlink.service.InterfaceNotFound", json_pack("{s:O}", "interface", iface));
        }
        return -EOPNOTSUPP;
}

/* ---- input ----------------------------------------------------------------------------------------- */

/* One request. Returns 0, or a negative errno for a protocol violation (the connection is closed). */
static int connection_handle(VarlinkConnection *c, const char *text, size_t len) {
        json_auto_t *msg = NULL;
        json_t *method, *parameters, *more, *oneway, *upgrade;
        _cleanup_free_ char *interface = NULL;
        const char *name, *dot;
        json_error_t error;
        int r;

        msg = json_loadb(text, len, JSON_REJECT_DUPLICATES, &error);
        if (!json_is_object(msg))
                return -EBADMSG;
        method = json_object_get(msg, "method");
        parameters = json_object_get(msg, "parameters");
        more = json_object_get(msg, "more");
        oneway = json_object_get(msg, "oneway");
        upgrade = json_object_get(msg, "upgrade");
        if (!json_is_string(method) || (parameters && !json_is_object(parameters)) || (more && !json_is_boolean(more)) ||
            (oneway && !json_is_boolean(oneway)) || (upgrade && !json_is_boolean(upgrade)))
                return -EBADMSG;
        if (json_is_true(more) && json_is_true(oneway))
                return -EBADMSG;

        name = json_string_value(method);
        dot = strrchr(name, '.');
        if (!dot || dot == name || !dot[1])
                return -EBADMSG;
        interface = strndup(name, dot - name);
        if (!interface)
                return -ENOMEM;

        c->oneway = json_is_true(oneway);
        if (!parameters) {
                json_object_set_new(msg, "parameters", json_object());
                parameters = json_object_get(msg, "parameters");
        }
        if (json_is_true(upgrade))
                r = varlink_error(c, "org.varlink.service.MethodNotImplemented", json_pack("{s:s}", "method", name));
        else if (streq(interface, "org.varlink.service"))
                r = service_dispatch(c, dot + 1, parameters);
        else if (streq(interface, VARLINK_INTERFACE))
                r = varlink_methods_dispatch(c, dot + 1, parameters, json_is_true(more));
        else
                r = varlink_error(c, "org.varlink.service.InterfaceNotFound", json_pack("{s:s}", "interface", interface));
        if (r == -EOPNOTSUPP)
                r = varlink_error(c, "org.varlink.service.MethodNotFound", json_pack("{s:s}", "method", name));
        c->oneway = false;
        return r == -ENOBUFS ? 0 : r; /* the reply was too much for it: already doomed */
}

static int on_message_timeout(sd_event_source *es, uint64_t usec, void *userdata) {
        connection_kill(userdata, "message not finished in time");
        return 0;
}

/* Handles the complete requests in the input buffer, one at a time, as long as nothing is waiting to be
 * sent (back-pressure); arms or disarms the deadline of an unfinished one. */
static void connection_process(VarlinkConnection *c) {
        while (!c->dead && c->out->len == 0) {
                guint8 *nul = c->in->len > 0 ? memchr(c->in->data, 0, c->in->len) : NULL;
                size_t len;
                int r;

                if (!nul)
                        break;
                len = nul - c->in->data;
                r = connection_handle(c, (const char *) c->in->data, len);
                if (r < 0) {
                        connection_kill(c, r == -EBADMSG ? "malformed message" : "failed to handle a message");
                        return;
                }
                g_byte_array_remove_range(c->in, 0, len + 1);
        }
        if (c->dead)
                return;
        if (c->in->len >= VARLINK_MESSAGE_MAX && !memchr(c->in->data, 0, c->in->len)) {
                connection_kill(c, "message too long");
                return;
        }
        if (c->in->len > 0 && !memchr(c->in->data, 0, c->in->len)) {
                int enabled = SD_EVENT_OFF;

                (void) sd_event_source_get_enabled(c->timer_source, &enabled);
                if (enabled == SD_EVENT_OFF) {
                        (void) sd_event_source_set_time_relative(c->timer_source, VARLINK_MESSAGE_TIMEOUT_USEC);
                        (void) sd_event_source_set_enabled(c->timer_source, SD_EVENT_ONESHOT);
                }
        } else
                (void) sd_event_source_set_enabled(c->timer_source, SD_EVENT_OFF);
        connection_update_events(c);
}

static void connection_update_events(VarlinkConnection *c) {
        uint32_t events = 0;

        if (c->dead)
                return;
        if (c->out->len > 0)
                events |= EPOLLOUT;
        else if (c->in->len < VARLINK_MESSAGE_MAX)
                events |= EPOLLIN; /* no reading while a reply waits: back-pressure */
        (void) sd_event_source_set_io_events(c->io_source, events);
}

static int on_connection_io(sd_event_source *es, int fd, uint32_t revents, void *userdata) {
        VarlinkConnection *c = userdata;

        if (revents & EPOLLOUT) {
                connection_flush(c);
                if (c->out->len == 0)
                        connection_process(c); /* requests that waited behind the reply */
                return 0;
        }
        if (revents & EPOLLIN) {
                size_t room = VARLINK_MESSAGE_MAX - MIN(c->in->len, VARLINK_MESSAGE_MAX);
                guint8 buf[16 * 1024];
                ssize_t n;

                n = recv(fd, buf, MIN(room, sizeof buf), MSG_DONTWAIT);
                if (n < 0) {
                        if (errno != EAGAIN && errno != EINTR)
                                connection_kill(c, "read failed");
                        return 0;
                }
                if (n == 0) {
                        connection_kill(c, "closed by the client");
                        return 0;
                }
                g_byte_array_append(c->in, buf, n);
                connection_process(c);
                return 0;
        }
        if (revents & (EPOLLHUP | EPOLLERR))
                connection_kill(c, "hung up");
        return 0;
}

static int on_accept(sd_event_source *es, int fd, uint32_t revents, void *userdata) {
        VarlinkServer *s = userdata;
        _cleanup_close_ int cfd = -EBADF;
        struct ucred cred = {};
        socklen_t len = sizeof cred;
        VarlinkConnection *c;
        int r;

        cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0) {
                if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
                        log_warning_errno(errno, "Control socket: accept failed, ignoring: %m");
                return 0;
        }
        if (s->connections->len >= VARLINK_CLIENTS_MAX) {
                if (!s->limit_logged)
                        log_warning("Control socket: %u clients connected, refusing more.", VARLINK_CLIENTS_MAX);
                s->limit_logged = true;
                return 0; /* closed by the cleanup */
        }
        s->limit_logged = false;
        if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
                return log_warning_errno(errno, "Control socket: no peer credentials, closing: %m"), 0;
        if (cred.uid != 0) {
                unsigned n = 0;

                for (guint i = 0; i < s->connections->len; i++)
                        n += ((VarlinkConnection *) g_ptr_array_index(s->connections, i))->uid == cred.uid;
                if (n >= VARLINK_CLIENTS_PER_UID_MAX) {
                        log_debug("Control socket: uid %u has %u connections, refusing more.", (unsigned) cred.uid, n);
                        return 0;
                }
        }

        c = g_new0(VarlinkConnection, 1);
        *c = (VarlinkConnection) {
                .server = s,
                .fd = TAKE_FD(cfd),
                .uid = cred.uid,
                .pid = cred.pid,
                .in = g_byte_array_new(),
                .out = g_byte_array_new(),
        };
        r = sd_event_add_io(s->event, &c->io_source, c->fd, EPOLLIN, on_connection_io, c);
        if (r >= 0)
                r = sd_event_add_time_relative(s->event, &c->timer_source, CLOCK_MONOTONIC,
                                               VARLINK_MESSAGE_TIMEOUT_USEC, 0, on_message_timeout, c);
        if (r >= 0)
                r = sd_event_source_set_enabled(c->timer_source, SD_EVENT_OFF);
        if (r < 0) {
                connection_free(c);
                return log_warning_errno(r, "Control socket: failed to watch a new connection, closing: %m"), 0;
        }
        g_ptr_array_add(s->connections, c);
        log_debug("Control socket: connection of uid %u pid %i", (unsigned) c->uid, (int) c->pid);
        return 0;
}

/* ---- setup ----------------------------------------------------------------------------------------- */

static int take_activated_fd_and_log(void) {
        g_auto(GStrv) names = NULL; /* malloc()ed; GLib's free is free() */
        int n, fd = -EBADF;

        n = sd_listen_fds_with_names(/* unset_environment= */ true, &names);
        if (n < 0)
                return log_error_errno(n, "Failed to read the sockets passed by systemd: %m");
        for (int i = 0; i < n; i++) {
                int f = SD_LISTEN_FDS_START + i;
                const char *name = names && names[i] ? names[i] : "unknown";

                if (fd < 0 && (streq(name, VARLINK_SOCKET_NAME) || streq(name, "portcullisd.socket") ||
                               (n == 1 && streq(name, "unknown"))) &&
                    sd_is_socket_unix(f, SOCK_STREAM, /* listening= */ 1, NULL, 0) > 0) {
                        fd = f;
                        continue;
                }
                log_warning("Ignoring the socket '%s' passed by systemd: not the control socket.", name);
                (void) close(f);
        }
        if (fd >= 0 && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
                return log_error_errno(errno, "Failed to make the control socket non-blocking: %m");
        if (fd >= 0)
                (void) fcntl(fd, F_SETFD, FD_CLOEXEC);
        return fd >= 0 ? fd : -ENOENT;
}

static int bind_socket_and_log(const char *runtime_dir, const char *group, char **ret_path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -EBADF;
        g_autofree char *path = NULL;
        gid_t gid = 0;
        mode_t old;
        int r;

        if (group && *group) {
                struct group *g = getgrnam(group);

                if (!g)
                        return log_error_errno(ENOENT, "Unknown group '%s' for the control socket.", group);
                gid = g->gr_gid;
        }
        if (mkdir(runtime_dir, 0755) < 0 && errno != EEXIST)
                return log_error_errno(errno, "Failed to create %s: %m", runtime_dir);
        path = g_build_filename(runtime_dir, VARLINK_SOCKET_NAME, NULL);
        if (strlen(path) >= sizeof sa.sun_path)
                return log_error_errno(ENAMETOOLONG, "Control socket path too long: %s", path);
        strcpy(sa.sun_path, path);

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return log_error_errno(errno, "Failed to create the control socket: %m");
        (void) unlink(path); /* a stale socket of an earlier run */
        old = umask(0177);   /* no window in which others could connect: 0600 first, then 0660 */
        r = bind(fd, (struct sockaddr *) &sa, sizeof sa);
        umask(old);
        if (r < 0)
                return log_error_errno(errno, "Failed to bind the control socket %s: %m", path);
        if (chown(path, 0, gid) < 0 || chmod(path, 0660) < 0) {
                r = log_error_errno(errno, "Failed to set the owner and mode of %s: %m", path);
                (void) unlink(path);
                return r;
        }
        if (listen(fd, SOMAXCONN) < 0) {
                r = log_error_errno(errno, "Failed to listen on %s: %m", path);
                (void) unlink(path);
                return r;
        }
        *ret_path = g_steal_pointer(&path);
        return TAKE_FD(fd);
}

int varlink_server_new_and_log(Manager *m, sd_event *event, const char *runtime_dir, const char *group,
                               VarlinkServer **ret) {
        _cleanup_(varlink_server_freep) VarlinkServer *s = NULL;
        int r;

        s = g_new0(VarlinkServer, 1);
        s->manager = m;
        s->event = sd_event_ref(event);
        s->listen_fd = -EBADF;
        s->connections = g_ptr_array_new_with_free_func((GDestroyNotify) connection_free);

        r = take_activated_fd_and_log();
        if (r == -ENOENT)
                r = bind_socket_and_log(runtime_dir, group, &s->bound_path);
        else if (r >= 0)
                log_debug("Using the control socket passed by systemd.");
        if (r < 0)
                return r;
        s->listen_fd = r;

        r = sd_event_add_io(event, &s->listen_source, s->listen_fd, EPOLLIN, on_accept, s);
        if (r >= 0)
                r = sd_event_add_defer(event, &s->gc_source, on_gc, s);
        if (r >= 0)
                r = sd_event_source_set_enabled(s->gc_source, SD_EVENT_OFF);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the control socket: %m");
        r = manager_add_listener(m, &varlink_methods_listener, s);
        if (r < 0)
                return log_oom();

        log_info("Control socket %s ready.", s->bound_path ?: "(from systemd)");
        *ret = TAKE_PTR(s);
        return 0;
}

VarlinkServer *varlink_server_free(VarlinkServer *s) {
        if (!s)
                return NULL;
        if (s->manager)
                manager_remove_listener(s->manager, &varlink_methods_listener, s);
        if (s->connections)
                g_ptr_array_unref(s->connections);
        sd_event_source_disable_unref(s->listen_source);
        sd_event_source_disable_unref(s->gc_source);
        if (s->listen_fd >= 0)
                close(s->listen_fd);
        if (s->bound_path) {
                (void) unlink(s->bound_path);
                g_free(s->bound_path);
        }
        sd_event_unref(s->event);
        g_free(s);
        return NULL;
}
