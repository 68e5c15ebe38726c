/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <assert.h>
#include <glib.h>

#include "jail.h"

/* One tracked address. The hash table key points into the entry (&e->address), and the LRU link is
 * embedded, so an entry is one allocation plus its timestamp array, and moving it to the front of the
 * LRU or unlinking it never allocates. */
typedef struct TrackEntry {
        Address address;
        GList lru_link;    /* in FailureTracker.lru; .data points back to this entry */
        usec_t newest;     /* newest failure time seen for this address */
        unsigned n;        /* failures stored in times[] */
        unsigned capacity; /* allocated length of times[] */
        usec_t *times;     /* unordered: out-of-order failures are common in a catch-up read */
        GQueue matches;    /* char *: the matched lines, oldest first, at most max_matches */
} TrackEntry;

struct FailureTracker {
        unsigned maxretry;
        usec_t findtime_usec;
        size_t max_tracked;
        unsigned max_matches; /* 0: no lines kept */

        GHashTable *entries; /* const Address* → TrackEntry* (owned) */
        /* Head: the address whose failure came in last; tail: the one that failed longest ago. Ordered
         * by arrival, which is what "recently failing" means for eviction: an O(1) move-to-front per
         * failure. An order by timestamp would need a heap (O(log n)) for little gain. */
        GQueue lru;
        uint64_t evicted;
};

static void track_entry_free(void *p) {
        TrackEntry *e = p;

        if (!e)
                return;

        g_free(e->times);
        g_queue_clear_full(&e->matches, g_free);
        g_free(e);
}

FailureTracker *failure_tracker_new(unsigned maxretry, usec_t findtime_usec, size_t max_tracked) {
        FailureTracker *t;

        assert(maxretry >= 1);
        assert(findtime_usec > 0);
        assert(max_tracked >= 1);

        t = g_new0(FailureTracker, 1);
        t->maxretry = maxretry;
        t->findtime_usec = findtime_usec;
        t->max_tracked = max_tracked;
        t->entries = g_hash_table_new_full(address_hash, address_equal_func, NULL, track_entry_free);
        g_queue_init(&t->lru);
        return t;
}

FailureTracker *failure_tracker_free(FailureTracker *t) {
        if (!t)
                return NULL;

        /* The links live inside the entries, so the queue needs no freeing of its own. */
        g_queue_init(&t->lru);
        g_hash_table_destroy(t->entries);
        g_free(t);
        return NULL;
}

/* Whether a failure at time T lies within the window that ends at REF: REF - findtime < T. Times after
 * REF (only possible for failure_tracker_count() with a "now" older than the data) count as inside. */
static bool in_window(const FailureTracker *t, usec_t time, usec_t ref) {
        return time >= ref || ref - time < t->findtime_usec;
}

/* Drops the timestamps that fell out of the window ending at the entry's newest failure. */
static void entry_trim(const FailureTracker *t, TrackEntry *e) {
        unsigned k = 0;

        for (unsigned i = 0; i < e->n; i++)
                if (in_window(t, e->times[i], e->newest))
                        e->times[k++] = e->times[i];
        e->n = k;
}

static void entry_remove(FailureTracker *t, TrackEntry *e) {
        g_queue_unlink(&t->lru, &e->lru_link);
        g_hash_table_remove(t->entries, &e->address); /* frees e */
}

/* Makes room for one more address. An entry whose failures have all aged out (relative to WHEN, the
 * time of the failure that needs the room) is simply dropped; anything else is a real eviction. */
static void make_room(FailureTracker *t, usec_t when) {
        while (g_hash_table_size(t->entries) >= t->max_tracked) {
                GList *link = g_queue_peek_tail_link(&t->lru);
                TrackEntry *e;

                assert(link);
                e = link->data;
                if (in_window(t, e->newest, when))
                        t->evicted++;
                entry_remove(t, e);
        }
}

void failure_tracker_set_max_matches(FailureTracker *t, unsigned max_matches) {
        assert(t);
        /* entries keeping more lines shed them at their next failure */
        t->max_matches = max_matches;
}

/* The matched lines of E (plus LINE, if any) as a NULL-terminated vector, or NULL when there are none. */
static char **matches_take(GQueue *q, const char *line, size_t len) {
        GPtrArray *a;

        if (g_queue_is_empty(q) && !line)
                return NULL;
        a = g_ptr_array_new();
        while (!g_queue_is_empty(q))
                g_ptr_array_add(a, g_queue_pop_head(q));
        if (line)
                g_ptr_array_add(a, g_strndup(line, MIN(len, (size_t) FAILURE_TRACKER_MATCH_MAX)));
        g_ptr_array_add(a, NULL);
        return (char **) g_ptr_array_free(a, FALSE);
}

int failure_tracker_record(FailureTracker *t, const Address *address, usec_t when, unsigned *ret_count) {
        return failure_tracker_record_line(t, address, when, NULL, 0, ret_count, NULL);
}

int failure_tracker_record_line(FailureTracker *t, const Address *address, usec_t when, const char *line,
                                size_t len, unsigned *ret_count, char ***ret_matches) {
        TrackEntry *e;

        assert(t);
        assert(address);

        if (ret_matches)
                *ret_matches = NULL;
        if (t->max_matches == 0)
                line = NULL;

        e = g_hash_table_lookup(t->entries, address);
        if (!e) {
                /* Due at once: no need to create (and at the cap, evict for) an entry. */
                if (t->maxretry <= 1) {
                        if (ret_count)
                                *ret_count = 1;
                        if (ret_matches && line)
                                *ret_matches = matches_take(&(GQueue) G_QUEUE_INIT, line, len);
                        return TRACK_BAN;
                }

                make_room(t, when);

                e = g_new0(TrackEntry, 1);
                e->address = *address;
                e->lru_link.data = e;
                e->newest = when;
                e->capacity = t->maxretry;
                e->times = g_new(usec_t, e->capacity);
                g_hash_table_insert(t->entries, &e->address, e);
                g_queue_push_head_link(&t->lru, &e->lru_link);
        } else {
                g_queue_unlink(&t->lru, &e->lru_link);
                g_queue_push_head_link(&t->lru, &e->lru_link);

                if (when > e->newest) {
                        e->newest = when;
                        entry_trim(t, e);
                }
        }

        /* An out-of-order failure that is already outside the window is not stored. */
        if (in_window(t, when, e->newest)) {
                if (e->n >= e->capacity) {
                        /* Only after a reconfigure that changed maxretry. */
                        e->capacity = MAX(e->n + 1, t->maxretry);
                        e->times = g_renew(usec_t, e->times, e->capacity);
                }
                e->times[e->n++] = when;
        }

        if (ret_count)
                *ret_count = e->n;

        if (e->n >= t->maxretry) {
                if (ret_matches) {
                        while (line && g_queue_get_length(&e->matches) >= t->max_matches)
                                g_free(g_queue_pop_head(&e->matches));
                        *ret_matches = matches_take(&e->matches, line, len);
                }
                entry_remove(t, e);
                return TRACK_BAN;
        }

        /* The line, for the ban's record; the oldest go first. */
        if (line) {
                while (g_queue_get_length(&e->matches) >= t->max_matches)
                        g_free(g_queue_pop_head(&e->matches));
                g_queue_push_tail(&e->matches, g_strndup(line, MIN(len, (size_t) FAILURE_TRACKER_MATCH_MAX)));
        }

        return TRACK_COUNTED;
}

unsigned failure_tracker_count(FailureTracker *t, const Address *address, usec_t now) {
        TrackEntry *e;
        unsigned n = 0;

        assert(t);
        assert(address);

        e = g_hash_table_lookup(t->entries, address);
        if (!e)
                return 0;

        for (unsigned i = 0; i < e->n; i++)
                if (in_window(t, e->times[i], now))
                        n++;

        return n;
}

void failure_tracker_forget(FailureTracker *t, const Address *address) {
        TrackEntry *e;

        assert(t);
        assert(address);

        e = g_hash_table_lookup(t->entries, address);
        if (e)
                entry_remove(t, e);
}

size_t failure_tracker_prune(FailureTracker *t, usec_t now) {
        size_t n = 0;

        assert(t);

        /* A full walk: the LRU is ordered by arrival, not by timestamp, so stale entries may sit
         * anywhere in it. Called from a periodic timer, O(tracked). */
        for (GList *l = t->lru.head, *next; l; l = next) {
                TrackEntry *e = l->data;

                next = l->next;
                if (!in_window(t, e->newest, now)) {
                        entry_remove(t, e);
                        n++;
                }
        }

        return n;
}

size_t failure_tracker_size(const FailureTracker *t) {
        assert(t);

        return g_hash_table_size(t->entries);
}

uint64_t failure_tracker_evicted(const FailureTracker *t) {
        assert(t);

        return t->evicted;
}

void failure_tracker_reconfigure(FailureTracker *t, unsigned maxretry, usec_t findtime_usec,
                                 size_t max_tracked) {
        assert(t);
        assert(maxretry >= 1);
        assert(findtime_usec > 0);
        assert(max_tracked >= 1);

        /* Stored failures stay as they are: a lower maxretry takes effect at the address's next failure
         * (which then bans it if it has enough), a different findtime at the next trim or prune. */
        t->maxretry = maxretry;
        t->findtime_usec = findtime_usec;
        t->max_tracked = max_tracked;

        /* A lower cap evicts the least recently failing addresses right away. */
        while (g_hash_table_size(t->entries) > t->max_tracked) {
                entry_remove(t, g_queue_peek_tail(&t->lru));
                t->evicted++;
        }
}
