/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Writes a small checkpoint directory through the image layer and copies its
 * record images, plus damaged ones, into the fuzz_image seed corpus. Not part
 * of the build (tests.mk builds only fuzz_*.c); run it by hand when the
 * format changes: compile it with the flags of any engine build, linking the
 * objects of engine/image, engine/util and the image protos, then
 *
 *   gen_image_seeds /tmp/ckpt tests/fuzz/corpus/fuzz_image
 *
 * /tmp/ckpt is left as a complete checkpoint for trying criu show on; its
 * subdirectory hostile/ holds the hostile images that become hostile-*.img
 * seeds: paths that leave the tree's root, a link_remap naming any file,
 * FIFOs where files were, very long names, cgroup paths with "..", and an
 * inventory that lists names outside the directory.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image.h"
#include "images/cgroup.pb-c.h"
#include "images/core.pb-c.h"
#include "images/files.pb-c.h"
#include "images/inventory.pb-c.h"
#include "images/mm.pb-c.h"
#include "images/pagemap.pb-c.h"
#include "images/tree.pb-c.h"

#define TRY(x)                                                                                               \
	do {                                                                                                 \
		if ((x) < 0) {                                                                               \
			fprintf(stderr, "%s:%d: %s failed\n", __FILE__, __LINE__, #x);                       \
			exit(1);                                                                             \
		}                                                                                            \
	} while (0)

static void write_one(struct img_dir *d, enum img_kind kind, uint64_t id, int n, ProtobufCMessage **msgs)
{
	struct img_writer *w;

	TRY(img_create(d, kind, id, &w));
	for (int i = 0; i < n; i++)
		TRY(img_write_msg(w, msgs[i]));
	TRY(img_commit(w));
}

static void write_pages(struct img_dir *d)
{
	static unsigned char data[3 * 4096];
	PagemapHead h = PAGEMAP_HEAD__INIT;
	PagemapEntry e[2] = {PAGEMAP_ENTRY__INIT, PAGEMAP_ENTRY__INIT};
	ProtobufCMessage *msgs[3] = {&h.base, &e[0].base, &e[1].base};
	struct img_pages_writer *pw;
	struct iovec iov;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i % 251);
	TRY(img_pages_create(d, 1, &pw));
	for (int i = 0; i < 2; i++) {
		iov.iov_base = data + i * 4096;
		iov.iov_len = (size_t)(i + 1) * 4096;
		e[i].vaddr = 0x7f1200000000ull + (uint64_t)i * 0x100000;
		e[i].nr_pages = (uint32_t)i + 1;
		TRY(img_pages_append(pw, &iov, 1, &e[i].offset, &e[i].crc32c));
	}
	e[1].has_flags = 1;
	e[1].flags = 2;
	TRY(img_pages_commit(pw));
	h.pages_id = 1;
	h.page_size = 4096;
	h.has_data_start = 1;
	write_one(d, IMG_PAGEMAP, 1, 3, msgs);
}

static void write_core(struct img_dir *d)
{
	TaskCore tc = TASK_CORE__INIT;
	CredsEntry cr = CREDS_ENTRY__INIT;
	RlimitEntry rl = RLIMIT_ENTRY__INIT, *rls[1] = {&rl};
	ThreadCore th = THREAD_CORE__INIT;
	X86Gpregs regs = X86_GPREGS__INIT;
	uint32_t groups[2] = {4, 27};
	unsigned char xsave[8] = {1, 2, 3, 4, 0xfe, 0xff, 0, 9};
	ProtobufCMessage *msgs[2] = {&tc.base, &th.base};

	cr.n_groups = 2;
	cr.groups = groups;
	cr.cap_bnd = 0x1ffffffffffull;
	rl.cur = rl.max = UINT64_MAX;
	tc.pid = tc.pgid = tc.sid = 100;
	tc.ppid = 1;
	tc.state = TASK_STATE__TASK_RUNNING;
	tc.comm = "seed";
	tc.mm_id = 1;
	tc.creds = &cr;
	tc.n_rlimits = 1;
	tc.rlimits = rls;
	tc.cwd = "/tmp";
	th.tid = 100;
	regs.ip = 0x401000;
	regs.sp = 0x7ffc00000000ull;
	th.regs = &regs;
	th.has_xsave = 1;
	th.xsave.data = xsave;
	th.xsave.len = sizeof(xsave);
	write_one(d, IMG_CORE, 1, 2, msgs);
}

static void write_mm_files_tree(struct img_dir *d)
{
	MmEntry mm = MM_ENTRY__INIT;
	VmaEntry v[2] = {VMA_ENTRY__INIT, VMA_ENTRY__INIT};
	ProtobufCMessage *mm_msgs[3] = {&mm.base, &v[0].base, &v[1].base};
	FileEntry f = FILE_ENTRY__INIT;
	ProtobufCMessage *f_msgs[1] = {&f.base};
	TreeEntry t = TREE_ENTRY__INIT;
	ProtobufCMessage *t_msgs[1] = {&t.base};
	uint64_t auxv[4] = {6, 4096, 0, 0};
	uint32_t tids[2] = {100, 101};

	mm.n_auxv = 4;
	mm.auxv = auxv;
	mm.exe = "/bin/seed";
	v[0].start = 0x400000;
	v[0].end = 0x401000;
	v[0].kind = VMA_KIND__VMA_FILE_PRIVATE;
	v[0].path = "/bin/seed";
	v[1].start = 0xffffffffff600000ull;
	v[1].end = 0xffffffffff601000ull;
	v[1].kind = VMA_KIND__VMA_VSYSCALL;
	write_one(d, IMG_MM, 1, 3, mm_msgs);
	f.id = 3;
	f.kind = FILE_KIND__FILE_REGULAR;
	f.path = "/etc/hostname";
	f.has_ghost_data = 1;
	f.ghost_data.data = (uint8_t *)"ghost";
	f.ghost_data.len = 5;
	write_one(d, IMG_FILES, 0, 1, f_msgs);
	t.id = 1;
	t.pid = 100;
	t.n_tids = 2;
	t.tids = tids;
	write_one(d, IMG_TREE, 0, 1, t_msgs);
	write_one(d, IMG_FDTABLE, 1, 0, NULL); /* no records */
}

static void copy(const char *dir, const char *name, const char *out, const char *as, long flip, long cut)
{
	char path[1024];
	unsigned char buf[4096];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY);
	TRY(fd);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n <= 0 || n == (ssize_t)sizeof(buf)) {
		fprintf(stderr, "%s: not a small image\n", path);
		exit(1);
	}
	if (flip >= 0 && flip < n)
		buf[flip] ^= 0x10;
	if (cut >= 0 && cut < n)
		n = cut;
	snprintf(path, sizeof(path), "%s/%s", out, as);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	TRY(fd);
	if (write(fd, buf, (size_t)n) != n)
		exit(1);
	close(fd);
}

/* What a hostile image carries: every path the restore must refuse or confine. */
static void write_hostile(struct img_dir *d)
{
	static char long_name[3001]; /* a seed stays under 4 KiB */
	FileEntry f[7] = {FILE_ENTRY__INIT, FILE_ENTRY__INIT, FILE_ENTRY__INIT, FILE_ENTRY__INIT,
			  FILE_ENTRY__INIT, FILE_ENTRY__INIT, FILE_ENTRY__INIT};
	ProtobufCMessage *f_msgs[7];
	CgroupEntry cg = CGROUP_ENTRY__INIT;
	CgDirEntry dirs[3] = {CG_DIR_ENTRY__INIT, CG_DIR_ENTRY__INIT, CG_DIR_ENTRY__INIT}, *dp[3];
	CgMemberEntry mem[2] = {CG_MEMBER_ENTRY__INIT, CG_MEMBER_ENTRY__INIT}, *mp[2] = {&mem[0], &mem[1]};
	CgSetEntry set = CG_SET_ENTRY__INIT, *sp[1] = {&set};
	CgTaskEntry task = CG_TASK_ENTRY__INIT, *tp[1] = {&task};
	static const char *const paths[7] = {
		"/etc/shadow", "../../../etc/passwd", "/proc/self/root/etc/shadow",
		"/tmp/victim", "/tmp/fifo",	      "/etc/../../etc/ghost",
		long_name};

	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[0] = '/';
	for (int i = 0; i < 7; i++) {
		f[i].id = 10 + (uint64_t)i;
		f[i].kind = FILE_KIND__FILE_REGULAR;
		f[i].flags = 02; /* O_RDWR */
		f[i].path = (char *)paths[i];
		f[i].has_mode = 1;
		f[i].mode = 0100644;
		f_msgs[i] = &f[i].base;
	}
	f[3].link_remap = "/etc/passwd"; /* a remap that is no name criu made */
	f[4].kind = FILE_KIND__FILE_FIFO;
	f[4].mode = 010600;
	f[4].has_pipe_id = 1;
	f[4].pipe_id = 99;
	f[5].has_deleted = f[5].deleted = 1; /* a set-user-ID ghost of root */
	f[5].mode = 0104755;
	f[5].has_uid = f[5].has_gid = 1;
	f[5].has_ghost_data = 1;
	f[5].ghost_data.data = (uint8_t *)"#!/bin/sh\n";
	f[5].ghost_data.len = 10;
	write_one(d, IMG_FILES, 0, 7, f_msgs);

	for (int i = 0; i < 3; i++) {
		dirs[i].ctrl = i ? "pids" : "";
		dp[i] = &dirs[i];
	}
	dirs[0].path = "/../../escape";
	dirs[1].path = "/tree/./../../escape";
	dirs[2].path = "escape";
	mem[0].ctrl = "", mem[0].path = "/../../escape";
	mem[1].ctrl = "pids", mem[1].path = "//escape/..";
	set.id = 1;
	set.n_members = 2, set.members = mp;
	task.task_id = 1, task.set_id = 1;
	cg.n_sets = 1, cg.sets = sp;
	cg.n_tasks = 1, cg.tasks = tp;
	cg.n_dirs = 3, cg.dirs = dp;
	cg.has_root_set = 1, cg.root_set = 1;
	write_one(d, IMG_CGROUP, 0, 1, (ProtobufCMessage *[]){&cg.base});
}

/* An inventory that lists names outside its directory and a kind under another's name. */
static void write_hostile_inventory(const char *dir)
{
	InventoryEntry inv = INVENTORY_ENTRY__INIT;
	ImageFileEntry e[3] = {IMAGE_FILE_ENTRY__INIT, IMAGE_FILE_ENTRY__INIT, IMAGE_FILE_ENTRY__INIT};
	ImageFileEntry *ep[3] = {&e[0], &e[1], &e[2]};
	unsigned char buf[1024];
	size_t n;
	char path[1024];
	FILE *f;

	e[0].name = "../../etc/passwd", e[0].kind = IMG_FILES, e[0].size = 1024;
	e[1].name = "/dev/zero", e[1].kind = IMG_PAGES, e[1].id = 1, e[1].size = 4096;
	e[2].name = "fifo.img", e[2].kind = IMG_CORE, e[2].id = 1, e[2].size = 0;
	inv.format_version = IMG_FORMAT_VERSION;
	inv.producer = "gen_image_seeds";
	inv.n_files = 3, inv.files = ep;
	n = inventory_entry__get_packed_size(&inv);
	if (n + IMG_HEADER_SIZE + IMG_TRAILER_SIZE + 8 > sizeof(buf))
		exit(1);
	/* the layout of image.h: header, one record with its CRC, trailer */
	memset(buf, 0, sizeof(buf));
	for (int i = 0; i < 4; i++)
		buf[i] = (unsigned char)(IMG_MAGIC >> (8 * i));
	buf[4] = IMG_FORMAT_VERSION;
	buf[6] = IMG_INVENTORY;
	inventory_entry__pack(&inv, buf + 24);
	for (int i = 0; i < 4; i++) {
		buf[16 + i] = (unsigned char)(n >> (8 * i));
		buf[20 + i] = (unsigned char)(crc32c(0, buf + 24, n) >> (8 * i));
		buf[24 + n + i] = 0xff;
		buf[28 + n + i] = (unsigned char)(1u >> (8 * i));
	}
	for (int i = 0; i < 4; i++) /* over the header and the record, once both are in place */
		buf[32 + n + i] = (unsigned char)(crc32c(0, buf, 24 + n) >> (8 * i));
	snprintf(path, sizeof(path), "%s/hostile-inventory.img", dir);
	f = fopen(path, "w");
	if (!f || fwrite(buf, 1, 36 + n, f) != 36 + n || fclose(f))
		exit(1);
}

int main(int argc, char **argv)
{
	static const char *const names[] = {"inventory.img", "pagemap-1.img", "core-1.img",   "mm-1.img",
					    "files.img",     "tree.img",      "fdtable-1.img"};
	InventoryEntry inv = INVENTORY_ENTRY__INIT;
	char hostile[1024];
	struct img_dir *d;

	if (argc != 3) {
		fprintf(stderr, "usage: %s CHECKPOINT_DIR CORPUS_DIR\n", argv[0]);
		return 2;
	}
	TRY(img_dir_open_write(argv[1], &d));
	write_pages(d);
	write_core(d);
	write_mm_files_tree(d);
	inv.producer = "gen_image_seeds";
	inv.criu_version = "4.2";
	inv.has_page_size = 1;
	inv.page_size = 4096;
	TRY(img_write_inventory(d, &inv));
	img_dir_close(d);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		copy(argv[1], names[i], argv[2], names[i], -1, -1);
	copy(argv[1], "pagemap-1.img", argv[2], "damaged-flip.img", 40, -1);
	copy(argv[1], "core-1.img", argv[2], "damaged-cut.img", -1, 60);

	snprintf(hostile, sizeof(hostile), "%s/hostile", argv[1]);
	TRY(img_dir_open_write(hostile, &d));
	write_hostile(d);
	img_dir_close(d);
	copy(hostile, "files.img", argv[2], "hostile-files.img", -1, -1);
	copy(hostile, "cgroup.img", argv[2], "hostile-cgroup.img", -1, -1);
	write_hostile_inventory(argv[2]);
	return 0;
}
