/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The line buffer of multi-line (maxlines > 1) filters: see filter-buffer.h. Non-logging. */

#include <assert.h>
#include <glib.h>
#include <stdbool.h>
#include <stdlib.h>

#include "filter-buffer.h"
#include "macro.h"

struct FilterBuffer {
        GPtrArray *lines; /* char *, oldest first */
        unsigned maxlines;
        GString *text;    /* the lines joined, valid when !dirty */
        GArray *offsets;  /* size_t: where line i starts in text */
        bool dirty;
};

FilterBuffer *filter_buffer_new(unsigned maxlines) {
        FilterBuffer *b;

        assert(maxlines >= 1);

        b = calloc(1, sizeof(FilterBuffer));
        if (!b)
                return NULL;
        b->maxlines = MIN(maxlines, FILTER_BUFFER_LINES_MAX);
        b->lines = g_ptr_array_new_with_free_func(g_free);
        b->text = g_string_new(NULL);
        b->offsets = g_array_new(FALSE, FALSE, sizeof(size_t));
        return b;
}

FilterBuffer *filter_buffer_free(FilterBuffer *b) {
        if (!b)
                return NULL;
        g_ptr_array_unref(b->lines);
        g_string_free(b->text, TRUE);
        g_array_unref(b->offsets);
        free(b);
        return NULL;
}

void filter_buffer_push(FilterBuffer *b, const char *line, size_t len) {
        assert(b);
        assert(line || len == 0);

        if (b->lines->len >= b->maxlines)
                g_ptr_array_remove_range(b->lines, 0, b->lines->len - b->maxlines + 1);
        g_ptr_array_add(b->lines, g_strndup(line ?: "", MIN(len, (size_t) FILTER_BUFFER_LINE_MAX)));
        b->dirty = true;
}

static void filter_buffer_build(FilterBuffer *b) {
        if (!b->dirty)
                return;
        g_string_truncate(b->text, 0);
        g_array_set_size(b->offsets, 0);
        for (guint i = 0; i < b->lines->len; i++) {
                size_t o = b->text->len;

                g_array_append_val(b->offsets, o);
                g_string_append(b->text, b->lines->pdata[i]);
                g_string_append_c(b->text, '\n');
        }
        b->dirty = false;
}

const char *filter_buffer_text(FilterBuffer *b, size_t *ret_len) {
        assert(b);

        filter_buffer_build(b);
        if (ret_len)
                *ret_len = b->text->len;
        return b->text->str;
}

size_t filter_buffer_consume(FilterBuffer *b, size_t start, size_t end, const size_t (*skipped)[2], size_t n_skipped) {
        size_t removed = 0;

        assert(b);

        filter_buffer_build(b);
        end = MAX(end, start + 1); /* an empty match still touches the line it is on */
        for (guint i = b->lines->len; i > 0; i--) {
                size_t ls = g_array_index(b->offsets, size_t, i - 1);
                size_t le = ls + strlen(b->lines->pdata[i - 1]) + 1; /* with its '\n' */
                bool skip = false;

                if (le <= start || ls >= end)
                        continue;
                for (size_t k = 0; k < n_skipped && !skip; k++)
                        skip = ls >= skipped[k][0] && le <= skipped[k][1];
                if (skip)
                        continue;
                g_ptr_array_remove_index(b->lines, i - 1);
                removed++;
        }
        if (removed > 0)
                b->dirty = true;
        return removed;
}

size_t filter_buffer_size(const FilterBuffer *b) {
        assert(b);
        return b->lines->len;
}

const char *filter_buffer_line(const FilterBuffer *b, size_t i) {
        assert(b);
        assert(i < b->lines->len);
        return b->lines->pdata[i];
}

void filter_buffer_clear(FilterBuffer *b) {
        assert(b);
        g_ptr_array_set_size(b->lines, 0);
        b->dirty = true;
}
