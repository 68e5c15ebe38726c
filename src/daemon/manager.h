/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "addr.h"
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

/* ---- Control API (manager-control.c), for the D-Bus and control-socket front ends ------------------
 *
 * Everything a front end needs, with input validated here so that every front end refuses the same
 * things with the same errors. Errors (negative errno) and their meaning for the caller:
 *   -ENOENT        no such jail (or the jail is not enabled)
 *   -EINVAL        not an IP address / prefix ("1.2.3.4", "2001:db8::1", "10.0.0.0/24")
 *   -EADDRNOTAVAIL an address that must never be banned (loopback, unspecified, link-local …)
 *   -ERANGE        a duration that is zero, negative or longer than 100 years (USEC_INFINITY = permanent)
 *   -ENXIO         (unban) the address is not banned in that jail / in any jail
 *   -EOPNOTSUPP    (ban) a prefix for a jail without prefix sets (neither banprefix6 nor aggregate set)
 *   -EBUSY         the daemon is not running (starting or stopping)
 *   -ENOMEM
 * Strings in the info structs are borrowed: valid until the next call into the Manager returns to the
 * event loop (copy them at once). The daemon is single-threaded; none of this may be called from
 * another thread. */

/* The longest ban time or bantime accepted (100 years; the kernel refuses element timeouts much beyond
 * this); USEC_INFINITY means permanent. */
#define MANAGER_DURATION_MAX_USEC ((usec_t) 100 * 365 * 24 * 3600 * USEC_PER_SEC)

typedef enum ManagerRunState {
        MANAGER_STARTING,
        MANAGER_RUNNING,
        MANAGER_RELOADING,
        MANAGER_STOPPING,
        _MANAGER_RUN_STATE_MAX,
        _MANAGER_RUN_STATE_INVALID = -22,
} ManagerRunState;

/* "starting", "running", "reloading", "stopping" */
const char *manager_run_state_to_string(ManagerRunState s);

typedef struct ManagerStatus {
        const char *version;
        ManagerRunState state;
        usec_t started_at_usec;     /* CLOCK_REALTIME of manager_start_and_log(), 0 before */
        size_t n_jails;             /* enabled jails */
        uint64_t currently_banned;  /* active bans, all jails */
        uint64_t total_banned;      /* bans since start (restored ones not counted) */
        uint64_t entries_processed; /* journal entries read since start */
        uint64_t failures_seen;     /* failures counted since start */
} ManagerStatus;

void manager_get_status(Manager *m, ManagerStatus *ret);
/* The journal position after the last processed entry (owned), or NULL with 0 when none yet. */
int manager_get_cursor(Manager *m, char **ret);

typedef struct ManagerJailInfo {
        const char *name;
        bool running;               /* false after manager_set_jail_running(…, false) */
        const char *filter;         /* as configured, e.g. "sshd[mode=aggressive]" */
        const char *journalmatch;   /* journalctl syntax */
        unsigned maxretry;
        usec_t findtime_usec;
        usec_t bantime_usec;        /* USEC_INFINITY: permanent */
        const PortRange *ports;     /* n_ports == 0: every port */
        size_t n_ports;
        const char *protocol;       /* "tcp", "udp", "all" */
        const char *blocktype;      /* "drop", "reject" */
        uint64_t currently_failed;  /* addresses with failures inside findtime (tracked) */
        uint64_t total_failed;      /* failures since start */
        uint64_t currently_banned;
        uint64_t total_banned;      /* bans since start */
} ManagerJailInfo;

size_t manager_n_jails(const Manager *m);
/* By index (0 … manager_n_jails()-1, in name order) or by name; -ENOENT when there is none. */
int manager_get_jail_by_index(Manager *m, size_t i, ManagerJailInfo *ret);
int manager_get_jail(Manager *m, const char *name, ManagerJailInfo *ret);

typedef struct ManagerBanInfo {
        const char *jail;
        char address[ADDRESS_STRING_MAX]; /* canonical text; a prefix ban in CIDR form "2001:db8::/64" */
        usec_t start_usec;                /* CLOCK_REALTIME */
        usec_t end_usec;                  /* CLOCK_REALTIME; USEC_INFINITY: permanent */
        unsigned failures;
        unsigned ban_count;               /* 1 for the first ban of this address in this jail */
        const char *const *matches;       /* matched journal lines (up to maxmatches), or NULL */
} ManagerBanInfo;

/* Active bans of JAIL (NULL or "": all jails), ordered by jail name, then address (family, bytes), so
 * that paging with OFFSET and LIMIT (0: no limit) is stable while nothing changes. *ret is a GArray of
 * ManagerBanInfo (caller unrefs); *ret_total (may be NULL) the number of bans before paging. */
int manager_list_bans(Manager *m, const char *jail, size_t offset, size_t limit, GArray **ret, size_t *ret_total);
/* Every active ban of ADDRESS (any jail), as above; an empty array when it is not banned. */
int manager_get_ban(Manager *m, const char *address, GArray **ret);

/* Bans ADDRESS (an address, or a prefix in CIDR form) in JAIL now, in one nft transaction, persisted
 * and logged like an automatic ban (REASON=manual). DURATION_USEC 0 takes the jail's bantime with its
 * escalation; USEC_INFINITY bans permanently. An address banned already gets the new end (also a
 * shorter one). *ret (may be NULL) describes the ban. Returns 1 for a new ban, 0 for a changed one. */
int manager_ban_address(Manager *m, const char *jail, const char *address, usec_t duration_usec,
                        ManagerBanInfo *ret);

/* Lifts the ban of ADDRESS in JAIL (NULL or "": in every jail), forgets the address's failures there,
 * removes it from the kernel and the database, logs it with REASON. Returns the number of bans lifted
 * (> 0) or -ENXIO when there was none. */
int manager_unban_address(Manager *m, const char *jail, const char *address, const char *reason);
/* Every ban of JAIL (NULL or "": of all jails). Returns the number lifted (0 is fine). */
int manager_unban_all(Manager *m, const char *jail, const char *reason);

/* Stops (running = false) or starts a jail at runtime: a stopped jail counts no failures and bans
 * nothing; its bans stay until they expire or are lifted. Kept over a reload, not over a restart. */
int manager_set_jail_running(Manager *m, const char *jail, bool running);
/* Changes a jail's bantime until the next reload (new bans only). */
int manager_set_jail_bantime(Manager *m, const char *jail, usec_t bantime_usec);

/* Like SIGHUP, but the error text (every "FILE:LINE: message", owned) is handed back in *ret_error
 * when the reload fails and the running configuration was kept. */
int manager_reload(Manager *m, char **ret_error);
/* Loads and compiles the configuration on disk without applying it. Returns 0, or a negative errno
 * with every error in *ret_error; *ret_warnings (may be NULL) gets a NULL-terminated strv (owned). */
int manager_check_config(Manager *m, char **ret_error, char ***ret_warnings);

/* Listeners are told what happened, after it happened (the nft transaction went through). The ban
 * info is borrowed for the call. counters_changed comes at most once per batch of journal entries
 * (front ends coalesce further); state_changed when the run state changes. Any callback may be NULL.
 * Callbacks must not add or remove listeners. */
typedef struct ManagerListener {
        void (*banned)(Manager *m, const ManagerBanInfo *ban, void *userdata);
        void (*unbanned)(Manager *m, const ManagerBanInfo *ban, const char *reason, void *userdata);
        void (*reloaded)(Manager *m, void *userdata);
        void (*state_changed)(Manager *m, ManagerRunState state, void *userdata);
        void (*counters_changed)(Manager *m, void *userdata);
} ManagerListener;

int manager_add_listener(Manager *m, const ManagerListener *l, void *userdata);
void manager_remove_listener(Manager *m, const ManagerListener *l, void *userdata);
