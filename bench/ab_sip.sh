#!/bin/bash
# ab_sip.sh BEFORE AFTER [ROUNDS] - bench_sip.sh on two ppgd binaries, one
# after the other, ROUNDS times (default 2), and one line per run with what
# a change of the SIP path moves: delivered/s and the ratio to the raw
# sofia-sip sender at c8 and c32, ppgd's CPU per delivered push, the loop
# thread's share of it. The raw sender runs in each round, so each ratio
# has its own reference. bench_sip.sh's environment applies (BENCH_SECONDS,
# BENCH_FLOOD_N, BENCH_RATE, BENCH_STAT...); its whole output of each run
# goes to $AB_OUT/RUN.out and .err (default a mktemp -d directory, kept).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 2 ] || { echo "usage: $0 BEFORE AFTER [ROUNDS]" >&2; exit 2; }
before=$1 after=$2 rounds=${3:-2}
for b in "$before" "$after"; do
	[ -x "$b" ] || { echo "ab_sip: $b is no executable" >&2; exit 2; }
done
# Copies: a rebuild during the runs does not change what is measured.
out=${AB_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/ab_sip.XXXXXX")}
cp "$before" "$out/ppgd-before"
cp "$after" "$out/ppgd-after"

printf '%-6s %-5s %8s %7s %5s %7s %5s %7s %7s %8s %8s\n' build round raw/s c8/s c8r c32/s c32r \
	cpu_c8 cpu_c32 loop_c8 loop_c32
for r in $(seq 1 "$rounds"); do
	for w in before after; do
		PPGD="$out/ppgd-$w" "$top/bench/bench_sip.sh" >"$out/$w-$r.out" 2>"$out/$w-$r.err" || {
			echo "ab_sip: bench_sip.sh failed on $w, round $r (see $out/$w-$r.err)" >&2
			exit 1
		}
		awk -v w="$w" -v r="$r" '
			FNR == 1 { f++ }
			f == 1 && /^raw sofia-sip/ { raw = $(NF - 2) }
			f == 1 && /closed loop c8\)/ { c8 = $(NF - 2); c8r = $(NF - 1) }
			f == 1 && /closed loop c32\)/ { c32 = $(NF - 2); c32r = $(NF - 1) }
			f == 1 && /^CPU per MESSAGE/ {
				for (i = 1; i <= NF; i++) {
					if ($i == "c8") cpu8 = $(i + 1)
					if ($i == "c32") cpu32 = $(i + 1)
				}
			}
			f == 2 && /CPU per delivered push by thread/ {
				for (i = 1; i <= NF; i++)
					if ($i == "ppg-loop") { if ($2 == "c8") l8 = $(i + 1); else l32 = $(i + 1) }
			}
			END { printf "%-6s %-5s %8s %7s %5s %7s %5s %7s %7s %8s %8s\n", w, r, raw, c8, c8r, c32, c32r,
				cpu8, cpu32, l8, l32 }' "$out/$w-$r.out" "$out/$w-$r.err"
	done
done
echo "(CPU in us per delivered push; runs kept in $out)"
