# Helpers for CLI tests: each check prints "PASS name" or "FAIL name" with
# what differed. Source it; $CRIU is the binary under test.
: "${CRIU:?CRIU must point at the criu binary}"
T_TMP=$(mktemp -d /tmp/criu-test.XXXXXX)
trap 'rm -rf "$T_TMP"' EXIT

# expect NAME WANT_RC PATTERN -- COMMAND...: runs COMMAND, checks its exit
# status and that its stdout+stderr match the extended regex PATTERN.
expect() {
	local name=$1 want_rc=$2 pattern=$3 out rc
	shift 4
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" != "$want_rc" ]; then
		echo "    $*: exit status $rc, expected $want_rc; output:"
		printf '%s\n' "$out" | sed 's/^/      /' | head -n 20
		echo "FAIL $name"
	elif [ -n "$pattern" ] && ! printf '%s\n' "$out" | grep -Eq -- "$pattern"; then
		echo "    $*: output does not match /$pattern/; output:"
		printf '%s\n' "$out" | sed 's/^/      /' | head -n 20
		echo "FAIL $name"
	else
		echo "PASS $name"
	fi
}

# verdict NAME CONDITION-COMMAND... [-- message]: PASS if the command succeeds.
verdict() {
	local name=$1
	shift
	if "$@"; then echo "PASS $name"; else echo "    failed: $*"; echo "FAIL $name"; fi
}

# ---- processes for dump/restore tests (root, under a child subreaper) ----

# spawn CMD...: starts CMD in its own session with no fds but stdio on
# /dev/null; sets $SPAWNED to its pid.
spawn() {
	(
		for fd in /proc/$BASHPID/fd/*; do
			fd=${fd##*/}
			[ "$fd" -gt 2 ] && eval "exec $fd>&-"
		done
		exec setsid "$@" </dev/null >/dev/null 2>&1
	) &
	SPAWNED=$!
	disown "$SPAWNED" # no job notices when tests kill it
	sleep 0.3
}

alive() { [ -n "$1" ] && [ -d "/proc/$1" ] && ! grep -q '^State:.*[ZX]' "/proc/$1/status" 2>/dev/null; }
state() { sed -n 's/^State:\s*\(.\).*/\1/p' "/proc/$1/status" 2>/dev/null; }
# state_becomes PID S: the task's state letter is S within 5 s (a resumed
# task takes a moment to be scheduled and sleep again)
state_becomes() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(state "$1")" = "$2" ] && return 0
		sleep 0.05
	done
	echo "    pid $1 is in state $(state "$1"), not $2"
	return 1
}
tracer() { sed -n 's/^TracerPid:\s*//p' "/proc/$1/status" 2>/dev/null; }
# counter_of FILE: the number in FILE (the writer truncates it first: retry while empty)
counter_of() {
	local v i
	for ((i = 0; i < 50; i++)); do
		v=$(cat "$1" 2>/dev/null)
		[ -n "$v" ] && { echo "$v"; return; }
		sleep 0.01
	done
	echo 0
}
# grows FILE: the counter in FILE goes up within 3 s
grows() {
	local before i
	before=$(counter_of "$1")
	for ((i = 0; i < 60; i++)); do
		[ "$(counter_of "$1")" -gt "$before" ] 2>/dev/null && return 0
		sleep 0.05
	done
	echo "    counter in $1 stuck at $before"
	return 1
}

# gone PID: waits up to 5 s for it to stop running
gone() {
	local i
	for ((i = 0; i < 100; i++)); do alive "$1" || return 0; sleep 0.05; done
	return 1
}
# killtree PID: SIGKILL to its session; waits until the pid is reaped and free again
killtree() {
	local i
	pkill -9 -s "$1" 2>/dev/null
	kill -9 "$1" 2>/dev/null
	# gone and reaped, and no member of its session left (a zombie keeps the id in use)
	for ((i = 0; i < 600; i++)); do # a loaded machine may take a while to reap
		[ -d "/proc/$1" ] || [ -n "$(pgrep -s "$1")" ] || return 0
		sleep 0.025
	done
	echo "    pid $1 was not reaped"
	return 1
}
