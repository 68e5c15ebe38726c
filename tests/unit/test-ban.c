/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <glib.h>
#include <string.h>

#include "aggregate.h"
#include "ban.h"

#define T0 (1700000000ULL * USEC_PER_SEC)
#define AT(sec) (T0 + (usec_t) (sec) * USEC_PER_SEC)

static Address addr(const char *s) {
        Address a;

        g_assert_cmpint(address_parse(s, &a), ==, 0);
        return a;
}

/* What a callback saw, copied out: the Ban may be freed right after the call. */
typedef struct Seen {
        GPtrArray *texts; /* "jail address end-seconds-after-T0" ("perm" for permanent) */
        usec_t last_end;
        uint64_t last_seq;
        bool ordered;
} Seen;

static void seen_init(Seen *s) {
        *s = (Seen) { .texts = g_ptr_array_new_with_free_func(g_free), .ordered = true };
}

static void seen_done(Seen *s) {
        g_ptr_array_unref(s->texts);
}

static void seen_cb(const Ban *b, void *userdata) {
        Seen *s = userdata;
        char buf[ADDRESS_STRING_MAX];

        if (s->texts->len > 0 &&
            (b->end_usec < s->last_end || (b->end_usec == s->last_end && b->seq < s->last_seq)))
                s->ordered = false;
        s->last_end = b->end_usec;
        s->last_seq = b->seq;

        if (b->end_usec == USEC_INFINITY)
                g_ptr_array_add(s->texts, g_strdup_printf("%s %s perm", b->jail,
                                                          address_prefix_to_string(&b->prefix, buf)));
        else
                g_ptr_array_add(s->texts, g_strdup_printf("%s %s %" G_GUINT64_FORMAT, b->jail,
                                                          address_prefix_to_string(&b->prefix, buf),
                                                          (guint64) ((b->end_usec - T0) / USEC_PER_SEC)));
}

static int strcmp_ptr(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The texts joined with ',' (in call order, or sorted for unordered iterations). */
static char *seen_join(Seen *s, bool sorted) {
        g_autoptr(GPtrArray) copy = g_ptr_array_new();

        for (unsigned i = 0; i < s->texts->len; i++)
                g_ptr_array_add(copy, s->texts->pdata[i]);
        if (sorted)
                g_ptr_array_sort(copy, strcmp_ptr);
        g_ptr_array_add(copy, NULL);
        return g_strjoinv(",", (char **) copy->pdata);
}

static void test_add_get(void) {
        BanTable *t = ban_table_new();
        Address a = addr("192.0.2.1"), b = addr("2001:db8::1");
        Ban *ban = NULL, *again = NULL;

        g_assert_cmpuint(ban_table_size(t), ==, 0);
        g_assert_null(ban_table_get(t, "sshd", &a));
        g_assert_cmpuint(ban_table_count_jail(t, "sshd"), ==, 0);

        g_assert_cmpint(ban_table_add(t, "sshd", &a, AT(0), AT(600), 5, &ban), ==, 1);
        g_assert_nonnull(ban);
        g_assert_cmpstr(ban->jail, ==, "sshd");
        g_assert_true(address_equal(&ban->address, &a));
        g_assert_cmpuint(ban->start_usec, ==, AT(0));
        g_assert_cmpuint(ban->end_usec, ==, AT(600));
        g_assert_cmpuint(ban->failures, ==, 5);
        g_assert_cmpuint(ban->ban_count, ==, 1);
        g_assert_true(ban_table_get(t, "sshd", &a) == ban);

        /* The jail name is copied: the caller's buffer may go away. */
        {
                char name[] = "nginx";

                g_assert_cmpint(ban_table_add(t, name, &b, AT(0), AT(60), 3, NULL), ==, 1);
                memset(name, 'x', strlen(name));
        }
        g_assert_nonnull(ban_table_get(t, "nginx", &b));

        /* Same address in another jail is another ban; the mapped form is the same address. */
        g_assert_cmpint(ban_table_add(t, "nginx", &a, AT(0), AT(60), 3, &again), ==, 1);
        g_assert_true(again != ban);
        g_assert_true(ban_table_get(t, "nginx", &a) == again);
        {
                Address mapped = addr("::ffff:192.0.2.1");

                g_assert_true(ban_table_get(t, "sshd", &mapped) == ban);
        }

        g_assert_null(ban_table_get(t, "sshd", &b));
        g_assert_null(ban_table_get(t, "unknown", &a));
        g_assert_cmpuint(ban_table_size(t), ==, 3);
        g_assert_cmpuint(ban_table_count_jail(t, "sshd"), ==, 1);
        g_assert_cmpuint(ban_table_count_jail(t, "nginx"), ==, 2);
        g_assert_cmpuint(ban_table_count_jail(t, "unknown"), ==, 0);

        ban_table_free(t);
        ban_table_free(NULL);
}

static void test_dedupe_extend(void) {
        BanTable *t = ban_table_new();
        Address a = addr("198.51.100.1"), b = addr("198.51.100.2");
        Ban *first = NULL, *ret = NULL;
        uint64_t seq;

        g_assert_cmpint(ban_table_add(t, "sshd", &a, AT(0), AT(600), 5, &first), ==, 1);
        g_assert_cmpint(ban_table_add(t, "sshd", &b, AT(0), AT(300), 5, NULL), ==, 1);
        seq = first->seq;

        /* Same end: dedupe, nothing changes. */
        g_assert_cmpint(ban_table_add(t, "sshd", &a, AT(10), AT(600), 7, &ret), ==, 0);
        g_assert_true(ret == first);
        g_assert_cmpuint(first->start_usec, ==, AT(0));
        g_assert_cmpuint(first->end_usec, ==, AT(600));
        g_assert_cmpuint(first->failures, ==, 5);

        /* Earlier end: dedupe, the ban is never shortened. */
        ret = NULL;
        g_assert_cmpint(ban_table_add(t, "sshd", &a, AT(10), AT(100), 7, &ret), ==, 0);
        g_assert_true(ret == first);
        g_assert_cmpuint(first->end_usec, ==, AT(600));

        /* Later end: extended in place. */
        ret = NULL;
        g_assert_cmpint(ban_table_add(t, "sshd", &a, AT(20), AT(1200), 9, &ret), ==, 0);
        g_assert_true(ret == first);
        g_assert_cmpuint(first->start_usec, ==, AT(0));
        g_assert_cmpuint(first->end_usec, ==, AT(1200));
        g_assert_cmpuint(first->seq, ==, seq);
        g_assert_cmpuint(ban_table_size(t), ==, 2);
        g_assert_cmpuint(ban_table_count_jail(t, "sshd"), ==, 2);

        /* The expiry index followed the extension: b (300) goes first, a not before 1200. */
        g_assert_cmpuint(ban_table_next_expiry(t), ==, AT(300));
        g_assert_cmpuint(ban_table_expire(t, AT(700), NULL, NULL), ==, 1);
        g_assert_nonnull(ban_table_get(t, "sshd", &a));
        g_assert_null(ban_table_get(t, "sshd", &b));
        g_assert_cmpuint(ban_table_next_expiry(t), ==, AT(1200));

        /* Extended to permanent: never expires; a later finite ban does not shorten it. */
        g_assert_cmpint(ban_table_add(t, "sshd", &a, AT(30), USEC_INFINITY, 9, NULL), ==, 0);
        g_assert_cmpuint(first->end_usec, ==, USEC_INFINITY);
        g_assert_cmpint(ban_table_add(t, "sshd", &a, AT(30), AT(5000), 9, NULL), ==, 0);
        g_assert_cmpuint(first->end_usec, ==, USEC_INFINITY);
        g_assert_cmpuint(ban_table_next_expiry(t), ==, USEC_INFINITY);
        g_assert_cmpuint(ban_table_expire(t, USEC_INFINITY - 1, NULL, NULL), ==, 0);

        ban_table_free(t);
}

static void test_expiry_order(void) {
        BanTable *t = ban_table_new();
        Address a = addr("10.0.0.1"), b = addr("10.0.0.2"), c = addr("10.0.0.3"), d = addr("10.0.0.4"),
                e = addr("2001:db8::5");
        g_autofree char *s1 = NULL, *s2 = NULL, *s3 = NULL;
        Seen seen;

        g_assert_cmpuint(ban_table_next_expiry(t), ==, USEC_INFINITY);
        g_assert_cmpuint(ban_table_expire(t, AT(1000000), NULL, NULL), ==, 0);

        g_assert_cmpint(ban_table_add(t, "j1", &a, AT(0), AT(30), 1, NULL), ==, 1);
        g_assert_cmpint(ban_table_add(t, "j1", &b, AT(0), AT(10), 1, NULL), ==, 1);
        g_assert_cmpint(ban_table_add(t, "j2", &c, AT(0), USEC_INFINITY, 1, NULL), ==, 1);
        g_assert_cmpint(ban_table_add(t, "j1", &c, AT(0), AT(20), 1, NULL), ==, 1);
        g_assert_cmpint(ban_table_add(t, "j2", &d, AT(0), AT(10), 1, NULL), ==, 1);  /* tie: later seq */
        g_assert_cmpint(ban_table_add(t, "j2", &e, AT(0), AT(40), 1, NULL), ==, 1);

        g_assert_cmpuint(ban_table_next_expiry(t), ==, AT(10));

        /* Nothing is due just before the first end; at the end exactly, both ties go, in insertion
         * order. */
        seen_init(&seen);
        g_assert_cmpuint(ban_table_expire(t, AT(10) - 1, seen_cb, &seen), ==, 0);
        g_assert_cmpuint(ban_table_expire(t, AT(15), seen_cb, &seen), ==, 2);
        s1 = seen_join(&seen, false);
        g_assert_cmpstr(s1, ==, "j1 10.0.0.2 10,j2 10.0.0.4 10");
        g_assert_cmpuint(ban_table_size(t), ==, 4);
        g_assert_cmpuint(ban_table_count_jail(t, "j1"), ==, 2);
        g_assert_cmpuint(ban_table_count_jail(t, "j2"), ==, 2);
        g_assert_cmpuint(ban_table_next_expiry(t), ==, AT(20));
        seen_done(&seen);

        /* Everything finite, in order; the permanent ban stays even at the end of time. */
        seen_init(&seen);
        g_assert_cmpuint(ban_table_expire(t, USEC_INFINITY, seen_cb, &seen), ==, 3);
        s2 = seen_join(&seen, false);
        g_assert_cmpstr(s2, ==, "j1 10.0.0.3 20,j1 10.0.0.1 30,j2 2001:db8::5 40");
        g_assert_true(seen.ordered);
        seen_done(&seen);

        g_assert_cmpuint(ban_table_size(t), ==, 1);
        g_assert_cmpuint(ban_table_count_jail(t, "j1"), ==, 0);
        g_assert_cmpuint(ban_table_count_jail(t, "j2"), ==, 1);
        g_assert_cmpuint(ban_table_next_expiry(t), ==, USEC_INFINITY);

        seen_init(&seen);
        ban_table_foreach(t, NULL, seen_cb, &seen);
        s3 = seen_join(&seen, true);
        g_assert_cmpstr(s3, ==, "j2 10.0.0.3 perm");
        seen_done(&seen);

        /* The jail is usable again after it emptied. */
        g_assert_cmpint(ban_table_add(t, "j1", &a, AT(50), AT(60), 1, NULL), ==, 1);
        g_assert_cmpuint(ban_table_count_jail(t, "j1"), ==, 1);

        ban_table_free(t);
}

static void test_remove(void) {
        BanTable *t = ban_table_new();
        Address a = addr("10.0.0.1"), b = addr("10.0.0.2");

        g_assert_cmpint(ban_table_add(t, "sshd", &a, AT(0), AT(10), 1, NULL), ==, 1);
        g_assert_cmpint(ban_table_add(t, "sshd", &b, AT(0), AT(20), 1, NULL), ==, 1);
        g_assert_cmpint(ban_table_add(t, "web", &a, AT(0), AT(30), 1, NULL), ==, 1);

        g_assert_cmpint(ban_table_remove(t, "sshd", &a), ==, 1);
        g_assert_cmpint(ban_table_remove(t, "sshd", &a), ==, 0);
        g_assert_cmpint(ban_table_remove(t, "nope", &a), ==, 0);
        g_assert_null(ban_table_get(t, "sshd", &a));
        g_assert_nonnull(ban_table_get(t, "web", &a));
        g_assert_cmpuint(ban_table_size(t), ==, 2);
        g_assert_cmpuint(ban_table_count_jail(t, "sshd"), ==, 1);
        g_assert_cmpuint(ban_table_count_jail(t, "web"), ==, 1);

        /* The removed ban left the expiry index too. */
        g_assert_cmpuint(ban_table_next_expiry(t), ==, AT(20));
        g_assert_cmpuint(ban_table_expire(t, AT(25), NULL, NULL), ==, 1);
        g_assert_cmpuint(ban_table_size(t), ==, 1);

        /* Banned again after removal: a new ban. */
        g_assert_cmpint(ban_table_add(t, "sshd", &a, AT(40), AT(50), 1, NULL), ==, 1);

        g_assert_cmpint(ban_table_remove(t, "web", &a), ==, 1);
        g_assert_cmpint(ban_table_remove(t, "sshd", &a), ==, 1);
        g_assert_cmpuint(ban_table_size(t), ==, 0);
        g_assert_cmpuint(ban_table_next_expiry(t), ==, USEC_INFINITY);

        ban_table_free(t);
}

static void test_foreach(void) {
        BanTable *t = ban_table_new();
        g_autofree char *all = NULL, *sshd = NULL, *web = NULL, *none = NULL;
        Seen seen;

        for (unsigned i = 1; i <= 3; i++) {
                g_autofree char *s = g_strdup_printf("192.0.2.%u", i);
                Address a = addr(s);

                g_assert_cmpint(ban_table_add(t, "sshd", &a, AT(0), AT(i), 1, NULL), ==, 1);
                if (i != 2)
                        g_assert_cmpint(ban_table_add(t, "web", &a, AT(0), AT(100 + i), 1, NULL), ==, 1);
        }

        seen_init(&seen);
        ban_table_foreach(t, NULL, seen_cb, &seen);
        all = seen_join(&seen, true);
        seen_done(&seen);
        g_assert_cmpstr(all, ==, "sshd 192.0.2.1 1,sshd 192.0.2.2 2,sshd 192.0.2.3 3,"
                                 "web 192.0.2.1 101,web 192.0.2.3 103");

        seen_init(&seen);
        ban_table_foreach(t, "sshd", seen_cb, &seen);
        sshd = seen_join(&seen, true);
        seen_done(&seen);
        g_assert_cmpstr(sshd, ==, "sshd 192.0.2.1 1,sshd 192.0.2.2 2,sshd 192.0.2.3 3");

        seen_init(&seen);
        ban_table_foreach(t, "web", seen_cb, &seen);
        web = seen_join(&seen, true);
        seen_done(&seen);
        g_assert_cmpstr(web, ==, "web 192.0.2.1 101,web 192.0.2.3 103");

        seen_init(&seen);
        ban_table_foreach(t, "ssh", seen_cb, &seen); /* a prefix of a jail name is not that jail */
        none = seen_join(&seen, true);
        seen_done(&seen);
        g_assert_cmpstr(none, ==, "");

        ban_table_free(t);
}

static void count_cb(const Ban *b, void *userdata) {
        size_t *n = userdata;

        (*n)++;
}

typedef struct ExpireCheck {
        usec_t last_end;
        usec_t now;
        size_t n;
        bool ok;
} ExpireCheck;

static void expire_check_cb(const Ban *b, void *userdata) {
        ExpireCheck *c = userdata;

        /* Called in (end, seq) order, only for bans due, before they are freed. */
        if (b->end_usec < c->last_end || b->end_usec > c->now || !b->jail[0])
                c->ok = false;
        c->last_end = b->end_usec;
        c->n++;
}

static void spray_address(Address *a, unsigned i) {
        memset(a, 0, sizeof(*a));
        a->family = AF_INET6;
        a->bytes[0] = 0x20;
        a->bytes[1] = 0x01;
        a->bytes[2] = 0x0d;
        a->bytes[3] = 0xb8;
        a->bytes[12] = (uint8_t) (i >> 24);
        a->bytes[13] = (uint8_t) (i >> 16);
        a->bytes[14] = (uint8_t) (i >> 8);
        a->bytes[15] = (uint8_t) i;
}

static void test_many(void) {
        static const char *const jails[] = { "sshd", "nginx-http-auth", "postfix", "dovecot" };
        const unsigned n = 100000;
        BanTable *t = ban_table_new();
        GRand *rand = g_rand_new_with_seed(4711);
        size_t per_jail[G_N_ELEMENTS(jails)] = {}, total = 0, n_permanent = 0, visited = 0;
        ExpireCheck check = { .ok = true };
        gint64 start, mid, end;

        start = g_get_monotonic_time();
        for (unsigned i = 0; i < n; i++) {
                unsigned j = i % G_N_ELEMENTS(jails);
                usec_t end_usec;
                Address a;

                spray_address(&a, i);
                /* Ends spread over a day, with many ties; every 1000th ban is permanent. */
                end_usec = i % 1000 == 999 ? USEC_INFINITY : AT(g_rand_int_range(rand, 1, 86400));
                g_assert_cmpint(ban_table_add(t, jails[j], &a, AT(0), end_usec, 3, NULL), ==, 1);
                per_jail[j]++;
                if (end_usec == USEC_INFINITY)
                        n_permanent++;
        }
        mid = g_get_monotonic_time();

        g_assert_cmpuint(ban_table_size(t), ==, n);
        for (size_t j = 0; j < G_N_ELEMENTS(jails); j++) {
                g_assert_cmpuint(ban_table_count_jail(t, jails[j]), ==, per_jail[j]);
                total += per_jail[j];
        }
        g_assert_cmpuint(total, ==, n);
        ban_table_foreach(t, "postfix", count_cb, &visited);
        g_assert_cmpuint(visited, ==, per_jail[2]);

        /* Expire in a few steps, as the timer would. */
        for (unsigned step = 1; step <= 4; step++) {
                check.now = AT(step * 86400 / 4);
                g_assert_cmpuint(ban_table_next_expiry(t), <=, check.now);
                (void) ban_table_expire(t, check.now, expire_check_cb, &check);
                g_assert_cmpuint(ban_table_next_expiry(t), >, check.now);
        }
        end = g_get_monotonic_time();

        g_assert_true(check.ok);
        g_assert_cmpuint(check.n, ==, n - n_permanent);
        g_assert_cmpuint(ban_table_size(t), ==, n_permanent);
        g_assert_cmpuint(ban_table_next_expiry(t), ==, USEC_INFINITY);

        g_test_message("100,000 bans: insert %.1f ms, expire %.1f ms (%.0f ns per ban insert+expire)",
                       (mid - start) / 1000.0, (end - mid) / 1000.0, (end - start) * 1000.0 / n);

        g_rand_free(rand);
        ban_table_free(t); /* with the permanent ones still in it */
}

static AddressPrefix pfx(const char *s) {
        AddressPrefix p;

        g_assert_cmpint(address_prefix_parse(s, &p), ==, 0);
        return p;
}

static void test_prefixes(void) {
        BanTable *t = ban_table_new();
        AddressPrefix net4 = pfx("198.51.100.0/24"), net6 = pfx("2001:db8:0:1::/64"), host6 = pfx("2001:db8:0:1::");
        Address a6 = addr("2001:db8:0:1::");
        Ban *b = NULL;
        Seen s;

        /* a prefix and the host of its network address are two bans */
        g_assert_cmpint(ban_table_add_prefix(t, "sshd", &net6, AT(0), AT(100), 3, &b), ==, 1);
        g_assert_nonnull(b);
        g_assert_cmpuint(b->prefix.prefixlen, ==, 64);
        g_assert_false(ban_is_host(b));
        g_assert_null(ban_table_get(t, "sshd", &a6));
        g_assert_cmpint(ban_table_add(t, "sshd", &a6, AT(0), AT(50), 3, &b), ==, 1);
        g_assert_true(ban_is_host(b));
        g_assert_true(ban_table_get_prefix(t, "sshd", &host6) == ban_table_get(t, "sshd", &a6));
        g_assert_cmpint(ban_table_add_prefix(t, "sshd", &net4, AT(0), USEC_INFINITY, 5, NULL), ==, 1);
        g_assert_cmpuint(ban_table_size(t), ==, 3);
        g_assert_cmpuint(ban_table_count_jail(t, "sshd"), ==, 3);

        /* dedupe and extension work on prefixes as on hosts */
        g_assert_cmpint(ban_table_add_prefix(t, "sshd", &net6, AT(0), AT(80), 3, &b), ==, 0);
        g_assert_cmpuint(b->end_usec, ==, AT(100));
        g_assert_cmpint(ban_table_add_prefix(t, "sshd", &net6, AT(0), AT(200), 3, &b), ==, 0);
        g_assert_cmpuint(b->end_usec, ==, AT(200));

        /* the same prefix in another jail, or another length, is another ban */
        AddressPrefix net6_48 = pfx("2001:db8::/48");
        g_assert_null(ban_table_get_prefix(t, "web", &net6));
        g_assert_null(ban_table_get_prefix(t, "sshd", &net6_48));

        /* expiry in order of end, prefixes printed in CIDR form */
        seen_init(&s);
        g_assert_cmpuint(ban_table_expire(t, AT(1000), seen_cb, &s), ==, 2);
        g_autofree char *j = seen_join(&s, false);
        g_assert_cmpstr(j, ==, "sshd 2001:db8:0:1:: 50,sshd 2001:db8:0:1::/64 200");
        g_assert_true(s.ordered);
        seen_done(&s);

        /* removing the prefix leaves nothing of it; the host API does not see a prefix */
        g_assert_cmpint(ban_table_remove(t, "sshd", &net4.address), ==, 0);
        g_assert_cmpint(ban_table_remove_prefix(t, "sshd", &net4), ==, 1);
        g_assert_cmpuint(ban_table_size(t), ==, 0);
        g_assert_cmpuint(ban_table_count_jail(t, "sshd"), ==, 0);
        ban_table_free(t);
}

static void test_aggregate(void) {
        PrefixCounter *c = prefix_counter_new(2);
        AddressPrefix agg = pfx("198.51.100.0/24"), agg6 = pfx("2001:db8::/48");
        AddressPrefix h1 = pfx("198.51.100.1"), h2 = pfx("198.51.100.2"), h3 = pfx("198.51.100.3");
        AddressPrefix h4 = pfx("198.51.100.4");
        AddressPrefix n1 = pfx("2001:db8:0:1::/64"), n2 = pfx("2001:db8:0:2::/64"), out = pfx("192.0.2.1");
        const usec_t W = 3600 * USEC_PER_SEC;

        /* distinct members count; the same one again does not */
        g_assert_cmpint(prefix_counter_record(c, "sshd", &agg, &h1, AT(0), W, 3), ==, 1);
        g_assert_cmpint(prefix_counter_record(c, "sshd", &agg, &h1, AT(10), W, 3), ==, 1);
        g_assert_cmpint(prefix_counter_record(c, "sshd", &agg, &h2, AT(20), W, 3), ==, 2);
        /* a member outside the prefix is refused */
        g_assert_cmpint(prefix_counter_record(c, "sshd", &agg, &out, AT(20), W, 3), ==, -EINVAL);
        /* another jail counts on its own */
        g_assert_cmpint(prefix_counter_record(c, "web", &agg, &h3, AT(20), W, 3), ==, 1);
        g_assert_cmpuint(prefix_counter_size(c), ==, 2);
        /* h1 (refreshed at 10 s) leaves the window at 3610 s; h2 still counts */
        g_assert_cmpint(prefix_counter_record(c, "sshd", &agg, &h3, AT(3615), W, 3), ==, 2);
        g_assert_cmpint(prefix_counter_record(c, "sshd", &agg, &h1, AT(3616), W, 3), ==, 3);
        /* more distinct members than COUNT: stays at COUNT */
        g_assert_cmpint(prefix_counter_record(c, "sshd", &agg, &h4, AT(3617), W, 3), ==, 3);
        /* forgotten after the prefix was banned: counting starts again */
        g_assert_cmpint(prefix_counter_forget(c, "sshd", &agg), ==, 1);
        g_assert_cmpint(prefix_counter_forget(c, "sshd", &agg), ==, 0);
        g_assert_cmpint(prefix_counter_record(c, "sshd", &agg, &h1, AT(3618), W, 3), ==, 1);

        /* IPv6 /64 members of a /48; the cap (2 prefixes) drops the least recently touched ("web") */
        g_assert_cmpint(prefix_counter_record(c, "sshd", &agg6, &n1, AT(0), W, 2), ==, 1);
        g_assert_cmpuint(prefix_counter_size(c), ==, 2);
        g_assert_cmpuint(prefix_counter_evicted(c), ==, 1);
        g_assert_cmpint(prefix_counter_record(c, "sshd", &agg6, &n2, AT(1), W, 2), ==, 2);
        g_assert_cmpint(prefix_counter_record(c, "web", &agg, &h3, AT(30), W, 3), ==, 1); /* forgotten: 1 again */
        g_assert_cmpuint(prefix_counter_evicted(c), ==, 2);
        prefix_counter_free(c);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);

        g_test_add_func("/ban/add-get", test_add_get);
        g_test_add_func("/ban/dedupe-extend", test_dedupe_extend);
        g_test_add_func("/ban/expiry-order", test_expiry_order);
        g_test_add_func("/ban/remove", test_remove);
        g_test_add_func("/ban/foreach", test_foreach);
        g_test_add_func("/ban/many", test_many);
        g_test_add_func("/ban/prefixes", test_prefixes);
        g_test_add_func("/ban/aggregate", test_aggregate);

        return g_test_run();
}
