/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The CPU a tree runs on. A dump records it in cpuinfo.img; a restore
 * compares it with its own CPU as --cpu-cap says (CR_CPU_CAP_* in options.h):
 *
 *   fpu  the xsave components the image's CPU had enabled (XCR0) are all
 *        enabled here, and the XSAVE frame has the same size; every thread's
 *        saved xsave area uses only components enabled here;
 *   ins  every instruction-set feature bit (avx2, avx512f, sha_ni, ...) the
 *        image's CPU had is here;
 *   cpu  every recorded CPUID word, vendor, family, model and stepping are equal.
 *
 * cpu_features.c knows the feature words and the names of their bits and
 * compares two CPUs (pure code); cpuinfo.c reads this CPU, writes and reads
 * the image, and runs criu cpuinfo dump|check.
 */
#ifndef CR_CPU_H
#define CR_CPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "request.h"

struct img_dir;
struct CpuinfoEntry;

enum cpu_reg { CPU_EAX = 0, CPU_EBX = 1, CPU_ECX = 2, CPU_EDX = 3 };

/* One recorded CPUID output register. */
struct cpu_word {
	uint32_t leaf, subleaf;
	enum cpu_reg reg;
};

/* The feature words a dump records, in this order. */
#define CPU_NR_WORDS 11
const struct cpu_word *cpu_word_at(size_t i);
/* The index of (leaf, subleaf, reg) among the recorded words, or -ENOENT. */
int cpu_word_index(uint32_t leaf, uint32_t subleaf, uint32_t reg);

/*
 * The name of bit `bit` of recorded word `word` (the kernel's /proc/cpuinfo
 * spelling), NULL for a bit without one; *ret_ins (may be NULL) says whether
 * a program may execute it, so that --cpu-cap ins requires it.
 */
const char *cpu_feature_name(size_t word, unsigned int bit, bool *ret_ins);
/* The name of xsave component `bit` ("avx", "avx512_opmask"), or NULL. */
const char *cpu_xfeature_name(unsigned int bit);

/* One CPU as the checks see it: this one, or the image's. */
struct cpu_desc {
	char vendor[13];
	uint32_t family, model, stepping;
	uint32_t words[CPU_NR_WORDS];
	uint32_t recorded;	 /* bit i: words[i] was recorded (an older image may lack some) */
	uint64_t xfeatures;	 /* XCR0 */
	uint32_t xsave_size;	 /* CPUID 0xd.0 ebx */
	uint32_t xsave_size_max; /* CPUID 0xd.0 ecx; 0: not known */
};

/*
 * Whether a tree that ran on img may run on now, as caps says: 0 when it may,
 * else -EOPNOTSUPP with *ret_reasons (malloc'ed) one line per difference,
 * each naming what is missing ("the image's xsave has components 0x2e7
 * (avx512_opmask ...), this CPU only 0x7"). -ENOMEM.
 */
int cpu_compare(const struct cpu_desc *img, const struct cpu_desc *now, uint32_t caps, char **ret_reasons);
/* Writes the names of the bits of mask (xsave components) into buf, space-separated. */
void cpu_xfeature_names(uint64_t mask, char *buf, size_t size);
/* "fpu,ins", "none": caps in --cpu-cap words, for messages. */
const char *cpu_caps_words(uint32_t caps, char *buf, size_t size);

/* cpuinfo.c */

/* This CPU (read once). 0 or -errno (logged): no CPUID, or no FXSR. */
int cpu_this(const struct cpu_desc **ret);
/* The image's entry as a cpu_desc, checked: -EBADMSG (logged, naming name) when it is malformed. */
int cpu_desc_from_entry(const struct CpuinfoEntry *e, const char *name, struct cpu_desc *ret);
/* Writes cpuinfo.img for this CPU (nothing with caps none). */
int cpuinfo_dump_image(struct img_dir *d, uint32_t caps);
/*
 * A restore's check of the image's CPU against this one as caps says; an
 * images directory without cpuinfo.img is restored unchecked, with a log line.
 */
int cpuinfo_check_image(struct img_dir *d, uint32_t caps);
/*
 * One thread's saved xsave area (NT_X86_XSTATE as dumped): with fpu in caps,
 * -EOPNOTSUPP (logged, naming name and tid) when it uses components this CPU
 * has not enabled or has another frame size; -EBADMSG when it is malformed.
 */
int cpu_check_thread_xsave(const char *name, uint32_t tid, const void *xsave, size_t len, uint32_t caps);
/*
 * Sets a stopped thread's FPU state from its saved xsave area: all of it
 * when this CPU takes the frame, else (only ever with --cpu-cap without
 * fpu) the legacy x87/SSE part, with a warning.
 */
int cpu_set_thread_xstate(pid_t tid, const void *xsave, size_t len);

/* criu cpuinfo dump|check (the CLI and the RPC CPUINFO_DUMP/CHECK requests). */
int cr_cpuinfo_dump(struct cr_request *req);
int cr_cpuinfo_check(struct cr_request *req);

#endif
