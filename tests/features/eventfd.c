/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * eventfd: a semaphore one, non-blocking, with count 5; a plain blocking
 * one with a count above 32 bits. Checked after restore: flags, fdinfo,
 * what reads return.
 */
#include <stdint.h>
#include <sys/eventfd.h>

#include "feature.h"

static int fdinfo_has(int fd, const char *line)
{
	char path[64], buf[4096];
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY);
	if (f < 0)
		return 0;
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	buf[n > 0 ? n : 0] = '\0';
	return strstr(buf, line) != NULL;
}

int main(int argc, char **argv)
{
	uint64_t v = 5, big = 0x123456789ull;
	int sem, plain;

	feat_init(argc, argv);
	sem = eventfd(0, EFD_SEMAPHORE | EFD_NONBLOCK);
	plain = eventfd(0, 0);
	if (sem < 0 || plain < 0)
		feat_die("eventfd");
	if (write(sem, &v, sizeof(v)) != sizeof(v) || write(plain, &big, sizeof(big)) != sizeof(big))
		feat_die("write");
	feat_ready();
	feat_wait_go();

	FEAT_CHECK(fcntl(sem, F_GETFL) & O_NONBLOCK, "semaphore eventfd lost O_NONBLOCK");
	FEAT_CHECK(!(fcntl(plain, F_GETFL) & O_NONBLOCK), "plain eventfd became O_NONBLOCK");
	FEAT_CHECK(fdinfo_has(sem, "eventfd-semaphore: 1"), "semaphore eventfd lost EFD_SEMAPHORE");
	FEAT_CHECK(fdinfo_has(plain, "eventfd-semaphore: 0"), "plain eventfd became a semaphore");
	for (int i = 0; i < 5; i++) {
		v = 0;
		FEAT_CHECK(read(sem, &v, sizeof(v)) == sizeof(v) && v == 1, "semaphore read %d gave %llu", i,
			   (unsigned long long)v);
	}
	errno = 0;
	FEAT_CHECK(read(sem, &v, sizeof(v)) < 0 && errno == EAGAIN, "semaphore count was more than 5");
	v = 0;
	FEAT_CHECK(read(plain, &v, sizeof(v)) == sizeof(v) && v == big,
		   "plain eventfd count %#llx, want %#llx", (unsigned long long)v, (unsigned long long)big);
	return feat_done();
}
