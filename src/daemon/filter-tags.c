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
 *         optional brackets are outside the checks, so "[2001:db8::1]:22" works, and so does
 *         sendmail's "[IPv6:2001:db8::1]" (the one colon allowed before an address).
 *   DNS:  a run of word characters, dots and dashes, beginning and ending with a word character. */
#define RE_IP4_PART "(?<![\\w.])(?<ip4>" RE_IPV4 ")(?!\\w|\\.\\w)"
#define RE_IP6_PART "\\[?(?:(?<=IPv6:)|(?<![\\w.:]))(?<ip6>" RE_IPV6 ")(?!\\w|:[0-9A-Fa-f:]|\\.\\w)\\]?"
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

/* Python matches str patterns against decoded text, where \w, \b and \B are Unicode-aware; we match
 * the raw bytes, mostly UTF-8. So that "\w+" still takes "jürgen" whole (else a user name with one
 * non-ASCII letter would slip past a filter), every byte >= 0x80 counts as a word character. This
 * over-approximates (non-ASCII punctuation is no \w in Python) in the direction of matching more of
 * the text the filter author meant a word to be; \d and \s stay ASCII (Python would also take
 * non-ASCII digits and spaces, which no log line of interest has where filters use \d). The
 * filter's own patterns only: the address tags above keep their ASCII boundaries. */
#define RE_WORD "[\\w\\x80-\\xff]"
#define RE_NOT_WORD "[^\\w\\x80-\\xff]"
#define RE_WORD_BOUNDARY "(?:(?<=" RE_WORD ")(?!" RE_WORD ")|(?<!" RE_WORD ")(?=" RE_WORD "))"
#define RE_NOT_WORD_BOUNDARY "(?:(?<=" RE_WORD ")(?=" RE_WORD ")|(?<!" RE_WORD ")(?!" RE_WORD "))"

static int hex_value(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        c = g_ascii_tolower(c);
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

/* If s[0..n) starts with exactly DIGITS hex digits, returns their value, else -1. */
static long parse_hex(const char *s, size_t n, size_t digits) {
        long v = 0;

        if (n < digits)
                return -1;
        for (size_t k = 0; k < digits; k++) {
                int h = hex_value(s[k]);
                if (h < 0)
                        return -1;
                v = v * 16 + h;
        }
        return v;
}

/* Python's escapes of a code point, \xHH (0x80…0xff: a character, not a byte), \uHHHH and
 * \UHHHHHHHH, outside a character class: appends the UTF-8 encoding as "(?:\xHH…)" and returns the
 * length of the escape, or 0 if it is none of those (or no valid code point: PCRE2 then reports
 * it). Inside a class a multi-byte character cannot be one member; there it stays an error. */
static size_t translate_code_point(const char *s, size_t n, GString *out, GArray *map, size_t src_offset) {
        size_t digits;
        long cp;
        char utf8[8];
        int len;

        if (n < 2)
                return 0;
        switch (s[1]) {
        case 'x':
                digits = 2;
                break;
        case 'u':
                digits = 4;
                break;
        case 'U':
                digits = 8;
                break;
        default:
                return 0;
        }
        cp = parse_hex(s + 2, n - 2, digits);
        if (cp < 0 || (s[1] == 'x' && cp < 0x80) || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                return 0;
        if (cp < 0x80) {
                char b[8];
                g_snprintf(b, sizeof(b), "\\x%02x", (unsigned) cp);
                emit(out, map, b, 4, src_offset);
                return 2 + digits;
        }

        len = g_unichar_to_utf8((gunichar) cp, utf8);
        emit(out, map, "(?:", 3, src_offset);
        for (int k = 0; k < len; k++) {
                char b[8];
                g_snprintf(b, sizeof(b), "\\x%02x", (unsigned char) utf8[k]);
                emit(out, map, b, 4, src_offset);
        }
        emit(out, map, ")", 1, src_offset);
        return 2 + digits;
}

/* Inline flags "(?FLAGS)" and "(?FLAGS-FLAGS:" at s: returns the length of the group opening (up to and
 * including ')' or ':'), or 0 if s does not start one. *ret_scoped tells the ':' form. */
static size_t parse_flag_group(const char *s, size_t n, bool *ret_scoped) {
        size_t j = 2;
        bool letters = false;

        if (n < 3 || s[0] != '(' || s[1] != '?')
                return 0;
        for (; j < n && s[j] != '\0' && strchr("aiLmsux-", s[j]); j++)
                letters = letters || s[j] != '-';
        if (!letters || j >= n || (s[j] != ')' && s[j] != ':'))
                return 0;
        *ret_scoped = s[j] == ':';
        return j + 1;
}

/* Appends the flag group s[0..len) without Python's 'a' (ASCII: what byte matching does anyway), 'u'
 * (Unicode: the default of Python 3) and 'L' (locale, bytes patterns only), which PCRE2 refuses.
 * A global group left empty ("(?u)") disappears; a scoped one becomes "(?:". */
static void emit_flag_group(GString *out, GArray *map, const char *s, size_t len, size_t src_offset, bool scoped) {
        g_autoptr(GString) g = g_string_new("(?");
        bool any = false;

        for (size_t k = 2; k < len - 1; k++) {
                if (s[k] == 'a' || s[k] == 'u' || s[k] == 'L')
                        continue;
                g_string_append_c(g, s[k]);
                any = any || s[k] != '-';
        }
        if (!any) {
                if (scoped)
                        emit(out, map, "(?:", 3, src_offset);
                return;
        }
        if (g->str[g->len - 1] == '-') /* "(?i-u)" → "(?i)" */
                g_string_truncate(g, g->len - 1);
        g_string_append_c(g, s[len - 1]);
        emit(out, map, g->str, g->len, src_offset);
}

/* Expands the tags and translates the few Python re constructs that PCRE2 reads differently:
 *   <HOST> <ADDR> <IP4> <IP6>          → the address patterns above (groups ip4, ip6, dns)
 *   <DNS>                              → a host name only (group dns: never resolved)
 *   <CIDR>                             → a prefix length (group cidr), as in "<ADDR>/<CIDR>"
 *   <SUBNET>                           → an address with an optional "/prefix" (ip4, ip6, cidr)
 *   <F-ADDR/> … <F-SUBNET/>            → the same as <ADDR> … <SUBNET>
 *   <F-ID/> <F-PORT/>                  → (?<fid>\S+), (?<fport>\w+)
 *   <F-NAME>…</F-NAME>                 → (?<name>…), name lower-cased with '-' → '_'
 *                                        (<F-USER> → user, <F-ID> → id, <F-CONTENT> → content,
 *                                        <F-ALT_USER> → alt_user, <F-MLFID> → mlfid: filter.c gives
 *                                        them their meaning)
 *   <SKIPLINES>                        → \n(?<skiplinesN>(?:(?:.*\n)*?)): lines a multi-line match
 *                                        passes over (N counts from 0)
 *   {,n}                               → {0,n} (PCRE2 10.42 reads "{,n}" as literal text)
 *   \Z                                 → \z (Python's \Z is PCRE2's \z: the very end)
 *   \w \W \b \B                        → the same with bytes >= 0x80 as word characters (RE_WORD)
 *   \xHH (>= 0x80), \uHHHH, \UHHHHHHHH  → the character's UTF-8 bytes, as (?:\xHH…)
 *   (?aiLmsux) flags                   → without a, u, L (PCRE2 has none of them: see emit_flag_group())
 *   (?i) after the start, at top level → moved to the start: Python up to 3.10 applied such a flag
 *                                        to the whole pattern (3.11 refuses it); PCRE2 would apply it
 *                                        only to what follows. Inside a group, PCRE2's scoping is what
 *                                        fail2ban itself makes of "((?i)…)" and "(?:(?i)…)": (?i:…).
 * Everything else is copied: (?P<n>…), (?P=n) and (?P>n) are PCRE2 syntax too, so are possessive
 * quantifiers and atomic groups (Python 3.11 has them, older ones refused them), and unknown <…> text
 * stays literal as in fail2ban. Inside a character class only \w is widened and \xHH/\u are left to
 * PCRE2 (a multi-byte character cannot be one member of a byte class). */
void filter_pattern_expand(const char *src, GString *out, GArray *map) {
        size_t n = strlen(src);
        bool in_class = false;
        unsigned depth = 0; /* open groups, F-tags included */
        g_autoptr(GArray) open = g_array_new(FALSE, FALSE, sizeof(size_t)); /* source offsets of open F-tags' names */
        g_autoptr(GString) hoisted = g_string_new(NULL);                    /* global flags moved to the start */
        g_autoptr(GArray) hoisted_map = g_array_new(FALSE, FALSE, sizeof(size_t));
        size_t out_start = out->len;
        unsigned n_skiplines = 0;

        for (size_t i = 0; i < n;) {
                char c = src[i];

                if (c == '\\') {
                        size_t l;

                        if (i + 1 >= n) {
                                emit(out, map, src + i, 1, i);
                                i++;
                        } else if (!in_class && src[i + 1] == 'Z') {
                                emit(out, map, "\\z", 2, i);
                                i += 2;
                        } else if (src[i + 1] == 'w') {
                                if (in_class)
                                        emit(out, map, "\\w\\x80-\\xff", strlen("\\w\\x80-\\xff"), i);
                                else
                                        emit(out, map, RE_WORD, strlen(RE_WORD), i);
                                i += 2;
                        } else if (!in_class && src[i + 1] == 'W') {
                                emit(out, map, RE_NOT_WORD, strlen(RE_NOT_WORD), i);
                                i += 2;
                        } else if (!in_class && src[i + 1] == 'b') {
                                emit(out, map, RE_WORD_BOUNDARY, strlen(RE_WORD_BOUNDARY), i);
                                i += 2;
                        } else if (!in_class && src[i + 1] == 'B') {
                                emit(out, map, RE_NOT_WORD_BOUNDARY, strlen(RE_NOT_WORD_BOUNDARY), i);
                                i += 2;
                        } else if (!in_class && (l = translate_code_point(src + i, n - i, out, map, i)) > 0) {
                                i += l;
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

                if (c == '(') {
                        bool scoped;
                        size_t l = parse_flag_group(src + i, n - i, &scoped);

                        if (l > 0 && !scoped && depth == 0 && out->len > out_start) {
                                emit_flag_group(hoisted, hoisted_map, src + i, l, i, scoped);
                                i += l;
                                continue;
                        }
                        if (l > 0) {
                                emit_flag_group(out, map, src + i, l, i, scoped);
                                if (scoped)
                                        depth++;
                                i += l;
                                continue;
                        }
                        depth++;
                } else if (c == ')' && depth > 0)
                        depth--;

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

                        /* fail2ban's <SKIPLINES>: the lines between the parts of a multi-line match
                         * (maxlines > 1), which stay in the buffer after the match. */
                        if (n - i >= strlen("<SKIPLINES>") && memcmp(src + i, "<SKIPLINES>", strlen("<SKIPLINES>")) == 0) {
                                g_autofree char *e = g_strdup_printf("\\n(?<skiplines%u>(?:(?:.*\\n)*?))", n_skiplines++);

                                emit(out, map, e, strlen(e), i);
                                i += strlen("<SKIPLINES>");
                                continue;
                        }

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
                                depth++;
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
                                        if (depth > 0)
                                                depth--;
                                        i += l;
                                        continue;
                                }
                        }
                }

                emit(out, map, src + i, 1, i);
                i++;
        }

        if (hoisted->len > 0) {
                g_string_insert_len(out, (gssize) out_start, hoisted->str, (gssize) hoisted->len);
                g_array_insert_vals(map, out_start, hoisted_map->data, hoisted_map->len);
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
