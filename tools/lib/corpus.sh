# SPDX-License-Identifier: GPL-2.0-or-later
#
# Shared by tools/collect-*-corpus.sh, sourced after tests/lib/harness.sh.
#
# Outside the namespaces: corpus_fetch_debs, corpus_deb_version, corpus_annotate.
# Inside: corpus_overlay, corpus_settle/scenario (the marker entries the annotation reads),
# corpus_smtp, corpus_imap_login, corpus_pop_login (clients in the attacker namespace),
# corpus_export.
corpus_lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# corpus_fetch_debs OUT PKG...: apt-get download the packages into OUT/debs and unpack them all
# into OUT/root (dpkg-deb -x, nothing is installed).  Removes OUT and dies on failure.
corpus_fetch_debs() {
        local out=$1 d
        shift
        mkdir "$out/debs" "$out/root"
        (cd "$out/debs" && apt-get download "$@" >/dev/null 2>&1) || { rm -rf "$out"; tb_die "apt-get download"; }
        for d in "$out"/debs/*.deb; do dpkg-deb -x "$d" "$out/root" || { rm -rf "$out"; tb_die "dpkg-deb $d"; }; done
}

# corpus_deb_version OUT PKG: upstream version of a downloaded package (no epoch, revision, +suffix)
corpus_deb_version() {
        dpkg-deb -f "$1"/debs/"$2"_*.deb Version | sed 's/^[0-9]*://; s/-[^-]*$//; s/+.*//'
}

# corpus_annotate SCRIPT ARGS...: runs the python annotation step at the end of SCRIPT (the lines
# from "#__ANNOTATE__" on), which may import corpus_export from this directory.
corpus_annotate() {
        local script=$1
        shift
        sed -n '/^#__ANNOTATE__$/,$p' "$script" | PYTHONPATH="$corpus_lib${PYTHONPATH:+:$PYTHONPATH}" python3 - "$@"
}

# corpus_overlay ROOT (inside): the unpacked packages over /usr and /etc, read-only below, with a
# private upper layer for /etc.
corpus_overlay() {
        mkdir -p "$TB_TMP/etc-up" "$TB_TMP/etc-work"
        mount -t overlay overlay -o "lowerdir=$1/usr:/usr" /usr || tb_die "overlay /usr"
        mount -t overlay overlay -o "lowerdir=$1/etc:/etc,upperdir=$TB_TMP/etc-up,workdir=$TB_TMP/etc-work" /etc || tb_die "overlay /etc"
}

# corpus_settle [SECONDS]: let the daemons write everything (no connection left on the local
# ports $CORPUS_PORTS, e.g. "25 143"), then wait SECONDS (0.8)
corpus_settle() {
        local p f=
        for p in $CORPUS_PORTS; do f="${f:+$f or }sport = :$p"; done
        tb_wait_for 60 sh -c "[ -z \"\$(ss -Htn state connected exclude time-wait '( $f )')\" ]"
        sleep "${1:-0.8}"
}

# corpus_scenario NAME ADDR USER: settle, then the marker entry the annotation reads
corpus_scenario() {
        corpus_settle
        logger -t corpus-scenario --id=$$ -- "scenario=$1 addr=$2 user=$3"
        tb_log "scenario $1"
}

# corpus_export: the whole private journal to $CORPUS_OUT/all.export
corpus_export() {
        journalctl -o export --no-pager >"$CORPUS_OUT/all.export" || tb_die "journalctl"
}

# corpus_smtp PYTHON-CODE: a raw SMTP conversation from the attacker namespace; the code gets
# conv(host, port=25) -> (socket, rd, cmd), rd() reading a whole (multi-line) reply
corpus_smtp() {
        tb_attacker timeout 60 python3 -c "
import socket, time, base64
def conv(host, port=25):
    fam = socket.AF_INET6 if ':' in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM); s.settimeout(10); s.connect((host, port))
    f = s.makefile('rb')
    def rd():
        l = f.readline()
        while l[3:4] == b'-': l = f.readline()
        return l
    def cmd(c):
        s.sendall(c.encode() + b'\r\n'); return rd()
    return s, rd, cmd
$1" >/dev/null 2>&1
}

# corpus_imap_login ADDR USER PASSWORD [TRIES] [login|authenticate]
corpus_imap_login() {
        tb_attacker timeout 20 python3 -c "
import imaplib, sys
a, u, p, n, how = sys.argv[1:]
c = imaplib.IMAP4(a, 143, timeout=30)
for i in range(int(n)):
    try:
        if how == 'login':
            c.login(u, p)
        else:
            c.authenticate('PLAIN', lambda _: ('\0' + u + '\0' + p).encode())
        break
    except imaplib.IMAP4.error:
        pass
c.logout()
" "$1" "$2" "$3" "${4:-1}" "${5:-login}" >/dev/null 2>&1
}

# corpus_pop_login ADDR USER PASSWORD
corpus_pop_login() {
        tb_attacker timeout 20 python3 -c "
import poplib, sys
a, u, p = sys.argv[1:]
c = poplib.POP3(a, 110, timeout=30)
try:
    c.user(u); c.pass_(p)
except poplib.error_proto:
    pass
c.quit()
" "$1" "$2" "$3" >/dev/null 2>&1
}
