/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>
#include <systemd/sd-journal.h>

#include "journal-match.h"
#include "time-util.h"

/* Follows the journal with ONE sd-journal handle inside the sd-event loop.
 *
 * Wake-ups: the journal's inotify fd is an io source. journald batches its change notifications, so a
 * reader that only waits for inotify sees an entry 0.25-0.5 s after it was written, although the entry
 * is in the file within milliseconds. So once entries arrive, the reader also polls every
 * JOURNAL_READER_POLL_USEC until JOURNAL_READER_LINGER_USEC have passed without a new entry: the rest of a
 * burst (an attacker's next attempts) is seen at once, and an idle daemon has no periodic wake-up.
 *
 * Each wake-up processes at most JOURNAL_READER_BATCH entries, then calls batch_done (the commit point:
 * one nft transaction per batch) and, if more are pending, continues from a defer source so that other
 * event sources (signals, D-Bus) are not starved.
 *
 * Positioning: at start the handle is put on the last entry of the journal BEFORE any match is added
 * (seek_tail + previous), so that the first sd_journal_next() with matches returns the first matching
 * entry written after the start; with matches added first, entries of a burst would be skipped
 * (systemd 252). Replacing the matches (reload) keeps the position. */

#define JOURNAL_READER_BATCH 1000U
#define JOURNAL_READER_POLL_USEC (50 * USEC_PER_MSEC)
#define JOURNAL_READER_LINGER_USEC (2 * USEC_PER_SEC)

typedef struct JournalReader JournalReader;

typedef struct JournalReaderCallbacks {
        /* Called with J on each entry. REPLAY: an entry processed before a restart, read again only to rebuild
         * the failure counts (it must not ban). A negative return is logged, and reading goes on. */
        int (*entry)(sd_journal *j, bool replay, void *userdata);
        /* Called after each batch that had at least one entry. */
        void (*batch_done)(void *userdata);
} JournalReaderCallbacks;

/* DIRECTORY or FILES (NULL-terminated) select what to read; neither = the local system journal. */
int journal_reader_new(sd_event *event, const char *directory, char *const *files,
                       const JournalReaderCallbacks *callbacks, void *userdata, JournalReader **ret);
JournalReader *journal_reader_free(JournalReader *r);

/* Replaces the matches by the OR of MATCHES (the jails' matches). An empty list reads nothing. */
int journal_reader_set_matches(JournalReader *r, JournalMatch *const *matches, size_t n);

/* Positions and starts watching:
 *  - with CURSOR (the last entry processed before a restart): right after it. Failure counts live in
 *    memory and died with the old process, so when that entry is younger than REPLAY_USEC (the longest
 *    findtime), the entries of the last REPLAY_USEC up to and including it are read again first, flagged
 *    as replay (count, never ban). If the cursor's entry is gone (vacuumed), reading continues with the
 *    next entry by time and a warning says so;
 *  - else at SINCE_USEC (CLOCK_REALTIME) when not 0, else at the tail.
 * Call it before the first journal_reader_set_matches() (-EBUSY otherwise): matches added before the
 * positioning make sd-journal skip entries. */
int journal_reader_start(JournalReader *r, const char *cursor, usec_t replay_usec, usec_t since_usec);

/* Whether the entries read so far are still the replay of a restart (their position must not be saved:
 * it lies before what was processed already). */
bool journal_reader_replaying(const JournalReader *r);

/* The cursor of the last entry read (after a batch: the one to resume after). */
int journal_reader_get_cursor(JournalReader *r, char **ret);

uint64_t journal_reader_entries(const JournalReader *r);
uint64_t journal_reader_invalidations(const JournalReader *r);
