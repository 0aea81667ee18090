#!/bin/bash
# make reliability: the trust suites of tests/reliability/rel_*.sh, each run
# by the real binary as root under a child subreaper. Each suite prints
# "PASS name"/"FAIL name" lines and "FIGURE name: value" lines (the numbers a
# reader compares: images tried, crashes, hangs, damaged workloads, ...).
# tests/run.sh runs the same suites as part of make check.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
export CRIU="$PWD/$BUILD/criu"
export TOP="$PWD"
LOGS="$PWD/$BUILD/test-logs"
mkdir -p "$LOGS"
pass=0 fail=0 skip=0
for t in tests/reliability/rel_*.sh; do
	[ -f "$t" ] || continue
	name=$(basename "$t" .sh)
	log="$LOGS/$name.log"
	echo "== $name"
	timeout --kill-after=10 600 bash "$t" >"$log" 2>&1 </dev/null
	rc=$?
	grep -E '^(FAIL|SKIP|FIGURE) ' "$log" | sed 's/^/  /'
	p=$(grep -c '^PASS ' "$log")
	f=$(grep -c '^FAIL ' "$log")
	s=$(grep -c '^SKIP ' "$log")
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "  FAIL $name: exited with status $rc (log: $log)"
		f=1
	fi
	echo "   $p passed, $f failed, $s skipped (log: $log)"
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
done
echo
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
