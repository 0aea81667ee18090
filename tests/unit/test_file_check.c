/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Files checked by content, not by inode (engine/files/file_check.c): what
 * the dump records of a file and what the restore says when the file at the
 * path differs (size, build-id, mode, type), in both --file-validation modes.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_check.h"
#include "t.h"

static char dir[] = "/tmp/test_file_check.XXXXXX";

static void put(const char *name, const void *data, size_t len, mode_t mode)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len)
		T_FAILF("cannot write %s", path);
	if (fd >= 0)
		close(fd);
	chmod(path, mode);
}

static int open_in(const char *name, int flags)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return open(path, flags | O_CLOEXEC);
}

/* ident of name (opened with flags) into ret, its build-id into id */
static void ident(const char *name, int flags, uint8_t *id, struct file_ident *ret)
{
	struct stat st;
	int fd = open_in(name, flags);

	CHECK(fd >= 0 && fstat(fd, &st) == 0);
	if (fd >= 0)
		file_ident_read(fd, &st, id, ret);
	if (fd >= 0)
		close(fd);
}

static int check(const char *name, const struct file_check_opts *o, const struct file_ident *want, char *why,
		 size_t size)
{
	int fd = open_in(name, O_RDONLY), r;

	if (fd < 0)
		return -errno;
	why[0] = '\0';
	r = file_check(o, fd, want, why, size);
	close(fd);
	return r;
}

/* A 64-bit ELF file with one GNU build-id note of 20 bytes, each byte + seed. */
static void elf_file(const char *name, uint8_t seed, mode_t mode)
{
	struct {
		Elf64_Ehdr eh;
		Elf64_Phdr ph;
		Elf64_Nhdr nh;
		char name[4];
		uint8_t desc[20];
	} __attribute__((packed)) f;

	memset(&f, 0, sizeof(f));
	memcpy(f.eh.e_ident, ELFMAG, SELFMAG);
	f.eh.e_ident[EI_CLASS] = ELFCLASS64;
	f.eh.e_ident[EI_DATA] = ELFDATA2LSB;
	f.eh.e_phoff = offsetof(__typeof__(f), ph);
	f.eh.e_phentsize = sizeof(Elf64_Phdr);
	f.eh.e_phnum = 1;
	f.ph.p_type = PT_NOTE;
	f.ph.p_offset = offsetof(__typeof__(f), nh);
	f.ph.p_filesz = sizeof(f.nh) + sizeof(f.name) + sizeof(f.desc);
	f.ph.p_align = 4;
	f.nh.n_namesz = 4;
	f.nh.n_descsz = sizeof(f.desc);
	f.nh.n_type = NT_GNU_BUILD_ID;
	memcpy(f.name, "GNU", 4);
	for (size_t i = 0; i < sizeof(f.desc); i++)
		f.desc[i] = (uint8_t)(seed + i);
	put(name, &f, sizeof(f), mode);
}

static void test_plain_file(void)
{
	const struct file_check_opts buildid = { 0 }, filesize = { .by_size = true };
	uint8_t id[ELF_BUILD_ID_MAX];
	struct file_ident want;
	char why[256];

	put("data", "hello", 5, 0644);
	ident("data", O_RDONLY, id, &want);
	CHECK(want.has_size && want.has_mode && !want.build_id);
	CHECK_EQ_INT(want.size, 5);
	CHECK_EQ_INT(check("data", &buildid, &want, why, sizeof(why)), 0);
	put("data", "hello!", 6, 0644); /* another inode too: put() unlinks first */
	CHECK_EQ_INT(check("data", &buildid, &want, why, sizeof(why)), -ESTALE);
	CHECK_EQ_STR(why, "size 5 at dump, 6 now");
	CHECK_EQ_INT(check("data", &filesize, &want, why, sizeof(why)), -ESTALE);
	put("data", "world", 5, 0644); /* other contents, same size, no build-id: accepted */
	CHECK_EQ_INT(check("data", &buildid, &want, why, sizeof(why)), 0);
}

static void test_build_id(void)
{
	const struct file_check_opts buildid = { 0 }, filesize = { .by_size = true };
	uint8_t id[ELF_BUILD_ID_MAX];
	struct file_ident want;
	char why[256];

	elf_file("lib", 0xa0, 0755);
	/* a write-only fd is not read: a new open would be seen (leases, fanotify); by type and mode only */
	ident("lib", O_WRONLY, id, &want);
	CHECK(want.build_id == NULL);
	ident("lib", O_RDONLY, id, &want);
	CHECK(want.build_id != NULL);
	CHECK_EQ_INT(want.build_id_len, 20);
	CHECK_EQ_INT(check("lib", &buildid, &want, why, sizeof(why)), 0);
	elf_file("lib", 0x10, 0755);
	CHECK_EQ_INT(check("lib", &buildid, &want, why, sizeof(why)), -ESTALE);
	CHECK_EQ_STR(why, "build-id a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3 at dump, "
			  "101112131415161718191a1b1c1d1e1f20212223 now");
	CHECK_EQ_INT(check("lib", &filesize, &want, why, sizeof(why)), 0); /* same size */
	put("lib", "#!/bin/sh\n", 10, 0755);
	CHECK_EQ_INT(check("lib", &buildid, &want, why, sizeof(why)), -ESTALE);
	CHECK_EQ_STR(why, "build-id a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3 at dump, none now");
}

static void test_mode_and_type(void)
{
	const struct file_check_opts strict = { 0 }, skip = { .skip_rwx = true };
	uint8_t id[ELF_BUILD_ID_MAX];
	struct file_ident want;
	char why[256], path[128];
	int fd;

	put("mode", "x", 1, 0755);
	ident("mode", O_RDONLY, id, &want);
	put("mode", "x", 1, 0644);
	CHECK_EQ_INT(check("mode", &strict, &want, why, sizeof(why)), -ESTALE);
	CHECK(strstr(why, "mode 0755 at dump, 0644 now") != NULL);
	CHECK_EQ_INT(check("mode", &skip, &want, why, sizeof(why)), 0);
	/* the type counts even without the rwx check */
	snprintf(path, sizeof(path), "%s/mode", dir);
	unlink(path);
	CHECK_EQ_INT(mkdir(path, 0755), 0);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(fd >= 0);
	CHECK_EQ_INT(file_check(&skip, fd, &want, why, sizeof(why)), -ESTALE);
	CHECK_EQ_STR(why, "a regular file at dump, a directory now");
	if (fd >= 0)
		close(fd);
	rmdir(path);
	/* an image without the fields checks nothing */
	want = (struct file_ident){ 0 };
	put("mode", "longer now", 10, 0600);
	CHECK_EQ_INT(check("mode", &strict, &want, why, sizeof(why)), 0);
}

static void test_open_in_task_root(void)
{
	int fd = file_open_in_task_root(getpid(), "/../../../etc/../tmp", O_PATH | O_DIRECTORY);
	struct stat a, b;

	CHECK(fd >= 0);
	if (fd >= 0) {
		CHECK(fstat(fd, &a) == 0 && stat("/tmp", &b) == 0 && a.st_ino == b.st_ino);
		close(fd);
	}
	/* magic links are refused: /proc/self/root would leave the root */
	CHECK_EQ_INT(file_open_in_task_root(getpid(), "/proc/self/root/etc", O_PATH), -ELOOP);
	CHECK_EQ_INT(file_open_in_task_root(getpid(), "/no/such/file", O_PATH), -ENOENT);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	t_run("file_check_plain_file", test_plain_file);
	t_run("file_check_build_id", test_build_id);
	t_run("file_check_mode_and_type", test_mode_and_type);
	t_run("file_check_open_in_task_root", test_open_in_task_root);
	for (const char *n = "data\0lib\0mode\0"; *n; n += strlen(n) + 1) {
		char path[128];

		snprintf(path, sizeof(path), "%s/%s", dir, n);
		unlink(path);
	}
	rmdir(dir);
	return t_done();
}
