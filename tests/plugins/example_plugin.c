/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An example plugin (docs/plugins.md), built three ways by tests/tests.mk:
 *
 *   desc/example.so      the descriptor form (CR_PLUGIN_REGISTER, CR_PLUGIN_REGISTER_HOOK)
 *   legacy/example.so    -DLEGACY_FORM: the plain-symbol form (cr_plugin_init, cr_plugin_dump_file, ...)
 *   failinit/failing.so  -DFAIL_INIT: a descriptor plugin whose init refuses every job
 *
 * It keeps two things the engine does not:
 *
 *  - perf event fds. The kernel does not tell a perf fd's attributes back,
 *    so the example handles the one kind its test opens: a software
 *    cpu-clock counter of CPU 0 for every task (pid -1, cpu 0). It saves
 *    the count seen at dump; restore opens a new counter of that kind.
 *  - unix stream sockets connected to a listener outside the dumped tree:
 *    it saves the listener's path (getpeername) and connects a new socket
 *    to it at restore.
 *  - a mount at a mountpoint named "example-ramfs" (any filesystem): at
 *    restore it mounts a new ramfs there, with a file "made-by-example".
 *  - with EXAMPLE_PLUGIN_DEVZERO=1 in criu's environment, private
 *    mappings of /dev/zero, as a stand-in for a device whose memory a
 *    plugin owns: criu stores none of their pages, and at restore the
 *    plugin gives the fd they are mapped through (a fresh /dev/zero).
 *  - with EXAMPLE_PLUGIN_LINKS=1, network links of kind "vxlan": they stay
 *    out of criu's images (a real plugin would save and make them).
 *
 * Its state goes into its own images beside criu's (criu_get_image_dir()),
 * one small text file per object; a real plugin would use protobuf.
 */
#define LOG_PREFIX "example-plugin: "
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "criu-log.h"
#include "criu-plugin.h"

#ifdef FAIL_INIT
#define PLUGIN_NAME "failing"
#else
#define PLUGIN_NAME "example"
#endif

static int stage_seen = -1;

/* Writes text into the image NAME in the images directory. */
static int write_image(const char *name, const char *text)
{
	int fd = openat(criu_get_image_dir(), name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ssize_t len = (ssize_t)strlen(text);

	if (fd < 0)
		return -errno;
	if (write(fd, text, (size_t)len) != len) {
		close(fd);
		return -EIO;
	}
	close(fd);
	return 0;
}

/* Reads the image NAME into buf; -ENOENT if it is not there (not ours). */
static int read_image(const char *name, char *buf, size_t size)
{
	int fd = openat(criu_get_image_dir(), name, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	buf[n] = '\0';
	return 0;
}

static int example_init(int stage)
{
	stage_seen = stage;
#ifdef FAIL_INIT
	pr_err("refusing to start (stage %d): this plugin always fails\n", stage);
	return -1;
#else
	pr_info("init for stage %d\n", stage);
	return 0;
#endif
}

static void example_fini(int stage, int ret)
{
	pr_info("fini for stage %d, job result %d\n", stage, ret);
}

static int open_counter(void)
{
	struct perf_event_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_SOFTWARE;
	attr.config = PERF_COUNT_SW_CPU_CLOCK;
	return (int)syscall(SYS_perf_event_open, &attr, -1, 0, -1, 0);
}

static int example_dump_file(int fd, int id)
{
	char path[64], link[64], name[64], text[128];
	unsigned long long count = 0;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -ENOTSUP;
	link[n] = '\0';
	if (strcmp(link, "anon_inode:[perf_event]"))
		return -ENOTSUP; /* not ours: the next plugin may know it */
	if (read(fd, &count, sizeof(count)) != sizeof(count)) {
		pr_err("file %d: cannot read the counter\n", id);
		return -EIO;
	}
	snprintf(name, sizeof(name), "example-perf-%d.txt", id);
	snprintf(text, sizeof(text), "software cpu-clock cpu 0 count %llu\n", count);
	pr_info("file %d: perf counter at %llu\n", id, count);
	return write_image(name, text);
}

static int example_restore_file(int id, bool *retry_needed)
{
	char name[64], text[128];
	int fd;

	(void)retry_needed;
	snprintf(name, sizeof(name), "example-perf-%d.txt", id);
	if (read_image(name, text, sizeof(text)) < 0)
		return -ENOTSUP;
	fd = open_counter();
	if (fd < 0) {
		pr_err("file %d: perf_event_open failed: %s\n", id, strerror(errno));
		return -errno;
	}
	pr_info("file %d: perf counter reopened (was %s)", id, text);
	return fd;
}

static int example_dump_unix_sk(int fd, int id)
{
	struct sockaddr_un sa;
	socklen_t len = sizeof(sa);
	char name[64], text[sizeof(sa.sun_path) + 8];
	int type = 0;
	socklen_t tl = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 || type != SOCK_STREAM)
		return -ENOTSUP;
	memset(&sa, 0, sizeof(sa));
	if (getpeername(fd, (struct sockaddr *)&sa, &len) < 0 || len <= sizeof(sa.sun_family) || !sa.sun_path[0])
		return -ENOTSUP; /* only peers with a path */
	snprintf(name, sizeof(name), "example-usk-%d.txt", id);
	snprintf(text, sizeof(text), "%s", sa.sun_path);
	pr_info("unix socket %d: connected to %s\n", id, sa.sun_path);
	return write_image(name, text);
}

static int example_restore_unix_sk(int id)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char name[64];
	int fd;

	snprintf(name, sizeof(name), "example-usk-%d.txt", id);
	if (read_image(name, sa.sun_path, sizeof(sa.sun_path)) < 0)
		return -ENOTSUP;
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;

		pr_err("unix socket %d: cannot reconnect to %s: %s\n", id, sa.sun_path, strerror(errno));
		close(fd);
		return e;
	}
	pr_info("unix socket %d: reconnected to %s\n", id, sa.sun_path);
	return fd;
}

static int example_dump_ext_mount(char *mountpoint, int id)
{
	const char *base = strrchr(mountpoint, '/');
	char name[64];

	if (!base || strcmp(base, "/example-ramfs"))
		return -ENOTSUP;
	snprintf(name, sizeof(name), "example-mnt-%d.txt", id);
	pr_info("mount %d at %s: taken\n", id, mountpoint);
	return write_image(name, mountpoint);
}

static int example_restore_ext_mount(int id, char *mountpoint, char *old_root, int *is_file)
{
	char name[64], seen[4096], file[4200];
	int fd;

	snprintf(name, sizeof(name), "example-mnt-%d.txt", id);
	if (read_image(name, seen, sizeof(seen)) < 0)
		return -ENOTSUP;
	if (mount("ramfs", mountpoint, "ramfs", 0, "mode=755") < 0) {
		pr_err("mount %d: cannot mount a ramfs at %s: %s\n", id, mountpoint, strerror(errno));
		return -errno;
	}
	snprintf(file, sizeof(file), "%s/made-by-example", mountpoint);
	fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
	if (is_file)
		*is_file = 0;
	pr_info("mount %d (%s at dump): a new ramfs at %s (old root %s)\n", id, seen, mountpoint,
		old_root ? old_root : "-");
	return 0;
}

static int example_dump_ext_link(int index, int type, char *kind)
{
	if (!getenv("EXAMPLE_PLUGIN_LINKS") || strcmp(kind, "vxlan"))
		return -ENOTSUP;
	pr_info("link %d (type %d, kind %s): taken\n", index, type, kind);
	return 0;
}

static int example_handle_device_vma(int fd, const struct stat *st)
{
	if (!getenv("EXAMPLE_PLUGIN_DEVZERO") || st->st_rdev != makedev(1, 5))
		return -ENOTSUP;
	pr_info("a mapping of /dev/zero (fd %d): taken\n", fd);
	return 0;
}

static int example_update_vma_map(const char *path, const uint64_t addr, const uint64_t old_pgoff,
				  uint64_t *new_pgoff, int *plugin_fd)
{
	if (strcmp(path, "/dev/zero"))
		return -ENOTSUP;
	*new_pgoff = old_pgoff;
	*plugin_fd = open("/dev/zero", O_RDWR | O_CLOEXEC);
	if (*plugin_fd < 0)
		return -errno;
	pr_info("mapping at %#llx: a new /dev/zero (fd %d)\n", (unsigned long long)addr, *plugin_fd);
	return 0;
}

#ifdef LEGACY_FORM
/* The plain-symbol form: criu finds these by name (the plugin's name is its file's). */
int cr_plugin_init(int stage)
{
	return example_init(stage);
}

void cr_plugin_fini(int stage, int ret)
{
	example_fini(stage, ret);
}

int cr_plugin_dump_file(int fd, int id)
{
	return example_dump_file(fd, id);
}

int cr_plugin_restore_file(int id)
{
	return example_restore_file(id, NULL);
}

int cr_plugin_dump_unix_sk(int fd, int id)
{
	return example_dump_unix_sk(fd, id);
}

int cr_plugin_restore_unix_sk(int id)
{
	return example_restore_unix_sk(id);
}

int cr_plugin_dump_ext_link(int index, int type, char *kind)
{
	return example_dump_ext_link(index, type, kind);
}

int cr_plugin_handle_device_vma(int fd, const struct stat *st)
{
	return example_handle_device_vma(fd, st);
}

int cr_plugin_update_vma_map(const char *path, const uint64_t addr, const uint64_t old_pgoff, uint64_t *new_pgoff,
			     int *plugin_fd)
{
	return example_update_vma_map(path, addr, old_pgoff, new_pgoff, plugin_fd);
}

int cr_plugin_dump_ext_mount(char *mountpoint, int id)
{
	return example_dump_ext_mount(mountpoint, id);
}

int cr_plugin_restore_ext_mount(int id, char *mountpoint, char *old_root, int *is_file)
{
	return example_restore_ext_mount(id, mountpoint, old_root, is_file);
}
#else
/* The descriptor form. */
CR_PLUGIN_REGISTER(PLUGIN_NAME, example_init, example_fini)
CR_PLUGIN_REGISTER_HOOK(CR_PLUGIN_HOOK__DUMP_EXT_FILE, example_dump_file)
CR_PLUGIN_REGISTER_HOOK(CR_PLUGIN_HOOK__RESTORE_EXT_FILE, example_restore_file)
CR_PLUGIN_REGISTER_HOOK(CR_PLUGIN_HOOK__DUMP_UNIX_SK, example_dump_unix_sk)
CR_PLUGIN_REGISTER_HOOK(CR_PLUGIN_HOOK__RESTORE_UNIX_SK, example_restore_unix_sk)
CR_PLUGIN_REGISTER_HOOK(CR_PLUGIN_HOOK__DUMP_EXT_MOUNT, example_dump_ext_mount)
CR_PLUGIN_REGISTER_HOOK(CR_PLUGIN_HOOK__HANDLE_DEVICE_VMA, example_handle_device_vma)
CR_PLUGIN_REGISTER_HOOK(CR_PLUGIN_HOOK__DUMP_EXT_LINK, example_dump_ext_link)
CR_PLUGIN_REGISTER_HOOK(CR_PLUGIN_HOOK__UPDATE_VMA_MAP, example_update_vma_map)
CR_PLUGIN_REGISTER_HOOK(CR_PLUGIN_HOOK__RESTORE_EXT_MOUNT, example_restore_ext_mount)
#endif
