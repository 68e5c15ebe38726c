/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include <glib.h>

#include "config.h"
#include "filter-load.h"
#include "ini.h"
#include "macro.h"

/* Filters for config.c: filter specs "name[key=value, …]", filters/NAME.conf with its overlays,
 * <tag> substitution, and the FilterDef built from them. Non-logging, like config.c: problems are
 * collected as "FILE:LINE: message" strings. */

/* Nested <tag> substitution: every pass resolves the innermost tags, and values are expanded
 * recursively; both are bounded so that a loop ("a = <a>") is an error, not a hang. */
#define TAG_DEPTH_MAX 16U
#define TAG_PASSES_MAX 32U

DEFINE_TRIVIAL_CLEANUP_FUNC(FilterDef *, filter_def_free);

static void ini_lines_free(void *p) {
        IniLines *l = p;

        if (l) {
                ini_lines_done(l);
                g_free(l);
        }
}

static void ascii_strlower(char *s) {
        for (; *s; s++)
                *s = g_ascii_tolower(*s);
}

static char *strip_inplace(char *s) {
        return g_strstrip(s);
}

void search_path_done(SearchPath *sp) {
        for (size_t i = 0; i < ELEMENTSOF(sp->owned); i++)
                g_free(sp->owned[i]);
}

void search_path_add(SearchPath *sp, const char *dir, const char *sub) {
        size_t n = 0;

        if (!dir)
                return;
        while (sp->dirs[n])
                n++;
        assert(n < ELEMENTSOF(sp->owned));
        sp->owned[n] = sub ? g_build_filename(dir, sub, NULL) : g_strdup(dir);
        sp->dirs[n] = sp->owned[n];
}

const char *search_path_find(const SearchPath *sp, const char *relpath, char **ret_path) {
        for (size_t i = 0; sp->dirs[i]; i++) {
                g_autofree char *p = g_build_filename(sp->dirs[i], relpath, NULL);
                struct stat st;

                if (stat(p, &st) >= 0 && S_ISREG(st.st_mode)) {
                        *ret_path = TAKE_PTR(p);
                        return sp->dirs[i];
                }
        }
        return NULL;
}

int filter_spec_parse(const char *spec, char **ret_name, GHashTable **ret_args, char **ret_msg) {
        g_autofree char *s = g_strstrip(g_strdup(spec)), *name = NULL;
        g_autoptr(GHashTable) args = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        char *br = strchr(s, '['), *p;
        size_t n;

        if (!br) {
                if (*s == '\0' || strchr(s, ']')) {
                        *ret_msg = g_strdup_printf("invalid filter '%s'", spec);
                        return -EINVAL;
                }
                *ret_name = TAKE_PTR(s);
                *ret_args = TAKE_PTR(args);
                return 0;
        }

        n = strlen(s);
        if (s[n - 1] != ']') {
                *ret_msg = g_strdup_printf("invalid filter '%s': arguments must end with ']'", spec);
                return -EINVAL;
        }
        s[n - 1] = '\0';
        *br = '\0';
        name = g_strdup(strip_inplace(s));
        if (*name == '\0') {
                *ret_msg = g_strdup_printf("invalid filter '%s': no filter name", spec);
                return -EINVAL;
        }

        p = br + 1;
        for (;;) {
                g_autofree char *key = NULL, *value = NULL;
                const char *k;

                while (g_ascii_isspace(*p))
                        p++;
                if (*p == '\0')
                        break;

                k = p;
                p += strcspn(p, "=,");
                if (*p != '=') {
                        *ret_msg = g_strdup_printf("invalid filter '%s': argument '%.*s' without '='", spec,
                                                   (int) (p - k), k);
                        return -EINVAL;
                }
                key = g_strstrip(g_strndup(k, p - k));
                ascii_strlower(key);
                if (*key == '\0') {
                        *ret_msg = g_strdup_printf("invalid filter '%s': argument without a name", spec);
                        return -EINVAL;
                }
                p++;
                while (g_ascii_isspace(*p))
                        p++;
                if (*p == '"' || *p == '\'') {
                        char *end = strchr(p + 1, *p);

                        if (!end) {
                                *ret_msg = g_strdup_printf("invalid filter '%s': unterminated quote", spec);
                                return -EINVAL;
                        }
                        value = g_strndup(p + 1, end - (p + 1));
                        p = end + 1;
                        while (g_ascii_isspace(*p))
                                p++;
                        if (*p != ',' && *p != '\0') {
                                *ret_msg = g_strdup_printf("invalid filter '%s': text after quoted value", spec);
                                return -EINVAL;
                        }
                } else {
                        const char *v = p;

                        p += strcspn(p, ",");
                        value = g_strstrip(g_strndup(v, p - v));
                }
                if (*p == ',')
                        p++;
                g_hash_table_replace(args, TAKE_PTR(key), TAKE_PTR(value));
        }

        *ret_name = TAKE_PTR(name);
        *ret_args = TAKE_PTR(args);
        return 0;
}

/* Tag substitution in filters: <name> is replaced by the value of name from the map
 * arguments > [Init] > [Definition] (with [DEFAULT]); values are interpolated lazily, on first use.
 *
 * Conditional sections, [SECTION?KEY=VALUE] (fail2ban's [Init?family=inet6]): their values override
 * those of [SECTION] when KEY's value (argument > [Init] > [Definition] > [DEFAULT], interpolated, not
 * tag-substituted, lines joined with a space) is exactly VALUE; otherwise they are not seen at all.
 * This holds for tags and for the keys the filter itself reads (failregex, …), but not for
 * %(name)s interpolation, which only ever sees the plain sections. Conditions are evaluated once,
 * when the filter is loaded. (fail2ban stores these values as "key?KEY=VALUE" in SECTION and uses
 * them where it substitutes tags for a given condition: in actions, with the family of the address
 * being banned. We have no runtime condition in filters, so KEY is a filter argument or value.) If
 * several conditional sections of SECTION apply and set the same key, the first one read wins. */
typedef struct TagMap {
        const IniDocument *doc;
        GHashTable *args;    /* key → IniLines * (owned) */
        GHashTable *cache;   /* key → IniLines * (owned), interpolated [Init]/[Definition] values */
        GPtrArray *conds;    /* const IniSection *: the conditional sections that apply (borrowed) */
        GPtrArray *errors;
} TagMap;

static void tag_map_done(TagMap *m) {
        if (m->args)
                g_hash_table_unref(m->args);
        if (m->cache)
                g_hash_table_unref(m->cache);
        if (m->conds)
                g_ptr_array_unref(m->conds);
}

/* KEY of [SECTION] as the filter sees it: from an applicable [SECTION?…] first, then from [SECTION],
 * then (if WITH_DEFAULT) from [DEFAULT]. */
static const IniValue *tag_map_section_get(const TagMap *m, const char *section, const char *key, bool with_default) {
        size_t n = strlen(section);

        for (guint i = 0; m->conds && i < m->conds->len; i++) {
                const IniSection *s = m->conds->pdata[i];
                const IniValue *v;

                if (!strneq(s->name, section, n) || s->name[n] != '?')
                        continue;
                v = ini_section_get(s, key);
                if (v)
                        return v;
        }
        if (with_default)
                return ini_document_lookup(m->doc, section, key);
        return ini_section_get(ini_document_get_section(m->doc, section), key);
}

static bool is_word(const char *s, size_t n) {
        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!g_ascii_isalnum(s[i]) && s[i] != '_')
                        return false;
        return true;
}

/* The value a condition compares: KEY as argument, else from plain [Init], else from [Definition] or
 * [DEFAULT]; NULL (and 0) if unset. */
static int tag_map_condition_value(TagMap *m, const char *key, char **ret) {
        const IniLines *al = g_hash_table_lookup(m->args, key);
        const char *section = "Init";
        const IniValue *v;
        IniLines l = {};
        int r;

        if (al) {
                *ret = ini_lines_join(al, " ");
                return 1;
        }
        v = ini_section_get(ini_document_get_section(m->doc, section), key);
        if (!v) {
                section = "Definition";
                v = ini_document_lookup(m->doc, section, key);
        }
        if (!v) {
                *ret = NULL;
                return 0;
        }
        r = ini_document_interpolate(m->doc, section, v, /* used= */ NULL, &l, m->errors);
        if (r < 0)
                return r;
        *ret = ini_lines_join(&l, " ");
        ini_lines_done(&l);
        return 1;
}

/* Finds the conditional sections [SECTION?KEY=VALUE] of the document and keeps those whose condition
 * holds. A malformed one is an error. */
static int tag_map_init_conditions(TagMap *m) {
        int ret = 0;

        m->conds = g_ptr_array_new();
        for (guint i = 0; i < m->doc->sections->len; i++) {
                const IniSection *s = m->doc->sections->pdata[i];
                const char *q = strchr(s->name, '?'), *eq;
                g_autofree char *key = NULL, *value = NULL, *cur = NULL;
                int r;

                if (!q)
                        continue;
                eq = strchr(q + 1, '=');
                if (!is_word(s->name, q - s->name) || !eq || !is_word(q + 1, eq - (q + 1))) {
                        ini_error(m->errors, s->file, s->line,
                                  "invalid conditional section [%s] (expected [SECTION?KEY=VALUE])", s->name);
                        ret = -EINVAL;
                        continue;
                }
                key = g_ascii_strdown(q + 1, eq - (q + 1));
                value = g_strstrip(g_strdup(eq + 1));

                r = tag_map_condition_value(m, key, &cur);
                if (r < 0) {
                        ret = r;
                        continue;
                }
                if (r > 0 && streq(g_strstrip(cur), value))
                        g_ptr_array_add(m->conds, (gpointer) s);
        }
        return ret;
}

/* Returns 1 and the value if NAME is in the map, 0 if not, negative errno on error. */
static int tag_map_lookup(TagMap *m, const char *name, const IniLines **ret) {
        g_autofree char *other = NULL;
        const char *slash;
        const IniValue *v;
        const char *section = "Init";
        IniLines *l;
        int r;

        l = g_hash_table_lookup(m->args, name);
        if (!l)
                l = g_hash_table_lookup(m->cache, name);
        if (l) {
                *ret = l;
                return 1;
        }

        slash = strchr(name, '/');
        if (slash && (size_t) (slash - name) == strlen("known") && g_ascii_strncasecmp(name, "known", slash - name) == 0) {
                /* <known/key>: the value key had before the last file that set it overrode it, as
                 * %(known/key)s in ini.c: from [Init] if key is there, else [Definition]; without an
                 * earlier value the one from [DEFAULT], else the value itself (so that a filter may
                 * say "failregex = <known/failregex>" whether or not anything came before). */
                const IniSection *sec = ini_document_get_section(m->doc, "Init");
                const IniValue *cur = ini_section_get(sec, slash + 1);

                if (!cur) {
                        section = "Definition";
                        cur = ini_section_get(ini_document_get_section(m->doc, section), slash + 1);
                }
                if (cur && cur->previous)
                        v = cur->previous;
                else
                        v = ini_section_get(ini_document_get_section(m->doc, "DEFAULT"), slash + 1) ?: cur;
        } else if (slash && (size_t) (slash - name) == strlen("default") &&
                   g_ascii_strncasecmp(name, "default", slash - name) == 0) {
                /* <default/key>: [DEFAULT]'s value even where [Init] or [Definition] override it;
                 * interpolated in the context of [Definition], like any [DEFAULT] value used there. */
                section = "Definition";
                v = ini_section_get(ini_document_get_section(m->doc, "DEFAULT"), slash + 1);
        } else if (slash) {
                /* fail2ban: <section/key>, as in <lt_<logtype>/__prefix_line>. */
                other = g_strndup(name, slash - name);
                section = other;
                v = ini_document_get_section(m->doc, section) ? tag_map_section_get(m, section, slash + 1, true) : NULL;
        } else {
                v = tag_map_section_get(m, "Init", name, /* with_default= */ false);
                if (!v) {
                        section = "Definition";
                        v = tag_map_section_get(m, section, name, /* with_default= */ true);
                }
        }
        if (!v)
                return 0;

        l = g_new0(IniLines, 1);
        r = ini_document_interpolate(m->doc, section, v, /* used= */ NULL, l, m->errors);
        if (r < 0) {
                g_free(l);
                return r;
        }
        g_hash_table_insert(m->cache, g_strdup(name), l);
        *ret = l;
        return 1;
}

static bool tag_name_char(char c) {
        return c != '\0' && c != '<' && c != '>' && !g_ascii_isspace(c);
}

static int expand_inline(TagMap *m, const char *text, const IniLine *origin, unsigned depth, char **ret);

static int expand_inline(TagMap *m, const char *text, const IniLine *origin, unsigned depth, char **ret) {
        g_autofree char *s = g_strdup(text);
        int r;

        if (depth >= TAG_DEPTH_MAX) {
                ini_error(m->errors, origin->file, origin->line,
                          "tag substitution nested more than %u levels deep (a loop?) in '%s'", TAG_DEPTH_MAX,
                          origin->text);
                return -ELOOP;
        }

        /* Each pass replaces the innermost known tags ("<x>" with no '<' or '>' inside), so that
         * "<mdre-<mode>>" becomes "<mdre-normal>" and then its value. Unknown tags stay literal. */
        for (unsigned pass = 0; pass < TAG_PASSES_MAX; pass++) {
                g_autoptr(GString) out = g_string_new(NULL);
                bool changed = false;

                for (const char *p = s; *p;) {
                        const char *q = p + 1;
                        const IniLines *v;

                        if (*p != '<') {
                                g_string_append_c(out, *p++);
                                continue;
                        }
                        while (tag_name_char(*q))
                                q++;
                        if (*q != '>' || q == p + 1) {
                                g_string_append_c(out, *p++);
                                continue;
                        }

                        g_autofree char *name = g_strndup(p + 1, q - (p + 1));
                        r = tag_map_lookup(m, name, &v);
                        if (r < 0)
                                return r;
                        if (r == 0) {
                                g_string_append_len(out, p, q + 1 - p);
                                p = q + 1;
                                continue;
                        }

                        g_autofree char *joined = ini_lines_join(v, "\n"), *expanded = NULL;
                        r = expand_inline(m, joined, origin, depth + 1, &expanded);
                        if (r < 0)
                                return r;
                        g_string_append(out, expanded);
                        changed = true;
                        p = q + 1;
                }

                g_free(s);
                s = g_string_free(TAKE_PTR(out), FALSE);
                if (!changed) {
                        *ret = TAKE_PTR(s);
                        return 0;
                }
        }

        ini_error(m->errors, origin->file, origin->line, "too many nested tags in '%s'", origin->text);
        return -ELOOP;
}

/* Expands one line into OUT. A line that is a single known tag is replaced by the value's lines,
 * which keep their own origins; otherwise the substitution is inline and a multi-line result makes
 * several lines from this line's origin. */
static int expand_line(TagMap *m, const IniLine *l, unsigned depth, IniLines *out) {
        g_autofree char *expanded = NULL;
        size_t n = strlen(l->text);
        int r;

        if (depth >= TAG_DEPTH_MAX) {
                ini_error(m->errors, l->file, l->line,
                          "tag substitution nested more than %u levels deep (a loop?) in '%s'", TAG_DEPTH_MAX,
                          l->text);
                return -ELOOP;
        }

        if (n > 2 && l->text[0] == '<' && l->text[n - 1] == '>') {
                g_autofree char *inner = g_strndup(l->text + 1, n - 2), *name = NULL;
                const IniLines *v;
                bool single = true;

                r = expand_inline(m, inner, l, depth + 1, &name);
                if (r < 0)
                        return r;
                for (const char *p = name; *p && single; p++)
                        single = tag_name_char(*p);
                if (single && *name) {
                        r = tag_map_lookup(m, name, &v);
                        if (r < 0)
                                return r;
                        if (r > 0) {
                                for (size_t i = 0; i < v->n; i++) {
                                        r = expand_line(m, &v->lines[i], depth + 1, out);
                                        if (r < 0)
                                                return r;
                                }
                                return 0;
                        }
                }
        }

        r = expand_inline(m, l->text, l, depth, &expanded);
        if (r < 0)
                return r;

        g_auto(GStrv) parts = g_strsplit(expanded, "\n", -1);
        for (size_t i = 0; parts[i]; i++) {
                char *t = g_strstrip(parts[i]);

                if (*t != '\0')
                        ini_lines_add(out, t, l->file, l->line);
        }
        return 0;
}

/* Interpolates and tag-expands [Definition] KEY (or [Init] KEY if FALLBACK_INIT). 0 if unset. */
static int filter_get(TagMap *m, const char *key, bool fallback_init, IniLines *ret) {
        const IniValue *v;
        IniLines interpolated = {}, out = {};
        const char *section = "Definition";
        int r;

        v = tag_map_section_get(m, section, key, /* with_default= */ true);
        if (!v && fallback_init) {
                section = "Init";
                v = tag_map_section_get(m, section, key, /* with_default= */ false);
        }
        if (!v)
                return 0;

        r = ini_document_interpolate(m->doc, section, v, /* used= */ NULL, &interpolated, m->errors);
        if (r < 0)
                return r;

        for (size_t i = 0; i < interpolated.n; i++) {
                r = expand_line(m, &interpolated.lines[i], 0, &out);
                if (r < 0) {
                        ini_lines_done(&interpolated);
                        ini_lines_done(&out);
                        return r;
                }
        }
        ini_lines_done(&interpolated);
        *ret = out;
        return 1;
}

/* An integer option (maxlines, maxmatches), looked up like a tag: argument > [Init] > [Definition],
 * tags substituted. Returns 0 if unset or empty, 1 with the value, or -EINVAL (reported). */
static int filter_get_unsigned(TagMap *m, const char *key, unsigned *ret) {
        const IniLines *v;
        IniLines out = {};
        guint64 n;
        int r;

        r = tag_map_lookup(m, key, &v);
        if (r <= 0)
                return r;
        for (size_t i = 0; i < v->n; i++) {
                r = expand_line(m, &v->lines[i], 0, &out);
                if (r < 0) {
                        ini_lines_done(&out);
                        return r;
                }
        }
        if (out.n == 0)
                return 0;

        g_autofree char *joined = ini_lines_join(&out, " ");
        r = 1;
        if (!g_ascii_string_to_unsigned(joined, 10, 1, UINT_MAX, &n, NULL)) {
                ini_error(m->errors, out.lines[0].file, out.lines[0].line, "invalid %s '%s' (an integer >= 1)", key,
                          joined);
                r = -EINVAL;
        } else
                *ret = (unsigned) n;
        ini_lines_done(&out);
        return r;
}

static void regex_defs_from_lines(const IniLines *l, RegexDef **ret, size_t *ret_n) {
        RegexDef *defs = l->n > 0 ? g_new0(RegexDef, l->n) : NULL;

        for (size_t i = 0; i < l->n; i++)
                defs[i] = (RegexDef) {
                        .pattern = g_strdup(l->lines[i].text),
                        .file = g_strdup(l->lines[i].file),
                        .line = l->lines[i].line,
                };
        *ret = defs;
        *ret_n = l->n;
}

/* Loads filter SPEC for JAIL (or NULL). ARG_FILE:ARG_LINE is where the spec was written (a jail's
 * "filter =", perhaps in [DEFAULT]), or NULL for a command line. */
int filter_load(const ConfigPaths *paths, const char *spec, const char *jail, const char *arg_file,
                unsigned arg_line, FilterDef **ret, GPtrArray *errors) {
        _cleanup_(ini_document_freep) IniDocument *doc = NULL;
        _cleanup_(filter_def_freep) FilterDef *def = NULL;
        _cleanup_(search_path_done) SearchPath sp = {};
        g_autoptr(GHashTable) args = NULL;
        g_autofree char *name = NULL, *msg = NULL, *relpath = NULL, *main_path = NULL;
        _cleanup_(tag_map_done) TagMap m = {};
        IniLines l = {};
        int r, ret_r = 0;

        r = filter_spec_parse(spec, &name, &args, &msg);
        if (r < 0) {
                ini_error(errors, arg_file, arg_line, "%s", msg);
                return r;
        }

        if (strchr(name, '/')) {
                g_autofree char *dir = g_path_get_dirname(name);

                search_path_add(&sp, dir, NULL);
                relpath = g_path_get_basename(name);
        } else {
                search_path_add(&sp, paths->filter_dir, NULL);
                search_path_add(&sp, paths->config_dir, "filters");
                search_path_add(&sp, paths->vendor_dir, "filters");
                relpath = g_strconcat(name, ".conf", NULL);
        }

        if (!search_path_find(&sp, relpath, &main_path)) {
                g_autofree char *where = g_strjoinv(", ", (char **) sp.dirs);

                if (jail)
                        ini_error(errors, arg_file, arg_line, "jail '%s': filter '%s' not found (searched %s)", jail,
                                  name, where);
                else
                        ini_error(errors, arg_file, arg_line, "filter '%s' not found (searched %s)", name, where);
                return -ENOENT;
        }

        doc = ini_document_new();
        r = ini_document_read_unit(doc, sp.dirs, relpath, errors);
        if (r < 0)
                return r == -ENOENT ? -EINVAL : r;

        if (!ini_document_get_section(doc, "Definition")) {
                ini_error(errors, main_path, 0, "filter has no [Definition] section");
                return -EINVAL;
        }

        def = g_new0(FilterDef, 1);
        def->name = g_strdup(name);
        def->file = g_strdup(main_path);

        m = (TagMap) {
                .doc = doc,
                .args = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, ini_lines_free),
                .cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, ini_lines_free),
                .errors = errors,
        };
        GHashTableIter it;
        gpointer k, v;
        g_hash_table_iter_init(&it, args);
        while (g_hash_table_iter_next(&it, &k, &v)) {
                IniLines *al = g_new0(IniLines, 1);

                /* The origin of an argument is the jail line that passed it. */
                if (!isempty((const char *) v))
                        ini_lines_add(al, v, arg_file ? g_string_chunk_insert_const(doc->strings, arg_file) : "(arguments)",
                                      arg_line);
                g_hash_table_insert(m.args, g_strdup(k), al);
        }
        /* We read the journal, so the filter sees what fail2ban's systemd backend gives it: like
         * fail2ban, default logtype to "journal" unless an argument or [Definition] itself sets it
         * (common.conf selects its line prefix by <lt_<logtype>/__prefix_line>). */
        if (!g_hash_table_contains(m.args, "logtype") &&
            !ini_section_get(ini_document_get_section(doc, "Definition"), "logtype")) {
                IniLines *al = g_new0(IniLines, 1);

                ini_lines_add(al, "journal", def->file, 0);
                g_hash_table_insert(m.args, g_strdup("logtype"), al);
        }

        r = tag_map_init_conditions(&m);
        if (r < 0)
                return r;

        r = filter_get(&m, "failregex", false, &l);
        if (r < 0)
                ret_r = r;
        else if (r > 0) {
                regex_defs_from_lines(&l, &def->failregex, &def->n_failregex);
                ini_lines_done(&l);
        }

        r = filter_get(&m, "ignoreregex", false, &l);
        if (r < 0)
                ret_r = r;
        else if (r > 0) {
                regex_defs_from_lines(&l, &def->ignoreregex, &def->n_ignoreregex);
                ini_lines_done(&l);
        }

        r = filter_get(&m, "prefregex", false, &l);
        if (r < 0)
                ret_r = r;
        else if (r > 0) {
                if (l.n > 1) {
                        ini_error(errors, l.lines[1].file, l.lines[1].line, "prefregex must be a single regex");
                        ret_r = -EINVAL;
                } else if (l.n == 1)
                        def->prefregex = (RegexDef) {
                                .pattern = g_strdup(l.lines[0].text),
                                .file = g_strdup(l.lines[0].file),
                                .line = l.lines[0].line,
                        };
                ini_lines_done(&l);
        }

        r = filter_get(&m, "journalmatch", true, &l);
        if (r < 0)
                ret_r = r;
        else if (r > 0) {
                if (l.n > 0) {
                        def->journalmatch = ini_lines_join(&l, " ");
                        def->journalmatch_file = g_strdup(l.lines[0].file);
                        def->journalmatch_line = l.lines[0].line;
                }
                ini_lines_done(&l);
        }

        /* Parsed now, used later (multi-line matching, matches kept per ban). */
        r = filter_get_unsigned(&m, "maxlines", &def->maxlines);
        if (r < 0)
                ret_r = r;
        r = filter_get_unsigned(&m, "maxmatches", &def->maxmatches);
        if (r < 0)
                ret_r = r;

        if (ret_r < 0)
                return ret_r;

        *ret = TAKE_PTR(def);
        return 0;
}

int config_load_filter(const ConfigPaths *paths, const char *spec, FilterDef **ret, char **ret_error) {
        g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
        FilterDef *def = NULL;
        int r;

        assert(paths);
        assert(spec);
        assert(ret);

        r = filter_load(paths, spec, /* jail= */ NULL, /* arg_file= */ NULL, 0, &def, errors);
        if (r < 0 || errors->len > 0) {
                filter_def_free(def);
                if (ret_error)
                        *ret_error = ini_errors_join(errors);
                return r < 0 ? r : -EINVAL;
        }

        *ret = def;
        return 0;
}
