/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The audit login uid (/proc/self/loginuid): the program sets its own to
 * 4242 (as root, with CAP_AUDIT_CONTROL); after restore it is 4242 again,
 * not the one criu had.
 */
#include "feature.h"

static long get_loginuid(void)
{
	char buf[16] = "";
	int fd = open("/proc/self/loginuid", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	return n > 0 ? strtol(buf, NULL, 10) : -1;
}

int main(int argc, char **argv)
{
	int fd;

	feat_init(argc, argv);
	fd = open("/proc/self/loginuid", O_WRONLY);
	if (fd < 0)
		feat_skip("no /proc/self/loginuid (no audit in this kernel)");
	if (write(fd, "4242", 4) != 4) {
		close(fd);
		feat_skip("the loginuid cannot be set here");
	}
	close(fd);

	feat_ready();
	feat_wait_go();

	FEAT_CHECK(get_loginuid() == 4242, "loginuid is %ld, not 4242", get_loginuid());
	return feat_done();
}
