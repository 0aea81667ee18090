#!/bin/bash
# --shell-job (-j): a process that runs in the session and process group of
# the shell that started it (not a session leader).
#   * without -j, dump refuses it, naming its pid and session, and it goes on;
#   * with -j it is dumped and restored (restore -d -j): it comes back in the
#     restoring criu's session and process group;
#   * restore without -j of such images is refused;
#   * so is the init of a new pid namespace left in the shell's session,
#     which its namespace shows as session 0;
#   * in a pty (script -qc), a job whose stdio is the session's terminal is
#     dumped with -j and restored onto criu's own terminal, where it can
#     still write (SKIP without script).
# Needs root and a child subreaper above it (make check runs it under one).
. "$TOP/tests/lib/cli.sh"

sid_of() { ps -o sid= -p "$1" | tr -d ' '; }
pgid_of() { ps -o pgid= -p "$1" | tr -d ' '; }
# reaped PID: waits up to 5 s until the pid is free again
reaped() {
	local i
	for ((i = 0; i < 200; i++)); do [ -d "/proc/$1" ] || return 0; sleep 0.025; done
	return 1
}
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

# ---- a child of this shell: same session and process group as the test ----
(
	for fd in /proc/$BASHPID/fd/*; do
		fd=${fd##*/}
		[ "$fd" -gt 2 ] && eval "exec $fd>&-"
	done
	exec sleep 1000 </dev/null >/dev/null 2>&1
) &
pid=$!
disown "$pid" # no job notices when it is killed
sleep 0.3
my_sid=$(sid_of $$)
my_pgid=$(pgid_of $$)
verdict job_not_session_leader test "$(sid_of "$pid")" = "$my_sid" -a "$my_sid" != "$pid"

mkdir -p "$T_TMP/refused"
expect dump_refused_without_shell_job 1 "pid $pid is not a session leader: its session .*--shell-job" -- \
	"$CRIU" dump -t "$pid" -D "$T_TMP/refused" -o dump.log
verdict refused_job_alive alive "$pid"
verdict refused_job_untraced test "$(tracer "$pid")" = 0
verdict refused_no_inventory test ! -e "$T_TMP/refused/inventory.img"

mkdir -p "$T_TMP/sj"
expect dump_shell_job 0 '' -- "$CRIU" dump -j -t "$pid" -D "$T_TMP/sj" -o dump.log -v4
verdict dump_shell_job_gone reaped "$pid"
expect restore_refused_without_shell_job 1 'dumped as a shell job; restore it with --shell-job' -- \
	"$CRIU" restore -d -D "$T_TMP/sj" -o restore-no-j.log
verdict restore_refused_nothing_left gone "$pid"
expect restore_shell_job 0 '' -- "$CRIU" restore -d --shell-job -D "$T_TMP/sj" -o restore.log -v4
verdict restored_alive alive "$pid"
verdict restored_in_criu_session test "$(sid_of "$pid")" = "$my_sid"
verdict restored_in_criu_group test "$(pgid_of "$pid")" = "$my_pgid"
verdict restored_untraced test "$(tracer "$pid")" = 0
killtree "$pid"

# ---- a job of an interactive-like shell: its own process group, the shell's session ----
(
	for fd in /proc/$BASHPID/fd/*; do
		fd=${fd##*/}
		[ "$fd" -gt 2 ] && eval "exec $fd>&-"
	done
	exec python3 -c 'import os, time; os.setpgid(0, 0); time.sleep(1000)' </dev/null >/dev/null 2>&1
) &
pid=$!
disown "$pid"
for ((i = 0; i < 100; i++)); do [ "$(pgid_of "$pid")" = "$pid" ] && break; sleep 0.05; done
mkdir -p "$T_TMP/grp"
expect dump_own_group_refused 1 "pid $pid is not a session leader" -- "$CRIU" dump -t "$pid" -D "$T_TMP/grp" -o d0.log
expect dump_own_group_shell_job 0 '' -- "$CRIU" dump -j -t "$pid" -D "$T_TMP/grp" -o dump.log -v4
reaped "$pid"
expect restore_own_group_shell_job 0 '' -- "$CRIU" restore -d -j -D "$T_TMP/grp" -o restore.log -v4
verdict own_group_session test "$(sid_of "$pid")" = "$my_sid"
verdict own_group_kept test "$(pgid_of "$pid")" = "$pid"
killtree "$pid"

# ---- the init of a new pid namespace, left in the shell's session: inside
# its namespace /proc shows that session as 0 (its leader is outside) ----
spawn_plain() {
	(
		for fd in /proc/$BASHPID/fd/*; do
			fd=${fd##*/}
			[ "$fd" -gt 2 ] && eval "exec $fd>&-"
		done
		exec "$@" </dev/null >/dev/null 2>&1
	) &
	SPAWNED=$!
	disown "$SPAWNED"
}
spawn_plain unshare --pid --fork sleep 1000
for ((i = 0; i < 100; i++)); do
	pid=$(pgrep -P "$SPAWNED" sleep) && break
	sleep 0.05
done
verdict nsinit_session_zero test "$(awk '/^NSsid:/ {print $NF}' "/proc/$pid/status")" = 0
mkdir -p "$T_TMP/nsinit"
expect nsinit_refused 1 "pid $pid is not a session leader: its session is led by a process outside its pid namespace" -- \
	"$CRIU" dump -t "$pid" -D "$T_TMP/nsinit" -o d0.log
verdict nsinit_refused_alive alive "$pid"
expect nsinit_dump_shell_job 0 '' -- "$CRIU" dump -j -t "$pid" -D "$T_TMP/nsinit" -o dump.log -v4
reaped "$pid"
expect nsinit_restore_shell_job 0 '' -- "$CRIU" restore -d -j -D "$T_TMP/nsinit" -o restore.log -v4 \
	--pidfile "$T_TMP/nsinit.pid"
pid=$(cat "$T_TMP/nsinit.pid" 2>/dev/null)
verdict nsinit_restored_alive alive "$pid"
verdict nsinit_restored_is_init test "$(awk '/^NSpid:/ {print $NF}' "/proc/$pid/status")" = 1
verdict nsinit_in_criu_session test "$(sid_of "$pid")" = "$my_sid"
killtree "$pid"
kill -9 "$SPAWNED" 2>/dev/null

# ---- in a pty: the controlling terminal ----
if ! command -v script >/dev/null; then
	echo "SKIP shell_job_tty: script (bsdutils) is not installed"
	exit 0
fi
cat >"$T_TMP/in_pty.sh" <<EOF
# runs in the session of script's pty; results go to $T_TMP/tty.*
exec 2>"$T_TMP/tty.err"
tty >"$T_TMP/tty.name"
ps -o sid= -p \$\$ | tr -d " " >"$T_TMP/tty.shell" # the session of the pty
# without job control a background job's stdin is /dev/null unless redirected
sleep 1000 0<&0 &
p=\$!
echo \$p >"$T_TMP/tty.pid"
sleep 0.3
readlink /proc/\$p/fd/0 >"$T_TMP/tty.fd0.before"
readlink /proc/\$p/fd/1 >"$T_TMP/tty.fd1.before"
"$CRIU" dump -t \$p -D "$T_TMP/tty-norefuse" -o dump.log >/dev/null 2>&1; echo \$? >"$T_TMP/tty.rc.noj"
mkdir -p "$T_TMP/tty-img"
"$CRIU" dump -j -t \$p -D "$T_TMP/tty-img" -o dump.log -v4 >/dev/null 2>&1; echo \$? >"$T_TMP/tty.rc.dump"
wait \$p 2>/dev/null
"$CRIU" restore -d -j -D "$T_TMP/tty-img" -o restore.log -v4 >/dev/null 2>&1; echo \$? >"$T_TMP/tty.rc.restore"
readlink /proc/\$p/fd/0 >"$T_TMP/tty.fd0.after"
readlink /proc/\$p/fd/1 >"$T_TMP/tty.fd1.after"
ps -o sid=,tty= -p \$p >"$T_TMP/tty.ps.after"
"$CRIU" exec -t \$p write 1 '&marker-from-restored-job
' 26 >"$T_TMP/tty.exec" 2>&1
sleep 0.3
kill -9 \$p
EOF
mkdir -p "$T_TMP/tty-norefuse"
script -qec "bash $T_TMP/in_pty.sh" "$T_TMP/tty.typescript" </dev/null >"$T_TMP/tty.out" 2>&1
tty_name=$(cat "$T_TMP/tty.name" 2>/dev/null)
shell=$(cat "$T_TMP/tty.shell" 2>/dev/null)
case "$tty_name" in
/dev/pts/*) ;;
*)
	echo "SKIP shell_job_tty: no pty inside script ($tty_name; $(head -c 200 "$T_TMP/tty.err" 2>/dev/null))"
	exit 0
	;;
esac
verdict tty_job_on_terminal test "$(cat "$T_TMP/tty.fd0.before") $(cat "$T_TMP/tty.fd1.before")" = \
	"$tty_name $tty_name"
verdict tty_dump_refused_without_j test "$(cat "$T_TMP/tty.rc.noj")" = 1
verdict tty_dump_shell_job test "$(cat "$T_TMP/tty.rc.dump")" = 0
verdict tty_restore_shell_job test "$(cat "$T_TMP/tty.rc.restore")" = 0
verdict tty_restored_stdin test "$(cat "$T_TMP/tty.fd0.after")" = "$tty_name"
verdict tty_restored_stdout test "$(cat "$T_TMP/tty.fd1.after")" = "$tty_name"
verdict tty_restored_session test "$(awk '{print $1}' "$T_TMP/tty.ps.after")" = "$shell"
verdict tty_restored_ctty test "/dev/$(awk '{print $2}' "$T_TMP/tty.ps.after")" = "$tty_name"
verdict tty_write_reaches_terminal grep -q 'marker-from-restored-job' "$T_TMP/tty.typescript"
if ! grep -q 'marker-from-restored-job' "$T_TMP/tty.typescript"; then
	echo "    logs: $T_TMP/tty-img/dump.log $T_TMP/tty-img/restore.log; exec: $(cat "$T_TMP/tty.exec")"
fi

# the verdicts above are the result, not the status of the last cleanup
exit 0
