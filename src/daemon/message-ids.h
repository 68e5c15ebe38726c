/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* MESSAGE_ID= of the daemon's structured journal events (journalctl MESSAGE_ID=… JAIL=… is the audit
 * log). Fixed for ever once released; docs/portcullis.catalog documents each. */
#define MESSAGE_ID_BAN "33ea1ac086b84df697db5e5d3c1096ab"
#define MESSAGE_ID_UNBAN "c0a33ab6d1a244a19155110e5732b179"
#define MESSAGE_ID_RELOAD "f06691f500be493e874aebaac88dcc3d"
#define MESSAGE_ID_CONFIG_ERROR "35f1eb20de8c4a3b9373e332bc1d27ad"
#define MESSAGE_ID_START "6798d58bb3874778bf0902808464ecc9"
#define MESSAGE_ID_STOP "bd4496b5607b43e5bfc2355b16f7c559"
#define MESSAGE_ID_FILTER_LIMIT "c2c9414b9f89495bbcf3f17ed547fd70"
#define MESSAGE_ID_TRACKER_CAP "4e886b6499c34dca96c3b25750ad8bac"
#define MESSAGE_ID_RESTORE "4237d58105f44a599fe926c2252a4616"
#define MESSAGE_ID_STATE_ERROR "7aad25a7334d4b3fa3e06481da48c4d9"
#define MESSAGE_ID_FIREWALL_REPAIRED "55a07132f710485f870bd07be40ef300"
#define MESSAGE_ID_JAIL_CHANGED "31c83bc1e51c43d3aa8f847180001c4c"
#define MESSAGE_ID_ACTION_FAILED "17338ba7f182463b90ea6fc20ba58872"
