/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzzes the ELF build-id reader (engine/util/elf_buildid.c) on files of any
 * content: the input is the file, given with its true size and with a size
 * larger than the file (one that shrank). Errors are expected; crashes,
 * reads out of bounds and leaks are not.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elf_buildid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	uint8_t id[ELF_BUILD_ID_MAX];
	char hex[2 * ELF_BUILD_ID_MAX + 1];
	size_t len = 0;

	if (fd < 0)
		fd = memfd_create("fuzz-elf", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		return 0;
	if (elf_build_id(fd, size, id, &len) == 0) {
		if (len == 0 || len > ELF_BUILD_ID_MAX)
			abort();
		elf_build_id_hex(id, len, hex, sizeof(hex));
	}
	elf_build_id(fd, (uint64_t)size + 4096, id, &len);
	return 0;
}
