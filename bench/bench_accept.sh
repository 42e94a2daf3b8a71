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
#   KANNEL_PPG     kannel-ppg.sh of the reference (default ../shared/peers/kannel-ppg)
#   BENCH_KEEP     1: keep the temporary directory (configs, logs, database)
#   TMPDIR         where that directory goes (its filesystem is the database's)
#
# Needs wrk, sqlite3, python3, ss and Kannel (packages kannel, kannel-extras).
# Everything listens on 127.0.0.1; Kannel's UDP sink uses the fixed port 2948.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
PPGD=${PPGD:-$root/build/ppgd}
SECS=${BENCH_SECONDS:-10}
CONCS=${BENCH_CONC:-1 8}   # concurrencies, e.g. BENCH_CONC="1 8 32"
SYNC_EXTRA=${BENCH_SYNC:-}
KANNEL_PPG=${KANNEL_PPG:-$root/../shared/peers/kannel-ppg/kannel-ppg.sh}
LUA=$root/bench/pap_push.lua
PI_USER=bench
PI_SECRET=bench-secret

die() { echo "bench_accept: $*" >&2; exit 1; }

[ -x "$PPGD" ] || die "no ppgd binary at $PPGD: run scripts/build.sh first (or set PPGD=path/to/ppgd)"
[ -x "$KANNEL_PPG" ] || die "Kannel reference script not found at $KANNEL_PPG (set KANNEL_PPG)"
for c in wrk sqlite3 python3 ss base64 timeout; do
	command -v "$c" >/dev/null || die "$c is missing (apt-get install wrk sqlite3 python3 iproute2)"
done
[[ $SECS =~ ^[1-9][0-9]*$ ]] || die "BENCH_SECONDS must be a positive integer"
case $SYNC_EXTRA in "" | normal) ;; *) die "BENCH_SYNC may only be 'normal'" ;; esac
if ldd "$PPGD" 2>/dev/null | grep -q -E 'lib(a|ub)san'; then
	echo "bench_accept: warning: $PPGD is built with sanitizers; its figures are not representative" >&2
fi
if ss -lnu | awk '{print $4}' | grep -q ':2948$'; then
	die "UDP port 2948 (Kannel's sink) is in use: is another Kannel reference running?"
fi

tmp=$(mktemp -d /tmp/bench_accept.XXXXXX)
ppgd_pid=
kannel_started=

stop_pid() { # pid: TERM, wait up to 10 s, then KILL
	local pid=$1
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "bench_accept: pid $pid ignored SIGTERM for 10 s, killing it" >&2
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
}

cleanup() {
	set +e
	[ -n "$ppgd_pid" ] && stop_pid "$ppgd_pid"
	[ -n "$kannel_started" ] && timeout 40 "$KANNEL_PPG" stop "$tmp/kannel" >/dev/null
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "bench_accept: kept $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
trap 'echo "bench_accept: failed at line $LINENO: $BASH_COMMAND" >&2' ERR

# Four free TCP ports on 127.0.0.1: ppgd, Kannel PPG, Kannel box, Kannel admin.
read -r port_ppgd port_kppg port_kbox port_kadmin < <(python3 -c '
import socket
ss = [socket.socket() for _ in range(4)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')

wait_port() { # port pid: wait up to 10 s for a TCP listener on port while pid lives
	for _ in $(seq 1 100); do
		ss -lnt | awk '{print $4}' | grep -q ":$1\$" && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# ---------------------------------------------------------------- ppgd
hash=$("$PPGD" --hash-secret <<<"$PI_SECRET") || die "$PPGD --hash-secret failed"
auth="Basic $(printf '%s:%s' "$PI_USER" "$PI_SECRET" | base64 -w0)"
ppgd_url="http://127.0.0.1:$port_ppgd/pap"

start_ppgd() { # synchronous-mode database-file
	local conf=$tmp/ppgd-$1.conf
	cat >"$conf" <<EOF
[server]
listen = 127.0.0.1:$port_ppgd
pap_path = /pap
threads = 2

[database]
path = $2
synchronous = $1

[log]
level = warning

# Acceptance only: the pushes stay pending (bench_ota.sh measures delivery), and
# no datagram of ppgd's lands in the count of Kannel's sink.
[ota]
udp = no

[pi $PI_USER]
secret_hash = $hash
EOF
	"$PPGD" -c "$conf" >>"$tmp/ppgd.log" 2>&1 &
	ppgd_pid=$!
	if ! wait_port "$port_ppgd" "$ppgd_pid"; then
		cat "$tmp/ppgd.log" >&2
		die "ppgd did not listen on 127.0.0.1:$port_ppgd (log above)"
	fi
}

stop_ppgd() {
	stop_pid "$ppgd_pid"
	ppgd_pid=
}

# ---------------------------------------------------------------- Kannel
kannel_url="http://127.0.0.1:$port_kppg/cgi-bin/wap-push.cgi?username=foo&password=bar"
kannel_started=1
if ! KANNEL_PPG_PORT=$port_kppg KANNEL_BOX_PORT=$port_kbox KANNEL_ADMIN_PORT=$port_kadmin \
	timeout 60 "$KANNEL_PPG" start "$tmp/kannel" >"$tmp/kannel-start.log" 2>&1; then
	cat "$tmp/kannel-start.log" >&2
	die "the Kannel reference did not start (log above)"
fi
kannel_count() { cat "$tmp/kannel/udp_count" 2>/dev/null || echo 0; }

# ---------------------------------------------------------------- runs
nonce=$(date +%s)-$$
runs=0
# wrk_run name url auth threads conns seconds [once]: sets accepted/other/rate
wrk_run() {
	local out=$tmp/wrk-$1.out
	runs=$((runs + 1))
	timeout $(($6 + 30)) wrk -t"$4" -c"$5" -d"$6"s --latency -s "$LUA" "$2" \
		-- "$nonce-$runs" "$3" ${7:+"$7"} >"$out" 2>&1 || true
	local line
	line=$(grep '^RESULT ' "$out" || true)
	if [ -z "$line" ]; then
		cat "$out" >&2
		die "wrk run $1 gave no result (output above)"
	fi
	accepted=$(sed 's/.* accepted=\([0-9]*\).*/\1/' <<<"$line")
	other=$(sed 's/.* other=\([0-9]*\).*/\1/' <<<"$line")
	rate=$(sed 's/.* accepted_per_s=\([0-9.]*\).*/\1/' <<<"$line")
	echo "  $1: ${line#RESULT }" >&2
	if [ "$other" != 0 ] && [ -z "${7:-}" ]; then
		sed -n '/^--- first non-1001/,$p' "$out" | head -n 60 >&2
	fi
}

# smoke name url auth: one request, which must be answered 1001
smoke() {
	wrk_run "$1-smoke" "$2" "$3" 1 1 1 once
	if [ "$accepted" != 1 ]; then
		echo "bench_accept: $1 did not answer 1001 to the benchmark request:" >&2
		sed -n '/^--- request:/,/^--- end/p' "$tmp/wrk-$1-smoke.out" >&2
		die "$1 refused the benchmark request"
	fi
}

ppgd_ack=0 ppgd_inflight=0 kannel_ack=0 kannel_inflight=0
declare -A rate_of

start_ppgd full "$tmp/ppgd.db"
echo "bench_accept: ppgd $("$PPGD" -V 2>/dev/null | awk '{print $2}') at $ppgd_url (database on $(df --output=fstype "$tmp" | tail -n 1)), Kannel at $kannel_url, ${SECS}s per run" >&2
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
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
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
