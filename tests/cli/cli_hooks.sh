#!/bin/bash
# Action scripts and JSON hooks on a CLI dump and restore (docs/hooks.md):
# the CRTOOLS_* environment per action, the state document on stdin, the
# order of actions, a failing pre-dump script that aborts the dump and
# leaves the tree running, JSON hooks (args, env, state), a hook timeout,
# a bad hooks file, and the "hooks" config-file key.
# Needs root and a child subreaper above it (make check runs it under one).
. "$TOP/tests/lib/cli.sh"

if [ "$(id -u)" != 0 ]; then
	echo "SKIP cli_hooks: needs root"
	exit 0
fi
if ! command -v python3 >/dev/null; then
	echo "SKIP cli_hooks: needs python3 to check the JSON documents"
	exit 0
fi

# check_state NAME FILE ACTION PID IMAGES_DIR: the state document in FILE is what docs/hooks.md says
check_state() {
	local name=$1 file=$2
	shift 2
	if python3 - "$file" "$@" <<'EOF'; then echo "PASS $name"; else echo "    state document: $(cat "$file" 2>&1)"; echo "FAIL $name"; fi
import json, os, sys
path, action, pid, images = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
doc = json.load(open(path))
def want(cond, what):
    if not cond:
        print("    %s: %s" % (path, what))
        sys.exit(1)
want(isinstance(doc.get("version"), str) and doc["version"], "no version")
want(doc.get("criu_version") == "4.2", "criu_version %r" % doc.get("criu_version"))
want(doc.get("action") == action, "action %r, want %r" % (doc.get("action"), action))
want(doc.get("pid") == pid, "pid %r, want %d" % (doc.get("pid"), pid))
want(doc.get("images_dir") == images, "images_dir %r, want %r" % (doc.get("images_dir"), images))
want(doc.get("root") == "/", "root %r" % doc.get("root"))
ns = doc.get("namespaces")
want(isinstance(ns, list), "namespaces is not a list")
if pid:
    kinds = {n["type"]: n for n in ns}
    for k in ("net", "mnt", "pid", "ipc", "uts", "user"):
        want(k in kinds, "namespace %s missing" % k)
    net = kinds["net"]
    want(net["path"] == "/proc/%d/ns/net" % pid, "net path %r" % net["path"])
    want(net["inode"] == os.stat(net["path"]).st_ino if os.path.exists(net["path"]) else net["inode"] > 0,
         "net inode %r" % net["inode"])
else:
    want(ns == [], "namespaces without a pid: %r" % ns)
EOF
}

# ---- action scripts: environment and state per action ----
dir="$T_TMP/scripts"
mkdir -p "$dir"
images=$(realpath "$dir")
rec="$T_TMP/actions.log"
cat >"$T_TMP/record.sh" <<EOF
#!/bin/sh
echo "\$CRTOOLS_SCRIPT_ACTION pid=\${CRTOOLS_INIT_PID-unset} dir=\$CRTOOLS_IMAGE_DIR" >>"$rec"
cat >"$T_TMP/state-\$CRTOOLS_SCRIPT_ACTION.json"
EOF
chmod +x "$T_TMP/record.sh"

spawn sleep 1000
pid=$SPAWNED
: >"$rec"
if "$CRIU" dump -t "$pid" -D "$dir" -o dump.log -v4 --action-script "$T_TMP/record.sh" >/dev/null 2>&1 && gone "$pid"; then
	want="pre-dump pid=$pid dir=$images
post-dump pid=$pid dir=$images"
	if [ "$(cat "$rec")" = "$want" ]; then echo "PASS script_env_dump"; else
		echo "    got:"; sed 's/^/      /' "$rec"; echo "    want:"; echo "$want" | sed 's/^/      /'
		echo "FAIL script_env_dump"
	fi
	: >"$rec"
	if "$CRIU" restore -d -D "$dir" -o restore.log -v4 --action-script "$T_TMP/record.sh" >/dev/null 2>&1; then
		want="pre-restore pid=unset dir=$images
post-restore pid=$pid dir=$images
pre-resume pid=$pid dir=$images
post-resume pid=$pid dir=$images"
		if [ "$(cat "$rec")" = "$want" ]; then echo "PASS script_env_restore"; else
			echo "    got:"; sed 's/^/      /' "$rec"; echo "    want:"; echo "$want" | sed 's/^/      /'
			echo "FAIL script_env_restore"
		fi
		check_state script_state_pre_restore "$T_TMP/state-pre-restore.json" pre-restore 0 "$images"
		check_state script_state_post_restore "$T_TMP/state-post-restore.json" post-restore "$pid" "$images"
		verdict script_restored_alive alive "$pid"
	else
		echo "    restore failed: $(grep -m1 Error "$dir/restore.log")"
		echo "FAIL script_env_restore"
	fi
else
	echo "    dump failed: $(grep -m1 Error "$dir/dump.log")"
	echo "FAIL script_env_dump"
fi
killtree "$pid"

# the pre-dump state document had the dumped pid and its namespaces (the dump knows the pid from the start)
spawn sleep 1000
pid=$SPAWNED
dir="$T_TMP/scripts2"
mkdir -p "$dir"
"$CRIU" dump -t "$pid" -D "$dir" -o dump.log -v4 --leave-running --action-script "$T_TMP/record.sh" >/dev/null 2>&1
check_state script_state_pre_dump "$T_TMP/state-pre-dump.json" pre-dump "$pid" "$(realpath "$dir")"
killtree "$pid"

# ---- a failing pre-dump script aborts the dump; the tree runs on ----
spawn sleep 1000
pid=$SPAWNED
dir="$T_TMP/failing"
mkdir -p "$dir"
printf '#!/bin/sh\n[ "$CRTOOLS_SCRIPT_ACTION" = pre-dump ] && exit 3\nexit 0\n' >"$T_TMP/fail.sh"
chmod +x "$T_TMP/fail.sh"
expect failing_pre_dump_aborts 1 "pre-dump" -- "$CRIU" dump -t "$pid" -D "$dir" -o dump.log -v4 \
	--action-script "$T_TMP/fail.sh"
verdict failing_pre_dump_tree_alive alive "$pid"
verdict failing_pre_dump_not_traced test "$(tracer "$pid")" = 0
verdict failing_pre_dump_no_inventory test ! -e "$dir/inventory.img"
verdict failing_pre_dump_logged grep -q 'script .*fail.sh exited with status 3' "$dir/dump.log"
killtree "$pid"

# ---- JSON hooks: args, env, state document ----
spawn sleep 1000
pid=$SPAWNED
dir="$T_TMP/json"
mkdir -p "$dir"
cat >"$T_TMP/hook.sh" <<EOF
#!/bin/sh
# \$1 is the first of "args" after argv[0]
# the environment it was given (sh itself would invent a PATH)
path=\$(tr '\\0' '\\n' </proc/\$\$/environ | grep -c '^PATH=')
echo "\$CRTOOLS_SCRIPT_ACTION \$1 HOOKVAR=\${HOOKVAR-unset} PATH-given=\$path" >>"$T_TMP/hooks.log"
/bin/cat >"$T_TMP/hook-\$CRTOOLS_SCRIPT_ACTION.json"
EOF
chmod +x "$T_TMP/hook.sh"
cat >"$T_TMP/hooks.json" <<EOF
{
  "version": "1.0.0",
  "hooks": {
    "pre-dump":  [ { "path": "$T_TMP/hook.sh", "args": ["hook.sh", "first"], "env": ["HOOKVAR=42"], "timeout": 10 } ],
    "post-dump": [ { "path": "$T_TMP/hook.sh", "args": ["hook.sh", "second"], "env": ["HOOKVAR=43"] },
                   { "path": "/bin/true" } ]
  }
}
EOF
: >"$T_TMP/hooks.log"
if "$CRIU" dump -t "$pid" -D "$dir" -o dump.log -v4 --hooks "$T_TMP/hooks.json" >/dev/null 2>&1; then
	want="pre-dump first HOOKVAR=42 PATH-given=0
post-dump second HOOKVAR=43 PATH-given=0"
	if [ "$(cat "$T_TMP/hooks.log")" = "$want" ]; then echo "PASS json_hooks_args_env"; else
		echo "    got:"; sed 's/^/      /' "$T_TMP/hooks.log"; echo "    want:"; echo "$want" | sed 's/^/      /'
		echo "FAIL json_hooks_args_env"
	fi
	check_state json_hooks_state_pre_dump "$T_TMP/hook-pre-dump.json" pre-dump "$pid" "$(realpath "$dir")"
	check_state json_hooks_state_post_dump "$T_TMP/hook-post-dump.json" post-dump "$pid" "$(realpath "$dir")"
else
	echo "    dump failed: $(grep -m1 Error "$dir/dump.log")"
	echo "FAIL json_hooks_args_env"
fi
killtree "$pid"

# ---- the same hooks file through a config file's "hooks" key ----
spawn sleep 1000
pid=$SPAWNED
dir="$T_TMP/json-conf"
mkdir -p "$dir"
echo "hooks $T_TMP/hooks.json" >"$T_TMP/hooks.conf"
: >"$T_TMP/hooks.log"
"$CRIU" dump -t "$pid" -D "$dir" -o dump.log -v4 --config "$T_TMP/hooks.conf" >/dev/null 2>&1
verdict json_hooks_config_key grep -q '^post-dump second' "$T_TMP/hooks.log"
killtree "$pid"

# ---- a hook that times out fails its action ----
spawn sleep 1000
pid=$SPAWNED
dir="$T_TMP/timeout"
mkdir -p "$dir"
cat >"$T_TMP/slow.json" <<EOF
{ "pre-dump": [ { "path": "/bin/sleep", "args": ["sleep", "30"], "timeout": 1 } ] }
EOF
start=$(date +%s)
expect json_hook_timeout_fails 1 "timed out" -- "$CRIU" dump -t "$pid" -D "$dir" -o dump.log -v4 \
	--hooks "$T_TMP/slow.json"
verdict json_hook_timeout_quick test $(($(date +%s) - start)) -lt 10
verdict json_hook_timeout_tree_alive alive "$pid"
verdict json_hook_timeout_not_traced test "$(tracer "$pid")" = 0
verdict json_hook_timeout_no_inventory test ! -e "$dir/inventory.img"
pgrep -f '^sleep 30$' >/dev/null && { echo "    the timed-out hook still runs"; echo "FAIL json_hook_timeout_killed"; } ||
	echo "PASS json_hook_timeout_killed"

# ---- a hook that exits non-zero on post-dump: the dump fails, the tree is resumed ----
dir="$T_TMP/post-fail"
mkdir -p "$dir"
echo '{ "post-dump": [ { "path": "/bin/false" } ] }' >"$T_TMP/false.json"
expect json_hook_post_dump_fails 1 "" -- "$CRIU" dump -t "$pid" -D "$dir" -o dump.log -v4 --hooks "$T_TMP/false.json"
verdict json_hook_post_dump_tree_alive alive "$pid"
verdict json_hook_post_dump_no_inventory test ! -e "$dir/inventory.img"

# ---- a bad hooks file fails the job before anything is frozen ----
dir="$T_TMP/bad"
mkdir -p "$dir"
echo '{ "pre-dmup": [ { "path": "/bin/true" } ] }' >"$T_TMP/bad.json"
expect json_hooks_unknown_action 1 'unknown action "pre-dmup"' -- "$CRIU" dump -t "$pid" -D "$dir" -o dump.log -v4 \
	--hooks "$T_TMP/bad.json"
echo '{ "pre-dump": [ { "path": "relative" } ] }' >"$T_TMP/bad.json"
expect json_hooks_relative_path 1 'absolute path' -- "$CRIU" dump -t "$pid" -D "$dir" -o dump.log -v4 \
	--hooks "$T_TMP/bad.json"
printf '{ "pre-dump": [\n  { "path": "/bin/true", }\n] }\n' >"$T_TMP/bad.json"
expect json_hooks_syntax_error 1 'bad.json:2' -- "$CRIU" dump -t "$pid" -D "$dir" -o dump.log -v4 \
	--hooks "$T_TMP/bad.json"
verdict json_hooks_bad_tree_alive alive "$pid"
killtree "$pid"

# the verdicts above are the result, not the status of the last cleanup
exit 0
