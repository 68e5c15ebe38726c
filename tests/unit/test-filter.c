/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "filter.h"

#define SSHD_INJECTABLE                                                                                 \
        "^\\S+ sshd\\[\\d+\\]: Failed password for (?:invalid user )?<F-USER>.+</F-USER> from <HOST> " \
        "port \\d+ ssh2$"

/* ---- helpers ---- */

static void regex_def_set(RegexDef *r, const char *pattern, unsigned line) {
        r->pattern = pattern ? g_strdup(pattern) : NULL;
        r->file = g_strdup("test.conf");
        r->line = line;
}

/* failregex i is on line 10+i, ignoreregex i on line 20+i, the prefregex on line 5. NULL-terminated
 * lists. */
static FilterDef *def_new(const char *const *fail, const char *const *ignore, const char *pref) {
        FilterDef *d = g_new0(FilterDef, 1);

        d->name = g_strdup("test");
        d->file = g_strdup("test.conf");
        for (; fail && fail[d->n_failregex]; d->n_failregex++)
                ;
        d->failregex = g_new0(RegexDef, d->n_failregex);
        for (size_t i = 0; i < d->n_failregex; i++)
                regex_def_set(&d->failregex[i], fail[i], 10 + i);
        for (; ignore && ignore[d->n_ignoreregex]; d->n_ignoreregex++)
                ;
        d->ignoreregex = g_new0(RegexDef, d->n_ignoreregex);
        for (size_t i = 0; i < d->n_ignoreregex; i++)
                regex_def_set(&d->ignoreregex[i], ignore[i], 20 + i);
        if (pref)
                regex_def_set(&d->prefregex, pref, 5);
        return d;
}

static Filter *filter_new_or_die(const char *const *fail, const char *const *ignore, const char *pref) {
        FilterDef *d = def_new(fail, ignore, pref);
        char *error = NULL;
        Filter *f = NULL;
        int r;

        r = filter_new(d, &f, &error);
        if (r < 0)
                g_test_message("filter_new: %s", error ?: "(no message)");
        g_assert_null(error);
        g_assert_cmpint(r, ==, 0);
        g_assert_nonnull(f);
        filter_def_free(d);
        return f;
}

static Filter *filter_one(const char *failregex) {
        const char *fail[] = { failregex, NULL };
        return filter_new_or_die(fail, NULL, NULL);
}

static int match_str(Filter *f, const char *line, FilterMatch *m) {
        return filter_match(f, line, strlen(line), m);
}

static void assert_result(Filter *f, const char *line, FilterResult expected) {
        FilterMatch m = { .regex_index = -1 };
        int r = match_str(f, line, &m);

        if (r != (int) expected)
                g_test_message("line '%s': got %s, expected %s", line, filter_result_to_string(r) ?: "?",
                               filter_result_to_string(expected));
        g_assert_cmpint(r, ==, expected);
        filter_match_done(&m);
}

/* Expects FILTER_FAILURE with the given canonical address from failregex number index. */
static void assert_failure(Filter *f, const char *line, const char *address, int index) {
        char buf[ADDRESS_STRING_MAX];
        FilterMatch m = { .regex_index = -1 };
        int r = match_str(f, line, &m);

        if (r != FILTER_FAILURE)
                g_test_message("line '%s': got %s", line, filter_result_to_string(r) ?: "?");
        g_assert_cmpstr(filter_result_to_string(r), ==, filter_result_to_string(FILTER_FAILURE));
        g_assert_cmpstr(address_to_string(&m.address, buf), ==, address);
        g_assert_cmpint(m.regex_index, ==, index);
        filter_match_done(&m);
}

static void assert_address(const char *failregex, const char *line, const char *address) {
        Filter *f = filter_one(failregex);
        assert_failure(f, line, address, 0);
        filter_free(f);
}

static void assert_line_result(const char *failregex, const char *line, FilterResult expected) {
        Filter *f = filter_one(failregex);
        assert_result(f, line, expected);
        filter_free(f);
}

/* filter_new() must fail with -EINVAL and a message that starts with prefix and contains needle. */
static void assert_error(const char *const *fail, const char *const *ignore, const char *pref, const char *prefix,
                         const char *needle) {
        FilterDef *d = def_new(fail, ignore, pref);
        char *error = NULL;
        Filter *f = NULL;
        int r;

        r = filter_new(d, &f, &error);
        g_assert_cmpint(r, ==, -EINVAL);
        g_assert_null(f);
        g_assert_nonnull(error);
        g_test_message("error: %s", error);
        if (!g_str_has_prefix(error, prefix))
                g_assert_cmpstr(error, ==, prefix);
        if (!strstr(error, needle))
                g_assert_cmpstr(error, ==, needle);
        free(error);

        /* ret_error may be NULL. */
        g_assert_cmpint(filter_new(d, &f, NULL), ==, -EINVAL);
        filter_def_free(d);
}

static double now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* ---- tests ---- */

static void test_host_tag(void) {
        const char *re = "^\\S+ sshd\\[\\d+\\]: Failed password for \\S+ from <HOST> port \\d+ ssh2$";
        Filter *f = filter_one(re);

        assert_failure(f, "web1 sshd[812]: Failed password for root from 10.77.0.2 port 41234 ssh2", "10.77.0.2", 0);
        assert_failure(f, "web1 sshd[812]: Failed password for root from 2001:db8::42 port 1 ssh2", "2001:db8::42", 0);
        assert_failure(f, "web1 sshd[812]: Failed password for root from 2001:DB8:0:0:0:0:0:42 port 1 ssh2",
                       "2001:db8::42", 0);
        assert_failure(f, "web1 sshd[812]: Failed password for root from [2001:db8::43] port 1 ssh2",
                       "2001:db8::43", 0);
        /* IPv4-mapped IPv6 is normalised to IPv4. */
        assert_failure(f, "web1 sshd[812]: Failed password for root from ::ffff:10.1.2.3 port 1 ssh2", "10.1.2.3", 0);
        assert_failure(f, "web1 sshd[812]: Failed password for root from ::1 port 1 ssh2", "::1", 0);
        /* A DNS name is recognised but never resolved. */
        assert_result(f, "web1 sshd[812]: Failed password for root from evil.example.com port 1 ssh2",
                      FILTER_NO_ADDRESS);
        assert_result(f, "web1 sshd[812]: Failed password for root from my-host port 1 ssh2", FILTER_NO_ADDRESS);
        /* Looks like IPv4, is not: a name as far as <HOST> is concerned. */
        assert_result(f, "web1 sshd[812]: Failed password for root from 1.2.3.256 port 1 ssh2", FILTER_NO_ADDRESS);
        assert_result(f, "web1 sshd[812]: Accepted password for root from 10.77.0.2 port 1 ssh2", FILTER_NO_MATCH);
        assert_result(f, "", FILTER_NO_MATCH);

        /* The FilterMatch of a NO_ADDRESS result is filled too. */
        {
                FilterMatch m = { .regex_index = -1 };
                g_assert_cmpint(match_str(f, "h sshd[1]: Failed password for root from a.example port 1 ssh2", &m), ==,
                                FILTER_NO_ADDRESS);
                g_assert_cmpint(m.regex_index, ==, 0);
                filter_match_done(&m);
        }
        filter_free(f);
}

static void test_addr_ip4_ip6_tags(void) {
        /* <ADDR>: IPv4 or IPv6, never a name. */
        assert_address("from <ADDR> port", "x from 192.0.2.1 port 22", "192.0.2.1");
        assert_address("from <ADDR> port", "x from 2001:db8::1 port 22", "2001:db8::1");
        assert_address("from <ADDR> port", "x from [2001:db8::1] port 22", "2001:db8::1");
        assert_address("from <ADDR> port", "x from ::ffff:192.0.2.9 port 22", "192.0.2.9");
        assert_line_result("from <ADDR> port", "x from host.example.com port 22", FILTER_NO_MATCH);

        /* <IP4>: IPv4 only. */
        assert_address("from <IP4> port", "x from 192.0.2.1 port 22", "192.0.2.1");
        assert_line_result("from <IP4> port", "x from 2001:db8::1 port 22", FILTER_NO_MATCH);
        assert_line_result("from <IP4> port", "x from host port 22", FILTER_NO_MATCH);

        /* <IP6>: IPv6 only (mapped addresses are still normalised). */
        assert_address("from <IP6> port", "x from fe80::1:2 port 22", "fe80::1:2");
        assert_address("from <IP6> port", "x from [fe80::1:2] port 22", "fe80::1:2");
        assert_address("from <IP6> port", "x from ::ffff:198.51.100.7 port 22", "198.51.100.7");
        assert_address("from <IP6> port", "x from 1:2:3:4:5:6:7:8 port 22", "1:2:3:4:5:6:7:8");
        assert_address("from <IP6> port", "x from 64:ff9b::192.0.2.33 port 22", "64:ff9b::c000:221");
        assert_line_result("from <IP6> port", "x from 192.0.2.1 port 22", FILTER_NO_MATCH);
        assert_line_result("from <IP6> port", "x from :: port 22", FILTER_NO_MATCH);
}

static void test_address_boundaries(void) {
        /* Never a shorter address out of a longer token. */
        assert_address("<ADDR>", "id 11.2.3.45x 1.2.3.45.6 1.2.3.4", "1.2.3.4");
        assert_address("<ADDR>", "v 1.2.3.45", "1.2.3.45");
        assert_address("from <ADDR>", "from 1.2.3.45", "1.2.3.45");
        assert_line_result("from <ADDR>", "from 1.2.3.4.5", FILTER_NO_MATCH);
        assert_line_result("from <ADDR>", "from 1.2.3.4567", FILTER_NO_MATCH);
        assert_line_result("from <ADDR>", "from 1.2.3.4x", FILTER_NO_MATCH);
        assert_line_result("from <IP4>", "from 1.2.3.4.example.com", FILTER_NO_MATCH);
        assert_line_result("from <HOST>", "from 1.2.3.4.example.com", FILTER_NO_ADDRESS);
        assert_line_result("from <ADDR> ", "from 2001:db8::1:2:3:4:5:6:7 x", FILTER_NO_MATCH);
        /* Port suffixes, sentence ends. */
        assert_address("from <ADDR>", "from 1.2.3.4:22", "1.2.3.4");
        assert_address("from <HOST>:\\d+$", "from 1.2.3.4:22", "1.2.3.4");
        assert_address("from <HOST>", "connect from [2001:db8::7]:51234", "2001:db8::7");
        assert_address("from <HOST>$", "connect from [2001:db8::7]", "2001:db8::7");
        assert_address("from <HOST>: ", "from 2001:db8::1: bad", "2001:db8::1");
        assert_address("by <HOST>\\.$", "closed by 1.2.3.4.", "1.2.3.4");
        /* "::" noise and colon-separated things that are no address. */
        assert_address("<ADDR>", "std::string error:: at 12:34:56 :: from 10.0.0.1", "10.0.0.1");
        assert_address("<ADDR>", "C++ std::vector x::y::z 2001:db8::9", "2001:db8::9");
        assert_line_result("<ADDR>", "std::string error:: at 12:34:56 :: x", FILTER_NO_MATCH);
}

/* Expects FILTER_FAILURE for the network address/prefixlen (prefixlen 0: a single address). */
static void assert_network(const char *failregex, const char *line, const char *address, unsigned prefixlen) {
        Filter *f = filter_one(failregex);
        FilterMatch m = { .regex_index = -1 };
        char buf[ADDRESS_STRING_MAX];
        int r = match_str(f, line, &m);

        if (r != FILTER_FAILURE)
                g_test_message("'%s' on '%s': got %s", failregex, line, filter_result_to_string(r) ?: "?");
        g_assert_cmpstr(filter_result_to_string(r), ==, filter_result_to_string(FILTER_FAILURE));
        g_assert_cmpstr(address_to_string(&m.address, buf), ==, address);
        g_assert_cmpuint(m.prefixlen, ==, prefixlen);
        filter_match_done(&m);
        g_assert_cmpuint(m.prefixlen, ==, 0);
        filter_free(f);
}

static void test_dns_cidr_subnet_tags(void) {
        /* <DNS>: a name only; a match is never an address, and an address is no name. */
        assert_line_result("from <DNS> port", "x from mail.example.org port 25", FILTER_NO_ADDRESS);
        assert_line_result("from <DNS> port", "x from my-host port 25", FILTER_NO_ADDRESS);
        assert_line_result("from <DNS> port", "x from -bad port 25", FILTER_NO_MATCH);
        assert_line_result("from <DNS>$", "x from 2001:db8::1", FILTER_NO_MATCH);
        assert_line_result("^<F-DNS/> rejected$", "a.example rejected", FILTER_NO_ADDRESS);
        {
                /* The name is not reported as a field either: it is the host. */
                Filter *f = filter_one("from <DNS>$");
                FilterMatch m = { .regex_index = -1 };

                g_assert_cmpint(match_str(f, "x from h.example", &m), ==, FILTER_NO_ADDRESS);
                g_assert_null(m.fields);
                g_assert_cmpint(m.regex_index, ==, 0);
                filter_match_done(&m);
                filter_free(f);
        }

        /* <ADDR>/<CIDR>: the failure is for the network. */
        assert_network("from <ADDR>/<CIDR> ", "x from 192.0.2.77/24 y", "192.0.2.0", 24);
        assert_network("from <ADDR>/<CIDR> ", "x from 2001:db8:1:2::5/48 y", "2001:db8:1::", 48);
        assert_network("from <ADDR>/<CIDR> ", "x from [2001:db8::5]/64 y", "2001:db8::", 64);
        /* A full-length prefix is one address; mapped IPv6 prefixes become IPv4 ones. */
        assert_network("from <ADDR>/<CIDR> ", "x from 192.0.2.77/32 y", "192.0.2.77", 0);
        assert_network("from <ADDR>/<CIDR> ", "x from 2001:db8::5/128 y", "2001:db8::5", 0);
        assert_network("from <ADDR>/<CIDR> ", "x from ::ffff:10.1.2.3/112 y", "10.1.0.0", 16);
        /* /0 (everything) and prefixes too long for the family are no ban target. */
        assert_line_result("from <ADDR>/<CIDR> ", "x from 192.0.2.77/0 y", FILTER_NO_ADDRESS);
        assert_line_result("from <ADDR>/<CIDR> ", "x from 192.0.2.77/33 y", FILTER_NO_ADDRESS);
        assert_line_result("from <ADDR>/<CIDR> ", "x from 2001:db8::5/129 y", FILTER_NO_ADDRESS);
        assert_line_result("from <ADDR>/<CIDR> ", "x from ::ffff:10.1.2.3/95 y", FILTER_NO_ADDRESS);
        /* <CIDR> is a number, never part of a longer one. */
        assert_line_result("from <ADDR>/<CIDR> ", "x from 192.0.2.77/1234 y", FILTER_NO_MATCH);
        assert_line_result("from <ADDR>/<CIDR> ", "x from 192.0.2.77/ y", FILTER_NO_MATCH);
        assert_network("from <F-ADDR/>/<F-CIDR/> ", "x from 198.51.100.9/25 y", "198.51.100.0", 25);

        /* <SUBNET>: an address, or an address with a prefix. */
        assert_network("net <SUBNET> blocked", "net 203.0.113.5 blocked", "203.0.113.5", 0);
        assert_network("net <SUBNET> blocked", "net 203.0.113.5/28 blocked", "203.0.113.0", 28);
        assert_network("net <SUBNET> blocked", "net 2001:db8:aa::1/56 blocked", "2001:db8:aa::", 56);
        assert_network("net <SUBNET> blocked", "net [2001:db8:aa::1]/56 blocked", "2001:db8:aa::", 56);
        assert_network("net <SUBNET> blocked", "net 2001:db8:aa::1 blocked", "2001:db8:aa::1", 0);
        assert_network("net <F-SUBNET/> blocked", "net 203.0.113.5/28 blocked", "203.0.113.0", 28);
        assert_line_result("net <SUBNET> blocked", "net host.example/28 blocked", FILTER_NO_MATCH);
        assert_line_result("net <SUBNET> blocked", "net 203.0.113.5/28/1 blocked", FILTER_NO_MATCH);
        assert_line_result("net <SUBNET> blocked", "net 203.0.113.5/0 blocked", FILTER_NO_ADDRESS);

        /* The prefix length is taken from the regex that yielded the address: a cidr group in the
         * prefregex does not apply to an address of the failregex. */
        {
                const char *fail[] = { NULL, NULL };
                Filter *f;
                FilterMatch m = { .regex_index = -1 };
                char buf[ADDRESS_STRING_MAX];

                fail[0] = "^bad from <ADDR>$";
                f = filter_new_or_die(fail, NULL, "^mask /<CIDR> <F-CONTENT>.+</F-CONTENT>$");
                g_assert_cmpint(match_str(f, "mask /8 bad from 10.9.8.7", &m), ==, FILTER_FAILURE);
                g_assert_cmpstr(address_to_string(&m.address, buf), ==, "10.9.8.7");
                g_assert_cmpuint(m.prefixlen, ==, 0);
                filter_match_done(&m);
                filter_free(f);

                /* ... but both from the prefregex go together. */
                fail[0] = "^bad$";
                f = filter_new_or_die(fail, NULL, "^net <SUBNET> <F-CONTENT>.+</F-CONTENT>$");
                g_assert_cmpint(match_str(f, "net 10.9.8.7/8 bad", &m), ==, FILTER_FAILURE);
                g_assert_cmpstr(address_to_string(&m.address, buf), ==, "10.0.0.0");
                g_assert_cmpuint(m.prefixlen, ==, 8);
                filter_match_done(&m);
                filter_free(f);
        }

        /* <F-ID/> and <F-PORT/>: the id and a field. */
        {
                Filter *f = filter_one("^<F-ID/> from <HOST> port <F-PORT/>$");
                FilterMatch m = { .regex_index = -1 };

                g_assert_cmpint(match_str(f, "q1a2 from 10.0.0.9 port ssh", &m), ==, FILTER_FAILURE);
                g_assert_cmpstr(m.id, ==, "q1a2");
                g_assert_nonnull(m.fields);
                g_assert_cmpstr(m.fields[0], ==, "fport=ssh");
                g_assert_null(m.fields[1]);
                filter_match_done(&m);
                filter_free(f);
        }

        /* A combined filter (several failregexes) gives the same prefix as each regex alone. */
        {
                const char *fail[] = { "^a <HOST>$", "^b <SUBNET>$", "^c <ADDR>/<CIDR>$", NULL };
                Filter *f = filter_new_or_die(fail, NULL, NULL);
                FilterMatch m = { .regex_index = -1 };
                char buf[ADDRESS_STRING_MAX];

                g_assert_cmpint(match_str(f, "c 2001:db8::77/64", &m), ==, FILTER_FAILURE);
                g_assert_cmpint(m.regex_index, ==, 2);
                g_assert_cmpstr(address_to_string(&m.address, buf), ==, "2001:db8::");
                g_assert_cmpuint(m.prefixlen, ==, 64);
                filter_match_done(&m);
                g_assert_cmpint(match_str(f, "b 192.0.2.200/30", &m), ==, FILTER_FAILURE);
                g_assert_cmpint(m.regex_index, ==, 1);
                g_assert_cmpstr(address_to_string(&m.address, buf), ==, "192.0.2.200");
                g_assert_cmpuint(m.prefixlen, ==, 30);
                filter_match_done(&m);
                filter_free(f);
        }
}

static void test_several_host_tags(void) {
        Filter *f = filter_one("^(?:login from <HOST> failed|relay <HOST> refused by <F-ID>\\S+</F-ID>)$");
        FilterMatch m = { .regex_index = -1 };
        char buf[ADDRESS_STRING_MAX];

        assert_failure(f, "login from 192.0.2.5 failed", "192.0.2.5", 0);
        assert_failure(f, "login from 2001:db8::5 failed", "2001:db8::5", 0);
        g_assert_cmpint(match_str(f, "relay 2001:db8::6 refused by mx1", &m), ==, FILTER_FAILURE);
        g_assert_cmpstr(address_to_string(&m.address, buf), ==, "2001:db8::6");
        g_assert_cmpstr(m.id, ==, "mx1");
        filter_match_done(&m);
        assert_result(f, "relay mail.example refused by mx1", FILTER_NO_ADDRESS);
        filter_free(f);

        /* Groups the author named himself count as host tags. */
        assert_address("from (?P<host>\\S+) port", "from 192.0.2.77 port 1", "192.0.2.77");
        assert_line_result("from (?P<host>\\S+) port", "from a.example port 1", FILTER_NO_ADDRESS);
        assert_line_result("from (?P<host>\\S+) port", "from 1.2.3.4x port 1", FILTER_NO_ADDRESS);
        assert_address("from (?P<ip4>[\\d.]+) port", "from 192.0.2.78 port 1", "192.0.2.78");
        assert_address("from (?P<addr>\\S+) port", "from 2001:db8::78 port 1", "2001:db8::78");
}

static void test_user_id_and_named_groups(void) {
        Filter *f = filter_one("^\\S+ \\S+: user <F-USER>\\S+</F-USER> session <F-ID>\\d+</F-ID> "
                               "port <F-PORT>\\d+</F-PORT>=(?P=port) from <HOST>$");
        FilterMatch m = { .regex_index = -1 };

        g_assert_cmpint(match_str(f, "h d[1]: user alice session 42 port 22=22 from 10.0.0.3", &m), ==,
                        FILTER_FAILURE);
        g_assert_cmpstr(m.user, ==, "alice");
        g_assert_cmpstr(m.id, ==, "42");
        /* other named captures are reported as fields; user, id and the address are not repeated there */
        g_assert_nonnull(m.fields);
        g_assert_cmpstr(m.fields[0], ==, "port=22");
        g_assert_null(m.fields[1]);
        filter_match_done(&m);
        g_assert_null(m.user);
        g_assert_null(m.id);
        g_assert_null(m.fields);
        /* The backreference to <F-PORT>'s group proves that the tag made a named group. */
        assert_result(f, "h d[1]: user alice session 42 port 22=23 from 10.0.0.3", FILTER_NO_MATCH);
        filter_free(f);

        /* No user or id group: NULL. Names with '-' and digits work. */
        f = filter_one("<F-MY-TAG2>x+</F-MY-TAG2> from <HOST>");
        g_assert_cmpint(match_str(f, "xx from 10.0.0.4", &m), ==, FILTER_FAILURE);
        g_assert_null(m.user);
        g_assert_null(m.id);
        g_assert_nonnull(m.fields);
        g_assert_cmpstr(m.fields[0], ==, "my_tag2=xx");
        g_assert_null(m.fields[1]);
        filter_match_done(&m);
        filter_free(f);

        /* An F-tag without its closing tag stays literal text. */
        assert_address("<F-USER>x from <HOST>", "<F-USER>x from 10.0.0.5", "10.0.0.5");
        /* So does any unknown tag. */
        assert_address("<FOO> from <HOST> <host>", "<FOO> from 10.0.0.6 <host>", "10.0.0.6");
        assert_line_result("<FOO> from <HOST>", "x from 10.0.0.6", FILTER_NO_MATCH);

        /* Optional user: NULL when the group did not take part. */
        f = filter_one("^(?:user <F-USER>\\S+</F-USER> )?from <HOST>$");
        g_assert_cmpint(match_str(f, "from 10.0.0.7", &m), ==, FILTER_FAILURE);
        g_assert_null(m.user);
        filter_match_done(&m);
        g_assert_cmpint(match_str(f, "user bob from 10.0.0.7", &m), ==, FILTER_FAILURE);
        g_assert_cmpstr(m.user, ==, "bob");
        filter_match_done(&m);
        filter_free(f);
}

static void test_ignoreregex(void) {
        const char *fail[] = { "Failed password for <F-USER>\\S+</F-USER> from <HOST>", NULL };
        const char *ignore[] = { "for nagios ", "from 10\\.99\\.", NULL };
        Filter *f = filter_new_or_die(fail, ignore, NULL);
        FilterMatch m = { .regex_index = -1 };
        char buf[ADDRESS_STRING_MAX];

        assert_failure(f, "h sshd[1]: Failed password for root from 10.0.0.1 port 1", "10.0.0.1", 0);
        g_assert_cmpint(match_str(f, "h sshd[1]: Failed password for nagios from 10.0.0.1 port 1", &m), ==,
                        FILTER_IGNORED);
        /* The match is still filled in, for the caller's debug output. */
        g_assert_cmpstr(m.user, ==, "nagios");
        g_assert_cmpstr(address_to_string(&m.address, buf), ==, "10.0.0.1");
        filter_match_done(&m);
        assert_result(f, "h sshd[1]: Failed password for root from 10.99.0.1 port 1", FILTER_IGNORED);
        /* An ignoreregex alone does nothing. */
        assert_result(f, "h sshd[1]: Accepted password for nagios from 10.0.0.1 port 1", FILTER_NO_MATCH);
        filter_free(f);
}

static void test_prefregex(void) {
        const char *fail[] = { "^Failed password for <F-USER>\\S+</F-USER> from <HOST>$",
                               "^Invalid user from <HOST>$", NULL };
        const char *ignore[] = { "^Failed password for root ", NULL };
        Filter *f = filter_new_or_die(fail, ignore, "^\\S+ sshd\\[\\d+\\]: <F-CONTENT>.+</F-CONTENT>$");
        FilterMatch m = { .regex_index = -1 };

        /* The failregexes' ^ and $ anchor at the F-CONTENT part. */
        g_assert_cmpint(match_str(f, "web1 sshd[7]: Failed password for bob from 10.1.1.1", &m), ==, FILTER_FAILURE);
        g_assert_cmpstr(m.user, ==, "bob");
        g_assert_cmpint(m.regex_index, ==, 0);
        filter_match_done(&m);
        assert_failure(f, "web1 sshd[7]: Invalid user from 10.1.1.2", "10.1.1.2", 1);
        assert_result(f, "web1 sshd[7]: Failed password for root from 10.1.1.1", FILTER_IGNORED);
        /* The prefregex does not match: nothing else is tried. */
        assert_result(f, "web1 telnetd[7]: Invalid user from 10.1.1.2", FILTER_NO_MATCH);
        assert_result(f, "web1 sshd[7]: Invalid user from 10.1.1.2 port 22", FILTER_NO_MATCH);
        filter_free(f);

        /* Captures of the prefregex count; the failregex's own win. Without F-CONTENT the failregexes
         * see the whole line. */
        const char *fail2[] = { "auth failure from <HOST>$", "^\\S+ \\S+ user <F-USER>\\S+</F-USER>: denied <HOST>$",
                                NULL };
        f = filter_new_or_die(fail2, NULL, "^\\S+ login\\[\\d+\\]: (?:user <F-USER>\\S+</F-USER>: )?");
        g_assert_cmpint(match_str(f, "h login[1]: user carol: auth failure from 10.2.0.1", &m), ==, FILTER_FAILURE);
        g_assert_cmpstr(m.user, ==, "carol");
        filter_match_done(&m);
        g_assert_cmpint(match_str(f, "h login[1]: auth failure from 10.2.0.1", &m), ==, FILTER_FAILURE);
        g_assert_null(m.user);
        filter_match_done(&m);
        g_assert_cmpint(match_str(f, "h login[1]: user dave: denied 10.2.0.2", &m), ==, FILTER_FAILURE);
        g_assert_cmpstr(m.user, ==, "dave");
        g_assert_cmpint(m.regex_index, ==, 1);
        filter_match_done(&m);
        assert_result(f, "h other[1]: auth failure from 10.2.0.1", FILTER_NO_MATCH);
        filter_free(f);

        /* The address may come from the prefregex: then a failregex needs no host tag. */
        const char *fail3[] = { "^bad password$", NULL };
        f = filter_new_or_die(fail3, NULL, "^client <HOST>: <F-CONTENT>.*</F-CONTENT>$");
        assert_failure(f, "client 10.3.0.1: bad password", "10.3.0.1", 0);
        assert_result(f, "client 10.3.0.1: good password", FILTER_NO_MATCH);
        filter_free(f);
}

static void test_failregex_order(void) {
        const char *fail[] = { "user \\S+ at <HOST>", "from <HOST>", "^(\\w+) \\1 <HOST>$", NULL };
        Filter *f = filter_new_or_die(fail, NULL, NULL);

        /* Both match; the first in order decides, not the leftmost match in the line. */
        assert_failure(f, "from 10.5.0.1 user x at 10.5.0.2", "10.5.0.2", 0);
        assert_failure(f, "from 10.5.0.1 user x", "10.5.0.1", 1);
        /* A numeric backreference (no combined fast path for this filter): still exact. */
        assert_failure(f, "abc abc 10.5.0.3", "10.5.0.3", 2);
        assert_result(f, "abc abd 10.5.0.3", FILTER_NO_MATCH);
        assert_result(f, "nothing here", FILTER_NO_MATCH);
        filter_free(f);

        /* Same without the backreference, so the combined pattern is used. */
        const char *fail2[] = { "user \\S+ at <HOST>", "from <HOST>", "^(?P<w>\\w+) (?P=w) <HOST>$", NULL };
        f = filter_new_or_die(fail2, NULL, NULL);
        assert_failure(f, "from 10.5.0.1 user x at 10.5.0.2", "10.5.0.2", 0);
        assert_failure(f, "from 10.5.0.1 user x", "10.5.0.1", 1);
        assert_failure(f, "abc abc 10.5.0.3", "10.5.0.3", 2);
        assert_result(f, "abc abd 10.5.0.3", FILTER_NO_MATCH);
        filter_free(f);

        /* A name that several regexes use (ours: ip4/ip6/dns; the author's: w) is fine combined. */
        const char *fail3[] = { "^(?P<w>a) (?P=w) <HOST>$", "^(?P<w>b)x(?P=w) <HOST>$", NULL };
        f = filter_new_or_die(fail3, NULL, NULL);
        assert_failure(f, "bxb 10.5.0.4", "10.5.0.4", 1);
        assert_failure(f, "a a 10.5.0.4", "10.5.0.4", 0);
        assert_result(f, "bxa 10.5.0.4", FILTER_NO_MATCH);
        filter_free(f);

        /* The captures of a later regex, taken from the combined match: its groups come after those of
         * the regexes before it. */
        const char *fail4[] = { "^(a)(b)(c) <HOST> <F-USER>\\S+</F-USER>$", "^x <ADDR> (y)$",
                                "^(z+) <F-ID>\\d+</F-ID> (?:<IP6>|<IP4>) <F-USER>\\w+</F-USER>$", NULL };
        FilterMatch m = { .regex_index = -1 };
        char buf[ADDRESS_STRING_MAX];
        f = filter_new_or_die(fail4, NULL, NULL);
        g_assert_cmpint(match_str(f, "zz 77 10.5.0.9 erin", &m), ==, FILTER_FAILURE);
        g_assert_cmpint(m.regex_index, ==, 2);
        g_assert_cmpstr(address_to_string(&m.address, buf), ==, "10.5.0.9");
        g_assert_cmpstr(m.user, ==, "erin");
        g_assert_cmpstr(m.id, ==, "77");
        filter_match_done(&m);
        g_assert_cmpint(match_str(f, "abc 2001:db8::10 frank", &m), ==, FILTER_FAILURE);
        g_assert_cmpint(m.regex_index, ==, 0);
        g_assert_cmpstr(address_to_string(&m.address, buf), ==, "2001:db8::10");
        g_assert_cmpstr(m.user, ==, "frank");
        g_assert_null(m.id);
        filter_match_done(&m);
        assert_failure(f, "x 10.5.0.10 y", "10.5.0.10", 1);
        filter_free(f);
}

static void test_python_translation(void) {
        /* {,n} is Python's {0,n}. */
        assert_address("^x{,3}y from <HOST>$", "xxy from 10.6.0.1", "10.6.0.1");
        assert_address("^x{,3}y from <HOST>$", "y from 10.6.0.1", "10.6.0.1");
        assert_line_result("^x{,3}y from <HOST>$", "xxxxy from 10.6.0.1", FILTER_NO_MATCH);
        /* ... but not when escaped or inside a character class. */
        assert_address("^x\\{,3} from <HOST>$", "x{,3} from 10.6.0.2", "10.6.0.2");
        assert_address("^[{,3}]+ from <HOST>$", "{,3} from 10.6.0.3", "10.6.0.3");
        /* \Z is the very end (PCRE2's \Z would accept a final newline). */
        assert_address("from <HOST>\\Z", "from 10.6.0.4", "10.6.0.4");
        assert_line_result("from <HOST>\\Z", "from 10.6.0.4\n", FILTER_NO_MATCH);
        /* (?P<n>…) and (?P=n) work as they are. */
        assert_address("^(?P<a>\\w+)-(?P=a) <HOST>$", "ab-ab 10.6.0.5", "10.6.0.5");
        /* Tags inside a character class are not expanded. */
        assert_address("^[<HOST>]+ <HOST>$", "HOST<> 10.6.0.6", "10.6.0.6");

        /* \w, \W, \b, \B: Python's are Unicode-aware on decoded text; bytes >= 0x80 (UTF-8) count as
         * word characters, so a non-ASCII letter does not end a word. */
        assert_address("^user \\w+ from <HOST>$", "user j\xc3\xbcrgen from 10.6.1.1", "10.6.1.1");
        assert_line_result("^user \\w+ from <HOST>$", "user j\xc3\xbc-rgen from 10.6.1.1", FILTER_NO_MATCH);
        assert_address("^user [\\w.]+ from <HOST>$", "user j\xc3\xbc.rgen from 10.6.1.1", "10.6.1.1");
        assert_line_result("^user [^\\w]+ from <HOST>$", "user \xc3\xbc from 10.6.1.1", FILTER_NO_MATCH);
        assert_address("^a\\Wb <HOST>$", "a-b 10.6.1.2", "10.6.1.2");
        assert_line_result("^a\\W+b <HOST>$", "a\xc3\xbc" "b 10.6.1.2", FILTER_NO_MATCH);
        assert_line_result("^ab\\b.* <HOST>$", "ab\xc3\xbc 10.6.1.3", FILTER_NO_MATCH);
        assert_address("^ab\\b.* <HOST>$", "ab- 10.6.1.3", "10.6.1.3");
        assert_address("^ab\\B.* <HOST>$", "ab\xc3\xbc 10.6.1.3", "10.6.1.3");
        assert_line_result("^ab\\B.* <HOST>$", "ab- 10.6.1.3", FILTER_NO_MATCH);
        /* \d stays ASCII, like the address tags' own boundaries. */
        assert_line_result("^\\d+ <HOST>$", "\xd9\xa1 10.6.1.3", FILTER_NO_MATCH);
        assert_line_result("^x<HOST>$", "x\xc3\xbc" "10.6.1.3", FILTER_NO_MATCH);

        /* Code points: Python's \xHH (>= 0x80), \uHHHH, \UHHHHHHHH are characters, here UTF-8 bytes;
         * a quantifier applies to the whole character. */
        assert_address("^j\\u00fcrgen <HOST>$", "j\xc3\xbcrgen 10.6.1.4", "10.6.1.4");
        assert_address("^j\\u00fc+rgen <HOST>$", "j\xc3\xbc\xc3\xbcrgen 10.6.1.4", "10.6.1.4");
        assert_address("^j\\xfcrgen <HOST>$", "j\xc3\xbcrgen 10.6.1.4", "10.6.1.4");
        assert_line_result("^j\\xfcrgen <HOST>$", "j\xfcrgen 10.6.1.4", FILTER_NO_MATCH);
        assert_address("^\\u0041\\x41 <HOST>$", "AA 10.6.1.4", "10.6.1.4");
        assert_address("^\\U0001F600 <HOST>$", "\xf0\x9f\x98\x80 10.6.1.4", "10.6.1.4");

        /* Python-only flags: a (ASCII), u (Unicode) and L (locale) are dropped; the rest stays. */
        assert_address("(?u)^x <HOST>$", "x 10.6.1.5", "10.6.1.5");
        assert_address("(?a)^x <HOST>$", "x 10.6.1.5", "10.6.1.5");
        assert_address("(?Lu)^x <HOST>$", "x 10.6.1.5", "10.6.1.5");
        assert_address("^(?iu:x) <HOST>$", "X 10.6.1.5", "10.6.1.5");
        assert_address("^(?i-u:x) <HOST>$", "X 10.6.1.5", "10.6.1.5");
        assert_address("^(?i-au)x <HOST>$", "X 10.6.1.5", "10.6.1.5");
        assert_line_result("^(?i)(?-iu:x) <HOST>$", "X 10.6.1.5", FILTER_NO_MATCH);
        assert_address("^(?u:x)+ <HOST>$", "xx 10.6.1.5", "10.6.1.5");
        assert_line_result("^(?u:x) <HOST>$", "X 10.6.1.5", FILTER_NO_MATCH);
        /* A global flag after the start applies to the whole pattern, as in Python up to 3.10 … */
        assert_address("^foo (?i)bar <HOST>$", "FOO BAR 10.6.1.6", "10.6.1.6");
        assert_address("^foo (?su)bar.<HOST>$", "foo bar\n10.6.1.6", "10.6.1.6");
        /* … but inside a group it stays local, as fail2ban makes of "(?:(?i)…)": (?i:…). */
        assert_address("^(?:(?i)expn|vrfy) \\S+ <HOST>$", "VRFY x 10.6.1.7", "10.6.1.7");
        assert_address("^x(?:(?i)a)b <HOST>$", "xAb 10.6.1.7", "10.6.1.7");
        assert_line_result("^x(?:(?i)a)b <HOST>$", "xAB 10.6.1.7", FILTER_NO_MATCH);
        assert_line_result("^x<F-ID>(?i)a</F-ID>b <HOST>$", "xAB 10.6.1.7", FILTER_NO_MATCH);
        /* Possessive quantifiers and atomic groups are PCRE2 syntax already. */
        assert_address("^a++b (?>c+)d <HOST>$", "aab ccd 10.6.1.8", "10.6.1.8");
}

static void test_errors(void) {
        const char *bad_paren[] = { "from <HOST> (unclosed", NULL };
        const char *bad_class[] = { "from <HOST>", NULL };
        const char *ignore_bad[] = { "ok", "x[a-", NULL };
        const char *no_host[] = { "from <HOST>", "from \\S+ port", NULL };
        const char *ok[] = { "from <HOST>", NULL };
        const char *bad_quant[] = { "from <HOST> x{2,1}", NULL };
        const char *empty_fail[] = { "", NULL };

        /* The offset counts in the pattern as written, not in the expansion. */
        assert_error(bad_paren, NULL, NULL, "test.conf:10: failregex: ", "at offset 21");
        assert_error(bad_paren, NULL, NULL, "test.conf:10: failregex: missing closing parenthesis", "");
        assert_error(bad_quant, NULL, NULL, "test.conf:10: failregex: ", "at offset 17");
        /* Offsets still count in the pattern as written when a flag moved to the front or an escape
         * was widened. */
        {
                const char *hoisted[] = { "^foo (?i)bar\\w <HOST> x{2,1}", NULL };
                const char *bad_u[] = { "^x <HOST> [\\u00fc]", NULL };
                assert_error(hoisted, NULL, NULL, "test.conf:10: failregex: ", "at offset 27");
                assert_error(bad_u, NULL, NULL, "test.conf:10: failregex: PCRE2 does not support", "at offset 13");
        }
        assert_error(bad_class, ignore_bad, NULL, "test.conf:21: ignoreregex: ", "at offset 4");
        assert_error(bad_class, NULL, "^(?<x", "test.conf:5: prefregex: ", "at offset");
        assert_error(no_host, NULL, NULL, "test.conf:11: failregex: no <HOST> tag", "");
        assert_error(empty_fail, NULL, NULL, "test.conf:10: failregex: no <HOST> tag", "");
        /* An ignoreregex needs no host tag. */
        {
                const char *ign[] = { "no tag here", NULL };
                filter_free(filter_new_or_die(ok, ign, NULL));
        }

        /* Without a file on the RegexDef, the definition's file is named. */
        {
                FilterDef *d = def_new(no_host + 1, NULL, NULL);
                char *error = NULL;
                Filter *f = NULL;

                g_free(d->failregex[0].file);
                d->failregex[0].file = NULL;
                g_free(d->file);
                d->file = g_strdup("/etc/portcullis/filters/x.conf");
                g_assert_cmpint(filter_new(d, &f, &error), ==, -EINVAL);
                g_assert_true(g_str_has_prefix(error, "/etc/portcullis/filters/x.conf:10: failregex: "));
                free(error);
                filter_def_free(d);
        }
}

static void test_injection(void) {
        Filter *f = filter_one(SSHD_INJECTABLE);
        FilterMatch m = { .regex_index = -1 };
        char buf[ADDRESS_STRING_MAX];

        g_assert_cmpint(match_str(f, "web1 sshd[9]: Failed password for invalid user 1.2.3.4 from 5.6.7.8 port 22 ssh2",
                                  &m),
                        ==, FILTER_FAILURE);
        g_assert_cmpstr(address_to_string(&m.address, buf), ==, "5.6.7.8");
        g_assert_cmpstr(m.user, ==, "1.2.3.4");
        filter_match_done(&m);

        g_assert_cmpint(match_str(f,
                                  "web1 sshd[9]: Failed password for invalid user x from 1.2.3.4 port 22 ssh2 "
                                  "from 5.6.7.8 port 41000 ssh2",
                                  &m),
                        ==, FILTER_FAILURE);
        g_assert_cmpstr(address_to_string(&m.address, buf), ==, "5.6.7.8");
        g_assert_cmpstr(m.user, ==, "x from 1.2.3.4 port 22 ssh2");
        filter_match_done(&m);

        g_assert_cmpint(match_str(f, "web1 sshd[9]: Failed password for root from 1.2.3.4 port 22 ssh2 from 2001:db8::1 "
                                     "port 2 ssh2",
                                  &m),
                        ==, FILTER_FAILURE);
        g_assert_cmpstr(address_to_string(&m.address, buf), ==, "2001:db8::1");
        filter_match_done(&m);

        /* A username that is a crafted address only, the real source is a name: no ban on the fake. */
        assert_result(f, "web1 sshd[9]: Failed password for invalid user 1.2.3.4 from a.example port 22 ssh2",
                      FILTER_NO_ADDRESS);
        filter_free(f);
}

static void test_not_terminated(void) {
        Filter *f = filter_one(SSHD_INJECTABLE);
        const char buffer[] = "web1 sshd[1]: Failed password for root from 10.8.0.1 port 22 ssh2 trailing junk";
        size_t len = strlen("web1 sshd[1]: Failed password for root from 10.8.0.1 port 22 ssh2");
        char *copy = g_memdup2(buffer, len); /* no NUL at all: ASan sees any read past len */
        FilterMatch m = { .regex_index = -1 };
        char buf[ADDRESS_STRING_MAX];

        g_assert_cmpint(filter_match(f, copy, len, &m), ==, FILTER_FAILURE);
        g_assert_cmpstr(address_to_string(&m.address, buf), ==, "10.8.0.1");
        g_assert_cmpstr(m.user, ==, "root");
        filter_match_done(&m);
        /* The whole buffer does not end in "ssh2". */
        g_assert_cmpint(filter_match(f, buffer, strlen(buffer), &m), ==, FILTER_NO_MATCH);
        g_assert_cmpint(filter_match(f, copy, 0, &m), ==, FILTER_NO_MATCH);
        g_free(copy);
        filter_free(f);

        /* The address at the very end of the given length: "1.2.3.45" cut to "1.2.3.4". */
        f = filter_one("from <HOST>$");
        const char line[] = "from 1.2.3.45";
        copy = g_memdup2(line, sizeof(line) - 2);
        g_assert_cmpint(filter_match(f, copy, sizeof(line) - 2, &m), ==, FILTER_FAILURE);
        g_assert_cmpstr(address_to_string(&m.address, buf), ==, "1.2.3.4");
        filter_match_done(&m);
        g_free(copy);
        /* ret may be NULL. */
        g_assert_cmpint(filter_match(f, line, strlen(line), NULL), ==, FILTER_FAILURE);
        filter_free(f);
}

static void test_high_bytes(void) {
        Filter *f = filter_one(SSHD_INJECTABLE);
        const char line[] = "web1 sshd[1]: Failed password for invalid user \xff\xfe\xc3\x28\xe2\x82 from 10.9.0.1 port 22 ssh2";
        FilterMatch m = { .regex_index = -1 };
        char buf[ADDRESS_STRING_MAX];

        g_assert_cmpint(match_str(f, line, &m), ==, FILTER_FAILURE);
        g_assert_cmpstr(address_to_string(&m.address, buf), ==, "10.9.0.1");
        g_assert_cmpstr(m.user, ==, "\xff\xfe\xc3\x28\xe2\x82");
        filter_match_done(&m);
        filter_free(f);

        /* High bytes in the pattern and the line; an embedded NUL within the length. */
        assert_address("^caf\xc3\xa9 \\S+ <HOST>$", "caf\xc3\xa9 \x80\x81 10.9.0.2", "10.9.0.2");
        f = filter_one("a.b <HOST>$");
        g_assert_cmpint(filter_match(f, "a\0b 10.9.0.3", 12, &m), ==, FILTER_FAILURE);
        g_assert_cmpstr(address_to_string(&m.address, buf), ==, "10.9.0.3");
        filter_match_done(&m);
        filter_free(f);
}

static void test_pathological(void) {
        g_autoptr(GString) line1 = g_string_new("10.0.0.1 ");
        g_autoptr(GString) line2 = g_string_new("10.0.0.1 ");
        Filter *f;
        double t;
        int r;

        for (int i = 0; i < 64; i++)
                g_string_append_c(line1, 'a');
        g_string_append_c(line1, 'b');
        for (int i = 0; i < 40; i++)
                g_string_append(line2, "abcd ");
        g_string_append_c(line2, '!');

        /* Exponential backtracking: without a limit either call would run for ages (2^64 paths). */
        f = filter_one("^<HOST> (a+)+$");
        t = now_ns();
        r = filter_match(f, line1->str, line1->len, NULL);
        t = now_ns() - t;
        g_test_message("^(a+)+$ on %zu bytes: %s after %.3f ms (default limits)", line1->len,
                       filter_result_to_string(r), t / 1e6);
        g_assert_cmpint(r, ==, FILTER_LIMIT);

        filter_set_limits(f, 1000, 100);
        t = now_ns();
        r = filter_match(f, line1->str, line1->len, NULL);
        t = now_ns() - t;
        g_test_message("^(a+)+$ on %zu bytes: %s after %.3f ms (match limit 1000)", line1->len,
                       filter_result_to_string(r), t / 1e6);
        g_assert_cmpint(r, ==, FILTER_LIMIT);
        /* Well-behaved lines still match under the lowered limits. */
        g_assert_cmpint(match_str(f, "10.0.0.1 aaaa", NULL), ==, FILTER_FAILURE);
        filter_free(f);

        f = filter_one("^<HOST> (\\w+\\s?)*$");
        t = now_ns();
        r = filter_match(f, line2->str, line2->len, NULL);
        t = now_ns() - t;
        g_test_message("(\\w+\\s?)*$ on %zu bytes: %s after %.3f ms (default limits)", line2->len,
                       filter_result_to_string(r), t / 1e6);
        g_assert_cmpint(r, ==, FILTER_LIMIT);
        filter_free(f);

        /* A limit hit by one failregex does not hide the line from a later one. */
        const char *fail[] = { "^<HOST> (a+)+$", "^<HOST> a+b$", NULL };
        f = filter_new_or_die(fail, NULL, NULL);
        assert_failure(f, line1->str, "10.0.0.1", 1);
        filter_free(f);

        /* Nor does a pathological prefregex block forever. */
        const char *fail2[] = { "<HOST>", NULL };
        f = filter_new_or_die(fail2, NULL, "^\\S+ (\\w+\\s?)*$");
        t = now_ns();
        r = filter_match(f, line2->str, line2->len, NULL);
        t = now_ns() - t;
        g_test_message("pathological prefregex: %s after %.3f ms", filter_result_to_string(r), t / 1e6);
        g_assert_cmpint(r, ==, FILTER_LIMIT);
        filter_free(f);

        /* Deep backtracking state: every iteration of the group must be remembered, so the memory
         * grows with the line. Bounded by the depth limit (interpreter) or by the JIT stack, whose size
         * is derived from the depth limit. */
        g_autoptr(GString) line3 = g_string_new("10.0.0.1 ");
        for (int i = 0; i < 100000; i++)
                g_string_append_c(line3, "ab"[i % 2]);
        g_string_append_c(line3, 'X');
        f = filter_one("^<HOST> (?:(a)|(b))*$");
        filter_set_limits(f, 100000000, 100);
        t = now_ns();
        r = filter_match(f, line3->str, line3->len, NULL);
        t = now_ns() - t;
        g_test_message("%zu-byte line, depth limit 100: %s after %.3f ms", line3->len, filter_result_to_string(r),
                       t / 1e6);
        g_assert_cmpint(r, ==, FILTER_LIMIT);
        /* The same regex on a short line is fine with that depth limit. */
        g_assert_cmpint(match_str(f, "10.0.0.1 abab", NULL), ==, FILTER_FAILURE);
        filter_free(f);
}

static void test_misc(void) {
        const char *fail[] = { "from <HOST>", NULL };
        FilterDef *d = def_new(fail, NULL, NULL);
        Filter *f = NULL;

        g_assert_cmpint(filter_new(d, &f, NULL), ==, 0);
        /* The filter keeps its own copy of the definition. */
        g_assert_true(filter_get_def(f) != d);
        g_assert_cmpstr(filter_get_def(f)->name, ==, "test");
        g_assert_cmpstr(filter_get_def(f)->failregex[0].pattern, ==, "from <HOST>");
        g_assert_cmpuint(filter_get_def(f)->failregex[0].line, ==, 10);
        filter_def_free(d);
        assert_failure(f, "from 10.10.0.1", "10.10.0.1", 0);
        g_assert_null(filter_free(f));
        g_assert_null(filter_free(NULL));
        g_assert_null(filter_def_free(NULL));
        regex_def_done(NULL);

        /* No failregex at all: matches nothing. */
        d = def_new(NULL, NULL, NULL);
        g_assert_cmpint(filter_new(d, &f, NULL), ==, 0);
        assert_result(f, "from 10.10.0.1", FILTER_NO_MATCH);
        f = filter_free(f);
        filter_def_free(d);

        g_assert_cmpstr(filter_result_to_string(FILTER_NO_MATCH), ==, "no-match");
        g_assert_cmpstr(filter_result_to_string(FILTER_FAILURE), ==, "failure");
        g_assert_cmpstr(filter_result_to_string(FILTER_IGNORED), ==, "ignored");
        g_assert_cmpstr(filter_result_to_string(FILTER_NO_ADDRESS), ==, "no-address");
        g_assert_cmpstr(filter_result_to_string(FILTER_LIMIT), ==, "limit");
        g_assert_null(filter_result_to_string(_FILTER_RESULT_MAX));
        g_assert_null(filter_result_to_string(_FILTER_RESULT_INVALID));
}

/* Per-line cost, printed (not asserted: machines differ). The filter resembles a real sshd filter:
 * several anchored failregexes, one with an injectable user part. */
static void test_speed(void) {
        const char *fail[] = {
                SSHD_INJECTABLE,
                "^\\S+ sshd\\[\\d+\\]: Invalid user <F-USER>.*</F-USER> from <HOST>(?: port \\d+)?\\s*$",
                "^\\S+ sshd\\[\\d+\\]: Connection closed by (?:authenticating|invalid) user \\S* <HOST> port \\d+ "
                "\\[preauth\\]$",
                "^\\S+ sshd\\[\\d+\\]: error: maximum authentication attempts exceeded for .* from <HOST> port \\d+",
                "^\\S+ sshd\\[\\d+\\]: Did not receive identification string from <HOST>",
                NULL,
        };
        const char *ignore[] = { "for nagios ", NULL };
        const char *lines[] = {
                "web1 sshd[812]: pam_unix(sshd:session): session opened for user root(uid=0) by (uid=0)",
                "web1 sshd[812]: Failed password for root from 10.77.0.2 port 41234 ssh2",
                "web1 sshd[812]: Did not receive identification string from 10.77.0.3",
        };
        const char *what[] = { "non-matching", "matching (failregex 0)", "matching (failregex 4)" };
        Filter *f = filter_new_or_die(fail, ignore, NULL);
        const unsigned n = 200000;

        for (size_t l = 0; l < G_N_ELEMENTS(lines); l++) {
                size_t len = strlen(lines[l]);
                int expected = l == 0 ? FILTER_NO_MATCH : FILTER_FAILURE;
                unsigned hits = 0;
                double t = now_ns();

                for (unsigned i = 0; i < n; i++) {
                        FilterMatch m = { .regex_index = -1 };
                        int r = filter_match(f, lines[l], len, &m);
                        hits += r == expected;
                        if (r != FILTER_NO_MATCH)
                                filter_match_done(&m);
                }
                t = now_ns() - t;
                g_assert_cmpuint(hits, ==, n);
                g_test_message("%s line: %.0f ns/line", what[l], t / n);
        }
        filter_free(f);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);

        g_test_add_func("/filter/host-tag", test_host_tag);
        g_test_add_func("/filter/addr-ip4-ip6-tags", test_addr_ip4_ip6_tags);
        g_test_add_func("/filter/address-boundaries", test_address_boundaries);
        g_test_add_func("/filter/dns-cidr-subnet-tags", test_dns_cidr_subnet_tags);
        g_test_add_func("/filter/several-host-tags", test_several_host_tags);
        g_test_add_func("/filter/user-id-named-groups", test_user_id_and_named_groups);
        g_test_add_func("/filter/ignoreregex", test_ignoreregex);
        g_test_add_func("/filter/prefregex", test_prefregex);
        g_test_add_func("/filter/failregex-order", test_failregex_order);
        g_test_add_func("/filter/python-translation", test_python_translation);
        g_test_add_func("/filter/errors", test_errors);
        g_test_add_func("/filter/injection", test_injection);
        g_test_add_func("/filter/not-terminated", test_not_terminated);
        g_test_add_func("/filter/high-bytes", test_high_bytes);
        g_test_add_func("/filter/pathological", test_pathological);
        g_test_add_func("/filter/misc", test_misc);
        g_test_add_func("/filter/speed", test_speed);

        return g_test_run();
}
