#!/bin/bash
# soak.sh: the soak bench of issue 12. SOAK_MINUTES (default 30) of mixed PAP
# load on 127.0.0.1 (pushes to SIP, UDP and SMS addresses, deferred pushes
# and cancels, pushes that expire, statusqueries, result notifications)
# while ppgd is killed with SIGKILL every SOAK_KILL_EVERY minutes at a random
# moment and restarted on the same database. One line per minute; at the end,
# after a drain, every acknowledged push must have reached a final state, in
# the database, by statusquery and at its sink: 0 acknowledged pushes lost.
# Run by hand (not in CI); see bench/README.md.
#
# Peers, all started here and stopped by PID:
#   - ppgd (copy of $PPGD): SQLite, synchronous = full, [sip], [ota] udp and
#     sms, [admin] for /readyz;
#   - two sipp UAS (bench/sipp_uas_soak.xml) answering every MESSAGE 200 and
#     logging the push-id of each; SOAK_AORS (default 20) AoRs
#     sip:soakJ@example.com registered to them by sipp's third-party REGISTER
#     (bench/sipp_register_soak.xml);
#   - the Net::SMPP SMSC of the tests (tests/smsc/smsc.pl --receipts);
#   - bench/soak_sinks.py: the UDP Push OTA sink and the PI's notification
#     listener, each logging push-ids;
#   - bench/soak_load.c (built here): the PI, SOAK_RATE pushes/s open loop,
#     resending a push that got no answer (ppgd down) with the same push-id.
#
# Environment:
#   PPGD             ppgd binary (default build/ppgd)
#   SOAK_MINUTES     minutes of load (default 30)
#   SOAK_RATE        pushes per second offered (default 100)
#   SOAK_KILL_EVERY  minutes between kills: one SIGKILL at a random moment of
#                    each such window (default 4; 1 when SOAK_MINUTES < 8; 0: none)
#   SOAK_DRAIN       seconds to wait at most, after the load, for every
#                    delivery and notification to be final (default 180)
#   SOAK_SEED        seed of the mix and of the kill moments (default: random)
#   SOAK_SQ_ALL      1 (default): the final statusquery pass covers every stored
#                    push; 0: a sample of 2,000 (the database covers them all)
#   BENCH_KEEP       1: keep the temporary directory (logs, database, sink logs)
#   TMPDIR           where that directory goes (its filesystem is the database's)
#
# Exit status: 0 when no acknowledged push was lost, 1 otherwise (or on a
# set-up failure).
set -euo pipefail

bench=soak
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/lib.sh"
MINUTES=${SOAK_MINUTES:-30}
RATE=${SOAK_RATE:-100}
DRAIN=${SOAK_DRAIN:-180}
SEED=${SOAK_SEED:-$((RANDOM * 32768 + RANDOM))}
SQ_ALL=${SOAK_SQ_ALL:-1}
AORS=${SOAK_AORS:-20}
for v in MINUTES RATE DRAIN SEED AORS; do
	[[ ${!v} =~ ^[0-9]+$ ]] || die "SOAK_$v must be a number"
done
[ "$MINUTES" -ge 1 ] && [ "$RATE" -ge 1 ] && [ "$AORS" -ge 2 ] || die "SOAK_MINUTES, SOAK_RATE >= 1, SOAK_AORS >= 2"
if [ -z "${SOAK_KILL_EVERY:-}" ]; then
	KILL_EVERY=$((MINUTES < 8 ? 1 : 4))
else
	KILL_EVERY=$SOAK_KILL_EVERY
fi
[[ $KILL_EVERY =~ ^[0-9]+$ ]] || die "SOAK_KILL_EVERY must be a number of minutes"

need_ppgd
need_cmds "apt-get install sipp sqlite3 python3 perl libnet-smpp-perl iproute2 curl" \
	sipp sqlite3 python3 perl ss cc pkg-config curl awk
perl -MNet::SMPP -e 1 2>/dev/null || die "Net::SMPP is missing (apt-get install libnet-smpp-perl)"
pkg-config --exists libcurl || die "libcurl's headers are missing (apt-get install libcurl4-openssl-dev)"
warn_sanitized

uas_pids=() sinks_pid= smsc_pid= load_pid=
bench_stop() {
	[ -n "$load_pid" ] && stop_pid "$load_pid"
	[ -n "$ppgd_pid" ] && stop_pid "$ppgd_pid"
	for p in "${uas_pids[@]}"; do stop_pid "$p"; done
	[ -n "$smsc_pid" ] && stop_pid "$smsc_pid"
	[ -n "$sinks_pid" ] && stop_pid "$sinks_pid"
}
bench_init
RANDOM=$((SEED % 32768))

mkdir -p "$tmp/bin"
cc -O2 -Wall -o "$tmp/bin/soak_load" "$root/bench/soak_load.c" $(pkg-config --cflags --libs libcurl) ||
	die "cannot build bench/soak_load.c"
cp "$PPGD" "$tmp/bin/ppgd"

read -r port_http port_admin port_sip port_uas1 port_uas2 port_reg port_smsc port_udp port_notify \
	< <(free_ports_tcp_udp 9)

# ---------------------------------------------------------------- peers
python3 "$root/bench/soak_sinks.py" "$tmp" "$port_udp" "$port_notify" >"$tmp/sinks.out" 2>&1 &
sinks_pid=$!
wait_listen tcp "$port_notify" "$sinks_pid" || { cat "$tmp/sinks.out" >&2; die "soak_sinks.py did not start"; }

perl "$root/tests/smsc/smsc.pl" --port "$port_smsc" --system-id soak --password soak-pw \
	--receipts --receipt-delay 0.5 --log "$tmp/smsc.log" --pidfile "$tmp/smsc.pid" >"$tmp/smsc.out" 2>&1 &
smsc_pid=$!
wait_listen tcp "$port_smsc" "$smsc_pid" || { cat "$tmp/smsc.out" >&2; die "smsc.pl did not start"; }

for i in 1 2; do
	port=port_uas$i
	sipp -sf "$root/bench/sipp_uas_soak.xml" -i 127.0.0.1 -p "${!port}" -m 1000000000 -nostdin \
		-buff_size 4194304 -trace_logs -log_file "$tmp/uas$i.log" >"$tmp/uas$i.out" 2>&1 &
	uas_pids+=($!)
	wait_listen udp "${!port}" "$!" || { head -c 3000 "$tmp/uas$i.out" >&2; die "sipp UAS $i did not start"; }
done

# ---------------------------------------------------------------- ppgd
ppgd_secret
conf=$tmp/ppgd.conf
db=$tmp/ppgd.db
write_ppgd_conf "$conf" "$port_http" "$db" full warning <<EOF
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
udp = yes
udp_port = $port_udp
sms = yes
smsc = 127.0.0.1:$port_smsc
system_id = soak
password = soak-pw
receipts = yes
EOF

ppgd_runs=0
# start_ppgd: a new ppgd on the same database, logging to ppgd-N.log; waits
# until /readyz answers 200 (database writable, PAP up, SIP up, SMSC bound)
# and sets ready_ms (from the call to ready).
start_ppgd() {
	local t0 code
	ppgd_runs=$((ppgd_runs + 1))
	t0=$(now)
	"$tmp/bin/ppgd" -c "$conf" >"$tmp/ppgd-$ppgd_runs.log" 2>&1 &
	ppgd_pid=$!
	ppgd_start=$(date +%s)
	for _ in $(seq 1 600); do
		code=$(curl -s -o /dev/null -w '%{http_code}' --noproxy '*' -m 1 "http://127.0.0.1:$port_admin/readyz" || true)
		[ "$code" = 200 ] && break
		kill -0 "$ppgd_pid" 2>/dev/null || { cat "$tmp/ppgd-$ppgd_runs.log" >&2; die "ppgd exited at start (log above)"; }
		sleep 0.05
	done
	[ "$code" = 200 ] || { tail -n 30 "$tmp/ppgd-$ppgd_runs.log" >&2; die "ppgd not ready after 30 s"; }
	ready_ms=$(ms_since "$t0")
}
start_ppgd
echo "soak: ppgd $(ppgd_version) ready in ${ready_ms} ms at http://127.0.0.1:$port_http/pap" \
	"(database on $(tmp_fstype) in $tmp); $MINUTES min at $RATE pushes/s, kill every" \
	"${KILL_EVERY} min, seed $SEED" >&2

# Third-party REGISTERs: soakJ -> UAS 1 (J even) or 2 (J odd), for the run and an hour more.
{
	echo SEQUENTIAL
	for ((j = 0; j < AORS; j++)); do
		echo "soak$j;$([ $((j % 2)) = 0 ] && echo "$port_uas1" || echo "$port_uas2")"
	done
} >"$tmp/users.csv"
if ! timeout 60 sipp -sf "$root/bench/sipp_register_soak.xml" -inf "$tmp/users.csv" -i 127.0.0.1 \
	-p "$port_reg" -m "$AORS" -key expires $((MINUTES * 60 + 3600)) -nostdin -timeout 50s -timeout_error \
	-trace_err -error_file "$tmp/register.err" "127.0.0.1:$port_sip" >"$tmp/register.out" 2>&1; then
	head -n 40 "$tmp/register.err" >&2 || true
	die "the third-party REGISTERs were not all answered 200"
fi

# ---------------------------------------------------------------- measures
db_q() { sqlite3 -cmd '.timeout 10000' "$db" "$1" 2>/dev/null || echo "?"; }
BEARER_SQL="case when address like '%TYPE=IPv4%' then 'udp' when address like '%TYPE=PLMN%' then 'sms'
	when address like '%nobody%' then 'exp' else 'sip' end"
fsize() { stat -c %s "$1" 2>/dev/null || echo 0; }
kv() { sed -n "s/.*\\b$2=\\([0-9]*\\).*/\\1/p" "$1" 2>/dev/null | head -n 1; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$ppgd_pid/status" 2>/dev/null || echo 0; }
nfds() { ls "/proc/$ppgd_pid/fd" 2>/dev/null | wc -l; }
sip_received() { cat "$tmp"/uas*.log 2>/dev/null | grep -c 'soak-' || true; }

kills=0
cpu_dead=0   # CPU ms of the killed ppgd processes
cpu_prev=0
cpu_t_prev=$(now)
printf '%s\n' "minute acked sip_del sip_fin udp_del udp_fin sms_del sms_fin exp_fin cancelled sq kills rss_kb db_bytes wal_bytes fds notif sip_rx udp_rx sms_submits ppgd_uptime_s cpu_ms cpu_pct" \
	>"$tmp/minutes.tsv"
header() {
	printf '%4s %8s | %15s %15s %15s %6s | %6s %6s | %5s %7s %8s %7s %4s %6s %5s\n' min acked \
		"sip del/final" "udp del/final" "sms del/final" expir cancel sq kills "RSS MB" "DB MB" "WAL MB" fds notif "CPU%"
}
minute_line() {
	local m=$1 acked sq stats sd sf ud uf md mf ef canc rss dbb walb fd nt cpu pct
	acked=$(kv "$tmp/load.status" acked)
	sq=$(kv "$tmp/load.status" sq)
	stats=$(db_q "select
		sum(b='sip' and state=2), sum(b='sip' and state between 2 and 8),
		sum(b='udp' and state=2), sum(b='udp' and state between 2 and 8),
		sum(b='sms' and state=2), sum(b='sms' and state between 2 and 8),
		sum(b='exp' and state between 2 and 8), sum(state=7)
		from (select $BEARER_SQL b, state from delivery)")
	IFS='|' read -r sd sf ud uf md mf ef canc <<<"$stats"
	rss=$(rss_kb)
	dbb=$(fsize "$db")
	walb=$(fsize "$db-wal")
	fd=$(nfds)
	nt=$(kv "$tmp/sinks.count" notify)
	cpu=$((cpu_dead + $(proc_cpu_ms "$ppgd_pid")))
	pct=$(awk -v c=$((cpu - cpu_prev)) -v a="$cpu_t_prev" -v b="$(now)" 'BEGIN { printf "%.0f", c / 10 / (b - a) }')
	printf '%4s %8s | %7s/%-7s %7s/%-7s %7s/%-7s %6s | %6s %6s | %5s %7.1f %8.1f %7.1f %4s %6s %5s\n' "$m" "${acked:-0}" \
		"${sd:-0}" "${sf:-0}" "${ud:-0}" "${uf:-0}" "${md:-0}" "${mf:-0}" "${ef:-0}" "${canc:-0}" "${sq:-0}" "$kills" \
		"$(awk -v v="$rss" 'BEGIN { print v / 1024 }')" "$(awk -v v="$dbb" 'BEGIN { print v / 1048576 }')" \
		"$(awk -v v="$walb" 'BEGIN { print v / 1048576 }')" "$fd" "${nt:-0}" "$pct"
	echo "$m ${acked:-0} ${sd:-0} ${sf:-0} ${ud:-0} ${uf:-0} ${md:-0} ${mf:-0} ${ef:-0} ${canc:-0} ${sq:-0} $kills" \
		"$rss $dbb $walb $fd ${nt:-0} $(sip_received) $(kv "$tmp/sinks.count" udp)" \
		"$(grep -c '^submit_sm' "$tmp/smsc.log" 2>/dev/null || echo 0) $(($(date +%s) - ppgd_start)) $cpu $pct" >>"$tmp/minutes.tsv"
	cpu_prev=$cpu
	cpu_t_prev=$(now)
}

# ---------------------------------------------------------------- load
"$tmp/bin/soak_load" -r "$RATE" -d $((MINUTES * 60)) -n "$SEED" -s "$SEED" -A "$AORS" \
	-N "http://127.0.0.1:$port_notify/notify" -L "$tmp/load.log" -S "$tmp/load.status" \
	-u "$PI_USER:$PI_SECRET" "http://127.0.0.1:$port_http/pap" >"$tmp/load.out" 2>"$tmp/load.err" &
load_pid=$!
t_load=$(date +%s)

# The kill moments: one in each full window of KILL_EVERY minutes, at 10..90% of it.
kill_at=()
if [ "$KILL_EVERY" -gt 0 ]; then
	for ((w = 0; (w + 1) * KILL_EVERY <= MINUTES; w++)); do
		kill_at+=($((t_load + w * KILL_EVERY * 60 + KILL_EVERY * 6 + RANDOM % (KILL_EVERY * 48 + 1))))
	done
fi
echo "kill rss_kb_before uptime_s_before t_kill pending_after inflight_after notif_pending_after load_inflight ready_ms" \
	>"$tmp/kills.tsv"

# do_kill: SIGKILL, what the database holds unfinished right after, restart, ready time.
do_kill() {
	local rss up t_kill pend infl npend linf
	rss=$(rss_kb)
	up=$(($(date +%s) - ppgd_start))
	linf=$(kv "$tmp/load.status" inflight)
	t_kill=$(now)
	cpu_dead=$((cpu_dead + $(proc_cpu_ms "$ppgd_pid")))
	kill -KILL "$ppgd_pid"
	wait "$ppgd_pid" 2>/dev/null || true
	ppgd_pid=
	kills=$((kills + 1))
	pend=$(db_q "select count(*) from delivery where state = 1")
	infl=$(db_q "select count(*) from delivery where state = 9")
	npend=$(db_q "select count(*) from notification where state = 1")
	start_ppgd
	echo "$kills $rss $up $t_kill $pend $infl $npend ${linf:-0} $ready_ms" >>"$tmp/kills.tsv"
	echo "soak: kill $kills at +$(($(date +%s) - t_load)) s (ppgd up ${up} s, RSS $((rss / 1024)) MB):" \
		"$pend pending and $infl in-flight deliveries in the database; restarted, ready in ${ready_ms} ms" >&2
}

header
minute=0
next_kill=0
while kill -0 "$load_pid" 2>/dev/null && [ "$minute" -lt "$MINUTES" ]; do
	sleep 1
	t=$(date +%s)
	if [ "$next_kill" -lt "${#kill_at[@]}" ] && [ "$t" -ge "${kill_at[$next_kill]}" ]; then
		do_kill
		next_kill=$((next_kill + 1))
	fi
	if [ $((t - t_load)) -ge $(((minute + 1) * 60)) ]; then
		minute=$((minute + 1))
		minute_line "$minute"
	fi
done
wait "$load_pid" || true
load_pid=
echo "soak: load over: $(cat "$tmp/load.out")" >&2
[ -s "$tmp/load.err" ] && head -n 20 "$tmp/load.err" >&2

# ---------------------------------------------------------------- drain
t_drain=$(now)
while :; do
	left=$(db_q "select (select count(*) from delivery where state in (1, 9)) +
		(select count(*) from notification where state = 1)")
	[ "$left" = 0 ] && break
	if [ "$(ms_since "$t_drain")" -ge $((DRAIN * 1000)) ]; then
		echo "soak: $left deliveries and notifications still pending after the ${DRAIN} s drain" >&2
		break
	fi
	sleep 1
done
drain_ms=$(ms_since "$t_drain")
sleep 2   # the last notifications' answers, the sinks' logs
minute_line "end"
echo "soak: drained in $drain_ms ms" >&2

# ---------------------------------------------------------------- checks
# The statusquery pass: every push the PI sent (or a sample), while ppgd runs.
awk '$1 == "P" { print $2 }' "$tmp/load.log" >"$tmp/ids.all"
if [ "$SQ_ALL" = 1 ]; then
	cp "$tmp/ids.all" "$tmp/ids.sq"
else
	shuf -n 2000 --random-source=<(yes "$SEED") "$tmp/ids.all" >"$tmp/ids.sq"
fi
t_sq=$(now)
"$tmp/bin/soak_load" -V "$tmp/ids.sq" -c 8 -u "$PI_USER:$PI_SECRET" "http://127.0.0.1:$port_http/pap" \
	>"$tmp/verify.out" 2>"$tmp/verify.err" || true
sq_ms=$(ms_since "$t_sq")
echo "soak: final statusquery pass: $(wc -l <"$tmp/verify.out") pushes in $sq_ms ms" >&2
final_rss=$(rss_kb)
stop_pid "$ppgd_pid"
ppgd_pid=
grep -h -i -E 'assert|sanitizer|segfault|abort|fatal' "$tmp"/ppgd-*.log | head -n 20 >"$tmp/ppgd-alarms.txt" || true

rc=0
python3 "$root/bench/soak_check.py" "$tmp" "$db" "$MINUTES" "$RATE" "$KILL_EVERY" "$SEED" "$drain_ms" \
	"$(ppgd_version)" "$(tmp_fstype)" || rc=$?
if [ -s "$tmp/ppgd-alarms.txt" ]; then
	echo "soak: ppgd's logs name a crash or an assertion:" >&2
	cat "$tmp/ppgd-alarms.txt" >&2
	rc=1
fi
exit "$rc"
