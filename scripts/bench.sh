#!/bin/bash
# Benchmarks, printed as a table a reader can compare: dump and restore of a
# live process holding 64, 512 and 2048 MiB of populated anonymous memory,
# beside a plain `cp` of a file of the same size on the same disk, in the
# same run. The restored memory is checksummed against the original.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
CRIU="$PWD/$BUILD/criu"
make --no-print-directory -s "$BUILD/tests/memhog" >/dev/null
dir=$(mktemp -d "$PWD/$BUILD/bench.XXXXXX")
pid=
cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

now() { date +%s.%N; }
wait_file() { for ((i = 0; i < 600; i++)); do [ -s "$1" ] && return 0; sleep 0.05; done; return 1; }
field() { sed -n "s/^$1: \([0-9]*\).*/\1/p" "$2"; }

echo "dump and restore of one process with populated anonymous memory; $(nproc) cores, $(uname -r); median of ${RUNS:-3} runs"
echo "images and the cp copy on the same disk ($(df --output=source "$dir" | tail -n 1)); sync before each timed step"
echo "(page data is written with O_DIRECT where the file system has it; cp goes through the page cache)"
printf '%6s | %8s %9s %8s | %9s %8s | %9s %8s | %8s %10s\n' MiB dump_s frozen_s MiB/s restore_s MiB/s \
	image_MiB verified cp_s dump/cp
measure() { # MIB: prints "dump frozen restore size_mib verified cp" in seconds
	local mib=$1 t0 t1 t2 t3 t4 t5 frozen size ok i
	rm -rf "$dir/w" && mkdir -p "$dir/w" "$dir/img"
	(
		for fd in /proc/$BASHPID/fd/*; do
			fd=${fd##*/}
			[ "$fd" -gt 2 ] && eval "exec $fd>&-"
		done
		exec setsid "$PWD/$BUILD/tests/memhog" "$mib" "$dir/w" </dev/null >/dev/null 2>&1
	) &
	pid=$!
	disown "$pid"
	wait_file "$dir/w/sum.before" || { echo "memhog $mib did not start"; exit 1; }

	sync # every timed step starts with no dirty data in the page cache
	t0=$(now)
	"$CRIU" dump -t "$pid" -D "$dir/img" -o dump.log --display-stats >"$dir/dump.stats" ||
		{ echo "dump failed: $(grep -m1 Error "$dir/img/dump.log")"; exit 1; }
	t1=$(now)
	frozen=$(field "Frozen time" "$dir/dump.stats")
	for ((i = 0; i < 100; i++)); do [ -d "/proc/$pid" ] || break; sleep 0.02; done
	size=$(du -sm "$dir/img" | cut -f1)

	sync
	t2=$(now)
	"$CRIU" restore -d -D "$dir/img" -o restore.log ||
		{ echo "restore failed: $(grep -m1 Error "$dir/img/restore.log")"; exit 1; }
	t3=$(now)
	kill -USR1 "$pid"
	wait_file "$dir/w/sum.after" || { echo "restored memhog $mib did not answer"; exit 1; }
	if cmp -s "$dir/w/sum.before" "$dir/w/sum.after"; then ok=yes; else ok=NO; fi
	kill -9 "$pid"
	pid=

	cp "$dir/img/pages-1.img" "$dir/src"
	sync
	t4=$(now)
	cp "$dir/src" "$dir/dst"
	t5=$(now)
	awk -v t0="$t0" -v t1="$t1" -v fr="$frozen" -v t2="$t2" -v t3="$t3" -v sz="$size" -v ok="$ok" \
		-v t4="$t4" -v t5="$t5" 'BEGIN { printf "%.4f %.4f %.4f %d %s %.4f\n", t1 - t0, fr / 1e6, t3 - t2, sz, ok, t5 - t4 }'
	rm -rf "$dir/img" "$dir/src" "$dir/dst"
}

# The disk of these VMs is noisy: each size runs RUNS times and every column is the median.
RUNS=${RUNS:-3}
for mib in 64 512 2048; do
	for ((run = 0; run < RUNS; run++)); do
		measure "$mib" || exit 1
	done | awk -v m="$mib" '
	function median(col,   n, i, j, t, v) {
		n = 0
		for (i = 1; i <= NR; i++) v[++n] = row[i, col]
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
		return v[int((n + 1) / 2)]
	}
	{ for (c = 1; c <= 6; c++) row[NR, c] = $c; if ($5 != "yes") bad = 1 }
	END {
		d = median(1); fr = median(2); r = median(3); sz = median(4); c = median(6)
		printf "%6d | %8.3f %9.3f %8.0f | %9.3f %8.0f | %9d %8s | %8.3f %10.2f\n",
			m, d, fr, m / d, r, m / r, sz, bad ? "NO" : "yes", c, d / c
	}'
done
