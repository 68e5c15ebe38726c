#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The whole test suite, as CI runs it (.ci/run calls exactly this). Run as root on Debian 12:
#   1. installs what is missing (tools/install-deps.sh),
#   2. builds twice: build/ (-Werror) and build-asan/ (AddressSanitizer + UBSan, -Werror),
#   3. runs every suite in both builds: unit tests (GTest), filter corpora, nftables tests in a
#      private network namespace, integration tests with real journald, nftables and sshd,
#   4. prints "N passed, N failed" last. A skipped test counts as failed: CI never passes on a skip.
set -u
cd "$(dirname "$0")/.."
tools/install-deps.sh || { echo "0 passed, 1 failed"; exit 1; }

passed=0 failed=0
build() { # build DIR MESON-ARGS...
        local dir=$1; shift
        if [ ! -f "$dir/build.ninja" ]; then
                meson setup "$dir" -Dwerror=true "$@" >"$dir.setup.log" 2>&1 || { cat "$dir.setup.log"; return 1; }
                rm -f "$dir.setup.log"
        fi
        ninja -C "$dir" >"$dir.ninja.log" 2>&1 || { cat "$dir.ninja.log"; return 1; }
        rm -f "$dir.ninja.log"
}
run_suites() { # run_suites DIR SUITE...
        local dir=$1 out s args=()
        shift
        for s in "$@"; do args+=(--suite "$s"); done
        out=$(meson test -C "$dir" --print-errorlogs --num-processes 2 "${args[@]}" 2>&1)
        echo "$out" | grep -E '^ *[0-9]+/[0-9]+ |^(Ok|Fail|Skipped|Timeout|Unexpected Pass|Expected Fail): ' 
        echo "$out" | grep -qE '^Fail: +[1-9]|^Timeout: +[1-9]|^Skipped: +[1-9]|^Unexpected Pass: +[1-9]' && \
                echo "$out" | sed -n '/^--- command ---/,$p' | tail -n 200
        local ok fail
        ok=$(echo "$out" | awk '/^Ok:/ {print $2}')
        fail=$(echo "$out" | awk '/^(Fail|Skipped|Timeout|Unexpected Pass|Expected Fail):/ {s += $NF} END {print s + 0}')
        [ -n "$ok" ] || { ok=0; fail=$((fail + 1)); echo "$out" | tail -n 30; }
        passed=$((passed + ok)) failed=$((failed + fail))
}

t0=$(date +%s)
if build build && build build-asan -Db_sanitize=address,undefined -Db_lundef=false; then
        echo "== build/ (debugoptimized, -Werror)"
        run_suites build unit nft filters integration
        echo "== build-asan/ (ASan + UBSan)"
        run_suites build-asan unit nft filters integration
else
        failed=$((failed + 1))
fi
echo "suite took $(( $(date +%s) - t0 )) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
