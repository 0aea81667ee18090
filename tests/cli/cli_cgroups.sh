#!/bin/bash
# Cgroups from the command line: membership (v1 hierarchies and cgroup2),
# properties with --manage-cgroups soft/full/none/ignore, --cgroup-root
# relocation, and --freeze-cgroup (v1 freezer and cgroup2) including a failed
# dump, after which the cgroup is thawed and the tree runs on.
# Needs root, cgroup v1 controllers under /sys/fs/cgroup/<ctrl> and cgroup2 at
# /sys/fs/cgroup/unified, and a child subreaper above it. Every cgroup it
# makes is removed at exit, whatever happened.
. "$TOP/tests/lib/cli.sh"

CG=/sys/fs/cgroup
N=criu-test-$$
for c in pids cpu memory freezer unified; do
	if [ ! -e "$CG/$c/cgroup.procs" ]; then
		echo "SKIP cli_cgroups: $CG/$c is not a mounted cgroup hierarchy"
		exit 0
	fi
done

# every cgroup this test may create, children before parents
cleanup_cgroups() {
	local c d
	for c in pids cpu memory freezer unified; do
		for d in "$CG/$c/$N-r/child" "$CG/$c/$N-r/empty/deeper" "$CG/$c/$N-r/empty" "$CG/$c/$N-r" \
			"$CG/$c/$N/child" "$CG/$c/$N/empty/deeper" "$CG/$c/$N/empty" "$CG/$c/$N"; do
			[ -d "$d" ] || continue
			# anything left inside goes first (a failed check may leave a task)
			for p in $(cat "$d/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
			for i in 1 2 3 4 5 6 7 8 9 10; do rmdir "$d" 2>/dev/null && break; sleep 0.1; done
			[ -d "$d" ] && echo "    could not remove $d"
		done
	done
}
trap 'cleanup_cgroups; grep -q " $T_TMP/named-mnt " /proc/self/mountinfo && umount -l "$T_TMP/named-mnt"; rm -rf "$T_TMP"' EXIT

make_cgroups() {
	# empty/deeper: cgroups of the tree with no task in them; empty has its own mode
	mkdir -p "$CG/pids/$N/child" "$CG/pids/$N/empty/deeper" "$CG/cpu/$N" "$CG/memory/$N" "$CG/unified/$N" || return 1
	chmod 0750 "$CG/pids/$N/empty" &&
		echo 33 >"$CG/pids/$N/empty/deeper/pids.max" &&
		echo 123 >"$CG/pids/$N/pids.max" &&
		echo 50 >"$CG/pids/$N/child/pids.max" &&
		echo 512 >"$CG/cpu/$N/cpu.shares" &&
		echo 50000 >"$CG/cpu/$N/cpu.cfs_quota_us" &&
		echo 268435456 >"$CG/memory/$N/memory.limit_in_bytes" &&
		echo 7 >"$CG/unified/$N/cgroup.max.descendants"
}
remove_cgroups() {
	rmdir "$CG/pids/$N/child" "$CG/pids/$N/empty/deeper" "$CG/pids/$N/empty" "$CG/pids/$N" "$CG/cpu/$N" \
		"$CG/memory/$N" "$CG/unified/$N"
}

# cg_of PID CTRL: the path of PID in hierarchy CTRL ("" for cgroup2)
cg_of() { sed -n "s/^[0-9]*:$2:\(.*\)/\1/p" "/proc/$1/cgroup"; }
child_of() { pgrep -P "$1" | head -n1; }

# a root in pids, cpu, memory and cgroup2 $N, and a child in pids $N/child
start_tree() {
	spawn bash -c "for f in $CG/pids/$N $CG/cpu/$N $CG/memory/$N $CG/unified/$N; do echo \$\$ > \$f/cgroup.procs; done
		(echo \$BASHPID > $CG/pids/$N/child/cgroup.procs; exec sleep 1000) & exec sleep 1000"
	pid=$SPAWNED
	sleep 0.2
	child=$(child_of "$pid")
}

dump() { # NAME PID OPTS...
	local name=$1 pid=$2 dir="$T_TMP/$1"
	shift 2
	rm -rf "$dir" && mkdir -p "$dir"
	"$CRIU" dump -t "$pid" -D "$dir" -o dump.log -v4 "$@" >"$dir/dump.out" 2>&1 && return 0
	echo "    $name: dump failed: $(grep -m1 Error "$dir/dump.log")"
	return 1
}
restore() { # NAME OPTS...
	local name=$1 dir="$T_TMP/$1"
	shift
	"$CRIU" restore -d -D "$dir" -o restore.log -v4 "$@" >"$dir/restore.out" 2>&1 && return 0
	echo "    $name: restore failed: $(grep -m1 Error "$dir/restore.log")"
	return 1
}
is() { # WHAT GOT WANT
	[ "$2" = "$3" ] && return 0
	echo "    $1: \"$2\", expected \"$3\""
	return 1
}

# ---- soft (the default): the removed cgroups come back with their properties ----
if make_cgroups; then
	start_tree
	verdict setup_membership is "child cgroup" "$(cg_of "$child" pids)" "/$N/child"
	if dump soft "$pid" --manage-cgroups && gone "$pid" && remove_cgroups; then
		if restore soft --manage-cgroups; then
			verdict soft_root_pids is "root pids" "$(cg_of "$pid" pids)" "/$N"
			verdict soft_root_cpu is "root cpu" "$(cg_of "$pid" cpu)" "/$N"
			verdict soft_root_memory is "root memory" "$(cg_of "$pid" memory)" "/$N"
			verdict soft_root_v2 is "root cgroup2" "$(cg_of "$pid" "")" "/$N"
			verdict soft_child_pids is "child pids" "$(cg_of "$child" pids)" "/$N/child"
			verdict soft_child_cpu is "child cpu" "$(cg_of "$child" cpu)" "/$N"
			verdict soft_pids_max is pids.max "$(cat $CG/pids/$N/pids.max)" 123
			verdict soft_child_pids_max is child/pids.max "$(cat $CG/pids/$N/child/pids.max)" 50
			verdict soft_cpu_shares is cpu.shares "$(cat $CG/cpu/$N/cpu.shares)" 512
			verdict soft_cfs_quota is cpu.cfs_quota_us "$(cat $CG/cpu/$N/cpu.cfs_quota_us)" 50000
			verdict soft_memory_limit is memory.limit_in_bytes "$(cat $CG/memory/$N/memory.limit_in_bytes)" 268435456
			verdict soft_v2_max_descendants is cgroup.max.descendants "$(cat $CG/unified/$N/cgroup.max.descendants)" 7
			verdict soft_empty_cgroups_back is "empty/deeper pids.max" "$(cat $CG/pids/$N/empty/deeper/pids.max 2>&1)" 33
			verdict soft_empty_cgroup_mode is "empty's mode" "$(stat -c %a $CG/pids/$N/empty 2>&1)" 750
		else
			echo "FAIL soft_restore"
		fi
	else
		echo "FAIL soft_dump"
	fi
	killtree "$pid"
else
	echo "FAIL soft_setup"
fi

# ---- existing cgroups: soft (no option) leaves their properties, full sets them ----
cleanup_cgroups
if make_cgroups; then
	start_tree
	if dump existing "$pid" && gone "$pid"; then
		echo 99 >"$CG/pids/$N/pids.max"
		if restore existing; then
			verdict existing_member is "root pids" "$(cg_of "$pid" pids)" "/$N"
			verdict existing_child_member is "child pids" "$(cg_of "$child" pids)" "/$N/child"
			verdict existing_soft_untouched is pids.max "$(cat $CG/pids/$N/pids.max)" 99
		else
			echo "FAIL existing_restore"
		fi
		killtree "$pid"
		echo 123 >"$CG/pids/$N/pids.max" # as at dump: full must put it back
		start_tree
		if dump full "$pid" && gone "$pid"; then
			echo 99 >"$CG/pids/$N/pids.max"
			if restore full --manage-cgroups=full; then
				verdict full_sets_props is pids.max "$(cat $CG/pids/$N/pids.max)" 123
				verdict full_member is "root pids" "$(cg_of "$pid" pids)" "/$N"
			else
				echo "FAIL full_restore"
			fi
		else
			echo "FAIL full_dump"
		fi
		killtree "$pid"
		# ignore: the tasks stay in criu's cgroups
		start_tree
		if dump ignore "$pid" && gone "$pid" && restore ignore --manage-cgroups=ignore; then
			verdict ignore_not_moved is "root pids" "$(cg_of "$pid" pids)" "$(cg_of $$ pids)"
		else
			echo "FAIL ignore_roundtrip"
		fi
		killtree "$pid"
		# none: the cgroups must exist
		start_tree
		if dump none "$pid" && gone "$pid"; then
			rmdir "$CG/pids/$N/child"
			expect none_missing_fails 1 "does not exist" -- \
				"$CRIU" restore -d -D "$T_TMP/none" --manage-cgroups=none --log-to-stderr
			verdict none_nothing_left bash -c "! [ -d /proc/$pid ] || grep -q '^State:.*[ZX]' /proc/$pid/status"
			verdict none_not_created test ! -d "$CG/pids/$N/child"
			mkdir "$CG/pids/$N/child"
			if restore none --manage-cgroups=none; then
				verdict none_member is "child pids" "$(cg_of "$child" pids)" "/$N/child"
			else
				echo "FAIL none_restore"
			fi
		else
			echo "FAIL none_dump"
		fi
		killtree "$pid"
	else
		echo "FAIL existing_dump"
		killtree "$pid"
	fi
else
	echo "FAIL existing_setup"
fi

# ---- strict: the cgroups below the tree's root must be new ----
cleanup_cgroups
if make_cgroups; then
	start_tree
	if dump strict "$pid" && gone "$pid"; then
		expect strict_existing_fails 1 "exists already" -- \
			"$CRIU" restore -d -D "$T_TMP/strict" --manage-cgroups=strict --log-to-stderr
		rmdir "$CG/pids/$N/child" "$CG/pids/$N/empty/deeper" "$CG/pids/$N/empty"
		echo 99 >"$CG/pids/$N/pids.max"
		if restore strict --manage-cgroups=strict; then
			verdict strict_child_member is "child pids" "$(cg_of "$child" pids)" "/$N/child"
			verdict strict_child_props is child/pids.max "$(cat $CG/pids/$N/child/pids.max)" 50
			verdict strict_root_props is pids.max "$(cat $CG/pids/$N/pids.max)" 123
		else
			echo "FAIL strict_restore"
		fi
	else
		echo "FAIL strict_dump"
	fi
	killtree "$pid"
else
	echo "FAIL strict_setup"
fi

# ---- --cgroup-root: the tree's root cgroup is relocated, its children with it ----
cleanup_cgroups
if make_cgroups; then
	start_tree
	if dump root "$pid" --manage-cgroups && gone "$pid"; then
		if restore root --cgroup-root "pids:/$N-r" --cgroup-root ":/$N-r"; then
			verdict root_remap_pids is "root pids" "$(cg_of "$pid" pids)" "/$N-r"
			verdict root_remap_child is "child pids" "$(cg_of "$child" pids)" "/$N-r/child"
			verdict root_remap_v2 is "root cgroup2" "$(cg_of "$pid" "")" "/$N-r"
			verdict root_remap_cpu_kept is "root cpu" "$(cg_of "$pid" cpu)" "/$N"
			verdict root_remap_props is "$N-r/pids.max" "$(cat $CG/pids/$N-r/pids.max)" 123
			verdict root_remap_child_props is "$N-r/child/pids.max" "$(cat $CG/pids/$N-r/child/pids.max)" 50
		else
			echo "FAIL root_restore"
		fi
	else
		echo "FAIL root_dump"
	fi
	killtree "$pid"
else
	echo "FAIL root_setup"
fi

# ---- --freeze-cgroup: v1 freezer and cgroup2, a good and a failed dump ----
cleanup_cgroups
freeze_case() { # NAME CGDIR STATEFILE THAWED
	local name=$1 dir=$2 file=$3 thawed=$4
	mkdir -p "$dir" || { echo "FAIL ${name}_setup"; return; }
	spawn bash -c "echo \$\$ > $dir/cgroup.procs; i=0; while :; do i=\$((i+1)); echo \$i > $T_TMP/$name.count; sleep 0.02; done"
	pid=$SPAWNED
	CRIU_FAULT=dump-task expect "${name}_fault_fails" 1 "fault injected" -- \
		"$CRIU" dump -t "$pid" -D "$T_TMP" --freeze-cgroup "$dir" --log-to-stderr
	verdict "${name}_fault_thawed" is "$file" "$(cat "$dir/$file")" "$thawed"
	verdict "${name}_fault_alive" alive "$pid"
	verdict "${name}_fault_not_traced" is tracer "$(tracer "$pid")" 0
	if dump "$name" "$pid" --freeze-cgroup "$dir" --leave-running; then
		verdict "${name}_thawed" is "$file" "$(cat "$dir/$file")" "$thawed"
		verdict "${name}_alive" alive "$pid"
		verdict "${name}_not_traced" is tracer "$(tracer "$pid")" 0
		verdict "${name}_runs_on" grows "$T_TMP/$name.count"
		verdict "${name}_has_cgroup_img" test -s "$T_TMP/$name/cgroup.img"
	else
		echo "FAIL ${name}_dump"
	fi
	# a full cycle: the frozen tree is dumped, killed and comes back in the cgroup
	if dump "$name-kill" "$pid" --freeze-cgroup "$dir" && gone "$pid" && restore "$name-kill"; then
		verdict "${name}_restored_member" grep -qx "$pid" "$dir/cgroup.procs"
	else
		echo "FAIL ${name}_cycle"
	fi
	killtree "$pid"
}
# ---- a tree in its own cgroup namespace, rooted at its cgroup: after the
# restore every task, not only the root, is in the tree's new namespace ----
mkdir -p "$CG/unified/$N"
spawn bash -c "echo \$\$ > $CG/unified/$N/cgroup.procs; exec unshare -C bash -c 'sleep 1000 & exec sleep 1001'"
for ((i = 0; i < 100; i++)); do
	[ -n "$(child_of "$SPAWNED")" ] && break
	sleep 0.05
done
if dump cgns "$SPAWNED" && gone "$SPAWNED" && restore cgns; then
	child=$(child_of "$SPAWNED")
	verdict cgns_child_restored test -n "$child"
	verdict cgns_root_new_ns test "$(readlink "/proc/$SPAWNED/ns/cgroup")" != "$(readlink /proc/self/ns/cgroup)"
	verdict cgns_child_shares_it test "$(readlink "/proc/$child/ns/cgroup")" = "$(readlink "/proc/$SPAWNED/ns/cgroup")"
	verdict cgns_child_in_cgroup is "child's cgroup2 path" "$(cg_of "$child" "")" "/$N"
	verdict cgns_rooted_at_cgroup is "child's own view" "$(nsenter -t "$child" -C cat "/proc/$child/cgroup" | sed -n 's/^0::\(.*\)/\1/p')" /
else
	echo "FAIL cgns_cycle"
fi
killtree "$SPAWNED"

freeze_case freeze_v1 "$CG/freezer/$N" freezer.state THAWED
freeze_case freeze_v2 "$CG/unified/$N" cgroup.freeze 0

# ---- a thread in another cgroup than its leader (v1 "tasks"): it comes back there ----
if mkdir -p "$CG/pids/$N-t"; then
	spawn python3 -c "
import threading, time
def t():
    open('$CG/pids/$N-t/tasks', 'w').write(str(threading.get_native_id()))
    time.sleep(1000)
threading.Thread(target=t, daemon=True).start()
time.sleep(1000)"
	pid=$SPAWNED
	for ((i = 0; i < 50; i++)); do [ -n "$(cat "$CG/pids/$N-t/tasks" 2>/dev/null)" ] && break; sleep 0.1; done
	tid=$(cat "$CG/pids/$N-t/tasks" 2>/dev/null)
	leader_cg=$(cg_of "$pid" pids)
	if [ -n "$tid" ] && dump thr "$pid" && gone "$pid" && restore thr; then
		thread_cg=$(sed -n 's/^[0-9]*:pids:\(.*\)/\1/p' "/proc/$pid/task/$tid/cgroup")
		verdict thread_cgroup_thread_back is "thread $tid" "$thread_cg" "/$N-t"
		verdict thread_cgroup_leader_back is "leader" "$(cg_of "$pid" pids)" "$leader_cg"
	else
		echo "FAIL thread_cgroup_cycle"
	fi
	killtree "$pid"
	for ((i = 0; i < 20; i++)); do rmdir "$CG/pids/$N-t" 2>/dev/null && break; sleep 0.1; done
fi

# ---- --cgroup-props-file: a property criu does not record by default, recorded and restored ----
if mkdir -p "$CG/memory/$N-p" && echo 16777216 >"$CG/memory/$N-p/memory.kmem.tcp.limit_in_bytes"; then
	printf '%s\n' '"memory":' ' - "strategy": "merge"' ' - "properties": ["memory.kmem.tcp.limit_in_bytes"]' \
		>"$T_TMP/cgprops"
	spawn bash -c "echo \$\$ > $CG/memory/$N-p/cgroup.procs; exec sleep 1000"
	pid=$SPAWNED
	if dump props "$pid" --cgroup-props-file "$T_TMP/cgprops" && gone "$pid"; then
		for ((i = 0; i < 20; i++)); do rmdir "$CG/memory/$N-p" 2>/dev/null && break; sleep 0.1; done
		if restore props; then
			verdict props_file_value is "memory.kmem.tcp.limit_in_bytes" \
				"$(cat "$CG/memory/$N-p/memory.kmem.tcp.limit_in_bytes")" 16777216
		else
			echo "FAIL props_file_restore"
		fi
		killtree "$pid"
	else
		echo "FAIL props_file_dump"
		killtree "$pid"
	fi
	# refused before anything is frozen: the tree runs on
	spawn sleep 1000
	pid=$SPAWNED
	mkdir -p "$T_TMP/badprops"
	expect props_bad_refused 1 "--cgroup-props: .*strategy \"sometimes\"" -- \
		"$CRIU" dump -t "$pid" -D "$T_TMP/badprops" -o dump.log --log-to-stderr \
		--cgroup-props 'memory: - strategy: sometimes'
	verdict props_bad_runs_on kill -0 "$pid"
	killtree "$pid"
	for ((i = 0; i < 20; i++)); do rmdir "$CG/memory/$N-p" 2>/dev/null && break; sleep 0.1; done
fi

# ---- a named v1 hierarchy unmounted between dump and restore: criu mounts it in its yard ----
NM=$T_TMP/named-mnt
NAME=crtest$$
mkdir -p "$NM"
if mount -t cgroup -o none,name=$NAME cgroup "$NM" && mkdir -p "$NM/$N/sub"; then
	spawn bash -c "echo \$\$ > $NM/$N/sub/cgroup.procs; exec sleep 1000"
	pid=$SPAWNED
	if dump named "$pid" && gone "$pid"; then
		umount "$NM"
		verdict named_unmounted bash -c "! grep -q 'name=$NAME' /proc/self/mountinfo"
		mkdir -p "$T_TMP/emptyyard"
		# an empty --cgroup-yard: criu mounts nothing and uses no other mount; the first hierarchy is missing
		expect named_yard_given_refused 1 "--cgroup-yard $T_TMP/emptyyard: hierarchy \"[^\"]*\" is not mounted in it" -- \
			"$CRIU" restore -d -D "$T_TMP/named" -o restore2.log --cgroup-yard "$T_TMP/emptyyard"
		verdict named_refusal_left_nothing gone "$pid"
		if restore named; then
			verdict named_task_back is "named hierarchy" "$(cg_of "$pid" "name=$NAME")" "/$N/sub"
			verdict named_yard_gone bash -c "! grep -q 'criu-cgyard.*name=$NAME\$' /proc/self/mountinfo"
		else
			echo "FAIL named_restore"
		fi
		killtree "$pid"
	else
		echo "FAIL named_dump"
		killtree "$pid"
	fi
	# the hierarchy lives while it has cgroups: mount it again to remove them
	grep -q " $NM " /proc/self/mountinfo || mount -t cgroup -o none,name=$NAME cgroup "$NM"
	for ((i = 0; i < 20; i++)); do rmdir "$NM/$N/sub" "$NM/$N" 2>/dev/null && break; sleep 0.1; done
	umount "$NM"
else
	echo "SKIP named_hierarchy: cannot mount a named cgroup v1 hierarchy"
fi
exit 0
