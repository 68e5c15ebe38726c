/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <glib.h>

#include "config.h"
#include "action-spec.h"
#include "config-internal.h"
#include "expr.h"
#include "filter-load.h"
#include "ini.h"
#include "macro.h"

/* Semantics of portcullis.conf, jails/ *.conf and filters/ *.conf (those in filter-load.c) on top of
 * ini.c. Non-logging: all problems are collected as "FILE:LINE: message" strings and handed back at once.
 *
 * Memory: everything handed out (Config, JailConfig, FilterDef) is allocated with GLib, which since
 * 2.46 always uses the system malloc(), and is freed with free() by the destructors. */

#define MAXTRACKED_DEFAULT 50000U

static const char *const protocol_table[_PROTOCOL_MAX] = {
        [PROTOCOL_TCP] = "tcp",
        [PROTOCOL_UDP] = "udp",
        [PROTOCOL_ALL] = "all",
};

const char *protocol_to_string(Protocol p) {
        return p >= 0 && p < _PROTOCOL_MAX ? protocol_table[p] : NULL;
}

Protocol protocol_from_string(const char *s) {
        for (int i = 0; s && i < _PROTOCOL_MAX; i++)
                if (streq(protocol_table[i], s))
                        return (Protocol) i;
        return _PROTOCOL_INVALID;
}

static const char *const block_type_table[_BLOCK_TYPE_MAX] = {
        [BLOCK_TYPE_DROP] = "drop",
        [BLOCK_TYPE_REJECT] = "reject",
};

const char *block_type_to_string(BlockType t) {
        return t >= 0 && t < _BLOCK_TYPE_MAX ? block_type_table[t] : NULL;
}

BlockType block_type_from_string(const char *s) {
        for (int i = 0; s && i < _BLOCK_TYPE_MAX; i++)
                if (streq(block_type_table[i], s))
                        return (BlockType) i;
        return _BLOCK_TYPE_INVALID;
}

JailConfig *jail_config_free(JailConfig *j) {
        if (!j)
                return NULL;

        free(j->name);
        free(j->file);
        free(j->filter_spec);
        filter_def_free(j->filter);
        address_list_done(&j->ignoreip);
        free(j->ports);
        free(j->journalmatch);
        free(j->journalmatch_file);
        free(j->bantime_formula);
        free(j->bantime_multipliers);
        if (j->actions)
                g_ptr_array_unref(j->actions);
        free(j);
        return NULL;
}


Config *config_free(Config *c) {
        if (!c)
                return NULL;

        for (size_t i = 0; i < c->n_jails; i++)
                jail_config_free(c->jails[i]);
        free(c->jails);
        for (size_t i = 0; i < c->n_warnings; i++)
                free(c->warnings[i]);
        free(c->warnings);
        free(c);
        return NULL;
}

static int strcmp_ptr(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Jails */

int jail_get(JailParser *p, const char *key, const char *separator, char **ret, const char **ret_file,
                    unsigned *ret_line) {
        const IniValue *v = ini_document_lookup(p->doc, p->section->name, key);
        IniLines l = {};
        int r;

        if (!v)
                return 0;

        r = ini_document_interpolate(p->doc, p->section->name, v, p->used, &l, p->errors);
        if (r < 0)
                return r;

        *ret = ini_lines_join(&l, separator);
        *ret_file = l.n > 0 ? l.lines[0].file : v->file;
        *ret_line = l.n > 0 ? l.lines[0].line : v->line;
        ini_lines_done(&l);
        return 1;
}

int parse_bool(const char *s) {
        static const char *const yes[] = { "1", "yes", "true", "on" }, *const no[] = { "0", "no", "false", "off" };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (g_ascii_strcasecmp(s, yes[i]) == 0)
                        return 1;
                if (g_ascii_strcasecmp(s, no[i]) == 0)
                        return 0;
        }
        return -EINVAL;
}

static int parse_unsigned(const char *s, unsigned min, unsigned *ret) {
        unsigned long long v;
        char *end;

        if (!g_ascii_isdigit(*s))
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0 || *end != '\0' || v > UINT_MAX)
                return -ERANGE;
        if (v < min)
                return -ERANGE;
        *ret = (unsigned) v;
        return 0;
}

static int parse_port_number(const char *s, Protocol proto, uint16_t *ret) {
        unsigned v;
        struct servent *se = NULL;

        if (g_ascii_isdigit(*s)) {
                if (parse_unsigned(s, 0, &v) < 0 || v > 65535)
                        return -ERANGE;
                *ret = (uint16_t) v;
                return 0;
        }

        if (proto != PROTOCOL_UDP)
                se = getservbyname(s, "tcp");
        if (!se && proto != PROTOCOL_TCP)
                se = getservbyname(s, "udp");
        if (!se)
                return -ENOENT;
        *ret = ntohs((uint16_t) se->s_port);
        return 0;
}

static int port_range_compare(const void *a, const void *b) {
        const PortRange *x = a, *y = b;

        return x->first < y->first ? -1 : x->first > y->first ? 1 : (int) x->last - (int) y->last;
}

int parse_ports(const char *s, Protocol proto, PortRange **ret, size_t *ret_n, char **ret_bad) {
        g_auto(GStrv) items = g_strsplit_set(s, ", \t\n", -1);
        g_autoptr(GArray) ranges = g_array_new(FALSE, FALSE, sizeof(PortRange));
        bool every = false;
        size_t n = 0;

        for (size_t i = 0; items[i]; i++) {
                const char *it = items[i];
                PortRange pr;
                char *sep;

                if (*it == '\0')
                        continue;
                if (streq(it, "all") || streq(it, "any")) {
                        every = true;
                        continue;
                }
                /* A service name may contain '-': try it whole first. */
                if (parse_port_number(it, proto, &pr.first) >= 0) {
                        pr.last = pr.first;
                        g_array_append_val(ranges, pr);
                        continue;
                }
                sep = strpbrk(it, ":-");
                if (!sep) {
                        *ret_bad = g_strdup(it);
                        return -EINVAL;
                }

                g_autofree char *a = g_strndup(it, sep - it);
                if (parse_port_number(a, proto, &pr.first) < 0 || parse_port_number(sep + 1, proto, &pr.last) < 0 ||
                    pr.first > pr.last) {
                        *ret_bad = g_strdup(it);
                        return -EINVAL;
                }
                g_array_append_val(ranges, pr);
        }

        g_array_sort(ranges, port_range_compare);
        for (guint i = 0; i < ranges->len; i++) {
                PortRange *cur = &g_array_index(ranges, PortRange, i), *last = n > 0 ? &g_array_index(ranges, PortRange, n - 1) : NULL;

                if (last && (unsigned) cur->first <= (unsigned) last->last + 1) {
                        last->last = MAX(last->last, cur->last);
                        continue;
                }
                g_array_index(ranges, PortRange, n++) = *cur;
        }
        g_array_set_size(ranges, n);

        if (every || ranges->len == 0 ||
            (n == 1 && g_array_index(ranges, PortRange, 0).first == 0 && g_array_index(ranges, PortRange, 0).last == 65535)) {
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }

        *ret_n = ranges->len;
        *ret = (PortRange *) g_array_free(TAKE_PTR(ranges), FALSE);
        return 0;
}

static int parse_ignoreip(const char *s, AddressList *l, char **ret_bad) {
        g_auto(GStrv) items = g_strsplit_set(s, ", \t\n", -1);
        int r;

        for (size_t i = 0; items[i]; i++) {
                AddressPrefix p;

                if (*items[i] == '\0')
                        continue;
                r = address_prefix_parse(items[i], &p);
                if (r < 0) {
                        *ret_bad = g_strdup(items[i]);
                        return -EINVAL;
                }
                r = address_list_add(l, &p);
                if (r < 0)
                        return r;
        }
        return 0;
}

bool jail_name_valid(const char *name) {
        size_t n = strlen(name);

        if (n == 0 || n > JAIL_NAME_MAX || !g_ascii_isalpha(name[0]))
                return false;
        for (size_t i = 1; i < n; i++)
                if (!g_ascii_isalnum(name[i]) && !strchr("_.-", name[i]))
                        return false;
        return true;
}

static const char *const jail_keys[] = {
        "enabled", "filter", "maxretry", "findtime", "bantime", "ignoreip", "ignoreself", "port",
        "protocol", "blocktype", "journalmatch", "maxtracked", "bantime.increment", "bantime.factor",
        "bantime.formula", "bantime.multipliers", "bantime.maxtime", "bantime.rndtime", "bantime.overalljails",
        "dbpurgeage", "maxlines", "maxmatches", "banprefix6", "aggregate", "aggregate.count", "aggregate.window",
        "aggregate.prefix4", "aggregate.prefix6", "action",
};

/* fail2ban jail options that we accept but do not act on yet. Prefixes end in '.' or '_'. */
static const char *const jail_keys_unsupported[] = {
        "banaction", "banaction_allports", "logpath", "backend", "usedns", "chain", "logencoding",
        "mta", "destemail", "sender", "sendername", "ignorecommand", "ignorecache",
        "datepattern", "failregex", "ignoreregex", "prefregex", "mode", "dbfile", "skip_if_nologs",
        "fail2ban_agent", "action_", "banaction.",
};

bool key_in(const char *key, const char *const *table, size_t n) {
        for (size_t i = 0; i < n; i++) {
                size_t l = strlen(table[i]);

                if (l > 0 && (table[i][l - 1] == '.' || table[i][l - 1] == '_') ? g_str_has_prefix(key, table[i])
                                                                                 : streq(key, table[i]))
                        return true;
        }
        return false;
}

static int jail_error(JailParser *p, const char *file, unsigned line, const char *format, ...) G_GNUC_PRINTF(4, 5);
static int jail_error(JailParser *p, const char *file, unsigned line, const char *format, ...) {
        g_autofree char *msg = NULL;
        va_list ap;

        va_start(ap, format);
        msg = g_strdup_vprintf(format, ap);
        va_end(ap);
        ini_error(p->errors, file, line, "%s", msg);
        return -EINVAL;
}

/* bantime.* and dbpurgeage (see config.h). Returns 0 or -EINVAL after recording every error. */
static int jail_parse_escalation(JailParser *p, JailConfig *j) {
        const char *file;
        unsigned line;
        int r, k, ok = 0;

        j->bantime_factor = 1;
        j->dbpurgeage_usec = USEC_PER_DAY;

        {
                g_autofree char *v = NULL;

                k = jail_get(p, "bantime.increment", " ", &v, &file, &line);
                if (k > 0 && (r = parse_bool(v)) < 0)
                        ok = jail_error(p, file, line, "invalid bantime.increment '%s'", v);
                else if (k > 0)
                        j->bantime_increment = r;
        }
        {
                g_autofree char *v = NULL;

                k = jail_get(p, "bantime.overalljails", " ", &v, &file, &line);
                if (k > 0 && (r = parse_bool(v)) < 0)
                        ok = jail_error(p, file, line, "invalid bantime.overalljails '%s'", v);
                else if (k > 0)
                        j->bantime_overalljails = r;
        }
        {
                g_autofree char *v = NULL;
                char *end;

                k = jail_get(p, "bantime.factor", " ", &v, &file, &line);
                if (k > 0) {
                        double f = g_ascii_strtod(g_strstrip(v), &end);

                        if (end == v || *end || !(f > 0) || f > 1e6)
                                ok = jail_error(p, file, line, "invalid bantime.factor '%s' (a number > 0)", v);
                        else
                                j->bantime_factor = f;
                }
        }
        static const struct {
                const char *key;
                size_t offset;
                bool allow_zero;
        } durations[] = {
                { "bantime.maxtime", offsetof(JailConfig, bantime_maxtime_usec), false },
                { "bantime.rndtime", offsetof(JailConfig, bantime_rndtime_usec), true },
                { "dbpurgeage", offsetof(JailConfig, dbpurgeage_usec), false },
        };
        for (size_t i = 0; i < ELEMENTSOF(durations); i++) {
                g_autofree char *v = NULL;
                usec_t u;

                k = jail_get(p, durations[i].key, " ", &v, &file, &line);
                if (k <= 0 || isempty(g_strstrip(v)))
                        continue;
                if (parse_duration(v, &u) < 0 || u == USEC_INFINITY || (u == 0 && !durations[i].allow_zero))
                        ok = jail_error(p, file, line, "invalid %s '%s'", durations[i].key, v);
                else
                        *(usec_t *) ((uint8_t *) j + durations[i].offset) = u;
        }
        {
                g_autofree char *v = NULL;

                k = jail_get(p, "bantime.multipliers", " ", &v, &file, &line);
                if (k > 0 && !isempty(g_strstrip(v))) {
                        g_auto(GStrv) parts = g_strsplit_set(v, " \t,", -1);
                        GArray *m = g_array_new(false, false, sizeof(unsigned));

                        for (char **x = parts; *x; x++) {
                                unsigned u;

                                if (!**x)
                                        continue;
                                if (parse_unsigned(*x, 1, &u) < 0) {
                                        ok = jail_error(p, file, line, "invalid bantime.multipliers entry '%s'", *x);
                                        continue;
                                }
                                g_array_append_val(m, u);
                        }
                        j->n_bantime_multipliers = m->len;
                        j->bantime_multipliers = (unsigned *) (void *) g_array_free(m, false);
                }
        }
        {
                g_autofree char *v = NULL, *error = NULL;
                Expr *e = NULL;

                k = jail_get(p, "bantime.formula", " ", &v, &file, &line);
                if (k > 0 && !isempty(g_strstrip(v))) {
                        static const ExprVariable known[] = { { "ban.Time", 0 }, { "ban.Count", 0 }, { "banFactor", 0 } };

                        r = expr_parse(v, &e, &error);
                        if (r < 0)
                                ok = jail_error(p, file, line, "invalid bantime.formula: %s", error);
                        else {
                                g_auto(GStrv) unknown = expr_unknown_variables(e, known, ELEMENTSOF(known));

                                if (unknown)
                                        ok = jail_error(p, file, line, "bantime.formula uses '%s': only ban.Time, "
                                                        "ban.Count and banFactor are known", unknown[0]);
                                else
                                        j->bantime_formula = TAKE_PTR(v);
                                expr_free(e);
                        }
                }
        }
        return ok;
}

/* banprefix6 and aggregate.* (see config.h). Returns 0 or -EINVAL after recording every error. */
static int jail_parse_prefixes(JailParser *p, JailConfig *j) {
        static const struct {
                const char *key;
                size_t offset;
                unsigned min, max;
        } lengths[] = {
                { "banprefix6", offsetof(JailConfig, banprefix6), 1, 128 },
                { "aggregate.count", offsetof(JailConfig, aggregate_count), 2, 1000 },
                { "aggregate.prefix4", offsetof(JailConfig, aggregate_prefix4), 1, 31 },
                { "aggregate.prefix6", offsetof(JailConfig, aggregate_prefix6), 1, 127 },
        };
        const char *file = NULL, *prefix6_file = NULL;
        unsigned line = 0, prefix6_line = 0;
        int r, k, ok = 0;

        j->banprefix6 = BANPREFIX6_OFF;
        j->aggregate_count = 5;
        j->aggregate_window_usec = USEC_PER_HOUR;
        j->aggregate_prefix4 = 24;
        j->aggregate_prefix6 = 48;

        for (size_t i = 0; i < ELEMENTSOF(lengths); i++) {
                g_autofree char *v = NULL;
                unsigned u;

                k = jail_get(p, lengths[i].key, " ", &v, &file, &line);
                if (k <= 0)
                        continue;
                if (parse_unsigned(g_strstrip(v), lengths[i].min, &u) < 0 || u > lengths[i].max)
                        ok = jail_error(p, file, line, "invalid %s '%s' (an integer from %u to %u)", lengths[i].key,
                                        v, lengths[i].min, lengths[i].max);
                else
                        *(unsigned *) ((uint8_t *) j + lengths[i].offset) = u;
                if (streq(lengths[i].key, "aggregate.prefix6")) {
                        prefix6_file = file;
                        prefix6_line = line;
                }
        }
        {
                g_autofree char *v = NULL;

                k = jail_get(p, "aggregate", " ", &v, &file, &line);
                if (k > 0 && (r = parse_bool(v)) < 0)
                        ok = jail_error(p, file, line, "invalid aggregate '%s'", v);
                else if (k > 0)
                        j->aggregate = r;
        }
        {
                g_autofree char *v = NULL;
                usec_t u;

                k = jail_get(p, "aggregate.window", " ", &v, &file, &line);
                if (k > 0 && (parse_duration(g_strstrip(v), &u) < 0 || u == 0 || u == USEC_INFINITY))
                        ok = jail_error(p, file, line, "invalid aggregate.window '%s'", v);
                else if (k > 0)
                        j->aggregate_window_usec = u;
        }
        /* An aggregate prefix must be wider than what it aggregates. */
        if (ok == 0 && j->aggregate && j->aggregate_prefix6 >= j->banprefix6) {
                if (!prefix6_file) {
                        prefix6_file = j->file;
                        prefix6_line = j->line;
                }
                ok = jail_error(p, prefix6_file, prefix6_line,
                                "aggregate.prefix6 = %u must be shorter than banprefix6 = %u", j->aggregate_prefix6,
                                j->banprefix6);
        }
        return ok;
}

int jail_parse(JailParser *p, JailConfig **ret) {
        _cleanup_(jail_config_freep) JailConfig *j = NULL;
        const char *name = p->section->name, *file;
        unsigned line;
        int r, k, ok = 0;

        j = g_new0(JailConfig, 1);
        *j = (JailConfig) {
                .name = g_strdup(name),
                .file = g_strdup(p->section->file),
                .line = p->section->line,
                .enabled = false,
                .maxretry = 5,
                .findtime_usec = 10 * USEC_PER_MINUTE,
                .bantime_usec = 10 * USEC_PER_MINUTE,
                .ignoreself = true,
                .protocol = PROTOCOL_TCP,
                .blocktype = BLOCK_TYPE_REJECT,
                .maxtracked = MAXTRACKED_DEFAULT,
        };

#define GET(key, sep)                                                   \
        g_autofree char *key = NULL;                                    \
        k = jail_get(p, #key, sep, &key, &file, &line);                 \
        if (k < 0)                                                      \
                ok = k;

        {
                GET(enabled, " ");
                if (k > 0) {
                        r = parse_bool(enabled);
                        if (r < 0)
                                ok = jail_error(p, file, line, "invalid enabled '%s'", enabled);
                        else
                                j->enabled = r;
                }
        }
        {
                GET(filter, " ");
                j->filter_spec = k > 0 ? g_strdup(g_strstrip(filter)) : g_strdup(name);
        }
        {
                GET(maxretry, " ");
                if (k > 0 && parse_unsigned(maxretry, 1, &j->maxretry) < 0)
                        ok = jail_error(p, file, line, "invalid maxretry '%s'", maxretry);
        }
        j->maxlines = 1;
        j->maxmatches = j->maxretry;
        {
                GET(maxlines, " ");
                if (k > 0 && parse_unsigned(maxlines, 1, &j->maxlines) < 0)
                        ok = jail_error(p, file, line, "invalid maxlines '%s' (an integer >= 1)", maxlines);
                p->maxlines_set = k > 0;
        }
        {
                GET(maxmatches, " ");
                if (k > 0 && parse_unsigned(maxmatches, 1, &j->maxmatches) < 0)
                        ok = jail_error(p, file, line, "invalid maxmatches '%s' (an integer >= 1)", maxmatches);
                p->maxmatches_set = k > 0;
        }
        {
                GET(maxtracked, " ");
                if (k > 0 && parse_unsigned(maxtracked, 1, &j->maxtracked) < 0)
                        ok = jail_error(p, file, line, "invalid maxtracked '%s'", maxtracked);
        }
        {
                GET(findtime, " ");
                if (k > 0) {
                        usec_t u;

                        if (parse_duration(findtime, &u) < 0 || u == 0 || u == USEC_INFINITY)
                                ok = jail_error(p, file, line, "invalid findtime '%s'", findtime);
                        else
                                j->findtime_usec = u;
                }
        }
        {
                GET(bantime, " ");
                if (k > 0) {
                        usec_t u;

                        if (parse_duration(bantime, &u) < 0 || u == 0)
                                ok = jail_error(p, file, line, "invalid bantime '%s'", bantime);
                        else
                                j->bantime_usec = u;
                }
        }
        {
                GET(ignoreip, " ");
                if (k > 0) {
                        g_autofree char *bad = NULL;

                        r = parse_ignoreip(ignoreip, &j->ignoreip, &bad);
                        if (r == -EINVAL)
                                ok = jail_error(p, file, line,
                                                "invalid ignoreip entry '%s' (an address or prefix; host names are not supported)",
                                                bad);
                        else if (r < 0)
                                return r;
                }
        }
        {
                GET(ignoreself, " ");
                if (k > 0) {
                        r = parse_bool(ignoreself);
                        if (r < 0)
                                ok = jail_error(p, file, line, "invalid ignoreself '%s'", ignoreself);
                        else
                                j->ignoreself = r;
                }
        }
        {
                GET(protocol, " ");
                if (k > 0) {
                        j->protocol = protocol_from_string(g_strstrip(protocol));
                        if (j->protocol < 0) {
                                ok = jail_error(p, file, line, "invalid protocol '%s' (tcp, udp or all)", protocol);
                                j->protocol = PROTOCOL_TCP;
                        }
                }
        }
        {
                GET(port, " ");
                if (k > 0) {
                        g_autofree char *bad = NULL;

                        r = parse_ports(port, j->protocol, &j->ports, &j->n_ports, &bad);
                        if (r < 0)
                                ok = jail_error(p, file, line, "invalid port '%s'", bad);
                        else if (j->protocol == PROTOCOL_ALL && j->n_ports > 0) {
                                g_ptr_array_add(p->warnings,
                                                g_strdup_printf("%s:%u: jail '%s': protocol = all matches every port, ignoring port = %s",
                                                                file, line, name, port));
                                g_clear_pointer(&j->ports, g_free);
                                j->n_ports = 0;
                        }
                }
        }
        if (!p->fail2ban) {
                GET(blocktype, " ");
                if (k > 0) {
                        j->blocktype = block_type_from_string(g_strstrip(blocktype));
                        if (j->blocktype < 0) {
                                ok = jail_error(p, file, line, "invalid blocktype '%s' (drop or reject)", blocktype);
                                j->blocktype = BLOCK_TYPE_REJECT;
                        }
                }
        }
        r = jail_parse_escalation(p, j);
        if (r < 0)
                ok = r;
        r = jail_parse_prefixes(p, j);
        if (r < 0)
                ok = r;
        {
                GET(journalmatch, " ");
                if (k > 0 && !isempty(journalmatch)) {
                        j->journalmatch = TAKE_PTR(journalmatch);
                        j->journalmatch_file = g_strdup(file);
                        j->journalmatch_line = line;
                }
        }
        if (!p->fail2ban) {
                /* action = name[args] …: action-spec.c parses it, definitions in actions/NAME.conf */
                GET(action, "\n");
                if (k > 0) {
                        const char *dirs[] = { p->paths->config_dir, p->paths->vendor_dir, NULL };

                        if (!dirs[0])
                                dirs[0] = dirs[1], dirs[1] = NULL;
                        r = action_specs_parse(action, file, line, dirs, p->errors, &j->actions);
                        if (r < 0)
                                ok = r;
                }
        }
#undef GET

        /* Keys the jail section itself sets that we do not know. Keys from [DEFAULT] are exempt: they
         * are often only there to be interpolated. (fail2ban's keys are judged by config-fail2ban.c.) */
        for (guint i = 0; !p->fail2ban && i < p->section->values->len; i++) {
                const IniValue *v = p->section->values->pdata[i];

                if (key_in(v->key, jail_keys, ELEMENTSOF(jail_keys)) || g_hash_table_contains(p->used, v->key))
                        continue;
                if (key_in(v->key, jail_keys_unsupported, ELEMENTSOF(jail_keys_unsupported)))
                        g_ptr_array_add(p->warnings,
                                        g_strdup_printf("%s:%u: key '%s' in jail '%s' is not supported yet, ignoring",
                                                        v->file, v->line, v->key, name));
                else
                        g_ptr_array_add(p->warnings,
                                        g_strdup_printf("%s:%u: unknown key '%s' in jail '%s', ignoring",
                                                        v->file, v->line, v->key, name));
        }

        if (ok < 0)
                return ok;

        *ret = TAKE_PTR(j);
        return 0;
}

int jail_load_filter(JailParser *p, JailConfig *j) {
        const IniValue *v = ini_document_lookup(p->doc, j->name, "filter");
        const char *file = v ? v->file : j->file;
        unsigned line = v ? v->line : j->line;
        FilterDef *def = NULL;
        int r;

        r = filter_load(p->paths, j->filter_spec, j->name, file, line, &def, p->errors);
        if (r < 0)
                return r;

        j->filter = def;
        if (def->n_failregex == 0) {
                ini_error(p->errors, file, line, "jail '%s': filter '%s' (%s) has no failregex", j->name, def->name,
                          def->file);
                return -EINVAL;
        }
        if (!p->maxlines_set && def->maxlines > 0)
                j->maxlines = def->maxlines;
        if (!p->maxmatches_set && def->maxmatches > 0)
                j->maxmatches = def->maxmatches;
        if (!j->journalmatch && !isempty(def->journalmatch)) {
                j->journalmatch = g_strdup(def->journalmatch);
                j->journalmatch_file = g_strdup(def->journalmatch_file);
                j->journalmatch_line = def->journalmatch_line;
        }
        return 0;
}

int jail_config_compare(const void *a, const void *b) {
        return strcmp((*(JailConfig *const *) a)->name, (*(JailConfig *const *) b)->name);
}

/* Names of jails/ *.conf over both dirs (admin masks vendor by name), sorted. */
static GPtrArray *list_jail_files(const SearchPath *sp) {
        g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        GPtrArray *names = g_ptr_array_new_with_free_func(g_free);

        for (size_t i = 0; sp->dirs[i]; i++) {
                g_autofree char *p = g_build_filename(sp->dirs[i], "jails", NULL);
                g_autoptr(GDir) dir = g_dir_open(p, 0, NULL);
                const char *de;

                if (!dir)
                        continue;
                while ((de = g_dir_read_name(dir))) {
                        g_autofree char *fp = g_build_filename(p, de, NULL);
                        struct stat st;

                        if (!g_str_has_suffix(de, ".conf") || g_hash_table_contains(seen, de))
                                continue;
                        if (stat(fp, &st) < 0 || !S_ISREG(st.st_mode))
                                continue;
                        g_hash_table_add(seen, g_strdup(de));
                        g_ptr_array_add(names, g_strdup(de));
                }
        }
        g_ptr_array_sort(names, strcmp_ptr);
        return names;
}

void jail_config_free_void(void *j) {
        jail_config_free(j);
}

int config_load(const ConfigPaths *paths, Config **ret, char **ret_error) {
        g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GPtrArray) jails = g_ptr_array_new_with_free_func(jail_config_free_void);
        g_autoptr(GHashTable) jail_names = g_hash_table_new(g_str_hash, g_str_equal);
        _cleanup_(ini_document_freep) IniDocument *global = ini_document_new();
        _cleanup_(search_path_done) SearchPath sp = {};
        g_autoptr(GPtrArray) files = NULL;
        int r, failed = 0;

        assert(paths);
        assert(paths->config_dir);
        assert(ret);

        search_path_add(&sp, paths->config_dir, NULL);
        search_path_add(&sp, paths->vendor_dir, NULL);

        /* 1. portcullis.conf: defaults for every jail, nothing else. */
        r = ini_document_read_unit(global, sp.dirs, "portcullis.conf", errors);
        if (r < 0 && r != -ENOENT)
                failed = r;
        for (guint i = 0; i < global->sections->len; i++) {
                const IniSection *s = global->sections->pdata[i];

                if (streq(s->name, "DEFAULT"))
                        continue;
                ini_error(errors, s->file, s->line, "section [%s] not allowed in portcullis.conf, jails belong in jails/*.conf",
                          s->name);
                failed = -EINVAL;
        }

        /* 2. jails/ *.conf, each on top of the global [DEFAULT]. */
        files = list_jail_files(&sp);
        for (guint i = 0; i < files->len; i++) {
                _cleanup_(ini_document_freep) IniDocument *doc = ini_document_new();
                g_autofree char *relpath = g_build_filename("jails", files->pdata[i], NULL);
                g_autoptr(GHashTable) used = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

                ini_document_merge_section(doc, global, "DEFAULT");
                r = ini_document_read_unit(doc, sp.dirs, relpath, errors);
                if (r < 0) {
                        failed = r;
                        continue;
                }

                for (guint s = 0; s < doc->sections->len; s++) {
                        const IniSection *section = doc->sections->pdata[s];
                        const JailConfig *other;
                        JailConfig *j = NULL;

                        if (streq(section->name, "DEFAULT"))
                                continue;
                        if (!jail_name_valid(section->name)) {
                                ini_error(errors, section->file, section->line,
                                          "invalid jail name '%s' (a letter, then up to %u letters, digits, '_', '.' or '-')",
                                          section->name, JAIL_NAME_MAX - 1);
                                failed = -EINVAL;
                                continue;
                        }
                        other = g_hash_table_lookup(jail_names, section->name);
                        if (other) {
                                ini_error(errors, section->file, section->line,
                                          "jail '%s' is already defined in %s:%u", section->name, other->file,
                                          other->line);
                                failed = -EINVAL;
                                continue;
                        }

                        g_hash_table_remove_all(used);
                        JailParser p = {
                                .paths = paths,
                                .doc = doc,
                                .section = section,
                                .used = used,
                                .errors = errors,
                                .warnings = warnings,
                        };
                        r = jail_parse(&p, &j);
                        if (r < 0) {
                                failed = r;
                                continue;
                        }
                        g_ptr_array_add(jails, j);
                        g_hash_table_insert(jail_names, j->name, j);

                        if (j->enabled) {
                                r = jail_load_filter(&p, j);
                                if (r < 0)
                                        failed = r;
                        }
                }
        }

        if (failed < 0 || errors->len > 0) {
                if (ret_error)
                        *ret_error = ini_errors_join(errors);
                return failed < 0 ? failed : -EINVAL;
        }

        *ret = config_new_steal(jails, warnings);
        return 0;
}

Config *config_new_steal(GPtrArray *jails, GPtrArray *warnings) {
        Config *c;

        g_ptr_array_sort(jails, jail_config_compare);

        c = g_new0(Config, 1);
        c->n_jails = jails->len;
        c->jails = (JailConfig **) g_ptr_array_steal(jails, NULL);
        c->n_warnings = warnings->len;
        g_ptr_array_add(warnings, NULL);
        c->warnings = (char **) g_ptr_array_steal(warnings, NULL);
        return c;
}
