#!/bin/bash
# ab_cost.sh: two ppgd builds alternately under the same load, ppgd alone
# (no Kannel), to compare what one push costs: CPU per accepted push (/proc)
# and, from perf stat, system calls and context switches per push, in total
# and per thread. Each run: a fresh database, [ota] udp delivery to a UDP
# sink (bench/kannel-ppg/udp_sink.py) on a free port, synchronous = full,
# wrk with pap_push.lua at the given concurrency.
#
#   bench/ab_cost.sh BEFORE-BINARY AFTER-BINARY [ROUNDS] [CONCS] [SECONDS]
#   bench/ab_cost.sh /tmp/ppgd-old build/ppgd 4 "1 8" 5
#
# AB_EVENTS=E1,E2: more perf events counted per push, e.g. uprobes made with
# perf probe (probe_libsqlite3:sqlite3_step, probe_libc:malloc).
# AB_PIN=1: a read transaction (python3's sqlite3) is held on the database
# through each run's window, as a long reader or a backup would: the WAL
# cannot start over, checkpoints cannot copy what it holds.
# One line per run on stdout; then the mean of each figure per build and
# concurrency. Needs wrk, sqlite3, python3, perf (linux-perf). Processes are
# stopped by PID; the temporary directories are removed.
set -euo pipefail
bench=ab_cost
root=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 2 ] || { sed -n '2,15p' "$0" >&2; exit 2; }
A=$1 B=$2 ROUNDS=${3:-4} CONCS=${4:-1 8} SECS=${5:-5}
for x in "$A" "$B"; do [ -x "$x" ] || { echo "$bench: no binary $x" >&2; exit 1; }; done
for c in wrk sqlite3 python3 perf; do command -v $c >/dev/null || { echo "$bench: $c is missing" >&2; exit 1; }; done

one() { # binary conc: prints the figures of one run
	local bin=$1 conc=$2 d ph pu hash pp sp c0 c1 n threads
	d=$(mktemp -d "${TMPDIR:-/tmp}/$bench.XXXXXX")
	hash=$("$bin" --hash-secret <<<bench-secret)
	read -r ph pu < <(python3 -c '
import socket
t = socket.socket(); t.bind(("127.0.0.1", 0))
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
print(t.getsockname()[1], u.getsockname()[1])')
	printf '[server]\nlisten = 127.0.0.1:%s\npap_path = /pap\nthreads = 2\n[database]\npath = %s/ppgd.db\nsynchronous = full\n[log]\nlevel = warning\n[ota]\nudp = yes\nudp_port = %s\n[pi bench]\nsecret_hash = %s\n' \
		"$ph" "$d" "$pu" "$hash" >"$d/ppgd.conf"
	python3 "$root/bench/kannel-ppg/udp_sink.py" "$d/count" "$pu" & sp=$!
	"$bin" -c "$d/ppgd.conf" >"$d/ppgd.log" 2>&1 & pp=$!
	sleep 1
	local rp=
	if [ "${AB_PIN:-0}" = 1 ]; then
		python3 -c '
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN"); c.execute("select count(*) from push").fetchone()
time.sleep(float(sys.argv[2]))' "$d/ppgd.db" $((SECS + 1)) & rp=$!
		sleep 0.2
	fi
	threads=$((conc == 1 ? 1 : 2))
	c0=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$pp/stat")
	perf stat --per-thread -e context-switches,raw_syscalls:sys_enter${AB_EVENTS:+,$AB_EVENTS} -p "$pp" -o "$d/stat.txt" -- sleep "$SECS" >/dev/null 2>&1 &
	wrk -t$threads -c"$conc" -d"${SECS}s" -s "$root/bench/pap_push.lua" "http://127.0.0.1:$ph/pap" \
		-- "ab$$-$RANDOM" "Basic $(printf bench:bench-secret | base64 -w0)" >"$d/wrk.out" 2>&1 || true
	sleep 1.5
	c1=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$pp/stat")
	[ -z "$rp" ] || { kill "$rp" 2>/dev/null || true; wait "$rp" 2>/dev/null || true; }
	n=$(sqlite3 -cmd '.timeout 5000' "$d/ppgd.db" 'select count(*) from push')
	printf 'rate=%s cpu_us=%d ' "$(sed -n 's/.* accepted_per_s=\([0-9.]*\).*/\1/p' "$d/wrk.out")" $(((c1 - c0) * 1000000 / $(getconf CLK_TCK) / n))
	awk -v n="$n" '$2 ~ /^[0-9]+$/ { t[$3] += $2; sub(/-[0-9]+$/, "", $1); th[$1] += ($3 == "context-switches") ? $2 : 0 }
		END { printf "switches=%.2f syscalls=%.2f", t["context-switches"] / n, t["raw_syscalls:sys_enter"] / n
			for (k in t) if (k != "context-switches" && k != "raw_syscalls:sys_enter") { e = k; sub(/^.*:/, "", e); printf " %s=%.2f", e, t[k] / n }
			for (k in th) if (th[k] / n >= 0.05) printf " %s:%.2f", k, th[k] / n; printf "\n" }' "$d/stat.txt"
	kill "$pp" "$sp" 2>/dev/null || true
	wait "$pp" "$sp" 2>/dev/null || true
	rm -rf "$d"
}

out=$(mktemp)
trap 'rm -f "$out"' EXIT
for r in $(seq 1 "$ROUNDS"); do
	for conc in $CONCS; do
		for which in before after; do
			bin=$A; [ $which = after ] && bin=$B
			line="round=$r c=$conc $which $(one "$bin" "$conc")"
			echo "$line" | tee -a "$out"
		done
	done
done
echo
echo "means (CPU per accepted push in us; system calls and context switches per push):"
awk '{ k = $3 " c" substr($2, 3); n[k]++
	for (i = 4; i <= NF; i++) { split($i, kv, "="); if (kv[2] != "") s[k, kv[1]] += kv[2] } }
	END { for (k in n) { printf "%-10s rate %7.1f  cpu_us %5.0f  syscalls %6.2f  switches %5.2f", k,
		s[k, "rate"] / n[k], s[k, "cpu_us"] / n[k], s[k, "syscalls"] / n[k], s[k, "switches"] / n[k]
		m = split(ENVIRON["AB_EVENTS"], ev, ","); for (j = 1; j <= m; j++) { e = ev[j]; sub(/^.*:/, "", e)
			printf "  %s %7.2f", e, s[k, e] / n[k] }
		printf "\n" } }' "$out" | sort -k2
