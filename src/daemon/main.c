/* SPDX-License-Identifier: GPL-2.0-or-later */
/* portcullisd: journal entry → filter → failure count → nftables ban. Runs in the foreground under
 * systemd (Type=notify); everything happens in one sd-event loop owned by the Manager. */
#include <getopt.h>
#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "action-manager.h"
#include "build-config.h"
#include "bus.h"
#include "log.h"
#include "manager.h"
#include "varlink.h"

static ManagerOptions arg_options = {
        .config_dir = PKG_CONF_DIR,
        .vendor_dir = PKG_VENDOR_DIR,
        .state_dir = PKG_STATE_DIR,
        .runtime_dir = PKG_RUN_DIR,
        .nft_table = "portcullis",
};
static LogTarget arg_log_target = LOG_TARGET_AUTO;
static int arg_log_level = LOG_INFO;
static const char *arg_control_group = NULL;

static void help(void) {
        printf("portcullisd [OPTIONS...]\n\n"
               "Bans addresses whose failures appear in the journal, with nftables.\n\n"
               "  -h --help                  Show this help\n"
               "     --version               Show the version\n"
               "     --config-dir=DIR        Admin configuration (default %s)\n"
               "     --vendor-dir=DIR        Vendor configuration (default %s)\n"
               "     --fail2ban-config=DIR   Use an existing fail2ban configuration (e.g. /etc/fail2ban)\n"
               "     --state-dir=DIR         State (default %s)\n"
               "     --runtime-dir=DIR       Runtime files and the control socket (default %s)\n"
               "     --control-group=GROUP   Group that may use the control socket read-only (default root)\n"
               "     --journal-directory=DIR Read the journal files in DIR instead of the system journal\n"
               "     --journal-file=FILE     Read FILE (may repeat) instead of the system journal\n"
               "     --nft-table=NAME        Our nftables table in family inet (default portcullis)\n"
               "     --since=TIME            First start (no saved journal position): read from TIME\n"
               "                             ('2024-06-01 12:00', '-1h', '@EPOCH') instead of the tail\n"
               "     --log-target=TARGET     auto, journal or console\n"
               "     --log-level=LEVEL       debug, info, notice, warning, err\n",
               PKG_CONF_DIR, PKG_VENDOR_DIR, PKG_STATE_DIR, PKG_RUN_DIR);
}

static int parse_argv(int argc, char **argv) {
        enum { ARG_VERSION = 0x100, ARG_CONFIG_DIR, ARG_VENDOR_DIR, ARG_STATE_DIR, ARG_RUNTIME_DIR,
               ARG_JOURNAL_DIRECTORY, ARG_JOURNAL_FILE, ARG_NFT_TABLE, ARG_LOG_TARGET, ARG_LOG_LEVEL, ARG_SINCE,
               ARG_FAIL2BAN_CONFIG, ARG_CONTROL_GROUP };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "config-dir", required_argument, NULL, ARG_CONFIG_DIR },
                { "vendor-dir", required_argument, NULL, ARG_VENDOR_DIR },
                { "state-dir", required_argument, NULL, ARG_STATE_DIR },
                { "runtime-dir", required_argument, NULL, ARG_RUNTIME_DIR },
                { "journal-directory", required_argument, NULL, ARG_JOURNAL_DIRECTORY },
                { "journal-file", required_argument, NULL, ARG_JOURNAL_FILE },
                { "nft-table", required_argument, NULL, ARG_NFT_TABLE },
                { "log-target", required_argument, NULL, ARG_LOG_TARGET },
                { "log-level", required_argument, NULL, ARG_LOG_LEVEL },
                { "since", required_argument, NULL, ARG_SINCE },
                { "fail2ban-config", required_argument, NULL, ARG_FAIL2BAN_CONFIG },
                { "control-group", required_argument, NULL, ARG_CONTROL_GROUP },
                {}
        };
        static GPtrArray *files = NULL;
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("portcullisd %s\n", PACKAGE_VERSION);
                        return 0;
                case ARG_CONFIG_DIR: arg_options.config_dir = optarg; break;
                case ARG_VENDOR_DIR: arg_options.vendor_dir = optarg; break;
                case ARG_FAIL2BAN_CONFIG: arg_options.fail2ban_dir = optarg; break;
                case ARG_STATE_DIR: arg_options.state_dir = optarg; break;
                case ARG_RUNTIME_DIR: arg_options.runtime_dir = optarg; break;
                case ARG_JOURNAL_DIRECTORY: arg_options.journal_directory = optarg; break;
                case ARG_JOURNAL_FILE:
                        if (!files)
                                files = g_ptr_array_new();
                        g_ptr_array_add(files, optarg);
                        break;
                case ARG_NFT_TABLE: arg_options.nft_table = optarg; break;
                case ARG_CONTROL_GROUP: arg_control_group = optarg; break;
                case ARG_SINCE:
                        if (parse_timestamp(optarg, now_usec(CLOCK_REALTIME), &arg_options.since_usec) < 0)
                                return log_error_errno(EINVAL, "Invalid --since '%s'.", optarg);
                        break;
                case ARG_LOG_TARGET:
                        arg_log_target = log_target_from_string(optarg);
                        if (arg_log_target < 0)
                                return log_error_errno(EINVAL, "Invalid --log-target '%s'.", optarg);
                        break;
                case ARG_LOG_LEVEL:
                        arg_log_level = log_level_from_string(optarg);
                        if (arg_log_level < 0)
                                return log_error_errno(EINVAL, "Invalid --log-level '%s'.", optarg);
                        break;
                default:
                        return -EINVAL;
                }
        if (optind < argc)
                return log_error_errno(EINVAL, "This program takes no arguments.");
        if (files) {
                g_ptr_array_add(files, NULL);
                arg_options.journal_files = (char **) files->pdata;
        }
        return 1;
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        (void) manager_reload_and_log(userdata);
        return 0;
}

/* SIGTERM/SIGINT: the actions' stop hooks and digests first; the loop exits when they are done. */
static int on_sigterm(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        action_manager_shutdown(userdata);
        return 0;
}

static int run(int argc, char **argv) {
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(varlink_server_freep) VarlinkServer *varlink = NULL;
        Manager *m = NULL;
        ActionManager *am = NULL;
        Bus *bus = NULL;
        sigset_t mask;
        int r;

        log_setup("portcullisd", LOG_TARGET_CONSOLE, LOG_INFO);
        r = parse_argv(argc, argv);
        if (r <= 0)
                return r;
        log_setup(NULL, arg_log_target, arg_log_level);

        /* Signals are handled as event sources: block them first. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        sigprocmask(SIG_BLOCK, &mask, NULL);

        r = sd_event_default(&event);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate event loop: %m");
        (void) sd_event_set_watchdog(event, true); /* WATCHDOG=1 while the loop runs, if WatchdogSec= */

        r = manager_new(event, &arg_options, &m);
        if (r < 0)
                return log_oom();

        r = action_manager_new(event, m, &am);
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGTERM, on_sigterm, am);
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGINT, on_sigterm, am);
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGHUP, on_sighup, m);
        if (r < 0) {
                action_manager_free(am);
                manager_free(m);
                return log_error_errno(r, "Failed to set up signal handling and actions: %m");
        }

        r = varlink_server_new_and_log(m, event, arg_options.runtime_dir, arg_control_group, &varlink);
        if (r >= 0)
                r = bus_new_and_log(event, m, &bus); /* the name is ours before READY=1 */
        if (r >= 0)
                r = manager_start_and_log(m);
        if (r < 0) {
                (void) sd_notifyf(false, "ERRNO=%i", -r);
                action_manager_free(am);
                varlink = varlink_server_free(varlink);
                bus_free(bus);
                manager_free(m);
                return r;
        }

        action_manager_start(am);

        r = sd_event_loop(event);
        manager_stop(m);
        action_manager_free(am);
        varlink = varlink_server_free(varlink);
        bus_free(bus);
        manager_free(m);
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        return 0;
}

int main(int argc, char **argv) {
        return run(argc, argv) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
