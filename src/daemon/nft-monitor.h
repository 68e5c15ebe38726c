/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <systemd/sd-event.h>

/* Tells when someone else changed nftables: a NETLINK_NETFILTER socket subscribed to the nftables
 * notification group, read by sd-event (no polling: an idle system costs nothing). Every ruleset
 * transaction ends with a NEWGEN message that names the process that made it; our own transactions are
 * recognised by our pid and ignored. After a foreign change (and a short quiet time, so that a burst of
 * changes — "nft -f", a firewall reload — is one notification) CHANGED is called. When the kernel drops
 * notifications (the socket buffer overflowed), that counts as a foreign change too. */

typedef struct NftMonitor NftMonitor;

int nft_monitor_new(sd_event *event, void (*changed)(void *userdata), void *userdata, NftMonitor **ret);
NftMonitor *nft_monitor_free(NftMonitor *m);
