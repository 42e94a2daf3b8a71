#!/bin/bash
# test.sh - the project's test command (CI runs it through .ci/run): installs
# what is missing, builds build/ and build-asan/ (AddressSanitizer and
# UndefinedBehaviorSanitizer), runs `make check` in both and ends with one
# line "N passed, N failed" summed over both builds. Before the builds it runs
# the include rules (scripts/check_includes.sh) and their self-test
# (tests/check_includes_test.sh); each counts as one test in that line. Exits
# non-zero on any failure.
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
passed=$((passed + inc_passed))
failed=$((failed + ${#inc_failed[@]}))

if [ ${#failed_logs[@]} -gt 0 ]; then
	for log in "${failed_logs[@]}"; do
		echo "FAILED: $log (printed above by make check VERBOSE=1)"
	done
fi
for t in "${inc_failed[@]}"; do
	echo "FAILED: $t (its output is printed above, at the start)"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
