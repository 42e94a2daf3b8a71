#!/bin/bash
# bench_tls.sh: what TLS costs the PAP listener. The same ppgd build, the
# same client (bench/pap_load.c, libcurl multi, closed loop at concurrency
# BENCH_CONC) and the same push, in four modes, alternately for BENCH_ROUNDS
# rounds, a fresh database each run:
#   plain      HTTP, kept-alive connections
#   tls        HTTPS (TLS 1.3, ECDSA P-256 certificate), kept alive: one
#              handshake per connection
#   tls-cert   HTTPS with a client certificate the PI names (tls_subject):
#              the certificate is verified and matched on every request
#   tls-new    HTTPS, a new connection (a full handshake) for every request
# It prints accepted pushes per second and ppgd's CPU time (user + system,
# from /proc) per accepted push.
#
# Environment:
#   PPGD           ppgd binary (default: build/ppgd; run scripts/build.sh first)
#   BENCH_SECONDS  duration of each run (default 5)
#   BENCH_CONC     concurrency (default 8)
#   BENCH_ROUNDS   rounds of the four modes (default 2)
#   BENCH_KEEP     1: keep the temporary directory
# Needs openssl, curl's development files (libcurl4-openssl-dev), cc.
set -euo pipefail

bench=bench_tls
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/lib.sh"
SECS=${BENCH_SECONDS:-5}
CONC=${BENCH_CONC:-8}
ROUNDS=${BENCH_ROUNDS:-2}

need_ppgd
need_cmds "apt-get install openssl pkg-config" openssl cc pkg-config
warn_sanitized
bench_stop() { [ -n "$ppgd_pid" ] && stop_pid "$ppgd_pid"; ppgd_pid=; }
bench_init

cc -O2 -Wall -o "$tmp/pap_load" "$root/bench/pap_load.c" $(pkg-config --cflags --libs libcurl) ||
	die "cannot build bench/pap_load.c"
(
	cd "$tmp"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem \
		-days 2 -subj "/CN=bench CA" 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key -out server.csr \
		-subj "/CN=127.0.0.1" 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1\n' >server.ext
	openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 \
		-extfile server.ext 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout pi.key -out pi.csr \
		-subj "/O=bench/CN=pi" 2>/dev/null
	openssl x509 -req -in pi.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out pi.pem -days 2 2>/dev/null
) || die "openssl failed"
ppgd_secret

declare -A rate_sum cpu_sum
modes="plain tls tls-cert tls-new"
for round in $(seq 1 "$ROUNDS"); do
	for mode in $modes; do
		port=$(free_ports 1)
		rm -f "$tmp/ppgd.db"*
		tls=""
		scheme=http
		extra=()
		if [ "$mode" != plain ]; then
			scheme=https
			tls="[server]
tls_certificate = $tmp/server.pem
tls_key = $tmp/server.key
tls_client_ca = $tmp/ca.pem"
			extra=(-K "$tmp/ca.pem")
		fi
		[ "$mode" = tls-cert ] && extra+=(-E "$tmp/pi.pem,$tmp/pi.key")
		[ "$mode" = tls-new ] && extra+=(-N)
		printf '%s\n' "$tls" | write_ppgd_conf "$tmp/ppgd.conf" "$port" "$tmp/ppgd.db" full warning
		[ "$mode" = tls-cert ] && printf 'tls_subject = CN=pi,O=bench\n' >>"$tmp/ppgd.conf"
		launch_ppgd "$tmp/ppgd.conf" "$tmp/ppgd.log" "$port"
		cpu0=$(proc_cpu_ms "$ppgd_pid")
		line=$("$tmp/pap_load" -c "$CONC" -d "$SECS" -u "$PI_USER:$PI_SECRET" -a "WAPPUSH=+15550001/TYPE=PLMN@ppg" \
			"${extra[@]}" "$scheme://127.0.0.1:$port/pap" | grep '^RESULT') || true
		cpu1=$(proc_cpu_ms "$ppgd_pid")
		bench_stop
		acc=$(sed -n 's/.* accepted=\([0-9]*\).*/\1/p' <<<"$line")
		rate=$(sed -n 's/.* rate=\([0-9.]*\).*/\1/p' <<<"$line")
		[ -n "$acc" ] && [ "$acc" -gt 0 ] || die "$mode: nothing accepted: $line (log: $tmp/ppgd.log)"
		cpu=$(awk -v c="$((cpu1 - cpu0))" -v n="$acc" 'BEGIN { printf "%.0f", c * 1000 / n }')
		echo "round $round $mode: $rate accepted/s, ppgd CPU $cpu us per push ($line)"
		rate_sum[$mode]=$(awk -v a="${rate_sum[$mode]:-0}" -v b="$rate" 'BEGIN { print a + b }')
		cpu_sum[$mode]=$(awk -v a="${cpu_sum[$mode]:-0}" -v b="$cpu" 'BEGIN { print a + b }')
	done
done
echo "mean of $ROUNDS rounds, concurrency $CONC, $SECS s each, synchronous = full:"
for mode in $modes; do
	awk -v m="$mode" -v r="${rate_sum[$mode]}" -v c="${cpu_sum[$mode]}" -v n="$ROUNDS" \
		'BEGIN { printf "  %-9s %7.0f accepted/s  %5.0f us ppgd CPU per push\n", m, r / n, c / n }'
done
