// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Forges a checkpoint for tests/reliability/rel_service.sh: copies the
 * images of SRC into a new directory DST through the image API (so that
 * every file, its checksums and the inventory stay valid) and changes one
 * thing on the way, as a hostile caller would before asking a root service
 * to restore it:
 *
 *   rel_forge SRC DST fsuid UID      every credential set's fsuid
 *   rel_forge SRC DST groups GID     supplementary groups [GID]
 *   rel_forge SRC DST securebits N   every credential set's securebits
 *   rel_forge SRC DST capbnd MASK    every credential set's bounding set
 *   rel_forge SRC DST root PATH      the root task's root (criu would chroot)
 *   rel_forge SRC DST ns-uts         ns.img and utsns.img: a uts namespace of the tree's own
 *                                    (SRC must be a tree in criu's namespaces)
 *
 * and, for tests/cli/cli_cpuinfo.sh, a checkpoint that another CPU made:
 *
 *   rel_forge SRC DST cpu-feature NAME  cpuinfo.img: the feature bit NAME (avx512f) set
 *   rel_forge SRC DST cpu-xfeatures M   cpuinfo.img: xsave components M (0x2e7)
 *   rel_forge SRC DST cpu-model N       cpuinfo.img: model N
 *   rel_forge SRC DST cpu-vendor S      cpuinfo.img: vendor S (a long one is malformed)
 *   rel_forge SRC DST no-cpuinfo        no cpuinfo.img, as an older dump
 *   rel_forge SRC DST xstate-bv M       every thread's xsave header: components M added
 *
 * Exits 0 when DST was written.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cpu.h"
#include "image.h"
#include "images/core.pb-c.h"
#include "images/cpuinfo.pb-c.h"
#include "images/inventory.pb-c.h"
#include "images/ns.pb-c.h"
#include "log.h"

struct forge {
	const char *what;
	const char *arg;
};

static void forge_creds(const struct forge *f, CredsEntry *c, uint32_t *group)
{
	if (!c)
		return;
	if (!strcmp(f->what, "fsuid")) {
		c->fsuid = (uint32_t)strtoul(f->arg, NULL, 10);
	} else if (!strcmp(f->what, "groups")) {
		*group = (uint32_t)strtoul(f->arg, NULL, 10);
		c->n_groups = 1;
		c->groups = group;
	} else if (!strcmp(f->what, "securebits")) {
		c->securebits = (uint32_t)strtoul(f->arg, NULL, 0);
	} else if (!strcmp(f->what, "capbnd")) {
		c->cap_bnd = strtoull(f->arg, NULL, 0);
	}
}

/* cpuinfo.img as another CPU would have written it. */
static int forge_cpuinfo(const struct forge *f, CpuinfoEntry *e)
{
	if (!strcmp(f->what, "cpu-xfeatures")) {
		e->xfeatures = strtoull(f->arg, NULL, 0);
	} else if (!strcmp(f->what, "cpu-model")) {
		e->model = (uint32_t)strtoul(f->arg, NULL, 0);
	} else if (!strcmp(f->what, "cpu-vendor")) {
		e->vendor = (char *)f->arg; /* not the message's: the caller drops it before freeing */
	} else if (!strcmp(f->what, "cpu-feature")) {
		for (size_t i = 0; i < e->n_words; i++) {
			int w = cpu_word_index(e->words[i]->leaf, e->words[i]->subleaf, e->words[i]->reg);

			for (unsigned int b = 0; w >= 0 && b < 32; b++) {
				const char *n = cpu_feature_name((size_t)w, b, NULL);

				if (n && !strcmp(n, f->arg)) {
					e->words[i]->value |= 1u << b;
					return 0;
				}
			}
		}
		return -ENOENT;
	}
	return 0;
}

static int copy_cpuinfo(struct img_reader *r, struct img_writer *w, const struct forge *f)
{
	ProtobufCMessage *m;
	char *vendor;
	int err = img_read_one(r, &cpuinfo_entry__descriptor, &m);

	if (err < 0)
		return err;
	vendor = ((CpuinfoEntry *)m)->vendor;
	err = forge_cpuinfo(f, (CpuinfoEntry *)m);
	if (err >= 0)
		err = img_write_msg(w, m);
	((CpuinfoEntry *)m)->vendor = vendor;
	protobuf_c_message_free_unpacked(m, NULL);
	return err;
}

/* xstate-bv: the thread's xsave header says components M hold state too */
static void forge_xsave(const struct forge *f, ThreadCore *th)
{
	uint64_t bv;

	if (strcmp(f->what, "xstate-bv") || !th->has_xsave || th->xsave.len < 576)
		return;
	memcpy(&bv, th->xsave.data + 512, sizeof(bv));
	bv |= strtoull(f->arg, NULL, 0);
	memcpy(th->xsave.data + 512, &bv, sizeof(bv));
}

/* One record image, message by message, with the forgery applied to core images. */
static int copy_records(struct img_dir *src, struct img_dir *dst, const ImageFileEntry *e,
			const struct forge *f, uint64_t root_id)
{
	struct img_reader *r = NULL;
	struct img_writer *w = NULL;
	bool core = e->kind == IMG_CORE, cpuinfo = e->kind == IMG_CPUINFO;
	uint32_t group;
	int err;

	err = img_open(src, e->kind, e->id, &r);
	if (err < 0)
		return err;
	err = img_create(dst, e->kind, e->id, &w);
	if (err >= 0 && cpuinfo)
		err = copy_cpuinfo(r, w, f);
	/* other kinds hold records of several types (mm: the mm, then its vmas): copied as they are */
	while (!core && !cpuinfo && err >= 0) {
		const void *data;
		size_t len;

		err = img_next_record(r, &data, &len);
		if (err <= 0)
			break;
		err = img_write_record(w, data, len);
	}
	if (err >= 0 && e->kind == IMG_NS && !strcmp(f->what, "ns-uts")) {
		NsEntry ns = NS_ENTRY__INIT;

		ns.flag = CLONE_NEWUTS;
		ns.ino = 4026531838ull;
		err = img_write_msg(w, &ns.base);
	}
	for (bool first = true; core && err >= 0; first = false) {
		ProtobufCMessage *m;
		const ProtobufCMessageDescriptor *d =
			first ? &task_core__descriptor : &thread_core__descriptor;

		err = img_read_msg(r, d, &m);
		if (err <= 0)
			break;
		if (first) {
			TaskCore *tc = (TaskCore *)m;

			forge_creds(f, tc->creds, &group);
			if (!strcmp(f->what, "root") && e->id == root_id)
				tc->root = (char *)f->arg;
		} else {
			forge_creds(f, ((ThreadCore *)m)->creds, &group);
			forge_xsave(f, (ThreadCore *)m);
		}
		err = img_write_msg(w, m);
		/* the forged pointers are not the message's: drop them before freeing it */
		if (first) {
			TaskCore *tc = (TaskCore *)m;

			if (tc->creds && !strcmp(f->what, "groups"))
				tc->creds->n_groups = 0, tc->creds->groups = NULL;
			if (!strcmp(f->what, "root") && e->id == root_id)
				tc->root = NULL;
		} else if (((ThreadCore *)m)->creds && !strcmp(f->what, "groups")) {
			((ThreadCore *)m)->creds->n_groups = 0;
			((ThreadCore *)m)->creds->groups = NULL;
		}
		protobuf_c_message_free_unpacked(m, NULL);
	}
	img_close(r);
	return img_finish(w, err);
}

static int copy_pages(struct img_dir *src, struct img_dir *dst, const ImageFileEntry *e)
{
	struct img_pages_writer *w = NULL;
	struct stat st;
	void *buf = NULL;
	size_t len;
	int fd, err = img_pages_open(src, e->id, false, &fd);

	if (err < 0)
		return err;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return -EBADMSG;
	}
	len = (size_t)st.st_size;
	err = posix_memalign(&buf, 4096, len ? len : 4096) ? -ENOMEM : 0;
	if (!err && pread(fd, buf, len, 0) != (ssize_t)len)
		err = -EIO;
	close(fd);
	if (!err)
		err = img_pages_create(dst, e->id, &w);
	if (!err) {
		/* one piece from offset 0: every pagemap offset stays what it was */
		struct iovec iov = {buf, len};
		uint64_t off;
		uint32_t crc;

		err = len ? img_pages_append(w, &iov, 1, &off, &crc) : 0;
		err = err < 0 ? (img_pages_abort(w), err) : img_pages_commit(w);
	}
	free(buf);
	return err;
}

/* The forged uts namespace's names; ns.img for a tree that had none. */
static int add_ns_uts(struct img_dir *dst, bool had_ns)
{
	NsEntry ns = NS_ENTRY__INIT;
	UtsEntry uts = UTS_ENTRY__INIT;
	int err = 0;

	ns.flag = CLONE_NEWUTS;
	ns.ino = 4026531838ull;
	uts.hostname = "forged-by-caller";
	uts.domainname = "(none)";
	if (!had_ns)
		err = img_write_one(dst, IMG_NS, 0, &ns.base);
	return err < 0 ? err : img_write_one(dst, IMG_UTSNS, 0, &uts.base);
}

int main(int argc, char **argv)
{
	struct img_dir *src = NULL, *dst = NULL;
	const InventoryEntry *inv;
	InventoryEntry out = INVENTORY_ENTRY__INIT;
	struct forge f;
	bool had_ns = false;
	int err = 0;

	if (argc < 4 || (strcmp(argv[3], "ns-uts") && strcmp(argv[3], "no-cpuinfo") && argc < 5)) {
		fprintf(stderr, "usage: rel_forge SRC DST fsuid UID|groups GID|securebits N|capbnd MASK|root PATH|ns-uts\n"
				"       rel_forge SRC DST cpu-feature NAME|cpu-xfeatures M|cpu-model N|cpu-vendor S|"
				"no-cpuinfo|xstate-bv M\n");
		return 2;
	}
	f.what = argv[3];
	f.arg = argc > 4 ? argv[4] : NULL;
	log_open(NULL, 2);
	err = img_dir_open_read(argv[1], &src);
	if (err == 0)
		err = img_dir_open_write(argv[2], &dst);
	if (err < 0)
		return 1;
	inv = img_dir_inventory(src);
	for (size_t i = 0; err >= 0 && i < inv->n_files; i++) {
		const ImageFileEntry *e = inv->files[i];
		const struct img_kind_info *k = img_kind_info(e->kind);

		had_ns |= e->kind == IMG_NS;
		if (!k)
			err = -EBADMSG;
		else if (e->kind == IMG_CPUINFO && !strcmp(f.what, "no-cpuinfo"))
			continue;
		else if (e->kind == IMG_PAGES)
			err = copy_pages(src, dst, e);
		else if (!k->raw)
			err = copy_records(src, dst, e, &f, inv->root_id);
		else
			err = -EOPNOTSUPP; /* a kind a sleeper's checkpoint does not have */
		if (err < 0)
			fprintf(stderr, "rel_forge: %s: %s\n", e->name, strerror(-err));
	}
	if (err >= 0 && !strcmp(f.what, "ns-uts"))
		err = add_ns_uts(dst, had_ns); /* a tree in criu's uts namespace: no utsns.img yet */
	if (err >= 0) {
		out.producer = inv->producer;
		out.criu_version = inv->criu_version;
		out.has_root_id = inv->has_root_id;
		out.root_id = inv->root_id;
		out.has_root_pid = inv->has_root_pid;
		out.root_pid = inv->root_pid;
		out.has_dump_time_us = inv->has_dump_time_us;
		out.dump_time_us = inv->dump_time_us;
		out.has_page_size = inv->has_page_size;
		out.page_size = inv->page_size;
		out.n_plugins = inv->n_plugins;
		out.plugins = inv->plugins;
		out.kernel = inv->kernel;
		err = img_write_inventory(dst, &out);
	}
	img_dir_close(dst);
	img_dir_close(src);
	return err < 0 ? 1 : 0;
}
