/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * malloc'ed data (many small chunks with holes from free, big mmap'ed
 * chunks) and a deep stack of frames with local arrays; after restore every
 * byte is checked, each frame on the way back up, and malloc/free still work.
 */
#include <stdint.h>

#include "feature.h"

#define NSMALL 3000
#define NBIG 3
#define DEPTH 3000

static unsigned char *small[NSMALL];
static size_t small_len[NSMALL];
static unsigned char *big[NBIG];
static const size_t big_len[NBIG] = { 300000, 8 << 20, 1 << 20 };
static int bad_frames;

static unsigned char fill(size_t i, size_t j)
{
	return (unsigned char)(i * 131 + j * 7 + 5);
}

static int __attribute__((noinline)) dive(int depth, char **argv)
{
	volatile uint32_t local[32];
	int r;

	for (int i = 0; i < 32; i++)
		local[i] = (uint32_t)depth * 2654435761u + i;
	if (depth == 0) {
		feat_ready();
		feat_wait_go();
		r = 0;
	} else {
		r = dive(depth - 1, argv) + 1;
	}
	for (int i = 0; i < 32; i++)
		if (local[i] != (uint32_t)depth * 2654435761u + i) {
			if (!bad_frames++)
				feat_fail("stack frame at depth %d word %d: %08x", depth, i, local[i]);
			break;
		}
	return r;
}

int main(int argc, char **argv)
{
	int levels;

	feat_init(argc, argv);
	for (size_t i = 0; i < NSMALL; i++) {
		small_len[i] = 16 + (i * 37) % 400;
		small[i] = malloc(small_len[i]);
		if (!small[i])
			feat_die("malloc");
		for (size_t j = 0; j < small_len[i]; j++)
			small[i][j] = fill(i, j);
	}
	for (size_t i = 0; i < NSMALL; i += 3) { /* holes in the heap */
		free(small[i]);
		small[i] = NULL;
	}
	for (size_t i = 0; i < NBIG; i++) {
		big[i] = malloc(big_len[i]);
		if (!big[i])
			feat_die("malloc big");
		for (size_t j = 0; j < big_len[i]; j += 61)
			big[i][j] = fill(i + 7, j);
	}

	levels = dive(DEPTH, argv);

	FEAT_CHECK(levels == DEPTH, "recursion returned %d levels, expected %d", levels, DEPTH);
	FEAT_CHECK(bad_frames == 0, "%d stack frames damaged", bad_frames);
	for (size_t i = 0; i < NSMALL; i++) {
		if (!small[i])
			continue;
		for (size_t j = 0; j < small_len[i]; j++)
			if (small[i][j] != fill(i, j)) {
				feat_fail("small chunk %zu byte %zu: %u, expected %u", i, j, small[i][j], fill(i, j));
				i = NSMALL;
				break;
			}
	}
	for (size_t i = 0; i < NBIG; i++)
		for (size_t j = 0; j < big_len[i]; j += 61)
			if (big[i][j] != fill(i + 7, j)) {
				feat_fail("big chunk %zu byte %zu: %u, expected %u", i, j, big[i][j], fill(i + 7, j));
				break;
			}
	/* the allocator's metadata survived: reuse the holes, free everything */
	for (size_t i = 0; i < NSMALL; i += 3) {
		small[i] = malloc(small_len[i]);
		if (!small[i]) {
			feat_fail("malloc after restore failed");
			break;
		}
		memset(small[i], 0xee, small_len[i]);
	}
	for (size_t i = 0; i < NSMALL; i++)
		free(small[i]);
	for (size_t i = 0; i < NBIG; i++)
		free(big[i]);
	return feat_done();
}
