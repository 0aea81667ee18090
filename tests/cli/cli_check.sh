#!/bin/bash
# criu check: the verdict lines runtimes grep for, --all, --feature, and the log.
. "$TOP/tests/lib/cli.sh"

if [ "$(id -u)" != 0 ]; then
	echo "SKIP cli_check: the probes need root (ptrace, namespaces, TCP repair)"
	exit 0
fi

# Plain check: every basic probe passes on the machines we support.
expect check_looks_good 0 '^Looks good\.$' -- "$CRIU" check
verdict check_verdict_on_stdout bash -c "'$CRIU' check 2>/dev/null | grep -qx 'Looks good.'"

# --all runs the extra probes too. criu exits 0 with "Looks good." when they
# all pass, and 1 with its "Looks good but ..." text when some are missing
# (each named in a warning); either way no basic probe may fail.
out=$("$CRIU" check --all 2>&1)
rc=$?
if [ $rc = 0 ]; then
	verdict check_all_good grep -qx 'Looks good.' <<<"$out"
else
	verdict check_all_maybe_exit_status test "$rc" = 1
	verdict check_all_maybe_text grep -qx 'Looks good but some kernel features are missing' <<<"$out"
	verdict check_all_names_what_is_missing grep -Eq 'Warn .*: [a-z0-9_-]+: .+: .+' <<<"$out"
	echo "    (check --all: some extra features are missing here:)"
	grep 'Warn ' <<<"$out" | sed 's/^/      /'
fi
verdict check_all_no_basic_failure bash -c '! grep -Eq "Does not look good|Error \(" <<<"$1"' _ "$out"
verdict check_all_ran_extra_probes bash -c "'$CRIU' check --all -v4 --log-to-stderr 2>&1 | grep -q 'probe uffd-noncoop: '"
verdict check_plain_skips_extra_probes bash -c "! '$CRIU' check -v4 --log-to-stderr 2>&1 | grep -q 'probe uffd-noncoop: '"

# --feature NAME: one probe, criu's wording and exit status.
expect feature_pidfd_store 0 '^pidfd_store is supported$' -- "$CRIU" check --feature pidfd_store
expect feature_clone3_set_tid 0 '^clone3_set_tid is supported$' -- "$CRIU" check --feature clone3_set_tid
expect feature_ipv6_freebind 0 '^ipv6_freebind is supported$' -- "$CRIU" check --feature ipv6_freebind
expect feature_tcp_half_closed 0 '^tcp_half_closed is supported$' -- "$CRIU" check --feature tcp_half_closed
expect feature_loginuid 0 '^loginuid is supported$' -- "$CRIU" check --feature loginuid
# the kernel has these, but this criu has no pre-dump or lazy-pages yet: a
# runtime that asks must not be told it can use them
expect feature_uffd_noncoop_unbuilt 1 '^uffd-noncoop is NOT supported$' -- "$CRIU" check --feature uffd-noncoop
expect feature_mem_dirty_track_unbuilt 1 '^mem_dirty_track is NOT supported$' -- "$CRIU" check --feature mem_dirty_track
expect feature_unbuilt_says_why 1 'mem_dirty_track: the kernel has it, but this criu has no pre-dump' -- \
	"$CRIU" check --feature mem_dirty_track
verdict feature_runs_only_that_probe bash -c \
	"[ \"\$('$CRIU' check --feature timerfd -v4 --log-to-stderr 2>&1 | grep -c 'probe ')\" = 1 ]"

# A probe that fails says so and exits 1: in a user namespace TCP repair
# needs CAP_NET_ADMIN over the init net namespace, which it does not have.
if unshare -Ur true 2>/dev/null; then
	expect feature_not_supported 1 '^tcp_repair is NOT supported$' -- unshare -Ur "$CRIU" check --feature tcp_repair
	expect feature_not_supported_says_why 1 'tcp_repair: setsockopt\(TCP_REPAIR\): Operation not permitted' -- \
		unshare -Ur "$CRIU" check --feature tcp_repair
	expect feature_tcp_half_closed_not_supported 1 '^tcp_half_closed is NOT supported$' -- \
		unshare -Ur "$CRIU" check --feature tcp_half_closed
	expect check_bad_names_failed_probe 1 'Error \(.*\): check: tcp_repair: .*Operation not permitted' -- \
		unshare -Ur "$CRIU" check
	expect check_bad_verdict 1 '^Does not look good\.$' -- unshare -Ur "$CRIU" check
else
	echo "SKIP feature_not_supported: unshare -Ur does not work here"
fi

# --feature list, and an unknown name listing the known ones.
expect feature_list 0 'pidfd_store' -- "$CRIU" check --feature list
verdict feature_list_has_criu_names bash -c \
	"'$CRIU' check --feature list | tr ' ' '\n' | grep -qx mem_dirty_track && \
	 '$CRIU' check --feature list | tr ' ' '\n' | grep -qx uffd-noncoop"
verdict feature_list_prints_no_verdict bash -c "! '$CRIU' check --feature list 2>&1 | grep -q 'Looks good'"
expect feature_unknown 1 'unknown feature nonsense; known features' -- "$CRIU" check --feature nonsense
expect feature_unknown_lists_names 1 'clone3_set_tid' -- "$CRIU" check --feature nonsense

# -v4 -o FILE: the probes are in the log, the verdict still on stdout.
mkdir -p "$T_TMP/w"
out=$("$CRIU" check -v4 -W "$T_TMP/w" -o check.log 2>/dev/null)
verdict log_verdict_on_stdout test "$out" = "Looks good."
verdict log_has_probe_lines grep -q 'kerndat: probe ptrace_seize: supported' "$T_TMP/w/check.log"
verdict log_has_every_basic_probe test "$(grep -c 'kerndat: probe ' "$T_TMP/w/check.log")" -ge 18
verdict log_has_verdict grep -q 'Looks good\.' "$T_TMP/w/check.log"
"$CRIU" check -v2 -W "$T_TMP/w" -o quiet.log >/dev/null 2>&1
verdict log_default_level_has_no_probe_lines bash -c "! grep -q 'probe ' '$T_TMP/w/quiet.log'"

# No probe leaves a process (grandchildren included) or a temporary file behind.
# A copy under its own name, so that other criu processes on the machine do not count.
cp "$CRIU" "$T_TMP/criu-leakchk"
before=$(ls -d /tmp/.criu-check.* 2>/dev/null | wc -l)
"$T_TMP/criu-leakchk" check --all >/dev/null 2>&1
sleep 0.2
verdict no_processes_left bash -c "! pgrep -x criu-leakchk"
verdict no_temporary_files_left test "$(ls -d /tmp/.criu-check.* 2>/dev/null | wc -l)" = "$before"

# the verdicts above are the result, not the status of the last cleanup
exit 0
