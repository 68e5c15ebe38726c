/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <systemd/sd-journal.h>

/* A journal field match in journalctl's syntax and meaning:
 *   "A=1 A=2 B=3 + C=4"  →  ((A=1 OR A=2) AND B=3) OR C=4
 * Same field twice = OR, different fields = AND, "+" = OR of groups. Field names are what journald
 * accepts: upper-case letters, digits and '_' (not starting with a digit). Values are raw bytes after the
 * first '='; they end at the next blank (as journalctl gets them from the shell, split on blanks). */

typedef struct JournalMatchTerm {
        char *field;   /* "_SYSTEMD_UNIT" */
        char *term;    /* "_SYSTEMD_UNIT=ssh.service" as handed to sd_journal_add_match() */
        size_t field_len;
} JournalMatchTerm;

typedef struct JournalMatchGroup {
        JournalMatchTerm *terms; /* sorted by field, so that the ORed terms of one field are adjacent */
        size_t n_terms;
} JournalMatchGroup;

typedef struct JournalMatch {
        JournalMatchGroup *groups;
        size_t n_groups;
        char *text; /* normalised text, for display */
} JournalMatch;

/* Returns 0, or -EINVAL with *ret_error (owned) naming the offending term. An empty string parses to a
 * match with no groups, which matches every entry. */
int journal_match_parse(const char *s, JournalMatch **ret, char **ret_error);
JournalMatch *journal_match_free(JournalMatch *m);

/* Adds the match's groups to J, each followed by sd_journal_add_disjunction(), so that the matches of
 * several jails added one after another are ORed (the daemon's one handle). */
int journal_match_add(const JournalMatch *m, sd_journal *j);

/* Whether the entry J currently points at satisfies the match (fields are read with
 * sd_journal_get_data(): when an entry carries one field several times, only the first value counts).
 * Returns 1, 0 or a negative errno. */
int journal_match_test(const JournalMatch *m, sd_journal *j);

/* The same test with the fields supplied by GET: it returns 1 with *ret_item pointing at the whole item
 * "FIELD=VALUE" (not NUL-terminated), 0 when the entry has no such field, or a negative errno. Used by the
 * daemon with the fields journal_entry_load() collected in its single pass (journal_entry_watch()). */
typedef int (*journal_match_get_t)(const char *field, const void **ret_item, size_t *ret_len, void *userdata);
int journal_match_test_with(const JournalMatch *m, journal_match_get_t get, void *userdata);

/* Adds the names of the fields M looks at to FIELDS (a GPtrArray of owned strings; no duplicates). */
void journal_match_collect_fields(const JournalMatch *m, GPtrArray *fields);

/* Whether the match only relies on fields a local client chooses itself (SYSLOG_IDENTIFIER, _COMM,
 * MESSAGE…): every group lacks a trusted field (_SYSTEMD_UNIT, _EXE, _UID, _SYSTEMD_CGROUP, …). */
bool journal_match_is_forgeable(const JournalMatch *m);
