/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The nftables backend against the real kernel. Needs root; meson runs it as `unshare --net -- … --tap`
 * so that every table lives in a private network namespace. The expected state is read back with a
 * libnftables context of our own (JSON listing), independent of the backend under test. */

#include <arpa/inet.h>
#include <glib.h>
#include <jansson.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "action-nft.h"
#include "macro.h"

#define TABLE "pctest"

static struct nft_ctx *json_ctx, *text_ctx;

/* ---- helpers ---- */

static Address addr(const char *s) {
        Address a = {};

        if (inet_pton(AF_INET, s, &a.in) == 1)
                a.family = AF_INET;
        else {
                g_assert_cmpint(inet_pton(AF_INET6, s, &a.in6), ==, 1);
                a.family = AF_INET6;
        }
        return a;
}

static void nft_text(const char *cmd) {
        int r;

        r = nft_run_cmd_from_buffer(text_ctx, cmd);
        if (r != 0)
                g_printerr("nft '%s': %s\n", cmd, nft_ctx_get_error_buffer(text_ctx));
        g_assert_cmpint(r, ==, 0);
        (void) nft_ctx_get_output_buffer(text_ctx);
}

/* `nft -j list …`, parsed. Returns NULL when nft fails (no such table or set). */
static json_t *nft_json_list(const char *what) {
        g_autofree char *cmd = g_strdup_printf("list %s", what);
        const char *out;
        json_t *j;

        if (nft_run_cmd_from_buffer(json_ctx, cmd) != 0) {
                (void) nft_ctx_get_error_buffer(json_ctx);
                return NULL;
        }
        out = nft_ctx_get_output_buffer(json_ctx);
        j = json_loads(out, 0, NULL);
        g_assert_nonnull(j);
        return j;
}

static char *dump(const json_t *j) {
        return json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
}

/* The objects of kind KIND ("set", "chain", "rule", …) in a listing, with their handles stripped. */
static json_t *objects_of(const json_t *listing, const char *kind) {
        json_t *result = json_array(), *item;
        size_t i;

        json_array_foreach(json_object_get(listing, "nftables"), i, item) {
                json_t *o = json_object_get(item, kind);

                if (!o)
                        continue;
                o = json_deep_copy(o);
                json_object_del(o, "handle");
                json_array_append_new(result, o);
        }
        return result;
}

static json_t *find_named(const json_t *objects, const char *name) {
        json_t *o;
        size_t i;

        json_array_foreach(objects, i, o)
                if (streq_ptr(json_string_value(json_object_get(o, "name")), name))
                        return o;
        return NULL;
}

static bool set_exists(const char *set) {
        g_autofree char *what = g_strdup_printf("set inet " TABLE " %s", set);
        json_t *j = nft_json_list(what);

        json_decref(j);
        return j != NULL;
}

/* The raw element object of ADDRESS in SET: a JSON string (no timeout) or {"elem":{…}}; NULL if absent.
 * Returned with a reference. */
static json_t *set_element(const char *set, const char *address) {
        g_autofree char *what = g_strdup_printf("set inet " TABLE " %s", set);
        json_t *j = nft_json_list(what), *sets, *e, *found = NULL;
        size_t i;

        g_assert_nonnull(j);
        sets = objects_of(j, "set");
        g_assert_cmpint(json_array_size(sets), ==, 1);

        json_array_foreach(json_object_get(json_array_get(sets, 0), "elem"), i, e) {
                const char *val = json_is_string(e) ? json_string_value(e)
                                                    : json_string_value(json_object_get(json_object_get(e, "elem"), "val"));
                if (streq_ptr(val, address))
                        found = json_incref(e);
        }

        json_decref(sets);
        json_decref(j);
        return found;
}

static json_int_t element_field(const json_t *e, const char *field) {
        json_t *v = json_object_get(json_object_get(e, "elem"), field);

        return v ? json_integer_value(v) : -1;
}

/* Entry of ADDRESS in nft_backend_list(); returns its remaining timeout or asserts it is there. */
typedef struct Listing {
        char **addresses;
        usec_t *timeouts;
        size_t n;
} Listing;

static void listing_done(Listing *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->addresses[i]);
        free(l->addresses);
        free(l->timeouts);
        *l = (Listing) {};
}

static void listing_get(NftBackend *b, const char *jail, Listing *ret) {
        g_assert_cmpint(nft_backend_list(b, jail, &ret->addresses, &ret->timeouts, &ret->n), ==, 0);
}

static bool listing_find(const Listing *l, const char *address, usec_t *ret_timeout) {
        for (size_t i = 0; i < l->n; i++)
                if (streq(l->addresses[i], address)) {
                        if (ret_timeout)
                                *ret_timeout = l->timeouts[i];
                        return true;
                }
        return false;
}

static const PortRange ports_ssh[] = { { 22, 22 } };
static const PortRange ports_multi[] = { { 22, 22 }, { 80, 90 }, { 443, 443 } };

static const NftJailSpec jails_basic[] = {
        { .name = "sshd", .ports = ports_ssh, .n_ports = 1, .protocol = PROTOCOL_TCP, .blocktype = BLOCK_TYPE_DROP },
        { .name = "ssh-d.x", .ports = NULL, .n_ports = 0, .protocol = PROTOCOL_ALL, .blocktype = BLOCK_TYPE_DROP },
};

static NftBackend *backend_new_clean(void) {
        NftBackend *b = NULL;
        g_autofree char *error = NULL;

        g_assert_cmpint(nft_backend_new(TABLE, &b), ==, 0);
        g_assert_nonnull(b);
        g_assert_cmpint(nft_backend_delete_table(b, &error), ==, 0);
        g_assert_null(error);
        return b;
}

static void setup_ok(NftBackend *b, const NftJailSpec *jails, size_t n) {
        g_autofree char *error = NULL;
        int r;

        r = nft_backend_setup(b, jails, n, &error);
        if (r < 0)
                g_printerr("setup: %s\n", error);
        g_assert_cmpint(r, ==, 0);
}

static void commit_ok(NftBackend *b) {
        g_autofree char *error = NULL;
        int r;

        r = nft_backend_commit(b, &error);
        if (r != 0)
                g_printerr("commit: %s\n", error);
        g_assert_cmpint(r, ==, 0);
        g_assert_cmpuint(nft_backend_queued(b), ==, 0);
}

static void ban(NftBackend *b, const char *jail, const char *address, usec_t timeout) {
        Address a = addr(address);

        g_assert_cmpint(nft_backend_queue_ban(b, jail, &a, timeout), ==, 0);
}

static void unban(NftBackend *b, const char *jail, const char *address) {
        Address a = addr(address);

        g_assert_cmpint(nft_backend_queue_unban(b, jail, &a), ==, 0);
}

static void assert_json_equal(json_t *got, json_t *expected) {
        if (!json_equal(got, expected)) {
                g_autofree char *g = dump(got), *e = dump(expected);

                g_printerr("got:\n%s\nexpected:\n%s\n", g, e);
        }
        g_assert_true(json_equal(got, expected));
}

/* ---- tests ---- */

static void test_setup_creates(void) {
        NftBackend *b = backend_new_clean();
        json_t *j, *sets, *chains, *rules, *s, *c;

        setup_ok(b, jails_basic, ELEMENTSOF(jails_basic));

        j = nft_json_list("table inet " TABLE);
        g_assert_nonnull(j);
        sets = objects_of(j, "set");
        chains = objects_of(j, "chain");
        rules = objects_of(j, "rule");

        g_assert_cmpuint(json_array_size(sets), ==, 4);
        for (size_t i = 0; i < ELEMENTSOF(jails_basic); i++)
                for (int k = 0; k < 2; k++) {
                        g_autofree char *name = g_strconcat(jails_basic[i].name, k == 0 ? "_v4" : "_v6", NULL);
                        json_t *expected = json_pack("{s:s,s:s,s:s,s:s,s:[s]}", "family", "inet", "name", name,
                                                     "table", TABLE, "type", k == 0 ? "ipv4_addr" : "ipv6_addr",
                                                     "flags", "timeout");

                        s = find_named(sets, name);
                        g_assert_nonnull(s);
                        assert_json_equal(s, expected);
                        json_decref(expected);
                }

        g_assert_cmpuint(json_array_size(chains), ==, 1);
        c = json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:s}", "family", "inet", "table", TABLE, "name", "input",
                      "type", "filter", "hook", "input", "prio", -10, "policy", "accept");
        assert_json_equal(json_array_get(chains, 0), c);
        json_decref(c);

        /* One rule per jail and family. */
        g_assert_cmpuint(json_array_size(rules), ==, 4);

        json_decref(sets);
        json_decref(chains);
        json_decref(rules);
        json_decref(j);
        g_assert_cmpint(nft_backend_delete_table(b, NULL), ==, 0);
        g_assert_null(nft_json_list("table inet " TABLE));
        nft_backend_free(b);
}

static void check_rules_golden(const NftJailSpec *jails, size_t n, const char *golden) {
        NftBackend *b = backend_new_clean();
        g_autofree char *path = NULL;
        json_error_t jerr;
        json_t *j, *rules, *expected;

        setup_ok(b, jails, n);

        path = g_build_filename(g_getenv("PORTCULLIS_SOURCE_DIR") ?: ".", "tests", "data", "nft", golden, NULL);
        expected = json_load_file(path, 0, &jerr);
        if (!expected)
                g_printerr("%s:%d: %s\n", path, jerr.line, jerr.text);
        g_assert_nonnull(expected);

        j = nft_json_list("chain inet " TABLE " input");
        g_assert_nonnull(j);
        rules = objects_of(j, "rule");
        assert_json_equal(rules, expected);

        json_decref(rules);
        json_decref(expected);
        json_decref(j);
        g_assert_cmpint(nft_backend_delete_table(b, NULL), ==, 0);
        nft_backend_free(b);
}

static void test_rules_drop(void) {
        static const NftJailSpec jails[] = {
                { .name = "sshd", .ports = ports_ssh, .n_ports = 1, .protocol = PROTOCOL_TCP, .blocktype = BLOCK_TYPE_DROP },
                { .name = "web", .ports = ports_multi, .n_ports = 3, .protocol = PROTOCOL_TCP, .blocktype = BLOCK_TYPE_DROP },
                { .name = "dns", .ports = ports_multi, .n_ports = 1, .protocol = PROTOCOL_UDP, .blocktype = BLOCK_TYPE_DROP },
                /* PROTOCOL_ALL ignores ports. */
                { .name = "all", .ports = ports_multi, .n_ports = 3, .protocol = PROTOCOL_ALL, .blocktype = BLOCK_TYPE_DROP },
        };

        check_rules_golden(jails, ELEMENTSOF(jails), "rules-drop.json");
}

static void test_rules_reject(void) {
        static const NftJailSpec jails[] = {
                { .name = "sshd", .ports = ports_ssh, .n_ports = 1, .protocol = PROTOCOL_TCP, .blocktype = BLOCK_TYPE_REJECT },
                { .name = "tcp-any", .ports = NULL, .n_ports = 0, .protocol = PROTOCOL_TCP, .blocktype = BLOCK_TYPE_REJECT },
                { .name = "dns", .ports = ports_multi + 1, .n_ports = 1, .protocol = PROTOCOL_UDP, .blocktype = BLOCK_TYPE_REJECT },
                { .name = "all", .ports = NULL, .n_ports = 0, .protocol = PROTOCOL_ALL, .blocktype = BLOCK_TYPE_REJECT },
        };

        check_rules_golden(jails, ELEMENTSOF(jails), "rules-reject.json");
}

static void test_foreign_tables_untouched(void) {
        NftBackend *b = backend_new_clean();
        json_t *before, *after;

        /* Someone else's tables: another inet table, and one with our name in another family. */
        nft_text("add table inet other");
        nft_text("add set inet other sshd_v4 { type ipv4_addr; flags timeout; elements = { 198.51.100.1 } }");
        nft_text("add chain inet other input { type filter hook input priority -10; policy accept; }");
        nft_text("add rule inet other input ip saddr @sshd_v4 drop");
        nft_text("add table ip " TABLE);
        nft_text("add set ip " TABLE " sshd_v4 { type ipv4_addr; }");

        before = nft_json_list("ruleset");
        g_assert_nonnull(before);

        setup_ok(b, jails_basic, ELEMENTSOF(jails_basic));
        ban(b, "sshd", "198.51.100.1", 60 * USEC_PER_SEC);
        commit_ok(b);
        setup_ok(b, jails_basic, 1); /* drops the second jail's sets */
        g_assert_cmpint(nft_backend_delete_table(b, NULL), ==, 0);

        after = nft_json_list("ruleset");
        g_assert_nonnull(after);
        assert_json_equal(after, before);

        json_decref(before);
        json_decref(after);
        nft_text("delete table inet other");
        nft_text("delete table ip " TABLE);
        nft_backend_free(b);
}

static void test_setup_twice_keeps_elements(void) {
        NftBackend *b = backend_new_clean();
        Listing l = {};
        usec_t t = 0;

        setup_ok(b, jails_basic, ELEMENTSOF(jails_basic));
        ban(b, "sshd", "192.0.2.1", 600 * USEC_PER_SEC);
        ban(b, "ssh-d.x", "2001:db8::1", USEC_INFINITY);
        commit_ok(b);

        setup_ok(b, jails_basic, ELEMENTSOF(jails_basic));

        listing_get(b, "sshd", &l);
        g_assert_cmpuint(l.n, ==, 1);
        g_assert_true(listing_find(&l, "192.0.2.1", &t));
        g_assert_cmpuint(t, <=, 600 * USEC_PER_SEC);
        g_assert_cmpuint(t, >=, 598 * USEC_PER_SEC);
        listing_done(&l);

        listing_get(b, "ssh-d.x", &l);
        g_assert_cmpuint(l.n, ==, 1);
        g_assert_true(listing_find(&l, "2001:db8::1", &t));
        g_assert_cmpuint(t, ==, USEC_INFINITY);
        listing_done(&l);

        g_assert_cmpint(nft_backend_delete_table(b, NULL), ==, 0);
        nft_backend_free(b);
}

static void test_removed_jail_vanishes(void) {
        NftBackend *b = backend_new_clean();
        json_t *j, *rules, *r;
        size_t i;

        setup_ok(b, jails_basic, ELEMENTSOF(jails_basic));
        ban(b, "ssh-d.x", "192.0.2.9", 600 * USEC_PER_SEC);
        commit_ok(b);
        g_assert_true(set_exists("ssh-d.x_v4"));

        setup_ok(b, jails_basic, 1);
        g_assert_false(set_exists("ssh-d.x_v4"));
        g_assert_false(set_exists("ssh-d.x_v6"));
        g_assert_true(set_exists("sshd_v4"));
        g_assert_true(set_exists("sshd_v6"));

        /* Only the remaining jail's rules are left. */
        j = nft_json_list("chain inet " TABLE " input");
        rules = objects_of(j, "rule");
        g_assert_cmpuint(json_array_size(rules), ==, 2);
        json_array_foreach(rules, i, r) {
                g_autofree char *text = json_dumps(r, 0);

                g_assert_null(strstr(text, "ssh-d.x"));
        }
        json_decref(rules);
        json_decref(j);

        /* And no jail at all: empty chain, no sets. */
        setup_ok(b, NULL, 0);
        g_assert_false(set_exists("sshd_v4"));
        j = nft_json_list("table inet " TABLE);
        g_assert_nonnull(j);
        rules = objects_of(j, "rule");
        g_assert_cmpuint(json_array_size(rules), ==, 0);
        json_decref(rules);
        json_decref(j);

        g_assert_cmpint(nft_backend_delete_table(b, NULL), ==, 0);
        nft_backend_free(b);
}

static void test_ban_timeouts(void) {
        NftBackend *b = backend_new_clean();
        Listing l = {};
        json_t *e;
        usec_t t = 0;

        setup_ok(b, jails_basic, ELEMENTSOF(jails_basic));
        ban(b, "sshd", "192.0.2.10", 600 * USEC_PER_SEC);
        ban(b, "sshd", "2001:db8::10", 3600 * USEC_PER_SEC);
        ban(b, "sshd", "192.0.2.11", 90 * USEC_PER_SEC + 1);  /* rounds up to 91 s */
        ban(b, "sshd", "192.0.2.12", 1);                       /* at least 1 s */
        g_assert_cmpuint(nft_backend_queued(b), ==, 4);
        commit_ok(b);

        listing_get(b, "sshd", &l);
        g_assert_cmpuint(l.n, ==, 4);
        g_assert_true(listing_find(&l, "192.0.2.10", &t));
        g_assert_cmpuint(t, >=, 598 * USEC_PER_SEC);
        g_assert_cmpuint(t, <=, 600 * USEC_PER_SEC);
        g_assert_true(listing_find(&l, "2001:db8::10", &t));
        g_assert_cmpuint(t, >=, 3598 * USEC_PER_SEC);
        g_assert_cmpuint(t, <=, 3600 * USEC_PER_SEC);
        listing_done(&l);

        e = set_element("sshd_v4", "192.0.2.11");
        g_assert_nonnull(e);
        g_assert_cmpint(element_field(e, "timeout"), ==, 91);
        json_decref(e);
        e = set_element("sshd_v4", "192.0.2.12");
        g_assert_nonnull(e);
        g_assert_cmpint(element_field(e, "timeout"), ==, 1);
        json_decref(e);
        e = set_element("sshd_v6", "2001:db8::10");
        g_assert_nonnull(e);
        g_assert_cmpint(element_field(e, "timeout"), ==, 3600);
        json_decref(e);

        g_assert_cmpint(nft_backend_delete_table(b, NULL), ==, 0);
        nft_backend_free(b);
}

static void test_permanent_ban(void) {
        NftBackend *b = backend_new_clean();
        Listing l = {};
        json_t *e;
        usec_t t = 0;

        setup_ok(b, jails_basic, ELEMENTSOF(jails_basic));
        ban(b, "sshd", "203.0.113.5", USEC_INFINITY);
        ban(b, "sshd", "2001:db8::5", USEC_INFINITY);
        commit_ok(b);

        listing_get(b, "sshd", &l);
        g_assert_cmpuint(l.n, ==, 2);
        g_assert_true(listing_find(&l, "203.0.113.5", &t));
        g_assert_cmpuint(t, ==, USEC_INFINITY);
        g_assert_true(listing_find(&l, "2001:db8::5", &t));
        g_assert_cmpuint(t, ==, USEC_INFINITY);
        listing_done(&l);

        /* In the kernel: an element without any timeout. */
        e = set_element("sshd_v4", "203.0.113.5");
        g_assert_nonnull(e);
        g_assert_cmpint(element_field(e, "timeout"), ==, -1);
        g_assert_cmpint(element_field(e, "expires"), ==, -1);
        json_decref(e);

        g_assert_cmpint(nft_backend_delete_table(b, NULL), ==, 0);
        nft_backend_free(b);
}

static void test_unban(void) {
        NftBackend *b = backend_new_clean();
        Listing l = {};

        setup_ok(b, jails_basic, ELEMENTSOF(jails_basic));
        ban(b, "sshd", "192.0.2.20", 600 * USEC_PER_SEC);
        ban(b, "sshd", "2001:db8::20", 600 * USEC_PER_SEC);
        ban(b, "sshd", "192.0.2.21", USEC_INFINITY);
        commit_ok(b);

        unban(b, "sshd", "192.0.2.20");
        unban(b, "sshd", "2001:db8::20");
        commit_ok(b);

        listing_get(b, "sshd", &l);
        g_assert_cmpuint(l.n, ==, 1);
        g_assert_true(listing_find(&l, "192.0.2.21", NULL));
        listing_done(&l);

        g_assert_cmpint(nft_backend_delete_table(b, NULL), ==, 0);
        nft_backend_free(b);
}

static void test_batch_with_failure(void) {
        NftBackend *b = backend_new_clean();
        g_autofree char *error = NULL;
        Listing l = {};
        json_t *e;
        int r;

        setup_ok(b, jails_basic, ELEMENTSOF(jails_basic));
        ban(b, "sshd", "192.0.2.30", 600 * USEC_PER_SEC);
        commit_ok(b);

        /* One transaction: two new bans, one good unban, and an unban of an element that is not there
         * (expired meanwhile): only that one may fail. */
        ban(b, "sshd", "192.0.2.31", 600 * USEC_PER_SEC);
        ban(b, "ssh-d.x", "2001:db8::31", 600 * USEC_PER_SEC);
        unban(b, "sshd", "192.0.2.30");
        unban(b, "sshd", "192.0.2.99");
        ban(b, "sshd", "2001:db8::32", USEC_INFINITY);
        g_assert_cmpuint(nft_backend_queued(b), ==, 5);

        r = nft_backend_commit(b, &error);
        g_assert_cmpint(r, ==, 1);
        g_assert_nonnull(error);
        g_test_message("commit error: %s", error);
        g_assert_nonnull(strstr(error, "No such file or directory"));
        g_assert_nonnull(strstr(error, "JSON sent"));
        g_assert_nonnull(strstr(error, "192.0.2.99"));
        g_assert_cmpuint(nft_backend_queued(b), ==, 0);

        listing_get(b, "sshd", &l);
        g_assert_cmpuint(l.n, ==, 2);
        g_assert_true(listing_find(&l, "192.0.2.31", NULL));
        g_assert_true(listing_find(&l, "2001:db8::32", NULL));
        g_assert_false(listing_find(&l, "192.0.2.30", NULL));
        listing_done(&l);
        listing_get(b, "ssh-d.x", &l);
        g_assert_cmpuint(l.n, ==, 1);
        g_assert_true(listing_find(&l, "2001:db8::31", NULL));
        listing_done(&l);

        /* Two failures are counted as two. */
        g_clear_pointer(&error, g_free);
        unban(b, "sshd", "192.0.2.98");
        unban(b, "sshd", "2001:db8::98");
        ban(b, "sshd", "192.0.2.33", USEC_INFINITY);
        g_assert_cmpint(nft_backend_commit(b, &error), ==, 2);
        g_assert_nonnull(error);
        e = set_element("sshd_v4", "192.0.2.33");
        g_assert_nonnull(e);
        json_decref(e);

        g_assert_cmpint(nft_backend_delete_table(b, NULL), ==, 0);
        nft_backend_free(b);
}

static void test_queue_last_op_wins(void) {
        NftBackend *b = backend_new_clean();
        Listing l = {};
        json_t *e;

        setup_ok(b, jails_basic, ELEMENTSOF(jails_basic));

        /* Banned and unbanned within one batch (the element was never in the kernel): no failure. */
        ban(b, "sshd", "192.0.2.40", 600 * USEC_PER_SEC);
        unban(b, "sshd", "192.0.2.40");
        /* Banned twice: one element, the last timeout. */
        ban(b, "sshd", "192.0.2.41", 600 * USEC_PER_SEC);
        ban(b, "sshd", "192.0.2.41", 60 * USEC_PER_SEC);
        /* Same address, other jail: a separate element. */
        ban(b, "ssh-d.x", "192.0.2.41", USEC_INFINITY);
        g_assert_cmpuint(nft_backend_queued(b), ==, 3);
        commit_ok(b);

        listing_get(b, "sshd", &l);
        g_assert_cmpuint(l.n, ==, 1);
        g_assert_false(listing_find(&l, "192.0.2.40", NULL));
        listing_done(&l);
        e = set_element("sshd_v4", "192.0.2.41");
        g_assert_nonnull(e);
        g_assert_cmpint(element_field(e, "timeout"), ==, 60);
        json_decref(e);
        e = set_element("ssh-d.x_v4", "192.0.2.41");
        g_assert_nonnull(e);
        g_assert_true(json_is_string(e));
        json_decref(e);

        g_assert_cmpint(nft_backend_delete_table(b, NULL), ==, 0);
        nft_backend_free(b);
}

static bool kernel_at_least(unsigned major, unsigned minor) {
        struct utsname u;
        unsigned ma = 0, mi = 0;

        g_assert_cmpint(uname(&u), ==, 0);
        g_assert_cmpint(sscanf(u.release, "%u.%u", &ma, &mi), ==, 2);
        return ma > major || (ma == major && mi >= minor);
}

static void test_reban(void) {
        NftBackend *b = backend_new_clean();
        bool updates = kernel_at_least(6, 10);
        json_t *e;

        setup_ok(b, jails_basic, ELEMENTSOF(jails_basic));
        ban(b, "sshd", "192.0.2.50", 100 * USEC_PER_SEC);
        ban(b, "sshd", "192.0.2.51", USEC_INFINITY);
        commit_ok(b);

        /* Re-ban of elements that are there: "add element" never fails. Since kernel 6.10 it replaces
         * the timeout (longer, shorter, or none); before, the element is kept as it was. */
        ban(b, "sshd", "192.0.2.50", 1000 * USEC_PER_SEC);
        ban(b, "sshd", "192.0.2.51", 300 * USEC_PER_SEC);
        commit_ok(b);

        e = set_element("sshd_v4", "192.0.2.50");
        g_assert_nonnull(e);
        g_assert_cmpint(element_field(e, "timeout"), ==, updates ? 1000 : 100);
        json_decref(e);
        e = set_element("sshd_v4", "192.0.2.51");
        g_assert_nonnull(e);
        g_assert_cmpint(element_field(e, "timeout"), ==, updates ? 300 : -1);
        json_decref(e);

        ban(b, "sshd", "192.0.2.50", 50 * USEC_PER_SEC);
        commit_ok(b);
        e = set_element("sshd_v4", "192.0.2.50");
        g_assert_cmpint(element_field(e, "timeout"), ==, updates ? 50 : 100);
        json_decref(e);

        g_assert_cmpint(nft_backend_delete_table(b, NULL), ==, 0);
        nft_backend_free(b);
}

static void test_v4_mapped(void) {
        NftBackend *b = backend_new_clean();
        Address mapped = addr("::ffff:192.0.2.60");
        json_t *e;

        g_assert_cmpint(mapped.family, ==, AF_INET6);

        setup_ok(b, jails_basic, ELEMENTSOF(jails_basic));
        ban(b, "sshd", "192.0.2.61", 600 * USEC_PER_SEC);
        ban(b, "sshd", "2001:db8::61", 600 * USEC_PER_SEC);
        g_assert_cmpint(nft_backend_queue_ban(b, "sshd", &mapped, 600 * USEC_PER_SEC), ==, 0);
        commit_ok(b);

        e = set_element("sshd_v4", "192.0.2.61");
        g_assert_nonnull(e);
        json_decref(e);
        e = set_element("sshd_v4", "192.0.2.60");
        g_assert_nonnull(e);
        json_decref(e);
        g_assert_null(set_element("sshd_v6", "::ffff:192.0.2.60"));
        g_assert_null(set_element("sshd_v6", "192.0.2.60"));
        g_assert_null(set_element("sshd_v4", "2001:db8::61"));
        e = set_element("sshd_v6", "2001:db8::61");
        g_assert_nonnull(e);
        json_decref(e);

        /* An unban of the mapped form finds the IPv4 element. */
        g_assert_cmpint(nft_backend_queue_unban(b, "sshd", &mapped), ==, 0);
        commit_ok(b);
        g_assert_null(set_element("sshd_v4", "192.0.2.60"));

        g_assert_cmpint(nft_backend_delete_table(b, NULL), ==, 0);
        nft_backend_free(b);
}

/* Set names with '-' and '.': JSON takes them, and nft's text listing reads back through the text
 * parser unchanged. */
static void test_name_roundtrip(void) {
        NftBackend *b = backend_new_clean();
        g_autofree char *text = NULL;
        json_t *before, *after;

        setup_ok(b, jails_basic, ELEMENTSOF(jails_basic));
        ban(b, "ssh-d.x", "192.0.2.70", USEC_INFINITY);
        ban(b, "ssh-d.x", "2001:db8::70", USEC_INFINITY);
        commit_ok(b);

        before = nft_json_list("table inet " TABLE);
        g_assert_nonnull(before);

        g_assert_cmpint(nft_run_cmd_from_buffer(text_ctx, "list table inet " TABLE), ==, 0);
        text = g_strdup(nft_ctx_get_output_buffer(text_ctx));
        g_test_message("%s", text);
        g_assert_nonnull(strstr(text, "set ssh-d.x_v4 {"));
        g_assert_nonnull(strstr(text, "ip saddr @ssh-d.x_v4 drop"));

        g_assert_cmpint(nft_backend_delete_table(b, NULL), ==, 0);
        nft_text(text);

        after = nft_json_list("table inet " TABLE);
        g_assert_nonnull(after);
        /* Handles are per object and reassigned; compare everything else. */
        {
                const char *kinds[] = { "set", "chain", "rule" };

                for (size_t i = 0; i < ELEMENTSOF(kinds); i++) {
                        json_t *x = objects_of(before, kinds[i]), *y = objects_of(after, kinds[i]);

                        assert_json_equal(y, x);
                        json_decref(x);
                        json_decref(y);
                }
        }

        json_decref(before);
        json_decref(after);
        g_assert_cmpint(nft_backend_delete_table(b, NULL), ==, 0);
        nft_backend_free(b);
}

static void test_invalid(void) {
        static const NftJailSpec bad_name[] = {
                { .name = "1sshd", .protocol = PROTOCOL_TCP, .blocktype = BLOCK_TYPE_DROP },
        };
        static const PortRange backwards[] = { { 90, 80 } };
        static const NftJailSpec bad_ports[] = {
                { .name = "web", .ports = backwards, .n_ports = 1, .protocol = PROTOCOL_TCP, .blocktype = BLOCK_TYPE_DROP },
        };
        static const NftJailSpec dup[] = {
                { .name = "web", .protocol = PROTOCOL_TCP, .blocktype = BLOCK_TYPE_DROP },
                { .name = "web", .protocol = PROTOCOL_UDP, .blocktype = BLOCK_TYPE_DROP },
        };
        NftBackend *b = backend_new_clean();
        Address a = addr("192.0.2.80");
        char *error = NULL;
        char **addresses = NULL;
        usec_t *timeouts = NULL;
        size_t n = 0;

        g_assert_cmpint(nft_backend_setup(b, bad_name, 1, &error), ==, -EINVAL);
        g_assert_nonnull(strstr(error, "1sshd"));
        g_clear_pointer(&error, g_free);
        g_assert_cmpint(nft_backend_setup(b, bad_ports, 1, &error), ==, -EINVAL);
        g_clear_pointer(&error, g_free);
        g_assert_cmpint(nft_backend_setup(b, dup, 2, &error), ==, -EINVAL);
        g_clear_pointer(&error, g_free);
        g_assert_null(nft_json_list("table inet " TABLE));

        g_assert_cmpint(nft_backend_queue_ban(b, "bad name", &a, USEC_INFINITY), ==, -EINVAL);
        g_assert_cmpint(nft_backend_queue_ban(b, "x;flush ruleset", &a, USEC_INFINITY), ==, -EINVAL);
        g_assert_cmpuint(nft_backend_queued(b), ==, 0);

        /* A jail that was never set up: the sets do not exist. */
        g_assert_cmpint(nft_backend_list(b, "nosuchjail", &addresses, &timeouts, &n), <, 0);
        ban(b, "nosuchjail", "192.0.2.80", USEC_INFINITY);
        g_assert_cmpint(nft_backend_commit(b, &error), ==, 1);
        g_assert_nonnull(strstr(error, "nosuchjail_v4"));
        g_clear_pointer(&error, g_free);

        /* Nothing queued: nothing to do. */
        g_assert_cmpint(nft_backend_commit(b, &error), ==, 0);
        g_assert_null(error);

        /* Deleting a table that is not there is fine. */
        g_assert_cmpint(nft_backend_delete_table(b, NULL), ==, 0);
        g_assert_cmpint(nft_backend_delete_table(b, NULL), ==, 0);
        nft_backend_free(b);

        g_assert_cmpint(nft_backend_new("", &b), ==, -EINVAL);
        g_assert_null(nft_backend_free(NULL));
}

/* ---- prefixes (interval sets) ---- */

static const NftJailSpec jails_prefix[] = {
        { .name = "sshd", .ports = ports_ssh, .n_ports = 1, .protocol = PROTOCOL_TCP, .blocktype = BLOCK_TYPE_DROP,
          .prefixes = true },
        { .name = "web", .ports = ports_multi, .n_ports = 3, .protocol = PROTOCOL_TCP, .blocktype = BLOCK_TYPE_DROP },
};

static AddressPrefix prefix(const char *s) {
        AddressPrefix p;

        g_assert_cmpint(address_prefix_parse(s, &p), ==, 0);
        return p;
}

static void ban_prefix(NftBackend *b, const char *jail, const char *p, usec_t timeout) {
        AddressPrefix x = prefix(p);

        g_assert_cmpint(nft_backend_queue_ban_prefix(b, jail, &x, timeout), ==, 0);
}

static void unban_prefix(NftBackend *b, const char *jail, const char *p) {
        AddressPrefix x = prefix(p);

        g_assert_cmpint(nft_backend_queue_unban_prefix(b, jail, &x), ==, 0);
}

/* Whether the kernel matches ADDRESS against SET (nft get element: for an interval set, the element that
 * contains it). */
static bool kernel_matches(const char *set, const char *address) {
        g_autofree char *cmd = g_strdup_printf("get element inet " TABLE " %s { %s }", set, address);
        int r = nft_run_cmd_from_buffer(text_ctx, cmd);

        (void) nft_ctx_get_output_buffer(text_ctx);
        (void) nft_ctx_get_error_buffer(text_ctx);
        return r == 0;
}

static void test_prefix_setup(void) {
        NftBackend *b = backend_new_clean();
        g_autofree char *reason = NULL;
        json_t *j, *sets, *s, *expected;

        setup_ok(b, jails_prefix, ELEMENTSOF(jails_prefix));
        j = nft_json_list("table inet " TABLE);
        g_assert_nonnull(j);
        sets = objects_of(j, "set");
        /* sshd: two plain and two interval sets; web (no prefixes): its two plain sets only */
        g_assert_cmpuint(json_array_size(sets), ==, 6);
        g_assert_null(find_named(sets, "web_v4net"));
        for (int k = 0; k < 2; k++) {
                const char *name = k == 0 ? "sshd_v4net" : "sshd_v6net";

                expected = json_pack("{s:s,s:s,s:s,s:s,s:[s,s]}", "family", "inet", "name", name, "table", TABLE,
                                     "type", k == 0 ? "ipv4_addr" : "ipv6_addr", "flags", "interval", "timeout");
                s = find_named(sets, name);
                g_assert_nonnull(s);
                assert_json_equal(s, expected);
                json_decref(expected);
        }
        json_decref(sets);
        json_decref(j);
        check_rules_golden(jails_prefix, ELEMENTSOF(jails_prefix), "rules-prefix.json");

        /* check_rules_golden() deleted the table: set up again; verify knows the interval sets */
        setup_ok(b, jails_prefix, ELEMENTSOF(jails_prefix));
        g_assert_cmpint(nft_backend_verify(b, jails_prefix, ELEMENTSOF(jails_prefix), &reason), ==, 1);
        /* an interval set gone (with the rules that used it) is noticed */
        nft_text("flush chain inet " TABLE " input");
        nft_text("delete set inet " TABLE " sshd_v6net");
        g_assert_cmpint(nft_backend_verify(b, jails_prefix, ELEMENTSOF(jails_prefix), &reason), ==, 0);
        g_assert_cmpstr(reason, ==, "set sshd_v6net is gone");
        g_clear_pointer(&reason, g_free);
        setup_ok(b, jails_prefix, ELEMENTSOF(jails_prefix));
        g_assert_cmpint(nft_backend_verify(b, jails_prefix, ELEMENTSOF(jails_prefix), &reason), ==, 1);
        /* a jail that stops banning prefixes loses its interval sets; verify against the old specs says so */
        NftJailSpec plain[ELEMENTSOF(jails_prefix)];
        memcpy(plain, jails_prefix, sizeof(plain));
        plain[0].prefixes = false;
        setup_ok(b, plain, ELEMENTSOF(plain));
        g_assert_false(set_exists("sshd_v4net"));
        g_assert_cmpint(nft_backend_verify(b, plain, ELEMENTSOF(plain), NULL), ==, 1);
        g_assert_cmpint(nft_backend_verify(b, jails_prefix, ELEMENTSOF(jails_prefix), &reason), ==, 0);
        g_assert_cmpstr(reason, ==, "set sshd_v4net is gone");
        g_assert_cmpint(nft_backend_delete_table(b, NULL), ==, 0);
        nft_backend_free(b);
}

static void test_prefix_ban(void) {
        NftBackend *b = backend_new_clean();
        Listing l = {};
        usec_t t = 0;

        setup_ok(b, jails_prefix, ELEMENTSOF(jails_prefix));
        ban_prefix(b, "sshd", "2001:db8:0:1::/64", 600 * USEC_PER_SEC);
        ban_prefix(b, "sshd", "198.51.100.7/24", USEC_INFINITY); /* host bits are masked */
        ban_prefix(b, "sshd", "192.0.2.9/32", 60 * USEC_PER_SEC); /* a host prefix: the plain set */
        g_assert_cmpuint(nft_backend_queued(b), ==, 3);
        commit_ok(b);

        /* a neighbour of the banned /64 is matched, an address of the next /64 is not */
        g_assert_true(kernel_matches("sshd_v6net", "2001:db8:0:1::99"));
        g_assert_true(kernel_matches("sshd_v6net", "2001:db8:0:1:ffff:ffff:ffff:ffff"));
        g_assert_false(kernel_matches("sshd_v6net", "2001:db8:0:2::1"));
        g_assert_true(kernel_matches("sshd_v4net", "198.51.100.200"));
        g_assert_false(kernel_matches("sshd_v4net", "198.51.101.1"));
        g_assert_true(kernel_matches("sshd_v4", "192.0.2.9"));
        g_assert_false(kernel_matches("sshd_v4net", "192.0.2.9"));

        listing_get(b, "sshd", &l);
        g_assert_cmpuint(l.n, ==, 3);
        g_assert_true(listing_find(&l, "2001:db8:0:1::/64", &t));
        g_assert_cmpuint(t, >, 590 * USEC_PER_SEC);
        g_assert_cmpuint(t, <=, 600 * USEC_PER_SEC);
        g_assert_true(listing_find(&l, "198.51.100.0/24", &t));
        g_assert_cmpuint(t, ==, USEC_INFINITY);
        g_assert_true(listing_find(&l, "192.0.2.9", NULL));
        listing_done(&l);

        /* a jail without interval sets cannot take a prefix; hosts still work there */
        AddressPrefix p = prefix("2001:db8::/64");
        g_assert_cmpint(nft_backend_queue_ban_prefix(b, "web", &p, USEC_INFINITY), ==, -EOPNOTSUPP);
        g_assert_cmpuint(nft_backend_queued(b), ==, 0);

        /* unban of a prefix */
        unban_prefix(b, "sshd", "198.51.100.0/24");
        commit_ok(b);
        g_assert_false(kernel_matches("sshd_v4net", "198.51.100.200"));

        g_assert_cmpint(nft_backend_delete_table(b, NULL), ==, 0);
        nft_backend_free(b);
}

static void test_prefix_subsume(void) {
        NftBackend *b = backend_new_clean();
        Listing l = {};

        setup_ok(b, jails_prefix, ELEMENTSOF(jails_prefix));
        ban_prefix(b, "sshd", "2001:db8:0:1::/64", 600 * USEC_PER_SEC);
        ban_prefix(b, "sshd", "2001:db8:0:2::/64", 600 * USEC_PER_SEC);
        commit_ok(b);

        /* the /48 overlaps both /64s: the kernel refuses it while they are there ... */
        ban_prefix(b, "sshd", "2001:db8::/48", 900 * USEC_PER_SEC);
        g_autofree char *error = NULL;
        g_assert_cmpint(nft_backend_commit(b, &error), ==, 1);
        g_test_message("overlap refused: %s", error);
        g_assert_nonnull(error);

        /* ... and takes it in the batch that deletes them: the deletes go first, whatever the queue order */
        ban_prefix(b, "sshd", "2001:db8::/48", 900 * USEC_PER_SEC);
        ban_prefix(b, "sshd", "2001:db8:0:3::/64", 900 * USEC_PER_SEC); /* this batch bans it ... */
        unban_prefix(b, "sshd", "2001:db8:0:1::/64");
        unban_prefix(b, "sshd", "2001:db8:0:2::/64");
        unban_prefix(b, "sshd", "2001:db8:0:3::/64"); /* ... and unbans it: nothing is sent for it */
        commit_ok(b);
        listing_get(b, "sshd", &l);
        g_assert_cmpuint(l.n, ==, 1);
        g_assert_true(listing_find(&l, "2001:db8::/48", NULL));
        listing_done(&l);
        g_assert_true(kernel_matches("sshd_v6net", "2001:db8:0:ffff::1"));

        /* a batch of nothing but a cancelled pair sends nothing and leaves the queue empty */
        ban_prefix(b, "sshd", "203.0.113.0/24", USEC_INFINITY);
        unban_prefix(b, "sshd", "203.0.113.0/24");
        commit_ok(b);
        g_assert_false(kernel_matches("sshd_v4net", "203.0.113.1"));

        g_assert_cmpint(nft_backend_delete_table(b, NULL), ==, 0);
        nft_backend_free(b);
}

/* 10,000 prefixes in one batch: one "add element" command per set. Queued one add per element,
 * libnftables 1.0.6 would re-read the interval set every time (quadratic: ~155 s for 10,000). */
static void test_prefix_batch(void) {
        NftBackend *b = backend_new_clean();
        Listing l = {};
        usec_t t0;

        setup_ok(b, jails_prefix, ELEMENTSOF(jails_prefix));
        for (unsigned i = 0; i < 10000; i++) {
                g_autofree char *p = i % 2 == 0 ? g_strdup_printf("10.%u.%u.0/24", i / 256, i % 256)
                                                : g_strdup_printf("2001:db8:%x::/48", i);

                ban_prefix(b, "sshd", p, 3600 * USEC_PER_SEC);
        }
        t0 = g_get_monotonic_time();
        commit_ok(b);
        g_test_message("10,000 prefix bans in one batch: %.3f s", (double) (g_get_monotonic_time() - t0) / 1e6);
        /* far from the quadratic one-by-one cost */
        g_assert_cmpint(g_get_monotonic_time() - t0, <, 20 * G_USEC_PER_SEC);
        listing_get(b, "sshd", &l);
        g_assert_cmpuint(l.n, ==, 10000);
        g_assert_true(listing_find(&l, "10.39.14.0/24", NULL));
        listing_done(&l);
        g_assert_cmpint(nft_backend_delete_table(b, NULL), ==, 0);
        nft_backend_free(b);
}

int main(int argc, char *argv[]) {
        int r;

        g_test_init(&argc, &argv, NULL);

        if (geteuid() != 0) {
                /* Exit 77 (skipped), which CI counts as a failure: this suite must run as root. */
                g_printerr("test-action-nft needs root and a private network namespace (unshare --net)\n");
                return 77;
        }

        json_ctx = nft_ctx_new(NFT_CTX_DEFAULT);
        text_ctx = nft_ctx_new(NFT_CTX_DEFAULT);
        g_assert_nonnull(json_ctx);
        g_assert_nonnull(text_ctx);
        nft_ctx_output_set_flags(json_ctx, NFT_CTX_OUTPUT_JSON);
        nft_ctx_buffer_output(json_ctx);
        nft_ctx_buffer_error(json_ctx);
        nft_ctx_buffer_output(text_ctx);
        nft_ctx_buffer_error(text_ctx);

        g_test_add_func("/nft/setup-creates", test_setup_creates);
        g_test_add_func("/nft/rules-drop", test_rules_drop);
        g_test_add_func("/nft/rules-reject", test_rules_reject);
        g_test_add_func("/nft/foreign-tables-untouched", test_foreign_tables_untouched);
        g_test_add_func("/nft/setup-twice-keeps-elements", test_setup_twice_keeps_elements);
        g_test_add_func("/nft/removed-jail-vanishes", test_removed_jail_vanishes);
        g_test_add_func("/nft/ban-timeouts", test_ban_timeouts);
        g_test_add_func("/nft/permanent-ban", test_permanent_ban);
        g_test_add_func("/nft/unban", test_unban);
        g_test_add_func("/nft/batch-with-failure", test_batch_with_failure);
        g_test_add_func("/nft/queue-last-op-wins", test_queue_last_op_wins);
        g_test_add_func("/nft/reban", test_reban);
        g_test_add_func("/nft/v4-mapped", test_v4_mapped);
        g_test_add_func("/nft/name-roundtrip", test_name_roundtrip);
        g_test_add_func("/nft/invalid", test_invalid);
        g_test_add_func("/nft/prefix-setup", test_prefix_setup);
        g_test_add_func("/nft/prefix-ban", test_prefix_ban);
        g_test_add_func("/nft/prefix-subsume", test_prefix_subsume);
        g_test_add_func("/nft/prefix-batch", test_prefix_batch);

        r = g_test_run();

        nft_ctx_free(json_ctx);
        nft_ctx_free(text_ctx);
        return r;
}
