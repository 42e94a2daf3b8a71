#!/bin/bash
# bench_accept.sh: PAP push acceptance rate of ppgd against Kannel's PPG.
#
# Both servers get the same client (wrk + bench/pap_push.lua) and the same
# push-message, with a unique push-id per request, alternately at
# concurrency 1, 8 and 32 (wrk -t1 -c1, -t2 -c8, -t2 -c32; BENCH_CONC to
# change). Each server delivers every push over UDP to a sink (Kannel to its
# reference's sink on 2948, ppgd to its own instance of that sink on a free
# port). It prints accepted/s (answers with code="1001"), wrk's latency and
# the CPU time per accepted push (user + system from /proc: ppgd alone,
# Kannel's bearerbox + wapbox together) per server, the goals of issue 11
# with met / not met, then checks that ppgd stored what it acknowledged and
# counts what each delivered.
#
# Environment:
#   PPGD           ppgd binary (default: build/ppgd; run scripts/build.sh first)
#   BENCH_SECONDS  duration of each run (default 10)
#   BENCH_SYNC     "normal": add rows for ppgd with [database] synchronous = normal
#   KANNEL_PPG     kannel-ppg.sh of the reference (default bench/kannel-ppg)
#   BENCH_PERF     a directory: profile ppgd during each of its runs (perf record at
#                  499 Hz, call graphs from DWARF (BENCH_PERF_CALLGRAPH: dwarf,8192),
#                  perf stat of syscalls, futex calls, fdatasyncs and context switches)
#                  and write there, per concurrency N: accept-cN.top.txt (perf report,
#                  self time), accept-cN.threads.txt, accept-cN.stat.txt (per push),
#                  accept-cN.folded and accept-cN.svg (bench/perf_fold.py)
#   BENCH_KEEP     1: keep the temporary directory (configs, logs, database)
#   TMPDIR         where that directory goes (its filesystem is the database's)
#
# Needs wrk, sqlite3, python3, ss and Kannel (packages kannel, kannel-extras).
# Everything listens on 127.0.0.1; Kannel's UDP sink uses the fixed port 2948.
set -euo pipefail

bench=bench_accept
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/lib.sh"
SECS=${BENCH_SECONDS:-10}
CONCS=${BENCH_CONC:-1 8 32}   # concurrencies
SYNC_EXTRA=${BENCH_SYNC:-}
PERF_DIR=${BENCH_PERF:-}
if [ -n "$PERF_DIR" ]; then
	need_cmds "apt-get install linux-perf" perf
	mkdir -p "$PERF_DIR"
	PERF_DIR=$(cd "$PERF_DIR" && pwd)
fi

need_ppgd
need_kannel
need_cmds "apt-get install wrk sqlite3 python3 iproute2" wrk sqlite3 python3 ss base64 timeout
[[ $SECS =~ ^[1-9][0-9]*$ ]] || die "BENCH_SECONDS must be a positive integer"
case $SYNC_EXTRA in "" | normal) ;; *) die "BENCH_SYNC may only be 'normal'" ;; esac
warn_sanitized
if udp_2948_busy; then
	die "UDP port 2948 (Kannel's sink) is in use: is another Kannel reference running?"
fi

sink_pid=
bench_stop() {
	[ -n "$ppgd_pid" ] && stop_pid "$ppgd_pid"
	[ -n "$sink_pid" ] && stop_pid "$sink_pid"
	stop_kannel
}
bench_init

# Four free TCP ports on 127.0.0.1: ppgd, Kannel PPG, Kannel box, Kannel admin.
read -r port_ppgd port_kppg port_kbox port_kadmin < <(free_ports 4)
# and one UDP port for ppgd's sink (Kannel's is 2948).
read -r port_sink < <(free_ports_tcp_udp 1)
SINK=$(dirname "$KANNEL_PPG")/udp_sink.py
[ -f "$SINK" ] || die "the reference's UDP sink $SINK is missing"

# ---------------------------------------------------------------- ppgd
ppgd_secret
ppgd_url="http://127.0.0.1:$port_ppgd/pap"

start_ppgd() { # synchronous-mode database-file
	write_ppgd_conf "$tmp/ppgd-$1.conf" "$port_ppgd" "$2" "$1" warning <<EOF
# Every push is delivered over UDP, to ppgd's own sink (not Kannel's 2948).
[ota]
udp = yes
udp_port = $port_sink
EOF
	launch_ppgd "$tmp/ppgd-$1.conf" "$tmp/ppgd.log" "$port_ppgd"
}

stop_ppgd() {
	stop_pid "$ppgd_pid"
	ppgd_pid=
}

mkdir -p "$tmp/ppgd-sink"
python3 "$SINK" "$tmp/ppgd-sink/udp_count" "$port_sink" &
sink_pid=$!
wait_listen udp "$port_sink" "$sink_pid" || die "ppgd's UDP sink did not bind 127.0.0.1:$port_sink"
ppgd_count() { cat "$tmp/ppgd-sink/udp_count" 2>/dev/null || echo 0; }

# ---------------------------------------------------------------- Kannel
start_kannel "$port_kppg" "$port_kbox" "$port_kadmin"
kannel_count() { cat "$tmp/kannel/udp_count" 2>/dev/null || echo 0; }

# ---------------------------------------------------------------- runs
nonce=$(date +%s)-$$
runs=0
# cpu_of_server ppgd|kannel: its CPU ms so far
cpu_of_server() { if [ "$1" = ppgd ]; then proc_cpu_ms "$ppgd_pid"; else kannel_cpu_ms; fi; }
# sys_of_server ppgd|kannel: the system (kernel) part of it
sys_of_server() { if [ "$1" = ppgd ]; then proc_sys_ms "$ppgd_pid"; else kannel_cpu_ms proc_sys_ms; fi; }
# wrk_run name url auth threads conns seconds [once]: sets accepted/other/rate,
# lat_mean, lat_p99 (ms), cpu_us (CPU per accepted push, µs; the server is
# the name's prefix). The CPU is read 1 s after wrk returned, so that it
# includes the delivery of the last pushes.
wrk_run() {
	local server=${1%%-*} c0 c1 s0 s1
	c0=$(cpu_of_server "$server")
	s0=$(sys_of_server "$server")
	wrk_exec "$@"
	rate=$(sed 's/.* accepted_per_s=\([0-9.]*\).*/\1/' <<<"$wrk_line")
	lat_mean=$(sed -n 's/.* latency_mean_ms=\([0-9.]*\).*/\1/p' <<<"$wrk_line")
	lat_p99=$(sed -n 's/.* latency_p99_ms=\([0-9.]*\).*/\1/p' <<<"$wrk_line")
	[ -n "${7:-}" ] || sleep 1
	c1=$(cpu_of_server "$server")
	s1=$(sys_of_server "$server")
	cpu_us=$(us_per $((c1 - c0)) "$accepted")
	sys_us=$(us_per $((s1 - s0)) "$accepted")
	echo "  $1: ${wrk_line#RESULT } cpu_per_push_us=$cpu_us (system $sys_us)" >&2
	wrk_show_other "$1" "${7:-}"
}

# perf_start N / perf_end N ACCEPTED: profile ppgd during its run at
# concurrency N (BENCH_PERF): call graphs, and counts per accepted push.
perf_pids=
perf_start() {
	[ -n "$PERF_DIR" ] || return 0
	perf record --call-graph "${BENCH_PERF_CALLGRAPH:-dwarf,8192}" -F 499 -p "$ppgd_pid" -o "$tmp/perf-c$1.data" -- sleep "$SECS" >"$tmp/perf-record-c$1.log" 2>&1 &
	perf_pids=$!
	perf stat -x, -e raw_syscalls:sys_enter,syscalls:sys_enter_futex,syscalls:sys_enter_fdatasync,context-switches,task-clock${BENCH_PERF_EVENTS:+,$BENCH_PERF_EVENTS} \
		-p "$ppgd_pid" -o "$tmp/perf-stat-c$1.csv" -- sleep "$SECS" >/dev/null 2>&1 &
	perf_pids="$perf_pids $!"
}
perf_end() {
	[ -n "$PERF_DIR" ] || return 0
	local p f=$PERF_DIR/accept-c$1
	for p in $perf_pids; do wait "$p" 2>/dev/null || true; done
	perf report -i "$tmp/perf-c$1.data" --stdio --no-children --sort comm,dso,symbol 2>/dev/null |
		grep -E '^ +[0-9.]+%' | head -n 60 >"$f.top.txt" || true
	perf report -i "$tmp/perf-c$1.data" --stdio --no-children --sort comm 2>/dev/null |
		grep -E '^ +[0-9.]+%' >"$f.threads.txt" || true
	perf script -i "$tmp/perf-c$1.data" 2>/dev/null | python3 "$root/bench/perf_fold.py" "$f.folded" "$f.svg" \
		"ppgd, bench_accept c$1, UDP delivery, synchronous = full" || true
	awk -F, -v n="$2" -v c="$1" 'NF > 2 && $1 ~ /^[0-9.]+$/ {
		printf "%-32s %12.0f  per accepted push %8.2f\n", $3, $1, (n > 0 ? $1 / n : 0) }
		END { printf "(c%s, %d pushes accepted during the %s s window)\n", c, n, "'"$SECS"'" }' \
		"$tmp/perf-stat-c$1.csv" >"$f.stat.txt"
	echo "  perf: $f.{top,threads,stat}.txt, .folded, .svg" >&2
}

# smoke name url auth: one request, which must be answered 1001
smoke() {
	wrk_run "$1-smoke" "$2" "$3" 1 1 1 once
	smoke_1001 "$1"
}

ppgd_ack=0 ppgd_inflight=0 kannel_ack=0 kannel_inflight=0
declare -A rate_of cpu_of sys_of mean_of p99_of

dsync_before=$(dsync_probe)
start_ppgd full "$tmp/ppgd.db"
echo "bench_accept: ppgd $(ppgd_version) at $ppgd_url (database on $(tmp_fstype)), Kannel at $kannel_url, ${SECS}s per run" >&2
smoke ppgd "$ppgd_url" "$auth"
ppgd_ack=$((ppgd_ack + accepted))
smoke kannel "$kannel_url" -
kannel_ack=$((kannel_ack + accepted))

for conc in $CONCS; do
	threads=$((conc == 1 ? 1 : 2))
	perf_start "$conc"
	wrk_run "ppgd-c$conc" "$ppgd_url" "$auth" "$threads" "$conc" "$SECS"
	perf_end "$conc" "$accepted"
	rate_of[ppgd-$conc]=$rate cpu_of[ppgd-$conc]=$cpu_us sys_of[ppgd-$conc]=$sys_us mean_of[ppgd-$conc]=$lat_mean p99_of[ppgd-$conc]=$lat_p99
	ppgd_ack=$((ppgd_ack + accepted))
	ppgd_inflight=$((ppgd_inflight + conc))
	wrk_run "kannel-c$conc" "$kannel_url" - "$threads" "$conc" "$SECS"
	rate_of[kannel-$conc]=$rate cpu_of[kannel-$conc]=$cpu_us sys_of[kannel-$conc]=$sys_us mean_of[kannel-$conc]=$lat_mean p99_of[kannel-$conc]=$lat_p99
	kannel_ack=$((kannel_ack + accepted))
	kannel_inflight=$((kannel_inflight + conc))
done

# Read while ppgd runs: what it acknowledged must already be committed.
db_count() { sqlite3 -cmd '.timeout 5000' "$1" 'select count(*) from push' 2>&1 || true; }
ppgd_stored=$(db_count "$tmp/ppgd.db")
sleep 1   # the sink rewrites its count every 0.5 s
ppgd_delivered=$(ppgd_count)
ppgd_db_delivered=$(sqlite3 -cmd '.timeout 5000' "$tmp/ppgd.db" 'select count(*) from delivery where state=2' 2>&1 || true)
stop_ppgd

if [ "$SYNC_EXTRA" = normal ]; then
	start_ppgd normal "$tmp/ppgd-normal.db"
	normal_ack=0 normal_inflight=0
	for conc in $CONCS; do
		threads=$((conc == 1 ? 1 : 2))
		wrk_run "ppgd-normal-c$conc" "$ppgd_url" "$auth" "$threads" "$conc" "$SECS"
		rate_of[normal-$conc]=$rate cpu_of[normal-$conc]=$cpu_us mean_of[normal-$conc]=$lat_mean p99_of[normal-$conc]=$lat_p99
		normal_ack=$((normal_ack + accepted))
		normal_inflight=$((normal_inflight + conc))
	done
	normal_stored=$(db_count "$tmp/ppgd-normal.db")
	stop_ppgd
fi

# Kannel delivers asynchronously; the sink rewrites its count every 0.5 s.
prev=-1
for _ in $(seq 1 20); do
	cur=$(kannel_count)
	[ "$cur" = "$prev" ] && break
	prev=$cur
	sleep 1
done
kannel_delivered=$(kannel_count)

# What one durable commit costs here: a 4 KiB append written with O_DSYNC, as
# the WAL's fdatasync does. At concurrency 1 every push waits for one, plus a
# round trip of the client: the durable limit of a PPG at concurrency 1 is
# 1 / (that append + Kannel's mean round trip at concurrency 1).
# Probed before the runs and after them (the disk is shared): their mean.
dsync_after=$(dsync_probe)
dsync_cpu=$(dsync_cpu_probe || true)
dsync_ms=$(awk -v a="$dsync_before" -v b="$dsync_after" 'BEGIN { if (a != "" && b != "") printf "%.3f", (a + b) / 2 }')

# ---------------------------------------------------------------- report
row() { printf '%-20s %10s %10s %13s %13s %9s %9s %8s %8s\n' "$@"; }
echo
row "concurrency" "ppgd 1001/s" "kannel/s" "ppgd mean/p99" "kannel mean/p99" "ppgd CPU" "kannel CPU" "rate" "CPU"
row "" "" "" "ms" "ms" "us/push" "us/push" "ratio" "ratio"
for conc in $CONCS; do
	threads=$((conc == 1 ? 1 : 2))
	row "$conc (wrk -t$threads -c$conc)" "${rate_of[ppgd-$conc]}" "${rate_of[kannel-$conc]}" \
		"${mean_of[ppgd-$conc]}/${p99_of[ppgd-$conc]}" "${mean_of[kannel-$conc]}/${p99_of[kannel-$conc]}" \
		"${cpu_of[ppgd-$conc]}" "${cpu_of[kannel-$conc]}" \
		"$(ratio "${rate_of[ppgd-$conc]}" "${rate_of[kannel-$conc]}")" \
		"$(ratio "${cpu_of[ppgd-$conc]}" "${cpu_of[kannel-$conc]}")"
done
if [ "$SYNC_EXTRA" = normal ]; then
	for conc in $CONCS; do
		row "$conc sync=normal" "${rate_of[normal-$conc]}" "(${rate_of[kannel-$conc]})" \
			"${mean_of[normal-$conc]}/${p99_of[normal-$conc]}" "-" "${cpu_of[normal-$conc]}" "(${cpu_of[kannel-$conc]})" \
			"$(ratio "${rate_of[normal-$conc]}" "${rate_of[kannel-$conc]}")" \
			"$(ratio "${cpu_of[normal-$conc]}" "${cpu_of[kannel-$conc]}")"
	done
fi
echo "of that CPU per push, in the kernel (system time: TCP, UDP, the WAL's writes and fdatasync, wake-ups):"
for conc in $CONCS; do
	echo "  c$conc: ppgd ${sys_of[ppgd-$conc]:-} of ${cpu_of[ppgd-$conc]} us ($(ratio "${sys_of[ppgd-$conc]:-}" "${cpu_of[ppgd-$conc]}")), Kannel ${sys_of[kannel-$conc]:-} of ${cpu_of[kannel-$conc]} us ($(ratio "${sys_of[kannel-$conc]:-}" "${cpu_of[kannel-$conc]}"))"
done
echo
limit=-
if [ -n "$dsync_ms" ] && [ -n "${mean_of[kannel-1]:-}" ]; then
	limit=$(awk -v d="$dsync_ms" -v k="${mean_of[kannel-1]}" 'BEGIN { printf "%.0f", 1000 / (d + k) }')
	echo "one 4 KiB O_DSYNC append on this disk: $dsync_ms ms (before the runs $dsync_before, after $dsync_after); Kannel's round trip at c1: ${mean_of[kannel-1]} ms;" \
		"durable limit at c1 = 1 / (append + round trip) = $limit/s"
fi
if [ -n "$dsync_cpu" ] && [ -n "${cpu_of[kannel-1]:-}" ]; then
	# At concurrency 1 no two pushes share a commit: each 1001 pays one whole.
	budget=$(awk -v k="${cpu_of[kannel-1]}" 'BEGIN { printf "%.0f", k / 3 }')
	echo "CPU of that append in the writing process: $dsync_cpu us; goal 1's budget at c1 (Kannel's ${cpu_of[kannel-1]} us / 3): $budget us;" \
		"the commit alone is $(ratio "$dsync_cpu" "$budget") of it"
fi
echo
echo "goals of issue 11 (this run):"
for conc in $CONCS; do
	r=$(ratio "${cpu_of[ppgd-$conc]}" "${cpu_of[kannel-$conc]}")
	echo "  1. CPU per push <= 1/3 of Kannel's at c$conc: ${cpu_of[ppgd-$conc]} / ${cpu_of[kannel-$conc]} us = $r (<= 0.33): $(goal "$r" le 0.3334)"
done
for conc in $CONCS; do
	if [ "$conc" = 1 ]; then
		r=$(ratio "${rate_of[ppgd-1]}" "$limit")
		echo "  2. throughput at c1 >= 90% of the durable limit: ${rate_of[ppgd-1]} / $limit = $r (>= 0.90): $(goal "$r" ge 0.90)"
	else
		r=$(ratio "${rate_of[ppgd-$conc]}" "${rate_of[kannel-$conc]}")
		echo "  2. throughput >= 3x Kannel at c$conc: $r (>= 3): $(goal "$r" ge 3)"
	fi
done
echo
check() { # label stored acknowledged in-flight
	local verdict
	if ! [[ $2 =~ ^[0-9]+$ ]]; then
		verdict="cannot read the database: $2"
	elif [ "$2" -lt "$3" ]; then
		verdict="LOST $(($3 - $2)) acknowledged pushes"
	elif [ "$2" -gt $(($3 + $4)) ]; then
		verdict="MORE than acknowledged + in flight"
	else
		verdict="ok"
	fi
	echo "$1: stored $2 vs acknowledged $3 (+ up to $4 in flight when wrk stopped): $verdict"
}
check "ppgd (synchronous=full)" "$ppgd_stored" "$ppgd_ack" "$ppgd_inflight"
[ "$SYNC_EXTRA" = normal ] && check "ppgd (synchronous=normal)" "$normal_stored" "$normal_ack" "$normal_inflight"
echo "ppgd: delivered $ppgd_delivered datagrams to its UDP sink vs acknowledged $ppgd_ack; database: $ppgd_db_delivered deliveries in state delivered"
echo "kannel: delivered $kannel_delivered datagrams to the UDP sink vs acknowledged $kannel_ack (+ up to $kannel_inflight in flight); Kannel stores nothing"
