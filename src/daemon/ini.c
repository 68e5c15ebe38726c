/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ini.h"
#include "macro.h"

/* Configuration files are small; anything bigger is a mistake (or /dev/zero). */
#define INI_FILE_SIZE_MAX (4U * 1024U * 1024U)

void ini_lines_done(IniLines *l) {
        if (!l)
                return;
        for (size_t i = 0; i < l->n; i++)
                g_free(l->lines[i].text);
        g_free(l->lines);
        *l = (IniLines) {};
}

void ini_lines_add(IniLines *l, const char *text, const char *file, unsigned line) {
        /* Grow in powers of two: lists are short, but failregex lists can have a hundred lines. */
        if ((l->n & (l->n - 1)) == 0)
                l->lines = g_renew(IniLine, l->lines, l->n == 0 ? 1 : l->n * 2);
        l->lines[l->n++] = (IniLine) {
                .text = g_strdup(text),
                .file = file,
                .line = line,
        };
}

char *ini_lines_join(const IniLines *l, const char *separator) {
        GString *s = g_string_new(NULL);

        for (size_t i = 0; i < l->n; i++) {
                if (i > 0)
                        g_string_append(s, separator);
                g_string_append(s, l->lines[i].text);
        }
        return g_string_free(s, FALSE);
}

static void ini_value_free(IniValue *v) {
        if (!v)
                return;
        g_free(v->key);
        ini_lines_done(&v->value);
        ini_value_free(v->previous);
        g_free(v);
}

static void ini_section_free(IniSection *s) {
        if (!s)
                return;
        g_free(s->name);
        if (s->by_key)
                g_hash_table_unref(s->by_key);
        if (s->values)
                g_ptr_array_unref(s->values);
        g_free(s);
}

IniDocument *ini_document_new(void) {
        IniDocument *d = g_new0(IniDocument, 1);

        d->strings = g_string_chunk_new(256);
        d->sections = g_ptr_array_new_with_free_func((GDestroyNotify) ini_section_free);
        d->by_name = g_hash_table_new(g_str_hash, g_str_equal);
        return d;
}

IniDocument *ini_document_free(IniDocument *d) {
        if (!d)
                return NULL;
        if (d->by_name)
                g_hash_table_unref(d->by_name);
        if (d->sections)
                g_ptr_array_unref(d->sections);
        if (d->strings)
                g_string_chunk_free(d->strings);
        g_free(d);
        return NULL;
}

void ini_error(GPtrArray *errors, const char *file, unsigned line, const char *format, ...) {
        g_autofree char *msg = NULL;
        va_list ap;

        va_start(ap, format);
        msg = g_strdup_vprintf(format, ap);
        va_end(ap);

        if (!file)
                g_ptr_array_add(errors, TAKE_PTR(msg));
        else if (line == 0)
                g_ptr_array_add(errors, g_strdup_printf("%s: %s", file, msg));
        else
                g_ptr_array_add(errors, g_strdup_printf("%s:%u: %s", file, line, msg));
}

char *ini_errors_join(GPtrArray *errors) {
        g_autoptr(GHashTable) seen = NULL;
        g_autoptr(GString) s = NULL;

        if (!errors || errors->len == 0)
                return NULL;

        seen = g_hash_table_new(g_str_hash, g_str_equal);
        s = g_string_new(NULL);
        for (guint i = 0; i < errors->len; i++) {
                const char *e = errors->pdata[i];

                if (!g_hash_table_add(seen, (gpointer) e))
                        continue;
                if (s->len > 0)
                        g_string_append_c(s, '\n');
                g_string_append(s, e);
        }
        return strdup(s->str);
}

IniSection *ini_document_get_section(const IniDocument *d, const char *name) {
        return g_hash_table_lookup(d->by_name, name);
}

static IniSection *document_ensure_section(IniDocument *d, const char *name, const char *file, unsigned line) {
        IniSection *s = ini_document_get_section(d, name);

        if (s)
                return s;

        s = g_new0(IniSection, 1);
        s->name = g_strdup(name);
        s->file = file ? g_string_chunk_insert_const(d->strings, file) : NULL;
        s->line = line;
        s->values = g_ptr_array_new_with_free_func((GDestroyNotify) ini_value_free);
        s->by_key = g_hash_table_new(g_str_hash, g_str_equal);
        g_ptr_array_add(d->sections, s);
        g_hash_table_insert(d->by_name, s->name, s);
        return s;
}

/* Returns the (empty) value for KEY in S, replacing an earlier one. */
static IniValue *section_set_value(IniDocument *d, IniSection *s, const char *key, const char *file, unsigned line) {
        IniValue *v = g_hash_table_lookup(s->by_key, key);

        if (v) {
                /* Keep the overridden value for %(known/key)s; one level is enough. */
                ini_value_free(v->previous);
                v->previous = g_new0(IniValue, 1);
                v->previous->key = g_strdup(v->key);
                v->previous->file = v->file;
                v->previous->line = v->line;
                v->previous->value = v->value;
                v->value = (IniLines) {};
        } else {
                v = g_new0(IniValue, 1);
                v->key = g_strdup(key);
                g_ptr_array_add(s->values, v);
                g_hash_table_insert(s->by_key, v->key, v);
        }
        v->file = file ? g_string_chunk_insert_const(d->strings, file) : NULL;
        v->line = line;
        return v;
}

static void copy_lines(IniDocument *d, IniLines *to, const IniLines *from) {
        for (size_t k = 0; k < from->n; k++)
                ini_lines_add(to, from->lines[k].text, g_string_chunk_insert_const(d->strings, from->lines[k].file),
                              from->lines[k].line);
}

static void merge_section(IniDocument *d, const IniSection *from) {
        IniSection *to = document_ensure_section(d, from->name, from->file, from->line);

        for (guint j = 0; j < from->values->len; j++) {
                const IniValue *fv = from->values->pdata[j];
                IniValue *tv = section_set_value(d, to, fv->key, fv->file, fv->line);

                copy_lines(d, &tv->value, &fv->value);
                if (fv->previous && !tv->previous) {
                        tv->previous = g_new0(IniValue, 1);
                        tv->previous->key = g_strdup(fv->key);
                        tv->previous->file = g_string_chunk_insert_const(d->strings, fv->previous->file);
                        tv->previous->line = fv->previous->line;
                        copy_lines(d, &tv->previous->value, &fv->previous->value);
                }
        }
}

static void merge_sections(IniDocument *d, const IniDocument *src, bool skip_includes) {
        for (guint i = 0; i < src->sections->len; i++) {
                const IniSection *from = src->sections->pdata[i];

                if (skip_includes && streq(from->name, "INCLUDES"))
                        continue;
                merge_section(d, from);
        }
}

void ini_document_merge_section(IniDocument *d, const IniDocument *src, const char *name) {
        const IniSection *s = ini_document_get_section(src, name);

        if (s)
                merge_section(d, s);
}

void ini_document_merge(IniDocument *d, const IniDocument *src) {
        merge_sections(d, src, /* skip_includes= */ false);
}

const IniValue *ini_document_lookup(const IniDocument *d, const char *section, const char *key) {
        const IniValue *v = ini_section_get(ini_document_get_section(d, section), key);

        if (v)
                return v;
        return ini_section_get(ini_document_get_section(d, "DEFAULT"), key);
}

static bool is_blank(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static char *strip(char *s) {
        size_t n;

        while (is_blank(*s))
                s++;
        n = strlen(s);
        while (n > 0 && is_blank(s[n - 1]))
                s[--n] = '\0';
        return s;
}

/* Parses into a fresh document, so that a key seen twice in one section of one file is easy to
 * spot; the caller merges. */
static int parse_into(IniDocument *d, const char *text, const char *file, GPtrArray *errors) {
        g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
        IniSection *section = NULL;
        IniValue *value = NULL;
        /* After a broken header or a duplicate key, skip what belongs to it silently rather than
         * reporting a cascade of follow-up errors. */
        bool skipping = false, broken_section = false;
        int r = 0;

        for (unsigned n = 0; lines[n]; n++) {
                unsigned line = n + 1;
                char *raw = lines[n], *l = strip(raw), *p;

                if (*l == '\0' || *l == '#' || *l == ';')
                        continue; /* blank lines and comments neither end nor join a value */

                if (l != raw) {
                        /* Indented: continues the previous value. */
                        if (skipping)
                                continue;
                        if (!value) {
                                ini_error(errors, file, line, "continuation line without a key before it");
                                r = -EINVAL;
                                continue;
                        }
                        ini_lines_add(&value->value, l, value->file, line);
                        continue;
                }

                value = NULL;
                skipping = false;

                if (broken_section && *l != '[') {
                        skipping = true;
                        continue;
                }

                if (*l == '[') {
                        char *end = strchr(l, ']');

                        if (!end) {
                                ini_error(errors, file, line, "unterminated section header '%s'", l);
                                r = -EINVAL;
                                section = NULL;
                                broken_section = skipping = true;
                                continue;
                        }
                        *end = '\0';
                        p = strip(end + 1);
                        if (*p != '\0' && *p != '#' && *p != ';') {
                                ini_error(errors, file, line, "unexpected text after section header: '%s'", p);
                                r = -EINVAL;
                                section = NULL;
                                broken_section = skipping = true;
                                continue;
                        }
                        p = strip(l + 1);
                        if (*p == '\0') {
                                ini_error(errors, file, line, "empty section name");
                                r = -EINVAL;
                                section = NULL;
                                broken_section = skipping = true;
                                continue;
                        }
                        section = document_ensure_section(d, p, file, line);
                        broken_section = false;
                        continue;
                }

                /* The first '=' or ':' separates key and value (ConfigParser's non-greedy key). */
                p = l + strcspn(l, "=:");
                if (*p == '\0') {
                        ini_error(errors, file, line,
                                  "expected '[section]', 'key = value' or an indented continuation line, got '%s'", l);
                        r = -EINVAL;
                        skipping = true;
                        continue;
                }
                *p = '\0';
                char *key = strip(l), *val = strip(p + 1);

                if (!section) {
                        ini_error(errors, file, line, "key '%s' outside of any [section]", key);
                        r = -EINVAL;
                        skipping = true;
                        continue;
                }
                if (*key == '\0') {
                        ini_error(errors, file, line, "missing key name");
                        r = -EINVAL;
                        skipping = true;
                        continue;
                }

                g_autofree char *lower = g_ascii_strdown(key, -1);
                const IniValue *old = ini_section_get(section, lower);
                if (old) {
                        ini_error(errors, file, line, "duplicate key '%s' in section [%s] (first set on line %u)",
                                  lower, section->name, old->line);
                        r = -EINVAL;
                        skipping = true;
                        continue;
                }

                value = section_set_value(d, section, lower, file, line);
                if (*val != '\0')
                        ini_lines_add(&value->value, val, value->file, line);
        }

        return r;
}

int ini_document_parse_string(IniDocument *d, const char *text, const char *file, GPtrArray *errors) {
        _cleanup_(ini_document_freep) IniDocument *tmp = ini_document_new();
        int r;

        r = parse_into(tmp, text, file, errors);
        ini_document_merge(d, tmp);
        return r;
}

static int read_text_file(const char *path, char **ret) {
        _cleanup_fclose_ FILE *f = NULL;
        g_autoptr(GString) s = NULL;
        char buf[4096];
        size_t k;

        f = fopen(path, "re");
        if (!f)
                return -errno;

        s = g_string_new(NULL);
        while ((k = fread(buf, 1, sizeof(buf), f)) > 0) {
                if (s->len + k > INI_FILE_SIZE_MAX)
                        return -EFBIG;
                if (memchr(buf, '\0', k))
                        return -EBADMSG; /* binary file */
                g_string_append_len(s, buf, k);
        }
        if (ferror(f))
                return errno > 0 ? -errno : -EIO;

        *ret = g_string_free(TAKE_PTR(s), FALSE);
        return 0;
}

/* The first N bytes of S, then SUFFIX. */
static char *strndup_concat(const char *s, size_t n, const char *suffix) {
        g_autofree char *head = g_strndup(s, n);

        return g_strconcat(head, suffix, NULL);
}

static int strcmp_ptr(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static bool file_exists(const char *path) {
        struct stat st;

        return stat(path, &st) >= 0 && S_ISREG(st.st_mode);
}

/* What is being read right now, for cycle detection and the chain in the error message. */
typedef struct IncludeStack {
        GPtrArray *real;    /* canonical paths */
        GPtrArray *display; /* paths as opened */
} IncludeStack;

static int read_unit(IniDocument *d, const char *const *dirs, const char *relpath, const IniLine *origin,
                     IncludeStack *stack, GPtrArray *errors);

/* Resolves include NAME of the file RELPATH (found in DIRS) and reads it as a unit. */
static int read_include(IniDocument *d, const char *const *dirs, const char *relpath, const char *name,
                        const IniLine *origin, IncludeStack *stack, GPtrArray *errors) {
        int r;

        if (g_path_is_absolute(name)) {
                g_autofree char *dir = g_path_get_dirname(name), *base = g_path_get_basename(name);
                const char *const abs_dirs[] = { dir, NULL };

                r = read_unit(d, abs_dirs, base, origin, stack, errors);
        } else {
                g_autofree char *reldir = g_path_get_dirname(relpath);
                g_autofree char *rel = streq(reldir, ".") ? g_strdup(name) : g_build_filename(reldir, name, NULL);

                r = read_unit(d, dirs, rel, origin, stack, errors);
        }
        if (r == -ENOENT) {
                /* fail2ban's own files say "after = common.local" for an optional overlay. */
                if (g_str_has_suffix(name, ".local"))
                        return 0;
                ini_error(errors, origin->file, origin->line, "included file '%s' not found", name);
                return -EINVAL;
        }
        return r;
}

static int read_includes(IniDocument *d, const char *const *dirs, const char *relpath, const IniValue *v,
                         IncludeStack *stack, GPtrArray *errors) {
        int r = 0;

        if (!v)
                return 0;

        for (size_t i = 0; i < v->value.n; i++) {
                g_auto(GStrv) names = g_strsplit_set(v->value.lines[i].text, " \t", -1);

                for (size_t j = 0; names[j]; j++) {
                        int k;

                        if (names[j][0] == '\0')
                                continue;
                        k = read_include(d, dirs, relpath, names[j], &v->value.lines[i], stack, errors);
                        if (k < 0 && r >= 0)
                                r = k;
                }
        }
        return r;
}

/* Reads one physical file PATH (which is RELPATH in DIRS) with its includes into D. */
static int read_file(IniDocument *d, const char *const *dirs, const char *relpath, const char *path,
                     const IniLine *origin, IncludeStack *stack, GPtrArray *errors) {
        _cleanup_(ini_document_freep) IniDocument *tmp = NULL;
        g_autofree char *text = NULL;
        char *real;
        IniSection *inc;
        int r, k;

        real = realpath(path, NULL);
        if (!real)
                real = g_strdup(path);

        for (guint i = 0; i < stack->real->len; i++) {
                if (!streq(stack->real->pdata[i], real))
                        continue;

                g_autoptr(GString) chain = g_string_new(NULL);
                for (guint j = i; j < stack->display->len; j++)
                        g_string_append_printf(chain, "%s -> ", (const char *) stack->display->pdata[j]);
                g_string_append(chain, path);
                ini_error(errors, origin ? origin->file : NULL, origin ? origin->line : 0,
                          "include cycle: %s", chain->str);
                free(real);
                return -ELOOP;
        }
        if (stack->real->len >= INI_INCLUDE_DEPTH_MAX) {
                ini_error(errors, origin ? origin->file : NULL, origin ? origin->line : 0,
                          "includes nested more than %u levels deep, at '%s'", INI_INCLUDE_DEPTH_MAX, path);
                free(real);
                return -ELOOP;
        }

        r = read_text_file(path, &text);
        if (r < 0) {
                ini_error(errors, path, 0, "failed to read: %s", g_strerror(-r));
                free(real);
                return r;
        }

        tmp = ini_document_new();
        r = parse_into(tmp, text, path, errors);

        g_ptr_array_add(stack->real, real);
        g_ptr_array_add(stack->display, g_strdup(path));

        inc = ini_document_get_section(tmp, "INCLUDES");
        k = read_includes(d, dirs, relpath, ini_section_get(inc, "before"), stack, errors);
        if (k < 0 && r >= 0)
                r = k;
        merge_sections(d, tmp, /* skip_includes= */ true);
        k = read_includes(d, dirs, relpath, ini_section_get(inc, "after"), stack, errors);
        if (k < 0 && r >= 0)
                r = k;

        g_ptr_array_remove_index(stack->real, stack->real->len - 1);
        g_ptr_array_remove_index(stack->display, stack->display->len - 1);
        return r;
}

static int read_unit(IniDocument *d, const char *const *dirs, const char *relpath, const IniLine *origin,
                     IncludeStack *stack, GPtrArray *errors) {
        g_autofree char *local = NULL, *dropin_dir = NULL;
        g_autoptr(GHashTable) dropins = NULL;
        g_autoptr(GPtrArray) names = NULL;
        size_t n_dirs = g_strv_length((char **) dirs);
        int r = -ENOENT, k;

        /* 1. The main file: the first dir that has it masks the others. */
        for (size_t i = 0; i < n_dirs; i++) {
                g_autofree char *p = g_build_filename(dirs[i], relpath, NULL);

                if (!file_exists(p))
                        continue;
                r = read_file(d, dirs, relpath, p, origin, stack, errors);
                break;
        }
        if (r == -ENOENT)
                return r;

        /* 2. NAME.local (for NAME.conf) from every dir, lowest priority first. */
        if (g_str_has_suffix(relpath, ".conf"))
                local = strndup_concat(relpath, strlen(relpath) - strlen(".conf"), ".local");
        else
                local = g_strconcat(relpath, ".local", NULL);
        for (size_t i = n_dirs; i > 0; i--) {
                g_autofree char *p = g_build_filename(dirs[i - 1], local, NULL);

                if (!file_exists(p))
                        continue;
                k = read_file(d, dirs, local, p, origin, stack, errors);
                if (k < 0 && r >= 0)
                        r = k;
        }

        /* 3. NAME.d/ *.conf drop-ins: union, higher priority masks same name, lexical order. */
        dropin_dir = g_strconcat(relpath, ".d", NULL);
        dropins = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        for (size_t i = 0; i < n_dirs; i++) {
                g_autofree char *p = g_build_filename(dirs[i], dropin_dir, NULL);
                g_autoptr(GDir) dir = g_dir_open(p, 0, NULL);
                const char *de;

                if (!dir)
                        continue;
                while ((de = g_dir_read_name(dir))) {
                        g_autofree char *fp = NULL;

                        if (!g_str_has_suffix(de, ".conf") || g_hash_table_contains(dropins, de))
                                continue;
                        fp = g_build_filename(p, de, NULL);
                        if (!file_exists(fp))
                                continue;
                        g_hash_table_insert(dropins, g_strdup(de), TAKE_PTR(fp));
                }
        }
        names = g_ptr_array_new();
        GHashTableIter it;
        gpointer key;
        g_hash_table_iter_init(&it, dropins);
        while (g_hash_table_iter_next(&it, &key, NULL))
                g_ptr_array_add(names, key);
        g_ptr_array_sort(names, strcmp_ptr);
        for (guint i = 0; i < names->len; i++) {
                g_autofree char *rel = g_build_filename(dropin_dir, names->pdata[i], NULL);

                k = read_file(d, dirs, rel, g_hash_table_lookup(dropins, names->pdata[i]), origin, stack, errors);
                if (k < 0 && r >= 0)
                        r = k;
        }

        return r;
}

int ini_document_read_file(IniDocument *d, const char *const *dirs, const char *relpath, GPtrArray *errors) {
        IncludeStack stack = {
                .real = g_ptr_array_new_with_free_func(free),
                .display = g_ptr_array_new_with_free_func(g_free),
        };
        int r = -ENOENT;

        for (size_t i = 0; dirs[i]; i++) {
                g_autofree char *p = g_build_filename(dirs[i], relpath, NULL);

                if (!file_exists(p))
                        continue;
                r = read_file(d, dirs, relpath, p, /* origin= */ NULL, &stack, errors);
                break;
        }
        g_ptr_array_unref(stack.real);
        g_ptr_array_unref(stack.display);
        return r;
}

int ini_document_read_unit(IniDocument *d, const char *const *dirs, const char *relpath, GPtrArray *errors) {
        IncludeStack stack = {
                .real = g_ptr_array_new_with_free_func(free),
                .display = g_ptr_array_new_with_free_func(g_free),
        };
        int r;

        r = read_unit(d, dirs, relpath, /* origin= */ NULL, &stack, errors);
        g_ptr_array_unref(stack.real);
        g_ptr_array_unref(stack.display);
        return r;
}

/* Interpolation */

static int interpolate_value(const IniDocument *d, const char *section, const IniValue *v, unsigned depth,
                             GHashTable *used, IniLines *out, GPtrArray *errors);

static int resolve_name(const IniDocument *d, const char *section, const char *name, const IniLine *origin,
                        unsigned depth, GHashTable *used, IniLines *out, GPtrArray *errors) {
        g_autofree char *lower = g_ascii_strdown(name, -1), *other = NULL;
        const char *slash = strchr(name, '/');
        const IniValue *v;

        if (streq(lower, "__name__")) {
                ini_lines_add(out, section, origin->file, origin->line);
                return 0;
        }

        if (used)
                g_hash_table_add(used, g_strdup(lower));

        if (g_str_has_prefix(lower, "known/")) {
                /* fail2ban: the value the key had before this section (or file) redefined it. */
                v = ini_section_get(ini_document_get_section(d, section), lower + strlen("known/"));
                if (v && v->previous)
                        v = v->previous;
                else if (!streq(section, "DEFAULT"))
                        v = ini_section_get(ini_document_get_section(d, "DEFAULT"), lower + strlen("known/"));
                else
                        v = NULL;
        } else if (g_str_has_prefix(lower, "default/")) {
                /* fail2ban: [DEFAULT]'s value even where this section overrides the key; like every
                 * [DEFAULT] value it is interpolated in the context of the referencing section. */
                v = ini_section_get(ini_document_get_section(d, "DEFAULT"), lower + strlen("default/"));
        } else if (slash) {
                /* fail2ban: %(section/key)s, resolved in the context of that section. */
                other = g_strndup(name, slash - name);
                /* fail2ban: %(default/key)s is [DEFAULT]'s value, whatever the section overrides. */
                if (!ini_document_get_section(d, other) && g_ascii_strcasecmp(other, "default") == 0) {
                        g_free(other);
                        other = g_strdup("DEFAULT");
                }
                v = ini_document_get_section(d, other) ? ini_document_lookup(d, other, lower + (slash - name) + 1)
                                                       : NULL;
                section = other;
        } else
                v = ini_document_lookup(d, section, lower);
        if (!v) {
                ini_error(errors, origin->file, origin->line, "unknown interpolation variable '%%(%s)s' in section [%s]",
                          name, section);
                return -EINVAL;
        }
        if (depth >= INI_INTERPOLATION_DEPTH_MAX) {
                ini_error(errors, origin->file, origin->line,
                          "interpolation of '%%(%s)s' nested more than %u levels deep (a loop?)",
                          name, INI_INTERPOLATION_DEPTH_MAX);
                return -ELOOP;
        }
        return interpolate_value(d, section, v, depth + 1, used, out, errors);
}

/* If LINE is exactly "%(name)s", returns name's length and sets *ret_name. */
static size_t whole_line_reference(const char *line, const char **ret_name) {
        size_t n = strlen(line);

        if (n < 5 || !g_str_has_prefix(line, "%(") || !g_str_has_suffix(line, ")s"))
                return 0;
        if (memchr(line + 2, ')', n - 4))
                return 0;
        *ret_name = line + 2;
        return n - 4;
}

static int interpolate_line(const IniDocument *d, const char *section, const IniLine *l, unsigned depth,
                            GHashTable *used, IniLines *out, GPtrArray *errors) {
        g_autoptr(GString) s = NULL;
        const char *name;
        size_t n;
        int r;

        n = whole_line_reference(l->text, &name);
        if (n > 0) {
                g_autofree char *nm = g_strndup(name, n);

                return resolve_name(d, section, nm, l, depth, used, out, errors);
        }

        s = g_string_new(NULL);
        for (const char *p = l->text; *p; p++) {
                const char *end;

                if (*p != '%') {
                        g_string_append_c(s, *p);
                        continue;
                }
                if (p[1] == '%') {
                        g_string_append_c(s, '%');
                        p++;
                        continue;
                }
                if (p[1] != '(' || !(end = strchr(p + 2, ')')) || end[1] != 's') {
                        ini_error(errors, l->file, l->line, "'%%' must be followed by '%%' or '(name)s', in '%s'",
                                  l->text);
                        return -EINVAL;
                }

                g_autofree char *nm = g_strndup(p + 2, end - (p + 2));
                g_autofree char *joined = NULL;
                IniLines sub = {};

                r = resolve_name(d, section, nm, l, depth, used, &sub, errors);
                if (r < 0)
                        return r;
                joined = ini_lines_join(&sub, "\n");
                ini_lines_done(&sub);
                g_string_append(s, joined);
                p = end + 1;
        }

        /* An inline multi-line value makes several lines, all from the referencing line. */
        g_auto(GStrv) parts = g_strsplit(s->str, "\n", -1);
        for (size_t i = 0; parts[i]; i++) {
                char *t = strip(parts[i]);

                if (*t != '\0')
                        ini_lines_add(out, t, l->file, l->line);
        }
        return 0;
}

static int interpolate_value(const IniDocument *d, const char *section, const IniValue *v, unsigned depth,
                             GHashTable *used, IniLines *out, GPtrArray *errors) {
        for (size_t i = 0; i < v->value.n; i++) {
                int r;

                r = interpolate_line(d, section, &v->value.lines[i], depth, used, out, errors);
                if (r < 0)
                        return r;
        }
        return 0;
}

int ini_document_interpolate(const IniDocument *d, const char *section, const IniValue *value,
                             GHashTable *used, IniLines *ret, GPtrArray *errors) {
        IniLines out = {};
        int r;

        r = interpolate_value(d, section, value, 0, used, &out, errors);
        if (r < 0) {
                ini_lines_done(&out);
                return r;
        }
        *ret = out;
        return 0;
}
