#!/bin/bash
# Podman end to end with our criu first on PATH: podman asks `criu` for its
# version (go-criu, swrk VERSION), then execs runc, which execs `criu swrk`.
# An image imported from a busybox rootfs tarball (no registry), a private
# storage (overlay driver, its own graph root, run root, tmp dir and file
# locks), runtime runc, cgroupfs, the events in a file, no network but the
# container's loopback. Every container keeps a counter in a shell variable
# and writes it to /tmp/count, appends it to /tmp/held (an fd it holds open)
# and prints it; a second process counts in /tmp/child. After each restore
# the counter carries on from where the dump stopped it (not from 1), the
# held file has every number once in order, the child has its pid of before
# in the container, and the restore always follows a remount of the overlay
# (the checkpoint stops the container, or it is removed and imported anew):
#  - five cycles of checkpoint and restore; podman exec and logs afterwards;
#    --pre-checkpoint is refused (criu has no dirty-page tracking), harmlessly;
#  - checkpoint --leave-running: it runs on; stopped, it is restored from
#    the images (the counter goes back to the dump's value and carries on);
#  - checkpoint --export, rm, restore --import; again with --name, beside it;
#  - checkpoint --create-image, rm, restore from that image;
#  - an established TCP connection over the container's loopback (busybox
#    nc): refused without --tcp-established; with it, the stream goes on;
#  - a static program holding a flock: refused without --file-locks; with
#    it, the lock is held again after the restore; --print-stats prints
#    criu's statistics, --keep keeps the logs and the images.
# Every restore follows a remount of the overlay, which may get another
# device number: criu finds the files by path and checks them by content.
# Prints how long podman's checkpoints and restores take. Skips without root
# or when podman, runc or conmon is missing or cannot run a container here.
# Needs a child subreaper above it (make check runs it under one): conmon
# daemonizes. Cleans up: containers, images, overlay mounts, storage.
. "$TOP/tests/lib/cli.sh"

if [ "$(id -u)" != 0 ]; then
	echo "SKIP cli_podman: needs root"
	exit 0
fi
for c in podman runc conmon; do
	if ! command -v "$c" >/dev/null; then
		echo "SKIP cli_podman: $c is not installed (scripts/install-deps.sh installs podman)"
		exit 0
	fi
done
if [ ! -x /bin/busybox ]; then
	echo "SKIP cli_podman: busybox-static is not installed"
	exit 0
fi

P="$T_TMP/podman"
mkdir -p "$P/bin" "$P/tmp" "$P/net" "$P/rootfs/bin" "$P/rootfs/tmp" "$P/rootfs/etc"
ln -s "$CRIU" "$P/bin/criu"
# the container's limits must not exceed ours (no CAP_SYS_RESOURCE here);
# conmon's PATH is the one runc looks for criu in
cat >"$P/containers.conf" <<EOF
[containers]
netns = "none"
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$P/events.log"
runtime = "runc"
lock_type = "file"
tmp_dir = "$P/tmp"
image_copy_tmp_dir = "$P/tmp"
conmon_env_vars = ["PATH=$P/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
[network]
network_config_dir = "$P/net"
EOF
cat >"$P/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$P/graph"
runroot = "$P/run"
EOF
export CONTAINERS_CONF="$P/containers.conf" CONTAINERS_STORAGE_CONF="$P/storage.conf"
export PATH="$P/bin:$PATH"
pm() { podman --root "$P/graph" --runroot "$P/run" --storage-driver overlay --runtime runc \
	--cgroup-manager cgroupfs --events-backend file "$@"; }
# what podman leaves behind outside its storage, removed unless it was there before:
# its blob cache (/var/lib/containers/cache) and its cgroups (libpod_parent)
leftovers=()
for d in /var/lib/containers /sys/fs/cgroup /sys/fs/cgroup/*/; do
	[ "$d" = /var/lib/containers ] || d="${d%/}/libpod_parent"
	[ -e "$d" ] || leftovers+=("$d")
done
image=localhost/criu-test-busybox:$$
ckpt_image=localhost/criu-test-checkpoint:$$
bg_pids=()
run_opts=()
cleanup() {
	local m
	[ ${#bg_pids[@]} = 0 ] || kill "${bg_pids[@]}" 2>/dev/null
	pm rm -fa -t 0 >/dev/null 2>&1
	pm rmi -fa >/dev/null 2>&1
	# the overlay mounts (and the storage's own) go before the files under them
	for m in $(awk -v p="$P/" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
		umount -l "$m" 2>/dev/null
	done
	rm -rf "$T_TMP"
	for m in "${leftovers[@]}"; do
		case "$m" in
		/sys/*) [ -d "$m" ] && rmdir "$m/conmon" "$m" 2>/dev/null ;;
		*) rm -rf "$m" ;;
		esac
	done
}
trap cleanup EXIT

cp /bin/busybox "$P/rootfs/bin/"
for a in sh sleep cat echo nc; do ln -s busybox "$P/rootfs/bin/$a"; done
tar -C "$P/rootfs" -cf "$P/rootfs.tar" . && pm import -q "$P/rootfs.tar" "$image" >"$T_TMP/import.out" 2>&1
if [ $? != 0 ]; then
	sed 's/^/      /' "$T_TMP/import.out" | head -n 5
	echo "SKIP cli_podman: podman cannot import an image here"
	exit 0
fi
if ! pm run --rm "$image" sh -c : >"$T_TMP/probe.out" 2>&1; then
	sed 's/^/      /' "$T_TMP/probe.out" | head -n 5
	echo "SKIP cli_podman: podman cannot run a container here"
	exit 0
fi

loop='exec 3>>/tmp/held
(j=0; while :; do j=$((j+1)); echo $j >/tmp/child; sleep 0.1; done) &
i=0; while :; do i=$((i+1)); echo $i >/tmp/count; echo $i >&3; echo out-$i; sleep 0.1; done'

pid_of() { pm inspect --format '{{.State.Pid}}' "$1" 2>/dev/null | grep -v '^0$'; }
status_of() { pm inspect --format '{{.State.Status}}' "$1" 2>/dev/null; }
userdata() { echo "$P/graph/overlay-containers/$(pm inspect --format '{{.Id}}' "$1" 2>/dev/null)/userdata"; }
root_of() { echo "/proc/$(pid_of "$1")/root"; }
# nspid PID: its pid in its innermost pid namespace
nspid() { awk '/^NSpid:/ { print $NF }' "/proc/$1/status" 2>/dev/null; }
# child_nspid CTR: the pid in the container of its init's child
child_nspid() {
	local p
	p=$(pid_of "$1") || return
	nspid "$(cut -d' ' -f1 "/proc/$p/task/$p/children")"
}

timings=()
# run_timed NAME WHAT LOGS_OF COMMAND...: runs a podman command, PASS or FAIL
# with its output and the Error lines of criu's logs in the container LOGS_OF
run_timed() {
	local name=$1 what=$2 logs_of=$3 t0 t1 rc
	shift 3
	t0=$(date +%s%N)
	"$@" >"$T_TMP/$name.out" 2>&1
	rc=$?
	t1=$(date +%s%N)
	if [ "$rc" = 0 ]; then
		timings+=("$what $(((t1 - t0) / 1000000))")
		echo "PASS $name"
		return 0
	fi
	echo "    $*: exit status $rc:"
	sed 's/^/      /' "$T_TMP/$name.out" | head -n 8
	grep -h Error "$(userdata "$logs_of")"/{dump,restore}.log 2>/dev/null | head -n 5 | sed 's/^/      /'
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
# in_order FILE: its lines are 1, 2, 3... (the counter never started again)
in_order() {
	awk 'NF && $1 != NR { printf "    %s: line %d is %s\n", FILENAME, NR, $1; bad = 1; exit } END { exit bad }' "$1"
}
# rewound_once FILE FROM: its lines are 1, 2, 3... up to the end of the run
# that went on after the dump, then once back to a number past FROM (the
# counter of the dump, restored), and in order again
rewound_once() {
	awk -v from="$2" 'NF { if (NR == 1 && $1 != 1) { bad = 1; exit }
		if (NR > 1 && $1 != prev + 1) {
			if (back || $1 > prev || $1 <= from) { bad = 1; exit }
			back = 1
		}
		prev = $1 }
		END { if (bad || !back) printf "    %s: line %d is %s after %s; rewound %d times\n", FILENAME, NR, $1, prev, back
			exit bad || !back }' "$1"
}
# lines_grow FILE: FILE gets more lines within 3 s
lines_grow() {
	local before i
	before=$(wc -l <"$1")
	for ((i = 0; i < 60; i++)); do
		[ "$(wc -l <"$1")" -gt "$before" ] && return 0
		sleep 0.05
	done
	echo "    $1 stuck at $before lines"
	return 1
}
# logs_go_on CTR FROM: podman logs shows a line out-N with N > FROM
logs_go_on() {
	local i
	for ((i = 0; i < 50; i++)); do
		pm logs "$1" 2>/dev/null | awk -v f="$2" '/^out-/ { n = substr($1, 5) + 0 } END { exit !(n > f) }' && return 0
		sleep 0.1
	done
	echo "    podman logs $1 shows no out-N past $2: $(pm logs "$1" 2>&1 | tail -n 1)"
	return 1
}

# refused NAME CTR PATTERN [ARGS...]: podman checkpoint fails; criu's log
# says why in an Error line matching PATTERN; the container runs on
refused() {
	local name=$1 ctr=$2 pattern=$3 log
	shift 3
	log="$(userdata "$ctr")/dump.log"
	if pm container checkpoint "$@" "$ctr" >"$T_TMP/$name.out" 2>&1; then
		echo "    podman container checkpoint $* $ctr succeeded"
	elif ! grep '^.\{0,20\}Error' "$log" | grep -Eq -- "$pattern"; then
		echo "    no Error line matching /$pattern/ in $log:"
		grep -h Error "$log" | head -n 5 | sed 's/^/      /'
	elif [ "$(status_of "$ctr")" != running ]; then
		echo "    $ctr is $(status_of "$ctr") after the refusal"
	else
		echo "PASS $name"
		return 0
	fi
	echo "FAIL $name"
	return 1
}

# start NAME CTR COMMAND...: podman run -d (with the options in run_opts); the container counts
start() {
	local name=$1 ctr=$2
	shift 2
	if ! pm run -d --name "$ctr" "${run_opts[@]}" "$image" "$@" >"$T_TMP/$name.out" 2>&1; then
		sed 's/^/      /' "$T_TMP/$name.out" | head -n 5
		echo "FAIL $name"
		return 1
	fi
	if ! grows "$(root_of "$ctr")/tmp/count"; then
		pm logs "$ctr" 2>&1 | tail -n 3 | sed 's/^/      /'
		echo "FAIL $name"
		return 1
	fi
	echo "PASS $name"
}

# before_dump CTR: the pid in the container of its child
before_dump() { child=$(child_nspid "$1"); }
# after_dump CTR: where the counters stopped, read in the overlay's upper
# layer (the container is stopped and its overlay unmounted)
after_dump() {
	local u
	u=$(pm inspect --format '{{.GraphDriver.Data.UpperDir}}' "$1")
	stopped=$(counter_of "$u/tmp/count")
	stopped_child=$(counter_of "$u/tmp/child")
}
# mounted CTR: its overlay is mounted (inspect shows no MergedDir once it is
# not: the path is its upper layer's sibling)
mounted() {
	local u
	u=$(pm inspect --format '{{.GraphDriver.Data.UpperDir}}' "$1")
	[ -d "$u" ] || { echo "    $1 has no upper layer ($u)"; return 2; }
	grep -q " ${u%/diff}/merged " /proc/self/mountinfo
}
not_mounted() {
	mounted "$1"
	[ $? = 1 ]
}

# restored NAME CTR [leave-running]: the container runs on from the dump
restored() {
	local name=$1 ctr=$2 r
	r=$(root_of "$ctr")
	verdict "${name}_running" test "$(status_of "$ctr")" = running
	verdict "${name}_carries_on" carries_on "$r/tmp/count" "$stopped"
	verdict "${name}_child_carries_on" carries_on "$r/tmp/child" "$stopped_child"
	verdict "${name}_init_is_pid1" test "$(nspid "$(pid_of "$ctr")")" = 1
	verdict "${name}_child_same_pid" test -n "$child" -a "$(child_nspid "$ctr")" = "$child"
	verdict "${name}_held_fd" test "$(readlink "/proc/$(pid_of "$ctr")/fd/3")" = /tmp/held
	# after --leave-running the file had grown past the dump
	[ "${3:-}" = leave-running ] || verdict "${name}_held_in_order" in_order "$r/tmp/held"
	verdict "${name}_logs_go_on" logs_go_on "$ctr" "$stopped"
}

# ---- five cycles of checkpoint and restore ----
ctr=criu-test-$$-a
if start podman_started "$ctr" sh -c "$loop"; then
	for cycle in 1 2 3 4 5; do
		n=podman_cycle$cycle
		cycled=$cycle
		before_dump "$ctr"
		verdict "${n}_mounted" mounted "$ctr"
		run_timed "${n}_checkpoint" "checkpoint (cycle $cycle)" "$ctr" pm container checkpoint "$ctr" || break
		after_dump "$ctr"
		verdict "${n}_exited" test "$(status_of "$ctr")" = exited
		# the overlay is unmounted: the restore mounts it again
		verdict "${n}_unmounted" not_mounted "$ctr"
		run_timed "${n}_restore" "restore (cycle $cycle)" "$ctr" pm container restore "$ctr" || break
		restored "$n" "$ctr"
		cycled=all
	done
	if [ "$cycled" = all ]; then
		# the counter rewrites /tmp/count (truncate, then write): read it again if it was caught empty
		expect podman_exec 0 '^[0-9]+$' -- pm exec "$ctr" sh -c \
			'for t in 1 2 3 4 5; do c=$(cat /tmp/count); [ -n "$c" ] && break; sleep 0.05; done; echo "$c"'
		# no dirty-page tracking here: runc refuses a pre-dump after a
		# FEATURE_CHECK of criu's, and the container runs on untouched
		expect podman_precheckpoint_refused 125 'missing features' -- pm container checkpoint -P "$ctr"
		verdict podman_precheckpoint_runs_on grows "$(root_of "$ctr")/tmp/count"
	fi
fi
pm rm -f -t 0 "$ctr" >/dev/null 2>&1

# ---- --leave-running; later stopped, restored from the images ----
ctr=criu-test-$$-b
if start podman_lr_started "$ctr" sh -c "$loop"; then
	before_dump "$ctr"
	stopped=$(counter_of "$(root_of "$ctr")/tmp/count")
	stopped_child=$(counter_of "$(root_of "$ctr")/tmp/child")
	if run_timed podman_lr_checkpoint checkpoint-leave-running "$ctr" pm container checkpoint -R "$ctr"; then
		verdict podman_lr_running test "$(status_of "$ctr")" = running
		verdict podman_lr_counts grows "$(root_of "$ctr")/tmp/count"
		verdict podman_lr_not_traced test "$(tracer "$(pid_of "$ctr")")" = 0
		sleep 0.5 # it counts past the dump: the restore goes back
		pm stop -t 0 "$ctr" >/dev/null 2>&1
		verdict podman_lr_stopped_unmounted not_mounted "$ctr"
		if run_timed podman_lr_restore restore-after-leave-running "$ctr" pm container restore "$ctr"; then
			restored podman_lr "$ctr" leave-running
			verdict podman_lr_held_rewound rewound_once "$(root_of "$ctr")/tmp/held" "$stopped"
		fi
	fi
fi
pm rm -f -t 0 "$ctr" >/dev/null 2>&1

# ---- --export, rm, restore --import; again with --name beside it ----
ctr=criu-test-$$-c
archive="$T_TMP/checkpoint.tar.gz"
if start podman_export_started "$ctr" sh -c "$loop"; then
	before_dump "$ctr"
	if run_timed podman_export_checkpoint checkpoint-export "$ctr" \
		pm container checkpoint --export "$archive" "$ctr"; then
		after_dump "$ctr"
		verdict podman_export_archive test -s "$archive"
		pm rm -f -t 0 "$ctr" >/dev/null 2>&1
		run_timed podman_import_restore restore-import "$ctr" pm container restore --import "$archive" &&
			restored podman_import "$ctr"
		if run_timed podman_import_name_restore restore-import-name "$ctr-copy" \
			pm container restore --import "$archive" --name "$ctr-copy"; then
			restored podman_import_name "$ctr-copy"
			[ -n "$(pid_of "$ctr")" ] && verdict podman_import_name_beside test "$(status_of "$ctr")" = running
		fi
	fi
fi
pm rm -f -t 0 "$ctr" "$ctr-copy" >/dev/null 2>&1

# ---- --create-image, rm, restore from the image ----
ctr=criu-test-$$-d
if start podman_image_started "$ctr" sh -c "$loop"; then
	before_dump "$ctr"
	if run_timed podman_image_checkpoint checkpoint-create-image "$ctr" \
		pm container checkpoint --create-image "$ckpt_image" "$ctr"; then
		after_dump "$ctr"
		verdict podman_image_exists pm image exists "$ckpt_image"
		pm rm -f -t 0 "$ctr" >/dev/null 2>&1
		run_timed podman_image_restore restore-from-image "$ctr" pm container restore "$ckpt_image" &&
			restored podman_image "$ctr"
	fi
fi
pm rm -f -t 0 "$ctr" >/dev/null 2>&1

# ---- an established TCP connection inside the container ----
# nc listens and writes what it receives to /tmp/recv (its stdin a pipe that
# stays open: at EOF it would hang up); a loop sends the counter to it through
# a second nc over the loopback
tcp='sleep 1000000 | nc -l -p 5000 >/tmp/recv & sleep 0.3
i=0; while :; do i=$((i+1)); echo $i >/tmp/count; echo $i; sleep 0.1; done | nc 127.0.0.1 5000'
ctr=criu-test-$$-e
if start podman_tcp_started "$ctr" sh -c "$tcp"; then
	r=$(root_of "$ctr")
	verdict podman_tcp_connected lines_grow "$r/tmp/recv"
	refused podman_tcp_refused_without "$ctr" 'needs --tcp-established'
	verdict podman_tcp_refused_runs_on grows "$(root_of "$ctr")/tmp/count"
	if run_timed podman_tcp_checkpoint checkpoint-tcp "$ctr" \
		pm container checkpoint --tcp-established "$ctr"; then
		after_dump "$ctr"
		if run_timed podman_tcp_restore restore-tcp "$ctr" pm container restore --tcp-established "$ctr"; then
			r=$(root_of "$ctr")
			verdict podman_tcp_carries_on carries_on "$r/tmp/count" "$stopped"
			verdict podman_tcp_stream_goes_on lines_grow "$r/tmp/recv"
			verdict podman_tcp_stream_in_order in_order "$r/tmp/recv"
			verdict podman_tcp_established bash -c "grep -q ' 01 ' /proc/$(pid_of "$ctr")/net/tcp"
		fi
	fi
fi
pm rm -f -t 0 "$ctr" >/dev/null 2>&1

# ---- a TCP connection from the host, to a container on the host's network ----
# the dump's lock (a chain of criu's in the host's iptables) keeps the host's
# end from being reset while the container is down. (On podman's bridge the
# new network namespace answers the host's retransmission with a reset as
# soon as podman sets it up, before runc and criu run: not tested.)
port=$((20000 + $$ % 20000))
ctr=criu-test-$$-g
run_opts=(--network host)
if start podman_tcp_host_started "$ctr" sh -c \
	"sleep 1000000 | nc -l -p $port >/tmp/recv & i=0; while :; do i=\$((i+1)); echo \$i >/tmp/count; sleep 0.1; done"; then
	r=$(root_of "$ctr")
	# the host's end: busybox nc sending what a counting loop writes into a fifo
	mkfifo "$T_TMP/feed"
	busybox nc 127.0.0.1 "$port" <"$T_TMP/feed" >/dev/null 2>&1 &
	bg_pids+=($!)
	(
		i=0
		while :; do
			i=$((i + 1))
			echo $i
			sleep 0.1
		done
	) >"$T_TMP/feed" &
	bg_pids+=($!)
	verdict podman_tcp_host_connected lines_grow "$r/tmp/recv"
	if run_timed podman_tcp_host_checkpoint checkpoint-tcp-host "$ctr" \
		pm container checkpoint --tcp-established "$ctr"; then
		verdict podman_tcp_host_locked bash -c "iptables -w -S | grep -q -- '--dport $port .*DROP'"
		if run_timed podman_tcp_host_restore restore-tcp-host "$ctr" \
			pm container restore --tcp-established "$ctr"; then
			r=$(root_of "$ctr")
			verdict podman_tcp_host_stream_goes_on lines_grow "$r/tmp/recv"
			verdict podman_tcp_host_stream_in_order in_order "$r/tmp/recv"
			verdict podman_tcp_host_unlocked bash -c "! iptables -w -S | grep -q -- '--dport $port .*DROP'"
		fi
	fi
	kill "${bg_pids[@]}" 2>/dev/null
fi
run_opts=()
pm rm -f -t 0 "$ctr" >/dev/null 2>&1

# ---- file locks, --print-stats, --keep ----
# a static program: flock on /tmp/lock, a POSIX write lock on /tmp/plock, and
# a counter in memory written to /tmp/count
locked() {
	python3 - "$1" <<'PY'
import errno, fcntl, sys
r = sys.argv[1]
for path, lock in (("/tmp/lock", fcntl.flock), ("/tmp/plock", fcntl.lockf)):
    with open(r + path, "r+") as f:
        try:
            lock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            if e.errno in (errno.EAGAIN, errno.EACCES):
                continue
            raise
        sys.exit("    %s is not locked" % path)
PY
}
# stats_have FILE FIELD...: podman's --print-stats JSON has these criu
# statistics, each above zero
stats_have() {
	python3 - "$@" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
s = json.loads(text[text.index("{"):])
c = s["container_statistics"][0]["criu_statistics"]
bad = [f for f in sys.argv[2:] if not c.get(f)]
if bad:
    sys.exit("    no %s in %s" % (", ".join(bad), json.dumps(c)))
PY
}
if cc -static -O2 -o "$T_TMP/locker" -x c - 2>"$T_TMP/cc.out" <<'EOF'
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <unistd.h>
int main(void)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd = open("/tmp/lock", O_RDWR | O_CREAT, 0644), pfd = open("/tmp/plock", O_RDWR | O_CREAT, 0644);

	if (fd < 0 || pfd < 0 || flock(fd, LOCK_EX) < 0 || fcntl(pfd, F_SETLK, &fl) < 0)
		return 1;
	for (long i = 1;; i++) {
		FILE *f = fopen("/tmp/count", "w");

		if (f) {
			fprintf(f, "%ld\n", i);
			fclose(f);
		}
		printf("out-%ld\n", i);
		fflush(stdout);
		usleep(100000);
	}
}
EOF
then
	ctr=criu-test-$$-f
	# the program goes into the container's upper layer with podman cp
	if pm create --name "$ctr" "$image" /bin/locker >"$T_TMP/create.out" 2>&1 &&
		pm cp "$T_TMP/locker" "$ctr:/bin/locker" >>"$T_TMP/create.out" 2>&1 &&
		pm start "$ctr" >>"$T_TMP/create.out" 2>&1 && grows "$(root_of "$ctr")/tmp/count"; then
		echo "PASS podman_locks_started"
		verdict podman_locks_held locked "$(root_of "$ctr")"
		refused podman_locks_refused_without "$ctr" 'with --file-locks'
		verdict podman_locks_refused_runs_on grows "$(root_of "$ctr")/tmp/count"
		u=$(userdata "$ctr")
		if run_timed podman_locks_checkpoint checkpoint-locks-stats-keep "$ctr" \
			pm container checkpoint --file-locks --print-stats --keep "$ctr"; then
			after_dump "$ctr"
			verdict podman_stats_dump stats_have "$T_TMP/podman_locks_checkpoint.out" \
				freezing_time memdump_time pages_written
			verdict podman_keep_dump_log test -s "$u/dump.log" -a -s "$u/stats-dump"
			if run_timed podman_locks_restore restore-locks-stats-keep "$ctr" \
				pm container restore --file-locks --print-stats --keep "$ctr"; then
				verdict podman_locks_carries_on carries_on "$(root_of "$ctr")/tmp/count" "$stopped"
				verdict podman_locks_held_again locked "$(root_of "$ctr")"
				verdict podman_locks_logs_go_on logs_go_on "$ctr" "$stopped"
				verdict podman_stats_restore stats_have "$T_TMP/podman_locks_restore.out" \
					forking_time restore_time pages_restored
				verdict podman_keep_restore_log test -s "$u/restore.log" -a -s "$u/checkpoint/inventory.img"
			fi
		fi
	else
		sed 's/^/      /' "$T_TMP/create.out" | head -n 5
		echo "FAIL podman_locks_started"
	fi
	pm rm -f -t 0 "$ctr" >/dev/null 2>&1
else
	sed 's/^/      /' "$T_TMP/cc.out" | head -n 3
	echo "SKIP podman_locks: no static C toolchain (libc6-dev)"
fi

# ---- timings ----
for t in "${timings[@]}"; do
	echo "    podman ${t% *}: ${t##* } ms"
done
exit 0
