#!/bin/bash
# criu killed with SIGKILL at instants spread over a dump and over a restore.
# Dump: the workload (kill_target, KILL_MIB MiB and threads blocked in
# nanosleep, pause and read) goes on exactly as if it had never been touched:
# same memory, mask and mappings, no tracer, no syscall returned wrongly.
# Restore: every task criu created dies with it, the checkpoint's pids are
# free again at once, and the next restore succeeds.
source "$TOP/tests/lib/cli.sh"
TARGET="$TOP/${BUILD:-build}/tests/reliability/kill_target"
N=${KILL_INSTANTS:-20}
MIB=${KILL_MIB:-256}

[ -x "$TARGET" ] || { echo "FAIL rel_kill: $TARGET is not built"; exit 0; }

wait_file() { # FILE: exists within 10 s
	local i
	for ((i = 0; i < 200; i++)); do [ -e "$1" ] && return 0; sleep 0.05; done
	return 1
}
# check_target DIR: asks the target to check itself; its verdict line in $v
SEQ=0
check_target() {
	local i line
	SEQ=$((SEQ + 1))
	printf c >"$1/cmd"
	for ((i = 0; i < 200; i++)); do
		line=$(cat "$1/status" 2>/dev/null)
		case "$line" in
		"ok $SEQ" | "damage $SEQ:"*) v=$line; return 0 ;;
		esac
		sleep 0.05
	done
	v="no answer to check $SEQ (last: $line)"
}
# settled DIR PID: no criu works on DIR any more and no thread of PID is traced (10 s)
settled() {
	local i t busy
	for ((i = 0; i < 200; i++)); do
		busy=$(pgrep -f -- "-D $1( |$)")
		for t in /proc/"$2"/task/*; do
			[ "$(sed -n 's/^TracerPid:\s*//p' "$t/status" 2>/dev/null)" = 0 ] || busy=1
		done
		[ -z "$busy" ] && return 0
		sleep 0.05
	done
	return 1
}
now_us() { echo $(($(date +%s%N) / 1000)); }
# timed CMD...: runs CMD; its status in $rc, its duration in $took_us
timed() {
	local t0
	t0=$(now_us)
	"$@" >/dev/null 2>&1
	rc=$?
	took_us=$(($(now_us) - t0))
}
# killed_at US CMD...: runs CMD, SIGKILLs it US microseconds in; its status in $rc
killed_at() {
	local us=$1 cp
	shift
	"$@" >/dev/null 2>&1 &
	cp=$!
	sleep_us "$us"
	kill -9 "$cp" 2>/dev/null
	wait "$cp" 2>/dev/null
	rc=$?
}
sleep_us() { sleep "$(printf '%d.%06d' $(($1 / 1000000)) $(($1 % 1000000)))"; }

# ---------------- dump ----------------
W=$T_TMP/dump-w IMG=$T_TMP/dump-img
mkdir -p "$W"
start_target() {
	rm -f "$W/ready" "$W/status"
	SEQ=0
	spawn "$TARGET" "$W" "$MIB"
	TPID=$SPAWNED
	wait_file "$W/ready" || echo "    the target did not get ready"
}
start_target
timed "$CRIU" dump -t "$TPID" -D "$IMG" -R -o dump.log -v4
dump_us=$took_us
check_target "$W"
if [ "$rc" != 0 ] || [ "${v%% *}" != ok ]; then
	echo "    a whole dump: status $rc, target: $v (log $IMG/dump.log)"
	echo "FAIL kill_dump_baseline"
else
	echo "PASS kill_dump_baseline"
fi
echo "FIGURE kill_dump_duration_ms: $((dump_us / 1000)) ($MIB MiB)"

damaged=0 interrupted=0 unsettled=0
for ((i = 0; i < N; i++)); do
	delay=$((dump_us * (2 * i + 1) / (2 * N)))
	rm -rf "$IMG" && mkdir -p "$IMG"
	killed_at "$delay" "$CRIU" dump -t "$TPID" -D "$IMG" -R -o dump.log -v4
	[ -e "$IMG/inventory.img" ] || interrupted=$((interrupted + 1))
	if ! settled "$IMG" "$TPID"; then
		unsettled=$((unsettled + 1))
		echo "    instant $i (${delay} us): a criu or a tracer is still there after 10 s"
		ps -eo pid,ppid,stat,args | grep -E "criu|kill_target" | grep -v grep | sed 's/^/      /'
	fi
	check_target "$W"
	if [ "${v%% *}" != ok ]; then
		damaged=$((damaged + 1))
		echo "    instant $i (${delay} us of ${dump_us}): $v"
		tail -n 5 "$IMG/dump.log" 2>/dev/null | sed 's/^/      /'
		killtree "$TPID"
		start_target
	fi
done
echo "FIGURE kill_dump_instants: $N ($interrupted before the checkpoint was complete)"
echo "FIGURE kill_dump_damaged_workloads: $damaged"
verdict kill_dump_no_damage [ "$damaged" = 0 ]
verdict kill_dump_no_tracer_left [ "$unsettled" = 0 ]
verdict kill_dump_instants_interrupted [ "$interrupted" -gt 0 ]
killtree "$TPID"

# ---------------- restore ----------------
W=$T_TMP/rst-w IMG=$T_TMP/rst-img
mkdir -p "$W" "$IMG"
# the tree to restore: the target and two children
spawn "$TARGET" "$W" 16 2
TPID=$SPAWNED
wait_file "$W/ready" || echo "    the target did not get ready"
PIDS="$TPID $(pgrep -P "$TPID" | tr '\n' ' ')"
if ! "$CRIU" dump -t "$TPID" -D "$IMG" -o dump.log >/dev/null 2>&1; then
	echo "    dump of the restore tree failed (log $IMG/dump.log)"
	echo "FAIL kill_restore_setup"
	exit 0
fi
for p in $PIDS; do gone "$p"; done
# reaped by the subreaper: wait until the pids are free
free_pids() {
	local i p busy
	for ((i = 0; i < ${2:-100}; i++)); do
		busy=
		for p in $1; do [ -d "/proc/$p" ] && busy="$busy $p"; done
		[ -z "$busy" ] && return 0
		sleep 0.05
	done
	echo "$busy"
	return 1
}
free_pids "$PIDS" >/dev/null
timed "$CRIU" restore -D "$IMG" -d -o restore.log -v4
rst_us=$took_us
SEQ=0
check_target "$W"
if [ "$rc" != 0 ] || [ "${v%% *}" != ok ]; then
	echo "    a whole restore: status $rc, target: $v (log $IMG/restore.log)"
	echo "FAIL kill_restore_baseline"
else
	echo "PASS kill_restore_baseline"
fi
echo "FIGURE kill_restore_duration_ms: $((rst_us / 1000))"
killtree "$TPID"
free_pids "$PIDS" >/dev/null

stuck=0 interrupted=0 resumed=0
for ((i = 0; i < N; i++)); do
	delay=$((rst_us * (2 * i + 1) / (2 * N)))
	busy=
	killed_at "$delay" "$CRIU" restore -D "$IMG" -d -o restore.log -v4
	if [ "$rc" = 0 ]; then
		# it finished first: the tree runs; take it down
		killtree "$TPID"
	else
		interrupted=$((interrupted + 1))
	fi
	# within 2 s every task it created is dead and reaped, unless criu was killed after it had
	# resumed the tree: then the tree runs as restored (it answers its check), and it is taken down
	if ! busy=$(free_pids "$PIDS" 40) && [ -d "/proc/$TPID" ] && check_target "$W" && [ "${v%% *}" = ok ]; then
		resumed=$((resumed + 1))
		killtree "$TPID"
		free_pids "$PIDS" >/dev/null
	elif [ -n "$busy" ]; then
		stuck=$((stuck + 1))
		echo "    instant $i (${delay} us of ${rst_us}): pids still taken:$busy"
		for p in $busy; do sed -n 's/^\(State\|PPid\|TracerPid\):/      '"$p"' &/p' "/proc/$p/status" 2>/dev/null; done
		for p in $busy; do kill -9 "$p" 2>/dev/null; done
		free_pids "$PIDS" >/dev/null
	fi
done
echo "FIGURE kill_restore_instants: $N ($interrupted before the restore was complete, $resumed of them after the tree was resumed)"
echo "FIGURE kill_restore_stuck_tasks: $stuck"
verdict kill_restore_nothing_left [ "$stuck" = 0 ]
verdict kill_restore_instants_interrupted [ "$interrupted" -gt 0 ]
# A failed restore (a fault after the tree is forked) returns at once and
# leaves nothing behind: no zombie for its caller, no pid of the checkpoint
# taken. Under --restore-sibling the root is the caller's own child, which
# the caller reaps, but the failure is as quick.
LEFT=("$TOP/${BUILD:-build}/tests/subreaper" --leftovers)
for point in restore-mm restore-resume; do
	out=$(CRIU_FAULT=$point "${LEFT[@]}" "$CRIU" restore -D "$IMG" -d -o restore-fail.log 2>/dev/null)
	set -- $out
	echo "FIGURE kill_failed_restore_${point}: ${3:-?} ms, ${2:-?} left to the caller"
	verdict "failed_restore_${point}_leaves_nothing" [ "${2:-x}" = 0 ]
	verdict "failed_restore_${point}_returns_at_once" [ "${3:-99999}" -lt 2000 ]
	free_pids "$PIDS" >/dev/null || echo "    pids still taken after the failed restore"
	out=$(CRIU_FAULT=$point "${LEFT[@]}" "$CRIU" restore -D "$IMG" -d --restore-sibling -o restore-fail.log 2>/dev/null)
	set -- $out
	echo "FIGURE kill_failed_restore_sibling_${point}: ${3:-?} ms"
	verdict "failed_restore_sibling_${point}_returns_at_once" [ "${3:-99999}" -lt 2000 ]
	free_pids "$PIDS" >/dev/null || echo "    pids still taken after the failed restore"
done

# the checkpoint is still whole and its pids free: a restore succeeds
SEQ=0
if "$CRIU" restore -D "$IMG" -d -o restore.log >/dev/null 2>&1 && check_target "$W" && [ "${v%% *}" = ok ]; then
	echo "PASS kill_restore_then_restore"
else
	echo "    restore after the kills failed (log $IMG/restore.log)"
	echo "FAIL kill_restore_then_restore"
fi
killtree "$TPID"
exit 0
