#!/bin/bash
# LXC end to end with our criu: `lxc-checkpoint` runs the `criu` it finds on
# PATH with command-line options (a directory with a `criu` link to $CRIU
# comes first). A busybox container (lxc-create -t busybox) whose init is a
# counter loop that also writes to the console (/dev/console, a pty of the
# host's whose master LXC holds: --external tty[RDEV:DEV] at dump, a new one
# through --inherit-fd fd[N]:tty[RDEV:DEV] at restore):
#  - lxc-checkpoint -s: the container is STOPPED and its counter stands still;
#  - lxc-checkpoint -r: lxc-info shows it RUNNING, its init is pid 1 of its
#    pid namespace, its cgroup namespace is rooted at its cgroup, and the
#    counter carries on from where it stopped (it exits if writing to the
#    console fails), and its stdout is the console LXC made for the restore
#    (the terminal bound on the container's /dev/console); LXC's monitor
#    reads it (LXC 5.0.2 does not log a restored console to
#    lxc.console.logfile, so the lines themselves are not checked);
#  - its mounts come back with the same peer groups (LXC's mounts are all
#    shared; /dev and /proc/sys/kernel/random/boot_id are peers);
#  - a bind of a shared host tmpfs (lxc.mount.entry): in the container it is
#    a slave of the host's mount (--enable-external-masters); after the
#    restore a mount made on the host below it still shows in the container;
#  - a second checkpoint and restore of the restored container.
# The container has new pid, mnt, net (loopback only), ipc, uts and cgroup
# namespaces, LXC's cgroup v1 hierarchies, external bind mounts (/lib,
# /usr/lib...) and the console bound on /dev/console. Skips (never fails)
# without root, without LXC, or when LXC cannot start a container here.
# Cleans up with lxc-stop -k and lxc-destroy.
. "$TOP/tests/lib/cli.sh"

if [ "$(id -u)" != 0 ]; then
	echo "SKIP cli_lxc: needs root"
	exit 0
fi
for c in lxc-create lxc-start lxc-info lxc-checkpoint lxc-stop lxc-destroy; do
	if ! command -v "$c" >/dev/null; then
		echo "SKIP cli_lxc: LXC is not installed ($c missing; apt-get install lxc)"
		exit 0
	fi
done
if [ ! -x /usr/share/lxc/templates/lxc-busybox ] || [ ! -x /bin/busybox ]; then
	echo "SKIP cli_lxc: the busybox template or busybox-static is missing"
	exit 0
fi

lxcpath="$T_TMP/lxc"
name=criu-lxc-$$
bin="$T_TMP/bin"
mkdir -p "$lxcpath" "$bin"
ln -s "$CRIU" "$bin/criu"
lxc_() { local c=$1; shift; "$c" -P "$lxcpath" -n "$name" "$@"; }
shared="$T_TMP/shared"
cleanup() {
	lxc_ lxc-stop -k >/dev/null 2>&1
	lxc_ lxc-destroy -f >/dev/null 2>&1
	umount -R "$shared" 2>/dev/null
	rm -rf "$T_TMP"
}
trap cleanup EXIT

state_of() { lxc_ lxc-info -s -H 2>/dev/null; }
pid_of() { lxc_ lxc-info -p -H 2>/dev/null; }

# no network configuration: a net namespace with loopback only; no ttys but the console
cat >"$T_TMP/create.conf" <<'EOF'
lxc.init.cmd = /bin/counter
EOF
if ! lxc_ lxc-create -t busybox -f "$T_TMP/create.conf" >"$T_TMP/create.out" 2>&1; then
	echo "SKIP cli_lxc: lxc-create -t busybox failed: $(tail -n 1 "$T_TMP/create.out")"
	exit 0
fi
rootfs="$lxcpath/$name/rootfs"
sed -i 's/^lxc.tty.max = .*/lxc.tty.max = 0/' "$lxcpath/$name/config"
mkdir -p "$shared"
mount -t tmpfs criu-lxc-shared "$shared" && mount --make-shared "$shared" || {
	echo "FAIL lxc_shared_tmpfs"
	exit 0
}
echo "lxc.mount.entry = $shared data none bind,create=dir 0 0" >>"$lxcpath/$name/config"
cat >"$rootfs/bin/counter" <<'EOF'
#!/bin/sh
exec >/dev/console
i=0
while :; do i=$((i+1)); echo $i > /tmp/count; echo tick-$i || exit 1; sleep 0.1; done
EOF
chmod +x "$rootfs/bin/counter"
count="$rootfs/tmp/count"

if ! lxc_ lxc-start -d -l INFO -o "$T_TMP/start.log" >"$T_TMP/start.out" 2>&1; then
	echo "SKIP cli_lxc: LXC cannot start a container here: $(grep -m 1 ERROR "$T_TMP/start.log" | sed 's/.* - //')"
	exit 0
fi
for ((i = 0; i < 50; i++)); do [ -s "$count" ] && break; sleep 0.1; done
if [ "$(state_of)" != RUNNING ] || ! grows "$count" >/dev/null; then
	echo "SKIP cli_lxc: the container does not run here (state $(state_of))"
	exit 0
fi

# propagation FILE: the mountpoints, each with its peers (mounts of its shared:N group)
propagation() {
	python3 - "$1" <<'EOF'
import sys
groups, mounts = {}, []
for line in open(sys.argv[1]):
    f = line.split()
    opt = f[6:f.index("-")]
    g = [o for o in opt if o.startswith("shared:")]
    mounts.append((f[4], g[0] if g else None))
    if g:
        groups.setdefault(g[0], []).append(f[4])
for mp, g in sorted(mounts):
    print(mp, ",".join(sorted(groups[g])) if g else "private")
EOF
}

# cycle N: checkpoint (the container stops), restore, and check what runs
cycle() {
	local n=$1 img="$T_TMP/img$1" stopped pid
	cp "/proc/$(pid_of)/mountinfo" "$T_TMP/mountinfo.before$n"
	if ! PATH="$bin:$PATH" lxc_ lxc-checkpoint -s -D "$img" >"$T_TMP/ckpt$n.out" 2>&1; then
		echo "    lxc-checkpoint -s failed:"
		sed 's/^/      /' "$T_TMP/ckpt$n.out" | head -n 5
		grep -h Error "$img/dump.log" 2>/dev/null | head -n 5 | sed 's/^/      /'
		echo "FAIL lxc_checkpoint$n"
		return 1
	fi
	stopped=$(counter_of "$count")
	sleep 0.3
	if [ "$(state_of)" != STOPPED ] || [ "$(counter_of "$count")" != "$stopped" ]; then
		echo "    after lxc-checkpoint -s: state $(state_of), counter $(counter_of "$count") (was $stopped)"
		echo "FAIL lxc_checkpoint$n"
		return 1
	fi
	echo "PASS lxc_checkpoint$n"
	if ! PATH="$bin:$PATH" lxc_ lxc-checkpoint -r -D "$img" >"$T_TMP/rst$n.out" 2>&1; then
		echo "    lxc-checkpoint -r failed:"
		sed 's/^/      /' "$T_TMP/rst$n.out" | head -n 5
		grep -h Error "$img/restore.log" 2>/dev/null | head -n 5 | sed 's/^/      /'
		echo "FAIL lxc_restore$n"
		return 1
	fi
	pid=$(pid_of)
	verdict "lxc_restore$n" test "$(state_of)" = RUNNING -a -n "$pid"
	verdict "lxc_init_is_pid1_$n" test "$(sed -n 's/^NSpid:.*\s//p' "/proc/$pid/status")" = 1
	verdict "lxc_counter_carries_on$n" carries_on "$count" "$stopped"
	verdict "lxc_console$n" test -c "/proc/$pid/fd/1" -a \
		"$(stat -L -c %d:%t:%T "/proc/$pid/fd/1")" = "$(stat -L -c %d:%t:%T "/proc/$pid/root/dev/console")"
	verdict "lxc_cgroupns$n" test "$(lxc_ lxc-attach -- cat /proc/1/cgroup | grep -vc ':/$')" = 0
	cp "/proc/$pid/mountinfo" "$T_TMP/mountinfo.after$n"
	propagation "$T_TMP/mountinfo.before$n" >"$T_TMP/prop.before$n"
	propagation "$T_TMP/mountinfo.after$n" >"$T_TMP/prop.after$n"
	mkdir -p "$shared/sub$n"
	mount -t tmpfs "criu-lxc-sub$n" "$shared/sub$n"
	if grep -q " /data/sub$n .* master:" "/proc/$pid/mountinfo"; then
		echo "PASS lxc_external_master$n"
	else
		echo "    a mount on the host at $shared/sub$n does not show at /data/sub$n in the container:"
		grep -E ' /data' "/proc/$pid/mountinfo" | sed 's/^/      /'
		echo "FAIL lxc_external_master$n"
	fi
	umount "$shared/sub$n"
	if diff -u "$T_TMP/prop.before$n" "$T_TMP/prop.after$n" >"$T_TMP/prop.diff$n" &&
		grep -q '^/dev /dev,/proc/sys/kernel/random/boot_id$' "$T_TMP/prop.after$n"; then
		echo "PASS lxc_mount_peers$n"
	else
		echo "    the mounts' peer groups differ (before, after):"
		sed 's/^/      /' "$T_TMP/prop.diff$n" | head -n 20
		echo "FAIL lxc_mount_peers$n"
	fi
}

# carries_on FILE FROM: the counter goes on from about FROM and grows
carries_on() {
	local v
	grows "$1" || return 1
	v=$(counter_of "$1")
	[ "$v" -ge "$2" ] && [ "$v" -le $(($2 + 100)) ] || { echo "    counter is $v, it stopped at $2"; return 1; }
}

cycle 1 && cycle 2
exit 0
