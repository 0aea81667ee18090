#!/bin/bash
# The demo: checkpoint a live counter, look at the images, restore it, and
# watch it carry on from where it was. Run by `make demo` (as root, under a
# child subreaper so that nothing is left behind).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
CRIU="$PWD/$BUILD/criu"
dir=$(mktemp -d /tmp/criu-demo.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
fail() { printf '\ndemo failed: %s\n' "$*"; [ -f "$dir/img/$2" ] && tail -n 5 "$dir/img/$2"; exit 1; }

step "$CRIU" --version
step "$CRIU" check

# A live workload in its own session: a counter that writes its value 10 times a second.
(
	for fd in /proc/$BASHPID/fd/*; do
		fd=${fd##*/}
		[ "$fd" -gt 2 ] && eval "exec $fd>&-"
	done
	exec setsid bash -c 'i=0; while :; do i=$((i+1)); echo $i >'"$dir"'/counter; sleep 0.1; done' \
		</dev/null >/dev/null 2>&1
) &
pid=$!
disown "$pid"
sleep 1
printf '\nA counter runs as pid %s; it is at %s.\n' "$pid" "$(cat "$dir/counter")"

step "$CRIU" dump -t "$pid" -D "$dir/img" -o dump.log --display-stats || fail "dump" dump.log
sleep 0.5
if kill -0 "$pid" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$pid/status"; then
	fail "pid $pid still runs after the dump"
fi
at=$(cat "$dir/counter")
printf 'The counter is gone, stopped at %s. The checkpoint:\n' "$at"
step ls -l "$dir/img"
step "$CRIU" show -f "$dir/img/tree.img"
printf '\n(criu show -D %s prints every image as JSON; -c adds page contents.)\n' "$dir/img"

step "$CRIU" restore -d -D "$dir/img" -o restore.log || fail "restore" restore.log
sleep 1
now=$(cat "$dir/counter")
printf '\nRestored as pid %s (%s); the counter went on from %s to %s.\n' "$pid" \
	"$(tr '\0' ' ' <"/proc/$pid/cmdline" | cut -c1-40)..." "$at" "$now"
[ "$now" -gt "$at" ] || fail "the counter did not move after restore"
printf 'Done.\n'
