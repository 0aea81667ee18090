/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The mountinfo parser of ns/mnt.c, on the kernel's text (a runc container's) and on broken text. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "images/inventory.pb-c.h"
#include "mnt.h"
#include "options.h"
#include "t.h"

static const char runc_mountinfo[] =
	"64 42 254:0 /tmp/rb/bundle/rootfs / rw,relatime - ext4 /dev/vda rw,discard\n"
	"65 64 0:39 / /proc rw,relatime - proc proc rw\n"
	"66 64 0:40 / /dev rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755\n"
	"67 66 0:41 / /dev/pts rw,nosuid,noexec,relatime - devpts devpts rw,gid=5,mode=620,ptmxmode=666\n"
	"70 64 0:43 / /sys ro,nosuid,nodev,noexec,relatime - sysfs sysfs ro\n"
	"46 65 0:39 /sys /proc/sys ro,relatime - proc proc rw\n"
	"48 65 0:40 /null /proc/keys rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755\n"
	"90 64 0:40 /a\\040b /with\\040space rw - tmpfs tmpfs rw\n";

static void test_runc(void)
{
	MntEntry **v = NULL;
	size_t n = 0;

	CHECK_EQ_INT(mnt_parse_mountinfo(runc_mountinfo, false, &v, &n), 0);
	if (n != 8) {
		CHECK_EQ_INT((int)n, 8);
		mnt_entries_free(v, n);
		return;
	}
	CHECK(v[0]->id == 64 && v[0]->parent_id == 42 && v[0]->dev == makedev(254, 0));
	CHECK_EQ_STR(v[0]->root, "/tmp/rb/bundle/rootfs");
	CHECK_EQ_STR(v[0]->mountpoint, "/");
	CHECK_EQ_STR(v[0]->fstype, "ext4");
	CHECK_EQ_STR(v[0]->options, "discard");
	CHECK(v[0]->flags == MS_RELATIME && !v[0]->sb_ro);
	CHECK_EQ_STR(v[3]->options, "gid=5,mode=620,ptmxmode=666");
	CHECK(v[3]->flags == (MS_NOSUID | MS_NOEXEC | MS_RELATIME));
	/* sysfs: read-only both as a mount and as a filesystem */
	CHECK(v[4]->flags & MS_RDONLY);
	CHECK(v[4]->sb_ro);
	CHECK_EQ_STR(v[4]->options, "");
	CHECK_EQ_STR(v[5]->root, "/sys");
	CHECK_EQ_STR(v[5]->mountpoint, "/proc/sys");
	/* octal escapes */
	CHECK_EQ_STR(v[7]->root, "/a b");
	CHECK_EQ_STR(v[7]->mountpoint, "/with space");
	mnt_entries_free(v, n);
}

static void test_broken(void)
{
	MntEntry **v = NULL;
	size_t n = 0;

	CHECK_EQ_INT(mnt_parse_mountinfo("", false, &v, &n), -EBADMSG);
	CHECK_EQ_INT(mnt_parse_mountinfo("64 42 254:0 / / rw\n", false, &v, &n), -EBADMSG); /* no " - " */
	CHECK_EQ_INT(mnt_parse_mountinfo("x 42 254:0 / / rw - ext4 /dev/vda rw\n", false, &v, &n), -EBADMSG);
	CHECK_EQ_INT(mnt_parse_mountinfo("64 42 254:0 / / rw - ext4\n", false, &v, &n), -EBADMSG);
	/* unbindable mounts are marked, or left out when asked */
	CHECK_EQ_INT(mnt_parse_mountinfo("64 42 254:0 / / rw unbindable - ext4 /dev/vda rw\n", false, &v, &n), 0);
	CHECK_EQ_INT((int)n, 1);
	if (n == 1)
		CHECK(v[0]->unbindable && !v[0]->has_shared_id);
	mnt_entries_free(v, n);
	/* a bind of a removed directory */
	CHECK_EQ_INT(mnt_parse_mountinfo("64 42 0:40 /d//deleted /x rw - tmpfs t rw\n", false, &v, &n), 0);
	CHECK_EQ_INT((int)n, 1);
	if (n == 1) {
		CHECK_EQ_STR(v[0]->root, "/d");
		CHECK(v[0]->root_deleted);
	}
	mnt_entries_free(v, n);
	/* an empty source (mount("", dir, "tmpfs", ...)) */
	CHECK_EQ_INT(mnt_parse_mountinfo("64 42 0:40 / /a\\040b rw - tmpfs  rw,size=4k\n", false, &v, &n), 0);
	CHECK_EQ_INT((int)n, 1);
	if (n == 1) {
		CHECK_EQ_STR(v[0]->source, "");
		CHECK_EQ_STR(v[0]->mountpoint, "/a b");
		CHECK_EQ_STR(v[0]->options, "size=4k");
	}
	mnt_entries_free(v, n);
	CHECK_EQ_INT(mnt_parse_mountinfo("64 42 254:0 / / rw shared:3 - ext4 /dev/vda rw\n"
					 "65 64 0:40 / /u rw unbindable - tmpfs t rw\n",
					 true, &v, &n),
		     0);
	CHECK_EQ_INT((int)n, 1);
	if (n == 1)
		CHECK_EQ_INT((int)v[0]->shared_id, 3);
	mnt_entries_free(v, n);
}

static void test_propagation(void)
{
	MntEntry **v = NULL;
	size_t n = 0;

	CHECK_EQ_INT(mnt_parse_mountinfo("64 42 254:0 / / rw shared:1 - ext4 /dev/vda rw\n"
					 "65 64 0:40 / /a rw shared:7 master:3 propagate_from:2 - tmpfs t rw\n"
					 "66 64 0:40 / /b rw master:7 - tmpfs t rw\n",
					 false, &v, &n),
		     0);
	CHECK_EQ_INT((int)n, 3);
	CHECK(v[0]->has_shared_id && v[0]->shared_id == 1 && !v[0]->has_master_id);
	CHECK(v[1]->shared_id == 7 && v[1]->has_master_id && v[1]->master_id == 3);
	CHECK(!v[2]->has_shared_id && v[2]->master_id == 7);
	CHECK_EQ_STR(v[1]->fstype, "tmpfs");
	mnt_entries_free(v, n);
}

/* An images directory holding mnt.img with the given entries; NULL on failure. */
static struct img_dir *mnt_dir(MntEntry **v, size_t n, char *path, size_t size)
{
	static int case_no;
	InventoryEntry inv = INVENTORY_ENTRY__INIT;
	struct img_writer *w = NULL;
	struct img_dir *d = NULL;

	snprintf(path, size, "/tmp/test_mnt.%d.%d", getpid(), ++case_no);
	if (img_dir_open_write(path, &d) < 0 || img_create(d, IMG_MNTNS, 0, &w) < 0)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (img_write_msg(w, &v[i]->base) < 0)
			return NULL;
	inv.producer = "test";
	if (img_commit(w) < 0 || img_write_inventory(d, &inv) < 0)
		return NULL;
	img_dir_close(d);
	d = NULL;
	return img_dir_open_read(path, &d) < 0 ? NULL : d;
}

/* mnt.img from a hostile dump: refused before anything is mounted, naming the mount. */
static void test_hostile_images(void)
{
	static const char *const bad[] = {
		"64 42 254:0 / / rw - ext4 /dev/vda rw\n65 64 0:39 / /../etc rw - proc proc rw\n",   /* escapes --root */
		"64 42 254:0 / / rw - ext4 /dev/vda rw\n65 64 0:39 / proc rw - proc proc rw\n",      /* relative */
		"64 42 254:0 / / rw - ext4 /dev/vda rw\n65 99 0:39 / /proc rw - proc proc rw\n",     /* no parent */
		"64 42 254:0 / /x rw - ext4 /dev/vda rw\n",					       /* no root */
		"64 42 254:0 / / rw - ext4 /dev/vda rw\n64 64 0:39 / /proc rw - proc proc rw\n",     /* id twice */
		"64 42 254:0 / / rw - ext4 /dev/vda rw\n65 64 0:39 / /proc rw - proc proc rw\n",     /* MS_BIND (below) */
	};
	struct cr_opts o;
	char path[128];

	opts_init(&o);
	o.root = strdup("/");
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		MntEntry **v = NULL;
		size_t n = 0;
		struct img_dir *d;
		struct mnt_restore *m = NULL;

		CHECK_EQ_INT(mnt_parse_mountinfo(bad[k], false, &v, &n), 0);
		/* as the dump leaves it: the root has no parent */
		v[0]->parent_id = 0;
		/* the last case: flags no dump records (a bind of the host's / into the tree) */
		if (k == sizeof(bad) / sizeof(bad[0]) - 1)
			v[n - 1]->flags |= MS_BIND | MS_REC;
		d = mnt_dir(v, n, path, sizeof(path));
		CHECK(d != NULL);
		if (d) {
			CHECK_EQ_INT(mnt_restore_prepare(d, &o, &m), -EBADMSG);
			img_dir_close(d);
		}
		mnt_entries_free(v, n);
	}
	opts_free(&o);
	if (system("rm -rf /tmp/test_mnt.*") != 0)
		printf("    could not remove /tmp/test_mnt.*\n");
}

/*
 * A mountpoint of mnt.img under an absolute symlink of the --root tree: it
 * is made and mounted inside the root (where the link leads there), never
 * on the host where the link points.
 */
static void test_mountpoint_in_root(void)
{
	static const char info[] = "64 42 254:0 / / rw - ext4 /dev/vda rw\n"
				   "65 64 0:39 / /evil/x rw - tmpfs tmpfs rw\n";
	char root[] = "/tmp/test_mnt_root.XXXXXX", outside[] = "/tmp/test_mnt_out.XXXXXX";
	char link[128], path[256];
	MntEntry **v = NULL;
	struct mnt_restore *m = NULL;
	struct img_dir *d;
	struct cr_opts o;
	size_t n = 0;
	pid_t pid;
	int st;

	CHECK(mkdtemp(root) && mkdtemp(outside));
	snprintf(link, sizeof(link), "%s/evil", root);
	CHECK_EQ_INT(symlink(outside, link), 0);
	/* where the link leads inside the root */
	snprintf(path, sizeof(path), "mkdir -p %s%s", root, outside);
	CHECK_EQ_INT(system(path), 0);
	opts_init(&o);
	o.root = strdup(root);
	CHECK_EQ_INT(mnt_parse_mountinfo(info, false, &v, &n), 0);
	v[0]->parent_id = 0;
	d = mnt_dir(v, n, path, sizeof(path));
	CHECK(d != NULL);
	if (d && mnt_restore_prepare(d, &o, &m) == 0) {
		pid = fork();
		if (pid == 0) /* a mount namespace of its own, as a restore makes */
			_exit(mnt_restore_build(m, &o, d) < 0);
		CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st));
		CHECK_EQ_INT(WEXITSTATUS(st), 0);
		snprintf(path, sizeof(path), "%s/x", outside);
		CHECK_EQ_INT(access(path, F_OK) < 0 && errno == ENOENT, 1); /* nothing made on the host */
		snprintf(path, sizeof(path), "%s%s/x", root, outside);
		CHECK_EQ_INT(access(path, F_OK), 0); /* but inside the root */
		mnt_restore_free(m);
	}
	if (d)
		img_dir_close(d);
	mnt_entries_free(v, n);
	opts_free(&o);
	snprintf(path, sizeof(path), "rm -rf %s %s /tmp/test_mnt.*", root, outside);
	if (system(path) != 0)
		printf("    could not remove %s and %s\n", root, outside);
}

/* --lsm-mount-context: the value of context= (quoted, with its commas) is replaced; fscontext= is not
 * context=. */
static void test_options_with_context(void)
{
	char *r = NULL;

	CHECK_EQ_INT(mnt_options_with_context("context=\"system_u:object_r:c_t:s0:c82,c137\",inode64",
					      "system_u:object_r:container_file_t:s0", &r),
		     1);
	CHECK_EQ_STR(r, "context=\"system_u:object_r:container_file_t:s0\",inode64");
	free(r);
	CHECK_EQ_INT(mnt_options_with_context("mode=755,context=a_t", "b_t", &r), 1);
	CHECK_EQ_STR(r, "mode=755,context=\"b_t\"");
	free(r);
	CHECK_EQ_INT(mnt_options_with_context("fscontext=a_t,mode=755", "b_t", &r), 0);
	CHECK_EQ_STR(r, "fscontext=a_t,mode=755");
	free(r);
	CHECK_EQ_INT(mnt_options_with_context("", "b_t", &r), 0);
	CHECK_EQ_STR(r, "");
	free(r);
	r = NULL;
	CHECK_EQ_INT(mnt_options_with_context("context=\"unterminated,mode=1", "b_t", &r), -EINVAL);
	CHECK(r == NULL);
}

int main(void)
{
	t_run("options_with_context", test_options_with_context);
	t_run("runc_mountinfo", test_runc);
	t_run("broken", test_broken);
	t_run("hostile_images", test_hostile_images);
	t_run("propagation", test_propagation);
	t_run("mountpoint_in_root", test_mountpoint_in_root);
	return t_done();
}
