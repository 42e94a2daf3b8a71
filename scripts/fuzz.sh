#!/bin/bash
# fuzz.sh - builds the libFuzzer targets in fuzz/ with clang (AddressSanitizer
# and UBSan) and runs each for FUZZ_SECONDS (default 30), starting from
# corpora made of the captured vectors in tests/vectors. Not part of the test suite: run it when a
# decoder changes. Needs clang and libclang-rt-14-dev (apt-get install).
#   scripts/fuzz.sh [pap|ota|smpp|msrp|sdp ...]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
vectors=$top/tests/vectors
secs=${FUZZ_SECONDS:-30}
out=${FUZZ_DIR:-$top/build-fuzz}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(pap ota smpp msrp sdp)
command -v clang >/dev/null || { echo "fuzz.sh: clang is missing (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }
mkdir -p "$out"
cflags=(-g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -I"$top" $(pkg-config --cflags libxml-2.0 sofia-sip-ua libsmpp34))

build() { # name sources... -- libs...
	local name=$1; shift
	local srcs=() libs=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do srcs+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	libs=("$@")
	clang "${cflags[@]}" "${srcs[@]}" "${libs[@]}" -o "$out/fuzz_$name"
}

corpus() { # name
	local dir=$out/corpus_$1
	rm -rf "$dir"
	mkdir -p "$dir"
	case $1 in
	pap)
		local i=0
		for f in "$vectors"/pap-requests/*/*.txt "$vectors"/pap-responses/*.xml; do
			{ printf '\0'; cat "$f"; } >"$dir/xml$((i++))"
		done
		printf '\2WAPPUSH=+358408201681/TYPE=PLMN@ppg.carrier.com' >"$dir/addr1"
		printf '\2WAPPUSH=sip%%3Aalice%%40example.com/TYPE=USER' >"$dir/addr2"
		printf '\2WAPPUSH=2001:db8::1/TYPE=IPv6@ppg' >"$dir/addr3"
		;;
	ota)
		local i=0
		grep -o 'hex=[0-9a-f]*' "$vectors/ota/kannel_ppg_udp2948_datagrams.log" | cut -d= -f2 |
			while read -r h; do { printf '\0'; echo "$h" | xxd -r -p; } >"$dir/pdu$((i++))"; done
		for f in "$vectors"/wbxml/*.wbxml; do { printf '\1'; cat "$f"; } >"$dir/wbxml$((i++))"; done
		;;
	smpp)
		# a deliver_sm receipt, as an SMSC sends it
		printf '\x00\x00\x00\x66\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00\x01\x00\x01\x01\x31\x00\x01\x01\x32\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x3eid:1 sub:001 dlvrd:001 submit date:2611211200 done date:2611211200 stat:DELIVRD err:000' >"$dir/receipt"
		;;
	msrp)
		# the RFC 4975 examples, one per file, and all of them as one stream
		local i=0
		for f in "$vectors"/msrp/*.msrp; do cp "$f" "$dir/msrp$((i++))"; done
		cat "$vectors"/msrp/*.msrp >"$dir/stream"
		;;
	sdp)
		# SDP answers of session-mode push (a=path of one endpoint, through a relay)
		local i=0
		for f in "$vectors"/sdp/*.sdp; do cp "$f" "$dir/sdp$((i++))"; done
		printf 'msrp://[2001:db8::1]:9/abc;tcp' >"$dir/uri"
		;;
	esac
}

for t in "${targets[@]}"; do
	case $t in
	pap) build pap fuzz/fuzz_pap.c pap/*.c -- $(pkg-config --libs libxml-2.0) ;;
	ota) build ota fuzz/fuzz_ota.c otabearer/*.c -- $(pkg-config --libs libxml-2.0) ;;
	smpp) build smpp fuzz/fuzz_smpp.c smpp/*.c -- $(pkg-config --libs libsmpp34 sofia-sip-ua) -lpthread ;;
	msrp) build msrp fuzz/fuzz_msrp.c sipbearer/sipb_msrp.c sipbearer/sipb_msrp_write.c -- ;;
	sdp) build sdp fuzz/fuzz_sdp.c sipbearer/sipb_sdp.c -- $(pkg-config --libs sofia-sip-ua) ;;
	*) echo "fuzz.sh: unknown target $t (pap, ota, smpp, msrp, sdp)" >&2; exit 2 ;;
	esac
	corpus "$t"
	echo "==== fuzz_$t for $secs s"
	(cd "$out" && "./fuzz_$t" -max_total_time="$secs" -max_len=65536 -print_final_stats=1 "corpus_$t" 2>&1 |
		grep -E "^(#|Done|stat::number_of_executed_units|==|SUMMARY)" | tail -n 4)
done
