#!/bin/bash
# The symlink-planting suite (issue 12, section 2, and the FIFO bullet of
# section 3): root runs dump, restore, check and service in a directory that
# an unprivileged user owns, after that user planted a symlink (then, in a
# second round, a hard link) under every name criu will create there, each
# pointing at a root-owned victim file outside the directory. Every victim
# must come out unchanged, inventory.img must be a regular file, and each
# command must either succeed or refuse naming the file (an RPC dump through
# libcriu too, when python3 is there to drive it). Then inventory.img
# is replaced by a FIFO and by a symlink to one: restore and show must end
# within seconds with a clear error.
#
# Run as root under a child subreaper: build/tests/subreaper bash tests/reliability/rel_symlinks.sh
# (CRIU=path/to/criu to try another binary).
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
export CRIU=${CRIU:-$TOP/build/criu}
source "$TOP/tests/lib/cli.sh"

if [ "$(id -u)" != 0 ]; then
	echo "SKIP rel_symlinks: needs root (criu dumps and restores as root)"
	exit 0
fi
OWNER=65534 # nobody: the user who owns the directory and plants the links
HANG=10     # seconds after which a command counts as hung

# ---- the names criu creates: learned from a dump of a small process ----
learn=$T_TMP/learn
spawn sleep 1000
"$CRIU" dump -t "$SPAWNED" -D "$learn" -o dump.log -v4 -R >"$T_TMP/learn.out" 2>&1
learn_rc=$?
killtree "$SPAWNED"
if [ "$learn_rc" != 0 ]; then
	sed 's/^/    /' "$T_TMP/learn.out" | head -n 20
	echo "    log: $learn/dump.log"
	echo "FAIL learn_image_names"
	exit 1
fi
mapfile -t IMAGES < <(cd "$learn" && ls -1 -- *.img)
NAMES=("${IMAGES[@]}" inventory.img.tmp stats-dump stats-restore dump.log restore.log pid x.log svc.log svc.pid
	rpc.log)
echo "    names planted: ${NAMES[*]}"

# ---- victims: root-owned files outside the directory, with known contents ----
victims=$T_TMP/victims
mkdir -m 0755 "$victims"
fingerprint() { stat -c '%s %a %u %F' "$1" 2>/dev/null && md5sum <"$1" 2>/dev/null; }
make_victims() { # ROUND: one victim per planted name
	local n
	for n in "${NAMES[@]}"; do
		printf 'victim of %s in round %s\n' "$n" "$1" >"$victims/$1-$n"
		chmod 0644 "$victims/$1-$n"
		fingerprint "$victims/$1-$n" >"$victims/$1-$n.want"
	done
}
# count_clobbered ROUND: prints the victims of ROUND that changed, returns how many
count_clobbered() {
	local n bad=0
	for n in "${NAMES[@]}"; do
		if [ "$(fingerprint "$victims/$1-$n")" != "$(cat "$victims/$1-$n.want")" ]; then
			echo "    victim of $n changed: $(stat -c '%s bytes, %h links' "$victims/$1-$n" 2>/dev/null)" >&2
			bad=$((bad + 1))
		fi
	done
	echo "$bad"
}

# succeeded_or_refused NAME RC OUTFILE: the command succeeded, or failed naming what was in its way
succeeded_or_refused() {
	if [ "$2" = 0 ] || grep -Eq 'in the way|not a regular file' "$3"; then
		echo "PASS $1"
	else
		echo "    exit status $2, and no refusal naming a planted file:"
		sed 's/^/      /' "$3" | head -n 15
		echo "FAIL $1"
	fi
}

# run_all ROUND DIR: root's dump, restore, check and service in DIR
run_all() {
	local round=$1 dir=$2 rc pid svc i
	spawn sleep 1000
	pid=$SPAWNED
	"$CRIU" dump -t "$pid" -D "$dir" -o dump.log -v4 -R >"$T_TMP/$round-dump.out" 2>&1
	rc=$?
	killtree "$pid"
	succeeded_or_refused "${round}_dump_safe" "$rc" "$T_TMP/$round-dump.out"
	if [ "$rc" = 0 ]; then
		verdict "${round}_inventory_is_a_regular_file" test -f "$dir/inventory.img" -a ! -L "$dir/inventory.img"
		verdict "${round}_shared_dir_warned" grep -q "writable by its owner uid $OWNER" "$dir/dump.log"
	fi

	for i in 1 2 3; do # the pid may still be taken for a moment on a busy machine (EEXIST)
		"$CRIU" restore -D "$dir" -d -o restore.log --pidfile pid -v4 >"$T_TMP/$round-restore.out" 2>&1
		rc=$?
		[ "$rc" != 0 ] && grep -q 'File exists' "$T_TMP/$round-restore.out" || break
		sleep 1
	done
	succeeded_or_refused "${round}_restore_safe" "$rc" "$T_TMP/$round-restore.out"
	if [ "$rc" = 0 ]; then
		verdict "${round}_pidfile_written" grep -qx "$pid" "$dir/pid"
		killtree "$pid"
	fi

	"$CRIU" check -W "$dir" -o x.log -v4 >"$T_TMP/$round-check.out" 2>&1
	succeeded_or_refused "${round}_check_safe" "$?" "$T_TMP/$round-check.out"

	# the service from inside the directory: -o and --pidfile are relative to
	# -W now, and were relative to the cwd before; both are the directory here
	rm -f "$T_TMP/svc.sock"
	(cd "$dir" && exec "$CRIU" service -W "$dir" -o svc.log -v4 --pidfile svc.pid \
		--address "$T_TMP/svc.sock" >"$T_TMP/$round-svc.out" 2>&1) &
	svc=$!
	for ((i = 0; i < 100; i++)); do
		[ -S "$T_TMP/svc.sock" ] && [ -s "$dir/svc.pid" ] && break
		alive "$svc" || break
		sleep 0.05
	done
	if alive "$svc"; then
		verdict "${round}_service_pidfile_written" grep -qx "$svc" "$dir/svc.pid"
		kill "$svc"
		wait "$svc" 2>/dev/null
	else
		wait "$svc"
		succeeded_or_refused "${round}_service_safe" "$?" "$T_TMP/$round-svc.out"
	fi
}

# an RPC job (libcriu -> criu swrk): its log is opened by the RPC front door, in the images dir
LIBCRIU=$(dirname "$CRIU")/libcriu.so.2
[ -f "$LIBCRIU" ] || LIBCRIU=$TOP/build/libcriu.so.2
cat >"$T_TMP/rpc_dump.py" <<'EOF'
import ctypes, os, sys
lib = ctypes.CDLL(sys.argv[1])
if lib.criu_init_opts() < 0:
    sys.exit("criu_init_opts failed")
lib.criu_set_service_binary(sys.argv[2].encode())
lib.criu_set_images_dir_fd(os.open(sys.argv[3], os.O_RDONLY | os.O_DIRECTORY))
lib.criu_set_log_file(b"rpc.log")
lib.criu_set_log_level(4)
lib.criu_set_pid(int(sys.argv[4]))
lib.criu_set_leave_running(True)
r = lib.criu_dump()
print("criu_dump returned", r, "(log rpc.log)")
sys.exit(0 if r == 0 else 1)
EOF
rpc_dump() { # ROUND DIR
	local pid
	if ! command -v python3 >/dev/null || [ ! -f "$LIBCRIU" ]; then
		echo "SKIP ${1}_rpc_dump_safe: needs python3 and $LIBCRIU"
		return
	fi
	spawn sleep 1000
	pid=$SPAWNED
	python3 "$T_TMP/rpc_dump.py" "$LIBCRIU" "$CRIU" "$2" "$pid" >"$T_TMP/$1-rpc.out" 2>&1
	succeeded_or_refused "${1}_rpc_dump_safe" "$?" "$T_TMP/$1-rpc.out"
	killtree "$pid"
}

# ---- round 1: symlinks ----
sym=$T_TMP/owned-sym
mkdir -m 0755 "$sym"
chown "$OWNER:$OWNER" "$sym"
make_victims sym
for n in "${NAMES[@]}"; do
	ln -s "$victims/sym-$n" "$sym/$n"
	chown -h "$OWNER:$OWNER" "$sym/$n"
done
run_all sym "$sym"
rpc_dump sym "$sym"
bad=$(count_clobbered sym)
echo "FIGURE symlink_victims_clobbered: $bad of ${#NAMES[@]}"
verdict symlink_victims_unchanged test "$bad" = 0

# ---- round 2: hard links (root's own files, linked where the user could) ----
hard=$T_TMP/owned-hard
mkdir -m 0755 "$hard"
chown "$OWNER:$OWNER" "$hard"
make_victims hard
for n in "${NAMES[@]}"; do
	ln "$victims/hard-$n" "$hard/$n" # criu may remove this name; the victim's contents must stay
done
run_all hard "$hard"
rpc_dump hard "$hard"
bad=$(count_clobbered hard)
echo "FIGURE hardlink_victims_clobbered: $bad of ${#NAMES[@]}"
verdict hardlink_victims_unchanged test "$bad" = 0

# ---- the service's -o is relative to -W, not to its cwd ----
wdir=$T_TMP/svc-work
mkdir "$wdir"
rm -f "$T_TMP/svc.sock"
(cd / && exec "$CRIU" service -W "$wdir" -o svc-own.log -v4 --address "$T_TMP/svc.sock" >/dev/null 2>&1) &
svc=$!
for ((i = 0; i < 100; i++)); do
	[ -S "$T_TMP/svc.sock" ] && break
	alive "$svc" || break
	sleep 0.05
done
kill "$svc" 2>/dev/null
wait "$svc" 2>/dev/null
verdict service_log_relative_to_workdir test -s "$wdir/svc-own.log" -a ! -e /svc-own.log
rm -f /svc-own.log

# ---- inventory.img as a FIFO, and as a symlink to one ----
hangs=0 tries=0
mkfifo "$T_TMP/outside.fifo"
# no_hang NAME PATTERN -- COMMAND...: ends within $HANG s, fails, and says PATTERN
no_hang() {
	local name=$1 pattern=$2 rc
	shift 3
	tries=$((tries + 1))
	timeout -k 2 "$HANG" "$@" >"$T_TMP/$name.out" 2>&1 </dev/null
	rc=$?
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		hangs=$((hangs + 1))
		echo "    $*: still running after $HANG s"
		echo "FAIL $name: hang"
	elif [ "$rc" = 0 ] || ! grep -Eq -- "$pattern" "$T_TMP/$name.out"; then
		echo "    $*: exit status $rc; output does not match /$pattern/:"
		sed 's/^/      /' "$T_TMP/$name.out" | head -n 10
		echo "FAIL $name"
	else
		echo "PASS $name"
	fi
}
for kind in fifo link; do
	d=$T_TMP/inv-$kind
	cp -a "$learn" "$d"
	rm -f "$d/inventory.img"
	if [ "$kind" = fifo ]; then
		mkfifo "$d/inventory.img"
		want='inventory.img: not a regular file \(fifo\)'
	else
		ln -s "$T_TMP/outside.fifo" "$d/inventory.img"
		want='inventory.img: not a regular file \(symbolic link\)'
	fi
	no_hang "inventory_${kind}_restore" "$want" -- "$CRIU" restore -D "$d" -d --log-to-stderr
	no_hang "inventory_${kind}_show" "$want" -- "$CRIU" show -D "$d"
done
# an explicitly named FIFO: show -f may follow it, but must not block on it
no_hang show_file_fifo 'not a regular file' -- "$CRIU" show -f "$T_TMP/outside.fifo"
echo "FIGURE fifo_hangs: $hangs of $tries"
