#!/bin/bash
# Real servers on loopback, checkpointed while serving and queried again
# after restore: python3 -m http.server, and redis-server with a client
# outside the tree that keeps one established connection across the
# restore (--tcp-established: SET before, GET after on the same
# connection). The network lock never leaks: no rule is left after a
# restore, a failed dump (CRIU_FAULT=dump-before-inventory), --leave-running, or a
# failed restore (CRIU_FAULT=restore-resume); nftables is tried too.
# Needs root and a child subreaper above it (make check runs it under one).
. "$TOP/tests/lib/cli.sh"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { # PORT: until something listens there (10 s)
	local i
	for ((i = 0; i < 200; i++)); do
		python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),1).close()" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
# no_lock: no iptables, ip6tables or nftables rule of ours is left
no_lock() {
	! iptables -w -S 2>/dev/null | grep -q criu_lock &&
		! ip6tables -w -S 2>/dev/null | grep -q criu_lock &&
		! nft list tables 2>/dev/null | grep -q criu_lock
}
locked() { ! no_lock; }
# dr NAME PID [DUMP OPTS...]: dump (the tree goes), restore -d
dr() {
	local name=$1 pid=$2 dir="$T_TMP/$1"
	shift 2
	rm -rf "$dir" && mkdir -p "$dir"
	if ! "$CRIU" dump -t "$pid" -D "$dir" -o dump.log -v4 "$@" >"$dir/dump.out" 2>&1; then
		echo "    $name: dump failed: $(grep -m1 Error "$dir/dump.log") ($dir/dump.log)"
		return 1
	fi
	gone "$pid" || { echo "    $name: pid $pid still runs after the dump"; return 1; }
	if ! "$CRIU" restore -d -D "$dir" -o restore.log -v4 "$@" >"$dir/restore.out" 2>&1; then
		echo "    $name: restore failed: $(grep -m1 Error "$dir/restore.log")"
		return 1
	fi
	alive "$pid" || { echo "    $name: pid $pid is not running after restore"; return 1; }
}

# ---- python3 -m http.server ----
mkdir -p "$T_TMP/www"
echo "hello from before the checkpoint" >"$T_TMP/www/index.txt"
port=$(free_port)
spawn python3 -m http.server "$port" --bind 127.0.0.1 --directory "$T_TMP/www"
http=$SPAWNED
wait_port "$port"
expect http_before 0 'hello from before' -- curl -s --max-time 5 "http://127.0.0.1:$port/index.txt"
verdict http_dump_restore dr http "$http"
echo "and after it" >>"$T_TMP/www/index.txt"
expect http_after 0 'and after it' -- curl -s --max-time 5 "http://127.0.0.1:$port/index.txt"
verdict http_no_lock no_lock
killtree "$http"

# ---- redis-server with an established client outside the tree ----
if ! command -v redis-server >/dev/null; then
	echo "SKIP redis: redis-server is not installed (scripts/install-deps.sh)"
	exit 0
fi
# client DIR PORT: one connection; SET on start, then GET each time DIR/go-N appears
cat >"$T_TMP/client.py" <<'PY'
import os, socket, sys, time
d, port = sys.argv[1], int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port))
f = s.makefile("rb")
def cmd(*a):
    s.sendall(b"".join([b"*%d\r\n" % len(a)] + [b"$%d\r\n%s\r\n" % (len(x), x) for x in map(str.encode, a)]))
    line = f.readline()
    if line.startswith(b"$") and line != b"$-1\r\n":
        return f.read(int(line[1:]) + 2)[:-2].decode()
    return line.strip().decode()
open(d + "/local", "w").write("%d\n" % s.getsockname()[1])
open(d + "/set", "w").write(cmd("SET", "key", "value-before") + "\n")
n = 1
while True:
    if os.path.exists("%s/go-%d" % (d, n)):
        try:
            r = cmd("GET", "key")
        except Exception as e:
            r = "error: %r" % e
        open("%s/get-%d" % (d, n), "w").write(r + "\n")
        n += 1
    time.sleep(0.05)
PY
# ask N: the client GETs on its old connection; prints the answer
ask() {
	local i
	touch "$T_TMP/cl/go-$1"
	for ((i = 0; i < 200; i++)); do
		[ -s "$T_TMP/cl/get-$1" ] && { cat "$T_TMP/cl/get-$1"; return; }
		sleep 0.05
	done
	echo "no answer"
}
rport=$(free_port)
spawn redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --daemonize no
redis=$SPAWNED
wait_port "$rport"
mkdir -p "$T_TMP/cl"
spawn python3 "$T_TMP/client.py" "$T_TMP/cl" "$rport"
client=$SPAWNED
for ((i = 0; i < 100; i++)); do [ -s "$T_TMP/cl/set" ] && break; sleep 0.05; done
verdict redis_set_before grep -q OK "$T_TMP/cl/set"
expect redis_cli_before 0 'value-before' -- redis-cli -p "$rport" GET key

# refused: established without --tcp-established; redis and the connection go on, no lock
mkdir -p "$T_TMP/refused"
expect redis_refused 1 'needs --tcp-established' -- "$CRIU" dump -t "$redis" -D "$T_TMP/refused" -o dump.log \
	--log-to-stderr
verdict redis_refused_alive alive "$redis"
verdict redis_refused_no_lock no_lock
expect redis_refused_get 0 'value-before' -- bash -c "$(declare -f ask); T_TMP=$T_TMP ask 1"

# a failed dump (fault injected once the connections are locked and read): all goes on
mkdir -p "$T_TMP/fault"
expect redis_failed_dump 1 '' -- env CRIU_FAULT=dump-before-inventory "$CRIU" dump -t "$redis" -D "$T_TMP/fault" \
	-o dump.log --tcp-established
verdict redis_failed_dump_alive alive "$redis"
verdict redis_failed_dump_no_lock no_lock
expect redis_failed_dump_get 0 'value-before' -- bash -c "$(declare -f ask); T_TMP=$T_TMP ask 2"

# --leave-running: unlocked, out of repair mode
mkdir -p "$T_TMP/lr"
expect redis_leave_running 0 '' -- "$CRIU" dump -t "$redis" -D "$T_TMP/lr" -o dump.log --tcp-established \
	--leave-running
verdict redis_leave_running_no_lock no_lock
expect redis_leave_running_get 0 'value-before' -- bash -c "$(declare -f ask); T_TMP=$T_TMP ask 3"

# the real thing: checkpoint, restore, the same connection answers
verdict redis_dump_restore dr redis "$redis" --tcp-established
verdict redis_no_lock no_lock
expect redis_get_after 0 'value-before' -- bash -c "$(declare -f ask); T_TMP=$T_TMP ask 4"
expect redis_cli_after 0 'value-before' -- redis-cli -p "$rport" GET key

# again with nftables
verdict redis_nft_dump_restore dr redis_nft "$redis" --tcp-established --network-lock nftables
verdict redis_nft_no_lock no_lock
expect redis_nft_get_after 0 'value-before' -- bash -c "$(declare -f ask); T_TMP=$T_TMP ask 5"

# a failed restore leaves no lock either
mkdir -p "$T_TMP/frst"
expect redis_dump_for_failed_restore 0 '' -- "$CRIU" dump -t "$redis" -D "$T_TMP/frst" -o dump.log --tcp-established
gone "$redis"
verdict redis_locked_between locked
expect redis_failed_restore 1 '' -- env CRIU_FAULT=restore-resume "$CRIU" restore -d -D "$T_TMP/frst" \
	-o restore.log --tcp-established
verdict redis_failed_restore_no_lock no_lock
killtree "$redis"
killtree "$client"

# the verdicts above are the result, not the status of the last cleanup
exit 0
