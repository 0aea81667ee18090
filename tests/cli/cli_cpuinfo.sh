#!/bin/bash
# The CPU (engine/cpu/, docs/cpu.md): criu cpuinfo dump|check; cpuinfo.img in
# every dump, decoded by criu show; a restore refused, naming what is
# missing, when the image's CPU had a feature or xsave component this one has
# not (copies forged with rel_forge), and let through by --cpu-cap=none; an
# older dump without cpuinfo.img restored unchecked; damaged and hostile
# cpuinfo.img refused clearly. Needs root and a child subreaper above it.
. "$TOP/tests/lib/cli.sh"
not_alive() { ! alive "$1"; }
FORGE="$TOP/${BUILD:-build}/tests/reliability/rel_forge"
[ -x "$FORGE" ] || { echo "SKIP cli_cpuinfo: $FORGE is not built (make tests)"; exit 0; }

# ---- criu cpuinfo dump / check on this machine ----
C="$T_TMP/cpu"
expect cpuinfo_dump 0 '' -- "$CRIU" cpuinfo dump -D "$C"
verdict cpuinfo_dump_writes_the_image test -s "$C/cpuinfo.img"
expect cpuinfo_check_passes 0 '' -- "$CRIU" cpuinfo check -D "$C"
expect cpuinfo_check_all_passes 0 '' -- "$CRIU" cpuinfo check -D "$C" --cpu-cap=all
expect cpuinfo_show 0 '"vendor": "[A-Za-z]+".*"words": \[\{"leaf": 1, "subleaf": 0, "reg": "ECX"' -- "$CRIU" show -f "$C/cpuinfo.img"
"$CRIU" show -f "$C/cpuinfo.img" >"$T_TMP/cpu.json" 2>/dev/null
verdict cpuinfo_show_xsave grep -Eq '"xfeatures": [0-9]+, .*"xsave_size": [0-9]+' "$T_TMP/cpu.json"
verdict cpuinfo_show_kernel_flags grep -q '"flags": \["fpu"' "$T_TMP/cpu.json"
expect cpuinfo_usage 1 'usage: criu cpuinfo dump\|check' -- "$CRIU" cpuinfo
expect cpuinfo_bad_cap 1 "unknown capability 'avx'" -- "$CRIU" cpuinfo check -D "$C" --cpu-cap=avx

# ---- another CPU's image: named, and refused by check and by the mode that covers it ----
"$FORGE" "$C" "$T_TMP/avx512f" cpu-feature avx512f >/dev/null
"$FORGE" "$C" "$T_TMP/xsave" cpu-xfeatures 0x2e7 >/dev/null
"$FORGE" "$C" "$T_TMP/model" cpu-model 4095 >/dev/null
"$FORGE" "$C" "$T_TMP/vendor" cpu-vendor GenuineIntelLongerThan12 >/dev/null
if grep -q avx512f /proc/cpuinfo; then
	echo "SKIP cpuinfo_check_names_instruction: this CPU has avx512f"
else
	expect cpuinfo_check_names_instruction 1 'missing on this CPU: avx512f' -- \
		"$CRIU" cpuinfo check -D "$T_TMP/avx512f"
	expect cpuinfo_check_fpu_only_passes 0 '' -- "$CRIU" cpuinfo check -D "$T_TMP/avx512f" --cpu-cap=none,fpu
fi
if grep -q avx512f /proc/cpuinfo; then
	echo "SKIP cpuinfo_check_names_xsave: this CPU has AVX-512 state"
else
	expect cpuinfo_check_names_xsave 1 \
		"the image's xsave has components 0x2e7 \(avx512_opmask avx512_zmm_hi256 avx512_hi16_zmm pkru\), this CPU only 0x" \
		-- "$CRIU" cpuinfo check -D "$T_TMP/xsave"
fi
expect cpuinfo_model_passes_default 0 '' -- "$CRIU" cpuinfo check -D "$T_TMP/model" --cpu-cap=^cpu
expect cpuinfo_model_refused_by_cpu 1 "the image's CPU is .* model 4095" -- \
	"$CRIU" cpuinfo check -D "$T_TMP/model" --cpu-cap=cpu
expect cpuinfo_hostile_vendor 1 'cpuinfo.img: vendor .* is longer than 12 characters' -- \
	"$CRIU" cpuinfo check -D "$T_TMP/vendor"
cp -r "$C" "$T_TMP/cut" && truncate -s -7 "$T_TMP/cut/cpuinfo.img"
expect cpuinfo_truncated 1 'cut/cpuinfo.img: .*(truncated|trailer)' -- "$CRIU" cpuinfo check -D "$T_TMP/cut"
expect cpuinfo_missing 1 'cpuinfo.img: cannot open \(criu cpuinfo dump writes it\)' -- \
	"$CRIU" cpuinfo check -D "$T_TMP"

# ---- a dump records the CPU, a restore checks it ----
spawn sleep 1000
pid=$SPAWNED
D="$T_TMP/sleep"
"$CRIU" dump -t "$pid" -D "$D" -o dump.log -v4 >/dev/null 2>&1
verdict dump_has_cpuinfo test -s "$D/cpuinfo.img"
# a checkpoint's directory is not overwritten (its inventory would go)
expect dump_dir_not_overwritten 1 'holds a checkpoint' -- "$CRIU" cpuinfo dump -D "$D"
verdict dump_dir_keeps_inventory test -s "$D/inventory.img"
gone "$pid"
"$FORGE" "$D" "$T_TMP/r-xsave" cpu-xfeatures 0x2e7 >/dev/null
"$FORGE" "$D" "$T_TMP/r-ins" cpu-feature avx512f >/dev/null
"$FORGE" "$D" "$T_TMP/r-bv" xstate-bv 0xe0 >/dev/null
"$FORGE" "$D" "$T_TMP/r-old" no-cpuinfo >/dev/null
"$FORGE" "$D" "$T_TMP/r-vendor" cpu-vendor GenuineIntelLongerThan12 >/dev/null
if grep -q avx512f /proc/cpuinfo; then
	echo "SKIP restore_refused_*: this CPU has AVX-512"
else
	expect restore_refused_xsave 1 "the image's xsave has components 0x2e7 \(avx512_opmask" -- \
		"$CRIU" restore -d -D "$T_TMP/r-xsave" -o restore.log
	verdict restore_refused_leaves_nothing not_alive "$pid"
	expect restore_refused_instruction 1 'missing on this CPU: avx512f' -- \
		"$CRIU" restore -d -D "$T_TMP/r-ins" -o restore.log
	# a thread's own saved state with AVX-512 components, whatever cpuinfo.img says
	expect restore_refused_thread_xstate 1 'thread [0-9]+: its xsave state has components 0x[0-9a-f]*e[0-9a-f] \(avx512_opmask' \
		-- "$CRIU" restore -d -D "$T_TMP/r-bv" -o restore.log --cpu-cap=^ins
	expect restore_cpu_cap_none 0 '' -- "$CRIU" restore -d -D "$T_TMP/r-bv" -o restore.log --cpu-cap=none -v4
	verdict restore_cpu_cap_none_runs alive "$pid"
	verdict restore_cpu_cap_none_warns grep -q 'only its x87/SSE state is restored' "$T_TMP/r-bv/restore.log"
	killtree "$pid"
	expect restore_instruction_without_ins 0 '' -- "$CRIU" restore -d -D "$T_TMP/r-ins" -o restore.log --cpu-cap=^ins
	verdict restore_without_ins_runs alive "$pid"
	killtree "$pid"
fi
expect restore_hostile_cpuinfo 1 'cpuinfo.img: vendor .* is longer than 12 characters' -- \
	"$CRIU" restore -d -D "$T_TMP/r-vendor" -o restore.log
expect restore_checks_this_cpu 0 '' -- "$CRIU" restore -d -D "$D" -o restore.log -v4 --cpu-cap=all
verdict restore_checked_runs alive "$pid"
verdict restore_logs_the_check grep -q 'this CPU can run the image.s tree (--cpu-cap=fpu,ins,cpu)' "$D/restore.log"
killtree "$pid"
expect restore_older_dump 0 '' -- "$CRIU" restore -d -D "$T_TMP/r-old" -o restore.log -v4
verdict restore_older_dump_runs alive "$pid"
verdict restore_older_dump_says_so grep -q 'no cpuinfo.img .*the CPU is not checked' "$T_TMP/r-old/restore.log"
killtree "$pid"

# ---- --cpu-cap=none at dump: no cpuinfo.img ----
spawn sleep 1000
pid=$SPAWNED
"$CRIU" dump -t "$pid" -D "$T_TMP/nocap" -o dump.log --cpu-cap=none -R >/dev/null 2>&1
verdict dump_none_writes_no_cpuinfo test ! -e "$T_TMP/nocap/cpuinfo.img"
verdict dump_none_is_a_checkpoint test -s "$T_TMP/nocap/inventory.img"
killtree "$pid"

# the verdicts above are the result, not the status of the last cleanup
exit 0
