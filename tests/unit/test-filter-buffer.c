/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The maxlines buffer, alone and with a multi-line filter (<SKIPLINES>). */

#include <glib.h>
#include <string.h>

#include "addr.h"
#include "filter-buffer.h"
#include "filter-feed.h"

static void test_maxlines(void) {
        FilterBuffer *b = filter_buffer_new(3);
        size_t len;

        filter_buffer_push(b, "a", 1);
        filter_buffer_push(b, "bb", 2);
        filter_buffer_push(b, "ccc", 3);
        filter_buffer_push(b, "dddd", 4);
        g_assert_cmpuint(filter_buffer_size(b), ==, 3);
        g_assert_cmpstr(filter_buffer_text(b, &len), ==, "bb\nccc\ndddd\n");
        g_assert_cmpuint(len, ==, strlen("bb\nccc\ndddd\n"));

        /* a match inside "ccc" takes that line only */
        g_assert_cmpuint(filter_buffer_consume(b, 4, 5, NULL, 0), ==, 1);
        g_assert_cmpstr(filter_buffer_text(b, NULL), ==, "bb\ndddd\n");
        /* a match from "bb" into "dddd" takes both */
        g_assert_cmpuint(filter_buffer_consume(b, 1, 5, NULL, 0), ==, 2);
        g_assert_cmpuint(filter_buffer_size(b), ==, 0);
        filter_buffer_free(b);
}

static void test_skipped_stay(void) {
        FilterBuffer *b = filter_buffer_new(5);

        filter_buffer_push(b, "a1", 2);  /* 0..3 */
        filter_buffer_push(b, "x1", 2);  /* 3..6 */
        filter_buffer_push(b, "x2", 2);  /* 6..9 */
        filter_buffer_push(b, "b1", 2);  /* 9..12 */
        const size_t skip[1][2] = { { 3, 9 } }; /* "x1\nx2\n": passed over by <SKIPLINES> */
        g_assert_cmpuint(filter_buffer_consume(b, 0, 11, skip, 1), ==, 2);
        g_assert_cmpstr(filter_buffer_text(b, NULL), ==, "x1\nx2\n");
        filter_buffer_clear(b);
        g_assert_cmpuint(filter_buffer_size(b), ==, 0);
        filter_buffer_free(b);
}

static void test_multiline_filter(void) {
        RegexDef re = { .pattern = (char *) "^conn=(?P<conn>\\d+) ACCEPT from IP=<HOST>:\\d+<SKIPLINES>^conn=(?P=conn) RESULT err=49",
                        .file = (char *) "m.conf", .line = 1 };
        FilterDef d = { .name = (char *) "m", .file = (char *) "m.conf", .failregex = &re, .n_failregex = 1,
                        .maxlines = 4 };
        const char *lines[] = {
                "conn=7 ACCEPT from IP=192.0.2.44:5000",
                "conn=8 ACCEPT from IP=192.0.2.45:5001",
                "conn=7 BIND dn=x",
                "conn=7 RESULT err=49 text=bad",
        };
        g_autofree char *error = NULL;
        Filter *f = NULL;
        FilterFeed *feed;
        char buf[ADDRESS_STRING_MAX];

        g_assert_cmpint(filter_new(&d, &f, &error), ==, 0);
        g_assert_true(filter_feed_needed(f, 4));
        feed = filter_feed_new(f, 4);
        for (size_t i = 0; i < G_N_ELEMENTS(lines); i++) {
                FilterMatch m = {};
                int r = filter_feed_line(feed, f, lines[i], strlen(lines[i]), 0, &m);

                g_assert_cmpint(r, ==, i == 3 ? FILTER_FAILURE : FILTER_NO_MATCH);
                if (r == FILTER_FAILURE) {
                        g_assert_cmpstr(address_to_string(&m.address, buf), ==, "192.0.2.44");
                        g_assert_cmpuint(m.n_skipped, ==, 1);
                }
                filter_match_done(&m);
        }
        /* the matched lines left the buffer; the skipped ones (conn=8, conn=7 BIND) stayed */
        FilterBuffer *b = filter_feed_buffer(feed);
        g_assert_cmpuint(filter_buffer_size(b), ==, 2);
        g_assert_cmpstr(filter_buffer_line(b, 0), ==, lines[1]);
        g_assert_cmpstr(filter_buffer_line(b, 1), ==, lines[2]);
        filter_feed_free(feed);
        filter_free(f);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);

        g_test_add_func("/filter-buffer/maxlines", test_maxlines);
        g_test_add_func("/filter-buffer/skipped-stay", test_skipped_stay);
        g_test_add_func("/filter-buffer/multiline-filter", test_multiline_filter);
        return g_test_run();
}
