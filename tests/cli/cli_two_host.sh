#!/bin/bash
# Portable checkpoints: files are found by path and checked by content,
# never by inode or device number (engine/files/file_check.h).
#
# "Host A" and "host B" are two tmpfs mounts on this machine holding copies
# of one small root filesystem: the same files at the same paths, other
# inodes, another device. A dynamically linked program runs in a mount
# namespace whose only mount is A (pivot_root): it maps a shared library
# built with a build-id, keeps a file open at an offset with a flock(2) on
# it (--file-locks), has a cwd and a unix socket bound to a path. It is
# dumped, its images copied, and restored with --root on a copy of A; it
# then checks its state and writes /result ("OK foo=N", N from the library
# it calls now).
#
# On copies that differ, the restore is refused and names the file:
#  - the library rebuilt with another build-id and the same size: refused by
#    default (buildid), accepted with --file-validation filesize;
#  - the library rebuilt with another size: refused in both modes;
#  - the library's mode 0644 instead of 0755: refused, accepted with
#    --skip-file-rwx-check;
#  - the open data file, the executable, the cwd changed or gone.
# Then the same with runc: a container checkpointed from one bundle and
# restored from a copy of the bundle on another tmpfs, and refused from a
# copy whose library was rebuilt. Needs root and gcc; the runc part skips
# without runc.
. "$TOP/tests/lib/cli.sh"

if [ "$(id -u)" != 0 ]; then
	echo "SKIP cli_two_host: needs root"
	exit 0
fi
if ! command -v gcc >/dev/null; then
	echo "SKIP cli_two_host: needs gcc to build its program and library"
	exit 0
fi

mounts=()
ctrs=()
runc_root="$T_TMP/runc-root"
cleanup() {
	for c in "${ctrs[@]}"; do runc --root "$runc_root" delete -f "$c" >/dev/null 2>&1; done
	for m in "${mounts[@]}"; do umount -l "$m" 2>/dev/null; done
	rm -rf "$T_TMP"
}
trap cleanup EXIT

src="$T_TMP/src"
mkdir -p "$src"
cat >"$src/twohost.c" <<'EOF'
/* The tree: a file at an offset with a lock, a cwd, a bound unix socket, a library call. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int foo_value(void);
#ifndef TAG
#define TAG "1"
#endif
const char *tag = TAG;

static int result(const char *what, const char *detail, int v)
{
	FILE *f = fopen("/result.tmp", "w");

	if (f) {
		fprintf(f, "%s%s foo=%d tag=%s\n", what, detail, v, tag);
		fclose(f);
		rename("/result.tmp", "/result");
	}
	return v < 0;
}

int main(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX }, got = { 0 };
	socklen_t len = sizeof(got);
	char buf[64] = "", cwd[256] = "";
	int fd = open("/data/file.txt", O_RDONLY), sk = socket(AF_UNIX, SOCK_STREAM, 0);

	strcpy(sa.sun_path, "/run/sock");
	if (fd < 0 || read(fd, buf, 6) != 6 || flock(fd, LOCK_SH) || chdir("/work") || sk < 0 ||
	    bind(sk, (struct sockaddr *)&sa, sizeof(sa)) || listen(sk, 1))
		return result("FAIL setup", "", -1);
	close(open("/ready", O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
	while (access("/go", F_OK))
		usleep(20000);
	if (read(fd, buf, 5) != 5 || memcmp(buf, "world", 5))
		return result("FAIL file offset: read ", buf, -1);
	/* the shared lock came back with its description: another one cannot take it exclusively */
	if (flock(open("/data/file.txt", O_RDONLY), LOCK_EX | LOCK_NB) == 0)
		return result("FAIL lock ", "not restored", -1);
	if (!getcwd(cwd, sizeof(cwd)) || strcmp(cwd, "/work"))
		return result("FAIL cwd ", cwd, -1);
	if (getsockname(sk, (struct sockaddr *)&got, &len) || strcmp(got.sun_path, "/run/sock"))
		return result("FAIL socket name ", got.sun_path, -1);
	return result("OK", "", foo_value());
}
EOF
cat >"$src/launch.c" <<'EOF'
/* Runs /bin/twohost in a new mount namespace whose only mount is ROOT (a mount point). */
#include <sched.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2 || unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    chdir(argv[1]) || syscall(SYS_pivot_root, ".", ".") || umount2(".", MNT_DETACH) || chdir("/")) {
		perror("launch");
		return 1;
	}
	execl("/bin/twohost", "twohost", (char *)NULL);
	perror("exec /bin/twohost");
	return 1;
}
EOF
cat >"$src/foo.c" <<'EOF'
const char foo_pad[PAD] = { 1 };
int foo_value(void) { return VALUE + foo_pad[0] - 1; }
EOF
# libfoo.so: 41 (dumped), 42 (same size, other build-id), 43 (bigger)
lib() {
	mkdir -p "$src/v$1"
	gcc -O2 -shared -fPIC -Wl,--build-id=sha1 -Wl,-soname,libfoo.so -DVALUE="$1" -DPAD="$2" \
		"$src/foo.c" -o "$src/v$1/libfoo.so"
}
if ! { lib 41 1 && lib 42 1 && lib 43 8192 &&
	gcc -O2 -D_GNU_SOURCE "$src/twohost.c" -L"$src/v41" -lfoo -Wl,-rpath,/lib/twohost -o "$src/twohost" &&
	gcc -O2 -D_GNU_SOURCE -DTAG='"2"' "$src/twohost.c" -L"$src/v41" -lfoo -Wl,-rpath,/lib/twohost \
		-o "$src/twohost2" &&
	gcc -O2 -D_GNU_SOURCE "$src/launch.c" -o "$src/launch"; } >"$T_TMP/cc.out" 2>&1; then
	sed 's/^/      /' "$T_TMP/cc.out" | head -n 5
	echo "FAIL two_host_build"
	exit 0
fi
size41=$(stat -c %s "$src/v41/libfoo.so")
size43=$(stat -c %s "$src/v43/libfoo.so")

# rootfs DIR: the program, its library, libc and the loader, its data
rootfs() {
	local d=$1 f
	mkdir -p "$d/bin" "$d/lib/twohost" "$d/data" "$d/work" "$d/run" "$d/dev" || return 1
	cp "$src/twohost" "$d/bin/" && cp "$src/v41/libfoo.so" "$d/lib/twohost/" || return 1
	for f in $(ldd "$src/twohost" | awk '/=> \//{print $3} /^\t\//{print $1}'); do
		mkdir -p "$d$(dirname "$f")" && cp -L "$f" "$d$f" || return 1
	done
	printf 'hello world\n' >"$d/data/file.txt"
	[ -e "$d/dev/null" ] || mknod -m 666 "$d/dev/null" c 1 3
}

# tmpfs DIR: a new tmpfs mounted at DIR, unmounted at exit
tmpfs() { mkdir -p "$1" && mount -t tmpfs tmpfs "$1" && mounts+=("$1"); }

A="$T_TMP/hostA"
if ! tmpfs "$A" || ! rootfs "$A"; then
	echo "FAIL two_host_rootfs"
	exit 0
fi

# host NAME: "another machine": B is a copy of host A's files on a tmpfs of its own
host() {
	B="$T_TMP/$1"
	tmpfs "$B" && cp -a "$A/." "$B/" && rm -f "$B/go" "$B/result"
}

# ran NAME DIR WANT: the restored program, told to go on, writes WANT to DIR/result
ran() {
	local name=$1 dir=$2 want=$3 i
	touch "$dir/go"
	for ((i = 0; i < 100; i++)); do
		[ -s "$dir/result" ] && break
		sleep 0.05
	done
	if [ "$(cat "$dir/result" 2>/dev/null)" = "$want" ]; then
		echo "PASS $name"
	else
		echo "    $dir/result: '$(cat "$dir/result" 2>/dev/null)', expected '$want'"
		echo "FAIL $name"
	fi
	killtree "$pid" >/dev/null
}

# rst DIR ARGS...: criu restore -d of the copied images onto DIR
rst() {
	local dir=$1
	shift
	"$CRIU" restore -D "$img" -W "$T_TMP" -o "restore-${dir##*/}.log" --root "$dir" -d --file-locks "$@"
}

spawn "$src/launch" "$A"
pid=$SPAWNED
for ((i = 0; i < 100; i++)); do [ -e "$A/ready" ] && break; sleep 0.05; done
verdict two_host_started test -e "$A/ready"
mkdir -p "$T_TMP/img-a"
expect two_host_dump 0 '' -- "$CRIU" dump -t "$pid" -D "$T_TMP/img-a" -o dump.log --file-locks
verdict two_host_dump_killed gone "$pid"
# the images travel to host B
img="$T_TMP/img"
cp -a "$T_TMP/img-a" "$img"

# the same files at the same paths, other inodes on another file system
host B1
verdict two_host_other_inode test "$(stat -c %d:%i "$A/lib/twohost/libfoo.so")" != \
	"$(stat -c %d:%i "$B/lib/twohost/libfoo.so")"
expect two_host_restore 0 '' -- rst "$B"
ran two_host_carries_on "$B" "OK foo=41 tag=1"

# another build-id, the same size
host B2
cp "$src/v42/libfoo.so" "$B/lib/twohost/libfoo.so"
verdict two_host_same_size test "$(stat -c %s "$B/lib/twohost/libfoo.so")" = "$size41"
expect two_host_buildid_refused 1 \
	"mapped file /lib/twohost/libfoo.so: build-id [0-9a-f]{40} at dump, [0-9a-f]{40} now" -- rst "$B"
verdict two_host_buildid_refused_not_running test ! -d "/proc/$pid"
expect two_host_filesize_accepts 0 '' -- rst "$B" --file-validation filesize
ran two_host_filesize_new_library "$B" "OK foo=42 tag=1"

# another size
host B3
cp "$src/v43/libfoo.so" "$B/lib/twohost/libfoo.so"
expect two_host_size_refused 1 "mapped file /lib/twohost/libfoo.so: size $size41 at dump, $size43 now" -- \
	rst "$B" --file-validation filesize
expect two_host_size_buildid_refused 1 "mapped file /lib/twohost/libfoo.so: build-id" -- rst "$B"
verdict two_host_size_refused_not_running test ! -d "/proc/$pid"

# the library's mode
host B4
chmod 0644 "$B/lib/twohost/libfoo.so"
expect two_host_mode_refused 1 "mapped file /lib/twohost/libfoo.so: mode 0755 at dump, 0644 now" -- rst "$B"
expect two_host_skip_rwx_accepts 0 '' -- rst "$B" --skip-file-rwx-check
ran two_host_skip_rwx_carries_on "$B" "OK foo=41 tag=1"

# the open file, the executable, the cwd
host B5
printf 'hello world!\n' >"$B/data/file.txt"
expect two_host_open_file_refused 1 "/data/file.txt: size 12 at dump, 13 now" -- rst "$B"
host B6
cp "$src/twohost2" "$B/bin/twohost"
expect two_host_exe_refused 1 "executable /bin/twohost: build-id [0-9a-f]+ at dump, [0-9a-f]+ now" -- rst "$B"
host B7
rm -rf "$B/work"
expect two_host_cwd_gone 1 "/work" -- rst "$B"
verdict two_host_refusals_not_running test ! -d "/proc/$pid"

# ---- runc: a container restored from a copied bundle ----
if ! command -v runc >/dev/null; then
	echo "SKIP two_host_runc: runc is not installed (scripts/install-deps.sh installs it)"
	exit 0
fi
runc_() { runc --root "$runc_root" --criu "$CRIU" "$@"; }
# bundle DIR: host A's root filesystem and a config.json that runs /bin/twohost
bundle() {
	mkdir -p "$1/rootfs" && rootfs "$1/rootfs" && rm -f "$1/rootfs/dev/null" && (cd "$1" && runc spec) &&
		python3 - "$1/config.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["args"] = ["/bin/twohost"]
c["process"]["terminal"] = False
c["root"]["readonly"] = False
json.dump(c, open(sys.argv[1], "w"), indent=1)
EOF
}
# rrestore NAME CTR BUNDLE: runc restore -d of the copied images from BUNDLE
rrestore() {
	local name=$1 ctr=$2 b=$3
	ctrs+=("$ctr")
	timeout 60 runc --root "$runc_root" --criu "$CRIU" restore -d --file-locks --image-path "$rimg" --work-path "$T_TMP/$name.work" --bundle "$b" "$ctr" \
		</dev/null >"$T_TMP/$name.out" 2>&1
}

ba="$T_TMP/hostA-runc"
tmpfs "$ba" && bundle "$ba/b" >"$T_TMP/bundle.out" 2>&1 || {
	sed 's/^/      /' "$T_TMP/bundle.out" | head -n 5
	echo "FAIL two_host_runc_bundle"
	exit 0
}
ctr=criu-2host-$$-a
ctrs+=("$ctr")
# the container's stdio are runc's: /dev/null, which the restore finds in the container's /dev
runc --root "$runc_root" run -d --bundle "$ba/b" "$ctr" </dev/null >/dev/null 2>&1
for ((i = 0; i < 100; i++)); do [ -e "$ba/b/rootfs/ready" ] && break; sleep 0.05; done
if [ ! -e "$ba/b/rootfs/ready" ]; then
	echo "SKIP two_host_runc: runc cannot start a container on this machine"
	exit 0
fi
if ! runc_ checkpoint --file-locks --image-path "$T_TMP/rimg-a" --work-path "$T_TMP/rimg.work" "$ctr" >"$T_TMP/ck.out" 2>&1; then
	sed 's/^/      /' "$T_TMP/ck.out" | head -n 5
	grep -h Error "$T_TMP/rimg.work/dump.log" 2>/dev/null | head -n 5 | sed 's/^/      /'
	echo "FAIL two_host_runc_checkpoint"
	exit 0
fi
echo "PASS two_host_runc_checkpoint"
rimg="$T_TMP/rimg"
cp -a "$T_TMP/rimg-a" "$rimg"

bb="$T_TMP/hostB-runc"
tmpfs "$bb" && cp -a "$ba/b" "$bb/b" && rm -f "$bb/b/rootfs/go" "$bb/b/rootfs/result"
if rrestore runc_restore "$ctr-b" "$bb/b"; then
	echo "PASS two_host_runc_restore"
	pid=$(runc --root "$runc_root" state "$ctr-b" 2>/dev/null | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')
	ran two_host_runc_carries_on "$bb/b/rootfs" "OK foo=41 tag=1"
else
	sed 's/^/      /' "$T_TMP/runc_restore.out" | head -n 5
	grep -h Error "$T_TMP/runc_restore.work/restore.log" 2>/dev/null | head -n 5 | sed 's/^/      /'
	echo "FAIL two_host_runc_restore"
fi

bc="$T_TMP/hostC-runc"
tmpfs "$bc" && cp -a "$ba/b" "$bc/b" && rm -f "$bc/b/rootfs/go" "$bc/b/rootfs/result"
cp "$src/v42/libfoo.so" "$bc/b/rootfs/lib/twohost/libfoo.so"
rrestore runc_refused "$ctr-c" "$bc/b"
verdict two_host_runc_refused grep -Eq \
	"mapped file /lib/twohost/libfoo.so: build-id [0-9a-f]{40} at dump, [0-9a-f]{40} now" \
	"$T_TMP/runc_refused.work/restore.log"

# the verdicts above are the result, not the status of the last cleanup
exit 0
