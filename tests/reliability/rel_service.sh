#!/bin/bash
# The unprivileged-client suite (issue 12, part 1): `criu service` runs as
# root, and an unprivileged user (criu-rel, made here once; nobody if
# useradd is missing) tries to make it run, load, open, dump or restore
# what it could not itself. Also the socket's mode, the worker limits, the
# idle timeout and a burst of 100 blocking and 100 non-blocking clients.
# Needs root and a child subreaper above it (tests/reliability/run.sh).
. "$TOP/tests/lib/cli.sh"
BUILD=${BUILD:-build}
CLIENT="$TOP/$BUILD/tests/reliability/rel_service_client"
if [ "$(id -u)" != 0 ]; then
	echo "SKIP rel_service: needs root"
	exit 0
fi
if [ ! -x "$CLIENT" ]; then
	echo "SKIP rel_service: $CLIENT is not built (make tests)"
	exit 0
fi

# ---- the unprivileged user ----
RUSER=criu-rel
if ! id -u "$RUSER" >/dev/null 2>&1; then
	useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$RUSER" \
		>/dev/null 2>&1 || id -u "$RUSER" >/dev/null 2>&1 || RUSER=nobody
fi
RUID=$(id -u "$RUSER") RGID=$(id -g "$RUSER")
# as_user CMD...: runs CMD as the user, no supplementary group, no capability
as_user() { setpriv --reuid="$RUID" --regid="$RGID" --clear-groups --inh-caps=-all -- "$@"; }
chmod 755 "$T_TMP"
U="$T_TMP/user" # the user's own directory
mkdir -p "$U" && chown "$RUID:$RGID" "$U"
ask() { as_user "$CLIENT" req "$@" 2>&1; } # ask SOCK TYPE FIELD=VALUE...: the answer line
say() { printf '%s\n' "$1" | sed 's/^/    /'; }

# ---- the service: root with root's group 0, as after a root login ----
# start_service NAME ARGS...: criu service on $T_TMP/NAME.sock; SVC its pid. 1 if it did not come up.
start_service() {
	local name=$1 i
	shift
	rm -f "$T_TMP/$name.sock"
	setpriv --groups=0 -- "$CRIU" service --address "$T_TMP/$name.sock" -v4 -o "$T_TMP/$name.log" "$@" \
		</dev/null >"$T_TMP/$name.out" 2>&1 &
	SVC=$!
	for ((i = 0; i < 100; i++)); do
		[ -S "$T_TMP/$name.sock" ] && return 0
		alive "$SVC" || break
		sleep 0.05
	done
	echo "    service $name did not come up: $(head -c 300 "$T_TMP/$name.out")"
	return 1
}
stop_service() { kill "$1" 2>/dev/null && wait "$1" 2>/dev/null; }
mode_of() { stat -c %a "$1" 2>/dev/null; }

# the default mode: root only
if start_service default; then
	verdict socket_mode_default_0600 test "$(mode_of "$T_TMP/default.sock")" = 600
	out=$(as_user "$CLIENT" req "$T_TMP/default.sock" version 2>&1)
	say "$out"
	verdict socket_default_refuses_users grep -q 'Permission denied' <<<"$out"
	stop_service "$SVC"
else
	echo "FAIL socket_mode_default_0600"
	echo "FAIL socket_default_refuses_users"
fi

# the main service: open to users by the operator's choice, small limits to test them
S="$T_TMP/main.sock"
if start_service main --address-mode 0666 --max-workers-per-uid 4 --idle-timeout 2; then
	verdict socket_mode_asked_0666 test "$(mode_of "$S")" = 666
else
	echo "FAIL socket_mode_asked_0666"
	# an older criu without --address-mode: run the rest against its default to see what it does
	start_service main || { echo "FAIL rel_service: no service"; exit 1; }
fi
MAIN=$SVC

# ---- what criu would run or load as root ----
# markers land where anyone may write: a plugin runs with the job's fs ids, a script as root
M="$T_TMP/markers"
mkdir -p "$M" && chmod 1777 "$M"
cat >"$U/evil.sh" <<EOF
#!/bin/sh
id -u >"$M/marker-\$1"
EOF
printf '#!/bin/sh\nexec %s/evil.sh action-script\n' "$U" >"$U/as.sh"
printf '#!/bin/sh\nexec %s/evil.sh hooks\n' "$U" >"$U/hook.sh"
chmod 755 "$U/evil.sh" "$U/as.sh" "$U/hook.sh"
printf '{"hooks": {"pre-dump": [{"path": "%s/hook.sh"}], "pre-restore": [{"path": "%s/hook.sh"}]}}\n' "$U" "$U" \
	>"$U/hooks.json"
mkdir -p "$U/plugins"
cat >"$U/evil.c" <<EOF
#include <stdio.h>
#include <unistd.h>
__attribute__((constructor)) static void evil(void)
{
	FILE *f = fopen("$M/marker-libdir", "w");

	if (f) {
		fprintf(f, "%u\n", geteuid());
		fclose(f);
	}
}
EOF
gcc -shared -fPIC -o "$U/plugins/evil.so" "$U/evil.c" 2>"$T_TMP/gcc.out" || say "gcc: $(cat "$T_TMP/gcc.out")"
printf 'action-script %s/as.sh\n' "$U" >"$U/as.conf"
printf 'hooks %s/hooks.json\n' "$U" >"$U/hooks.conf"
printf 'libdir %s/plugins\n' "$U" >"$U/libdir.conf"
chown -R "$RUID:$RGID" "$U"

# the user's own process, which it may dump
spawn setpriv --reuid="$RUID" --regid="$RGID" --clear-groups -- sleep 1000
OWN=$SPAWNED

# refused_config NAME CONF KEY: a dump of its own process with config_file CONF is refused naming KEY,
# the marker stays absent, the refusal is in the job's log, and the process runs on
refused_config() {
	local name=$1 conf=$2 key=$3 dir="$U/img-$1" out
	as_user mkdir -p "$dir"
	out=$(ask "$S" dump pid="$OWN" leave_running=1 images_dir="$dir" log_file=dump.log config="$conf")
	say "$out"
	verdict "config_${name}_refused" grep -Eq "success=0 .*config_file $conf sets $key: a non-root caller \(uid $RUID\) may not" <<<"$out"
	verdict "config_${name}_not_run" test ! -e "$M/marker-$name"
	[ -e "$M/marker-$name" ] && say "marker-$name written by euid $(cat "$M/marker-$name")"
	verdict "config_${name}_in_job_log" grep -q "sets $key: a non-root caller" "$dir/dump.log"
	verdict "config_${name}_process_runs" alive "$OWN"
}
refused_config action-script "$U/as.conf" action-script
refused_config hooks "$U/hooks.conf" hooks
refused_config libdir "$U/libdir.conf" libdir

# RPC fields: exec_cmd (a program), root (a chroot of its choosing), freeze_cgroup, shell_job
as_user mkdir -p "$U/img-rpc"
out=$(ask "$S" restore images_dir="$U/img-rpc" exec_cmd="$U/evil.sh")
say "$out"
verdict rpc_exec_cmd_refused grep -q "criu_opts.exec_cmd: a non-root caller (uid $RUID) may not name programs criu runs" <<<"$out"
out=$(ask "$S" restore images_dir="$U/img-rpc" root="$U")
say "$out"
verdict rpc_root_refused grep -q "criu_opts.root: a non-root caller (uid $RUID) may not choose the root" <<<"$out"
out=$(ask "$S" dump pid="$OWN" leave_running=1 images_dir="$U/img-rpc" freeze_cgroup=/sys/fs/cgroup)
say "$out"
verdict rpc_freeze_cgroup_refused grep -q "criu_opts.freeze_cgroup: a non-root caller (uid $RUID) may not" <<<"$out"
out=$(ask "$S" restore images_dir="$U/img-rpc" shell_job=1)
say "$out"
verdict rpc_shell_job_refused grep -q "criu_opts.shell_job: a non-root caller (uid $RUID) may not" <<<"$out"

# ---- files are the caller's: a root-group secret, root's directories ----
echo "top-secret-line" >"$T_TMP/group-secret.conf"
chmod 0640 "$T_TMP/group-secret.conf" # root:root: only criu's group 0 could read it
out=$(ask "$S" check config="$T_TMP/group-secret.conf")
say "$out"
verdict config_root_group_file_unreadable grep -q 'Permission denied' <<<"$out"
verdict config_root_group_file_not_leaked eval '! grep -q top-secret <<<"$out"'
mkdir -p "$T_TMP/rootdir" "$T_TMP/rootgroupdir"
chmod 0755 "$T_TMP/rootdir"
chmod 0770 "$T_TMP/rootgroupdir"
for d in rootdir rootgroupdir; do
	out=$(ask "$S" dump pid="$OWN" leave_running=1 images_dir="$T_TMP/$d" log_file=dump.log)
	say "$out"
	verdict "images_dir_${d}_refused" grep -q 'success=0' <<<"$out"
	verdict "images_dir_${d}_untouched" test -z "$(ls -A "$T_TMP/$d")"
done

# ---- root's process ----
spawn sleep 1000
ROOTS=$SPAWNED
out=$(ask "$S" dump pid="$ROOTS" leave_running=1 images_dir="$U/img-rpc" log_file=dump.log)
say "$out"
verdict dump_roots_process_refused grep -q "success=0 .*not the caller's own" <<<"$out"
verdict dump_roots_process_untouched test "$(tracer "$ROOTS")" = 0 -a ! -e "$U/img-rpc/inventory.img"
verdict dump_roots_process_runs alive "$ROOTS"
killtree "$ROOTS"

# ---- its own process: dumped and restored, on criu's clocks, never in a time namespace of its images ----
as_user mkdir -p "$U/img-own"
out=$(ask "$S" dump pid="$OWN" images_dir="$U/img-own" log_file=dump.log)
say "$out"
verdict own_dump grep -q 'success=1' <<<"$out"
gone "$OWN"
out=$(ask "$S" restore images_dir="$U/img-own" log_file=restore.log)
say "$out"
verdict own_restore grep -q "success=1 cr_errno=0 pid=$OWN" <<<"$out"
verdict own_restore_own_uid grep -Eq "^Uid:\s+$RUID\s+$RUID\s+$RUID\s+$RUID" "/proc/$OWN/status"
if [ -e "/proc/$OWN/ns/time" ]; then
	verdict own_restore_no_time_namespace test "$(readlink "/proc/$OWN/ns/time")" = "$(readlink /proc/self/ns/time)"
fi
killtree "$OWN"

# ---- its own unix listener: restored made by the user, so a client sees the user, not root ----
LSN="relsvc-$$"
SYSPY=/usr/bin/python3 # Debian's: the user can run it (a python under /root it could not)
[ -x "$SYSPY" ] || SYSPY=$(command -v python3)
spawn setpriv --reuid="$RUID" --regid="$RGID" --clear-groups -- "$SYSPY" -c "import socket, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.bind('\0$LSN'); s.listen(8); time.sleep(1000)"
OWN=$SPAWNED
as_user mkdir -p "$U/img-listen"
out=$(ask "$S" dump pid="$OWN" images_dir="$U/img-listen" log_file=dump.log)
say "$out"
gone "$OWN"
out=$(ask "$S" restore images_dir="$U/img-listen" log_file=restore.log)
say "$out"
peer=$("$SYSPY" -c "import socket, struct
c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); c.connect('\0$LSN')
print(struct.unpack('3i', c.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))[1])" 2>&1)
say "the restored listener's peer uid: $peer"
verdict own_listener_speaks_as_the_user test "$peer" = "$RUID"
killtree "$OWN"

# ---- its own removed cwd and FIFO: made again with its ids; a removed device node: refused ----
as_user mkdir "$U/gone"
spawn setpriv --reuid="$RUID" --regid="$RGID" --clear-groups -- "$SYSPY" -c "import os, time
os.chdir('$U/gone'); os.mkfifo('$U/fifo', 0o600); f = os.open('$U/fifo', os.O_RDWR)
os.write(f, b'kept'); os.unlink('$U/fifo'); os.rmdir('$U/gone'); open('$U/gone.ready', 'w'); time.sleep(1000)"
OWN=$SPAWNED
for ((i = 0; i < 100; i++)); do [ -e "$U/gone.ready" ] && break; sleep 0.05; done
as_user mkdir -p "$U/img-gone"
out=$(ask "$S" dump pid="$OWN" images_dir="$U/img-gone" log_file=dump.log)
say "$out"
gone "$OWN"
out=$(ask "$S" restore images_dir="$U/img-gone" log_file=restore.log)
say "$out"
verdict own_removed_restored grep -q "success=1 cr_errno=0 pid=$OWN" <<<"$out"
verdict own_removed_cwd test "$(readlink "/proc/$OWN/cwd")" = "$U/gone (deleted)"
fifo_fd=$(for f in /proc/$OWN/fd/*; do [ "$(readlink "$f")" = "$U/fifo (deleted)" ] && echo "$f"; done | head -n 1)
verdict own_removed_fifo_owner test -n "$fifo_fd" -a "$(stat -L -c %u:%a "$fifo_fd" 2>/dev/null)" = "$RUID:600"
verdict own_removed_fifo_data test "$(timeout 5 "$SYSPY" -c "import os; print(os.read(os.open('$fifo_fd', os.O_RDONLY | os.O_NONBLOCK), 64).decode())" 2>&1)" = kept
verdict own_removed_nothing_left test ! -e "$U/gone" -a ! -e "$U/fifo"
killtree "$OWN"
# a device node root made and removed while the user's task holds it: the user could not mknod it
mkdir -p "$T_TMP/devdir" && chmod 755 "$T_TMP/devdir" && mknod -m 666 "$T_TMP/devdir/null" c 1 3
spawn setpriv --reuid="$RUID" --regid="$RGID" --clear-groups -- "$SYSPY" -c "import os, time
f = os.open('$T_TMP/devdir/null', os.O_RDWR); open('$U/dev.ready', 'w'); time.sleep(1000)"
OWN=$SPAWNED
for ((i = 0; i < 100; i++)); do [ -e "$U/dev.ready" ] && break; sleep 0.05; done
rm -f "$T_TMP/devdir/null" && chmod 777 "$T_TMP/devdir"
as_user mkdir -p "$U/img-dev"
out=$(ask "$S" dump pid="$OWN" images_dir="$U/img-dev" log_file=dump.log)
say "$out"
gone "$OWN"
out=$(ask "$S" restore images_dir="$U/img-dev" log_file=restore.log)
say "$out"
verdict own_removed_device_refused grep -q "success=0" <<<"$out"
verdict own_removed_device_not_made test ! -e "$T_TMP/devdir/null"
alive "$OWN" && killtree "$OWN"

# ---- its own task that made itself non-dumpable (a setuid program's secrets): not its to read ----
spawn setpriv --reuid="$RUID" --regid="$RGID" --clear-groups -- "$SYSPY" -c "import ctypes, time
ctypes.CDLL(None).prctl(4, 0, 0, 0, 0); time.sleep(1000)"
OWN=$SPAWNED
as_user mkdir -p "$U/img-nodump"
out=$(ask "$S" dump pid="$OWN" images_dir="$U/img-nodump" log_file=dump.log)
say "$out"
verdict nondumpable_refused grep -q "success=0" <<<"$out"
verdict nondumpable_runs alive "$OWN"
killtree "$OWN"

# its own checkpoint, forged (tests/reliability/rel_forge): what the images would give it as root
FORGE="$TOP/$BUILD/tests/reliability/rel_forge"
spawn setpriv --reuid="$RUID" --regid="$RGID" --clear-groups -- sleep 1000
OWN=$SPAWNED
as_user mkdir -p "$U/img-forge"
out=$(ask "$S" dump pid="$OWN" images_dir="$U/img-forge" log_file=dump.log)
gone "$OWN" || say "pid $OWN was not dumped: $out"
# forged NAME WANT FORGERY...: restoring the forged copy is refused with WANT, and nothing runs at its pid
forged() {
	local name=$1 want=$2 dir="$U/img-forged-$1"
	shift 2
	if ! "$FORGE" "$U/img-forge" "$dir" "$@" >"$T_TMP/forge-$name.out" 2>&1; then
		say "rel_forge $*: $(cat "$T_TMP/forge-$name.out")"
		echo "FAIL forged_${name}_refused"
		return
	fi
	chown -R "$RUID:$RGID" "$dir"
	out=$(ask "$S" restore images_dir="$dir" log_file=restore.log)
	say "$out"
	verdict "forged_${name}_refused" grep -q "success=0 .*$want" <<<"$out"
	if alive "$OWN"; then
		say "restored anyway: $(grep -E '^(Uid|Gid|Groups):' "/proc/$OWN/status" | tr '\n\t' '  ')hostname $(nsenter -t "$OWN" -u hostname 2>/dev/null), root $(readlink "/proc/$OWN/root")"
		killtree "$OWN"
	fi
}
forged fsuid "its credentials (uid $RUID/$RUID/$RUID/0, gid" fsuid 0
forged groups "supplementary group 0 is not one of the caller's" groups 0
forged securebits "securebits 0x1: a non-root caller (uid $RUID) may not set them" securebits 1
forged capbnd "bounding set 0xffffffffffffff7f lacks the caller's capabilities 0x80" capbnd 0xffffffffffffff7f
forged root "its root is /.: a non-root caller (uid $RUID) may not have criu chroot it" root /.
forged ns_uts "the tree has its own uts namespace: a non-root caller (uid $RUID) may not restore namespaces" ns-uts

# a packet socket that root opened and passed to the user's process: dumped as its own, it is
# not made again for the user (criu opens its files without capabilities; CAP_NET_RAW)
cat >"$T_TMP/packet.py" <<EOF
import ctypes, os, socket, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
os.setgroups([])
os.setresgid($RGID, $RGID, $RGID)
os.setresuid($RUID, $RUID, $RUID)
ctypes.CDLL(None).prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE: /proc/PID is its own again
while True:
    time.sleep(1000)
EOF
# the system's python: the user must be able to map its binary again at restore
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
spawn "$PY" "$T_TMP/packet.py"
PKT=$SPAWNED
sleep 0.3
if ls -l "/proc/$PKT/fd" 2>/dev/null | grep -q socket; then
	as_user mkdir -p "$U/img-packet"
	out=$(ask "$S" dump pid="$PKT" images_dir="$U/img-packet" log_file=dump.log)
	say "$out"
	if grep -q 'success=1' <<<"$out" && gone "$PKT"; then
		out=$(ask "$S" restore images_dir="$U/img-packet" log_file=restore.log)
		say "$out"
		verdict packet_socket_not_made_for_user grep -q 'success=0' <<<"$out"
		alive "$PKT" && { say "restored with: $(ls -l "/proc/$PKT/fd" | grep socket)"; killtree "$PKT"; }
	else
		echo "SKIP packet_socket_not_made_for_user: the user's dump of its packet socket failed"
		killtree "$PKT"
	fi
else
	echo "SKIP packet_socket_not_made_for_user: no packet socket in pid $PKT"
	killtree "$PKT"
fi

# root's checkpoint restored by the user: credentials that are not its own
spawn sleep 1000
ROOTS=$SPAWNED
mkdir -p "$T_TMP/img-root"
"$CRIU" dump -t "$ROOTS" -D "$T_TMP/img-root" -o dump.log >/dev/null 2>&1
gone "$ROOTS"
chown -R "$RUID:$RGID" "$T_TMP/img-root"
out=$(ask "$S" restore images_dir="$T_TMP/img-root" log_file=restore2.log)
say "$out"
verdict restore_roots_creds_refused grep -q "success=0 .*are not the caller's" <<<"$out"
verdict restore_roots_creds_not_running test ! -d "/proc/$ROOTS" -o "$(sed -n 's/^Uid:\s*\([0-9]*\).*/\1/p' "/proc/$ROOTS/status" 2>/dev/null)" != 0

# ---- limits ----
out=$(as_user "$CLIENT" limit "$S" 4 2>&1)
say "$out"
verdict worker_limit_per_uid grep -q "over the limit: success=0 cr_errno=11 msg=service: uid $RUID already has 4 connections" <<<"$out"
verdict worker_limit_per_uid_frees grep -q "after release: success=1" <<<"$out"
# a user far over its limit (80 silent connections) does not fill the service: root is answered at once
as_user "$CLIENT" flood "$S" 80 4 >"$T_TMP/flood.out" 2>&1 &
FLOOD=$!
sleep 0.5 # its connections are open, and would each hold a refusal worker for 2 s
t0=$(date +%s%N)
out=$("$CLIENT" req "$S" version 2>&1)
ms=$((($(date +%s%N) - t0) / 1000000))
say "while uid $RUID floods: $out (${ms} ms); $(cat "$T_TMP/flood.out")"
verdict flood_root_answered grep -q "success=1" <<<"$out"
verdict flood_root_answered_at_once test "$ms" -lt 1000
echo "FIGURE service_answer_during_flood_ms: $ms (80 silent connections of one uid)"
wait "$FLOOD"
out=$(as_user "$CLIENT" idle "$S" 6 2>&1)
say "$out"
verdict idle_connection_closed grep -q '^closed after' <<<"$out"
ms=$(sed -n 's/^closed after \([0-9]*\) ms/\1/p' <<<"$out")
echo "FIGURE service_idle_close_ms: ${ms:-never (6 s)} (--idle-timeout 2)"

# 100 clients at once, as root (not limited per uid), over the default total of 64 workers
out=$("$CLIENT" burst "$S" 100 nonblock 2>&1)
say "non-blocking: $out"
verdict service_concurrent_nonblocking grep -q '^answered 100/100' <<<"$out"
nb=$(sed -n 's/^answered \([0-9]*\/[0-9]*\).*/\1/p' <<<"$out")
out=$("$CLIENT" burst "$S" 100 block 2>&1)
say "blocking: $out"
verdict service_concurrent_blocking grep -q '^answered 100/100' <<<"$out"
bl=$(sed -n 's/^answered \([0-9]*\/[0-9]*\).*/\1/p' <<<"$out")
echo "FIGURE service_concurrent_clients: ${nb:-0/100} answered (non-blocking connect), ${bl:-0/100} answered (blocking connect)"

# a total of 2 workers held by silent connections: a third client waits in the backlog (it is not
# refused) and is served once the idle timeout frees one
stop_service "$MAIN"
if start_service small --max-workers 2 --idle-timeout 1; then
	out=$("$CLIENT" limit "$T_TMP/small.sock" 2 2>&1)
	say "$out"
	verdict worker_limit_total_waits grep -q "over the limit: success=1" <<<"$out"
	verdict worker_limit_total_logged grep -q "at most 2 workers" "$T_TMP/small.log"
	stop_service "$SVC"
else
	echo "FAIL worker_limit_total_waits"
fi
exit 0
