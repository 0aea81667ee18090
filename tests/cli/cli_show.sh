#!/bin/bash
# criu show: JSON for any image, clean errors (exit 1, naming the file) for the rest.
. "$TOP/tests/lib/cli.sh"
SEEDS="$TOP/tests/fuzz/corpus/fuzz_image"

json_ok() { python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$1" 2>/dev/null; }

expect show_pagemap 0 '"kind": "pagemap", "id": 1, "records": 3' -- "$CRIU" show -f "$SEEDS/pagemap-1.img"
"$CRIU" show -f "$SEEDS/core-1.img" >"$T_TMP/core.json" 2>/dev/null
if command -v python3 >/dev/null; then
	verdict show_is_json json_ok "$T_TMP/core.json"
fi
verdict show_u64_is_a_number grep -q '"cur": 18446744073709551615' "$T_TMP/core.json"
verdict show_enum_by_name grep -q '"state": "TASK_RUNNING"' "$T_TMP/core.json"
expect show_damaged 1 'damaged-flip.img: record 2: checksum mismatch' -- "$CRIU" show -f "$SEEDS/damaged-flip.img"
expect show_truncated 1 'damaged-cut.img: record 1: truncated' -- "$CRIU" show -f "$SEEDS/damaged-cut.img"
head -c 1000 /dev/urandom >"$T_TMP/random"
expect show_random_bytes 1 "$T_TMP/random: not an image" -- "$CRIU" show -f "$T_TMP/random"
: >"$T_TMP/empty"
expect show_empty_file 1 "$T_TMP/empty: not an image" -- "$CRIU" show -f "$T_TMP/empty"
expect show_directory 1 "$T_TMP: not an image: not a regular file" -- "$CRIU" show -f "$T_TMP"
expect show_missing 1 "$T_TMP/missing: cannot open: No such file" -- "$CRIU" show -f "$T_TMP/missing"
expect show_needs_a_file 1 '-f FILE' -- "$CRIU" show

# A directory without an inventory: what is there is shown, then refused.
mkdir "$T_TMP/d"
cp "$SEEDS/pagemap-1.img" "$SEEDS/tree.img" "$T_TMP/d/"
"$CRIU" show -D "$T_TMP/d" >"$T_TMP/d.json" 2>"$T_TMP/d.err"
verdict show_dir_without_inventory_fails test $? = 1
verdict show_dir_without_inventory_says_so grep -q 'not a complete checkpoint' "$T_TMP/d.err"
verdict show_dir_without_inventory_shows_files grep -q '"kind": "tree"' "$T_TMP/d.json"
# -c needs the pages image, which the seeds do not carry.
expect show_contents_needs_pages 1 'pages-1.img: cannot open the pages of' -- \
	"$CRIU" show -c -f "$T_TMP/d/pagemap-1.img"
verdict show_writes_nothing test "$(ls "$T_TMP/d" | wc -l)" = 2

# the verdicts above are the result, not the status of the last cleanup
exit 0
