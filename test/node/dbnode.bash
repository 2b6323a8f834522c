# Sourced by the database process tests (redis.sh, redis_cluster.sh,
# mysql.sh); not a test. They start a real server, then one node whose test
# service prints PASS/FAIL lines and DONE. Needs $root, $bin, $tmp, pass, fail
# and a node_pid variable the caller's cleanup stops.

# dbnode_config <start service> [key = "value" lines...]: $tmp/config
dbnode_config() {
    local start=$1; shift
    {
        echo "root = \"$root/\""
        echo "thread = 2"
        echo "harbor = 0"
        echo "start = \"$start\""
        echo "luaservice = root..\"service/?.lua;\"..root..\"test/node/?.lua\""
        echo "lualoader = root..\"lualib/loader.lua\""
        echo "lua_path = root..\"lualib/?.lua;\"..root..\"lualib/?/init.lua\""
        echo "logger = \"$tmp/node.log\""
        local l
        for l in "$@"; do echo "$l"; done
    } >"$tmp/config"
}

# dbnode_run <seconds> [<token> <server pid> <restart command>]: runs the
# node until DONE (or it ends, or time is up). When it prints a line starting
# with <token>, waits for the server pid to end, runs the restart command once
# and touches $tmp/restarted (the service waits for that file).
dbnode_run() {
    local secs=$1 token=${2:-} spid=${3:-} restart=${4:-} i j
    timeout "$secs" "$bin" "$tmp/config" >"$tmp/node.out" 2>&1 &
    node_pid=$!
    for ((i = 0; i < secs * 10; i++)); do
        grep -q "^DONE" "$tmp/node.out" 2>/dev/null && break
        if [ -n "$token" ] && grep -q "^$token" "$tmp/node.out" 2>/dev/null && [ ! -e "$tmp/restarted" ]; then
            for ((j = 0; j < 100; j++)); do kill -0 "$spid" 2>/dev/null || break; sleep 0.05; done
            $restart && touch "$tmp/restarted"
        fi
        kill -0 "$node_pid" 2>/dev/null || break
        sleep 0.1
    done
    kill "$node_pid" 2>/dev/null; wait "$node_pid" 2>/dev/null; node_pid=
}

# dbnode_results: the service's PASS/FAIL and "# " lines, and whether it finished
dbnode_results() {
    local line
    while read -r line; do
        case "$line" in
        PASS*) pass "${line#PASS }" ;;
        FAIL*) fail "${line#FAIL }" "" ;;
        esac
    done < <(grep -E '^(PASS|FAIL) ' "$tmp/node.out")
    grep '^# ' "$tmp/node.out"
    grep -q "^DONE" "$tmp/node.out" && pass "service finished" ||
        { fail "service finished" "no DONE"; tail -20 "$tmp/node.out"; tail -20 "$tmp/node.log"; }
}
