#!/usr/bin/env bash
# The command line and the install: --version, --help, --check (a good
# config, a missing service, a syntax error, a bad path), `make install`
# with PREFIX and DESTDIR, and the installed node started the way the
# systemd unit of examples/systemd/ starts it, stopped by SIGTERM.
# Usage: cli.sh <skynet>
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$root/skynet}
case "$bin" in /*) ;; *) bin=$root/$bin ;; esac
tmp=$(mktemp -d)
pid=
cleanup() {
    [ -n "$pid" ] && { kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
passed=0; failed=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }

out=$("$bin" --version 2>&1); rc=$?
[ $rc -eq 0 ] && echo "$out" | grep -q "^skynet" && pass "--version" || fail "--version" "rc=$rc $out"
out=$("$bin" --help 2>&1); rc=$?
[ $rc -eq 0 ] && echo "$out" | grep -q -- "--check CONFIG" && pass "--help" || fail "--help" "rc=$rc $out"
out=$("$bin" --frobnicate 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "Unknown option" && pass "unknown option: exit 1" || fail "unknown option" "rc=$rc $out"

# config <name> <extra lines...>
config() {
    local name=$1; shift
    {
        echo "root = \"$root/\""
        echo "luaservice = root..\"service/?.lua;\"..root..\"test/node/?.lua\""
        echo "lualoader = root..\"lualib/loader.lua\""
        echo "lua_path = root..\"lualib/?.lua;\"..root..\"lualib/?/init.lua\""
        echo "start = \"svc_node_main\""
        echo "logger = \"$tmp/$name.log\""
        for l in "$@"; do echo "$l"; done
    } > "$tmp/$name.cfg"
}

config good
out=$("$bin" --check "$tmp/good.cfg" 2>&1); rc=$?
[ $rc -eq 0 ] && echo "$out" | grep -q "config OK" && [ ! -e "$tmp/good.log" ] \
    && pass "--check: a good config is OK, nothing started" || fail "--check good" "rc=$rc $out"

config nostart 'start = "no_such_service"'
out=$("$bin" --check "$tmp/nostart.cfg" 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "start service no_such_service not found" \
    && pass "--check: a missing start service, exit 1" || fail "--check missing service" "rc=$rc $out"

config noloader "lualoader = \"$tmp/nowhere/loader.lua\""
out=$("$bin" --check "$tmp/noloader.cfg" 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "lualoader = $tmp/nowhere/loader.lua: no such file" \
    && pass "--check: a missing lualoader, exit 1" || fail "--check lualoader" "rc=$rc $out"

config nologdir "logger = \"$tmp/nodir/x.log\"" "logpath = \"$tmp/nodir2\""
out=$("$bin" --check "$tmp/nologdir.cfg" 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "logger: no directory $tmp/nodir" && echo "$out" | grep -q "logpath: no directory" \
    && pass "--check: missing log directories, exit 1" || fail "--check log dirs" "rc=$rc $out"

echo 'thread = = 2' > "$tmp/syntax.cfg"
out=$("$bin" --check "$tmp/syntax.cfg" 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "syntax.cfg:1" && pass "--check: a syntax error, exit 1" \
    || fail "--check syntax" "rc=$rc $out"

# make install into a temp prefix (the binary under test, nothing rebuilt)
prefix=$tmp/prefix
if make -s -C "$root" -o all install BIN="$bin" PREFIX="$prefix" >"$tmp/install.out" 2>&1 \
    && [ -x "$prefix/bin/skynet" ] && [ -f "$prefix/lib/skynet/lualib/skynet.lua" ] \
    && [ -f "$prefix/lib/skynet/service/bootstrap.lua" ] && [ -f "$prefix/share/skynet/config.example" ]; then
    pass "make install PREFIX: binary, lualib/, service/, share/skynet/config.example"
else
    fail "make install PREFIX" "$(tail -3 "$tmp/install.out")"
fi
if make -s -C "$root" -o all install BIN="$bin" PREFIX=/opt/sk DESTDIR="$tmp/stage" >"$tmp/stage.out" 2>&1 \
    && [ -x "$tmp/stage/opt/sk/lib/skynet/skynet" ] && grep -q '"/opt/sk/"' "$tmp/stage/opt/sk/share/skynet/config.example"; then
    pass "make install DESTDIR: staged, paths name the PREFIX"
else
    fail "make install DESTDIR" "$(tail -3 "$tmp/stage.out")"
fi

# The unit's ExecStart, with the installed config, from / with an empty environment.
unit=$prefix/share/skynet/skynet.service
exec_start=$(sed -n 's/^ExecStart=//p' "$unit" | sed "s|/etc/skynet/config|$prefix/share/skynet/config.example|")
grep -q '^Type=simple' "$unit" && grep -q '^Restart=on-failure' "$unit" \
    && pass "unit: Type=simple, Restart=on-failure" || fail "unit" "$(cat "$unit")"
out=$("$prefix/bin/skynet" --check "$prefix/share/skynet/config.example" 2>&1); rc=$?
[ $rc -eq 0 ] && pass "--check of the installed config" || fail "--check installed" "$out"
# shellcheck disable=SC2086
(cd / && exec env -i timeout -k 5 60 $exec_start) >"$tmp/unit.out" 2>&1 &
pid=$!
for ((i = 0; i < 600; i++)); do grep -q "skynet node started" "$tmp/unit.out" && break; sleep 0.05; done
if grep -q "skynet node started" "$tmp/unit.out"; then
    node=$(pgrep -P "$pid" | head -n 1)
    kill -TERM "${node:-$pid}"; wait "$pid"; rc=$?; pid=
    [ $rc -eq 0 ] && grep -q "Shutdown requested by signal" "$tmp/unit.out" \
        && pass "installed node runs from / by the unit's command line; SIGTERM: exit 0" \
        || fail "installed node stop" "rc=$rc $(tail -3 "$tmp/unit.out")"
else
    fail "installed node" "$(tail -5 "$tmp/unit.out")"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
