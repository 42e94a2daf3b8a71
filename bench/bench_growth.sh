#!/usr/bin/env bash
# bench_growth.sh - how the cost of a push grows with its work (issue 11,
# goal 6): addresses per push (1, 10, 100) and content size (1, 10, 100 KiB).
# For each row ppgd starts on a fresh database (synchronous = full) with Push
# OTA over UDP to a sink listening on 127.0.0.1 .. 127.0.0.ADDRS, and wrk
# (pap_push_grow.lua, concurrency 8) posts pushes for BENCH_SECONDS; then the
# run waits until the sink's count stops moving. Printed per row:
#   accepted/s, addresses delivered per second (datagrams at the sink), ppgd's
#   CPU time (user + system, /proc) per push and per delivered address, the
#   database bytes per push, the p99 of the PAP answer (wrk).
#
#   bench/bench_growth.sh          # 5 rows, about 1.5 minutes
#   BENCH_ROWS="1:1 100:1" bench/bench_growth.sh   # ADDRS:KIB pairs
set -euo pipefail
bench=bench_growth
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"

ROWS=${BENCH_ROWS:-"1:1 10:1 100:1 1:10 1:100"}
SECS=${BENCH_SECONDS:-5}

need_ppgd
warn_sanitized
need_cmds "apt-get install wrk python3 sqlite3 iproute2" wrk python3 sqlite3 ss awk

bench_stop() {
	[ -n "${ppgd_pid:-}" ] && stop_pid "$ppgd_pid"
	[ -n "${sink_pid:-}" ] && stop_pid "$sink_pid"
}
bench_init

read -r port_http port_udp < <(free_ports_tcp_udp 2)
ppgd_secret
url="http://127.0.0.1:$port_http/pap"
nonce=$(date +%s)-$$

# The sink: one socket per loopback address 127.0.0.1 .. 127.0.0.N on the
# UDP port, the count of datagrams in a file every 0.2 s.
cat >"$tmp/sink.py" <<'EOF'
import select, socket, sys, time
out, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
socks = []
for i in range(1, n + 1):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind(("127.0.0.%d" % i, port))
    socks.append(s)
count, last = 0, 0.0
while True:
    r, _, _ = select.select(socks, [], [], 0.1)
    for s in r:
        while True:
            try:
                s.recvfrom(65535, socket.MSG_DONTWAIT)
                count += 1
            except BlockingIOError:
                break
    if time.time() - last > 0.2:
        with open(out + ".tmp", "w") as f:
            f.write("%d\n" % count)
        import os
        os.replace(out + ".tmp", out)
        last = time.time()
EOF
sink_count() { cat "$tmp/sink.count" 2>/dev/null || echo 0; }

# settle: waits until the sink's count is unchanged for 2 s (at most 120 s);
# sets delivered and settled_at (when that count was first seen).
settle() {
	local prev cur same=0
	prev=$(sink_count)
	settled_at=$(now)
	for _ in $(seq 1 600); do
		sleep 0.2
		cur=$(sink_count)
		if [ "$cur" = "$prev" ]; then
			same=$((same + 1))
			[ "$same" -ge 10 ] && break
		else
			same=0
			prev=$cur
			settled_at=$(now)
		fi
	done
	delivered=$prev
}

echo "$bench: ppgd $(ppgd_version), database on $(tmp_fstype), ${SECS}s per row, wrk -t2 -c8" >&2
rows=()
for row in $ROWS; do
	addrs=${row%%:*}
	kib=${row##*:}
	db=$tmp/grow-$addrs-$kib.db
	rm -f "$tmp/sink.count"
	python3 "$tmp/sink.py" "$tmp/sink.count" "$port_udp" "$addrs" &
	sink_pid=$!
	for _ in $(seq 1 50); do [ -s "$tmp/sink.count" ] && break; sleep 0.1; done
	[ -s "$tmp/sink.count" ] || die "the UDP sink did not start"
	write_ppgd_conf "$tmp/ppgd.conf" "$port_http" "$db" full warning <<EOF
[server]
max_body = 1M

[ota]
udp = yes
udp_port = $port_udp
EOF
	launch_ppgd "$tmp/ppgd.conf" "$tmp/ppgd-$addrs-$kib.log" "$port_http"
	cpu0=$(proc_cpu_ms "$ppgd_pid")
	t0=$(now)
	out=$tmp/wrk-$addrs-$kib.out
	timeout $((SECS + 30)) wrk -t2 -c8 -d"$SECS"s --latency -s "$root/bench/pap_push_grow.lua" "$url" \
		-- "$nonce-$addrs-$kib" "$auth" "$addrs" "$kib" >"$out" 2>&1 || true
	line=$(grep '^RESULT ' "$out" || true)
	[ -n "$line" ] || { cat "$out" >&2; die "wrk gave no result for $addrs addresses, $kib KiB"; }
	accepted=$(sed 's/.* accepted=\([0-9]*\).*/\1/' <<<"$line")
	other=$(sed 's/.* other=\([0-9]*\).*/\1/' <<<"$line")
	[ "$other" = 0 ] || sed -n '/^--- first non-1001/,+12p' "$out" >&2
	acc_s=$(sed 's/.* accepted_per_s=\([0-9.]*\).*/\1/' <<<"$line")
	p99=$(awk '/^ +99%/ { print $2 }' "$out")
	settle
	cpu1=$(proc_cpu_ms "$ppgd_pid")
	stop_ppgd_now() { stop_pid "$ppgd_pid"; ppgd_pid=; }
	stop_ppgd_now
	stop_pid "$sink_pid"
	sink_pid=
	bytes=$(du -cb "$db"* | tail -n 1 | cut -f1)
	stored=$(sqlite3 "$db" 'select count(*) from push')
	final=$(sqlite3 "$db" 'select count(*) from delivery where state = 2')
	secs_all=$(awk -v a="$t0" -v b="$settled_at" 'BEGIN { printf "%.2f", b - a }')
	rows+=("$(awk -v addrs="$addrs" -v kib="$kib" -v acc="$accepted" -v accs="$acc_s" -v del="$delivered" \
		-v secs="$secs_all" -v cpu="$((cpu1 - cpu0))" -v bytes="$bytes" -v stored="$stored" -v p99="$p99" 'BEGIN {
		rate = 0; if (secs + 0 > 0) rate = del / secs
		per_push = 0; if (acc + 0 > 0) per_push = cpu * 1000 / acc
		per_addr = 0; if (del + 0 > 0) per_addr = cpu * 1000 / del
		per_row = 0; if (stored + 0 > 0) per_row = bytes / stored
		printf "| %d | %d | %.0f | %.0f | %d of %d | %.0f | %.1f | %.0f | %s |", addrs, kib, accs,
			rate, del, acc * addrs, per_push, per_addr, per_row, p99 }')")
	echo "$bench: $addrs address(es), $kib KiB: $line; sink $delivered datagrams, $final deliveries" \
		"delivered in the database, ppgd CPU $((cpu1 - cpu0)) ms" >&2
done

echo
echo "| addresses per push | content KiB | accepted/s | addresses delivered/s | datagrams at the sink | ppgd CPU µs per push | ppgd CPU µs per delivered address | database bytes per push | PAP answer p99 |"
echo "|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
