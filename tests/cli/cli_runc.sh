#!/bin/bash
# runc end to end with our criu (`runc --criu $CRIU`), on a busybox bundle:
#  - checkpoint of a running container, restore -d: it is running in
#    `runc list` and its counter carries on from where it stopped;
#  - a second checkpoint and restore of the restored container;
#  - checkpoint --leave-running: it keeps running; the images restore it;
#  - a container with a bind mount and a tmpfs: the tmpfs files come back,
#    the bind mount still reaches the host directory;
#  - a terminal container restored through --console-socket: the new pty
#    master reaches the console socket and the container writes to it;
#  - two processes sharing anonymous memory (a static C program);
#  - a mount only a plugin knows (the example plugin's ramfs).
# The container is in new pid, mnt, ipc, uts and net namespaces (runc's
# default spec). Skips without root or runc. Cleans its containers up.
. "$TOP/tests/lib/cli.sh"

if [ "$(id -u)" != 0 ]; then
	echo "SKIP cli_runc: needs root"
	exit 0
fi
if ! command -v runc >/dev/null || [ ! -x /bin/busybox ]; then
	echo "SKIP cli_runc: runc or busybox-static is not installed (scripts/install-deps.sh installs them)"
	exit 0
fi

root="$T_TMP/runc-root"
ctrs=()
runc_() { runc --root "$root" --criu "$CRIU" "$@"; }
cleanup() {
	for c in "${ctrs[@]}"; do runc --root "$root" delete -f "$c" >/dev/null 2>&1; done
	[ -n "${console_pid:-}" ] && kill "$console_pid" 2>/dev/null
	rm -rf "$T_TMP"
}
trap cleanup EXIT

# bundle DIR ARGS_JSON [EXTRA_PYTHON]: a busybox rootfs and a config.json
bundle() {
	local dir=$1 args=$2 extra=${3:-}
	mkdir -p "$dir/rootfs/bin" "$dir/rootfs/tmp" "$dir/rootfs/data" "$dir/rootfs/scratch"
	cp /bin/busybox "$dir/rootfs/bin/"
	for a in sh sleep cat echo ls; do ln -sf busybox "$dir/rootfs/bin/$a"; done
	(cd "$dir" && runc spec) || return 1
	python3 - "$dir/config.json" "$args" "$extra" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["args"] = json.loads(sys.argv[2])
c["process"]["terminal"] = False
c["root"]["readonly"] = False
exec(sys.argv[3])
json.dump(c, open(sys.argv[1], "w"), indent=1)
EOF
}

state_of() { runc --root "$root" state "$1" 2>/dev/null | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["status"], s["pid"])' 2>/dev/null; }
pid_of() { local s; s=$(state_of "$1"); [ "${s%% *}" = running ] && echo "${s#* }"; }

# checkpoint NAME CTR IMG [ARGS...]: runc checkpoint; prints what failed
checkpoint() {
	local name=$1 ctr=$2 img=$3
	shift 3
	if runc_ checkpoint --image-path "$img" --work-path "$img.work" "$@" "$ctr" >"$T_TMP/$name.out" 2>&1; then
		echo "PASS $name"
		return 0
	fi
	echo "    runc checkpoint $ctr failed:"
	sed 's/^/      /' "$T_TMP/$name.out" | head -n 5
	grep -h Error "$img.work/dump.log" 2>/dev/null | head -n 5 | sed 's/^/      /'
	echo "FAIL $name"
	return 1
}

# restore NAME CTR IMG BUNDLE [ARGS...]: runc restore -d; the container's
# stdout is a new pipe to $T_TMP/NAME.stdout
restore() {
	local name=$1 ctr=$2 img=$3 bundle=$4
	shift 4
	local i
	rm -f "$T_TMP/$name.rc"
	# the reader of the pipe (cat) lives as long as the container: runc's own
	# end is known by the status it leaves behind
	{
		runc_ restore -d --image-path "$img" --work-path "$img.rwork" --bundle "$bundle" "$@" "$ctr" \
			</dev/null 2> >(cat >"$T_TMP/$name.out")
		echo $? >"$T_TMP/$name.rc"
	} | cat >"$T_TMP/$name.stdout" &
	for ((i = 0; i < 600; i++)); do
		[ -s "$T_TMP/$name.rc" ] && break
		sleep 0.1
	done
	if [ "$(cat "$T_TMP/$name.rc" 2>/dev/null)" = 0 ] && [ -n "$(pid_of "$ctr")" ]; then
		echo "PASS $name"
		return 0
	fi
	echo "    runc restore $ctr failed (status $(cat "$T_TMP/$name.rc" 2>/dev/null || echo "none after 60 s")):"
	sed 's/^/      /' "$T_TMP/$name.out" | head -n 5
	grep -h Error "$img.rwork/restore.log" 2>/dev/null | head -n 5 | sed 's/^/      /'
	echo "FAIL $name"
	return 1
}

# carries_on FILE FROM: the counter in FILE goes on from about FROM (not from 1) and grows
carries_on() {
	local file=$1 from=$2 v
	grows "$file" || return 1
	v=$(counter_of "$file")
	if [ "$v" -lt "$from" ] || [ "$v" -gt $((from + 100)) ]; then
		echo "    counter in $file is $v after restore; it stopped at $from"
		return 1
	fi
}

loop='i=0; while :; do i=$((i+1)); echo $i > /tmp/count; echo out-$i; sleep 0.1; done'

# ---- checkpoint, restore, and a second cycle ----
b="$T_TMP/b1"
bundle "$b" "[\"/bin/sh\", \"-c\", \"$loop\"]" || { echo "FAIL runc_bundle"; exit 0; }
ctr=criu-test-$$-a
ctrs+=("$ctr")
# its stdout is a pipe, as under docker or podman: runc hands the restored
# container a new one through --inherit-fd pipe:[INO] (descriptors.json)
runc --root "$root" run -d --bundle "$b" "$ctr" </dev/null 2> >(cat >"$T_TMP/run.out") | cat >"$T_TMP/stdout0" &
for ((i = 0; i < 50; i++)); do [ -n "$(pid_of "$ctr")" ] && break; sleep 0.1; done
if [ -z "$(pid_of "$ctr")" ]; then
	sed 's/^/      /' "$T_TMP/run.out" | head -n 5
	echo "SKIP cli_runc: runc cannot start a container on this machine"
	exit 0
fi
count="$b/rootfs/tmp/count"
verdict runc_started grows "$count"
for cycle in 1 2; do
	img="$T_TMP/img$cycle"
	if checkpoint "runc_checkpoint_$cycle" "$ctr" "$img"; then
		stopped=$(counter_of "$count")
		verdict "runc_checkpoint_${cycle}_stopped" test -z "$(pid_of "$ctr")"
		verdict "runc_checkpoint_${cycle}_complete" test -s "$img/inventory.img"
		if restore "runc_restore_$cycle" "$ctr" "$img" "$b"; then
			verdict "runc_restore_${cycle}_running" test -n "$(pid_of "$ctr")"
			verdict "runc_restore_${cycle}_carries_on" carries_on "$count" "$stopped"
			verdict "runc_restore_${cycle}_stdout_new_pipe" bash -c \
				"for i in \$(seq 50); do grep -q '^out-' '$T_TMP/runc_restore_$cycle.stdout' && exit 0; sleep 0.1; done; exit 1"
			verdict "runc_restore_${cycle}_pid1" grep -q $'^NSpid:\t[0-9]*\t1$' "/proc/$(pid_of "$ctr")/status"
			# runc exec enters the restored namespaces: its /proc is the container's
			verdict "runc_restore_${cycle}_exec" bash -c \
				"runc --root '$root' exec '$ctr' /bin/cat /proc/1/cmdline | tr '\0' ' ' | grep -q 'while'"
		fi
	fi
done
runc --root "$root" delete -f "$ctr" >/dev/null 2>&1

# ---- --leave-running ----
ctr=criu-test-$$-b
ctrs+=("$ctr")
rm -f "$count"
runc --root "$root" run -d --bundle "$b" "$ctr" </dev/null >/dev/null 2>&1
verdict runc_lr_started grows "$count"
img="$T_TMP/img-lr"
if checkpoint runc_lr_checkpoint "$ctr" "$img" --leave-running; then
	verdict runc_lr_still_running test -n "$(pid_of "$ctr")"
	verdict runc_lr_still_counting grows "$count"
	verdict runc_lr_not_traced test "$(tracer "$(pid_of "$ctr")")" = 0
	stopped=$(counter_of "$count")
	runc --root "$root" delete -f "$ctr" >/dev/null 2>&1
	if restore runc_lr_restore "$ctr" "$img" "$b"; then
		verdict runc_lr_restored_running test -n "$(pid_of "$ctr")"
		verdict runc_lr_restored_counts grows "$count"
	fi
fi
runc --root "$root" delete -f "$ctr" >/dev/null 2>&1

# ---- a bind mount and a tmpfs ----
host_dir="$T_TMP/host-data"
mkdir -p "$host_dir"
b2="$T_TMP/b2"
bundle "$b2" '["/bin/sh", "-c", "echo kept-in-tmpfs > /scratch/note; i=0; while :; do i=$((i+1)); echo $i > /data/count; sleep 0.1; done"]' \
	"c['mounts'] += [{'destination': '/data', 'type': 'bind', 'source': '$host_dir', 'options': ['rbind', 'rw']},
	{'destination': '/scratch', 'type': 'tmpfs', 'source': 'tmpfs', 'options': ['size=1m', 'mode=1777']}]" ||
	echo "FAIL runc_mounts_bundle"
ctr=criu-test-$$-c
ctrs+=("$ctr")
runc --root "$root" run -d --bundle "$b2" "$ctr" </dev/null >/dev/null 2>&1
verdict runc_mounts_started grows "$host_dir/count"
img="$T_TMP/img-mounts"
if checkpoint runc_mounts_checkpoint "$ctr" "$img"; then
	stopped=$(counter_of "$host_dir/count")
	if restore runc_mounts_restore "$ctr" "$img" "$b2"; then
		p=$(pid_of "$ctr")
		verdict runc_mounts_bind_carries_on carries_on "$host_dir/count" "$stopped"
		verdict runc_mounts_tmpfs_files grep -qx kept-in-tmpfs "/proc/$p/root/scratch/note"
		verdict runc_mounts_tmpfs_is_tmpfs grep -q ' /scratch .* - tmpfs ' "/proc/$p/mountinfo"
		verdict runc_mounts_bind_is_host_dir test "$(stat -c %i "/proc/$p/root/data")" = "$(stat -c %i "$host_dir")"
	fi
fi
runc --root "$root" delete -f "$ctr" >/dev/null 2>&1
# the images of a mount namespace need a root to restore on: refused by name, never a crash
expect runc_mounts_need_root 1 'mount namespace: --root PATH' -- "$CRIU" restore -D "$img" -d --log-to-stderr

# ---- a mount only a plugin knows (the example plugin, DUMP/RESTORE_EXT_MOUNT) ----
plugin_dir="$TOP/${BUILD:-build}/tests/plugins/desc"
b4="$T_TMP/b4"
bundle "$b4" "[\"/bin/sh\", \"-c\", \"$loop\"]" \
	"c['mounts'] += [{'destination': '/example-ramfs', 'type': 'ramfs', 'source': 'ramfs', 'options': []}]" ||
	echo "FAIL runc_plugin_bundle"
mkdir -p "$b4/rootfs/example-ramfs"
ctr=criu-test-$$-e
ctrs+=("$ctr")
runc --root "$root" run -d --bundle "$b4" "$ctr" </dev/null >/dev/null 2>&1
count4="$b4/rootfs/tmp/count"
verdict runc_plugin_started grows "$count4"
img="$T_TMP/img-plugin"
# without the plugin: refused by name, the container runs on
runc_ checkpoint --image-path "$img.noplugin" --work-path "$img.noplugin.work" "$ctr" >/dev/null 2>&1
verdict runc_plugin_needed grep -q 'not supported yet: mount .* at /example-ramfs (ramfs' "$img.noplugin.work/dump.log"
verdict runc_plugin_needed_still_runs grows "$count4"
export CRIU_LIBS_DIR="$plugin_dir"
if [ -f "$plugin_dir/example.so" ] && checkpoint runc_plugin_checkpoint "$ctr" "$img"; then
	stopped=$(counter_of "$count4")
	if restore runc_plugin_restore "$ctr" "$img" "$b4"; then
		p=$(pid_of "$ctr")
		verdict runc_plugin_carries_on carries_on "$count4" "$stopped"
		verdict runc_plugin_made_the_mount grep -q ' /example-ramfs .* - ramfs ' "/proc/$p/mountinfo"
		verdict runc_plugin_mount_is_its test -e "/proc/$p/root/example-ramfs/made-by-example"
	fi
fi
unset CRIU_LIBS_DIR
runc --root "$root" delete -f "$ctr" >/dev/null 2>&1

# ---- shared anonymous memory between the container's processes ----
# a static program: its child counts in a MAP_SHARED|MAP_ANONYMOUS page,
# the parent writes what it sees there to /tmp/count
if cc -static -O2 -o "$T_TMP/shmcount" -x c - 2>"$T_TMP/cc.out" <<'EOF'
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
int main(void)
{
	volatile long *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return 1;
	if (fork() == 0)
		for (;;) {
			p[0]++;
			usleep(50000);
		}
	for (;;) {
		FILE *f = fopen("/tmp/count", "w");

		if (f) {
			fprintf(f, "%ld\n", p[0]);
			fclose(f);
		}
		usleep(50000);
	}
}
EOF
then
	b5="$T_TMP/b5"
	bundle "$b5" '["/bin/shmcount"]' || echo "FAIL runc_shm_bundle"
	cp "$T_TMP/shmcount" "$b5/rootfs/bin/"
	ctr=criu-test-$$-f
	ctrs+=("$ctr")
	runc --root "$root" run -d --bundle "$b5" "$ctr" </dev/null >/dev/null 2>&1
	verdict runc_shm_started grows "$b5/rootfs/tmp/count"
	img="$T_TMP/img-shm"
	if checkpoint runc_shm_checkpoint "$ctr" "$img"; then
		stopped=$(counter_of "$b5/rootfs/tmp/count")
		if restore runc_shm_restore "$ctr" "$img" "$b5"; then
			# the parent sees the child's counting: the page is shared again
			verdict runc_shm_shared_carries_on carries_on "$b5/rootfs/tmp/count" "$stopped"
		fi
	fi
	runc --root "$root" delete -f "$ctr" >/dev/null 2>&1
else
	sed 's/^/      /' "$T_TMP/cc.out" | head -n 3
	echo "SKIP runc_shm: no static C toolchain (libc6-dev)"
fi

# ---- a terminal container through --console-socket ----
sock="$T_TMP/console.sock"
python3 - "$sock" "$T_TMP/console.out" >"$T_TMP/console.log" 2>&1 <<'EOF' &
# Holds every pty master runc sends and copies what the container writes.
import os, socket, sys, threading
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(sys.argv[1]); srv.listen(4)
out = open(sys.argv[2], "ab", buffering=0)
def pump(fd, n):
    while True:
        try:
            data = os.read(fd, 4096)
        except OSError:
            return
        if not data:
            return
        out.write(b"[%d]" % n + data)
n = 0
while True:
    conn, _ = srv.accept()
    msg, fds, _, _ = socket.recv_fds(conn, 1024, 4)
    n += 1
    for fd in fds:
        threading.Thread(target=pump, args=(fd, n), daemon=True).start()
EOF
console_pid=$!
for ((i = 0; i < 50; i++)); do [ -S "$sock" ] && break; sleep 0.1; done
b3="$T_TMP/b3"
bundle "$b3" '["/bin/sh", "-c", "i=0; while :; do i=$((i+1)); echo tick-$i; sleep 0.2; done"]' \
	"c['process']['terminal'] = True" || echo "FAIL runc_tty_bundle"
ctr=criu-test-$$-d
ctrs+=("$ctr")
if runc --root "$root" run -d --console-socket "$sock" --bundle "$b3" "$ctr" </dev/null >"$T_TMP/tty-run.out" 2>&1; then
	verdict runc_tty_started bash -c "sleep 1; grep -q '\[1\]tick' '$T_TMP/console.out'"
	img="$T_TMP/img-tty"
	if checkpoint runc_tty_checkpoint "$ctr" "$img"; then
		if restore runc_tty_restore "$ctr" "$img" "$b3" --console-socket "$sock"; then
			verdict runc_tty_running test -n "$(pid_of "$ctr")"
			# the restored container writes to the new master runc passed on
			verdict runc_tty_new_master bash -c "for i in \$(seq 50); do grep -q '\[2\]tick' '$T_TMP/console.out' && exit 0; sleep 0.1; done; exit 1"
			verdict runc_tty_is_a_tty bash -c "readlink /proc/$(pid_of "$ctr")/fd/1 | grep -q '^/dev/pts/'"
		fi
	fi
else
	sed 's/^/      /' "$T_TMP/tty-run.out" | head -n 5
	echo "FAIL runc_tty_run"
fi
runc --root "$root" delete -f "$ctr" >/dev/null 2>&1
kill "$console_pid" 2>/dev/null
console_pid=

# ---- files criu reopens through /proc/self/fd, restored while criu is in the container's
# mount namespace (whose /proc shows the container's pids, not criu's): an unlinked file,
# a pipe end reopened through /proc ----
b6="$T_TMP/bundle-proc"
bundle "$b6" '["/bin/sh", "-c", "echo ghost-data > /tmp/g; exec 3</tmp/g; rm /tmp/g; mkfifo /tmp/q; exec 4<>/tmp/q; exec 5</proc/self/fd/4; while :; do sleep 0.1; done"]' ||
	echo "FAIL runc_proc_bundle"
ctr=criu-test-$$-p
ctrs+=("$ctr")
runc --root "$root" run -d --bundle "$b6" "$ctr" </dev/null >/dev/null 2>&1
for ((i = 0; i < 50; i++)); do [ -n "$(pid_of "$ctr")" ] && runc --root "$root" exec "$ctr" ls /proc/1/fd/5 >/dev/null 2>&1 && break; sleep 0.1; done
img="$T_TMP/img-proc"
if checkpoint runc_proc_checkpoint "$ctr" "$img"; then
	if restore runc_proc_restore "$ctr" "$img" "$b6"; then
		verdict runc_proc_ghost_content test "$(runc --root "$root" exec "$ctr" cat /proc/1/fd/3 2>&1)" = ghost-data
		verdict runc_proc_ghost_unlinked bash -c "! runc --root '$root' exec '$ctr' ls /tmp/g >/dev/null 2>&1"
	fi
fi
runc --root "$root" delete -f "$ctr" >/dev/null 2>&1
exit 0
