/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <glib.h>

#include "journal-match.h"
#include "macro.h"

static void group_done(JournalMatchGroup *g) {
        for (size_t i = 0; i < g->n_terms; i++) {
                free(g->terms[i].field);
                free(g->terms[i].term);
        }
        free(g->terms);
}

JournalMatch *journal_match_free(JournalMatch *m) {
        if (!m)
                return NULL;
        for (size_t i = 0; i < m->n_groups; i++)
                group_done(&m->groups[i]);
        free(m->groups);
        free(m->text);
        free(m);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(JournalMatch *, journal_match_free);

static bool field_name_valid(const char *s, size_t n) {
        /* journald's rule: [A-Z0-9_], not starting with a digit, at most 64 bytes. */
        if (n == 0 || n > 64 || isdigit((unsigned char) s[0]))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!(s[i] >= 'A' && s[i] <= 'Z') && !isdigit((unsigned char) s[i]) && s[i] != '_')
                        return false;
        return true;
}

static int term_compare(const void *a, const void *b) {
        const JournalMatchTerm *x = a, *y = b;
        int c = strcmp(x->field, y->field);
        return c != 0 ? c : strcmp(x->term, y->term);
}

static int group_finish(JournalMatch *m, JournalMatchGroup *g) {
        JournalMatchGroup *n;

        if (g->n_terms == 0)
                return 0;
        qsort(g->terms, g->n_terms, sizeof(JournalMatchTerm), term_compare);
        n = realloc(m->groups, (m->n_groups + 1) * sizeof(JournalMatchGroup));
        if (!n)
                return -ENOMEM;
        m->groups = n;
        m->groups[m->n_groups++] = *g;
        *g = (JournalMatchGroup) {};
        return 0;
}

int journal_match_parse(const char *s, JournalMatch **ret, char **ret_error) {
        _cleanup_(journal_match_freep) JournalMatch *m = NULL;
        g_autoptr(GString) text = g_string_new(NULL);
        JournalMatchGroup g = {};
        int r;

        m = calloc(1, sizeof(JournalMatch));
        if (!m)
                return -ENOMEM;

        for (const char *p = s ? s : "";;) {
                size_t n;
                const char *eq;

                p += strspn(p, " \t\n");
                if (!*p)
                        break;
                n = strcspn(p, " \t\n");
                if (n == 1 && *p == '+') {
                        if (g.n_terms == 0) {
                                if (ret_error)
                                        *ret_error = g_strdup("'+' without a match before it");
                                group_done(&g);
                                return -EINVAL;
                        }
                        r = group_finish(m, &g);
                        if (r < 0) {
                                group_done(&g);
                                return r;
                        }
                        g_string_append(text, " +");
                        p += n;
                        continue;
                }
                eq = memchr(p, '=', n);
                if (!eq || !field_name_valid(p, (size_t) (eq - p))) {
                        if (ret_error)
                                *ret_error = g_strdup_printf("invalid journal match '%.*s': expected FIELD=VALUE "
                                                             "with FIELD in [A-Z0-9_]", (int) n, p);
                        group_done(&g);
                        return -EINVAL;
                }

                JournalMatchTerm *t = realloc(g.terms, (g.n_terms + 1) * sizeof(JournalMatchTerm));
                if (!t) {
                        group_done(&g);
                        return -ENOMEM;
                }
                g.terms = t;
                t = &g.terms[g.n_terms];
                *t = (JournalMatchTerm) {
                        .field = strndup(p, (size_t) (eq - p)),
                        .term = strndup(p, n),
                        .field_len = (size_t) (eq - p),
                };
                g.n_terms++;
                if (!t->field || !t->term) {
                        group_done(&g);
                        return -ENOMEM;
                }
                g_string_append_printf(text, "%s%.*s", text->len > 0 ? " " : "", (int) n, p);
                p += n;
        }
        if (g.n_terms == 0 && m->n_groups > 0) {
                if (ret_error)
                        *ret_error = g_strdup("'+' without a match after it");
                return -EINVAL;
        }
        r = group_finish(m, &g);
        if (r < 0) {
                group_done(&g);
                return r;
        }
        m->text = g_string_free(g_steal_pointer(&text), false);
        *ret = TAKE_PTR(m);
        return 0;
}

int journal_match_add(const JournalMatch *m, sd_journal *j) {
        int r;

        for (size_t i = 0; i < m->n_groups; i++) {
                for (size_t k = 0; k < m->groups[i].n_terms; k++) {
                        r = sd_journal_add_match(j, m->groups[i].terms[k].term, 0);
                        if (r < 0)
                                return r;
                }
                r = sd_journal_add_disjunction(j);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int group_test(const JournalMatchGroup *g, journal_match_get_t get, void *userdata) {
        size_t i = 0;
        int r;

        /* terms are sorted by field: walk one field at a time, OR within, AND across */
        while (i < g->n_terms) {
                const JournalMatchTerm *first = &g->terms[i];
                const void *data = NULL;
                size_t len = 0, k;
                bool hit = false;

                r = get(first->field, &data, &len, userdata);
                if (r < 0)
                        return r;
                for (k = i; k < g->n_terms && streq(g->terms[k].field, first->field); k++)
                        if (r > 0 && strlen(g->terms[k].term) == len && memcmp(g->terms[k].term, data, len) == 0)
                                hit = true;
                if (!hit)
                        return 0;
                i = k;
        }
        return 1;
}

static int get_from_journal(const char *field, const void **ret_item, size_t *ret_len, void *userdata) {
        int r = sd_journal_get_data(userdata, field, ret_item, ret_len);

        if (r == -ENOENT)
                return 0;
        return r < 0 ? r : 1;
}

int journal_match_test_with(const JournalMatch *m, journal_match_get_t get, void *userdata) {
        int r;

        if (m->n_groups == 0)
                return 1;
        for (size_t i = 0; i < m->n_groups; i++) {
                r = group_test(&m->groups[i], get, userdata);
                if (r != 0)
                        return r;
        }
        return 0;
}

void journal_match_collect_fields(const JournalMatch *m, GPtrArray *a) {
        for (size_t i = 0; i < m->n_groups; i++)
                for (size_t k = 0; k < m->groups[i].n_terms; k++) {
                        const char *f = m->groups[i].terms[k].field;
                        bool seen = false;

                        for (guint x = 0; x < a->len && !seen; x++)
                                seen = streq(a->pdata[x], f);
                        if (!seen)
                                g_ptr_array_add(a, g_strdup(f));
                }
}

int journal_match_test(const JournalMatch *m, sd_journal *j) {
        return journal_match_test_with(m, get_from_journal, j);
}

bool journal_match_is_forgeable(const JournalMatch *m) {
        /* Fields journald derives from the kernel's view of the sender (credentials, cgroup): a local
         * client cannot choose them. _COMM is excluded: a process sets it with prctl(PR_SET_NAME). */
        static const char *const trusted[] = {
                "_SYSTEMD_UNIT", "_SYSTEMD_USER_UNIT", "_SYSTEMD_CGROUP", "_SYSTEMD_SLICE", "_EXE",
                "_UID", "_GID", "_SYSTEMD_INVOCATION_ID",
        };

        /* Transports only journald itself produces: the kernel log (/dev/kmsg, writable by root only), the
         * audit subsystem, journald's own messages. "syslog", "journal" and "stdout" say nothing of who. */
        static const char *const trusted_terms[] = {
                "_TRANSPORT=kernel", "_TRANSPORT=audit", "_TRANSPORT=driver",
        };

        if (m->n_groups == 0)
                return true;
        for (size_t i = 0; i < m->n_groups; i++) {
                const JournalMatchGroup *g = &m->groups[i];
                bool ok = false;

                /* A group is trustworthy when one of its fields is: a trusted field with any value, or
                 * _TRANSPORT when every value it allows (same field = OR) is a trusted one. Terms are
                 * sorted by field. */
                for (size_t k = 0; k < g->n_terms && !ok;) {
                        size_t e = k;
                        bool field_ok = true;

                        while (e < g->n_terms && streq(g->terms[e].field, g->terms[k].field))
                                e++;
                        for (size_t t = k; t < e; t++) {
                                bool term_ok = false;

                                for (size_t x = 0; x < ELEMENTSOF(trusted); x++)
                                        term_ok = term_ok || streq(g->terms[t].field, trusted[x]);
                                for (size_t x = 0; x < ELEMENTSOF(trusted_terms); x++)
                                        term_ok = term_ok || streq(g->terms[t].term, trusted_terms[x]);
                                field_ok = field_ok && term_ok;
                        }
                        ok = field_ok;
                        k = e;
                }
                if (!ok)
                        return true;
        }
        return false;
}
