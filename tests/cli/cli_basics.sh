#!/bin/bash
# The command line: version, errors that name what is wrong, logs, config files.
. "$TOP/tests/lib/cli.sh"

expect version 0 '^Version: 4\.2$' -- "$CRIU" --version
verdict version_names_implementation bash -c "'$CRIU' --version | sed -n 2p | grep -q criu-ng"
expect version_short 0 '^Version: 4\.2$' -- "$CRIU" -V
expect help 0 'Usage:' -- "$CRIU" --help
expect unknown_long_option 1 'unknown option: --no-such-option' -- "$CRIU" dump --no-such-option
expect unknown_short_option 1 'unknown option: -Q' -- "$CRIU" dump -Q
expect unknown_command 1 'unknown command: frobnicate' -- "$CRIU" frobnicate
expect no_command 1 'no command' -- "$CRIU"
expect missing_argument 1 'option --images-dir requires an argument' -- "$CRIU" restore --images-dir
expect bad_number 1 "option --tree: 'abc' is not a number" -- "$CRIU" dump -t abc
expect not_supported_option 1 'not supported yet: --lazy-pages' -- "$CRIU" dump -t 4194304 --lazy-pages
# --no-X is the default: accepted, and the dump goes on to look for the (absent) pid
expect no_form_is_default 1 'pid 4194304' -- "$CRIU" dump -t 4194304 --no-tcp-established -D "$T_TMP/d0"
expect both_pidfile_spellings 1 'not a complete checkpoint' -- "$CRIU" restore --pid-file "$T_TMP/p" -D "$T_TMP"

# Restore refuses what is not a complete checkpoint, naming the path.
expect restore_missing_dir 1 "$T_TMP/nonexistent.*No such file or directory" -- \
	"$CRIU" restore -D "$T_TMP/nonexistent"
mkdir -p "$T_TMP/empty"
expect restore_without_inventory 1 "$T_TMP/empty: no inventory.img: not a complete checkpoint" -- \
	"$CRIU" restore -D "$T_TMP/empty"

# The log goes to -o, relative to the work dir (-W, default the images dir).
mkdir -p "$T_TMP/img" "$T_TMP/work"
"$CRIU" restore -D "$T_TMP/img" -o restore.log >/dev/null 2>&1
verdict log_file_in_images_dir grep -q '^(..\.......) Error (.*): .*not a complete checkpoint' "$T_TMP/img/restore.log"
"$CRIU" restore -D "$T_TMP/img" -W "$T_TMP/work" -o restore.log >/dev/null 2>&1
verdict log_file_in_work_dir grep -q 'Error (' "$T_TMP/work/restore.log"
rm -f "$T_TMP/img/restore.log"
expect log_to_stderr 1 'Error \(' -- "$CRIU" restore -D "$T_TMP/img" -o restore.log --log-to-stderr
verdict log_to_stderr_writes_no_file test ! -e "$T_TMP/img/restore.log"
expect error_points_at_log 1 'see the log restore.log' -- "$CRIU" restore -D "$T_TMP/img" -o restore.log
# -v0 silences even errors in the log; the exit status still says it failed.
"$CRIU" restore -D "$T_TMP/img" -o quiet.log -v0 >/dev/null 2>&1
verdict verbosity_zero_is_quiet test ! -s "$T_TMP/img/quiet.log"
"$CRIU" restore -D "$T_TMP/img" -o quiet.log -verbosity=0 >/dev/null 2>&1
verdict verbosity_single_dash_form test ! -s "$T_TMP/img/quiet.log"

# Config files: --config, $CRIU_CONFIG_FILE, --no-default-config.
printf '# a comment\n\nlog-file cfg.log   # trailing comment\n' >"$T_TMP/c.conf"
"$CRIU" restore -D "$T_TMP/img" --config "$T_TMP/c.conf" >/dev/null 2>&1
verdict config_file_applies test -s "$T_TMP/img/cfg.log"
printf 'lazy-pages\n' >"$T_TMP/env.conf"
expect config_from_env 1 'not supported yet: --lazy-pages' -- \
	env CRIU_CONFIG_FILE="$T_TMP/env.conf" "$CRIU" restore -D "$T_TMP/img"
expect no_default_config 1 'not a complete checkpoint' -- \
	env CRIU_CONFIG_FILE="$T_TMP/env.conf" "$CRIU" restore -D "$T_TMP/img" --no-default-config
expect command_line_beats_config 1 'not a complete checkpoint' -- \
	env CRIU_CONFIG_FILE="$T_TMP/env.conf" "$CRIU" restore -D "$T_TMP/img" --no-lazy-pages
expect missing_config_file 1 "config file $T_TMP/none.conf: cannot open" -- \
	"$CRIU" restore -D "$T_TMP/img" --config "$T_TMP/none.conf"
printf 'no-such-key 1\n' >"$T_TMP/bad.conf"
expect config_error_names_line 1 "$T_TMP/bad.conf:1" -- "$CRIU" restore -D "$T_TMP/img" --config "$T_TMP/bad.conf"

# the verdicts above are the result, not the status of the last cleanup
exit 0
