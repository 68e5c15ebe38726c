/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The action runtime (see action.h): queues, retries with back-off, child processes watched by
 * sd-event, libcurl's multi interface driven by sd-event. */
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "action-internal.h"
#include "log.h"
#include "message-ids.h"

#define ACTION_CONCURRENCY 4U
#define ACTION_QUEUE_DEFAULT 1000U
#define ACTION_ATTEMPTS_DEFAULT 5U
#define ACTION_BACKOFF_MAX_USEC (10 * USEC_PER_MINUTE)
#define ACTION_LOCK_WAIT_USEC (20 * USEC_PER_MSEC)
#define ACTION_LOCK_WAITS_MAX 500U
#define ACTION_OUTPUT_MAX 2048

static void action_dispatch(Action *a);

/* ---- jobs ------------------------------------------------------------------------------------ */

ActionJob *action_job_new(Action *a, ActionHook hook, JobKind kind, const char *address) {
        ActionJob *j = g_new0(ActionJob, 1);

        j->action = a;
        j->hook = hook;
        j->kind = kind;
        j->address = g_strdup(address);
        j->out_fd = -EBADF;
        j->method = "POST";
        return j;
}

static void action_job_stop(ActionJob *j) {
        /* A child we still own is SIGKILLed when its source goes (set_child_process_own). */
        j->child_source = sd_event_source_disable_unref(j->child_source);
        j->timer_source = sd_event_source_disable_unref(j->timer_source);
        if (j->easy) {
                (void) curl_multi_remove_handle(j->action->runner->multi, j->easy);
                curl_easy_cleanup(j->easy);
                j->easy = NULL;
        }
        curl_slist_free_all(j->slist);
        curl_slist_free_all(j->rcpt_slist);
        j->slist = j->rcpt_slist = NULL;
        if (j->out_fd >= 0)
                (void) close(j->out_fd);
        j->out_fd = -EBADF;
        if (j->response)
                g_string_free(j->response, true);
        j->response = NULL;
}

ActionJob *action_job_free(ActionJob *j) {
        if (!j)
                return NULL;
        action_job_stop(j);
        g_strfreev(j->argv);
        free(j->address);
        free(j->body);
        free(j->url);
        if (j->headers)
                g_ptr_array_unref(j->headers);
        if (j->userpwd)
                explicit_bzero(j->userpwd, strlen(j->userpwd));
        free(j->userpwd);
        free(j->mail_from);
        if (j->rcpts)
                g_ptr_array_unref(j->rcpts);
        free(j->line);
        free(j);
        return NULL;
}

/* Removes J from its action and frees it. */
static void job_forget(ActionJob *j) {
        Action *a = j->action;

        g_queue_remove(&a->waiting, j);
        if (g_hash_table_remove(a->jobs, j))
                a->runner->busy--;
        action_job_free(j);
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        ActionJob *j = userdata;
        Action *a = j->action;

        j->timer_source = sd_event_source_disable_unref(j->timer_source);
        g_queue_push_tail(&a->waiting, j);
        action_dispatch(a);
        return 0;
}

static void log_action_failure(ActionJob *j, const char *error, usec_t retry_usec) {
        Action *a = j->action;
        char d[DURATION_STRING_MAX];
        g_autofree char *f_id = g_strdup_printf("MESSAGE_ID=%s", MESSAGE_ID_ACTION_FAILED),
                        *f_jail = g_strdup_printf("JAIL=%s", a->jail),
                        *f_action = g_strdup_printf("ACTION=%s", a->spec->name),
                        *f_hook = g_strdup_printf("HOOK=%s", action_hook_to_string(j->hook)),
                        *f_attempt = g_strdup_printf("ATTEMPT=%u", j->attempt),
                        *f_addr = j->address ? g_strdup_printf("ADDRESS=%s", j->address) : NULL,
                        *f_error = g_strdup_printf("ERROR=%s", error),
                        *f_retry = g_strdup_printf("RETRY_USEC=%" PRIu64, retry_usec),
                        *msg = NULL;
        const char *fields[] = { f_id, f_jail, f_action, f_hook, f_attempt, f_error, f_retry, f_addr, NULL };

        if (retry_usec > 0)
                msg = g_strdup_printf("Action '%s' of jail %s failed (%s%s%s, attempt %u of %u): %s; retrying in %s",
                                      a->spec->name, a->jail, action_hook_to_string(j->hook), j->address ? " " : "",
                                      j->address ?: "", j->attempt, a->attempts, error,
                                      format_duration(d, sizeof d, retry_usec));
        else
                msg = g_strdup_printf("Action '%s' of jail %s failed (%s%s%s, attempt %u of %u): %s; giving up",
                                      a->spec->name, a->jail, action_hook_to_string(j->hook), j->address ? " " : "",
                                      j->address ?: "", j->attempt, a->attempts, error);
        (void) log_event(retry_usec > 0 ? LOG_WARNING : LOG_ERR, msg, fields);
}

/* An attempt ended. ERROR NULL: success. The caller dispatches afterwards. */
static void job_done(ActionJob *j, const char *error) {
        Action *a = j->action;
        ActionRunner *r = a->runner;
        usec_t retry = 0;
        int k;

        j->running = false;
        a->n_running--;
        action_job_stop(j);

        if (!error) {
                log_debug("Action '%s' of jail %s: %s%s%s done.", a->spec->name, a->jail,
                          action_hook_to_string(j->hook), j->address ? " " : "", j->address ?: "");
                if (r->result_fn)
                        r->result_fn(a, j->hook, true, true, NULL, r->result_userdata);
                job_forget(j);
                return;
        }

        if (j->attempt < a->attempts) {
                retry = a->backoff_usec;
                for (unsigned i = 1; i < j->attempt && retry < ACTION_BACKOFF_MAX_USEC; i++)
                        retry *= 2;
                retry = MIN(retry, ACTION_BACKOFF_MAX_USEC);
        }
        log_action_failure(j, error, retry);
        if (r->result_fn)
                r->result_fn(a, j->hook, false, retry == 0, error, r->result_userdata);
        if (retry == 0) {
                job_forget(j);
                return;
        }
        k = sd_event_add_time_relative(r->event, &j->timer_source, CLOCK_MONOTONIC, retry, 0, on_retry, j);
        if (k < 0) {
                log_warning_errno(k, "Failed to arm the retry timer, dropping the job: %m");
                job_forget(j);
        }
}

/* ---- child processes ------------------------------------------------------------------------- */

static int on_child_exit(sd_event_source *s, const siginfo_t *si, void *userdata) {
        ActionJob *j = userdata;
        Action *a = j->action;
        g_autofree char *error = NULL;
        char out[ACTION_OUTPUT_MAX + 1];
        ssize_t n = 0;

        if (j->out_fd >= 0) {
                n = pread(j->out_fd, out, ACTION_OUTPUT_MAX, 0);
                if (n < 0)
                        n = 0;
        }
        out[n] = '\0';
        g_strstrip(out);
        for (char *c = out; *c; c++)
                if ((unsigned char) *c < ' ')
                        *c = ' ';

        if (j->timed_out)
                error = g_strdup_printf("%s timed out and was killed", j->argv[0]);
        else if (si->si_code == CLD_EXITED && si->si_status == 0) {
                if (*out)
                        log_debug("Action '%s': %s said: %s", a->spec->name, j->argv[0], out);
        } else if (si->si_code == CLD_EXITED)
                error = g_strdup_printf("%s exited with status %i%s%s", j->argv[0], si->si_status, *out ? ": " : "", out);
        else
                error = g_strdup_printf("%s was killed by signal %s", j->argv[0], strsignal(si->si_status));

        job_done(j, error);
        action_dispatch(a);
        return 0;
}

static int on_exec_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        ActionJob *j = userdata;

        j->timed_out = true;
        j->timer_source = sd_event_source_disable_unref(j->timer_source);
        (void) sd_event_source_send_child_signal(j->child_source, SIGKILL, NULL, 0);
        return 0;
}

static int memfd_with(const char *name, const char *data, size_t len) {
        _cleanup_close_ int fd = memfd_create(name, MFD_CLOEXEC);
        size_t done = 0;

        if (fd < 0)
                return -errno;
        while (done < len) {
                ssize_t k = write(fd, data + done, len - done);

                if (k < 0)
                        return -errno;
                done += (size_t) k;
        }
        if (lseek(fd, 0, SEEK_SET) < 0)
                return -errno;
        return TAKE_FD(fd);
}

/* fork + execve, no shell; the environment is ours, not the daemon's. */
static int job_start_exec(ActionJob *j, char **ret_error) {
        static char *const envp[] = { (char *) "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                      (char *) "LANG=C.UTF-8", NULL };
        Action *a = j->action;
        _cleanup_close_ int in = -EBADF, out = -EBADF;
        pid_t pid;
        int r;

        if (j->body) {
                in = memfd_with("action-stdin", j->body, j->body_len);
                if (in < 0)
                        return in;
        } else {
                in = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (in < 0)
                        return -errno;
        }
        out = memfd_create("action-output", MFD_CLOEXEC);
        if (out < 0)
                return -errno;

        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                /* The child: only async-signal-safe calls from here on. */
                sigset_t none;
                struct sigaction dfl = { .sa_handler = SIG_DFL };

                sigemptyset(&none);
                (void) sigprocmask(SIG_SETMASK, &none, NULL);
                (void) sigaction(SIGPIPE, &dfl, NULL);
                if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
                        _exit(126);
                (void) close_range(3, ~0U, 0);
                if (a->set_user && (setgroups(1, &a->gid) < 0 || setgid(a->gid) < 0 || setuid(a->uid) < 0))
                        _exit(126);
                (void) setsid();
                execve(j->argv[0], j->argv, envp);
                _exit(127);
        }

        j->pid = pid;
        j->out_fd = TAKE_FD(out);
        r = sd_event_add_child(a->runner->event, &j->child_source, pid, WEXITED, on_child_exit, j);
        if (r < 0) {
                (void) kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                return r;
        }
        (void) sd_event_source_set_child_process_own(j->child_source, true);
        r = sd_event_add_time_relative(a->runner->event, &j->timer_source, CLOCK_MONOTONIC, a->timeout_usec, 0,
                                       on_exec_timeout, j);
        if (r < 0)
                return r; /* job_done() stops it: the child source kills the child */
        return 0;
}

/* ---- libcurl, driven by sd-event --------------------------------------------------------------- */

static void curl_check_done(ActionRunner *r) {
        CURLMsg *msg;
        int left;

        while ((msg = curl_multi_info_read(r->multi, &left))) {
                ActionJob *j = NULL;
                g_autofree char *error = NULL;
                long code = 0;

                if (msg->msg != CURLMSG_DONE)
                        continue;
                (void) curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &j);
                (void) curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &code);
                if (msg->data.result != CURLE_OK)
                        error = g_strdup_printf("%s: %s", j->url, curl_easy_strerror(msg->data.result));
                else if (j->kind == JOB_HTTP && (code < 200 || code > 299)) {
                        g_autofree char *body = g_strndup(j->response ? j->response->str : "", 200);

                        for (char *c = body; *c; c++)
                                if ((unsigned char) *c < ' ')
                                        *c = ' ';
                        error = g_strdup_printf("%s answered HTTP %ld%s%s", j->url, code, *body ? ": " : "", body);
                }
                Action *a = j->action;
                job_done(j, error);
                action_dispatch(a);
        }
}

static int on_curl_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        ActionRunner *r = userdata;
        int flags = 0, running;

        if (revents & EPOLLIN)
                flags |= CURL_CSELECT_IN;
        if (revents & EPOLLOUT)
                flags |= CURL_CSELECT_OUT;
        if (revents & (EPOLLERR | EPOLLHUP))
                flags |= CURL_CSELECT_ERR;
        (void) curl_multi_socket_action(r->multi, fd, flags, &running);
        curl_check_done(r);
        return 0;
}

static int on_curl_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        ActionRunner *r = userdata;
        int running;

        (void) curl_multi_socket_action(r->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        curl_check_done(r);
        return 0;
}

static int curl_socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp) {
        ActionRunner *r = userp;
        sd_event_source *s = socketp;
        uint32_t events = 0;
        int k;

        if (what == CURL_POLL_REMOVE) {
                sd_event_source_disable_unref(s);
                (void) curl_multi_assign(r->multi, fd, NULL);
                return 0;
        }
        if (what & CURL_POLL_IN)
                events |= EPOLLIN;
        if (what & CURL_POLL_OUT)
                events |= EPOLLOUT;
        if (s) {
                k = sd_event_source_set_io_events(s, events);
                if (k >= 0)
                        k = sd_event_source_set_enabled(s, SD_EVENT_ON);
        } else {
                k = sd_event_add_io(r->event, &s, fd, events, on_curl_io, r);
                if (k >= 0)
                        (void) curl_multi_assign(r->multi, fd, s);
        }
        if (k < 0)
                log_warning_errno(k, "Failed to watch a libcurl socket: %m");
        return k < 0 ? -1 : 0;
}

static int curl_timer_cb(CURLM *multi, long timeout_ms, void *userp) {
        ActionRunner *r = userp;
        int k;

        if (timeout_ms < 0)
                return sd_event_source_set_enabled(r->curl_timer, SD_EVENT_OFF) < 0 ? -1 : 0;
        k = sd_event_source_set_time_relative(r->curl_timer, (uint64_t) timeout_ms * USEC_PER_MSEC);
        if (k >= 0)
                k = sd_event_source_set_enabled(r->curl_timer, SD_EVENT_ONESHOT);
        return k < 0 ? -1 : 0;
}

static size_t curl_write_cb(char *data, size_t size, size_t n, void *userdata) {
        ActionJob *j = userdata;

        if (!j->response)
                j->response = g_string_new(NULL);
        if (j->response->len < ACTION_OUTPUT_MAX)
                g_string_append_len(j->response, data, MIN(size * n, ACTION_OUTPUT_MAX - j->response->len));
        return size * n;
}

static size_t curl_read_cb(char *buffer, size_t size, size_t n, void *userdata) {
        ActionJob *j = userdata;
        size_t k = MIN(size * n, j->body_len - j->upload_pos);

        memcpy(buffer, j->body + j->upload_pos, k);
        j->upload_pos += k;
        return k;
}

static int job_start_curl(ActionJob *j) {
        Action *a = j->action;
        CURL *c = curl_easy_init();

        if (!c)
                return -ENOMEM;
        j->easy = c;
        j->upload_pos = 0;
        (void) curl_easy_setopt(c, CURLOPT_URL, j->url);
        (void) curl_easy_setopt(c, CURLOPT_PRIVATE, j);
        (void) curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        (void) curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long) (a->timeout_usec / USEC_PER_MSEC));
        (void) curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, curl_write_cb);
        (void) curl_easy_setopt(c, CURLOPT_WRITEDATA, j);
        (void) curl_easy_setopt(c, CURLOPT_USERAGENT, "portcullis/" "0.1");
        for (guint i = 0; j->headers && i < j->headers->len; i++)
                j->slist = curl_slist_append(j->slist, j->headers->pdata[i]);

        if (j->kind == JOB_HTTP) {
                (void) curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
                (void) curl_easy_setopt(c, CURLOPT_POSTFIELDS, j->body);
                (void) curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long) j->body_len);
                if (!streq(j->method, "POST"))
                        (void) curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, j->method);
                (void) curl_easy_setopt(c, CURLOPT_HTTPHEADER, j->slist);
                if (j->userpwd)
                        (void) curl_easy_setopt(c, CURLOPT_USERPWD, j->userpwd);
        } else {
                const char *tls = action_spec_get(a->spec, "starttls");

                (void) curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
                (void) curl_easy_setopt(c, CURLOPT_MAIL_FROM, j->mail_from);
                for (guint i = 0; i < j->rcpts->len; i++)
                        j->rcpt_slist = curl_slist_append(j->rcpt_slist, j->rcpts->pdata[i]);
                (void) curl_easy_setopt(c, CURLOPT_MAIL_RCPT, j->rcpt_slist);
                (void) curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
                (void) curl_easy_setopt(c, CURLOPT_READFUNCTION, curl_read_cb);
                (void) curl_easy_setopt(c, CURLOPT_READDATA, j);
                (void) curl_easy_setopt(c, CURLOPT_INFILESIZE, (long) j->body_len);
                (void) curl_easy_setopt(c, CURLOPT_USE_SSL,
                                        tls && streq(tls, "required") ? (long) CURLUSESSL_ALL
                                        : tls && streq(tls, "no")     ? (long) CURLUSESSL_NONE
                                                                      : (long) CURLUSESSL_TRY);
                if (j->userpwd) {
                        g_auto(GStrv) up = g_strsplit(j->userpwd, ":", 2);

                        (void) curl_easy_setopt(c, CURLOPT_USERNAME, up[0]);
                        (void) curl_easy_setopt(c, CURLOPT_PASSWORD, up[1] ?: "");
                }
        }
        if (curl_multi_add_handle(a->runner->multi, c) != CURLM_OK)
                return -ENOMEM;
        return 0;
}

/* ---- dispatch -------------------------------------------------------------------------------- */

static void action_dispatch(Action *a) {
        while (a->n_running < a->concurrency && !g_queue_is_empty(&a->waiting)) {
                ActionJob *j = g_queue_pop_head(&a->waiting);
                g_autofree char *error = NULL;
                int r = 0;

                j->running = true;
                j->timed_out = false;
                j->attempt++;
                a->n_running++;
                switch (j->kind) {
                case JOB_EXEC:
                        r = job_start_exec(j, &error);
                        break;
                case JOB_HTTP:
                case JOB_SMTP:
                        r = job_start_curl(j);
                        break;
                case JOB_HOSTSDENY:
                        r = action_hostsdeny_apply(action_spec_get(a->spec, "file") ?: "/etc/hosts.deny", j->line,
                                                   j->add, &error);
                        if (r == -EAGAIN && j->lock_waits < ACTION_LOCK_WAITS_MAX) {
                                /* someone else holds the lock: try again soon, not an attempt */
                                j->running = false;
                                j->attempt--;
                                j->lock_waits++;
                                a->n_running--;
                                if (sd_event_add_time_relative(a->runner->event, &j->timer_source, CLOCK_MONOTONIC,
                                                               ACTION_LOCK_WAIT_USEC, 0, on_retry, j) < 0)
                                        job_forget(j);
                                continue;
                        }
                        if (r >= 0) {
                                job_done(j, NULL);
                                continue;
                        }
                        break;
                }
                if (r < 0) {
                        if (!error)
                                error = g_strdup(strerror(-r));
                        job_done(j, error);
                }
        }
}

static void action_enqueue(Action *a, ActionJob *j) {
        ActionRunner *r = a->runner;

        if (g_hash_table_size(a->jobs) >= a->queue_max) {
                /* Full: the oldest job that has not started yet makes room (a flood must not grow us). */
                ActionJob *old = g_queue_pop_head(&a->waiting);

                a->n_dropped++;
                if (a->drop_logged_usec == 0 || now_usec(CLOCK_MONOTONIC) - a->drop_logged_usec > USEC_PER_MINUTE) {
                        log_warning("Action '%s' of jail %s: queue full (%u jobs), dropping the oldest; %" PRIu64
                                    " dropped so far", a->spec->name, a->jail, a->queue_max, a->n_dropped);
                        a->drop_logged_usec = now_usec(CLOCK_MONOTONIC);
                }
                if (old)
                        job_forget(old);
                else {
                        action_job_free(j);
                        return;
                }
        }
        g_hash_table_add(a->jobs, j);
        r->busy++;
        g_queue_push_tail(&a->waiting, j);
        action_dispatch(a);
}

/* ---- digests --------------------------------------------------------------------------------- */

#define DIGEST_LINES_MAX 2000U

static void action_send_digest(Action *a) {
        g_autofree char *text = NULL, *summary = NULL;
        ActionJob *j = NULL;
        int r;

        a->digest_source = sd_event_source_disable_unref(a->digest_source);
        if (a->digest_events == 0)
                return;
        if (a->digest_dropped > 0)
                g_ptr_array_add(a->digest, g_strdup_printf("(%u more not listed)", a->digest_dropped));
        g_ptr_array_add(a->digest, NULL);
        text = g_strjoinv("\n", (char **) a->digest->pdata);
        summary = g_strdup_printf("%u event%s in jail %s", a->digest_events, a->digest_events == 1 ? "" : "s", a->jail);
        ActionEvent e = {
                .hook = ACTION_HOOK_BAN,
                .jail = a->jail,
                .message = summary,
                .failures = a->digest_events,
        };
        g_ptr_array_set_size(a->digest, 0);
        a->digest_events = a->digest_dropped = 0;

        r = action_build_job(a, &e, text, &j);
        if (r < 0)
                log_warning_errno(r, "Action '%s' of jail %s: failed to build the digest, dropping it: %m", a->spec->name,
                                  a->jail);
        else if (r > 0)
                action_enqueue(a, j);
}

static int on_digest(sd_event_source *s, uint64_t usec, void *userdata) {
        action_send_digest(userdata);
        return 0;
}

void action_flush(Action *a) {
        action_send_digest(a);
}

/* ---- the public API -------------------------------------------------------------------------- */

int action_run(Action *a, const ActionEvent *e) {
        ActionJob *j = NULL;
        int r;

        if (action_wants_digest(a, e)) {
                if (a->digest->len < DIGEST_LINES_MAX)
                        g_ptr_array_add(a->digest, action_digest_entry(e));
                else
                        a->digest_dropped++;
                a->digest_events++;
                if (!a->digest_source) {
                        r = sd_event_add_time_relative(a->runner->event, &a->digest_source, CLOCK_MONOTONIC,
                                                       a->digest_usec, 0, on_digest, a);
                        if (r < 0)
                                return r;
                }
                return 0;
        }

        /* abuse reports: one per address and interval */
        if (e->hook == ACTION_HOOK_BAN && e->address && (a->spec->type == ACTION_ABUSEIPDB || a->spec->type == ACTION_BLOCKLISTDE)) {
                usec_t now = now_usec(CLOCK_MONOTONIC), *last = g_hash_table_lookup(a->reported, e->address);

                if (last && now - *last < a->interval_usec) {
                        log_debug("Action '%s': %s was reported less than interval= ago, not again.", a->spec->name,
                                  e->address);
                        return 0;
                }
                if (g_hash_table_size(a->reported) >= 100000) {
                        GHashTableIter it;
                        gpointer v;

                        g_hash_table_iter_init(&it, a->reported);
                        while (g_hash_table_iter_next(&it, NULL, &v))
                                if (now - *(usec_t *) v >= a->interval_usec)
                                        g_hash_table_iter_remove(&it);
                        if (g_hash_table_size(a->reported) >= 100000)
                                g_hash_table_remove_all(a->reported);
                }
                usec_t *t = g_new(usec_t, 1);
                *t = now;
                g_hash_table_replace(a->reported, g_strdup(e->address), t);
        }

        r = action_build_job(a, e, NULL, &j);
        if (r <= 0)
                return r;
        action_enqueue(a, j);
        return 1;
}

static usec_t spec_duration(const ActionSpec *s, const char *key, usec_t def) {
        const char *v = action_spec_get(s, key);
        usec_t u;

        if (!v || parse_duration(v, &u) < 0 || u == USEC_INFINITY)
                return def;
        return u;
}

static unsigned spec_unsigned(const ActionSpec *s, const char *key, unsigned def) {
        const char *v = action_spec_get(s, key);
        char *end;
        unsigned long u;

        if (!v)
                return def;
        u = strtoul(v, &end, 10);
        return *end || u == 0 || u > 1000000 ? def : (unsigned) u;
}

int action_new(ActionRunner *r, const char *jail, const ActionSpec *spec, Action **ret, char **ret_error) {
        Action *a = g_new0(Action, 1);
        const char *user = action_spec_get(spec, "user");

        a->runner = r;
        a->jail = g_strdup(jail);
        a->spec = g_new0(ActionSpec, 1);
        a->spec->name = g_strdup(spec->name);
        a->spec->type = spec->type;
        a->spec->args = g_hash_table_ref(spec->args);
        a->spec->file = g_strdup(spec->file);
        a->spec->line = spec->line;
        a->timeout_usec = spec_duration(spec, "timeout", 30 * USEC_PER_SEC);
        a->backoff_usec = MAX(spec_duration(spec, "backoff", 5 * USEC_PER_SEC), 10 * USEC_PER_MSEC);
        a->digest_usec = spec_duration(spec, "digest", 0);
        a->interval_usec = spec_duration(spec, "interval", 15 * USEC_PER_MINUTE);
        a->attempts = spec_unsigned(spec, "retries", ACTION_ATTEMPTS_DEFAULT);
        a->queue_max = spec_unsigned(spec, "queue", ACTION_QUEUE_DEFAULT);
        a->concurrency = ACTION_CONCURRENCY;
        a->notify_unban = action_spec_get(spec, "unban") && streq(action_spec_get(spec, "unban"), "yes");
        g_queue_init(&a->waiting);
        a->jobs = g_hash_table_new(NULL, NULL);
        a->digest = g_ptr_array_new_with_free_func(g_free);
        a->reported = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

        if (user) {
                struct passwd *pw = getpwnam(user);

                if (!pw) {
                        *ret_error = g_strdup_printf("%s:%u: action '%s': no such user '%s'", spec->file, spec->line,
                                                     spec->name, user);
                        action_free(a);
                        return -EINVAL;
                }
                a->set_user = true;
                a->uid = pw->pw_uid;
                a->gid = pw->pw_gid;
        }
        *ret = a;
        return 0;
}

Action *action_free(Action *a) {
        GHashTableIter it;
        gpointer j;

        if (!a)
                return NULL;
        g_hash_table_iter_init(&it, a->jobs);
        while (g_hash_table_iter_next(&it, &j, NULL)) {
                g_hash_table_iter_remove(&it);
                a->runner->busy--;
                action_job_free(j);
        }
        g_hash_table_unref(a->jobs);
        g_queue_clear(&a->waiting);
        sd_event_source_disable_unref(a->digest_source);
        g_ptr_array_unref(a->digest);
        g_hash_table_unref(a->reported);
        action_spec_free(a->spec);
        free(a->jail);
        free(a);
        return NULL;
}

const char *action_name(const Action *a) {
        return a->spec->name;
}

const char *action_jail(const Action *a) {
        return a->jail;
}

void action_set_attempts(Action *a, unsigned attempts) {
        a->attempts = MAX(attempts, 1U);
}

int action_runner_new(sd_event *event, ActionRunner **ret) {
        _cleanup_(action_runner_freep) ActionRunner *r = NULL;
        sigset_t mask;
        int k;

        /* sd_event_add_child() needs SIGCHLD blocked (the daemon has one thread). */
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                return -EIO;

        r = g_new0(ActionRunner, 1);
        r->event = sd_event_ref(event);
        r->multi = curl_multi_init();
        if (!r->multi)
                return -ENOMEM;
        (void) curl_multi_setopt(r->multi, CURLMOPT_SOCKETFUNCTION, curl_socket_cb);
        (void) curl_multi_setopt(r->multi, CURLMOPT_SOCKETDATA, r);
        (void) curl_multi_setopt(r->multi, CURLMOPT_TIMERFUNCTION, curl_timer_cb);
        (void) curl_multi_setopt(r->multi, CURLMOPT_TIMERDATA, r);
        k = sd_event_add_time_relative(event, &r->curl_timer, CLOCK_MONOTONIC, USEC_PER_SEC, 0, on_curl_timer, r);
        if (k < 0)
                return k;
        (void) sd_event_source_set_enabled(r->curl_timer, SD_EVENT_OFF);
        *ret = TAKE_PTR(r);
        return 0;
}

ActionRunner *action_runner_free(ActionRunner *r) {
        if (!r)
                return NULL;
        /* Every Action (and so every easy handle) must be gone by now. */
        if (r->multi)
                curl_multi_cleanup(r->multi);
        sd_event_source_disable_unref(r->curl_timer);
        sd_event_unref(r->event);
        free(r);
        curl_global_cleanup();
        return NULL;
}

void action_runner_set_result_callback(ActionRunner *r, ActionResultFn fn, void *userdata) {
        r->result_fn = fn;
        r->result_userdata = userdata;
}

size_t action_runner_busy(const ActionRunner *r) {
        return r->busy;
}
