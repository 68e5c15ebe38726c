/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <sys/file.h>

#include "action-internal.h"
#include "action-spec.h"

static GPtrArray *parse_ok(const char *text, const char *const *dirs) {
        g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
        GPtrArray *specs = NULL;
        int r = action_specs_parse(text, "jails/x.conf", 7, dirs, errors, &specs);

        for (guint i = 0; i < errors->len; i++)
                g_test_message("error: %s", (char *) errors->pdata[i]);
        g_assert_cmpint(r, ==, 0);
        g_assert_cmpuint(errors->len, ==, 0);
        return specs;
}

static char *parse_error(const char *text) {
        g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
        GPtrArray *specs = NULL;
        int r = action_specs_parse(text, "jails/x.conf", 7, NULL, errors, &specs);

        g_assert_cmpint(r, ==, -EINVAL);
        g_assert_null(specs);
        g_assert_cmpuint(errors->len, >=, 1);
        return g_strdup(errors->pdata[0]);
}

static void test_parse(void) {
        g_autoptr(GPtrArray) s = parse_ok("nftables[port=ssh] iptables-multiport[name=SSH, port=\"22,2222\"]\n"
                                          "  sendmail-whois-lines[dest=root@example.org, sendername=\"Fail, Ban\"]\n"
                                          "  webhook[preset=ntfy, topic=alerts, url=http://127.0.0.1:8080/x?a=b&c=d]\n"
                                          "hostsdeny abuseipdb[key_file=/etc/k, abuseipdb_category=\"18,22\"]",
                                          NULL);
        const ActionSpec *a;

        g_assert_cmpuint(s->len, ==, 4); /* the nft ones are the built-in ban */
        a = s->pdata[0];
        g_assert_cmpstr(a->name, ==, "sendmail-whois-lines");
        g_assert_cmpint(a->type, ==, ACTION_MAIL);
        g_assert_cmpstr(action_spec_get(a, "dest"), ==, "root@example.org");
        g_assert_cmpstr(action_spec_get(a, "sendername"), ==, "Fail, Ban");
        g_assert_cmpstr(a->file, ==, "jails/x.conf");
        g_assert_cmpuint(a->line, ==, 7);
        a = s->pdata[1];
        g_assert_cmpint(a->type, ==, ACTION_WEBHOOK);
        g_assert_cmpstr(action_spec_get(a, "url"), ==, "http://127.0.0.1:8080/x?a=b&c=d");
        a = s->pdata[2];
        g_assert_cmpint(a->type, ==, ACTION_HOSTSDENY);
        g_assert_cmpuint(g_hash_table_size(a->args), ==, 0);
        a = s->pdata[3];
        g_assert_cmpint(a->type, ==, ACTION_ABUSEIPDB);
        g_assert_cmpstr(action_spec_get(a, "abuseipdb_category"), ==, "18,22");
}

static void test_parse_errors(void) {
        struct {
                const char *text, *expect;
        } cases[] = {
                { "frobnicate", "jails/x.conf:7: unknown action 'frobnicate'" },
                { "mail", "jails/x.conf:7: action 'mail' (mail): needs dest=" },
                { "mail[dest=a@b", "jails/x.conf:7: action 'mail': missing ']'" },
                { "mail[dest=\"a@b]", "jails/x.conf:7: action 'mail': unterminated quote" },
                { "abuseipdb[abuseipdb_apikey=123]", "secrets are never read from the configuration" },
                { "webhook[url=http://x, body={\"a\": <ip>}]", "body= is not valid JSON" },
                { "webhook[preset=pager, url=http://x]", "unknown preset" },
                { "command", "needs at least one of actionstart=" },
                { "command[actionban=\"/bin/echo 'x\"]", "quoting error" },
                { "hostsdeny hostsdeny", "listed twice" },
                { "hostsdeny[timeout=soon]", "invalid timeout=" },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autofree char *e = parse_error(cases[i].text);

                g_test_message("%s → %s", cases[i].text, e);
                g_assert_nonnull(strstr(e, cases[i].expect));
        }
}

static void test_definition_file(void) {
        g_autofree char *dir = g_dir_make_tmp("test-action-XXXXXX", NULL), *adir = g_build_filename(dir, "actions", NULL),
                        *f = g_build_filename(adir, "pager.conf", NULL), *f2 = g_build_filename(adir, "bad.conf", NULL);
        const char *dirs[] = { dir, NULL };

        g_assert_cmpint(g_mkdir(adir, 0755), ==, 0);
        g_assert_true(g_file_set_contents(f, "[Definition]\ntype = webhook\nurl = http://127.0.0.1/a\n"
                                             "body = {\"t\": \"<jail> <ip>\"}\n", -1, NULL));
        g_assert_true(g_file_set_contents(f2, "[Definition]\ntype = fax\n", -1, NULL));
        g_autoptr(GPtrArray) s = parse_ok("pager[url=http://127.0.0.1/b]", dirs);
        const ActionSpec *a = s->pdata[0];

        g_assert_cmpint(a->type, ==, ACTION_WEBHOOK);
        g_assert_cmpstr(action_spec_get(a, "url"), ==, "http://127.0.0.1/b"); /* the jail's argument wins */
        g_assert_cmpstr(action_spec_get(a, "body"), ==, "{\"t\": \"<jail> <ip>\"}");
        g_assert_nonnull(strstr(a->def_file, "pager.conf"));

        g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
        GPtrArray *none = NULL;
        g_assert_cmpint(action_specs_parse("bad", "j.conf", 1, dirs, errors, &none), ==, -EINVAL);
        g_assert_cmpuint(errors->len, ==, 1);
        g_test_message("%s", (char *) errors->pdata[0]);
        g_assert_nonnull(strstr(errors->pdata[0], "bad.conf:2: unknown action type 'fax'"));

        (void) g_unlink(f);
        (void) g_unlink(f2);
        (void) g_rmdir(adir);
        (void) g_rmdir(dir);
}

static const char *const evil_matches[] = { "sshd[1]: Invalid user $(touch /tmp/pwned) from 192.0.2.1",
                                            "x `id`; rm -rf / \n~! cat /etc/shadow \"q\" \\ end", NULL };
static const char *const evil_tags[] = { "F-USER=$(touch /tmp/pwned) `id`;\nx", NULL };
static const ActionEvent evil = {
        .hook = ACTION_HOOK_BAN,
        .jail = "sshd",
        .address = "192.0.2.1",
        .start_usec = 1000 * USEC_PER_SEC,
        .end_usec = 1600 * USEC_PER_SEC,
        .failures = 5,
        .ban_count = 2,
        .matches = evil_matches,
        .tags = evil_tags,
};

static void test_template(void) {
        g_autoptr(GPtrArray) s = parse_ok("webhook[url=http://x, topic=t1]", NULL);
        const ActionSpec *spec = s->pdata[0];
        g_autofree char *x = action_template_expand("<ip> <jail> <failures> <bantime> <bancount> <time> <topic> "
                                                    "<unknown> <F-HOST> a<b <> <ip", &evil, spec);

        g_assert_cmpstr(x, ==, "192.0.2.1 sshd 5 600 2 1000 t1 <unknown>  a<b <> <ip");

        /* argv: a value is one argument whatever it contains */
        g_auto(GStrv) argv = NULL;
        g_assert_cmpint(action_template_argv("/bin/logger -t 'port cullis' --user=<F-USER> <ip> <matches>", &evil, spec,
                                             &argv), ==, 0);
        g_assert_cmpuint(g_strv_length(argv), ==, 6);
        g_assert_cmpstr(argv[2], ==, "port cullis");
        g_assert_cmpstr(argv[3], ==, "--user=$(touch /tmp/pwned) `id`;\nx");
        g_assert_cmpstr(argv[4], ==, "192.0.2.1");
        g_assert_cmpstr(argv[5], ==, "sshd[1]: Invalid user $(touch /tmp/pwned) from 192.0.2.1\n"
                                     "x `id`; rm -rf / \n~! cat /etc/shadow \"q\" \\ end");

        /* JSON: values stay inside their strings */
        json_t *j = action_template_json("{\"text\": \"<jail>: <matches>\", \"n\": [\"<failures>\", 3], \"<jail>\": null}",
                                         &evil, spec);
        g_assert_nonnull(j);
        g_autofree char *dump = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
        json_t *back = json_loads(dump, 0, NULL);
        g_test_message("%s", dump);
        g_assert_nonnull(back);
        g_assert_cmpuint(json_object_size(back), ==, 3);
        g_assert_true(json_is_null(json_object_get(back, "sshd")));
        g_assert_cmpstr(json_string_value(json_array_get(json_object_get(back, "n"), 0)), ==, "5");
        g_assert_cmpint(json_integer_value(json_array_get(json_object_get(back, "n"), 1)), ==, 3);
        g_assert_true(g_str_has_prefix(json_string_value(json_object_get(back, "text")), "sshd: sshd[1]: Invalid user $("));
        g_assert_true(g_str_has_suffix(json_string_value(json_object_get(back, "text")), "\"q\" \\ end"));
        json_decref(back);
        json_decref(j);
        g_assert_null(action_template_json("{\"a\": <ip>}", &evil, spec));

        g_autofree char *sum = action_event_summary(&evil);
        g_assert_cmpstr(sum, ==, "Banned 192.0.2.1 in jail sshd for 10min after 5 failures");
}

static void test_hostsdeny_line(void) {
        struct {
                const char *in, *out;
        } cases[] = {
                { "192.0.2.1", "ALL: 192.0.2.1" },
                { "2001:db8::1", "ALL: [2001:db8::1]" },
                { "::ffff:192.0.2.7", "ALL: 192.0.2.7" },
                { "2001:db8::/64", "ALL: [2001:db8::]/64" },
                { "10.1.0.0/16", "ALL: 10.1.0.0/255.255.0.0" },
        };
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autofree char *l = hostsdeny_line("ALL", cases[i].in);

                g_assert_cmpstr(l, ==, cases[i].out);
        }
        g_assert_null(hostsdeny_line("ALL", "host.example.org"));
        g_assert_null(hostsdeny_line("ALL", "1.2.3.4\nALL: 5.6.7.8"));
}

static void test_hostsdeny_edit(void) {
        const char *foreign = "# comment \t with tabs\r\nsshd: 198.51.100.1\n\n  weird line  \nALL: 192.0.2.1 # not ours";
        g_autofree char *a = NULL, *b = NULL, *c = NULL, *d = NULL;

        g_assert_cmpint(hostsdeny_edit(foreign, "ALL: 192.0.2.1", true, &a), ==, 1);
        g_assert_cmpstr(a, ==, "# comment \t with tabs\r\nsshd: 198.51.100.1\n\n  weird line  \nALL: 192.0.2.1 # not ours\n"
                               "ALL: 192.0.2.1\n");
        g_assert_cmpint(hostsdeny_edit(a, "ALL: 192.0.2.1", true, &b), ==, 0); /* there already */
        g_assert_null(b);
        g_assert_cmpint(hostsdeny_edit(a, "ALL: [2001:db8::1]", true, &b), ==, 1);
        g_assert_cmpint(hostsdeny_edit(b, "ALL: 192.0.2.1", false, &c), ==, 1);
        g_assert_cmpstr(c, ==, "# comment \t with tabs\r\nsshd: 198.51.100.1\n\n  weird line  \nALL: 192.0.2.1 # not ours\n"
                               "ALL: [2001:db8::1]\n");
        g_assert_cmpint(hostsdeny_edit(c, "ALL: [2001:db8::1]", false, &d), ==, 1);
        /* back to the foreign bytes plus the newline we had to add at its end */
        g_assert_cmpstr(d, ==, "# comment \t with tabs\r\nsshd: 198.51.100.1\n\n  weird line  \nALL: 192.0.2.1 # not ours\n");
        g_autofree char *e = NULL;
        g_assert_cmpint(hostsdeny_edit("", "ALL: 1.2.3.4", false, &e), ==, 0);
}

static void test_hostsdeny_apply(void) {
        g_autofree char *dir = g_dir_make_tmp("test-hd-XXXXXX", NULL), *f = g_build_filename(dir, "hosts.deny", NULL),
                        *lock = g_strdup_printf("%s.lock", f), *text = NULL, *error = NULL;
        int fd;

        g_assert_true(g_file_set_contents(f, "sshd: 10.0.0.1\n", -1, NULL));
        g_assert_cmpint(g_chmod(f, 0640), ==, 0);
        g_assert_cmpint(action_hostsdeny_apply(f, "ALL: 192.0.2.1", true, &error), ==, 1);
        g_assert_true(g_file_get_contents(f, &text, NULL, NULL));
        g_assert_cmpstr(text, ==, "sshd: 10.0.0.1\nALL: 192.0.2.1\n");
        GStatBuf st;
        g_assert_cmpint(g_stat(f, &st), ==, 0);
        g_assert_cmpint(st.st_mode & 0777, ==, 0640);

        /* another writer holds the lock: we do not wait */
        fd = open(lock, O_RDWR | O_CLOEXEC);
        g_assert_cmpint(fd, >=, 0);
        g_assert_cmpint(flock(fd, LOCK_EX), ==, 0);
        g_assert_cmpint(action_hostsdeny_apply(f, "ALL: 192.0.2.2", true, &error), ==, -EAGAIN);
        close(fd);
        g_assert_cmpint(action_hostsdeny_apply(f, "ALL: 192.0.2.1", false, &error), ==, 1);
        g_clear_pointer(&text, g_free);
        g_assert_true(g_file_get_contents(f, &text, NULL, NULL));
        g_assert_cmpstr(text, ==, "sshd: 10.0.0.1\n");
        g_assert_cmpint(action_hostsdeny_apply(f, "ALL: 192.0.2.1", false, &error), ==, 0);

        /* the directory holds nothing but the file and its lock (no temp files left) */
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        unsigned n = 0;
        while (g_dir_read_name(d))
                n++;
        g_assert_cmpuint(n, ==, 2);
        (void) g_unlink(f);
        (void) g_unlink(lock);
        (void) g_rmdir(dir);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/action-spec/parse", test_parse);
        g_test_add_func("/action-spec/parse-errors", test_parse_errors);
        g_test_add_func("/action-spec/definition-file", test_definition_file);
        g_test_add_func("/action-spec/template", test_template);
        g_test_add_func("/action-spec/hostsdeny-line", test_hostsdeny_line);
        g_test_add_func("/action-spec/hostsdeny-edit", test_hostsdeny_edit);
        g_test_add_func("/action-spec/hostsdeny-apply", test_hostsdeny_apply);
        return g_test_run();
}
