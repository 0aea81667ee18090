#!/bin/bash
# criu exec -t PID SYSCALL ARGS...: one system call run inside a live task.
# getpid gives the task's pid; write with &text puts text in its stdout
# file; failed calls print the errno name; the task goes on untraced, in the
# state it was in (running or stopped); bad syscall names, too many
# arguments, bad arguments and a missing pid are refused with clear messages.
# Needs root.
. "$TOP/tests/lib/cli.sh"

# spawn OUT CMD...: starts CMD in its own session, stdout to OUT, no other fds; sets $SPAWNED.
spawn() {
	local out=$1
	shift
	(
		for fd in /proc/$BASHPID/fd/*; do
			fd=${fd##*/}
			[ "$fd" -gt 2 ] && eval "exec $fd>&-"
		done
		exec setsid "$@" </dev/null >"$out" 2>/dev/null
	) &
	SPAWNED=$!
	disown "$SPAWNED"
	sleep 0.3
}
sigblk() { sed -n 's/^SigBlk:\s*//p' "/proc/$1/status" 2>/dev/null; }
maps_count() { wc -l <"/proc/$1/maps"; }
killtree() {
	local i
	kill -9 "$1" 2>/dev/null
	for ((i = 0; i < 200; i++)); do
		[ -d "/proc/$1" ] || return 0
		sleep 0.025
	done
	echo "    pid $1 was not reaped"
	return 1
}

spawn "$T_TMP/out.txt" sleep 1000
pid=$SPAWNED
maps_before=$(maps_count "$pid")
blk_before=$(sigblk "$pid")

expect exec_getpid 0 "^Result = $pid\$" -- "$CRIU" exec -t "$pid" getpid
expect exec_by_number 0 "^Result = $pid\$" -- "$CRIU" exec -t "$pid" 39
expect exec_write_text 0 '^Result = 12$' -- "$CRIU" exec -t "$pid" write 1 '&hello world
' 12
verdict exec_text_in_file grep -qx 'hello world' "$T_TMP/out.txt"
expect exec_hex_args 0 '^Result = 3$' -- "$CRIU" exec -t "$pid" write 0x1 '&abc' 0x3
verdict exec_hex_text_in_file grep -q 'abc' "$T_TMP/out.txt"
expect exec_errno_name 0 '^Result = -2 \(ENOENT' -- "$CRIU" exec -t "$pid" open '&/no/such/file' 0
expect exec_ebadf 0 '^Result = -9 \(EBADF' -- "$CRIU" exec -t "$pid" close 77
# a negative number after "--" is an argument, not an option
expect exec_negative_arg 0 '^Result = -2 \(ENOENT' -- "$CRIU" exec -t "$pid" -- openat -100 '&/no/such/file' 0

verdict exec_task_alive alive "$pid"
verdict exec_not_traced test "$(tracer "$pid")" = 0
verdict exec_state_unchanged state_becomes "$pid" S
verdict exec_sigmask_unchanged test "$(sigblk "$pid")" = "$blk_before"
verdict exec_scratch_unmapped test "$(maps_count "$pid")" = "$maps_before"
verdict exec_cmdline bash -c "tr '\\0' ' ' </proc/$pid/cmdline | grep -q '^sleep 1000'"

# a stopped task stays stopped
kill -STOP "$pid"
sleep 0.1
expect exec_stopped_getpid 0 "^Result = $pid\$" -- "$CRIU" exec -t "$pid" getpid
sleep 0.1
verdict exec_stopped_stays_stopped test "$(state "$pid")" = T
verdict exec_stopped_not_traced test "$(tracer "$pid")" = 0
kill -CONT "$pid"
verdict exec_continued state_becomes "$pid" S

# errors
expect exec_unknown_syscall 1 'unknown system call: no_such_call' -- "$CRIU" exec -t "$pid" no_such_call
expect exec_too_many_args 1 'too many arguments for getpid: 7, at most 6' -- \
	"$CRIU" exec -t "$pid" getpid 1 2 3 4 5 6 7
expect exec_bad_arg 1 "argument 1 'zz' is neither a number nor &text" -- "$CRIU" exec -t "$pid" close zz
expect exec_no_syscall 1 'a system call is needed' -- "$CRIU" exec -t "$pid"
expect exec_no_pid 1 'a task is needed' -- "$CRIU" exec getpid
expect exec_bad_pid 1 'pid 4194000: no such process' -- "$CRIU" exec -t 4194000 getpid
expect exec_refuses_exit 1 'exit_group cannot be run with criu exec' -- "$CRIU" exec -t "$pid" exit_group 0
verdict exec_alive_after_errors alive "$pid"
verdict exec_untraced_after_errors test "$(tracer "$pid")" = 0

# a multi-threaded task: every thread is frozen and let go
cat >"$T_TMP/threads.py" <<EOF
import threading, time
def work():
    while True:
        time.sleep(0.01)
for i in range(3):
    threading.Thread(target=work, daemon=True).start()
time.sleep(1000)
EOF
spawn "$T_TMP/py.out" python3 "$T_TMP/threads.py"
py=$SPAWNED
for ((i = 0; i < 200; i++)); do # until python has started its threads
	[ "$(ls /proc/$py/task 2>/dev/null | wc -l)" = 4 ] && break
	sleep 0.05
done
expect exec_threads_getpid 0 "^Result = $py\$" -- "$CRIU" exec -t "$py" getpid
expect exec_threads_gettid 0 "^Result = $py\$" -- "$CRIU" exec -t "$py" gettid
untraced=1
for t in /proc/$py/task/*; do
	[ "$(sed -n 's/^TracerPid:\s*//p' "$t/status")" = 0 ] || untraced=0
done
verdict exec_threads_all_untraced test $untraced = 1
verdict exec_threads_count test "$(ls /proc/$py/task | wc -l)" = 4
killtree "$py"

killtree "$pid"

# the verdicts above are the result, not the status of the last cleanup
exit 0
