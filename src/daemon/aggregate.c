/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <assert.h>
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "aggregate.h"

typedef struct Member {
        AddressPrefix prefix;
        usec_t when;
} Member;

/* One aggregate prefix of one jail. The hash key is the entry itself (jail, prefix). */
typedef struct Entry {
        char *jail;
        AddressPrefix prefix;
        GList lru;        /* link in PrefixCounter.lru; data points back to the entry */
        unsigned n;       /* members in use */
        Member *members;  /* COUNT of the last record() call, grown when it grows */
        unsigned allocated;
} Entry;

struct PrefixCounter {
        GHashTable *entries; /* Entry* → itself, owned */
        GQueue lru;          /* head: most recently touched */
        size_t max;
        size_t evicted;
};

static unsigned entry_hash(const void *p) {
        const Entry *e = p;

        return address_hash(&e->prefix.address) ^ (g_str_hash(e->jail) * 0x9e3779b1u) ^ e->prefix.prefixlen;
}

static gboolean entry_equal(const void *a, const void *b) {
        const Entry *x = a, *y = b;

        return x->prefix.prefixlen == y->prefix.prefixlen && address_equal(&x->prefix.address, &y->prefix.address) &&
                strcmp(x->jail, y->jail) == 0;
}

static void entry_free(void *p) {
        Entry *e = p;

        if (!e)
                return;
        g_free(e->jail);
        g_free(e->members);
        g_free(e);
}

PrefixCounter *prefix_counter_new(size_t max_prefixes) {
        PrefixCounter *c = g_new0(PrefixCounter, 1);

        c->entries = g_hash_table_new_full(entry_hash, entry_equal, NULL, entry_free);
        g_queue_init(&c->lru);
        c->max = MAX(max_prefixes, (size_t) 1);
        return c;
}

PrefixCounter *prefix_counter_free(PrefixCounter *c) {
        if (!c)
                return NULL;
        /* The LRU links live inside the entries: nothing to free there. */
        g_hash_table_destroy(c->entries);
        g_free(c);
        return NULL;
}

static Entry *lookup(PrefixCounter *c, const char *jail, const AddressPrefix *aggregate) {
        Entry probe = { .jail = (char *) jail, .prefix = *aggregate };

        return g_hash_table_lookup(c->entries, &probe);
}

static void drop(PrefixCounter *c, Entry *e) {
        g_queue_unlink(&c->lru, &e->lru);
        g_hash_table_remove(c->entries, e); /* frees e */
}

int prefix_counter_record(PrefixCounter *c, const char *jail, const AddressPrefix *aggregate,
                          const AddressPrefix *member, usec_t when, usec_t window_usec, unsigned count) {
        unsigned k = 0, oldest = 0;
        Entry *e;

        assert(c);
        assert(jail);
        assert(aggregate);
        assert(member);

        if (count == 0 || member->prefixlen < aggregate->prefixlen ||
            !address_prefix_contains(aggregate, &member->address))
                return -EINVAL;

        e = lookup(c, jail, aggregate);
        if (e)
                g_queue_unlink(&c->lru, &e->lru);
        else {
                if (g_hash_table_size(c->entries) >= c->max) {
                        drop(c, c->lru.tail->data);
                        c->evicted++;
                }
                e = g_new0(Entry, 1);
                e->jail = g_strdup(jail);
                e->prefix = *aggregate;
                e->lru.data = e;
                g_hash_table_add(c->entries, e);
        }
        g_queue_push_head_link(&c->lru, &e->lru);

        if (e->allocated < count) {
                e->members = g_renew(Member, e->members, count);
                e->allocated = count;
        }

        /* 1. Forget members that left the window (and any beyond a COUNT that shrank on reload). */
        for (unsigned i = 0; i < MIN(e->n, count); i++) {
                const Member *m = &e->members[i];

                if (when >= window_usec && m->when <= when - window_usec)
                        continue;
                e->members[k++] = *m;
        }
        e->n = k;

        /* 2. The same member again: only its time moves. */
        for (unsigned i = 0; i < e->n; i++)
                if (e->members[i].prefix.prefixlen == member->prefixlen &&
                    address_equal(&e->members[i].prefix.address, &member->address)) {
                        e->members[i].when = MAX(e->members[i].when, when);
                        return (int) e->n;
                }

        /* 3. A new member; when all COUNT slots are used, the oldest makes room (it cannot matter: the
         *    count is already reached). */
        if (e->n < count) {
                e->members[e->n++] = (Member) { .prefix = *member, .when = when };
                return (int) e->n;
        }
        for (unsigned i = 1; i < e->n; i++)
                if (e->members[i].when < e->members[oldest].when)
                        oldest = i;
        e->members[oldest] = (Member) { .prefix = *member, .when = when };
        return (int) e->n;
}

int prefix_counter_forget(PrefixCounter *c, const char *jail, const AddressPrefix *aggregate) {
        Entry *e;

        assert(c);

        e = lookup(c, jail, aggregate);
        if (!e)
                return 0;
        drop(c, e);
        return 1;
}

size_t prefix_counter_size(const PrefixCounter *c) {
        assert(c);
        return g_hash_table_size(c->entries);
}

size_t prefix_counter_evicted(const PrefixCounter *c) {
        assert(c);
        return c->evicted;
}
