/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <systemd/sd-journal.h>

#include "time-util.h"

/* The line a fail2ban-format filter sees for one journal entry, built as fail2ban's systemd backend
 * does, so that existing filters behave the same:
 *     "_HOSTNAME IDENT[PID]: MESSAGE"
 * IDENT is SYSLOG_IDENTIFIER, else _COMM; PID is SYSLOG_PID, else _PID ("[PID]" is left out when
 * neither exists, "IDENT:" when there is no identifier at all); kernel entries get the monotonic time
 * "[%12.6f]" after "kernel:". Elements that are missing are left out with their separating blank.
 *
 * One JournalEntry is reused for every entry: its buffers grow to the longest line seen and are never
 * shrunk, so the per-entry path does not allocate. All fields come from ONE pass of
 * sd_journal_enumerate_data() (measured: four sd_journal_get_data() calls cost 1.7x as much), and are
 * copied out at once, because sd-journal's pointers are only valid until its next call. */

#define JOURNAL_LINE_MAX (64U * 1024U) /* longer MESSAGEs are not matched at all (counted as skipped) */

/* A field the caller wants from the same pass (journal matches of several jails): the first item
 * "FIELD=VALUE" of that field, copied. */
typedef struct JournalEntryWatch {
        char *name;        /* "FIELD=" */
        size_t name_len;
        char *item;        /* "FIELD=VALUE" of the current entry, valid when present */
        size_t item_len;
        size_t item_size;
        bool present;
} JournalEntryWatch;

typedef struct JournalEntry {
        char *line;
        size_t line_len;
        size_t line_size;
        size_t message_offset; /* MESSAGE starts here within line */
        char *message;         /* scratch copy of MESSAGE */
        size_t message_len;
        size_t message_size;
        bool have_time;
        bool time_known_absent; /* the whole entry was scanned: no _SOURCE_REALTIME_TIMESTAMP */
        usec_t time_usec;
        JournalEntryWatch *watch;
        size_t n_watch;
        size_t n_watch_present;
} JournalEntry;

void journal_entry_done(JournalEntry *e);

/* Call once on a journal handle before reading entries with journal_entry_load(): sets the data
 * threshold so that a MESSAGE over JOURNAL_LINE_MAX is recognised (sd-journal truncates to it). */
int journal_entry_setup(sd_journal *j);

/* Loads the entry J points at. Returns 1 when the line was built, 0 when the entry has no MESSAGE or
 * one longer than JOURNAL_LINE_MAX (nothing to match), or a negative errno. */
int journal_entry_load(JournalEntry *e, sd_journal *j);

/* Also collect FIELDS (names without '=') in journal_entry_load()'s pass, for journal_entry_get_item();
 * replaces an earlier set. n == 0 collects none (the fastest: the pass stops as soon as the line is
 * complete). Returns 0 or -ENOMEM. */
int journal_entry_watch(JournalEntry *e, char *const *fields, size_t n);
/* journal_match_get_t for watched fields (USERDATA is the JournalEntry): 1 with the item, 0 when the
 * entry has no such field, -ENOKEY when FIELD is not watched. */
int journal_entry_get_item(const char *field, const void **ret_item, size_t *ret_len, void *userdata);

/* Builds the line from given fields instead of a journal entry (portcullisctl test-filter --message=):
 * exactly the line journal_entry_load() builds for an entry with these fields. NULL leaves a part out. */
int journal_entry_set(JournalEntry *e, const char *hostname, const char *identifier, const char *pid,
                      const char *message, usec_t time_usec);

/* The entry's time: _SOURCE_REALTIME_TIMESTAMP when present and sane, else __REALTIME_TIMESTAMP
 * (looked up on demand: only entries that matched need it). Call after journal_entry_load(). */
int journal_entry_get_time(JournalEntry *e, sd_journal *j, usec_t *ret);
