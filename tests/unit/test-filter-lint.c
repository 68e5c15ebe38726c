/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <glib.h>

#include "filter-lint.h"
#include "macro.h"

/* Lints a definition with one failregex; returns 1 if refused, else 0, and the number of warnings. */
static int lint(const char *failregex, size_t *ret_warnings) {
        RegexDef fail = { .pattern = (char *) failregex, .file = (char *) "f.conf", .line = 7 };
        FilterDef def = { .file = (char *) "f.conf", .failregex = &fail, .n_failregex = 1 };
        g_auto(GStrv) warnings = NULL;
        g_autofree char *error = NULL;
        int r;

        r = filter_lint(&def, &warnings, &error);
        if (r < 0) {
                g_assert_cmpint(r, ==, -EINVAL);
                g_assert_true(g_str_has_prefix(error, "f.conf:7: failregex: "));
                *ret_warnings = 0;
                return 1;
        }
        *ret_warnings = warnings ? g_strv_length(warnings) : 0;
        for (char **w = warnings; w && *w; w++)
                g_assert_true(g_str_has_prefix(*w, "f.conf:7: failregex: "));
        return 0;
}

static void test_catch_all(void) {
        static const struct {
                const char *pattern;
                int refused;
        } cases[] = {
                /* greedy catch-all before the address, not anchored at both ends: refused */
                { "Failed password for .* from <HOST>", 1 },
                { "^Failed password for .* from <HOST>", 1 },
                { "Failed for .+ from <HOST> port \\d+$", 1 },
                { "user <F-USER>.*</F-USER> from <HOST>", 1 },
                { "x .{3,} from <HOST>", 1 },
                { "blocked .* net <SUBNET>", 1 },
                { "blocked .* net <F-ADDR/>/<CIDR>", 1 },
                { "from (?P<host>\\S+) after .*", 0 },        /* after the address: harmless */
                /* anchored at both ends: the address the program appended last wins */
                { "^Failed for (?:invalid user )?<F-USER>.*</F-USER> from <HOST> port \\d+ ssh2$", 0 },
                { "\\AFailed for .* from <HOST>\\z", 0 },
                /* not a catch-all: narrow classes, lazy/possessive, escaped dots, dots in classes */
                { "Failed for \\S+ from <HOST>", 0 },
                { "Failed for [^ ]* from <HOST>", 0 },
                { "Failed for .*? from <HOST>", 0 },
                { "Failed for .*+ from <HOST>", 0 },
                { "a\\.* from <HOST>", 0 },
                { "[.]* from <HOST>", 0 },
                { "no address tag .*", 0 },
                { "escaped end .* from <HOST>\\$", 1 },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                size_t w;

                g_test_message("%s", cases[i].pattern);
                g_assert_cmpint(lint(cases[i].pattern, &w), ==, cases[i].refused);
        }
}

static void test_nested(void) {
        static const struct {
                const char *pattern;
                size_t warnings;
        } cases[] = {
                { "^(a+)+$ from <HOST>", 1 },
                { "^(\\w+\\s?)*$ <HOST>", 1 },
                { "^(?:x[a-z]*y)+ <HOST>$", 0 },              /* each repetition begins with 'x' */
                { "^(?: \\d+[a-z]+)* <HOST>$", 0 },         /* … with a blank */
                { "^(?P<u>\\S+ ?)+ <HOST>$", 1 },             /* named group, begins repeated */
                { "^(?:a|b+c)+ <HOST>$", 1 },                 /* an alternative begins repeated */
                { "^(?:b+c|a)+ <HOST>$", 1 },
                { "^((ab)+c)* <HOST>$", 1 },
                { "^(?>a+)+ <HOST>$", 0 },               /* atomic */
                { "^(a+)? <HOST>$", 0 },                 /* bounded outer */
                { "^(a{1,3})+ <HOST>$", 0 },             /* bounded inner */
                { "^(?:\\(a\\))+ <HOST>$", 0 },          /* escaped parentheses are no group */
                { "^(?:[+*]x)+ <HOST>$", 0 },            /* quantifier characters in a class */
                { "^\\S+ sshd(?:\\[\\d+\\])?: (?:error: )?<F-CONTENT>.+</F-CONTENT>$", 0 },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                size_t w;

                g_test_message("%s", cases[i].pattern);
                g_assert_cmpint(lint(cases[i].pattern, &w), ==, 0);
                g_assert_cmpuint(w, ==, cases[i].warnings);
        }
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/filter-lint/catch-all", test_catch_all);
        g_test_add_func("/filter-lint/nested", test_nested);
        return g_test_run();
}
