/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <glib.h>
#include <jansson.h>
#include <malloc.h>
#include <limits.h>
#include <nftables/libnftables.h>
#include <string.h>

#include "action-nft.h"
#include "macro.h"

/* Non-logging module: every failure is returned as a negative errno plus, where the API has a
 * ret_error, the text nft printed and the JSON we sent.
 *
 * Findings on Debian 12 (nft/libnftables 1.0.6) with a 6.x kernel (tested on 6.18), which this file
 * relies on:
 *
 * - Set names: a jail name matches [A-Za-z][A-Za-z0-9_.-]{0,63}, so "<jail>_v4" may contain '-' and '.'.
 *   Both are accepted as set names through JSON, "@ssh-d.x_v4" works as a set reference in a rule, and
 *   the text that `nft list ruleset` prints for such a set reads back unchanged with `nft -f` (the text
 *   scanner's identifiers allow '-', '.', '_' and '/'). tests/nft checks the round trip.
 *
 * - "add element" for an element that is already in the set does not fail (no NLM_F_EXCL; only
 *   "create element" says EEXIST). On these kernels it *replaces* the element's timeout with the one
 *   sent: a re-ban restarts the countdown (also when the new timeout is shorter), and an "add" without
 *   timeout makes the element permanent. Kernels before 6.10 (not tested here) keep the old element
 *   unchanged instead; commit() does not fail either way.
 *
 * - "delete element" of an element that is not in the set (an unban after the kernel let the ban
 *   expire) fails with ENOENT and takes the whole transaction with it, hence the retry in commit().
 *
 * - "list sets" prints every element unless the output is terse; we only need the names there.
 *
 * - The kernel refuses element timeouts beyond ~584 years (ms → jiffies64 overflow, ERANGE); we clamp
 *   to NFT_TIMEOUT_MAX_SEC. */

#define NFT_TIMEOUT_MAX_SEC ((uint64_t) 100 * 36525 * 24 * 3600 / 100) /* 100 years */

/* Bytes of the JSON document quoted in an error text: a batch of 100k bans is ~5 MB. */
#define NFT_ERROR_JSON_MAX 4096

typedef enum NftOpKind {
        NFT_OP_BAN,
        NFT_OP_UNBAN,
} NftOpKind;

/* One queued operation. The queue holds at most one op per (set, address): a later op for the same
 * element replaces the earlier one in place, so each element appears once per transaction and the ops
 * of one batch are independent of each other (which the retry relies on). */
typedef struct NftOp {
        char *set;                         /* "<jail>_v4", "<jail>_v6", or "<jail>_v4net", "<jail>_v6net" */
        char address[INET6_ADDRSTRLEN];    /* canonical text (the network address of a prefix) */
        unsigned prefixlen;                /* 0 for a host (plain set), else the prefix length (interval set) */
        NftOpKind kind;
        uint64_t timeout_sec;              /* ban: 0 = permanent */
        bool after_ban;                    /* host: unban of an element this batch adds first */
        bool cancelled;                    /* prefix: unban of an element this batch adds first: send neither */
} NftOp;

/* The queue costs one allocation of ~90 bytes plus the set name per distinct element and an O(1) hash
 * lookup per queue call; 100k bans queue in a few ms, far below what nft needs to parse them. Interning
 * the set names (one string per jail) would save an allocation per op; not needed yet. */
struct NftBackend {
        struct nft_ctx *ctx;
        char *table;
        GPtrArray *queue;     /* NftOp*, owned, in order of first queueing */
        GHashTable *index;    /* NftOp* → itself (borrowed), keyed by (set, address, prefixlen) */
        GHashTable *net_jails; /* names (owned) of the jails whose interval sets the last setup made */
};

static void nft_op_free(void *p) {
        NftOp *op = p;

        if (!op)
                return;
        g_free(op->set);
        g_free(op);
}

static unsigned nft_op_hash(const void *p) {
        const NftOp *op = p;

        return g_str_hash(op->set) * 31u + g_str_hash(op->address) + op->prefixlen;
}

static int nft_op_equal(const void *a, const void *b) {
        const NftOp *x = a, *y = b;

        return x->prefixlen == y->prefixlen && streq(x->set, y->set) && streq(x->address, y->address);
}

/* jansson ships json_decrefp() for its json_auto_t. */
#define _cleanup_json_ _cleanup_(json_decrefp)

static bool jail_name_is_valid(const char *name) {
        size_t n;

        if (isempty(name))
                return false;
        if (!g_ascii_isalpha(name[0]))
                return false;

        n = strlen(name);
        if (n > 64)
                return false;

        for (size_t i = 1; i < n; i++)
                if (!g_ascii_isalnum(name[i]) && !strchr("_.-", name[i]))
                        return false;

        return true;
}

static char *set_name_full(const char *jail, int family, bool net) {
        return g_strconcat(jail, family == AF_INET ? "_v4" : "_v6", net ? "net" : "", NULL);
}

static char *set_name(const char *jail, int family) {
        return set_name_full(jail, family, /* net= */ false);
}

/* Like strerror matching in reverse: libnftables only gives us text, but the daemon wants an errno
 * (EPERM without CAP_NET_ADMIN, ENOENT for a missing element or set, …). */
static int errno_from_nft_text(const char *text) {
        static const int candidates[] = { EPERM, ENOENT, EEXIST, EBUSY, ENOMEM, ENOSPC, E2BIG, ERANGE,
                                          EOPNOTSUPP, EINVAL };

        if (text)
                for (size_t i = 0; i < ELEMENTSOF(candidates); i++)
                        if (strstr(text, strerror(candidates[i])))
                                return -candidates[i];

        return -EIO;
}

static json_t *document_new(void) {
        return json_pack("{s:[{s:{s:i}}]}", "nftables", "metainfo", "json_schema_version", 1);
}

/* Steals CMD. */
static int document_append(json_t *doc, json_t *cmd) {
        if (!cmd)
                return -ENOMEM;
        if (json_array_append_new(json_object_get(doc, "nftables"), cmd) < 0)
                return -ENOMEM;
        return 0;
}

static char *format_error(const char *nft_error, const char *sent) {
        const char *e = isempty(nft_error) ? "nft failed without an error message\n" : nft_error;
        size_t n = strlen(sent);

        /* nft's message ends in a newline (it is the caret diagnostic). */
        if (n <= NFT_ERROR_JSON_MAX)
                return g_strdup_printf("%sJSON sent: %s", e, sent);

        return g_strdup_printf("%sJSON sent (first %d of %zu bytes): %.*s…", e,
                               NFT_ERROR_JSON_MAX, n, NFT_ERROR_JSON_MAX, sent);
}

/* Runs one document. With RET_OUTPUT, the JSON that nft printed is parsed and returned. */
static int nft_run(NftBackend *b, json_t *doc, bool terse, json_t **ret_output, char **ret_error) {
        _cleanup_free_ char *text = NULL;
        unsigned flags;
        const char *out, *err;
        int r;

        text = json_dumps(doc, JSON_COMPACT);
        if (!text)
                return -ENOMEM;

        flags = nft_ctx_output_get_flags(b->ctx);
        if (terse)
                nft_ctx_output_set_flags(b->ctx, flags | NFT_CTX_OUTPUT_TERSE);
        r = nft_run_cmd_from_buffer(b->ctx, text);
        if (terse)
                nft_ctx_output_set_flags(b->ctx, flags);

        /* Fetch both buffers every time: that rewinds them for the next command. */
        out = nft_ctx_get_output_buffer(b->ctx);
        err = nft_ctx_get_error_buffer(b->ctx);

        if (r != 0) {
                if (ret_error)
                        *ret_error = format_error(err, text);
                return errno_from_nft_text(err);
        }

        if (ret_output) {
                json_t *j;

                j = json_loads(out ?: "", 0, NULL);
                if (!j) {
                        if (ret_error)
                                *ret_error = g_strdup_printf("Cannot parse nft output as JSON: %s", out ?: "");
                        return -EBADMSG;
                }
                *ret_output = j;
        }

        return 0;
}

int nft_backend_new(const char *table, NftBackend **ret) {
        NftBackend *b;

        assert(table);
        assert(ret);

        if (isempty(table) || strlen(table) > 255)
                return SYNTHETIC_ERRNO(EINVAL);

        b = calloc(1, sizeof(NftBackend));
        if (!b)
                return -ENOMEM;

        b->table = strdup(table);
        b->queue = g_ptr_array_new_with_free_func(nft_op_free);
        b->index = g_hash_table_new(nft_op_hash, nft_op_equal);
        b->net_jails = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        b->ctx = nft_ctx_new(NFT_CTX_DEFAULT);
        if (!b->table || !b->ctx) {
                nft_backend_free(b);
                return -ENOMEM;
        }

        /* On 1.0.6 the JSON output flag is also what makes nft_run_cmd_from_buffer() parse JSON. */
        nft_ctx_output_set_flags(b->ctx, NFT_CTX_OUTPUT_JSON);
        if (nft_ctx_buffer_output(b->ctx) < 0 || nft_ctx_buffer_error(b->ctx) < 0) {
                nft_backend_free(b);
                return -ENOMEM;
        }

        *ret = b;
        return 0;
}

NftBackend *nft_backend_free(NftBackend *b) {
        if (!b)
                return NULL;

        if (b->ctx)
                nft_ctx_free(b->ctx);
        if (b->index)
                g_hash_table_destroy(b->index);
        if (b->queue)
                g_ptr_array_unref(b->queue);
        if (b->net_jails)
                g_hash_table_destroy(b->net_jails);
        free(b->table);
        free(b);
        return NULL;
}

/* ---- setup ---- */

static json_t *match_new(json_t *left, json_t *right) {
        return json_pack("{s:{s:s,s:o,s:o}}", "match", "op", "==", "left", left, "right", right);
}

static json_t *port_range_new(const PortRange *p) {
        if (p->first == p->last)
                return json_integer(p->first);
        return json_pack("{s:[i,i]}", "range", (int) p->first, (int) p->last);
}

/* One port or one range: a plain value; several: an anonymous set (nft merges the ranges into an
 * interval set). */
static json_t *ports_new(const PortRange *ports, size_t n_ports) {
        json_t *set;

        if (n_ports == 1)
                return port_range_new(&ports[0]);

        set = json_array();
        if (!set)
                return NULL;

        for (size_t i = 0; i < n_ports; i++)
                if (json_array_append_new(set, port_range_new(&ports[i])) < 0) {
                        json_decref(set);
                        return NULL;
                }

        return json_pack("{s:o}", "set", set);
}

static json_t *rule_new(const char *table, const NftJailSpec *j, int family, bool net) {
        _cleanup_json_ json_t *expr = NULL;
        _cleanup_free_ char *ref = NULL;
        g_autofree char *set = NULL;
        const char *proto = NULL;
        json_t *verdict;

        expr = json_array();
        if (!expr)
                return NULL;

        switch (j->protocol) {
        case PROTOCOL_TCP:
                proto = "tcp";
                break;
        case PROTOCOL_UDP:
                proto = "udp";
                break;
        case PROTOCOL_ALL:
                break;
        default:
                return NULL; /* validate_jail() refuses this */
        }

        if (proto) {
                if (json_array_append_new(expr, match_new(json_pack("{s:{s:s}}", "meta", "key", "l4proto"),
                                                          json_string(proto))) < 0)
                        return NULL;

                if (j->n_ports > 0 &&
                    json_array_append_new(expr, match_new(json_pack("{s:{s:s,s:s}}", "payload",
                                                                    "protocol", "th", "field", "dport"),
                                                          ports_new(j->ports, j->n_ports))) < 0)
                        return NULL;
        }

        set = set_name_full(j->name, family, net);
        ref = malloc(strlen(set) + 2);
        if (!set || !ref)
                return NULL;
        ref[0] = '@';
        strcpy(ref + 1, set);

        if (json_array_append_new(expr, match_new(json_pack("{s:{s:s,s:s}}", "payload",
                                                            "protocol", family == AF_INET ? "ip" : "ip6",
                                                            "field", "saddr"),
                                                  json_string(ref))) < 0)
                return NULL;

        switch (j->blocktype) {
        case BLOCK_TYPE_DROP:
                verdict = json_pack("{s:n}", "drop");
                break;
        case BLOCK_TYPE_REJECT:
                if (j->protocol == PROTOCOL_TCP)
                        verdict = json_pack("{s:{s:s}}", "reject", "type", "tcp reset");
                else
                        /* icmpx: the inet family picks ICMP or ICMPv6 port-unreachable by itself. */
                        verdict = json_pack("{s:{s:s,s:s}}", "reject", "type", "icmpx", "expr", "port-unreachable");
                break;
        default:
                return NULL; /* validate_jail() refuses this */
        }
        if (json_array_append_new(expr, verdict) < 0)
                return NULL;

        return json_pack("{s:{s:{s:s,s:s,s:s,s:O}}}", "add", "rule",
                         "family", "inet", "table", table, "chain", "input", "expr", expr);
}

static int validate_jail(const NftJailSpec *j, char **ret_error) {
        if (!jail_name_is_valid(j->name)) {
                if (ret_error)
                        *ret_error = g_strdup_printf("Invalid jail name '%s'", j->name ?: "");
                return SYNTHETIC_ERRNO(EINVAL);
        }
        if (j->protocol < 0 || j->protocol >= _PROTOCOL_MAX ||
            j->blocktype < 0 || j->blocktype >= _BLOCK_TYPE_MAX ||
            (j->n_ports > 0 && !j->ports)) {
                if (ret_error)
                        *ret_error = g_strdup_printf("Invalid protocol, block type or ports for jail '%s'", j->name);
                return SYNTHETIC_ERRNO(EINVAL);
        }
        for (size_t i = 0; i < j->n_ports; i++)
                if (j->ports[i].first > j->ports[i].last) {
                        if (ret_error)
                                *ret_error = g_strdup_printf("Invalid port range %u-%u in jail '%s'",
                                                             j->ports[i].first, j->ports[i].last, j->name);
                        return SYNTHETIC_ERRNO(EINVAL);
                }

        return 0;
}

/* The names of the sets that currently exist in our table (none if the table does not exist). */
static int list_our_sets(NftBackend *b, GPtrArray **ret, char **ret_error) {
        _cleanup_json_ json_t *doc = NULL, *out = NULL;
        g_autoptr(GPtrArray) names = NULL;
        json_t *item;
        size_t i;
        int r;

        doc = document_new();
        if (document_append(doc, json_pack("{s:{s:{s:s}}}", "list", "sets", "family", "inet")) < 0)
                return -ENOMEM;

        r = nft_run(b, doc, /* terse= */ true, &out, ret_error);
        if (r < 0)
                return r;

        names = g_ptr_array_new_with_free_func(g_free);
        json_array_foreach(json_object_get(out, "nftables"), i, item) {
                const char *table = NULL, *name = NULL;

                if (json_unpack(item, "{s:{s:s,s:s}}", "set", "table", &table, "name", &name) < 0)
                        continue; /* metainfo */
                if (streq(table, b->table))
                        g_ptr_array_add(names, g_strdup(name));
        }

        *ret = TAKE_PTR(names);
        return 0;
}

int nft_backend_setup(NftBackend *b, const NftJailSpec *jails, size_t n_jails, char **ret_error) {
        _cleanup_json_ json_t *doc = NULL;
        g_autoptr(GPtrArray) existing = NULL;
        g_autoptr(GHashTable) wanted = NULL;
        int r;

        assert(b);
        assert(jails || n_jails == 0);

        wanted = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        for (size_t i = 0; i < n_jails; i++) {
                r = validate_jail(&jails[i], ret_error);
                if (r < 0)
                        return r;

                if (!g_hash_table_add(wanted, set_name(jails[i].name, AF_INET)) ||
                    !g_hash_table_add(wanted, set_name(jails[i].name, AF_INET6))) {
                        if (ret_error)
                                *ret_error = g_strdup_printf("Duplicate jail '%s'", jails[i].name);
                        return SYNTHETIC_ERRNO(EINVAL);
                }
                if (jails[i].prefixes) {
                        g_hash_table_add(wanted, set_name_full(jails[i].name, AF_INET, /* net= */ true));
                        g_hash_table_add(wanted, set_name_full(jails[i].name, AF_INET6, /* net= */ true));
                }
        }

        r = list_our_sets(b, &existing, ret_error);
        if (r < 0)
                return r;

        /* One transaction:
         * 1. the table and the chain ("add" keeps what exists),
         * 2. both sets of every jail ("add" keeps existing sets and their elements: bans survive),
         * 3. flush the chain and add the rules of every jail,
         * 4. delete the sets of jails no longer configured; their rules went away in step 3, which
         *    drops the references within the same transaction. */
        doc = document_new();
        if (!doc)
                return -ENOMEM;

        r = document_append(doc, json_pack("{s:{s:{s:s,s:s}}}", "add", "table",
                                           "family", "inet", "name", b->table));
        if (r < 0)
                return r;

        /* k: 0, 1 the plain sets (IPv4, IPv6); 2, 3 the interval sets of a jail that bans prefixes. */
        for (size_t i = 0; i < n_jails; i++)
                for (int k = 0; k < (jails[i].prefixes ? 4 : 2); k++) {
                        int family = k % 2 == 0 ? AF_INET : AF_INET6;
                        g_autofree char *set = set_name_full(jails[i].name, family, k >= 2);
                        json_t *flags = k >= 2 ? json_pack("[s,s]", "interval", "timeout") : json_pack("[s]", "timeout");

                        r = document_append(doc, json_pack("{s:{s:{s:s,s:s,s:s,s:s,s:o}}}", "add", "set",
                                                           "family", "inet", "table", b->table, "name", set,
                                                           "type", family == AF_INET ? "ipv4_addr" : "ipv6_addr",
                                                           "flags", flags));
                        if (r < 0)
                                return r;
                }

        r = document_append(doc, json_pack("{s:{s:{s:s,s:s,s:s,s:s,s:s,s:i,s:s}}}", "add", "chain",
                                           "family", "inet", "table", b->table, "name", "input",
                                           "type", "filter", "hook", "input", "prio", -10, "policy", "accept"));
        if (r < 0)
                return r;

        r = document_append(doc, json_pack("{s:{s:{s:s,s:s,s:s}}}", "flush", "chain",
                                           "family", "inet", "table", b->table, "name", "input"));
        if (r < 0)
                return r;

        for (size_t i = 0; i < n_jails; i++)
                for (int k = 0; k < (jails[i].prefixes ? 4 : 2); k++) {
                        r = document_append(doc, rule_new(b->table, &jails[i], k % 2 == 0 ? AF_INET : AF_INET6,
                                                          /* net= */ k >= 2));
                        if (r < 0)
                                return r;
                }

        for (size_t i = 0; i < existing->len; i++) {
                const char *name = existing->pdata[i];

                if (g_hash_table_contains(wanted, name))
                        continue;

                r = document_append(doc, json_pack("{s:{s:{s:s,s:s,s:s}}}", "delete", "set",
                                                   "family", "inet", "table", b->table, "name", name));
                if (r < 0)
                        return r;
        }

        r = nft_run(b, doc, /* terse= */ false, /* ret_output= */ NULL, ret_error);
        if (r < 0)
                return r;

        g_hash_table_remove_all(b->net_jails);
        for (size_t i = 0; i < n_jails; i++)
                if (jails[i].prefixes)
                        g_hash_table_add(b->net_jails, g_strdup(jails[i].name));
        return 0;
}

/* ---- bans ---- */

static int queue_op(NftBackend *b, const char *jail, const AddressPrefix *prefix, NftOpKind kind,
                    usec_t timeout_usec) {
        NftOp key = {}, *op;
        unsigned len, bits;
        Address a;

        assert(b);
        assert(prefix);

        if (!jail_name_is_valid(jail))
                return SYNTHETIC_ERRNO(EINVAL);

        a = prefix->address;
        len = prefix->prefixlen;
        switch (a.family) {
        case AF_INET:
                break;
        case AF_INET6:
                /* Addresses arrive normalised; still, an IPv4-mapped address must never end up in the
                 * IPv6 set, where no packet would ever match it. */
                if (IN6_IS_ADDR_V4MAPPED(&a.in6) && len >= 96) {
                        struct in_addr in;

                        memcpy(&in, a.bytes + 12, sizeof(in));
                        a.family = AF_INET;
                        a.in = in;
                        len -= 96;
                }
                break;
        default:
                return SYNTHETIC_ERRNO(EAFNOSUPPORT);
        }
        bits = a.family == AF_INET ? 32 : 128;
        if (len == 0 || len > bits)
                return SYNTHETIC_ERRNO(EINVAL);

        /* The kernel masks host bits itself; we key on the masked form, so that equal prefixes meet. */
        address_mask(&a, len);
        if (!inet_ntop(a.family, a.bytes, key.address, sizeof(key.address)))
                return -errno;

        if (len < bits) {
                if (!g_hash_table_contains(b->net_jails, jail))
                        return SYNTHETIC_ERRNO(EOPNOTSUPP);
                key.prefixlen = len;
        }
        key.set = set_name_full(jail, a.family, /* net= */ key.prefixlen > 0);
        if (!key.set)
                return -ENOMEM;

        /* The last operation on an element wins. An unban of a host that this same batch bans first must
         * still find it in the kernel, so that one is sent as add + delete. For a prefix, the deletes go
         * first (see action-nft.h), so ban + unban in one batch sends nothing. */
        op = g_hash_table_lookup(b->index, &key);
        if (op) {
                g_free(key.set);
                if (key.prefixlen > 0)
                        op->cancelled = kind == NFT_OP_UNBAN && (op->kind == NFT_OP_BAN || op->cancelled);
                else if (kind == NFT_OP_UNBAN)
                        op->after_ban = op->after_ban || op->kind == NFT_OP_BAN;
                else
                        op->after_ban = false;
        } else {
                op = g_new0(NftOp, 1);
                *op = key;
                g_ptr_array_add(b->queue, op);
                g_hash_table_add(b->index, op);
        }
        op->kind = kind;

        if (kind == NFT_OP_BAN) {
                if (timeout_usec == USEC_INFINITY)
                        op->timeout_sec = 0;
                else {
                        uint64_t s = timeout_usec / USEC_PER_SEC + (timeout_usec % USEC_PER_SEC != 0);
                        op->timeout_sec = CLAMP(s, 1u, NFT_TIMEOUT_MAX_SEC);
                }
        }

        return 0;
}

static AddressPrefix host_prefix(const Address *a) {
        return (AddressPrefix) { .address = *a, .prefixlen = a->family == AF_INET ? 32 : 128 };
}

int nft_backend_queue_ban(NftBackend *b, const char *jail, const Address *address, usec_t timeout_usec) {
        AddressPrefix p = host_prefix(address);

        return queue_op(b, jail, &p, NFT_OP_BAN, timeout_usec);
}

int nft_backend_queue_unban(NftBackend *b, const char *jail, const Address *address) {
        AddressPrefix p = host_prefix(address);

        return queue_op(b, jail, &p, NFT_OP_UNBAN, 0);
}

int nft_backend_queue_ban_prefix(NftBackend *b, const char *jail, const AddressPrefix *prefix, usec_t timeout_usec) {
        return queue_op(b, jail, prefix, NFT_OP_BAN, timeout_usec);
}

int nft_backend_queue_unban_prefix(NftBackend *b, const char *jail, const AddressPrefix *prefix) {
        return queue_op(b, jail, prefix, NFT_OP_UNBAN, 0);
}

size_t nft_backend_queued(const NftBackend *b) {
        assert(b);
        return b->queue->len;
}

/* Appends OP's element to the "add element" or "delete element" command for its set, creating the
 * command on first use. COMMANDS maps set name → elem array (borrowed, owned by the command in LIST). */
static int element_append(NftBackend *b, json_t *list, GHashTable *commands, const char *verb,
                          const char *set, json_t *elem) {
        json_t *arr;

        if (!elem)
                return -ENOMEM;

        arr = g_hash_table_lookup(commands, set);
        if (!arr) {
                json_t *cmd;

                arr = json_array();
                cmd = json_pack("{s:{s:{s:s,s:s,s:s,s:o}}}", verb, "element",
                                "family", "inet", "table", b->table, "name", set, "elem", arr);
                if (!cmd || json_array_append_new(list, cmd) < 0) {
                        json_decref(elem);
                        return -ENOMEM;
                }
                g_hash_table_insert(commands, (char *) set, arr);
        }

        if (json_array_append_new(arr, elem) < 0)
                return -ENOMEM;

        return 0;
}

/* The element's value: "ADDRESS", or {"prefix": {"addr": NET, "len": LEN}} in an interval set. */
static json_t *op_value(const NftOp *op) {
        if (op->prefixlen == 0)
                return json_string(op->address);
        return json_pack("{s:{s:s,s:i}}", "prefix", "addr", op->address, "len", (int) op->prefixlen);
}

/* One document for N ops: every "delete element" of an interval set first (a prefix that replaces the
 * narrower ones inside it overlaps them until they are gone), then every "add element", then every
 * "delete element" of a plain set. One command per set and verb: in an interval set that is what keeps
 * the cost of a batch linear (see action-nft.h). */
static int ops_to_document(NftBackend *b, NftOp **ops, size_t n, json_t **ret) {
        _cleanup_json_ json_t *doc = NULL, *net_deletes = NULL, *adds = NULL, *deletes = NULL;
        g_autoptr(GHashTable) add_cmds = NULL, delete_cmds = NULL;
        json_t *cmd;
        size_t i;
        int r;

        doc = document_new();
        net_deletes = json_array();
        adds = json_array();
        deletes = json_array();
        add_cmds = g_hash_table_new(g_str_hash, g_str_equal);
        delete_cmds = g_hash_table_new(g_str_hash, g_str_equal);
        if (!doc || !net_deletes || !adds || !deletes)
                return -ENOMEM;

        for (i = 0; i < n; i++) {
                const NftOp *op = ops[i];

                if (op->cancelled)
                        continue;

                if (op->kind == NFT_OP_BAN || op->after_ban) {
                        json_t *elem;

                        if (op->kind == NFT_OP_BAN && op->timeout_sec > 0)
                                elem = json_pack("{s:{s:o,s:I}}", "elem", "val", op_value(op),
                                                 "timeout", (json_int_t) op->timeout_sec);
                        else
                                elem = op_value(op);

                        r = element_append(b, adds, add_cmds, "add", op->set, elem);
                        if (r < 0)
                                return r;
                }

                if (op->kind == NFT_OP_UNBAN) {
                        r = element_append(b, op->prefixlen > 0 ? net_deletes : deletes, delete_cmds, "delete",
                                           op->set, op_value(op));
                        if (r < 0)
                                return r;
                }
        }

        json_array_foreach(net_deletes, i, cmd)
                if (document_append(doc, json_incref(cmd)) < 0)
                        return -ENOMEM;
        json_array_foreach(adds, i, cmd)
                if (document_append(doc, json_incref(cmd)) < 0)
                        return -ENOMEM;
        json_array_foreach(deletes, i, cmd)
                if (document_append(doc, json_incref(cmd)) < 0)
                        return -ENOMEM;

        *ret = TAKE_PTR(doc);
        return 0;
}

static int run_ops(NftBackend *b, NftOp **ops, size_t n, char **ret_error) {
        _cleanup_json_ json_t *doc = NULL;
        int r;

        r = ops_to_document(b, ops, n, &doc);
        if (r < 0)
                return r;

        return nft_run(b, doc, /* terse= */ false, /* ret_output= */ NULL, ret_error);
}

/* Retries a refused batch by halves down to single operations: every op that can go through on its
 * own does, at the cost of O(failures × log n) transactions instead of n. This gives the same result as
 * retrying each op alone because the ops of one batch touch distinct elements. */
static int retry_split(NftBackend *b, NftOp **ops, size_t n, size_t *failures, char **first_error) {
        g_autofree char *error = NULL;
        int r;

        if (n == 0)
                return 0;

        r = run_ops(b, ops, n, &error);
        if (r == -ENOMEM)
                return r;
        if (r >= 0)
                return 0;

        if (n == 1) {
                (*failures)++;
                if (!*first_error)
                        *first_error = TAKE_PTR(error);
                return 0;
        }

        r = retry_split(b, ops, n / 2, failures, first_error);
        if (r < 0)
                return r;
        return retry_split(b, ops + n / 2, n - n / 2, failures, first_error);
}

#define NFT_TRIM_OPS 1000U

int nft_backend_commit(NftBackend *b, char **ret_error) {
        g_autoptr(GPtrArray) ops = NULL;
        g_autofree char *error = NULL, *first_error = NULL;
        size_t failures = 0;
        int r;

        assert(b);

        if (b->queue->len == 0)
                return 0;

        /* The queue is empty afterwards, whatever happens below. */
        ops = TAKE_PTR(b->queue);
        g_hash_table_remove_all(b->index);
        b->queue = g_ptr_array_new_with_free_func(nft_op_free);

        /* Cancelled ops send nothing; without them the halves of a retry never come out empty. */
        for (guint i = ops->len; i > 0; i--)
                if (((NftOp *) ops->pdata[i - 1])->cancelled)
                        g_ptr_array_remove_index(ops, i - 1);
        if (ops->len == 0)
                return 0;

        r = run_ops(b, (NftOp **) ops->pdata, ops->len, &error);
        /* A large transaction (a restore, a flood) builds tens of MB of JSON trees and netlink messages,
         * freed at once: give that memory back, or the daemon keeps its peak size for ever. */
        if (ops->len >= NFT_TRIM_OPS)
                (void) malloc_trim(0);
        if (r == -ENOMEM)
                return r;
        if (r >= 0)
                return 0;

        if (ops->len == 1) {
                if (ret_error)
                        *ret_error = TAKE_PTR(error);
                return 1;
        }

        r = retry_split(b, (NftOp **) ops->pdata, ops->len / 2, &failures, &first_error);
        if (r >= 0)
                r = retry_split(b, (NftOp **) ops->pdata + ops->len / 2, ops->len - ops->len / 2,
                                &failures, &first_error);
        if (r < 0)
                return r;

        /* Should every single op succeed on its own while the batch failed, say why the batch did. */
        if (ret_error)
                *ret_error = first_error ? TAKE_PTR(first_error) : NULL;

        return (int) MIN(failures, (size_t) INT_MAX);
}

/* ---- listing ---- */

/* "ADDRESS", "NET/LEN" for {"prefix": …}, "FIRST-LAST" for {"range": […]} (not ours; parses as nothing);
 * NULL if V is none of these. */
static char *element_value_to_string(json_t *v) {
        const char *addr = NULL, *first = NULL, *last = NULL;
        int len = 0;

        if (json_is_string(v))
                return g_strdup(json_string_value(v));
        if (json_unpack(v, "{s:{s:s,s:i}}", "prefix", "addr", &addr, "len", &len) == 0)
                return g_strdup_printf("%s/%d", addr, len);
        if (json_unpack(v, "{s:[s,s]}", "range", &first, &last) == 0)
                return g_strdup_printf("%s-%s", first, last);
        return NULL;
}

static int list_set(NftBackend *b, const char *set, GPtrArray *addresses, GArray *timeouts) {
        _cleanup_json_ json_t *doc = NULL, *out = NULL;
        json_t *item, *elem;
        size_t i, k;
        int r;

        doc = document_new();
        r = document_append(doc, json_pack("{s:{s:{s:s,s:s,s:s}}}", "list", "set",
                                           "family", "inet", "table", b->table, "name", set));
        if (r < 0)
                return r;

        r = nft_run(b, doc, /* terse= */ false, &out, /* ret_error= */ NULL);
        if (r < 0)
                return r;

        json_array_foreach(json_object_get(out, "nftables"), i, item) {
                json_t *s = json_object_get(item, "set");

                if (!s)
                        continue;

                json_array_foreach(json_object_get(s, "elem"), k, elem) {
                        g_autofree char *val = NULL;
                        json_int_t expires = -1, timeout = -1;
                        json_t *v = elem;
                        usec_t t;

                        if (json_is_object(elem) && json_object_get(elem, "elem")) {
                                if (json_unpack(elem, "{s:{s:o,s?I,s?I}}", "elem", "val", &v,
                                                "timeout", &timeout, "expires", &expires) < 0)
                                        return SYNTHETIC_ERRNO(EBADMSG);
                        }
                        val = element_value_to_string(v);
                        if (!val)
                                return SYNTHETIC_ERRNO(EBADMSG);

                        if (expires >= 0)
                                t = (usec_t) expires * USEC_PER_SEC;
                        else if (timeout >= 0)
                                t = (usec_t) timeout * USEC_PER_SEC;
                        else
                                t = USEC_INFINITY;

                        g_ptr_array_add(addresses, strdup(val));
                        g_array_append_val(timeouts, t);
                        if (!addresses->pdata[addresses->len - 1])
                                return -ENOMEM;
                }
        }

        return 0;
}

int nft_backend_list(NftBackend *b, const char *jail, char ***ret_addresses, usec_t **ret_timeouts, size_t *ret_n) {
        g_autoptr(GPtrArray) addresses = NULL;
        g_autoptr(GArray) timeouts = NULL;
        size_t n;
        int r;

        assert(b);
        assert(ret_addresses);
        assert(ret_timeouts);
        assert(ret_n);

        if (!jail_name_is_valid(jail))
                return SYNTHETIC_ERRNO(EINVAL);

        addresses = g_ptr_array_new_with_free_func(free);
        timeouts = g_array_new(/* zero_terminated= */ false, /* clear= */ false, sizeof(usec_t));

        for (int k = 0; k < (g_hash_table_contains(b->net_jails, jail) ? 4 : 2); k++) {
                g_autofree char *set = set_name_full(jail, k % 2 == 0 ? AF_INET : AF_INET6, k >= 2);

                r = list_set(b, set, addresses, timeouts);
                if (r < 0)
                        return r;
        }

        /* Hand out malloc()ed arrays, as documented (free each string and both arrays). */
        n = addresses->len;
        g_ptr_array_add(addresses, NULL);
        g_ptr_array_set_free_func(addresses, NULL);

        *ret_addresses = (char **) g_ptr_array_steal(addresses, NULL);
        *ret_timeouts = (usec_t *) (void *) g_array_steal(timeouts, NULL);
        *ret_n = n;
        return 0;
}

int nft_backend_verify(NftBackend *b, const NftJailSpec *jails, size_t n_jails, char **ret_reason) {
        _cleanup_json_ json_t *doc = NULL, *out = NULL;
        g_autoptr(GHashTable) sets = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        g_autofree char *error = NULL;
        size_t i, n_rules = 0, expected_rules = 0;
        bool chain = false;
        json_t *item;
        int r;

        doc = document_new();
        if (document_append(doc, json_pack("{s:{s:{s:s,s:s}}}", "list", "table", "family", "inet", "name",
                                           b->table)) < 0)
                return -ENOMEM;
        r = nft_run(b, doc, /* terse= */ true, &out, &error);
        if (r == -ENOENT) {
                if (ret_reason)
                        *ret_reason = g_strdup_printf("table inet %s is gone", b->table);
                return 0;
        }
        if (r < 0)
                return r;

        json_array_foreach(json_object_get(out, "nftables"), i, item) {
                const char *table = NULL, *name = NULL, *chain_name = NULL;

                if (json_unpack(item, "{s:{s:s,s:s}}", "set", "table", &table, "name", &name) == 0 &&
                    streq(table, b->table))
                        g_hash_table_add(sets, g_strdup(name));
                else if (json_unpack(item, "{s:{s:s,s:s}}", "chain", "table", &table, "name", &name) == 0 &&
                         streq(table, b->table) && streq(name, "input"))
                        chain = true;
                else if (json_unpack(item, "{s:{s:s,s:s}}", "rule", "table", &table, "chain", &chain_name) == 0 &&
                         streq(table, b->table) && streq(chain_name, "input"))
                        n_rules++;
        }

        if (!chain) {
                if (ret_reason)
                        *ret_reason = g_strdup("chain input is gone");
                return 0;
        }
        for (i = 0; i < n_jails; i++) {
                int n_sets = jails[i].prefixes ? 4 : 2;

                for (int k = 0; k < n_sets; k++) {
                        g_autofree char *set = set_name_full(jails[i].name, k % 2 == 0 ? AF_INET : AF_INET6, k >= 2);

                        if (!g_hash_table_contains(sets, set)) {
                                if (ret_reason)
                                        *ret_reason = g_strdup_printf("set %s is gone", set);
                                return 0;
                        }
                }
                expected_rules += n_sets;
        }
        if (n_rules != expected_rules) {
                if (ret_reason)
                        *ret_reason = g_strdup_printf("chain input has %zu rules instead of %zu", n_rules,
                                                      expected_rules);
                return 0;
        }
        return 1;
}

int nft_backend_delete_table(NftBackend *b, char **ret_error) {
        _cleanup_json_ json_t *doc = NULL;
        int r;

        assert(b);

        /* "add" first so that deleting a table that is not there is not an error. */
        doc = document_new();
        r = document_append(doc, json_pack("{s:{s:{s:s,s:s}}}", "add", "table",
                                           "family", "inet", "name", b->table));
        if (r < 0)
                return r;
        r = document_append(doc, json_pack("{s:{s:{s:s,s:s}}}", "delete", "table",
                                           "family", "inet", "name", b->table));
        if (r < 0)
                return r;

        return nft_run(b, doc, /* terse= */ false, /* ret_output= */ NULL, ret_error);
}
