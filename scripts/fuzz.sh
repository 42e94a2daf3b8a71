#!/bin/bash
# fuzz.sh - builds the libFuzzer targets in fuzz/ with clang (AddressSanitizer,
# LeakSanitizer and UBSan) and runs each for FUZZ_SECONDS (default 30) from
# the corpus kept in the repository (tests/fuzz-corpus/<target>/, read only;
# what a run finds goes to $FUZZ_DIR/work_<target>/). One line per target:
# executions, executions per second, coverage (cov: and ft: of libFuzzer's
# final stats), corpus size, and OK or what failed (crash, leak, timeout of
# one input over FUZZ_TIMEOUT s, default 10). Exits non-zero when a target
# failed or did not build. Needs clang with -fsanitize=fuzzer (apt-get
# install clang libclang-rt-14-dev).
#   scripts/fuzz.sh [target ...]           run (default: every target)
#   scripts/fuzz.sh --merge [target ...]   seed from tests/vectors and the test
#       scenarios, add what the runs found, and minimise (-merge=1) into
#       tests/fuzz-corpus/<target>/ (commit the result)
#   scripts/fuzz.sh --list
# Targets: pap ota smpp config sip_register sip_subscribe sip_response aor uaprof msrp sdp reginfo.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
vectors=$top/tests/vectors
corpora=$top/tests/fuzz-corpus
secs=${FUZZ_SECONDS:-30}
tmo=${FUZZ_TIMEOUT:-10}
out=${FUZZ_DIR:-$top/build-fuzz}
all=(pap ota smpp config sip_register sip_subscribe sip_response aor uaprof)
[ -f "$top/fuzz/fuzz_msrp.c" ] && all+=(msrp sdp)
[ -f "$top/fuzz/fuzz_reginfo.c" ] && all+=(reginfo)

merge=0
if [ "${1:-}" = --list ]; then
	echo "${all[@]}"
	exit 0
fi
if [ "${1:-}" = --merge ]; then
	merge=1
	shift
fi
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")
command -v clang >/dev/null || { echo "fuzz.sh: clang is missing (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }
mkdir -p "$out"
cflags=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -D_GNU_SOURCE -I"$top"
	$(pkg-config --cflags libxml-2.0 sofia-sip-ua libsmpp34 inih 2>/dev/null || pkg-config --cflags libxml-2.0 sofia-sip-ua libsmpp34))

sources() { # name: the sources of its binary (for the rebuild check and the build)
	case $1 in
	pap) echo fuzz/fuzz_pap.c pap/*.c ;;
	ota) echo fuzz/fuzz_ota.c otabearer/*.c ;;
	smpp) echo fuzz/fuzz_smpp.c smpp/*.c ;;
	config) echo fuzz/fuzz_config.c ppg/ppg_config.c ppg/ppg_config_keys.c ppg/ppg_config_tls.c ppg/ppg_config_sip.c ppg/ppg_config_terminal.c ppg/ppg_cidr.c ppg/ppg_log.c ppg/ppg_ratelimit.c ;;
	sip_register) echo fuzz/fuzz_sip_register.c sipbearer/sipb_parse.c sipbearer/sipb_register.c sipbearer/sipb_subscribe.c sipbearer/sipb_notify.c sipbearer/sipb_message.c sipbearer/sipb_measure.c ;;
	sip_response) echo fuzz/fuzz_sip_response.c sipbearer/sipb_parse.c sipbearer/sipb_register.c sipbearer/sipb_subscribe.c sipbearer/sipb_notify.c sipbearer/sipb_message.c sipbearer/sipb_measure.c ;;
	sip_subscribe) echo fuzz/fuzz_sip_subscribe.c sipbearer/sipb_parse.c sipbearer/sipb_register.c sipbearer/sipb_subscribe.c sipbearer/sipb_notify.c sipbearer/sipb_message.c sipbearer/sipb_measure.c ;;
	aor) echo fuzz/fuzz_aor.c sipbearer/sipb_aor.c ;;
	uaprof) echo fuzz/fuzz_uaprof.c pap/pap_uaprof.c ;;
	msrp) echo fuzz/fuzz_msrp.c sipbearer/sipb_msrp.c sipbearer/sipb_msrp_write.c ;;
	sdp) echo fuzz/fuzz_sdp.c sipbearer/sipb_sdp.c ;;
	reginfo) echo fuzz/fuzz_reginfo.c sipbearer/sipb_reginfo.c ;;
	*) return 1 ;;
	esac
}

libs() { # name
	case $1 in
	pap | ota | uaprof | reginfo) pkg-config --libs libxml-2.0 ;;
	smpp) echo "$(pkg-config --libs libsmpp34 sofia-sip-ua) -lpthread" ;;
	config) echo "$(pkg-config --libs inih 2>/dev/null || echo -linih) -lpthread" ;;
	sip_register | sip_subscribe | sip_response | msrp | sdp) echo "$(pkg-config --libs sofia-sip-ua) -lpthread" ;;
	aor) ;;
	esac
}

# Builds fuzz_<name> when a source or a header is newer than it.
build() { # name
	local name=$1 bin=$out/fuzz_$1 srcs
	srcs=$(cd "$top" && sources "$name") || { echo "fuzz.sh: unknown target $name (${all[*]})" >&2; return 2; }
	if [ -x "$bin" ] && [ -z "$(cd "$top" && find $srcs */*.h -newer "$bin" 2>/dev/null | head -n 1)" ]; then
		return 0
	fi
	(cd "$top" && clang "${cflags[@]}" $srcs $(libs "$name") -o "$bin")
}

# The seeds of a target: the captured vectors and the test scenarios.
seeds() { # name dir
	local dir=$2 i=0
	rm -rf "$dir"
	mkdir -p "$dir"
	case $1 in
	pap)
		for f in "$vectors"/pap-requests/*/*.txt "$vectors"/pap-responses/*.xml "$vectors"/pap-responses/*/*.xml; do
			[ -f "$f" ] && { printf '\0'; cat "$f"; } >"$dir/xml$((i++))"
		done
		printf '\2WAPPUSH=+358408201681/TYPE=PLMN@ppg.carrier.com' >"$dir/addr1"
		printf '\2WAPPUSH=sip%%3Aalice%%40example.com/TYPE=USER' >"$dir/addr2"
		printf '\2WAPPUSH=2001:db8::1/TYPE=IPv6@ppg' >"$dir/addr3"
		;;
	ota)
		grep -o 'hex=[0-9a-f]*' "$vectors/ota/kannel_ppg_udp2948_datagrams.log" | cut -d= -f2 |
			while read -r h; do { printf '\0'; echo "$h" | xxd -r -p; } >"$dir/pdu$((i++))"; done
		i=100
		for f in "$vectors"/wbxml/*.wbxml; do { printf '\1'; cat "$f"; } >"$dir/wbxml$((i++))"; done
		;;
	smpp)
		# a deliver_sm receipt, as an SMSC sends it
		printf '\x00\x00\x00\x66\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00\x01\x00\x01\x01\x31\x00\x01\x01\x32\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x3eid:1 sub:001 dlvrd:001 submit date:2611211200 done date:2611211200 stat:DELIVRD err:000' >"$dir/receipt"
		# submit_sm_resp with a message id
		printf '\x00\x00\x00\x13\x80\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x02abc\x00' >"$dir/submit_resp"
		# query_sm_resp: id, final_date, message_state DELIVERED, error_code
		printf '\x00\x00\x00\x1c\x80\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\x03msg-7\x00\x00\x02\x00\x00\x00\x00\x00' >"$dir/query_resp"
		;;
	config)
		for f in "$top"/tests/fixtures/*.conf "$top"/etc/ppgd.conf; do
			[ -f "$f" ] && cp "$f" "$dir/$(basename "$f")"
		done
		;;
	sip_register)
		# the test scenarios' REGISTERs, their [fields] filled in
		for f in "$top"/tests/sipp/*register*.xml; do
			python3 - "$f" "$dir/$(basename "$f" .xml)" <<'EOF'
import re, sys
x = open(sys.argv[1]).read()
m = re.search(r'<!\[CDATA\[(.*?REGISTER.*?)\]\]>', x, re.S)
if m:
    lines = [l.strip() for l in m.group(1).strip().splitlines()]
    vals = {'remote_ip': '127.0.0.1', 'remote_port': '5070', 'transport': 'UDP', 'local_ip': '127.0.0.1',
            'local_port': '5061', 'branch': 'z9hG4bK-1', 'field0': 'bob', 'field1': '5099', 'field2': '3600',
            'pid': '42', 'call_number': '1', 'call_id': '1-42@127.0.0.1', 'cseq': '1', 'len': '0'}
    text = '\r\n'.join(re.sub(r'\[([a-z_0-9]+)\]', lambda g: vals.get(g.group(1), 'x'), l) for l in lines)
    open(sys.argv[2], 'w').write(text + '\r\n\r\n')
EOF
		done
		printf 'REGISTER sip:ppg.example.com SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK-2\r\nFrom: <sip:core@example.com>;tag=1\r\nTo: "Bob" <SIP:Bob@Example.COM;user=phone>\r\nCall-ID: 2@x\r\nCSeq: 7 REGISTER\r\nContact: <sip:bob@192.0.2.4:5060;transport=tcp>;expires=600;+g.oma.pusheventapp="ua-prof, mms.ua ,\\"x\\"";+sip.instance="<urn:uuid:1>", <sip:bob@192.0.2.5>;expires=0\r\nExpires: 120\r\nContent-Length: 0\r\n\r\n' >"$dir/two_contacts"
		printf 'REGISTER sip:ppg.example.com SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK-3\r\nFrom: <tel:+15551230001>;tag=1\r\nTo: <tel:+1-555-123-0001>\r\nCall-ID: 3@x\r\nCSeq: 8 REGISTER\r\nContact: *\r\nExpires: 0\r\nContent-Length: 0\r\n\r\n' >"$dir/wildcard"
		;;
	sip_subscribe)
		# the test scenarios' SUBSCRIBEs, their [fields] filled in
		for f in "$top"/tests/sipp/sub_*.xml; do
			python3 - "$f" "$dir/$(basename "$f" .xml)" <<'EOF'
import re, sys
x = open(sys.argv[1]).read()
for n, m in enumerate(re.finditer(r'<!\[CDATA\[(.*?SUBSCRIBE sip.*?)\]\]>', x, re.S)):
    lines = [l.strip() for l in m.group(1).strip().splitlines()]
    vals = {'remote_ip': '127.0.0.1', 'remote_port': '5070', 'transport': 'UDP', 'local_ip': '127.0.0.1',
            'local_port': '5061', 'branch': 'z9hG4bK-1', 'pid': '42', 'call_number': '1',
            'call_id': '1-42@127.0.0.1', 'expires': '600', 'refresh': '300', 'peer_tag_param': ';tag=a1'}
    text = '\r\n'.join(re.sub(r'\[([a-z_0-9]+)\]', lambda g: vals.get(g.group(1), 'x'), l) for l in lines)
    open('%s_%d' % (sys.argv[2], n), 'w').write(text + '\r\n\r\n')
EOF
		done
		;;
	sip_response)
		printf 'SIP/2.0 503 Service Unavailable\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1\r\nFrom: <sip:ppg@example.com>;tag=1\r\nTo: <sip:bob@example.com>;tag=2\r\nCall-ID: 1@x\r\nCSeq: 1 MESSAGE\r\nRetry-After: 2 (busy);duration=60\r\nContent-Length: 0\r\n\r\n' >"$dir/503"
		printf 'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1\r\nFrom: <sip:ppg@example.com>;tag=1\r\nTo: <sip:bob@example.com>;tag=2\r\nCall-ID: 1@x\r\nCSeq: 1 MESSAGE\r\nContent-Length: 0\r\n\r\n' >"$dir/200"
		;;
	uaprof)
		cp "$top"/tests/fixtures/uaprof/*.rdf "$dir/"
		;;
	aor)
		printf '\x40sip:Bob@Biloxi.COM;transport=tcp?subject=x' >"$dir/sip"
		printf '\x08SIPS:alice@[2001:DB8::1]:5061' >"$dir/sips"
		printf '\x40tel:+1-555-(123).0001;phone-context=x' >"$dir/tel"
		;;
	msrp)
		;;
	reginfo)
		cp "$vectors"/reginfo/*.xml "$dir/"
		;;
	esac
}

# Builds first, FUZZ_JOBS (default 2) at a time.
rc=0
jobs_max=${FUZZ_JOBS:-2}
for t in "${targets[@]}"; do
	sources "$t" >/dev/null || { echo "fuzz.sh: unknown target $t (${all[*]})" >&2; exit 2; }
	rm -f "$out/built_$t"
	while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do
		wait -n || true
	done
	(build "$t" && touch "$out/built_$t") &
done
wait || true
for t in "${targets[@]}"; do
	if [ ! -f "$out/built_$t" ]; then
		echo "fuzz_$t: FAILED to build"
		rc=1
		continue
	fi
	mkdir -p "$corpora/$t" "$out/work_$t"
	if [ "$merge" = 1 ]; then
		seeds "$t" "$out/seeds_$t"
		rm -rf "$out/merged_$t"
		mkdir -p "$out/merged_$t"
		(cd "$out" && "./fuzz_$t" -merge=1 -max_len=65536 "merged_$t" "$corpora/$t" "seeds_$t" "work_$t" \
			>"$out/merge_$t.log" 2>&1) || { echo "fuzz_$t: merge FAILED (see $out/merge_$t.log)"; rc=1; continue; }
		rm -rf "$corpora/$t"
		mv "$out/merged_$t" "$corpora/$t"
		echo "fuzz_$t: corpus tests/fuzz-corpus/$t: $(ls "$corpora/$t" | wc -l) inputs, $(du -sk "$corpora/$t" | cut -f1) KiB"
		continue
	fi
	log=$out/fuzz_$t.log
	set +e
	(cd "$out" && "./fuzz_$t" -max_total_time="$secs" -timeout="$tmo" -max_len=65536 -print_final_stats=1 \
		-artifact_prefix="$out/crash_$t-" "work_$t" "$corpora/$t") >"$log" 2>&1
	st=$?
	set -e
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
	cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
	rate=$(( ${execs:-0} / (secs > 0 ? secs : 1) ))
	if [ $st -eq 0 ]; then
		verdict=OK
	else
		rc=1
		verdict="FAILED: $(grep -m1 -oE 'ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer): [a-z-]+|runtime error: .*' "$log" || echo "exit $st") (see $log)"
	fi
	printf 'fuzz_%-13s %10s execs in %s s (%s/s)  cov: %s  ft: %s  corpus: %s  %s\n' "$t" "${execs:-?}" "$secs" \
		"$rate" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$verdict"
done
exit $rc
