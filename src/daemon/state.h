/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "ban.h"
#include "time-util.h"

/* Persistent state in one SQLite database (STATE_DIR/portcullis.db, WAL mode): the active bans and the
 * journal cursor, written together in one transaction per batch of journal entries, so that after a crash
 * the cursor never points past an entry whose ban was lost, and never before one whose ban was kept
 * (nothing missed, nothing counted twice). The schema version is PRAGMA user_version; state_open()
 * migrates older versions forward and refuses newer ones.
 *
 * Non-logging: errors come back as negative errno plus a message where the caller needs one. */

typedef struct State State;

#define STATE_DB_NAME "portcullis.db"

/* Opens (creating if needed) DIR/portcullis.db. A file that is not a usable database gives -EBADMSG
 * (the caller moves it aside with state_quarantine() and tries again); an unusable directory gives the
 * errno of the failure. *ret_error (may be NULL) gets SQLite's message. */
int state_open(const char *dir, State **ret, char **ret_error);
State *state_free(State *s);

/* Renames a damaged database (and its -wal/-shm files) to NAME.corrupt-<seconds since the epoch>, never
 * deleting anything. Returns 0 and the new name in *ret_path (owned), or a negative errno. */
int state_quarantine(const char *dir, char **ret_path);

/* A write transaction. Everything between begin and commit is one atomic unit. */
int state_begin(State *s);
int state_commit(State *s);
void state_rollback(State *s);

/* A ban row is (jail, network address, prefix length): schema v3 added prefixlen, rows of v2 became
 * host prefixes (/32, /128). */
int state_put_ban(State *s, const Ban *b);
int state_delete_ban(State *s, const char *jail, const Address *address);
int state_delete_ban_prefix(State *s, const char *jail, const AddressPrefix *prefix);
/* Deletes every ban with an end at or before NOW (permanent bans are kept). Returns the number deleted. */
int state_delete_expired(State *s, usec_t now);
/* Deletes every ban of JAIL (a jail that a reload removed). */
int state_delete_jail(State *s, const char *jail);

int state_set_cursor(State *s, const char *cursor);
/* *ret is NULL when there is none yet. */
int state_get_cursor(State *s, char **ret);

/* Calls cb for every stored ban whose end is after NOW (or that is permanent). Rows that do not parse are
 * skipped and counted in *ret_skipped (may be NULL). Returns the number of bans passed to cb. */
typedef void (*state_ban_callback_t)(const char *jail, const AddressPrefix *prefix, usec_t start_usec,
                                     usec_t end_usec, unsigned failures, unsigned ban_count, void *userdata);
int state_foreach_ban(State *s, usec_t now, state_ban_callback_t cb, void *userdata, unsigned *ret_skipped);

/* The history of bans, for escalation: one row per ban. state_count_history() counts the bans of ADDRESS
 * after SINCE, in JAIL or in every jail (NULL). state_prune_history() drops rows at or before BEFORE
 * (dbpurgeage). The _prefix variants do the same for a prefix ban (stored as "NET/LEN"; a host prefix is
 * the bare address, so both name the same rows for hosts). */
int state_add_history(State *s, const char *jail, const Address *address, usec_t when);
int state_count_history(State *s, const char *jail, const Address *address, usec_t since);
int state_add_history_prefix(State *s, const char *jail, const AddressPrefix *prefix, usec_t when);
int state_count_history_prefix(State *s, const char *jail, const AddressPrefix *prefix, usec_t since);
int state_prune_history(State *s, usec_t before);
