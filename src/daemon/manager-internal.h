/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <systemd/sd-journal.h>

#include "action-nft.h"
#include "addr.h"
#include "ban.h"
#include "jail.h"
#include "journal-entry.h"
#include "journal-reader.h"
#include "manager.h"
#include "nft-monitor.h"
#include "ruleset.h"
#include "state.h"

/* Internal to the Manager (the public API is manager.h). Its three files:
 *   manager.c        the object, its lifecycle (new/free, start, reload, stop), configuration, status;
 *   manager-bans.c   journal entry → filter → failure tracker → ban, the batch commit, the expiry timer;
 *   manager-state.c  the database (open, restore, adopt kernel elements), the self-healing firewall.
 * Below: the shared types, then the functions one file calls in another, by the file defining them. */

/* Runtime state of one jail. It survives a reload that keeps the jail (found by name), so that failures
 * counted before the reload still count after it. */
typedef struct Jail {
        char *name;
        const JailRules *rules; /* borrowed from Manager.ruleset, replaced on reload */
        FailureTracker *tracker;
        uint64_t total_failed;
        uint64_t total_banned;
        uint64_t limit_hits;
        bool cap_logged;
        usec_t limit_logged_usec; /* CLOCK_MONOTONIC of the last "filter over budget" warning */
        bool stopped;             /* manager_set_jail_running(false): counts nothing, bans nothing */
} Jail;

/* A ban queued for nft in this batch; its journal event is written once the transaction went through. */
typedef struct PendingBan {
        Jail *jail;
        Address address;
        usec_t bantime_usec;
        unsigned failures;
        unsigned ban_count;
        const char *reason; /* static string: NULL for a ban by failures, "manual" … */
        bool changed;       /* a new end for an address banned already: not counted as a new ban */
} PendingBan;

typedef struct ListenerSlot {
        const ManagerListener *listener;
        void *userdata;
} ListenerSlot;

struct Manager {
        sd_event *event;
        ManagerOptions options; /* strings borrowed from argv for the life of the process */
        Ruleset *ruleset;
        Jail **jails; /* parallel to ruleset->jails */
        size_t n_jails;
        JournalReader *reader;
        NftBackend *nft;
        BanTable *bans;
        State *state;           /* NULL when the database cannot be used: we keep protecting without it */
        NftMonitor *nft_monitor;
        uint64_t n_too_old;     /* failures older than findtime when read (catch-up after a restart) */
        sd_event_source *expiry_source;
        AddressList self_addresses;
        JournalEntry entry; /* scratch, reused for every entry */
        GArray *pending;    /* PendingBan */
        uint64_t n_failures;
        uint64_t n_bans_total;
        usec_t last_prune_usec;
        char *last_status;
        ManagerRunState run_state;
        usec_t started_at_usec;
        GArray *listeners; /* ListenerSlot */
};

/* Calls FIELD of every listener that has it, with the arguments after m. */
#define MANAGER_NOTIFY(m, field, ...)                                                           \
        do {                                                                                    \
                for (guint _i = 0; _i < (m)->listeners->len; _i++) {                            \
                        const ListenerSlot *_s = &g_array_index((m)->listeners, ListenerSlot, _i); \
                        if (_s->listener->field)                                                \
                                _s->listener->field((m), ##__VA_ARGS__, _s->userdata);         \
                }                                                                               \
        } while (false)

/* manager.c */
void manager_update_status(Manager *m);
void manager_set_run_state(Manager *m, ManagerRunState state);
Jail *manager_find_jail(Manager *m, const char *name);
void log_manager_event(const char *message_id, int level, const char *jail, const char *message);
void log_ban_event(const char *message_id, int level, const char *jail, const Address *a,
                   usec_t bantime_usec, unsigned failures, const char *reason, const char *message);
NftJailSpec *manager_nft_specs_new(const Ruleset *rs);

/* manager-bans.c */
void manager_arm_expiry(Manager *m);
usec_t manager_bantime(Manager *m, const Jail *j, const Address *a, usec_t now, unsigned *ret_count);
/* Ban info for listeners and front ends (no matches). */
void manager_ban_info_from_ban(const Ban *b, ManagerBanInfo *ret);
void manager_commit(Manager *m);
/* JournalReaderCallbacks .entry and .batch_done */
int manager_on_entry(sd_journal *journal, bool replay, void *userdata);
void manager_on_batch_done(void *userdata);

/* manager-state.c */
void manager_open_state(Manager *m);
int manager_restore_and_log(Manager *m);
/* NftMonitor callback */
void manager_on_nft_changed(void *userdata);
