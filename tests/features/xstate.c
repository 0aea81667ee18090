/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Extended FPU state: a thread spins with distinctive values in ymm0-15
 * (checked against memory every iteration, in asm, so that no compiler code
 * touches them), a non-default MXCSR and x87 control word; with AVX-512 a
 * second thread does the same with zmm16-31 and k1-k7. The main thread has
 * its own MXCSR/FCW. After restore the spinners must see no mismatch and
 * keep running.
 */
#include <cpuid.h>

#include "feature.h"

#define MXCSR_T 0xff80u /* FTZ, round toward zero, all exceptions masked */
#define FCW_T 0x0e7fu /* truncate, 53-bit precision */
#define MXCSR_M 0x3f80u /* round up */
#define FCW_M 0x077fu /* round up, 64-bit precision */

static uint8_t ypat[16 * 32] __attribute__((aligned(64)));
static uint8_t yout[16 * 32] __attribute__((aligned(64)));
static uint8_t zpat[16 * 64 + 64] __attribute__((aligned(64)));
static uint8_t zout[16 * 64 + 64] __attribute__((aligned(64)));
static volatile int stop;
static volatile unsigned long yiters, ziters;
static volatile int ybad, zbad;
static volatile unsigned yctl[2], zctl[2];

static void __attribute__((noinline)) spin_ymm(void)
{
	unsigned ctl[2] = { MXCSR_T, FCW_T };
	unsigned short cw = FCW_T;
	int bad = 0;

	__asm__ volatile("ldmxcsr (%[c])\n\t"
			 "fldcw %[cw]\n\t"
		"vmovdqu 0(%[p]), %%ymm0\n\t"
		"vmovdqu 32(%[p]), %%ymm1\n\t"
		"vmovdqu 64(%[p]), %%ymm2\n\t"
		"vmovdqu 96(%[p]), %%ymm3\n\t"
		"vmovdqu 128(%[p]), %%ymm4\n\t"
		"vmovdqu 160(%[p]), %%ymm5\n\t"
		"vmovdqu 192(%[p]), %%ymm6\n\t"
		"vmovdqu 224(%[p]), %%ymm7\n\t"
		"vmovdqu 256(%[p]), %%ymm8\n\t"
		"vmovdqu 288(%[p]), %%ymm9\n\t"
		"vmovdqu 320(%[p]), %%ymm10\n\t"
		"vmovdqu 352(%[p]), %%ymm11\n\t"
		"vmovdqu 384(%[p]), %%ymm12\n\t"
		"vmovdqu 416(%[p]), %%ymm13\n\t"
		"vmovdqu 448(%[p]), %%ymm14\n\t"
		"vmovdqu 480(%[p]), %%ymm15\n\t"
				"1:\n\t"
		"vmovdqu %%ymm0, 0(%[o])\n\t"
		"vmovdqu %%ymm1, 32(%[o])\n\t"
		"vmovdqu %%ymm2, 64(%[o])\n\t"
		"vmovdqu %%ymm3, 96(%[o])\n\t"
		"vmovdqu %%ymm4, 128(%[o])\n\t"
		"vmovdqu %%ymm5, 160(%[o])\n\t"
		"vmovdqu %%ymm6, 192(%[o])\n\t"
		"vmovdqu %%ymm7, 224(%[o])\n\t"
		"vmovdqu %%ymm8, 256(%[o])\n\t"
		"vmovdqu %%ymm9, 288(%[o])\n\t"
		"vmovdqu %%ymm10, 320(%[o])\n\t"
		"vmovdqu %%ymm11, 352(%[o])\n\t"
		"vmovdqu %%ymm12, 384(%[o])\n\t"
		"vmovdqu %%ymm13, 416(%[o])\n\t"
		"vmovdqu %%ymm14, 448(%[o])\n\t"
		"vmovdqu %%ymm15, 480(%[o])\n\t"
				"xor %%ecx, %%ecx\n\t"
		"2: mov (%[p],%%rcx,8), %%rax\n\t"
		"cmp (%[o],%%rcx,8), %%rax\n\t"
		"jne 3f\n\t"
		"inc %%ecx\n\t"
		"cmp $64, %%ecx\n\t"
		"jb 2b\n\t"
		"stmxcsr (%[c])\n\t"
		"cmpl %[mx], (%[c])\n\t"
		"jne 4f\n\t"
		"fnstcw 4(%[c])\n\t"
		"movzwl 4(%[c]), %%eax\n\t"
		"cmp %[fcw], %%eax\n\t"
		"jne 4f\n\t"
		"incq (%[it])\n\t"
		"cmpl $0, (%[stop])\n\t"
		"je 1b\n\t"
		"jmp 9f\n\t"
		"3: movl $1, %[bad]\n\t"
		"jmp 9f\n\t"
		"4: movl $2, %[bad]\n\t"
		"9:\n\t"
		: [bad] "+m"(bad), [cw] "+m"(cw)
		: [p] "r"(ypat), [o] "r"(yout), [c] "r"(ctl), [it] "r"(&yiters), [stop] "r"(&stop), [mx] "i"(MXCSR_T),
		  [fcw] "i"(FCW_T)
		: "rax", "rcx", "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
		  "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
	__asm__ volatile("stmxcsr %0" : "=m"(ctl[0]));
	__asm__ volatile("fnstcw %0" : "=m"(cw));
	yctl[0] = ctl[0];
	yctl[1] = cw;
	ybad = bad;
}

static void __attribute__((noinline)) spin_zmm(void)
{
	int bad = 0;

	__asm__ volatile(
		"vmovdqu64 0(%[p]), %%zmm16\n\t"
		"vmovdqu64 64(%[p]), %%zmm17\n\t"
		"vmovdqu64 128(%[p]), %%zmm18\n\t"
		"vmovdqu64 192(%[p]), %%zmm19\n\t"
		"vmovdqu64 256(%[p]), %%zmm20\n\t"
		"vmovdqu64 320(%[p]), %%zmm21\n\t"
		"vmovdqu64 384(%[p]), %%zmm22\n\t"
		"vmovdqu64 448(%[p]), %%zmm23\n\t"
		"vmovdqu64 512(%[p]), %%zmm24\n\t"
		"vmovdqu64 576(%[p]), %%zmm25\n\t"
		"vmovdqu64 640(%[p]), %%zmm26\n\t"
		"vmovdqu64 704(%[p]), %%zmm27\n\t"
		"vmovdqu64 768(%[p]), %%zmm28\n\t"
		"vmovdqu64 832(%[p]), %%zmm29\n\t"
		"vmovdqu64 896(%[p]), %%zmm30\n\t"
		"vmovdqu64 960(%[p]), %%zmm31\n\t"
				"kmovw 1024(%[p]), %%k1\n\t"
		"kmovw 1026(%[p]), %%k2\n\t"
		"kmovw 1028(%[p]), %%k3\n\t"
		"kmovw 1030(%[p]), %%k4\n\t"
		"kmovw 1032(%[p]), %%k5\n\t"
		"kmovw 1034(%[p]), %%k6\n\t"
		"kmovw 1036(%[p]), %%k7\n\t"
				"1:\n\t"
		"vmovdqu64 %%zmm16, 0(%[o])\n\t"
		"vmovdqu64 %%zmm17, 64(%[o])\n\t"
		"vmovdqu64 %%zmm18, 128(%[o])\n\t"
		"vmovdqu64 %%zmm19, 192(%[o])\n\t"
		"vmovdqu64 %%zmm20, 256(%[o])\n\t"
		"vmovdqu64 %%zmm21, 320(%[o])\n\t"
		"vmovdqu64 %%zmm22, 384(%[o])\n\t"
		"vmovdqu64 %%zmm23, 448(%[o])\n\t"
		"vmovdqu64 %%zmm24, 512(%[o])\n\t"
		"vmovdqu64 %%zmm25, 576(%[o])\n\t"
		"vmovdqu64 %%zmm26, 640(%[o])\n\t"
		"vmovdqu64 %%zmm27, 704(%[o])\n\t"
		"vmovdqu64 %%zmm28, 768(%[o])\n\t"
		"vmovdqu64 %%zmm29, 832(%[o])\n\t"
		"vmovdqu64 %%zmm30, 896(%[o])\n\t"
		"vmovdqu64 %%zmm31, 960(%[o])\n\t"
				"kmovw %%k1, 1024(%[o])\n\t"
		"kmovw %%k2, 1026(%[o])\n\t"
		"kmovw %%k3, 1028(%[o])\n\t"
		"kmovw %%k4, 1030(%[o])\n\t"
		"kmovw %%k5, 1032(%[o])\n\t"
		"kmovw %%k6, 1034(%[o])\n\t"
		"kmovw %%k7, 1036(%[o])\n\t"
				"xor %%ecx, %%ecx\n\t"
		"2: mov (%[p],%%rcx,8), %%rax\n\t"
		"cmp (%[o],%%rcx,8), %%rax\n\t"
		"jne 3f\n\t"
		"inc %%ecx\n\t"
		"cmp $130, %%ecx\n\t" /* 1024 bytes of zmm + 16 bytes of k registers (2 qwords) */
		"jb 2b\n\t"
		"incq (%[it])\n\t"
		"cmpl $0, (%[stop])\n\t"
		"je 1b\n\t"
		"jmp 9f\n\t"
		"3: movl $1, %[bad]\n\t"
		"9:\n\t"
		: [bad] "+m"(bad)
		: [p] "r"(zpat), [o] "r"(zout), [it] "r"(&ziters), [stop] "r"(&stop)
		: "rax", "rcx", "memory", "cc");
	zbad = bad;
}

static void *ythread(void *arg)
{
	spin_ymm();
	return NULL;
}

static void *zthread(void *arg)
{
	zbad = 0;
	spin_zmm();
	return NULL;
}

static int have_avx512(void)
{
	unsigned a, b, c, d, lo, hi;

	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(b & (1u << 16)))
		return 0;
	__get_cpuid(1, &a, &b, &c, &d);
	if (!(c & (1u << 27))) /* OSXSAVE */
		return 0;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (lo & 0xe6) == 0xe6;
}

static void report_diff(const char *what, const uint8_t *pat, const uint8_t *out, size_t regsz, size_t nregs,
			int first)
{
	for (size_t r = 0; r < nregs; r++)
		if (memcmp(pat + r * regsz, out + r * regsz, regsz)) {
			feat_fail("%s%zu differs: got %016llx..., expected %016llx...", what, r + first,
				  *(unsigned long long *)(out + r * regsz), *(unsigned long long *)(pat + r * regsz));
			return;
		}
	feat_fail("%s: a mismatch was seen but the last stored values agree", what);
}

int main(int argc, char **argv)
{
	unsigned mx = MXCSR_M, mx_now;
	unsigned short cw = FCW_M, cw_now;
	unsigned long y0, z0;
	pthread_t yt, zt;
	int z;

	feat_init(argc, argv);
	for (size_t i = 0; i < sizeof(ypat); i++)
		ypat[i] = (uint8_t)(i * 37 + 11);
	for (size_t i = 0; i < sizeof(zpat); i++)
		zpat[i] = (uint8_t)(i * 101 + 3);
	memset(zpat + 1024 + 14, 0, sizeof(zpat) - 1024 - 14); /* k7 ends at 1038 */
	__builtin_cpu_init();
	if (!__builtin_cpu_supports("avx"))
		feat_skip("no AVX");
	z = have_avx512();
	if (feat_thread_create(&yt, ythread, NULL) || (z && feat_thread_create(&zt, zthread, NULL)))
		feat_die("pthread_create");
	__asm__ volatile("ldmxcsr %0" ::"m"(mx));
	__asm__ volatile("fldcw %0" ::"m"(cw));
	while (yiters < 1000 || (z && ziters < 1000))
		feat_sleep_ms(1);
	if (ybad || zbad)
		feat_die("mismatch before the dump");

	feat_ready();
	feat_wait_go();

	__asm__ volatile("stmxcsr %0" : "=m"(mx_now));
	__asm__ volatile("fnstcw %0" : "=m"(cw_now));
	FEAT_CHECK(mx_now == MXCSR_M, "main MXCSR %#x, expected %#x", mx_now, MXCSR_M);
	FEAT_CHECK(cw_now == FCW_M, "main x87 control word %#x, expected %#x", cw_now, FCW_M);
	y0 = yiters;
	z0 = ziters;
	feat_sleep_ms(200);
	FEAT_CHECK(ybad || yiters > y0, "ymm spinner does not run after restore (%lu iterations)", yiters);
	FEAT_CHECK(!z || zbad || ziters > z0, "zmm spinner does not run after restore (%lu iterations)", ziters);
	stop = 1;
	pthread_join(yt, NULL);
	if (z)
		pthread_join(zt, NULL);
	if (ybad == 1)
		report_diff("ymm", ypat, yout, 32, 16, 0);
	else if (ybad == 2)
		feat_fail("spinner MXCSR %#x / FCW %#x, expected %#x / %#x", yctl[0], yctl[1], MXCSR_T, FCW_T);
	FEAT_CHECK(yctl[0] == MXCSR_T && yctl[1] == FCW_T, "spinner MXCSR %#x / FCW %#x at the end, expected %#x / %#x",
		   yctl[0], yctl[1], MXCSR_T, FCW_T);
	if (z && zbad) {
		if (memcmp(zpat, zout, 1024))
			report_diff("zmm", zpat, zout, 64, 16, 16);
		else
			report_diff("k", zpat + 1024, zout + 1024, 2, 7, 1);
	}
	if (!z)
		printf("no AVX-512: zmm16-31/k1-7 not checked\n");
	return feat_done();
}
