/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <glib.h>
#include <string.h>

#include "jail.h"

#define MIN_ (USEC_PER_MINUTE)
#define T0 (1700000000ULL * USEC_PER_SEC) /* an arbitrary CLOCK_REALTIME origin */

static Address addr(const char *s) {
        Address a;

        g_assert_cmpint(address_parse(s, &a), ==, 0);
        return a;
}

/* Records one failure and checks both the result and the count. */
static void record(FailureTracker *t, const char *s, usec_t when, int expected, unsigned expected_count) {
        Address a = addr(s);
        unsigned count = 9999;
        int r;

        r = failure_tracker_record(t, &a, when, &count);
        g_assert_cmpint(r, ==, expected);
        g_assert_cmpuint(count, ==, expected_count);
}

static void test_basic(void) {
        FailureTracker *t = failure_tracker_new(3, 10 * MIN_, 100);
        Address a = addr("192.0.2.1");

        g_assert_cmpuint(failure_tracker_size(t), ==, 0);
        g_assert_cmpuint(failure_tracker_count(t, &a, T0), ==, 0);

        record(t, "192.0.2.1", T0, TRACK_COUNTED, 1);
        record(t, "192.0.2.1", T0 + 1 * MIN_, TRACK_COUNTED, 2);
        g_assert_cmpuint(failure_tracker_size(t), ==, 1);
        g_assert_cmpuint(failure_tracker_count(t, &a, T0 + 2 * MIN_), ==, 2);

        /* Another address does not interfere. */
        record(t, "192.0.2.2", T0 + 1 * MIN_, TRACK_COUNTED, 1);
        g_assert_cmpuint(failure_tracker_size(t), ==, 2);

        /* Third failure within findtime: ban, and the tracker forgets the address. */
        record(t, "192.0.2.1", T0 + 2 * MIN_, TRACK_BAN, 3);
        g_assert_cmpuint(failure_tracker_size(t), ==, 1);
        g_assert_cmpuint(failure_tracker_count(t, &a, T0 + 2 * MIN_), ==, 0);

        /* The count starts again from zero. */
        record(t, "192.0.2.1", T0 + 3 * MIN_, TRACK_COUNTED, 1);

        /* NULL ret_count is allowed. */
        g_assert_cmpint(failure_tracker_record(t, &a, T0 + 3 * MIN_, NULL), ==, TRACK_COUNTED);
        g_assert_cmpuint(failure_tracker_count(t, &a, T0 + 3 * MIN_), ==, 2);

        g_assert_cmpuint(failure_tracker_evicted(t), ==, 0);
        failure_tracker_free(t);
}

static void test_mapped_is_same(void) {
        FailureTracker *t = failure_tracker_new(2, 10 * MIN_, 100);

        record(t, "::ffff:198.51.100.7", T0, TRACK_COUNTED, 1);
        record(t, "198.51.100.7", T0 + 1, TRACK_BAN, 2);
        g_assert_cmpuint(failure_tracker_size(t), ==, 0);

        failure_tracker_free(t);
}

static void test_window_sliding(void) {
        FailureTracker *t = failure_tracker_new(3, 10 * MIN_, 100);
        Address a = addr("2001:db8::1");

        record(t, "2001:db8::1", T0, TRACK_COUNTED, 1);
        record(t, "2001:db8::1", T0 + 5 * MIN_, TRACK_COUNTED, 2);
        /* T0 has slid out of the window ending at T0+11min. */
        record(t, "2001:db8::1", T0 + 11 * MIN_, TRACK_COUNTED, 2);
        /* Exactly findtime after T0+5min: outside (the window is half-open). */
        record(t, "2001:db8::1", T0 + 15 * MIN_, TRACK_COUNTED, 2);
        g_assert_cmpuint(failure_tracker_count(t, &a, T0 + 15 * MIN_), ==, 2);
        g_assert_cmpuint(failure_tracker_count(t, &a, T0 + 21 * MIN_ - 1), ==, 2);
        g_assert_cmpuint(failure_tracker_count(t, &a, T0 + 21 * MIN_), ==, 1);
        g_assert_cmpuint(failure_tracker_count(t, &a, T0 + 25 * MIN_), ==, 0);
        /* Just inside the window of T0+11min. */
        record(t, "2001:db8::1", T0 + 21 * MIN_ - 1, TRACK_BAN, 3);

        /* Widely spaced failures never add up, however many there are. */
        for (unsigned i = 0; i < 50; i++)
                record(t, "2001:db8::2", T0 + i * 10 * MIN_, TRACK_COUNTED, 1);

        failure_tracker_free(t);
}

static void test_out_of_order(void) {
        FailureTracker *t = failure_tracker_new(3, 10 * MIN_, 100);
        Address a = addr("203.0.113.5");

        record(t, "203.0.113.5", T0 + 10 * MIN_, TRACK_COUNTED, 1);
        /* Older, but within findtime of the newest: counts. */
        record(t, "203.0.113.5", T0 + 5 * MIN_, TRACK_COUNTED, 2);
        /* Older and exactly findtime before the newest: does not count. */
        record(t, "203.0.113.5", T0, TRACK_COUNTED, 2);
        /* Far in the past: does not count either, and does not disturb anything. */
        record(t, "203.0.113.5", T0 - 100 * MIN_, TRACK_COUNTED, 2);
        g_assert_cmpuint(failure_tracker_count(t, &a, T0 + 10 * MIN_), ==, 2);
        /* A failure between the two stored ones completes the set. */
        record(t, "203.0.113.5", T0 + 8 * MIN_, TRACK_BAN, 3);

        /* A newer failure that pushes the stored older ones out of the window. */
        record(t, "203.0.113.5", T0, TRACK_COUNTED, 1);
        record(t, "203.0.113.5", T0 + 1 * MIN_, TRACK_COUNTED, 2);
        record(t, "203.0.113.5", T0 + 30 * MIN_, TRACK_COUNTED, 1);
        record(t, "203.0.113.5", T0 + 25 * MIN_, TRACK_COUNTED, 2);
        record(t, "203.0.113.5", T0 + 2 * MIN_, TRACK_COUNTED, 2);
        record(t, "203.0.113.5", T0 + 29 * MIN_, TRACK_BAN, 3);

        failure_tracker_free(t);
}

static void test_maxretry_one(void) {
        FailureTracker *t = failure_tracker_new(1, 10 * MIN_, 2);

        record(t, "192.0.2.1", T0, TRACK_BAN, 1);
        g_assert_cmpuint(failure_tracker_size(t), ==, 0);

        /* At the cap, an immediate ban does not evict anybody. */
        failure_tracker_reconfigure(t, 2, 10 * MIN_, 2);
        record(t, "192.0.2.2", T0, TRACK_COUNTED, 1);
        record(t, "192.0.2.3", T0, TRACK_COUNTED, 1);
        failure_tracker_reconfigure(t, 1, 10 * MIN_, 2);
        record(t, "192.0.2.4", T0, TRACK_BAN, 1);
        g_assert_cmpuint(failure_tracker_size(t), ==, 2);
        g_assert_cmpuint(failure_tracker_evicted(t), ==, 0);

        failure_tracker_free(t);
}

static void test_forget(void) {
        FailureTracker *t = failure_tracker_new(3, 10 * MIN_, 100);
        Address a = addr("192.0.2.1"), b = addr("192.0.2.99");

        record(t, "192.0.2.1", T0, TRACK_COUNTED, 1);
        record(t, "192.0.2.1", T0, TRACK_COUNTED, 2);
        failure_tracker_forget(t, &b); /* unknown: no-op */
        g_assert_cmpuint(failure_tracker_size(t), ==, 1);
        failure_tracker_forget(t, &a);
        g_assert_cmpuint(failure_tracker_size(t), ==, 0);
        g_assert_cmpuint(failure_tracker_count(t, &a, T0), ==, 0);
        record(t, "192.0.2.1", T0, TRACK_COUNTED, 1);

        failure_tracker_free(t);
}

static void test_eviction_order(void) {
        FailureTracker *t = failure_tracker_new(5, 10 * MIN_, 3);
        Address a = addr("10.0.0.1"), b = addr("10.0.0.2"), c = addr("10.0.0.3"), d = addr("10.0.0.4");

        record(t, "10.0.0.1", T0, TRACK_COUNTED, 1);
        record(t, "10.0.0.2", T0 + 1, TRACK_COUNTED, 1);
        record(t, "10.0.0.3", T0 + 2, TRACK_COUNTED, 1);
        /* A fails again: B is now the least recently failing. */
        record(t, "10.0.0.1", T0 + 3, TRACK_COUNTED, 2);

        record(t, "10.0.0.4", T0 + 4, TRACK_COUNTED, 1);
        g_assert_cmpuint(failure_tracker_size(t), ==, 3);
        g_assert_cmpuint(failure_tracker_evicted(t), ==, 1);
        g_assert_cmpuint(failure_tracker_count(t, &a, T0 + 4), ==, 2);
        g_assert_cmpuint(failure_tracker_count(t, &b, T0 + 4), ==, 0);
        g_assert_cmpuint(failure_tracker_count(t, &c, T0 + 4), ==, 1);
        g_assert_cmpuint(failure_tracker_count(t, &d, T0 + 4), ==, 1);

        /* Next goes C, then A. */
        record(t, "10.0.0.5", T0 + 5, TRACK_COUNTED, 1);
        g_assert_cmpuint(failure_tracker_count(t, &c, T0 + 5), ==, 0);
        g_assert_cmpuint(failure_tracker_count(t, &a, T0 + 5), ==, 2);
        record(t, "10.0.0.6", T0 + 6, TRACK_COUNTED, 1);
        g_assert_cmpuint(failure_tracker_count(t, &a, T0 + 6), ==, 0);
        g_assert_cmpuint(failure_tracker_count(t, &d, T0 + 6), ==, 1);
        g_assert_cmpuint(failure_tracker_evicted(t), ==, 3);

        /* An address banned (removed) frees its slot: no eviction for the next newcomer. */
        failure_tracker_reconfigure(t, 2, 10 * MIN_, 3);
        record(t, "10.0.0.4", T0 + 7, TRACK_BAN, 2);
        record(t, "10.0.0.7", T0 + 8, TRACK_COUNTED, 1);
        g_assert_cmpuint(failure_tracker_evicted(t), ==, 3);

        /* A tail entry whose failures have all aged out is dropped, not counted as an eviction. */
        record(t, "10.0.0.8", T0 + 20 * MIN_, TRACK_COUNTED, 1);
        g_assert_cmpuint(failure_tracker_evicted(t), ==, 3);
        g_assert_cmpuint(failure_tracker_size(t), ==, 3);

        failure_tracker_free(t);
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

static void test_spray(void) {
        const unsigned n = 100000, cap = 1000;
        FailureTracker *t = failure_tracker_new(5, 10 * MIN_, cap);
        gint64 start, end;
        Address a;

        /* 100,000 distinct IPv6 addresses within one findtime (1 ms apart): the table must stay at
         * the cap, evicting the least recently failing one each time. */
        start = g_get_monotonic_time();
        for (unsigned i = 0; i < n; i++) {
                unsigned count = 0;

                spray_address(&a, i);
                g_assert_cmpint(failure_tracker_record(t, &a, T0 + i * USEC_PER_MSEC, &count), ==,
                                TRACK_COUNTED);
                g_assert_cmpuint(count, ==, 1);
                g_assert_cmpuint(failure_tracker_size(t), ==, MIN(i + 1, cap));
        }
        end = g_get_monotonic_time();
        g_test_message("100,000 spray failures at cap %u: %.1f ms (%.0f ns per failure)", cap,
                       (end - start) / 1000.0, (end - start) * 1000.0 / n);

        g_assert_cmpuint(failure_tracker_size(t), ==, cap);
        g_assert_cmpuint(failure_tracker_evicted(t), ==, n - cap);

        /* Exactly the last CAP addresses are still tracked. */
        for (unsigned i = 0; i < n; i++) {
                spray_address(&a, i);
                g_assert_cmpuint(failure_tracker_count(t, &a, T0 + n * USEC_PER_MSEC), ==,
                                 i >= n - cap ? 1 : 0);
        }

        /* A repeat offender among them is still counted correctly. */
        spray_address(&a, n - 1);
        for (unsigned k = 2; k < 5; k++) {
                unsigned count = 0;

                g_assert_cmpint(failure_tracker_record(t, &a, T0 + n * USEC_PER_MSEC, &count), ==,
                                TRACK_COUNTED);
                g_assert_cmpuint(count, ==, k);
        }
        g_assert_cmpint(failure_tracker_record(t, &a, T0 + n * USEC_PER_MSEC, NULL), ==, TRACK_BAN);

        failure_tracker_free(t);
}

static void test_prune(void) {
        FailureTracker *t = failure_tracker_new(5, 10 * MIN_, 100);
        Address a = addr("192.0.2.1"), b = addr("192.0.2.2"), c = addr("192.0.2.3");

        record(t, "192.0.2.1", T0, TRACK_COUNTED, 1);
        record(t, "192.0.2.2", T0 + 5 * MIN_, TRACK_COUNTED, 1);
        record(t, "192.0.2.3", T0 + 9 * MIN_, TRACK_COUNTED, 1);
        /* B's newest failure is recent even though an older one arrives last. */
        record(t, "192.0.2.2", T0 + 1 * MIN_, TRACK_COUNTED, 2);

        g_assert_cmpuint(failure_tracker_prune(t, T0 + 9 * MIN_), ==, 0);
        g_assert_cmpuint(failure_tracker_size(t), ==, 3);

        /* A's newest failure is exactly findtime old: dropped. */
        g_assert_cmpuint(failure_tracker_prune(t, T0 + 10 * MIN_), ==, 1);
        g_assert_cmpuint(failure_tracker_size(t), ==, 2);
        g_assert_cmpuint(failure_tracker_count(t, &a, T0 + 10 * MIN_), ==, 0);
        g_assert_cmpuint(failure_tracker_count(t, &b, T0 + 10 * MIN_), ==, 2);
        g_assert_cmpuint(failure_tracker_count(t, &b, T0 + 11 * MIN_), ==, 1);

        g_assert_cmpuint(failure_tracker_prune(t, T0 + 60 * MIN_), ==, 2);
        g_assert_cmpuint(failure_tracker_size(t), ==, 0);
        g_assert_cmpuint(failure_tracker_count(t, &c, T0), ==, 0);
        g_assert_cmpuint(failure_tracker_prune(t, T0 + 60 * MIN_), ==, 0);

        /* Still usable after pruning everything; prune does not count as eviction. */
        record(t, "192.0.2.3", T0 + 61 * MIN_, TRACK_COUNTED, 1);
        g_assert_cmpuint(failure_tracker_evicted(t), ==, 0);

        failure_tracker_free(t);
}

static void test_reconfigure(void) {
        FailureTracker *t = failure_tracker_new(5, 10 * MIN_, 10);
        Address a = addr("192.0.2.1");
        char s[32];

        for (unsigned i = 0; i < 10; i++) {
                g_snprintf(s, sizeof(s), "198.51.100.%u", i);
                record(t, s, T0 + i, TRACK_COUNTED, 1);
        }
        record(t, "192.0.2.1", T0 + 20, TRACK_COUNTED, 1);
        record(t, "192.0.2.1", T0 + 21, TRACK_COUNTED, 2);
        record(t, "192.0.2.1", T0 + 22, TRACK_COUNTED, 3);
        g_assert_cmpuint(failure_tracker_size(t), ==, 10);
        g_assert_cmpuint(failure_tracker_evicted(t), ==, 1);

        /* Lower cap: the least recently failing go now (198.51.100.1 … .5), the newest stay. */
        failure_tracker_reconfigure(t, 5, 10 * MIN_, 5);
        g_assert_cmpuint(failure_tracker_size(t), ==, 5);
        g_assert_cmpuint(failure_tracker_evicted(t), ==, 6);
        g_assert_cmpuint(failure_tracker_count(t, &a, T0 + 22), ==, 3);
        for (unsigned i = 1; i < 10; i++) {
                Address b;

                g_snprintf(s, sizeof(s), "198.51.100.%u", i);
                b = addr(s);
                g_assert_cmpuint(failure_tracker_count(t, &b, T0 + 22), ==, i >= 6 ? 1 : 0);
        }

        /* Lower maxretry: the next failure of an address that already has enough bans it. */
        failure_tracker_reconfigure(t, 3, 10 * MIN_, 5);
        record(t, "192.0.2.1", T0 + 23, TRACK_BAN, 4);

        /* Higher maxretry: more room in the stored ring. */
        failure_tracker_reconfigure(t, 8, 10 * MIN_, 5);
        for (unsigned i = 1; i < 8; i++)
                record(t, "192.0.2.1", T0 + 30 + i, TRACK_COUNTED, i);
        record(t, "192.0.2.1", T0 + 40, TRACK_BAN, 8);

        /* Shorter findtime: applies to what is already stored. */
        record(t, "192.0.2.1", T0, TRACK_COUNTED, 1);
        record(t, "192.0.2.1", T0 + 4 * MIN_, TRACK_COUNTED, 2);
        failure_tracker_reconfigure(t, 8, 2 * MIN_, 5);
        g_assert_cmpuint(failure_tracker_count(t, &a, T0 + 4 * MIN_), ==, 1);
        record(t, "192.0.2.1", T0 + 5 * MIN_, TRACK_COUNTED, 2);

        failure_tracker_free(t);
}

static void test_matches(void) {
        FailureTracker *t = failure_tracker_new(4, 600 * USEC_PER_SEC, 16);
        g_autofree char *longline = g_strnfill(5000, 'x');
        char **matches = (char **) 1;
        Address a;
        unsigned n;

        g_assert_cmpint(address_parse("192.0.2.10", &a), ==, 0);
        failure_tracker_set_max_matches(t, 2);
        g_assert_cmpint(failure_tracker_record_line(t, &a, 1, "one", 3, &n, &matches), ==, TRACK_COUNTED);
        g_assert_null(matches);
        g_assert_cmpint(failure_tracker_record_line(t, &a, 2, "two", 3, &n, &matches), ==, TRACK_COUNTED);
        g_assert_cmpint(failure_tracker_record_line(t, &a, 3, longline, 5000, &n, NULL), ==, TRACK_COUNTED);
        g_assert_cmpint(failure_tracker_record_line(t, &a, 4, "four", 4, &n, &matches), ==, TRACK_BAN);
        /* the last two (maxmatches), oldest first; lines cut at FAILURE_TRACKER_MATCH_MAX */
        g_assert_nonnull(matches);
        g_assert_cmpuint(g_strv_length(matches), ==, 2);
        g_assert_cmpuint(strlen(matches[0]), ==, FAILURE_TRACKER_MATCH_MAX);
        g_assert_cmpstr(matches[1], ==, "four");
        g_strfreev(matches);

        /* maxmatches 0 (the default): none kept */
        failure_tracker_set_max_matches(t, 0);
        for (unsigned i = 0; i < 4; i++)
                (void) failure_tracker_record_line(t, &a, 10 + i, "l", 1, &n, &matches);
        g_assert_null(matches);
        failure_tracker_free(t);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);

        g_test_add_func("/jail/matches", test_matches);
        g_test_add_func("/jail/basic", test_basic);
        g_test_add_func("/jail/mapped-is-same", test_mapped_is_same);
        g_test_add_func("/jail/window-sliding", test_window_sliding);
        g_test_add_func("/jail/out-of-order", test_out_of_order);
        g_test_add_func("/jail/maxretry-one", test_maxretry_one);
        g_test_add_func("/jail/forget", test_forget);
        g_test_add_func("/jail/eviction-order", test_eviction_order);
        g_test_add_func("/jail/spray", test_spray);
        g_test_add_func("/jail/prune", test_prune);
        g_test_add_func("/jail/reconfigure", test_reconfigure);

        failure_tracker_free(NULL);
        return g_test_run();
}
