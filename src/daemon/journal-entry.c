/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>

#include "journal-entry.h"
#include "macro.h"

void journal_entry_done(JournalEntry *e) {
        free(e->line);
        *e = (JournalEntry) {};
}

/* Copies the value of FIELD (without "FIELD=") into buf, truncated to size-1 bytes. Returns the length
 * copied, 0 when the field is missing or empty, or a negative errno. */
static int copy_field(sd_journal *j, const char *field, size_t field_len, char *buf, size_t size) {
        const void *data;
        size_t len;
        int r;

        r = sd_journal_get_data(j, field, &data, &len);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        if (len <= field_len + 1)
                return 0;
        len -= field_len + 1;
        if (len >= size)
                len = size - 1;
        memcpy(buf, (const char *) data + field_len + 1, len);
        buf[len] = 0;
        return (int) len;
}
#define COPY_FIELD(j, name, buf) copy_field((j), name, sizeof(name) - 1, (buf), sizeof(buf))

static int line_reserve(JournalEntry *e, size_t need) {
        char *n;
        size_t size;

        if (need <= e->line_size)
                return 0;
        size = MAX(need, MAX(e->line_size * 2, (size_t) 512));
        n = realloc(e->line, size);
        if (!n)
                return -ENOMEM;
        e->line = n;
        e->line_size = size;
        return 0;
}

int journal_entry_load(JournalEntry *e, sd_journal *j) {
        char host[256], ident[256], pid[64], kernel_time[32] = "";
        int host_len, ident_len, pid_len, r;
        const void *data;
        size_t len, prefix_len;

        e->have_time = false;
        e->line_len = 0;

        host_len = COPY_FIELD(j, "_HOSTNAME", host);
        if (host_len < 0)
                return host_len;
        ident_len = COPY_FIELD(j, "SYSLOG_IDENTIFIER", ident);
        if (ident_len == 0)
                ident_len = COPY_FIELD(j, "_COMM", ident);
        if (ident_len < 0)
                return ident_len;
        pid_len = 0;
        if (ident_len > 0) {
                pid_len = COPY_FIELD(j, "SYSLOG_PID", pid);
                if (pid_len == 0)
                        pid_len = COPY_FIELD(j, "_PID", pid);
                if (pid_len < 0)
                        return pid_len;
                if (streq(ident, "kernel")) {
                        uint64_t mono = 0;
                        char buf[32];
                        sd_id128_t boot;

                        if (COPY_FIELD(j, "_SOURCE_MONOTONIC_TIMESTAMP", buf) > 0)
                                mono = strtoull(buf, NULL, 10);
                        else
                                (void) sd_journal_get_monotonic_usec(j, &mono, &boot);
                        (void) snprintf(kernel_time, sizeof kernel_time, " [%12.6f]", (double) mono / 1e6);
                }
        }

        /* "HOST IDENT[PID]: " + kernel time; MESSAGE is fetched last and copied straight into place */
        prefix_len = (size_t) host_len + 1 + (size_t) ident_len + (size_t) pid_len + 4 + strlen(kernel_time) + 1;
        r = sd_journal_get_data(j, "MESSAGE", &data, &len);
        if (r == -ENOENT || r == -E2BIG)
                return 0;
        if (r < 0)
                return r;
        if (len < strlen("MESSAGE="))
                return 0;
        len -= strlen("MESSAGE=");
        if (len > JOURNAL_LINE_MAX)
                return 0;
        r = line_reserve(e, prefix_len + len + 1);
        if (r < 0)
                return r;

        char *p = e->line;
        if (host_len > 0) {
                p = mempcpy(p, host, (size_t) host_len);
                *p++ = ' ';
        }
        if (ident_len > 0) {
                p = mempcpy(p, ident, (size_t) ident_len);
                if (pid_len > 0) {
                        *p++ = '[';
                        p = mempcpy(p, pid, (size_t) pid_len);
                        *p++ = ']';
                }
                *p++ = ':';
                p = stpcpy(p, kernel_time);
                *p++ = ' ';
        }
        e->message_offset = (size_t) (p - e->line);
        p = mempcpy(p, (const char *) data + strlen("MESSAGE="), len);
        *p = 0;
        e->line_len = (size_t) (p - e->line);
        return 1;
}

int journal_entry_get_time(JournalEntry *e, sd_journal *j, usec_t *ret) {
        char buf[32];
        int r;

        if (!e->have_time) {
                usec_t t = 0;

                r = COPY_FIELD(j, "_SOURCE_REALTIME_TIMESTAMP", buf);
                if (r < 0)
                        return r;
                if (r > 0) {
                        char *end;

                        errno = 0;
                        t = strtoull(buf, &end, 10);
                        if (errno != 0 || *end != 0)
                                t = 0;
                }
                if (t == 0) {
                        r = sd_journal_get_realtime_usec(j, &t);
                        if (r < 0)
                                return r;
                }
                e->time_usec = t;
                e->have_time = true;
        }
        *ret = e->time_usec;
        return 0;
}
