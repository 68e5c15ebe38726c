/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <errno.h>
#include <glib.h>
#include <string.h>

#include "time-util.h"

#define USEC_PER_MONTH (2629800ULL * USEC_PER_SEC)
#define USEC_PER_YEAR (31557600ULL * USEC_PER_SEC)

static void check(const char *s, usec_t expected) {
        usec_t v = 12345;
        int r;

        r = parse_duration(s, &v);
        if (r < 0 || v != expected)
                g_test_message("parse_duration('%s') = %d, %" G_GUINT64_FORMAT, s, r, v);
        g_assert_cmpint(r, ==, 0);
        g_assert_cmpuint(v, ==, expected);
}

static void check_fail(const char *s, int error) {
        usec_t v = 12345;
        int r;

        r = parse_duration(s, &v);
        if (r != error)
                g_test_message("parse_duration('%s') = %d", s, r);
        g_assert_cmpint(r, ==, error);
        g_assert_cmpuint(v, ==, 12345); /* untouched on failure */
}

static void test_parse_plain(void) {
        check("600", 600 * USEC_PER_SEC);
        check("0", 0);
        check("1", USEC_PER_SEC);
        check("86400", USEC_PER_DAY);
        check("1.5", 1500 * USEC_PER_MSEC);
        check(" 600 ", 600 * USEC_PER_SEC);
}

static void test_parse_units(void) {
        check("90s", 90 * USEC_PER_SEC);
        check("10m", 10 * USEC_PER_MINUTE);
        check("10min", 10 * USEC_PER_MINUTE);
        check("1h", USEC_PER_HOUR);
        check("1d", USEC_PER_DAY);
        check("2w", 2 * USEC_PER_WEEK);
        check("1mo", USEC_PER_MONTH);
        check("1mo", 30 * USEC_PER_DAY + 10 * USEC_PER_HOUR + 30 * USEC_PER_MINUTE);
        check("1y", USEC_PER_YEAR);
        check("1y", 365 * USEC_PER_DAY + 6 * USEC_PER_HOUR);
        check("250ms", 250 * USEC_PER_MSEC);
        check("7us", 7);
        check("10M", 10 * USEC_PER_MINUTE);
        check("1H", USEC_PER_HOUR);
}

static void test_parse_long_names(void) {
        check("10 minutes", 10 * USEC_PER_MINUTE);
        check("1 minute", USEC_PER_MINUTE);
        check("1 hour", USEC_PER_HOUR);
        check("2 hours", 2 * USEC_PER_HOUR);
        check("2 days", 2 * USEC_PER_DAY);
        check("1 day", USEC_PER_DAY);
        check("1 week", USEC_PER_WEEK);
        check("3 weeks", 3 * USEC_PER_WEEK);
        check("1 month", USEC_PER_MONTH);
        check("2 months", 2 * USEC_PER_MONTH);
        check("1 year", USEC_PER_YEAR);
        check("2 years", 2 * USEC_PER_YEAR);
        check("30 seconds", 30 * USEC_PER_SEC);
        check("30 sec", 30 * USEC_PER_SEC);
        check("30seconds", 30 * USEC_PER_SEC);
}

static void test_parse_combinations(void) {
        check("1h30m", USEC_PER_HOUR + 30 * USEC_PER_MINUTE);
        check("1h 30m", USEC_PER_HOUR + 30 * USEC_PER_MINUTE);
        check("1h  30m", USEC_PER_HOUR + 30 * USEC_PER_MINUTE);
        check("1d12h", USEC_PER_DAY + 12 * USEC_PER_HOUR);
        check("1w 2d 3h 4m 5s", USEC_PER_WEEK + 2 * USEC_PER_DAY + 3 * USEC_PER_HOUR +
              4 * USEC_PER_MINUTE + 5 * USEC_PER_SEC);
        check("1 hour 30 minutes", USEC_PER_HOUR + 30 * USEC_PER_MINUTE);
        check("1h30", USEC_PER_HOUR + 30 * USEC_PER_SEC);
        check("1mo1m", USEC_PER_MONTH + USEC_PER_MINUTE);
}

static void test_parse_fraction(void) {
        check("1.5h", USEC_PER_HOUR + 30 * USEC_PER_MINUTE);
        check("0.5d", 12 * USEC_PER_HOUR);
        check("2.25m", 2 * USEC_PER_MINUTE + 15 * USEC_PER_SEC);
        check("0.001s", USEC_PER_MSEC);
        check("0.0000001s", 0); /* below µs resolution */
        check("1.5 hours", USEC_PER_HOUR + 30 * USEC_PER_MINUTE);
        check("1.5h30m", 2 * USEC_PER_HOUR);
}

static void test_parse_negative(void) {
        check("-1", USEC_INFINITY);
        check("-100", USEC_INFINITY);
        check("-1h", USEC_INFINITY);
        check("-0.5", USEC_INFINITY);
        check("-0", 0);
        check("permanent", USEC_INFINITY);
        check(" permanent ", USEC_INFINITY);
}

static void test_parse_errors(void) {
        check_fail("", -EINVAL);
        check_fail("   ", -EINVAL);
        check_fail("-", -EINVAL);
        check_fail("--1", -EINVAL);
        check_fail("- 1", -EINVAL);
        check_fail("+1", -EINVAL);
        check_fail("10x", -EINVAL);
        check_fail("10 x", -EINVAL);
        check_fail("m", -EINVAL);
        check_fail("h1", -EINVAL);
        check_fail("10mm", -EINVAL);
        check_fail("10 30", -EINVAL);
        check_fail("1.h", -EINVAL);
        check_fail(".5h", -EINVAL);
        check_fail("1..5h", -EINVAL);
        check_fail("1h,30m", -EINVAL);
        check_fail("1e3", -EINVAL);
        check_fail("0x10", -EINVAL);
        check_fail("10m\n", -EINVAL);
        check_fail("forever", -EINVAL);
        check_fail("permanently", -EINVAL);
        check_fail("permanent 1h", -EINVAL);
        check_fail("1 hourz", -EINVAL);

        /* Overflow, in the number, in the unit product and in the sum. */
        check_fail("99999999999999999999999", -ERANGE);
        check_fail("18446744073709551615", -ERANGE);
        check_fail("18446744073710s", -ERANGE);
        check_fail("1000000y", -ERANGE);
        check_fail("500000y 500000y", -ERANGE);
        check_fail("18446744073709551615us", -ERANGE); /* exactly USEC_INFINITY */
        check("18446744073709551614us", UINT64_MAX - 1);
}

static void check_format(usec_t t, const char *expected) {
        char buf[DURATION_STRING_MAX];
        usec_t back;

        g_assert_cmpstr(format_duration(buf, sizeof(buf), t), ==, expected);

        /* Round trip: the text reads back as the same value. */
        g_assert_cmpint(parse_duration(buf, &back), ==, 0);
        g_assert_cmpuint(back, ==, t);
}

static void test_format(void) {
        check_format(USEC_INFINITY, "permanent");
        check_format(0, "0s");
        check_format(45 * USEC_PER_SEC, "45s");
        check_format(10 * USEC_PER_MINUTE, "10min");
        check_format(USEC_PER_HOUR + 30 * USEC_PER_MINUTE, "1h 30min");
        check_format(USEC_PER_DAY + 2 * USEC_PER_HOUR, "1d 2h");
        check_format(250 * USEC_PER_MSEC, "250ms");
        check_format(USEC_PER_SEC + 5 * USEC_PER_MSEC + 7, "1s 5ms 7us");
        check_format(2 * USEC_PER_WEEK, "2w");
        check_format(USEC_PER_MONTH, "1month");
        check_format(USEC_PER_YEAR + USEC_PER_DAY, "1y 1d");
        check_format(UINT64_MAX - 1, "584542y 2w 2d 20h 1min 49s 551ms 614us");
}

static void test_format_small_buffer(void) {
        char buf[8];

        /* Truncation never overflows and always terminates. */
        format_duration(buf, sizeof(buf), USEC_PER_HOUR + 30 * USEC_PER_MINUTE + 5 * USEC_PER_SEC);
        g_assert_cmpuint(strlen(buf), <, sizeof(buf));
        format_duration(buf, sizeof(buf), USEC_INFINITY);
        g_assert_cmpstr(buf, ==, "permane");
        format_duration(buf, 1, USEC_PER_HOUR);
        g_assert_cmpstr(buf, ==, "");
}

static void test_round_trip(void) {
        /* Pseudo-random values of every magnitude: format, parse back, compare. */
        GRand *rand = g_rand_new_with_seed(42);

        for (unsigned i = 0; i < 10000; i++) {
                char buf[DURATION_STRING_MAX];
                unsigned bits = (unsigned) g_rand_int_range(rand, 1, 64);
                usec_t t = (((usec_t) g_rand_int(rand) << 32) | g_rand_int(rand)) >> (64 - bits);
                usec_t back;

                format_duration(buf, sizeof(buf), t);
                g_assert_cmpint(parse_duration(buf, &back), ==, 0);
                if (back != t)
                        g_test_message("'%s': %" G_GUINT64_FORMAT " != %" G_GUINT64_FORMAT, buf, back, t);
                g_assert_cmpuint(back, ==, t);
        }

        g_rand_free(rand);
}

static void test_now(void) {
        usec_t a, b, rt;

        a = now_usec(CLOCK_MONOTONIC);
        b = now_usec(CLOCK_MONOTONIC);
        g_assert_cmpuint(a, >, 0);
        g_assert_cmpuint(b, >=, a);

        /* Later than 2020-01-01, and agrees with GLib's wall clock to within a second. */
        rt = now_usec(CLOCK_REALTIME);
        g_assert_cmpuint(rt, >, 1577836800ULL * USEC_PER_SEC);
        g_assert_cmpuint(rt / USEC_PER_SEC, <=, (usec_t) g_get_real_time() / USEC_PER_SEC + 1);
        g_assert_cmpuint(rt / USEC_PER_SEC + 1, >=, (usec_t) g_get_real_time() / USEC_PER_SEC);
}

static void test_parse_timestamp(void) {
        usec_t now = 1717243805ULL * USEC_PER_SEC, t = 0;
        struct tm tm = { .tm_year = 124, .tm_mon = 5, .tm_mday = 1, .tm_hour = 12, .tm_min = 30, .tm_sec = 5,
                         .tm_isdst = -1 };
        usec_t local = (usec_t) mktime(&tm) * USEC_PER_SEC;

        g_assert_cmpint(parse_timestamp("now", now, &t), ==, 0);
        g_assert_cmpuint(t, ==, now);
        g_assert_cmpint(parse_timestamp("@1717243805.5", now, &t), ==, 0);
        g_assert_cmpuint(t, ==, 1717243805500000ULL);
        g_assert_cmpint(parse_timestamp("-1h", now, &t), ==, 0);
        g_assert_cmpuint(t, ==, now - USEC_PER_HOUR);
        g_assert_cmpint(parse_timestamp("+10min", now, &t), ==, 0);
        g_assert_cmpuint(t, ==, now + 10 * USEC_PER_MINUTE);
        g_assert_cmpint(parse_timestamp("2024-06-01 12:30:05", now, &t), ==, 0);
        g_assert_cmpuint(t, ==, local);
        g_assert_cmpint(parse_timestamp("2024-06-01T12:30:05", now, &t), ==, 0);
        g_assert_cmpuint(t, ==, local);
        g_assert_cmpint(parse_timestamp("2024-06-01 12:30", now, &t), ==, 0);
        g_assert_cmpuint(t, ==, local - 5 * USEC_PER_SEC);
        g_assert_cmpint(parse_timestamp("2024-06-01", now, &t), ==, 0);
        g_assert_cmpuint(t, ==, local - (12 * 3600 + 30 * 60 + 5) * USEC_PER_SEC);

        static const char *const bad[] = { "", "yesterday-ish", "2024-13-01", "2024-06-01 25:00", "@", "@x", "-",
                                           "-1x", "-permanent", "2024-06-01 12:30:05 extra" };
        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
                g_assert_cmpint(parse_timestamp(bad[i], now, &t), ==, -EINVAL);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);

        g_test_add_func("/time-util/parse-plain", test_parse_plain);
        g_test_add_func("/time-util/parse-units", test_parse_units);
        g_test_add_func("/time-util/parse-long-names", test_parse_long_names);
        g_test_add_func("/time-util/parse-combinations", test_parse_combinations);
        g_test_add_func("/time-util/parse-fraction", test_parse_fraction);
        g_test_add_func("/time-util/parse-negative", test_parse_negative);
        g_test_add_func("/time-util/parse-errors", test_parse_errors);
        g_test_add_func("/time-util/format", test_format);
        g_test_add_func("/time-util/format-small-buffer", test_format_small_buffer);
        g_test_add_func("/time-util/round-trip", test_round_trip);
        g_test_add_func("/time-util/now", test_now);
        g_test_add_func("/time-util/parse-timestamp", test_parse_timestamp);

        return g_test_run();
}
