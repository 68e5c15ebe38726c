/* SPDX-License-Identifier: GPL-2.0-or-later */
/* 100,000 distinct bans through the nftables backend, in one batch and in batches of 1,000 (what a busy
 * daemon sends per event-loop iteration), then listed back. Needs root; meson runs it as
 * `unshare --net -- bench-nft` so that the table lives in a private network namespace. */

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "action-nft.h"
#include "macro.h"

#define N_BANS 100000u
#define TABLE "portcullis-bench"
#define JAIL "bench"

static double now_sec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Address number I, deterministic and distinct: even I → 10.0.0.0/8, odd I → 2001:db8::/32. */
static Address bench_address(unsigned i) {
        Address a = {};

        if (i % 2 == 0) {
                uint32_t v = 0x0a000000u | (i / 2 + 1);

                a.family = AF_INET;
                a.in.s_addr = htonl(v);
        } else {
                uint32_t v = i / 2 + 1;

                a.family = AF_INET6;
                a.in6.s6_addr[0] = 0x20;
                a.in6.s6_addr[1] = 0x01;
                a.in6.s6_addr[2] = 0x0d;
                a.in6.s6_addr[3] = 0xb8;
                /* Spread over the interface identifier too, like real scanners. */
                a.in6.s6_addr[8] = (uint8_t) (v * 37u);
                a.in6.s6_addr[12] = (uint8_t) (v >> 24);
                a.in6.s6_addr[13] = (uint8_t) (v >> 16);
                a.in6.s6_addr[14] = (uint8_t) (v >> 8);
                a.in6.s6_addr[15] = (uint8_t) v;
        }
        return a;
}

static int run(NftBackend *b, unsigned batch, const char *label) {
        static const PortRange ports[] = { { 22, 22 } };
        const NftJailSpec jail = {
                .name = JAIL, .ports = ports, .n_ports = 1, .protocol = PROTOCOL_TCP, .blocktype = BLOCK_TYPE_DROP,
        };
        _cleanup_free_ char *error = NULL;
        char **addresses = NULL;
        usec_t *timeouts = NULL;
        size_t n = 0;
        double t0, t_commit, t_list;
        int r;

        r = nft_backend_delete_table(b, &error);
        if (r >= 0)
                r = nft_backend_setup(b, &jail, 1, &error);
        if (r < 0) {
                fprintf(stderr, "setup: %s\n%s\n", strerror(-r), error ?: "");
                return r;
        }

        t0 = now_sec();
        for (unsigned i = 0; i < N_BANS; i++) {
                Address a = bench_address(i);

                /* Timeouts between 1 h and ~2 h, so the kernel keeps them all for the run. */
                r = nft_backend_queue_ban(b, JAIL, &a, (3600 + i % 3600) * USEC_PER_SEC);
                if (r < 0)
                        return r;

                if ((i + 1) % batch == 0 || i + 1 == N_BANS) {
                        r = nft_backend_commit(b, &error);
                        if (r != 0) {
                                fprintf(stderr, "commit: %d %s\n", r, error ?: "");
                                return r < 0 ? r : -EIO;
                        }
                }
        }
        t_commit = now_sec() - t0;

        t0 = now_sec();
        r = nft_backend_list(b, JAIL, &addresses, &timeouts, &n);
        t_list = now_sec() - t0;
        if (r < 0) {
                fprintf(stderr, "list: %s\n", strerror(-r));
                return r;
        }
        for (size_t i = 0; i < n; i++)
                free(addresses[i]);
        free(addresses);
        free(timeouts);

        printf("%-22s %u bans in %.3f s (%.0f bans/s, %u transactions); list back %zu in %.3f s\n",
               label, N_BANS, t_commit, N_BANS / t_commit, (N_BANS + batch - 1) / batch, n, t_list);

        if (n != N_BANS) {
                fprintf(stderr, "listed %zu elements, expected %u\n", n, N_BANS);
                return -EIO;
        }
        return 0;
}

/* After run(): the set holds N_BANS elements. One loop iteration's batch of 1,000 in which one unban
 * finds nothing (already expired): the batch is refused and split until only that op fails. */
static int run_retry(NftBackend *b) {
        _cleanup_free_ char *error = NULL;
        Address missing = bench_address(N_BANS + 1);
        double t0, t;
        int r;

        for (unsigned i = 0; i < 999; i++) {
                Address a = bench_address(i);

                r = nft_backend_queue_ban(b, JAIL, &a, 7200 * USEC_PER_SEC);
                if (r < 0)
                        return r;
        }
        r = nft_backend_queue_unban(b, JAIL, &missing);
        if (r < 0)
                return r;

        t0 = now_sec();
        r = nft_backend_commit(b, &error);
        t = now_sec() - t0;
        if (r != 1) {
                fprintf(stderr, "commit with one bad unban returned %d, expected 1\n", r);
                return r < 0 ? r : -EIO;
        }

        printf("%-22s 1,000 ops with 1 failing unban in %.3f s (set holds %u)\n", "retry after refusal:", t, N_BANS);
        return 0;
}

int main(int argc, char *argv[]) {
        NftBackend *b = NULL;
        int r;

        if (geteuid() != 0) {
                fprintf(stderr, "bench-nft needs root and a private network namespace (unshare --net)\n");
                return 77;
        }

        r = nft_backend_new(TABLE, &b);
        if (r < 0)
                return 1;

        r = run(b, N_BANS, "one batch of 100k:");
        if (r >= 0)
                r = run(b, 1000, "batches of 1,000:");
        if (r >= 0)
                r = run_retry(b);
        if (r >= 0)
                r = nft_backend_delete_table(b, NULL);

        nft_backend_free(b);
        return r < 0 ? 1 : 0;
}
