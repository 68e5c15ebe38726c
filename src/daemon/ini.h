/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <glib.h>

/* fail2ban's INI dialect (Python ConfigParser with fail2ban's includes), which GKeyFile cannot read:
 *   [section]              names are case-sensitive; [DEFAULT] is visible from every section
 *   key = value, key: value keys are lower-cased, whitespace around keys and values stripped
 *   # or ; comment         full-line only (regexes contain both characters), also inside values
 *     continuation         an indented line continues the value; blank lines inside are dropped
 *   %(name)s, %%           interpolation from the same section, then [DEFAULT]; %(__name__)s;
 *                          %(known/name)s: the value name had before it was overridden (or [DEFAULT]'s)
 *                          %(default/name)s: [DEFAULT]'s value even where the section overrides it
 *                          %(section/name)s: name as [section] has it
 *   [INCLUDES] before/after = other.conf   read before/after the file, relative to its directory
 * Every physical value line keeps the FILE:LINE it came from, so that one regex of a failregex
 * list can be reported precisely.
 *
 * Non-logging: every problem is appended to an error list (GPtrArray of "FILE:LINE: message"
 * strings, element free function g_free) and the function returns -EINVAL, after having read as much
 * as it could, so that a caller sees all errors at once. */

#define INI_INCLUDE_DEPTH_MAX 10U
#define INI_INTERPOLATION_DEPTH_MAX 16U

typedef struct IniLine {
        char *text;       /* stripped, never empty; owned */
        const char *file; /* interned in the document that produced it */
        unsigned line;
} IniLine;

/* A list of value lines with their origins. */
typedef struct IniLines {
        IniLine *lines;
        size_t n;
} IniLines;

void ini_lines_done(IniLines *l);
void ini_lines_add(IniLines *l, const char *text, const char *file, unsigned line);
/* The lines joined with SEPARATOR; "" for no lines. Returns a g_malloc()ed string. */
char *ini_lines_join(const IniLines *l, const char *separator);

typedef struct IniValue IniValue;
struct IniValue {
        char *key;        /* lower-cased */
        const char *file; /* where "key = " was (in the file that set the value last) */
        unsigned line;
        IniLines value;   /* the value's non-empty lines; no lines for "key =" */
        IniValue *previous; /* the value this one overrode, for %(known/key)s (owned), or NULL */
};

typedef struct IniSection {
        char *name;
        const char *file; /* where the section was first seen */
        unsigned line;
        GPtrArray *values;   /* IniValue *, in order of first definition (owned) */
        GHashTable *by_key;  /* key → IniValue * (borrowed from values) */
} IniSection;

typedef struct IniDocument {
        GStringChunk *strings; /* interned file names */
        GPtrArray *sections;   /* IniSection *, in order of first appearance (owned) */
        GHashTable *by_name;   /* name → IniSection * (borrowed) */
} IniDocument;

IniDocument *ini_document_new(void);
IniDocument *ini_document_free(IniDocument *d);
static inline void ini_document_freep(IniDocument **d) {
        if (*d)
                *d = ini_document_free(*d);
}

/* Appends "FILE:LINE: message" (or "FILE: message" for line 0, "message" for a NULL file). */
void ini_error(GPtrArray *errors, const char *file, unsigned line, const char *format, ...)
        G_GNUC_PRINTF(4, 5);

/* Parses TEXT, the contents of the file called FILE, into D, overriding the values D already has key
 * by key. A key given twice in one section of TEXT is an error. [INCLUDES] is not acted upon (see
 * ini_document_read_unit()) but kept in D like any other section. Returns 0 or -EINVAL. */
int ini_document_parse_string(IniDocument *d, const char *text, const char *file, GPtrArray *errors);

/* Reads the configuration unit RELPATH (for example "filters/sshd.conf") found in the first of DIRS
 * (NULL-terminated, highest priority first; NULL entries are not allowed) that has it, then its
 * overlays: NAME.local (for RELPATH NAME.conf) from every dir that has one, lowest priority first,
 * then the drop-ins RELPATH.d/ *.conf (union over DIRS, a higher-priority dir masks a drop-in of the
 * same name, applied in lexical order). Every file read has its [INCLUDES] honoured: "before" units first, then the file,
 * then "after" units, each resolved relative to the including file's directory (in the same DIRS)
 * and with overlays of its own; cycles and nesting deeper than INI_INCLUDE_DEPTH_MAX are errors.
 * Returns 0; -ENOENT if RELPATH exists in none of DIRS (nothing appended to errors); -EINVAL or
 * another negative errno with errors appended. */
int ini_document_read_unit(IniDocument *d, const char *const *dirs, const char *relpath, GPtrArray *errors);

/* Reads the single file RELPATH from the first of DIRS that has it, with its [INCLUDES] (as above),
 * but none of its overlays: for callers with their own layering (fail2ban's jail.conf, jail.d/,
 * jail.local). Same return values as ini_document_read_unit(). */
int ini_document_read_file(IniDocument *d, const char *const *dirs, const char *relpath, GPtrArray *errors);

/* Merges SRC into D: sections are merged, values override key by key. */
void ini_document_merge(IniDocument *d, const IniDocument *src);
/* The same for section NAME of SRC only (if it has one). */
void ini_document_merge_section(IniDocument *d, const IniDocument *src, const char *name);

IniSection *ini_document_get_section(const IniDocument *d, const char *name);
/* KEY in SECTION, else in [DEFAULT]; NULL if in neither. */
const IniValue *ini_document_lookup(const IniDocument *d, const char *section, const char *key);
static inline const IniValue *ini_section_get(const IniSection *s, const char *key) {
        return s ? g_hash_table_lookup(s->by_key, key) : NULL;
}

/* Interpolates VALUE (found through SECTION) in the context of SECTION: %(name)s is looked up in
 * SECTION, then in [DEFAULT], recursively; %(__name__)s is SECTION; %% is a literal %. A line that
 * consists of a single %(name)s reference is replaced by the referenced value's lines, which keep
 * their own origins; any other reference is substituted inline. Lines that end up empty are dropped.
 * If USED is non-NULL, every name referenced is added to it (g_strdup()ed keys). On error appends to
 * ERRORS and returns -EINVAL; *ret is written only on success. */
int ini_document_interpolate(const IniDocument *d, const char *section, const IniValue *value,
                             GHashTable *used, IniLines *ret, GPtrArray *errors);

/* Joins ERRORS into one string, one per line, dropping exact duplicates. NULL when empty. The result
 * is malloc()ed: free() it. */
char *ini_errors_join(GPtrArray *errors);
