#!/bin/bash
# check_includes_test.sh - self-test of scripts/check_includes.sh: builds tiny
# fake trees in a temporary directory (one clean, then one per rule broken)
# and checks the script's exit code and the violation line it prints.
# Prints one line per case and "check_includes_test: N passed, N failed" (not a
# bare "N passed, N failed": that line is scripts/test.sh's summary); exits
# non-zero on a failure.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
check=$top/scripts/check_includes.sh
tmp=$(mktemp -d /tmp/check_includes_test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0

# put TREE FILE [INCLUDE...]: writes FILE in TREE with one #include "X" per INCLUDE.
put() {
	local tree=$1 file=$2
	shift 2
	mkdir -p "$(dirname "$tree/$file")"
	{
		echo "/* $file */"
		for inc in "$@"; do echo "#include \"$inc\""; done
	} >"$tree/$file"
}

# base TREE: a clean tree shaped like the gateway after the split: codecs and
# libraries, the core, the engine, the bearer interface and two bearers,
# tests and fuzz as leaves. No smpp/ folder: it may not exist yet.
base() {
	local t=$1
	put "$t" pap/pap.h
	put "$t" pap/pap_msg_int.h pap/pap.h
	put "$t" pap/pap_msg.c pap/pap_msg_int.h
	put "$t" db/db.h
	put "$t" db/db_internal.h db/db.h
	put "$t" db/db_push.c db/db_internal.h
	put "$t" otabearer/ota.h
	put "$t" otabearer/ota_wsp.c otabearer/ota.h
	put "$t" sipbearer/sipb.h
	put "$t" sipbearer/sipb_int.h sipbearer/sipb.h
	put "$t" sipbearer/sipb.c sipbearer/sipb_int.h
	put "$t" ppg/ppg_log.h
	put "$t" ppg/ppg_core.h db/db.h pap/pap.h
	put "$t" ppg/ppg_core_int.h ppg/ppg_core.h
	put "$t" ppg/ppg_core.c ppg/ppg_core_int.h ppg/ppg_log.h config.h
	put "$t" ppg/ppg_bearer.h ppg/ppg_core.h
	put "$t" ppg/ppg_deliver.h ppg/ppg_bearer.h ppg/ppg_core.h
	put "$t" ppg/ppg_deliver_int.h ppg/ppg_deliver.h
	put "$t" ppg/ppg_deliver.c ppg/ppg_deliver_int.h otabearer/ota.h
	put "$t" ppg/ppg_sched.c ppg/ppg_deliver_int.h
	put "$t" ppg/ppg_bearer_sip.h ppg/ppg_bearer.h
	put "$t" ppg/ppg_bearer_sip.c ppg/ppg_bearer_sip.h ppg/ppg_core.h sipbearer/sipb.h
	put "$t" ppg/ppg_bearer_udp.c ppg/ppg_bearer.h otabearer/ota.h
	put "$t" ppg/ppgd.c ppg/ppg_core.h ppg/ppg_deliver.h ppg/ppg_bearer_sip.h
	put "$t" tests/test_util.h
	put "$t" tests/test_core.c ppg/ppg_core.h ppg/ppg_deliver.h tests/test_util.h
	put "$t" fuzz/fuzz_pap.c pap/pap.h
	put "$t" bench/sip_flood.c
}

# expect NAME CODE [PATTERN...]: runs the script on $tmp/NAME; its exit code must
# be CODE and its output must match every grep -E PATTERN.
expect() {
	local name=$1 code=$2
	shift 2
	local out rc why=
	out=$("$check" "$tmp/$name" 2>&1)
	rc=$?
	[ "$rc" = "$code" ] || why="exit code $rc, expected $code"
	for pat in "$@"; do
		[ -n "$why" ] && break
		grep -qE -- "$pat" <<<"$out" || why="no line matches /$pat/"
	done
	if [ -z "$why" ]; then
		echo "PASS: $name"
		passed=$((passed + 1))
	else
		echo "FAIL: $name: $why; output:"
		sed 's/^/    /' <<<"$out"
		failed=$((failed + 1))
	fi
}

# case_tree NAME: a fresh clean tree in $tmp/NAME.
case_tree() {
	base "$tmp/$1"
}

# nviol N: a pattern for the summary line of N violations.
nviol() { echo "check_includes: $1 violations? \\("; }

# ------------------------------------------------------------- clean
case_tree clean
expect clean 0 '^check_includes: ok: '
# a violation count of 0 also means no rule line
if "$check" "$tmp/clean" | grep -q 'rule '; then
	echo "FAIL: clean tree printed a rule line"
	failed=$((failed + 1))
fi

# The clean tree with smpp/ present and used by the SIP-less SMS bearer: still clean.
case_tree clean_smpp
put "$tmp/clean_smpp" smpp/smpp.h
put "$tmp/clean_smpp" smpp/smpp_int.h smpp/smpp.h
put "$tmp/clean_smpp" smpp/smpp.c smpp/smpp_int.h
put "$tmp/clean_smpp" ppg/ppg_bearer_sms.c ppg/ppg_bearer.h smpp/smpp.h otabearer/ota.h
expect clean_smpp 0 '^check_includes: ok: '

# ------------------------------------------------------------- rule a
case_tree rule_a
put "$tmp/rule_a" ppg/ppg_bearer_sip.c ppg/ppg_bearer_sip.h sipbearer/sipb_int.h
put "$tmp/rule_a" otabearer/ota_x.c db/db_internal.h
# a white-box unit test may include the internals of what it tests
put "$tmp/rule_a" tests/test_db.c db/db_internal.h
expect rule_a 1 \
	'^check_includes: rule a: ppg/ppg_bearer_sip.c:3: includes sipbearer/sipb_int.h, an internal header of sipbearer/' \
	'^check_includes: rule a: otabearer/ota_x.c:2: includes db/db_internal.h, an internal header of db/' \
	"$(nviol 2)"

# ------------------------------------------------------------- rule b
case_tree rule_b
put "$tmp/rule_b" smpp/smpp.h
put "$tmp/rule_b" smpp/smpp.c smpp/smpp.h ppg/ppg_log.h
expect rule_b 1 \
	'^check_includes: rule b: smpp/smpp.c:3: includes ppg/ppg_log.h: the library smpp/ must not depend on ppg/' \
	"$(nviol 1)"

# ------------------------------------------------------------- rule c
# pap/ -> otabearer/ -> pap/ (neither includes ppg/, so rule b stays quiet);
# tests/ -> ppg/ and ppg/ -> ... are not cycles: tests/ is a leaf.
case_tree rule_c
put "$tmp/rule_c" pap/pap_msg.c pap/pap_msg_int.h otabearer/ota.h
put "$tmp/rule_c" otabearer/ota_wsp.c otabearer/ota.h pap/pap.h
put "$tmp/rule_c" ppg/ppg_log.h tests/test_util.h
expect rule_c 1 \
	'^check_includes: rule c: components form a cycle otabearer/ -> pap/ -> otabearer/ \(otabearer/ota_wsp.c:3 includes pap/pap.h; pap/pap_msg.c:3 includes otabearer/ota.h\)' \
	"$(nviol 1)"
# ppg/ -> tests/ and tests/ -> ppg/ is no cycle: tests/ is a leaf.
case_tree rule_c_leaf
put "$tmp/rule_c_leaf" ppg/ppg_log.h tests/test_util.h
expect rule_c_leaf 0 '^check_includes: ok: '

# ------------------------------------------------------------- rule d
# Today's shape: the core's internal header includes the engine's header.
case_tree rule_d_core
put "$tmp/rule_d_core" ppg/ppg_core_int.h ppg/ppg_core.h ppg/ppg_deliver.h
expect rule_d_core 1 \
	'^check_includes: rule d: ppg/ppg_core_int.h:3: includes ppg/ppg_deliver.h: the core knows nothing of the delivery engine' \
	"$(nviol 1)"
# The core may not include the bearer interface, a bearer library or smpp/.
case_tree rule_d_core2
put "$tmp/rule_d_core2" smpp/smpp.h
put "$tmp/rule_d_core2" ppg/ppg_core.c ppg/ppg_core_int.h ppg/ppg_bearer.h sipbearer/sipb.h otabearer/ota.h smpp/smpp.h
expect rule_d_core2 1 \
	'^check_includes: rule d: ppg/ppg_core.c:3: includes ppg/ppg_bearer.h' \
	'^check_includes: rule d: ppg/ppg_core.c:4: includes sipbearer/sipb.h' \
	'^check_includes: rule d: ppg/ppg_core.c:5: includes otabearer/ota.h' \
	'^check_includes: rule d: ppg/ppg_core.c:6: includes smpp/smpp.h' \
	"$(nviol 4)"
# The engine reaches a bearer's transport through its own internal header.
case_tree rule_d_engine
put "$tmp/rule_d_engine" ppg/ppg_deliver_int.h ppg/ppg_deliver.h sipbearer/sipb.h
expect rule_d_engine 1 \
	'^check_includes: rule d: ppg/ppg_deliver.c:2: includes sipbearer/sipb.h via ppg/ppg_deliver_int.h:3: the engine sees bearers only through ppg/ppg_bearer.h' \
	'^check_includes: rule d: ppg/ppg_sched.c:2: includes sipbearer/sipb.h via ppg/ppg_deliver_int.h:3' \
	"$(nviol 2)"
# The engine includes a bearer implementation header and smpp/ directly.
case_tree rule_d_engine2
put "$tmp/rule_d_engine2" smpp/smpp.h
put "$tmp/rule_d_engine2" ppg/ppg_bearer_sms.h ppg/ppg_bearer.h
put "$tmp/rule_d_engine2" ppg/ppg_sched.c ppg/ppg_deliver_int.h ppg/ppg_bearer_sms.h smpp/smpp.h ppg/ppg_bearer.h
expect rule_d_engine2 1 \
	'^check_includes: rule d: ppg/ppg_sched.c:3: includes ppg/ppg_bearer_sms.h: the engine' \
	'^check_includes: rule d: ppg/ppg_sched.c:4: includes smpp/smpp.h: the engine' \
	"$(nviol 2)"
# A bearer includes the engine's internal header (today's shape).
case_tree rule_d_bearer
put "$tmp/rule_d_bearer" ppg/ppg_bearer_udp.c ppg/ppg_deliver_int.h otabearer/ota.h
expect rule_d_bearer 1 \
	'^check_includes: rule d: ppg/ppg_bearer_udp.c:2: includes ppg/ppg_deliver_int.h: a bearer sees ppg/ppg_bearer.h' \
	"$(nviol 1)"

# ------------------------------------------------------------- rule e
case_tree rule_e
put "$tmp/rule_e" ppg/ppg_log.h ppg/ppg_stats.h
put "$tmp/rule_e" ppg/ppg_stats.h ppg/ppg_log.h
expect rule_e 1 \
	'^check_includes: rule e: headers include each other in a cycle: ppg/ppg_log.h:2 -> ppg/ppg_stats.h:2 -> ppg/ppg_log.h' \
	"$(nviol 1)"

# ------------------------------------------------------------- details
# Includes in comments do not count; a relative include resolves to its folder.
case_tree comments
cat >>"$tmp/comments/pap/pap_msg.c" <<'EOF'
/*
#include "ppg/ppg_log.h"
*/
// #include "db/db_internal.h"
#include "pap.h"
EOF
expect comments 0 '^check_includes: ok: '
case_tree relative
echo '#include "../sipbearer/sipb_int.h"' >>"$tmp/relative/pap/pap_msg.c"
expect relative 1 '^check_includes: rule a: pap/pap_msg.c:3: includes sipbearer/sipb_int.h'

# --graph prints the folder-level edges and exits 0 even on a broken tree.
out=$("$check" --graph "$tmp/rule_c" 2>&1)
rc=$?
if [ "$rc" = 0 ] && grep -q '^otabearer/ -> pap/ (1)$' <<<"$out" && grep -q '^tests/ -> ppg/ (2)' <<<"$out" &&
	grep -q '^db/ -> (nothing)$' <<<"$out"; then
	echo "PASS: graph"
	passed=$((passed + 1))
else
	echo "FAIL: graph: exit code $rc; output:"
	sed 's/^/    /' <<<"$out"
	failed=$((failed + 1))
fi

# A missing root is a usage error.
expect no_such_tree 2 'is not a directory'

echo "check_includes_test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
