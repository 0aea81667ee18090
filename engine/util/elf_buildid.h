/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The GNU build-id of an ELF file (its NT_GNU_BUILD_ID note), read from an
 * fd with pread, for validating files by content (docs/images.md). The file
 * is untrusted: every offset and size is checked against the file's size and
 * the reader never allocates more than ELF_NOTES_MAX bytes.
 */
#ifndef CR_UTIL_ELF_BUILDID_H
#define CR_UTIL_ELF_BUILDID_H

#include <stddef.h>
#include <stdint.h>

#define ELF_BUILD_ID_MAX 64	    /* bytes; linkers make 16 (md5), 20 (sha1) or 32 */
#define ELF_NOTES_MAX	 (1u << 20) /* a PT_NOTE segment larger than this is not looked at */

/*
 * The build-id of the ELF file fd (size bytes long), copied into
 * ret_id[ELF_BUILD_ID_MAX] and its length into *ret_len. Returns 0, or
 * -ENOEXEC (not a little-endian ELF file), -ENODATA (an ELF file without a
 * build-id note), -EBADMSG (a malformed header, program header table or
 * note), or the -errno of a failed read; the out-parameters are untouched
 * on failure. Quiet.
 */
int elf_build_id(int fd, uint64_t size, uint8_t *ret_id, size_t *ret_len);

/* Hex of id into buf (at most size - 1 characters, then ".."). */
const char *elf_build_id_hex(const uint8_t *id, size_t len, char *buf, size_t size);

#endif
