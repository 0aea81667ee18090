#!/bin/bash
# A tree in its own net namespace whose veth has its peer outside (in criu's
# namespace): the dump notes it; the restore needs --external
# veth[IN]:OUT (or --veth-pair IN=OUT) and then makes the pair again, IN
# inside with its address, OUT in criu's namespace. Packets go through: a
# connection from inside to OUT's address gets an answer (refused: nothing
# listens there, but the RST came back). criu show decodes netlinks.img.
# A namespace with a qdisc added by tc, an xfrm policy or a nexthop object
# is refused by name, and its tree runs on.
# Needs root, ip (iproute2), nsenter and python3; a child subreaper above it.
. "$TOP/tests/lib/cli.sh"

for t in ip nsenter unshare python3; do
	command -v "$t" >/dev/null || { echo "SKIP cli_net: $t is missing"; exit 0; }
done

host=cvh$$ out=cvo$$ out2=cvp$$
img="$T_TMP/img"
cleanup_links() { ip link del "$host" 2>/dev/null; ip link del "$out" 2>/dev/null; ip link del "$out2" 2>/dev/null; }
trap 'cleanup_links; rm -rf "$T_TMP"' EXIT

spawn unshare -n sleep 1000
pid=$SPAWNED
ns() { nsenter -t "$pid" -n "$@"; }
if ! ip link add "$host" type veth peer name vin0 netns "$pid" ||
	! ns ip link set lo up || ! ns ip addr add 10.213.77.2/24 dev vin0 || ! ns ip link set vin0 up; then
	echo "    cannot set the veth up"
	echo "FAIL net_setup"
	killtree "$pid"
	exit 0
fi

# probe: from inside, connect to ADDR:9; "refused" means the SYN went out and the RST came back
probe() {
	nsenter -t "$pid" -n python3 -c '
import socket, sys
try:
    socket.create_connection((sys.argv[1], 9), 3)
    print("connected")
except ConnectionRefusedError:
    print("refused")
except OSError as e:
    print("error", e)' "$1"
}

mkdir -p "$img"
expect net_dump 0 "" -- "$CRIU" dump -t "$pid" -D "$img" -o dump.log -v4
verdict net_dump_notes_outside_peer grep -q "link vin0: a veth whose peer is in another namespace" "$img/dump.log"
verdict net_dump_tree_gone gone "$pid"
expect net_show_links 0 '"name": "vin0".*"peer_outside": true' -- "$CRIU" show -f "$img/netlinks.img"
expect net_show_addrs 0 '"ifindex"' -- "$CRIU" show -f "$img/netaddrs.img"

expect net_restore_needs_external 1 "" -- "$CRIU" restore -d -D "$img" -o restore-noext.log
verdict net_restore_refusal_names_link grep -q 'link vin0: its veth peer was outside the namespace: --external veth\[vin0\]' \
	"$img/restore-noext.log"
verdict net_refused_restore_left_nothing sh -c "! ip link show $out >/dev/null 2>&1"

for spelling in external veth-pair; do
	o=$out
	[ $spelling = veth-pair ] && o=$out2
	if [ $spelling = external ]; then
		opt=(--external "veth[vin0]:$o")
	else
		opt=(--veth-pair "vin0=$o")
	fi
	expect "net_restore_$spelling" 0 "" -- "$CRIU" restore -d -D "$img" -o "restore-$spelling.log" -v4 "${opt[@]}"
	verdict "net_restored_$spelling" alive "$pid"
	verdict "net_outside_end_$spelling" sh -c "ip link show $o >/dev/null"
	verdict "net_inside_addr_$spelling" sh -c "nsenter -t $pid -n ip -o addr show vin0 | grep -q 10.213.77.2/24"
	ip addr add 10.213.77.1/24 dev "$o" && ip link set "$o" up
	expect "net_packets_flow_$spelling" 0 "^refused" -- probe 10.213.77.1
	killtree "$pid"
	# the pair goes with the namespace
	for ((i = 0; i < 100; i++)); do ip link show "$o" >/dev/null 2>&1 || break; sleep 0.05; done
	verdict "net_outside_end_gone_$spelling" sh -c "! ip link show $o >/dev/null 2>&1"
done

# state the images do not carry is refused by name, and the tree runs on
refusal() { # NAME PATTERN SETUP-COMMAND...: SETUP runs inside a new net namespace
	local name=$1 pat=$2 p
	shift 2
	spawn unshare -n sleep 1000
	p=$SPAWNED
	if ! nsenter -t "$p" -n "$@"; then
		echo "FAIL ${name}_setup"
		killtree "$p"
		return
	fi
	mkdir -p "$T_TMP/$name"
	expect "${name}_refused" 1 "$pat" -- "$CRIU" dump -t "$p" -D "$T_TMP/$name" --log-to-stderr
	verdict "${name}_runs_on" alive "$p"
	verdict "${name}_no_inventory" test ! -e "$T_TMP/$name/inventory.img"
	killtree "$p"
}
if command -v tc >/dev/null; then
	refusal qdisc 'link lo .*not supported yet: qdisc tbf' \
		tc qdisc add dev lo root tbf rate 1mbit burst 32kbit latency 400ms
else
	echo "SKIP qdisc: tc is missing"
fi
refusal xfrm 'not supported yet: 1 xfrm \(IPsec\) policies' ip xfrm policy add src 10.1.0.1 dst 10.1.0.2 dir out
refusal nexthop 'not supported yet: 1 nexthop objects' sh -c 'ip link set lo up && ip nexthop add id 7 blackhole'

# ---- dumped with --tcp-established, restored with --tcp-close: the connection reads as ended ----
# (the sk_tcp_close feature program checks TCP_CLOSE, end of file, POLLHUP and EPIPE on both ends)
F=$T_TMP/tcpclose
mkdir -p "$F/img"
setsid "$TOP/$BUILD/tests/features/sk_tcp_close" "$F" </dev/null >/dev/null 2>&1 &
for ((i = 0; i < 100; i++)); do [ -e "$F/ready" ] && break; sleep 0.05; done
pid=$(cat "$F/pid")
expect tcp_established_dump 0 '' -- "$CRIU" dump -t "$pid" -D "$F/img" -o dump.log --tcp-established
gone "$pid"
expect tcp_close_restore 0 '' -- "$CRIU" restore -d -D "$F/img" -o restore.log --tcp-close --pidfile "$F/rpid"
kill -USR1 "$(cat "$F/rpid" 2>/dev/null)" 2>/dev/null
for ((i = 0; i < 100; i++)); do [ -e "$F/result" ] && break; sleep 0.05; done
verdict tcp_established_restored_closed grep -qx PASS "$F/result"
[ -e "$F/result" ] && ! grep -qx PASS "$F/result" && echo "    $(cat "$F/result")"
kill -9 "$(cat "$F/rpid" 2>/dev/null)" 2>/dev/null

# ---- --network-lock iptables|nftables with --tcp-established: a tree's own net namespace is locked
# whole until restore ----
# (a new connection into it times out rather than being refused; packets marked 0xc114 pass)
probe() { # NS MARK [PORT]: "ok", "refused" or "timeout" for a connection to 127.0.0.1:PORT (8881) inside NS
	nsenter --net="/var/run/netns/$1" python3 -c "
import socket, sys
s = socket.socket(); s.settimeout(0.7)
if $2: s.setsockopt(socket.SOL_SOCKET, 36, 0xc114)
try:
    s.connect(('127.0.0.1', ${3:-8881})); print('ok')
except socket.timeout: print('timeout')
except ConnectionRefusedError: print('refused')
"
}
for how in iptables nftables; do
	nsn=crlock$$$how
	ip netns add "$nsn" && ip netns exec "$nsn" ip link set lo up || { echo "FAIL lock_${how}_setup"; continue; }
	spawn nsenter --net="/var/run/netns/$nsn" python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', 8881)); s.listen(8)
while True:
    c, a = s.accept(); c.close()"
	pid=$SPAWNED
	for ((i = 0; i < 50; i++)); do [ "$(probe "$nsn" 0)" = ok ] && break; sleep 0.1; done
	mkdir -p "$T_TMP/lock-$how"
	if "$CRIU" dump -t "$pid" -D "$T_TMP/lock-$how" -o dump.log --network-lock "$how" --tcp-established; then
		gone "$pid"
		# a listener whose packets carry the mark, as a migration's own tools would
		nsenter --net="/var/run/netns/$nsn" python3 -c "
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, 36, 0xc114)
s.bind(('127.0.0.1', 8882)); s.listen(8)
while True:
    c, a = s.accept(); c.close()" &
		marked=$!
		sleep 0.3
		verdict "lock_${how}_blocks_new_connections" test "$(probe "$nsn" 0)" = timeout
		verdict "lock_${how}_lets_marked_through" test "$(probe "$nsn" 1 8882)" = ok
		verdict "lock_${how}_blocks_unmarked_to_marked" test "$(probe "$nsn" 0 8882)" = timeout
		kill "$marked"
		wait "$marked" 2>/dev/null
		expect "lock_${how}_restore" 0 '' -- "$CRIU" restore -d -D "$T_TMP/lock-$how" -o restore.log \
			--join-ns "net:/var/run/netns/$nsn"
		verdict "lock_${how}_lifted" test "$(probe "$nsn" 0)" = ok
	else
		echo "FAIL lock_${how}_dump"
	fi
	killtree "$pid"
	ip netns del "$nsn"
done

# the verdicts above are the result, not the status of the last cleanup
exit 0
