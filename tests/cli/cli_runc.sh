#!/bin/bash
# runc drives our criu: `runc --criu $CRIU checkpoint` of a minimal
# container must get past the VERSION exchange (runc refuses a criu older
# than it needs, PROTOCOL.md §3.1) and reach the DUMP request. Containers
# are separate work: the dump itself may still be refused, but then the
# refusal must be ours ("not supported yet" in the log runc names), and
# the container must still be running, untraced, afterwards.
# Skips without runc or root. Cleans its container up.
. "$TOP/tests/lib/cli.sh"

if [ "$(id -u)" != 0 ]; then
	echo "SKIP cli_runc: needs root"
	exit 0
fi
if ! command -v runc >/dev/null; then
	echo "SKIP cli_runc: runc is not installed (scripts/install-deps.sh installs Debian's)"
	exit 0
fi

root="$T_TMP/runc-root"
bundle="$T_TMP/bundle"
ctr="criu-test-$$"
runc_() { runc --root "$root" --criu "$CRIU" "$@"; }
cleanup() {
	runc --root "$root" delete -f "$ctr" >/dev/null 2>&1
	rm -rf "$T_TMP"
}
trap cleanup EXIT

# ---- a minimal bundle: /bin/sleep and the libraries it needs ----
mkdir -p "$bundle/rootfs/bin"
cp /bin/sleep "$bundle/rootfs/bin/"
for lib in $(ldd /bin/sleep | grep -o '/[^ ]*'); do
	mkdir -p "$bundle/rootfs$(dirname "$lib")"
	cp -L "$lib" "$bundle/rootfs$lib"
done
(cd "$bundle" && runc spec) || { echo "FAIL runc_spec"; exit 0; }
python3 - "$bundle/config.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["args"] = ["/bin/sleep", "1000"]
c["process"]["terminal"] = False
json.dump(c, open(sys.argv[1], "w"), indent=1)
EOF

# container_pid: the init pid runc reports, empty when not running
container_pid() {
	runc --root "$root" state "$ctr" 2>/dev/null |
		python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["pid"] if s["status"]=="running" else "")' 2>/dev/null
}

if ! runc --root "$root" run -d --bundle "$bundle" "$ctr" </dev/null >"$T_TMP/run.out" 2>&1; then
	echo "    runc run failed:"; sed 's/^/      /' "$T_TMP/run.out" | head -n 10
	echo "SKIP cli_runc: runc cannot start a container on this machine"
	exit 0
fi
pid=$(container_pid)
verdict runc_container_started test -n "$pid"

# ---- checkpoint through our criu ----
out=$(runc_ checkpoint --image-path "$T_TMP/images" --work-path "$T_TMP/work" "$ctr" 2>&1)
rc=$?
log="$T_TMP/work/dump.log"
echo "    runc checkpoint: exit $rc"
printf '%s\n' "$out" | sed 's/^/      /' | head -n 10

# runc's version gate: it must not have refused our VERSION answer
if printf '%s\n' "$out" | grep -Eiq 'criu.*(version|too old)|need at least|cannot detect criu'; then
	echo "FAIL runc_version_exchange"
else
	echo "PASS runc_version_exchange"
fi
# the exchange went on to a DUMP request: our log of it exists
verdict runc_reached_dump test -s "$log"

if [ "$rc" = 0 ]; then
	# full container support landed: the checkpoint must be a real one
	verdict runc_checkpoint_images test -s "$T_TMP/images/inventory.img"
	verdict runc_container_stopped test -z "$(container_pid)"
else
	# the refusal is ours, stated the way runc shows it (it greps the log for "Error")
	verdict runc_failure_is_ours grep -q 'Error .*not supported yet' "$log"
	verdict runc_reports_criu_failure bash -c "printf '%s' \"\$1\" | grep -q 'criu failed: type DUMP'" _ "$out"
	verdict runc_container_still_running test "$(container_pid)" = "$pid"
	verdict runc_container_not_traced test "$(sed -n 's/^TracerPid:\s*//p' "/proc/$pid/status" 2>/dev/null)" = 0
	verdict runc_no_checkpoint_left test ! -e "$T_TMP/images/inventory.img"
fi

runc --root "$root" delete -f "$ctr" >/dev/null 2>&1
verdict runc_container_cleaned_up bash -c "! runc --root '$root' state '$ctr' >/dev/null 2>&1"
