/* SPDX-License-Identifier: GPL-2.0-or-later */
/* portcullisctl: the command-line client. The offline verbs (check-config, test-filter, import-fail2ban)
 * work without a running daemon; the others talk to portcullisd (ctl-verbs.c, over ctl_connect()). */
#include <getopt.h>
#include <glib.h>
#include <stdio.h>

#include "build-config.h"
#include "ctl.h"
#include "log.h"
#include "varlink.h"

static void help(void) {
        printf("portcullisctl [OPTIONS...] COMMAND ...\n\n"
               "Commands (talk to the running portcullisd over the system bus):\n"
               "  status [JAIL...]             Daemon status and its jails, or the given jails\n"
               "  list-jails                   List the jails\n"
               "  list-bans [JAIL]             List the active bans (of one jail)\n"
               "  show [JAIL...]               All properties of the daemon or of the jails\n"
               "  ban JAIL ADDRESS [--time=T]  Ban ADDRESS in JAIL (default: the jail's bantime)\n"
               "  unban ADDRESS [--jail=JAIL]  Lift the bans of ADDRESS (in every jail, or in JAIL)\n"
               "  unban --all [JAIL]           Lift every ban (of JAIL)\n"
               "  reload                       Reload the configuration; waits until it is done\n"
               "  start JAIL | stop JAIL       Start or stop a jail until the next restart\n"
               "  set-bantime JAIL TIME        Change a jail's bantime until the next reload\n"
               "  monitor                      Print ban, unban and reload events as they happen\n\n"
               "Offline commands (no daemon needed):\n"
               "  check-config                 Validate the configuration, print the effective jails\n"
               "      [--fail2ban-config=DIR]  ... of an existing fail2ban directory (/etc/fail2ban)\n"
               "  import-fail2ban DIR --output=NEWDIR\n"
               "                               Write a portcullis configuration equivalent to fail2ban's\n"
               "                               DIR; report what cannot be carried over\n"
               "  test-filter FILTER[k=v,...]  Run a filter over journal entries (like fail2ban-regex)\n"
               "      (--journal-file=FILE... | --journal-directory=DIR) [--match=FIELD=VALUE...]\n"
               "      [--since=TIME] [--until=TIME] [--print-all-matched|--print-all-missed|\n"
               "      --print-all-ignored]   or, for one line:\n"
               "      --message=TEXT [--identifier=IDENT] [--hostname=HOST] [--pid=PID]\n"
               "      (exit status 1 when the message does not match)\n"
               "  test-action JAIL ACTION ADDRESS [--message=MATCHED-LINE]\n"
               "                               Run the ban hook of one action of JAIL once\n\n"
               "Options:\n"
               "  -h --help               Show this help\n"
               "     --version            Show the version\n"
               "     --config-dir=DIR     Admin configuration (default %s)\n"
               "     --vendor-dir=DIR     Vendor configuration (default %s)\n"
               "     --filter-dir=DIR     Look for filters here first\n"
               "     --fail2ban-config=DIR  Read fail2ban's configuration in DIR instead\n"
               "     --output=DIR         import-fail2ban: the new directory to write\n"
               "     --json               One JSON document (one per line for test-filter, monitor)\n"
               "     --no-pager           Do not pipe the output into a pager\n"
               "     --no-ask-password    Do not ask for a password (polkit) on a terminal\n"
               "     --varlink            Use the control socket instead of the system bus (also the\n"
               "                          fallback when no system bus is reachable)\n"
               "     --control-socket=PATH  The control socket (default %s/%s)\n"
               "     --time=DURATION      ban: how long (90s, 10m, 1h, 2d, permanent)\n"
               "     --jail=JAIL          unban: only in JAIL\n"
               "     --all                unban: every ban\n"
               "     --no-legend          No header and footer lines in tables\n"
               "     --quiet              test-filter: print the counts only, not every match\n",
               PKG_CONF_DIR, PKG_VENDOR_DIR, PKG_RUN_DIR, VARLINK_SOCKET_NAME);
}

ConfigPaths ctl_config_paths(const CtlOptions *o) {
        return (ConfigPaths) {
                .config_dir = o->config_dir,
                .vendor_dir = o->vendor_dir,
                .filter_dir = o->filter_dir,
                .fail2ban_dir = o->fail2ban_dir,
        };
}

static const struct {
        const char *name;
        int (*run)(int n_args, char **args, const CtlOptions *o);
} verbs[] = {
        { "check-config", verb_check_config },
        { "import-fail2ban", verb_import_fail2ban },
        { "test-action", verb_test_action },
        { "test-filter", verb_test_filter },
        { "status", verb_status },
        { "list-jails", verb_list_jails },
        { "list-bans", verb_list_bans },
        { "show", verb_show },
        { "ban", verb_ban },
        { "unban", verb_unban },
        { "reload", verb_reload },
        { "start", verb_start_stop },
        { "stop", verb_start_stop },
        { "set-bantime", verb_set_bantime },
        { "monitor", verb_monitor },
};

int main(int argc, char **argv) {
        enum { ARG_VERSION = 0x100, ARG_CONFIG_DIR, ARG_VENDOR_DIR, ARG_FILTER_DIR, ARG_JSON, ARG_NO_LEGEND,
               ARG_QUIET, ARG_JOURNAL_FILE, ARG_JOURNAL_DIRECTORY, ARG_MATCH, ARG_SINCE, ARG_UNTIL,
               ARG_PRINT_MATCHED, ARG_PRINT_MISSED, ARG_PRINT_IGNORED, ARG_MESSAGE, ARG_IDENTIFIER,
               ARG_HOSTNAME, ARG_PID, ARG_FAIL2BAN_CONFIG, ARG_OUTPUT, ARG_NO_PAGER, ARG_NO_ASK_PASSWORD, ARG_TIME,
               ARG_JAIL, ARG_ALL, ARG_VARLINK, ARG_CONTROL_SOCKET };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "config-dir", required_argument, NULL, ARG_CONFIG_DIR },
                { "vendor-dir", required_argument, NULL, ARG_VENDOR_DIR },
                { "filter-dir", required_argument, NULL, ARG_FILTER_DIR },
                { "json", no_argument, NULL, ARG_JSON },
                { "no-legend", no_argument, NULL, ARG_NO_LEGEND },
                { "quiet", no_argument, NULL, ARG_QUIET },
                { "journal-file", required_argument, NULL, ARG_JOURNAL_FILE },
                { "journal-directory", required_argument, NULL, ARG_JOURNAL_DIRECTORY },
                { "match", required_argument, NULL, ARG_MATCH },
                { "since", required_argument, NULL, ARG_SINCE },
                { "until", required_argument, NULL, ARG_UNTIL },
                { "print-all-matched", no_argument, NULL, ARG_PRINT_MATCHED },
                { "print-all-missed", no_argument, NULL, ARG_PRINT_MISSED },
                { "print-all-ignored", no_argument, NULL, ARG_PRINT_IGNORED },
                { "message", required_argument, NULL, ARG_MESSAGE },
                { "identifier", required_argument, NULL, ARG_IDENTIFIER },
                { "hostname", required_argument, NULL, ARG_HOSTNAME },
                { "pid", required_argument, NULL, ARG_PID },
                { "fail2ban-config", required_argument, NULL, ARG_FAIL2BAN_CONFIG },
                { "output", required_argument, NULL, ARG_OUTPUT },
                { "no-pager", no_argument, NULL, ARG_NO_PAGER },
                { "no-ask-password", no_argument, NULL, ARG_NO_ASK_PASSWORD },
                { "time", required_argument, NULL, ARG_TIME },
                { "jail", required_argument, NULL, ARG_JAIL },
                { "all", no_argument, NULL, ARG_ALL },
                { "varlink", no_argument, NULL, ARG_VARLINK },
                { "control-socket", required_argument, NULL, ARG_CONTROL_SOCKET },
                {}
        };
        g_autoptr(GPtrArray) files = g_ptr_array_new();
        g_autoptr(GString) match = g_string_new(NULL);
        CtlOptions o = {
                .config_dir = PKG_CONF_DIR,
                .vendor_dir = PKG_VENDOR_DIR,
        };
        int c;

        log_setup("portcullisctl", LOG_TARGET_CONSOLE, LOG_WARNING);

        /* GNU getopt permutes: options may follow the verb; what remains in argv[optind..] is positional */
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return CTL_EXIT_OK;
                case ARG_VERSION:
                        printf("portcullisctl %s\n", PACKAGE_VERSION);
                        return CTL_EXIT_OK;
                case ARG_CONFIG_DIR: o.config_dir = optarg; break;
                case ARG_VENDOR_DIR: o.vendor_dir = optarg; break;
                case ARG_FILTER_DIR: o.filter_dir = optarg; break;
                case ARG_JSON: o.json = true; break;
                case ARG_NO_LEGEND: o.no_legend = true; break;
                case ARG_QUIET: o.quiet = true; break;
                case ARG_JOURNAL_FILE: g_ptr_array_add(files, optarg); break;
                case ARG_JOURNAL_DIRECTORY: o.journal_directory = optarg; break;
                case ARG_MATCH: g_string_append_printf(match, "%s%s", match->len > 0 ? " " : "", optarg); break;
                case ARG_SINCE:
                case ARG_UNTIL:
                        if (parse_timestamp(optarg, now_usec(CLOCK_REALTIME),
                                            c == ARG_SINCE ? &o.since_usec : &o.until_usec) < 0) {
                                log_error("Invalid time '%s' for --%s: use 'YYYY-MM-DD [HH:MM[:SS]]', '@EPOCH', "
                                          "'now' or '-1h'.", optarg, c == ARG_SINCE ? "since" : "until");
                                return CTL_EXIT_USAGE;
                        }
                        break;
                case ARG_PRINT_MATCHED: o.print_matched = true; break;
                case ARG_PRINT_MISSED: o.print_missed = true; break;
                case ARG_PRINT_IGNORED: o.print_ignored = true; break;
                case ARG_MESSAGE: o.message = optarg; break;
                case ARG_IDENTIFIER: o.identifier = optarg; break;
                case ARG_HOSTNAME: o.hostname = optarg; break;
                case ARG_PID: o.pid = optarg; break;
                case ARG_FAIL2BAN_CONFIG: o.fail2ban_dir = optarg; break;
                case ARG_OUTPUT: o.output_dir = optarg; break;
                case ARG_NO_PAGER: o.no_pager = true; break;
                case ARG_NO_ASK_PASSWORD: o.no_ask_password = true; break;
                case ARG_TIME:
                        if (ctl_parse_duration(optarg, &o.time_usec) < 0)
                                return CTL_EXIT_USAGE;
                        break;
                case ARG_JAIL: o.jail = optarg; break;
                case ARG_ALL: o.all = true; break;
                case ARG_VARLINK: o.varlink = true; break;
                case ARG_CONTROL_SOCKET:
                        o.varlink = true;
                        o.control_socket = optarg;
                        break;
                default:
                        return CTL_EXIT_USAGE;
                }
        if (optind >= argc) {
                help();
                return CTL_EXIT_USAGE;
        }
        if (files->len > 0) {
                g_ptr_array_add(files, NULL);
                o.journal_files = (char **) files->pdata;
        }
        o.match = match->len > 0 ? match->str : NULL;

        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(argv[optind], verbs[i].name))
                        return verbs[i].run(argc - optind, argv + optind, &o);
        log_error("Unknown command '%s'. See 'portcullisctl --help'.", argv[optind]);
        return CTL_EXIT_USAGE;
}
