/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <glib.h>

#include "config.h"
#include "ini.h"
#include "macro.h"

/* Semantics of portcullis.conf, jails/ *.conf and filters/ *.conf on top of ini.c. Non-logging: all
 * problems are collected as "FILE:LINE: message" strings and handed back at once.
 *
 * Memory: everything handed out (Config, JailConfig, FilterDef) is allocated with GLib, which since
 * 2.46 always uses the system malloc(), and is freed with free() by the destructors. */

#define JAIL_NAME_MAX 64U
#define MAXTRACKED_DEFAULT 50000U
/* Nested <tag> substitution: every pass resolves the innermost tags, and values are expanded
 * recursively; both are bounded so that a loop ("a = <a>") is an error, not a hang. */
#define TAG_DEPTH_MAX 16U
#define TAG_PASSES_MAX 32U

static const char *const protocol_table[_PROTOCOL_MAX] = {
        [PROTOCOL_TCP] = "tcp",
        [PROTOCOL_UDP] = "udp",
        [PROTOCOL_ALL] = "all",
};

const char *protocol_to_string(Protocol p) {
        return p >= 0 && p < _PROTOCOL_MAX ? protocol_table[p] : NULL;
}

Protocol protocol_from_string(const char *s) {
        for (int i = 0; s && i < _PROTOCOL_MAX; i++)
                if (streq(protocol_table[i], s))
                        return (Protocol) i;
        return _PROTOCOL_INVALID;
}

static const char *const block_type_table[_BLOCK_TYPE_MAX] = {
        [BLOCK_TYPE_DROP] = "drop",
        [BLOCK_TYPE_REJECT] = "reject",
};

const char *block_type_to_string(BlockType t) {
        return t >= 0 && t < _BLOCK_TYPE_MAX ? block_type_table[t] : NULL;
}

BlockType block_type_from_string(const char *s) {
        for (int i = 0; s && i < _BLOCK_TYPE_MAX; i++)
                if (streq(block_type_table[i], s))
                        return (BlockType) i;
        return _BLOCK_TYPE_INVALID;
}

JailConfig *jail_config_free(JailConfig *j) {
        if (!j)
                return NULL;

        free(j->name);
        free(j->file);
        free(j->filter_spec);
        filter_def_free(j->filter);
        address_list_done(&j->ignoreip);
        free(j->ports);
        free(j->journalmatch);
        free(j->journalmatch_file);
        free(j);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(JailConfig *, jail_config_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(FilterDef *, filter_def_free);

Config *config_free(Config *c) {
        if (!c)
                return NULL;

        for (size_t i = 0; i < c->n_jails; i++)
                jail_config_free(c->jails[i]);
        free(c->jails);
        for (size_t i = 0; i < c->n_warnings; i++)
                free(c->warnings[i]);
        free(c->warnings);
        free(c);
        return NULL;
}

static void ini_lines_free(void *p) {
        IniLines *l = p;

        if (l) {
                ini_lines_done(l);
                g_free(l);
        }
}

static int strcmp_ptr(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static void ascii_strlower(char *s) {
        for (; *s; s++)
                *s = g_ascii_tolower(*s);
}

static char *strip_inplace(char *s) {
        return g_strstrip(s);
}

/* Search directories, highest priority first, NULL-terminated. */
typedef struct SearchPath {
        char *owned[3];
        const char *dirs[4];
} SearchPath;

static void search_path_done(SearchPath *sp) {
        for (size_t i = 0; i < ELEMENTSOF(sp->owned); i++)
                g_free(sp->owned[i]);
}

static void search_path_add(SearchPath *sp, const char *dir, const char *sub) {
        size_t n = 0;

        if (!dir)
                return;
        while (sp->dirs[n])
                n++;
        assert(n < ELEMENTSOF(sp->owned));
        sp->owned[n] = sub ? g_build_filename(dir, sub, NULL) : g_strdup(dir);
        sp->dirs[n] = sp->owned[n];
}

static const char *search_path_find(const SearchPath *sp, const char *relpath, char **ret_path) {
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

/* Filter specifications: "name" or "name[key=value, key2="value, with comma"]". ARGS maps the
 * lower-cased key to its value (g_strdup()ed). On error returns -EINVAL and a message. */
static int filter_spec_parse(const char *spec, char **ret_name, GHashTable **ret_args, char **ret_msg) {
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
 * arguments > [Init] > [Definition] (with [DEFAULT]); values are interpolated lazily, on first use. */
typedef struct TagMap {
        const IniDocument *doc;
        GHashTable *args;    /* key → IniLines * (owned) */
        GHashTable *cache;   /* key → IniLines * (owned), interpolated [Init]/[Definition] values */
        GPtrArray *errors;
} TagMap;

static void tag_map_done(TagMap *m) {
        if (m->args)
                g_hash_table_unref(m->args);
        if (m->cache)
                g_hash_table_unref(m->cache);
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
        if (slash) {
                /* fail2ban: <section/key>, as in <lt_<logtype>/__prefix_line>. */
                other = g_strndup(name, slash - name);
                section = other;
                v = ini_document_get_section(m->doc, section) ? ini_document_lookup(m->doc, section, slash + 1) : NULL;
        } else {
                v = ini_section_get(ini_document_get_section(m->doc, "Init"), name);
                if (!v) {
                        section = "Definition";
                        v = ini_document_lookup(m->doc, section, name);
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

        v = ini_document_lookup(m->doc, section, key);
        if (!v && fallback_init) {
                section = "Init";
                v = ini_section_get(ini_document_get_section(m->doc, section), key);
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
static int filter_load(const ConfigPaths *paths, const char *spec, const char *jail, const char *arg_file,
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

/* Jails */

typedef struct JailParser {
        const ConfigPaths *paths;
        const IniDocument *doc;
        const IniSection *section;
        GHashTable *used;      /* keys referenced through %(…)s: not "unknown" */
        GPtrArray *errors;
        GPtrArray *warnings;
} JailParser;

/* Gets KEY of the jail, interpolated and joined with SEPARATOR. Returns 1 if set, 0 if not,
 * negative errno on interpolation error (already reported). */
static int jail_get(JailParser *p, const char *key, const char *separator, char **ret, const char **ret_file,
                    unsigned *ret_line) {
        const IniValue *v = ini_document_lookup(p->doc, p->section->name, key);
        IniLines l = {};
        int r;

        if (!v)
                return 0;

        r = ini_document_interpolate(p->doc, p->section->name, v, p->used, &l, p->errors);
        if (r < 0)
                return r;

        *ret = ini_lines_join(&l, separator);
        *ret_file = l.n > 0 ? l.lines[0].file : v->file;
        *ret_line = l.n > 0 ? l.lines[0].line : v->line;
        ini_lines_done(&l);
        return 1;
}

static int parse_bool(const char *s) {
        static const char *const yes[] = { "1", "yes", "true", "on" }, *const no[] = { "0", "no", "false", "off" };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (g_ascii_strcasecmp(s, yes[i]) == 0)
                        return 1;
                if (g_ascii_strcasecmp(s, no[i]) == 0)
                        return 0;
        }
        return -EINVAL;
}

static int parse_unsigned(const char *s, unsigned min, unsigned *ret) {
        unsigned long long v;
        char *end;

        if (!g_ascii_isdigit(*s))
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0 || *end != '\0' || v > UINT_MAX)
                return -ERANGE;
        if (v < min)
                return -ERANGE;
        *ret = (unsigned) v;
        return 0;
}

static int parse_port_number(const char *s, Protocol proto, uint16_t *ret) {
        unsigned v;
        struct servent *se = NULL;

        if (g_ascii_isdigit(*s)) {
                if (parse_unsigned(s, 0, &v) < 0 || v > 65535)
                        return -ERANGE;
                *ret = (uint16_t) v;
                return 0;
        }

        if (proto != PROTOCOL_UDP)
                se = getservbyname(s, "tcp");
        if (!se && proto != PROTOCOL_TCP)
                se = getservbyname(s, "udp");
        if (!se)
                return -ENOENT;
        *ret = ntohs((uint16_t) se->s_port);
        return 0;
}

static int port_range_compare(const void *a, const void *b) {
        const PortRange *x = a, *y = b;

        return x->first < y->first ? -1 : x->first > y->first ? 1 : (int) x->last - (int) y->last;
}

/* Parses a port list; on error returns -EINVAL and the offending item in *ret_bad. */
static int parse_ports(const char *s, Protocol proto, PortRange **ret, size_t *ret_n, char **ret_bad) {
        g_auto(GStrv) items = g_strsplit_set(s, ", \t\n", -1);
        g_autoptr(GArray) ranges = g_array_new(FALSE, FALSE, sizeof(PortRange));
        bool every = false;
        size_t n = 0;

        for (size_t i = 0; items[i]; i++) {
                const char *it = items[i];
                PortRange pr;
                char *sep;

                if (*it == '\0')
                        continue;
                if (streq(it, "all") || streq(it, "any")) {
                        every = true;
                        continue;
                }
                /* A service name may contain '-': try it whole first. */
                if (parse_port_number(it, proto, &pr.first) >= 0) {
                        pr.last = pr.first;
                        g_array_append_val(ranges, pr);
                        continue;
                }
                sep = strpbrk(it, ":-");
                if (!sep) {
                        *ret_bad = g_strdup(it);
                        return -EINVAL;
                }

                g_autofree char *a = g_strndup(it, sep - it);
                if (parse_port_number(a, proto, &pr.first) < 0 || parse_port_number(sep + 1, proto, &pr.last) < 0 ||
                    pr.first > pr.last) {
                        *ret_bad = g_strdup(it);
                        return -EINVAL;
                }
                g_array_append_val(ranges, pr);
        }

        g_array_sort(ranges, port_range_compare);
        for (guint i = 0; i < ranges->len; i++) {
                PortRange *cur = &g_array_index(ranges, PortRange, i), *last = n > 0 ? &g_array_index(ranges, PortRange, n - 1) : NULL;

                if (last && (unsigned) cur->first <= (unsigned) last->last + 1) {
                        last->last = MAX(last->last, cur->last);
                        continue;
                }
                g_array_index(ranges, PortRange, n++) = *cur;
        }
        g_array_set_size(ranges, n);

        if (every || ranges->len == 0 ||
            (n == 1 && g_array_index(ranges, PortRange, 0).first == 0 && g_array_index(ranges, PortRange, 0).last == 65535)) {
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }

        *ret_n = ranges->len;
        *ret = (PortRange *) g_array_free(TAKE_PTR(ranges), FALSE);
        return 0;
}

static int parse_ignoreip(const char *s, AddressList *l, char **ret_bad) {
        g_auto(GStrv) items = g_strsplit_set(s, ", \t\n", -1);
        int r;

        for (size_t i = 0; items[i]; i++) {
                AddressPrefix p;

                if (*items[i] == '\0')
                        continue;
                r = address_prefix_parse(items[i], &p);
                if (r < 0) {
                        *ret_bad = g_strdup(items[i]);
                        return -EINVAL;
                }
                r = address_list_add(l, &p);
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool jail_name_valid(const char *name) {
        size_t n = strlen(name);

        if (n == 0 || n > JAIL_NAME_MAX || !g_ascii_isalpha(name[0]))
                return false;
        for (size_t i = 1; i < n; i++)
                if (!g_ascii_isalnum(name[i]) && !strchr("_.-", name[i]))
                        return false;
        return true;
}

static const char *const jail_keys[] = {
        "enabled", "filter", "maxretry", "findtime", "bantime", "ignoreip", "ignoreself", "port",
        "protocol", "blocktype", "journalmatch", "maxtracked",
};

/* fail2ban jail options that we accept but do not act on yet. Prefixes end in '.' or '_'. */
static const char *const jail_keys_unsupported[] = {
        "action", "banaction", "banaction_allports", "logpath", "backend", "usedns", "chain", "logencoding",
        "mta", "destemail", "sender", "sendername", "ignorecommand", "ignorecache", "maxlines", "maxmatches",
        "datepattern", "failregex", "ignoreregex", "prefregex", "mode", "dbfile", "dbpurgeage", "skip_if_nologs",
        "fail2ban_agent", "bantime.", "action_", "banaction.",
};

static bool key_in(const char *key, const char *const *table, size_t n) {
        for (size_t i = 0; i < n; i++) {
                size_t l = strlen(table[i]);

                if (l > 0 && (table[i][l - 1] == '.' || table[i][l - 1] == '_') ? g_str_has_prefix(key, table[i])
                                                                                 : streq(key, table[i]))
                        return true;
        }
        return false;
}

static int jail_error(JailParser *p, const char *file, unsigned line, const char *format, ...) G_GNUC_PRINTF(4, 5);
static int jail_error(JailParser *p, const char *file, unsigned line, const char *format, ...) {
        g_autofree char *msg = NULL;
        va_list ap;

        va_start(ap, format);
        msg = g_strdup_vprintf(format, ap);
        va_end(ap);
        ini_error(p->errors, file, line, "%s", msg);
        return -EINVAL;
}

static int jail_parse(JailParser *p, JailConfig **ret) {
        _cleanup_(jail_config_freep) JailConfig *j = NULL;
        const char *name = p->section->name, *file;
        unsigned line;
        int r, k, ok = 0;

        j = g_new0(JailConfig, 1);
        *j = (JailConfig) {
                .name = g_strdup(name),
                .file = g_strdup(p->section->file),
                .line = p->section->line,
                .enabled = false,
                .maxretry = 5,
                .findtime_usec = 10 * USEC_PER_MINUTE,
                .bantime_usec = 10 * USEC_PER_MINUTE,
                .ignoreself = true,
                .protocol = PROTOCOL_TCP,
                .blocktype = BLOCK_TYPE_REJECT,
                .maxtracked = MAXTRACKED_DEFAULT,
        };

#define GET(key, sep)                                                   \
        g_autofree char *key = NULL;                                    \
        k = jail_get(p, #key, sep, &key, &file, &line);                 \
        if (k < 0)                                                      \
                ok = k;

        {
                GET(enabled, " ");
                if (k > 0) {
                        r = parse_bool(enabled);
                        if (r < 0)
                                ok = jail_error(p, file, line, "invalid enabled '%s'", enabled);
                        else
                                j->enabled = r;
                }
        }
        {
                GET(filter, " ");
                j->filter_spec = k > 0 ? g_strdup(g_strstrip(filter)) : g_strdup(name);
        }
        {
                GET(maxretry, " ");
                if (k > 0 && parse_unsigned(maxretry, 1, &j->maxretry) < 0)
                        ok = jail_error(p, file, line, "invalid maxretry '%s'", maxretry);
        }
        {
                GET(maxtracked, " ");
                if (k > 0 && parse_unsigned(maxtracked, 1, &j->maxtracked) < 0)
                        ok = jail_error(p, file, line, "invalid maxtracked '%s'", maxtracked);
        }
        {
                GET(findtime, " ");
                if (k > 0) {
                        usec_t u;

                        if (parse_duration(findtime, &u) < 0 || u == 0 || u == USEC_INFINITY)
                                ok = jail_error(p, file, line, "invalid findtime '%s'", findtime);
                        else
                                j->findtime_usec = u;
                }
        }
        {
                GET(bantime, " ");
                if (k > 0) {
                        usec_t u;

                        if (parse_duration(bantime, &u) < 0 || u == 0)
                                ok = jail_error(p, file, line, "invalid bantime '%s'", bantime);
                        else
                                j->bantime_usec = u;
                }
        }
        {
                GET(ignoreip, " ");
                if (k > 0) {
                        g_autofree char *bad = NULL;

                        r = parse_ignoreip(ignoreip, &j->ignoreip, &bad);
                        if (r == -EINVAL)
                                ok = jail_error(p, file, line,
                                                "invalid ignoreip entry '%s' (an address or prefix; host names are not supported)",
                                                bad);
                        else if (r < 0)
                                return r;
                }
        }
        {
                GET(ignoreself, " ");
                if (k > 0) {
                        r = parse_bool(ignoreself);
                        if (r < 0)
                                ok = jail_error(p, file, line, "invalid ignoreself '%s'", ignoreself);
                        else
                                j->ignoreself = r;
                }
        }
        {
                GET(protocol, " ");
                if (k > 0) {
                        j->protocol = protocol_from_string(g_strstrip(protocol));
                        if (j->protocol < 0) {
                                ok = jail_error(p, file, line, "invalid protocol '%s' (tcp, udp or all)", protocol);
                                j->protocol = PROTOCOL_TCP;
                        }
                }
        }
        {
                GET(port, " ");
                if (k > 0) {
                        g_autofree char *bad = NULL;

                        r = parse_ports(port, j->protocol, &j->ports, &j->n_ports, &bad);
                        if (r < 0)
                                ok = jail_error(p, file, line, "invalid port '%s'", bad);
                        else if (j->protocol == PROTOCOL_ALL && j->n_ports > 0) {
                                g_ptr_array_add(p->warnings,
                                                g_strdup_printf("%s:%u: jail '%s': protocol = all matches every port, ignoring port = %s",
                                                                file, line, name, port));
                                g_clear_pointer(&j->ports, g_free);
                                j->n_ports = 0;
                        }
                }
        }
        {
                GET(blocktype, " ");
                if (k > 0) {
                        j->blocktype = block_type_from_string(g_strstrip(blocktype));
                        if (j->blocktype < 0) {
                                ok = jail_error(p, file, line, "invalid blocktype '%s' (drop or reject)", blocktype);
                                j->blocktype = BLOCK_TYPE_REJECT;
                        }
                }
        }
        {
                GET(journalmatch, " ");
                if (k > 0 && !isempty(journalmatch)) {
                        j->journalmatch = TAKE_PTR(journalmatch);
                        j->journalmatch_file = g_strdup(file);
                        j->journalmatch_line = line;
                }
        }
#undef GET

        /* Keys the jail section itself sets that we do not know. Keys from [DEFAULT] are exempt: they
         * are often only there to be interpolated. */
        for (guint i = 0; i < p->section->values->len; i++) {
                const IniValue *v = p->section->values->pdata[i];

                if (key_in(v->key, jail_keys, ELEMENTSOF(jail_keys)) || g_hash_table_contains(p->used, v->key))
                        continue;
                if (key_in(v->key, jail_keys_unsupported, ELEMENTSOF(jail_keys_unsupported)))
                        g_ptr_array_add(p->warnings,
                                        g_strdup_printf("%s:%u: key '%s' in jail '%s' is not supported yet, ignoring",
                                                        v->file, v->line, v->key, name));
                else
                        g_ptr_array_add(p->warnings,
                                        g_strdup_printf("%s:%u: unknown key '%s' in jail '%s', ignoring",
                                                        v->file, v->line, v->key, name));
        }

        if (ok < 0)
                return ok;

        *ret = TAKE_PTR(j);
        return 0;
}

/* Loads the filter of an enabled jail; the effective journal match is the jail's, else the filter's. */
static int jail_load_filter(JailParser *p, JailConfig *j) {
        const IniValue *v = ini_document_lookup(p->doc, j->name, "filter");
        const char *file = v ? v->file : j->file;
        unsigned line = v ? v->line : j->line;
        FilterDef *def = NULL;
        int r;

        r = filter_load(p->paths, j->filter_spec, j->name, file, line, &def, p->errors);
        if (r < 0)
                return r;

        j->filter = def;
        if (def->n_failregex == 0) {
                ini_error(p->errors, file, line, "jail '%s': filter '%s' (%s) has no failregex", j->name, def->name,
                          def->file);
                return -EINVAL;
        }
        if (!j->journalmatch && !isempty(def->journalmatch)) {
                j->journalmatch = g_strdup(def->journalmatch);
                j->journalmatch_file = g_strdup(def->journalmatch_file);
                j->journalmatch_line = def->journalmatch_line;
        }
        return 0;
}

static int jail_config_compare(const void *a, const void *b) {
        return strcmp((*(JailConfig *const *) a)->name, (*(JailConfig *const *) b)->name);
}

/* Names of jails/ *.conf over both dirs (admin masks vendor by name), sorted. */
static GPtrArray *list_jail_files(const SearchPath *sp) {
        g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        GPtrArray *names = g_ptr_array_new_with_free_func(g_free);

        for (size_t i = 0; sp->dirs[i]; i++) {
                g_autofree char *p = g_build_filename(sp->dirs[i], "jails", NULL);
                g_autoptr(GDir) dir = g_dir_open(p, 0, NULL);
                const char *de;

                if (!dir)
                        continue;
                while ((de = g_dir_read_name(dir))) {
                        g_autofree char *fp = g_build_filename(p, de, NULL);
                        struct stat st;

                        if (!g_str_has_suffix(de, ".conf") || g_hash_table_contains(seen, de))
                                continue;
                        if (stat(fp, &st) < 0 || !S_ISREG(st.st_mode))
                                continue;
                        g_hash_table_add(seen, g_strdup(de));
                        g_ptr_array_add(names, g_strdup(de));
                }
        }
        g_ptr_array_sort(names, strcmp_ptr);
        return names;
}

static void jail_config_free_void(void *j) {
        jail_config_free(j);
}

int config_load(const ConfigPaths *paths, Config **ret, char **ret_error) {
        g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GPtrArray) jails = g_ptr_array_new_with_free_func(jail_config_free_void);
        g_autoptr(GHashTable) jail_names = g_hash_table_new(g_str_hash, g_str_equal);
        _cleanup_(ini_document_freep) IniDocument *global = ini_document_new();
        _cleanup_(search_path_done) SearchPath sp = {};
        g_autoptr(GPtrArray) files = NULL;
        Config *c;
        int r, failed = 0;

        assert(paths);
        assert(paths->config_dir);
        assert(ret);

        search_path_add(&sp, paths->config_dir, NULL);
        search_path_add(&sp, paths->vendor_dir, NULL);

        /* 1. portcullis.conf: defaults for every jail, nothing else. */
        r = ini_document_read_unit(global, sp.dirs, "portcullis.conf", errors);
        if (r < 0 && r != -ENOENT)
                failed = r;
        for (guint i = 0; i < global->sections->len; i++) {
                const IniSection *s = global->sections->pdata[i];

                if (streq(s->name, "DEFAULT"))
                        continue;
                ini_error(errors, s->file, s->line, "section [%s] not allowed in portcullis.conf, jails belong in jails/*.conf",
                          s->name);
                failed = -EINVAL;
        }

        /* 2. jails/ *.conf, each on top of the global [DEFAULT]. */
        files = list_jail_files(&sp);
        for (guint i = 0; i < files->len; i++) {
                _cleanup_(ini_document_freep) IniDocument *doc = ini_document_new();
                g_autofree char *relpath = g_build_filename("jails", files->pdata[i], NULL);
                g_autoptr(GHashTable) used = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

                ini_document_merge_section(doc, global, "DEFAULT");
                r = ini_document_read_unit(doc, sp.dirs, relpath, errors);
                if (r < 0) {
                        failed = r;
                        continue;
                }

                for (guint s = 0; s < doc->sections->len; s++) {
                        const IniSection *section = doc->sections->pdata[s];
                        const JailConfig *other;
                        JailConfig *j = NULL;

                        if (streq(section->name, "DEFAULT"))
                                continue;
                        if (!jail_name_valid(section->name)) {
                                ini_error(errors, section->file, section->line,
                                          "invalid jail name '%s' (a letter, then up to %u letters, digits, '_', '.' or '-')",
                                          section->name, JAIL_NAME_MAX - 1);
                                failed = -EINVAL;
                                continue;
                        }
                        other = g_hash_table_lookup(jail_names, section->name);
                        if (other) {
                                ini_error(errors, section->file, section->line,
                                          "jail '%s' is already defined in %s:%u", section->name, other->file,
                                          other->line);
                                failed = -EINVAL;
                                continue;
                        }

                        g_hash_table_remove_all(used);
                        JailParser p = {
                                .paths = paths,
                                .doc = doc,
                                .section = section,
                                .used = used,
                                .errors = errors,
                                .warnings = warnings,
                        };
                        r = jail_parse(&p, &j);
                        if (r < 0) {
                                failed = r;
                                continue;
                        }
                        g_ptr_array_add(jails, j);
                        g_hash_table_insert(jail_names, j->name, j);

                        if (j->enabled) {
                                r = jail_load_filter(&p, j);
                                if (r < 0)
                                        failed = r;
                        }
                }
        }

        if (failed < 0 || errors->len > 0) {
                if (ret_error)
                        *ret_error = ini_errors_join(errors);
                return failed < 0 ? failed : -EINVAL;
        }

        g_ptr_array_sort(jails, jail_config_compare);

        c = g_new0(Config, 1);
        c->n_jails = jails->len;
        c->jails = (JailConfig **) g_ptr_array_steal(jails, NULL);
        c->n_warnings = warnings->len;
        g_ptr_array_add(warnings, NULL);
        c->warnings = (char **) g_ptr_array_steal(warnings, NULL);
        *ret = c;
        return 0;
}
