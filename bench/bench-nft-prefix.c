/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Prefix bans into an interval set: 10,000 in one batch (what the daemon does) against one transaction
 * per prefix (what it must never do: libnftables 1.0.6 re-reads the interval set on every add).
 * Run as root inside `unshare --net` (meson test --benchmark does). */
#include <glib.h>
#include <stdio.h>

#include "action-nft.h"

#define TABLE "pcbench"

static NftBackend *backend_new(void) {
        static const NftJailSpec jail = { .name = "j", .protocol = PROTOCOL_ALL, .blocktype = BLOCK_TYPE_DROP,
                                          .prefixes = true };
        NftBackend *b = NULL;

        g_assert_cmpint(nft_backend_new(TABLE, &b), ==, 0);
        g_assert_cmpint(nft_backend_delete_table(b, NULL), ==, 0);
        g_assert_cmpint(nft_backend_setup(b, &jail, 1, NULL), ==, 0);
        return b;
}

static AddressPrefix nth(unsigned i) {
        g_autofree char *s = g_strdup_printf("10.%u.%u.0/24", i / 256, i % 256);
        AddressPrefix p;

        g_assert_cmpint(address_prefix_parse(s, &p), ==, 0);
        return p;
}

static double run(unsigned n, bool batch) {
        NftBackend *b = backend_new();
        gint64 t0 = g_get_monotonic_time();

        for (unsigned i = 0; i < n; i++) {
                AddressPrefix p = nth(i);

                g_assert_cmpint(nft_backend_queue_ban_prefix(b, "j", &p, 3600 * USEC_PER_SEC), ==, 0);
                if (!batch)
                        g_assert_cmpint(nft_backend_commit(b, NULL), ==, 0);
        }
        if (batch)
                g_assert_cmpint(nft_backend_commit(b, NULL), ==, 0);

        double s = (double) (g_get_monotonic_time() - t0) / 1e6;
        (void) nft_backend_delete_table(b, NULL);
        nft_backend_free(b);
        return s;
}

int main(void) {
        printf("10,000 prefixes, one batch:           %.3f s\n", run(10000, true));
        printf(" 1,000 prefixes, one transaction each: %.3f s\n", run(1000, false));
        printf(" 2,000 prefixes, one transaction each: %.3f s\n", run(2000, false));
        return 0;
}
