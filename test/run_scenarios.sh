#!/usr/bin/env bash
# Run every Lua scenario (test/scenario/*.lua except the helpers) in its own
# node, bounded in time. A scenario prints PASS/FAIL lines and a final DONE
# line; a run without DONE (crash, hang, timeout) counts as one failure.
# Usage: test/run_scenarios.sh [skynet-binary] [scenario ...]
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/skynet}
case "$bin" in /*) ;; *) bin=$root/$bin ;; esac
shift || true
limit=${SCENARIO_TIMEOUT:-60}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ $# -gt 0 ]; then names=("$@"); else
    names=()
    for f in "$root"/test/scenario/*.lua; do
        n=$(basename "$f" .lua)
        case "$n" in testlib|svc_*) continue ;; esac
        names+=("$n")
    done
fi

passed=0; failed=0
for n in "${names[@]}"; do
    cfg=$tmp/config.$n
    cat > "$cfg" <<CFG
root = "$root/"
thread = 4
harbor = 0
start = "$n"
bootstrap = "snlua bootstrap"
luaservice = root.."service/?.lua;"..root.."test/scenario/?.lua;"..root.."examples/?.lua"
lualoader = root.."lualib/loader.lua"
lua_path = root.."lualib/?.lua;"..root.."lualib/?/init.lua;"..root.."test/scenario/?.lua"
lua_cpath = root.."luaclib/?.so"
cpath = root.."cservice/?.so;"..root.."examples/cservice/?.so"
logger = "$tmp/$n.log"
scenario_tmp = "$tmp"
CFG
    out=$tmp/$n.out
    (cd "$tmp" && timeout -k 5 "$limit" "$bin" "$cfg" >"$out" 2>&1)
    rc=$?
    p=$(grep -c '^PASS ' "$out"); f=$(grep -c '^FAIL ' "$out")
    passed=$((passed + p)); failed=$((failed + f))
    grep -E '^(PASS|FAIL) ' "$out" | sed "s/^/[$n] /"
    if ! grep -q '^DONE ' "$out"; then
        failed=$((failed + 1))
        echo "[$n] FAIL scenario did not finish (exit $rc); last lines:"
        tail -n 15 "$out" | sed 's/^/    /'
        tail -n 15 "$tmp/$n.log" 2>/dev/null | sed 's/^/    log: /'
    elif [ "$f" -gt 0 ]; then
        tail -n 20 "$tmp/$n.log" 2>/dev/null | sed 's/^/    log: /'
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
