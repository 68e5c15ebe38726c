/* SPDX-License-Identifier: GPL-2.0-or-later */
/* portcullisctl: the command-line client. The offline verbs (check-config, test-filter) work without
 * a running daemon; the D-Bus verbs come with the control-plane issue. */
#include <getopt.h>
#include <stdio.h>

#include "build-config.h"
#include "ctl.h"
#include "log.h"

static void help(void) {
        printf("portcullisctl [OPTIONS...] COMMAND ...\n\n"
               "Offline commands (no daemon needed):\n"
               "  check-config                 Validate the configuration, print the effective jails\n"
               "  test-filter FILTER[k=v,...]  Run a filter over journal entries (like fail2ban-regex)\n"
               "      (--journal-file=FILE... | --journal-directory=DIR) [--match=FIELD=VALUE...]\n\n"
               "Options:\n"
               "  -h --help               Show this help\n"
               "     --version            Show the version\n"
               "     --config-dir=DIR     Admin configuration (default %s)\n"
               "     --vendor-dir=DIR     Vendor configuration (default %s)\n"
               "     --filter-dir=DIR     Look for filters here first\n"
               "     --json               One JSON document (or one per line for test-filter)\n"
               "     --no-legend          No header and footer lines in tables\n",
               PKG_CONF_DIR, PKG_VENDOR_DIR);
}

ConfigPaths ctl_config_paths(const CtlOptions *o) {
        return (ConfigPaths) {
                .config_dir = o->config_dir,
                .vendor_dir = o->vendor_dir,
                .filter_dir = o->filter_dir,
        };
}

static const struct {
        const char *name;
        int (*run)(int argc, char **argv, CtlOptions *o);
} verbs[] = {
        { "check-config", verb_check_config },
        { "test-filter", verb_test_filter },
};

int main(int argc, char **argv) {
        enum { ARG_VERSION = 0x100, ARG_CONFIG_DIR, ARG_VENDOR_DIR, ARG_FILTER_DIR, ARG_JSON, ARG_NO_LEGEND };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "config-dir", required_argument, NULL, ARG_CONFIG_DIR },
                { "vendor-dir", required_argument, NULL, ARG_VENDOR_DIR },
                { "filter-dir", required_argument, NULL, ARG_FILTER_DIR },
                { "json", no_argument, NULL, ARG_JSON },
                { "no-legend", no_argument, NULL, ARG_NO_LEGEND },
                {}
        };
        CtlOptions o = {
                .config_dir = PKG_CONF_DIR,
                .vendor_dir = PKG_VENDOR_DIR,
        };
        int c;

        log_setup("portcullisctl", LOG_TARGET_CONSOLE, LOG_WARNING);

        /* Global options come before the verb; the verb parses the rest (which may repeat them). */
        while ((c = getopt_long(argc, argv, "+h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return CTL_EXIT_OK;
                case ARG_VERSION:
                        printf("portcullisctl %s\n", PACKAGE_VERSION);
                        return CTL_EXIT_OK;
                case ARG_CONFIG_DIR:
                        o.config_dir = optarg;
                        break;
                case ARG_VENDOR_DIR:
                        o.vendor_dir = optarg;
                        break;
                case ARG_FILTER_DIR:
                        o.filter_dir = optarg;
                        break;
                case ARG_JSON:
                        o.json = true;
                        break;
                case ARG_NO_LEGEND:
                        o.no_legend = true;
                        break;
                default:
                        return CTL_EXIT_USAGE;
                }

        if (optind >= argc) {
                help();
                return CTL_EXIT_USAGE;
        }
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(argv[optind], verbs[i].name)) {
                        int verb_argc = argc - optind;
                        char **verb_argv = argv + optind;

                        optind = 0; /* reset getopt for the verb */
                        return verbs[i].run(verb_argc, verb_argv, &o);
                }
        log_error("Unknown command '%s'. See 'portcullisctl --help'.", argv[optind]);
        return CTL_EXIT_USAGE;
}
