/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <glib.h>
#include <math.h>

#include "expr.h"
#include "macro.h"

typedef enum NodeKind {
        NODE_NUMBER,
        NODE_VARIABLE,
        NODE_UNARY,  /* op: '-', '+', '!' (not) */
        NODE_BINARY, /* op: see eval_binary() */
        NODE_IF,     /* a if b else c */
        NODE_CALL,   /* min, max, abs, int */
} NodeKind;

typedef struct Node Node;
struct Node {
        NodeKind kind;
        int op;         /* operator, or the function for NODE_CALL */
        double number;
        char *name;     /* NODE_VARIABLE */
        Node **args;    /* operands */
        size_t n_args;
};

struct Expr {
        Node *root;
};

typedef struct Parser {
        const char *text;
        const char *p;
        size_t nodes;
        unsigned depth;
        char *error;
} Parser;

/* two-character operators as ints */
#define OP2(a, b) (((a) << 8) | (b))
enum { FN_MIN = 1, FN_MAX, FN_ABS, FN_INT };

static void node_free(Node *n) {
        if (!n)
                return;
        for (size_t i = 0; i < n->n_args; i++)
                node_free(n->args[i]);
        g_free(n->args);
        g_free(n->name);
        g_free(n);
}

static void node_free_each(void *n, void *userdata) {
        node_free(n);
}

Expr *expr_free(Expr *e) {
        if (!e)
                return NULL;
        node_free(e->root);
        g_free(e);
        return NULL;
}

static Node *fail(Parser *ps, const char *what) {
        if (!ps->error)
                ps->error = g_strdup_printf("at offset %zu: %s", (size_t) (ps->p - ps->text), what);
        return NULL;
}

static Node *node_new(Parser *ps, NodeKind kind, int op, size_t n_args, ...) {
        Node *n;
        va_list ap;

        if (++ps->nodes > EXPR_MAX_NODES) {
                /* the operands were handed over: free them, the caller will not */
                va_start(ap, n_args);
                for (size_t i = 0; i < n_args; i++)
                        node_free(va_arg(ap, Node *));
                va_end(ap);
                return fail(ps, "expression too long");
        }
        n = g_new0(Node, 1);
        n->kind = kind;
        n->op = op;
        n->n_args = n_args;
        n->args = n_args > 0 ? g_new0(Node *, n_args) : NULL;
        va_start(ap, n_args);
        for (size_t i = 0; i < n_args; i++)
                n->args[i] = va_arg(ap, Node *);
        va_end(ap);
        return n;
}

static void skip_blanks(Parser *ps) {
        while (g_ascii_isspace(*ps->p))
                ps->p++;
}

/* Consumes the token TOKEN (an operator or a keyword) if it comes next; keywords must end there. */
static bool accept(Parser *ps, const char *token) {
        size_t n = strlen(token);

        skip_blanks(ps);
        if (strncmp(ps->p, token, n) != 0)
                return false;
        if (g_ascii_isalpha(token[0]) && (g_ascii_isalnum(ps->p[n]) || ps->p[n] == '_'))
                return false;
        /* do not take "<" of "<<", "*" of "**", "/" of "//", "=" of "==" … */
        if (n == 1 && strchr("<>*/", token[0]) && ps->p[1] == token[0])
                return false;
        if (n == 1 && strchr("<>", token[0]) && ps->p[1] == '=')
                return false;
        ps->p += n;
        return true;
}

static Node *parse_expr(Parser *ps);

static Node *parse_atom(Parser *ps) {
        skip_blanks(ps);
        if (g_ascii_isdigit(*ps->p) || (*ps->p == '.' && g_ascii_isdigit(ps->p[1]))) {
                char *end;
                double v;
                Node *n;

                errno = 0;
                if (ps->p[0] == '0' && (ps->p[1] == 'x' || ps->p[1] == 'X'))
                        v = (double) g_ascii_strtoull(ps->p, &end, 16);
                else
                        v = g_ascii_strtod(ps->p, &end);
                if (errno != 0 || end == ps->p || !isfinite(v))
                        return fail(ps, "invalid number");
                ps->p = end;
                n = node_new(ps, NODE_NUMBER, 0, 0);
                if (n)
                        n->number = v;
                return n;
        }
        if (g_ascii_isalpha(*ps->p) || *ps->p == '_') {
                const char *start = ps->p;
                g_autofree char *name = NULL;

                while (g_ascii_isalnum(*ps->p) || *ps->p == '_' || *ps->p == '.')
                        ps->p++;
                name = g_strndup(start, (gsize) (ps->p - start));
                if (accept(ps, "(")) {
                        int fn = streq(name, "min") ? FN_MIN : streq(name, "max") ? FN_MAX :
                                 streq(name, "abs") ? FN_ABS : streq(name, "int") ? FN_INT : 0;
                        g_autoptr(GPtrArray) args = g_ptr_array_new();
                        Node *n;

                        if (fn == 0) {
                                ps->p = start;
                                return fail(ps, "unknown function (min, max, abs and int are known)");
                        }
                        do {
                                Node *a = parse_expr(ps);

                                if (!a) {
                                        g_ptr_array_foreach(args, node_free_each, NULL);
                                        return NULL;
                                }
                                g_ptr_array_add(args, a);
                        } while (accept(ps, ","));
                        if (!accept(ps, ")") || ((fn == FN_ABS || fn == FN_INT) && args->len != 1)) {
                                g_ptr_array_foreach(args, node_free_each, NULL);
                                return fail(ps, "bad arguments: expected ')' (abs and int take one argument)");
                        }
                        n = node_new(ps, NODE_CALL, fn, 0);
                        if (!n) {
                                g_ptr_array_foreach(args, node_free_each, NULL);
                                return NULL;
                        }
                        n->n_args = args->len;
                        n->args = (Node **) g_ptr_array_free(g_steal_pointer(&args), false);
                        return n;
                }
                if (streq(name, "if") || streq(name, "else") || streq(name, "and") || streq(name, "or") ||
                    streq(name, "not")) {
                        ps->p = start;
                        return fail(ps, "a value was expected here");
                }
                Node *n = node_new(ps, NODE_VARIABLE, 0, 0);
                if (n)
                        n->name = TAKE_PTR(name);
                return n;
        }
        if (accept(ps, "(")) {
                Node *n = parse_expr(ps);

                if (n && !accept(ps, ")")) {
                        node_free(n);
                        return fail(ps, "')' expected");
                }
                return n;
        }
        return fail(ps, *ps->p ? "unexpected character" : "unexpected end");
}

static Node *parse_unary(Parser *ps);

static Node *parse_power(Parser *ps) {
        Node *l = parse_atom(ps), *r;

        if (l && accept(ps, "**")) {
                r = parse_unary(ps); /* right-associative, and binds tighter than a unary minus on its left */
                if (!r) {
                        node_free(l);
                        return NULL;
                }
                return node_new(ps, NODE_BINARY, OP2('*', '*'), 2, l, r);
        }
        return l;
}

static Node *parse_unary(Parser *ps) {
        Node *n;
        int op;

        skip_blanks(ps);
        if (accept(ps, "-"))
                op = '-';
        else if (accept(ps, "+"))
                op = '+';
        else
                return parse_power(ps);
        if (++ps->depth > EXPR_MAX_DEPTH)
                return fail(ps, "expression nested too deeply");
        n = parse_unary(ps);
        ps->depth--;
        return n ? node_new(ps, NODE_UNARY, op, 1, n) : NULL;
}

/* One level of left-associative binary operators: OPS are tried in order (longer ones first). */
static Node *parse_binary(Parser *ps, Node *(*next)(Parser *), const char *const *ops) {
        Node *l = next(ps);

        while (l) {
                const char *matched = NULL;
                Node *r;

                for (size_t i = 0; ops[i] && !matched; i++)
                        if (accept(ps, ops[i]))
                                matched = ops[i];
                if (!matched)
                        break;
                r = next(ps);
                if (!r) {
                        node_free(l);
                        return NULL;
                }
                l = node_new(ps, NODE_BINARY, matched[1] ? OP2(matched[0], matched[1]) : matched[0], 2, l, r);
        }
        return l;
}

static Node *parse_mul(Parser *ps) {
        static const char *const ops[] = { "//", "*", "/", "%", NULL };
        return parse_binary(ps, parse_unary, ops);
}
static Node *parse_add(Parser *ps) {
        static const char *const ops[] = { "+", "-", NULL };
        return parse_binary(ps, parse_mul, ops);
}
static Node *parse_shift(Parser *ps) {
        static const char *const ops[] = { "<<", ">>", NULL };
        return parse_binary(ps, parse_add, ops);
}
static Node *parse_cmp(Parser *ps) {
        static const char *const ops[] = { "<=", ">=", "==", "!=", "<", ">", NULL };
        return parse_binary(ps, parse_shift, ops);
}
static Node *parse_not(Parser *ps) {
        Node *n;

        if (!accept(ps, "not"))
                return parse_cmp(ps);
        if (++ps->depth > EXPR_MAX_DEPTH)
                return fail(ps, "expression nested too deeply");
        n = parse_not(ps);
        ps->depth--;
        return n ? node_new(ps, NODE_UNARY, '!', 1, n) : NULL;
}
static Node *parse_and(Parser *ps) {
        static const char *const ops[] = { "and", NULL };
        return parse_binary(ps, parse_not, ops);
}
static Node *parse_or(Parser *ps) {
        static const char *const ops[] = { "or", NULL };
        return parse_binary(ps, parse_and, ops);
}

static Node *parse_expr(Parser *ps) {
        Node *a, *c, *b;

        if (++ps->depth > EXPR_MAX_DEPTH)
                return fail(ps, "expression nested too deeply");
        a = parse_or(ps);
        if (a && accept(ps, "if")) {
                c = parse_or(ps);
                if (!c || !accept(ps, "else")) {
                        node_free(a);
                        node_free(c);
                        return fail(ps, "'else' expected");
                }
                b = parse_expr(ps);
                if (!b) {
                        node_free(a);
                        node_free(c);
                        return NULL;
                }
                a = node_new(ps, NODE_IF, 0, 3, a, c, b);
        }
        ps->depth--;
        return a;
}

int expr_parse(const char *text, Expr **ret, char **ret_error) {
        Parser ps = { .text = text, .p = text };
        Node *root;

        if (strlen(text) > 4096) {
                if (ret_error)
                        *ret_error = g_strdup("expression too long");
                return -E2BIG;
        }
        root = parse_expr(&ps);
        skip_blanks(&ps);
        if (root && *ps.p) {
                node_free(root);
                root = fail(&ps, "unexpected text after the expression");
        }
        if (!root) {
                if (ret_error)
                        *ret_error = TAKE_PTR(ps.error);
                g_free(ps.error);
                return -EINVAL;
        }
        Expr *e = g_new0(Expr, 1);
        e->root = root;
        *ret = e;
        return 0;
}

static void collect_unknown(const Node *n, const ExprVariable *vars, size_t n_vars, GPtrArray *out) {
        if (n->kind == NODE_VARIABLE) {
                bool known = false;

                for (size_t i = 0; i < n_vars && !known; i++)
                        known = streq(vars[i].name, n->name);
                for (guint i = 0; i < out->len && !known; i++)
                        known = streq(out->pdata[i], n->name);
                if (!known)
                        g_ptr_array_add(out, g_strdup(n->name));
        }
        for (size_t i = 0; i < n->n_args; i++)
                collect_unknown(n->args[i], vars, n_vars, out);
}

char **expr_unknown_variables(const Expr *e, const ExprVariable *vars, size_t n_vars) {
        GPtrArray *out = g_ptr_array_new();

        collect_unknown(e->root, vars, n_vars, out);
        if (out->len == 0) {
                g_ptr_array_free(out, true);
                return NULL;
        }
        g_ptr_array_add(out, NULL);
        return (char **) g_ptr_array_free(out, false);
}

static int eval(const Node *n, const ExprVariable *vars, size_t n_vars, double *ret);

static int eval_binary(const Node *n, const ExprVariable *vars, size_t n_vars, double *ret) {
        double a, b;
        int r;

        r = eval(n->args[0], vars, n_vars, &a);
        if (r < 0)
                return r;
        /* and/or short-circuit like Python's, returning a truth value */
        if (n->op == OP2('a', 'n') && a == 0) {
                *ret = 0;
                return 0;
        }
        if (n->op == OP2('o', 'r') && a != 0) {
                *ret = 1;
                return 0;
        }
        r = eval(n->args[1], vars, n_vars, &b);
        if (r < 0)
                return r;
        switch (n->op) {
        case '+': *ret = a + b; break;
        case '-': *ret = a - b; break;
        case '*': *ret = a * b; break;
        case '/':
                if (b == 0)
                        return -EDOM;
                *ret = a / b;
                break;
        case OP2('/', '/'):
                if (b == 0)
                        return -EDOM;
                *ret = floor(a / b);
                break;
        case '%':
                if (b == 0)
                        return -EDOM;
                *ret = a - b * floor(a / b);
                break;
        case OP2('*', '*'): *ret = pow(a, b); break;
        case OP2('<', '<'):
        case OP2('>', '>'): {
                double s = MIN(MAX(floor(b), 0.0), 62.0);

                *ret = n->op == OP2('<', '<') ? floor(a) * ldexp(1.0, (int) s) : floor(ldexp(floor(a), -(int) s));
                break;
        }
        case '<': *ret = a < b; break;
        case '>': *ret = a > b; break;
        case OP2('<', '='): *ret = a <= b; break;
        case OP2('>', '='): *ret = a >= b; break;
        case OP2('=', '='): *ret = a == b; break;
        case OP2('!', '='): *ret = a != b; break;
        case OP2('a', 'n'): *ret = b != 0; break;
        case OP2('o', 'r'): *ret = b != 0; break;
        default: return -EINVAL;
        }
        return isfinite(*ret) ? 0 : -EDOM;
}

static int eval(const Node *n, const ExprVariable *vars, size_t n_vars, double *ret) {
        double v, w;
        int r;

        switch (n->kind) {
        case NODE_NUMBER:
                *ret = n->number;
                return 0;
        case NODE_VARIABLE:
                for (size_t i = 0; i < n_vars; i++)
                        if (streq(vars[i].name, n->name)) {
                                *ret = vars[i].value;
                                return 0;
                        }
                return -ENOENT;
        case NODE_UNARY:
                r = eval(n->args[0], vars, n_vars, &v);
                if (r < 0)
                        return r;
                *ret = n->op == '-' ? -v : n->op == '!' ? (v == 0) : v;
                return 0;
        case NODE_BINARY:
                return eval_binary(n, vars, n_vars, ret);
        case NODE_IF:
                r = eval(n->args[1], vars, n_vars, &v);
                if (r < 0)
                        return r;
                return eval(n->args[v != 0 ? 0 : 2], vars, n_vars, ret);
        case NODE_CALL:
                r = eval(n->args[0], vars, n_vars, &v);
                if (r < 0)
                        return r;
                for (size_t i = 1; i < n->n_args; i++) {
                        r = eval(n->args[i], vars, n_vars, &w);
                        if (r < 0)
                                return r;
                        v = n->op == FN_MIN ? MIN(v, w) : MAX(v, w);
                }
                *ret = n->op == FN_ABS ? fabs(v) : n->op == FN_INT ? trunc(v) : v;
                return 0;
        }
        return -EINVAL;
}

int expr_evaluate(const Expr *e, const ExprVariable *vars, size_t n_vars, double *ret) {
        double v;
        int r = eval(e->root, vars, n_vars, &v);

        if (r < 0)
                return r;
        if (!isfinite(v))
                return -EDOM;
        *ret = v;
        return 0;
}
