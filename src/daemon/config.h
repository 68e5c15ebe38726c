/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "addr.h"
#include "filter.h"
#include "time-util.h"

/* The semantic configuration: portcullis.conf [DEFAULT], jails/NAME.conf, filters/NAME.conf, read in
 * fail2ban's INI dialect by ini.c. Search path (systemd convention, admin over vendor):
 *   config_dir  (/etc/portcullis)         admin
 *   vendor_dir  (/usr/share/portcullis)   vendor
 * For each file NAME.conf: the admin copy masks the vendor copy; then NAME.local (vendor, then admin)
 * and NAME.conf.d/ *.conf drop-ins (union over both dirs, admin masks a vendor drop-in of the same
 * name, applied in file-name order) override it key by key. */

typedef enum Protocol {
        PROTOCOL_TCP,
        PROTOCOL_UDP,
        PROTOCOL_ALL, /* any L4 protocol; ports are then ignored (config warns if both are given) */
        _PROTOCOL_MAX,
        _PROTOCOL_INVALID = -22,
} Protocol;

const char *protocol_to_string(Protocol p);
Protocol protocol_from_string(const char *s);

typedef enum BlockType {
        BLOCK_TYPE_DROP,
        BLOCK_TYPE_REJECT, /* tcp reset for TCP, ICMP(v6) port unreachable otherwise */
        _BLOCK_TYPE_MAX,
        _BLOCK_TYPE_INVALID = -22,
} BlockType;

const char *block_type_to_string(BlockType t);
BlockType block_type_from_string(const char *s);

typedef struct PortRange {
        uint16_t first;
        uint16_t last; /* == first for a single port */
} PortRange;

typedef struct JailConfig {
        char *name;    /* section name; validated: [A-Za-z][A-Za-z0-9_.-]{0,63} */
        char *file;    /* where the section was (first) defined */
        unsigned line;
        bool enabled;

        char *filter_spec;  /* as written, e.g. "sshd[mode=aggressive]" */
        FilterDef *filter;  /* loaded, interpolated, tags substituted (owned) */

        unsigned maxretry;     /* >= 1 */
        usec_t findtime_usec;  /* > 0 */
        usec_t bantime_usec;   /* > 0, or USEC_INFINITY for permanent (-1) */
        AddressList ignoreip;
        bool ignoreself;

        PortRange *ports; /* service names resolved; sorted, merged; n_ports == 0 means every port */
        size_t n_ports;
        Protocol protocol;
        BlockType blocktype;

        /* Effective journal match: the jail's own journalmatch if set, else the filter's.
         * journalctl syntax; validated by the journal-match module (the caller reports
         * journalmatch_file:journalmatch_line on error). */
        char *journalmatch;
        char *journalmatch_file;
        unsigned journalmatch_line;

        unsigned maxtracked; /* hard cap on addresses tracked with failures (default 50000) */

        /* Escalation for repeat offenders (fail2ban's bantime.* keys). With increment, the N-th ban of an
         * address (N-1 earlier bans within dbpurgeage, in this jail or in all with overalljails) lasts
         *   bantime * multipliers[min(N-1, last)]                   when multipliers are given, else
         *   formula(ban.Time = bantime s, ban.Count = N-1, banFactor = factor)   (default formula:
         *   ban.Time * (1 << (ban.Count if ban.Count < 20 else 20)) * banFactor)
         * plus a random 0..rndtime, at most maxtime. As in fail2ban, all of these apply only with
         * bantime.increment = true. */
        bool bantime_increment;
        double bantime_factor;          /* default 1 */
        char *bantime_formula;          /* NULL: the default formula; validated at load */
        unsigned *bantime_multipliers;
        size_t n_bantime_multipliers;
        usec_t bantime_maxtime_usec;    /* 0: no cap */
        usec_t bantime_rndtime_usec;    /* 0: none */
        bool bantime_overalljails;
        usec_t dbpurgeage_usec;         /* how long a ban counts as an earlier ban (default 1d) */

        /* fail2ban's maxlines (default 1) and maxmatches (default maxretry): the jail's value, else
         * the filter's (FilterDef), else the default; >= 1. Parsed and shown only: multi-line
         * buffers and the matched lines kept per ban come later. */
        unsigned maxlines;
        unsigned maxmatches;

        /* Prefix bans (our own keys, not fail2ban's):
         *   banprefix6 = N        ban an IPv6 address as its /N (0 < N <= 128; 128, the default, = off)
         *   aggregate = BOOL      escalate to a prefix ban (default false) when
         *   aggregate.count = N   distinct bans (hosts, or /banprefix6 prefixes) inside one prefix (default 5,
         *                         >= 2) happened within
         *   aggregate.window = T  (default 1h) — the prefix being
         *   aggregate.prefix4 = N the IPv4 /N (default 24, 1..31) or
         *   aggregate.prefix6 = N the IPv6 /N (default 48, 1..127, shorter than banprefix6).
         * A prefix that contains an ignoreip address (or one of ours, with ignoreself) is never banned. */
        unsigned banprefix6;
        bool aggregate;
        unsigned aggregate_count;
        usec_t aggregate_window_usec;
        unsigned aggregate_prefix4;
        unsigned aggregate_prefix6;

        /* The jail's "action =" list (action-spec.h): ActionSpec *, in order, without the built-in nft
         * ban (always on). Empty when the jail has none. */
        GPtrArray *actions;
} JailConfig;

#define BANPREFIX6_OFF 128U

/* Whether the jail can ban prefixes wider than a host (and so needs nft interval sets). */
static inline bool jail_config_bans_prefixes(const JailConfig *c) {
        return c->banprefix6 < BANPREFIX6_OFF || c->aggregate;
}

/* fail2ban's default bantime.formula */
#define BANTIME_FORMULA_DEFAULT "ban.Time * (1 << (ban.Count if ban.Count < 20 else 20)) * banFactor"

typedef struct Config {
        JailConfig **jails; /* every jail section found, enabled or not, sorted by name */
        size_t n_jails;
        char **warnings;    /* "FILE:LINE: text" — things that are accepted but deserve a look */
        size_t n_warnings;
} Config;

typedef struct ConfigPaths {
        const char *config_dir; /* admin dir, holds portcullis.conf, jails/, filters/ */
        const char *vendor_dir; /* may be NULL */
        const char *filter_dir; /* may be NULL: searched for filters before the two above */
        const char *fail2ban_dir; /* may be NULL: if set, ruleset_load() reads this fail2ban directory
                                   * with config_load_fail2ban() instead, and ignores the rest */
} ConfigPaths;

/* Loads everything. On any error returns a negative errno and sets *ret_error to every error found,
 * one "FILE:LINE: message" per line (owned by the caller); *ret is then untouched. */
int config_load(const ConfigPaths *paths, Config **ret, char **ret_error);
Config *config_free(Config *c);
JailConfig *jail_config_free(JailConfig *j);

/* Loads one filter for offline use (portcullisctl test-filter): SPEC is a filter name with optional
 * arguments ("sshd", "sshd[mode=aggressive]") looked up in filter_dir, config_dir/filters,
 * vendor_dir/filters, or a path to a .conf file (contains a '/'). Same error convention. */
int config_load_filter(const ConfigPaths *paths, const char *spec, FilterDef **ret, char **ret_error);

/* fail2ban compatibility (config-fail2ban.c): reads an existing fail2ban configuration directory DIR
 * (/etc/fail2ban) as it is, with fail2ban's layering jail.conf, jail.d/ *.conf, jail.local,
 * jail.d/ *.local ([INCLUDES] honoured, fail2ban.conf ignored) and its filters from DIR/filter.d/.
 * Enabled jails must be able to read the journal (backend = systemd, or a journalmatch from the jail
 * or its filter); a jail that only reads log files is an error that says how to route its service to
 * the journal. Disabled jails we cannot represent (invalid names, values we cannot parse) are
 * skipped with a warning. Actions other than a firewall ban (mail, reports) are ignored with a
 * warning. Same error convention as config_load(). */
int config_load_fail2ban(const char *dir, Config **ret, char **ret_error);

typedef enum ConfigFail2banFlags {
        /* portcullisctl import-fail2ban: an enabled jail that cannot be carried over is left out of
         * the Config and reported as a warning ("FILE:LINE: …, jail 'X' not imported") instead of
         * failing the whole load. */
        CONFIG_FAIL2BAN_SKIP_BROKEN_JAILS = 1 << 0,
} ConfigFail2banFlags;

int config_load_fail2ban_full(const char *dir, ConfigFail2banFlags flags, Config **ret, char **ret_error);
