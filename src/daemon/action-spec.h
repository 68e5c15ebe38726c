/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <glib.h>
#include <jansson.h>

#include "macro.h"
#include "time-util.h"

/* The configured form of a jail's actions (its "action =" list) and the pure helpers the action
 * runtime (action.c) uses: template substitution and hosts.deny editing. Non-logging, no I/O except
 * reading actions/NAME.conf definition files.
 *
 * Syntax (fail2ban's): whitespace-separated items, each NAME or NAME[key=value, key="v, with comma"],
 * over as many lines as wanted. NAME is one of our types (hostsdeny, mail, webhook, abuseipdb,
 * blocklistde, command), a fail2ban stock name mapped to one (iptables*, nftables*, firewallcmd*,
 * shorewall* → the built-in nft ban, which is always on and ignored here; sendmail*, mail* → mail;
 * abuseipdb; hostsdeny; blocklist_de → blocklistde), or the name of a definition file
 * actions/NAME.conf (admin dir, then vendor dir, with .local and .conf.d overlays) whose [Definition]
 * section gives "type =" and default arguments; the jail's arguments override them. */

typedef enum ActionType {
        ACTION_NFT, /* the built-in nftables ban; always on */
        ACTION_HOSTSDENY,
        ACTION_MAIL,
        ACTION_WEBHOOK,
        ACTION_ABUSEIPDB,
        ACTION_BLOCKLISTDE,
        ACTION_COMMAND,
        _ACTION_TYPE_MAX,
        _ACTION_TYPE_INVALID = -22,
} ActionType;

const char *action_type_to_string(ActionType t);
ActionType action_type_from_string(const char *s);
/* Our type names plus fail2ban's stock names (see above); _ACTION_TYPE_INVALID if neither. */
ActionType action_type_from_name(const char *name);

typedef enum ActionHook {
        ACTION_HOOK_START,
        ACTION_HOOK_STOP,
        ACTION_HOOK_BAN,
        ACTION_HOOK_UNBAN,
        ACTION_HOOK_CHECK,
        _ACTION_HOOK_MAX,
        _ACTION_HOOK_INVALID = -22,
} ActionHook;

const char *action_hook_to_string(ActionHook h);

typedef struct ActionSpec {
        char *name;       /* as written in the list: "mail", "sendmail-whois", "myhook" */
        ActionType type;
        GHashTable *args; /* key → value, both owned: definition defaults overridden by the jail's */
        char *file;       /* where the jail's "action =" line is */
        unsigned line;
        char *def_file;   /* the definition file used, or NULL */
} ActionSpec;

ActionSpec *action_spec_free(ActionSpec *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(ActionSpec *, action_spec_free);
/* The argument KEY, or NULL. */
const char *action_spec_get(const ActionSpec *s, const char *key);
/* A string identifying the spec (type, name and sorted arguments): equal specs configure equal actions. */
char *action_spec_fingerprint(const ActionSpec *s);

/* Parses TEXT (the "action =" value, lines joined with '\n') that starts at FILE:LINE. DIRS (may be
 * NULL) are searched for actions/NAME.conf. Built-in nft names are dropped. On success returns 0 and
 * the specs in *ret (GPtrArray of ActionSpec *, free func set); on error appends every problem as
 * "FILE:LINE: message" to ERRORS and returns -EINVAL. */
int action_specs_parse(const char *text, const char *file, unsigned line, const char *const *dirs,
                       GPtrArray *errors, GPtrArray **ret);

/* One thing that happened, as the actions see it. Strings are borrowed. */
typedef struct ActionEvent {
        ActionHook hook;
        const char *jail;
        const char *address;       /* canonical; NULL for start/stop/check */
        usec_t start_usec;         /* CLOCK_REALTIME */
        usec_t end_usec;           /* CLOCK_REALTIME; USEC_INFINITY: permanent */
        unsigned failures;
        unsigned ban_count;
        const char *const *matches; /* matched journal lines, or NULL */
        const char *const *tags;    /* "F-USER=alice" … from the filter, or NULL */
        const char *message;       /* summary text (<message>), or NULL to build one */
} ActionEvent;

/* The value of TAG (without <>) for EVENT under SPEC's arguments, newly allocated, or NULL when the
 * tag is unknown: ip, jail, failures, bantime (seconds, -1 permanent), bancount, time (ban start,
 * seconds since the epoch), matches (lines joined with '\n'), message, F-NAME (filter tags), and every
 * argument of the spec by its key. */
char *action_event_tag(const ActionEvent *e, const ActionSpec *spec, const char *tag);
/* A one-line human summary: "Banned 192.0.2.1 in jail sshd for 10min after 5 failures". */
char *action_event_summary(const ActionEvent *e);

/* Replaces every <tag> of TEMPLATE whose value is known; unknown ones stay as they are. The values
 * are inserted as plain text: the caller decides what the result is (one argv element, one JSON
 * string, one form value) — never something a shell or a parser interprets further. */
char *action_template_expand(const char *template, const ActionEvent *e, const ActionSpec *spec);
/* Splits TEMPLATE into words (POSIX quoting rules, nothing executed) and expands each word: a value
 * never adds or splits arguments. Returns 0 or -EINVAL for a syntax error. */
int action_template_argv(const char *template, const ActionEvent *e, const ActionSpec *spec, char ***ret);
/* Parses TEMPLATE as JSON and expands the tags in every string (keys and values) of it; the result is
 * built by jansson, so values can never break out of their string. NULL on a syntax error. */
json_t *action_template_json(const char *template, const ActionEvent *e, const ActionSpec *spec);

/* hosts.deny (TCP wrappers): "DAEMONS: ADDRESS", IPv6 in brackets ("[2001:db8::1]", prefixes
 * "[2001:db8::]/64"), IPv4 prefixes as net/mask. Returns the line without newline, or NULL for text
 * that is not an address or prefix. */
char *hostsdeny_line(const char *daemons, const char *address);
/* Adds LINE (ADD) at the end or removes every line equal to it (ignoring trailing blanks) from OLD;
 * every other byte of OLD is kept. Returns 1 and *ret when something changed, 0 otherwise. */
int hostsdeny_edit(const char *old, const char *line, bool add, char **ret);
