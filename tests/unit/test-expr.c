/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <glib.h>
#include <math.h>

#include "expr.h"
#include "macro.h"

static double eval_with(const char *text, const ExprVariable *vars, size_t n) {
        g_autofree char *error = NULL;
        Expr *e = NULL;
        double v = NAN;

        g_test_message("%s", text);
        g_assert_cmpint(expr_parse(text, &e, &error), ==, 0);
        g_assert_cmpint(expr_evaluate(e, vars, n, &v), ==, 0);
        expr_free(e);
        return v;
}
#define EVAL(t) eval_with((t), NULL, 0)

static void test_arithmetic(void) {
        g_assert_cmpfloat(EVAL("1 + 2 * 3"), ==, 7);
        g_assert_cmpfloat(EVAL("(1 + 2) * 3"), ==, 9);
        g_assert_cmpfloat(EVAL("2 ** 3 ** 2"), ==, 512);  /* right-associative */
        g_assert_cmpfloat(EVAL("-2 ** 2"), ==, -4);       /* as in Python */
        g_assert_cmpfloat(EVAL("7 // 2"), ==, 3);
        g_assert_cmpfloat(EVAL("-7 // 2"), ==, -4);
        g_assert_cmpfloat(EVAL("7 % 3"), ==, 1);
        g_assert_cmpfloat(EVAL("-7 % 3"), ==, 2);
        g_assert_cmpfloat(EVAL("1 << 10"), ==, 1024);
        g_assert_cmpfloat(EVAL("1 << 100"), ==, ldexp(1, 62)); /* capped */
        g_assert_cmpfloat(EVAL("1024 >> 3"), ==, 128);
        g_assert_cmpfloat(EVAL("3 if 1 < 2 else 4"), ==, 3);
        g_assert_cmpfloat(EVAL("3 if 1 > 2 else 4"), ==, 4);
        g_assert_cmpfloat(EVAL("min(5, 2, 9) + max(1, 7) + abs(-3) + int(2.9)"), ==, 14);
        g_assert_cmpfloat(EVAL("not 0 and 1 <= 1 and 2 >= 3 or 1 != 1 or 2 == 2"), ==, 1);
        g_assert_cmpfloat(EVAL("0x10 + .5"), ==, 16.5);
}

static void test_fail2ban_formula(void) {
        /* fail2ban's documented default: bantime doubles with each earlier ban, up to 2^20 */
        const char *f = "ban.Time * (1<<(ban.Count if ban.Count<20 else 20)) * banFactor";

        for (unsigned count = 0; count < 25; count++) {
                ExprVariable vars[] = { { "ban.Time", 600 }, { "ban.Count", count }, { "banFactor", 1 } };

                g_assert_cmpfloat(eval_with(f, vars, ELEMENTSOF(vars)), ==, 600.0 * (double) (1U << MIN(count, 20U)));
        }
}

static void test_errors(void) {
        static const char *const bad[] = {
                "", "1 +", "(1", "1)", "2 ** ", "foo(1)", "min()", "abs(1, 2)", "1 if 2", "1 ? 2 : 3",
                "__import__('os').system('x')", "x; y", "1 = 2", "a.b(", "if", "1 2",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                g_autofree char *error = NULL;
                Expr *e = NULL;

                g_assert_cmpint(expr_parse(bad[i], &e, &error), ==, -EINVAL);
                g_assert_nonnull(error);
                g_test_message("'%s': %s", bad[i], error);
        }

        /* limits: deep nesting and huge expressions are refused, not recursed into */
        g_autoptr(GString) deep = g_string_new(NULL);
        for (int i = 0; i < 100; i++)
                g_string_append_c(deep, '(');
        g_string_append_c(deep, '1');
        for (int i = 0; i < 100; i++)
                g_string_append_c(deep, ')');
        Expr *e = NULL;
        g_autofree char *error = NULL;
        g_assert_cmpint(expr_parse(deep->str, &e, &error), <, 0);
        g_autoptr(GString) wide = g_string_new("1");
        for (int i = 0; i < 300; i++)
                g_string_append(wide, "+1");
        g_clear_pointer(&error, g_free);
        g_assert_cmpint(expr_parse(wide->str, &e, &error), <, 0);

        /* evaluation errors */
        double v;
        g_assert_cmpint(expr_parse("1 / (x - x)", &e, NULL), ==, 0);
        ExprVariable x = { "x", 3 };
        g_assert_cmpint(expr_evaluate(e, &x, 1, &v), ==, -EDOM);
        g_auto(GStrv) unknown = expr_unknown_variables(e, NULL, 0);
        g_assert_cmpstr(unknown[0], ==, "x");
        g_assert_null(unknown[1]);
        g_assert_null(expr_unknown_variables(e, &x, 1));
        g_assert_cmpint(expr_evaluate(e, NULL, 0, &v), ==, -ENOENT);
        expr_free(e);
        g_assert_cmpint(expr_parse("10 ** 400", &e, NULL), ==, 0);
        g_assert_cmpint(expr_evaluate(e, NULL, 0, &v), ==, -EDOM);
        expr_free(e);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/expr/arithmetic", test_arithmetic);
        g_test_add_func("/expr/fail2ban-formula", test_fail2ban_formula);
        g_test_add_func("/expr/errors", test_errors);
        return g_test_run();
}
