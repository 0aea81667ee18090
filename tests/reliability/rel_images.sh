#!/bin/bash
# rel_images: restores of hostile and damaged images, as root.
#
# A few small real trees are dumped once into templates (a task of uid 65534
# with a file of its own open, an unlinked file, a --link-remap link, a pipe
# and a FIFO, a tree in pids cgroups, removed objects held). Then:
#  - the targeted hostile edits of issue 12 each get a check: a files.img path
#    set to /etc/shadow or ../../../etc/passwd, or naming a FIFO; a link_remap
#    naming a victim file; cgroup paths that leave the restore's cgroup root;
#    inventory.img replaced by a FIFO;
#  - REL_IMAGES_N (2000) mutated sets (tests/reliability/img_mutate.c) are each
#    tried with `criu restore -d` and `criu show`, two at a time, under
#    `timeout 10`.
# It counts crashes (death by a signal, a sanitizer report), hangs (the
# timeout) and effects outside the image dir and the tree's root: victim files
# with known contents and times (and /etc/shadow, /etc/passwd) changed or
# gone, cgroups made outside the restore's cgroup root, tasks left behind.
# Needs root and a child subreaper above it (PID 1 here does not reap).
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
export CRIU=${CRIU:-$TOP/$BUILD/criu}
MUTATE=${MUTATE:-$TOP/$BUILD/tests/img_mutate}
N=${REL_IMAGES_N:-2000}
. "$TOP/tests/lib/cli.sh"

if [ "$(id -u)" != 0 ]; then
	echo "SKIP rel_images: needs root"
	exit 0
fi
if [ ! -x "$MUTATE" ]; then
	echo "FAIL rel_images: $MUTATE is not built (make tests)"
	exit 1
fi

W=$T_TMP
V=$W/victims
CG=/sys/fs/cgroup/pids
CGN=rel-img-$$
cleanup() {
	local p d
	for p in $(pgrep -f 'sleep 1000[0-9][0-9]'); do kill -9 "$p" 2>/dev/null; done
	for d in $(find "$CG/$CGN" -depth -type d 2>/dev/null); do
		# only the templates' tasks: a task that a broken restore moved in here is not ours to kill
		for p in $(cat "$d/cgroup.procs" 2>/dev/null); do
			if [[ $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) == "sleep 1000"[0-9][0-9]* ]]; then
				kill -9 "$p" 2>/dev/null
			else
				echo "    cleanup: pid $p ($(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)) is in $d, not ours: left alone" >&2
			fi
		done
		for _ in 1 2 3 4 5 6 7 8 9 10; do rmdir "$d" 2>/dev/null && break; sleep 0.05; done
	done
	rm -rf "$T_TMP"
}
trap cleanup EXIT

# ---- victims: outside the image dirs and the trees' roots' files ----
mkdir -p "$V"
echo "victim one" >"$V/victim-1"
echo "victim two" >"$W/victim-2"
mkfifo "$V/fifo"
touch -d '2001-02-03 04:05:06' "$V/victim-1" "$W/victim-2"
# (/etc/passwd and /etc/shadow are not among them: other suites on this machine add users;
# a restored task that holds them, or a victim, is caught by holds_outside instead)
# (named ones: a ghost that an image puts in $V makes a name there for a moment, the
# other worker may see it; the end checks that nothing is left in $V)
victim_state() {
	stat -c '%n %s %Y %i %h %a %u' "$V/victim-1" "$V/fifo" "$W/victim-2" 2>&1
	md5sum "$V/victim-1" "$W/victim-2" 2>&1
}
# holds_outside PID: a task of PID's session has a victim or a system file open or mapped,
# told by inode (a ghost is a new unlinked inode of the image's contents, wherever its image
# puts it and whatever its name)
victim_inodes() { stat -L -c '%d:%i' "$V/victim-1" "$V/fifo" "$W/victim-2" /etc/shadow /etc/passwd 2>/dev/null; }
holds_outside() {
	local p f vi
	vi=$(victim_inodes)
	for p in $(pgrep -s "$1") "$1"; do
		for f in /proc/"$p"/fd/* /proc/"$p"/map_files/*; do
			[ -e "$f" ] || continue
			grep -qx -- "$(stat -L -c '%d:%i' "$f" 2>/dev/null)" <<<"$vi" && return 0
		done
	done
	return 1
}
victims0=$(victim_state)
# cgroups: none named like the escapes anywhere, nothing new beside the restore's root
cg_state() {
	find /sys/fs/cgroup -maxdepth 4 -type d \( -name 'rel-escape*' -o -path '/sys/fs/cgroup/*/a' \) 2>/dev/null
	[ -d "$CG/$CGN" ] && find "$CG/$CGN" -mindepth 1 -type d -not -path "$CG/$CGN/restore*" 2>/dev/null
}

# ---- templates ----
mkdir -p "$W/tpl" "$W/files"
declare -a TPLS=()
EXTRA_ghost="" EXTRA_remap="--link-remap"
dump_tpl() { # NAME PID [DUMP OPTIONS]
	local name=$1 pid=$2
	shift 2
	mkdir -p "$W/tpl/$name"
	if "$CRIU" dump -t "$pid" -D "$W/tpl/$name" -o dump.log "$@" >/dev/null 2>&1; then
		gone "$pid"
		killtree "$pid" >/dev/null
		TPLS+=("$name")
	else
		echo "    template $name: dump failed: $(grep Error "$W/tpl/$name/dump.log" | head -n 2)"
		echo "SKIP rel_images_template_$name: the dump failed"
		killtree "$pid" >/dev/null
	fi
}

# a task of uid 65534 with a file of its own open for writing
touch "$W/files/own"
chown 65534:65534 "$W/files/own"
chmod 755 "$W" "$W/files"
spawn setpriv --reuid=65534 --regid=65534 --clear-groups bash -c "exec 3<>$W/files/own; exec sleep 100011"
dump_tpl file "$SPAWNED"
# an unlinked file (a ghost)
echo "ghost contents" >"$W/files/ghost"
spawn bash -c "exec 3<>$W/files/ghost; rm $W/files/ghost; exec sleep 100012"
dump_tpl ghost "$SPAWNED"
# a removed path whose file lives on under another name (--link-remap)
mkdir -p "$W/lr"
echo "remapped" >"$W/lr/a"
ln "$W/lr/a" "$W/lr/b"
spawn bash -c "exec 3<>$W/lr/a; rm $W/lr/a; exec sleep 100013"
dump_tpl remap "$SPAWNED" --link-remap
remap_link=$(cd "$W/lr" && ls | grep '^link_remap\.' | head -n 1)
# a pipe between two tasks and a FIFO
mkfifo "$W/files/fifo"
spawn bash -c "exec 4<>$W/files/fifo; sleep 100014 | sleep 100015"
dump_tpl pipe "$SPAWNED"
# removed objects held: its cwd, a directory, a FIFO with data, a device node
mkdir -p "$W/rm/cwd" "$W/rm/d" && mkfifo "$W/rm/fifo" && mknod "$W/rm/null" c 1 3
spawn bash -c "cd $W/rm/cwd; exec 3<$W/rm/d 4<>$W/rm/fifo 5<>$W/rm/null; echo data >&4
	rmdir $W/rm/cwd $W/rm/d; rm $W/rm/fifo $W/rm/null; exec sleep 100018"
for ((i = 0; i < 100; i++)); do [ -e "$W/rm/null" ] || break; sleep 0.05; done
sleep 0.2 # until it is in sleep, after the exec
dump_tpl removed "$SPAWNED"
# a tree in pids cgroups: the root in $CGN/tree, a child in $CGN/tree/child
if [ -e "$CG/cgroup.procs" ] && mkdir -p "$CG/$CGN/tree/child" "$CG/$CGN/restore"; then
	spawn bash -c "echo \$\$ > $CG/$CGN/tree/cgroup.procs
		(echo \$BASHPID > $CG/$CGN/tree/child/cgroup.procs; exec sleep 100016) & exec sleep 100017"
	dump_tpl cg "$SPAWNED"
else
	echo "SKIP rel_images_template_cg: no pids cgroup hierarchy at $CG"
fi
if [ ${#TPLS[@]} = 0 ]; then
	echo "FAIL rel_images: no template could be dumped"
	exit 1
fi
has_tpl() { [[ " ${TPLS[*]} " == *" $1 "* ]]; }
cg_state0=$(cg_state)

# restore_try DIR: criu restore -d of DIR in its own throwaway way; prints one
# word: ok, refused, hang, crash, or escaped (restored, holding a file outside
# its images and root that it was not dumped with). A restored tree is killed at once.
restore_try() {
	local d=$1 rc pid
	local cgopt=()
	[ -d "$CG/$CGN/restore" ] && cgopt=(--cgroup-root "pids:/$CGN/restore")
	timeout -k 2 10 "$CRIU" restore -D "$d" -d --pidfile "$d/restored.pid" -o restore.log "${cgopt[@]}" \
		>"$d/restore.out" 2>&1 </dev/null
	rc=$?
	local held=no
	if [ -s "$d/restored.pid" ]; then
		pid=$(cat "$d/restored.pid")
		holds_outside "$pid" && held=yes
		killtree "$pid" >/dev/null
	fi
	if grep -q 'Sanitizer' "$d/restore.out" 2>/dev/null; then
		echo crash
	elif [ "$held" = yes ]; then
		echo escaped
	elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		echo hang
	elif [ "$rc" -gt 128 ]; then
		echo crash
	elif [ "$rc" = 0 ]; then
		echo ok
	else
		echo refused
	fi
}
show_try() {
	local d=$1 rc
	timeout -k 2 10 "$CRIU" show -D "$d" >/dev/null 2>"$d/show.err" </dev/null
	rc=$?
	if grep -q 'Sanitizer' "$d/show.err"; then echo crash
	elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then echo hang
	elif [ "$rc" -gt 128 ]; then echo crash
	else echo fine; fi
}
# the restore's own cgroups go between tries (a successful restore leaves them, as it should)
# (the root given to --cgroup-root is the operator's: it exists, and stays)
clear_restore_cg() {
	local d
	for d in $(find "$CG/$CGN/restore" -mindepth 1 -depth -type d 2>/dev/null); do
		for _ in 1 2 3 4 5 6 7 8 9 10; do rmdir "$d" 2>/dev/null && break; sleep 0.05; done
	done
}
# the --link-remap link is removed by each successful restore: put it back
reset_remap() { [ -n "$remap_link" ] && [ ! -e "$W/lr/$remap_link" ] && ln "$W/lr/b" "$W/lr/$remap_link"; }
fresh() { # TEMPLATE DIR
	rm -rf "$2"
	cp -a "$W/tpl/$1" "$2"
	rm -f "$2"/*.log
}
# victims back as they were (after a check that changed them, so the next is judged alone)
reset_victims() {
	rm -rf "$V/victim-1" "$W/victim-2"
	echo "victim one" >"$V/victim-1"
	echo "victim two" >"$W/victim-2"
	[ -p "$V/fifo" ] || { rm -rf "$V/fifo"; mkfifo "$V/fifo"; }
	touch -d '2001-02-03 04:05:06' "$V/victim-1" "$W/victim-2"
	victims0=$(victim_state)
}
untouched() {
	local now
	now=$(victim_state)
	[ "$now" = "$victims0" ] && return 0
	diff <(echo "$victims0") <(echo "$now") | sed 's/^/    /' | head -n 6
	return 1
}

# ---- the targeted hostile edits, one check each ----
hostile() { # NAME TEMPLATE WANT(refused|ok) MUTATE-ARGS...
	local name=$1 tpl=$2 want=$3 d=$W/h-$1 got
	shift 3
	if ! has_tpl "$tpl"; then
		echo "SKIP $name: no $tpl template"
		return
	fi
	fresh "$tpl" "$d"
	reset_remap
	if ! "$MUTATE" "${@/#@/$d}" >/dev/null; then
		echo "FAIL $name: img_mutate $* made no edit"
		return
	fi
	got=$(restore_try "$d")
	clear_restore_cg
	if [ "$got" != "$want" ]; then
		echo "    restore of $tpl with $*: $got, expected $want; $(grep -h Error "$d/restore.log" "$d/restore.out" 2>/dev/null | head -n 2)"
		echo "FAIL $name"
	elif ! untouched; then
		echo "    restore of $tpl with $* changed files outside"
		echo "FAIL $name"
		reset_victims
	elif [ "$(cg_state)" != "$cg_state0" ]; then
		echo "    restore of $tpl with $* left cgroups outside its root: $(cg_state | tr '\n' ' ')"
		echo "FAIL $name"
		for x in $(cg_state | sort -r); do rmdir "$x" 2>/dev/null; done
	else
		echo "PASS $name"
	fi
}

# the templates themselves restore (else the mutated sets prove little)
for tpl in "${TPLS[@]}"; do
	d=$W/plain-$tpl
	fresh "$tpl" "$d"
	reset_remap
	got=$(restore_try "$d")
	[ "$tpl" = cg ] && clear_restore_cg
	if [ "$got" = ok ]; then
		echo "PASS rel_images_template_${tpl}_restores"
	else
		echo "    $tpl: $got: $(grep -h Error "$d/restore.log" "$d/restore.out" 2>/dev/null | head -n 3)"
		echo "FAIL rel_images_template_${tpl}_restores"
	fi
done
hostile rel_images_path_shadow file refused set-path @ /etc/shadow
hostile rel_images_path_dotdot file refused set-path @ ../../../etc/passwd
hostile rel_images_path_root_dotdot file refused set-path @ /../../../etc/passwd
hostile rel_images_path_magic_link file refused set-path @ /proc/self/root/etc/shadow
hostile rel_images_path_fifo file refused set-path @ "$V/fifo"
hostile rel_images_path_devzero file refused set-path @ /dev/zero
hostile rel_images_remap_victim remap refused set-remap @ "$V/victim-1"
hostile rel_images_remap_victim_up remap refused set-remap @ "$V/../victim-2"
hostile rel_images_remap_other_dir remap refused set-remap @ "$V/${remap_link:-link_remap.1}"
# removed objects are made again only where no name is, never through a symlink or a file
hostile rel_images_removed_relative removed refused set-removed-path @ ../../../etc/rel-x
hostile rel_images_removed_magic_link removed refused set-removed-path @ /proc/self/root/tmp/rel-x
hostile rel_images_removed_through_file removed refused set-removed-path @ "$V/victim-1/x"
hostile rel_images_removed_victim_name removed ok set-removed-path @ "$V/victim-1"
ln -s "$W/not-made" "$W/dangling"
hostile rel_images_removed_dangling_symlink removed refused set-removed-path @ "$W/dangling/x"
verdict rel_images_removed_nothing_made test ! -e "$W/not-made"
# a property whose name is a path: criu would write the value there as root
hostile rel_images_cgroup_prop_path cg refused add-cgprop @ pids "../../../../../../../..$V/victim-1" pwned
# (the pid written is a bystander of ours, never 1: a criu that writes it moves that task,
# not the machine's init and with it everything forked afterwards)
spawn sleep 100019
bystander=$SPAWNED
hostile rel_images_cgroup_prop_unknown cg refused add-cgprop @ pids cgroup.procs "$bystander"
if grep -q ":pids:/$CGN/" "/proc/$bystander/cgroup"; then
	echo "    the bystander $bystander was moved into $(sed -n 's/^[0-9]*:pids://p' "/proc/$bystander/cgroup")"
	echo "FAIL rel_images_cgroup_prop_unknown_bystander"
fi
kill -9 "$bystander"
# a hierarchy that is not mounted is mounted by criu: never with options an image chose
# (release_agent= would have root run a program when a cgroup empties)
hostile rel_images_cgroup_mount_options cg refused set-cgroup @ pids "name=relx,release_agent=$V/victim-1" 4
verdict rel_images_cgroup_no_release_agent bash -c "! grep -q 'release_agent' /proc/self/mountinfo"
hostile rel_images_cgroup_dotdot cg refused set-cgroup @ pids /../../rel-escape 0
hostile rel_images_cgroup_outside cg refused set-cgroup @ pids /rel-escape 0
hostile rel_images_cgroup_outside_set cg refused set-cgroup @ pids /rel-escape 1
hostile rel_images_cgroup_inner_dotdot cg refused set-cgroup @ pids "/$CGN/tree/../../rel-escape" 2
# the root task's cgroup moved too (a whole tree elsewhere): --cgroup-root relocates it, allowed
hostile rel_images_cgroup_root_relocated cg ok set-cgroup @ pids /rel-elsewhere 3

# inventory.img a FIFO, a symlink to one, a directory, /dev/zero: refused at once, never a hang
for how in fifo fifolink dir devzero; do
	tpl=${TPLS[0]} d=$W/inv-$how
	fresh "$tpl" "$d"
	rm -f "$d/inventory.img"
	case $how in
	fifo) mkfifo "$d/inventory.img" ;;
	fifolink) ln -s "$V/fifo" "$d/inventory.img" ;;
	dir) mkdir "$d/inventory.img" ;;
	devzero) ln -s /dev/zero "$d/inventory.img" ;;
	esac
	got=$(restore_try "$d")
	shown=$(show_try "$d")
	if [ "$got" = refused ] && [ "$shown" = fine ]; then
		echo "PASS rel_images_inventory_$how"
	else
		echo "    inventory.img as $how: restore $got, show $shown"
		echo "FAIL rel_images_inventory_$how"
	fi
done

# ---- the mutated sets, two workers ----
worker() { # W_ID: writes its counts to $W/count-W_ID, a line per notable set to $W/notes-W_ID
	local id=$1 i tpl d r s ts tried=0 crashes=0 hangs=0 effects=0 restored=0 desc
	d=$W/set-$id
	for ((i = id; i < N; i += 2)); do
		tpl=${TPLS[$((i % ${#TPLS[@]}))]}
		ts=$(date +%s%N)
		fresh "$tpl" "$d"
		[ "$tpl" = remap ] && reset_remap
		desc=$("$MUTATE" "$W/tpl/$tpl" "$d" "$i" "$V" 2>&1)
		r=$(restore_try "$d")
		[ "$tpl" = cg ] && clear_restore_cg
		s=$(show_try "$d")
		tried=$((tried + 1))
		case $r in
		ok) restored=$((restored + 1)) ;;
		escaped) effects=$((effects + 1)); echo "outside effect (a restored task holds a file outside) $tpl #$i: $desc" >>"$W/notes-$id" ;;
		hang) hangs=$((hangs + 1)); echo "hang (restore) $tpl #$i: $desc" >>"$W/notes-$id" ;;
		crash) crashes=$((crashes + 1)); echo "crash (restore) $tpl #$i: $desc" >>"$W/notes-$id"
			cp -a "$d" "$W/crash-$i" ;;
		esac
		case $s in
		hang) hangs=$((hangs + 1)); echo "hang (show) $tpl #$i: $desc" >>"$W/notes-$id" ;;
		crash) crashes=$((crashes + 1)); echo "crash (show) $tpl #$i: $desc" >>"$W/notes-$id" ;;
		esac
		if [ "$(victim_state)" != "$victims0" ]; then
			effects=$((effects + 1))
			echo "outside effect (files) $tpl #$i: $desc" >>"$W/notes-$id"
			reset_victims
		fi
		if [ "$(cg_state)" != "$cg_state0" ]; then
			effects=$((effects + 1))
			echo "outside effect (cgroups: $(cg_state | tr '\n' ' ')) $tpl #$i: $desc" >>"$W/notes-$id"
			for x in $(cg_state | sort -r); do rmdir "$x" 2>/dev/null; done
		fi
		ts=$((($(date +%s%N) - ts) / 1000000))
		[ "$ts" -gt 1000 ] && echo "slow ($ts ms, restore $r) $tpl #$i: $desc" >>"$W/notes-$id"
		echo "$tpl $r $ts" >>"$W/times-$id"
	done
	echo "$tried $crashes $hangs $effects $restored" >"$W/count-$id"
}
victims0=$(victim_state) # the inventory checks above may have been restored over (they must not)
t0=$(date +%s)
worker 0 &
w0=$!
worker 1 &
w1=$!
wait "$w0" "$w1"
t1=$(date +%s)
read -r t0c c0 h0 e0 r0 <"$W/count-0"
read -r t1c c1 h1 e1 r1 <"$W/count-1"
tried=$((t0c + t1c)) crashes=$((c0 + c1)) hangs=$((h0 + h1)) effects=$((e0 + e1))
# where the time went: sets and mean ms by template and outcome
cat "$W"/times-* | awk '{n[$1" "$2]++; t[$1" "$2]+=$3} END {for (k in n) printf "    %s: %d sets, %d ms each\n", k, n[k], t[k]/n[k]}' | sort
# nothing left in the victims' directory but the victims
left=$(ls -A "$V" | grep -vx -e victim-1 -e fifo)
if [ -n "$left" ]; then
	echo "    left in $V: $(echo "$left" | tr '\n' ' ')"
	effects=$((effects + 1))
fi
# no task of the templates may be left behind
stray=$(pgrep -f 'sleep 1000[0-9][0-9]' | wc -l)
effects=$((effects + stray))
[ "$stray" != 0 ] && echo "    $stray restored task(s) left behind: $(pgrep -af 'sleep 1000[0-9][0-9]' | head -n 3 | tr '\n' ' ')"
cat "$W"/notes-* 2>/dev/null | head -n 40 | sed 's/^/    /'
echo "    $tried sets in $((t1 - t0)) s ($((r0 + r1)) restored as they were, templates: ${TPLS[*]})"
echo "FIGURE images_mutated: $tried"
echo "FIGURE images_crashes: $crashes"
echo "FIGURE images_hangs: $hangs"
echo "FIGURE images_outside_effects: $effects"
verdict rel_images_mutated_enough test "$tried" -ge "$N"
verdict rel_images_no_crash test "$crashes" = 0
verdict rel_images_no_hang test "$hangs" = 0
verdict rel_images_no_outside_effect test "$effects" = 0
