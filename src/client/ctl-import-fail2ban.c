/* SPDX-License-Identifier: GPL-2.0-or-later */
/* portcullisctl import-fail2ban DIR [--output=NEWDIR]: reads fail2ban's configuration in DIR as the
 * daemon would with --fail2ban-config, and writes the equivalent portcullis configuration into a new
 * (or empty) directory: portcullis.conf [DEFAULT] with what every imported jail shares, one
 * jails/NAME.conf per enabled jail with the rest, and fail2ban's filters copied unchanged into filters/.
 * What cannot be carried over is reported as FILE:LINE: reason, one per line. */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "ctl.h"
#include "log.h"
#include "macro.h"
#include "ruleset.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(Config *, config_free);

/* A duration as the config parser reads it back: format_duration()'s text if it round-trips, else
 * seconds (or microseconds). */
static char *duration_to_config(usec_t u) {
        char buf[DURATION_STRING_MAX];
        usec_t back;

        if (u == USEC_INFINITY)
                return g_strdup("-1");
        format_duration(buf, sizeof buf, u);
        if (parse_duration(buf, &back) >= 0 && back == u)
                return g_strdup(buf);
        if (u % USEC_PER_SEC == 0)
                return g_strdup_printf("%llu", (unsigned long long) (u / USEC_PER_SEC));
        return g_strdup_printf("%lluus", (unsigned long long) u);
}

static char *ignoreip_to_config(const JailConfig *j) {
        GString *s = g_string_new(NULL);

        for (size_t i = 0; i < j->ignoreip.n; i++) {
                char buf[ADDRESS_STRING_MAX];

                g_string_append_printf(s, "%s%s", i > 0 ? " " : "", address_prefix_to_string(&j->ignoreip.items[i], buf));
        }
        return g_string_free(s, false);
}

static char *ports_to_config(const JailConfig *j) {
        GString *s = g_string_new(NULL);

        for (size_t i = 0; i < j->n_ports; i++) {
                g_string_append_printf(s, "%s%u", i > 0 ? "," : "", j->ports[i].first);
                if (j->ports[i].last != j->ports[i].first)
                        g_string_append_printf(s, ":%u", j->ports[i].last);
        }
        return g_string_free(s, false);
}

/* Our INI dialect interpolates '%': a literal one is written "%%". */
static char *escape_value(const char *s) {
        g_auto(GStrv) parts = g_strsplit(s, "%", -1);

        return g_strjoinv("%%", parts);
}

/* The keys [DEFAULT] can carry; a jail file repeats one only where it differs. */
typedef enum SharedKey {
        SHARED_MAXRETRY,
        SHARED_FINDTIME,
        SHARED_BANTIME,
        SHARED_IGNOREIP,
        SHARED_IGNORESELF,
        SHARED_BLOCKTYPE,
        _SHARED_MAX,
} SharedKey;

static const char *const shared_key_names[_SHARED_MAX] = {
        [SHARED_MAXRETRY] = "maxretry",
        [SHARED_FINDTIME] = "findtime",
        [SHARED_BANTIME] = "bantime",
        [SHARED_IGNOREIP] = "ignoreip",
        [SHARED_IGNORESELF] = "ignoreself",
        [SHARED_BLOCKTYPE] = "blocktype",
};

static char *shared_value(const JailConfig *j, SharedKey k) {
        switch (k) {
        case SHARED_MAXRETRY:
                return g_strdup_printf("%u", j->maxretry);
        case SHARED_FINDTIME:
                return duration_to_config(j->findtime_usec);
        case SHARED_BANTIME:
                return duration_to_config(j->bantime_usec);
        case SHARED_IGNOREIP:
                return ignoreip_to_config(j);
        case SHARED_IGNORESELF:
                return g_strdup(j->ignoreself ? "true" : "false");
        case SHARED_BLOCKTYPE:
                return g_strdup(block_type_to_string(j->blocktype));
        default:
                g_assert_not_reached();
        }
}

static int write_file(const char *path, const char *text) {
        g_autoptr(GError) error = NULL;

        if (!g_file_set_contents(path, text, -1, &error))
                return log_error_errno(-EIO, "Failed to write %s: %s", path, error->message);
        return 0;
}

/* Copies the regular *.conf and *.local files of SRC into DST unchanged. Returns the count. */
static int copy_filters(const char *src, const char *dst) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GDir) d = g_dir_open(src, 0, &error);
        const char *de;
        int n = 0, r;

        if (!d) {
                log_warning("Cannot open %s (%s): no filters copied.", src, error->message);
                return 0;
        }
        while ((de = g_dir_read_name(d))) {
                g_autofree char *from = g_build_filename(src, de, NULL), *to = g_build_filename(dst, de, NULL);
                g_autofree char *text = NULL;
                gsize len;

                if (!(g_str_has_suffix(de, ".conf") || g_str_has_suffix(de, ".local")) ||
                    !g_file_test(from, G_FILE_TEST_IS_REGULAR))
                        continue;
                if (!g_file_get_contents(from, &text, &len, &error))
                        return log_error_errno(-EIO, "Failed to read %s: %s", from, error->message);
                if (!g_file_set_contents(to, text, (gssize) len, &error))
                        return log_error_errno(-EIO, "Failed to write %s: %s", to, error->message);
                n++;
        }
        r = n;
        return r;
}

/* Refuses an existing non-empty directory; creates it otherwise. */
static int prepare_output(const char *out) {
        g_autoptr(GDir) d = NULL;
        struct stat st;

        if (stat(out, &st) >= 0) {
                if (!S_ISDIR(st.st_mode))
                        return log_error_errno(-ENOTDIR, "%s exists and is not a directory, refusing.", out);
                d = g_dir_open(out, 0, NULL);
                if (d && g_dir_read_name(d))
                        return log_error_errno(-EEXIST, "%s is not empty, refusing to write into it: give a new "
                                               "directory with --output=DIR.", out);
        }
        for (const char *sub = ""; sub; sub = streq(sub, "") ? "jails" : streq(sub, "jails") ? "filters" : NULL) {
                g_autofree char *p = g_build_filename(out, sub, NULL);

                if (g_mkdir_with_parents(p, 0755) < 0)
                        return log_error_errno(-errno, "Failed to create %s: %m", p);
        }
        return 0;
}

static bool jail_journalmatch_is_own(const JailConfig *j) {
        const FilterDef *f = j->filter;

        if (isempty(j->journalmatch))
                return false;
        return !(f && f->journalmatch && streq(f->journalmatch, j->journalmatch) &&
                 streq_ptr(f->journalmatch_file, j->journalmatch_file) && f->journalmatch_line == j->journalmatch_line);
}

int verb_import_fail2ban(int n_args, char **args, const CtlOptions *o) {
        _cleanup_(config_freep) Config *c = NULL;
        g_autofree char *error = NULL, *filter_src = NULL, *filter_dst = NULL;
        g_autoptr(GString) defaults = g_string_new(NULL);
        const char *out = o->output_dir ? o->output_dir : o->config_dir;
        char *shared[_SHARED_MAX] = {};
        size_t n_enabled = 0, n_disabled = 0;
        int r, n_filters;

        if (n_args != 2) {
                log_error("Usage: portcullisctl import-fail2ban FAIL2BAN-DIR [--output=NEWDIR]");
                return CTL_EXIT_USAGE;
        }

        r = config_load_fail2ban_full(args[1], CONFIG_FAIL2BAN_SKIP_BROKEN_JAILS, &c, &error);
        if (r < 0) {
                fprintf(stderr, "%s\n", error ? error : strerror(-r));
                fprintf(stderr, "Cannot import %s.\n", args[1]);
                return CTL_EXIT_FAILURE;
        }

        r = prepare_output(out);
        if (r < 0)
                return CTL_EXIT_FAILURE;

        /* 1. Filters, unchanged: fail2ban's dialect is ours. */
        filter_src = g_build_filename(args[1], "filter.d", NULL);
        filter_dst = g_build_filename(out, "filters", NULL);
        n_filters = copy_filters(filter_src, filter_dst);
        if (n_filters < 0)
                return CTL_EXIT_FAILURE;

        /* 2. [DEFAULT]: the values every enabled jail shares. */
        for (size_t i = 0; i < c->n_jails; i++) {
                const JailConfig *j = c->jails[i];

                if (!j->enabled) {
                        n_disabled++;
                        continue;
                }
                for (SharedKey k = 0; k < _SHARED_MAX; k++) {
                        g_autofree char *v = shared_value(j, k);

                        if (n_enabled == 0)
                                shared[k] = TAKE_PTR(v);
                        else if (shared[k] && !streq(shared[k], v))
                                shared[k] = mfree(shared[k]);
                }
                n_enabled++;
        }
        g_string_append_printf(defaults,
                               "# Imported from the fail2ban configuration in %s by portcullisctl import-fail2ban.\n"
                               "# [DEFAULT] holds what every imported jail shares; jails/ has one file per jail.\n\n"
                               "[DEFAULT]\n", args[1]);
        for (SharedKey k = 0; k < _SHARED_MAX; k++)
                if (!isempty(shared[k])) {
                        g_autofree char *e = escape_value(shared[k]);

                        g_string_append_printf(defaults, "%s = %s\n", shared_key_names[k], e);
                }
        g_autofree char *conf_path = g_build_filename(out, "portcullis.conf", NULL);
        r = write_file(conf_path, defaults->str);

        /* 3. One file per enabled jail. */
        for (size_t i = 0; r >= 0 && i < c->n_jails; i++) {
                const JailConfig *j = c->jails[i];
                g_autoptr(GString) s = g_string_new(NULL);
                g_autofree char *fname = NULL, *path = NULL, *spec = NULL;

                if (!j->enabled)
                        continue;

                spec = escape_value(j->filter_spec);
                g_string_append_printf(s, "# Imported from fail2ban jail '%s' (%s:%u).\n\n[%s]\nenabled = true\nfilter = %s\n",
                                       j->name, j->file, j->line, j->name, spec);
                for (SharedKey k = 0; k < _SHARED_MAX; k++) {
                        g_autofree char *v = shared_value(j, k), *e = NULL;

                        if (shared[k] || isempty(v))
                                continue;
                        e = escape_value(v);
                        g_string_append_printf(s, "%s = %s\n", shared_key_names[k], e);
                }
                g_string_append_printf(s, "protocol = %s\n", protocol_to_string(j->protocol));
                if (j->n_ports > 0 && j->protocol != PROTOCOL_ALL) {
                        g_autofree char *ports = ports_to_config(j);

                        g_string_append_printf(s, "port = %s\n", ports);
                }
                if (jail_journalmatch_is_own(j)) {
                        g_autofree char *e = escape_value(j->journalmatch);

                        g_string_append_printf(s, "journalmatch = %s\n", e);
                }

                fname = g_strconcat(j->name, ".conf", NULL);
                path = g_build_filename(out, "jails", fname, NULL);
                r = write_file(path, s->str);
        }
        for (SharedKey k = 0; k < _SHARED_MAX; k++)
                free(shared[k]);
        if (r < 0)
                return CTL_EXIT_FAILURE;

        /* 4. What did not make it, line by line. */
        for (size_t i = 0; i < c->n_warnings; i++)
                printf("%s\n", c->warnings[i]);
        printf("%sImported %zu enabled jail%s and %d filter file%s from %s into %s; %zu disabled jail%s not written, "
               "%zu note%s above.\n",
               c->n_warnings > 0 ? "\n" : "", n_enabled, n_enabled == 1 ? "" : "s", n_filters,
               n_filters == 1 ? "" : "s", args[1], out, n_disabled, n_disabled == 1 ? "" : "s", c->n_warnings,
               c->n_warnings == 1 ? "" : "s");

        /* 5. Compile what was written, as the daemon will: filters fail2ban accepts may still be
         * refused here (see docs), and the administrator should know now. */
        Ruleset *rs = NULL;
        g_autofree char *compile_error = NULL;
        ConfigPaths paths = { .config_dir = out };
        r = ruleset_load(&paths, &rs, &compile_error);
        if (r < 0) {
                fprintf(stderr, "%s\n", compile_error ? compile_error : strerror(-r));
                fprintf(stderr, "The imported configuration in %s does not load yet: fix the errors above, then run "
                        "portcullisctl check-config --config-dir=%s\n", out, out);
                return CTL_EXIT_FAILURE;
        }
        ruleset_free(rs);
        printf("The imported configuration loads; check it with: portcullisctl check-config --config-dir=%s\n", out);
        return CTL_EXIT_OK;
}
