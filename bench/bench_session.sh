#!/bin/bash
# bench_session.sh: session-mode push (INVITE + MSRP, OMA SIP Push seed 000
# §9.3) beside pager mode with content indirection (MESSAGE carrying a URL,
# the terminal fetches it; RFC 4483) for the same 10 KiB content, in one run
# against one ppgd (issue 9, "What it must show").
#
# Two terminals are registered by a third-party REGISTER: bob's contact takes
# sessions (methods="INVITE,...", RFC 3840), carol's does not; with
# session_threshold = 1000 a 10 KiB push to bob goes in a session, to carol
# as a MESSAGE with content indirection (indirection_threshold 1300).
#   bob:   sipp UAS (bench/sipp_uas_session.xml) answers the INVITE with an
#          a=path to bench/msrp_sink.py, which answers every SEND 200 and the
#          last chunk with REPORT 000 200 (delivered only on that REPORT);
#   carol: sipp UAS (bench/sipp_uas_indirect.xml) answers the MESSAGE 200
#          and logs its URL, which bench/url_fetcher.py fetches (8 threads,
#          kept-alive connections; delivered once fetched).
# For each mode:
#   (a) throughput: BENCH_RATE pushes/s offered for BENCH_SECONDS (open loop,
#       pap_load), at most [sip] window = BENCH_WINDOW requests outstanding in
#       ppgd; delivered/s = rows that reached `delivered` / time from the
#       first request until that count stopped moving;
#   (b) latency: BENCH_LAT_RATE pushes/s for BENCH_SECONDS (light load):
#       session mode: INVITE->REPORT at the terminal (the INVITE's arrival at
#       sipp to the sink's REPORT, clocks of one machine); both modes:
#       accepted->delivered stored (the database's times).
#
# Environment:
#   PPGD            ppgd binary (default: build/ppgd; run scripts/build.sh first)
#   BENCH_SECONDS   duration of each load run (default 10)
#   BENCH_RATE      offered pushes/s of the throughput runs (default 1000: above what
#                   either mode delivers here, so (a) measures the drain rate)
#   BENCH_LAT_RATE  offered pushes/s of the latency runs (default 20)
#   BENCH_WINDOW    [sip] window: requests (sessions, MESSAGEs) outstanding (default 64)
#   BENCH_BYTES     content size (default 10240)
#   BENCH_KEEP      1: keep the temporary directory
#
# Needs sipp, sqlite3, python3, ss, cc, pkg-config, libcurl4-openssl-dev.
# Everything listens on 127.0.0.1 on free ports. Bounded: at most
# (BENCH_RATE + BENCH_LAT_RATE) * BENCH_SECONDS pushes per mode, each wait
# for the deliveries to settle at most 120 s.
set -euo pipefail

bench=bench_session
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/lib.sh"
SECS=${BENCH_SECONDS:-10}
RATE=${BENCH_RATE:-1000}
LAT_RATE=${BENCH_LAT_RATE:-20}
WINDOW=${BENCH_WINDOW:-64}
BYTES=${BENCH_BYTES:-10240}

need_ppgd
need_cmds "apt-get install sip-tester sqlite3 python3 iproute2 gcc pkg-config" \
	sipp sqlite3 python3 ss timeout cc pkg-config awk
pkg-config --exists libcurl || die "libcurl not found by pkg-config: apt-get install libcurl4-openssl-dev"
for v in SECS RATE LAT_RATE WINDOW BYTES; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer"
done
[ "$BYTES" -gt 1300 ] || die "BENCH_BYTES must be above 1300 (session_threshold 1000, indirection 1300)"
warn_sanitized

sink_pid=
uas_s_pid=
uas_p_pid=
fetch_pid=
bench_stop() {
	[ -n "$fetch_pid" ] && stop_pid "$fetch_pid"
	[ -n "$ppgd_pid" ] && stop_pid "$ppgd_pid"
	[ -n "$uas_s_pid" ] && stop_pid "$uas_s_pid"
	[ -n "$uas_p_pid" ] && stop_pid "$uas_p_pid"
	[ -n "$sink_pid" ] && stop_pid "$sink_pid"
}
bench_init
cp "$PPGD" "$tmp/ppgd"
PPGD=$tmp/ppgd

mkdir "$tmp/bin"
cc -O2 -Wall -o "$tmp/bin/pap_load" "$root/bench/pap_load.c" \
	$(pkg-config --cflags --libs libcurl) 2>"$tmp/cc-pap_load.log" ||
	{ cat "$tmp/cc-pap_load.log" >&2; die "cannot build bench/pap_load.c (is libcurl4-openssl-dev installed?)"; }

read -r port_http port_sip port_uas_s port_uas_p port_reg port_msrp < <(free_ports_tcp_udp 6)

# ---------------------------------------------------------------- terminals
python3 "$root/bench/msrp_sink.py" "$port_msrp" "$tmp/sink.lat" >"$tmp/sink.out" 2>&1 &
sink_pid=$!
wait_listen tcp "$port_msrp" "$sink_pid" || { cat "$tmp/sink.out" >&2; die "msrp_sink.py did not listen"; }
sipp -sf "$root/bench/sipp_uas_session.xml" -i 127.0.0.1 -p "$port_uas_s" -key msrp_port "$port_msrp" \
	-m 1000000000 -nostdin -buff_size 4194304 >"$tmp/sipp-uas-session.out" 2>&1 &
uas_s_pid=$!
wait_listen udp "$port_uas_s" "$uas_s_pid" || { head -c 4000 "$tmp/sipp-uas-session.out" >&2; die "sipp UAS (session) did not listen"; }
python3 "$root/bench/url_fetcher.py" "$tmp/fetch.log" 8 >"$tmp/fetcher.out" 2>&1 &
fetch_pid=$!
sipp -sf "$root/bench/sipp_uas_indirect.xml" -i 127.0.0.1 -p "$port_uas_p" \
	-m 1000000000 -nostdin -buff_size 4194304 -trace_logs -log_file "$tmp/fetch.log" \
	>"$tmp/sipp-uas-indirect.out" 2>&1 &
uas_p_pid=$!
wait_listen udp "$port_uas_p" "$uas_p_pid" || { head -c 4000 "$tmp/sipp-uas-indirect.out" >&2; die "sipp UAS (pager) did not listen"; }

# ---------------------------------------------------------------- ppgd
ppgd_secret
ppgd_url="http://127.0.0.1:$port_http/pap"
db=$tmp/ppgd.db
write_ppgd_conf "$tmp/ppgd.conf" "$port_http" "$db" full notice <<EOF
[sip]
enabled = yes
listen = sip:127.0.0.1:$port_sip
from = sip:ppg@operator.example
window = $WINDOW
session_threshold = 1000
session_timeout = 30
msrp_report = yes
fetch_timeout = 30
EOF
ppgd_log=$tmp/ppgd.log
launch_ppgd "$tmp/ppgd.conf" "$ppgd_log" "$port_http"
echo "$bench: ppgd $(ppgd_version) at $ppgd_url, SIP on 127.0.0.1:$port_sip, $BYTES-byte content," \
	"window $WINDOW, ${SECS}s per run (database on $(tmp_fstype))" >&2

register() { # user caps
	timeout 20 sipp -sf "$root/bench/sipp_register_user.xml" -i 127.0.0.1 -p "$port_reg" -m 1 \
		-key user "$1" -key uas_port "$3" -key caps "$2" -nostdin -timeout 10s -timeout_error \
		"127.0.0.1:$port_sip" >"$tmp/sipp-register-$1.out" 2>&1 ||
		{ tail -n 20 "$tmp/sipp-register-$1.out" "$ppgd_log" >&2; die "the REGISTER of $1 was not answered 200"; }
}
register bob ';methods="INVITE,MESSAGE,BYE,CANCEL,ACK"' "$port_uas_s"
register carol '' "$port_uas_p"

addr() { echo "WAPPUSH=sip%3A$1%40example.com/TYPE=USER@ppg.example"; }
nonce=$(date +%s)-$$
pl() { timeout $((SECS + 60)) "$tmp/bin/pap_load" -u "$PI_USER:$PI_SECRET" -b "$BYTES" "$@" "$ppgd_url"; }
q() { sqlite3 -cmd '.timeout 5000' "$db" "$1" 2>/dev/null || echo "?"; }
# delivered / not final rows of the pushes whose push-id starts with bench-$1-
delivered() { q "select count(*) from delivery d join push p on p.id = d.push where d.state = 2 and p.push_id like 'bench-$1-%'"; }
unfinished() { q "select count(*) from delivery d join push p on p.id = d.push where d.state in (1, 9) and p.push_id like 'bench-$1-%'"; }
failed() { q "select count(*) from delivery d join push p on p.id = d.push where d.state not in (1, 2, 9) and p.push_id like 'bench-$1-%'"; }

# settle TAG: waits until the TAG deliveries are all final, or their delivered
# count is unchanged for 5 s, or 120 s passed; sets settled, settled_at.
settle() {
	local prev cur same=0
	prev=$(delivered "$1")
	settled_at=$(now)
	for _ in $(seq 1 600); do
		if [ "$(unfinished "$1")" = 0 ]; then
			cur=$(delivered "$1")
			[ "$cur" != "$prev" ] && { prev=$cur; settled_at=$(now); }
			break
		fi
		sleep 0.2
		cur=$(delivered "$1")
		if [ "$cur" = "$prev" ]; then
			same=$((same + 1))
			[ "$same" -ge 25 ] && break
		else
			same=0
			prev=$cur
			settled_at=$(now)
		fi
	done
	settled=$prev
	[[ $settled =~ ^[0-9]+$ ]] || die "cannot read the delivered count from $db"
}

pcts() { # numbers on stdin -> "p50 p99 max n"
	sort -g | awk '{ v[++n] = $1 } END { if (!n) { print "- - - 0"; exit }
		i50 = int(n * 0.50 + 0.5); if (i50 < 1) i50 = 1
		i99 = int(n * 0.99 + 0.5); if (i99 < 1) i99 = 1
		printf "%.1f %.1f %.1f %d\n", v[i50], v[i99], v[n], n }'
}
stored_latency() { # TAG -> p50 p99 max n (ms), accepted -> delivered stored
	q "select d.event_time - p.received_time from delivery d join push p on p.id = d.push
		where d.state = 2 and p.push_id like 'bench-$1-%'" | pcts
}

# ---------------------------------------------------------------- smoke
for u in bob carol; do
	pl -1 -a "$(addr $u)" -n "$nonce-smoke$u" >"$tmp/smoke-$u.out" 2>&1 ||
		{ cat "$tmp/smoke-$u.out" >&2; die "ppgd did not answer 1001 to the push for $u"; }
	for _ in $(seq 1 100); do
		[ "$(delivered "$nonce-smoke$u")" = 1 ] && break
		sleep 0.1
	done
	if [ "$(delivered "$nonce-smoke$u")" != 1 ]; then
		q "select id, state, code, description from delivery" >&2
		tail -n 30 "$ppgd_log" >&2
		die "the smoke push for $u was not delivered within 10 s (deliveries and ppgd's log above)"
	fi
	q "select description from delivery d join push p on p.id = d.push where p.push_id like 'bench-$nonce-smoke$u-%'" |
		sed "s/^/  smoke $u: /" >&2
done

# ---------------------------------------------------------------- runs
declare -A rate_of acc_of fail_of st_of lat_of
run() { # mode user kind(thr|lat) rate
	local tag="$nonce-$1-$3" t0 line n el
	[ "$3" = lat ] && : >"$tmp/sink.lat"
	t0=$(now)
	pl -a "$(addr "$2")" -r "$4" -C 256 -d "$SECS" -n "$tag" >"$tmp/load-$1-$3.out" 2>"$tmp/load-$1-$3.err" || true
	line=$(grep '^RESULT ' "$tmp/load-$1-$3.out" || true)
	[ -n "$line" ] || { cat "$tmp/load-$1-$3.err" >&2; die "pap_load ($1 $3) gave no result"; }
	settle "$tag"
	n=$settled
	el=$(awk -v a="$settled_at" -v b="$t0" 'BEGIN { printf "%.3f", a - b }')
	acc_of[$1-$3]=$(sed -n 's/.* accepted=\([0-9]*\).*/\1/p' <<<"$line")
	fail_of[$1-$3]=$(failed "$tag")
	rate_of[$1-$3]=$(awk -v n="$n" -v e="$el" 'BEGIN { printf "%.1f", (e > 0 ? n / e : 0) }')
	st_of[$1-$3]=$(stored_latency "$tag")
	echo "  $1 $3: offered $4/s for ${SECS}s, accepted ${acc_of[$1-$3]}, delivered $n in ${el}s," \
		"not delivered ${fail_of[$1-$3]} (+ $(unfinished "$tag") not final)" >&2
	if [ "$1" = session ] && [ "$3" = lat ]; then
		lat_of[session]=$(pcts <"$tmp/sink.lat")
	fi
}
run session bob thr "$RATE"
run pager carol thr "$RATE"
run session bob lat "$LAT_RATE"
run pager carol lat "$LAT_RATE"
cpu=$(proc_cpu_ms "$ppgd_pid")
cpu_sink=$(proc_cpu_ms "$sink_pid")
cpu_uas_s=$(proc_cpu_ms "$uas_s_pid")
cpu_uas_p=$(proc_cpu_ms "$uas_p_pid")
cpu_fetch=$(proc_cpu_ms "$fetch_pid")
stop_pid "$ppgd_pid"
ppgd_pid=
stop_pid "$sink_pid"
sink_pid=
sink_line=$(grep '^SINK ' "$tmp/sink.out" || echo "SINK ?")
stop_pid "$fetch_pid"
fetch_pid=
fetch_line=$(grep '^FETCHER ' "$tmp/fetcher.out" || echo "FETCHER ?")

# ---------------------------------------------------------------- report
f() { awk -v i="$2" '{ print $i }' <<<"$1"; }
echo
printf '%-46s %14s %14s\n' "$BYTES-byte pushes" "session mode" "pager+indirect"
printf '%-46s %14s %14s\n' "delivered/s ($RATE/s offered, window $WINDOW)" "${rate_of[session-thr]}" "${rate_of[pager-thr]}"
printf '%-46s %14s %14s\n' "  not delivered (of accepted)" "${fail_of[session-thr]} / ${acc_of[session-thr]}" \
	"${fail_of[pager-thr]} / ${acc_of[pager-thr]}"
printf '%-46s %14s %14s\n' "  accepted->delivered p50 / p99 ms" \
	"$(f "${st_of[session-thr]}" 1) / $(f "${st_of[session-thr]}" 2)" "$(f "${st_of[pager-thr]}" 1) / $(f "${st_of[pager-thr]}" 2)"
printf '%-46s %14s %14s\n' "at $LAT_RATE/s offered: INVITE->REPORT p50 / p99 ms" \
	"$(f "${lat_of[session]}" 1) / $(f "${lat_of[session]}" 2)" "-"
printf '%-46s %14s %14s\n' "  accepted->delivered p50 / p99 ms" \
	"$(f "${st_of[session-lat]}" 1) / $(f "${st_of[session-lat]}" 2)" "$(f "${st_of[pager-lat]}" 1) / $(f "${st_of[pager-lat]}" 2)"
printf '%-46s %14s %14s\n' "  delivered / accepted" "$(f "${st_of[session-lat]}" 4) / ${acc_of[session-lat]}" \
	"$(f "${st_of[pager-lat]}" 4) / ${acc_of[pager-lat]}"
echo "INVITE->REPORT n=$(f "${lat_of[session]}" 4), max $(f "${lat_of[session]}" 3) ms; MSRP sink: ${sink_line#SINK };" \
	"content fetches: ${fetch_line#FETCHER }"
echo "CPU for the whole run (user+system): ppgd $cpu ms, msrp_sink.py $cpu_sink ms, sipp UAS session" \
	"$cpu_uas_s ms, sipp UAS pager $cpu_uas_p ms, url_fetcher.py $cpu_fetch ms (2 cores, shared)"
echo "(under the throughput runs accepted->delivered is mostly the backlog's wait: the offered rate is" \
	"above what is delivered)"
exit 0
