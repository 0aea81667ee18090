/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * This CPU, cpuinfo.img, and the checks a restore makes with them (cpu.h).
 *
 * The XSAVE frame that ptrace reads and writes (NT_X86_XSTATE) is the
 * standard format: the 512-byte FXSAVE area, whose bytes 464..511 carry the
 * kernel's software bytes, then the 64-byte XSAVE header whose first word
 * says which components hold state (xstate_bv), then the components. The
 * kernel takes a frame only of its own size, and only with components it
 * enabled: a thread whose frame does not fit is refused by --cpu-cap fpu
 * before anything is created, or, without fpu, gets its x87/SSE state only.
 */
#define LOG_PREFIX "cpu: "
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "cpu.h"
#include "image.h"
#include "images/cpuinfo.pb-c.h"
#include "images/inventory.pb-c.h"
#include "infect.h"
#include "log.h"
#include "safe_open.h"
#include "version.h"

DEFINE_PB_CLEANUP(CpuinfoEntry, cpuinfo_entry);

#define XSAVE_HDR_OFF	 512
#define XSAVE_MIN	 576 /* FXSAVE area and XSAVE header */
#define XSAVE_MAX	 (64u << 10)
#define CPU_FLAGS_MAX	 1024 /* flags an image may carry */
#define CPU_FLAG_LEN_MAX 64
#define OSXSAVE_BIT	 (1u << 27) /* CPUID 1 ecx */

static uint32_t cpuid_reg(uint32_t leaf, uint32_t subleaf, enum cpu_reg reg)
{
	unsigned int r[4] = {0};

	__cpuid_count(leaf, subleaf, r[0], r[1], r[2], r[3]);
	return r[reg];
}

static uint64_t read_xcr0(void)
{
	uint32_t lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((uint64_t)hi << 32) | lo;
}

/* Whether CPUID(leaf) exists on this CPU: up to the highest basic, or extended, leaf. */
static bool have_leaf(uint32_t leaf)
{
	uint32_t max = cpuid_reg(leaf & 0x80000000u, 0, CPU_EAX);

	if (leaf < 0x80000000u)
		return leaf <= max;
	return max >= 0x80000000u && leaf <= max;
}

static void probe_identity(struct cpu_desc *c)
{
	uint32_t v[3], eax;

	v[0] = cpuid_reg(0, 0, CPU_EBX), v[1] = cpuid_reg(0, 0, CPU_EDX), v[2] = cpuid_reg(0, 0, CPU_ECX);
	memcpy(c->vendor, v, 12);
	c->vendor[12] = '\0';
	eax = cpuid_reg(1, 0, CPU_EAX);
	c->family = (eax >> 8) & 0xf;
	c->model = (eax >> 4) & 0xf;
	c->stepping = eax & 0xf;
	if (c->family == 0xf)
		c->family += (eax >> 20) & 0xff;
	if (c->family == 0x6 || c->family >= 0xf)
		c->model += ((eax >> 16) & 0xf) << 4;
}

static void probe_words(struct cpu_desc *c)
{
	for (size_t i = 0; i < CPU_NR_WORDS; i++) {
		const struct cpu_word *w = cpu_word_at(i);

		c->words[i] = 0;
		if (!have_leaf(w->leaf))
			continue;
		/* a subleaf of 7 exists up to CPUID 7.0 eax */
		if (w->leaf == 0x7 && w->subleaf > cpuid_reg(0x7, 0, CPU_EAX))
			continue;
		c->words[i] = cpuid_reg(w->leaf, w->subleaf, w->reg);
	}
	if (c->words[0] & OSXSAVE_BIT && have_leaf(0xd)) {
		c->xfeatures = read_xcr0();
		c->xsave_size = cpuid_reg(0xd, 0, CPU_EBX);
		c->xsave_size_max = cpuid_reg(0xd, 0, CPU_ECX);
	}
}

int cpu_this(const struct cpu_desc **ret)
{
	/* the CPU does not change under us: read once */
	static struct cpu_desc here;
	static bool done;

	if (!done) {
		if (cpuid_reg(0, 0, CPU_EAX) < 1)
			return pr_err_ret(-EOPNOTSUPP, "this CPU has no CPUID leaf 1");
		probe_identity(&here);
		probe_words(&here);
		here.recorded = (1u << CPU_NR_WORDS) - 1;
		if (!(here.words[1] & (1u << 24))) /* CPUID 1 edx: fxsr */
			return pr_err_ret(-EOPNOTSUPP, "this CPU has no FXSAVE/FXRSTOR");
		done = true;
		pr_debug(
			"%s family %u model %u stepping %u, xsave components 0x%" PRIx64 ", frame %u bytes\n",
			here.vendor, here.family, here.model, here.stepping, here.xfeatures, here.xsave_size);
	}
	*ret = &here;
	return 0;
}

/* The brand string, CPUID 0x80000002..4, trimmed; buf is 49 bytes. */
static void probe_model_name(char *buf)
{
	char *p = buf;

	buf[0] = '\0';
	if (!have_leaf(0x80000004u))
		return;
	for (uint32_t l = 0; l < 3; l++)
		for (int r = 0; r < 4; r++) {
			uint32_t v = cpuid_reg(0x80000002u + l, 0, (enum cpu_reg)r);

			memcpy(buf + (l * 4 + (uint32_t)r) * 4, &v, 4);
		}
	buf[48] = '\0';
	while (*p == ' ')
		p++;
	memmove(buf, p, strlen(p) + 1);
}

/* The "flags" line of /proc/cpuinfo, split in place into *ret (malloc'ed), or 0 flags. */
static size_t read_kernel_flags(char **ret_line, char ***ret)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/cpuinfo", "re");
	char *line = NULL, **v = NULL;
	size_t cap = 0, n = 0;

	*ret = NULL;
	*ret_line = NULL;
	while (f && getline(&line, &cap, f) > 0) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "flags", 5) || !colon)
			continue;
		v = calloc(CPU_FLAGS_MAX, sizeof(*v));
		for (char *t = strtok(colon + 1, " \t\n"); v && t && n < CPU_FLAGS_MAX;
		     t = strtok(NULL, " \t\n"))
			v[n++] = t;
		break;
	}
	*ret = v;
	*ret_line = line;
	return v ? n : 0;
}

int cpuinfo_dump_image(struct img_dir *d, uint32_t caps)
{
	CpuinfoEntry e = CPUINFO_ENTRY__INIT;
	CpuidWord w[CPU_NR_WORDS], *wp[CPU_NR_WORDS];
	_cleanup_free_ char *flag_line = NULL;
	_cleanup_free_ char **flags = NULL;
	const struct cpu_desc *c;
	char model_name[49];
	int r;

	if (!(caps & CR_CPU_CAP_ALL)) {
		pr_info("--cpu-cap=none: cpuinfo.img is not written\n");
		return 0;
	}
	r = cpu_this(&c);
	if (r < 0)
		return r;
	e.vendor = (char *)c->vendor;
	e.family = c->family, e.model = c->model, e.stepping = c->stepping;
	probe_model_name(model_name);
	e.model_name = model_name[0] ? model_name : NULL;
	for (size_t i = 0; i < CPU_NR_WORDS; i++) {
		const struct cpu_word *cw = cpu_word_at(i);

		cpuid_word__init(&w[i]);
		w[i].leaf = cw->leaf, w[i].subleaf = cw->subleaf, w[i].reg = (CpuidReg)cw->reg,
		w[i].value = c->words[i];
		wp[i] = &w[i];
	}
	e.n_words = CPU_NR_WORDS, e.words = wp;
	e.xfeatures = c->xfeatures, e.xsave_size = c->xsave_size;
	e.has_xsave_size_max = true, e.xsave_size_max = c->xsave_size_max;
	if (have_leaf(0xd)) {
		e.has_xfeatures_supported = true;
		e.xfeatures_supported =
			((uint64_t)cpuid_reg(0xd, 0, CPU_EDX) << 32) | cpuid_reg(0xd, 0, CPU_EAX);
	}
	e.n_flags = read_kernel_flags(&flag_line, &flags);
	e.flags = flags;
	return img_write_one(d, IMG_CPUINFO, 0, &e.base); /* the image layer says what failed */
}

int cpu_desc_from_entry(const CpuinfoEntry *e, const char *name, struct cpu_desc *ret)
{
	struct cpu_desc c = {0};
	bool seen[CPU_NR_WORDS] = {false};

	if (strlen(e->vendor) > 12)
		return pr_err_ret(-EBADMSG, "%s: vendor '%.16s...' is longer than 12 characters", name,
				  e->vendor);
	for (const char *p = e->vendor; *p; p++)
		if (*p < 0x20 || *p > 0x7e) /* it goes into messages */
			return pr_err_ret(-EBADMSG, "%s: vendor has a byte 0x%02x", name, (unsigned char)*p);
	snprintf(c.vendor, sizeof(c.vendor), "%s", e->vendor);
	c.family = e->family, c.model = e->model, c.stepping = e->stepping;
	for (size_t i = 0; i < e->n_words; i++) {
		const CpuidWord *w = e->words[i];
		int k;

		if ((unsigned int)w->reg > CPU_EDX)
			return pr_err_ret(-EBADMSG, "%s: word %zu: register %u", name, i, w->reg);
		k = cpu_word_index(w->leaf, w->subleaf, w->reg);
		if (k < 0) {
			/* a later version may record more: not ours to compare */
			pr_debug("%s: cpuid 0x%x.%u reg %u is not compared\n", name, w->leaf, w->subleaf,
				 w->reg);
			continue;
		}
		if (seen[k])
			return pr_err_ret(-EBADMSG, "%s: cpuid 0x%x.%u reg %u twice", name, w->leaf,
					  w->subleaf, w->reg);
		seen[k] = true;
		c.words[k] = w->value;
		c.recorded |= 1u << k;
	}
	if (e->xsave_size > XSAVE_MAX || (e->has_xsave_size_max && e->xsave_size_max > XSAVE_MAX))
		return pr_err_ret(-EBADMSG, "%s: an xsave frame of %u bytes", name, e->xsave_size);
	if (e->xfeatures && e->xsave_size < XSAVE_MIN)
		return pr_err_ret(-EBADMSG, "%s: xsave components 0x%" PRIx64 " in a frame of %u bytes", name,
				  e->xfeatures, e->xsave_size);
	if (e->n_flags > CPU_FLAGS_MAX)
		return pr_err_ret(-EBADMSG, "%s: %zu flags", name, e->n_flags);
	for (size_t i = 0; i < e->n_flags; i++)
		if (strnlen(e->flags[i], CPU_FLAG_LEN_MAX + 1) > CPU_FLAG_LEN_MAX)
			return pr_err_ret(-EBADMSG, "%s: flag %zu is too long", name, i);
	c.xfeatures = e->xfeatures;
	c.xsave_size = e->xsave_size;
	c.xsave_size_max = e->has_xsave_size_max ? e->xsave_size_max : 0;
	*ret = c;
	return 0;
}

/* Reads and checks the one entry of an open cpuinfo image reader. */
static int read_entry(struct img_reader *r, struct cpu_desc *ret)
{
	_cleanup_pb_(cpuinfo_entry) CpuinfoEntry *e = NULL;
	int err;

	if (img_reader_kind(r) != IMG_CPUINFO)
		return pr_err_ret(-EBADMSG, "%s: not a cpuinfo image", img_reader_name(r));
	err = img_read_one(r, &cpuinfo_entry__descriptor, (ProtobufCMessage **)&e);
	if (err < 0)
		return err;
	return cpu_desc_from_entry(e, img_reader_name(r), ret);
}

/* Compares, logging each reason as an error and then the verdict for a restore or a check; 0 or -EOPNOTSUPP.
 */
static int compare_and_say(const struct cpu_desc *img, uint32_t caps, bool restore)
{
	_cleanup_free_ char *reasons = NULL;
	const struct cpu_desc *now;
	char words[32];
	int r = cpu_this(&now);

	if (r < 0)
		return r;
	r = cpu_compare(img, now, caps, &reasons);
	if (r == -ENOMEM)
		return pr_err_ret(r, "cannot compare the CPUs");
	cpu_caps_words(caps, words, sizeof(words));
	if (r == 0) {
		pr_info("this CPU can run %s (--cpu-cap=%s)\n",
			restore ? "the image's tree" : "a tree of that CPU", words);
		return 0;
	}
	for (char *save = NULL, *l = strtok_r(reasons, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		pr_err("%s\n", l);
	if (restore)
		pr_err("this CPU cannot run the image's tree (--cpu-cap=%s; --cpu-cap=none restores "
		       "anyway)\n",
		       words);
	else
		pr_err("this CPU cannot run a tree of that CPU (--cpu-cap=%s)\n", words);
	return r;
}

int cpuinfo_check_image(struct img_dir *d, uint32_t caps)
{
	struct img_reader *r = NULL;
	struct cpu_desc img;
	int err;

	if (!(caps & CR_CPU_CAP_ALL)) {
		pr_info("--cpu-cap=none: the CPU is not checked\n");
		return 0;
	}
	if (!img_dir_has(d, IMG_CPUINFO, 0)) {
		pr_info("%s: no cpuinfo.img (an older dump, or --cpu-cap=none at dump): the CPU is not "
			"checked\n",
			img_dir_path(d));
		return 0;
	}
	err = img_open(d, IMG_CPUINFO, 0, &r);
	if (err == 0)
		err = read_entry(r, &img);
	img_close(r);
	if (err < 0)
		return err;
	return compare_and_say(&img, caps, true);
}

static uint64_t xsave_bv(const void *xsave)
{
	uint64_t bv;

	memcpy(&bv, (const char *)xsave + XSAVE_HDR_OFF, sizeof(bv));
	return bv;
}

/* Why this CPU cannot take the frame, in buf; false when it can. */
static bool frame_misfit(const struct cpu_desc *now, const void *xsave, size_t len, char *buf, size_t size)
{
	uint64_t missing;
	char names[256];

	if (len == 512)
		return false; /* FXSAVE only: any x86-64 takes it */
	missing = xsave_bv(xsave) & ~now->xfeatures;
	if (missing) {
		cpu_xfeature_names(missing, names, sizeof(names));
		snprintf(buf, size,
			 "its xsave state has components 0x%" PRIx64 " (%s), this CPU only 0x%" PRIx64,
			 xsave_bv(xsave), names, now->xfeatures);
		return true;
	}
	if (len != now->xsave_size) {
		snprintf(buf, size, "its xsave frame is %zu bytes, this CPU's %u", len, now->xsave_size);
		return true;
	}
	return false;
}

int cpu_check_thread_xsave(const char *name, uint32_t tid, const void *xsave, size_t len, uint32_t caps)
{
	const struct cpu_desc *now;
	char why[400];
	int r;

	if (len != 512 && (len < XSAVE_MIN || len > XSAVE_MAX))
		return pr_err_ret(-EBADMSG, "%s: thread %u: an xsave frame of %zu bytes", name, tid, len);
	r = cpu_this(&now);
	if (r < 0)
		return r;
	if (!frame_misfit(now, xsave, len, why, sizeof(why)))
		return 0;
	if (caps & CR_CPU_CAP_FPU)
		return pr_err_ret(-EOPNOTSUPP,
				  "%s: thread %u: %s (--cpu-cap=none restores its x87/SSE state only)", name,
				  tid, why);
	pr_warn("%s: thread %u: %s: only its x87/SSE state is restored\n", name, tid, why);
	return 0;
}

int cpu_set_thread_xstate(pid_t tid, const void *xsave, size_t len)
{
	const struct cpu_desc *now;
	char why[400];
	int r = cpu_this(&now);

	if (r < 0)
		return r;
	if (len >= XSAVE_MIN && !frame_misfit(now, xsave, len, why, sizeof(why)))
		return infect_set_xstate(tid, xsave, len);
	return infect_set_fxstate(tid, xsave);
}

/* ---- criu cpuinfo dump|check ---- */

/* Whether dir holds a checkpoint: an inventory listing more than a cpuinfo.img. */
static int holds_checkpoint(const char *dir)
{
	struct img_dir *d = NULL;
	const InventoryEntry *inv;
	struct stat st;
	char path[4200];
	bool ours;
	int r;

	snprintf(path, sizeof(path), "%s/%s", dir, IMG_INVENTORY_NAME);
	if (lstat(path, &st) < 0)
		return 0; /* none, or no directory yet */
	r = img_dir_open_read(dir, &d);
	if (r < 0)
		return r;
	inv = img_dir_inventory(d);
	ours = inv->n_files == 0 || (inv->n_files == 1 && inv->files[0]->kind == IMG_CPUINFO);
	img_dir_close(d);
	return !ours;
}

int cr_cpuinfo_dump(struct cr_request *req)
{
	const char *dir = req->opts.images_dir ? req->opts.images_dir : ".";
	InventoryEntry inv = INVENTORY_ENTRY__INIT;
	struct img_dir *d = NULL;
	int r;

	/* opening a directory for writing removes its inventory: never a checkpoint's */
	r = holds_checkpoint(dir);
	if (r > 0)
		r = pr_err_ret(-EEXIST,
			       "%s holds a checkpoint; criu cpuinfo dump writes to a directory of its own",
			       dir);
	if (r < 0)
		return r;
	r = img_dir_open_write(dir, &d);
	if (r < 0)
		return r;
	/* written even with --cpu-cap=none: writing it is the whole job */
	r = cpuinfo_dump_image(d, CR_CPU_CAP_ALL);
	inv.producer = CRIU_IMPL_NAME " " CRIU_IMPL_VERSION;
	inv.criu_version = CRIU_VERSION;
	if (r == 0)
		r = img_write_inventory(d, &inv);
	img_dir_close(d);
	return r;
}

int cr_cpuinfo_check(struct cr_request *req)
{
	const char *dir = req->opts.images_dir ? req->opts.images_dir : ".";
	/* as criu: a check of nothing checks everything */
	uint32_t caps = req->opts.cpu_cap & CR_CPU_CAP_ALL ? req->opts.cpu_cap : CR_CPU_CAP_ALL;
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int fd = -EBADF;
	struct img_reader *r = NULL;
	struct stat st;
	struct cpu_desc img;
	char name[4200];
	int err;

	if (dfd < 0)
		return pr_perror_ret("%s: cannot open images directory", dir);
	snprintf(name, sizeof(name), "%s/cpuinfo.img", dir);
	fd = cr_open_regular_at(dfd, "cpuinfo.img", O_NOFOLLOW, &st);
	if (fd < 0)
		return pr_err_ret(fd, "%s: cannot open (criu cpuinfo dump writes it)", name);
	err = img_open_fd(fd, name, &r);
	if (err == 0)
		err = read_entry(r, &img);
	img_close(r);
	if (err < 0)
		return err;
	return compare_and_say(&img, caps, false);
}
