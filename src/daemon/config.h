/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

        /* fail2ban's maxlines (default 1) and maxmatches (default maxretry): the jail's value, else
         * the filter's (FilterDef), else the default; >= 1. Parsed and shown only: multi-line
         * buffers and the matched lines kept per ban come later. */
        unsigned maxlines;
        unsigned maxmatches;
} JailConfig;

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
