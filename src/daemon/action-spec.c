/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "action-spec.h"
#include "addr.h"
#include "ini.h"

static const char *const action_type_table[_ACTION_TYPE_MAX] = {
        [ACTION_NFT] = "nftables",
        [ACTION_HOSTSDENY] = "hostsdeny",
        [ACTION_MAIL] = "mail",
        [ACTION_WEBHOOK] = "webhook",
        [ACTION_ABUSEIPDB] = "abuseipdb",
        [ACTION_BLOCKLISTDE] = "blocklistde",
        [ACTION_COMMAND] = "command",
};

const char *action_type_to_string(ActionType t) {
        return t >= 0 && t < _ACTION_TYPE_MAX ? action_type_table[t] : NULL;
}

ActionType action_type_from_string(const char *s) {
        for (int i = 0; s && i < _ACTION_TYPE_MAX; i++)
                if (streq(action_type_table[i], s))
                        return (ActionType) i;
        return _ACTION_TYPE_INVALID;
}

ActionType action_type_from_name(const char *name) {
        static const struct {
                const char *prefix;
                ActionType type;
        } stock[] = {
                { "iptables", ACTION_NFT },   { "nftables", ACTION_NFT }, { "firewallcmd", ACTION_NFT },
                { "shorewall", ACTION_NFT },  { "sendmail", ACTION_MAIL }, { "mail", ACTION_MAIL },
                { "blocklist_de", ACTION_BLOCKLISTDE },
        };
        ActionType t = action_type_from_string(name);

        if (t >= 0)
                return t;
        for (size_t i = 0; i < ELEMENTSOF(stock); i++)
                if (g_str_has_prefix(name, stock[i].prefix))
                        return stock[i].type;
        return _ACTION_TYPE_INVALID;
}

static const char *const action_hook_table[_ACTION_HOOK_MAX] = {
        [ACTION_HOOK_START] = "start", [ACTION_HOOK_STOP] = "stop", [ACTION_HOOK_BAN] = "ban",
        [ACTION_HOOK_UNBAN] = "unban", [ACTION_HOOK_CHECK] = "check",
};

const char *action_hook_to_string(ActionHook h) {
        return h >= 0 && h < _ACTION_HOOK_MAX ? action_hook_table[h] : NULL;
}

ActionSpec *action_spec_free(ActionSpec *s) {
        if (!s)
                return NULL;
        free(s->name);
        if (s->args)
                g_hash_table_unref(s->args);
        free(s->file);
        free(s->def_file);
        free(s);
        return NULL;
}

static void action_spec_free_void(void *s) {
        action_spec_free(s);
}

const char *action_spec_get(const ActionSpec *s, const char *key) {
        return g_hash_table_lookup(s->args, key);
}

static int strcmp_ptr(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

char *action_spec_fingerprint(const ActionSpec *s) {
        g_autofree const char **keys = (const char **) g_hash_table_get_keys_as_array(s->args, NULL);
        GString *f = g_string_new(NULL);
        guint n = g_hash_table_size(s->args);

        qsort(keys, n, sizeof(char *), strcmp_ptr);
        g_string_append_printf(f, "%s\x1f%s", action_type_to_string(s->type), s->name);
        for (guint i = 0; i < n; i++)
                g_string_append_printf(f, "\x1f%s=%s", keys[i], (const char *) g_hash_table_lookup(s->args, keys[i]));
        return g_string_free(f, false);
}

/* ---- the list syntax ------------------------------------------------------------------------- */

static bool name_char(char c) {
        return g_ascii_isalnum(c) || (c != '\0' && strchr("_.-", c));
}

/* Parses "key=value, key2="quoted, value"" up to the closing ']' at *p; advances *p past it. */
static int parse_args(const char **p, GHashTable *args, char **ret_error) {
        const char *s = *p;

        for (;;) {
                g_autofree char *key = NULL;
                GString *value;
                const char *k;

                while (g_ascii_isspace(*s) || *s == ',')
                        s++;
                if (*s == ']') {
                        *p = s + 1;
                        return 0;
                }
                k = s;
                while (name_char(*s))
                        s++;
                if (s == k) {
                        *ret_error = *s ? g_strdup_printf("unexpected '%c' in action arguments", *s)
                                        : g_strdup("missing ']' after action arguments");
                        return -EINVAL;
                }
                key = g_ascii_strdown(k, s - k);
                while (*s == ' ' || *s == '\t')
                        s++;
                if (*s != '=') {
                        *ret_error = g_strdup_printf("action argument '%s' without '=value'", key);
                        return -EINVAL;
                }
                s++;
                while (*s == ' ' || *s == '\t')
                        s++;
                value = g_string_new(NULL);
                if (*s == '"' || *s == '\'') {
                        char q = *s++;

                        while (*s && *s != q)
                                g_string_append_c(value, *s++);
                        if (*s != q) {
                                g_string_free(value, true);
                                *ret_error = g_strdup_printf("unterminated quote in action argument '%s'", key);
                                return -EINVAL;
                        }
                        s++;
                } else {
                        int depth = 0;

                        while (*s && *s != ',' && !(*s == ']' && depth == 0)) {
                                if (*s == '[')
                                        depth++;
                                else if (*s == ']')
                                        depth--;
                                g_string_append_c(value, *s++);
                        }
                        while (value->len > 0 && g_ascii_isspace(value->str[value->len - 1]))
                                g_string_truncate(value, value->len - 1);
                }
                if (g_hash_table_contains(args, key)) {
                        g_string_free(value, true);
                        *ret_error = g_strdup_printf("action argument '%s' given twice", key);
                        return -EINVAL;
                }
                g_hash_table_insert(args, TAKE_PTR(key), g_string_free(value, false));
        }
}

/* actions/NAME.conf: [Definition] type = …, defaults. Returns 1 when found, 0 when not, -EINVAL. */
static int load_definition(const char *name, const char *const *dirs, ActionSpec *s, GPtrArray *errors) {
        _cleanup_(ini_document_freep) IniDocument *doc = ini_document_new();
        g_autofree char *relpath = g_strdup_printf("actions/%s.conf", name);
        const IniSection *def;
        const IniValue *type;
        int r;

        if (!dirs)
                return 0;
        r = ini_document_read_unit(doc, dirs, relpath, errors);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return -EINVAL;
        def = ini_document_get_section(doc, "Definition");
        type = def ? ini_section_get(def, "type") : NULL;
        if (!type) {
                ini_error(errors, def ? def->file : NULL, def ? def->line : 0,
                          "action definition %s has no [Definition] with 'type =' (%s)", relpath,
                          "hostsdeny, mail, webhook, abuseipdb, blocklistde or command");
                return -EINVAL;
        }
        for (guint i = 0; i < def->values->len; i++) {
                const IniValue *v = def->values->pdata[i];
                IniLines l = {};

                r = ini_document_interpolate(doc, "Definition", v, NULL, &l, errors);
                if (r < 0)
                        return -EINVAL;
                if (v == type) {
                        g_autofree char *t = ini_lines_join(&l, " ");

                        s->type = action_type_from_string(t);
                        if (s->type < 0 || s->type == ACTION_NFT) {
                                ini_error(errors, v->file, v->line, "unknown action type '%s' (%s)", t,
                                          "hostsdeny, mail, webhook, abuseipdb, blocklistde or command");
                                ini_lines_done(&l);
                                return -EINVAL;
                        }
                        s->def_file = g_strdup(v->file);
                } else
                        g_hash_table_insert(s->args, g_strdup(v->key), ini_lines_join(&l, "\n"));
                ini_lines_done(&l);
        }
        return 1;
}

/* Arguments that every action checks at load; missing ones are errors. */
static const char *action_spec_check(const ActionSpec *s) {
        const char *v;

        if (action_spec_get(s, "abuseipdb_apikey") || action_spec_get(s, "apikey") || action_spec_get(s, "key") ||
            action_spec_get(s, "password") || action_spec_get(s, "token"))
                return "secrets are never read from the configuration: put them in a file (mode 0600) and "
                       "name it with key_file=, password_file= or token_file=";
        switch (s->type) {
        case ACTION_MAIL:
                if (!action_spec_get(s, "dest") && !action_spec_get(s, "to"))
                        return "needs dest= (the recipient)";
                v = action_spec_get(s, "smtp");
                if (v && !g_str_has_prefix(v, "smtp://") && !g_str_has_prefix(v, "smtps://"))
                        return "smtp= must be an smtp:// or smtps:// URL";
                break;
        case ACTION_WEBHOOK: {
                const char *preset = action_spec_get(s, "preset");

                if (preset && !streq(preset, "ntfy") && !streq(preset, "slack") && !streq(preset, "matrix") &&
                    !streq(preset, "twilio"))
                        return "unknown preset (ntfy, slack, matrix or twilio)";
                if (preset && streq(preset, "ntfy") && !action_spec_get(s, "topic"))
                        return "preset ntfy needs topic=";
                if (preset && streq(preset, "matrix") &&
                    (!action_spec_get(s, "room") || !action_spec_get(s, "token_file")))
                        return "preset matrix needs room=, token_file= (and url= of the homeserver)";
                if (preset && streq(preset, "twilio") &&
                    (!action_spec_get(s, "account") || !action_spec_get(s, "token_file") ||
                     !action_spec_get(s, "to") || !action_spec_get(s, "from")))
                        return "preset twilio needs account=, token_file=, from= and to=";
                if (!action_spec_get(s, "url") && !(preset && (streq(preset, "ntfy") || streq(preset, "twilio"))))
                        return "needs url=";
                v = action_spec_get(s, "body");
                if (v) {
                        json_t *j = json_loads(v, JSON_DECODE_ANY, NULL);

                        if (!j)
                                return "body= is not valid JSON";
                        json_decref(j);
                }
                break;
        }
        case ACTION_ABUSEIPDB:
        case ACTION_BLOCKLISTDE:
                if (!action_spec_get(s, "key_file"))
                        return "needs key_file= (a file holding the API key)";
                break;
        case ACTION_COMMAND: {
                bool any = false;

                for (int h = 0; h < _ACTION_HOOK_MAX; h++) {
                        g_autofree char *k = g_strdup_printf("action%s", action_hook_to_string(h));
                        g_auto(GStrv) argv = NULL;

                        v = action_spec_get(s, k);
                        if (!v)
                                continue;
                        any = true;
                        if (!g_shell_parse_argv(v, NULL, &argv, NULL))
                                return "a command line has a quoting error (actionban= … are split like a "
                                       "shell would, but never run by one)";
                }
                if (!any)
                        return "needs at least one of actionstart=, actionstop=, actionban=, actionunban=, "
                               "actioncheck=";
                break;
        }
        default:
                break;
        }
        v = action_spec_get(s, "timeout");
        if (v) {
                usec_t u;

                if (parse_duration(v, &u) < 0 || u == 0 || u == USEC_INFINITY)
                        return "invalid timeout=";
        }
        return NULL;
}

int action_specs_parse(const char *text, const char *file, unsigned line, const char *const *dirs,
                       GPtrArray *errors, GPtrArray **ret) {
        g_autoptr(GPtrArray) specs = g_ptr_array_new_with_free_func(action_spec_free_void);
        const char *p = text;
        int failed = 0;

        assert(text);

        for (;;) {
                _cleanup_(action_spec_freep) ActionSpec *s = NULL;
                g_autofree char *error = NULL;
                const char *n;
                int r;

                while (g_ascii_isspace(*p))
                        p++;
                if (!*p)
                        break;
                n = p;
                while (name_char(*p))
                        p++;
                if (p == n) {
                        ini_error(errors, file, line, "invalid action list: unexpected '%c'", *p);
                        return -EINVAL;
                }
                s = g_new0(ActionSpec, 1);
                s->name = g_strndup(n, p - n);
                s->file = g_strdup(file);
                s->line = line;
                s->args = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

                /* Definition file first: its values are the defaults the arguments override. */
                r = load_definition(s->name, dirs, s, errors);
                if (r < 0) {
                        failed = r;
                        continue;
                }
                if (r == 0)
                        s->type = action_type_from_name(s->name);

                if (*p == '[') {
                        g_autoptr(GHashTable) args = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
                        GHashTableIter it;
                        gpointer k, v;

                        p++;
                        if (parse_args(&p, args, &error) < 0) {
                                ini_error(errors, file, line, "action '%s': %s", s->name, error);
                                return -EINVAL;
                        }
                        g_hash_table_iter_init(&it, args);
                        while (g_hash_table_iter_next(&it, &k, &v)) {
                                g_hash_table_iter_steal(&it);
                                g_hash_table_replace(s->args, k, v);
                        }
                }
                if (*p && !g_ascii_isspace(*p)) {
                        ini_error(errors, file, line, "invalid action list: unexpected '%c' after '%s'", *p, s->name);
                        return -EINVAL;
                }

                if (s->type < 0) {
                        ini_error(errors, file, line,
                                  "unknown action '%s' (hostsdeny, mail, webhook, abuseipdb, blocklistde, "
                                  "command, a fail2ban firewall or mail action, or a definition in "
                                  "actions/%s.conf)", s->name, s->name);
                        failed = -EINVAL;
                        continue;
                }
                if (s->type == ACTION_NFT) /* always on: the jail's port/protocol/blocktype configure it */
                        continue;
                const char *problem = action_spec_check(s);
                if (problem) {
                        ini_error(errors, file, line, "action '%s' (%s): %s", s->name, action_type_to_string(s->type),
                                  problem);
                        failed = -EINVAL;
                        continue;
                }
                for (guint i = 0; i < specs->len; i++)
                        if (streq(((ActionSpec *) specs->pdata[i])->name, s->name)) {
                                ini_error(errors, file, line, "action '%s' listed twice", s->name);
                                failed = -EINVAL;
                        }
                g_ptr_array_add(specs, TAKE_PTR(s));
        }
        if (failed < 0)
                return failed;
        *ret = TAKE_PTR(specs);
        return 0;
}

/* ---- templates ------------------------------------------------------------------------------- */

char *action_event_summary(const ActionEvent *e) {
        char d[DURATION_STRING_MAX];

        if (e->message)
                return g_strdup(e->message);
        switch (e->hook) {
        case ACTION_HOOK_BAN:
                return g_strdup_printf("Banned %s in jail %s for %s after %u failure%s", e->address, e->jail,
                                       e->end_usec == USEC_INFINITY ? "ever"
                                       : format_duration(d, sizeof d, e->end_usec - MIN(e->start_usec, e->end_usec)),
                                       e->failures, e->failures == 1 ? "" : "s");
        case ACTION_HOOK_UNBAN:
                return g_strdup_printf("Ban of %s in jail %s ended", e->address, e->jail);
        default:
                return g_strdup_printf("Jail %s: %s", e->jail, action_hook_to_string(e->hook));
        }
}

char *action_event_tag(const ActionEvent *e, const ActionSpec *spec, const char *tag) {
        if (streq(tag, "ip"))
                return g_strdup(e->address ? e->address : "");
        if (streq(tag, "jail") || streq(tag, "name"))
                return g_strdup(e->jail ? e->jail : "");
        if (streq(tag, "failures"))
                return g_strdup_printf("%u", e->failures);
        if (streq(tag, "bancount"))
                return g_strdup_printf("%u", e->ban_count);
        if (streq(tag, "bantime"))
                return e->end_usec == USEC_INFINITY ? g_strdup("-1")
                                                    : g_strdup_printf("%" PRIu64, (e->end_usec - MIN(e->start_usec, e->end_usec)) / USEC_PER_SEC);
        if (streq(tag, "time"))
                return g_strdup_printf("%" PRIu64, e->start_usec / USEC_PER_SEC);
        if (streq(tag, "matches"))
                return e->matches ? g_strjoinv("\n", (char **) e->matches) : g_strdup("");
        if (streq(tag, "hook"))
                return g_strdup(e->hook == ACTION_HOOK_BAN && !e->address ? "digest" : action_hook_to_string(e->hook));
        if (streq(tag, "message"))
                return action_event_summary(e);
        if (g_str_has_prefix(tag, "F-")) {
                size_t n = strlen(tag);

                for (size_t i = 0; e->tags && e->tags[i]; i++)
                        if (strneq(e->tags[i], tag, n) && e->tags[i][n] == '=')
                                return g_strdup(e->tags[i] + n + 1);
                return g_strdup(""); /* a tag the filter did not capture is empty, as in fail2ban */
        }
        if (spec) {
                const char *v = action_spec_get(spec, tag);

                if (v)
                        return g_strdup(v);
        }
        return NULL;
}

char *action_template_expand(const char *template, const ActionEvent *e, const ActionSpec *spec) {
        GString *out = g_string_new(NULL);
        const char *p = template;

        while (*p) {
                const char *close;

                if (*p != '<' || !(close = strchr(p + 1, '>'))) {
                        g_string_append_c(out, *p++);
                        continue;
                }
                g_autofree char *tag = g_strndup(p + 1, close - p - 1);
                g_autofree char *value = NULL;
                bool valid = *tag != '\0';

                for (const char *c = tag; *c; c++)
                        if (!name_char(*c))
                                valid = false;
                if (valid)
                        value = action_event_tag(e, spec, tag);
                if (!value) {
                        g_string_append_c(out, *p++);
                        continue;
                }
                g_string_append(out, value);
                p = close + 1;
        }
        return g_string_free(out, false);
}

int action_template_argv(const char *template, const ActionEvent *e, const ActionSpec *spec, char ***ret) {
        g_auto(GStrv) words = NULL;

        if (!g_shell_parse_argv(template, NULL, &words, NULL))
                return -EINVAL;
        for (size_t i = 0; words[i]; i++) {
                char *x = action_template_expand(words[i], e, spec);

                g_free(words[i]);
                words[i] = x;
        }
        *ret = TAKE_PTR(words);
        return 0;
}

static json_t *json_expand(json_t *j, const ActionEvent *e, const ActionSpec *spec) {
        switch (json_typeof(j)) {
        case JSON_STRING: {
                g_autofree char *s = action_template_expand(json_string_value(j), e, spec);

                return json_string(s); /* NULL for invalid UTF-8: the caller fails */
        }
        case JSON_ARRAY: {
                json_t *a = json_array(), *v;
                size_t i;

                json_array_foreach(j, i, v) {
                        json_t *x = json_expand(v, e, spec);

                        if (!x || json_array_append_new(a, x) < 0) {
                                json_decref(a);
                                return NULL;
                        }
                }
                return a;
        }
        case JSON_OBJECT: {
                json_t *o = json_object(), *v;
                const char *k;

                json_object_foreach(j, k, v) {
                        g_autofree char *key = action_template_expand(k, e, spec);
                        json_t *x = json_expand(v, e, spec);

                        if (!x || json_object_set_new(o, key, x) < 0) {
                                json_decref(o);
                                return NULL;
                        }
                }
                return o;
        }
        default:
                return json_incref(j);
        }
}

json_t *action_template_json(const char *template, const ActionEvent *e, const ActionSpec *spec) {
        json_t *t = json_loads(template, JSON_DECODE_ANY, NULL), *r;

        if (!t)
                return NULL;
        r = json_expand(t, e, spec);
        json_decref(t);
        return r;
}

/* ---- hosts.deny ------------------------------------------------------------------------------ */

char *hostsdeny_line(const char *daemons, const char *address) {
        char buf[ADDRESS_STRING_MAX];
        AddressPrefix p;

        if (address_prefix_parse(address, &p) < 0)
                return NULL;
        address_to_string(&p.address, buf);
        if (p.address.family == AF_INET6)
                return p.prefixlen == 128 ? g_strdup_printf("%s: [%s]", daemons, buf)
                                          : g_strdup_printf("%s: [%s]/%u", daemons, buf, p.prefixlen);
        if (p.prefixlen == 32)
                return g_strdup_printf("%s: %s", daemons, buf);
        /* TCP wrappers writes IPv4 networks as net/mask */
        struct in_addr mask = { .s_addr = htonl(p.prefixlen == 0 ? 0 : UINT32_MAX << (32 - p.prefixlen)) };
        char m[INET_ADDRSTRLEN];

        inet_ntop(AF_INET, &mask, m, sizeof m);
        return g_strdup_printf("%s: %s/%s", daemons, buf, m);
}

static bool line_equal(const char *s, size_t n, const char *line) {
        size_t l = strlen(line);

        while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
                n--;
        return n == l && memcmp(s, line, l) == 0;
}

int hostsdeny_edit(const char *old, const char *line, bool add, char **ret) {
        GString *out = g_string_new(NULL);
        const char *p = old;
        bool found = false, changed = false;

        while (*p) {
                const char *eol = strchr(p, '\n');
                size_t n = eol ? (size_t) (eol - p) : strlen(p);

                if (line_equal(p, n, line)) {
                        found = true;
                        if (!add) {
                                changed = true;
                                p += n + (eol ? 1 : 0);
                                continue;
                        }
                }
                g_string_append_len(out, p, n + (eol ? 1 : 0));
                p += n + (eol ? 1 : 0);
        }
        if (add && !found) {
                if (out->len > 0 && out->str[out->len - 1] != '\n')
                        g_string_append_c(out, '\n');
                g_string_append_printf(out, "%s\n", line);
                changed = true;
        }
        if (!changed) {
                g_string_free(out, true);
                return 0;
        }
        *ret = g_string_free(out, false);
        return 1;
}
