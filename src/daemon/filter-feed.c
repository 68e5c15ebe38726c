/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Line buffer + sessions in front of the filter engine: see filter-feed.h. Non-logging. */

#include <assert.h>
#include <stdlib.h>

#include "filter-feed.h"
#include "macro.h"

struct FilterFeed {
        FilterBuffer *buffer;     /* NULL: lines are matched one by one */
        FilterSessions *sessions; /* NULL: no <F-MLFID> in the filter */
};

bool filter_feed_needed(const Filter *f, unsigned maxlines) {
        return maxlines > 1 || filter_has_sessions(f);
}

FilterFeed *filter_feed_new(const Filter *f, unsigned maxlines) {
        FilterFeed *feed;

        assert(f);

        feed = calloc(1, sizeof(FilterFeed));
        if (!feed)
                return NULL;
        if (maxlines > 1 && !(feed->buffer = filter_buffer_new(maxlines)))
                return filter_feed_free(feed);
        if (filter_has_sessions(f) &&
            !(feed->sessions = filter_sessions_new(FILTER_SESSIONS_MAX_DEFAULT, FILTER_SESSION_MAX_AGE_USEC_DEFAULT)))
                return filter_feed_free(feed);
        return feed;
}

FilterFeed *filter_feed_free(FilterFeed *feed) {
        if (!feed)
                return NULL;
        filter_buffer_free(feed->buffer);
        filter_sessions_free(feed->sessions);
        free(feed);
        return NULL;
}

int filter_feed_line(FilterFeed *feed, Filter *f, const char *line, size_t len, usec_t when, FilterMatch *ret) {
        int r;

        assert(feed);
        assert(f);
        assert(ret);

        if (feed->buffer) {
                filter_buffer_push(feed->buffer, line, len);
                line = filter_buffer_text(feed->buffer, &len);
        }

        r = filter_match(f, line, len, ret);
        if (r < 0)
                return r;

        /* fail2ban takes the lines of a match (ignored or not) out of the buffer. */
        if (feed->buffer && (r == FILTER_FAILURE || r == FILTER_IGNORED || r == FILTER_NO_ADDRESS))
                (void) filter_buffer_consume(feed->buffer, ret->match_start, ret->match_end,
                                             (const size_t (*)[2]) ret->skipped, ret->n_skipped);

        if (feed->sessions)
                r = filter_sessions_merge(feed->sessions, when, r, ret);
        return r;
}

void filter_feed_prune(FilterFeed *feed, usec_t now) {
        if (feed && feed->sessions)
                (void) filter_sessions_prune(feed->sessions, now);
}

FilterSessions *filter_feed_sessions(FilterFeed *feed) {
        assert(feed);
        return feed->sessions;
}

FilterBuffer *filter_feed_buffer(FilterFeed *feed) {
        assert(feed);
        return feed->buffer;
}
