#!/bin/bash
# bench_accept.sh: PAP push acceptance rate of ppgd against Kannel's PPG.
#
# Both servers get the same client (wrk + bench/pap_push.lua) and the same
# push-message, with a unique push-id per request, alternately at
# concurrency 1 (wrk -t1 -c1) and 8 (wrk -t2 -c8) (BENCH_CONC="1 8 32" adds more). It prints accepted/s
# (answers with code="1001") per server and their ratio, then checks that
# ppgd stored what it acknowledged and counts what Kannel delivered.
#
# Environment:
#   PPGD           ppgd binary (default: build/ppgd; run scripts/build.sh first)
#   BENCH_SECONDS  duration of each run (default 10)
#   BENCH_SYNC     "normal": add rows for ppgd with [database] synchronous = normal
#   KANNEL_PPG     kannel-ppg.sh of the reference (default bench/kannel-ppg)
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
CONCS=${BENCH_CONC:-1 8}   # concurrencies, e.g. BENCH_CONC="1 8 32"
SYNC_EXTRA=${BENCH_SYNC:-}

need_ppgd
need_kannel
need_cmds "apt-get install wrk sqlite3 python3 iproute2" wrk sqlite3 python3 ss base64 timeout
[[ $SECS =~ ^[1-9][0-9]*$ ]] || die "BENCH_SECONDS must be a positive integer"
case $SYNC_EXTRA in "" | normal) ;; *) die "BENCH_SYNC may only be 'normal'" ;; esac
warn_sanitized
if udp_2948_busy; then
	die "UDP port 2948 (Kannel's sink) is in use: is another Kannel reference running?"
fi

bench_stop() {
	[ -n "$ppgd_pid" ] && stop_pid "$ppgd_pid"
	stop_kannel
}
bench_init

# Four free TCP ports on 127.0.0.1: ppgd, Kannel PPG, Kannel box, Kannel admin.
read -r port_ppgd port_kppg port_kbox port_kadmin < <(free_ports 4)

# ---------------------------------------------------------------- ppgd
ppgd_secret
ppgd_url="http://127.0.0.1:$port_ppgd/pap"

start_ppgd() { # synchronous-mode database-file
	write_ppgd_conf "$tmp/ppgd-$1.conf" "$port_ppgd" "$2" "$1" warning <<EOF
# Acceptance only: the pushes stay pending (bench_ota.sh measures delivery), and
# no datagram of ppgd's lands in the count of Kannel's sink.
[ota]
udp = no
EOF
	launch_ppgd "$tmp/ppgd-$1.conf" "$tmp/ppgd.log" "$port_ppgd"
}

stop_ppgd() {
	stop_pid "$ppgd_pid"
	ppgd_pid=
}

# ---------------------------------------------------------------- Kannel
start_kannel "$port_kppg" "$port_kbox" "$port_kadmin"
kannel_count() { cat "$tmp/kannel/udp_count" 2>/dev/null || echo 0; }

# ---------------------------------------------------------------- runs
nonce=$(date +%s)-$$
runs=0
# wrk_run name url auth threads conns seconds [once]: sets accepted/other/rate
wrk_run() {
	wrk_exec "$@"
	rate=$(sed 's/.* accepted_per_s=\([0-9.]*\).*/\1/' <<<"$wrk_line")
	echo "  $1: ${wrk_line#RESULT }" >&2
	wrk_show_other "$1" "${7:-}"
}

# smoke name url auth: one request, which must be answered 1001
smoke() {
	wrk_run "$1-smoke" "$2" "$3" 1 1 1 once
	smoke_1001 "$1"
}

ppgd_ack=0 ppgd_inflight=0 kannel_ack=0 kannel_inflight=0
declare -A rate_of

start_ppgd full "$tmp/ppgd.db"
echo "bench_accept: ppgd $(ppgd_version) at $ppgd_url (database on $(tmp_fstype)), Kannel at $kannel_url, ${SECS}s per run" >&2
smoke ppgd "$ppgd_url" "$auth"
ppgd_ack=$((ppgd_ack + accepted))
smoke kannel "$kannel_url" -
kannel_ack=$((kannel_ack + accepted))

for conc in $CONCS; do
	threads=$((conc == 1 ? 1 : 2))
	wrk_run "ppgd-c$conc" "$ppgd_url" "$auth" "$threads" "$conc" "$SECS"
	rate_of[ppgd-$conc]=$rate
	ppgd_ack=$((ppgd_ack + accepted))
	ppgd_inflight=$((ppgd_inflight + conc))
	wrk_run "kannel-c$conc" "$kannel_url" - "$threads" "$conc" "$SECS"
	rate_of[kannel-$conc]=$rate
	kannel_ack=$((kannel_ack + accepted))
	kannel_inflight=$((kannel_inflight + conc))
done

# Read while ppgd runs: what it acknowledged must already be committed.
db_count() { sqlite3 -cmd '.timeout 5000' "$1" 'select count(*) from push' 2>&1 || true; }
ppgd_stored=$(db_count "$tmp/ppgd.db")
stop_ppgd

if [ "$SYNC_EXTRA" = normal ]; then
	start_ppgd normal "$tmp/ppgd-normal.db"
	normal_ack=0 normal_inflight=0
	for conc in $CONCS; do
		threads=$((conc == 1 ? 1 : 2))
		wrk_run "ppgd-normal-c$conc" "$ppgd_url" "$auth" "$threads" "$conc" "$SECS"
		rate_of[normal-$conc]=$rate
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
# the WAL's fdatasync does. At concurrency 1 every push waits for one.
dsync_ms=$(cd "$tmp" && dd if=/dev/zero of=dsync.probe bs=4k count=200 oflag=dsync 2>&1 |
	awk '/copied/ { for (i = 1; i <= NF; i++) if ($i == "s,") print $(i-1) * 1000 / 200 }')
rm -f "$tmp/dsync.probe"

# ---------------------------------------------------------------- report
row() { printf '%-22s %16s %18s %12s\n' "$@"; }
echo
row "concurrency" "ppgd accepted/s" "kannel accepted/s" "ppgd/kannel"
for conc in $CONCS; do
	threads=$((conc == 1 ? 1 : 2))
	row "$conc (wrk -t$threads -c$conc)" "${rate_of[ppgd-$conc]}" "${rate_of[kannel-$conc]}" \
		"$(ratio "${rate_of[ppgd-$conc]}" "${rate_of[kannel-$conc]}")"
done
if [ "$SYNC_EXTRA" = normal ]; then
	for conc in $CONCS; do
		row "$conc sync=normal" "${rate_of[normal-$conc]}" "(${rate_of[kannel-$conc]})" \
			"$(ratio "${rate_of[normal-$conc]}" "${rate_of[kannel-$conc]}")"
	done
fi
echo
[ -n "$dsync_ms" ] && awk -v ms="$dsync_ms" 'BEGIN { printf "one 4 KiB O_DSYNC append on this disk: %.3f ms (a durable PPG at concurrency 1: at most %.0f/s)\n", ms, 1000 / ms }'
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
echo "kannel: delivered $kannel_delivered datagrams to the UDP sink vs acknowledged $kannel_ack (+ up to $kannel_inflight in flight); Kannel stores nothing"
