/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The tree's own uts and ipc namespaces (the program unshares them itself):
 * hostname, domainname and ipc sysctls come back, in new namespaces; every
 * tree is restored into a new time namespace whose monotonic clock carries on.
 */
#include <sched.h>
#include <sys/stat.h>
#include <time.h>

#include "feature.h"

static const char *const sysctls[][2] = {
	{ "/proc/sys/kernel/shmmni", "1234" },
	{ "/proc/sys/kernel/msgmnb", "23456" },
	{ "/proc/sys/kernel/sem", "251\t32000\t33\t129" },
	{ "/proc/sys/fs/mqueue/msg_max", "77" },
};

static unsigned long ns_ino(const char *pid, const char *kind)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%s/ns/%s", pid, kind);
	return stat(path, &st) ? 0 : (unsigned long)st.st_ino;
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ll + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	char buf[256];
	long long m0, m1;
	size_t i;

	feat_init(argc, argv);
	if (unshare(CLONE_NEWUTS | CLONE_NEWIPC) < 0)
		feat_die("unshare(CLONE_NEWUTS|CLONE_NEWIPC)");
	if (sethostname("feat-ns-host", 12) < 0 || setdomainname("feat.domain", 11) < 0)
		feat_die("sethostname");
	for (i = 0; i < sizeof(sysctls) / sizeof(sysctls[0]); i++) {
		int fd = open(sysctls[i][0], O_WRONLY);

		if (fd < 0 || write(fd, sysctls[i][1], strlen(sysctls[i][1])) < 0)
			feat_die(sysctls[i][0]);
		close(fd);
	}
	m0 = mono_ms();
	feat_ready();
	feat_wait_go();
	m1 = mono_ms();

	gethostname(buf, sizeof(buf));
	FEAT_CHECK(!strcmp(buf, "feat-ns-host"), "hostname %s, want feat-ns-host", buf);
	getdomainname(buf, sizeof(buf));
	FEAT_CHECK(!strcmp(buf, "feat.domain"), "domainname %s, want feat.domain", buf);
	for (i = 0; i < sizeof(sysctls) / sizeof(sysctls[0]); i++) {
		ssize_t n = feat_read_file(sysctls[i][0], buf, sizeof(buf));

		while (n > 0 && buf[n - 1] == '\n')
			buf[--n] = 0;
		FEAT_CHECK(n >= 0 && !strcmp(buf, sysctls[i][1]), "%s is %s, want %s", sysctls[i][0], buf,
			   sysctls[i][1]);
	}
	FEAT_CHECK(ns_ino("self", "uts") != ns_ino("1", "uts"), "the uts namespace is the host's");
	FEAT_CHECK(ns_ino("self", "ipc") != ns_ino("1", "ipc"), "the ipc namespace is the host's");
	FEAT_CHECK(ns_ino("self", "time") != ns_ino("1", "time"), "not in a new time namespace");
	/* the tree was gone between dump and restore: its monotonic clock did not see that */
	FEAT_CHECK(m1 >= m0 && m1 - m0 < 3000, "CLOCK_MONOTONIC went from %lld to %lld ms", m0, m1);
	return feat_done();
}
