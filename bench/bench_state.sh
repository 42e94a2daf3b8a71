#!/usr/bin/env bash
# bench_state.sh - ppgd with a large stored state (issue 11, goals 5 and 6):
# pushes stored (half delivered, half pending and parked until a
# registration of their AoR) and third-party REGISTER bindings, at growing
# sizes. For each size, on a database filled by bench/state_fill.c (direct
# inserts through db/):
#   - start to /readyz 200 on the filled database, and again after a clean
#     restart once the measures ran;
#   - RSS once ready, its peak under the PAP load (VmHWM) and after the
#     REGISTER bursts, and BENCH_SETTLE seconds after them;
#   - statusquery of random stored push-ids (wrk, pap_status.lua): rate, p50, p99;
#   - PAP intake (wrk, pap_push.lua) against the same on an empty database;
#   - third-party REGISTERs of new AoRs (sipp, open loop) per second, over
#     one TCP connection and over UDP;
#   - a registration of an AoR with parked pushes: REGISTER -> its 200, and
#     REGISTER -> the first parked push's MESSAGE (bench/state_wake.py).
# Then the goals of the issue for the largest size: met / not met.
#
#   bench/bench_state.sh                       # sizes 1k 10k 100k 1M, about 6 minutes
#   BENCH_SIZES="1000000" bench/bench_state.sh # the million alone
#
# Environment: PPGD (default build/ppgd; its build directory must hold
# db/libdb.a, pap/libpap.a and sipbearer/libsipb.a), BENCH_SIZES (pushes
# stored per row), BENCH_SECONDS (each wrk run, default 5), BENCH_SETTLE
# (seconds after the REGISTER bursts before the RSS is read again, default
# 45: timer J and the heap trim), BENCH_KEEP=1.
# Bindings stored: a tenth of the pushes (100,000 at a million); the pending
# half is parked on pushes/20 AoRs (10 pushes each).
set -euo pipefail
bench=bench_state
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"

SIZES=${BENCH_SIZES:-"1000 10000 100000 1000000"}
SECS=${BENCH_SECONDS:-5}
REG_COUNT=${BENCH_REGISTERS:-20000}
WAKES=20
SETTLE=${BENCH_SETTLE:-45}

need_ppgd
warn_sanitized
need_cmds "apt-get install wrk sip-tester sqlite3 python3 curl iproute2 gcc pkg-config libsqlite3-dev libsofia-sip-ua-dev libxml2-dev" \
	wrk sipp sqlite3 python3 curl ss cc pkg-config awk
build=$(cd "$(dirname "$PPGD")" && pwd)
for a in db/libdb.a pap/libpap.a sipbearer/libsipb.a; do
	[ -f "$build/$a" ] || die "no $build/$a: the fill links ppgd's own db/ (run scripts/build.sh)"
done

bench_stop() {
	[ -n "${ppgd_pid:-}" ] && stop_pid "$ppgd_pid"
}
bench_init

mkdir -p "$tmp/bin"
pkgs="sqlite3 sofia-sip-ua libxml-2.0"
pkg-config --exists libpq && pkgs="$pkgs libpq"
# shellcheck disable=SC2046
cc -O2 -Wall -I"$root" -o "$tmp/bin/state_fill" "$root/bench/state_fill.c" \
	"$build/db/libdb.a" "$build/sipbearer/libsipb.a" "$build/pap/libpap.a" \
	$(pkg-config --cflags --libs $pkgs) || die "cannot build state_fill"

read -r port_http port_admin port_sip port_reg < <(free_ports_tcp_udp 4)
ppgd_secret
url="http://127.0.0.1:$port_http/pap"
nonce=$(date +%s)-$$

# conf DATABASE: ppgd with PAP, /readyz, SIP Push (third-party REGISTER from
# 127.0.0.1), no UDP bearer (the intake pushes stay pending, as in
# bench_accept.sh).
conf() {
	write_ppgd_conf "$tmp/ppgd.conf" "$port_http" "$1" full warning <<EOF
[admin]
enabled = yes
listen = 127.0.0.1:$port_admin

[admin ops]
secret_hash = $hash

[sip]
enabled = yes
listen = sip:127.0.0.1:$port_sip
from = sip:ppg@operator.example
p_asserted_identity = <sip:ppg@operator.example>

[ota]
udp = no
EOF
}

ppgd_runs=0
# start_ppgd: sets ready_ms, from the exec to /readyz 200.
start_ppgd() {
	local t0 code=
	ppgd_runs=$((ppgd_runs + 1))
	ppgd_log=$tmp/ppgd-$ppgd_runs.log
	t0=$(now)
	"$PPGD" -c "$tmp/ppgd.conf" >"$ppgd_log" 2>&1 &
	ppgd_pid=$!
	for _ in $(seq 1 1200); do
		code=$(curl -s -o /dev/null -w '%{http_code}' --noproxy '*' -m 1 "http://127.0.0.1:$port_admin/readyz" || true)
		[ "$code" = 200 ] && break
		kill -0 "$ppgd_pid" 2>/dev/null || { cat "$ppgd_log" >&2; die "ppgd exited at start (log above)"; }
		sleep 0.02
	done
	[ "$code" = 200 ] || { tail -n 30 "$ppgd_log" >&2; die "ppgd not ready after 60 s"; }
	ready_ms=$(ms_since "$t0")
}
stop_ppgd() {
	stop_pid "$ppgd_pid"
	ppgd_pid=
}
rss_mb() { awk -v k="$2" '$1 == k":" { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

# intake NAME: sets intake (accepted/s) from a wrk run at concurrency 8.
intake() {
	wrk_exec "$1" "$url" "$auth" 2 8 "$SECS"
	intake=$(sed 's/.* accepted_per_s=\([0-9.]*\).*/\1/' <<<"$wrk_line")
	intake=${intake%.*}
	[ "$other" = 0 ] || wrk_show_other "$1"
}

# statusq PUSHES: sets sq_rate, sq_p50, sq_p99 (ms) from wrk at concurrency 4.
statusq() {
	local out=$tmp/wrk-status-$1.out line
	timeout $((SECS + 30)) wrk -t2 -c4 -d"$SECS"s --latency -s "$root/bench/pap_status.lua" "$url" \
		-- "$1" "$auth" >"$out" 2>&1 || true
	line=$(grep '^RESULT ' "$out" || true)
	[ -n "$line" ] || { cat "$out" >&2; die "the statusquery run gave no result"; }
	grep -q ' other=0 ' <<<"$line" || { grep -m1 'first answer' "$out" >&2 || true; die "statusqueries did not all find their push: $line"; }
	sq_rate=$(sed 's/.* per_s=\([0-9]*\).*/\1/' <<<"$line")
	sq_p50=$(awk -v u="$(sed 's/.* p50_us=\([0-9]*\).*/\1/' <<<"$line")" 'BEGIN { printf "%.2f", u / 1000 }')
	sq_p99=$(awk -v u="$(sed 's/.* p99_us=\([0-9]*\).*/\1/' <<<"$line")" 'BEGIN { printf "%.2f", u / 1000 }')
}

# registers SIZE TRANSPORT: sets reg_rate, third-party REGISTERs of REG_COUNT
# new AoRs per second (sipp open loop at 10,000/s, at most 1,000 in flight;
# the time includes sipp's start). TRANSPORT u1 (UDP) or t1 (one TCP
# connection, as a core with a persistent connection sends them).
registers() {
	local t0 ms users=$tmp/users-$1-$2.csv
	{ echo SEQUENTIAL; for ((j = 0; j < REG_COUNT; j++)); do echo "new$1$2x$j;9"; done; } >"$users"
	t0=$(now)
	if ! timeout 120 sipp -t "$2" -sf "$root/bench/sipp_register_soak.xml" -inf "$users" -i 127.0.0.1 -p "$port_reg" \
		-m "$REG_COUNT" -r 10000 -l 1000 -key expires 3600 -nostdin -timeout 100s -timeout_error \
		-trace_err -error_file "$tmp/register-$1-$2.err" "127.0.0.1:$port_sip" >"$tmp/register-$1-$2.out" 2>&1; then
		head -n 20 "$tmp/register-$1-$2.err" >&2 || true
		die "the third-party REGISTERs ($2) were not all answered 200"
	fi
	ms=$(ms_since "$t0")
	reg_rate=$(awk -v n="$REG_COUNT" -v ms="$ms" 'BEGIN { printf "%.0f", n * 1000 / ms }')
}

# wake: sets wake_reg (p50/p99 ms of the REGISTER's 200) and wake_p50,
# wake_p99 (REGISTER -> first parked push's MESSAGE), over WAKES AoRs.
wake() {
	local line
	line=$(timeout 200 python3 "$root/bench/state_wake.py" "$port_sip" 0 "$WAKES" 2>"$tmp/wake-$1.err" | grep '^WAKE ') ||
		{ tail -n 5 "$tmp/wake-$1.err" >&2; die "parked pushes were not woken by their registration"; }
	wake_reg=$(sed 's/.* reg_p50_ms=\([0-9.]*\) reg_p99_ms=\([0-9.]*\).*/\1\/\2/' <<<"$line")
	wake_p50=$(sed 's/.* first_p50_ms=\([0-9.]*\).*/\1/' <<<"$line")
	wake_p99=$(sed 's/.* first_p99_ms=\([0-9.]*\).*/\1/' <<<"$line")
}

echo "$bench: ppgd $(ppgd_version), database on $(tmp_fstype) in $tmp, ${SECS}s per wrk run" >&2

# ---------------------------------------------------------------- empty
conf "$tmp/empty.db"
start_ppgd
wrk_exec smoke "$url" "$auth" 1 1 1 once
smoke_1001 ppgd
intake empty
intake_empty=$intake
rss_empty=$(rss_mb "$ppgd_pid" VmRSS)
stop_ppgd
echo "$bench: empty database: ready in $ready_ms ms, intake $intake_empty/s, RSS $rss_empty MB" >&2

rows=()
for size in $SIZES; do
	db=$tmp/state-$size.db
	bindings=$((size / 10))
	waits=$((size / 20))
	[ "$waits" -ge "$WAKES" ] || waits=$WAKES
	fill=$("$tmp/bin/state_fill" "$db" "$size" "$bindings" "$waits") || die "state_fill failed"
	fill_s=$(sed 's/.* seconds=\([0-9.]*\).*/\1/' <<<"$fill")
	conf "$db"
	start_ppgd
	ready1=$ready_ms
	rss_ready=$(rss_mb "$ppgd_pid" VmRSS)
	statusq "$size"
	intake "full-$size"
	rss_load=$(rss_mb "$ppgd_pid" VmHWM)
	registers "$size" t1
	reg_tcp=$reg_rate
	wake "$size"
	registers "$size" u1
	reg_udp=$reg_rate
	rss_peak=$(rss_mb "$ppgd_pid" VmHWM)
	# once timer J (32 s) ended the burst's transactions and the core's
	# sweep (every 10 s) trimmed the heap: what ppgd holds after a burst
	sleep "$SETTLE"
	rss_settled=$(rss_mb "$ppgd_pid" VmRSS)
	stop_ppgd
	start_ppgd
	ready2=$ready_ms
	stop_ppgd
	db_mb=$(du -m "$db" | cut -f1)
	echo "$bench: $size pushes ($bindings bindings, $waits waiting AoRs): filled in ${fill_s}s ($db_mb MB);" \
		"ready $ready1 ms, restart $ready2 ms; RSS $rss_ready/$rss_load/$rss_peak MB, $rss_settled MB ${SETTLE}s after the bursts;" \
		"statusquery $sq_rate/s p99 $sq_p99 ms; intake $intake/s; REGISTER $reg_tcp/s TCP, $reg_udp/s UDP;" \
		"wake $wake_p50/$wake_p99 ms" >&2
	rows+=("| $size | $bindings | $db_mb | $ready1 / $ready2 | $rss_ready / $rss_load / $rss_peak / $rss_settled | $sq_rate | $sq_p50 / $sq_p99 | $intake ($(ratio "$intake" "$intake_empty")) | $reg_tcp / $reg_udp | $wake_reg | $wake_p50 / $wake_p99 |")
	last_size=$size
	last=("$ready1" "$ready2" "$rss_load" "$sq_p99" "$intake" "$reg_tcp" "$wake_p99" "$reg_udp" "$rss_peak" "$rss_settled")
done

echo
echo "Empty database: intake $intake_empty accepted/s (wrk, concurrency 8), RSS $rss_empty MB."
echo
echo "| pushes stored | bindings | database MB | ready / restart ms | RSS MB: ready / peak under PAP load / peak after the REGISTER bursts / ${SETTLE} s after them | statusquery/s | statusquery p50 / p99 ms | intake/s (of empty) | REGISTER/s TCP / UDP | REGISTER→200 p50/p99 ms | REGISTER→first MESSAGE p50 / p99 ms |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
verdict() { if awk -v a="$1" -v op="$2" -v b="$3" 'BEGIN { exit !((op == "<=") ? a <= b : a >= b) }'; then echo met; else echo "not met"; fi; }
restart=${last[1]}
[ "${last[0]}" -gt "$restart" ] && restart=${last[0]}
echo "Goals (issue 11, goal 5) at $last_size pushes stored:"
echo "- statusquery p99 <= 2 ms: ${last[3]} ms, $(verdict "${last[3]}" '<=' 2)"
echo "- RSS <= 200 MB: ${last[2]} MB peak with the state under statusquery and intake load, $(verdict "${last[2]}" '<=' 200);" \
	"${last[8]} MB after $REG_COUNT REGISTERs over UDP in a burst, $(verdict "${last[8]}" '<=' 200)" \
	"(each UDP server transaction is kept for timer J, 32 s); ${last[9]} MB ${SETTLE} s after the burst, $(verdict "${last[9]}" '<=' 200)"
echo "- ready <= 10 s after a restart: $restart ms (the slower of the two starts), $(verdict "$restart" '<=' 10000)"
echo "- intake no more than 20% below the empty database: $(ratio "${last[4]}" "$intake_empty") of it, $(verdict "$(ratio "${last[4]}" "$intake_empty")" '>=' 0.8)"
echo "- third-party REGISTER >= 5,000/s: ${last[5]}/s over TCP, $(verdict "${last[5]}" '>=' 5000);" \
	"${last[7]}/s over UDP, $(verdict "${last[7]}" '>=' 5000)"
echo "- a registration starts its parked deliveries within 10 ms (p99 of $WAKES): ${last[6]} ms, $(verdict "${last[6]}" '<=' 10)"
