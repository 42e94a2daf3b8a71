#!/bin/bash
# test.sh - the project's test command (CI runs it through .ci/run): installs
# what is missing, builds build/ and build-asan/ (AddressSanitizer and
# UndefinedBehaviorSanitizer), runs `make check` in both and ends with one
# line "N passed, N failed" summed over both builds. Before the builds it runs
# the include rules (scripts/check_includes.sh) and their self-test
# (tests/check_includes_test.sh), the self-containment check (a clone of
# this commit alone builds and passes the tests that read tests/vectors), a
# short run of every fuzz target (scripts/fuzz.sh, when clang has libFuzzer);
# each counts as one test in that line, and so do tests/test_install.sh
# (make install DESTDIR=tmp from build/, checked) and tests/test_deb.sh (the
# .deb of this commit built, checked, linted, installed, started, purged; about
# 3-5 minutes). Exits non-zero on any failure.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

./scripts/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

# The include rules and their self-test need no build: one test each, first
# the self-test (is the checker right?), then the checker on this tree.
inc_passed=0
inc_failed=()
for t in tests/check_includes_test.sh scripts/check_includes.sh; do
	echo "==== $t"
	if ./"$t"; then
		inc_passed=$((inc_passed + 1))
	else
		inc_failed+=("$t")
	fi
done

# The repository alone: a clone of the current commit into an empty temporary
# directory (nothing beside it) refers to no path outside itself in any tracked
# file (markdown prose aside), builds, and passes there the unit tests that read
# the captured vectors. Uncommitted changes are not in the clone. One test.
# Bounded: each step is under `timeout`.
self_contained() {
	local tmp rc=0 head hits
	local t='tests/test_pap_addr tests/test_pap_vectors tests/test_pap_roundtrip tests/test_pap_hostile tests/test_ota_wsp tests/test_ota_wdp tests/test_ota_wbxml tests/test_smpp tests/test_db_schema tests/test_db_push tests/test_db_sip'
	head=$(git -C "$top" rev-parse --verify HEAD) || { echo "self-contained: $top is not a git checkout"; return 1; }
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/ppgd-clone.XXXXXX") || return 1
	if ! timeout 300 git clone --quiet --no-local "$top" "$tmp/ppgd" ||
	    ! git -C "$tmp/ppgd" checkout --quiet --detach "$head"; then
		echo "self-contained: cannot clone $top at $head"
		rm -rf "$tmp"
		return 1
	fi
	# The patterns are written so that this file does not match them.
	hits=$(git -C "$tmp/ppgd" grep -n -I -E '\.\./shared|/work/share[d]' -- . ':(exclude)*.md' ':(exclude)README' ':(exclude)*/README')
	if [ -n "$hits" ]; then
		echo "self-contained: tracked files refer to the shared folder beside the repository:"
		echo "$hits"
		rc=1
	fi
	if [ $rc -eq 0 ]; then
		(cd "$tmp/ppgd" && BUILD_DIR=build timeout 900 ./scripts/build.sh >"$tmp/build.out" 2>&1) || {
			echo "self-contained: the clone does not build (last lines of its output):"
			tail -n 30 "$tmp/build.out"
			rc=1
		}
	fi
	if [ $rc -eq 0 ]; then
		# only these programs are built (check_PROGRAMS), then run one at a time
		(cd "$tmp/ppgd/build" && timeout 600 make -j2 $t >"$tmp/check.out" 2>&1 &&
			timeout 600 make check TESTS="$t" check_PROGRAMS="$t" >>"$tmp/check.out" 2>&1) || {
			echo "self-contained: the clone's vector tests fail:"
			tail -n 30 "$tmp/check.out"
			cat "$tmp/ppgd/build/tests"/test_*.log 2>/dev/null | grep -E 'cannot (read|open)|FAILED|^\s+(tests|asserts)\s' | head -n 40
			rc=1
		}
	fi
	[ $rc -eq 0 ] && grep -E '^# (TOTAL|PASS|FAIL):' "$tmp/check.out"
	rm -rf "$tmp"
	return $rc
}

echo "==== self-contained: a clone alone builds and passes the vector tests"
self_passed=0
self_failed=0
if self_contained; then
	self_passed=1
else
	self_failed=1
fi

# A short run of every libFuzzer target (scripts/fuzz.sh, FUZZ_SECONDS each,
# default 10: about 70 s for 7 targets once built; no crash, leak or
# timeout). One test; skipped (not counted) when clang cannot link
# -fsanitize=fuzzer.
fuzz_passed=0
fuzz_failed=0
fuzz_available() {
	command -v clang >/dev/null 2>&1 || return 1
	local d
	d=$(mktemp -d "${TMPDIR:-/tmp}/ppgd-fuzzcheck.XXXXXX") || return 1
	printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$d/t.c"
	clang -fsanitize=fuzzer "$d/t.c" -o "$d/t" >/dev/null 2>&1
	local rc=$?
	rm -rf "$d"
	return $rc
}
if fuzz_available; then
	echo "==== fuzz: every target for ${FUZZ_SECONDS:-10} s (scripts/fuzz.sh)"
	if FUZZ_SECONDS=${FUZZ_SECONDS:-10} ./scripts/fuzz.sh; then
		fuzz_passed=1
	else
		fuzz_failed=1
	fi
else
	echo "==== fuzz: skipped (clang with -fsanitize=fuzzer not available)"
fi

build_failures=0
check_failed=()
for b in build build-asan; do
	args=()
	if [ "$b" = build-asan ]; then
		args=(--enable-sanitizers)
	fi
	rm -f "$b"/tests/*.trs "$b"/tests/*.log   # no stale results from an earlier run
	echo "==== $b: build"
	if ! BUILD_DIR=$b ./scripts/build.sh "${args[@]}"; then
		echo "==== $b: BUILD FAILED"
		build_failures=$((build_failures + 1))
		continue
	fi
	# Build the test programs in parallel, then run them one at a time: the
	# integration suite measures response times.
	(cd "$b" && make -j2 check TESTS=) || { build_failures=$((build_failures + 1)); continue; }
	echo "==== $b: make check"
	(cd "$b" && make check VERBOSE=1) || check_failed+=("$b")
done

# make install DESTDIR=tmp from build/: the file list, the unit under
# systemd-analyze verify, the man pages under man -l. One test.
echo "==== tests/test_install.sh"
install_passed=0
install_failed=0
if [ -f build/Makefile ] && ./tests/test_install.sh build; then
	install_passed=1
else
	install_failed=1
fi

# The Debian package of HEAD: dpkg-buildpackage in a clone, contents, lintian
# (errors fail), dpkg -i, the installed ppgd started, dpkg --purge. One test.
echo "==== tests/test_deb.sh"
deb_passed=0
deb_failed=0
if timeout 2400 ./tests/test_deb.sh; then
	deb_passed=1
else
	deb_failed=1
fi

# Count: a CUnit program contributes its "tests" summary line (Passed, Failed);
# a program that failed without a CUnit failure (crash, sanitizer report at exit,
# non-CUnit test) counts one more failure; one without a summary counts as one.
passed=0
failed=0
failed_logs=()
for b in build build-asan; do
	before=$failed
	for trs in "$b"/tests/*.trs; do
		[ -f "$trs" ] || continue
		log=${trs%.trs}.log
		result=$(sed -n 's/^:test-result: //p' "$trs" | head -n 1)
		summary=$(grep -E '^[[:space:]]+tests[[:space:]]+[0-9]+' "$log" 2>/dev/null | tail -n 1)
		p=0
		f=0
		if [ -n "$summary" ]; then
			# "tests  Total  Ran  Passed  Failed  Inactive"
			read -r _ _ _ p f _ <<<"$summary"
		fi
		if [ "$result" = PASS ] || [ "$result" = XFAIL ] || [ "$result" = SKIP ]; then
			[ -n "$summary" ] || p=1
		else
			failed_logs+=("$log")
			if [ -z "$summary" ] || [ "$f" -eq 0 ]; then
				f=$((f + 1))
			fi
		fi
		passed=$((passed + p))
		failed=$((failed + f))
	done
	# make check failed but no test did (e.g. a build error on the way).
	for c in "${check_failed[@]}"; do
		if [ "$c" = "$b" ] && [ "$failed" -eq "$before" ]; then
			echo "FAILED: make check in $b (see above)"
			failed=$((failed + 1))
		fi
	done
done
failed=$((failed + build_failures))
passed=$((passed + inc_passed + self_passed + install_passed + deb_passed + fuzz_passed))
failed=$((failed + ${#inc_failed[@]} + self_failed + install_failed + deb_failed + fuzz_failed))

if [ ${#failed_logs[@]} -gt 0 ]; then
	for log in "${failed_logs[@]}"; do
		echo "FAILED: $log (printed above by make check VERBOSE=1)"
	done
fi
for t in "${inc_failed[@]}"; do
	echo "FAILED: $t (its output is printed above, at the start)"
done
if [ "$fuzz_failed" -ne 0 ]; then
	echo "FAILED: fuzz (scripts/fuzz.sh; printed above, at the start)"
fi
if [ "$deb_failed" -ne 0 ]; then
	echo "FAILED: tests/test_deb.sh (the .deb; printed above, after the builds)"
fi
if [ "$self_failed" -ne 0 ]; then
	echo "FAILED: self-contained check (a clone of this commit alone; printed above, at the start)"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
