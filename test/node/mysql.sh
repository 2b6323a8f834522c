#!/usr/bin/env bash
# skynet.db.mysql against a real MariaDB started here (mariadb-install-db +
# mariadbd on a free loopback port, own datadir, stopped by pid): every column
# type, 20 MiB BLOBs, prepared statements, multi-results, a wrong password, a
# dropped, a stopped and a killed server. Usage: mysql.sh <skynet>
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$root/skynet}
case "$bin" in /*) ;; *) bin=$root/$bin ;; esac
tmp=$(mktemp -d)
db_pid=
node_pid=
cleanup() {
    [ -n "$node_pid" ] && { pkill -9 -P "$node_pid"; kill -9 "$node_pid"; } 2>/dev/null # the node under `timeout` too
    [ -n "$db_pid" ] && kill -CONT "$db_pid" 2>/dev/null && kill -9 "$db_pid" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
passed=0; failed=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }
source "$(dirname "$0")/dbnode.bash"
bail() { fail "$1" "$2"; echo "$passed passed, $failed failed"; exit 1; }

command -v mariadbd >/dev/null || bail "mysql" "mariadbd is not installed (3rd/packages.txt)"
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
user=sktest
pass=pw-$RANDOM$RANDOM
sock=$tmp/mysqld.sock

mariadb-install-db --no-defaults --datadir="$tmp/data" --auth-root-authentication-method=normal \
    --skip-test-db >"$tmp/install.log" 2>&1 || { tail "$tmp/install.log"; bail "mariadb-install-db" "failed"; }

start_db() {
    mariadbd --no-defaults --datadir="$tmp/data" --socket="$sock" --port="$port" --bind-address=127.0.0.1 \
        --user=root --pid-file="$tmp/mysqld.pid" --max-allowed-packet=64M --innodb-buffer-pool-size=32M \
        --skip-name-resolve --log-error="$tmp/mysqld.err" >>"$tmp/mysqld.out" 2>&1 &
    db_pid=$!
    disown "$db_pid"	# no job notice when the test kills it
    local i
    for ((i = 0; i < 300; i++)); do
        mariadb --no-defaults -uroot --socket="$sock" -e "select 1" >/dev/null 2>&1 && return 0
        kill -0 "$db_pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
start_db || { tail "$tmp/mysqld.err"; bail "mariadbd start" "failed"; }
mariadb --no-defaults -uroot --socket="$sock" -e "
CREATE USER '$user'@'127.0.0.1' IDENTIFIED BY '$pass';
GRANT ALL ON *.* TO '$user'@'127.0.0.1';
CREATE DATABASE skt;" || bail "create user" "failed"
pass "MariaDB $(mariadb --no-defaults -uroot --socket="$sock" -N -e 'select version()') on 127.0.0.1:$port"

dbnode_config svc_mysql "my_port = \"$port\"" "my_user = \"$user\"" "my_pass = \"$pass\"" \
    "my_pid = \"$db_pid\"" "my_flag = \"$tmp/restarted\""
dbnode_run 90 RESTART_MYSQL "$db_pid" start_db
dbnode_results
if grep -q -- "$pass" "$tmp/node.log" "$tmp/node.out"; then fail "password never logged" "found in the log"; else pass "password never logged"; fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
