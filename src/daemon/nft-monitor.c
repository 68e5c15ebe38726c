/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include "log.h"
#include "macro.h"
#include "nft-monitor.h"
#include "time-util.h"

#define NFT_MONITOR_QUIET_USEC (100 * USEC_PER_MSEC)

struct NftMonitor {
        sd_event *event;
        sd_event_source *io;
        sd_event_source *timer;
        int fd;
        void (*changed)(void *userdata);
        void *userdata;
};

NftMonitor *nft_monitor_free(NftMonitor *m) {
        if (!m)
                return NULL;
        sd_event_source_disable_unref(m->io);
        sd_event_source_disable_unref(m->timer);
        if (m->fd >= 0)
                close(m->fd);
        sd_event_unref(m->event);
        free(m);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(NftMonitor *, nft_monitor_free);

/* The pid in a NEWGEN message's NFTA_GEN_PROC_PID attribute, or 0 if it has none. */
static uint32_t newgen_pid(const struct nlmsghdr *h) {
        const char *p = (const char *) NLMSG_DATA(h) + NLMSG_ALIGN(sizeof(struct nfgenmsg));
        const char *end = (const char *) h + h->nlmsg_len;

        while (p + sizeof(struct nlattr) <= end) {
                const struct nlattr *a = (const struct nlattr *) p;
                uint32_t v;

                if (a->nla_len < sizeof(struct nlattr) || p + a->nla_len > end)
                        break;
                if ((a->nla_type & NLA_TYPE_MASK) == NFTA_GEN_PROC_PID &&
                    a->nla_len >= sizeof(struct nlattr) + sizeof(uint32_t)) {
                        memcpy(&v, p + NLA_HDRLEN, sizeof v);
                        return ntohl(v);
                }
                p += NLA_ALIGN(a->nla_len);
        }
        return 0;
}

static int on_quiet(sd_event_source *s, uint64_t usec, void *userdata) {
        NftMonitor *m = userdata;

        m->changed(m->userdata);
        return 0;
}

static void schedule(NftMonitor *m) {
        int r;

        /* armed once per burst: later changes within the quiet time ride along */
        if (sd_event_source_get_enabled(m->timer, NULL) > 0)
                return;
        r = sd_event_source_set_time_relative(m->timer, NFT_MONITOR_QUIET_USEC);
        if (r >= 0)
                r = sd_event_source_set_enabled(m->timer, SD_EVENT_ONESHOT);
        if (r < 0)
                log_warning_errno(r, "Failed to arm the nftables check, ignoring: %m");
}

static int on_netlink(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        NftMonitor *m = userdata;
        uint32_t self = (uint32_t) getpid();
        bool foreign = false;
        char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));

        for (;;) {
                ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);

                if (n < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                break;
                        if (errno == ENOBUFS) { /* notifications were lost: anything may have happened */
                                foreign = true;
                                continue;
                        }
                        log_warning_errno(errno, "Failed to read nftables notifications, ignoring: %m");
                        break;
                }
                for (struct nlmsghdr *h = (struct nlmsghdr *) buf; NLMSG_OK(h, (size_t) n); h = NLMSG_NEXT(h, n))
                        if (NFNL_SUBSYS_ID(h->nlmsg_type) == NFNL_SUBSYS_NFTABLES &&
                            NFNL_MSG_TYPE(h->nlmsg_type) == NFT_MSG_NEWGEN && newgen_pid(h) != self)
                                foreign = true;
        }
        if (foreign)
                schedule(m);
        return 0;
}

int nft_monitor_new(sd_event *event, void (*changed)(void *userdata), void *userdata, NftMonitor **ret) {
        _cleanup_(nft_monitor_freep) NftMonitor *m = NULL;
        struct sockaddr_nl sa = {
                .nl_family = AF_NETLINK,
                .nl_groups = 1U << (NFNLGRP_NFTABLES - 1),
        };
        int r, size = 1024 * 1024;

        m = calloc(1, sizeof(NftMonitor));
        if (!m)
                return -ENOMEM;
        m->event = sd_event_ref(event);
        m->changed = changed;
        m->userdata = userdata;
        m->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_NETFILTER);
        if (m->fd < 0)
                return -errno;
        /* a large ruleset load sends a notification per object: a roomy buffer makes ENOBUFS rare */
        (void) setsockopt(m->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
        if (bind(m->fd, (struct sockaddr *) &sa, sizeof sa) < 0)
                return -errno;

        r = sd_event_add_io(event, &m->io, m->fd, EPOLLIN, on_netlink, m);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(m->io, "nft-monitor");
        r = sd_event_add_time_relative(event, &m->timer, CLOCK_MONOTONIC, NFT_MONITOR_QUIET_USEC, 10 * USEC_PER_MSEC,
                                       on_quiet, m);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(m->timer, SD_EVENT_OFF);
        (void) sd_event_source_set_description(m->timer, "nft-check");

        *ret = TAKE_PTR(m);
        return 0;
}
