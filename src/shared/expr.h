/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

/* A small, safe arithmetic expression language for bantime.formula — what fail2ban evaluates as Python,
 * without Python, a shell or any way out of arithmetic:
 *
 *   numbers (123, 1.5, 0x10), variables ([A-Za-z_][A-Za-z0-9_.]*, values given at evaluation),
 *   + - * / // % ** << >> (integers for the shifts, capped at 62), unary - + not,
 *   < <= > >= == !=, and or, X if COND else Y, parentheses, min(a, b, …) max(a, b, …) abs(x) int(x).
 *
 * Parsed once (at configuration load, so a bad formula is a config error with its position); evaluated
 * per ban. Evaluation never loops: its cost is linear in the size of the expression, bounded at parse
 * time (EXPR_MAX_NODES, EXPR_MAX_DEPTH). */

#define EXPR_MAX_NODES 256
#define EXPR_MAX_DEPTH 32

typedef struct Expr Expr;

typedef struct ExprVariable {
        const char *name;
        double value;
} ExprVariable;

/* Returns 0, or -EINVAL with *ret_error ("at offset N: …", owned) — or -E2BIG when over the limits. */
int expr_parse(const char *text, Expr **ret, char **ret_error);
Expr *expr_free(Expr *e);

/* Names the expression uses that are not in VARS: NULL-terminated list, or NULL when all are known. */
char **expr_unknown_variables(const Expr *e, const ExprVariable *vars, size_t n_vars);

/* Returns 0 with *ret set, -EDOM for a division by zero or a result that is not a finite number, -ENOENT
 * for a variable not in VARS. */
int expr_evaluate(const Expr *e, const ExprVariable *vars, size_t n_vars, double *ret);
