/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The CPUID feature words a dump records, the names of their bits, and the
 * comparison of two CPUs by --cpu-cap. Names are the kernel's /proc/cpuinfo
 * spellings; a bit without a name here is reported as "cpuid 0x7.0 ecx bit 13".
 *
 * "ins" marks what a program can execute, so that a tree that may have used
 * it cannot run without it. Bits that describe the platform, the OS, speed
 * (erms, fsrm) or supervisor-only instructions are not required by --cpu-cap
 * ins (they are by --cpu-cap cpu). hle and rtm are not either: where TSX is
 * switched off, transactions abort and programs take their fallback path.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cpu.h"

_Static_assert(CPU_NR_WORDS <= 32, "cpu_desc.recorded has a bit per word");

static const struct cpu_word words[CPU_NR_WORDS] = {
	{0x1, 0, CPU_ECX},	  {0x1, 0, CPU_EDX},	    {0x7, 0, CPU_EBX},	      {0x7, 0, CPU_ECX},
	{0x7, 0, CPU_EDX},	  {0x7, 1, CPU_EAX},	    {0x7, 1, CPU_EDX},	      {0xd, 1, CPU_EAX},
	{0x80000001, 0, CPU_ECX}, {0x80000001, 0, CPU_EDX}, {0x80000008, 0, CPU_EBX},
};

enum { W1C, W1D, W7B, W7C, W7D, W71A, W71D, WD1A, W81C, W81D, W88B };

struct feature {
	unsigned char word, bit;
	bool ins;
	const char *name;
};

/* one CPUID word's bits to a few lines: */
/* clang-format off */
#define I(w, b, n) { w, b, true, n }
#define P(w, b, n) { w, b, false, n }

static const struct feature features[] = {
	I(W1C, 0, "pni"), I(W1C, 1, "pclmulqdq"), P(W1C, 2, "dtes64"), I(W1C, 3, "monitor"),
	P(W1C, 4, "ds_cpl"), P(W1C, 5, "vmx"), P(W1C, 6, "smx"), P(W1C, 7, "est"), P(W1C, 8, "tm2"),
	I(W1C, 9, "ssse3"), P(W1C, 10, "cid"), P(W1C, 11, "sdbg"), I(W1C, 12, "fma"), I(W1C, 13, "cx16"),
	P(W1C, 14, "xtpr"), P(W1C, 15, "pdcm"), P(W1C, 17, "pcid"), P(W1C, 18, "dca"), I(W1C, 19, "sse4_1"),
	I(W1C, 20, "sse4_2"), P(W1C, 21, "x2apic"), I(W1C, 22, "movbe"), I(W1C, 23, "popcnt"),
	P(W1C, 24, "tsc_deadline_timer"), I(W1C, 25, "aes"), I(W1C, 26, "xsave"), I(W1C, 27, "osxsave"),
	I(W1C, 28, "avx"), I(W1C, 29, "f16c"), I(W1C, 30, "rdrand"), P(W1C, 31, "hypervisor"),

	I(W1D, 0, "fpu"), P(W1D, 1, "vme"), P(W1D, 2, "de"), P(W1D, 3, "pse"), I(W1D, 4, "tsc"), P(W1D, 5, "msr"),
	P(W1D, 6, "pae"), P(W1D, 7, "mce"), I(W1D, 8, "cx8"), P(W1D, 9, "apic"), I(W1D, 11, "sep"),
	P(W1D, 12, "mtrr"), P(W1D, 13, "pge"), P(W1D, 14, "mca"), I(W1D, 15, "cmov"), P(W1D, 16, "pat"),
	P(W1D, 17, "pse36"), P(W1D, 18, "pn"), I(W1D, 19, "clflush"), P(W1D, 21, "dts"), P(W1D, 22, "acpi"),
	I(W1D, 23, "mmx"), I(W1D, 24, "fxsr"), I(W1D, 25, "sse"), I(W1D, 26, "sse2"), P(W1D, 27, "ss"),
	P(W1D, 28, "ht"), P(W1D, 29, "tm"), P(W1D, 30, "ia64"), P(W1D, 31, "pbe"),

	I(W7B, 0, "fsgsbase"), P(W7B, 1, "tsc_adjust"), P(W7B, 2, "sgx"), I(W7B, 3, "bmi1"), P(W7B, 4, "hle"),
	I(W7B, 5, "avx2"), P(W7B, 6, "fdp_excptn_only"), P(W7B, 7, "smep"), I(W7B, 8, "bmi2"),
	P(W7B, 9, "erms"), P(W7B, 10, "invpcid"), P(W7B, 11, "rtm"), P(W7B, 12, "cqm"),
	P(W7B, 13, "zero_fcs_fds"), I(W7B, 14, "mpx"), P(W7B, 15, "rdt_a"), I(W7B, 16, "avx512f"),
	I(W7B, 17, "avx512dq"), I(W7B, 18, "rdseed"), I(W7B, 19, "adx"), P(W7B, 20, "smap"),
	I(W7B, 21, "avx512ifma"), I(W7B, 23, "clflushopt"), I(W7B, 24, "clwb"), P(W7B, 25, "intel_pt"),
	I(W7B, 26, "avx512pf"), I(W7B, 27, "avx512er"), I(W7B, 28, "avx512cd"), I(W7B, 29, "sha_ni"),
	I(W7B, 30, "avx512bw"), I(W7B, 31, "avx512vl"),

	I(W7C, 0, "prefetchwt1"), I(W7C, 1, "avx512vbmi"), P(W7C, 2, "umip"), P(W7C, 3, "pku"),
	I(W7C, 4, "ospke"), I(W7C, 5, "waitpkg"), I(W7C, 6, "avx512_vbmi2"), P(W7C, 7, "user_shstk"),
	I(W7C, 8, "gfni"), I(W7C, 9, "vaes"), I(W7C, 10, "vpclmulqdq"), I(W7C, 11, "avx512_vnni"),
	I(W7C, 12, "avx512_bitalg"), P(W7C, 13, "tme"), I(W7C, 14, "avx512_vpopcntdq"), P(W7C, 16, "la57"),
	I(W7C, 22, "rdpid"), P(W7C, 23, "kl"), P(W7C, 24, "bus_lock_detect"), I(W7C, 25, "cldemote"),
	I(W7C, 27, "movdiri"), I(W7C, 28, "movdir64b"), P(W7C, 29, "enqcmd"), P(W7C, 30, "sgx_lc"),

	I(W7D, 2, "avx512_4vnniw"), I(W7D, 3, "avx512_4fmaps"), P(W7D, 4, "fsrm"), P(W7D, 5, "uintr"),
	I(W7D, 8, "avx512_vp2intersect"), P(W7D, 9, "srbds_ctrl"), P(W7D, 10, "md_clear"),
	P(W7D, 11, "rtm_always_abort"), P(W7D, 13, "tsx_force_abort"), I(W7D, 14, "serialize"),
	P(W7D, 15, "hybrid_cpu"), I(W7D, 16, "tsxldtrk"), P(W7D, 18, "pconfig"), P(W7D, 19, "arch_lbr"),
	P(W7D, 20, "ibt"), I(W7D, 22, "amx_bf16"), I(W7D, 23, "avx512_fp16"), I(W7D, 24, "amx_tile"),
	I(W7D, 25, "amx_int8"), P(W7D, 26, "spec_ctrl"), P(W7D, 27, "intel_stibp"), P(W7D, 28, "flush_l1d"),
	P(W7D, 29, "arch_capabilities"), P(W7D, 30, "core_capabilities"), P(W7D, 31, "spec_ctrl_ssbd"),

	P(W71A, 0, "sha512"), P(W71A, 1, "sm3"), P(W71A, 2, "sm4"), I(W71A, 4, "avx_vnni"),
	I(W71A, 5, "avx512_bf16"), I(W71A, 7, "cmpccxadd"), P(W71A, 10, "fzrm"), P(W71A, 11, "fsrs"),
	P(W71A, 12, "fsrc"), P(W71A, 17, "fred"), P(W71A, 18, "lkgs"), P(W71A, 19, "wrmsrns"),
	I(W71A, 21, "amx_fp16"), I(W71A, 23, "avx_ifma"), P(W71A, 26, "lam"),

	I(W71D, 4, "avx_vnni_int8"), I(W71D, 5, "avx_ne_convert"), I(W71D, 10, "avx_vnni_int16"),
	I(W71D, 14, "prefetchiti"), I(W71D, 19, "avx10"), I(W71D, 21, "apx_f"),

	I(WD1A, 0, "xsaveopt"), I(WD1A, 1, "xsavec"), I(WD1A, 2, "xgetbv1"), P(WD1A, 3, "xsaves"),
	P(WD1A, 4, "xfd"),

	I(W81C, 0, "lahf_lm"), P(W81C, 1, "cmp_legacy"), P(W81C, 2, "svm"), P(W81C, 3, "extapic"),
	P(W81C, 4, "cr8_legacy"), I(W81C, 5, "abm"), I(W81C, 6, "sse4a"), I(W81C, 7, "misalignsse"),
	I(W81C, 8, "3dnowprefetch"), P(W81C, 9, "osvw"), P(W81C, 10, "ibs"), I(W81C, 11, "xop"),
	P(W81C, 12, "skinit"), P(W81C, 13, "wdt"), P(W81C, 15, "lwp"), I(W81C, 16, "fma4"), P(W81C, 17, "tce"),
	P(W81C, 19, "nodeid_msr"), I(W81C, 21, "tbm"), P(W81C, 22, "topoext"), P(W81C, 23, "perfctr_core"),
	P(W81C, 24, "perfctr_nb"), P(W81C, 26, "bpext"), P(W81C, 27, "ptsc"), P(W81C, 28, "perfctr_llc"),
	I(W81C, 29, "mwaitx"),

	I(W81D, 11, "syscall"), P(W81D, 19, "mp"), P(W81D, 20, "nx"), I(W81D, 22, "mmxext"),
	P(W81D, 25, "fxsr_opt"), P(W81D, 26, "pdpe1gb"), I(W81D, 27, "rdtscp"), I(W81D, 29, "lm"),
	I(W81D, 30, "3dnowext"), I(W81D, 31, "3dnow"),

	I(W88B, 0, "clzero"), P(W88B, 1, "irperf"), P(W88B, 2, "xsaveerptr"), I(W88B, 4, "rdpru"),
	P(W88B, 9, "wbnoinvd"), P(W88B, 12, "amd_ibpb"), P(W88B, 14, "amd_ibrs"), P(W88B, 15, "amd_stibp"),
	P(W88B, 17, "amd_stibp_always_on"), P(W88B, 19, "amd_ibrs_same_mode"), P(W88B, 24, "amd_ssbd"),
	P(W88B, 25, "virt_ssbd"), P(W88B, 26, "amd_ssb_no"), P(W88B, 27, "cppc"), P(W88B, 28, "amd_psfd"),
};

#undef I
#undef P
/* clang-format on */

/* xsave components (XCR0 bits), the kernel's names where it has them */
static const char *const xfeatures[] = {
	[0] = "x87",
	[1] = "sse",
	[2] = "avx",
	[3] = "mpx_bndregs",
	[4] = "mpx_bndcsr",
	[5] = "avx512_opmask",
	[6] = "avx512_zmm_hi256",
	[7] = "avx512_hi16_zmm",
	[8] = "pt",
	[9] = "pkru",
	[10] = "pasid",
	[11] = "cet_user",
	[12] = "cet_kernel",
	[13] = "hdc",
	[14] = "uintr",
	[15] = "lbr",
	[16] = "hwp",
	[17] = "amx_tilecfg",
	[18] = "amx_tiledata",
	[19] = "apx",
};

static const char *const reg_names[] = {"eax", "ebx", "ecx", "edx"};

const struct cpu_word *cpu_word_at(size_t i)
{
	return i < CPU_NR_WORDS ? &words[i] : NULL;
}

int cpu_word_index(uint32_t leaf, uint32_t subleaf, uint32_t reg)
{
	for (size_t i = 0; i < CPU_NR_WORDS; i++)
		if (words[i].leaf == leaf && words[i].subleaf == subleaf && (uint32_t)words[i].reg == reg)
			return (int)i;
	return -ENOENT;
}

const char *cpu_feature_name(size_t word, unsigned int bit, bool *ret_ins)
{
	for (size_t i = 0; i < ARRAY_SIZE(features); i++)
		if (features[i].word == word && features[i].bit == bit) {
			if (ret_ins)
				*ret_ins = features[i].ins;
			return features[i].name;
		}
	if (ret_ins)
		*ret_ins = false;
	return NULL;
}

const char *cpu_xfeature_name(unsigned int bit)
{
	return bit < ARRAY_SIZE(xfeatures) ? xfeatures[bit] : NULL;
}

void cpu_xfeature_names(uint64_t mask, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned int b = 0; b < 64 && len < size; b++) {
		const char *n = cpu_xfeature_name(b);
		int w;

		if (!(mask & (1ull << b)))
			continue;
		if (n)
			w = snprintf(buf + len, size - len, "%s%s", len ? " " : "", n);
		else
			w = snprintf(buf + len, size - len, "%scomponent %u", len ? " " : "", b);
		if (w < 0)
			break;
		len += (size_t)w;
	}
}

const char *cpu_caps_words(uint32_t caps, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s%s", caps & CR_CPU_CAP_FPU ? ",fpu" : "",
		 caps & CR_CPU_CAP_INS ? ",ins" : "", caps & CR_CPU_CAP_CPU ? ",cpu" : "",
		 caps & CR_CPU_CAP_ALL ? "" : ",none");
	memmove(buf, buf + 1, strlen(buf)); /* the leading comma */
	return buf;
}

/* " avx512f" or " cpuid 0x7.0 ecx bit 13" */
static void put_bit(FILE *f, size_t w, unsigned int bit, const char *sign)
{
	const char *n = cpu_feature_name(w, bit, NULL);

	if (n)
		fprintf(f, " %s%s", sign, n);
	else
		fprintf(f, " %scpuid 0x%" PRIx32 ".%" PRIu32 " %s bit %u", sign, words[w].leaf,
			words[w].subleaf, reg_names[words[w].reg], bit);
}

static void compare_fpu(FILE *f, const struct cpu_desc *img, const struct cpu_desc *now)
{
	uint64_t missing = img->xfeatures & ~now->xfeatures;
	char names[256];

	if (missing) {
		cpu_xfeature_names(missing, names, sizeof(names));
		fprintf(f,
			"the image's xsave has components 0x%" PRIx64 " (%s), this CPU only 0x%" PRIx64 "\n",
			img->xfeatures, names, now->xfeatures);
	}
	if (img->xsave_size != now->xsave_size)
		fprintf(f, "the image's xsave frame is %" PRIu32 " bytes, this CPU's %" PRIu32 "\n",
			img->xsave_size, now->xsave_size);
	else if (img->xsave_size_max && now->xsave_size_max && img->xsave_size_max != now->xsave_size_max)
		fprintf(f, "the image's largest xsave frame is %" PRIu32 " bytes, this CPU's %" PRIu32 "\n",
			img->xsave_size_max, now->xsave_size_max);
}

static void compare_ins(FILE *f, const struct cpu_desc *img, const struct cpu_desc *now)
{
	bool any = false;

	for (size_t w = 0; w < CPU_NR_WORDS; w++) {
		uint32_t missing = img->words[w] & ~now->words[w];

		for (unsigned int b = 0; b < 32; b++) {
			bool ins;

			if (!(missing & (1u << b)) || !cpu_feature_name(w, b, &ins) || !ins)
				continue;
			if (!any)
				fputs("instructions the image's tree may use are missing on this CPU:", f);
			any = true;
			put_bit(f, w, b, "");
		}
	}
	if (any)
		fputc('\n', f);
}

/* fpu_said: compare_fpu() ran, and has named the components this CPU lacks */
static void compare_cpu(FILE *f, const struct cpu_desc *img, const struct cpu_desc *now, bool fpu_said)
{
	if (strcmp(img->vendor, now->vendor) || img->family != now->family || img->model != now->model ||
	    img->stepping != now->stepping)
		fprintf(f,
			"the image's CPU is %s family %" PRIu32 " model %" PRIu32 " stepping %" PRIu32
			", this one %s family %" PRIu32 " model %" PRIu32 " stepping %" PRIu32 "\n",
			img->vendor, img->family, img->model, img->stepping, now->vendor, now->family,
			now->model, now->stepping);
	for (size_t w = 0; w < CPU_NR_WORDS; w++) {
		uint32_t d = img->words[w] ^ now->words[w];

		if (!d || !(img->recorded & (1u << w)))
			continue;
		fprintf(f,
			"cpuid 0x%" PRIx32 ".%" PRIu32 " %s differs (image 0x%08" PRIx32
			", this CPU 0x%08" PRIx32 "):",
			words[w].leaf, words[w].subleaf, reg_names[words[w].reg], img->words[w],
			now->words[w]);
		for (unsigned int b = 0; b < 32; b++)
			if (d & (1u << b))
				put_bit(f, w, b, img->words[w] & (1u << b) ? "-" : "+");
		fputc('\n', f);
	}
	if (img->xfeatures != now->xfeatures && !(fpu_said && (img->xfeatures & ~now->xfeatures)))
		fprintf(f, "the image's xsave components are 0x%" PRIx64 ", this CPU's 0x%" PRIx64 "\n",
			img->xfeatures, now->xfeatures);
}

int cpu_compare(const struct cpu_desc *img, const struct cpu_desc *now, uint32_t caps, char **ret_reasons)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return -ENOMEM;
	if (caps & CR_CPU_CAP_FPU)
		compare_fpu(f, img, now);
	if (caps & CR_CPU_CAP_INS)
		compare_ins(f, img, now);
	if (caps & CR_CPU_CAP_CPU)
		compare_cpu(f, img, now, caps & CR_CPU_CAP_FPU);
	if (fclose(f) != 0)
		return -ENOMEM;
	if (!len)
		return 0;
	*ret_reasons = TAKE_PTR(buf);
	return -EOPNOTSUPP;
}
