/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "macro.h"
#include "state.h"

static char *make_dir(void) {
        g_autoptr(GError) error = NULL;
        char *d = g_dir_make_tmp("test-state-XXXXXX", &error);

        g_assert_no_error(error);
        return d;
}

static void remove_dir(char *d) {
        g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", d);

        g_assert_cmpint(system(cmd), ==, 0);
        g_free(d);
}

static Ban make_ban(const char *jail, const char *addr, usec_t start, usec_t end) {
        Ban b = { .jail = (char *) jail, .start_usec = start, .end_usec = end, .failures = 5, .ban_count = 1 };

        g_assert_cmpint(address_prefix_parse(addr, &b.prefix), ==, 0);
        return b;
}

static void collect(const char *jail, const AddressPrefix *a, usec_t start, usec_t end, unsigned failures,
                    unsigned ban_count, void *userdata) {
        char buf[ADDRESS_STRING_MAX];

        g_ptr_array_add(userdata, g_strdup_printf("%s %s %" G_GUINT64_FORMAT " %s %u %u", jail,
                                                  address_prefix_to_string(a, buf), start,
                                                  end == USEC_INFINITY ? "permanent" : "timed", failures, ban_count));
}

static int compare_strings(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static GPtrArray *list(State *s, usec_t now) {
        GPtrArray *l = g_ptr_array_new_with_free_func(g_free);
        unsigned skipped = 99;

        g_assert_cmpint(state_foreach_ban(s, now, collect, l, &skipped), >=, 0);
        g_assert_cmpuint(skipped, ==, 0);
        g_ptr_array_sort(l, compare_strings);
        return l;
}

static void test_roundtrip(void) {
        char *dir = make_dir();
        State *s = NULL;
        g_autofree char *error = NULL, *cursor = NULL;

        g_assert_cmpint(state_open(dir, &s, &error), ==, 0);
        g_assert_cmpint(state_get_cursor(s, &cursor), ==, 0);
        g_assert_null(cursor);

        /* one batch: bans and the cursor together */
        g_assert_cmpint(state_begin(s), ==, 0);
        Ban b1 = make_ban("sshd", "192.0.2.1", 1000, 5000), b2 = make_ban("sshd", "2001:db8::2", 1000, USEC_INFINITY),
            b3 = make_ban("web", "192.0.2.1", 1000, 2000);
        g_assert_cmpint(state_put_ban(s, &b1), ==, 1);
        g_assert_cmpint(state_put_ban(s, &b2), ==, 1);
        g_assert_cmpint(state_put_ban(s, &b3), ==, 1);
        g_assert_cmpint(state_set_cursor(s, "s=abc;i=1"), ==, 1);
        g_assert_cmpint(state_commit(s), ==, 0);

        /* a rolled-back batch leaves nothing behind */
        g_assert_cmpint(state_begin(s), ==, 0);
        Ban b4 = make_ban("sshd", "192.0.2.4", 1000, 9000);
        g_assert_cmpint(state_put_ban(s, &b4), ==, 1);
        g_assert_cmpint(state_set_cursor(s, "s=abc;i=2"), ==, 1);
        state_rollback(s);
        s = state_free(s);

        /* reopen: what was committed is there; at now=1500 all three are active */
        g_assert_cmpint(state_open(dir, &s, &error), ==, 0);
        g_assert_cmpint(state_get_cursor(s, &cursor), ==, 0);
        g_assert_cmpstr(cursor, ==, "s=abc;i=1");
        g_autoptr(GPtrArray) l = list(s, 1500);
        g_assert_cmpuint(l->len, ==, 3);
        g_assert_cmpstr(l->pdata[0], ==, "sshd 192.0.2.1 1000 timed 5 1");
        g_assert_cmpstr(l->pdata[1], ==, "sshd 2001:db8::2 1000 permanent 5 1");
        g_assert_cmpstr(l->pdata[2], ==, "web 192.0.2.1 1000 timed 5 1");

        /* at now=3000 the web ban is over; deleting expired rows keeps permanent ones */
        g_autoptr(GPtrArray) l2 = list(s, 3000);
        g_assert_cmpuint(l2->len, ==, 2);
        g_assert_cmpint(state_delete_expired(s, 6000), ==, 2);
        g_autoptr(GPtrArray) l3 = list(s, 6000);
        g_assert_cmpuint(l3->len, ==, 1);
        g_assert_cmpstr(l3->pdata[0], ==, "sshd 2001:db8::2 1000 permanent 5 1");

        /* replace, delete, delete a jail */
        b2.ban_count = 3;
        g_assert_cmpint(state_put_ban(s, &b2), ==, 1);
        g_autoptr(GPtrArray) l4 = list(s, 6000);
        g_assert_cmpstr(l4->pdata[0], ==, "sshd 2001:db8::2 1000 permanent 5 3");
        g_assert_cmpint(state_delete_ban(s, "sshd", &b2.address), ==, 1);
        g_assert_cmpint(state_delete_ban(s, "sshd", &b2.address), ==, 0);
        g_assert_cmpint(state_put_ban(s, &b3), ==, 1);
        g_assert_cmpint(state_delete_jail(s, "web"), ==, 1);

        state_free(s);
        remove_dir(dir);
}

static void test_history(void) {
        char *dir = make_dir();
        State *s = NULL;
        Address a, b;

        g_assert_cmpint(state_open(dir, &s, NULL), ==, 0);
        g_assert_cmpint(address_parse("192.0.2.1", &a), ==, 0);
        g_assert_cmpint(address_parse("2001:db8::1", &b), ==, 0);
        g_assert_cmpint(state_add_history(s, "sshd", &a, 100), ==, 1);
        g_assert_cmpint(state_add_history(s, "sshd", &a, 200), ==, 1);
        g_assert_cmpint(state_add_history(s, "web", &a, 300), ==, 1);
        g_assert_cmpint(state_add_history(s, "sshd", &b, 300), ==, 1);
        g_assert_cmpint(state_count_history(s, "sshd", &a, 0), ==, 2);
        g_assert_cmpint(state_count_history(s, NULL, &a, 0), ==, 3);
        g_assert_cmpint(state_count_history(s, NULL, &a, 150), ==, 2);
        g_assert_cmpint(state_count_history(s, "web", &b, 0), ==, 0);
        g_assert_cmpint(state_prune_history(s, 200), ==, 2);
        g_assert_cmpint(state_count_history(s, NULL, &a, 0), ==, 1);
        state_free(s);
        remove_dir(dir);
}

static void test_migration(void) {
        /* a version 1 database (as the first release wrote it) gains the history table, keeping its bans */
        char *dir = make_dir();
        g_autofree char *path = g_build_filename(dir, STATE_DB_NAME, NULL);
        State *s = NULL;
        sqlite3 *db;

        g_assert_cmpint(sqlite3_open(path, &db), ==, SQLITE_OK);
        g_assert_cmpint(sqlite3_exec(db,
                                     "CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);"
                                     "CREATE TABLE bans (jail TEXT NOT NULL, address TEXT NOT NULL, start_usec INTEGER "
                                     "NOT NULL, end_usec INTEGER NOT NULL, failures INTEGER NOT NULL, ban_count "
                                     "INTEGER NOT NULL, PRIMARY KEY (jail, address));"
                                     "INSERT INTO bans VALUES ('sshd', '192.0.2.9', 1, -1, 5, 1);"
                                     "PRAGMA user_version = 1;",
                                     NULL, NULL, NULL), ==, SQLITE_OK);
        sqlite3_close(db);
        g_assert_cmpint(state_open(dir, &s, NULL), ==, 0);
        g_autoptr(GPtrArray) l = list(s, 1000);
        g_assert_cmpuint(l->len, ==, 1);
        Address a;
        g_assert_cmpint(address_parse("192.0.2.9", &a), ==, 0);
        g_assert_cmpint(state_add_history(s, "sshd", &a, 5), ==, 1);
        state_free(s);
        remove_dir(dir);
}

static void test_prefixes(void) {
        char *dir = make_dir();
        State *s = NULL;
        AddressPrefix p;

        g_assert_cmpint(state_open(dir, &s, NULL), ==, 0);
        /* the host 2001:db8:0:1:: and the prefix 2001:db8:0:1::/64 are different rows */
        Ban b1 = make_ban("sshd", "2001:db8:0:1::", 10, 5000), b2 = make_ban("sshd", "2001:db8:0:1::/64", 20, 5000),
            b3 = make_ban("sshd", "198.51.100.0/24", 30, USEC_INFINITY), b4 = make_ban("sshd", "198.51.100.0", 40, 5000);
        g_assert_cmpint(state_put_ban(s, &b1), ==, 1);
        g_assert_cmpint(state_put_ban(s, &b2), ==, 1);
        g_assert_cmpint(state_put_ban(s, &b3), ==, 1);
        g_assert_cmpint(state_put_ban(s, &b4), ==, 1);
        g_autoptr(GPtrArray) l = list(s, 100);
        g_assert_cmpuint(l->len, ==, 4);
        g_assert_cmpstr(l->pdata[0], ==, "sshd 198.51.100.0 40 timed 5 1");
        g_assert_cmpstr(l->pdata[1], ==, "sshd 198.51.100.0/24 30 permanent 5 1");
        g_assert_cmpstr(l->pdata[2], ==, "sshd 2001:db8:0:1:: 10 timed 5 1");
        g_assert_cmpstr(l->pdata[3], ==, "sshd 2001:db8:0:1::/64 20 timed 5 1");

        /* deleting the prefix leaves the host of the same network address */
        g_assert_cmpint(state_delete_ban_prefix(s, "sshd", &b2.prefix), ==, 1);
        g_assert_cmpint(state_delete_ban_prefix(s, "sshd", &b2.prefix), ==, 0);
        g_autoptr(GPtrArray) l2 = list(s, 100);
        g_assert_cmpuint(l2->len, ==, 3);
        g_assert_cmpstr(l2->pdata[2], ==, "sshd 2001:db8:0:1:: 10 timed 5 1");

        /* the history of a prefix is its own: a prefix ban escalates like a host's */
        g_assert_cmpint(address_prefix_parse("198.51.100.0/24", &p), ==, 0);
        g_assert_cmpint(state_add_history_prefix(s, "sshd", &p, 100), ==, 1);
        g_assert_cmpint(state_count_history_prefix(s, "sshd", &p, 0), ==, 1);
        g_assert_cmpint(state_count_history(s, "sshd", &b4.address, 0), ==, 0);
        state_free(s);
        remove_dir(dir);
}

static void test_migration_v2(void) {
        /* a version 2 database (as written before prefixes) is rebuilt: every ban becomes a host prefix, the
         * history stays */
        char *dir = make_dir();
        g_autofree char *path = g_build_filename(dir, STATE_DB_NAME, NULL);
        State *s = NULL;
        sqlite3 *db;
        Address a;

        g_assert_cmpint(sqlite3_open(path, &db), ==, SQLITE_OK);
        g_assert_cmpint(sqlite3_exec(db,
                                     "CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);"
                                     "CREATE TABLE bans (jail TEXT NOT NULL, address TEXT NOT NULL, start_usec INTEGER "
                                     "NOT NULL, end_usec INTEGER NOT NULL, failures INTEGER NOT NULL, ban_count "
                                     "INTEGER NOT NULL, PRIMARY KEY (jail, address));"
                                     "CREATE INDEX bans_end ON bans (end_usec);"
                                     "CREATE TABLE history (jail TEXT NOT NULL, address TEXT NOT NULL, time_usec "
                                     "INTEGER NOT NULL);"
                                     "CREATE INDEX history_address ON history (address, time_usec);"
                                     "CREATE INDEX history_time ON history (time_usec);"
                                     "INSERT INTO bans VALUES ('sshd', '192.0.2.9', 1, -1, 5, 1);"
                                     "INSERT INTO bans VALUES ('sshd', '2001:db8::7', 2, 5000, 6, 2);"
                                     "INSERT INTO history VALUES ('sshd', '2001:db8::7', 2);"
                                     "INSERT INTO meta VALUES ('cursor', 's=xyz');"
                                     "PRAGMA user_version = 2;",
                                     NULL, NULL, NULL), ==, SQLITE_OK);
        sqlite3_close(db);

        g_assert_cmpint(state_open(dir, &s, NULL), ==, 0);
        g_autoptr(GPtrArray) l = list(s, 1000);
        g_assert_cmpuint(l->len, ==, 2);
        g_assert_cmpstr(l->pdata[0], ==, "sshd 192.0.2.9 1 permanent 5 1");
        g_assert_cmpstr(l->pdata[1], ==, "sshd 2001:db8::7 2 timed 6 2");
        g_assert_cmpint(address_parse("2001:db8::7", &a), ==, 0);
        g_assert_cmpint(state_count_history(s, "sshd", &a, 0), ==, 1);
        g_autofree char *cursor = NULL;
        g_assert_cmpint(state_get_cursor(s, &cursor), ==, 0);
        g_assert_cmpstr(cursor, ==, "s=xyz");
        /* a migrated row is deleted by its host prefix */
        g_assert_cmpint(state_delete_ban(s, "sshd", &a), ==, 1);
        state_free(s);

        /* the file says version 3 now, with the prefixlen column */
        g_assert_cmpint(sqlite3_open(path, &db), ==, SQLITE_OK);
        sqlite3_stmt *st = NULL;
        g_assert_cmpint(sqlite3_prepare_v2(db, "SELECT prefixlen FROM bans WHERE address = '192.0.2.9'", -1, &st,
                                           NULL), ==, SQLITE_OK);
        g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
        g_assert_cmpint(sqlite3_column_int(st, 0), ==, 32);
        sqlite3_finalize(st);
        g_assert_cmpint(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), ==, SQLITE_OK);
        g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
        g_assert_cmpint(sqlite3_column_int(st, 0), ==, 3);
        sqlite3_finalize(st);
        sqlite3_close(db);
        remove_dir(dir);
}

static void test_corrupt(void) {
        char *dir = make_dir();
        g_autofree char *path = g_build_filename(dir, STATE_DB_NAME, NULL), *error = NULL, *moved = NULL;
        State *s = NULL;

        g_assert_true(g_file_set_contents(path, "this is not a database, it is garbage\n", -1, NULL));
        g_assert_cmpint(state_open(dir, &s, &error), ==, -EBADMSG);
        g_test_message("error: %s", error);
        g_assert_nonnull(error);

        g_assert_cmpint(state_quarantine(dir, &moved), ==, 0);
        g_assert_true(g_str_has_prefix(moved, path));
        g_assert_true(g_file_test(moved, G_FILE_TEST_EXISTS)); /* kept aside, never deleted */
        g_autofree char *content = NULL;
        g_assert_true(g_file_get_contents(moved, &content, NULL, NULL));
        g_assert_cmpstr(content, ==, "this is not a database, it is garbage\n");

        g_clear_pointer(&error, g_free);
        g_assert_cmpint(state_open(dir, &s, &error), ==, 0);
        state_free(s);
        remove_dir(dir);
}

static void test_newer_schema(void) {
        char *dir = make_dir();
        g_autofree char *path = g_build_filename(dir, STATE_DB_NAME, NULL), *error = NULL;
        State *s = NULL;
        sqlite3 *db;

        g_assert_cmpint(sqlite3_open(path, &db), ==, SQLITE_OK);
        g_assert_cmpint(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), ==, SQLITE_OK);
        sqlite3_close(db);
        g_assert_cmpint(state_open(dir, &s, &error), ==, -EPROTONOSUPPORT);
        g_test_message("error: %s", error);
        g_assert_true(strstr(error, "newer") != NULL);
        remove_dir(dir);
}

static void test_unusable_dir(void) {
        char *dir = make_dir();
        g_autofree char *file = g_build_filename(dir, "plainfile", NULL), *error = NULL;
        State *s = NULL;

        /* the state directory is a regular file: a clear error, no crash */
        g_assert_true(g_file_set_contents(file, "x", -1, NULL));
        g_assert_cmpint(state_open(file, &s, &error), <, 0);
        g_test_message("error: %s", error);
        g_assert_nonnull(error);
        remove_dir(dir);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/state/roundtrip", test_roundtrip);
        g_test_add_func("/state/history", test_history);
        g_test_add_func("/state/migration", test_migration);
        g_test_add_func("/state/prefixes", test_prefixes);
        g_test_add_func("/state/migration-v2", test_migration_v2);
        g_test_add_func("/state/corrupt", test_corrupt);
        g_test_add_func("/state/newer-schema", test_newer_schema);
        g_test_add_func("/state/unusable-dir", test_unusable_dir);
        return g_test_run();
}
