/* SPDX-License-Identifier: GPL-2.0-or-later */
/* portcullisctl check-config: load and compile the whole configuration offline, exactly as the daemon
 * would, report every error with FILE:LINE, and print the effective jails. */
#include <glib.h>
#include <jansson.h>
#include <stdio.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"
#include "ruleset.h"

static char *ports_to_string(const JailConfig *c) {
        GString *s = g_string_new(NULL);

        if (c->n_ports == 0)
                g_string_append(s, "all");
        for (size_t i = 0; i < c->n_ports; i++) {
                if (i > 0)
                        g_string_append_c(s, ',');
                if (c->ports[i].first == c->ports[i].last)
                        g_string_append_printf(s, "%u", c->ports[i].first);
                else
                        g_string_append_printf(s, "%u-%u", c->ports[i].first, c->ports[i].last);
        }
        return g_string_free(s, false);
}

static char *ignore_to_string(const JailConfig *c) {
        GString *s = g_string_new(NULL);

        for (size_t i = 0; i < c->ignoreip.n; i++) {
                char buf[ADDRESS_STRING_MAX];

                g_string_append_printf(s, "%s%s", i > 0 ? " " : "", address_prefix_to_string(&c->ignoreip.items[i], buf));
        }
        if (c->ignoreself)
                g_string_append_printf(s, "%sself", s->len > 0 ? " " : "");
        return g_string_free(s, false);
}

static json_t *jail_to_json(const JailRules *j) {
        const JailConfig *c = j->config;
        g_autofree char *ports = ports_to_string(c), *ignore = ignore_to_string(c);

        return json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I}",
                         "name", c->name,
                         "filter", c->filter_spec,
                         "filter_file", c->filter->file,
                         "maxretry", (json_int_t) c->maxretry,
                         "findtime_usec", (json_int_t) c->findtime_usec,
                         "bantime_usec", c->bantime_usec == USEC_INFINITY ? (json_int_t) -1 : (json_int_t) c->bantime_usec,
                         "ports", ports,
                         "protocol", protocol_to_string(c->protocol),
                         "blocktype", block_type_to_string(c->blocktype),
                         "journalmatch", j->match->text,
                         "ignore", ignore,
                         "failregex_count", (json_int_t) c->filter->n_failregex,
                         "maxlines", (json_int_t) c->maxlines,
                         "maxmatches", (json_int_t) c->maxmatches);
}

int verb_check_config(int n_args, char **args, const CtlOptions *o) {
        Ruleset *rs = NULL;
        g_autofree char *error = NULL;
        int r;

        if (n_args != 1) {
                log_error("Usage: portcullisctl check-config [--config-dir=DIR] [--vendor-dir=DIR] "
                          "[--fail2ban-config=DIR] [--json]");
                return CTL_EXIT_USAGE;
        }

        ConfigPaths paths = ctl_config_paths(o);
        r = ruleset_load(&paths, &rs, &error);
        if (r < 0) {
                /* every error on its own line, FILE:LINE first, as compilers print them */
                fprintf(stderr, "%s\n", error ? error : strerror(-r));
                fprintf(stderr, "Configuration in %s is invalid.\n", o->fail2ban_dir ? o->fail2ban_dir : o->config_dir);
                return CTL_EXIT_FAILURE;
        }
        for (char **w = rs->warnings; w && *w; w++)
                fprintf(stderr, "warning: %s\n", *w);
        if (!o->fail2ban_dir && access(o->config_dir, F_OK) < 0 && (!o->vendor_dir || access(o->vendor_dir, F_OK) < 0))
                fprintf(stderr, "warning: neither %s nor %s exists: no configuration at all\n", o->config_dir,
                        o->vendor_dir ? o->vendor_dir : "a vendor directory");

        if (o->json) {
                json_t *jails = json_array();

                for (size_t i = 0; i < rs->n_jails; i++)
                        json_array_append_new(jails, jail_to_json(&rs->jails[i]));
                json_t *doc = json_pack("{s:b, s:o}", "valid", true, "jails", jails);
                json_dumpf(doc, stdout, JSON_INDENT(2));
                fputc('\n', stdout);
                json_decref(doc);
        } else {
                if (!o->no_legend)
                        printf("%-16s %-24s %8s %10s %10s %-6s %-6s %-16s %s\n", "JAIL", "FILTER", "MAXRETRY",
                               "FINDTIME", "BANTIME", "PROTO", "BLOCK", "PORTS", "JOURNALMATCH");
                for (size_t i = 0; i < rs->n_jails; i++) {
                        const JailConfig *jc = rs->jails[i].config;
                        char ft[DURATION_STRING_MAX], bt[DURATION_STRING_MAX];
                        g_autofree char *ports = ports_to_string(jc);

                        printf("%-16s %-24s %8u %10s %10s %-6s %-6s %-16s %s\n", jc->name, jc->filter_spec,
                               jc->maxretry, format_duration(ft, sizeof ft, jc->findtime_usec),
                               format_duration(bt, sizeof bt, jc->bantime_usec), protocol_to_string(jc->protocol),
                               block_type_to_string(jc->blocktype), ports, rs->jails[i].match->text);
                }
                if (!o->no_legend)
                        printf("\n%zu of %zu jail%s enabled. Configuration is valid.\n", rs->n_jails,
                               rs->config->n_jails, rs->config->n_jails == 1 ? "" : "s");
        }
        ruleset_free(rs);
        return CTL_EXIT_OK;
}
