/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <glib.h>
#include <stdio.h>

#include "journal-entry.h"
#include "macro.h"

static void watch_free(JournalEntry *e) {
        for (size_t i = 0; i < e->n_watch; i++) {
                free(e->watch[i].name);
                free(e->watch[i].item);
        }
        free(e->watch);
        e->watch = NULL;
        e->n_watch = 0;
}

void journal_entry_done(JournalEntry *e) {
        free(e->line);
        free(e->message);
        watch_free(e);
        *e = (JournalEntry) {};
}

int journal_entry_watch(JournalEntry *e, char *const *fields, size_t n) {
        JournalEntryWatch *w = n > 0 ? calloc(n, sizeof(JournalEntryWatch)) : NULL;

        if (n > 0 && !w)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                w[i].name = g_strconcat(fields[i], "=", NULL);
                w[i].name_len = strlen(w[i].name);
        }
        watch_free(e);
        e->watch = w;
        e->n_watch = n;
        return 0;
}

int journal_entry_get_item(const char *field, const void **ret_item, size_t *ret_len, void *userdata) {
        const JournalEntry *e = userdata;
        size_t l = strlen(field);

        for (size_t i = 0; i < e->n_watch; i++) {
                const JournalEntryWatch *w = &e->watch[i];

                if (w->name_len != l + 1 || memcmp(w->name, field, l) != 0)
                        continue;
                if (!w->present)
                        return 0;
                *ret_item = w->item;
                *ret_len = w->item_len;
                return 1;
        }
        return -ENOKEY;
}

/* Copies the item if it is a watched field seen for the first time in this entry. */
static int watch_store(JournalEntry *e, const char *d, size_t l) {
        for (size_t i = 0; i < e->n_watch; i++) {
                JournalEntryWatch *w = &e->watch[i];

                if (w->present || l < w->name_len || memcmp(d, w->name, w->name_len) != 0)
                        continue;
                if (l > w->item_size) {
                        char *n = realloc(w->item, MAX(l, (size_t) 64));

                        if (!n)
                                return -ENOMEM;
                        w->item = n;
                        w->item_size = MAX(l, (size_t) 64);
                }
                memcpy(w->item, d, l);
                w->item_len = l;
                w->present = true;
                e->n_watch_present++;
                return 0;
        }
        return 0;
}

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

int journal_entry_setup(sd_journal *j) {
        /* Longer fields are handed to us truncated to this size: then we know they are too long. */
        return sd_journal_set_data_threshold(j, JOURNAL_LINE_MAX + sizeof("MESSAGE="));
}

typedef struct Field {
        const char *name; /* with '=' */
        size_t name_len;
} Field;

enum {
        F_MESSAGE,
        F_HOSTNAME,
        F_IDENTIFIER,
        F_SYSLOG_PID,
        F_COMM,
        F_PID,
        F_SOURCE_REALTIME,
        F_SOURCE_MONOTONIC,
        _F_MAX,
};

#define FIELD(s) { s, sizeof(s) - 1 }
static const Field fields[_F_MAX] = {
        [F_MESSAGE] = FIELD("MESSAGE="),
        [F_HOSTNAME] = FIELD("_HOSTNAME="),
        [F_IDENTIFIER] = FIELD("SYSLOG_IDENTIFIER="),
        [F_SYSLOG_PID] = FIELD("SYSLOG_PID="),
        [F_COMM] = FIELD("_COMM="),
        [F_PID] = FIELD("_PID="),
        [F_SOURCE_REALTIME] = FIELD("_SOURCE_REALTIME_TIMESTAMP="),
        [F_SOURCE_MONOTONIC] = FIELD("_SOURCE_MONOTONIC_TIMESTAMP="),
};

static int field_lookup(const char *d, size_t l) {
        /* Called for every field of every entry read: find the '=', then at most one memcmp. */
        const char *eq = memchr(d, '=', MIN(l, (size_t) 28));
        int f;

        if (!eq)
                return -1;
        switch (eq - d + 1) {
        case 5: f = F_PID; break;
        case 6: f = F_COMM; break;
        case 8: f = F_MESSAGE; break;
        case 10: f = F_HOSTNAME; break;
        case 11: f = F_SYSLOG_PID; break;
        case 18: f = F_IDENTIFIER; break;
        case 27: f = F_SOURCE_REALTIME; break;
        case 28: f = F_SOURCE_MONOTONIC; break;
        default: return -1;
        }
        return memcmp(d, fields[f].name, fields[f].name_len) == 0 ? f : -1;
}

static int message_store(JournalEntry *e, const char *d, size_t l) {
        char *n;

        if (l + 1 > e->message_size) {
                size_t size = MAX(l + 1, MAX(e->message_size * 2, (size_t) 512));

                n = realloc(e->message, size);
                if (!n)
                        return -ENOMEM;
                e->message = n;
                e->message_size = size;
        }
        memcpy(e->message, d, l);
        e->message[l] = 0;
        e->message_len = l;
        return 0;
}

static uint64_t parse_usec(const char *s) {
        char *end;
        uint64_t u;

        errno = 0;
        u = strtoull(s, &end, 10);
        return errno != 0 || end == s || *end != 0 ? 0 : u;
}

/* "HOST IDENT[PID]: " + kernel time + e->message; parts of length 0 are left out with their separator */
static int line_build(JournalEntry *e, const char *host, size_t host_len, const char *ident, size_t ident_len,
                      const char *pid, size_t pid_len, const char *kernel_time) {
        char *p;
        int r;

        r = line_reserve(e, host_len + 1 + ident_len + pid_len + 4 + strlen(kernel_time) + 1 + e->message_len + 1);
        if (r < 0)
                return r;
        p = e->line;
        if (host_len > 0) {
                p = mempcpy(p, host, host_len);
                *p++ = ' ';
        }
        if (ident_len > 0) {
                p = mempcpy(p, ident, ident_len);
                if (pid_len > 0) {
                        *p++ = '[';
                        p = mempcpy(p, pid, pid_len);
                        *p++ = ']';
                }
                *p++ = ':';
                p = stpcpy(p, kernel_time);
                *p++ = ' ';
        }
        e->message_offset = (size_t) (p - e->line);
        p = mempcpy(p, e->message, e->message_len);
        *p = 0;
        e->line_len = (size_t) (p - e->line);
        return 0;
}

int journal_entry_set(JournalEntry *e, const char *hostname, const char *identifier, const char *pid,
                      const char *message, usec_t time_usec) {
        int r;

        r = message_store(e, message, strlen(message));
        if (r < 0)
                return r;
        r = line_build(e, hostname ? hostname : "", hostname ? strlen(hostname) : 0, identifier ? identifier : "",
                       identifier ? strlen(identifier) : 0, pid ? pid : "", pid ? strlen(pid) : 0, "");
        if (r < 0)
                return r;
        e->time_usec = time_usec;
        e->have_time = true;
        return 0;
}

/* Whether everything the line needs was seen (kernel entries also want their timestamp: read on). */
static bool line_fields_complete(const bool have[static _F_MAX], char small[static _F_MAX][256],
                                 const size_t small_len[static _F_MAX]) {
        return have[F_MESSAGE] && have[F_HOSTNAME] && have[F_IDENTIFIER] && have[F_SYSLOG_PID] &&
                !(small_len[F_IDENTIFIER] == strlen("kernel") && streq(small[F_IDENTIFIER], "kernel"));
}

int journal_entry_load(JournalEntry *e, sd_journal *j) {
        /* Small fields are copied to the stack as they pass: a pointer from sd_journal_enumerate_data() is
         * only valid until the next call. One pass over the entry's fields costs about what a single
         * sd_journal_get_data() does (which walks the same items), so this is the cheapest way to get
         * several fields. */
        char small[_F_MAX][256];
        size_t small_len[_F_MAX] = {};
        bool have[_F_MAX] = {}, too_long = false, scan_complete = true;
        char kernel_time[32] = "";
        const void *data;
        size_t len;
        int r;

        e->have_time = false;
        e->line_len = 0;
        for (size_t i = 0; i < e->n_watch; i++)
                e->watch[i].present = false;
        e->n_watch_present = 0;

        sd_journal_restart_data(j);
        while ((r = sd_journal_enumerate_data(j, &data, &len)) > 0) {
                const char *d = data;
                int f;

                if (e->n_watch_present < e->n_watch) {
                        r = watch_store(e, d, len);
                        if (r < 0)
                                return r;
                        if (e->n_watch_present == e->n_watch && line_fields_complete(have, small, small_len)) {
                                scan_complete = false;
                                break;
                        }
                }
                f = field_lookup(d, len);
                if (f < 0 || have[f])
                        continue;
                have[f] = true;
                d += fields[f].name_len;
                len -= fields[f].name_len;
                if (f == F_MESSAGE) {
                        if (len > JOURNAL_LINE_MAX) {
                                too_long = true;
                                continue;
                        }
                        r = message_store(e, d, len);
                        if (r < 0)
                                return r;
                        continue;
                }
                len = MIN(len, sizeof(small[f]) - 1);
                memcpy(small[f], d, len);
                small[f][len] = 0;
                small_len[f] = len;

                /* All the line needs is here: stop early (the rest of the items cost as much again).
                 * _SOURCE_*_TIMESTAMP, if not seen yet, are looked up later, and only when needed. */
                if (e->n_watch_present == e->n_watch && line_fields_complete(have, small, small_len)) {
                        scan_complete = false;
                        break;
                }
        }
        if (r < 0)
                return r;
        if (!have[F_MESSAGE] || too_long)
                return 0;

        e->time_known_absent = scan_complete;
        if (small_len[F_SOURCE_REALTIME] > 0) {
                e->time_usec = parse_usec(small[F_SOURCE_REALTIME]);
                e->have_time = e->time_usec > 0;
        }

        const char *ident = small_len[F_IDENTIFIER] > 0 ? small[F_IDENTIFIER] : small[F_COMM];
        size_t ident_len = small_len[F_IDENTIFIER] > 0 ? small_len[F_IDENTIFIER] : small_len[F_COMM];
        const char *pid = small_len[F_SYSLOG_PID] > 0 ? small[F_SYSLOG_PID] : small[F_PID];
        size_t pid_len = small_len[F_SYSLOG_PID] > 0 ? small_len[F_SYSLOG_PID] : small_len[F_PID];
        size_t host_len = small_len[F_HOSTNAME];

        if (ident_len == strlen("kernel") && memcmp(ident, "kernel", ident_len) == 0) {
                uint64_t mono = small_len[F_SOURCE_MONOTONIC] > 0 ? parse_usec(small[F_SOURCE_MONOTONIC]) : 0;
                sd_id128_t boot;

                if (mono == 0)
                        (void) sd_journal_get_monotonic_usec(j, &mono, &boot);
                (void) snprintf(kernel_time, sizeof kernel_time, " [%12.6f]", (double) mono / 1e6);
        }

        r = line_build(e, small[F_HOSTNAME], host_len, ident, ident_len, pid, pid_len, kernel_time);
        if (r < 0)
                return r;
        return 1;
}

int journal_entry_get_time(JournalEntry *e, sd_journal *j, usec_t *ret) {
        int r;

        /* _SOURCE_REALTIME_TIMESTAMP was picked up by journal_entry_load() if it passed by before the scan
         * stopped; otherwise look for it now. */
        if (!e->have_time && !e->time_known_absent) {
                const void *data;
                size_t len;

                r = sd_journal_get_data(j, "_SOURCE_REALTIME_TIMESTAMP", &data, &len);
                if (r >= 0 && len > strlen("_SOURCE_REALTIME_TIMESTAMP=") && len < 64) {
                        char buf[64];

                        memcpy(buf, (const char *) data + strlen("_SOURCE_REALTIME_TIMESTAMP="),
                               len - strlen("_SOURCE_REALTIME_TIMESTAMP="));
                        buf[len - strlen("_SOURCE_REALTIME_TIMESTAMP=")] = 0;
                        e->time_usec = parse_usec(buf);
                        e->have_time = e->time_usec > 0;
                } else if (r < 0 && r != -ENOENT)
                        return r;
        }
        if (!e->have_time) {
                r = sd_journal_get_realtime_usec(j, &e->time_usec);
                if (r < 0)
                        return r;
                e->have_time = true;
        }
        *ret = e->time_usec;
        return 0;
}
