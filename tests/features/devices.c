/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Character devices: /dev/null, /dev/zero, /dev/urandom, /dev/full at fixed fds, with their modes. */
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "feature.h"

static const struct {
	const char *path;
	int fd, flags, maj, min;
} devs[] = {
	{ "/dev/null", 20, O_WRONLY, 1, 3 },
	{ "/dev/zero", 21, O_RDONLY, 1, 5 },
	{ "/dev/urandom", 22, O_RDONLY | O_NONBLOCK, 1, 9 },
	{ "/dev/full", 23, O_RDWR | O_APPEND, 1, 7 },
};

int main(int argc, char **argv)
{
	unsigned char buf[64];

	feat_init(argc, argv);
	for (size_t i = 0; i < 4; i++) {
		int fd = open(devs[i].path, devs[i].flags);

		if (fd < 0 || dup2(fd, devs[i].fd) != devs[i].fd)
			feat_die(devs[i].path);
		close(fd);
	}
	fcntl(21, F_SETFD, FD_CLOEXEC);

	feat_ready();
	feat_wait_go();

	for (size_t i = 0; i < 4; i++) {
		struct stat st;
		int fl = fcntl(devs[i].fd, F_GETFL);

		if (fstat(devs[i].fd, &st)) {
			feat_fail("%s: fd %d not open", devs[i].path, devs[i].fd);
			continue;
		}
		FEAT_CHECK(S_ISCHR(st.st_mode) && major(st.st_rdev) == (unsigned)devs[i].maj &&
				   minor(st.st_rdev) == (unsigned)devs[i].min,
			   "fd %d: device %u:%u, expected %s %d:%d", devs[i].fd, major(st.st_rdev), minor(st.st_rdev),
			   devs[i].path, devs[i].maj, devs[i].min);
		FEAT_CHECK((fl & (O_ACCMODE | O_NONBLOCK | O_APPEND)) == devs[i].flags, "fd %d (%s): flags %#x, expected %#x",
			   devs[i].fd, devs[i].path, fl & (O_ACCMODE | O_NONBLOCK | O_APPEND), devs[i].flags);
	}
	FEAT_CHECK(fcntl(21, F_GETFD) == FD_CLOEXEC, "fd 21 FD_CLOEXEC lost");
	FEAT_CHECK(fcntl(20, F_GETFD) == 0, "fd 20 FD_CLOEXEC set");
	FEAT_CHECK(write(20, "x", 1) == 1, "/dev/null write");
	memset(buf, 0xff, sizeof(buf));
	FEAT_CHECK(read(21, buf, sizeof(buf)) == sizeof(buf) && buf[0] == 0 && buf[63] == 0, "/dev/zero read");
	memset(buf, 0, sizeof(buf));
	{
		int nz = 0;

		FEAT_CHECK(read(22, buf, sizeof(buf)) == sizeof(buf), "/dev/urandom read");
		for (size_t i = 0; i < sizeof(buf); i++)
			nz += buf[i] != 0;
		FEAT_CHECK(nz > 40, "/dev/urandom gave %d non-zero bytes of 64", nz);
	}
	errno = 0;
	FEAT_CHECK(write(23, "x", 1) < 0 && errno == ENOSPC, "/dev/full write: errno %d, expected ENOSPC", errno);
	return feat_done();
}
