/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * net namespace. Only --empty-ns net so far (runc's default): a new namespace
 * with nothing but the loopback, up; the runtime sets up the rest from its
 * setup-namespaces hook. Links, addresses and routes (libnl-3) are to come.
 */
#define LOG_PREFIX "net: "
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "ns_priv.h"

int net_ns_restore_empty(void)
{
	struct ifreq ifr;
	int fd, r = 0;

	if (unshare(CLONE_NEWNET) < 0)
		return pr_perror_ret("cannot create a net namespace");
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return pr_perror_ret("new net namespace: socket");
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		r = pr_perror_ret("new net namespace: lo flags");
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (r == 0 && ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		r = pr_perror_ret("new net namespace: cannot bring lo up");
	close(fd);
	if (r == 0)
		pr_info("new empty net namespace, lo up\n");
	return r;
}
