/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What each action type does for a hook: the job (argv, HTTP request, mail, hosts.deny line) built from
 * the event. Everything that comes from the log (matched lines, tags) ends up only inside one argv
 * element, one JSON string (jansson), one form value (curl_easy_escape) or the body of a mail, with
 * control characters made visible; header values never contain CR or LF. */
#include <fcntl.h>
#include <inttypes.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "action-internal.h"

#define MAIL_LINE_MAX 900U

static bool job_hook_wanted(const Action *a, ActionHook h) {
        return h == ACTION_HOOK_BAN || (h == ACTION_HOOK_UNBAN && a->notify_unban);
}

bool action_wants_digest(const Action *a, const ActionEvent *e) {
        return a->digest_usec > 0 && (a->spec->type == ACTION_MAIL || a->spec->type == ACTION_WEBHOOK) &&
               job_hook_wanted(a, e->hook);
}

/* Control characters (CR, LF, ESC …) from log data become visible escapes: one log line stays one
 * line of text, and nothing in it can start a header, a mail command or a terminal sequence. */
static void append_visible(GString *out, const char *s, size_t max) {
        size_t start = out->len;

        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                if (out->len - start >= max) {
                        g_string_append(out, "…");
                        return;
                }
                if (*p == '\n')
                        g_string_append(out, "\\n");
                else if (*p == '\r')
                        g_string_append(out, "\\r");
                else if (*p == '\t')
                        g_string_append_c(out, '\t');
                else if (*p < ' ' || *p == 0x7f)
                        g_string_append_printf(out, "\\x%02x", *p);
                else
                        g_string_append_c(out, (char) *p);
        }
}

char *action_digest_entry(const ActionEvent *e) {
        g_autofree char *summary = action_event_summary(e);
        GString *s = g_string_new(NULL);

        append_visible(s, summary, MAIL_LINE_MAX);
        for (size_t i = 0; e->matches && e->matches[i] && i < 10; i++) {
                g_string_append(s, "\n    ");
                append_visible(s, e->matches[i], MAIL_LINE_MAX);
        }
        return g_string_free(s, false);
}

/* A header value: no CR/LF or other control characters, whatever the source. */
static char *header_safe(const char *s) {
        char *r = g_strdup(s ? s : "");

        for (char *c = r; *c; c++)
                if ((unsigned char) *c < ' ' || *c == 0x7f)
                        *c = ' ';
        return r;
}

static int read_secret(const Action *a, const char *key, char **ret) {
        const char *path = action_spec_get(a->spec, key);
        g_autofree char *s = NULL;

        if (!path)
                return -ENOKEY;
        if (!g_file_get_contents(path, &s, NULL, NULL))
                return -ENOENT;
        g_strstrip(s);
        if (*s == '\0' || strpbrk(s, "\r\n"))
                return -EBADMSG;
        *ret = TAKE_PTR(s);
        return 0;
}

static char *form_value(const char *s) {
        char *e = curl_easy_escape(NULL, s, 0), *r = g_strdup(e ? e : "");

        curl_free(e);
        return r;
}

static void form_add(GString *f, const char *key, const char *value) {
        g_autofree char *v = form_value(value);

        g_string_append_printf(f, "%s%s=%s", f->len > 0 ? "&" : "", key, v);
}

static char *find_program(const char *name) {
        static const char *const dirs[] = { "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin" };

        if (strchr(name, '/'))
                return access(name, X_OK) >= 0 ? g_strdup(name) : NULL;
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                g_autofree char *p = g_build_filename(dirs[i], name, NULL);

                if (access(p, X_OK) >= 0)
                        return TAKE_PTR(p);
        }
        return NULL;
}

/* ---- mail -------------------------------------------------------------------------------------- */

static char *mail_body(const ActionEvent *e, const char *digest) {
        GString *b = g_string_new(NULL);
        char d[DURATION_STRING_MAX];

        if (digest) {
                g_auto(GStrv) lines = g_strsplit(digest, "\n", -1);

                g_string_append_printf(b, "portcullis: %u event%s in jail %s since the last mail:\r\n\r\n",
                                       e->failures, e->failures == 1 ? "" : "s", e->jail);
                for (size_t i = 0; lines[i]; i++)
                        g_string_append_printf(b, "%s\r\n", lines[i]); /* made visible by action_digest_entry() */
                return g_string_free(b, false);
        }
        if (e->hook == ACTION_HOOK_UNBAN) {
                g_string_append_printf(b, "portcullis lifted the ban of %s in jail %s.\r\n", e->address, e->jail);
                return g_string_free(b, false);
        }
        g_autoptr(GDateTime) until = e->end_usec == USEC_INFINITY ? NULL
                                     : g_date_time_new_from_unix_local((gint64) (e->end_usec / USEC_PER_SEC));
        g_autofree char *until_s = until ? g_date_time_format(until, "%Y-%m-%d %H:%M:%S %z") : NULL;

        g_string_append_printf(b, "portcullis banned %s in jail %s.\r\n\r\n", e->address, e->jail);
        g_string_append_printf(b, "Address:   %s\r\n", e->address);
        g_string_append_printf(b, "Jail:      %s\r\n", e->jail);
        g_string_append_printf(b, "Failures:  %u\r\n", e->failures);
        if (until_s)
                g_string_append_printf(b, "Ban time:  %s (until %s)\r\n",
                                       format_duration(d, sizeof d, e->end_usec - MIN(e->start_usec, e->end_usec)), until_s);
        else
                g_string_append(b, "Ban time:  permanent\r\n");
        g_string_append_printf(b, "Ban count: %u\r\n", e->ban_count);
        if (e->matches && e->matches[0]) {
                g_string_append(b, "\r\nMatched journal lines:\r\n");
                for (size_t i = 0; e->matches[i]; i++) {
                        g_string_append(b, "  ");
                        append_visible(b, e->matches[i], MAIL_LINE_MAX);
                        g_string_append(b, "\r\n");
                }
        }
        return g_string_free(b, false);
}

static int build_mail(Action *a, const ActionEvent *e, const char *digest, ActionJob **ret) {
        const char *dest = action_spec_get(a->spec, "dest") ?: action_spec_get(a->spec, "to"),
                   *sender = action_spec_get(a->spec, "sender") ?: action_spec_get(a->spec, "from"),
                   *sendername = action_spec_get(a->spec, "sendername") ?: "portcullis",
                   *smtp = action_spec_get(a->spec, "smtp");
        g_autofree char *from = NULL, *subject = NULL, *name = NULL, *body = NULL, *date = NULL, *to_hdr = NULL;
        g_auto(GStrv) rcpts = g_strsplit_set(dest, ", ", -1);
        g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func(g_free);
        _cleanup_(action_job_freep) ActionJob *j = NULL;
        g_autoptr(GDateTime) now = g_date_time_new_now_local();
        GString *m;

        if (!digest && !job_hook_wanted(a, e->hook))
                return 0;
        for (size_t i = 0; rcpts[i]; i++) {
                if (!*rcpts[i])
                        continue;
                if (strpbrk(rcpts[i], "<>\r\n\"()\\;:") || !strchr(rcpts[i], '@') || rcpts[i][0] == '-')
                        return -EINVAL;
                g_ptr_array_add(list, g_strdup(rcpts[i]));
        }
        if (list->len == 0)
                return -EINVAL;
        if (!sender) {
                char host[256] = "localhost";

                (void) gethostname(host, sizeof host - 1);
                from = g_strdup_printf("root@%s", host);
        } else
                from = header_safe(sender);
        if (strpbrk(from, "<> \"") || from[0] == '-')
                return -EINVAL;

        name = header_safe(sendername);
        g_strdelimit(name, "\"\\", '\'');
        if (digest)
                subject = g_strdup_printf("[portcullis] %s: %u events", e->jail, e->failures);
        else
                subject = g_strdup_printf("[portcullis] %s: %s %s", e->jail,
                                          e->hook == ACTION_HOOK_BAN ? "banned" : "unbanned", e->address);
        g_autofree char *subject_safe = header_safe(subject);
        date = g_date_time_format(now, "%a, %d %b %Y %H:%M:%S %z");
        g_ptr_array_add(list, NULL);
        to_hdr = g_strjoinv(", ", (char **) list->pdata);
        g_ptr_array_remove_index(list, list->len - 1);
        body = mail_body(e, digest);

        m = g_string_new(NULL);
        g_string_append_printf(m, "From: \"%s\" <%s>\r\n", name, from);
        g_string_append_printf(m, "To: %s\r\n", to_hdr);
        g_string_append_printf(m, "Subject: %s\r\n", subject_safe);
        g_string_append_printf(m, "Date: %s\r\n", date);
        g_string_append_printf(m, "Message-ID: <%" PRIx64 ".%x@portcullis>\r\n", now_usec(CLOCK_REALTIME), g_random_int());
        g_string_append(m, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                           "Content-Transfer-Encoding: 8bit\r\nAuto-Submitted: auto-generated\r\n\r\n");
        g_string_append(m, body);

        j = action_job_new(a, e->hook, smtp ? JOB_SMTP : JOB_EXEC, e->address);
        j->body_len = m->len;
        j->body = g_string_free(m, false);
        j->mail_from = g_strdup_printf("<%s>", from);
        if (smtp) {
                j->url = g_strdup(smtp);
                j->rcpts = g_ptr_array_new_with_free_func(g_free);
                for (guint i = 0; i < list->len; i++)
                        g_ptr_array_add(j->rcpts, g_strdup_printf("<%s>", (char *) list->pdata[i]));
                if (action_spec_get(a->spec, "user")) {
                        g_autofree char *pw = NULL;
                        int r = read_secret(a, "password_file", &pw);

                        if (r < 0)
                                return r;
                        j->userpwd = g_strdup_printf("%s:%s", action_spec_get(a->spec, "user"), pw);
                        explicit_bzero(pw, strlen(pw));
                }
        } else {
                /* sendmail -i: a line with a single '.' is not the end; no shell, addresses after "--" */
                g_autofree char *prog = find_program(action_spec_get(a->spec, "sendmail") ?: "sendmail");
                GPtrArray *argv = g_ptr_array_new();

                if (!prog) {
                        g_ptr_array_unref(argv);
                        return -ENOENT;
                }
                g_ptr_array_add(argv, g_strdup(prog));
                g_ptr_array_add(argv, g_strdup("-i"));
                g_ptr_array_add(argv, g_strdup("-f"));
                g_ptr_array_add(argv, g_strdup(from));
                g_ptr_array_add(argv, g_strdup("--"));
                for (guint i = 0; i < list->len; i++)
                        g_ptr_array_add(argv, g_strdup(list->pdata[i]));
                g_ptr_array_add(argv, NULL);
                j->argv = (char **) g_ptr_array_free(argv, false);
        }
        *ret = TAKE_PTR(j);
        return 1;
}

/* ---- webhook ------------------------------------------------------------------------------------- */

static int build_webhook(Action *a, const ActionEvent *e, const char *digest, ActionJob **ret) {
        const char *preset = action_spec_get(a->spec, "preset") ?: "", *url = action_spec_get(a->spec, "url"),
                   *tmpl = action_spec_get(a->spec, "body");
        _cleanup_(action_job_freep) ActionJob *j = NULL;
        g_autofree char *message = NULL, *token = NULL;
        ActionEvent ev = *e;
        int r;

        if (!digest && !job_hook_wanted(a, e->hook))
                return 0;
        if (digest) {
                message = g_strdup_printf("%s:\n%s", e->message, digest);
                ev.message = message;
        }
        if (action_spec_get(a->spec, "token_file")) {
                r = read_secret(a, "token_file", &token);
                if (r < 0)
                        return r;
        }

        j = action_job_new(a, e->hook, JOB_HTTP, e->address);
        j->headers = g_ptr_array_new_with_free_func(g_free);

        if (streq(preset, "twilio")) {
                g_autofree char *text = action_event_tag(&ev, a->spec, "message");
                g_autofree char *account = form_value(action_spec_get(a->spec, "account"));
                GString *f = g_string_new(NULL);

                if (strlen(text) > 1500)
                        strcpy(text + 1497, "...");
                j->url = url ? g_strdup(url)
                             : g_strdup_printf("https://api.twilio.com/2010-04-01/Accounts/%s/Messages.json", account);
                form_add(f, "To", action_spec_get(a->spec, "to"));
                form_add(f, "From", action_spec_get(a->spec, "from"));
                form_add(f, "Body", text);
                j->body_len = f->len;
                j->body = g_string_free(f, false);
                j->userpwd = g_strdup_printf("%s:%s", action_spec_get(a->spec, "account"), token);
                g_ptr_array_add(j->headers, g_strdup("Content-Type: application/x-www-form-urlencoded"));
                *ret = TAKE_PTR(j);
                return 1;
        }

        if (streq(preset, "ntfy")) {
                tmpl = tmpl ?: "{\"topic\": \"<topic>\", \"title\": \"portcullis: <jail>\", \"message\": \"<message>\"}";
                j->url = g_strdup(url ?: "https://ntfy.sh");
        } else if (streq(preset, "slack"))
                tmpl = tmpl ?: "{\"text\": \"<message>\"}";
        else if (streq(preset, "matrix")) {
                g_autofree char *room = form_value(action_spec_get(a->spec, "room"));

                tmpl = tmpl ?: "{\"msgtype\": \"m.text\", \"body\": \"<message>\"}";
                j->method = "PUT";
                j->url = g_strdup_printf("%s/_matrix/client/v3/rooms/%s/send/m.room.message/portcullis-%" PRIx64 "-%x",
                                         url, room, now_usec(CLOCK_REALTIME), g_random_int());
        } else
                tmpl = tmpl ?: "{\"jail\": \"<jail>\", \"ip\": \"<ip>\", \"failures\": \"<failures>\", "
                                "\"bantime\": \"<bantime>\", \"event\": \"<hook>\", \"message\": \"<message>\", "
                                "\"matches\": \"<matches>\"}";
        if (!j->url)
                j->url = g_strdup(url);
        if (action_spec_get(a->spec, "method") && streq(action_spec_get(a->spec, "method"), "PUT"))
                j->method = "PUT";

        json_t *body = action_template_json(tmpl, &ev, a->spec);
        if (!body)
                return -EBADMSG;
        j->body = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
        json_decref(body);
        if (!j->body)
                return -ENOMEM;
        j->body_len = strlen(j->body);
        g_ptr_array_add(j->headers, g_strdup("Content-Type: application/json"));
        if (token) {
                g_ptr_array_add(j->headers, g_strdup_printf("Authorization: Bearer %s", token));
                explicit_bzero(token, strlen(token));
        }
        /* header-NAME=value arguments */
        GHashTableIter it;
        gpointer k, v;
        g_hash_table_iter_init(&it, a->spec->args);
        while (g_hash_table_iter_next(&it, &k, &v))
                if (g_str_has_prefix(k, "header-") && ((char *) k)[7]) {
                        g_autofree char *name = header_safe((char *) k + 7), *value = header_safe(v);

                        g_ptr_array_add(j->headers, g_strdup_printf("%s: %s", name, value));
                }
        *ret = TAKE_PTR(j);
        return 1;
}

/* ---- abuse reports ------------------------------------------------------------------------------- */

static int build_report(Action *a, const ActionEvent *e, ActionJob **ret) {
        _cleanup_(action_job_freep) ActionJob *j = NULL;
        g_autofree char *key = NULL;
        GString *f;
        int r;

        if (e->hook != ACTION_HOOK_BAN || !e->address)
                return 0;
        r = read_secret(a, "key_file", &key);
        if (r < 0)
                return r;
        j = action_job_new(a, e->hook, JOB_HTTP, e->address);
        j->headers = g_ptr_array_new_with_free_func(g_free);
        g_ptr_array_add(j->headers, g_strdup("Content-Type: application/x-www-form-urlencoded"));
        f = g_string_new(NULL);
        if (a->spec->type == ACTION_ABUSEIPDB) {
                const char *cat = action_spec_get(a->spec, "categories") ?: action_spec_get(a->spec, "abuseipdb_category") ?: "18";
                g_autofree char *comment = action_template_expand(
                        action_spec_get(a->spec, "comment") ?: "portcullis: <failures> failures (jail <jail>)", e, a->spec);

                j->url = g_strdup(action_spec_get(a->spec, "url") ?: "https://api.abuseipdb.com/api/v2/report");
                g_ptr_array_add(j->headers, g_strdup_printf("Key: %s", key));
                g_ptr_array_add(j->headers, g_strdup("Accept: application/json"));
                form_add(f, "ip", e->address);
                form_add(f, "categories", cat);
                form_add(f, "comment", comment);
        } else {
                g_autofree char *logs = action_event_tag(e, a->spec, "matches");

                j->url = g_strdup(action_spec_get(a->spec, "url") ?: "https://www.blocklist.de/en/httpreports.html");
                form_add(f, "server", action_spec_get(a->spec, "server") ?: "");
                form_add(f, "apikey", key);
                form_add(f, "ip", e->address);
                form_add(f, "service", action_spec_get(a->spec, "service") ?: e->jail);
                form_add(f, "format", "text");
                form_add(f, "logs", logs);
        }
        explicit_bzero(key, strlen(key));
        j->body_len = f->len;
        j->body = g_string_free(f, false);
        *ret = TAKE_PTR(j);
        return 1;
}

/* ---- command ---------------------------------------------------------------------------------------- */

static int build_command(Action *a, const ActionEvent *e, ActionJob **ret) {
        g_autofree char *key = g_strdup_printf("action%s", action_hook_to_string(e->hook));
        const char *tmpl = action_spec_get(a->spec, key);
        _cleanup_(action_job_freep) ActionJob *j = NULL;
        char **argv = NULL, *prog;
        int r;

        if (!tmpl)
                return 0;
        r = action_template_argv(tmpl, e, a->spec, &argv);
        if (r < 0)
                return r;
        if (!argv[0] || !(prog = find_program(argv[0]))) {
                g_strfreev(argv);
                return -ENOENT;
        }
        g_free(argv[0]);
        argv[0] = prog;
        j = action_job_new(a, e->hook, JOB_EXEC, e->address);
        j->argv = argv;
        *ret = TAKE_PTR(j);
        return 1;
}

int action_build_job(Action *a, const ActionEvent *e, const char *digest, ActionJob **ret) {
        switch (a->spec->type) {
        case ACTION_HOSTSDENY: {
                ActionJob *j;
                char *line;

                if ((e->hook != ACTION_HOOK_BAN && e->hook != ACTION_HOOK_UNBAN) || !e->address)
                        return 0;
                line = hostsdeny_line(action_spec_get(a->spec, "daemons") ?: "ALL", e->address);
                if (!line)
                        return -EINVAL;
                j = action_job_new(a, e->hook, JOB_HOSTSDENY, e->address);
                j->line = line;
                j->add = e->hook == ACTION_HOOK_BAN;
                *ret = j;
                return 1;
        }
        case ACTION_MAIL:
                return build_mail(a, e, digest, ret);
        case ACTION_WEBHOOK:
                return build_webhook(a, e, digest, ret);
        case ACTION_ABUSEIPDB:
        case ACTION_BLOCKLISTDE:
                return build_report(a, e, ret);
        case ACTION_COMMAND:
                return build_command(a, e, ret);
        default:
                return 0;
        }
}

/* ---- hosts.deny ------------------------------------------------------------------------------------- */

/* Locking scheme: every writer takes flock(LOCK_EX) on PATH.lock (never on PATH itself, which rename()
 * replaces), then re-reads PATH, edits it in memory, writes PATH.portcullis-XXXXXX, fsyncs it, gives it
 * PATH's mode and owner, and renames it over PATH. Writers that do not lock are still not lost unless
 * they write in the few microseconds between our last check of PATH's size/mtime and the rename. */
int action_hostsdeny_apply(const char *path, const char *line, bool add, char **ret_error) {
        g_autofree char *lock_path = g_strdup_printf("%s.lock", path), *tmp = NULL, *old = NULL, *new = NULL;
        _cleanup_close_ int lock_fd = -EBADF, fd = -EBADF;
        struct stat st = {}, st2;
        gsize len = 0;
        int r;

        lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (lock_fd < 0) {
                *ret_error = g_strdup_printf("cannot open lock file %s: %s", lock_path, strerror(errno));
                return -errno;
        }
        if (flock(lock_fd, LOCK_EX | LOCK_NB) < 0)
                return errno == EWOULDBLOCK ? -EAGAIN : -errno;

        for (unsigned tries = 0;; tries++) {
                g_autoptr(GError) error = NULL;

                g_clear_pointer(&old, g_free);
                g_clear_pointer(&new, g_free);
                if (stat(path, &st) < 0) {
                        if (errno != ENOENT) {
                                *ret_error = g_strdup_printf("cannot stat %s: %s", path, strerror(errno));
                                return -errno;
                        }
                        st = (struct stat) { .st_mode = S_IFREG | 0644 };
                        old = g_strdup("");
                } else if (!g_file_get_contents(path, &old, &len, &error)) {
                        *ret_error = g_strdup_printf("cannot read %s: %s", path, error->message);
                        return -EIO;
                }
                if (memchr(old, '\0', len)) {
                        *ret_error = g_strdup_printf("%s contains a NUL byte, not touching it", path);
                        return -EBADMSG;
                }
                r = hostsdeny_edit(old, line, add, &new);
                if (r == 0)
                        return 0;

                tmp = g_strdup_printf("%s.portcullis-XXXXXX", path);
                fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, st.st_mode & 07777);
                if (fd < 0) {
                        *ret_error = g_strdup_printf("cannot create a temporary file next to %s: %s", path, strerror(errno));
                        return -errno;
                }
                size_t n = strlen(new), done = 0;
                while (done < n) {
                        ssize_t k = write(fd, new + done, n - done);

                        if (k < 0) {
                                r = -errno;
                                (void) unlink(tmp);
                                *ret_error = g_strdup_printf("cannot write %s: %s", tmp, strerror(-r));
                                return r;
                        }
                        done += (size_t) k;
                }
                (void) fchmod(fd, st.st_mode & 07777);
                if (st.st_nlink > 0)
                        (void) fchown(fd, st.st_uid, st.st_gid);
                if (fsync(fd) < 0) {
                        r = -errno;
                        (void) unlink(tmp);
                        *ret_error = g_strdup_printf("cannot fsync %s: %s", tmp, strerror(-r));
                        return r;
                }
                (void) close(TAKE_FD(fd));

                /* Someone who does not lock wrote meanwhile? Then start over from what is there now. */
                if (st.st_nlink > 0 && stat(path, &st2) >= 0 &&
                    (st2.st_size != st.st_size || st2.st_mtim.tv_sec != st.st_mtim.tv_sec ||
                     st2.st_mtim.tv_nsec != st.st_mtim.tv_nsec || st2.st_ino != st.st_ino) && tries < 10) {
                        (void) unlink(tmp);
                        g_clear_pointer(&tmp, g_free);
                        continue;
                }
                if (rename(tmp, path) < 0) {
                        r = -errno;
                        (void) unlink(tmp);
                        *ret_error = g_strdup_printf("cannot rename %s to %s: %s", tmp, path, strerror(-r));
                        return r;
                }
                return 1;
        }
}
