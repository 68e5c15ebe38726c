/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The session store of multi-line filters, directly and through a FilterFeed with a real filter. */

#include <glib.h>
#include <string.h>

#include "addr.h"
#include "filter-feed.h"
#include "filter-session.h"
#include "filter.h"

#define T0 (1700000000ULL * USEC_PER_SEC)

/* A filter shaped like fail2ban's sshd.conf: the session id is the prefix "HOST sshd[PID]: ". */
static const char *const session_fail[] = {
        "^<F-NOFAIL>Connection from</F-NOFAIL> <HOST>",
        "^Failed password for <F-USER>\\S+</F-USER> from <HOST> port \\d+",
        "^Disconnecting: Too many authentication failures",
        "^<F-NOFAIL>pam_unix\\(sshd:auth\\): authentication failure;</F-NOFAIL> .*rhost=<HOST>(?: user=<F-USER>\\S+</F-USER>)?$",
        "^<F-MLFFORGET><F-MLFGAINED>Accepted \\w+</F-MLFGAINED></F-MLFFORGET> for <F-USER>\\S+</F-USER> from <HOST>",
        "^<F-NOFAIL><F-MLFFORGET>Connection closed</F-MLFFORGET></F-NOFAIL> by(?: authenticating user <F-USER>\\S+</F-USER>)? <HOST>",
        "^Invalid user <F-ALT_USER>\\S+</F-ALT_USER> from <HOST>",
        NULL,
};

static Filter *session_filter_new(unsigned maxlines, const char *const *fail) {
        FilterDef d = {
                .name = (char *) "t",
                .file = (char *) "t.conf",
                .prefregex = { .pattern = (char *) "^<F-MLFID>\\S+ sshd\\[\\d+\\]: </F-MLFID><F-CONTENT>.+</F-CONTENT>$" },
                .maxlines = maxlines,
        };
        g_autofree RegexDef *res = NULL;
        g_autofree char *error = NULL;
        Filter *f = NULL;

        for (; fail[d.n_failregex]; d.n_failregex++)
                ;
        res = g_new0(RegexDef, d.n_failregex);
        for (size_t i = 0; i < d.n_failregex; i++)
                res[i] = (RegexDef) { .pattern = (char *) fail[i], .file = (char *) "t.conf", .line = (unsigned) i };
        d.failregex = res;
        g_assert_cmpint(filter_new(&d, &f, &error), ==, 0);
        g_assert_null(error);
        return f;
}

typedef struct Line {
        const char *text;
        int result;
        const char *host; /* expected for FILTER_FAILURE */
        const char *user;
} Line;

static void feed_lines(FilterFeed *feed, Filter *f, const Line *lines, size_t n) {
        for (size_t i = 0; i < n; i++) {
                FilterMatch m = {};
                char buf[ADDRESS_STRING_MAX];
                int r = filter_feed_line(feed, f, lines[i].text, strlen(lines[i].text), T0 + i * USEC_PER_SEC, &m);

                if (r != lines[i].result)
                        g_test_message("line %zu: %s", i, lines[i].text);
                g_assert_cmpstr(filter_result_to_string(r), ==, filter_result_to_string(lines[i].result));
                if (r == FILTER_FAILURE) {
                        g_assert_cmpstr(address_to_string(&m.address, buf), ==, lines[i].host);
                        g_assert_cmpstr(m.user, ==, lines[i].user);
                }
                filter_match_done(&m);
        }
}

static void test_nofail_then_failure(void) {
        Filter *f = session_filter_new(1, session_fail);
        FilterFeed *feed = filter_feed_new(f, 1);
        const Line lines[] = {
                /* nofail: remembers the host; a later failure line without host gets it */
                { "h sshd[10]: Connection from 192.0.2.1 port 5 on 10.0.0.1 port 22", FILTER_NO_MATCH, NULL, NULL },
                { "h sshd[10]: Disconnecting: Too many authentication failures", FILTER_FAILURE, "192.0.2.1", NULL },
                /* another session does not see it */
                { "h sshd[11]: Disconnecting: Too many authentication failures", FILTER_NO_MATCH, NULL, NULL },
                /* … but its pending failure turns the next line that brings a host into the failure */
                { "h sshd[11]: Connection closed by 192.0.2.2 port 7", FILTER_FAILURE, "192.0.2.2", NULL },
        };

        g_assert_true(filter_has_sessions(f));
        g_assert_nonnull(filter_feed_sessions(feed));
        feed_lines(feed, f, lines, G_N_ELEMENTS(lines));
        /* session 10 stays, 11 was forgotten by "Connection closed" */
        g_assert_cmpuint(filter_sessions_size(filter_feed_sessions(feed)), ==, 1);
        filter_feed_free(feed);
        filter_free(f);
}

static void test_user_remembered_and_alt(void) {
        Filter *f = session_filter_new(1, session_fail);
        FilterFeed *feed = filter_feed_new(f, 1);
        const Line lines[] = {
                { "h sshd[20]: pam_unix(sshd:auth): authentication failure; logname= uid=0 rhost=198.51.100.7 user=alice",
                  FILTER_NO_MATCH, NULL, NULL },
                { "h sshd[20]: Disconnecting: Too many authentication failures", FILTER_FAILURE, "198.51.100.7", "alice" },
                /* <F-ALT_USER> fills user when there is no <F-USER> */
                { "h sshd[21]: Invalid user mallory from 198.51.100.8", FILTER_FAILURE, "198.51.100.8", "mallory" },
        };

        feed_lines(feed, f, lines, G_N_ELEMENTS(lines));
        filter_feed_free(feed);
        filter_free(f);
}

static void test_gained_and_forget(void) {
        Filter *f = session_filter_new(1, session_fail);
        FilterFeed *feed = filter_feed_new(f, 1);
        const Line lines[] = {
                /* a failure waiting for its host, then a successful login: dropped, and the session ends */
                { "h sshd[30]: Disconnecting: Too many authentication failures", FILTER_NO_MATCH, NULL, NULL },
                { "h sshd[30]: Accepted password for bob from 203.0.113.5 port 1 ssh2", FILTER_NO_MATCH, NULL, NULL },
                /* forgotten: a host-less failure in a session of that id has no host any more */
                { "h sshd[30]: Disconnecting: Too many authentication failures", FILTER_NO_MATCH, NULL, NULL },
                /* a failure with host counts as usual */
                { "h sshd[31]: Failed password for root from 203.0.113.6 port 2", FILTER_FAILURE, "203.0.113.6", "root" },
                /* several users in one session: the nofail close counts as a failure */
                { "h sshd[31]: Failed password for admin from 203.0.113.6 port 2", FILTER_FAILURE, "203.0.113.6", "admin" },
                { "h sshd[31]: Connection closed by authenticating user admin 203.0.113.6 port 2", FILTER_FAILURE,
                  "203.0.113.6", "admin" },
        };

        feed_lines(feed, f, lines, G_N_ELEMENTS(lines));
        g_assert_cmpuint(filter_sessions_size(filter_feed_sessions(feed)), ==, 1); /* 30 is forgotten, 31 closed */
        filter_feed_free(feed);
        filter_free(f);
}

static FilterMatch nofail_match(const char *id, const char *host) {
        FilterMatch m = { .mlfid = g_strdup(id), .flags = FILTER_MATCH_NOFAIL, .regex_index = 0 };

        if (host) {
                g_assert_cmpint(address_parse(host, &m.address), ==, 0);
                m.flags |= FILTER_MATCH_HOST;
        }
        return m;
}

static int merge(FilterSessions *s, usec_t t, const char *id, const char *host, bool nofail) {
        FilterMatch m = nofail_match(id, host);
        int r;

        if (!nofail)
                m.flags &= ~FILTER_MATCH_NOFAIL;
        r = filter_sessions_merge(s, t, host ? FILTER_FAILURE : FILTER_NO_ADDRESS, &m);
        filter_match_done(&m);
        return r;
}

static void test_cap_and_expiry(void) {
        FilterSessions *s = filter_sessions_new(3, 60 * USEC_PER_SEC);
        char id[32];

        /* the cap: the fourth session drops the oldest */
        for (unsigned i = 0; i < 4; i++) {
                g_snprintf(id, sizeof id, "s%u", i);
                g_assert_cmpint(merge(s, T0 + i, id, "192.0.2.9", true), ==, FILTER_NO_MATCH);
        }
        g_assert_cmpuint(filter_sessions_size(s), ==, 3);
        g_assert_cmpuint(filter_sessions_evicted(s), ==, 1);
        /* s1 still has its host; s0 is gone, so its host-less failure has none (and the new s0 session
         * pushes out s2, now the oldest) */
        g_assert_cmpint(merge(s, T0 + 10, "s1", NULL, false), ==, FILTER_FAILURE);
        g_assert_cmpint(merge(s, T0 + 10, "s0", NULL, false), ==, FILTER_NO_MATCH);
        g_assert_cmpuint(filter_sessions_evicted(s), ==, 2);

        /* expiry: 60 s after its first line a session is gone, even if used meanwhile */
        g_assert_cmpint(merge(s, T0 + 59 * USEC_PER_SEC, "s3", NULL, false), ==, FILTER_FAILURE);
        g_assert_cmpint(merge(s, T0 + 61 * USEC_PER_SEC, "s3", NULL, false), ==, FILTER_NO_MATCH);
        /* making the new s3 pruned the others, all older than 60 s */
        g_assert_cmpuint(filter_sessions_size(s), ==, 1);
        g_assert_cmpuint(filter_sessions_prune(s, T0 + 200 * USEC_PER_SEC), ==, 1);
        g_assert_cmpuint(filter_sessions_size(s), ==, 0);

        /* a line without an mlfid passes unchanged */
        FilterMatch m = { .regex_index = 0 };
        g_assert_cmpint(filter_sessions_merge(s, T0, FILTER_NO_ADDRESS, &m), ==, FILTER_NO_ADDRESS);
        filter_sessions_free(s);
}

static void test_single_line_filter_has_no_feed(void) {
        static const char *const plain[] = { "^Failed password for \\S+ from <HOST>", NULL };
        FilterDef d = { .name = (char *) "p", .file = (char *) "p.conf" };
        RegexDef re = { .pattern = (char *) plain[0], .file = (char *) "p.conf", .line = 1 };
        g_autofree char *error = NULL;
        Filter *f = NULL;

        d.failregex = &re;
        d.n_failregex = 1;
        g_assert_cmpint(filter_new(&d, &f, &error), ==, 0);
        g_assert_false(filter_has_sessions(f));
        g_assert_false(filter_feed_needed(f, 1));
        g_assert_true(filter_feed_needed(f, 2));
        filter_free(f);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);

        g_test_add_func("/filter-session/nofail-then-failure", test_nofail_then_failure);
        g_test_add_func("/filter-session/user-remembered-and-alt", test_user_remembered_and_alt);
        g_test_add_func("/filter-session/gained-and-forget", test_gained_and_forget);
        g_test_add_func("/filter-session/cap-and-expiry", test_cap_and_expiry);
        g_test_add_func("/filter-session/single-line-filter-has-no-feed", test_single_line_filter_has_no_feed);
        return g_test_run();
}
