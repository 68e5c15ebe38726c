/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Pattern translation for the filter engine: fail2ban-format regexes (Python re + tags) → PCRE2.
 *
 * Non-logging, pure text work: filter.c compiles what comes out of here. */

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "filter-tags.h"
#include "macro.h"

/* Building blocks for the tags. No capture groups inside, so that the only groups a tag adds are the
 * named ones below (fail2ban's <HOST> also adds exactly ip4, ip6 and dns, so numeric backreferences
 * written after a tag shift by the same amount as under fail2ban). */
#define RE_OCTET "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
#define RE_IPV4 RE_OCTET "(?:\\." RE_OCTET "){3}"
#define RE_H16 "[0-9A-Fa-f]{1,4}"
#define RE_IPV6_LAST "(?:" RE_H16 "|" RE_IPV4 ")"
/* Full form, full form with an IPv4 tail, and the "::" forms with at least one group beside the "::"
 * (a bare "::" is noise, never a ban target). The "::" forms allow a few groups too many; whatever
 * matches is validated by address_parse_n() anyway. */
#define RE_IPV6                                                                                    \
        "(?:(?:" RE_H16 ":){7}" RE_H16                                                             \
        "|(?:" RE_H16 ":){6}" RE_IPV4                                                              \
        "|" RE_H16 "(?::" RE_H16 "){0,6}::(?:(?:" RE_H16 ":){0,5}" RE_IPV6_LAST ")?"               \
        "|::(?:" RE_H16 ":){0,6}" RE_IPV6_LAST ")"

/* Token boundaries, so that an address is never taken from inside a longer token:
 *   IPv4: not after a word character or a dot ("11.2.3.4", "1.1.2.3.4"), not before a word character
 *         or a dot followed by one ("1.2.3.45", "1.2.3.4.5", "1.2.3.4.example.com"). A port suffix
 *         (":22") and a full stop at the end of a sentence are fine.
 *   IPv6: additionally not after a colon (the tail of a longer address), and not before ":" followed
 *         by a hex digit or another ":" (the head of a longer address). "…::1: message" is fine. The
 *         optional brackets are outside the checks, so "[2001:db8::1]:22" works.
 *   DNS:  a run of word characters, dots and dashes, beginning and ending with a word character. */
#define RE_IP4_PART "(?<![\\w.])(?<ip4>" RE_IPV4 ")(?!\\w|\\.\\w)"
#define RE_IP6_PART "\\[?(?<![\\w.:])(?<ip6>" RE_IPV6 ")(?!\\w|:[0-9A-Fa-f:]|\\.\\w)\\]?"
#define RE_DNS_PART "(?<![\\w.-])(?<dns>\\w(?:[\\w.-]*\\w)?)(?![\\w-]|\\.\\w)"

/* A prefix length as in fail2ban's <CIDR>: only the decimal number (it is written "<ADDR>/<CIDR>");
 * whether it fits the address family is decided by filter.c after the match. */
#define RE_CIDR_PART "(?<cidr>[0-9]{1,3})(?![0-9])"

#define RE_TAG_HOST "(?:" RE_IP4_PART "|" RE_IP6_PART "|" RE_DNS_PART ")"
#define RE_TAG_ADDR "(?:" RE_IP4_PART "|" RE_IP6_PART ")"
#define RE_TAG_IP4 RE_IP4_PART
#define RE_TAG_IP6 RE_IP6_PART
#define RE_TAG_DNS RE_DNS_PART
#define RE_TAG_CIDR RE_CIDR_PART
/* fail2ban's <SUBNET>: an address, optionally followed by "/prefix" ("[2001:db8::]/32" works too). */
#define RE_TAG_SUBNET "(?:" RE_IP4_PART "|" RE_IP6_PART ")(?:/" RE_CIDR_PART ")?"

/* fail2ban also has a self-closing form <F-NAME/> of each tag, and two that only exist in that form:
 * <F-ID/> (a failure id without spaces) and <F-PORT/> (a port number or service name). */
static const struct {
        const char *tag;
        const char *expansion;
} address_tags[] = {
        { "<HOST>", RE_TAG_HOST },
        { "<ADDR>", RE_TAG_ADDR },
        { "<IP4>", RE_TAG_IP4 },
        { "<IP6>", RE_TAG_IP6 },
        { "<DNS>", RE_TAG_DNS },
        { "<CIDR>", RE_TAG_CIDR },
        { "<SUBNET>", RE_TAG_SUBNET },
        { "<F-ADDR/>", RE_TAG_ADDR },
        { "<F-IP4/>", RE_TAG_IP4 },
        { "<F-IP6/>", RE_TAG_IP6 },
        { "<F-DNS/>", RE_TAG_DNS },
        { "<F-CIDR/>", RE_TAG_CIDR },
        { "<F-SUBNET/>", RE_TAG_SUBNET },
        { "<F-ID/>", "(?<fid>\\S+)" },
        { "<F-PORT/>", "(?<fport>\\w+)" },
};

static bool is_ftag_char(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* If s[0..n) starts with "<F-NAME>" (closing == false) or "</F-NAME>" (closing == true), returns the
 * length of the whole tag and the NAME span; else 0. */
static size_t parse_ftag(const char *s, size_t n, bool closing, const char **ret_name, size_t *ret_name_len) {
        size_t i = closing ? 4 : 3;

        if (n < i || memcmp(s, closing ? "</F-" : "<F-", i) != 0)
                return 0;

        size_t start = i;
        while (i < n && is_ftag_char(s[i]))
                i++;
        if (i == start || i >= n || s[i] != '>')
                return 0;

        *ret_name = s + start;
        *ret_name_len = i - start;
        return i + 1;
}

static bool has_closing_ftag(const char *s, size_t n, const char *name, size_t name_len) {
        for (size_t i = 0; i < n; i++) {
                const char *cn;
                size_t cl;

                if (s[i] != '<')
                        continue;
                if (parse_ftag(s + i, n - i, /* closing= */ true, &cn, &cl) > 0 && cl == name_len &&
                    memcmp(cn, name, cl) == 0)
                        return true;
        }
        return false;
}

/* Appends text to the expansion, recording for each byte the offset in the source it came from (for
 * error messages that point into what the user wrote). */
static void emit(GString *out, GArray *map, const char *text, size_t len, size_t src_offset) {
        g_string_append_len(out, text, len);
        for (size_t i = 0; i < len; i++)
                g_array_append_val(map, src_offset);
}

/* Expands the tags and translates the few Python re constructs that PCRE2 reads differently:
 *   <HOST> <ADDR> <IP4> <IP6>          → the address patterns above (groups ip4, ip6, dns)
 *   <DNS>                              → a host name only (group dns: never resolved)
 *   <CIDR>                             → a prefix length (group cidr), as in "<ADDR>/<CIDR>"
 *   <SUBNET>                           → an address with an optional "/prefix" (ip4, ip6, cidr)
 *   <F-ADDR/> … <F-SUBNET/>            → the same as <ADDR> … <SUBNET>
 *   <F-ID/> <F-PORT/>                  → (?<fid>\S+), (?<fport>\w+)
 *   <F-NAME>…</F-NAME>                 → (?<name>…), name lower-cased with '-' → '_'
 *                                        (<F-USER> → user, <F-ID> → id, <F-CONTENT> → content)
 *   {,n}                               → {0,n} (PCRE2 10.42 reads "{,n}" as literal text)
 *   \Z                                 → \z (Python's \Z is PCRE2's \z: the very end)
 * Everything else is copied: (?P<n>…), (?P=n) and (?P>n) are PCRE2 syntax too, and unknown <…> text
 * stays literal as in fail2ban. Nothing is translated inside a character class. */
void filter_pattern_expand(const char *src, GString *out, GArray *map) {
        size_t n = strlen(src);
        bool in_class = false;
        g_autoptr(GArray) open = g_array_new(FALSE, FALSE, sizeof(size_t)); /* source offsets of open F-tags' names */

        for (size_t i = 0; i < n;) {
                char c = src[i];

                if (c == '\\') {
                        if (i + 1 >= n) {
                                emit(out, map, src + i, 1, i);
                                i++;
                        } else if (!in_class && src[i + 1] == 'Z') {
                                emit(out, map, "\\z", 2, i);
                                i += 2;
                        } else {
                                emit(out, map, src + i, 2, i);
                                i += 2;
                        }
                        continue;
                }

                if (in_class) {
                        if (c == ']')
                                in_class = false;
                        emit(out, map, src + i, 1, i);
                        i++;
                        continue;
                }

                if (c == '[') {
                        /* A ']' right after '[' or '[^' is a literal member, not the end. */
                        size_t j = i + 1;
                        if (j < n && src[j] == '^')
                                j++;
                        if (j < n && src[j] == ']')
                                j++;
                        emit(out, map, src + i, j - i, i);
                        in_class = true;
                        i = j;
                        continue;
                }

                if (c == '{' && i + 1 < n && src[i + 1] == ',') {
                        size_t j = i + 2;
                        while (j < n && g_ascii_isdigit(src[j]))
                                j++;
                        if (j > i + 2 && j < n && src[j] == '}') {
                                emit(out, map, "{0", 2, i);
                                i++; /* continue with the ',' */
                                continue;
                        }
                }

                if (c == '<') {
                        const char *name;
                        size_t name_len, l;
                        bool done = false;

                        for (size_t k = 0; k < ELEMENTSOF(address_tags); k++) {
                                size_t tl = strlen(address_tags[k].tag);
                                if (n - i >= tl && memcmp(src + i, address_tags[k].tag, tl) == 0) {
                                        emit(out, map, address_tags[k].expansion,
                                             strlen(address_tags[k].expansion), i);
                                        i += tl;
                                        done = true;
                                        break;
                                }
                        }
                        if (done)
                                continue;

                        l = parse_ftag(src + i, n - i, /* closing= */ false, &name, &name_len);
                        if (l > 0 && has_closing_ftag(src + i + l, n - i - l, name, name_len)) {
                                emit(out, map, "(?<", 3, i);
                                for (size_t k = 0; k < name_len; k++) {
                                        char t = name[k] == '-' ? '_' : g_ascii_tolower(name[k]);
                                        emit(out, map, &t, 1, i);
                                }
                                emit(out, map, ">", 1, i);
                                size_t name_offset = (size_t) (name - src);
                                g_array_append_val(open, name_offset);
                                i += l;
                                continue;
                        }

                        l = parse_ftag(src + i, n - i, /* closing= */ true, &name, &name_len);
                        if (l > 0 && open->len > 0) {
                                size_t top = g_array_index(open, size_t, open->len - 1);
                                const char *top_name = src + top;
                                size_t top_len = 0;
                                while (is_ftag_char(top_name[top_len]))
                                        top_len++;
                                if (top_len == name_len && memcmp(top_name, name, name_len) == 0) {
                                        emit(out, map, ")", 1, i);
                                        g_array_set_size(open, open->len - 1);
                                        i += l;
                                        continue;
                                }
                        }
                }

                emit(out, map, src + i, 1, i);
                i++;
        }
}

size_t filter_pattern_source_offset(const char *src, const GArray *map, size_t offset) {
        return offset < map->len ? g_array_index(map, size_t, offset) : strlen(src);
}

/* Whether an expanded failregex may go into the combined "(?:re1)|(?:re2)" pattern without changing
 * what it matches. Conservative: refuses anything that refers to groups by number (those would point
 * into another regex once combined), recursion, backtracking verbs (a (*COMMIT) in re1 would stop re2
 * from being tried), \Q (an unterminated one would swallow the rest) and extended mode (a trailing
 * comment would swallow the ")"). A refused filter is matched regex by regex, which is only slower. */
bool filter_pattern_is_combinable(const char *p) {
        bool in_class = false;

        for (size_t i = 0; p[i]; i++) {
                char c = p[i];

                if (c == '\\') {
                        char d = p[i + 1];
                        if (d == '\0')
                                return false;
                        if (!in_class && ((d >= '1' && d <= '9') || d == 'g' || d == 'Q'))
                                return false;
                        i++;
                        continue;
                }
                if (in_class) {
                        if (c == ']')
                                in_class = false;
                        continue;
                }
                if (c == '[') {
                        in_class = true;
                        if (p[i + 1] == '^')
                                i++;
                        if (p[i + 1] == ']')
                                i++;
                        continue;
                }
                if (c != '(')
                        continue;
                if (p[i + 1] == '*')
                        return false;
                if (p[i + 1] != '?')
                        continue;

                char d = p[i + 2];
                if ((d >= '0' && d <= '9') || ((d == '+' || d == '-') && g_ascii_isdigit(p[i + 3])) || d == 'R' || d == '&' || d == '(' ||
                    (d == 'P' && p[i + 3] == '>'))
                        return false;
                /* Option settings: (?x), (?ix:…), (?^x) … */
                for (size_t j = i + 2; p[j] && p[j] != ')' && p[j] != ':'; j++) {
                        if (p[j] == 'x')
                                return false;
                        if (!g_ascii_isalpha(p[j]) && p[j] != '^' && p[j] != '-')
                                break;
                }
        }
        return true;
}
