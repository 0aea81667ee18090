#!/bin/bash
# Dump and restore of real programs from the command line: sleep, a bash
# loop, python3 with threads, a 3-level tree, an unprivileged tree; three
# cycles in a row; --leave-running; pid files and stats; every fault-injection
# point (the tree survives a failed dump; a failed restore leaves nothing).
# Needs root and a child subreaper above it (make check runs it under one).
. "$TOP/tests/lib/cli.sh"

# dump_restore NAME PID [DUMP OPTS...]: dump (tree must go), restore -d (same pid back)
dump_restore() {
	local name=$1 pid=$2 dir="$T_TMP/$1"
	shift 2
	rm -rf "$dir" && mkdir -p "$dir"
	if ! "$CRIU" dump -t "$pid" -D "$dir" -o dump.log -v4 "$@" >"$dir/dump.out" 2>&1; then
		echo "    $name: dump failed: $(grep -m1 Error "$dir/dump.log")"
		return 1
	fi
	if ! gone "$pid"; then
		echo "    $name: pid $pid still runs after the dump"
		return 1
	fi
	if ! "$CRIU" restore -d -D "$dir" -o restore.log -v4 >"$dir/restore.out" 2>&1; then
		echo "    $name: restore failed: $(grep -m1 Error "$dir/restore.log")"
		return 1
	fi
	if ! alive "$pid"; then
		echo "    $name: pid $pid is not running after restore"
		return 1
	fi
	return 0
}

# ---- sleep ----
spawn sleep 1000
pid=$SPAWNED
if dump_restore sleep "$pid"; then
	verdict sleep_cmdline bash -c "tr '\\0' ' ' </proc/$pid/cmdline | grep -q '^sleep 1000'"
	verdict sleep_not_traced test "$(tracer "$pid")" = 0
	verdict sleep_state_sleeping state_becomes "$pid" S
	verdict stats_dump_written test -s "$T_TMP/sleep/stats-dump"
	verdict stats_restore_written test -s "$T_TMP/sleep/stats-restore"
else
	echo "FAIL sleep_roundtrip"
fi
killtree "$pid"

# ---- a sleep that a first checkpoint interrupted sits in restart_syscall: after a second checkpoint
# and a restore it must sleep on, not die of a stale restart block (criu's own waits leave none) ----
restart_ok=0
for i in 1 2 3; do
	spawn sleep 1000
	pid=$SPAWNED
	mkdir -p "$T_TMP/rs$i"
	"$CRIU" dump -t "$pid" -D "$T_TMP/rs$i" -R -o dump0.log >/dev/null 2>&1
	sleep 0.1
	"$CRIU" dump -t "$pid" -D "$T_TMP/rs$i" -o dump.log >/dev/null 2>&1
	for ((k = 0; k < 100; k++)); do [ -d "/proc/$pid" ] || break; sleep 0.05; done # reaped: its pid free
	if "$CRIU" restore -d -D "$T_TMP/rs$i" -o restore.log >/dev/null 2>&1; then
		sleep 0.3
		alive "$pid" && restart_ok=$((restart_ok + 1))
	fi
	killtree "$pid"
done
verdict restarted_sleep_survives_3_of_3 test "$restart_ok" = 3

# ---- stats: shared memory pages are counted apart (stats-dump shpages_written, as zdtm reads it);
# the dump takes --pre-dump-mode and --mntns-compat-mode, as zdtm passes them on every dump ----
spawn python3 -c "import mmap, time; m = mmap.mmap(-1, 1 << 20); m.write(b'x' * (1 << 20)); time.sleep(1000)"
pid=$SPAWNED
mkdir -p "$T_TMP/shstats"
expect stats_shared_pages 0 'Shared memory pages written: 256 ' -- \
	"$CRIU" dump -t "$pid" -D "$T_TMP/shstats" -R --display-stats -o dump.log --pre-dump-mode splice \
	--mntns-compat-mode
expect pre_dump_mode_checked 1 'splice or read' -- "$CRIU" dump -t "$pid" -D "$T_TMP/shstats" --pre-dump-mode fast
killtree "$pid"

# ---- a bash loop, three cycles ----
spawn bash -c "i=0; while :; do i=\$((i+1)); echo \$i > $T_TMP/bash.count; sleep 0.02; done"
pid=$SPAWNED
ok=1
for cycle in 1 2 3; do
	grows "$T_TMP/bash.count" || { ok=0; break; }
	before=$(counter_of "$T_TMP/bash.count")
	dump_restore "bash$cycle" "$pid" || { ok=0; break; }
	grows "$T_TMP/bash.count" || { ok=0; break; }
	after=$(counter_of "$T_TMP/bash.count")
	# it carries on from where it was, not from 0
	[ "$after" -ge "$before" ] || { echo "    cycle $cycle: counter went from $before to $after"; ok=0; break; }
done
verdict bash_loop_three_cycles test $ok = 1
killtree "$pid"

# ---- python3 with threads ----
cat >"$T_TMP/threads.py" <<EOF
import threading, time
counts = [0, 0, 0]
def work(i):
    while True:
        counts[i] += 1
        time.sleep(0.01)
for i in range(3):
    threading.Thread(target=work, args=(i,), daemon=True).start()
while True:
    with open("$T_TMP/py.count.tmp", "w") as f:
        f.write("%d\n" % min(counts))
    import os; os.rename("$T_TMP/py.count.tmp", "$T_TMP/py.count")
    time.sleep(0.05)
EOF
spawn python3 "$T_TMP/threads.py"
pid=$SPAWNED
sleep 0.5
threads_before=$(ls /proc/$pid/task | sort | tr '\n' ' ')
if dump_restore python "$pid"; then
	threads_after=$(ls /proc/$pid/task | sort | tr '\n' ' ')
	verdict python_same_tids test "$threads_before" = "$threads_after"
	verdict python_threads_run grows "$T_TMP/py.count"
else
	echo "FAIL python_roundtrip"
fi
killtree "$pid"

# ---- a tree of three levels ----
spawn bash -c "bash -c 'sleep 1000 & sleep 1000 & wait' & sleep 1000 & wait"
pid=$SPAWNED
sleep 0.3
# the root's parent is whoever restored it (-d): compare everything else
tree_of() { ps -o pid=,ppid=,pgid=,sid=,comm= --sid "$1" | awk -v r="$1" '$1 == r { $2 = "-" } { print }' | sort; }
tree_before=$(tree_of "$pid")
if dump_restore tree "$pid"; then
	tree_after=$(tree_of "$pid")
	verdict tree_same_pids_and_links test "$tree_before" = "$tree_after"
	verdict tree_has_three_levels test "$(echo "$tree_before" | wc -l)" -ge 5
else
	echo "FAIL tree_roundtrip"
fi
killtree "$pid"

# ---- unprivileged, no capabilities ----
if command -v setpriv >/dev/null; then
	spawn setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
		sleep 1000
	pid=$SPAWNED
	status_before=$(grep -E '^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):' /proc/$pid/status)
	if dump_restore unprivileged "$pid"; then
		status_after=$(grep -E '^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):' /proc/$pid/status)
		verdict unprivileged_creds test "$status_before" = "$status_after"
	else
		echo "FAIL unprivileged_roundtrip"
	fi
	killtree "$pid"
else
	echo "SKIP unprivileged: setpriv is not installed"
fi

# ---- --leave-running, then restore after killing the original ----
spawn bash -c "i=0; while :; do i=\$((i+1)); echo \$i > $T_TMP/lr.count; sleep 0.02; done"
pid=$SPAWNED
mkdir -p "$T_TMP/lr"
expect leave_running_dump 0 '' -- "$CRIU" dump -t "$pid" -D "$T_TMP/lr" -o dump.log -R
verdict leave_running_still_runs grows "$T_TMP/lr.count"
verdict leave_running_untraced test "$(tracer "$pid")" = 0
# the pid is taken: restore refuses, names it, and leaves the holder alone
expect restore_pid_in_use 1 "pid $pid: already in use" -- "$CRIU" restore -d -D "$T_TMP/lr" -o restore1.log
verdict pid_holder_unharmed grows "$T_TMP/lr.count"
killtree "$pid"
expect leave_running_restore 0 '' -- "$CRIU" restore -d -D "$T_TMP/lr" -o restore2.log --pidfile rst.pid
verdict leave_running_restored_runs grows "$T_TMP/lr.count"
verdict pidfile_written test "$(cat "$T_TMP/lr/rst.pid" 2>/dev/null)" = "$pid"
killtree "$pid"

# ---- --leave-running with a thread inside an rseq critical section: it goes on at the section's abort
# handler, as after any preemption (the rseq_cs feature program checks it; it fails if the section commits
# after the kernel cleared its rseq_cs) ----
F=$T_TMP/rseq_lr
mkdir -p "$F/img"
setsid "$TOP/${BUILD:-build}/tests/features/rseq_cs" "$F" </dev/null >/dev/null 2>&1 &
for ((i = 0; i < 100; i++)); do [ -e "$F/ready" ] && break; sleep 0.05; done
pid=$(cat "$F/pid")
expect rseq_leave_running_dump 0 '' -- "$CRIU" dump -t "$pid" -D "$F/img" -o dump.log -v4 -R
verdict rseq_leave_running_aborted grep -q 'inside the rseq critical section .*resumes at its abort handler' \
	"$F/img/dump.log"
kill -USR1 "$pid"
for ((i = 0; i < 100; i++)); do [ -e "$F/result" ] && break; sleep 0.05; done
verdict rseq_leave_running_section_aborted grep -qx PASS "$F/result"
[ -e "$F/result" ] && ! grep -qx PASS "$F/result" && echo "    $(cat "$F/result")"
kill -9 "$pid" 2>/dev/null

# ---- --leave-running with bytes queued in ptys: the dump reads them and puts them back (TIOCSTI); the
# tree that goes on reads the same lines, partial line and echo (the pty_queued feature program checks) ----
F=$T_TMP/ptyq_lr
mkdir -p "$F/img"
setsid "$TOP/${BUILD:-build}/tests/features/pty_queued" "$F" </dev/null >/dev/null 2>&1 &
for ((i = 0; i < 100; i++)); do [ -e "$F/ready" ] && break; sleep 0.05; done
pid=$(cat "$F/pid")
expect pty_queued_leave_running_dump 0 '' -- "$CRIU" dump -t "$pid" -D "$F/img" -o dump.log -v4 -R
kill -USR1 "$pid"
for ((i = 0; i < 100; i++)); do [ -e "$F/result" ] && break; sleep 0.05; done
verdict pty_queued_leave_running_kept grep -qx PASS "$F/result"
[ -e "$F/result" ] && ! grep -qx PASS "$F/result" && echo "    $(cat "$F/result")"
kill -9 "$pid" 2>/dev/null

# ---- --leave-stopped ----
spawn sleep 1000
pid=$SPAWNED
mkdir -p "$T_TMP/ls"
expect leave_stopped_dump 0 '' -- "$CRIU" dump -t "$pid" -D "$T_TMP/ls" -o dump.log -s
sleep 0.1
verdict leave_stopped_is_stopped test "$(state "$pid")" = T
killtree "$pid"
expect leave_stopped_restore 0 '' -- "$CRIU" restore -d -s -D "$T_TMP/ls" -o restore.log
sleep 0.1
verdict restore_leave_stopped_is_stopped test "$(state "$pid")" = T
kill -CONT "$pid"
verdict restore_continued state_becomes "$pid" S
killtree "$pid"

# ---- fault injection: a failed dump loses nothing ----
for point in dump-frozen dump-task dump-before-inventory; do
	spawn bash -c "i=0; while :; do i=\$((i+1)); echo \$i > $T_TMP/f.count; sleep 0.02; done"
	pid=$SPAWNED
	mkdir -p "$T_TMP/f-$point"
	CRIU_FAULT=$point expect "fault_${point}_fails" 1 "fault injected at $point" -- \
		"$CRIU" dump -t "$pid" -D "$T_TMP/f-$point" -o dump.log
	verdict "fault_${point}_tree_alive" alive "$pid"
	verdict "fault_${point}_untraced" test "$(tracer "$pid")" = 0
	verdict "fault_${point}_tree_runs" grows "$T_TMP/f.count"
	verdict "fault_${point}_no_inventory" test ! -e "$T_TMP/f-$point/inventory.img"
	expect "fault_${point}_refused_at_restore" 1 'not a complete checkpoint' -- \
		"$CRIU" restore -D "$T_TMP/f-$point"
	killtree "$pid"
done

# ---- fault injection: a failed restore leaves nothing and keeps the images ----
spawn sleep 1000
pid=$SPAWNED
mkdir -p "$T_TMP/rf"
"$CRIU" dump -t "$pid" -D "$T_TMP/rf" -o dump.log
gone "$pid"
sums_before=$(cd "$T_TMP/rf" && md5sum ./*.img | sort)
for point in restore-read restore-mm restore-resume; do
	CRIU_FAULT=$point expect "fault_${point}_fails" 1 "fault injected at $point" -- \
		"$CRIU" restore -d -D "$T_TMP/rf" -o "restore-$point.log"
	verdict "fault_${point}_names_phase" grep -q 'restore failed at phase [0-9]' "$T_TMP/rf/restore-$point.log"
	verdict "fault_${point}_nothing_left" gone "$pid"
done
verdict fault_restore_images_untouched test "$sums_before" = "$(cd "$T_TMP/rf" && md5sum ./*.img | sort)"
expect restore_after_faults 0 '' -- "$CRIU" restore -d -D "$T_TMP/rf" -o restore-ok.log
verdict restore_after_faults_runs alive "$pid"
killtree "$pid"

# ---- damaged images are refused before anything is created ----
spawn sleep 1000
pid=$SPAWNED
mkdir -p "$T_TMP/dmg"
"$CRIU" dump -t "$pid" -D "$T_TMP/dmg" -o dump.log
gone "$pid"
python3 - "$T_TMP/dmg/pages-1.img" <<'EOF'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[4096 + 100] ^= 0x40
open(p, "wb").write(b)
EOF
expect damaged_pages_refused 1 'pages-1.img.*CRC mismatch' -- "$CRIU" restore -d -D "$T_TMP/dmg" -o restore.log
verdict damaged_pages_nothing_left gone "$pid"

# ---- an fd of a kind the engine does not know (a vsock socket): refused, and the tree goes on ----
spawn python3 -c 'import socket, time; s = socket.socket(40, socket.SOCK_STREAM, 0); time.sleep(1000)'
pid=$SPAWNED
for ((i = 0; i < 100; i++)); do # until python has made its socket
	ls -l "/proc/$pid/fd" 2>/dev/null | grep -q 'socket:' && break
	sleep 0.05
done
mkdir -p "$T_TMP/unsup"
expect unsupported_fd_refused 1 "pid $pid fd 3: .*socket" -- "$CRIU" dump -t "$pid" -D "$T_TMP/unsup" -o dump.log
verdict unsupported_fd_tree_alive alive "$pid"
verdict unsupported_fd_untraced test "$(tracer "$pid")" = 0
verdict unsupported_fd_no_inventory test ! -e "$T_TMP/unsup/inventory.img"
killtree "$pid"

# ---- --link-remap: a file whose path was removed but that is still linked elsewhere ----
mkdir -p "$T_TMP/lr2"
echo hello >"$T_TMP/lr2/a"
ln "$T_TMP/lr2/a" "$T_TMP/lr2/b"
spawn python3 -c "import os, time; f = open('$T_TMP/lr2/a', 'r+'); os.unlink('$T_TMP/lr2/a'); time.sleep(1000)"
pid=$SPAWNED
for ((i = 0; i < 100; i++)); do
	ls -l "/proc/$pid/fd" 2>/dev/null | grep -q 'lr2/a (deleted)' && break
	sleep 0.05
done
mkdir -p "$T_TMP/lr2/img"
expect link_remap_needed 1 'other link.*--link-remap' -- "$CRIU" dump -t "$pid" -D "$T_TMP/lr2/img" -o dump1.log
verdict link_remap_refusal_keeps_tree alive "$pid"
expect link_remap_dump 0 '' -- "$CRIU" dump -t "$pid" -D "$T_TMP/lr2/img" -o dump2.log --link-remap
verdict link_remap_link_made bash -c "ls '$T_TMP/lr2' | grep -q '^link_remap\\.'"
gone "$pid"
expect link_remap_restore 0 '' -- "$CRIU" restore -d -D "$T_TMP/lr2/img" -o restore.log
ino_b=$(stat -c %i "$T_TMP/lr2/b")
fd_ino=$(for f in /proc/$pid/fd/*; do stat -L -c '%i' "$f" 2>/dev/null; done | grep -x "$ino_b")
verdict link_remap_same_inode test -n "$fd_ino"
verdict link_remap_link_removed bash -c "! ls '$T_TMP/lr2' | grep -q '^link_remap\\.'"
killtree "$pid"

# ---- stdio on a pipe held outside the tree, given back with --inherit-fd ----
mkdir -p "$T_TMP/inh"
(
	for fd in /proc/$BASHPID/fd/*; do
		fd=${fd##*/}
		[ "$fd" -gt 2 ] && eval "exec $fd>&-"
	done
	exec setsid bash -c 'i=0; while :; do i=$((i+1)); echo "line $i"; sleep 0.05; done' </dev/null 2>/dev/null
) | cat >"$T_TMP/inh/out1" &
pid=
for ((i = 0; i < 100; i++)); do
	# found, and past setsid (it leads its session)
	pid=$(pgrep -f -n 'echo "line') && [ "$(ps -o sid= -p "$pid" | tr -d ' ')" = "$pid" ] && break
	sleep 0.05
done
ino=$(stat -L -c %i "/proc/$pid/fd/1")
expect external_pipe_dump 0 '' -- "$CRIU" dump -t "$pid" -D "$T_TMP/inh" -o dump.log
gone "$pid"
exec 7> >(cat >"$T_TMP/inh/out2")
expect inherit_fd_restore 0 '' -- "$CRIU" restore -d -D "$T_TMP/inh" -o restore.log --inherit-fd "fd[7]:pipe:[$ino]"
exec 7>&-
sleep 0.5
verdict inherit_fd_output_goes_to_new_pipe grep -q '^line ' "$T_TMP/inh/out2"
verdict inherit_fd_counter_carries_on bash -c "[ \$(head -n1 '$T_TMP/inh/out2' | cut -d' ' -f2) -gt 1 ]"
expect inherit_fd_unknown_key 1 'not supported yet: --inherit-fd fd\[0\]:nonsense' -- \
	"$CRIU" restore -d -D "$T_TMP/inh" -o restore2.log --inherit-fd 'fd[0]:nonsense'
killtree "$pid"

# ---- --ghost-limit counts an unlinked file's data, not its size (as criu: st_blocks) ----
mkdir -p "$T_TMP/gh" "$T_TMP/gh2"
spawn bash -c "exec 3<>$T_TMP/gh/full; head -c 2M /dev/urandom >&3; rm $T_TMP/gh/full; exec sleep 1000"
pid=$SPAWNED
expect ghost_data_over_limit 1 'unlinked file .*full has 2[0-9]* bytes of data, more than --ghost-limit 1048576' -- \
	"$CRIU" dump -t "$pid" -D "$T_TMP/gh2" -o dump.log
verdict ghost_refusal_leaves_it_running kill -0 "$pid"
killtree "$pid"
spawn bash -c "exec 3<>$T_TMP/gh/sparse; printf data >&3; truncate -s 8M $T_TMP/gh/sparse; rm $T_TMP/gh/sparse; exec sleep 1000"
pid=$SPAWNED
# --no-ghost-fiemap asks for SEEK_DATA/SEEK_HOLE, which criu always uses: the same sparse ghost
expect ghost_no_fiemap_sparse 0 '' -- "$CRIU" dump -t "$pid" -D "$T_TMP/gh2" -o dump.log --no-ghost-fiemap --leave-running
# the lseeks that find the holes leave the running task's position where it was
verdict ghost_leave_running_pos grep -q '^pos:[[:space:]]*4$' "/proc/$pid/fdinfo/3"
expect ghost_sparse_under_limit 0 '' -- "$CRIU" dump -t "$pid" -D "$T_TMP/gh" -o dump.log
gone "$pid"
expect ghost_sparse_restore 0 '' -- "$CRIU" restore -d -D "$T_TMP/gh" -o restore.log
verdict ghost_sparse_size_and_blocks bash -c "[ \"\$(stat -L -c '%s %b' /proc/$pid/fd/3)\" = '8388608 8' ]"
killtree "$pid"

# the verdicts above are the result, not the status of the last cleanup
exit 0
