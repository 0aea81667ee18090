/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private anonymous memory: sparse pages, a large region, read-only and PROT_NONE data. */
#include <stdint.h>
#include <sys/mman.h>

#include "feature.h"

#define PG 4096
#define NPAGES 1024

static uint32_t pattern(size_t page, size_t word)
{
	return (uint32_t)(page * 2654435761u ^ word * 40503u);
}

int main(int argc, char **argv)
{
	uint32_t *big, *ro, *none;
	char perms[5];

	feat_init(argc, argv);
	big = mmap(NULL, NPAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ro = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	none = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (big == MAP_FAILED || ro == MAP_FAILED || none == MAP_FAILED)
		feat_die("mmap");
	for (size_t p = 0; p < NPAGES; p += 3) /* every third page populated */
		for (size_t w = 0; w < PG / 4; w++)
			big[p * PG / 4 + w] = pattern(p, w);
	ro[5] = 0xabcdef01;
	none[PG / 4 + 7] = 0x12345678;
	if (mprotect(ro, 4 * PG, PROT_READ) || mprotect(none, 4 * PG, PROT_NONE))
		feat_die("mprotect");

	feat_ready();
	feat_wait_go();

	for (size_t p = 0; p < NPAGES; p++)
		for (size_t w = 0; w < PG / 4; w += 97) {
			uint32_t want = p % 3 ? 0 : pattern(p, w);

			if (big[p * PG / 4 + w] != want) {
				feat_fail("page %zu word %zu: %08x, expected %08x", p, w, big[p * PG / 4 + w], want);
				p = NPAGES;
				break;
			}
		}
	FEAT_CHECK(ro[5] == 0xabcdef01, "read-only page holds %08x", ro[5]);
	FEAT_CHECK(!strcmp(feat_map_perms(big, perms), "rw-p"), "big region has %s, expected rw-p", perms);
	FEAT_CHECK(!strcmp(feat_map_perms(ro, perms), "r--p"), "read-only region has %s, expected r--p", perms);
	FEAT_CHECK(!strcmp(feat_map_perms(none, perms), "---p"), "PROT_NONE region has %s, expected ---p", perms);
	if (mprotect(none, 4 * PG, PROT_READ))
		feat_fail("mprotect of the PROT_NONE region: %s", strerror(errno));
	else
		FEAT_CHECK(none[PG / 4 + 7] == 0x12345678, "PROT_NONE page holds %08x", none[PG / 4 + 7]);
	return feat_done();
}
