/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The NT_GNU_BUILD_ID note of an ELF file, found through its program
 * headers (PT_NOTE segments), as the dynamic loader and the kernel see the
 * file. 32- and 64-bit little-endian files; everything read is checked
 * against the file's size before it is used.
 */
#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elf_buildid.h"
#include "fileio.h"

/* a file shorter than its headers say is a malformed ELF */
static int read_exact_elf(int fd, void *buf, size_t len, uint64_t off)
{
	int r = cr_pread_full(fd, buf, len, off);

	return r == -ENODATA ? -EBADMSG : r;
}

/* The fields of one program header that matter here, from either class. */
struct phdr {
	uint32_t type;
	uint64_t offset, filesz, align;
};

static int read_phdr(int fd, bool is64, uint64_t off, struct phdr *p)
{
	int r;

	if (is64) {
		Elf64_Phdr h;

		r = read_exact_elf(fd, &h, sizeof(h), off);
		if (r < 0)
			return r;
		*p = (struct phdr){h.p_type, h.p_offset, h.p_filesz, h.p_align};
	} else {
		Elf32_Phdr h;

		r = read_exact_elf(fd, &h, sizeof(h), off);
		if (r < 0)
			return r;
		*p = (struct phdr){h.p_type, h.p_offset, h.p_filesz, h.p_align};
	}
	return 0;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* Walks the notes of one segment: 0 with the id, -ENODATA without one, -EBADMSG. */
static int find_in_notes(const uint8_t *buf, uint64_t len, uint64_t align, uint8_t *ret_id, size_t *ret_len)
{
	uint64_t off = 0;

	while (len - off >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr n; /* the same three 32-bit words in both classes */
		uint64_t name_off, desc_off, name_pad, desc_pad;

		memcpy(&n, buf + off, sizeof(n));
		name_off = off + sizeof(n);
		/* the descriptor starts at the alignment after header and name (8: gnu.property's notes) */
		name_pad = align_up(sizeof(n) + (uint64_t)n.n_namesz, align) - sizeof(n);
		if (name_pad > len - name_off)
			return -EBADMSG;
		desc_off = name_off + name_pad;
		if (n.n_descsz > len - desc_off)
			return -EBADMSG;
		if (n.n_type == NT_GNU_BUILD_ID && n.n_namesz == 4 && !memcmp(buf + name_off, "GNU", 4)) {
			if (n.n_descsz == 0 || n.n_descsz > ELF_BUILD_ID_MAX)
				return -EBADMSG;
			memcpy(ret_id, buf + desc_off, n.n_descsz);
			*ret_len = n.n_descsz;
			return 0;
		}
		/* the last note's padding may be cut off by the segment's end */
		desc_pad = align_up(n.n_descsz, align);
		off = desc_pad > len - desc_off ? len : desc_off + desc_pad;
	}
	return -ENODATA;
}

static int notes_of(int fd, uint64_t size, const struct phdr *p, uint8_t *ret_id, size_t *ret_len)
{
	uint8_t *buf;
	int r;

	if (p->offset > size || p->filesz > size - p->offset)
		return -EBADMSG;
	if (p->filesz > ELF_NOTES_MAX)
		return -ENODATA;
	buf = malloc(p->filesz);
	if (!buf)
		return -ENOMEM;
	r = read_exact_elf(fd, buf, p->filesz, p->offset);
	if (r == 0)
		r = find_in_notes(buf, p->filesz, p->align == 8 ? 8 : 4, ret_id, ret_len);
	free(buf);
	return r;
}

int elf_build_id(int fd, uint64_t size, uint8_t *ret_id, size_t *ret_len)
{
	union {
		unsigned char ident[EI_NIDENT];
		Elf32_Ehdr h32;
		Elf64_Ehdr h64;
	} eh;
	uint64_t phoff, entsize, phnum, hdr;
	uint8_t id[ELF_BUILD_ID_MAX];
	size_t len = 0;
	bool is64;
	int r;

	if (size < sizeof(eh.h32))
		return -ENOEXEC;
	r = read_exact_elf(fd, &eh, size < sizeof(eh) ? sizeof(eh.h32) : sizeof(eh), 0);
	if (r < 0)
		return r;
	if (memcmp(eh.ident, ELFMAG, SELFMAG) || eh.ident[EI_DATA] != ELFDATA2LSB ||
	    (eh.ident[EI_CLASS] != ELFCLASS32 && eh.ident[EI_CLASS] != ELFCLASS64))
		return -ENOEXEC;
	is64 = eh.ident[EI_CLASS] == ELFCLASS64;
	if (is64 && size < sizeof(eh.h64))
		return -EBADMSG;
	phoff = is64 ? eh.h64.e_phoff : eh.h32.e_phoff;
	entsize = is64 ? eh.h64.e_phentsize : eh.h32.e_phentsize;
	phnum = is64 ? eh.h64.e_phnum : eh.h32.e_phnum;
	hdr = is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	/* PN_XNUM: the count is in section 0; such files carry no build-id we look for */
	if (phnum == 0 || phnum == PN_XNUM)
		return -ENODATA;
	if (entsize < hdr || phoff > size || phnum * entsize > size - phoff)
		return -EBADMSG;
	for (uint64_t i = 0; i < phnum; i++) {
		struct phdr p;

		r = read_phdr(fd, is64, phoff + i * entsize, &p);
		if (r < 0)
			return r;
		if (p.type != PT_NOTE || !p.filesz)
			continue;
		r = notes_of(fd, size, &p, id, &len);
		if (r == 0) {
			memcpy(ret_id, id, len);
			*ret_len = len;
			return 0;
		}
		if (r != -ENODATA)
			return r;
	}
	return -ENODATA;
}

const char *elf_build_id_hex(const uint8_t *id, size_t len, char *buf, size_t size)
{
	size_t o = 0;

	if (!size)
		return buf;
	buf[0] = '\0';
	for (size_t i = 0; i < len; i++) {
		/* room for this byte, and for ".." after it unless it is the last */
		if (o + 2 + (i + 1 < len ? 2 : 0) >= size) {
			if (o + 2 < size)
				memcpy(buf + o, "..", 3);
			break;
		}
		snprintf(buf + o, size - o, "%02x", id[i]);
		o += 2;
	}
	return buf;
}
