#!/bin/bash
# A tree inside a pid namespace it does not own (its init is someone
# else's, as in a pod): refused unless it is marked external; with
# --external pid[INO]:KEY at dump and --inherit-fd fd[N]:KEY at restore it
# comes back into that same namespace with the same pid there.
. "$TOP/tests/lib/cli.sh"

if [ "$(id -u)" != 0 ]; then
	echo "SKIP cli_pidns: needs root"
	exit 0
fi

# the namespace's init, outside the dumped tree; it reaps orphans, as a pod's does
unshare --pid --fork setsid bash -c 'while :; do sleep 0.2; done' </dev/null >/dev/null 2>&1 &
holder_parent=$!
holder=
for ((i = 0; i < 50; i++)); do
	holder=$(pgrep -P "$holder_parent" bash)
	[ -n "$holder" ] && break
	sleep 0.1
done
if [ -z "$holder" ]; then
	echo "FAIL pidns_holder"
	exit 0
fi
ino=$(stat -L -c %i "/proc/$holder/ns/pid")

# the tree: a counter loop born in that namespace (pid 2 or so there)
spawn nsenter -t "$holder" -p -- setsid bash -c "i=0; while :; do i=\$((i+1)); echo \$i > $T_TMP/count; sleep 0.05; done"
# nsenter forks: the loop is its child, the leader of its own session (setsid
# does not fork there: the child leads no process group)
loop=
for ((i = 0; i < 50; i++)); do
	loop=$(pgrep -P "$SPAWNED" bash)
	[ -n "$loop" ] && break
	sleep 0.1
done
inner=$(sed -n 's/^NSpid:.*\t\([0-9]*\)$/\1/p' "/proc/$loop/status")
verdict pidns_tree_inside test -n "$loop" -a "$(stat -L -c %i "/proc/$loop/ns/pid")" = "$ino"

expect pidns_not_init_refused 1 "not the init, of its pid namespace" -- \
	"$CRIU" dump -t "$loop" -D "$T_TMP" --log-to-stderr
verdict pidns_refused_runs_on grows "$T_TMP/count"

mkdir -p "$T_TMP/img"
if "$CRIU" dump -t "$loop" -D "$T_TMP/img" -o dump.log --external "pid[$ino]:podpid" && gone "$loop"; then
	echo "PASS pidns_external_dump"
	expect pidns_restore_needs_fd 1 "inherit-fd fd\[N\]:podpid" -- \
		"$CRIU" restore -D "$T_TMP/img" -d --log-to-stderr
	if "$CRIU" restore -D "$T_TMP/img" -d -o restore.log --pidfile "$T_TMP/pid" \
		--inherit-fd fd[7]:podpid 7<"/proc/$holder/ns/pid"; then
		p=$(cat "$T_TMP/pid")
		verdict pidns_same_namespace test "$(stat -L -c %i "/proc/$p/ns/pid")" = "$ino"
		verdict pidns_same_inner_pid test "$(sed -n 's/^NSpid:.*\t\([0-9]*\)$/\1/p' "/proc/$p/status")" = "$inner"
		verdict pidns_restored_runs grows "$T_TMP/count"
		kill -9 "$p"
	else
		grep Error "$T_TMP/img/restore.log" | head -n 5 | sed 's/^/      /'
		echo "FAIL pidns_external_restore"
	fi
else
	grep Error "$T_TMP/img/dump.log" | head -n 5 | sed 's/^/      /'
	echo "FAIL pidns_external_dump"
fi
kill -9 "$holder" "$holder_parent" "$SPAWNED" 2>/dev/null
killtree "$SPAWNED"
exit 0
