/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <assert.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <glib.h>

#include "config.h"
#include "config-internal.h"
#include "filter-load.h"
#include "ini.h"
#include "macro.h"

/* An existing fail2ban configuration directory, read as it is: the jail files layered the way fail2ban
 * layers them, every jail parsed by config.c's jail parser (in its fail2ban mode), filters from
 * DIR/filter.d through filter-load.c. What is specific to fail2ban is judged here: backend and logpath
 * (can the jail read the journal?), actions (which map onto our nftables ban, which we do not do),
 * and the keys we accept without acting on them. Non-logging, like config.c. */

/* fail2ban keys we understand here, or that have no meaning when reading the journal with our own
 * nftables table: accepted silently. Prefixes end in '.' or '_'. */
static const char *const fail2ban_keys_silent[] = {
        "enabled", "filter", "maxretry", "findtime", "bantime", "ignoreip", "ignoreself", "port",
        "protocol", "blocktype", "journalmatch", "maxtracked", "bantime.increment", "bantime.factor",
        "bantime.formula", "bantime.multipliers", "bantime.maxtime", "bantime.rndtime", "bantime.overalljails",
        "logpath", "backend", "action", "banaction", "banaction_allports", "usedns", "mode", "chain",
        "logencoding", "datepattern", "maxlines", "maxmatches", "mta", "destemail", "sender", "sendername",
        "fail2ban_agent", "dbfile", "dbpurgeage", "skip_if_nologs", "action_", "logtimezone",
};

/* fail2ban keys that change what a jail does and that we do not do (yet). */
static const char *const fail2ban_keys_unsupported[] = {
        "failregex", "ignoreregex", "prefregex", "ignorecommand", "ignorecache",
        "journalflags", "timeout",
};

/* Action names (lower-cased, after interpolation) that are firewall bans: ours does the same. */
static const char *const ban_action_prefixes[] = {
        "iptables", "ip6tables", "nftables", "firewallcmd",
};

/* Actions that notify or report rather than ban. */
static const char *const report_action_words[] = {
        "mail", "whois", "xarf", "abuseipdb", "blocklist_de", "dshield", "mynetwatchman", "badips",
        "cloudflare", "apprise", "complain", "smtp",
};

static bool has_prefix_in(const char *s, const char *const *table, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (g_str_has_prefix(s, table[i]))
                        return true;
        return false;
}

static bool has_word_in(const char *s, const char *const *table, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (strstr(s, table[i]))
                        return true;
        return false;
}

/* fail2ban's blocktype values: nftables "reject"/"drop", iptables "REJECT --reject-with …"/"DROP".
 * Only the verb counts: we choose the ICMP type ourselves. */
static BlockType block_type_from_fail2ban(const char *s) {
        g_autofree char *verb = NULL;

        s += strspn(s, " \t");
        verb = g_ascii_strdown(s, strcspn(s, " \t"));
        return block_type_from_string(verb);
}

/* Splits an action value into its action specifications: at blanks and line ends outside brackets and
 * quotes (an argument list may continue on the next line). Consecutive bracket groups
 * ("nftables[blocktype=drop][port=ssh]", which fail2ban's "action_ = %(banaction)s[…]" makes from
 * "banaction = nftables[blocktype=drop]") are merged into one. Each spec is paired in ORIGINS with the
 * line it starts on. */
static GPtrArray *split_actions(const IniLines *l, GPtrArray *origins) {
        GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GString) cur = g_string_new(NULL);
        g_autoptr(GString) text = g_string_new(NULL);
        g_autoptr(GArray) line_of = g_array_new(FALSE, FALSE, sizeof(size_t));
        size_t start = 0;
        unsigned depth = 0;
        char quote = 0;

        /* One text, with the line index of every byte. */
        for (size_t i = 0; i < l->n; i++) {
                size_t n = strlen(l->lines[i].text) + 1;

                g_string_append(text, l->lines[i].text);
                g_string_append_c(text, '\n');
                for (size_t k = 0; k < n; k++)
                        g_array_append_val(line_of, i);
        }

        for (const char *p = text->str;; p++) {
                if (*p == '\0' || (depth == 0 && !quote && g_ascii_isspace(*p))) {
                        if (cur->len > 0) {
                                g_ptr_array_add(out, g_strdup(cur->str));
                                g_ptr_array_add(origins, (gpointer) &l->lines[g_array_index(line_of, size_t, start)]);
                        }
                        g_string_truncate(cur, 0);
                        if (*p == '\0')
                                break;
                        continue;
                }
                if (cur->len == 0)
                        start = (size_t) (p - text->str);
                if (*p == '\n') {
                        g_string_append_c(cur, ' ');
                        continue;
                }
                if (quote) {
                        if (*p == quote)
                                quote = 0;
                } else if (depth > 0 && (*p == '"' || *p == '\''))
                        quote = *p;
                else if (*p == '[') {
                        if (depth == 0 && cur->len > 0 && cur->str[cur->len - 1] == ']') {
                                /* "][": continue the same argument list */
                                g_string_truncate(cur, cur->len - 1);
                                g_string_append(cur, ", ");
                                depth++;
                                continue;
                        }
                        depth++;
                } else if (*p == ']' && depth > 0)
                        depth--;
                g_string_append_c(cur, *p);
        }
        return out;
}

typedef struct Fail2banLoader {
        const char *dir;
        ConfigPaths filter_paths; /* .filter_dir = DIR/filter.d */
        IniDocument *doc;
        ConfigFail2banFlags flags;
        GPtrArray *errors;
        GPtrArray *warnings;
} Fail2banLoader;

/* The jail's actions: the ban action's arguments (blocktype, port, protocol) are applied to J, the
 * others reported. */
static int jail_apply_actions(JailParser *p, JailConfig *j) {
        const IniValue *v = ini_document_lookup(p->doc, j->name, "action");
        bool banned = false;
        IniLines l = {};
        int r, failed = 0;

        if (!v)
                return 0;
        r = ini_document_interpolate(p->doc, j->name, v, p->used, &l, p->errors);
        if (r < 0)
                return r;

        g_autoptr(GPtrArray) origins = g_ptr_array_new();
        g_autoptr(GPtrArray) specs = split_actions(&l, origins);
        {
                for (guint k = 0; k < specs->len; k++) {
                        const IniLine *line = origins->pdata[k];
                        g_autoptr(GHashTable) args = NULL;
                        g_autofree char *name = NULL, *msg = NULL, *lower = NULL;
                        const char *a;

                        r = filter_spec_parse(specs->pdata[k], &name, &args, &msg);
                        if (r < 0) {
                                ini_error(p->warnings, line->file, line->line, "jail '%s': cannot parse action '%s' (%s), ignoring",
                                            j->name, (const char *) specs->pdata[k], msg);
                                continue;
                        }
                        lower = g_ascii_strdown(name, -1);

                        if (!has_prefix_in(lower, ban_action_prefixes, ELEMENTSOF(ban_action_prefixes))) {
                                if (has_word_in(lower, report_action_words, ELEMENTSOF(report_action_words)))
                                        ini_error(p->warnings, line->file, line->line,
                                                    "jail '%s': action '%s' (mail/report) is not supported yet, ignoring it "
                                                    "(the ban itself is carried over)", j->name, name);
                                else
                                        ini_error(p->warnings, line->file, line->line,
                                                    "jail '%s': unknown action '%s', ignoring it (portcullis bans in its own "
                                                    "nftables table)", j->name, name);
                                continue;
                        }

                        /* A ban. The first one decides; fail2ban jails have one. */
                        if (banned)
                                continue;
                        banned = true;

                        a = g_hash_table_lookup(args, "blocktype");
                        if (a) {
                                BlockType t = block_type_from_fail2ban(a);

                                if (g_ascii_strncasecmp(a, "return", 6) == 0 || g_ascii_strncasecmp(a, "accept", 6) == 0) {
                                        /* pass2allow-style jails let the matched addresses in: the
                                         * opposite of a ban. Banning them instead would be wrong. */
                                        ini_error(p->errors, line->file, line->line,
                                                  "jail '%s': blocktype '%s' of action '%s' allows the addresses instead "
                                                  "of banning them, which portcullis cannot do", j->name, a, name);
                                        failed = -EINVAL;
                                } else if (t < 0)
                                        ini_error(p->warnings, line->file, line->line,
                                                    "jail '%s': blocktype '%s' of action '%s' is not supported (drop or "
                                                    "reject), using %s", j->name, a, name, block_type_to_string(j->blocktype));
                                else
                                        j->blocktype = t;
                        }
                        a = g_hash_table_lookup(args, "protocol");
                        if (a && !isempty(a)) {
                                Protocol pr = protocol_from_string(a);

                                if (pr < 0)
                                        ini_error(p->warnings, line->file, line->line,
                                                    "jail '%s': protocol '%s' of action '%s' is not supported (tcp, udp or "
                                                    "all), using %s", j->name, a, name, protocol_to_string(j->protocol));
                                else
                                        j->protocol = pr;
                        }
                        if (strstr(lower, "allports") || j->protocol == PROTOCOL_ALL) {
                                g_clear_pointer(&j->ports, g_free);
                                j->n_ports = 0;
                                continue;
                        }
                        a = g_hash_table_lookup(args, "port");
                        if (a && !isempty(a)) {
                                g_autofree char *bad = NULL;
                                PortRange *ports = NULL;
                                size_t n_ports = 0;

                                if (parse_ports(a, j->protocol, &ports, &n_ports, &bad) < 0) {
                                        ini_error(p->errors, line->file, line->line, "jail '%s': invalid port '%s' in action '%s'",
                                                  j->name, bad, name);
                                        failed = -EINVAL;
                                } else {
                                        free(j->ports);
                                        j->ports = ports;
                                        j->n_ports = n_ports;
                                }
                        }
                }
        }

        if (!banned)
                ini_error(p->warnings, v->file, v->line,
                            "jail '%s' has no firewall action under fail2ban (it only notifies or does nothing); "
                            "portcullis bans", j->name);
        ini_lines_done(&l);
        return failed;
}

/* Whether J, whose filter is loaded, can read the journal: backend = systemd, or another backend and a
 * journalmatch (jail's or filter's) that tells us where its messages are in the journal. */
static int jail_check_backend(JailParser *p, JailConfig *j) {
        g_autofree char *backend = NULL, *logpath = NULL, *name = NULL, *lname = NULL, *msg = NULL;
        g_autoptr(GHashTable) args = NULL;
        const char *bfile = j->file, *lfile = NULL;
        unsigned bline = j->line, lline = 0;
        const IniValue *v;
        int r;

        /* Errors point at the "key =" line in the jail (or [DEFAULT]), where the fix goes, not at the
         * line of an interpolated variable. */
        r = jail_get(p, "backend", " ", &backend, &bfile, &bline);
        if (r < 0)
                return r;
        v = ini_document_lookup(p->doc, j->name, "backend");
        if (v) {
                bfile = v->file;
                bline = v->line;
        }
        if (r == 0 || isempty(backend)) {
                g_free(backend);
                backend = g_strdup("auto");
        }
        r = jail_get(p, "logpath", " ", &logpath, &lfile, &lline);
        if (r < 0)
                return r;
        v = ini_document_lookup(p->doc, j->name, "logpath");
        if (v) {
                lfile = v->file;
                lline = v->line;
        }

        r = filter_spec_parse(backend, &name, &args, &msg);
        if (r < 0) {
                ini_error(p->errors, bfile, bline, "jail '%s': invalid backend: %s", j->name, msg);
                return r;
        }
        lname = g_ascii_strdown(name, -1);

        if (streq(lname, "systemd")) {
                if (g_hash_table_size(args) > 0)
                        ini_error(p->warnings, bfile, bline,
                                    "jail '%s': backend arguments '%s' are ignored (portcullis reads the journal it is "
                                    "given with --journal-directory/--journal-file, else the system journal)",
                                    j->name, backend);
                return 0;
        }
        if (!streq(lname, "auto") && !streq(lname, "polling") && !streq(lname, "pyinotify") && !streq(lname, "gamin")) {
                ini_error(p->errors, bfile, bline, "jail '%s': unknown backend '%s' (systemd, auto, polling, pyinotify "
                          "or gamin)", j->name, backend);
                return -EINVAL;
        }

        if (!isempty(j->journalmatch)) {
                ini_error(p->warnings, bfile, bline,
                            "jail '%s': backend = %s would read %s under fail2ban; portcullis reads the journal entries "
                            "matching '%s' instead (set backend = systemd to silence this)",
                            j->name, backend, isempty(logpath) ? "its log files" : logpath, j->journalmatch);
                return 0;
        }

        /* Only log files: we cannot read them. An error, not a warning: an enabled jail is the
         * administrator's explicit wish to protect a service, and a service silently left unprotected
         * after a migration is worse than a refusal that says what to do. */
        ini_error(p->errors, lfile ? lfile : bfile, lfile ? lline : bline,
                  "jail '%s' reads only log files (backend = %s, logpath = %s) and neither it nor its filter '%s' has "
                  "a journalmatch, but portcullis reads only the journal: make the service log to the journal "
                  "(syslog or stderr under systemd) and add 'journalmatch = _SYSTEMD_UNIT=<unit>.service' to [%s] "
                  "in jail.local, or set 'enabled = false' there",
                  j->name, backend, isempty(logpath) ? "(none)" : logpath, j->filter_spec, j->name);
        return -EINVAL;
}

/* Keys of an enabled jail that we accept without acting on them, or not at all. */
static void jail_check_keys(JailParser *p, JailConfig *j) {
        g_autofree char *value = NULL;
        const char *file;
        unsigned line;

        for (guint i = 0; i < p->section->values->len; i++) {
                const IniValue *v = p->section->values->pdata[i];

                if (key_in(v->key, fail2ban_keys_silent, ELEMENTSOF(fail2ban_keys_silent)) ||
                    g_hash_table_contains(p->used, v->key))
                        continue;
                if (key_in(v->key, fail2ban_keys_unsupported, ELEMENTSOF(fail2ban_keys_unsupported)))
                        ini_error(p->warnings, v->file, v->line, "key '%s' in jail '%s' is not supported yet, ignoring",
                                    v->key, j->name);
                else
                        ini_error(p->warnings, v->file, v->line, "unknown key '%s' in jail '%s', ignoring", v->key,
                                    j->name);
        }

        /* The same keys in [DEFAULT] still change what every jail does under fail2ban. */
        if (!ini_section_get(p->section, "ignorecommand") && jail_get(p, "ignorecommand", " ", &value, &file, &line) > 0 &&
            !isempty(value))
                ini_error(p->warnings, file, line, "jail '%s': ignorecommand is not supported yet, ignoring", j->name);
        g_clear_pointer(&value, g_free);
        if (jail_get(p, "usedns", " ", &value, &file, &line) > 0 && g_ascii_strcasecmp(value, "yes") == 0)
                ini_error(p->warnings, file, line,
                            "jail '%s': usedns = yes: portcullis never resolves host names, a failure logged with "
                            "a host name only is not counted", j->name);

        g_autofree char *dropins = g_strdup_printf("%s.d", j->filter->file);
        if (g_str_has_suffix(j->filter->file, ".conf")) {
                g_free(dropins);
                dropins = g_strdup_printf("%.*s.d", (int) (strlen(j->filter->file) - strlen(".conf")),
                                          j->filter->file);
        }
        if (g_file_test(dropins, G_FILE_TEST_IS_DIR))
                ini_error(p->warnings, dropins, 0, "jail '%s': filter drop-in directories are not read, ignoring",
                            j->name);
}

/* Handles one jail section. Returns 0 (with *ret NULL for a skipped jail) or a negative errno with
 * the problems in p->errors. */
static int load_jail(Fail2banLoader *l, JailParser *p, JailConfig **ret) {
        _cleanup_(jail_config_freep) JailConfig *j = NULL;
        const IniSection *s = p->section;
        g_autofree char *enabled_s = NULL;
        const char *file;
        unsigned line;
        int r, enabled = 0;

        r = jail_get(p, "enabled", " ", &enabled_s, &file, &line);
        if (r < 0)
                return r;
        if (r > 0) {
                enabled = parse_bool(g_strstrip(enabled_s));
                if (enabled < 0) {
                        ini_error(p->errors, file, line, "invalid enabled '%s'", enabled_s);
                        return -EINVAL;
                }
        }

        if (!jail_name_valid(s->name)) {
                if (enabled) {
                        ini_error(p->errors, s->file, s->line,
                                  "invalid jail name '%s' for portcullis (a letter, then up to %u letters, digits, "
                                  "'_', '.' or '-'): disable it and define it again under another name in "
                                  "jail.local, e.g. [%s%s] with filter = %s",
                                  s->name, JAIL_NAME_MAX - 1, g_ascii_isalpha(s->name[0]) ? "" : "x", s->name, s->name);
                        return -EINVAL;
                }
                ini_error(l->warnings, s->file, s->line,
                            "disabled jail '%s' has a name portcullis cannot use, skipping it", s->name);
                *ret = NULL;
                return 0;
        }

        if (!enabled) {
                /* Disabled jails are templates: one we cannot parse is skipped, not fatal. */
                g_autoptr(GPtrArray) scratch = g_ptr_array_new_with_free_func(g_free);
                GPtrArray *errors = p->errors;

                p->errors = scratch;
                r = jail_parse(p, &j);
                p->errors = errors;
                if (r < 0) {
                        ini_error(l->warnings, s->file, s->line, "disabled jail '%s' cannot be represented (%s), skipping it",
                                    s->name, scratch->len > 0 ? (const char *) scratch->pdata[0] : g_strerror(-r));
                        *ret = NULL;
                        return 0;
                }
                *ret = TAKE_PTR(j);
                return 0;
        }

        r = jail_parse(p, &j);
        if (r < 0)
                return r;
        r = jail_apply_actions(p, j);
        if (r < 0)
                return r;
        r = jail_load_filter(p, j);
        if (r < 0)
                return r;
        r = jail_check_backend(p, j);
        if (r < 0)
                return r;
        jail_check_keys(p, j);

        *ret = TAKE_PTR(j);
        return 0;
}

static int strcmp_ptr(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* DIR/jail.d/ *SUFFIX, sorted, as relative paths. */
static GPtrArray *list_dropins(const char *dir, const char *suffix) {
        g_autofree char *p = g_build_filename(dir, "jail.d", NULL);
        g_autoptr(GDir) d = g_dir_open(p, 0, NULL);
        GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
        const char *de;

        while (d && (de = g_dir_read_name(d))) {
                g_autofree char *fp = g_build_filename(p, de, NULL);

                if (g_str_has_suffix(de, suffix) && de[0] != '.' && g_file_test(fp, G_FILE_TEST_IS_REGULAR))
                        g_ptr_array_add(names, g_build_filename("jail.d", de, NULL));
        }
        g_ptr_array_sort(names, strcmp_ptr);
        return names;
}

/* fail2ban's layering: jail.conf, jail.d/ *.conf, jail.local, jail.d/ *.local, later files overriding
 * earlier ones key by key. Returns the number of files read, or a negative errno. */
static int read_jail_files(Fail2banLoader *l) {
        const char *const dirs[] = { l->dir, NULL };
        g_autoptr(GPtrArray) confs = list_dropins(l->dir, ".conf"), locals = list_dropins(l->dir, ".local");
        g_autoptr(GPtrArray) files = g_ptr_array_new();
        int r, n = 0, failed = 0;

        g_ptr_array_add(files, (char *) "jail.conf");
        g_ptr_array_extend(files, confs, NULL, NULL);
        g_ptr_array_add(files, (char *) "jail.local");
        g_ptr_array_extend(files, locals, NULL, NULL);

        for (guint i = 0; i < files->len; i++) {
                r = ini_document_read_file(l->doc, dirs, files->pdata[i], l->errors);
                if (r == -ENOENT)
                        continue;
                n++;
                if (r < 0)
                        failed = r;
        }
        if (failed < 0)
                return failed;
        if (n == 0) {
                ini_error(l->errors, l->dir, 0,
                          "no jail.conf, jail.local or jail.d/*.conf|*.local: not a fail2ban configuration directory");
                return -ENOENT;
        }
        return n;
}

int config_load_fail2ban_full(const char *dir, ConfigFail2banFlags flags, Config **ret, char **ret_error) {
        g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GPtrArray) jails = g_ptr_array_new_with_free_func(jail_config_free_void);
        _cleanup_(ini_document_freep) IniDocument *doc = ini_document_new();
        g_autofree char *filter_dir = NULL;
        int r, failed = 0;

        assert(dir);
        assert(ret);

        filter_dir = g_build_filename(dir, "filter.d", NULL);
        Fail2banLoader l = {
                .dir = dir,
                .filter_paths = { .filter_dir = filter_dir },
                .doc = doc,
                .flags = flags,
                .errors = errors,
                .warnings = warnings,
        };

        r = read_jail_files(&l);
        if (r < 0)
                failed = r;

        for (guint i = 0; failed == 0 && i < doc->sections->len; i++) {
                const IniSection *s = doc->sections->pdata[i];
                g_autoptr(GHashTable) used = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
                g_autoptr(GPtrArray) jail_errors = g_ptr_array_new_with_free_func(g_free);
                JailConfig *j = NULL;

                if (streq(s->name, "DEFAULT"))
                        continue;

                JailParser p = {
                        .paths = &l.filter_paths,
                        .doc = doc,
                        .section = s,
                        .used = used,
                        .errors = jail_errors,
                        .warnings = warnings,
                        .fail2ban = true,
                };
                r = load_jail(&l, &p, &j);
                if (r < 0 && jail_errors->len == 0)
                        ini_error(jail_errors, s->file, s->line, "jail '%s': %s", s->name, g_strerror(-r));
                if (jail_errors->len > 0) {
                        j = jail_config_free(j);
                        if (!(flags & CONFIG_FAIL2BAN_SKIP_BROKEN_JAILS)) {
                                for (guint k = 0; k < jail_errors->len; k++)
                                        g_ptr_array_add(errors, g_strdup(jail_errors->pdata[k]));
                                continue;
                        }
                        for (guint k = 0; k < jail_errors->len; k++)
                                g_ptr_array_add(warnings, g_strdup_printf("%s (jail '%s' not imported)",
                                                                          (const char *) jail_errors->pdata[k], s->name));
                        continue;
                }
                if (j)
                        g_ptr_array_add(jails, j);
        }

        if (failed < 0 || errors->len > 0) {
                if (ret_error)
                        *ret_error = ini_errors_join(errors);
                return failed < 0 ? failed : -EINVAL;
        }

        *ret = config_new_steal(jails, warnings);
        return 0;
}

int config_load_fail2ban(const char *dir, Config **ret, char **ret_error) {
        return config_load_fail2ban_full(dir, 0, ret, ret_error);
}
