/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"

/* A filter definition as the configuration produced it: every %(var)s interpolation and every
 * <tag> from [Definition]/[Init]/jail arguments is already substituted; what remains are the regex
 * tags of the filter engine (<HOST>, <ADDR>, <IP4>, <IP6>, <DNS>, <CIDR>, <SUBNET>, their
 * self-closing forms <F-ADDR/>…, <F-ID/>, <F-PORT/>, <F-USER>…</F-USER>, <F-ID>…</F-ID>, any other
 * <F-NAME>…</F-NAME>) and unknown <…> text, which stays literal as in fail2ban.
 * Each pattern remembers the file and line it came from, for error messages. */
typedef struct RegexDef {
        char *pattern;
        char *file;
        unsigned line;
} RegexDef;

typedef struct FilterDef {
        char *name; /* "sshd" */
        char *file; /* the main .conf file */
        RegexDef *failregex;
        size_t n_failregex;
        RegexDef *ignoreregex;
        size_t n_ignoreregex;
        RegexDef prefregex;        /* .pattern == NULL when the filter has none */
        char *journalmatch;        /* journalctl syntax, NULL or "" when none */
        char *journalmatch_file;
        unsigned journalmatch_line;
        /* fail2ban's maxlines (lines buffered for multi-line failregexes) and maxmatches (matched
         * lines kept per ticket), from the filter's arguments > [Init] > [Definition]; 0 when the
         * filter does not set them. With maxlines > 1 the regexes are compiled with PCRE2_MULTILINE
         * (^ and $ at every line of the buffer, as fail2ban's re.MULTILINE); the buffer itself is
         * filter-feed.h's. */
        unsigned maxlines;
        unsigned maxmatches;
} FilterDef;

FilterDef *filter_def_free(FilterDef *d);
void regex_def_done(RegexDef *r);

typedef enum FilterResult {
        FILTER_NO_MATCH,   /* no failregex matched (or prefregex did not) */
        FILTER_FAILURE,    /* a failregex matched and yielded a valid address: count it */
        FILTER_IGNORED,    /* a failregex matched, but so did an ignoreregex */
        FILTER_NO_ADDRESS, /* a failregex matched, but the host part is no IP address (a hostname:
                            * we never resolve names on the hot path) */
        FILTER_LIMIT,      /* PCRE2 match or depth limit hit: treated as no match; caller warns */
        _FILTER_RESULT_MAX,
        _FILTER_RESULT_INVALID = -22,
} FilterResult;

const char *filter_result_to_string(FilterResult r);

/* FilterMatch.flags */
enum {
        FILTER_MATCH_HOST = 1U << 0,   /* a host capture (address or name) was set */
        FILTER_MATCH_NOFAIL = 1U << 1, /* <F-NOFAIL> captured (non-empty): no failure by itself */
        FILTER_MATCH_FORGET = 1U << 2, /* <F-MLFFORGET>: the multi-line session ends */
        FILTER_MATCH_GAINED = 1U << 3, /* <F-MLFGAINED>: the session succeeded (implies no failure) */
};

#define FILTER_SKIPPED_MAX 4U

typedef struct FilterMatch {
        Address address;   /* valid for FILTER_FAILURE; normalised (mapped IPv6 → IPv4) */
        unsigned prefixlen; /* 0: the failure is for the single address above. Otherwise the regex
                             * matched a prefix (<SUBNET>, <ADDR>/<CIDR>: a "cidr" group was set
                             * next to the address) and the failure is for the whole network:
                             * address is then the network address (host bits cleared) and
                             * prefixlen is 1…31 (IPv4) or 1…127 (IPv6). A full-length prefix
                             * (/32, /128) is reported as a single address (0); a /0 or a prefix too
                             * long for the family gives FILTER_NO_ADDRESS. Consumers that do not
                             * handle networks yet treat the network address as one address. */
        char *user;        /* <F-USER> capture, or NULL; owned */
        char *id;          /* <F-ID> capture, or NULL; owned */
        char **fields;     /* every other named capture (<F-NAME>, (?P<name>…)) that is set, as
                            * "name=value", NULL-terminated; NULL when there is none; owned */
        int regex_index;   /* index into FilterDef.failregex of the regex that matched, or -1 */
        char *mlfid;       /* <F-MLFID> capture (failregex, else prefregex), or NULL; owned */
        unsigned flags;    /* FILTER_MATCH_*; NOFAIL/FORGET/GAINED only mean something with an mlfid */
        size_t match_start, match_end;           /* the failregex's match, as offsets into the line */
        size_t skipped[FILTER_SKIPPED_MAX][2];   /* <SKIPLINES> spans [start, end) in the line */
        size_t n_skipped;
} FilterMatch;

void filter_match_done(FilterMatch *m);

typedef struct Filter Filter;

/* Compiles all regexes of a definition (PCRE2 with JIT). On error returns -EINVAL and sets *ret_error
 * to "FILE:LINE: failregex: PCRE2 message at offset N" (owned by the caller). */
int filter_new(const FilterDef *def, Filter **ret, char **ret_error);
Filter *filter_free(Filter *f);

/* Matches one log line (the line fail2ban's systemd backend builds: "HOSTNAME IDENT[PID]: MESSAGE").
 * The line need not be NUL-terminated. Returns a FilterResult (>= 0) and fills *ret (which the caller
 * must filter_match_done()) for FILTER_FAILURE, FILTER_IGNORED and FILTER_NO_ADDRESS (which is also
 * the answer for a failregex without host in a filter with sessions); negative errno
 * only for OOM. Never blocks for long: PCRE2 match and depth limits bound every call. */
int filter_match(Filter *f, const char *line, size_t len, FilterMatch *ret);

const FilterDef *filter_get_def(const Filter *f);

/* Whether a regex of the filter captures <F-MLFID> (a multi-line session id): such a filter's failregexes
 * may lack a host, and its matches only mean something when fed through filter-feed.h. */
bool filter_has_sessions(const Filter *f);

/* Limits applied to every match (defaults are sane; tests lower them). */
void filter_set_limits(Filter *f, unsigned match_limit, unsigned depth_limit);
