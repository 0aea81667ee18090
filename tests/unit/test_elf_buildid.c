/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The ELF build-id reader (engine/util/elf_buildid.c): real files compared
 * with readelf -n, a non-ELF file, truncated copies and hand-made hostile
 * files whose offsets and sizes point out of the file.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf_buildid.h"
#include "t.h"

static int memfile(const void *data, size_t len)
{
	int fd = memfd_create("elf", MFD_CLOEXEC);

	if (fd >= 0 && write(fd, data, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The build-id of the file at path as readelf -n prints it, or "" without readelf. */
static void readelf_id(const char *path, char *out, size_t size)
{
	char cmd[512];
	FILE *p;

	out[0] = '\0';
	snprintf(cmd, sizeof(cmd), "readelf -n '%s' 2>/dev/null | sed -n 's/^ *Build ID: *//p' | head -n 1",
		 path);
	p = popen(cmd, "r");
	if (!p)
		return;
	if (fgets(out, (int)size, p))
		out[strcspn(out, "\n")] = '\0';
	pclose(p);
}

static int id_of_path(const char *path, char *hex, size_t size)
{
	uint8_t id[ELF_BUILD_ID_MAX];
	size_t len = 0;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return -errno;
	}
	r = elf_build_id(fd, (uint64_t)st.st_size, id, &len);
	close(fd);
	if (r == 0)
		elf_build_id_hex(id, len, hex, size);
	return r;
}

static void test_real_files(void)
{
	const char *files[] = {"/proc/self/exe", "/bin/true", "/lib64/ld-linux-x86-64.so.2"};
	char want[256], got[256];
	int compared = 0;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[256];
		ssize_t n = readlink(files[i], path, sizeof(path) - 1);

		if (n > 0)
			path[n] = '\0';
		else
			snprintf(path, sizeof(path), "%s", files[i]);
		readelf_id(path, want, sizeof(want));
		if (!want[0])
			continue;
		CHECK_EQ_INT(id_of_path(path, got, sizeof(got)), 0);
		CHECK_EQ_STR(got, want);
		compared++;
	}
	if (!compared)
		T_SKIP("readelf (binutils) is not installed or finds no build-id");
}

static void test_not_elf(void)
{
	static const char text[] =
		"#!/bin/sh\necho this is not an ELF file, but it is long enough to be one\n";
	uint8_t id[ELF_BUILD_ID_MAX];
	size_t len = 99;
	int fd = memfile(text, sizeof(text));

	CHECK(fd >= 0);
	CHECK_EQ_INT(elf_build_id(fd, sizeof(text), id, &len), -ENOEXEC);
	CHECK_EQ_INT(len, 99); /* untouched on failure */
	CHECK_EQ_INT(elf_build_id(fd, 3, id, &len), -ENOEXEC);
	CHECK_EQ_INT(elf_build_id(fd, 0, id, &len), -ENOEXEC);
	close(fd);
}

/* Every prefix length of a real ELF file up to its notes: an error, never a crash or a wrong id. */
static void test_truncated(void)
{
	uint8_t buf[16384], id[ELF_BUILD_ID_MAX];
	int src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	ssize_t n = src >= 0 ? read(src, buf, sizeof(buf)) : -1;

	if (src >= 0)
		close(src);
	CHECK(n > 1024);
	if (n <= 1024)
		return;
	for (size_t cut = 0; cut < (size_t)n; cut += cut < 128 ? 1 : 61) {
		int fd = memfile(buf, cut), r;
		size_t len = 0;

		CHECK(fd >= 0);
		r = elf_build_id(fd, cut, id, &len);
		if (r != -ENOEXEC && r != -EBADMSG && r != -ENODATA && r != 0)
			T_FAILF("prefix of %zu bytes: %d", cut, r);
		/* a size larger than the file (it shrank since): a short read is malformed */
		r = elf_build_id(fd, (uint64_t)n, id, &len);
		if (r != -ENOEXEC && r != -EBADMSG && r != -ENODATA && r != 0)
			T_FAILF("prefix of %zu bytes, said to be %zd: %d", cut, n, r);
		close(fd);
	}
}

/* A 64-bit ELF file: header, one PT_NOTE program header, one note. */
struct elf64_note_file {
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	Elf64_Nhdr nh;
	char name[4];
	uint8_t desc[20];
} __attribute__((packed));

static void make64(struct elf64_note_file *f)
{
	memset(f, 0, sizeof(*f));
	memcpy(f->eh.e_ident, ELFMAG, SELFMAG);
	f->eh.e_ident[EI_CLASS] = ELFCLASS64;
	f->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	f->eh.e_ident[EI_VERSION] = EV_CURRENT;
	f->eh.e_type = ET_DYN;
	f->eh.e_machine = EM_X86_64;
	f->eh.e_phoff = offsetof(struct elf64_note_file, ph);
	f->eh.e_phentsize = sizeof(Elf64_Phdr);
	f->eh.e_phnum = 1;
	f->ph.p_type = PT_NOTE;
	f->ph.p_offset = offsetof(struct elf64_note_file, nh);
	f->ph.p_filesz = sizeof(f->nh) + sizeof(f->name) + sizeof(f->desc);
	f->ph.p_align = 4;
	f->nh.n_namesz = 4;
	f->nh.n_descsz = sizeof(f->desc);
	f->nh.n_type = NT_GNU_BUILD_ID;
	memcpy(f->name, "GNU", 4);
	for (size_t i = 0; i < sizeof(f->desc); i++)
		f->desc[i] = (uint8_t)(0xa0 + i);
}

static int id64(const struct elf64_note_file *f, char *hex, size_t size)
{
	uint8_t id[ELF_BUILD_ID_MAX];
	size_t len = 0;
	int fd = memfile(f, sizeof(*f)), r;

	if (fd < 0)
		return -EIO;
	r = elf_build_id(fd, sizeof(*f), id, &len);
	close(fd);
	if (r == 0)
		elf_build_id_hex(id, len, hex, size);
	return r;
}

static void test_crafted_valid(void)
{
	struct elf64_note_file f;
	char hex[128];

	make64(&f);
	CHECK_EQ_INT(id64(&f, hex, sizeof(hex)), 0);
	CHECK_EQ_STR(hex, "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3");
	/* another note type first would be skipped; a note of another owner is not a build-id */
	memcpy(f.name, "XYZ", 4);
	CHECK_EQ_INT(id64(&f, hex, sizeof(hex)), -ENODATA);
	make64(&f);
	f.ph.p_type = PT_LOAD;
	CHECK_EQ_INT(id64(&f, hex, sizeof(hex)), -ENODATA);
	make64(&f);
	f.eh.e_ident[EI_DATA] = ELFDATA2MSB;
	CHECK_EQ_INT(id64(&f, hex, sizeof(hex)), -ENOEXEC);
}

static void test_hostile(void)
{
	struct elf64_note_file f;
	char hex[128];

	make64(&f);
	f.eh.e_phoff = UINT64_MAX - 8; /* program headers past the end, with wrap-around */
	CHECK_EQ_INT(id64(&f, hex, sizeof(hex)), -EBADMSG);
	make64(&f);
	f.eh.e_phnum = 0xfffe; /* more headers than the file holds */
	CHECK_EQ_INT(id64(&f, hex, sizeof(hex)), -EBADMSG);
	make64(&f);
	f.eh.e_phentsize = 8; /* smaller than a program header */
	CHECK_EQ_INT(id64(&f, hex, sizeof(hex)), -EBADMSG);
	make64(&f);
	f.ph.p_offset = 1u << 30; /* the note segment out of the file */
	CHECK_EQ_INT(id64(&f, hex, sizeof(hex)), -EBADMSG);
	make64(&f);
	f.ph.p_offset = UINT64_MAX - 4;
	CHECK_EQ_INT(id64(&f, hex, sizeof(hex)), -EBADMSG);
	make64(&f);
	f.ph.p_filesz = UINT64_MAX; /* a segment size that wraps */
	CHECK_EQ_INT(id64(&f, hex, sizeof(hex)), -EBADMSG);
	make64(&f);
	f.nh.n_namesz = UINT32_MAX; /* a name running past the segment */
	CHECK_EQ_INT(id64(&f, hex, sizeof(hex)), -EBADMSG);
	make64(&f);
	f.nh.n_descsz = UINT32_MAX - 2; /* a descriptor running past the segment */
	CHECK_EQ_INT(id64(&f, hex, sizeof(hex)), -EBADMSG);
	make64(&f);
	f.nh.n_descsz = 0; /* an empty build-id is no build-id */
	f.ph.p_filesz = sizeof(f.nh) + sizeof(f.name);
	CHECK_EQ_INT(id64(&f, hex, sizeof(hex)), -EBADMSG);
	make64(&f);
	f.eh.e_ident[EI_CLASS] = 7; /* neither 32 nor 64 bits */
	CHECK_EQ_INT(id64(&f, hex, sizeof(hex)), -ENOEXEC);
	make64(&f);
	f.ph.p_align = 8; /* 8-aligned notes: header and "GNU" end 8-aligned, the id is where it was */
	CHECK_EQ_INT(id64(&f, hex, sizeof(hex)), 0);
	make64(&f);
	f.nh.n_namesz = 5; /* 8-aligned: the name pads to 16 bytes, the 20-byte id no longer fits */
	f.ph.p_align = 8;
	CHECK_EQ_INT(id64(&f, hex, sizeof(hex)), -EBADMSG);
}

static void test_hex(void)
{
	const uint8_t id[4] = {0x1a, 0x2b, 0x3c, 0x4d};
	char buf[16], small[6];

	CHECK_EQ_STR(elf_build_id_hex(id, 4, buf, sizeof(buf)), "1a2b3c4d");
	CHECK_EQ_STR(elf_build_id_hex(id, 4, small, sizeof(small)), "1a..");
	CHECK_EQ_STR(elf_build_id_hex(id, 0, buf, sizeof(buf)), "");
}

int main(void)
{
	t_run("elf_buildid_real_files", test_real_files);
	t_run("elf_buildid_not_elf", test_not_elf);
	t_run("elf_buildid_truncated", test_truncated);
	t_run("elf_buildid_crafted", test_crafted_valid);
	t_run("elf_buildid_hostile", test_hostile);
	t_run("elf_buildid_hex", test_hex);
	return t_done();
}
