# bench/lib.sh: shell code the benchmarks share. Sourced (not run) by
# bench_accept.sh, bench_ota.sh and bench_sip.sh after `set -euo pipefail`;
# each keeps what is its own (its load, its counting, its report).
#
# Before sourcing, the script sets:
#   bench   its name, the prefix of every message ("bench_accept")
#   root    the repository root
# and may define bench_stop(): stops what it started, in its order (called
# on exit before the temporary directory goes).
#
# Environment read here: PPGD, KANNEL_PPG, BENCH_KEEP.

PPGD=${PPGD:-$root/build/ppgd}
PI_USER=bench
PI_SECRET=bench-secret

die() { echo "$bench: $*" >&2; exit 1; }

# need_ppgd: $PPGD is an executable.
need_ppgd() {
	[ -x "$PPGD" ] || die "no ppgd binary at $PPGD: run scripts/build.sh first (or set PPGD=path/to/ppgd)"
}

# warn_sanitized: a sanitizer build measures the sanitizers.
warn_sanitized() {
	if ldd "$PPGD" 2>/dev/null | grep -q -E 'lib(a|ub)san'; then
		echo "$bench: warning: $PPGD is built with sanitizers; its figures are not representative" >&2
	fi
}

# need_cmds HINT COMMAND...: each command is on PATH, or stop with HINT.
need_cmds() {
	local hint=$1 c
	shift
	for c in "$@"; do
		command -v "$c" >/dev/null || die "$c is missing ($hint)"
	done
}

# need_kannel: KANNEL_PPG (default bench/kannel-ppg/kannel-ppg.sh) is there.
need_kannel() {
	KANNEL_PPG=${KANNEL_PPG:-$root/bench/kannel-ppg/kannel-ppg.sh}
	[ -x "$KANNEL_PPG" ] || die "Kannel reference script not found at $KANNEL_PPG (set KANNEL_PPG)"
}

# udp_2948_busy: something listens on UDP port 2948 (Kannel's sink port).
udp_2948_busy() { ss -lnu | awk '{print $4}' | grep -q ':2948$'; }

# ---------------------------------------------------------------- lifetime
# bench_init: creates $tmp ($bench.XXXXXX in $TMPDIR, default /tmp) and the traps: on
# exit, bench_stop (if the script has one), then $tmp is removed, or kept
# with BENCH_KEEP=1.
bench_init() {
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/$bench.XXXXXX")
	ppgd_pid=
	kannel_started=
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
	trap 'echo "$bench: failed at line $LINENO: $BASH_COMMAND" >&2' ERR
}

bench_cleanup() {
	set +e
	if declare -F bench_stop >/dev/null; then
		bench_stop
	fi
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "$bench: kept $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}

stop_pid() { # pid: TERM, wait up to 10 s, then KILL
	local pid=$1
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "$bench: pid $pid ignored SIGTERM for 10 s, killing it" >&2
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
}

# ---------------------------------------------------------------- time
now() { date +%s.%N; }   # seconds, with nanoseconds
ms_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.0f", (b - a) * 1000 }'; }   # ms since $(now)

# ---------------------------------------------------------------- ports
# free_ports N: N free TCP ports of 127.0.0.1, on one line.
free_ports() {
	python3 -c '
import socket, sys
ss = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])' "$1"
}

# free_ports_tcp_udp N: N ports of 127.0.0.1, each free for TCP and for UDP.
free_ports_tcp_udp() {
	python3 -c '
import socket, sys
got, keep = [], []
while len(got) < int(sys.argv[1]):
    t = socket.socket(); t.bind(("127.0.0.1", 0)); p = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", p))
    except OSError:
        t.close(); continue
    keep += [t, u]; got.append(p)
print(*got)' "$1"
}

wait_listen() { # tcp|udp port pid: wait up to 10 s for a listener on port while pid lives
	local flag=-lnt
	[ "$1" = udp ] && flag=-lnu
	for _ in $(seq 1 100); do
		ss $flag | awk '{print $4}' | grep -q ":$2\$" && return 0
		kill -0 "$3" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# ---------------------------------------------------------------- ppgd
# ppgd_secret: sets hash (the PI's secret_hash) and auth (its Basic header).
ppgd_secret() {
	hash=$("$PPGD" --hash-secret <<<"$PI_SECRET") || die "$PPGD --hash-secret failed"
	auth="Basic $(printf '%s:%s' "$PI_USER" "$PI_SECRET" | base64 -w0)"
}

# write_ppgd_conf FILE HTTP-PORT DATABASE SYNCHRONOUS LOG-LEVEL: a config with
# [server] on 127.0.0.1:HTTP-PORT (/pap, 2 threads), [database], [log], then
# what stdin holds (the benchmark's own sections), then the PI `bench`.
write_ppgd_conf() {
	{
		cat <<EOF
[server]
listen = 127.0.0.1:$2
pap_path = /pap
threads = 2

[database]
path = $3
synchronous = $4

[log]
level = $5

EOF
		cat
		cat <<EOF

[pi $PI_USER]
secret_hash = $hash
EOF
	} >"$1"
}

# launch_ppgd CONF LOG HTTP-PORT: starts $PPGD on CONF (output appended to
# LOG), sets ppgd_pid, waits for its HTTP listener; stops with the log if none.
launch_ppgd() {
	"$PPGD" -c "$1" >>"$2" 2>&1 &
	ppgd_pid=$!
	if ! wait_listen tcp "$3" "$ppgd_pid"; then
		cat "$2" >&2
		die "ppgd did not listen on 127.0.0.1:$3 (log above)"
	fi
}

ppgd_version() { "$PPGD" -V 2>/dev/null | awk '{print $2}'; }
tmp_fstype() { df --output=fstype "$tmp" | tail -n 1; }

# ---------------------------------------------------------------- Kannel
# start_kannel PPG-PORT BOX-PORT ADMIN-PORT: the reference in $tmp/kannel
# (its sink counts in $tmp/kannel/udp_count); sets kannel_url.
start_kannel() {
	kannel_url="http://127.0.0.1:$1/cgi-bin/wap-push.cgi?username=foo&password=bar"
	kannel_started=1
	if ! KANNEL_PPG_PORT=$1 KANNEL_BOX_PORT=$2 KANNEL_ADMIN_PORT=$3 \
		timeout 60 "$KANNEL_PPG" start "$tmp/kannel" >"$tmp/kannel-start.log" 2>&1; then
		cat "$tmp/kannel-start.log" >&2
		die "the Kannel reference did not start (log above)"
	fi
}

stop_kannel() {
	[ -n "$kannel_started" ] && timeout 40 "$KANNEL_PPG" stop "$tmp/kannel" >/dev/null
}

# ---------------------------------------------------------------- wrk
# wrk_exec NAME URL AUTH THREADS CONNS SECONDS [once]: one wrk run with
# pap_push.lua (push-ids "$nonce-$runs-...", runs counts the runs), output in
# $tmp/wrk-NAME.out. Sets
# wrk_line (its RESULT line), wrk_end (when wrk returned), accepted, other.
wrk_exec() {
	local out=$tmp/wrk-$1.out
	runs=$((${runs:-0} + 1))
	timeout $(($6 + 30)) wrk -t"$4" -c"$5" -d"$6"s --latency -s "$root/bench/pap_push.lua" "$2" \
		-- "$nonce-$runs" "$3" ${7:+"$7"} >"$out" 2>&1 || true
	wrk_end=$(date +%s.%N)
	wrk_line=$(grep '^RESULT ' "$out" || true)
	if [ -z "$wrk_line" ]; then
		cat "$out" >&2
		die "wrk run $1 gave no result (output above)"
	fi
	accepted=$(sed 's/.* accepted=\([0-9]*\).*/\1/' <<<"$wrk_line")
	other=$(sed 's/.* other=\([0-9]*\).*/\1/' <<<"$wrk_line")
}

# wrk_show_other NAME [once]: prints the first answer other than 1001 of each
# wrk thread (a smoke run reports its own way).
wrk_show_other() {
	if [ "$other" != 0 ] && [ -z "${2:-}" ]; then
		sed -n '/^--- first non-1001/,$p' "$tmp/wrk-$1.out" | head -n 60 >&2
	fi
}

# smoke_1001 NAME: after the smoke run NAME-smoke, stop unless it was answered 1001.
smoke_1001() {
	if [ "$accepted" != 1 ]; then
		echo "$bench: $1 did not answer 1001 to the benchmark request:" >&2
		sed -n '/^--- request:/,/^--- end/p' "$tmp/wrk-$1-smoke.out" >&2
		die "$1 refused the benchmark request"
	fi
}

# ---------------------------------------------------------------- report
# CPU time (user + system, ms) a process used so far, from /proc/PID/stat.
proc_cpu_ms() {
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.0f", ($12 + $13) * 1000 / hz }' \
		"/proc/$1/stat" 2>/dev/null || echo 0
}

# thread_cpu_ms PID: "NAME MS" per kind of thread of PID (user+system so far;
# the trailing -N of numbered threads dropped, so that a pool is one line).
thread_cpu_ms() {
	local t
	for t in /proc/"$1"/task/*; do
		awk -v hz="$(getconf CLK_TCK)" '{ name = $0; sub(/^[^(]*\(/, "", name); sub(/\) [^)]*$/, "", name)
			sub(/^.*\) /, ""); sub(/-[0-9]+$/, "", name); gsub(/ /, "_", name)
			printf "%s %.0f\n", name, ($12 + $13) * 1000 / hz }' "$t/stat" 2>/dev/null || true
	done | awk '{ a[$1] += $2 } END { for (k in a) print k, a[k] }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

# proc_sys_ms PID: the system (kernel) part of proc_cpu_ms.
proc_sys_ms() {
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.0f", $13 * 1000 / hz }' \
		"/proc/$1/stat" 2>/dev/null || echo 0
}

# kannel_cpu_ms [proc_sys_ms]: CPU time (ms) of Kannel's bearerbox + wapbox so
# far (the reference's two processes; its sink is not counted); its system
# part with proc_sys_ms.
kannel_cpu_ms() {
	local t=0 p
	for p in bearerbox wapbox; do
		[ -f "$tmp/kannel/$p.pid" ] || continue
		t=$((t + $("${1:-proc_cpu_ms}" "$(cat "$tmp/kannel/$p.pid")")))
	done
	echo "$t"
}

# us_per CPU-MS N: CPU microseconds per push (integer), "-" when N is 0.
us_per() { awk -v c="$1" -v n="$2" 'BEGIN { if (n > 0) printf "%.0f", c * 1000 / n; else print "-" }'; }

# goal VALUE OP TARGET: "met" or "not met" (OP: le or ge); "-" when VALUE is not a number.
goal() {
	awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN {
		if (v !~ /^[0-9.]+$/) { print "-"; exit }
		ok = (op == "le") ? (v + 0 <= t + 0) : (v + 0 >= t + 0)
		print ok ? "met" : "not met" }'
}

# dsync_probe: ms that one 4 KiB append written with O_DSYNC costs in $tmp
# (what the WAL's fdatasync costs per commit), the mean of 200.
dsync_probe() {
	(cd "$tmp" && dd if=/dev/zero of=dsync.probe bs=4k count=200 oflag=dsync 2>&1 |
		awk '/copied/ { for (i = 1; i <= NF; i++) if ($i == "s,") printf "%.3f\n", $(i-1) * 1000 / 200 }')
	rm -f "$tmp/dsync.probe"
}

# dsync_cpu_probe: CPU µs (user + system, of the writing process) that one
# 4 KiB append written with O_DSYNC costs in $tmp, over 2,000 appends: the
# part of a durable commit that a server pays in its own CPU time (the
# journal's own commit runs in a kernel thread and is not counted, as it is
# not for ppgd's writer).
dsync_cpu_probe() {
	perl -MFcntl -e '
		my $p = "$ARGV[0]/dsync.cpu.probe";
		sysopen(my $f, $p, O_WRONLY | O_CREAT | O_TRUNC | O_DSYNC) or exit 1;
		my $b = "x" x 4096;
		my @a = times;
		syswrite($f, $b) == 4096 or exit 1 for 1 .. 2000;
		my @z = times;
		unlink $p;
		printf "%.0f\n", (($z[0] - $a[0]) + ($z[1] - $a[1])) / 2000 * 1e6;' "$tmp"
}
