/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <glib.h>

#include "filter-lint.h"
#include "macro.h"
#include "ruleset.h"

Ruleset *ruleset_free(Ruleset *r) {
        if (!r)
                return NULL;
        for (size_t i = 0; i < r->n_jails; i++) {
                filter_free(r->jails[i].filter);
                journal_match_free(r->jails[i].match);
        }
        free(r->jails);
        g_strfreev(r->warnings);
        config_free(r->config);
        free(r);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(Ruleset *, ruleset_free);

const JailRules *ruleset_find(const Ruleset *r, const char *jail) {
        for (size_t i = 0; i < r->n_jails; i++)
                if (streq(r->jails[i].config->name, jail))
                        return &r->jails[i];
        return NULL;
}

static int compile_jail(const JailConfig *c, JailRules *ret, GString *errors, GPtrArray *warnings) {
        g_autofree char *error = NULL;
        g_auto(GStrv) lint_warnings = NULL;
        JailRules j = { .config = c };
        int r;

        r = filter_lint(c->filter, &lint_warnings, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                g_string_append_printf(errors, "%s (jail '%s')\n", error, c->name);
                return 0;
        }
        for (char **w = lint_warnings; w && *w; w++)
                g_ptr_array_add(warnings, g_strdup_printf("%s (jail '%s')", *w, c->name));
        g_clear_pointer(&error, g_free);

        r = filter_new(c->filter, &j.filter, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                g_string_append_printf(errors, "%s (jail '%s')\n", error ? error : "invalid filter", c->name);
                return 0;
        }

        g_clear_pointer(&error, g_free);
        r = journal_match_parse(c->journalmatch, &j.match, &error);
        if (r == -ENOMEM) {
                filter_free(j.filter);
                return r;
        }
        if (r < 0) {
                g_string_append_printf(errors, "%s:%u: %s (jail '%s')\n",
                                       c->journalmatch_file ? c->journalmatch_file : c->file,
                                       c->journalmatch_file ? c->journalmatch_line : c->line, error, c->name);
                filter_free(j.filter);
                return 0;
        }

        if (j.match->n_groups == 0)
                g_ptr_array_add(warnings,
                                g_strdup_printf("%s:%u: jail '%s' has no journalmatch: its filter sees every "
                                                "journal entry (slow, and anything may write entries)",
                                                c->file, c->line, c->name));
        else if (journal_match_is_forgeable(j.match))
                g_ptr_array_add(warnings,
                                g_strdup_printf("%s:%u: jail '%s' matches the journal only on fields a local "
                                                "process can choose itself ('%s'); add _SYSTEMD_UNIT= or _EXE=",
                                                c->journalmatch_file ? c->journalmatch_file : c->file,
                                                c->journalmatch_file ? c->journalmatch_line : c->line,
                                                c->name, j.match->text));
        *ret = j;
        return 1;
}

int ruleset_load(const ConfigPaths *paths, Ruleset **ret, char **ret_error) {
        _cleanup_(ruleset_freep) Ruleset *rs = NULL;
        g_autoptr(GString) errors = g_string_new(NULL);
        g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
        int r;

        rs = calloc(1, sizeof(Ruleset));
        if (!rs)
                return -ENOMEM;

        if (paths->fail2ban_dir)
                r = config_load_fail2ban(paths->fail2ban_dir, &rs->config, ret_error);
        else
                r = config_load(paths, &rs->config, ret_error);
        if (r < 0)
                return r;
        for (size_t i = 0; i < rs->config->n_warnings; i++)
                g_ptr_array_add(warnings, g_strdup(rs->config->warnings[i]));

        rs->jails = calloc(MAX(rs->config->n_jails, (size_t) 1), sizeof(JailRules));
        if (!rs->jails)
                return -ENOMEM;
        for (size_t i = 0; i < rs->config->n_jails; i++) {
                const JailConfig *c = rs->config->jails[i];

                if (!c->enabled)
                        continue;
                r = compile_jail(c, &rs->jails[rs->n_jails], errors, warnings);
                if (r < 0)
                        return r;
                if (r > 0)
                        rs->n_jails++;
        }
        if (errors->len > 0) {
                g_string_truncate(errors, errors->len - 1); /* the last newline */
                if (ret_error)
                        *ret_error = g_string_free(g_steal_pointer(&errors), false);
                return -EINVAL;
        }

        g_ptr_array_add(warnings, NULL);
        rs->warnings = (char **) g_ptr_array_free(g_steal_pointer(&warnings), false);
        *ret = TAKE_PTR(rs);
        return 0;
}
