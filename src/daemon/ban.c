/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <assert.h>
#include <glib.h>
#include <string.h>

#include "ban.h"

struct BanTable {
        /* Set of Ban*, hashed and compared on (jail name, prefix): a probe Ban on the stack with just
         * those two fields set is a valid lookup key. Owns the Bans. */
        GHashTable *bans;
        /* Ban* → Ban*, ordered by (end_usec, seq): the first node is the next to expire. Permanent
         * bans (USEC_INFINITY) sort last and are never expired. Owns nothing. */
        GTree *expiry;
        /* Jail name (owned copy) → size_t* number of bans (owned), for ban_table_count_jail() in O(1).
         * A jail with no bans has no entry. */
        GHashTable *jail_counts;
        uint64_t next_seq;
};

static unsigned ban_hash(const void *p) {
        const Ban *b = p;

        /* address_hash() is already well mixed; the multiplier keeps equal addresses in different jails
         * apart. */
        return address_hash(&b->address) ^ (g_str_hash(b->jail) * 0x9e3779b1u) ^ b->prefix.prefixlen;
}

static gboolean ban_equal(const void *a, const void *b) {
        const Ban *x = a, *y = b;

        return x->prefix.prefixlen == y->prefix.prefixlen && address_equal(&x->address, &y->address) &&
                strcmp(x->jail, y->jail) == 0;
}

static int ban_compare_expiry(const void *a, const void *b, void *userdata) {
        const Ban *x = a, *y = b;

        if (x->end_usec != y->end_usec)
                return x->end_usec < y->end_usec ? -1 : 1;
        if (x->seq != y->seq)
                return x->seq < y->seq ? -1 : 1;
        return 0;
}

static void ban_free(void *p) {
        Ban *b = p;

        if (!b)
                return;

        g_free(b->jail);
        g_free(b);
}

BanTable *ban_table_new(void) {
        BanTable *t;

        t = g_new0(BanTable, 1);
        t->bans = g_hash_table_new_full(ban_hash, ban_equal, NULL, ban_free);
        t->expiry = g_tree_new_full(ban_compare_expiry, NULL, NULL, NULL);
        t->jail_counts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        return t;
}

BanTable *ban_table_free(BanTable *t) {
        if (!t)
                return NULL;

        /* The tree first: it only borrows the Bans that the hash table frees. */
        g_tree_destroy(t->expiry);
        g_hash_table_destroy(t->bans);
        g_hash_table_destroy(t->jail_counts);
        g_free(t);
        return NULL;
}

static void jail_count_adjust(BanTable *t, const char *jail, int delta) {
        size_t *n;

        n = g_hash_table_lookup(t->jail_counts, jail);
        if (!n) {
                assert(delta > 0);
                n = g_new0(size_t, 1);
                g_hash_table_insert(t->jail_counts, g_strdup(jail), n);
        }

        if (delta > 0)
                (*n)++;
        else {
                assert(*n > 0);
                if (--(*n) == 0)
                        g_hash_table_remove(t->jail_counts, jail);
        }
}

int ban_table_add(BanTable *t, const char *jail, const Address *address, usec_t start_usec,
                  usec_t end_usec, unsigned failures, Ban **ret) {
        AddressPrefix p;

        assert(address);

        p = ban_host_prefix(address);
        return ban_table_add_prefix(t, jail, &p, start_usec, end_usec, failures, ret);
}

int ban_table_add_prefix(BanTable *t, const char *jail, const AddressPrefix *prefix, usec_t start_usec,
                         usec_t end_usec, unsigned failures, Ban **ret) {
        Ban *b;

        assert(t);
        assert(jail);
        assert(prefix);

        b = ban_table_get_prefix(t, jail, prefix);
        if (b) {
                /* Already banned: only ever extend. The tree is keyed on end_usec, so the Ban leaves
                 * the index while its key changes. Its seq stays: (end, seq) remains unique. */
                if (end_usec > b->end_usec) {
                        g_tree_remove(t->expiry, b);
                        b->end_usec = end_usec;
                        g_tree_insert(t->expiry, b, b);
                }

                if (ret)
                        *ret = b;
                return 0;
        }

        b = g_new(Ban, 1);
        *b = (Ban) {
                .jail = g_strdup(jail),
                .prefix = *prefix,
                .start_usec = start_usec,
                .end_usec = end_usec,
                .failures = failures,
                /* The table only knows active bans; a caller with a ban history (the state database)
                 * raises this through *ret. */
                .ban_count = 1,
                .seq = t->next_seq++,
        };

        g_hash_table_add(t->bans, b);
        g_tree_insert(t->expiry, b, b);
        jail_count_adjust(t, jail, +1);

        if (ret)
                *ret = b;
        return 1;
}

Ban *ban_table_get(BanTable *t, const char *jail, const Address *address) {
        AddressPrefix p;

        assert(address);

        p = ban_host_prefix(address);
        return ban_table_get_prefix(t, jail, &p);
}

Ban *ban_table_get_prefix(BanTable *t, const char *jail, const AddressPrefix *prefix) {
        Ban probe;

        assert(t);
        assert(jail);
        assert(prefix);

        probe = (Ban) {
                .jail = (char *) jail,
                .prefix = *prefix,
        };
        return g_hash_table_lookup(t->bans, &probe);
}

/* Unlinks B from every index and frees it. */
static void ban_table_drop(BanTable *t, Ban *b) {
        gboolean found;

        found = g_tree_remove(t->expiry, b);
        assert(found);
        (void) found;

        jail_count_adjust(t, b->jail, -1);
        g_hash_table_remove(t->bans, b); /* frees b */
}

int ban_table_remove(BanTable *t, const char *jail, const Address *address) {
        AddressPrefix p;

        assert(address);

        p = ban_host_prefix(address);
        return ban_table_remove_prefix(t, jail, &p);
}

int ban_table_remove_prefix(BanTable *t, const char *jail, const AddressPrefix *prefix) {
        Ban *b;

        assert(t);

        b = ban_table_get_prefix(t, jail, prefix);
        if (!b)
                return 0;

        ban_table_drop(t, b);
        return 1;
}

static Ban *first_to_expire(BanTable *t) {
        GTreeNode *node;

        node = g_tree_node_first(t->expiry);
        return node ? g_tree_node_value(node) : NULL;
}

usec_t ban_table_next_expiry(BanTable *t) {
        Ban *b;

        assert(t);

        b = first_to_expire(t);
        return b ? b->end_usec : USEC_INFINITY;
}

size_t ban_table_expire(BanTable *t, usec_t now, ban_callback_t cb, void *userdata) {
        size_t n = 0;

        assert(t);

        /* O(log n) per expired ban: first node, then removal. The callback must not modify the
         * table. */
        for (;;) {
                Ban *b = first_to_expire(t);

                if (!b || b->end_usec == USEC_INFINITY || b->end_usec > now)
                        break;

                if (cb)
                        cb(b, userdata);
                ban_table_drop(t, b);
                n++;
        }

        return n;
}

void ban_table_foreach(BanTable *t, const char *jail, ban_callback_t cb, void *userdata) {
        GHashTableIter iter;
        void *key;

        assert(t);
        assert(cb);

        /* O(all bans) even for one jail: listing is rare (status, D-Bus), and a per-jail index would
         * cost memory on every ban. The callback must not modify the table. */
        g_hash_table_iter_init(&iter, t->bans);
        while (g_hash_table_iter_next(&iter, &key, NULL)) {
                const Ban *b = key;

                if (!jail || strcmp(b->jail, jail) == 0)
                        cb(b, userdata);
        }
}

size_t ban_table_size(const BanTable *t) {
        assert(t);

        return g_hash_table_size(t->bans);
}

size_t ban_table_count_jail(BanTable *t, const char *jail) {
        const size_t *n;

        assert(t);
        assert(jail);

        n = g_hash_table_lookup(t->jail_counts, jail);
        return n ? *n : 0;
}
