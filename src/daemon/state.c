/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <glib.h>
#include <limits.h>
#include <sqlite3.h>

#include "macro.h"
#include "state.h"

#define STATE_SCHEMA_VERSION 3

struct State {
        sqlite3 *db;
        sqlite3_stmt *put_ban;
        sqlite3_stmt *delete_ban;
        sqlite3_stmt *delete_expired;
        sqlite3_stmt *delete_jail;
        sqlite3_stmt *set_cursor;
        sqlite3_stmt *add_history;
        sqlite3_stmt *count_history;
        sqlite3_stmt *count_history_jail;
        sqlite3_stmt *prune_history;
        bool in_transaction;
};

/* Version 1. end_usec is -1 for a permanent ban (SQLite integers are signed 64-bit). */
static const char schema_v1[] =
        "CREATE TABLE IF NOT EXISTS meta ("
        "  key TEXT PRIMARY KEY NOT NULL,"
        "  value TEXT NOT NULL);"
        "CREATE TABLE IF NOT EXISTS bans ("
        "  jail TEXT NOT NULL,"
        "  address TEXT NOT NULL,"
        "  start_usec INTEGER NOT NULL,"
        "  end_usec INTEGER NOT NULL,"
        "  failures INTEGER NOT NULL,"
        "  ban_count INTEGER NOT NULL,"
        "  PRIMARY KEY (jail, address));"
        "CREATE INDEX IF NOT EXISTS bans_end ON bans (end_usec);";

/* Version 2: the history of bans, for escalation (bantime.increment) and its pruning (dbpurgeage). */
static const char schema_v2[] =
        "CREATE TABLE IF NOT EXISTS history ("
        "  jail TEXT NOT NULL,"
        "  address TEXT NOT NULL,"
        "  time_usec INTEGER NOT NULL);"
        "CREATE INDEX IF NOT EXISTS history_address ON history (address, time_usec);"
        "CREATE INDEX IF NOT EXISTS history_time ON history (time_usec);";

/* Version 3: a ban is of a prefix. The key becomes (jail, address, prefixlen) — the host 10.0.0.0 and the
 * prefix 10.0.0.0/24 are different bans — so the table is rebuilt (SQLite cannot change a primary key);
 * every row of v2 becomes a host prefix: /128 when the address has a ':', else /32. */
static const char schema_v3[] =
        "CREATE TABLE bans_v3 ("
        "  jail TEXT NOT NULL,"
        "  address TEXT NOT NULL,"
        "  prefixlen INTEGER NOT NULL,"
        "  start_usec INTEGER NOT NULL,"
        "  end_usec INTEGER NOT NULL,"
        "  failures INTEGER NOT NULL,"
        "  ban_count INTEGER NOT NULL,"
        "  PRIMARY KEY (jail, address, prefixlen));"
        "INSERT INTO bans_v3 (jail, address, prefixlen, start_usec, end_usec, failures, ban_count) "
        "  SELECT jail, address, CASE WHEN instr(address, ':') > 0 THEN 128 ELSE 32 END, start_usec, end_usec, "
        "         failures, ban_count FROM bans;"
        "DROP TABLE bans;"
        "ALTER TABLE bans_v3 RENAME TO bans;"
        "CREATE INDEX bans_end ON bans (end_usec);";

static int errno_from_sqlite(int rc) {
        switch (rc & 0xff) {
        case SQLITE_NOMEM:
                return -ENOMEM;
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB:
                return -EBADMSG;
        case SQLITE_CANTOPEN:
                return -ENOENT;
        case SQLITE_READONLY:
        case SQLITE_PERM:
        case SQLITE_AUTH:
                return -EACCES;
        case SQLITE_FULL:
                return -ENOSPC;
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
                return -EBUSY;
        case SQLITE_IOERR:
                return -EIO;
        default:
                return -EIO;
        }
}

static int exec_sql(State *s, const char *sql, char **ret_error) {
        char *msg = NULL;
        int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);

        if (rc != SQLITE_OK) {
                if (ret_error)
                        *ret_error = g_strdup(msg ? msg : sqlite3_errstr(rc));
                sqlite3_free(msg);
                return errno_from_sqlite(rc);
        }
        return 0;
}

static int prepare(State *s, const char *sql, sqlite3_stmt **ret) {
        int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, ret, NULL);

        return rc == SQLITE_OK ? 0 : errno_from_sqlite(rc);
}

State *state_free(State *s) {
        if (!s)
                return NULL;
        if (s->in_transaction)
                state_rollback(s);
        sqlite3_finalize(s->put_ban);
        sqlite3_finalize(s->delete_ban);
        sqlite3_finalize(s->delete_expired);
        sqlite3_finalize(s->delete_jail);
        sqlite3_finalize(s->set_cursor);
        sqlite3_finalize(s->add_history);
        sqlite3_finalize(s->count_history);
        sqlite3_finalize(s->count_history_jail);
        sqlite3_finalize(s->prune_history);
        sqlite3_close_v2(s->db);
        free(s);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(State *, state_free);

static int state_migrate(State *s, char **ret_error) {
        sqlite3_stmt *st = NULL;
        int version, r;

        r = prepare(s, "PRAGMA user_version", &st);
        if (r < 0)
                return r;
        if (sqlite3_step(st) != SQLITE_ROW) {
                r = errno_from_sqlite(sqlite3_errcode(s->db));
                sqlite3_finalize(st);
                if (ret_error)
                        *ret_error = g_strdup(sqlite3_errmsg(s->db));
                return r;
        }
        version = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);

        if (version > STATE_SCHEMA_VERSION) {
                if (ret_error)
                        *ret_error = g_strdup_printf("database schema version %d is newer than this portcullis "
                                                     "(%d): refusing to touch it", version, STATE_SCHEMA_VERSION);
                return -EPROTONOSUPPORT;
        }
        if (version == STATE_SCHEMA_VERSION)
                return 0;

        /* Each step in its own transaction: 0 → 1 (a new database), 1 → 2 (ban history), 2 → 3 (prefixes). */
        static const char *const steps[] = { schema_v1, schema_v2, schema_v3 };
        for (int v = version; v < STATE_SCHEMA_VERSION; v++) {
                g_autofree char *sql = g_strdup_printf("BEGIN IMMEDIATE; %s PRAGMA user_version = %d; COMMIT;",
                                                       steps[v], v + 1);

                r = exec_sql(s, sql, ret_error);
                if (r < 0) {
                        (void) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
                        return r;
                }
        }
        return 0;
}

int state_open(const char *dir, State **ret, char **ret_error) {
        _cleanup_(state_freep) State *s = NULL;
        g_autofree char *path = g_build_filename(dir, STATE_DB_NAME, NULL);
        int rc, r;

        if (g_mkdir_with_parents(dir, 0700) < 0) {
                r = -errno;
                if (ret_error)
                        *ret_error = g_strdup_printf("cannot create %s: %s", dir, g_strerror(-r));
                return r;
        }
        s = calloc(1, sizeof(State));
        if (!s)
                return -ENOMEM;
        rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
        if (rc != SQLITE_OK) {
                if (ret_error)
                        *ret_error = g_strdup(s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
                return errno_from_sqlite(rc);
        }
        (void) sqlite3_extended_result_codes(s->db, 1);
        /* a writer that holds the lock (another instance, a backup): wait a little, never for long: the
         * event loop must not block */
        (void) sqlite3_busy_timeout(s->db, 200);

        /* WAL: readers never block the writer; synchronous=NORMAL: a commit is durable against a crash of
         * the process (kill -9), and the database stays consistent on power loss. */
        r = exec_sql(s, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                     ret_error);
        if (r < 0)
                return r;
        r = state_migrate(s, ret_error);
        if (r < 0)
                return r;
        /* A quick structural check: catches a damaged file at start instead of at the first write. */
        r = exec_sql(s, "PRAGMA quick_check(1)", ret_error);
        if (r < 0)
                return r;

        if (prepare(s, "INSERT OR REPLACE INTO bans (jail, address, prefixlen, start_usec, end_usec, failures, "
                       "ban_count) VALUES (?1, ?2, ?7, ?3, ?4, ?5, ?6)", &s->put_ban) < 0 ||
            prepare(s, "DELETE FROM bans WHERE jail = ?1 AND address = ?2 AND prefixlen = ?3", &s->delete_ban) < 0 ||
            prepare(s, "DELETE FROM bans WHERE end_usec >= 0 AND end_usec <= ?1", &s->delete_expired) < 0 ||
            prepare(s, "DELETE FROM bans WHERE jail = ?1", &s->delete_jail) < 0 ||
            prepare(s, "INSERT OR REPLACE INTO meta (key, value) VALUES ('cursor', ?1)", &s->set_cursor) < 0 ||
            prepare(s, "INSERT INTO history (jail, address, time_usec) VALUES (?1, ?2, ?3)", &s->add_history) < 0 ||
            prepare(s, "SELECT count(*) FROM history WHERE address = ?1 AND time_usec > ?2", &s->count_history) < 0 ||
            prepare(s, "SELECT count(*) FROM history WHERE address = ?1 AND time_usec > ?2 AND jail = ?3",
                    &s->count_history_jail) < 0 ||
            prepare(s, "DELETE FROM history WHERE time_usec <= ?1", &s->prune_history) < 0) {
                if (ret_error)
                        *ret_error = g_strdup(sqlite3_errmsg(s->db));
                return errno_from_sqlite(sqlite3_errcode(s->db));
        }

        *ret = TAKE_PTR(s);
        return 0;
}

int state_quarantine(const char *dir, char **ret_path) {
        static const char *const suffixes[] = { "", "-wal", "-shm" };
        g_autofree char *target = g_strdup_printf("%s/%s.corrupt-%" G_GINT64_FORMAT, dir, STATE_DB_NAME,
                                                  g_get_real_time() / G_USEC_PER_SEC);

        for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
                g_autofree char *from = g_strdup_printf("%s/%s%s", dir, STATE_DB_NAME, suffixes[i]);
                g_autofree char *to = g_strdup_printf("%s%s", target, suffixes[i]);

                if (rename(from, to) < 0 && errno != ENOENT)
                        return -errno;
        }
        if (ret_path)
                *ret_path = g_steal_pointer(&target);
        return 0;
}

int state_begin(State *s) {
        int r;

        if (s->in_transaction)
                return 0;
        r = exec_sql(s, "BEGIN IMMEDIATE", NULL);
        if (r >= 0)
                s->in_transaction = true;
        return r;
}

int state_commit(State *s) {
        int r;

        if (!s->in_transaction)
                return 0;
        r = exec_sql(s, "COMMIT", NULL);
        if (r < 0) {
                state_rollback(s);
                return r;
        }
        s->in_transaction = false;
        return 0;
}

void state_rollback(State *s) {
        (void) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        s->in_transaction = false;
}

/* Runs a prepared statement that returns no rows; resets it for the next use. */
static int step_done(State *s, sqlite3_stmt *st) {
        int rc = sqlite3_step(st);

        (void) sqlite3_reset(st);
        (void) sqlite3_clear_bindings(st);
        return rc == SQLITE_DONE ? sqlite3_changes(s->db) : errno_from_sqlite(rc);
}

static sqlite3_int64 end_to_db(usec_t end) {
        return end == USEC_INFINITY ? -1 : (sqlite3_int64) end;
}

int state_put_ban(State *s, const Ban *b) {
        char addr[ADDRESS_STRING_MAX];

        (void) address_to_string(&b->address, addr);
        sqlite3_bind_text(s->put_ban, 1, b->jail, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s->put_ban, 2, addr, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(s->put_ban, 3, (sqlite3_int64) b->start_usec);
        sqlite3_bind_int64(s->put_ban, 4, end_to_db(b->end_usec));
        sqlite3_bind_int64(s->put_ban, 5, b->failures);
        sqlite3_bind_int64(s->put_ban, 6, b->ban_count);
        /* a Ban made by code that only knows hosts has no prefix length: it is a host */
        sqlite3_bind_int64(s->put_ban, 7, b->prefix.prefixlen ?: (b->address.family == AF_INET ? 32 : 128));
        return step_done(s, s->put_ban);
}

int state_delete_ban_prefix(State *s, const char *jail, const AddressPrefix *prefix) {
        char addr[ADDRESS_STRING_MAX];

        (void) address_to_string(&prefix->address, addr);
        sqlite3_bind_text(s->delete_ban, 1, jail, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s->delete_ban, 2, addr, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(s->delete_ban, 3, prefix->prefixlen);
        return step_done(s, s->delete_ban);
}

int state_delete_ban(State *s, const char *jail, const Address *address) {
        AddressPrefix p = ban_host_prefix(address);

        return state_delete_ban_prefix(s, jail, &p);
}

int state_delete_expired(State *s, usec_t now) {
        sqlite3_bind_int64(s->delete_expired, 1, (sqlite3_int64) now);
        return step_done(s, s->delete_expired);
}

int state_delete_jail(State *s, const char *jail) {
        sqlite3_bind_text(s->delete_jail, 1, jail, -1, SQLITE_TRANSIENT);
        return step_done(s, s->delete_jail);
}

int state_set_cursor(State *s, const char *cursor) {
        sqlite3_bind_text(s->set_cursor, 1, cursor, -1, SQLITE_TRANSIENT);
        return step_done(s, s->set_cursor);
}

int state_get_cursor(State *s, char **ret) {
        sqlite3_stmt *st = NULL;
        int rc, r;

        r = prepare(s, "SELECT value FROM meta WHERE key = 'cursor'", &st);
        if (r < 0)
                return r;
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
                *ret = g_strdup((const char *) sqlite3_column_text(st, 0));
        else if (rc == SQLITE_DONE)
                *ret = NULL;
        else
                r = errno_from_sqlite(rc);
        sqlite3_finalize(st);
        return r;
}

int state_foreach_ban(State *s, usec_t now, state_ban_callback_t cb, void *userdata, unsigned *ret_skipped) {
        sqlite3_stmt *st = NULL;
        unsigned skipped = 0;
        int rc, r, n = 0;

        r = prepare(s, "SELECT jail, address, start_usec, end_usec, failures, ban_count, prefixlen FROM bans "
                       "WHERE end_usec < 0 OR end_usec > ?1", &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, (sqlite3_int64) now);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                const char *jail = (const char *) sqlite3_column_text(st, 0);
                const char *addr = (const char *) sqlite3_column_text(st, 1);
                sqlite3_int64 start = sqlite3_column_int64(st, 2), end = sqlite3_column_int64(st, 3);
                sqlite3_int64 failures = sqlite3_column_int64(st, 4), count = sqlite3_column_int64(st, 5);
                sqlite3_int64 prefixlen = sqlite3_column_int64(st, 6);
                AddressPrefix p;

                if (!jail || !addr || address_parse(addr, &p.address) < 0 || start < 0 || failures < 0 ||
                    count < 0 || failures > UINT32_MAX || count > UINT32_MAX || prefixlen < 1 ||
                    prefixlen > (p.address.family == AF_INET ? 32 : 128)) {
                        skipped++;
                        continue;
                }
                /* a row written by hand may have host bits set below the prefix: nft would mask them too */
                p.prefixlen = (unsigned) prefixlen;
                address_mask(&p.address, p.prefixlen);
                cb(jail, &p, (usec_t) start, end < 0 ? USEC_INFINITY : (usec_t) end, (unsigned) failures,
                   (unsigned) count, userdata);
                n++;
        }
        if (rc != SQLITE_DONE)
                r = errno_from_sqlite(rc);
        sqlite3_finalize(st);
        if (ret_skipped)
                *ret_skipped = skipped;
        return r < 0 ? r : n;
}

int state_add_history(State *s, const char *jail, const Address *address, usec_t when) {
        AddressPrefix p = ban_host_prefix(address);

        return state_add_history_prefix(s, jail, &p, when);
}

int state_add_history_prefix(State *s, const char *jail, const AddressPrefix *prefix, usec_t when) {
        char addr[ADDRESS_STRING_MAX];

        (void) address_prefix_to_string(prefix, addr);
        sqlite3_bind_text(s->add_history, 1, jail, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s->add_history, 2, addr, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(s->add_history, 3, (sqlite3_int64) when);
        return step_done(s, s->add_history);
}

int state_count_history(State *s, const char *jail, const Address *address, usec_t since) {
        AddressPrefix p = ban_host_prefix(address);

        return state_count_history_prefix(s, jail, &p, since);
}

int state_count_history_prefix(State *s, const char *jail, const AddressPrefix *prefix, usec_t since) {
        sqlite3_stmt *st = jail ? s->count_history_jail : s->count_history;
        char addr[ADDRESS_STRING_MAX];
        int rc, n = 0;

        (void) address_prefix_to_string(prefix, addr);
        sqlite3_bind_text(st, 1, addr, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, (sqlite3_int64) since);
        if (jail)
                sqlite3_bind_text(st, 3, jail, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
                n = (int) MIN(sqlite3_column_int64(st, 0), (sqlite3_int64) INT_MAX);
        (void) sqlite3_reset(st);
        (void) sqlite3_clear_bindings(st);
        return rc == SQLITE_ROW ? n : errno_from_sqlite(rc);
}

int state_prune_history(State *s, usec_t before) {
        sqlite3_bind_int64(s->prune_history, 1, (sqlite3_int64) before);
        return step_done(s, s->prune_history);
}
