#!/bin/bash
# LXC with Debian's default container config, end to end with our criu
# (lxc-checkpoint runs the `criu` first on PATH: a directory with a `criu`
# link to $CRIU comes first). Containers come from `lxc-create -t busybox`
# with /etc/lxc/default.conf as it is (lxc.net.0.type = veth on lxcbr0,
# lxc.apparmor.profile = generated, so LXC passes --lsm-profile
# apparmor:generated; no LSM is active on these machines). Changed only:
#  - lxc.net.0.link: a bridge of the test's own (lxc-net's lxcbr0 would
#    want dnsmasq and NAT on the host);
#  - lxc.tty.max = 0: LXC 5.0.2's restore never allocates the ttys its
#    config asks for, and its monitor then crashes (NULL conf->ttys.tty in
#    lxc_terminal_free) at the first command a client sends, lxc-checkpoint
#    -r's own included. The ttys themselves are checked by restoring a
#    default (lxc.tty.max = 5) container's images with criu directly, with
#    lxc-checkpoint's arguments (the last part).
# Each container runs a counter started with lxc-attach (its pid, a file it
# keeps open and appends to, a count) and is checkpointed (lxc-checkpoint
# -s) and restored (lxc-checkpoint -r) twice in a row:
#  (a) veth on the bridge (--external veth[eth0]:vethX@BRIDGE): the new
#      host end is on the bridge and UP, and the host pings the container
#      through it;
#  (b) veth without a link: the host end comes back UP, as it was;
#  (c) lxc.net.0.type = empty (LXC 5.0.2 then passes a stray --external
#      apparmor:generated, which is logged and kept), and the same without
#      lxc.apparmor.profile (the stray is --external console:/dev/pts/N);
#  (d) lxc.tty.max = 5 with a getty on tty1 and a cat on the console, once:
#      lxc-checkpoint -s, then criu restore run directly (see ttys_direct).
# Needs root and a child subreaper above it (make check runs it under one).
# Skips (never fails) without LXC or when LXC cannot start a container here.
# Cleans up with lxc-stop -k, lxc-destroy and the bridge's removal.
. "$TOP/tests/lib/cli.sh"

if [ "$(id -u)" != 0 ]; then
	echo "SKIP cli_lxc_default: needs root"
	exit 0
fi
for c in lxc-create lxc-start lxc-info lxc-attach lxc-checkpoint lxc-stop lxc-destroy; do
	if ! command -v "$c" >/dev/null; then
		echo "SKIP cli_lxc_default: LXC is not installed ($c missing; apt-get install lxc)"
		exit 0
	fi
done
for c in ip nsenter python3 pgrep; do
	if ! command -v "$c" >/dev/null; then
		echo "    $c is missing (scripts/install-deps.sh installs it)"
		echo "FAIL lxc_default_tools"
		exit 0
	fi
done
if [ ! -x /usr/share/lxc/templates/lxc-busybox ] || [ ! -x /bin/busybox ]; then
	echo "SKIP cli_lxc_default: the busybox template or busybox-static is missing"
	exit 0
fi

lxcpath="$T_TMP/lxc"
bin="$T_TMP/bin"
br="crlx$$"
net="10.$((200 + $$ % 50)).$(($$ / 50 % 250)).0"
net=${net%.0}
mkdir -p "$lxcpath" "$bin"
ln -s "$CRIU" "$bin/criu"
names=()
cleanup() {
	local n
	# a tree criu restored directly dies with python, its parent
	[ -n "$DIRECT_PID" ] && kill -9 "$DIRECT_PID" 2>/dev/null
	for n in "${names[@]}"; do
		lxc-stop -P "$lxcpath" -n "$n" -k >/dev/null 2>&1
		lxc-destroy -P "$lxcpath" -n "$n" -f >/dev/null 2>&1
	done
	ip link del "$br" 2>/dev/null
	rm -rf "$T_TMP"
}
trap cleanup EXIT
if ! ip link add "$br" type bridge || ! ip link set "$br" up || ! ip addr add "$net.1/24" dev "$br"; then
	echo "FAIL lxc_default_bridge"
	exit 0
fi

lxc_() { local c=$1 n=$2; shift 2; "$c" -P "$lxcpath" -n "$n" "$@"; }
state_of() { lxc_ lxc-info "$1" -s -H 2>/dev/null; }
pid_of() { lxc_ lxc-info "$1" -p -H 2>/dev/null; }

# make_container NAME MODE: a default busybox container, its network per MODE (bridge, nolink, empty,
# unconfined: empty without an apparmor profile; ttys: bridge, lxc.tty.max kept)
make_container() {
	local n=$1 mode=$2 cfg="$lxcpath/$1/config"
	if ! lxc_ lxc-create "$n" -t busybox >"$T_TMP/create-$n.out" 2>&1; then
		echo "SKIP cli_lxc_default: lxc-create -t busybox failed: $(tail -n 1 "$T_TMP/create-$n.out")"
		exit 0
	fi
	names+=("$n")
	case $mode in
	bridge) sed -i "s/^lxc.net.0.link = .*/lxc.net.0.link = $br/" "$cfg" ;;
	nolink) sed -i '/^lxc.net.0.link/d' "$cfg" ;;
	empty) sed -i 's/^lxc.net.0.type = .*/lxc.net.0.type = empty/; /^lxc.net.0.link/d; /^lxc.net.0.flags/d' "$cfg" ;;
	unconfined) # and no lxc.apparmor.profile: no --lsm-profile, LXC's stray --external is the console's
		sed -i 's/^lxc.net.0.type = .*/lxc.net.0.type = empty/; /^lxc.net.0.link/d; /^lxc.net.0.flags/d' "$cfg"
		sed -i '/^lxc.apparmor/d' "$cfg" ;;
	ttys) sed -i "s/^lxc.net.0.link = .*/lxc.net.0.link = $br/" "$cfg" ;;
	esac
	[ "$mode" = ttys ] || sed -i 's/^lxc.tty.max = .*/lxc.tty.max = 0/' "$cfg"
	# a counter with a file it keeps open (fd 3)
	cat >"$lxcpath/$n/rootfs/bin/counter" <<'EOF'
#!/bin/sh
echo $$ >/tmp/counter.pid
exec 3>>/tmp/counter.log
i=0
while :; do i=$((i+1)); echo $i >/tmp/count; echo $i >&3; sleep 0.1; done
EOF
	chmod +x "$lxcpath/$n/rootfs/bin/counter"
}

# start_container NAME: started, with the counter running in it
start_container() {
	local n=$1 root="$lxcpath/$1/rootfs" i
	if ! lxc_ lxc-start "$n" -d -l INFO -o "$T_TMP/start-$n.log" >"$T_TMP/start-$n.out" 2>&1; then
		echo "SKIP cli_lxc_default: LXC cannot start a container here: $(grep -m 1 ERROR "$T_TMP/start-$n.log" | sed 's/.* - //')"
		exit 0
	fi
	lxc_ lxc-attach "$n" -- /bin/sh -c 'setsid /bin/counter </dev/null >/dev/null 2>&1 &'
	for ((i = 0; i < 50; i++)); do [ -s "$root/tmp/count" ] && break; sleep 0.1; done
	if [ "$(state_of "$n")" != RUNNING ] || ! grows "$root/tmp/count" >/dev/null; then
		echo "SKIP cli_lxc_default: the container does not run here (state $(state_of "$n"))"
		exit 0
	fi
}

# in_container NAME: the host pids of the processes in the container's pid namespace
in_container() {
	local ns p
	ns=$(readlink "/proc/$(pid_of "$1")/ns/pid") || return 1
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$ns" ] && echo "${p#/proc/}"
	done
}

# host_pid NAME VPID: the host pid of the container's pid VPID
host_pid() {
	local p
	for p in $(in_container "$1"); do
		[ "$(sed -n 's/^NSpid:.*\s//p' "/proc/$p/status" 2>/dev/null)" = "$2" ] && { echo "$p"; return 0; }
	done
	return 1
}

# counter_state NAME: "VPID FDTARGET" of the counter (its pid in the container, its fd 3)
counter_state() {
	local root="$lxcpath/$1/rootfs" vpid p
	vpid=$(cat "$root/tmp/counter.pid")
	p=$(host_pid "$1" "$vpid") || { echo "$vpid gone"; return; }
	echo "$vpid $(readlink "/proc/$p/fd/3")"
}

# log_follows NAME FROM: counter.log goes on from FROM without a gap or a restart
log_follows() {
	local log="$lxcpath/$1/rootfs/tmp/counter.log"
	grows "$lxcpath/$1/rootfs/tmp/count" || return 1
	python3 - "$log" "$2" <<'EOF' || return 1
import sys
v = [int(x) for x in open(sys.argv[1]).read().split()]
if v != list(range(1, len(v) + 1)) or v[-1] <= int(sys.argv[2]):
    k = next((i for i, x in enumerate(v) if x != i + 1), len(v))
    print("    counter.log: %d lines, last %d, first break at line %d; it was at %s at the checkpoint" %
          (len(v), v[-1] if v else 0, k + 1, sys.argv[2]))
    sys.exit(1)
EOF
}

# host_end NAME: "IFINDEX NAME STATE MASTER" of the host end of the container's eth0
host_end() {
	local pid idx
	pid=$(pid_of "$1")
	idx=$(nsenter -t "$pid" -n ip -o link show eth0 | sed -n 's/.*eth0@if\([0-9]*\):.*/\1/p')
	[ -n "$idx" ] || { echo "no eth0 in the container"; return; }
	ip -o link show | awk -v i="$idx:" '$1 == i { m = "-"; for (k = 1; k < NF; k++) if ($k == "master") m = $(k + 1);
		s = "?"; for (k = 1; k < NF; k++) if ($k == "state") s = $(k + 1); sub(/@.*/, "", $2); print i, $2, s, m }'
}

# checkpoint NAME N: lxc-checkpoint -s; the container stops and its counter stands still
checkpoint() {
	local n=$1 img="$T_TMP/img-$1-$2" stopped
	rm -rf "$img"
	if ! PATH="$bin:$PATH" lxc_ lxc-checkpoint "$n" -s -D "$img" >"$T_TMP/ckpt-$n-$2.out" 2>&1; then
		echo "    lxc-checkpoint -s failed:"
		sed 's/^/      /' "$T_TMP/ckpt-$n-$2.out" | head -n 5
		grep -h Error "$img/dump.log" 2>/dev/null | head -n 5 | sed 's/^/      /'
		echo "FAIL lxc_default_${n}_checkpoint$2"
		return 1
	fi
	stopped=$(counter_of "$lxcpath/$n/rootfs/tmp/count")
	sleep 0.3
	if [ "$(state_of "$n")" != STOPPED ] || [ "$(counter_of "$lxcpath/$n/rootfs/tmp/count")" != "$stopped" ]; then
		echo "    after lxc-checkpoint -s: state $(state_of "$n"), counter $(counter_of "$lxcpath/$n/rootfs/tmp/count") (was $stopped)"
		echo "FAIL lxc_default_${n}_checkpoint$2"
		return 1
	fi
	echo "PASS lxc_default_${n}_checkpoint$2"
	STOPPED_AT=$stopped
}

# restore NAME N: lxc-checkpoint -r; it runs again
restore() {
	local n=$1 img="$T_TMP/img-$1-$2"
	if ! PATH="$bin:$PATH" lxc_ lxc-checkpoint "$n" -r -D "$img" >"$T_TMP/rst-$n-$2.out" 2>&1; then
		echo "    lxc-checkpoint -r failed:"
		sed 's/^/      /' "$T_TMP/rst-$n-$2.out" | head -n 5
		grep -h Error "$img/restore.log" 2>/dev/null | head -n 5 | sed 's/^/      /'
		echo "FAIL lxc_default_${n}_restore$2"
		return 1
	fi
	verdict "lxc_default_${n}_restore$2" test "$(state_of "$n")" = RUNNING
}

# pings ADDR: the host reaches ADDR (iputils' ping may be missing: busybox's)
pings() { /bin/busybox ping -c 1 -W 3 "$1" >/dev/null 2>&1 || { echo "    no answer from $1"; return 1; }; }

# cycles NAME MODE: two checkpoints and restores in a row, the counter's state and the network checked
cycles() {
	local n=$1 mode=$2 k before after end
	start_container "$n"
	if [ "$mode" = bridge ]; then
		lxc_ lxc-attach "$n" -- /bin/ip addr add "$net.2/24" dev eth0
		verdict "lxc_default_${n}_ping0" pings "$net.2"
	fi
	for k in 1 2; do
		before=$(counter_state "$n")
		checkpoint "$n" $k && restore "$n" $k || return 1
		after=$(counter_state "$n")
		verdict "lxc_default_${n}_counter_pid_file$k" test "$after" = "$before" -a "${after#* }" = /tmp/counter.log
		verdict "lxc_default_${n}_counter_carries_on$k" log_follows "$n" "$STOPPED_AT"
		[ "$mode" = empty ] || [ "$mode" = unconfined ] || end=$(host_end "$n")
		case $mode in
		bridge)
			verdict "lxc_default_${n}_host_end_on_bridge$k" test "${end##* }" = "$br" -a "$(echo "$end" | cut -d' ' -f3)" = UP
			verdict "lxc_default_${n}_ping$k" pings "$net.2"
			;;
		nolink)
			verdict "lxc_default_${n}_host_end_up$k" test "$(echo "$end" | cut -d' ' -f3)" = UP -a "${end##* }" = -
			;;
		empty)
			verdict "lxc_default_${n}_stray_external_logged$k" \
				grep -q 'Warn.*--external apparmor:generated: no resource of ours uses this key' "$T_TMP/img-$n-$k/restore.log" ;;
		unconfined)
			verdict "lxc_default_${n}_stray_external_logged$k" \
				grep -q 'Warn.*--external console:/dev/pts/[0-9]*: no resource of ours uses this key' "$T_TMP/img-$n-$k/restore.log" ;;
		esac
	done
}

# criu restore with lxc-checkpoint -r's arguments (--restore-detached
# --restore-sibling; and an --lsm-mount-context, which LXC does not pass),
# run by this script's python instead of LXC's monitor:
# the tree becomes python's child and lives while python sleeps (LXC's init
# dies with its parent); its console is a new pty whose master python holds.
# Prints rc=STATUS once criu is done; $DIRECT_PID is python's.
direct_restore() {
	python3 - "$CRIU" "$1" "$2" "$3" <<'EOF' &
import os, subprocess, sys, time
criu, img, root, veth = sys.argv[1:5]
m, s = os.openpty()
tty = open(img + "/tty.info").read().strip()
mounts = ["lib:/lib", "usr/lib:/usr/lib", "lib64:/lib64", "usr/lib64:/usr/lib64",
          "sys/kernel/security:/sys/kernel/security", "console:" + os.ttyname(s)]
args = [criu, "restore", "-D", img, "-o", "restore.log", "-v4", "--root", root,
        "--restore-detached", "--restore-sibling",
        "--tcp-established", "--file-locks", "--link-remap", "--ext-mount-map", "auto",
        "--enable-external-sharing", "--enable-external-masters", "--manage-cgroups=ignore",
        "--inherit-fd", "fd[%d]:%s" % (s, tty), "--lsm-profile", "apparmor:generated",
        "--lsm-mount-context", "system_u:object_r:container_file_t:s0",
        "--external", "veth[eth0]:" + veth, "--pidfile", img + "/root.pid"]
for mm in mounts:
    args += ["--ext-mount-map", mm]
rc = subprocess.run(args, pass_fds=(s,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
print("rc=%d" % rc, flush=True)
time.sleep(60 if rc == 0 else 0)
EOF
	DIRECT_PID=$!
}

# logged FILE PATTERN...: every (fixed) pattern is in FILE
logged() {
	local f=$1 pat
	shift
	for pat; do grep -qF -- "$pat" "$f" || { echo "    not in $f: $pat"; return 1; }; done
}

# the host pid of the process of comm COMM in container NAME
comm_pid() {
	local p
	for p in $(in_container "$1"); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$2" ] && echo "$p"
	done
}

# the host pid of the child of PID whose pid in its namespace is VPID
child_with_vpid() {
	local p
	for p in $(pgrep -P "$1"); do
		[ "$(sed -n 's/^NSpid:.*\s//p' "/proc/$p/status" 2>/dev/null)" = "$2" ] && echo "$p"
	done
}

# (d) lxc.tty.max = 5, a getty on ttyN (the controlling terminal of its
# session: pty N-1 of the container's devpts, whose master LXC holds) and a
# cat whose controlling terminal is the console (a pty of the host's devpts:
# N is chosen so that both have the same number when the console's is below
# 5), checkpointed by lxc-checkpoint -s and restored by criu directly (see
# above): the getty's pty is made anew in the container's devpts, and hangs
# up once criu is gone (LXC's restore holds no master for it): the getty
# dies of the SIGHUP; the cat keeps its pid and the console as its
# controlling terminal; /dev/tty1-5 are bound again.
ttys_direct() {
	local n=tt$$ img="$T_TMP/img-tt$$-1" gvpid cvpid gpid cpid rpid line i k t
	make_container "$n" ttys
	start_container "$n"
	k=$((16#$(stat -L -c %T "/proc/$(pid_of "$n")/root/dev/console")))
	t=$((k < 5 ? k + 1 : 1))
	[ "$k" -lt 5 ] || echo "    the console is pts/$k: its number is no tty's, the two are not mixed up here"
	lxc_ lxc-attach "$n" -- /bin/sh -c "setsid /bin/getty -L tty$t 115200 vt100 </dev/null >/dev/null 2>&1 &"
	lxc_ lxc-attach "$n" -- /bin/sh -c 'setsid -c /bin/cat </dev/console >/dev/null 2>&1 &'
	for ((i = 0; i < 50; i++)); do
		gpid=$(comm_pid "$n" getty)
		cpid=$(comm_pid "$n" cat)
		[ -n "$gpid" ] && [ -n "$cpid" ] && break
		sleep 0.1
	done
	gvpid=$(sed -n 's/^NSpid:.*\s//p' "/proc/$gpid/status" 2>/dev/null)
	cvpid=$(sed -n 's/^NSpid:.*\s//p' "/proc/$cpid/status" 2>/dev/null)
	verdict lxc_default_ttys_getty_and_cat test -n "$gvpid" -a -n "$cvpid" -a \
		"$(cut -d' ' -f7 "/proc/$gpid/stat" 2>/dev/null)" = $((34816 + t - 1)) -a \
		"$(cut -d' ' -f7 "/proc/$cpid/stat" 2>/dev/null)" = $((34816 + k))
	checkpoint "$n" 1 || return 1
	direct_restore "$img" "$lxcpath/$n/rootfs" "vethtt$$@$br" >"$T_TMP/direct.out"
	for ((i = 0; i < 300; i++)); do
		line=$(cat "$T_TMP/direct.out")
		[ -n "$line" ] && break
		sleep 0.1
	done
	if [ "$line" != rc=0 ] || ! rpid=$(cat "$img/root.pid"); then
		echo "    criu restore of the ttys' images: ${line:-no answer}"
		grep -h Error "$img/restore.log" 2>/dev/null | head -n 5 | sed 's/^/      /'
		echo "FAIL lxc_default_ttys_restore"
		return 1
	fi
	echo "PASS lxc_default_ttys_restore"
	verdict lxc_default_ttys_no_lsm logged "$img/restore.log" \
		'--lsm-profile apparmor:generated: no LSM here, the tree ran unconfined: nothing to apply' \
		'--lsm-mount-context system_u:object_r:container_file_t:s0: no LSM here'
	verdict lxc_default_ttys_made_anew grep -q "/dev/tty$t: pty $((t - 1)) made anew in the tree's devpts" "$img/restore.log"
	# the console is now python's pty: the cat's controlling terminal and fd 0
	cpid=$(child_with_vpid "$rpid" "$cvpid")
	verdict lxc_default_ttys_console_ctty test -n "$cpid" -a \
		"$(cut -d' ' -f7 "/proc/$cpid/stat" 2>/dev/null)" = $((34816 + 16#$(stat -L -c %T "/proc/$cpid/fd/0" 2>/dev/null || echo ff))) \
		-a "$(stat -L -c %d "/proc/$cpid/fd/0" 2>/dev/null)" = "$(stat -c %d /dev/pts/ptmx)"
	for ((i = 0; i < 30; i++)); do
		gpid=$(child_with_vpid "$rpid" "$gvpid")
		[ -z "$gpid" ] && break
		sleep 0.1
	done
	verdict lxc_default_ttys_getty_hung_up test -z "$gpid"
	verdict lxc_default_ttys_console_still test -n "$(child_with_vpid "$rpid" "$cvpid")"
	verdict lxc_default_ttys_binds test "$(grep -cE ' /dev/tty[1-5] ' "/proc/$rpid/mountinfo")" = 5
	verdict lxc_default_ttys_counter_carries_on log_follows "$n" "$STOPPED_AT"
	kill -9 "$DIRECT_PID" 2>/dev/null # the tree's init dies with its parent
	wait "$DIRECT_PID" 2>/dev/null
	DIRECT_PID=
}

make_container "br$$" bridge
cycles "br$$" bridge
make_container "nl$$" nolink
cycles "nl$$" nolink
make_container "em$$" empty
cycles "em$$" empty
make_container "un$$" unconfined
cycles "un$$" unconfined
ttys_direct
exit 0
