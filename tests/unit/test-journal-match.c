/* SPDX-License-Identifier: GPL-2.0-or-later */
/* journal-match (journalctl syntax, OR of jails) and journal-entry (fail2ban's line), against a real journal
 * file written by systemd-journal-remote from export format. */
#include <glib.h>
#include <glib/gstdio.h>
#include <systemd/sd-journal.h>

#include "journal-entry.h"
#include "journal-match.h"
#include "macro.h"

static void test_parse(void) {
        JournalMatch *m = NULL;
        char *error = NULL;

        g_assert_cmpint(journal_match_parse("B=2 A=1 A=3 + C=4", &m, &error), ==, 0);
        g_assert_cmpuint(m->n_groups, ==, 2);
        g_assert_cmpuint(m->groups[0].n_terms, ==, 3);
        /* sorted by field: A=1, A=3, B=2 */
        g_assert_cmpstr(m->groups[0].terms[0].term, ==, "A=1");
        g_assert_cmpstr(m->groups[0].terms[1].term, ==, "A=3");
        g_assert_cmpstr(m->groups[0].terms[2].term, ==, "B=2");
        g_assert_cmpstr(m->groups[1].terms[0].field, ==, "C");
        g_assert_cmpstr(m->text, ==, "B=2 A=1 A=3 + C=4");
        m = journal_match_free(m);

        /* values may contain '=' and anything but blanks */
        g_assert_cmpint(journal_match_parse("  MESSAGE=a=b\n\t_EXE=/usr/sbin/sshd ", &m, &error), ==, 0);
        g_assert_cmpuint(m->n_groups, ==, 1);
        g_assert_cmpstr(m->groups[0].terms[0].term, ==, "MESSAGE=a=b");
        m = journal_match_free(m);

        g_assert_cmpint(journal_match_parse("", &m, &error), ==, 0);
        g_assert_cmpuint(m->n_groups, ==, 0);
        m = journal_match_free(m);
        g_assert_cmpint(journal_match_parse(NULL, &m, &error), ==, 0);
        m = journal_match_free(m);

        static const char *const bad[] = {
                "lower=1", "NOEQUALS", "=x", "1ABC=x", "A-B=1", "+ A=1", "A=1 +", "A=1 + + B=2",
                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=1",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                g_assert_cmpint(journal_match_parse(bad[i], &m, &error), ==, -EINVAL);
                g_assert_nonnull(error);
                g_test_message("'%s': %s", bad[i], error);
                g_clear_pointer(&error, g_free);
        }
}

static void test_forgeable(void) {
        static const struct {
                const char *match;
                bool forgeable;
        } cases[] = {
                { "SYSLOG_IDENTIFIER=sshd", true },
                { "_COMM=sshd", true },
                { "SYSLOG_IDENTIFIER=sshd _COMM=sshd", true },
                { "_SYSTEMD_UNIT=ssh.service", false },
                { "_EXE=/usr/sbin/sshd SYSLOG_IDENTIFIER=sshd", false },
                { "_SYSTEMD_UNIT=ssh.service + _COMM=sshd", true }, /* one group is forgeable: so is the OR */
                { "_SYSTEMD_UNIT=ssh.service + _EXE=/usr/sbin/sshd", false },
                { "", true },
                { "_TRANSPORT=kernel", false },                     /* only journald reads /dev/kmsg */
                { "_TRANSPORT=syslog", true },
                { "_TRANSPORT=kernel _TRANSPORT=syslog", true },    /* OR: syslog entries too */
                { "_TRANSPORT=kernel _TRANSPORT=audit", false },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                g_autofree char *error = NULL;
                JournalMatch *m = NULL;

                g_assert_cmpint(journal_match_parse(cases[i].match, &m, &error), ==, 0);
                g_assert_cmpint(journal_match_is_forgeable(m), ==, cases[i].forgeable);
                journal_match_free(m);
        }
}

/* ---- against a real journal file ------------------------------------------------------------------- */

static char *tmpdir;
static char *journal_path;

static void add_entry(GString *s, unsigned i, const char *fields) {
        g_string_append_printf(s, "__REALTIME_TIMESTAMP=%u\n__MONOTONIC_TIMESTAMP=%u\n"
                               "_BOOT_ID=0d1b6c4a4f2f4b8e9b1f0c7e5a3d2c1b\n%s\n\n",
                               1700000000U * 0 + 1000000U * (i + 1), 1000U * (i + 1), fields);
}

static void make_journal(void) {
        g_autoptr(GString) s = g_string_new(NULL);
        g_autofree char *export = NULL, *out = NULL, *err = NULL;
        g_autoptr(GError) error = NULL;
        int status;

        /* 0 */ add_entry(s, 0, "_HOSTNAME=web1\nSYSLOG_IDENTIFIER=sshd\nSYSLOG_PID=812\n_PID=812\n_COMM=sshd\n"
                             "_EXE=/usr/sbin/sshd\n_SYSTEMD_UNIT=ssh.service\nMESSAGE=Failed password for root from 10.0.0.1 port 22 ssh2");
        /* 1: no SYSLOG_IDENTIFIER/SYSLOG_PID: _COMM and _PID stand in; _SOURCE_REALTIME_TIMESTAMP wins */
        add_entry(s, 1, "_HOSTNAME=web1\n_PID=77\n_COMM=sshd-session\n_EXE=/usr/lib/openssh/sshd-session\n"
                        "_SYSTEMD_UNIT=ssh.service\n_SOURCE_REALTIME_TIMESTAMP=1234567\nMESSAGE=Invalid user x from 10.0.0.2 port 1");
        /* 2: a forger in another unit */
        add_entry(s, 2, "_HOSTNAME=web1\nSYSLOG_IDENTIFIER=sshd\n_PID=9\n_COMM=python3\n_EXE=/usr/bin/python3.11\n"
                        "_SYSTEMD_UNIT=evil.service\nMESSAGE=Failed password for root from 10.0.0.3 port 22 ssh2");
        /* 3: kernel */
        add_entry(s, 3, "_HOSTNAME=web1\nSYSLOG_IDENTIFIER=kernel\n_SOURCE_MONOTONIC_TIMESTAMP=12345678\n"
                        "_TRANSPORT=kernel\nMESSAGE=IN=eth0 SRC=10.0.0.4");
        /* 4: no hostname, no identifier, no pid at all */
        add_entry(s, 4, "_TRANSPORT=journal\nMESSAGE=bare");
        /* 5: identifier without pid */
        add_entry(s, 5, "_HOSTNAME=db\nSYSLOG_IDENTIFIER=postgres\n_SYSTEMD_UNIT=postgresql.service\nMESSAGE=hi");
        /* 6: SYSLOG_PID wins over _PID (they differ when a process logs for another, e.g. through
         *    logger(1)), and the fields come in a different order */
        add_entry(s, 6, "MESSAGE=pid check\nSYSLOG_PID=5\n_PID=6\nSYSLOG_IDENTIFIER=app\n_HOSTNAME=h");
        /* 7: no MESSAGE: not matched */
        add_entry(s, 7, "_HOSTNAME=db\nSYSLOG_IDENTIFIER=x\nOTHER=1");

        tmpdir = g_dir_make_tmp("test-journal-match-XXXXXX", &error);
        g_assert_no_error(error);
        export = g_build_filename(tmpdir, "in.export", NULL);
        journal_path = g_build_filename(tmpdir, "out.journal", NULL);
        g_file_set_contents(export, s->str, (gssize) s->len, &error);
        g_assert_no_error(error);

        const char *argv[] = { "/lib/systemd/systemd-journal-remote", "--output", journal_path, export, NULL };
        g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error);
        g_assert_no_error(error); /* systemd-journal-remote must be installed (tools/install-deps.sh) */
        if (!g_spawn_check_wait_status(status, NULL))
                g_error("systemd-journal-remote failed: %s", err);
}

static sd_journal *open_journal(void) {
        const char *files[] = { journal_path, NULL };
        sd_journal *j = NULL;

        g_assert_cmpint(sd_journal_open_files(&j, files, 0), ==, 0);
        g_assert_cmpint(journal_entry_setup(j), ==, 0);
        return j;
}

/* The indexes (0-based, in journal order) of entries that sd-journal selects with MATCH, and those that
 * journal_match_test() accepts when walking all entries: they must be the same. */
static void check_same_selection(const char *text, const char *expected) {
        g_autoptr(GString) by_index = g_string_new(NULL), by_test = g_string_new(NULL);
        g_autofree char *error = NULL;
        JournalMatch *m = NULL;
        sd_journal *j;
        unsigned i = 0;

        g_assert_cmpint(journal_match_parse(text, &m, &error), ==, 0);

        j = open_journal();
        g_assert_cmpint(journal_match_add(m, j), ==, 0);
        SD_JOURNAL_FOREACH(j) {
                uint64_t t;

                g_assert_cmpint(sd_journal_get_realtime_usec(j, &t), ==, 0);
                g_string_append_printf(by_index, "%u ", (unsigned) (t / 1000000U) - 1);
        }
        sd_journal_close(j);

        j = open_journal();
        SD_JOURNAL_FOREACH(j) {
                if (journal_match_test(m, j) > 0)
                        g_string_append_printf(by_test, "%u ", i);
                i++;
        }
        sd_journal_close(j);

        /* the daemon's way: the fields are collected in journal_entry_load()'s single pass (together
         * with a field no match uses, so that not everything watched is present) */
        g_autoptr(GPtrArray) fields = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GString) by_entry = g_string_new(NULL);
        JournalEntry e = {};

        g_ptr_array_add(fields, g_strdup("PORTCULLIS_NOT_THERE"));
        journal_match_collect_fields(m, fields);
        g_assert_cmpint(journal_entry_watch(&e, (char *const *) fields->pdata, fields->len), ==, 0);
        j = open_journal();
        i = 0;
        SD_JOURNAL_FOREACH(j) {
                g_assert_cmpint(journal_entry_load(&e, j), >=, 0);
                if (journal_match_test_with(m, journal_entry_get_item, &e) > 0)
                        g_string_append_printf(by_entry, "%u ", i);
                i++;
        }
        sd_journal_close(j);
        g_assert_cmpint(journal_entry_get_item("NOT_WATCHED", &(const void *) { NULL }, &(size_t) { 0 }, &e), ==,
                        -ENOKEY);
        journal_entry_done(&e);
        journal_match_free(m);

        g_test_message("%s -> [%s] [%s] [%s]", text, by_index->str, by_test->str, by_entry->str);
        g_assert_cmpstr(by_index->str, ==, expected);
        g_assert_cmpstr(by_test->str, ==, expected);
        g_assert_cmpstr(by_entry->str, ==, expected);
}

static void test_selection(void) {
        check_same_selection("_SYSTEMD_UNIT=ssh.service", "0 1 ");
        check_same_selection("SYSLOG_IDENTIFIER=sshd", "0 2 ");
        check_same_selection("SYSLOG_IDENTIFIER=sshd _SYSTEMD_UNIT=ssh.service", "0 ");
        check_same_selection("_SYSTEMD_UNIT=ssh.service _SYSTEMD_UNIT=postgresql.service", "0 1 5 ");
        check_same_selection("_EXE=/usr/sbin/sshd + _TRANSPORT=kernel", "0 3 ");
        check_same_selection("_SYSTEMD_UNIT=ssh.service _SYSTEMD_UNIT=sshd.service + _EXE=/usr/sbin/sshd "
                             "_EXE=/usr/lib/openssh/sshd-session", "0 1 ");
        check_same_selection("_SYSTEMD_UNIT=nothing.service", "");
}

static void test_lines(void) {
        static const char *const expected[] = {
                "web1 sshd[812]: Failed password for root from 10.0.0.1 port 22 ssh2",
                "web1 sshd-session[77]: Invalid user x from 10.0.0.2 port 1",
                "web1 sshd[9]: Failed password for root from 10.0.0.3 port 22 ssh2",
                "web1 kernel: [   12.345678] IN=eth0 SRC=10.0.0.4",
                "bare",
                "db postgres: hi",
                "h app[5]: pid check",
        };
        JournalEntry e = {};
        sd_journal *j = open_journal();
        unsigned i = 0;

        SD_JOURNAL_FOREACH(j) {
                int r = journal_entry_load(&e, j);
                usec_t t;

                if (i < ELEMENTSOF(expected)) {
                        g_assert_cmpint(r, ==, 1);
                        g_assert_cmpstr(e.line, ==, expected[i]);
                        g_assert_cmpuint(e.line_len, ==, strlen(expected[i]));
                        g_assert_cmpint(journal_entry_get_time(&e, j, &t), ==, 0);
                        g_assert_cmpuint(t, ==, i == 1 ? 1234567U : 1000000U * (i + 1));
                } else
                        g_assert_cmpint(r, ==, 0); /* no MESSAGE */
                i++;
        }
        g_assert_cmpuint(i, ==, 8);
        journal_entry_done(&e);
        sd_journal_close(j);
}

int main(int argc, char *argv[]) {
        int r;

        g_test_init(&argc, &argv, NULL);
        make_journal();
        g_test_add_func("/journal-match/parse", test_parse);
        g_test_add_func("/journal-match/forgeable", test_forgeable);
        g_test_add_func("/journal-match/selection", test_selection);
        g_test_add_func("/journal-entry/lines", test_lines);
        r = g_test_run();

        g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);
        (void) system(cmd);
        g_free(journal_path);
        g_free(tmpdir);
        return r;
}
