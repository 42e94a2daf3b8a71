#!/bin/bash
# bench_cluster.sh: PAP acceptance and end-to-end delivery with 1, 2 and 3
# ppgd nodes sharing one PostgreSQL, beside one node on SQLite; same client
# (bench/pap_load.c, closed loop, one instance per node at concurrency
# BENCH_CONC), same run.
#
# Each row: accepted/s (1001 answers, all nodes together), delivered/s (from
# the first push to the last delivery, read from the database), and on
# PostgreSQL the server's cost: commits (batches) and the CPU time of the
# postgres processes per accepted push, the number the README's paper model
# uses for where PostgreSQL becomes the ceiling. Two bearers: OTA/UDP to a
# discard port, and SIP Push end to end (each node a SIP listener of its own,
# one third-party REGISTER of sip:bob@example.com to the first node, a sipp
# UAS as the terminal answering every MESSAGE 200; on PostgreSQL the other
# nodes learn the registration from the database). Before the rows, the
# PostgreSQL server's own commit cost: one-row INSERTs in autocommit, each
# COMMIT waiting for its WAL flush (synchronous_commit = on).
#
# Environment:
#   PPGD           ppgd binary (default: build/ppgd)
#   BENCH_SECONDS  duration of each run (default 5)
#   BENCH_CONC     pap_load concurrency per node (default 8)
#   BENCH_BEARERS  "udp sip" (default) or one of them
#   PG_BINDIR      PostgreSQL binaries (default /usr/lib/postgresql/15/bin)
#   BENCH_KEEP     1: keep the temporary directory
#
# On a 2-core machine the nodes, the client and PostgreSQL share the CPU:
# the rows show the cost per push more than the scaling (README "Scale-out").
set -euo pipefail

bench=bench_cluster
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/lib.sh"
SECS=${BENCH_SECONDS:-5}
CONC=${BENCH_CONC:-8}
PGBIN=${PG_BINDIR:-/usr/lib/postgresql/15/bin}

need_ppgd
BEARERS=${BENCH_BEARERS:-udp sip}
need_cmds "apt-get install sqlite3 iproute2 libcurl4-openssl-dev sip-tester" sqlite3 ss timeout cc pkg-config sipp
[ -x "$PGBIN/initdb" ] || die "$PGBIN/initdb not found (apt-get install postgresql-15, or set PG_BINDIR)"
warn_sanitized

pids=()
bench_stop() {
	for p in "${pids[@]:-}"; do [ -n "$p" ] && stop_pid "$p"; done
	[ -n "${uas_pid:-}" ] && stop_pid "$uas_pid"
	pids=()
	if [ -n "${pgdir:-}" ] && [ -d "$pgdir/data" ]; then
		$runas "$PGBIN/pg_ctl" -D "$pgdir/data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	[ -n "${pgdir:-}" ] && [ "${BENCH_KEEP:-0}" != 1 ] && rm -rf "$pgdir"
}
bench_init

mkdir -p "$tmp/bin"
cc -O2 -Wall -o "$tmp/bin/pap_load" "$root/bench/pap_load.c" \
	$(pkg-config --cflags --libs libcurl) 2>"$tmp/cc.log" ||
	{ cat "$tmp/cc.log" >&2; die "cannot build bench/pap_load.c"; }

# PostgreSQL of the benchmark's own, on a Unix socket in $tmp.
pgdir=$(mktemp -d /tmp/ppgd-bench-pg-XXXXXX)   # reachable by the user postgres
runas=""
if [ "$(id -u)" = 0 ]; then
	chown postgres "$pgdir"
	runas="runuser -u postgres --"
fi
$runas "$PGBIN/initdb" -D "$pgdir/data" -U ppgd -A trust -E UTF8 --locale=C --no-sync >"$tmp/initdb.log" 2>&1 ||
	{ cat "$tmp/initdb.log" >&2; die "initdb failed"; }
$runas "$PGBIN/pg_ctl" -D "$pgdir/data" -o "-k $pgdir -c listen_addresses=''" -l "$pgdir/server.log" \
	-w -t 60 start >/dev/null || die "pg_ctl start failed"
psql_() { "$PGBIN/psql" -h "$pgdir" -U ppgd -At "$@"; }
pg_cpu_ms() { # CPU time (ms) of every postgres process so far
	local t=0 p
	for p in $(pgrep -u postgres -f "$pgdir/data" || true) $(pgrep -u postgres -P "$(head -1 "$pgdir/data/postmaster.pid")" || true); do
		[ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
	done
	echo $((t * 1000 / $(getconf CLK_TCK)))
}

# The server's commit cost: 500 one-row INSERTs, each its own transaction.
psql_ -d postgres -c "CREATE DATABASE commitcost" >/dev/null
psql_ -d commitcost -c "CREATE TABLE t (x integer)" >/dev/null
t0=$(date +%s.%N)
for ((i = 0; i < 500; i++)); do echo "INSERT INTO t VALUES ($i);"; done | psql_ -d commitcost -q >/dev/null
commit_ms=$(awk -v t0="$t0" -v t1="$(date +%s.%N)" 'BEGIN { printf "%.3f", (t1 - t0) * 1000 / 500 }')
echo "PostgreSQL: $commit_ms ms per autocommitted INSERT (COMMIT with its WAL flush, psql on the Unix socket)"

# The SIP terminal: one sipp UAS answering every MESSAGE 200.
read -r port_uas port_reg < <(free_ports_tcp_udp 2)
sipp -sf "$root/bench/sipp_uas_200.xml" -i 127.0.0.1 -p "$port_uas" -m 1000000000 -nostdin \
	-buff_size 4194304 >"$tmp/sipp-uas.out" 2>&1 &
uas_pid=$!
wait_listen udp "$port_uas" "$uas_pid" || { head -c 3000 "$tmp/sipp-uas.out" >&2; die "sipp UAS did not start"; }

ppgd_secret
run=0
printf "%-22s %10s %12s %10s %14s\n" "setup" "accepted/s" "delivered/s" "commits" "pg_cpu_ms/push"
one_run() { # engine nodes bearer
	local engine=$1 n=$2 bearer=$3 db conn
	run=$((run + 1))
	local ports=($(free_ports "$n")) sports=($(free_ports_tcp_udp "$n")) i
	if [ "$engine" = postgresql ]; then
		db="b$run"
		psql_ -d postgres -c "CREATE DATABASE $db" >/dev/null
		conn="host=$pgdir user=ppgd dbname=$db"
	fi
	for ((i = 0; i < n; i++)); do
		write_ppgd_conf "$tmp/n$run-$i.conf" "${ports[$i]}" "$tmp/b$run.db" full warning <<EOF
[ota]
udp = yes
udp_port = 9

[sip]
enabled = $([ "$bearer" = sip ] && echo yes || echo no)
listen = sip:127.0.0.1:${sports[$i]}
from = sip:ppg@operator.example
p_asserted_identity = <sip:ppg@operator.example>
EOF
		if [ "$engine" = postgresql ]; then
			sed -i "s|^path = .*|engine = postgresql\nconninfo = $conn\nnode_id = n$i|" "$tmp/n$run-$i.conf"
		fi
		launch_ppgd "$tmp/n$run-$i.conf" "$tmp/n$run-$i.log" "${ports[$i]}"
		pids+=("$ppgd_pid")
	done
	local addr="WAPPUSH=127.0.0.1/TYPE=IPv4@ppg.example"
	if [ "$bearer" = sip ]; then
		addr="WAPPUSH=sip%3Abob%40example.com/TYPE=USER@ppg.example"
		timeout 20 sipp -sf "$root/bench/sipp_register.xml" -i 127.0.0.1 -p "$port_reg" -m 1 \
			-key uas_port "$port_uas" -nostdin -timeout 10s -timeout_error \
			"127.0.0.1:${sports[0]}" >"$tmp/register$run.out" 2>&1 ||
			{ tail -n 20 "$tmp/register$run.out" >&2; die "the third-party REGISTER was not answered 200"; }
		sleep 0.5   # the other nodes reload the AoR on the NOTIFY of its registration
	fi
	local c0=0 cpu0=0
	if [ "$engine" = postgresql ]; then
		c0=$(psql_ -d "$db" -c "SELECT xact_commit FROM pg_stat_database WHERE datname = '$db'")
		cpu0=$(pg_cpu_ms)
	fi
	local t0 t1
	t0=$(date +%s.%N)
	for ((i = 0; i < n; i++)); do
		"$tmp/bin/pap_load" -c "$CONC" -d "$SECS" -u "$PI_USER:$PI_SECRET" -n "r$run-$i" \
			-a "$addr" "http://127.0.0.1:${ports[$i]}/pap" \
			>"$tmp/load$run-$i.out" 2>&1 &
	done
	wait_load=0
	for job in $(jobs -p); do
		case " ${pids[*]} $uas_pid " in *" $job "*) ;; *) wait "$job" || wait_load=1 ;; esac
	done
	local acc=0
	for ((i = 0; i < n; i++)); do
		a=$(sed -n 's/.* accepted=\([0-9]*\).*/\1/p' "$tmp/load$run-$i.out")
		acc=$((acc + ${a:-0}))
	done
	# end to end: until nothing is pending (at most 60 s more)
	local pending=1 deadline=$((SECONDS + 60)) q="SELECT count(*) FROM delivery WHERE state IN (1, 9)"
	while [ "$pending" != 0 ] && [ $SECONDS -lt $deadline ]; do
		if [ "$engine" = postgresql ]; then pending=$(psql_ -d "$db" -c "$q"); else pending=$(sqlite3 "$tmp/b$run.db" "$q"); fi
		[ "$pending" = 0 ] || sleep 0.2
	done
	t1=$(date +%s.%N)
	local commits="-" cpu="-"
	if [ "$engine" = postgresql ]; then
		c1=$(psql_ -d "$db" -c "SELECT xact_commit FROM pg_stat_database WHERE datname = '$db'")
		commits=$((c1 - c0))
		cpu=$(awk -v a="$(pg_cpu_ms)" -v b="$cpu0" -v n="$acc" 'BEGIN { if (n) printf "%.3f", (a - b) / n; else print "-" }')
	fi
	printf "%-22s %10.0f %12.0f %10s %14s\n" "$bearer $engine x$n" "$(awk -v a="$acc" -v s="$SECS" 'BEGIN{print a/s}')" \
		"$(awk -v a="$acc" -v t0="$t0" -v t1="$t1" 'BEGIN{print a/(t1-t0)}')" "$commits" "$cpu"
	[ "$pending" = 0 ] || echo "  ($pending deliveries still pending after 60 s)"
	for p in "${pids[@]}"; do stop_pid "$p"; done
	pids=()
}

for bearer in $BEARERS; do
	one_run sqlite 1 "$bearer"
	one_run postgresql 1 "$bearer"
	one_run postgresql 2 "$bearer"
	one_run postgresql 3 "$bearer"
done
