/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * engine/cpu/: the feature-name table, the comparison of two CPUs by
 * --cpu-cap (what each mode requires and how it names what is missing), the
 * checks of cpuinfo entries and of saved xsave frames, and cpuinfo.img
 * written and read back on this CPU, damaged and hostile.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cpu.h"
#include "image.h"
#include "images/cpuinfo.pb-c.h"
#include "images/inventory.pb-c.h"
#include "log.h"
#include "t.h"

static char tmpdir[64];

/* The index of the recorded word (leaf, subleaf, reg), failing the test when it is not recorded. */
static size_t word(uint32_t leaf, uint32_t subleaf, enum cpu_reg reg)
{
	int i = cpu_word_index(leaf, subleaf, reg);

	if (i < 0)
		T_FAILF("cpuid 0x%x.%u reg %d is not recorded", leaf, subleaf, reg);
	return i < 0 ? 0 : (size_t)i;
}

/* A plausible CPU: x87/SSE/AVX, sse2, avx2, sha_ni, hypervisor. */
static struct cpu_desc base_cpu(void)
{
	struct cpu_desc c = {.vendor = "AuthenticAMD", .family = 25, .model = 1, .stepping = 1};

	c.words[word(1, 0, CPU_EDX)] = 1u << 26;	    /* sse2 */
	c.words[word(1, 0, CPU_ECX)] = 1u << 28 | 1u << 31; /* avx, hypervisor */
	c.words[word(7, 0, CPU_EBX)] = 1u << 5 | 1u << 29;  /* avx2, sha_ni */
	c.recorded = (1u << CPU_NR_WORDS) - 1;
	c.xfeatures = 0x7;
	c.xsave_size = 832;
	c.xsave_size_max = 832;
	return c;
}

static bool mentions(const char *text, const char *want)
{
	if (text && strstr(text, want))
		return true;
	T_FAILF("\"%s\" does not mention \"%s\"", text ? text : "(none)", want);
	return false;
}

static void test_names(void)
{
	bool ins;

	for (size_t i = 0; i < CPU_NR_WORDS; i++) {
		const struct cpu_word *w = cpu_word_at(i);

		CHECK_EQ_INT(cpu_word_index(w->leaf, w->subleaf, w->reg), i);
	}
	CHECK(cpu_word_at(CPU_NR_WORDS) == NULL);
	CHECK_EQ_INT(cpu_word_index(0x7, 0, 7), -ENOENT);
	CHECK_EQ_STR(cpu_feature_name(word(7, 0, CPU_EBX), 16, &ins), "avx512f");
	CHECK(ins);
	CHECK_EQ_STR(cpu_feature_name(word(7, 0, CPU_EBX), 5, &ins), "avx2");
	CHECK_EQ_STR(cpu_feature_name(word(7, 0, CPU_EBX), 29, &ins), "sha_ni");
	CHECK(ins);
	CHECK_EQ_STR(cpu_feature_name(word(1, 0, CPU_ECX), 31, &ins), "hypervisor");
	CHECK(!ins);
	CHECK_EQ_STR(cpu_feature_name(word(7, 0, CPU_EBX), 9, &ins), "erms");
	CHECK(!ins); /* a speed hint, not an instruction */
	CHECK(cpu_feature_name(word(7, 0, CPU_ECX), 15, &ins) == NULL && !ins);
	CHECK_EQ_STR(cpu_xfeature_name(2), "avx");
	CHECK_EQ_STR(cpu_xfeature_name(5), "avx512_opmask");
	CHECK(cpu_xfeature_name(40) == NULL);
	/* every name once: a mistyped bit would name two bits alike */
	for (size_t w = 0; w < CPU_NR_WORDS; w++)
		for (unsigned int b = 0; b < 32; b++) {
			const char *n = cpu_feature_name(w, b, NULL);

			for (size_t w2 = 0; n && w2 < CPU_NR_WORDS; w2++)
				for (unsigned int b2 = 0; b2 < 32; b2++) {
					const char *n2 = cpu_feature_name(w2, b2, NULL);

					if ((w2 != w || b2 != b) && n2 && !strcmp(n, n2))
						T_FAILF("\"%s\" names word %zu bit %u and word %zu bit %u", n,
							w, b, w2, b2);
				}
		}
}

static void test_caps_words(void)
{
	char buf[32];

	CHECK_EQ_STR(cpu_caps_words(CR_CPU_CAP_DEFAULT, buf, sizeof(buf)), "fpu,ins");
	CHECK_EQ_STR(cpu_caps_words(CR_CPU_CAP_ALL, buf, sizeof(buf)), "fpu,ins,cpu");
	CHECK_EQ_STR(cpu_caps_words(CR_CPU_CAP_NONE, buf, sizeof(buf)), "none");
	cpu_xfeature_names(0x60, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "avx512_opmask avx512_zmm_hi256");
	cpu_xfeature_names(1ull << 63, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "component 63");
}

/* img against now with caps: 0, or -EOPNOTSUPP with reasons mentioning each of want */
static void expect_compare(const struct cpu_desc *img, const struct cpu_desc *now, uint32_t caps, int want_r,
			   const char *const *want)
{
	char *reasons = NULL;
	int r = cpu_compare(img, now, caps, &reasons);

	CHECK_EQ_INT(r, want_r);
	for (size_t i = 0; want && want[i]; i++)
		mentions(reasons, want[i]);
	free(reasons);
}

static void test_compare_ins(void)
{
	struct cpu_desc now = base_cpu(), img = base_cpu();
	const char *const avx512[] = {"missing on this CPU: avx512f avx512bw", NULL};
	const char *const unnamed[] = {"cpuid 0x7.0 ecx differs", "-cpuid 0x7.0 ecx bit 15", NULL};

	expect_compare(&img, &now, CR_CPU_CAP_ALL, 0, NULL);
	/* this CPU may have more */
	now.words[word(7, 0, CPU_EBX)] |= 1u << 16;
	expect_compare(&img, &now, CR_CPU_CAP_DEFAULT, 0, NULL);
	now = base_cpu();
	img.words[word(7, 0, CPU_EBX)] |= 1u << 16 | 1u << 30;
	expect_compare(&img, &now, CR_CPU_CAP_INS, -EOPNOTSUPP, avx512);
	expect_compare(&img, &now, CR_CPU_CAP_FPU, 0, NULL);
	expect_compare(&img, &now, CR_CPU_CAP_NONE, 0, NULL);
	/* not instructions: the hypervisor bit, an unnamed bit; only cpu sees them */
	img = base_cpu();
	now.words[word(1, 0, CPU_ECX)] &= ~(1u << 31);
	img.words[word(7, 0, CPU_ECX)] |= 1u << 15;
	expect_compare(&img, &now, CR_CPU_CAP_DEFAULT, 0, NULL);
	expect_compare(&img, &now, CR_CPU_CAP_CPU, -EOPNOTSUPP, unnamed);
	/* a word an older image did not record is not compared */
	now = base_cpu();
	img.recorded &= ~(1u << word(7, 0, CPU_ECX));
	img.words[word(7, 0, CPU_ECX)] = 0;
	expect_compare(&img, &now, CR_CPU_CAP_ALL, 0, NULL);
}

static void test_compare_fpu_cpu(void)
{
	struct cpu_desc now = base_cpu(), img = base_cpu();
	const char *const xsave[] = {"the image's xsave has components 0x2e7 (avx512_opmask avx512_zmm_hi256 "
				     "avx512_hi16_zmm pkru), "
				     "this CPU only 0x7",
				     NULL};
	const char *const size[] = {"the image's xsave frame is 2696 bytes, this CPU's 832", NULL};
	const char *const model[] = {"the image's CPU is GenuineIntel family 6 model 85",
				     "this one AuthenticAMD family 25 model 1", NULL};

	char *reasons = NULL;

	img.xfeatures = 0x2e7;
	expect_compare(&img, &now, CR_CPU_CAP_FPU, -EOPNOTSUPP, xsave);
	/* said once with all: fpu names the components, cpu does not repeat it */
	CHECK_EQ_INT(cpu_compare(&img, &now, CR_CPU_CAP_ALL, &reasons), -EOPNOTSUPP);
	CHECK(reasons && !strstr(reasons, "xsave components are"));
	free(reasons);
	/* this CPU has more: fpu is content, cpu is not */
	img.xfeatures = 0x3;
	expect_compare(&img, &now, CR_CPU_CAP_FPU, 0, NULL);
	expect_compare(&img, &now, CR_CPU_CAP_CPU, -EOPNOTSUPP, NULL);
	expect_compare(&img, &now, CR_CPU_CAP_INS, 0, NULL);
	img = base_cpu();
	img.xsave_size = 2696;
	expect_compare(&img, &now, CR_CPU_CAP_FPU, -EOPNOTSUPP, size);
	img = base_cpu();
	snprintf(img.vendor, sizeof(img.vendor), "GenuineIntel");
	img.family = 6, img.model = 85;
	expect_compare(&img, &now, CR_CPU_CAP_DEFAULT, 0, NULL);
	expect_compare(&img, &now, CR_CPU_CAP_CPU, -EOPNOTSUPP, model);
}

/* An entry of this CPU's words, for cpu_desc_from_entry */
static void test_entry_checks(void)
{
	CpuinfoEntry e = CPUINFO_ENTRY__INIT;
	CpuidWord w[3], *wp[3] = {&w[0], &w[1], &w[2]};
	char *flags[] = {"fpu", "sse"};
	struct cpu_desc c;

	for (int i = 0; i < 3; i++)
		cpuid_word__init(&w[i]);
	w[0].leaf = 7, w[0].reg = CPUID_REG__EBX, w[0].value = 1u << 16;
	w[1].leaf = 0x24, w[1].reg = CPUID_REG__EBX,
	w[1].value = 5; /* a word this version does not compare */
	w[2].leaf = 1, w[2].reg = CPUID_REG__EDX, w[2].value = 1u << 26;
	e.vendor = "GenuineIntel", e.family = 6, e.model = 85, e.words = wp, e.n_words = 3;
	e.xfeatures = 0x2e7, e.xsave_size = 2696, e.flags = flags, e.n_flags = 2;
	CHECK_EQ_INT(cpu_desc_from_entry(&e, "t.img", &c), 0);
	CHECK_EQ_STR(c.vendor, "GenuineIntel");
	CHECK_EQ_INT(c.words[word(7, 0, CPU_EBX)], 1u << 16);
	CHECK_EQ_INT(c.words[word(1, 0, CPU_EDX)], 1u << 26);
	CHECK_EQ_INT(c.xfeatures, 0x2e7);

	CHECK_EQ_INT(c.recorded, 1u << word(7, 0, CPU_EBX) | 1u << word(1, 0, CPU_EDX));

	e.vendor = "GenuineIntelAndMore";
	CHECK_EQ_INT(cpu_desc_from_entry(&e, "t.img", &c), -EBADMSG);
	e.vendor = "Genuine\nError";
	CHECK_EQ_INT(cpu_desc_from_entry(&e, "t.img", &c), -EBADMSG);
	e.vendor = "GenuineIntel";
	w[1].leaf = 7; /* cpuid 7.0 ebx twice */
	CHECK_EQ_INT(cpu_desc_from_entry(&e, "t.img", &c), -EBADMSG);
	w[1].leaf = 0x24;
	w[1].reg = (CpuidReg)9;
	CHECK_EQ_INT(cpu_desc_from_entry(&e, "t.img", &c), -EBADMSG);
	w[1].reg = CPUID_REG__EBX;
	e.xsave_size = 1u << 30;
	CHECK_EQ_INT(cpu_desc_from_entry(&e, "t.img", &c), -EBADMSG);
	e.xsave_size = 64; /* components, and no room for the header */
	CHECK_EQ_INT(cpu_desc_from_entry(&e, "t.img", &c), -EBADMSG);
	e.xsave_size = 2696;
	e.n_flags = 100000;
	CHECK_EQ_INT(cpu_desc_from_entry(&e, "t.img", &c), -EBADMSG);
}

/* A saved frame of len bytes whose header says components bv hold state. */
static unsigned char *frame(size_t len, uint64_t bv)
{
	unsigned char *f = calloc(1, len < 576 ? 576 : len);

	if (f)
		memcpy(f + 512, &bv, sizeof(bv));
	return f;
}

static void test_thread_xsave(void)
{
	const struct cpu_desc *now;
	unsigned char *f;
	size_t len;

	if (cpu_this(&now) < 0 || !now->xsave_size) {
		T_SKIP("this CPU has no XSAVE");
		return;
	}
	len = now->xsave_size;
	f = frame(len, 0x3);
	CHECK_EQ_INT(cpu_check_thread_xsave("core-1.img", 1, f, len, CR_CPU_CAP_FPU), 0);
	CHECK_EQ_INT(cpu_check_thread_xsave("core-1.img", 1, f, 512, CR_CPU_CAP_FPU), 0);
	CHECK_EQ_INT(cpu_check_thread_xsave("core-1.img", 1, f, 300, CR_CPU_CAP_FPU), -EBADMSG);
	free(f);
	/* a component this CPU has not enabled: refused by fpu, let through without (x87/SSE only) */
	f = frame(len, now->xfeatures | (1ull << 40));
	log_reset_first_error();
	CHECK_EQ_INT(cpu_check_thread_xsave("core-1.img", 7, f, len, CR_CPU_CAP_FPU), -EOPNOTSUPP);
	mentions(log_first_error(), "core-1.img: thread 7: its xsave state has components");
	mentions(log_first_error(), "component 40");
	CHECK_EQ_INT(cpu_check_thread_xsave("core-1.img", 7, f, len, CR_CPU_CAP_INS), 0);
	free(f);
	f = frame(len + 64, 0x3);
	log_reset_first_error();
	CHECK_EQ_INT(cpu_check_thread_xsave("core-1.img", 7, f, len + 64, CR_CPU_CAP_FPU), -EOPNOTSUPP);
	mentions(log_first_error(), "its xsave frame is");
	free(f);
}

static const char *tpath(const char *name)
{
	static char p[128];

	snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	return p;
}

/* cpuinfo.img of this CPU, then the restore's check of it; an old directory has none */
static void test_image_roundtrip(void)
{
	InventoryEntry inv = INVENTORY_ENTRY__INIT;
	struct img_dir *d = NULL;

	inv.producer = "test";
	CHECK_EQ_INT(img_dir_open_write(tpath("rt"), &d), 0);
	if (!d)
		return;
	CHECK_EQ_INT(cpuinfo_dump_image(d, CR_CPU_CAP_DEFAULT), 0);
	CHECK_EQ_INT(img_write_inventory(d, &inv), 0);
	img_dir_close(d);
	CHECK_EQ_INT(img_dir_open_read(tpath("rt"), &d), 0);
	if (!d)
		return;
	CHECK(img_dir_has(d, IMG_CPUINFO, 0));
	CHECK_EQ_INT(cpuinfo_check_image(d, CR_CPU_CAP_ALL), 0);
	img_dir_close(d);

	/* --cpu-cap=none writes none; a directory without it is restored unchecked */
	CHECK_EQ_INT(img_dir_open_write(tpath("none"), &d), 0);
	if (!d)
		return;
	CHECK_EQ_INT(cpuinfo_dump_image(d, CR_CPU_CAP_NONE), 0);
	CHECK_EQ_INT(img_write_inventory(d, &inv), 0);
	img_dir_close(d);
	CHECK_EQ_INT(img_dir_open_read(tpath("none"), &d), 0);
	if (!d)
		return;
	CHECK(!img_dir_has(d, IMG_CPUINFO, 0));
	CHECK_EQ_INT(cpuinfo_check_image(d, CR_CPU_CAP_ALL), 0);
	img_dir_close(d);
}

/* criu cpuinfo check of a cut and a foreign file: clear errors naming it */
static void test_check_damaged(void)
{
	struct cr_request req = {.work_dir_fd = -1};
	char dir[160], src[160], cmd[400];
	struct stat st;

	opts_init(&req.opts);
	snprintf(dir, sizeof(dir), "%s", tpath("rt"));
	req.opts.images_dir = dir;
	CHECK_EQ_INT(cr_cpuinfo_check(&req), 0);
	snprintf(src, sizeof(src), "%s", tpath("rt/cpuinfo.img"));
	CHECK_EQ_INT(stat(src, &st), 0);
	CHECK_EQ_INT(truncate(src, st.st_size - 5), 0);
	log_reset_first_error();
	CHECK_EQ_INT(cr_cpuinfo_check(&req), -EBADMSG);
	mentions(log_first_error(), "cpuinfo.img");
	/* another kind under the name */
	snprintf(cmd, sizeof(cmd), "cp %s/rt/inventory.img %s", tmpdir, src);
	CHECK_EQ_INT(system(cmd), 0);
	log_reset_first_error();
	CHECK_EQ_INT(cr_cpuinfo_check(&req), -EBADMSG);
	mentions(log_first_error(), "not a cpuinfo image");
	unlink(src);
	log_reset_first_error();
	CHECK_EQ_INT(cr_cpuinfo_check(&req), -ENOENT);
	mentions(log_first_error(), "criu cpuinfo dump writes it");
	req.opts.images_dir = NULL;
	opts_free(&req.opts);
}

int main(void)
{
	char cmd[128];

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_cpu.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	log_set_level(0); /* errors are checked through log_first_error() */
	t_run("cpu_names", test_names);
	t_run("cpu_caps_words", test_caps_words);
	t_run("cpu_compare_ins", test_compare_ins);
	t_run("cpu_compare_fpu_cpu", test_compare_fpu_cpu);
	t_run("cpu_entry_checks", test_entry_checks);
	t_run("cpu_thread_xsave", test_thread_xsave);
	t_run("cpu_image_roundtrip", test_image_roundtrip);
	t_run("cpu_check_damaged", test_check_damaged);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		printf("    cannot remove %s\n", tmpdir);
	return t_done();
}
