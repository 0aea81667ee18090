#!/bin/bash
# Runs every feature program through dump and restore:
#   start it in its own session, wait for DIR/ready, criu dump, check the tree
#   is gone, criu restore -d, send SIGUSR1, wait for DIR/result.
# Prints "PASS name" / "FAIL name" / "SKIP name: why" per program.
# Usage: run.sh [PROGRAM...]   (default: every program in $BUILD/tests/features)
# FEATURE_NODUMP=1 skips dump and restore: a check of the programs themselves.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CRIU=${CRIU:-$PWD/$BUILD/criu}
WORK=${FEATURE_WORK:-$PWD/$BUILD/feature-work}

wait_for() { # FILE SECONDS
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

pid_alive() { kill -0 "$1" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

run_feature() {
	local prog=$1 name dir pid result
	name=$(basename "$prog")
	dir="$WORK/$name"
	rm -rf "$dir" && mkdir -p "$dir/img"
	setsid "$prog" "$dir" </dev/null >/dev/null 2>&1 &
	pid=$!
	if ! wait_for "$dir/ready" 10; then
		echo "    $name: never got ready; $(cat "$dir/result" 2>/dev/null)"
		kill -9 "$pid" 2>/dev/null
		echo "FAIL $name"
		return
	fi
	pid=$(cat "$dir/pid")
	# a program may ask for extra options with a line "// criu-opts: --file-locks" in its source
	local opts=()
	if [ -f "tests/features/$name.c" ]; then
		# @DIR@: the program's directory; @TOPDIR@: the first component of the tree's path (/work)
		read -ra opts <<<"$(sed -n 's|^// criu-opts: *||p' "tests/features/$name.c" | head -n 1 |
			sed -e "s|@DIR@|$dir|g" -e "s|@TOPDIR@|/$(echo "$PWD" | cut -d/ -f2)|g")"
	fi
	# "// criu-expect: dump-refused": the dump must fail with an Error line and leave the program
	# running; the program then checks its own state (no restore)
	# "// criu-expect: dump-refused REGEX": and the refusal's Error line must match REGEX
	local refused= why=
	# "// criu-max-seconds: N": dump and restore must each take at most N seconds (a quadratic step shows)
	local max_s=
	[ -f "tests/features/$name.c" ] && max_s=$(sed -n 's|^// criu-max-seconds: *||p' "tests/features/$name.c" | head -n 1)
	local t0=$SECONDS
	[ -f "tests/features/$name.c" ] && grep -q '^// criu-expect: dump-refused' "tests/features/$name.c" && refused=1
	[ -n "$refused" ] && why=$(sed -n 's|^// criu-expect: dump-refused *||p' "tests/features/$name.c" | head -n 1)
	if [ -n "${FEATURE_NODUMP:-}" ]; then
		:
	elif [ -n "$refused" ]; then
		if "$CRIU" dump -t "$pid" -D "$dir/img" -o dump.log -v4 "${opts[@]}" >"$dir/dump.out" 2>&1; then
			echo "    $name: the dump succeeded but should have been refused (log $dir/img/dump.log)"
			kill -9 "$pid" 2>/dev/null
			echo "FAIL $name"
			return
		fi
		if ! grep -q Error "$dir/img/dump.log" || ! pid_alive "$pid"; then
			echo "    $name: refused dump: no Error line, or pid $pid gone (log $dir/img/dump.log)"
			kill -9 "$pid" 2>/dev/null
			echo "FAIL $name"
			return
		fi
		if [ -n "$why" ] && ! grep Error "$dir/img/dump.log" | grep -Eq -- "$why"; then
			echo "    $name: refused, but not for /$why/: $(grep -m1 Error "$dir/img/dump.log")"
			kill -9 "$pid" 2>/dev/null
			echo "FAIL $name"
			return
		fi
		echo "    $name: refused as expected: $(grep -m1 Error "$dir/img/dump.log")"
	elif ! "$CRIU" dump -t "$pid" -D "$dir/img" -o dump.log -v4 "${opts[@]}" >"$dir/dump.out" 2>&1; then
		echo "    $name: dump failed: $(grep -m1 Error "$dir/img/dump.log") (log $dir/img/dump.log)"
		kill -9 "$pid" 2>/dev/null
		echo "FAIL $name"
		return
	fi
	if [ -n "$max_s" ] && ((SECONDS - t0 > max_s)); then
		echo "    $name: the dump took $((SECONDS - t0)) s, more than $max_s s"
		kill -9 "$pid" 2>/dev/null
		echo "FAIL $name"
		return
	fi
	for ((i = 0; i < 100; i++)); do [ -z "${FEATURE_NODUMP:-}${refused}" ] && pid_alive "$pid" || break; sleep 0.05; done
	t0=$SECONDS
	if [ -n "${FEATURE_NODUMP:-}${refused}" ]; then
		:
	elif pid_alive "$pid"; then
		echo "    $name: pid $pid still runs after dump"
		kill -9 "$pid"
		echo "FAIL $name"
		return
	fi
	if [ -n "${FEATURE_NODUMP:-}${refused}" ]; then
		:
	elif ! "$CRIU" restore -d -D "$dir/img" -o restore.log -v4 --pidfile "$dir/restored.pid" "${opts[@]}" \
		>"$dir/restore.out" 2>&1; then
		echo "    $name: restore failed: $(grep -m1 Error "$dir/img/restore.log") (log $dir/img/restore.log)"
		echo "FAIL $name"
		return
	elif [ -n "$max_s" ] && ((SECONDS - t0 > max_s)); then
		echo "    $name: the restore took $((SECONDS - t0)) s, more than $max_s s"
		kill -9 "$(cat "$dir/restored.pid")" 2>/dev/null
		echo "FAIL $name"
		return
	elif [ "$(cat "$dir/restored.pid" 2>/dev/null)" != "$pid" ]; then
		# the root was born in a new pid namespace: its host pid is another
		pid=$(cat "$dir/restored.pid")
		echo "    $name: restored root is pid $pid"
	fi
	kill -USR1 "$pid"
	if ! wait_for "$dir/result" 30; then
		echo "    $name: no verdict after restore (out: $(tail -n 3 "$dir/out.log" | tr '\n' ' ');" \
			"pid $pid: $(grep -s '^State' "/proc/$pid/status" || echo gone))"
		kill -9 "$pid" 2>/dev/null
		echo "FAIL $name"
		return
	fi
	result=$(cat "$dir/result")
	case "$result" in
	PASS*) echo "PASS $name" ;;
	SKIP*) echo "SKIP $name: ${result#SKIP }" ;;
	*)
		echo "    $name: $result"
		echo "FAIL $name"
		;;
	esac
	kill -9 "$pid" 2>/dev/null
}

if [ $# -gt 0 ]; then
	progs=("$@")
else
	progs=("$BUILD"/tests/features/*)
fi
for p in "${progs[@]}"; do
	[ -x "$p" ] && run_feature "$p"
done
exit 0
