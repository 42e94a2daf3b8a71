#!/bin/bash
# bench_ota.sh: PAP -> Push OTA over UDP end to end, delivered pushes per second,
# ppgd against Kannel's PPG in the same run.
#
# Both servers get the same client (wrk + bench/pap_push.lua) and the same
# push-message (one address WAPPUSH=127.0.0.1/TYPE=IPv4@ppg.example, an SI
# content entity, a unique push-id per request) at concurrency 1 (wrk -t1 -c1)
# and 8 (wrk -t2 -c8). What counts is what arrives: the UDP sink of the Kannel
# reference (bench/kannel-ppg/udp_sink.py) on 127.0.0.1:2948 counts
# the WSP push datagrams. ppgd runs first, with [ota] udp_port = 2948, against
# its own instance of that same sink (Kannel is not started yet); then ppgd is
# stopped, its sink too, and Kannel starts with its sink on 2948.
#
#   delivered/s = datagrams the sink counted / elapsed
#   elapsed     = from the start of the wrk run until the count stopped moving
#                 (at least the wrk duration; a server that delivers late is
#                 charged for it)
#
# It prints a table (delivered/s per server and concurrency, the ratio against
# the target >= 3x Kannel), and ppgd's own count of delivered pushes
# (sqlite3: select count(*) from delivery where state=2) beside the sink's.
#
# Environment:
#   PPGD           ppgd binary (default: build/ppgd; run scripts/build.sh first)
#   BENCH_SECONDS  duration of each wrk run (default 10)
#   BENCH_SYNC     "normal": add rows for ppgd with [database] synchronous = normal
#   KANNEL_PPG     kannel-ppg.sh of the reference (default bench/kannel-ppg)
#   BENCH_KEEP     1: keep the temporary directory (configs, logs, database)
#   TMPDIR         where that directory goes (its filesystem is the database's)
#
# Needs wrk, sqlite3, python3, ss and Kannel (packages kannel, kannel-extras).
# Everything runs on 127.0.0.1; the sink uses the fixed port 2948 (Kannel's
# PPG always sends there). Processes are stopped by PID.
set -euo pipefail

bench=bench_ota
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/lib.sh"
SECS=${BENCH_SECONDS:-10}
SYNC_EXTRA=${BENCH_SYNC:-}
TARGET_RATIO=3

need_ppgd
need_kannel
SINK=$(dirname "$KANNEL_PPG")/udp_sink.py
[ -f "$SINK" ] || die "the reference's UDP sink $SINK is missing"
need_cmds "apt-get install wrk sqlite3 python3 iproute2" wrk sqlite3 python3 ss base64 timeout awk
[[ $SECS =~ ^[1-9][0-9]*$ ]] || die "BENCH_SECONDS must be a positive integer"
case $SYNC_EXTRA in "" | normal) ;; *) die "BENCH_SYNC may only be 'normal'" ;; esac
warn_sanitized
udp_2948_busy && die "UDP port 2948 (the sink's) is in use: is another Kannel reference running?"

sink_pid=
bench_stop() {
	[ -n "$ppgd_pid" ] && stop_pid "$ppgd_pid"
	[ -n "$sink_pid" ] && stop_pid "$sink_pid"
	stop_kannel
}
bench_init

# Four free TCP ports on 127.0.0.1: ppgd, Kannel PPG, Kannel box, Kannel admin.
read -r port_ppgd port_kppg port_kbox port_kadmin < <(free_ports 4)

# ---------------------------------------------------------------- counting
count_file=
sink_count() { cat "$count_file" 2>/dev/null || echo 0; }

# settle: waits until the sink's count stops moving (unchanged for 2 s, the
# sink rewrites it every 0.5 s; at most 60 s). Sets settled_count and
# last_change (epoch seconds with fraction, of the last read that differed).
settle() {
	local prev cur stable=0
	prev=$(sink_count)
	last_change=$(date +%s.%N)
	for _ in $(seq 1 240); do
		sleep 0.25
		cur=$(sink_count)
		if [ "$cur" != "$prev" ]; then
			prev=$cur
			last_change=$(date +%s.%N)
			stable=0
		else
			stable=$((stable + 1))
			[ $stable -ge 8 ] && break
		fi
	done
	settled_count=$prev
}

# ---------------------------------------------------------------- runs
nonce=$(date +%s)-$$
runs=0
# wrk_run name url auth threads conns seconds [once]: sets accepted, other,
# wrk_line; delivered, elapsed, drate from the sink
cpu_of_server() { if [ "$1" = ppgd ]; then proc_cpu_ms "$ppgd_pid"; else kannel_cpu_ms; fi; }
sys_of_server() { if [ "$1" = ppgd ]; then proc_sys_ms "$ppgd_pid"; else kannel_cpu_ms proc_sys_ms; fi; }
wrk_run() {
	settle
	local before=$settled_count t0 t1 server=${1%%-*} c0 c1 s0 s1
	c0=$(cpu_of_server "$server")
	s0=$(sys_of_server "$server")
	t0=$(date +%s.%N)
	wrk_exec "$@"
	t1=$wrk_end
	settle
	c1=$(cpu_of_server "$server")
	s1=$(sys_of_server "$server")
	delivered=$((settled_count - before))
	cpu_us=$(us_per $((c1 - c0)) "$delivered")
	sys_us=$(us_per $((s1 - s0)) "$delivered")
	lat_mean=$(sed -n 's/.* latency_mean_ms=\([0-9.]*\).*/\1/p' <<<"$wrk_line")
	lat_p99=$(sed -n 's/.* latency_p99_ms=\([0-9.]*\).*/\1/p' <<<"$wrk_line")
	elapsed=$(awk -v a="$t0" -v b="$t1" -v c="$last_change" 'BEGIN {
		e = c - a; w = b - a; if (e < w) e = w; printf "%.3f", e }')
	drate=$(awk -v d="$delivered" -v e="$elapsed" 'BEGIN { printf "%.1f", (e > 0 ? d / e : 0) }')
	echo "  $1: ${wrk_line#RESULT } | sink: delivered=$delivered elapsed=${elapsed}s delivered_per_s=$drate cpu_per_push_us=$cpu_us" >&2
	wrk_show_other "$1" "${7:-}"
}

# smoke name url auth: one request, answered 1001 and delivered (one datagram)
smoke() {
	wrk_run "$1-smoke" "$2" "$3" 1 1 1 once
	smoke_1001 "$1"
	[ "$delivered" = 1 ] || die "$1 accepted the smoke push but the sink counted $delivered datagrams, not 1"
}

declare -A rate_of acc_of del_of cpu_of sys_of lat_of

# ---------------------------------------------------------------- ppgd
ppgd_secret
ppgd_url="http://127.0.0.1:$port_ppgd/pap"
mkdir -p "$tmp/ppgd-sink"
count_file=$tmp/ppgd-sink/udp_count
python3 "$SINK" "$count_file" 2948 &
sink_pid=$!
for _ in $(seq 1 100); do udp_2948_busy && break; sleep 0.1; done
udp_2948_busy || die "the UDP sink did not bind 127.0.0.1:2948"

start_ppgd() { # synchronous-mode database-file
	write_ppgd_conf "$tmp/ppgd-$1.conf" "$port_ppgd" "$2" "$1" warning <<EOF
[ota]
udp = yes
udp_port = 2948
EOF
	launch_ppgd "$tmp/ppgd-$1.conf" "$tmp/ppgd.log" "$port_ppgd"
}
start_ppgd full "$tmp/ppgd.db"
echo "bench_ota: ppgd $(ppgd_version) at $ppgd_url (database on $(tmp_fstype)), ${SECS}s per run" >&2
smoke ppgd "$ppgd_url" "$auth"
ppgd_sink_total=$delivered
ppgd_acc_total=$accepted
for conc in 1 8; do
	threads=$((conc == 1 ? 1 : 2))
	wrk_run "ppgd-c$conc" "$ppgd_url" "$auth" "$threads" "$conc" "$SECS"
	rate_of[ppgd-$conc]=$drate cpu_of[ppgd-$conc]=$cpu_us sys_of[ppgd-$conc]=$sys_us lat_of[ppgd-$conc]=$lat_mean/$lat_p99 acc_of[ppgd-$conc]=$accepted del_of[ppgd-$conc]=$delivered
	ppgd_sink_total=$((ppgd_sink_total + delivered))
	ppgd_acc_total=$((ppgd_acc_total + accepted))
done
db_q() { sqlite3 -cmd '.timeout 5000' "$tmp/ppgd.db" "$1" 2>&1 || true; }
ppgd_db_delivered=$(db_q 'select count(*) from delivery where state=2')
ppgd_db_all=$(db_q 'select count(*) from delivery')
stop_pid "$ppgd_pid"
ppgd_pid=
if [ "$SYNC_EXTRA" = normal ]; then
	start_ppgd normal "$tmp/ppgd-normal.db"
	for conc in 1 8; do
		threads=$((conc == 1 ? 1 : 2))
		wrk_run "ppgd-normal-c$conc" "$ppgd_url" "$auth" "$threads" "$conc" "$SECS"
		rate_of[normal-$conc]=$drate cpu_of[normal-$conc]=$cpu_us lat_of[normal-$conc]=$lat_mean/$lat_p99 acc_of[normal-$conc]=$accepted del_of[normal-$conc]=$delivered
	done
	normal_db_delivered=$(sqlite3 -cmd '.timeout 5000' "$tmp/ppgd-normal.db" \
		'select count(*) from delivery where state=2' 2>&1 || true)
	stop_pid "$ppgd_pid"
	ppgd_pid=
fi
stop_pid "$sink_pid"
sink_pid=
for _ in $(seq 1 50); do udp_2948_busy || break; sleep 0.1; done

# ---------------------------------------------------------------- Kannel
start_kannel "$port_kppg" "$port_kbox" "$port_kadmin"
count_file=$tmp/kannel/udp_count
echo "bench_ota: Kannel at $kannel_url" >&2
smoke kannel "$kannel_url" -
kannel_sink_total=$delivered
kannel_acc_total=$accepted
for conc in 1 8; do
	threads=$((conc == 1 ? 1 : 2))
	wrk_run "kannel-c$conc" "$kannel_url" - "$threads" "$conc" "$SECS"
	rate_of[kannel-$conc]=$drate cpu_of[kannel-$conc]=$cpu_us sys_of[kannel-$conc]=$sys_us lat_of[kannel-$conc]=$lat_mean/$lat_p99 acc_of[kannel-$conc]=$accepted del_of[kannel-$conc]=$delivered
	kannel_sink_total=$((kannel_sink_total + delivered))
	kannel_acc_total=$((kannel_acc_total + accepted))
done

# ---------------------------------------------------------------- report
verdict() { goal "$(ratio "$1" "$2")" ge "$TARGET_RATIO"; }
row() { printf '%-18s %12s %12s %13s %13s %9s %10s %7s %7s\n' "$@"; }
echo
echo "PAP -> Push OTA over UDP, delivered pushes per second (datagrams counted by the sink / elapsed);"
echo "wrk's latency of the 1001; CPU (user + system, /proc) per delivered push: ppgd alone, Kannel's bearerbox + wapbox"
row "concurrency" "ppgd del/s" "kannel del/s" "ppgd mean/p99" "kannel mean/p99" "ppgd CPU" "kannel CPU" "rate" "CPU"
row "" "" "" "ms" "ms" "us/push" "us/push" "ratio" "ratio"
for conc in 1 8; do
	threads=$((conc == 1 ? 1 : 2))
	row "$conc (wrk -t$threads -c$conc)" "${rate_of[ppgd-$conc]}" "${rate_of[kannel-$conc]}" \
		"${lat_of[ppgd-$conc]}" "${lat_of[kannel-$conc]}" "${cpu_of[ppgd-$conc]}" "${cpu_of[kannel-$conc]}" \
		"$(ratio "${rate_of[ppgd-$conc]}" "${rate_of[kannel-$conc]}")" \
		"$(ratio "${cpu_of[ppgd-$conc]}" "${cpu_of[kannel-$conc]}")"
done
if [ "$SYNC_EXTRA" = normal ]; then
	for conc in 1 8; do
		row "$conc sync=normal" "${rate_of[normal-$conc]}" "(${rate_of[kannel-$conc]})" \
			"${lat_of[normal-$conc]}" "-" "${cpu_of[normal-$conc]}" "(${cpu_of[kannel-$conc]})" \
			"$(ratio "${rate_of[normal-$conc]}" "${rate_of[kannel-$conc]}")" \
			"$(ratio "${cpu_of[normal-$conc]}" "${cpu_of[kannel-$conc]}")"
	done
fi
echo "of that CPU per delivered push, in the kernel (system time):"
for conc in 1 8; do
	echo "  c$conc: ppgd ${sys_of[ppgd-$conc]:-} of ${cpu_of[ppgd-$conc]} us ($(ratio "${sys_of[ppgd-$conc]:-}" "${cpu_of[ppgd-$conc]}")), Kannel ${sys_of[kannel-$conc]:-} of ${cpu_of[kannel-$conc]} us ($(ratio "${sys_of[kannel-$conc]:-}" "${cpu_of[kannel-$conc]}"))"
done
echo
echo "goals of issue 11 (this run):"
echo "  4. OTA over UDP delivered/s >= ${TARGET_RATIO}x Kannel at c8: $(ratio "${rate_of[ppgd-8]}" "${rate_of[kannel-8]}"): $(verdict "${rate_of[ppgd-8]}" "${rate_of[kannel-8]}")"
for conc in 1 8; do
	r=$(ratio "${cpu_of[ppgd-$conc]}" "${cpu_of[kannel-$conc]}")
	echo "  1. CPU per delivered push <= 1/3 of Kannel's at c$conc: $r (<= 0.33): $(goal "$r" le 0.3334)"
done
echo
for conc in 1 8; do
	echo "c$conc: ppgd accepted ${acc_of[ppgd-$conc]}, sink counted ${del_of[ppgd-$conc]}; kannel accepted ${acc_of[kannel-$conc]}, sink counted ${del_of[kannel-$conc]}"
done
echo "ppgd: accepted $ppgd_acc_total (with the smoke push), sink counted $ppgd_sink_total datagrams, database: $ppgd_db_delivered of $ppgd_db_all deliveries in state delivered (select count(*) from delivery where state=2)"
if [ "$SYNC_EXTRA" = normal ]; then
	echo "ppgd (synchronous = normal): sink counted $((${del_of[normal-1]} + ${del_of[normal-8]})) datagrams, database: $normal_db_delivered deliveries in state delivered"
fi
echo "kannel: accepted $kannel_acc_total, sink counted $kannel_sink_total datagrams (Kannel stores nothing)"
