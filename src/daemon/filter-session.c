/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The session store of multi-line filters (<F-MLFID>): see filter-session.h for the semantics, which
 * follow fail2ban's. Non-logging. */

#include <assert.h>
#include <errno.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "filter-session.h"
#include "macro.h"

typedef struct Session {
        char *id;             /* key in FilterSessions.table */
        usec_t created_usec;  /* the session expires max_age after it */
        GList link;           /* in FilterSessions.queue, oldest first; data points back here */

        bool has_host;        /* a host was seen in the session */
        bool host_is_address; /* … and it was an address (else a name, never resolved) */
        Address address;
        unsigned prefixlen;
        char *user;           /* the last user name seen, or NULL */
        char *first_user;     /* the first one, to tell "several users" */
        bool many_users;
        bool pending;         /* a failure without a host is waiting for one */
} Session;

struct FilterSessions {
        GHashTable *table; /* id → Session (owned) */
        GQueue queue;      /* Session.link, by creation */
        size_t max_sessions;
        usec_t max_age_usec;
        uint64_t evicted;
};

static void session_free(Session *x) {
        if (!x)
                return;
        free(x->id);
        free(x->user);
        free(x->first_user);
        free(x);
}

FilterSessions *filter_sessions_new(size_t max_sessions, usec_t max_age_usec) {
        FilterSessions *s;

        assert(max_sessions >= 1);
        assert(max_age_usec > 0);

        s = calloc(1, sizeof(FilterSessions));
        if (!s)
                return NULL;
        s->table = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify) session_free);
        g_queue_init(&s->queue);
        s->max_sessions = max_sessions;
        s->max_age_usec = max_age_usec;
        return s;
}

FilterSessions *filter_sessions_free(FilterSessions *s) {
        if (!s)
                return NULL;
        g_hash_table_destroy(s->table); /* frees the sessions; the queue only links them */
        free(s);
        return NULL;
}

static void session_remove(FilterSessions *s, Session *x) {
        g_queue_unlink(&s->queue, &x->link);
        g_hash_table_remove(s->table, x->id); /* frees x */
}

size_t filter_sessions_prune(FilterSessions *s, usec_t now) {
        size_t n = 0;

        assert(s);

        /* Sessions are queued in the order of their first line; a few out of order (entries of several
         * journal files interleaved) merely expire a little late. */
        while (s->queue.head) {
                Session *x = s->queue.head->data;

                if (x->created_usec + s->max_age_usec > now)
                        break;
                session_remove(s, x);
                n++;
        }
        return n;
}

size_t filter_sessions_size(const FilterSessions *s) {
        assert(s);
        return g_hash_table_size(s->table);
}

uint64_t filter_sessions_evicted(const FilterSessions *s) {
        assert(s);
        return s->evicted;
}

static char *text_dup(const char *t) {
        return t ? strndup(t, FILTER_SESSION_TEXT_MAX) : NULL;
}

static int session_new(FilterSessions *s, const char *id, usec_t now, Session **ret) {
        Session *x;

        (void) filter_sessions_prune(s, now);
        if (g_hash_table_size(s->table) >= s->max_sessions) {
                session_remove(s, s->queue.head->data);
                s->evicted++;
        }

        x = calloc(1, sizeof(Session));
        if (!x)
                return -ENOMEM;
        x->id = text_dup(id);
        if (!x->id) {
                free(x);
                return -ENOMEM;
        }
        x->created_usec = now;
        x->link.data = x;
        g_hash_table_insert(s->table, x->id, x);
        g_queue_push_tail_link(&s->queue, &x->link);
        *ret = x;
        return 0;
}

/* Takes the line's host and user into the session (only what the line has: fail2ban's dict update with
 * the values that are not None). */
static int session_update(Session *x, int result, const FilterMatch *m) {
        if (m->flags & FILTER_MATCH_HOST) {
                x->has_host = true;
                x->host_is_address = result == FILTER_FAILURE;
                x->address = m->address;
                x->prefixlen = m->prefixlen;
        }
        if (m->user) {
                char *u = text_dup(m->user);

                if (!u)
                        return -ENOMEM;
                free(x->user);
                x->user = u;
                if (!x->first_user) {
                        x->first_user = strdup(u);
                        if (!x->first_user)
                                return -ENOMEM;
                } else if (!streq(x->first_user, u))
                        x->many_users = true;
        }
        return 0;
}

int filter_sessions_merge(FilterSessions *s, usec_t now, int result, FilterMatch *m) {
        bool nofail, forget, has_host, is_address, pending = false;
        Session *x = NULL;
        int r;

        assert(s);
        assert(m);

        if (!m->mlfid || (result != FILTER_FAILURE && result != FILTER_NO_ADDRESS))
                return result;

        nofail = m->flags & (FILTER_MATCH_NOFAIL | FILTER_MATCH_GAINED);
        forget = m->flags & FILTER_MATCH_FORGET;

        x = g_hash_table_lookup(s->table, m->mlfid);
        if (x && x->created_usec + s->max_age_usec <= now) {
                session_remove(s, x);
                x = NULL;
        }

        /* 1. The session: the known one, updated with this line, or a new one (unless the line ends it). */
        if (!x && !forget) {
                r = session_new(s, m->mlfid, now, &x);
                if (r < 0)
                        return r;
        }
        if (x) {
                r = session_update(x, result, m);
                if (r < 0)
                        return r;
                if (m->flags & FILTER_MATCH_GAINED)
                        x->pending = false;
                pending = x->pending;
                x->pending = false;
                /* A failure waiting for its host, or several users: this line counts, nofail or not. */
                if (pending || x->many_users)
                        nofail = false;
                has_host = x->has_host;
                is_address = x->host_is_address;
        } else {
                has_host = m->flags & FILTER_MATCH_HOST;
                is_address = result == FILTER_FAILURE;
        }

        /* 2. What the line means. */
        if (nofail)
                result = FILTER_NO_MATCH;
        else if (!has_host) {
                if (x && !forget)
                        x->pending = true;
                result = FILTER_NO_MATCH;
        } else if (!is_address)
                result = FILTER_NO_ADDRESS;
        else {
                if (x) {
                        m->address = x->address;
                        m->prefixlen = x->prefixlen;
                        if (x->user && (!m->user || !streq(m->user, x->user))) {
                                char *u = strdup(x->user);

                                if (!u)
                                        return -ENOMEM;
                                free(m->user);
                                m->user = u;
                        }
                }
                result = FILTER_FAILURE;
        }

        /* 3. The end of the session. */
        if (x && forget)
                session_remove(s, x);
        return result;
}
