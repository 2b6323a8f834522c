# mysql_select: 16 coroutines of one service running a 10-row SELECT through
# one skynet.db.mysql connection to a MariaDB started here. queries/s.
# shellcheck shell=bash

workload_mysql_select() {
	if ! command -v mariadbd >/dev/null; then
		fail_all "mariadbd is not installed" mysql_select
		return
	fi
	local dir=$TMP/mysql port i
	port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	mkdir -p "$dir"
	if ! mariadb-install-db --no-defaults --datadir="$dir/data" --auth-root-authentication-method=normal \
		--skip-test-db >"$dir/install.log" 2>&1; then
		fail_all "mariadb-install-db failed" mysql_select
		return
	fi
	start_bg "$dir/out" $((LIMIT + 60)) mariadbd --no-defaults --datadir="$dir/data" --socket="$dir/sock" \
		--port="$port" --bind-address=127.0.0.1 --user=root --pid-file="$dir/pid" --skip-name-resolve
	local pid=$STARTED
	for ((i = 0; i < 300; i++)); do
		mariadb --no-defaults -uroot --socket="$dir/sock" -e "select 1" >/dev/null 2>&1 && break
		sleep 0.1
	done
	if ! mariadb --no-defaults -uroot --socket="$dir/sock" -e "
		CREATE USER 'bench'@'127.0.0.1' IDENTIFIED BY 'bench';
		GRANT ALL ON *.* TO 'bench'@'127.0.0.1';
		CREATE DATABASE bench;
		USE bench;
		CREATE TABLE bench.t (id INT PRIMARY KEY, name VARCHAR(32), score DOUBLE, born DATETIME);
		INSERT INTO bench.t SELECT seq, CONCAT('name', seq), seq * 1.5, '2024-01-02 03:04:05' FROM seq_1_to_100;" \
		>"$dir/setup.log" 2>&1; then
		fail_all "MariaDB set-up failed: $(tail -n 1 "$dir/setup.log")" mysql_select
		stop_pid "$pid"
		return
	fi
	run_node mysql_select bench_mysql_select mysql_select "bench_mysql_port=$port" \
		"bench_mysql_concurrency=${BENCH_MYSQL_CONCURRENCY:-16}"
	stop_pid "$pid"
}
