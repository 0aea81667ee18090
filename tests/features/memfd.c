/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * memfd:
 *   m1 "fdk-sealed": 10000 bytes, sealed SHRINK|GROW|WRITE|SEAL;
 *   m2 "fdk-shared": 8 KiB, also mapped MAP_SHARED, sealed SHRINK|GROW;
 *   m3 "fdk-plain": made without MFD_ALLOW_SEALING (reads as F_SEAL_SEAL).
 * Checked after restore: names, contents, seals (and that they hold), and
 * that m2's fd and mapping are still one object.
 */
#include <sys/mman.h>

#include "feature.h"

static char pat(int i)
{
	return (char)(i * 13 + 1);
}

static int name_is(int fd, const char *want)
{
	char path[64], link[256];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	return !strcmp(link, want);
}

int main(int argc, char **argv)
{
	static char buf[10000];
	int m1, m2, m3, ok = 1;
	char *map;

	feat_init(argc, argv);
	m1 = memfd_create("fdk-sealed", MFD_ALLOW_SEALING);
	m2 = memfd_create("fdk-shared", MFD_ALLOW_SEALING);
	m3 = memfd_create("fdk-plain", 0);
	if (m1 < 0 || m2 < 0 || m3 < 0)
		feat_die("memfd_create");
	for (int i = 0; i < 10000; i++)
		buf[i] = pat(i);
	if (write(m1, buf, 10000) != 10000 || write(m3, "plain", 5) != 5 || ftruncate(m2, 8192))
		feat_die("fill");
	if (fcntl(m1, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL))
		feat_die("seal m1");
	map = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, m2, 0);
	if (map == MAP_FAILED)
		feat_die("mmap");
	memcpy(map, "through the mapping", 19);
	if (fcntl(m2, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW))
		feat_die("seal m2");
	lseek(m1, 1234, SEEK_SET);
	feat_ready();
	feat_wait_go();

	FEAT_CHECK(name_is(m1, "/memfd:fdk-sealed (deleted)"), "m1 name differs");
	FEAT_CHECK(name_is(m2, "/memfd:fdk-shared (deleted)"), "m2 name differs");
	FEAT_CHECK(name_is(m3, "/memfd:fdk-plain (deleted)"), "m3 name differs");
	FEAT_CHECK(fcntl(m1, F_GET_SEALS) == (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL),
		   "m1 seals %#x", fcntl(m1, F_GET_SEALS));
	FEAT_CHECK(fcntl(m2, F_GET_SEALS) == (F_SEAL_SHRINK | F_SEAL_GROW), "m2 seals %#x",
		   fcntl(m2, F_GET_SEALS));
	FEAT_CHECK(fcntl(m3, F_GET_SEALS) == F_SEAL_SEAL, "m3 seals %#x", fcntl(m3, F_GET_SEALS));
	FEAT_CHECK(lseek(m1, 0, SEEK_CUR) == 1234, "m1 offset %lld", (long long)lseek(m1, 0, SEEK_CUR));
	memset(buf, 0, sizeof(buf));
	FEAT_CHECK(pread(m1, buf, sizeof(buf), 0) == 10000, "m1 size differs");
	for (int i = 0; i < 10000 && ok; i++)
		ok = buf[i] == pat(i);
	FEAT_CHECK(ok, "m1 contents differ");
	errno = 0;
	FEAT_CHECK(pwrite(m1, "x", 1, 0) < 0 && errno == EPERM, "m1 can be written (F_SEAL_WRITE lost)");
	FEAT_CHECK(ftruncate(m2, 4096) < 0 && errno == EPERM, "m2 can shrink (F_SEAL_SHRINK lost)");
	FEAT_CHECK(!memcmp(map, "through the mapping", 19), "m2 mapping contents differ");
	memset(buf, 0, 32);
	FEAT_CHECK(pread(m2, buf, 19, 0) == 19 && !memcmp(buf, "through the mapping", 19),
		   "m2 fd does not see the mapping's data");
	FEAT_CHECK(pwrite(m2, "via fd", 6, 100) == 6 && !memcmp(map + 100, "via fd", 6),
		   "m2 fd and mapping are two objects now");
	memset(buf, 0, 32);
	FEAT_CHECK(pread(m3, buf, 32, 0) == 5 && !memcmp(buf, "plain", 5), "m3 contents differ");
	return feat_done();
}
