/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

/* Parses S, expects success, and checks family and canonical text. */
static void assert_parses(const char *s, int family, const char *canonical) {
        char buf[ADDRESS_STRING_MAX];
        Address a;
        int r;

        r = address_parse(s, &a);
        if (r < 0)
                g_test_message("address_parse('%s') failed", s);
        g_assert_cmpint(r, ==, 0);
        g_assert_cmpint(a.family, ==, family);
        g_assert_cmpstr(address_to_string(&a, buf), ==, canonical);

        /* The _n variant on the same bytes, followed by junk it must not read. */
        {
                g_autofree char *padded = g_strconcat(s, "JUNK", NULL);
                Address b;

                g_assert_cmpint(address_parse_n(padded, strlen(s), &b), ==, 0);
                g_assert_true(address_equal(&a, &b));
        }
}

static void assert_rejects(const char *s) {
        Address a;
        int r;

        r = address_parse(s, &a);
        if (r != -EINVAL)
                g_test_message("address_parse('%s') returned %d", s, r);
        g_assert_cmpint(r, ==, -EINVAL);
}

static void test_parse_v4(void) {
        assert_parses("1.2.3.4", AF_INET, "1.2.3.4");
        assert_parses("0.0.0.0", AF_INET, "0.0.0.0");
        assert_parses("255.255.255.255", AF_INET, "255.255.255.255");
        assert_parses("192.0.2.10", AF_INET, "192.0.2.10");
}

static void test_parse_v6(void) {
        assert_parses("2001:db8::1", AF_INET6, "2001:db8::1");
        assert_parses("2001:DB8:0:0:0:0:0:1", AF_INET6, "2001:db8::1");
        assert_parses("2001:0db8:0000:0000:0000:0000:0000:0001", AF_INET6, "2001:db8::1");
        assert_parses("::", AF_INET6, "::");
        assert_parses("::1", AF_INET6, "::1");
        assert_parses("fe80::1:2", AF_INET6, "fe80::1:2");
        assert_parses("[2001:db8::1]", AF_INET6, "2001:db8::1");
        assert_parses("[::1]", AF_INET6, "::1");
        /* IPv4-compatible (deprecated ::a.b.c.d) is not mapped: it stays IPv6. */
        assert_parses("64:ff9b::192.0.2.1", AF_INET6, "64:ff9b::c000:201");
}

static void test_parse_mapped(void) {
        Address a, b;

        assert_parses("::ffff:1.2.3.4", AF_INET, "1.2.3.4");
        assert_parses("::FFFF:1.2.3.4", AF_INET, "1.2.3.4");
        assert_parses("::ffff:102:304", AF_INET, "1.2.3.4");
        assert_parses("0:0:0:0:0:ffff:1.2.3.4", AF_INET, "1.2.3.4");
        assert_parses("[::ffff:1.2.3.4]", AF_INET, "1.2.3.4");

        g_assert_cmpint(address_parse("::ffff:1.2.3.4", &a), ==, 0);
        g_assert_cmpint(address_parse("1.2.3.4", &b), ==, 0);
        g_assert_true(address_equal(&a, &b));
        g_assert_cmpuint(address_hash(&a), ==, address_hash(&b));
}

static void test_parse_bad(void) {
        static const char *const bad[] = {
                "", " ", "1.2.3.4 ", " 1.2.3.4", "1.2.3.4\n", "\t::1",
                "1.2.3", "1.2.3.4.5", "1.2.3.256", "256.0.0.0", "1.2.3.-1", "1..2.3",
                "01.2.3.4", "1.2.3.04", "1.2.3.4/32", "0x1.2.3.4", "1.2.3.4a",
                "localhost", "example.com", "::1%lo", "fe80::1%eth0", "fe80::1%1",
                "2001:db8::1::2", "2001:db8:::1", "1:2:3:4:5:6:7:8:9", "12345::1", "g::1",
                "[1.2.3.4]", "[::1", "::1]", "[]", "[", "]", "[[::1]]", "[ ::1]",
                ":", ":::", "::ffff:1.2.3", "::ffff:1.2.3.4.5", "1.2.3.4:80", "[::1]:80",
        };

        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
                assert_rejects(bad[i]);
}

static void test_parse_n(void) {
        Address a;
        char big[200];

        /* An embedded NUL is not silently truncated. */
        g_assert_cmpint(address_parse_n("1.2.3.4\0junk", 12, &a), ==, -EINVAL);
        g_assert_cmpint(address_parse_n("1.2.3.4", 0, &a), ==, -EINVAL);
        g_assert_cmpint(address_parse_n("1.2.3.4", 3, &a), ==, -EINVAL);
        g_assert_cmpint(address_parse_n("1.2.3.45", 7, &a), ==, 0);
        g_assert_cmpint(a.family, ==, AF_INET);

        /* Over-long input is refused without reading it (SIZE_MAX would crash any copy). */
        memset(big, '1', sizeof(big));
        big[sizeof(big) - 1] = 0;
        g_assert_cmpint(address_parse_n(big, SIZE_MAX, &a), ==, -EINVAL);
        g_assert_cmpint(address_parse_n(big, 64, &a), ==, -EINVAL);
        g_assert_cmpint(address_parse_n(big, sizeof(big) - 1, &a), ==, -EINVAL);
        g_assert_cmpint(address_parse(big, &a), ==, -EINVAL);

        /* Long but valid-looking: 63 bytes is the limit, and a padded IPv6 text is still refused. */
        g_assert_cmpint(address_parse("0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0001", &a),
                        ==, -EINVAL);
}

static void check_prefix(const char *s, int family, unsigned prefixlen, const char *canonical) {
        char buf[ADDRESS_STRING_MAX];
        AddressPrefix p;
        int r;

        r = address_prefix_parse(s, &p);
        if (r < 0)
                g_test_message("address_prefix_parse('%s') failed", s);
        g_assert_cmpint(r, ==, 0);
        g_assert_cmpint(p.address.family, ==, family);
        g_assert_cmpuint(p.prefixlen, ==, prefixlen);
        g_assert_cmpstr(address_prefix_to_string(&p, buf), ==, canonical);
}

static void test_prefix_parse(void) {
        check_prefix("10.0.0.0/8", AF_INET, 8, "10.0.0.0/8");
        check_prefix("10.1.2.3/8", AF_INET, 8, "10.0.0.0/8");          /* host bits masked */
        check_prefix("192.168.1.255/23", AF_INET, 23, "192.168.0.0/23");
        check_prefix("1.2.3.4/32", AF_INET, 32, "1.2.3.4");
        check_prefix("1.2.3.4", AF_INET, 32, "1.2.3.4");
        check_prefix("1.2.3.4/0", AF_INET, 0, "0.0.0.0/0");
        check_prefix("1.2.3.4/31", AF_INET, 31, "1.2.3.4/31");
        check_prefix("1.2.3.5/31", AF_INET, 31, "1.2.3.4/31");
        check_prefix("fd00::/64", AF_INET6, 64, "fd00::/64");
        check_prefix("fd00::1234:5678/64", AF_INET6, 64, "fd00::/64");
        check_prefix("2001:db8:abcd:ef12::/49", AF_INET6, 49, "2001:db8:abcd:8000::/49");
        check_prefix("2001:db8::1/128", AF_INET6, 128, "2001:db8::1");
        check_prefix("2001:db8::1", AF_INET6, 128, "2001:db8::1");
        check_prefix("::/0", AF_INET6, 0, "::/0");
        check_prefix("[2001:db8::]/32", AF_INET6, 32, "2001:db8::/32");
        check_prefix("::ffff:10.0.0.0/104", AF_INET, 8, "10.0.0.0/8");
        check_prefix("::ffff:10.1.2.3/104", AF_INET, 8, "10.0.0.0/8");
        check_prefix("::ffff:1.2.3.4/128", AF_INET, 32, "1.2.3.4");
        check_prefix("::ffff:1.2.3.4", AF_INET, 32, "1.2.3.4");
        check_prefix("::ffff:0.0.0.0/96", AF_INET, 0, "0.0.0.0/0");
}

static void test_prefix_parse_bad(void) {
        static const char *const bad[] = {
                "", "/", "/8", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/08",
                "10.0.0.0/8/8", "10.0.0.0/ 8", "10.0.0.0 /8", "10.0.0.0/8 ", "10.0.0.0/0x8",
                "10.0.0.0/1000", "10.0.0.0/4294967304", "fd00::/129", "fd00::/64%eth0",
                "::ffff:10.0.0.0/95", "::ffff:10.0.0.0/0", "::ffff:10.0.0.0/129", "10.0.0/8",
                "fe80::%eth0/64", "[10.0.0.0]/8", "hostname/8",
                "0000000000000000000000000000000000000000000000000000000000000001/8",
        };
        AddressPrefix p;

        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                int r = address_prefix_parse(bad[i], &p);

                if (r != -EINVAL)
                        g_test_message("address_prefix_parse('%s') returned %d", bad[i], r);
                g_assert_cmpint(r, ==, -EINVAL);
        }
}

static bool contains(const char *prefix, const char *addr) {
        AddressPrefix p;
        Address a;

        g_assert_cmpint(address_prefix_parse(prefix, &p), ==, 0);
        g_assert_cmpint(address_parse(addr, &a), ==, 0);
        return address_prefix_contains(&p, &a);
}

static void test_contains(void) {
        g_assert_true(contains("10.0.0.0/8", "10.255.255.255"));
        g_assert_true(contains("10.0.0.0/8", "10.0.0.0"));
        g_assert_false(contains("10.0.0.0/8", "11.0.0.0"));
        g_assert_false(contains("10.0.0.0/8", "9.255.255.255"));
        g_assert_true(contains("192.168.0.0/23", "192.168.1.77"));
        g_assert_false(contains("192.168.0.0/23", "192.168.2.0"));
        g_assert_true(contains("0.0.0.0/0", "203.0.113.9"));
        g_assert_false(contains("0.0.0.0/0", "2001:db8::1"));   /* families never mix */
        g_assert_true(contains("1.2.3.4", "1.2.3.4"));
        g_assert_false(contains("1.2.3.4", "1.2.3.5"));
        g_assert_true(contains("10.0.0.0/8", "::ffff:10.9.8.7")); /* mapped is IPv4 */
        g_assert_true(contains("::ffff:10.0.0.0/104", "10.9.8.7"));

        g_assert_true(contains("2001:db8::/32", "2001:db8:ffff::1"));
        g_assert_false(contains("2001:db8::/32", "2001:db9::1"));
        g_assert_true(contains("2001:db8:abcd:8000::/49", "2001:db8:abcd:ffff::1"));
        g_assert_false(contains("2001:db8:abcd:8000::/49", "2001:db8:abcd:7fff::1"));
        g_assert_true(contains("::/0", "::1"));
        g_assert_false(contains("::/0", "1.2.3.4"));
        g_assert_true(contains("2001:db8::1", "2001:db8::1"));
        g_assert_false(contains("2001:db8::1", "2001:db8::2"));
}

static void test_mask(void) {
        char buf[ADDRESS_STRING_MAX];
        Address a;

        g_assert_cmpint(address_parse("255.255.255.255", &a), ==, 0);
        address_mask(&a, 17);
        g_assert_cmpstr(address_to_string(&a, buf), ==, "255.255.128.0");
        address_mask(&a, 0);
        g_assert_cmpstr(address_to_string(&a, buf), ==, "0.0.0.0");

        g_assert_cmpint(address_parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", &a), ==, 0);
        address_mask(&a, 200);
        g_assert_cmpstr(address_to_string(&a, buf), ==, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
        address_mask(&a, 65);
        g_assert_cmpstr(address_to_string(&a, buf), ==, "ffff:ffff:ffff:ffff:8000::");
        address_mask(&a, 64);
        g_assert_cmpstr(address_to_string(&a, buf), ==, "ffff:ffff:ffff:ffff::");
}

static void test_equal_hash(void) {
        Address a, b, c, d;

        g_assert_cmpint(address_parse("2001:db8::1", &a), ==, 0);
        g_assert_cmpint(address_parse("2001:0db8:0::0001", &b), ==, 0);
        g_assert_cmpint(address_parse("2001:db8::2", &c), ==, 0);
        g_assert_true(address_equal(&a, &b));
        g_assert_true(address_equal_func(&a, &b));
        g_assert_false(address_equal(&a, &c));
        g_assert_cmpuint(address_hash(&a), ==, address_hash(&b));

        /* Different families with the same leading bytes are different addresses. */
        g_assert_cmpint(address_parse("1.2.3.4", &c), ==, 0);
        g_assert_cmpint(address_parse("102:304::", &d), ==, 0);
        g_assert_false(address_equal(&c, &d));

        /* Garbage in the unused tail of an IPv4 address does not matter. */
        d = c;
        memset(d.bytes + 4, 0xaa, 12);
        g_assert_true(address_equal(&c, &d));
        g_assert_cmpuint(address_hash(&c), ==, address_hash(&d));
}

static void test_hash_spread(void) {
        g_autoptr(GHashTable) buckets = g_hash_table_new(g_direct_hash, g_direct_equal);

        /* 4096 neighbouring addresses should not collide much in the low bits GHashTable uses. */
        for (unsigned i = 0; i < 4096; i++) {
                Address a = { .family = AF_INET6 };

                a.bytes[0] = 0x20;
                a.bytes[1] = 0x01;
                a.bytes[14] = (uint8_t) (i >> 8);
                a.bytes[15] = (uint8_t) i;
                g_hash_table_add(buckets, GUINT_TO_POINTER(address_hash(&a) & 0xffff));
        }
        g_test_message("distinct 16-bit hash values for 4096 addresses: %u", g_hash_table_size(buckets));
        g_assert_cmpuint(g_hash_table_size(buckets), >, 3800);
}

static void test_special(void) {
        static const struct {
                const char *s;
                bool special;
        } cases[] = {
                { "127.0.0.1", true },        { "127.255.0.9", true },   { "0.0.0.0", true },
                { "169.254.1.1", true },      { "224.0.0.1", true },     { "239.255.255.250", true },
                { "255.255.255.255", true },  { "::1", true },           { "::", true },
                { "fe80::1", true },          { "febf::1", true },       { "ff02::1", true },
                { "::ffff:127.0.0.1", true }, { "1.2.3.4", false },      { "192.168.1.1", false },
                { "169.255.0.1", false },     { "223.255.255.255", false }, { "2001:db8::1", false },
                { "fec0::1", false },         { "fd00::1", false },      { "::2", false },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                Address a;

                g_assert_cmpint(address_parse(cases[i].s, &a), ==, 0);
                if (address_is_special(&a) != cases[i].special)
                        g_test_message("address_is_special('%s') != %d", cases[i].s, cases[i].special);
                g_assert_cmpint(address_is_special(&a), ==, cases[i].special);
        }
}

static void test_list(void) {
        AddressList l = {};
        AddressPrefix p;
        Address a;

        g_assert_cmpint(address_parse("10.1.1.1", &a), ==, 0);
        g_assert_false(address_list_contains(&l, &a));

        /* Enough entries to go through several reallocations. */
        for (unsigned i = 0; i < 100; i++) {
                g_autofree char *s = g_strdup_printf("192.0.%u.0/24", i);

                g_assert_cmpint(address_prefix_parse(s, &p), ==, 0);
                g_assert_cmpint(address_list_add(&l, &p), ==, 0);
        }
        g_assert_cmpint(address_prefix_parse("10.0.0.0/8", &p), ==, 0);
        g_assert_cmpint(address_list_add(&l, &p), ==, 0);
        g_assert_cmpuint(l.n, ==, 101);

        g_assert_true(address_list_contains(&l, &a));
        g_assert_cmpint(address_parse("192.0.99.200", &a), ==, 0);
        g_assert_true(address_list_contains(&l, &a));
        g_assert_cmpint(address_parse("192.0.100.1", &a), ==, 0);
        g_assert_false(address_list_contains(&l, &a));
        for (unsigned i = 0; i < 100; i++) {
                char buf[ADDRESS_STRING_MAX];

                g_assert_cmpuint(l.items[i].prefixlen, ==, 24);
                g_assert_cmpint(l.items[i].address.bytes[2], ==, (int) i);
                (void) address_prefix_to_string(&l.items[i], buf);
        }

        address_list_done(&l);
        g_assert_null(l.items);
        g_assert_cmpuint(l.n, ==, 0);
        address_list_done(&l);
}

/* Whether A is one of the host entries of L (not merely inside a wider prefix). */
static bool address_list_contains_host(const AddressList *l, const Address *a) {
        for (size_t i = 0; i < l->n; i++)
                if (l->items[i].prefixlen == (l->items[i].address.family == AF_INET ? 32u : 128u) &&
                    address_equal(&l->items[i].address, a))
                        return true;
        return false;
}

static void test_list_local(void) {
        AddressList l = {};
        Address a;
        int n;

        n = address_list_add_local(&l);
        g_assert_cmpint(n, >=, 2);
        g_assert_cmpuint(l.n, ==, (size_t) n);

        g_assert_cmpint(address_parse("127.0.0.1", &a), ==, 0);
        g_assert_true(address_list_contains(&l, &a));
        g_assert_cmpint(address_parse("127.3.2.1", &a), ==, 0);
        g_assert_true(address_list_contains(&l, &a));
        g_assert_cmpint(address_parse("::1", &a), ==, 0);
        g_assert_true(address_list_contains(&l, &a));
        g_assert_cmpint(address_parse("128.0.0.1", &a), ==, 0);
        /* outside 127.0.0.0/8: only there if some interface has it */
        g_assert_cmpint(address_list_contains(&l, &a), ==, address_list_contains_host(&l, &a));

        for (size_t i = 0; i < l.n; i++) {
                char buf[ADDRESS_STRING_MAX];

                g_test_message("local: %s", address_prefix_to_string(&l.items[i], buf));
        }

        /* Cross-check with iproute2 where it is installed: every address it prints is in the list, and
         * every host entry in the list is one it prints. */
        {
                g_autofree char *out = NULL;
                g_auto(GStrv) lines = NULL;
                int status;
                AddressList printed = {};

                if (!g_spawn_command_line_sync("ip -o addr", &out, NULL, &status, NULL) ||
                    !g_spawn_check_wait_status(status, NULL)) {
                        g_test_message("ip not available, cross-check not done");
                        address_list_done(&l);
                        return;
                }

                lines = g_strsplit(out, "\n", -1);
                for (size_t i = 0; lines[i]; i++) {
                        g_auto(GStrv) f = g_strsplit_set(lines[i], " \t", -1);
                        AddressPrefix p;
                        size_t k = 0;

                        /* "N: IFNAME inet|inet6 ADDR/LEN ..." with runs of blanks. */
                        for (size_t j = 0; f[j]; j++) {
                                if (!*f[j])
                                        continue;
                                if (k == 3) {
                                        g_assert_cmpint(address_prefix_parse(f[j], &p), ==, 0);
                                        /* the interface address itself, not its network */
                                        g_assert_cmpint(address_parse_n(f[j], strcspn(f[j], "/"), &a), ==, 0);
                                        g_test_message("ip: %s", f[j]);
                                        g_assert_true(address_list_contains_host(&l, &a));
                                        p.address = a;
                                        p.prefixlen = a.family == AF_INET ? 32 : 128;
                                        g_assert_cmpint(address_list_add(&printed, &p), ==, 0);
                                        break;
                                }
                                k++;
                        }
                }
                g_assert_cmpuint(printed.n, >=, 1);

                /* Entries 0 and 1 are the fixed loopback ones; the rest came from getifaddrs(). */
                for (size_t i = 2; i < l.n; i++)
                        g_assert_true(address_list_contains_host(&printed, &l.items[i].address));
                address_list_done(&printed);
        }

        address_list_done(&l);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);

        g_test_add_func("/addr/parse-v4", test_parse_v4);
        g_test_add_func("/addr/parse-v6", test_parse_v6);
        g_test_add_func("/addr/parse-mapped", test_parse_mapped);
        g_test_add_func("/addr/parse-bad", test_parse_bad);
        g_test_add_func("/addr/parse-n", test_parse_n);
        g_test_add_func("/addr/prefix-parse", test_prefix_parse);
        g_test_add_func("/addr/prefix-parse-bad", test_prefix_parse_bad);
        g_test_add_func("/addr/contains", test_contains);
        g_test_add_func("/addr/mask", test_mask);
        g_test_add_func("/addr/equal-hash", test_equal_hash);
        g_test_add_func("/addr/hash-spread", test_hash_spread);
        g_test_add_func("/addr/special", test_special);
        g_test_add_func("/addr/list", test_list);
        g_test_add_func("/addr/list-local", test_list_local);

        return g_test_run();
}
