#!/bin/bash
# Plugins (docs/plugins.md, tests/plugins/example_plugin.c): a perf event fd,
# which the engine cannot dump by itself, is refused without a plugin (the
# task keeps running) and checkpointed with the example plugin in both
# registration forms (-L DIR and $CRIU_LIBS_DIR); a unix stream socket
# connected to a listener outside the tree is kept by the plugin; a plugin
# whose init fails refuses the job naming it; a restore without a plugin the
# dump used is refused naming it; the inventory names the plugin.
# Needs root and a child subreaper above it (make check runs it under one).
. "$TOP/tests/lib/cli.sh"

BUILD=${BUILD:-build}
PL="$TOP/$BUILD/tests/plugins"
TASK="$PL/perf_task"

if [ "$(id -u)" != 0 ]; then
	echo "SKIP cli_plugins: needs root"
	exit 0
fi
for f in "$TASK" "$PL/desc/example.so" "$PL/legacy/example.so" "$PL/failinit/failing.so"; do
	if [ ! -e "$f" ]; then
		echo "FAIL cli_plugins: $f is not built (make tests)"
		exit 1
	fi
done
if [ ! -r /proc/sys/kernel/perf_event_paranoid ]; then
	echo "SKIP cli_plugins: no perf events in this kernel"
	exit 0
fi
unset CRIU_LIBS_DIR
EMPTY="$T_TMP/empty"
mkdir -p "$EMPTY"

# spawn CMD...: starts CMD in its own session with no fds but stdio on /dev/null; sets $SPAWNED.
spawn() {
	(
		for fd in /proc/$BASHPID/fd/*; do
			fd=${fd##*/}
			[ "$fd" -gt 2 ] && eval "exec $fd>&-"
		done
		exec setsid "$@" </dev/null >/dev/null 2>&1
	) &
	SPAWNED=$!
	disown "$SPAWNED"
}
wait_file() { # FILE SECONDS
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.05
	done
	return 1
}
gone() {
	local i
	for ((i = 0; i < 200; i++)); do alive "$1" || return 0; sleep 0.05; done
	return 1
}

# start_task NAME [SOCKPATH [noperf]]: runs perf_task in $T_TMP/NAME; sets $PID and $DIR.
start_task() {
	DIR="$T_TMP/$1"
	rm -rf "$DIR" && mkdir -p "$DIR/img"
	spawn "$TASK" "$DIR" "${@:2}"
	PID=
	if wait_file "$DIR/ready" 20; then
		PID=$(cat "$DIR/pid")
	else
		echo "    $1: the task never got ready: $(cat "$DIR/result" 2>/dev/null)"
	fi
}

# verify NAME: sends the go signal to $PID and checks the task's own verdict.
verify() {
	kill -USR1 "$PID" 2>/dev/null
	if wait_file "$DIR/result" 20 && grep -q '^PASS' "$DIR/result"; then
		echo "PASS $1"
	else
		echo "    $1: task verdict: $(cat "$DIR/result" 2>/dev/null || echo none) (logs in $DIR/img)"
		echo "FAIL $1"
	fi
	kill -9 "$PID" 2>/dev/null
}

# refused NAME PATTERN -- criu dump args: the dump fails with an Error matching PATTERN; the task runs on
refused() {
	local name=$1 pattern=$2
	shift 3
	if "$CRIU" dump -t "$PID" -D "$DIR/img" -o dump.log -v4 "$@" >/dev/null 2>&1; then
		echo "    $name: the dump succeeded"
		echo "FAIL $name"
	elif ! grep -Eq "Error.*($pattern)" "$DIR/img/dump.log"; then
		echo "    $name: no Error matching /$pattern/ in $DIR/img/dump.log: $(grep -m1 Error "$DIR/img/dump.log")"
		echo "FAIL $name"
	elif ! alive "$PID" || [ "$(sed -n 's/^TracerPid:\s*//p' "/proc/$PID/status")" != 0 ]; then
		echo "    $name: pid $PID is gone or still traced after the refused dump"
		echo "FAIL $name"
	else
		echo "PASS $name"
	fi
}

# dumped NAME criu-dump-args...: the dump succeeds and the task is gone
dumped() {
	local name=$1
	shift
	if ! "$CRIU" dump -t "$PID" -D "$DIR/img" -o dump.log -v4 "$@" >/dev/null 2>&1; then
		echo "    $name: dump failed: $(grep -m1 Error "$DIR/img/dump.log")"
		echo "FAIL $name"
		kill -9 "$PID" 2>/dev/null
		return 1
	fi
	if ! gone "$PID"; then
		echo "    $name: pid $PID still runs after the dump"
		echo "FAIL $name"
		kill -9 "$PID" 2>/dev/null
		return 1
	fi
	echo "PASS $name"
}

# restored NAME criu-restore-args...: restore -d succeeds
restored() {
	local name=$1
	shift
	if "$CRIU" restore -d -D "$DIR/img" -o restore.log -v4 "$@" >/dev/null 2>&1 && alive "$PID"; then
		echo "PASS $name"
		return 0
	fi
	echo "    $name: restore failed: $(grep -m1 Error "$DIR/img/restore.log")"
	echo "FAIL $name"
	return 1
}

# ---- without a plugin: refused, and the task goes on ----
start_task noplugin
if [ -n "$PID" ]; then
	refused perf_refused_without_plugin 'perf_event.*cannot be dumped yet' -- -L "$EMPTY"
	verify perf_refused_task_runs_on
fi

# ---- a plugin whose init fails ----
start_task failinit
if [ -n "$PID" ]; then
	refused plugin_init_fails 'plugin failing .*init for dump failed' -- -L "$PL/failinit"
	verify plugin_init_fails_task_runs_on
fi

# ---- the example plugin, descriptor form (-L) and plain-symbol form ($CRIU_LIBS_DIR) ----
for form in desc legacy; do
	start_task "perf_$form"
	[ -n "$PID" ] || continue
	if [ $form = desc ]; then
		dumped "perf_dump_$form" -L "$PL/$form" || continue
	else
		CRIU_LIBS_DIR="$PL/$form" dumped "perf_dump_$form" || continue
	fi
	expect "perf_inventory_names_plugin_$form" 0 '"plugins": \[[^]]*"example"' -- \
		"$CRIU" show -f "$DIR/img/inventory.img"
	verdict "perf_plugin_logs_$form" grep -q 'example-plugin: file [0-9]*: perf counter at' "$DIR/img/dump.log"
	verdict "perf_plugin_fini_$form" grep -q 'example-plugin: fini for stage 0, job result 0' "$DIR/img/dump.log"
	verdict "perf_plugin_image_$form" bash -c "ls '$DIR/img' | grep -q '^example-perf-'"
	if [ $form = desc ]; then
		# the dump used plugin "example": a restore without it is refused naming it
		expect perf_restore_missing_plugin 1 'Missing required plugin example' -- \
			"$CRIU" restore -d -D "$DIR/img" -o restore-missing.log -L "$EMPTY"
		verdict perf_restore_missing_plugin_no_task bash -c "! kill -0 $PID 2>/dev/null"
		restored "perf_restore_$form" -L "$PL/$form" || continue
	else
		restored "perf_restore_$form" -L "$PL/$form" || continue
	fi
	verdict "perf_restored_by_plugin_$form" grep -q 'example-plugin: file [0-9]*: perf counter reopened' \
		"$DIR/img/restore.log"
	verify "perf_restored_works_$form"
done

# ---- a unix socket connected to a listener outside the tree ----
if command -v python3 >/dev/null; then
	SOCK="$T_TMP/echo.sock"
	python3 - "$SOCK" "$T_TMP/echo.ready" </dev/null >/dev/null 2>&1 <<'EOF' &
import os, socket, sys, threading
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(8)
open(sys.argv[2], "w").close()
def echo(c):
    while True:
        d = c.recv(64)
        if not d:
            return
        c.sendall(d)
while True:
    c, _ = s.accept()
    threading.Thread(target=echo, args=(c,), daemon=True).start()
EOF
	ECHO=$!
	if wait_file "$T_TMP/echo.ready" 20; then
		start_task unix_noplugin "$SOCK" noperf
		if [ -n "$PID" ]; then
			refused unix_ext_refused_without_plugin 'outside the dumped tree' -- -L "$EMPTY"
			verify unix_ext_refused_task_runs_on
		fi
		start_task unix_plugin "$SOCK"
		if [ -n "$PID" ] && dumped unix_ext_dump_plugin -L "$PL/desc"; then
			verdict unix_ext_plugin_logs grep -q 'example-plugin: unix socket [0-9]*: connected to' \
				"$DIR/img/dump.log"
			restored unix_ext_restore_plugin -L "$PL/desc" && verify unix_ext_restored_works
		fi
	else
		echo "    the echo server did not start"
		echo "FAIL unix_ext_echo_server"
	fi
	kill "$ECHO" 2>/dev/null
else
	echo "SKIP unix_ext_plugin: needs python3 for the outside listener"
fi

# ---- a device mapping a plugin owns (HANDLE_DEVICE_VMA, UPDATE_VMA_MAP) ----
# The example plugin stands a private /dev/zero mapping in for a device
# whose memory it owns: criu stores none of its pages and maps it again
# through the fd the plugin gives; its bytes come back as the device's
# (zeros), the rest of the task as criu's.
if command -v python3 >/dev/null; then
	dz="$T_TMP/devzero"
	mkdir -p "$dz/img"
	spawn python3 -c "
import mmap, os, signal, time
f = os.open('/dev/zero', os.O_RDWR)
m = mmap.mmap(f, 8192, mmap.MAP_PRIVATE)
os.close(f)
m[0:5] = b'hello'
keep = b'kept-by-criu'
def check(*a):
    open('$dz/result', 'w').write('%r %r' % (bytes(m[0:5]), keep))
signal.signal(signal.SIGUSR1, check)
open('$dz/ready', 'w').write('x')
while True:
    time.sleep(1)
"
	dzpid=$SPAWNED
	if wait_file "$dz/ready" 10; then
		addr=$(awk '$6 == "/dev/zero" {print $1; exit}' "/proc/$dzpid/maps")
		if EXAMPLE_PLUGIN_DEVZERO=1 "$CRIU" dump -t "$dzpid" -D "$dz/img" -o dump.log -v4 -L "$PL/desc" &&
			gone "$dzpid"; then
			echo "PASS devvma_dump"
			verdict devvma_taken grep -q 'device mapping .*(/dev/zero) is plugin example' "$dz/img/dump.log"
			expect devvma_restore_needs_plugin 1 'Missing required plugin example' -- \
				"$CRIU" restore -D "$dz/img" -d --log-to-stderr -L "$EMPTY"
			if EXAMPLE_PLUGIN_DEVZERO=1 "$CRIU" restore -D "$dz/img" -d -o restore.log -v4 -L "$PL/desc"; then
				echo "PASS devvma_restore"
				verdict devvma_plugin_fd grep -q 'example-plugin: mapping at .*: a new /dev/zero' \
					"$dz/img/restore.log"
				verdict devvma_same_place bash -c \
					"awk '\$6 == \"/dev/zero\" {print \$1; exit}' /proc/$dzpid/maps | grep -qx '$addr'"
				kill -USR1 "$dzpid"
				wait_file "$dz/result" 10
				verdict devvma_device_memory_and_task_memory \
					grep -qx "b'\\\\x00\\\\x00\\\\x00\\\\x00\\\\x00' b'kept-by-criu'" "$dz/result"
			else
				grep Error "$dz/img/restore.log" | head -n 3 | sed 's/^/      /'
				echo "FAIL devvma_restore"
			fi
		else
			grep Error "$dz/img/dump.log" | head -n 3 | sed 's/^/      /'
			echo "FAIL devvma_dump"
		fi
	else
		echo "FAIL devvma_task_ready"
	fi
	kill -9 "$dzpid" 2>/dev/null
fi

# ---- a network link a plugin owns (DUMP_EXT_LINK) ----
# A vxlan link (a kind criu does not make) in the tree's own net namespace: refused without a plugin (the
# tree runs on); with the example plugin (EXAMPLE_PLUGIN_LINKS=1) it is left
# out of the images with its address, and the tree restores without it.
if command -v ip >/dev/null && unshare --net ip link add probe0 type vxlan id 42 dstport 4789 2>/dev/null; then
	nl="$T_TMP/netlink"
	mkdir -p "$nl/img" "$nl/img0"
	spawn unshare --net bash -c "ip link set lo up; ip link add exlink0 type vxlan id 42 dstport 4789; ip addr add 10.9.9.1/24 dev exlink0;
		ip link set exlink0 up; touch $nl/ready; while :; do sleep 0.1; done"
	nlpid=$SPAWNED
	if wait_file "$nl/ready" 10; then
		expect extlink_refused_without_plugin 1 'not supported yet: links of kind vxlan' -- \
			"$CRIU" dump -t "$nlpid" -D "$nl/img0" --log-to-stderr -L "$PL/desc"
		verdict extlink_refused_runs_on alive "$nlpid"
		if EXAMPLE_PLUGIN_LINKS=1 "$CRIU" dump -t "$nlpid" -D "$nl/img" -o dump.log -v4 -L "$PL/desc" &&
			gone "$nlpid"; then
			echo "PASS extlink_dump"
			verdict extlink_taken grep -q 'link exlink0 (ifindex [0-9]*, kind vxlan): plugin example takes it' \
				"$nl/img/dump.log"
			verdict extlink_not_in_images bash -c "! '$CRIU' show -f '$nl/img/netlinks.img' | grep -q exlink0 &&
				! '$CRIU' show -f '$nl/img/netaddrs.img' | grep -q '10.9.9.1'"
			if "$CRIU" restore -D "$nl/img" -d -o restore.log -L "$PL/desc" --pidfile "$nl/pid"; then
				echo "PASS extlink_restore"
				verdict extlink_restored_runs alive "$(cat "$nl/pid")"
				kill -9 "$(cat "$nl/pid")" 2>/dev/null
			else
				grep Error "$nl/img/restore.log" | head -n 3 | sed 's/^/      /'
				echo "FAIL extlink_restore"
			fi
		else
			grep Error "$nl/img/dump.log" | head -n 3 | sed 's/^/      /'
			echo "FAIL extlink_dump"
		fi
	else
		echo "FAIL extlink_task_ready"
	fi
	kill -9 "$nlpid" 2>/dev/null
else
	echo "SKIP extlink: no vxlan links in this kernel"
fi

# the verdicts above are the result, not the status of the last cleanup
exit 0
