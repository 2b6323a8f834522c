#!/usr/bin/env bash
# The shared-data demo (examples/share/config) runs to its end from the
# repository root and prints what each library saw. Usage: share_example.sh <skynet>
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$root/skynet}
case "$bin" in /*) ;; *) bin=$root/$bin ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0; failed=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }
expect() { # expect <name> <fixed line part>
    if grep -qF -- "$2" "$tmp/out"; then pass "$1"; else fail "$1"; fi
}

(cd "$root" && timeout -k 2 30 "$bin" examples/share/config) > "$tmp/out" 2>&1
rc=$?
if [ "$rc" -eq 0 ]; then pass "demo exits 0"; else fail "demo exits 0 (got $rc)"; fi
expect "sharedata read" "before update: sword costs 100 (2 tags: sharp iron)"
expect "sharedata update seen by the reader" "after update: sword costs 120 (2 tags: sharp steel)"
expect "sharedata new key" "after update: bow costs 60 (0 tags: )"
expect "sharetable query" "levels: 100,300,700"
expect "sharetable update" "levels after update: 4 entries, last 2000"
expect "datasheet" "datasheet monsters: slime hp 10, dragon hp 5000"
expect "snax" "snax counter: 15"
expect "snax kill runs exit" "share_counter exits: demo over"
expect "end" "demo done"
[ "$failed" -gt 0 ] && tail -n 20 "$tmp/out" | sed 's/^/    /'
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
