/* SPDX-License-Identifier: GPL-2.0-or-later */
/* portcullisctl's transport over the control socket (ctl-transport.h): the varlink wire protocol,
 * blocking, one call at a time. Replies come back in exactly the shape the verbs expect, since the
 * socket speaks that shape natively; errors are turned into CtlError (NAME without the interface). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <glib.h>

#include "build-config.h"
#include "ctl-transport.h"
#include "log.h"
#include "macro.h"
#include "varlink.h"

/* A reply larger than this is not from our daemon (its largest, a ListBans page, is ~200 KiB). */
#define REPLY_MAX (16u * 1024u * 1024u)

typedef struct VarlinkTransport {
        CtlTransport transport;
        int fd;
        char *path;
        GByteArray *in;
} VarlinkTransport;

static int vt_send(VarlinkTransport *v, json_t *msg) {
        _cleanup_free_ char *text = json_dumps(msg, JSON_COMPACT);
        size_t len, done = 0;

        if (!text)
                return -ENOMEM;
        len = strlen(text) + 1; /* with the NUL */
        while (done < len) {
                ssize_t n = send(v->fd, text + done, len - done, MSG_NOSIGNAL);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return log_error_errno(errno, "Failed to send to %s: %m", v->path);
                }
                done += n;
        }
        return 0;
}

/* One complete message from the buffer, if there is one: 1 with *ret, 0 when more is needed. */
static int vt_take_message(VarlinkTransport *v, json_t **ret) {
        guint8 *nul = v->in->len > 0 ? memchr(v->in->data, 0, v->in->len) : NULL;
        json_error_t error;
        json_t *msg;

        if (!nul)
                return 0;
        msg = json_loadb((const char *) v->in->data, nul - v->in->data, 0, &error);
        g_byte_array_remove_range(v->in, 0, nul - v->in->data + 1);
        if (!json_is_object(msg)) {
                json_decref(msg);
                return log_error_errno(EBADMSG, "Malformed reply from %s: %s", v->path, error.text);
        }
        *ret = msg;
        return 1;
}

/* Reads until one message is complete. SIGFD >= 0: also returns 0 (with *ret NULL) when a signal came. */
static int vt_receive(VarlinkTransport *v, int sigfd, json_t **ret) {
        *ret = NULL;
        for (;;) {
                struct pollfd p[2] = { { .fd = v->fd, .events = POLLIN }, { .fd = sigfd, .events = POLLIN } };
                guint8 buf[64 * 1024];
                ssize_t n;
                int r;

                r = vt_take_message(v, ret);
                if (r != 0)
                        return r < 0 ? r : 0;
                if (v->in->len > REPLY_MAX)
                        return log_error_errno(EMSGSIZE, "Reply from %s too large.", v->path);
                if (poll(p, sigfd >= 0 ? 2 : 1, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return log_error_errno(errno, "poll() failed: %m");
                }
                if (sigfd >= 0 && (p[1].revents & POLLIN))
                        return 0;
                n = recv(v->fd, buf, sizeof buf, 0);
                if (n < 0) {
                        if (errno == EINTR || errno == EAGAIN)
                                continue;
                        return log_error_errno(errno, "Failed to read from %s: %m", v->path);
                }
                if (n == 0)
                        return log_error_errno(ECONNRESET, "The daemon closed the connection (%s).", v->path);
                g_byte_array_append(v->in, buf, n);
        }
}

static char *method_name(const char *method) {
        return strchr(method, '.') ? g_strdup(method) : g_strconcat(VARLINK_INTERFACE ".", method, NULL);
}

static void error_from_reply(json_t *reply, CtlError *ret) {
        const char *name = json_string_value(json_object_get(reply, "error")) ?: "";
        json_t *params = json_object_get(reply, "parameters");
        const char *short_name;
        g_autofree char *details = NULL;

        if (g_str_has_prefix(name, VARLINK_INTERFACE "."))
                short_name = name + strlen(VARLINK_INTERFACE ".");
        else if (streq(name, "org.varlink.service.InvalidParameter"))
                short_name = "InvalidParameter";
        else if (streq(name, "org.varlink.service.PermissionDenied"))
                short_name = "PermissionDenied";
        else if (g_str_has_prefix(name, "org.varlink.service."))
                short_name = "NotSupported"; /* MethodNotFound, InterfaceNotFound …: an older daemon */
        else
                short_name = "Failed";

        if (json_is_object(params) && json_object_size(params) > 0)
                details = json_dumps(params, JSON_COMPACT);
        *ret = (CtlError) {
                .name = g_strdup(short_name),
                .message = details ? g_strdup_printf("%s %s", name, details) : g_strdup(name),
                .parameters = json_is_object(params) ? json_incref(params) : NULL,
        };
}

static int vt_call(CtlTransport *t, const char *method, json_t *parameters, bool interactive, json_t **ret_reply,
                   CtlError *ret_error) {
        VarlinkTransport *v = (VarlinkTransport *) t;
        g_autofree char *name = method_name(method);
        json_auto_t *msg = NULL, *reply = NULL;
        json_t *p;
        int r;

        msg = json_pack("{s:s,s:o}", "method", name, "parameters", parameters ? json_incref(parameters) : json_object());
        if (!msg)
                return log_oom();
        r = vt_send(v, msg);
        if (r < 0)
                return r;
        r = vt_receive(v, -1, &reply);
        if (r < 0)
                return r;
        if (json_object_get(reply, "error")) {
                error_from_reply(reply, ret_error);
                return 1;
        }
        p = json_object_get(reply, "parameters");
        *ret_reply = json_is_object(p) ? json_incref(p) : json_object();
        return 0;
}

static int vt_monitor(CtlTransport *t, int (*cb)(json_t *event, void *userdata), void *userdata) {
        VarlinkTransport *v = (VarlinkTransport *) t;
        json_auto_t *msg = NULL;
        _cleanup_close_ int sigfd = -EBADF;
        sigset_t mask, old;
        int r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        if (sigprocmask(SIG_BLOCK, &mask, &old) < 0)
                return log_error_errno(errno, "Failed to block signals: %m");
        sigfd = signalfd(-1, &mask, SFD_CLOEXEC);
        if (sigfd < 0) {
                r = log_error_errno(errno, "Failed to watch signals: %m");
                goto finish;
        }
        msg = json_pack("{s:s,s:{},s:b}", "method", VARLINK_INTERFACE ".Monitor", "parameters", "more", 1);
        if (!msg) {
                r = log_oom();
                goto finish;
        }
        r = vt_send(v, msg);
        if (r < 0)
                goto finish;
        for (;;) {
                json_auto_t *reply = NULL;
                json_t *p;

                r = vt_receive(v, sigfd, &reply);
                if (r < 0 || !reply) /* error, or SIGINT/SIGTERM: r == 0 */
                        break;
                if (json_object_get(reply, "error")) {
                        r = log_error_errno(EIO, "Monitor failed: %s",
                                            json_string_value(json_object_get(reply, "error")) ?: "?");
                        break;
                }
                p = json_object_get(reply, "parameters");
                if (json_object_get(p, "event")) { /* the first reply only says "subscribed" */
                        r = cb(p, userdata);
                        if (r != 0)
                                break;
                }
                if (!json_is_true(json_object_get(reply, "continues"))) {
                        r = 0;
                        break;
                }
        }
finish:
        (void) sigprocmask(SIG_SETMASK, &old, NULL);
        return r < 0 ? r : 0;
}

static void vt_free(CtlTransport *t) {
        VarlinkTransport *v = (VarlinkTransport *) t;

        if (v->fd >= 0)
                close(v->fd);
        g_byte_array_unref(v->in);
        g_free(v->path);
        g_free(v);
}

static const CtlTransportOps varlink_ops = {
        .call = vt_call,
        .monitor = vt_monitor,
        .free = vt_free,
};

int ctl_varlink_transport_new(const char *path, CtlTransport **ret) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        g_autofree char *p = g_strdup(path ?: PKG_RUN_DIR "/" VARLINK_SOCKET_NAME);
        _cleanup_close_ int fd = -EBADF;
        VarlinkTransport *v;

        if (strlen(p) >= sizeof sa.sun_path)
                return log_error_errno(ENAMETOOLONG, "Control socket path too long: %s", p);
        strcpy(sa.sun_path, p);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return log_error_errno(errno, "Failed to create a socket: %m");
        if (connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
                return log_error_errno(errno, "Failed to connect to %s: %m", p);

        v = g_new0(VarlinkTransport, 1);
        v->transport.ops = &varlink_ops;
        v->fd = TAKE_FD(fd);
        v->path = g_steal_pointer(&p);
        v->in = g_byte_array_new();
        *ret = &v->transport;
        return 0;
}
