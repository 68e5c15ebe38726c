/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The filter engine: fail2ban-format regexes, translated to PCRE2 (filter-tags.c) and JIT-compiled.
 *
 * Non-logging module: errors go back as negative errno plus, from filter_new(), a message string.
 *
 * Cost model (the hot path is filter_match() on a line that does not match):
 *   - no allocation: one pcre2_match_context, one JIT stack and two match_data blocks per Filter,
 *     all made in filter_new() and reused for every line;
 *   - one JIT match of the prefregex (if any), then one JIT match of a combined pattern
 *     "(?:re0(*MARK:0))|(?:re1(*MARK:1))|…" of all failregexes. No match: done.
 *   On a match, the mark names the branch k that matched at the leftmost position. fail2ban's semantics
 *   are "the first failregex in order that matches anywhere", so failregexes 0…k-1 may still match
 *   further right: only those are tried one by one; if none does, k decides, with the captures the
 *   combined match already has (they are regex k's own: at that position no earlier branch matched
 *   and the branch backtracks exactly like regex k alone). A line that the first failregex matches
 *   costs one match. Only on a limit hit in the combined pattern is every failregex tried. */

#define PCRE2_CODE_UNIT_WIDTH 8

#include <assert.h>
#include <errno.h>
#include <glib.h>
#include <limits.h>
#include <pcre2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter-tags.h"
#include "filter.h"
#include "macro.h"

/* Defaults of filter_set_limits(). */
#define FILTER_MATCH_LIMIT_DEFAULT 100000U
#define FILTER_DEPTH_LIMIT_DEFAULT 10000U

/* Limits in PCRE2 10.42, interpreter versus JIT (pcre2api(3) on pcre2_set_*_limit(), pcre2jit(3)):
 *   - match limit: honoured by both. With JIT it is applied "in a different way" (what is counted is
 *     not the same as the interpreter's loop count), but JIT does stop with PCRE2_ERROR_MATCHLIMIT,
 *     so the bound on CPU time holds with JIT too;
 *   - depth limit: ignored by JIT, which never returns PCRE2_ERROR_DEPTHLIMIT;
 *   - heap limit: ignored by JIT; the interpreter keeps its backtracking frames on the heap, and the
 *     built-in default is essentially unlimited (Debian: 20 GB), so we set one.
 * With JIT, what bounds memory is the JIT stack: by default 32 KiB of the machine stack, beyond which
 * the match fails with PCRE2_ERROR_JIT_STACKLIMIT. We give each Filter its own JIT stack and derive its
 * maximum from the depth limit (JIT_STACK_BYTES_PER_DEPTH per unit, clamped), and the interpreter's
 * heap limit likewise (HEAP_BYTES_PER_DEPTH, frames are bigger), so that the one "depth" knob bounds
 * memory in both modes. The default depth (10000) gives a 640 KiB JIT stack, inside the 512 KiB–1 MiB
 * that pcre2jit(3) recommends, and a 2.5 MB heap limit. Any of these errors yields FILTER_LIMIT. */
#define JIT_STACK_BYTES_PER_DEPTH 64U
#define JIT_STACK_MIN (32U * 1024U)
#define JIT_STACK_MAX (8U * 1024U * 1024U)
#define HEAP_BYTES_PER_DEPTH 256U

/* What a named group means to us. Group names come from our tags (filter-tags.c: ip4, ip6, dns, and the
 * lower-cased <F-NAME>) or from the filter author ((?P<host>…) and friends). */
typedef enum GroupRole {
        GROUP_ADDRESS,  /* ip4, ip6, addr, host: parsed with address_parse_n() */
        GROUP_HOSTNAME, /* dns: a name, never resolved here → FILTER_NO_ADDRESS */
        GROUP_USER,     /* user */
        GROUP_ID,       /* id, fid */
        GROUP_CONTENT,  /* content (prefregex only) */
        GROUP_CIDR,     /* cidr: the prefix length of the address beside it (<CIDR>, <SUBNET>) */
        GROUP_FIELD,    /* any other name: reported in FilterMatch.fields */
        GROUP_MLFID,    /* mlfid: the multi-line session id */
        GROUP_NOFAIL,   /* nofail, mlfforget, mlfgained: flags of a session line (FILTER_MATCH_*) */
        GROUP_MLFFORGET,
        GROUP_MLFGAINED,
        GROUP_SKIP,     /* skiplinesN (<SKIPLINES>): lines between the parts of a multi-line match */
        _GROUP_ROLE_MAX,
        _GROUP_ROLE_INVALID = -EINVAL,
} GroupRole;

#define ROLE_BIT(r) (1U << (r))
#define ADDRESS_ROLES (ROLE_BIT(GROUP_ADDRESS) | ROLE_BIT(GROUP_HOSTNAME))

/* fail2ban's complex names: alt_NAME[_N] fills NAME when NAME is unset or empty (the first non-empty one
 * wins), tuple_NAME[_N] is appended to NAME (fail2ban makes a Python tuple of them; we join them with
 * ','). The role of such a group is the role of NAME. */
typedef enum GroupKind {
        GROUP_MAIN,
        GROUP_ALT,
        GROUP_TUPLE,
} GroupKind;

typedef struct GroupRef {
        uint32_t number;
        GroupRole role;
        GroupKind kind;
        const char *name; /* in PCRE2's name table: valid as long as the code */
        char *base;       /* NAME of an alt_/tuple_ group (owned), else NULL: the name is the base */
} GroupRef;

#define GROUP_BASE(g) ((g)->base ?: (g)->name)

typedef struct Regex {
        pcre2_code *code;
        bool jit;
        GroupRef *groups; /* sorted by group number: the first set one of a role wins */
        size_t n_groups;
        unsigned roles;   /* ROLE_BIT()s present */
        uint32_t combined_offset; /* failregex: number of capture groups before it in the combined pattern */
} Regex;

struct Filter {
        FilterDef *def; /* deep copy, owned */

        Regex *fail;
        size_t n_fail;
        Regex *ignore;
        size_t n_ignore;
        Regex pref;     /* .code == NULL when the definition has no prefregex */
        Regex combined; /* .code == NULL when not built (fewer than two failregexes, or not combinable) */

        pcre2_match_context *mcontext;
        pcre2_jit_stack *jit_stack;
        pcre2_match_data *md;          /* failregex, ignoreregex */
        pcre2_match_data *md_pref;     /* prefregex: its captures must survive the failregex match */
        pcre2_match_data *md_combined; /* combined: may provide the deciding failregex's captures */

        unsigned match_limit;
        unsigned depth_limit;
        uint32_t compile_options; /* PCRE2_MULTILINE with maxlines > 1, as fail2ban compiles re.MULTILINE */
        bool sessions;            /* some failregex or the prefregex captures <F-MLFID> */
};

static const char *const filter_result_table[_FILTER_RESULT_MAX] = {
        [FILTER_NO_MATCH] = "no-match",
        [FILTER_FAILURE] = "failure",
        [FILTER_IGNORED] = "ignored",
        [FILTER_NO_ADDRESS] = "no-address",
        [FILTER_LIMIT] = "limit",
};

const char *filter_result_to_string(FilterResult r) {
        if (r < 0 || r >= _FILTER_RESULT_MAX)
                return NULL;
        return filter_result_table[r];
}

void filter_match_done(FilterMatch *m) {
        if (!m)
                return;

        m->prefixlen = 0;
        free(m->user);
        m->user = NULL;
        free(m->id);
        m->id = NULL;
        free(m->mlfid);
        m->mlfid = NULL;
        g_strfreev(m->fields);
        m->fields = NULL;
        m->regex_index = -1;
        m->flags = 0;
        m->match_start = m->match_end = 0;
        m->n_skipped = 0;
}

/* ---- Compilation ---- */

static GroupRole group_role_from_name(const char *name) {
        if (streq(name, "ip4") || streq(name, "ip6") || streq(name, "addr") || streq(name, "host"))
                return GROUP_ADDRESS;
        if (streq(name, "dns"))
                return GROUP_HOSTNAME;
        if (streq(name, "user"))
                return GROUP_USER;
        if (streq(name, "id") || streq(name, "fid"))
                return GROUP_ID;
        if (streq(name, "content"))
                return GROUP_CONTENT;
        if (streq(name, "cidr"))
                return GROUP_CIDR;
        if (streq(name, "mlfid"))
                return GROUP_MLFID;
        if (streq(name, "nofail"))
                return GROUP_NOFAIL;
        if (streq(name, "mlfforget"))
                return GROUP_MLFFORGET;
        if (streq(name, "mlfgained"))
                return GROUP_MLFGAINED;
        if (g_str_has_prefix(name, "skiplines"))
                return GROUP_SKIP;
        return GROUP_FIELD;
}

static int group_ref_compare(const void *a, const void *b) {
        const GroupRef *x = a, *y = b;
        return x->number < y->number ? -1 : x->number > y->number ? 1 : 0;
}

static int regex_index_groups(Regex *r) {
        uint32_t count = 0, entry_size = 0;
        PCRE2_SPTR table = NULL;

        if (pcre2_pattern_info(r->code, PCRE2_INFO_NAMECOUNT, &count) < 0 ||
            pcre2_pattern_info(r->code, PCRE2_INFO_NAMEENTRYSIZE, &entry_size) < 0 ||
            pcre2_pattern_info(r->code, PCRE2_INFO_NAMETABLE, &table) < 0)
                return -EIO;
        if (count == 0)
                return 0;

        r->groups = calloc(count, sizeof(GroupRef));
        if (!r->groups)
                return -ENOMEM;

        for (uint32_t i = 0; i < count; i++) {
                const unsigned char *e = table + (size_t) i * entry_size;
                const char *name = (const char *) e + 2;
                GroupKind kind = GROUP_MAIN;
                char *base = NULL;
                GroupRole role;

                /* alt_NAME, alt_NAME_2, tuple_NAME_1 → NAME (fail2ban maps id → fid, port → fport) */
                if (g_str_has_prefix(name, "alt_") || g_str_has_prefix(name, "tuple_")) {
                        const char *b = name + (name[0] == 'a' ? 4 : 6);
                        size_t n = strlen(b), k = n;

                        while (k > 0 && g_ascii_isdigit(b[k - 1]))
                                k--;
                        if (k < n && k > 1 && b[k - 1] == '_')
                                n = k - 1;
                        if (n > 0) {
                                base = strndup(b, n);
                                if (!base)
                                        return -ENOMEM;
                                if (streq(base, "id") || streq(base, "port")) {
                                        char *m = NULL;
                                        int q = asprintf(&m, "f%s", base);

                                        free(base);
                                        if (q < 0)
                                                return -ENOMEM;
                                        base = m;
                                }
                                kind = name[0] == 'a' ? GROUP_ALT : GROUP_TUPLE;
                        }
                }
                role = group_role_from_name(base ?: name);
                if (role < 0) {
                        free(base);
                        continue;
                }
                r->groups[r->n_groups++] = (GroupRef) {
                        .number = ((uint32_t) e[0] << 8) | e[1],
                        .role = role,
                        .kind = kind,
                        .name = name,
                        .base = base,
                };
                r->roles |= ROLE_BIT(role);
        }

        qsort(r->groups, r->n_groups, sizeof(GroupRef), group_ref_compare);
        return 0;
}

static void regex_done(Regex *r) {
        pcre2_code_free(r->code);
        r->code = NULL;
        for (size_t i = 0; i < r->n_groups; i++)
                free(r->groups[i].base);
        free(r->groups);
        r->groups = NULL;
        r->n_groups = 0;
        r->roles = 0;
}

#define COMPILE_OPTIONS (PCRE2_DUPNAMES | PCRE2_NEVER_UTF | PCRE2_NEVER_BACKSLASH_C)

/* Compiles an already expanded pattern. On a PCRE2 error returns -EINVAL with the message and the
 * offset (into the expanded text) in ret_message/ret_offset. */
static int regex_compile(const char *pattern, size_t len, uint32_t options, Regex *ret,
                         char ret_message[static 256], size_t *ret_offset) {
        Regex r = {};
        int errcode;
        PCRE2_SIZE erroffset;
        int k;

        r.code = pcre2_compile((PCRE2_SPTR) pattern, len, COMPILE_OPTIONS | options, &errcode, &erroffset, NULL);
        if (!r.code) {
                if (errcode == PCRE2_ERROR_HEAP_FAILED)
                        return -ENOMEM;
                if (pcre2_get_error_message(errcode, (PCRE2_UCHAR *) ret_message, 256) < 0)
                        snprintf(ret_message, 256, "PCRE2 error %i", errcode);
                *ret_offset = erroffset;
                return -EINVAL;
        }

        /* Without JIT (not built in, or executable memory refused) pcre2_match() interprets. */
        r.jit = pcre2_jit_compile(r.code, PCRE2_JIT_COMPLETE) == 0;

        k = regex_index_groups(&r);
        if (k < 0) {
                regex_done(&r);
                return k;
        }

        *ret = r;
        return 0;
}

static uint32_t regex_capture_count(const Regex *r) {
        uint32_t c = 0;

        if (r->code)
                (void) pcre2_pattern_info(r->code, PCRE2_INFO_CAPTURECOUNT, &c);
        return c;
}

/* Expands and compiles one RegexDef. kind is "failregex", "ignoreregex" or "prefregex". On an invalid
 * pattern returns -EINVAL and sets *ret_error to "FILE:LINE: KIND: message at offset N", N counted in
 * the pattern as written. If ret_expanded is non-NULL, the expansion is returned there too. */
static int regex_def_compile(const RegexDef *rd, const char *kind, const char *fallback_file, uint32_t options,
                             Regex *ret, char **ret_expanded, char **ret_error) {
        g_autoptr(GString) out = g_string_new(NULL);
        g_autoptr(GArray) map = g_array_new(FALSE, FALSE, sizeof(size_t));
        const char *file = rd->file ?: fallback_file ?: "<unknown>";
        char message[256];
        size_t offset = 0;
        int r;

        filter_pattern_expand(rd->pattern ?: "", out, map);

        r = regex_compile(out->str, out->len, options, ret, message, &offset);
        if (r == -EINVAL && ret_error) {
                size_t src_offset = filter_pattern_source_offset(rd->pattern ?: "", map, offset);
                if (asprintf(ret_error, "%s:%u: %s: %s at offset %zu", file, rd->line, kind, message,
                             src_offset) < 0) {
                        *ret_error = NULL;
                        return -ENOMEM;
                }
                return r;
        }
        if (r < 0)
                return r;

        if (ret_expanded)
                *ret_expanded = g_strdup(out->str);
        return 0;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(FilterDef *, filter_def_free);

static int regex_def_copy(const RegexDef *src, RegexDef *dst) {
        *dst = (RegexDef) { .line = src->line };

        if (src->pattern && !(dst->pattern = strdup(src->pattern)))
                return -ENOMEM;
        if (src->file && !(dst->file = strdup(src->file))) {
                regex_def_done(dst);
                return -ENOMEM;
        }
        return 0;
}

static int strdup_or_null(const char *s, char **ret) {
        *ret = NULL;
        if (s && !(*ret = strdup(s)))
                return -ENOMEM;
        return 0;
}

static FilterDef *filter_def_copy(const FilterDef *d) {
        _cleanup_(filter_def_freep) FilterDef *c = NULL;

        c = calloc(1, sizeof(FilterDef));
        if (!c)
                return NULL;

        if (strdup_or_null(d->name, &c->name) < 0 || strdup_or_null(d->file, &c->file) < 0 ||
            strdup_or_null(d->journalmatch, &c->journalmatch) < 0 ||
            strdup_or_null(d->journalmatch_file, &c->journalmatch_file) < 0)
                return NULL;
        c->journalmatch_line = d->journalmatch_line;
        c->maxlines = d->maxlines;
        c->maxmatches = d->maxmatches;

        if (d->n_failregex > 0) {
                c->failregex = calloc(d->n_failregex, sizeof(RegexDef));
                if (!c->failregex)
                        return NULL;
                for (; c->n_failregex < d->n_failregex; c->n_failregex++)
                        if (regex_def_copy(&d->failregex[c->n_failregex], &c->failregex[c->n_failregex]) < 0)
                                return NULL;
        }
        if (d->n_ignoreregex > 0) {
                c->ignoreregex = calloc(d->n_ignoreregex, sizeof(RegexDef));
                if (!c->ignoreregex)
                        return NULL;
                for (; c->n_ignoreregex < d->n_ignoreregex; c->n_ignoreregex++)
                        if (regex_def_copy(&d->ignoreregex[c->n_ignoreregex],
                                           &c->ignoreregex[c->n_ignoreregex]) < 0)
                                return NULL;
        }
        if (regex_def_copy(&d->prefregex, &c->prefregex) < 0)
                return NULL;

        return TAKE_PTR(c);
}

static int filter_make_jit_stack(Filter *f) {
        size_t max = (size_t) f->depth_limit * JIT_STACK_BYTES_PER_DEPTH;
        pcre2_jit_stack *s;

        max = MIN(MAX(max, (size_t) JIT_STACK_MIN), (size_t) JIT_STACK_MAX);
        s = pcre2_jit_stack_create(MIN((size_t) JIT_STACK_MIN, max), max, NULL);
        if (!s)
                return -ENOMEM;

        pcre2_jit_stack_free(f->jit_stack);
        f->jit_stack = s;
        pcre2_jit_stack_assign(f->mcontext, NULL, f->jit_stack);
        return 0;
}

Filter *filter_free(Filter *f) {
        if (!f)
                return NULL;

        for (size_t i = 0; i < f->n_fail; i++)
                regex_done(&f->fail[i]);
        free(f->fail);
        for (size_t i = 0; i < f->n_ignore; i++)
                regex_done(&f->ignore[i]);
        free(f->ignore);
        regex_done(&f->pref);
        regex_done(&f->combined);

        pcre2_match_data_free(f->md);
        pcre2_match_data_free(f->md_pref);
        pcre2_match_data_free(f->md_combined);
        pcre2_jit_stack_free(f->jit_stack);
        pcre2_match_context_free(f->mcontext);

        filter_def_free(f->def);
        free(f);
        return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(Filter *, filter_free);

/* Builds the combined pattern. Failure is not an error: the filter then matches regex by regex. */
static void filter_build_combined(Filter *f, char **expanded) {
        g_autoptr(GString) p = g_string_new(NULL);
        uint32_t groups = 0;
        char message[256];
        size_t offset;

        if (f->n_fail < 2)
                return;

        for (size_t i = 0; i < f->n_fail; i++) {
                if (!filter_pattern_is_combinable(expanded[i]))
                        return;
                /* The mark goes last, so that it does not hide a leading ^ from PCRE2's anchoring
                 * analysis. */
                g_string_append_printf(p, "%s(?:%s(*MARK:%zu))", i > 0 ? "|" : "", expanded[i], i);
                f->fail[i].combined_offset = groups;
                groups += regex_capture_count(&f->fail[i]);
        }

        (void) regex_compile(p->str, p->len, f->compile_options, &f->combined, message, &offset);
}

static int filter_apply_limits(Filter *f, unsigned match_limit, unsigned depth_limit) {
        /* 0 means "the default". */
        f->match_limit = match_limit > 0 ? match_limit : FILTER_MATCH_LIMIT_DEFAULT;
        f->depth_limit = depth_limit > 0 ? depth_limit : FILTER_DEPTH_LIMIT_DEFAULT;

        (void) pcre2_set_match_limit(f->mcontext, f->match_limit);
        (void) pcre2_set_depth_limit(f->mcontext, f->depth_limit);
        /* In KiB; at least 64 KiB, for the frames pcre2_match() always needs. */
        (void) pcre2_set_heap_limit(f->mcontext,
                                    (uint32_t) MAX((uint64_t) f->depth_limit * HEAP_BYTES_PER_DEPTH / 1024U, 64U));
        return filter_make_jit_stack(f);
}

void filter_set_limits(Filter *f, unsigned match_limit, unsigned depth_limit) {
        assert(f);

        /* On OOM the previous JIT stack stays: it is a bound on memory either way. */
        (void) filter_apply_limits(f, match_limit, depth_limit);
}

static int error_no_host(const RegexDef *rd, const char *fallback_file, char **ret_error) {
        if (!ret_error)
                return -EINVAL;
        if (asprintf(ret_error,
                     "%s:%u: failregex: no <HOST> tag (nor <ADDR>, <IP4>, <IP6>, <DNS>, <SUBNET> or a group "
                     "named host, addr, ip4, ip6 or dns)",
                     rd->file ?: fallback_file ?: "<unknown>", rd->line) < 0) {
                *ret_error = NULL;
                return -ENOMEM;
        }
        return -EINVAL;
}

int filter_new(const FilterDef *def, Filter **ret, char **ret_error) {
        _cleanup_(filter_freep) Filter *f = NULL;
        g_auto(GStrv) expanded = NULL;
        uint32_t max_captures;
        int r;

        assert(def);
        assert(ret);

        f = calloc(1, sizeof(Filter));
        if (!f)
                return -ENOMEM;

        f->def = filter_def_copy(def);
        if (!f->def)
                return -ENOMEM;
        f->compile_options = def->maxlines > 1 ? PCRE2_MULTILINE : 0;

        if (def->prefregex.pattern) {
                r = regex_def_compile(&def->prefregex, "prefregex", def->file, f->compile_options, &f->pref, NULL,
                                      ret_error);
                if (r < 0)
                        return r;
        }

        expanded = g_new0(char *, def->n_failregex + 1);
        f->fail = calloc(MAX(def->n_failregex, 1U), sizeof(Regex));
        if (!f->fail)
                return -ENOMEM;
        for (; f->n_fail < def->n_failregex; f->n_fail++) {
                const RegexDef *rd = &def->failregex[f->n_fail];
                Regex *re = &f->fail[f->n_fail];

                r = regex_def_compile(rd, "failregex", def->file, f->compile_options, re, &expanded[f->n_fail],
                                      ret_error);
                if (r < 0)
                        return r;

                /* The address may also come from the prefregex (fail2ban allows that too), or from an
                 * earlier line of the same multi-line session. */
                if (((re->roles | f->pref.roles) & ROLE_BIT(GROUP_MLFID)))
                        f->sessions = true;
                else if (!(re->roles & ADDRESS_ROLES) && !(f->pref.roles & ADDRESS_ROLES)) {
                        f->n_fail++; /* compiled: filter_free() must see it */
                        return error_no_host(rd, def->file, ret_error);
                }
        }

        f->ignore = calloc(MAX(def->n_ignoreregex, 1U), sizeof(Regex));
        if (!f->ignore)
                return -ENOMEM;
        for (; f->n_ignore < def->n_ignoreregex; f->n_ignore++) {
                r = regex_def_compile(&def->ignoreregex[f->n_ignore], "ignoreregex", def->file,
                                      f->compile_options, &f->ignore[f->n_ignore], NULL, ret_error);
                if (r < 0)
                        return r;
        }

        filter_build_combined(f, expanded);

        /* One match data block fits every regex of the filter. */
        max_captures = MAX(regex_capture_count(&f->pref), regex_capture_count(&f->combined));
        for (size_t i = 0; i < f->n_fail; i++)
                max_captures = MAX(max_captures, regex_capture_count(&f->fail[i]));
        for (size_t i = 0; i < f->n_ignore; i++)
                max_captures = MAX(max_captures, regex_capture_count(&f->ignore[i]));

        f->mcontext = pcre2_match_context_create(NULL);
        f->md = pcre2_match_data_create(max_captures + 1, NULL);
        f->md_pref = pcre2_match_data_create(max_captures + 1, NULL);
        f->md_combined = pcre2_match_data_create(max_captures + 1, NULL);
        if (!f->mcontext || !f->md || !f->md_pref || !f->md_combined)
                return -ENOMEM;

        r = filter_apply_limits(f, FILTER_MATCH_LIMIT_DEFAULT, FILTER_DEPTH_LIMIT_DEFAULT);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(f);
        return 0;
}

const FilterDef *filter_get_def(const Filter *f) {
        assert(f);
        return f->def;
}

bool filter_has_sessions(const Filter *f) {
        assert(f);
        return f->sessions;
}

/* ---- Matching ---- */

typedef enum ExecResult {
        EXEC_NO_MATCH,
        EXEC_MATCH,
        EXEC_LIMIT,
} ExecResult;

static int regex_exec(const Filter *f, const Regex *r, const char *s, size_t n, pcre2_match_data *md) {
        int k;

        if (r->jit)
                k = pcre2_jit_match(r->code, (PCRE2_SPTR) s, n, 0, 0, md, f->mcontext);
        else
                k = pcre2_match(r->code, (PCRE2_SPTR) s, n, 0, 0, md, f->mcontext);

        if (k >= 0) /* 0 would mean "ovector too small", which cannot happen: md fits every regex */
                return EXEC_MATCH;

        switch (k) {
        case PCRE2_ERROR_NOMATCH:
                return EXEC_NO_MATCH;
        case PCRE2_ERROR_NOMEMORY:
                return -ENOMEM;
        default:
                /* MATCHLIMIT, DEPTHLIMIT, HEAPLIMIT, JIT_STACKLIMIT, and anything else that means "could
                 * not decide" */
                return EXEC_LIMIT;
        }
}

/* Finds the first group (by number) of KIND with one of the roles that is set in the last match; with
 * NONEMPTY, only one that captured at least one byte. */
static bool regex_find_group_kind(const Regex *r, pcre2_match_data *md, uint32_t offset, unsigned roles,
                                  GroupKind kind, bool nonempty, GroupRole *ret_role, size_t *ret_start,
                                  size_t *ret_len) {
        PCRE2_SIZE *ov;

        if (!r || !(r->roles & roles))
                return false;

        ov = pcre2_get_ovector_pointer(md);
        for (size_t i = 0; i < r->n_groups; i++) {
                uint32_t g = r->groups[i].number + offset;

                if (!(ROLE_BIT(r->groups[i].role) & roles) || r->groups[i].kind != kind)
                        continue;
                if (ov[2 * g] == PCRE2_UNSET || ov[2 * g + 1] < ov[2 * g])
                        continue;
                if (nonempty && ov[2 * g + 1] == ov[2 * g])
                        continue;

                if (ret_role)
                        *ret_role = r->groups[i].role;
                *ret_start = ov[2 * g];
                *ret_len = ov[2 * g + 1] - ov[2 * g];
                return true;
        }
        return false;
}

/* The capture of a role: the first set plain group; if that is unset or empty, the first non-empty
 * alt_ group of the role (fail2ban's <F-ALT_NAME>). */
static bool regex_find_group(const Regex *r, pcre2_match_data *md, uint32_t offset, unsigned roles,
                             GroupRole *ret_role, size_t *ret_start, size_t *ret_len) {
        bool found;

        found = regex_find_group_kind(r, md, offset, roles, GROUP_MAIN, false, ret_role, ret_start, ret_len);
        if (found && *ret_len > 0)
                return true;
        return regex_find_group_kind(r, md, offset, roles, GROUP_ALT, true, ret_role, ret_start, ret_len) ||
               found;
}

/* Appends ",VALUE" for each set tuple_ group of the roles (fail2ban's <F-TUPLE_NAME>). */
static void regex_append_tuples(const Regex *r, pcre2_match_data *md, uint32_t offset, const char *subject,
                                unsigned roles, GString *s) {
        PCRE2_SIZE *ov;

        if (!r || !(r->roles & roles))
                return;
        ov = pcre2_get_ovector_pointer(md);
        for (size_t i = 0; i < r->n_groups; i++) {
                uint32_t g = r->groups[i].number + offset;

                if (!(ROLE_BIT(r->groups[i].role) & roles) || r->groups[i].kind != GROUP_TUPLE ||
                    ov[2 * g] == PCRE2_UNSET || ov[2 * g + 1] < ov[2 * g])
                        continue;
                g_string_append_c(s, ',');
                g_string_append_len(s, subject + ov[2 * g], (gssize) (ov[2 * g + 1] - ov[2 * g]));
        }
}

/* The text of a capture of the given role from the failregex match, else from the prefregex match, with
 * its tuple parts appended; NULL when neither has one. Returns -ENOMEM or 0. */
static int capture_string(const Regex *fail, pcre2_match_data *md, uint32_t offset, const char *subject,
                          const Regex *pref, pcre2_match_data *md_pref, const char *line, unsigned roles,
                          char **ret) {
        size_t start, len;
        g_autoptr(GString) s = NULL;

        if (regex_find_group(fail, md, offset, roles, NULL, &start, &len))
                s = g_string_new_len(subject + start, (gssize) len);
        else if (regex_find_group(pref, md_pref, 0, roles, NULL, &start, &len))
                s = g_string_new_len(line + start, (gssize) len);
        else if (regex_find_group_kind(fail, md, offset, roles, GROUP_TUPLE, false, NULL, &start, &len))
                s = g_string_new(NULL); /* only tuple parts: fail2ban's (None, v…) */
        else {
                *ret = NULL;
                return 0;
        }
        regex_append_tuples(fail, md, offset, subject, roles, s);

        *ret = strndup(s->str, s->len);
        return *ret ? 0 : -ENOMEM;
}

/* The address a match is for: the address capture, with the prefix length capture of the same regex if
 * that is set. Returns false if it is no address (a name) or no sensible network (/0, or a prefix too
 * long for the family). */
static bool capture_to_address(const char *text, size_t len, const char *cidr, size_t cidr_len,
                               Address *ret_address, unsigned *ret_prefixlen) {
        char buf[128];
        AddressPrefix p;

        if (!cidr) {
                if (address_parse_n(text, len, ret_address) < 0)
                        return false;
                *ret_prefixlen = 0;
                return true;
        }

        /* address_prefix_parse() does the family checks, mapped IPv6 (::ffff:10.0.0.0/104 is
         * 10.0.0.0/8) and the masking. */
        if (len + 1 + cidr_len >= sizeof(buf))
                return false;
        memcpy(buf, text, len);
        buf[len] = '/';
        memcpy(buf + len + 1, cidr, cidr_len);
        buf[len + 1 + cidr_len] = '\0';
        if (address_prefix_parse(buf, &p) < 0 || p.prefixlen == 0)
                return false;

        *ret_address = p.address;
        *ret_prefixlen = p.prefixlen == (p.address.family == AF_INET ? 32U : 128U) ? 0 : p.prefixlen;
        return true;
}

/* The index in FIELDS of "NAME=…", or -1. */
static int fields_find(GPtrArray *fields, const char *name) {
        size_t name_len = strlen(name);

        for (guint k = 0; k < fields->len; k++)
                if (strneq(fields->pdata[k], name, name_len) && ((const char *) fields->pdata[k])[name_len] == '=')
                        return (int) k;
        return -1;
}

/* Adds "name=value" for each set GROUP_FIELD group of R to FIELDS, unless a field of that name is there
 * already (the failregex's captures come first and win over the prefregex's). An alt_NAME group fills NAME
 * when that is missing or empty; tuple_NAME groups are appended to NAME with ','. */
static void collect_fields(const Regex *r, pcre2_match_data *md, uint32_t offset, const char *subject,
                           GPtrArray *fields) {
        PCRE2_SIZE *ov;

        if (!r || !(r->roles & ROLE_BIT(GROUP_FIELD)))
                return;
        ov = pcre2_get_ovector_pointer(md);
        for (GroupKind kind = GROUP_MAIN; kind <= GROUP_TUPLE; kind++)
                for (size_t i = 0; i < r->n_groups; i++) {
                        const GroupRef *gr = &r->groups[i];
                        uint32_t g = gr->number + offset;
                        const char *base = GROUP_BASE(gr);
                        int k;

                        if (gr->role != GROUP_FIELD || gr->kind != kind || ov[2 * g] == PCRE2_UNSET ||
                            ov[2 * g + 1] < ov[2 * g])
                                continue;
                        k = fields_find(fields, base);
                        int vlen = (int) (ov[2 * g + 1] - ov[2 * g]);
                        const char *v = subject + ov[2 * g];
                        if (kind == GROUP_TUPLE) {
                                char *old = k >= 0 ? fields->pdata[k] : NULL;
                                char *n = old ? g_strdup_printf("%s,%.*s", old, vlen, v) :
                                                g_strdup_printf("%s=,%.*s", base, vlen, v);
                                if (old) {
                                        g_free(old);
                                        fields->pdata[k] = n;
                                } else
                                        g_ptr_array_add(fields, n);
                                continue;
                        }
                        if (kind == GROUP_ALT && k >= 0 && ((const char *) fields->pdata[k])[strlen(base) + 1] == '\0') {
                                if (vlen == 0)
                                        continue;
                                g_free(fields->pdata[k]);
                                fields->pdata[k] = g_strdup_printf("%s=%.*s", base, vlen, v);
                                continue;
                        }
                        if (k < 0 && (kind == GROUP_MAIN || vlen > 0))
                                g_ptr_array_add(fields, g_strdup_printf("%s=%.*s", base, vlen, v));
                }
}

int filter_match(Filter *f, const char *line, size_t len, FilterMatch *ret) {
        const char *subject;
        size_t subject_len;
        const Regex *pref = NULL, *fail = NULL;
        bool limit = false;
        FilterResult result;
        GroupRole role;
        const char *text;
        size_t text_len;
        Address address = {};
        int k;

        assert(f);
        assert(line || len == 0);

        if (!line)
                line = "";
        subject = line;
        subject_len = len;

        /* 1. The prefregex must match; its <F-CONTENT> (if any) is what the other regexes see. */
        if (f->pref.code) {
                pref = &f->pref;
                k = regex_exec(f, pref, line, len, f->md_pref);
                if (k < 0)
                        return k;
                if (k == EXEC_LIMIT)
                        return FILTER_LIMIT;
                if (k == EXEC_NO_MATCH)
                        return FILTER_NO_MATCH;

                size_t start;
                if (regex_find_group(pref, f->md_pref, 0, ROLE_BIT(GROUP_CONTENT), NULL, &start, &subject_len))
                        subject = line + start;
        }

        /* 2. Fast path: does any failregex match at all? If so, the mark tells which branch matched
         *    leftmost: a candidate, which only the failregexes before it can overrule. */
        size_t n_try = f->n_fail;
        int candidate = -1;
        if (f->combined.code) {
                k = regex_exec(f, &f->combined, subject, subject_len, f->md_combined);
                if (k < 0)
                        return k;
                if (k == EXEC_NO_MATCH)
                        return FILTER_NO_MATCH;
                if (k == EXEC_MATCH) {
                        PCRE2_SPTR mark = pcre2_get_mark(f->md_combined);
                        char *end;
                        unsigned long v;

                        errno = 0;
                        v = mark ? strtoul((const char *) mark, &end, 10) : ULONG_MAX;
                        if (mark && errno == 0 && *end == '\0' && v < f->n_fail) {
                                candidate = (int) v;
                                n_try = v;
                        }
                }
        }

        /* 3. The first failregex (in order) that matches decides. One that hits a limit is skipped, so
         *    that a crafted line cannot hide from a later, well-behaved regex; if no later one matches,
         *    the answer is FILTER_LIMIT. */
        pcre2_match_data *fail_md = f->md;
        uint32_t offset = 0;
        int index = -1;
        for (size_t i = 0; i < n_try; i++) {
                k = regex_exec(f, &f->fail[i], subject, subject_len, f->md);
                if (k < 0)
                        return k;
                if (k == EXEC_LIMIT) {
                        limit = true;
                        continue;
                }
                if (k == EXEC_MATCH) {
                        index = (int) i;
                        break;
                }
        }
        if (index < 0 && candidate >= 0) {
                index = candidate;
                fail_md = f->md_combined;
                offset = f->fail[index].combined_offset;
        }
        if (index < 0)
                return limit ? FILTER_LIMIT : FILTER_NO_MATCH;
        fail = &f->fail[index];

        /* 4. Take the captures now: the ignoreregexes reuse the match data. The address comes from the
         *    failregex, else from the prefregex; its prefix length (if any) from the same regex. */
        result = FILTER_NO_ADDRESS;
        size_t start, cidr_start, cidr_len = 0;
        const char *cidr = NULL;
        unsigned prefixlen = 0;
        if (regex_find_group(fail, fail_md, offset, ADDRESS_ROLES, &role, &start, &text_len)) {
                text = subject + start;
                if (regex_find_group(fail, fail_md, offset, ROLE_BIT(GROUP_CIDR), NULL, &cidr_start, &cidr_len))
                        cidr = subject + cidr_start;
        } else if (regex_find_group(pref, f->md_pref, 0, ADDRESS_ROLES, &role, &start, &text_len)) {
                text = line + start;
                if (regex_find_group(pref, f->md_pref, 0, ROLE_BIT(GROUP_CIDR), NULL, &cidr_start, &cidr_len))
                        cidr = line + cidr_start;
        } else
                text = NULL;
        if (text && role == GROUP_ADDRESS && capture_to_address(text, text_len, cidr, cidr_len, &address, &prefixlen))
                result = FILTER_FAILURE;

        _cleanup_(filter_match_done) FilterMatch m = { .regex_index = index };
        if (result == FILTER_FAILURE) {
                m.address = address;
                m.prefixlen = prefixlen;
        }
        if (regex_find_group(fail, fail_md, offset, ADDRESS_ROLES, NULL, &start, &text_len) ||
            regex_find_group(pref, f->md_pref, 0, ADDRESS_ROLES, NULL, &start, &text_len))
                m.flags |= FILTER_MATCH_HOST;
        if (ret) {
                static const struct {
                        GroupRole role;
                        unsigned flag;
                } flag_roles[] = {
                        { GROUP_NOFAIL, FILTER_MATCH_NOFAIL },
                        { GROUP_MLFFORGET, FILTER_MATCH_FORGET },
                        { GROUP_MLFGAINED, FILTER_MATCH_GAINED },
                };
                PCRE2_SIZE *ov = pcre2_get_ovector_pointer(fail_md);
                size_t base = (size_t) (subject - line);

                k = capture_string(fail, fail_md, offset, subject, pref, f->md_pref, line, ROLE_BIT(GROUP_USER),
                                   &m.user);
                if (k >= 0)
                        k = capture_string(fail, fail_md, offset, subject, pref, f->md_pref, line,
                                           ROLE_BIT(GROUP_ID), &m.id);
                if (k >= 0 && f->sessions)
                        k = capture_string(fail, fail_md, offset, subject, pref, f->md_pref, line,
                                           ROLE_BIT(GROUP_MLFID), &m.mlfid);
                if (k < 0)
                        return k;
                for (size_t i = 0; i < ELEMENTSOF(flag_roles); i++)
                        if (regex_find_group_kind(fail, fail_md, offset, ROLE_BIT(flag_roles[i].role), GROUP_MAIN,
                                                  true, NULL, &start, &text_len) ||
                            regex_find_group_kind(pref, f->md_pref, 0, ROLE_BIT(flag_roles[i].role), GROUP_MAIN,
                                                  true, NULL, &start, &text_len))
                                m.flags |= flag_roles[i].flag;
                m.match_start = base + ov[0];
                m.match_end = base + MAX(ov[1], ov[0]);
                if (fail->roles & ROLE_BIT(GROUP_SKIP))
                        for (size_t i = 0; i < fail->n_groups && m.n_skipped < FILTER_SKIPPED_MAX; i++) {
                                uint32_t g = fail->groups[i].number + offset;

                                if (fail->groups[i].role != GROUP_SKIP || ov[2 * g] == PCRE2_UNSET ||
                                    ov[2 * g + 1] <= ov[2 * g])
                                        continue;
                                m.skipped[m.n_skipped][0] = base + ov[2 * g];
                                m.skipped[m.n_skipped][1] = base + ov[2 * g + 1];
                                m.n_skipped++;
                        }
                if ((fail->roles | (pref ? pref->roles : 0)) & ROLE_BIT(GROUP_FIELD)) {
                        GPtrArray *fields = g_ptr_array_new();

                        collect_fields(fail, fail_md, offset, subject, fields);
                        collect_fields(pref, f->md_pref, 0, line, fields);
                        g_ptr_array_add(fields, NULL);
                        m.fields = (char **) g_ptr_array_free(fields, false);
                }
        }

        /* 5. Any ignoreregex that matches turns it into FILTER_IGNORED. One that hits a limit makes the
         *    line undecidable: FILTER_LIMIT, which the caller treats as no match. */
        for (size_t i = 0; i < f->n_ignore; i++) {
                k = regex_exec(f, &f->ignore[i], subject, subject_len, f->md);
                if (k < 0)
                        return k;
                if (k == EXEC_LIMIT)
                        return FILTER_LIMIT;
                if (k == EXEC_MATCH) {
                        result = FILTER_IGNORED;
                        break;
                }
        }

        if (ret) {
                *ret = m;
                m = (FilterMatch) {};
        }
        return result;
}
