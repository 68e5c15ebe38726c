/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "macro.h"
#include "ruleset.h"

/* The fixture, tests/data/fail2ban/debian/, is a fail2ban directory laid out like Debian's: jail.conf
 * with [INCLUDES] paths-debian.conf → paths-common.conf, jail.d/defaults-debian.conf enabling sshd,
 * jail.d/20-tuning.conf, jail.local, jail.d/custom.local, filter.d/ with common.conf includes. */

static char *fixture_dir(void) {
        const char *src = g_getenv("PORTCULLIS_SOURCE_DIR");

        g_assert_nonnull(src);
        return g_build_filename(src, "tests", "data", "fail2ban", "debian", NULL);
}

/* "FILE:LINE" of the first line of FILE (relative to DIR) that contains TEXT. */
static char *where(const char *dir, const char *file, const char *text) {
        g_autofree char *path = g_build_filename(dir, file, NULL), *contents = NULL;
        g_auto(GStrv) lines = NULL;

        g_assert_true(g_file_get_contents(path, &contents, NULL, NULL));
        lines = g_strsplit(contents, "\n", -1);
        for (size_t i = 0; lines[i]; i++)
                if (strstr(lines[i], text))
                        return g_strdup_printf("%s:%zu", path, i + 1);
        g_assert_not_reached();
}

static const JailConfig *find_jail(const Config *c, const char *name) {
        for (size_t i = 0; i < c->n_jails; i++)
                if (streq(c->jails[i]->name, name))
                        return c->jails[i];
        return NULL;
}

/* The warning that contains every one of the NULL-terminated strings, or NULL. */
static const char *find_warning(const Config *c, ...) {
        for (size_t i = 0; i < c->n_warnings; i++) {
                bool all = true;
                va_list ap;

                va_start(ap, c);
                for (const char *s = va_arg(ap, const char *); s && all; s = va_arg(ap, const char *))
                        all = strstr(c->warnings[i], s) != NULL;
                va_end(ap);
                if (all)
                        return c->warnings[i];
        }
        return NULL;
}

static void copy_tree(const char *from, const char *to) {
        g_autoptr(GDir) d = g_dir_open(from, 0, NULL);
        const char *de;

        g_assert_nonnull(d);
        g_assert_cmpint(g_mkdir_with_parents(to, 0755), ==, 0);
        while ((de = g_dir_read_name(d))) {
                g_autofree char *f = g_build_filename(from, de, NULL), *t = g_build_filename(to, de, NULL);
                g_autofree char *text = NULL;
                gsize len;

                if (g_file_test(f, G_FILE_TEST_IS_DIR)) {
                        copy_tree(f, t);
                        continue;
                }
                g_assert_true(g_file_get_contents(f, &text, &len, NULL));
                g_assert_true(g_file_set_contents(t, text, (gssize) len, NULL));
        }
}

static void rm_rf(const char *path) {
        g_autoptr(GDir) d = g_dir_open(path, 0, NULL);
        const char *de;

        while (d && (de = g_dir_read_name(d))) {
                g_autofree char *p = g_build_filename(path, de, NULL);

                if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
                        rm_rf(p);
                else
                        g_assert_cmpint(g_unlink(p), ==, 0);
        }
        g_assert_cmpint(g_rmdir(path), ==, 0);
}

/* A copy of the fixture with one more file, for the error cases. */
static char *fixture_with(const char *relpath, const char *text) {
        g_autofree char *src = fixture_dir(), *tmp = g_dir_make_tmp("f2b-XXXXXX", NULL);
        char *dir;

        g_assert_nonnull(tmp);
        dir = g_build_filename(tmp, "fail2ban", NULL);
        copy_tree(src, dir);
        g_autofree char *path = g_build_filename(dir, relpath, NULL);
        g_assert_true(g_file_set_contents(path, text, -1, NULL));
        return dir;
}

static void fixture_remove(char *dir) {
        g_autofree char *parent = g_path_get_dirname(dir);

        rm_rf(parent);
        g_free(dir);
}

static void assert_ports(const JailConfig *j, const char *expected) {
        g_autoptr(GString) s = g_string_new(NULL);

        for (size_t i = 0; i < j->n_ports; i++)
                g_string_append_printf(s, "%s%u-%u", i > 0 ? "," : "", j->ports[i].first, j->ports[i].last);
        g_assert_cmpstr(s->str, ==, expected);
}

static void test_layering(void) {
        g_autofree char *dir = fixture_dir(), *error = NULL;
        Config *c = NULL;
        const JailConfig *j;
        char buf[ADDRESS_STRING_MAX];

        g_assert_cmpint(config_load_fail2ban(dir, &c, &error), ==, 0);
        g_assert_null(error);

        /* 3proxy and pptp-gre cannot be represented: skipped; the other six are there. */
        g_assert_cmpuint(c->n_jails, ==, 6);
        g_assert_null(find_jail(c, "3proxy"));
        g_assert_null(find_jail(c, "pptp-gre"));

        /* Enabled: sshd (jail.d/defaults-debian.conf), postfix (jail.local), recidive and webapp
         * (jail.d/custom.local); dropbear and nginx-http-auth stay disabled as in jail.conf. */
        g_assert_true(find_jail(c, "sshd")->enabled);
        g_assert_true(find_jail(c, "postfix")->enabled);
        g_assert_true(find_jail(c, "recidive")->enabled);
        g_assert_true(find_jail(c, "webapp")->enabled);
        g_assert_false(find_jail(c, "dropbear")->enabled);
        g_assert_false(find_jail(c, "nginx-http-auth")->enabled);

        /* sshd: maxretry 7 (jail.d/20-tuning.conf) < 6 (jail.local) < 4 (jail.d/custom.local); findtime only in
         * jail.d/20-tuning.conf; bantime: [DEFAULT] 10m < 30m (jail.d) < 1h (jail.local); the mode from
         * custom.local reaches the filter through "filter = %(__name__)s[mode=%(mode)s]". */
        j = find_jail(c, "sshd");
        g_assert_cmpuint(j->maxretry, ==, 4);
        g_assert_cmpuint(j->findtime_usec, ==, 20 * USEC_PER_MINUTE);
        g_assert_cmpuint(j->bantime_usec, ==, USEC_PER_HOUR);
        g_assert_cmpstr(j->filter_spec, ==, "sshd[mode=aggressive]");
        g_assert_cmpuint(j->filter->n_failregex, ==, 3);
        g_assert_cmpuint(j->filter->n_ignoreregex, ==, 1); /* filter.d/sshd.local */
        assert_ports(j, "22-22");
        g_assert_cmpint(j->protocol, ==, PROTOCOL_TCP);
        g_assert_cmpint(j->blocktype, ==, BLOCK_TYPE_REJECT);
        g_assert_cmpuint(j->ignoreip.n, ==, 3);
        g_assert_cmpstr(address_prefix_to_string(&j->ignoreip.items[0], buf), ==, "127.0.0.0/8");
        g_assert_true(j->ignoreself);
        /* journalmatch from the filter's [Init] */
        g_assert_cmpstr(j->journalmatch, ==, "_SYSTEMD_UNIT=sshd.service + _COMM=sshd");
        g_autofree char *sshd_jm = where(dir, "filter.d/sshd.conf", "journalmatch =");
        g_autofree char *got_jm = g_strdup_printf("%s:%u", j->journalmatch_file, j->journalmatch_line);
        g_assert_cmpstr(got_jm, ==, sshd_jm);

        /* postfix: mode from its own section, service names, journalmatch from [Definition]. */
        j = find_jail(c, "postfix");
        g_assert_cmpuint(j->maxretry, ==, 3);
        g_assert_cmpstr(j->filter_spec, ==, "postfix[mode=more]");
        g_assert_cmpuint(j->filter->n_failregex, ==, 2);
        assert_ports(j, "25-25,465-465,587-587");
        g_assert_cmpstr(j->journalmatch, ==, "_SYSTEMD_UNIT=postfix.service");

        /* recidive: banaction = %(banaction_allports)s, overridden in custom.local as
         * nftables-allports[blocktype=drop]: every port, dropped. */
        j = find_jail(c, "recidive");
        g_assert_cmpuint(j->n_ports, ==, 0);
        g_assert_cmpint(j->blocktype, ==, BLOCK_TYPE_DROP);
        g_assert_cmpuint(j->bantime_usec, ==, USEC_PER_WEEK);
        g_assert_cmpuint(j->findtime_usec, ==, USEC_PER_DAY);
        g_assert_cmpstr(j->journalmatch, ==, "_SYSTEMD_UNIT=fail2ban.service PRIORITY=5");

        /* webapp: the jail's own journalmatch. */
        j = find_jail(c, "webapp");
        g_assert_cmpstr(j->journalmatch, ==, "_SYSTEMD_UNIT=webapp.service");
        g_autofree char *custom = g_build_filename(dir, "jail.d", "custom.local", NULL);
        g_assert_cmpstr(j->journalmatch_file, ==, custom);

        config_free(c);
}

static void test_warnings(void) {
        g_autofree char *dir = fixture_dir(), *error = NULL;
        g_autofree char *at_3proxy = where(dir, "jail.conf", "[3proxy]");
        g_autofree char *at_gre = where(dir, "jail.conf", "[pptp-gre]");
        g_autofree char *at_mw = where(dir, "jail.conf", "%(mta)s-whois[");
        g_autofree char *at_custom = where(dir, "jail.conf", "custom-notify[");
        g_autofree char *at_sshd_backend = where(dir, "jail.conf", "backend = %(sshd_backend)s");
        Config *c = NULL;

        g_assert_cmpint(config_load_fail2ban(dir, &c, &error), ==, 0);
        for (size_t i = 0; i < c->n_warnings; i++)
                g_test_message("warning: %s", c->warnings[i]);

        g_assert_nonnull(find_warning(c, at_3proxy, "disabled jail '3proxy'", "skipping", NULL));
        g_assert_nonnull(find_warning(c, at_gre, "disabled jail 'pptp-gre'", "protocol 'gre'", NULL));
        g_assert_nonnull(find_warning(c, at_mw, "jail 'postfix'", "sendmail-whois", "not supported", NULL));
        g_assert_nonnull(find_warning(c, at_custom, "jail 'webapp'", "unknown action 'custom-notify'", NULL));
        /* backend = auto: read from the journal instead, said once per jail */
        g_assert_nonnull(find_warning(c, at_sshd_backend, "jail 'sshd'", "backend = auto", "/var/log/auth.log", NULL));
        /* webapp says backend = systemd: nothing to say */
        g_assert_null(find_warning(c, "jail 'webapp': backend", NULL));
        /* a disabled jail's actions and backend are not judged */
        g_assert_null(find_warning(c, "jail 'dropbear'", NULL));
        g_assert_cmpuint(c->n_warnings, ==, 7);
        config_free(c);
}

static void test_log_file_only(void) {
        g_autofree char *dir = fixture_with("jail.d/zz-dropbear.local", "[dropbear]\nenabled = true\n");
        g_autofree char *error = NULL, *at = where(dir, "jail.conf", "logpath  = %(dropbear_log)s");
        Config *c = NULL;

        g_assert_cmpint(config_load_fail2ban(dir, &c, &error), ==, -EINVAL);
        g_assert_null(c);
        g_assert_nonnull(error);
        g_test_message("%s", error);
        g_assert_true(g_str_has_prefix(error, at));
        g_assert_nonnull(strstr(error, "jail 'dropbear' reads only log files"));
        g_assert_nonnull(strstr(error, "logpath = /var/log/auth.log"));
        g_assert_nonnull(strstr(error, "journalmatch = _SYSTEMD_UNIT="));
        g_assert_null(strchr(error, '\n')); /* that is the only error */

        /* import mode: the jail is left out, the reason becomes a note */
        g_clear_pointer(&error, g_free);
        g_assert_cmpint(config_load_fail2ban_full(dir, CONFIG_FAIL2BAN_SKIP_BROKEN_JAILS, &c, &error), ==, 0);
        g_assert_null(find_jail(c, "dropbear"));
        g_assert_nonnull(find_warning(c, at, "reads only log files", "jail 'dropbear' not imported", NULL));
        config_free(c);
        fixture_remove(g_steal_pointer(&dir));

        /* With a journalmatch in jail.local it is fine. */
        dir = fixture_with("jail.d/zz-dropbear.local",
                           "[dropbear]\nenabled = true\njournalmatch = _SYSTEMD_UNIT=dropbear.service\n");
        g_clear_pointer(&error, g_free);
        g_assert_cmpint(config_load_fail2ban(dir, &c, &error), ==, 0);
        g_assert_true(find_jail(c, "dropbear")->enabled);
        g_assert_cmpstr(find_jail(c, "dropbear")->journalmatch, ==, "_SYSTEMD_UNIT=dropbear.service");
        config_free(c);
        fixture_remove(g_steal_pointer(&dir));
}

static void test_invalid_name_enabled(void) {
        g_autofree char *dir = fixture_with("jail.d/zz-3proxy.local", "[3proxy]\nenabled = true\n");
        g_autofree char *error = NULL, *at = where(dir, "jail.conf", "[3proxy]");
        Config *c = NULL;

        g_assert_cmpint(config_load_fail2ban(dir, &c, &error), ==, -EINVAL);
        g_test_message("%s", error);
        g_assert_true(g_str_has_prefix(error, at));
        g_assert_nonnull(strstr(error, "invalid jail name '3proxy'"));
        fixture_remove(g_steal_pointer(&dir));
}

static void test_action_args(void) {
        /* An argument list continued on the next line; the action's port and blocktype win over the
         * jail's. */
        g_autofree char *dir = fixture_with("jail.d/zz-webapp.local",
                                            "[webapp]\n"
                                            "action = %(banaction)s[port=\"8080:8090\", protocol=\"tcp\",\n"
                                            "                      blocktype=\"DROP\"]\n");
        g_autofree char *error = NULL;
        Config *c = NULL;

        g_assert_cmpint(config_load_fail2ban(dir, &c, &error), ==, 0);
        assert_ports(find_jail(c, "webapp"), "8080-8090");
        g_assert_cmpint(find_jail(c, "webapp")->blocktype, ==, BLOCK_TYPE_DROP);
        config_free(c);
        fixture_remove(g_steal_pointer(&dir));

        /* pass2allow-style: the addresses are let in, not banned. */
        dir = fixture_with("jail.d/zz-webapp.local", "[webapp]\naction = %(action_)s[blocktype=RETURN]\n");
        g_assert_cmpint(config_load_fail2ban(dir, &c, &error), ==, -EINVAL);
        g_test_message("%s", error);
        g_assert_nonnull(strstr(error, "blocktype 'RETURN'"));
        g_autofree char *at = where(dir, "jail.d/zz-webapp.local", "action =");
        g_assert_true(g_str_has_prefix(error, at));
        fixture_remove(g_steal_pointer(&dir));
}

static void test_not_fail2ban(void) {
        g_autofree char *tmp = g_dir_make_tmp("f2b-empty-XXXXXX", NULL), *error = NULL;
        Config *c = NULL;

        g_assert_cmpint(config_load_fail2ban(tmp, &c, &error), ==, -ENOENT);
        g_assert_nonnull(strstr(error, "not a fail2ban configuration directory"));
        g_assert_cmpint(g_rmdir(tmp), ==, 0);
}

static void test_ruleset(void) {
        g_autofree char *dir = fixture_dir(), *error = NULL;
        ConfigPaths paths = { .config_dir = "/nonexistent", .fail2ban_dir = dir };
        Ruleset *rs = NULL;

        g_assert_cmpint(ruleset_load(&paths, &rs, &error), ==, 0);
        g_assert_null(error);
        g_assert_cmpuint(rs->n_jails, ==, 4);
        g_assert_nonnull(ruleset_find(rs, "sshd"));
        g_assert_cmpuint(ruleset_find(rs, "sshd")->match->n_groups, ==, 2);
        g_assert_null(ruleset_find(rs, "dropbear"));
        ruleset_free(rs);
}

static void assert_same_jail(const JailConfig *a, const JailConfig *b) {
        g_assert_cmpstr(a->name, ==, b->name);
        g_assert_cmpint(a->enabled, ==, b->enabled);
        g_assert_cmpstr(a->filter_spec, ==, b->filter_spec);
        g_assert_cmpuint(a->maxretry, ==, b->maxretry);
        g_assert_cmpuint(a->findtime_usec, ==, b->findtime_usec);
        g_assert_cmpuint(a->bantime_usec, ==, b->bantime_usec);
        g_assert_cmpuint(a->ignoreip.n, ==, b->ignoreip.n);
        for (size_t i = 0; i < a->ignoreip.n; i++) {
                char x[ADDRESS_STRING_MAX], y[ADDRESS_STRING_MAX];

                g_assert_cmpstr(address_prefix_to_string(&a->ignoreip.items[i], x), ==,
                                address_prefix_to_string(&b->ignoreip.items[i], y));
        }
        g_assert_cmpint(a->ignoreself, ==, b->ignoreself);
        g_assert_cmpuint(a->n_ports, ==, b->n_ports);
        for (size_t i = 0; i < a->n_ports; i++) {
                g_assert_cmpuint(a->ports[i].first, ==, b->ports[i].first);
                g_assert_cmpuint(a->ports[i].last, ==, b->ports[i].last);
        }
        g_assert_cmpint(a->protocol, ==, b->protocol);
        g_assert_cmpint(a->blocktype, ==, b->blocktype);
        g_assert_cmpstr(a->journalmatch, ==, b->journalmatch);
        g_assert_cmpuint(a->filter->n_failregex, ==, b->filter->n_failregex);
        for (size_t i = 0; i < a->filter->n_failregex; i++)
                g_assert_cmpstr(a->filter->failregex[i].pattern, ==, b->filter->failregex[i].pattern);
        g_assert_cmpuint(a->filter->n_ignoreregex, ==, b->filter->n_ignoreregex);
}

/* Runs portcullisctl ARGV...; returns its exit status and its stdout in *ret_out. */
static int run_ctl(char **ret_out, ...) {
        const char *build = g_getenv("PORTCULLIS_BUILD_DIR");
        g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GError) err = NULL;
        g_autofree char *out = NULL, *errout = NULL;
        int status;
        va_list ap;

        g_assert_nonnull(build);
        g_ptr_array_add(argv, g_build_filename(build, "portcullisctl", NULL));
        va_start(ap, ret_out);
        for (const char *a = va_arg(ap, const char *); a; a = va_arg(ap, const char *))
                g_ptr_array_add(argv, g_strdup(a));
        va_end(ap);
        g_ptr_array_add(argv, NULL);

        g_assert_true(g_spawn_sync(NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &errout,
                                   &status, &err));
        g_test_message("stdout:\n%s\nstderr:\n%s", out, errout);
        *ret_out = g_steal_pointer(&out);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_import(void) {
        g_autofree char *dir = fixture_dir(), *tmp = g_dir_make_tmp("f2b-import-XXXXXX", NULL), *error = NULL;
        g_autofree char *out = g_build_filename(tmp, "portcullis", NULL), *opt = g_strconcat("--output=", out, NULL);
        g_autofree char *stdout_text = NULL, *again = NULL, *at_mw = where(dir, "jail.conf", "%(mta)s-whois[");
        Config *f2b = NULL, *ours = NULL;
        size_t n_enabled = 0;

        g_assert_cmpint(run_ctl(&stdout_text, "import-fail2ban", dir, opt, NULL), ==, 0);
        /* what could not be carried over, FILE:LINE first */
        g_assert_nonnull(strstr(stdout_text, at_mw));
        g_assert_nonnull(strstr(stdout_text, "Imported 4 enabled jails and 8 filter files"));

        g_assert_cmpint(config_load_fail2ban(dir, &f2b, &error), ==, 0);
        ConfigPaths paths = { .config_dir = out };
        g_assert_cmpint(config_load(&paths, &ours, &error), ==, 0);
        g_assert_null(error);
        g_assert_cmpuint(ours->n_jails, ==, 4); /* enabled jails only are written */
        for (size_t i = 0; i < f2b->n_jails; i++) {
                const JailConfig *j = f2b->jails[i];

                if (!j->enabled)
                        continue;
                n_enabled++;
                g_assert_nonnull(find_jail(ours, j->name));
                assert_same_jail(j, find_jail(ours, j->name));
        }
        g_assert_cmpuint(n_enabled, ==, ours->n_jails);

        /* a second import into the now non-empty directory is refused */
        g_assert_cmpint(run_ctl(&again, "import-fail2ban", dir, opt, NULL), ==, 1);

        config_free(f2b);
        config_free(ours);
        rm_rf(tmp);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/config-fail2ban/layering", test_layering);
        g_test_add_func("/config-fail2ban/warnings", test_warnings);
        g_test_add_func("/config-fail2ban/log-file-only", test_log_file_only);
        g_test_add_func("/config-fail2ban/invalid-name-enabled", test_invalid_name_enabled);
        g_test_add_func("/config-fail2ban/action-args", test_action_args);
        g_test_add_func("/config-fail2ban/not-fail2ban", test_not_fail2ban);
        g_test_add_func("/config-fail2ban/ruleset", test_ruleset);
        g_test_add_func("/config-fail2ban/import", test_import);
        return g_test_run();
}
