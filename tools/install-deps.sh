#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Installs what building, testing and the demo need on Debian 12 (run as root). Idempotent: does nothing
# when everything is there. Never lets a package start a service on this host (sshd, dbus, polkit).
# usage: tools/install-deps.sh [EXTRA-PACKAGE...]
set -eu
PKGS=(
        # build
        gcc meson ninja-build pkg-config libc6-dev
        libsystemd-dev libpcre2-dev libnftables-dev libglib2.0-dev libjansson-dev libsqlite3-dev
        libcurl4-openssl-dev
        scdoc
        # real components the tests and the demo run in private namespaces
        systemd systemd-journal-remote nftables iproute2 util-linux procps netbase fail2ban
        openssh-server openssh-client sshpass
        python3 python3-aiosmtpd
        "$@"
)
missing=()
for p in "${PKGS[@]}"; do
        [ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null)" = "ii " ] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
        exit 0
fi
[ "$(id -u)" = 0 ] || { echo "install-deps: missing packages (${missing[*]}); run as root" >&2; exit 1; }
echo "install-deps: installing ${missing[*]}"
# openssh-server's postinst would start sshd on this host: a policy-rc.d that says "no" prevents it.
cleanup=
if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 0755 /usr/sbin/policy-rc.d
        cleanup=/usr/sbin/policy-rc.d
fi
trap '[ -n "$cleanup" ] && rm -f "$cleanup"' EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=300 update -qq
apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
