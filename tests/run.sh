#!/bin/bash
# Runs the whole suite: unit programs, CLI scripts, client programs, fuzzers.
# Every test prints "PASS name", "FAIL name" or "SKIP name: reason"; this
# script counts them and ends with "N passed, N failed, N skipped". A program
# that exits non-zero without a FAIL line counts as a failure too.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
export CRIU="$PWD/$BUILD/criu"
export TOP="$PWD"
LOGS="$PWD/$BUILD/test-logs"
rm -rf "$LOGS" && mkdir -p "$LOGS"

pass=0 fail=0 skip=0
failed_names=()

# run_one NAME COMMAND...: runs a test program and counts its verdict lines.
run_one() {
	local name=$1 log="$LOGS/$1.log" rc p f s
	shift
	echo "== $name"
	timeout --kill-after=10 600 "$@" >"$log" 2>&1 </dev/null
	rc=$?
	sed 's/^/  /' "$log" | grep -v '^  PASS ' || true
	p=$(grep -c '^PASS ' "$log")
	f=$(grep -c '^FAIL ' "$log")
	s=$(grep -c '^SKIP ' "$log")
	grep '^FAIL ' "$log" | sed "s/^FAIL /$name: /" | while read -r l; do echo "  failed: $l"; done
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "FAIL $name: exited with status $rc (log: $log)"
		f=1
	fi
	if [ $((p + f + s)) = 0 ]; then
		echo "FAIL $name: ran no test (log: $log)"
		f=1
	fi
	echo "   $p passed, $f failed, $s skipped"
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	[ "$f" = 0 ] || failed_names+=("$name")
}

# run_fuzzer BIN: runs a libFuzzer binary for FUZZ_SECONDS on a copy of its corpus.
run_fuzzer() {
	local bin=$1 name corpus work log runs
	name=$(basename "$bin")
	corpus="tests/fuzz/corpus/$name"
	work="$PWD/$BUILD/fuzz-work/$name"
	log="$LOGS/$name.log"
	rm -rf "$work" && mkdir -p "$work/corpus" "$work/artifacts"
	[ -d "$corpus" ] && cp -r "$corpus/." "$work/corpus/"
	echo "== $name (${FUZZ_SECONDS}s)"
	"$bin" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$work/artifacts/" "$work/corpus" >"$log" 2>&1 </dev/null
	local rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	if [ "$rc" = 0 ] && [ -n "$runs" ]; then
		echo "PASS $name: $runs executions in ${FUZZ_SECONDS}s, $(ls "$work/corpus" | wc -l) corpus inputs"
		pass=$((pass + 1))
	else
		echo "FAIL $name: status $rc; log $log; crash inputs in $work/artifacts/"
		grep -m 5 -E 'ERROR|SUMMARY|Assertion' "$log" | sed 's/^/  /'
		fail=$((fail + 1))
		failed_names+=("$name")
	fi
}

for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] && run_one "$(basename "$t")" "$t"
done
for t in tests/cli/*.sh; do
	[ -f "$t" ] && run_one "$(basename "$t" .sh)" bash "$t"
done
# the shell-job checks again from inside a pid namespace whose session leader
# is outside it, as when the suite itself runs in a container: /proc shows
# that session as 0 there
run_one cli_shell_job_in_pidns unshare --pid --fork --mount-proc "$BUILD/tests/subreaper" \
	bash tests/cli/cli_shell_job.sh
# the trust suites (make reliability): service privileges, planted symlinks,
# hostile images, criu killed at random instants
for t in tests/reliability/rel_*.sh; do
	[ -f "$t" ] && run_one "$(basename "$t" .sh)" bash "$t"
done
# feature programs: each one dumped and restored by the real binary
run_one features bash tests/features/run.sh
for t in "$BUILD"/tests/client/*; do
	[ -x "$t" ] && run_one "$(basename "$t")" "$t"
done
if [ "$FUZZ_SECONDS" != 0 ]; then
	for f in "$BUILD"/fuzz/fuzz_*; do
		[ -x "$f" ] && run_fuzzer "$f"
	done
fi

echo
[ ${#failed_names[@]} = 0 ] || echo "failed: ${failed_names[*]} (logs in $LOGS)"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
