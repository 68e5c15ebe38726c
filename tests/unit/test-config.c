/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>

#include "macro.h"
#include "config.h"
#include "ini.h"

/* Fixture trees live in tests/data/config/, found through $PORTCULLIS_SOURCE_DIR (set by meson). */
static char *data_path(const char *rel) {
        const char *src = g_getenv("PORTCULLIS_SOURCE_DIR");

        g_assert_nonnull(src);
        return g_build_filename(src, "tests", "data", "config", rel, NULL);
}

static GPtrArray *errors_new(void) {
        return g_ptr_array_new_with_free_func(g_free);
}

static void assert_line(const IniLine *l, const char *text, const char *file, unsigned line) {
        g_assert_cmpstr(l->text, ==, text);
        g_assert_cmpstr(l->file, ==, file);
        g_assert_cmpuint(l->line, ==, line);
}

static void assert_errors(GPtrArray *errors, const char *expected) {
        g_autofree char *joined = ini_errors_join(errors);

        g_assert_cmpstr(joined, ==, expected);
}

/* Interpolates [SECTION] KEY of D and checks that it succeeds. */
static IniLines interpolate(const IniDocument *d, const char *section, const char *key) {
        g_autoptr(GPtrArray) errors = errors_new();
        const IniValue *v = ini_document_lookup(d, section, key);
        IniLines l = {};

        g_assert_nonnull(v);
        g_assert_cmpint(ini_document_interpolate(d, section, v, NULL, &l, errors), ==, 0);
        g_assert_cmpuint(errors->len, ==, 0);
        return l;
}

static void test_ini_basic(void) {
        g_autofree char *dir = data_path("ini"), *file = g_build_filename(dir, "basic.conf", NULL);
        const char *const dirs[] = { dir, NULL };
        _cleanup_(ini_document_freep) IniDocument *d = ini_document_new();
        g_autoptr(GPtrArray) errors = errors_new();
        const IniSection *s;
        const IniValue *v;
        IniLines l;

        g_assert_cmpint(ini_document_read_unit(d, dirs, "basic.conf", errors), ==, 0);
        assert_errors(errors, NULL);

        g_assert_null(ini_document_get_section(d, "section one")); /* section names are case-sensitive */
        s = ini_document_get_section(d, "Section One");
        g_assert_nonnull(s);
        g_assert_cmpuint(s->line, ==, 8);
        g_assert_cmpuint(s->values->len, ==, 7);

        /* Keys lower-cased, whitespace stripped, "key: value" too. */
        v = ini_section_get(s, "key");
        g_assert_nonnull(v);
        g_assert_cmpuint(v->value.n, ==, 1);
        assert_line(&v->value.lines[0], "value with spaces", file, 9);
        g_assert_null(ini_section_get(s, "Key"));
        v = ini_section_get(s, "other");
        assert_line(&v->value.lines[0], "colon value", file, 10);

        /* Continuation lines, with comments and blank lines inside dropped. */
        v = ini_section_get(s, "multi");
        g_assert_cmpuint(v->line, ==, 11);
        g_assert_cmpuint(v->value.n, ==, 2);
        assert_line(&v->value.lines[0], "first line", file, 12);
        assert_line(&v->value.lines[1], "second line", file, 16);

        /* No inline comments; %% is a literal %. */
        l = interpolate(d, "Section One", "regex");
        g_assert_cmpuint(l.n, ==, 1);
        assert_line(&l.lines[0], "^foo#bar;baz % done", file, 17);
        ini_lines_done(&l);

        l = interpolate(d, "Section One", "self");
        g_assert_cmpuint(l.n, ==, 1);
        assert_line(&l.lines[0], "Section One", file, 18);
        ini_lines_done(&l);

        /* [DEFAULT] is visible from every section; an inline multi-line value splits the line. */
        g_assert_nonnull(ini_document_lookup(d, "Section One", "greeting"));
        g_assert_null(ini_section_get(s, "greeting"));
        l = interpolate(d, "Section One", "ref");
        g_assert_cmpuint(l.n, ==, 2);
        assert_line(&l.lines[0], "<hello", file, 19);
        assert_line(&l.lines[1], "world>", file, 19);
        ini_lines_done(&l);

        /* A whole-line reference splices the lines with their own origins. */
        l = interpolate(d, "Section One", "splice");
        g_assert_cmpuint(l.n, ==, 3);
        assert_line(&l.lines[0], "first line", file, 12);
        assert_line(&l.lines[1], "second line", file, 16);
        assert_line(&l.lines[2], "last", file, 21);
        ini_lines_done(&l);
}

static void check_parse_error(const char *text, const char *expected) {
        _cleanup_(ini_document_freep) IniDocument *d = ini_document_new();
        g_autoptr(GPtrArray) errors = errors_new();

        g_assert_cmpint(ini_document_parse_string(d, text, "t.conf", errors), ==, -EINVAL);
        assert_errors(errors, expected);
}

static void test_ini_errors(void) {
        check_parse_error("a = 1\n[s]\n", "t.conf:1: key 'a' outside of any [section]");
        check_parse_error("[s]\njunk line\n",
                          "t.conf:2: expected '[section]', 'key = value' or an indented continuation line, got 'junk line'");
        check_parse_error("[s]\n  indented\n", "t.conf:2: continuation line without a key before it");
        check_parse_error("  indented\n", "t.conf:1: continuation line without a key before it");
        /* No cascade of errors for the keys of a broken section. */
        check_parse_error("[s\nkey = v\n  more\n", "t.conf:1: unterminated section header '[s'");
        check_parse_error("[]\n", "t.conf:1: empty section name");
        check_parse_error("[s] x\n", "t.conf:1: unexpected text after section header: 'x'");
        check_parse_error("[s]\n= v\n", "t.conf:2: missing key name");
        /* Keys compare lower-cased; the duplicate's continuation is not a second error. */
        check_parse_error("[s]\nA = 1\n  more\na = 2\n  x\n",
                          "t.conf:4: duplicate key 'a' in section [s] (first set on line 2)");
        /* All errors, not just the first. */
        check_parse_error("x\n[s]\na = 1\na = 2\n[t\n",
                          "t.conf:1: expected '[section]', 'key = value' or an indented continuation line, got 'x'\n"
                          "t.conf:4: duplicate key 'a' in section [s] (first set on line 3)\n"
                          "t.conf:5: unterminated section header '[t'");
}

static void test_ini_layering(void) {
        _cleanup_(ini_document_freep) IniDocument *d = ini_document_new();
        g_autoptr(GPtrArray) errors = errors_new();
        const IniValue *v;

        /* The same key in a later file is an override, not a duplicate. */
        g_assert_cmpint(ini_document_parse_string(d, "[s]\na = 1\nb = 2\n[DEFAULT]\nc = 3\n", "one.conf", errors), ==, 0);
        g_assert_cmpint(ini_document_parse_string(d, "[s]\n\na = 3\n  4\n[t]\nx = y\n", "two.conf", errors), ==, 0);
        assert_errors(errors, NULL);

        v = ini_document_lookup(d, "s", "a");
        g_assert_cmpstr(v->file, ==, "two.conf");
        g_assert_cmpuint(v->line, ==, 3);
        g_assert_cmpuint(v->value.n, ==, 2);
        assert_line(&v->value.lines[1], "4", "two.conf", 4);
        v = ini_document_lookup(d, "s", "b");
        assert_line(&v->value.lines[0], "2", "one.conf", 3);
        v = ini_document_lookup(d, "t", "c");
        assert_line(&v->value.lines[0], "3", "one.conf", 5);
        g_assert_null(ini_document_lookup(d, "t", "a"));
        g_assert_cmpuint(d->sections->len, ==, 3);

        /* %(known/key)s is the value before the override; [DEFAULT]'s when the section had none. */
        g_assert_cmpint(ini_document_parse_string(d, "[s]\na = %(known/a)s+5\nc = <%(known/c)s>\n", "three.conf", errors),
                        ==, 0);
        IniLines l = interpolate(d, "s", "a");
        g_assert_cmpuint(l.n, ==, 2);
        assert_line(&l.lines[0], "3", "three.conf", 2); /* inline: the referencing line */
        assert_line(&l.lines[1], "4+5", "three.conf", 2);
        ini_lines_done(&l);
        l = interpolate(d, "s", "c");
        g_assert_cmpuint(l.n, ==, 1);
        assert_line(&l.lines[0], "<3>", "three.conf", 3);
        ini_lines_done(&l);
}

static void check_interpolation_error(const IniDocument *d, const char *key, const char *expected) {
        g_autoptr(GPtrArray) errors = errors_new();
        IniLines l = { .n = 4242 };

        g_assert_cmpint(ini_document_interpolate(d, "s", ini_document_lookup(d, "s", key), NULL, &l, errors), <, 0);
        g_assert_cmpuint(l.n, ==, 4242); /* untouched */
        assert_errors(errors, expected);
}

static void test_ini_interpolation(void) {
        _cleanup_(ini_document_freep) IniDocument *d = ini_document_new();
        g_autoptr(GPtrArray) errors = errors_new();
        g_autoptr(GHashTable) used = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        IniLines l = {};

        g_assert_cmpint(ini_document_parse_string(d,
                                                  "[DEFAULT]\n"
                                                  "who = %(name)s\n"            /* 2: resolved in the asking section */
                                                  "name = default\n"
                                                  "[s]\n"
                                                  "a = %(nope)s\n"              /* 5 */
                                                  "b = %(c)s\n"                 /* 6 */
                                                  "c = %(b)s\n"                 /* 7 */
                                                  "d = 50% off\n"               /* 8 */
                                                  "name = section\n"            /* 9 */
                                                  "e = [%(WHO)s|%(__name__)s]\n" /* 10 */
                                                  "[t]\n"
                                                  "e = %(who)s\n"               /* 12 */
                                                  "[u]\n"
                                                  "name = u\n"                  /* 14 */
                                                  "f = %(default/name)s/%(Default/who)s/%(name)s\n"
                                                  "g = %(default/e)s\n",        /* 16 */
                                                  "t.conf", errors),
                        ==, 0);

        /* %(default/key)s: [DEFAULT]'s value although [u] overrides it; interpolated in [u]'s context
         * (%(name)s inside [DEFAULT]'s "who" is u's name); an error if [DEFAULT] lacks the key. */
        l = interpolate(d, "u", "f");
        g_assert_cmpuint(l.n, ==, 1);
        assert_line(&l.lines[0], "default/u/u", "t.conf", 15);
        ini_lines_done(&l);
        {
                g_autoptr(GPtrArray) errs = errors_new();
                IniLines x = { .n = 4242 };

                g_assert_cmpint(ini_document_interpolate(d, "u", ini_document_lookup(d, "u", "g"), NULL, &x, errs), ==,
                                -EINVAL);
                g_assert_cmpuint(x.n, ==, 4242);
                assert_errors(errs, "t.conf:16: unknown interpolation variable '%(default/e)s' in section [u]");
        }

        check_interpolation_error(d, "a", "t.conf:5: unknown interpolation variable '%(nope)s' in section [s]");
        check_interpolation_error(d, "b", "t.conf:6: interpolation of '%(c)s' nested more than 16 levels deep (a loop?)");
        check_interpolation_error(d, "d", "t.conf:8: '%' must be followed by '%' or '(name)s', in '50% off'");

        g_assert_cmpint(ini_document_interpolate(d, "s", ini_document_lookup(d, "s", "e"), used, &l, errors), ==, 0);
        g_assert_cmpuint(l.n, ==, 1);
        assert_line(&l.lines[0], "[section|s]", "t.conf", 10);
        ini_lines_done(&l);
        g_assert_true(g_hash_table_contains(used, "who"));
        g_assert_true(g_hash_table_contains(used, "name"));
        g_assert_false(g_hash_table_contains(used, "__name__"));

        l = interpolate(d, "t", "e");
        g_assert_cmpuint(l.n, ==, 1);
        assert_line(&l.lines[0], "default", "t.conf", 3); /* spliced: keeps its origin */
        ini_lines_done(&l);
}

static void test_ini_includes(void) {
        g_autofree char *dir = data_path("ini/include");
        const char *const dirs[] = { dir, NULL };
        _cleanup_(ini_document_freep) IniDocument *d = ini_document_new();
        g_autoptr(GPtrArray) errors = errors_new();
        static const struct {
                const char *key, *value, *file;
                unsigned line;
        } expect[] = {
                { "a", "main", "main.conf", 7 },        /* main overrides before */
                { "b", "after", "after.conf", 2 },      /* after overrides main */
                { "c", "before-local", "before.local", 2 }, /* an included file's .local */
                { "d", "sub", "sub/after2.conf", 2 },   /* on a continuation line; a missing .local is fine */
                { "e", "local", "main.local", 2 },
        };

        g_assert_cmpint(ini_document_read_unit(d, dirs, "main.conf", errors), ==, 0);
        assert_errors(errors, NULL);
        g_assert_null(ini_document_get_section(d, "INCLUDES"));

        for (size_t i = 0; i < ELEMENTSOF(expect); i++) {
                const IniValue *v = ini_document_lookup(d, "S", expect[i].key);
                g_autofree char *file = g_build_filename(dir, expect[i].file, NULL);

                g_assert_nonnull(v);
                g_assert_cmpuint(v->value.n, ==, 1);
                assert_line(&v->value.lines[0], expect[i].value, file, expect[i].line);
        }

        /* A unit that does not exist. */
        g_assert_cmpint(ini_document_read_unit(d, dirs, "nothere.conf", errors), ==, -ENOENT);
        assert_errors(errors, NULL);

        /* An include that does not exist. */
        g_autofree char *missing = g_build_filename(dir, "missing.conf", NULL);
        g_autofree char *expected = g_strdup_printf("%s:2: included file 'nope.conf' not found", missing);
        g_assert_cmpint(ini_document_read_unit(d, dirs, "missing.conf", errors), ==, -EINVAL);
        assert_errors(errors, expected);
}

static void test_ini_include_cycle(void) {
        g_autofree char *dir = data_path("ini/cycle");
        g_autofree char *a = g_build_filename(dir, "a.conf", NULL), *b = g_build_filename(dir, "b.conf", NULL);
        g_autofree char *expected = g_strdup_printf("%s:2: include cycle: %s -> %s -> %s", b, a, b, a);
        const char *const dirs[] = { dir, NULL };
        _cleanup_(ini_document_freep) IniDocument *d = ini_document_new();
        g_autoptr(GPtrArray) errors = errors_new();

        g_assert_cmpint(ini_document_read_unit(d, dirs, "a.conf", errors), ==, -ELOOP);
        assert_errors(errors, expected);
}

static void test_ini_include_depth(void) {
        g_autofree char *dir = g_dir_make_tmp("test-config-XXXXXX", NULL);
        const char *const dirs[] = { dir, NULL };
        _cleanup_(ini_document_freep) IniDocument *d = ini_document_new();
        g_autoptr(GPtrArray) errors = errors_new();
        g_autofree char *f9 = NULL, *expected = NULL;

        g_assert_nonnull(dir);
        /* f0 includes f1 includes … f11: more than 10 levels. */
        for (unsigned i = 0; i < 12; i++) {
                g_autofree char *p = g_strdup_printf("%s/f%u.conf", dir, i);
                g_autofree char *text = g_strdup_printf("[INCLUDES]\nafter = f%u.conf\n[s]\nk%u = %u\n", i + 1, i, i);

                g_assert_true(g_file_set_contents(p, text, -1, NULL));
        }

        f9 = g_strdup_printf("%s/f9.conf", dir);
        expected = g_strdup_printf("%s:2: includes nested more than 10 levels deep, at '%s/f10.conf'", f9, dir);
        g_assert_cmpint(ini_document_read_unit(d, dirs, "f0.conf", errors), ==, -ELOOP);
        assert_errors(errors, expected);
        g_assert_nonnull(ini_document_lookup(d, "s", "k9"));
        g_assert_null(ini_document_lookup(d, "s", "k10"));

        for (unsigned i = 0; i < 12; i++) {
                g_autofree char *p = g_strdup_printf("%s/f%u.conf", dir, i);
                g_assert_cmpint(g_unlink(p), ==, 0);
        }
        g_assert_cmpint(g_rmdir(dir), ==, 0);
}

static const JailConfig *find_jail(const Config *c, const char *name) {
        for (size_t i = 0; i < c->n_jails; i++)
                if (streq(c->jails[i]->name, name))
                        return c->jails[i];
        return NULL;
}

static void assert_regex(const RegexDef *r, const char *pattern, const char *file, unsigned line) {
        g_assert_cmpstr(r->pattern, ==, pattern);
        g_assert_cmpstr(r->file, ==, file);
        g_assert_cmpuint(r->line, ==, line);
}

static void assert_prefix(const AddressPrefix *p, const char *expected) {
        char buf[ADDRESS_STRING_MAX];

        g_assert_cmpstr(address_prefix_to_string(p, buf), ==, expected);
}

typedef struct Layered {
        char *admin, *vendor;
        ConfigPaths paths;
} Layered;

static void layered_init(Layered *l) {
        l->admin = data_path("layered/admin");
        l->vendor = data_path("layered/vendor");
        l->paths = (ConfigPaths) { .config_dir = l->admin, .vendor_dir = l->vendor };
}

static void layered_done(Layered *l) {
        g_free(l->admin);
        g_free(l->vendor);
}

static void test_config_layered(void) {
        _cleanup_(layered_done) Layered l = {};
        _cleanup_free_ char *error = NULL;
        Config *c = NULL;
        const JailConfig *j;

        layered_init(&l);
        g_assert_cmpint(config_load(&l.paths, &c, &error), ==, 0);
        g_assert_null(error);
        g_assert_nonnull(c);

        g_assert_cmpuint(c->n_jails, ==, 5);
        g_assert_cmpstr(c->jails[0]->name, ==, "any-proto"); /* sorted by name */
        g_assert_cmpstr(c->jails[1]->name, ==, "dns");
        g_assert_cmpstr(c->jails[2]->name, ==, "sshd");
        g_assert_cmpstr(c->jails[3]->name, ==, "sshd-normal");
        g_assert_cmpstr(c->jails[4]->name, ==, "web");

        /* sshd: vendor file; admin .local, then drop-ins: vendor 10-vendor.conf, admin 20-tune.conf
         * masking vendor's; global [DEFAULT] from admin portcullis.conf + .local + conf.d. */
        j = find_jail(c, "sshd");
        g_autofree char *sshd_file = g_build_filename(l.vendor, "jails", "sshd.conf", NULL);
        g_assert_cmpstr(j->file, ==, sshd_file);
        g_assert_cmpuint(j->line, ==, 4);
        g_assert_true(j->enabled);
        g_assert_cmpstr(j->filter_spec, ==, "sshd[mode=aggressive]");
        g_assert_cmpuint(j->maxretry, ==, 6);
        g_assert_cmpuint(j->findtime_usec, ==, USEC_PER_HOUR);
        g_assert_cmpuint(j->bantime_usec, ==, USEC_PER_DAY);
        g_assert_cmpuint(j->n_ports, ==, 1); /* "ssh" from the file's own [DEFAULT] */
        g_assert_cmpuint(j->ports[0].first, ==, 22);
        g_assert_cmpuint(j->ports[0].last, ==, 22);
        g_assert_cmpint(j->protocol, ==, PROTOCOL_TCP);
        g_assert_cmpint(j->blocktype, ==, BLOCK_TYPE_DROP);
        g_assert_true(j->ignoreself);
        g_assert_cmpuint(j->maxtracked, ==, 50000);
        g_assert_cmpuint(j->ignoreip.n, ==, 3);
        assert_prefix(&j->ignoreip.items[0], "127.0.0.0/8");
        assert_prefix(&j->ignoreip.items[1], "::1");
        assert_prefix(&j->ignoreip.items[2], "192.0.2.0/24");
        g_assert_nonnull(j->filter);
        g_assert_cmpstr(j->journalmatch, ==, "_SYSTEMD_UNIT=sshd.service + _COMM=sshd");

        /* web: the admin file masks the vendor one (whose filter does not exist). */
        j = find_jail(c, "web");
        g_assert_false(j->enabled);
        g_assert_null(j->filter);
        g_assert_cmpstr(j->filter_spec, ==, "web");
        g_assert_cmpuint(j->maxretry, ==, 4);
        g_assert_cmpuint(j->findtime_usec, ==, 20 * USEC_PER_MINUTE);
        g_assert_cmpuint(j->bantime_usec, ==, 2 * USEC_PER_HOUR);
        g_assert_cmpuint(j->maxtracked, ==, 100);
        g_assert_cmpuint(j->n_ports, ==, 3);
        g_assert_cmpuint(j->ports[0].first, ==, 80);
        g_assert_cmpuint(j->ports[0].last, ==, 80);
        g_assert_cmpuint(j->ports[1].first, ==, 443);
        g_assert_cmpuint(j->ports[1].last, ==, 443);
        g_assert_cmpuint(j->ports[2].first, ==, 8080);
        g_assert_cmpuint(j->ports[2].last, ==, 8100);
        g_assert_null(j->journalmatch);

        j = find_jail(c, "dns");
        g_assert_false(j->enabled);
        g_assert_cmpint(j->protocol, ==, PROTOCOL_UDP);
        g_assert_cmpuint(j->n_ports, ==, 1);
        g_assert_cmpuint(j->ports[0].first, ==, 53);
        g_assert_cmpuint(j->bantime_usec, ==, USEC_INFINITY);
        g_assert_cmpint(j->blocktype, ==, BLOCK_TYPE_DROP);
        g_assert_false(j->ignoreself);
        g_assert_cmpstr(j->journalmatch, ==, "_SYSTEMD_UNIT=named.service");
        g_autofree char *dns_file = g_build_filename(l.admin, "jails", "dns.conf", NULL);
        g_assert_cmpstr(j->journalmatch_file, ==, dns_file);
        g_assert_cmpuint(j->journalmatch_line, ==, 8);

        /* sshd-normal: filter arguments interpolated, own journalmatch (joined with spaces). */
        g_autofree char *misc = g_build_filename(l.admin, "jails", "misc.conf", NULL);
        j = find_jail(c, "sshd-normal");
        g_assert_true(j->enabled);
        g_assert_cmpstr(j->filter_spec, ==, "sshd[mode=normal]");
        g_assert_cmpuint(j->n_ports, ==, 0);
        g_assert_cmpint(j->protocol, ==, PROTOCOL_ALL);
        g_assert_cmpstr(j->journalmatch, ==, "_SYSTEMD_UNIT=ssh.service _COMM=sshd");
        g_assert_cmpstr(j->journalmatch_file, ==, misc);
        g_assert_cmpuint(j->journalmatch_line, ==, 5);
        /* maxlines from the filter, maxmatches the jail's own (over the filter's). */
        g_assert_cmpuint(j->maxlines, ==, 3);
        g_assert_cmpuint(j->maxmatches, ==, 2);
        g_assert_cmpuint(j->filter->maxmatches, ==, 7);

        /* Both from the filter; a disabled jail without a filter has the defaults 1 and maxretry. */
        j = find_jail(c, "sshd");
        g_assert_cmpuint(j->maxlines, ==, 3);
        g_assert_cmpuint(j->maxmatches, ==, 7);
        j = find_jail(c, "web");
        g_assert_cmpuint(j->maxlines, ==, 1);
        g_assert_cmpuint(j->maxmatches, ==, 4);

        j = find_jail(c, "any-proto");
        g_assert_cmpint(j->protocol, ==, PROTOCOL_ALL);
        g_assert_cmpuint(j->n_ports, ==, 0);

        /* Warnings: unknown and unsupported keys of the jail section (not "mode", which the filter
         * spec uses), ports with protocol = all. */
        g_autofree char *w0 = g_strdup_printf("%s:9: key 'logpath' in jail 'sshd-normal' is not supported yet, ignoring", misc);
        g_autofree char *w1 = g_strdup_printf("%s:10: unknown key 'frobnicate' in jail 'sshd-normal', ignoring", misc);
        g_autofree char *w2 = g_strdup_printf("%s:15: jail 'any-proto': protocol = all matches every port, ignoring port = 22", misc);
        g_assert_cmpuint(c->n_warnings, ==, 3);
        g_assert_cmpstr(c->warnings[0], ==, w0);
        g_assert_cmpstr(c->warnings[1], ==, w1);
        g_assert_cmpstr(c->warnings[2], ==, w2);

        config_free(c);
}

static void test_config_filter_tags(void) {
        _cleanup_(layered_done) Layered l = {};
        _cleanup_free_ char *error = NULL;
        g_autofree char *f = NULL, *local = NULL;
        Config *c = NULL;
        const FilterDef *def;

        layered_init(&l);
        f = g_build_filename(l.vendor, "filters", "sshd.conf", NULL);
        local = g_build_filename(l.admin, "filters", "sshd.local", NULL);
        g_assert_cmpint(config_load(&l.paths, &c, &error), ==, 0);

        /* mode=aggressive from the jail overrides [Init] mode = normal: <mdre-<mode>> resolves to
         * <mdre-aggressive>, whose lines are spliced, including <mdre-extra> on a line of its own. */
        def = find_jail(c, "sshd")->filter;
        g_assert_cmpstr(def->name, ==, "sshd");
        g_assert_cmpstr(def->file, ==, f);
        g_assert_cmpuint(def->n_failregex, ==, 6);
        assert_regex(&def->failregex[0], "^Failed password for <F-USER>\\S+</F-USER> from <HOST>", f, 12);
        assert_regex(&def->failregex[1], "^Invalid user <F-USER>\\S+</F-USER> from <HOST>", f, 13);
        assert_regex(&def->failregex[2], "^Connection closed by authenticating user \\S+ <HOST>", f, 16);
        assert_regex(&def->failregex[3], "^Did not receive identification string from <HOST>", f, 18);
        assert_regex(&def->failregex[4], "^Bad protocol version identification .* from <HOST>", f, 20);
        /* Unknown tags stay literal. */
        assert_regex(&def->failregex[5], "^Definition says 100% <unknown-tag> from <HOST>", f, 23);
        /* common.conf's __prefix_line, with _daemon from sshd.conf's [DEFAULT]. */
        assert_regex(&def->prefregex, "^\\S+ sshd(?:\\[\\d+\\])?: <F-CONTENT>.+</F-CONTENT>$", f, 11);
        /* ignoreregex from the admin's sshd.local. */
        g_assert_cmpuint(def->n_ignoreregex, ==, 1);
        assert_regex(&def->ignoreregex[0], "^Failed password for root from 10\\.", local, 2);
        g_assert_cmpstr(def->journalmatch, ==, "_SYSTEMD_UNIT=sshd.service + _COMM=sshd");
        g_assert_cmpstr(def->journalmatch_file, ==, f);
        g_assert_cmpuint(def->journalmatch_line, ==, 25);

        /* mode=normal: <mdre-normal> is empty and vanishes. */
        def = find_jail(c, "sshd-normal")->filter;
        g_assert_cmpuint(def->n_failregex, ==, 4);
        assert_regex(&def->failregex[2], "^Connection closed by authenticating user \\S+ <HOST>", f, 16);
        assert_regex(&def->failregex[3], "^Definition says 100% <unknown-tag> from <HOST>", f, 23);

        config_free(c);
}

static void test_config_load_filter(void) {
        _cleanup_(layered_done) Layered l = {};
        g_autofree char *extra = data_path("filters-extra"), *custom = NULL, *spec = NULL, *expected = NULL;
        FilterDef *def = NULL;
        char *error = NULL;

        layered_init(&l);

        /* By name, [Init] default. */
        g_assert_cmpint(config_load_filter(&l.paths, "sshd", &def, &error), ==, 0);
        g_assert_null(error);
        g_assert_cmpuint(def->n_failregex, ==, 4);
        def = filter_def_free(def);

        /* By name with arguments. */
        g_assert_cmpint(config_load_filter(&l.paths, " sshd[ MODE = aggressive ] ", &def, &error), ==, 0);
        g_assert_cmpuint(def->n_failregex, ==, 6);
        def = filter_def_free(def);

        /* filter_dir is searched first. */
        ConfigPaths with_dir = l.paths;
        with_dir.filter_dir = extra;
        g_assert_cmpint(config_load_filter(&with_dir, "custom", &def, &error), ==, 0);
        g_assert_cmpuint(def->n_failregex, ==, 2);
        def = filter_def_free(def);

        /* By path, with a quoted argument that contains a comma; an argument may contain a tag that
         * stays literal, and [Init] values are used where no argument overrides them. */
        custom = g_build_filename(extra, "custom.conf", NULL);
        spec = g_strdup_printf("%s[greeting=\"hi, there\", other='x']", custom);
        g_assert_cmpint(config_load_filter(&l.paths, spec, &def, &error), ==, 0);
        g_assert_null(error);
        g_assert_cmpstr(def->name, ==, custom);
        g_assert_cmpstr(def->file, ==, custom);
        g_assert_cmpuint(def->n_failregex, ==, 2);
        assert_regex(&def->failregex[0], "^hi, there from <HOST>$", custom, 6);
        assert_regex(&def->failregex[1], "^hi, there, again, from <HOST>$", custom, 7);
        g_assert_null(def->prefregex.pattern);
        g_assert_cmpuint(def->n_ignoreregex, ==, 0);
        g_assert_null(def->journalmatch);
        def = filter_def_free(def);

        /* %(section/key)s and <section/key>, %(known/key)s, and logtype = journal by default. */
        g_autofree char *xref = g_build_filename(extra, "xref.conf", NULL);
        g_assert_cmpint(config_load_filter(&with_dir, "xref", &def, &error), ==, 0);
        assert_regex(&def->prefregex, "^FILE:JOURNAL:base(?:extra )?<F-CONTENT>.+</F-CONTENT>$", xref, 7);
        g_assert_cmpuint(def->n_failregex, ==, 1);
        assert_regex(&def->failregex[0], "^fail FILE: <HOST>$", xref, 8);
        def = filter_def_free(def);
        g_assert_cmpint(config_load_filter(&with_dir, "xref[logtype=file]", &def, &error), ==, 0);
        assert_regex(&def->prefregex, "^FILE:base(?:extra )?<F-CONTENT>.+</F-CONTENT>$", xref, 7);
        def = filter_def_free(def);

        /* <known/key> (from [Init] or [Definition], else [DEFAULT], else the value itself),
         * <default/key> and %(default/key)s. A <known/…> of a key that exists nowhere stays literal. */
        g_autofree char *known = g_build_filename(extra, "known.conf", NULL),
                        *known_local = g_build_filename(extra, "known.local", NULL);
        g_assert_cmpint(config_load_filter(&with_dir, "known", &def, &error), ==, 0);
        g_assert_null(error);
        g_assert_cmpuint(def->n_failregex, ==, 3);
        assert_regex(&def->failregex[0], "^(?:hello|hi) from <HOST>$", known, 10);
        assert_regex(&def->failregex[1], "^def word from <HOST>$", known, 11);
        assert_regex(&def->failregex[2], "^again from <HOST>$", known_local, 6);
        assert_regex(&def->prefregex, "^dflt dflt def def <F-CONTENT>.+</F-CONTENT>$", known, 12);
        g_assert_cmpuint(def->n_ignoreregex, ==, 1);
        assert_regex(&def->ignoreregex[0], "^dflt _COMM=<known/nothing>$", known, 13);
        g_assert_cmpstr(def->journalmatch, ==, "_COMM=<known/nothing>");
        def = filter_def_free(def);
        /* An argument does not change what <known/…> sees, only what <greeting> is. */
        g_assert_cmpint(config_load_filter(&with_dir, "known[greeting=yo]", &def, &error), ==, 0);
        assert_regex(&def->failregex[0], "^yo from <HOST>$", known, 10);
        def = filter_def_free(def);

        /* Errors. */
        expected = g_strdup_printf("filter 'nope' not found (searched %s/filters, %s/filters)", l.admin, l.vendor);
        g_assert_cmpint(config_load_filter(&l.paths, "nope", &def, &error), ==, -ENOENT);
        g_assert_null(def);
        g_assert_cmpstr(error, ==, expected);
        g_clear_pointer(&error, free);

        g_assert_cmpint(config_load_filter(&l.paths, "sshd[mode=\"x]", &def, &error), ==, -EINVAL);
        g_assert_cmpstr(error, ==, "invalid filter 'sshd[mode=\"x]': unterminated quote");
        g_clear_pointer(&error, free);

        g_assert_cmpint(config_load_filter(&l.paths, "sshd[mode=x", &def, &error), ==, -EINVAL);
        g_assert_cmpstr(error, ==, "invalid filter 'sshd[mode=x': arguments must end with ']'");
        g_clear_pointer(&error, free);

        /* maxlines, maxmatches: argument > [Init] > [Definition], validated. */
        g_assert_cmpint(config_load_filter(&with_dir, "lines", &def, &error), ==, 0);
        g_assert_cmpuint(def->maxlines, ==, 4);
        g_assert_cmpuint(def->maxmatches, ==, 9);
        def = filter_def_free(def);
        g_assert_cmpint(config_load_filter(&with_dir, "lines[maxlines=6, maxmatches=1]", &def, &error), ==, 0);
        g_assert_cmpuint(def->maxlines, ==, 6);
        g_assert_cmpuint(def->maxmatches, ==, 1);
        def = filter_def_free(def);
        g_assert_cmpint(config_load_filter(&with_dir, "custom", &def, &error), ==, 0);
        g_assert_cmpuint(def->maxlines, ==, 0); /* unset */
        g_assert_cmpuint(def->maxmatches, ==, 0);
        def = filter_def_free(def);
        /* The whole-line tag <lines> takes its value's origin: the argument. */
        const char *lines_expected = "(arguments): invalid maxlines '4x' (an integer >= 1)\n"
                                     "(arguments): invalid maxmatches '0' (an integer >= 1)";
        g_assert_cmpint(config_load_filter(&with_dir, "lines[lines=4x, maxmatches=0]", &def, &error), ==, -EINVAL);
        g_assert_null(def);
        g_assert_cmpstr(error, ==, lines_expected);
        g_clear_pointer(&error, free);

        /* Conditional sections: [Init?family=inet6] and [Definition?proto=udp] apply only when the
         * argument (or the [Init] value) has that value. */
        g_autofree char *cond = g_build_filename(extra, "cond.conf", NULL);
        g_assert_cmpint(config_load_filter(&with_dir, "cond", &def, &error), ==, 0);
        g_assert_null(error);
        g_assert_cmpuint(def->n_failregex, ==, 1);
        assert_regex(&def->failregex[0], "^tcp from <IP4>$", cond, 11);
        g_assert_cmpuint(def->n_ignoreregex, ==, 0);
        g_assert_cmpstr(def->journalmatch, ==, "_COMM=tcpd"); /* [Definition?proto=tcp], from [Init] proto */
        def = filter_def_free(def);
        g_assert_cmpint(config_load_filter(&with_dir, "cond[family=inet6]", &def, &error), ==, 0);
        assert_regex(&def->failregex[0], "^tcp from <IP6>$", cond, 11);
        g_assert_cmpuint(def->n_ignoreregex, ==, 1);
        assert_regex(&def->ignoreregex[0], "^v6 only$", cond, 14);
        def = filter_def_free(def);
        g_assert_cmpint(config_load_filter(&with_dir, "cond[family=inet6, proto=udp]", &def, &error), ==, 0);
        g_assert_cmpuint(def->n_failregex, ==, 1);
        assert_regex(&def->failregex[0], "^udp from <IP6>$", cond, 17);
        g_assert_null(def->journalmatch);
        def = filter_def_free(def);
        /* The value must be exactly the same. */
        g_assert_cmpint(config_load_filter(&with_dir, "cond[family=inet66]", &def, &error), ==, 0);
        assert_regex(&def->failregex[0], "^tcp from <IP4>$", cond, 11);
        def = filter_def_free(def);

        g_autofree char *badcond = data_path("errors/filters/badcond.conf");
        g_autofree char *badcond_expected = g_strdup_printf(
                "%1$s:4: invalid conditional section [Definition?family] (expected [SECTION?KEY=VALUE])\n"
                "%1$s:7: invalid conditional section [Init?=inet6] (expected [SECTION?KEY=VALUE])",
                badcond);
        g_assert_cmpint(config_load_filter(&l.paths, badcond, &def, &error), ==, -EINVAL);
        g_assert_null(def);
        g_assert_cmpstr(error, ==, badcond_expected);
        g_clear_pointer(&error, free);

        /* A tag loop is an error, not a hang. */
        g_autofree char *loop = data_path("errors/filters/loop.conf");
        g_autofree char *loop_expected =
                g_strdup_printf("%s:4: tag substitution nested more than 16 levels deep (a loop?) in '^<a>$'", loop);
        g_assert_cmpint(config_load_filter(&l.paths, loop, &def, &error), ==, -ELOOP);
        g_assert_cmpstr(error, ==, loop_expected);
        g_clear_pointer(&error, free);
}

static void test_config_errors(void) {
        g_autofree char *dir = data_path("errors"), *expected = NULL;
        ConfigPaths paths = { .config_dir = dir };
        char *error = NULL;
        Config *c = NULL;

        expected = g_strdup_printf(
                "%1$s/portcullis.conf:4: section [sshd] not allowed in portcullis.conf, jails belong in jails/*.conf\n"
                "%1$s/jails/bad.conf:2: invalid enabled 'maybe'\n"
                "%1$s/jails/bad.conf:3: invalid maxretry 'x'\n"
                "%1$s/jails/bad.conf:10: invalid maxtracked '0'\n"
                "%1$s/jails/bad.conf:4: invalid findtime '0'\n"
                "%1$s/jails/bad.conf:5: invalid bantime 'soon'\n"
                "%1$s/jails/bad.conf:6: invalid ignoreip entry 'example.com' (an address or prefix; host names are not supported)\n"
                "%1$s/jails/bad.conf:11: invalid ignoreself '2'\n"
                "%1$s/jails/bad.conf:8: invalid protocol 'sctp' (tcp, udp or all)\n"
                "%1$s/jails/bad.conf:7: invalid port '70000'\n"
                "%1$s/jails/bad.conf:9: invalid blocktype 'tarpit' (drop or reject)\n"
                "%1$s/jails/bad.conf:13: invalid jail name '9lives' (a letter, then up to 63 letters, digits, '_', '.' or '-')\n"
                "%1$s/jails/bad.conf:20: unknown interpolation variable '%%(nothere)s' in section [interp]\n"
                "%1$s/jails/bad.conf:23: invalid maxlines '0' (an integer >= 1)\n"
                "%1$s/jails/bad.conf:24: invalid maxmatches 'many' (an integer >= 1)\n"
                "%1$s/jails/filters.conf:3: jail 'nofilter': filter 'does-not-exist' not found (searched %1$s/filters)\n"
                "%1$s/jails/filters.conf:7: jail 'emptyf': filter 'empty' (%1$s/filters/empty.conf) has no failregex\n"
                "%1$s/jails/filters.conf:11: invalid filter 'empty[mode]': argument 'mode' without '='\n"
                "%1$s/jails/other.conf:2: jail 'dup' is already defined in %1$s/jails/bad.conf:16",
                dir);

        g_assert_cmpint(config_load(&paths, &c, &error), ==, -EINVAL);
        g_assert_null(c);
        g_assert_cmpstr(error, ==, expected);
        free(error);
}

static void test_config_jail_names(void) {
        static const struct {
                const char *name;
                bool valid;
        } t[] = {
                { "sshd", true }, { "a", true }, { "nginx-http_auth.v2", true }, { "9lives", false },
                { "-x", false }, { "a b", false }, { "a/b", false },
                { "a123456789012345678901234567890123456789012345678901234567890123", true },  /* 64 */
                { "a1234567890123456789012345678901234567890123456789012345678901234", false }, /* 65 */
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                g_autofree char *dir = g_dir_make_tmp("test-config-XXXXXX", NULL), *jails = NULL, *file = NULL;
                g_autofree char *text = g_strdup_printf("[%s]\nenabled = false\n", t[i].name);
                ConfigPaths paths = { .config_dir = dir };
                char *error = NULL;
                Config *c = NULL;

                jails = g_build_filename(dir, "jails", NULL);
                file = g_build_filename(jails, "j.conf", NULL);
                g_assert_cmpint(g_mkdir(jails, 0755), ==, 0);
                g_assert_true(g_file_set_contents(file, text, -1, NULL));

                g_assert_cmpint(config_load(&paths, &c, &error), ==, t[i].valid ? 0 : -EINVAL);
                if (t[i].valid) {
                        g_assert_null(error);
                        g_assert_cmpuint(c->n_jails, ==, 1);
                        g_assert_cmpstr(c->jails[0]->name, ==, t[i].name);
                        /* Defaults when nothing is configured. */
                        g_assert_false(c->jails[0]->enabled);
                        g_assert_cmpuint(c->jails[0]->maxretry, ==, 5);
                        g_assert_cmpuint(c->jails[0]->bantime_usec, ==, 10 * USEC_PER_MINUTE);
                        g_assert_cmpuint(c->jails[0]->findtime_usec, ==, 10 * USEC_PER_MINUTE);
                        g_assert_cmpuint(c->jails[0]->ignoreip.n, ==, 0);
                        g_assert_true(c->jails[0]->ignoreself);
                        g_assert_cmpuint(c->jails[0]->n_ports, ==, 0);
                        g_assert_cmpint(c->jails[0]->protocol, ==, PROTOCOL_TCP);
                        g_assert_cmpint(c->jails[0]->blocktype, ==, BLOCK_TYPE_REJECT);
                        g_assert_cmpuint(c->n_warnings, ==, 0);
                        config_free(c);
                } else {
                        g_autofree char *prefix = g_strdup_printf("%s:1: invalid jail name '%s'", file, t[i].name);

                        g_assert_true(g_str_has_prefix(error, prefix));
                        free(error);
                }

                g_assert_cmpint(g_unlink(file), ==, 0);
                g_assert_cmpint(g_rmdir(jails), ==, 0);
                g_assert_cmpint(g_rmdir(dir), ==, 0);
        }
}

static void test_config_prefix_keys(void) {
        g_autoptr(GError) gerror = NULL;
        g_autofree char *dir = g_dir_make_tmp("test-config-XXXXXX", &gerror), *jails = NULL, *good = NULL,
                        *bad = NULL, *expected = NULL, *cmd = NULL;
        ConfigPaths paths = {};
        char *error = NULL;
        Config *c = NULL;

        g_assert_no_error(gerror);
        jails = g_build_filename(dir, "jails", NULL);
        g_assert_cmpint(g_mkdir(jails, 0755), ==, 0);
        good = g_build_filename(jails, "good.conf", NULL);
        bad = g_build_filename(jails, "bad.conf", NULL);
        paths.config_dir = dir;

        /* defaults, and every key set */
        g_assert_true(g_file_set_contents(good,
                                          "[plain]\nenabled = false\n"
                                          "[wide]\nenabled = false\nbanprefix6 = 64\naggregate = yes\naggregate.count = 3\n"
                                          "aggregate.window = 30m\naggregate.prefix4 = 16\naggregate.prefix6 = 40\n", -1, NULL));
        g_assert_cmpint(config_load(&paths, &c, &error), ==, 0);
        const JailConfig *p = find_jail(c, "plain"), *w = find_jail(c, "wide");
        g_assert_cmpuint(p->banprefix6, ==, 128);
        g_assert_false(p->aggregate);
        g_assert_cmpuint(p->aggregate_count, ==, 5);
        g_assert_cmpuint(p->aggregate_window_usec, ==, USEC_PER_HOUR);
        g_assert_cmpuint(p->aggregate_prefix4, ==, 24);
        g_assert_cmpuint(p->aggregate_prefix6, ==, 48);
        g_assert_false(jail_config_bans_prefixes(p));
        g_assert_cmpuint(w->banprefix6, ==, 64);
        g_assert_true(w->aggregate);
        g_assert_cmpuint(w->aggregate_count, ==, 3);
        g_assert_cmpuint(w->aggregate_window_usec, ==, 30 * USEC_PER_MINUTE);
        g_assert_cmpuint(w->aggregate_prefix4, ==, 16);
        g_assert_cmpuint(w->aggregate_prefix6, ==, 40);
        g_assert_true(jail_config_bans_prefixes(w));
        c = config_free(c);

        /* every error with its FILE:LINE */
        g_assert_true(g_file_set_contents(bad,
                                          "[b1]\nbanprefix6 = 0\naggregate = sometimes\naggregate.count = 1\n"
                                          "aggregate.window = 0\naggregate.prefix4 = 32\naggregate.prefix6 = 128\n"
                                          "[b2]\nbanprefix6 = 48\naggregate = true\n", -1, NULL));
        expected = g_strdup_printf(
                "%1$s:2: invalid banprefix6 '0' (an integer from 1 to 128)\n"
                "%1$s:4: invalid aggregate.count '1' (an integer from 2 to 1000)\n"
                "%1$s:6: invalid aggregate.prefix4 '32' (an integer from 1 to 31)\n"
                "%1$s:7: invalid aggregate.prefix6 '128' (an integer from 1 to 127)\n"
                "%1$s:3: invalid aggregate 'sometimes'\n"
                "%1$s:5: invalid aggregate.window '0'\n"
                "%1$s:8: aggregate.prefix6 = 48 must be shorter than banprefix6 = 48",
                bad);
        g_assert_cmpint(config_load(&paths, &c, &error), ==, -EINVAL);
        g_assert_cmpstr(error, ==, expected);
        free(error);

        cmd = g_strdup_printf("rm -rf '%s'", dir);
        g_assert_cmpint(system(cmd), ==, 0);
}

static void test_enums(void) {
        g_assert_cmpstr(protocol_to_string(PROTOCOL_UDP), ==, "udp");
        g_assert_cmpint(protocol_from_string("all"), ==, PROTOCOL_ALL);
        g_assert_cmpint(protocol_from_string("TCP"), ==, _PROTOCOL_INVALID);
        g_assert_null(protocol_to_string(_PROTOCOL_MAX));
        g_assert_cmpstr(block_type_to_string(BLOCK_TYPE_DROP), ==, "drop");
        g_assert_cmpint(block_type_from_string("reject"), ==, BLOCK_TYPE_REJECT);
        g_assert_cmpint(block_type_from_string(""), ==, _BLOCK_TYPE_INVALID);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);

        g_test_add_func("/ini/basic", test_ini_basic);
        g_test_add_func("/ini/errors", test_ini_errors);
        g_test_add_func("/ini/layering", test_ini_layering);
        g_test_add_func("/ini/interpolation", test_ini_interpolation);
        g_test_add_func("/ini/includes", test_ini_includes);
        g_test_add_func("/ini/include-cycle", test_ini_include_cycle);
        g_test_add_func("/ini/include-depth", test_ini_include_depth);
        g_test_add_func("/config/layered", test_config_layered);
        g_test_add_func("/config/filter-tags", test_config_filter_tags);
        g_test_add_func("/config/load-filter", test_config_load_filter);
        g_test_add_func("/config/errors", test_config_errors);
        g_test_add_func("/config/jail-names", test_config_jail_names);
        g_test_add_func("/config/enums", test_enums);
        g_test_add_func("/config/prefix-keys", test_config_prefix_keys);

        return g_test_run();
}
