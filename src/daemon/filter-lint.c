/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Load-time checks of a filter's regexes, on the pattern as written (after %(…)s interpolation, with the
 * tags still as text), before anything is compiled:
 *
 *  - refused: a greedy catch-all (".*", ".+", ".{n,}") before the first address tag of a failregex that is
 *    not anchored at both ends. Such a regex lets text an attacker controls (a user name, a URL) supply
 *    the address: unanchored, the regex engine takes the first place where the rest fits. Anchored at
 *    both ends, the greedy part runs to the end and backs off only as far as needed, so the address the
 *    program appended last wins.
 *  - warned: nested unbounded quantifiers, "(a+)+", "(\w+\s?)*": catastrophic backtracking on crafted
 *    input. The match limit bounds the cost, but such an entry then counts as no match.
 *
 * These are heuristics on the text of the regex, not a regex parser: they look at what fail2ban-style
 * filters write, and err on the side of a warning. */
#include <glib.h>

#include "filter-lint.h"
#include "macro.h"

static const char *const address_tags[] = { "<HOST>", "<ADDR>", "<IP4>", "<IP6>", "<SUBNET>", "<F-ADDR/>",
                                            "<F-IP4/>", "<F-IP6/>", "<F-SUBNET/>", "(?P<host>", "(?<host>",
                                            "(?P<ip4>", "(?<ip4>", "(?P<ip6>", "(?<ip6>", "(?P<addr>", "(?<addr>" };

/* Offset of the first address tag, or -1. */
static ssize_t first_address_tag(const char *p) {
        const char *best = NULL;

        for (size_t i = 0; i < ELEMENTSOF(address_tags); i++) {
                const char *t = strstr(p, address_tags[i]);

                if (t && (!best || t < best))
                        best = t;
        }
        return best ? best - p : -1;
}

/* Is a quantifier at p (after an atom) unbounded: '*', '+', or "{n,}"? Lazy ones ('*?') do not run to the
 * end first, possessive ones ('*+') never back off: neither is the greedy catch-all this is about, but both
 * still count as unbounded for nesting. Returns the quantifier's length, 0 if none. */
static size_t unbounded_quantifier(const char *p, bool *ret_greedy) {
        size_t n = 0;

        if (*p == '*' || *p == '+')
                n = 1;
        else if (*p == '{') {
                const char *q = p + 1;

                while (g_ascii_isdigit(*q))
                        q++;
                if (q > p + 1 && q[0] == ',' && q[1] == '}')
                        n = (size_t) (q + 2 - p);
        }
        if (n == 0)
                return 0;
        if (ret_greedy)
                *ret_greedy = p[n] != '?' && p[n] != '+';
        return n;
}

/* Length of a group's opening after '(' — "?:", "?P<name>", "?<name>", "?=", "?<!", "?>" … — so that it is
 * not mistaken for atoms. */
static size_t group_prefix(const char *p) {
        const char *q;

        if (p[0] != '?')
                return 0;
        if (strchr(":>=!|", p[1]) && p[1])
                return 2;
        if (p[1] == '<' && (p[2] == '=' || p[2] == '!'))
                return 3;
        if ((p[1] == 'P' && p[2] == '<') || p[1] == '<' || p[1] == '\'') {
                q = strchr(p, p[1] == '\'' ? '\'' : '>');
                return q ? (size_t) (q - p) + 1 : strlen(p);
        }
        /* inline flags "(?i)" or "(?i:…)" */
        for (q = p + 1; *q && *q != ':' && *q != ')'; q++)
                ;
        return *q == ':' ? (size_t) (q - p) + 1 : 0;
}

/* Walks the pattern once, skipping escapes and character classes. Reports whether a greedy ".*"-like
 * catch-all comes before offset LIMIT, and whether a group repeated without bound both contains an
 * unbounded quantifier and begins with a repeated element — "(a+)+", "(\w+\s?)*", "((ab)+c)*": then the
 * same text splits into repetitions in exponentially many ways. A repetition that begins with a fixed
 * character (" \d+[a-z]+" repeated) cannot be split differently, and is not reported. */
typedef struct GroupScan {
        bool inner_unbounded; /* contains an unbounded quantifier at any depth */
        bool seen_first;      /* its first element was looked at */
        bool starts_repeated; /* that first element is quantified (*, +, ?, {…}) */
        bool atomic;          /* "(?>…)": never backtracks into itself */
} GroupScan;

static void scan(const char *p, ssize_t limit, bool *ret_catch_all, bool *ret_nested) {
        GroupScan g[64] = {}; /* g[0] is the whole pattern; deeper nesting is treated as depth 63 */
        int depth = 0;
        bool greedy;

        *ret_catch_all = *ret_nested = false;
        for (size_t i = 0; p[i]; i++) {
                char c = p[i];
                size_t q;
                int d = MIN(depth, 63);

                if (c == '(') {
                        depth++;
                        d = MIN(depth, 63);
                        g[d] = (GroupScan) { .atomic = p[i + 1] == '?' && p[i + 2] == '>' };
                        i += group_prefix(p + i + 1);
                        continue;
                }
                if (c == '|') { /* a new alternative: it begins again */
                        g[d].seen_first = false;
                        continue;
                }

                /* an atom: an escape, a class, a closing group, or a plain character */
                bool closing = false;
                GroupScan closed = {};
                if (c == '\\') {
                        if (!p[i + 1])
                                return;
                        i++;
                } else if (c == '[') { /* up to the closing ']' (a leading ']' is literal) */
                        size_t k = i + 1;

                        if (p[k] == '^')
                                k++;
                        if (p[k] == ']')
                                k++;
                        for (; p[k] && p[k] != ']'; k++)
                                if (p[k] == '\\' && p[k + 1])
                                        k++;
                        if (!p[k])
                                return;
                        i = k;
                } else if (c == ')') {
                        closing = true;
                        closed = g[d];
                        if (depth > 0)
                                depth--;
                        d = MIN(depth, 63);
                }

                q = unbounded_quantifier(p + i + 1, &greedy);
                bool quantified = q > 0 || p[i + 1] == '?' || p[i + 1] == '{';
                if (!g[d].seen_first) {
                        g[d].seen_first = true;
                        g[d].starts_repeated = g[d].starts_repeated || quantified ||
                                               (closing && closed.starts_repeated);
                }
                if (q > 0) {
                        if (closing && closed.inner_unbounded && closed.starts_repeated && !closed.atomic)
                                *ret_nested = true;
                        g[d].inner_unbounded = true;
                        if (c == '.' && greedy && (limit < 0 || (ssize_t) i < limit))
                                *ret_catch_all = true;
                }
                if (closing && closed.inner_unbounded)
                        g[d].inner_unbounded = true;
        }
}

static bool anchored_start(const char *p) {
        return p[0] == '^' || g_str_has_prefix(p, "\\A");
}

static bool anchored_end(const char *p) {
        size_t n = strlen(p);

        if (n >= 1 && p[n - 1] == '$' && (n < 2 || p[n - 2] != '\\'))
                return true;
        return n >= 2 && p[n - 2] == '\\' && (p[n - 1] == 'z' || p[n - 1] == 'Z');
}

static void lint_one(const RegexDef *r, const char *kind, const char *fallback_file, bool failregex,
                     GPtrArray *errors, GPtrArray *warnings) {
        const char *file = r->file ? r->file : fallback_file;
        ssize_t tag = first_address_tag(r->pattern);
        bool catch_all, nested;

        scan(r->pattern, tag, &catch_all, &nested);
        if (failregex && tag >= 0 && catch_all && !(anchored_start(r->pattern) && anchored_end(r->pattern)))
                g_ptr_array_add(errors, g_strdup_printf("%s:%u: %s: a greedy catch-all ('.*', '.+') before the "
                                                        "address tag in a regex not anchored at both ends ('^…$') "
                                                        "lets logged text choose the address: anchor it, or match "
                                                        "the part before the address more narrowly ('\\S+')",
                                                        file, r->line, kind));
        if (nested)
                g_ptr_array_add(warnings, g_strdup_printf("%s:%u: %s: nested unbounded quantifiers (like "
                                                          "'(a+)+') can backtrack catastrophically on crafted "
                                                          "input; such entries hit the match limit and count as no "
                                                          "match", file, r->line, kind));
}

int filter_lint(const FilterDef *def, char ***ret_warnings, char **ret_error) {
        g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);

        for (size_t i = 0; i < def->n_failregex; i++)
                lint_one(&def->failregex[i], "failregex", def->file, true, errors, warnings);
        for (size_t i = 0; i < def->n_ignoreregex; i++)
                lint_one(&def->ignoreregex[i], "ignoreregex", def->file, false, errors, warnings);
        if (def->prefregex.pattern)
                lint_one(&def->prefregex, "prefregex", def->file, false, errors, warnings);

        if (errors->len > 0) {
                if (ret_error) {
                        g_ptr_array_add(errors, NULL);
                        *ret_error = g_strjoinv("\n", (char **) errors->pdata);
                }
                return -EINVAL;
        }
        if (ret_warnings) {
                g_ptr_array_add(warnings, NULL);
                *ret_warnings = (char **) g_ptr_array_free(g_steal_pointer(&warnings), false);
        }
        return 0;
}
