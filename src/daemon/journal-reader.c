/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include <poll.h>

#include "journal-entry.h"
#include "journal-reader.h"
#include "log.h"
#include "macro.h"

struct JournalReader {
        sd_event *event;
        sd_journal *journal;
        sd_event_source *io_source;
        sd_event_source *poll_source;  /* follow-up polling and sd_journal_get_timeout() */
        sd_event_source *defer_source; /* continue a batch that hit the budget */
        JournalReaderCallbacks callbacks;
        void *userdata;
        bool has_matches;
        bool started;
        char *skip_cursor;             /* the entry we resumed at: already processed before the restart */
        char *replay_cursor;           /* replaying up to (and including) this entry: see journal_reader_start() */
        usec_t replay_until_usec;      /* realtime of that entry: past it, replay ends in any case */
        bool cursor_gone;              /* the resume cursor's entry no longer exists (vacuumed) */
        usec_t last_entry_usec;        /* CLOCK_MONOTONIC of the last batch with entries */
        uint64_t n_entries;
        uint64_t n_invalidations;
        usec_t started_usec;           /* CLOCK_MONOTONIC of journal_reader_start() */
        bool caught_up;                /* reached the end of the journal once (logged) */
};

static int reader_drain(JournalReader *r);

JournalReader *journal_reader_free(JournalReader *r) {
        if (!r)
                return NULL;
        sd_event_source_disable_unref(r->io_source);
        sd_event_source_disable_unref(r->poll_source);
        sd_event_source_disable_unref(r->defer_source);
        sd_journal_close(r->journal);
        sd_event_unref(r->event);
        free(r->skip_cursor);
        free(r->replay_cursor);
        free(r);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(JournalReader *, journal_reader_free);

uint64_t journal_reader_entries(const JournalReader *r) {
        return r->n_entries;
}

uint64_t journal_reader_invalidations(const JournalReader *r) {
        return r->n_invalidations;
}

bool journal_reader_replaying(const JournalReader *r) {
        return r->replay_cursor != NULL;
}

int journal_reader_get_cursor(JournalReader *r, char **ret) {
        return sd_journal_get_cursor(r->journal, ret);
}

/* Lets sd-journal look at its inotify events (new files after rotation, vacuum, journald restart). */
static void reader_process(JournalReader *r) {
        int k = sd_journal_process(r->journal);

        if (k == SD_JOURNAL_INVALIDATE) {
                r->n_invalidations++;
                log_debug("Journal files were added or removed (rotation, vacuum or journald restart).");
        } else if (k < 0)
                log_warning_errno(k, "Failed to process journal changes, ignoring: %m");
}

/* Arms the poll timer: every JOURNAL_READER_POLL_USEC while entries arrived within the linger time,
 * else only when sd-journal itself asks for a timeout (when it cannot use inotify). */
static void reader_rearm(JournalReader *r) {
        usec_t now = now_usec(CLOCK_MONOTONIC), when = USEC_INFINITY, t;
        int k;

        if (r->last_entry_usec > 0 && now < r->last_entry_usec + JOURNAL_READER_LINGER_USEC)
                when = now + JOURNAL_READER_POLL_USEC;
        if (sd_journal_get_timeout(r->journal, &t) >= 0 && t != USEC_INFINITY)
                when = MIN(when, t);

        if (when == USEC_INFINITY) {
                (void) sd_event_source_set_enabled(r->poll_source, SD_EVENT_OFF);
                return;
        }
        k = sd_event_source_set_time(r->poll_source, when);
        if (k >= 0)
                k = sd_event_source_set_enabled(r->poll_source, SD_EVENT_ONESHOT);
        if (k < 0)
                log_warning_errno(k, "Failed to arm the journal poll timer, ignoring: %m");
}

static int reader_drain(JournalReader *r) {
        unsigned n = 0;
        int k;

        while (n < JOURNAL_READER_BATCH) {
                k = sd_journal_next(r->journal);
                if (k < 0) {
                        log_warning_errno(k, "Failed to read the next journal entry, retrying later: %m");
                        break;
                }
                if (k == 0) {
                        if (!r->caught_up) {
                                r->caught_up = true;
                                log_info("Caught up with the journal: %" PRIu64 " entries read in %.3f s.", r->n_entries,
                                         (double) (now_usec(CLOCK_MONOTONIC) - r->started_usec) / USEC_PER_SEC);
                        }
                        break;
                }
                if (r->skip_cursor) {
                        /* The first entry after a resume: sd_journal_seek_cursor() puts us ON the cursor's
                         * entry, which was processed before. If it is gone, we are on the next one by time. */
                        k = sd_journal_test_cursor(r->journal, r->skip_cursor);
                        r->skip_cursor = mfree(r->skip_cursor);
                        if (k > 0)
                                continue;
                        r->cursor_gone = true;
                        log_warning("The journal entry of the saved cursor is gone (rotated and vacuumed away); "
                                    "continuing with the next entry by time.");
                }
                bool replay = false;
                if (r->replay_cursor) {
                        usec_t t = 0;

                        replay = true;
                        if (sd_journal_test_cursor(r->journal, r->replay_cursor) > 0) {
                                /* the last entry processed before: replayed, and from the next one on, live */
                                r->replay_cursor = mfree(r->replay_cursor);
                                log_info("Replayed the failures of the last find time; now reading new entries.");
                        } else if (sd_journal_get_realtime_usec(r->journal, &t) >= 0 && t > r->replay_until_usec) {
                                replay = false;
                                r->replay_cursor = mfree(r->replay_cursor);
                                log_warning("The saved journal position was not met while replaying; reading on "
                                            "from here as new entries.");
                        }
                }
                n++;
                if (!replay)
                        r->n_entries++;
                k = r->callbacks.entry(r->journal, replay, r->userdata);
                if (k < 0)
                        log_warning_errno(k, "Failed to handle a journal entry, ignoring: %m");
        }

        if (n > 0) {
                r->last_entry_usec = now_usec(CLOCK_MONOTONIC);
                if (r->callbacks.batch_done)
                        r->callbacks.batch_done(r->userdata);
        }
        if (n >= JOURNAL_READER_BATCH) {
                k = sd_event_source_set_enabled(r->defer_source, SD_EVENT_ONESHOT);
                if (k < 0)
                        log_warning_errno(k, "Failed to schedule the rest of the batch, ignoring: %m");
        }
        reader_rearm(r);
        return (int) n;
}

static int on_journal_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        JournalReader *r = userdata;

        reader_process(r);
        (void) reader_drain(r);
        return 0;
}

static int on_poll(sd_event_source *s, uint64_t usec, void *userdata) {
        JournalReader *r = userdata;

        reader_process(r);
        (void) reader_drain(r);
        return 0;
}

static int on_defer(sd_event_source *s, void *userdata) {
        return reader_drain(userdata) < 0 ? 0 : 0;
}

int journal_reader_new(sd_event *event, const char *directory, char *const *files,
                       const JournalReaderCallbacks *callbacks, void *userdata, JournalReader **ret) {
        _cleanup_(journal_reader_freep) JournalReader *r = NULL;
        int k;

        r = calloc(1, sizeof(JournalReader));
        if (!r)
                return -ENOMEM;
        r->event = sd_event_ref(event);
        r->callbacks = *callbacks;
        r->userdata = userdata;

        if (directory)
                k = sd_journal_open_directory(&r->journal, directory, 0);
        else if (files && files[0])
                k = sd_journal_open_files(&r->journal, (const char **) files, 0);
        else
                /* SD_JOURNAL_SYSTEM: system services and the kernel; user journals (entries that
                 * unprivileged users wrote, with SplitMode=uid) are not ours to act on. */
                k = sd_journal_open(&r->journal, SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_SYSTEM);
        if (k < 0)
                return k;
        k = journal_entry_setup(r->journal);
        if (k < 0)
                return k;

        *ret = TAKE_PTR(r);
        return 0;
}

int journal_reader_set_matches(JournalReader *r, JournalMatch *const *matches, size_t n) {
        int k;

        sd_journal_flush_matches(r->journal);
        r->has_matches = false;
        for (size_t i = 0; i < n; i++) {
                k = journal_match_add(matches[i], r->journal);
                if (k < 0)
                        return k;
                r->has_matches = r->has_matches || matches[i]->n_groups > 0;
        }
        return 0;
}

int journal_reader_start(JournalReader *r, const char *cursor, usec_t replay_usec, usec_t since_usec) {
        int fd, k;

        /* Matches must come after the positioning below (see the header). */
        if (r->has_matches || r->started)
                return -EBUSY;
        r->started_usec = now_usec(CLOCK_MONOTONIC);

        /* The fd first, so that the inotify watches exist before we look at the tail. */
        fd = sd_journal_get_fd(r->journal);
        if (fd < 0)
                return fd;

        if (cursor) {
                usec_t t = 0;

                /* Where is the saved entry, and is it still there? (No matches are set yet: the first
                 * next() after seek_cursor() is the cursor's own entry if it exists.) */
                k = sd_journal_seek_cursor(r->journal, cursor);
                if (k >= 0 && sd_journal_next(r->journal) > 0 && sd_journal_test_cursor(r->journal, cursor) > 0 &&
                    sd_journal_get_realtime_usec(r->journal, &t) >= 0 && replay_usec > 0 &&
                    t + replay_usec > now_usec(CLOCK_REALTIME)) {
                        /* Failures counted before the restart are lost with the process: read the last
                         * REPLAY_USEC again, counting only, up to the saved entry. */
                        r->replay_cursor = strdup(cursor);
                        if (!r->replay_cursor)
                                return -ENOMEM;
                        r->replay_until_usec = t;
                        k = sd_journal_seek_realtime_usec(r->journal, now_usec(CLOCK_REALTIME) - replay_usec);
                        if (k < 0)
                                return k;
                } else if (k >= 0) {
                        k = sd_journal_seek_cursor(r->journal, cursor);
                        if (k < 0)
                                return k;
                        r->skip_cursor = strdup(cursor);
                        if (!r->skip_cursor)
                                return -ENOMEM;
                } else
                        log_warning_errno(k, "Saved journal cursor is not valid, starting at the tail: %m");
        }
        if (!r->skip_cursor && !r->replay_cursor && since_usec > 0) {
                k = sd_journal_seek_realtime_usec(r->journal, since_usec);
                if (k < 0)
                        return k;
        } else if (!r->skip_cursor && !r->replay_cursor) {
                k = sd_journal_seek_tail(r->journal);
                if (k < 0)
                        return k;
                k = sd_journal_previous(r->journal);
                if (k < 0)
                        return k;
                if (k == 0) {
                        /* empty journal: everything that comes is new */
                        k = sd_journal_seek_head(r->journal);
                        if (k < 0)
                                return k;
                }
        }

        k = sd_event_add_io(r->event, &r->io_source, fd, (uint32_t) sd_journal_get_events(r->journal),
                            on_journal_io, r);
        if (k < 0)
                return k;
        (void) sd_event_source_set_description(r->io_source, "journal-io");
        k = sd_event_add_time(r->event, &r->poll_source, CLOCK_MONOTONIC, USEC_INFINITY,
                              5 * USEC_PER_MSEC, on_poll, r);
        if (k < 0)
                return k;
        (void) sd_event_source_set_enabled(r->poll_source, SD_EVENT_OFF);
        (void) sd_event_source_set_description(r->poll_source, "journal-poll");
        k = sd_event_add_defer(r->event, &r->defer_source, on_defer, r);
        if (k < 0)
                return k;
        /* Read what is there at once (entries written while we were stopped, a --since catch-up): without
         * this they would wait for the next write to the journal. */
        (void) sd_event_source_set_enabled(r->defer_source, SD_EVENT_ONESHOT);
        (void) sd_event_source_set_description(r->defer_source, "journal-continue");
        r->started = true;
        return 0;
}
