/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdint.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "time-util.h"

/* The Manager owns everything of a running daemon: the compiled configuration (Ruleset), per-jail
 * runtime state (failure trackers, counters), the journal reader, the nftables backend, the ban table
 * and the bookkeeping timer. Ownership is a tree rooted here; one thread, one sd-event loop. */

typedef struct ManagerOptions {
        const char *config_dir;
        const char *vendor_dir;
        const char *fail2ban_dir; /* read a fail2ban configuration directory instead (--fail2ban-config) */
        const char *state_dir;
        const char *runtime_dir;
        const char *journal_directory;
        char **journal_files; /* NULL-terminated, or NULL */
        const char *nft_table;
        usec_t since_usec; /* first start without a saved position: read from here (0 = the tail) */
} ManagerOptions;

typedef struct Manager Manager;

int manager_new(sd_event *event, const ManagerOptions *options, Manager **ret);
Manager *manager_free(Manager *m);

/* Loads and compiles the configuration, sets up the nft table, opens the journal at its tail, then
 * sends READY=1. Every problem is logged here; returns a negative errno on failure. */
int manager_start_and_log(Manager *m);

/* Atomic reload (SIGHUP): builds the new configuration completely; on any error logs it (FILE:LINE)
 * and keeps the running one. RELOADING=1 … READY=1 around it. */
int manager_reload_and_log(Manager *m);

/* Before exit: STOPPING=1, sends what is queued. Bans stay in the kernel. */
void manager_stop(Manager *m);

uint64_t manager_bans_total(const Manager *m);
