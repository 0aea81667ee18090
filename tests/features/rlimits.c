/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Resource limits: odd soft/hard values, lower than the defaults, for many
 * resources (all below the usual hard limits: raising a hard limit would need
 * CAP_SYS_RESOURCE).
 */
#include <sys/resource.h>

#include "feature.h"

static const struct {
	int res;
	const char *name;
	rlim_t cur, max;
} lims[] = {
	{ RLIMIT_NOFILE, "NOFILE", 512, 1024 },
	{ RLIMIT_CORE, "CORE", 0, 0 }, /* the hard limit is unlimited by default */
	{ RLIMIT_STACK, "STACK", 4 << 20, 6 << 20 },
	{ RLIMIT_CPU, "CPU", 10007, 20011 },
	{ RLIMIT_FSIZE, "FSIZE", 1ULL << 40, (1ULL << 40) + 4096 },
	{ RLIMIT_NPROC, "NPROC", 2345, 3456 },
	{ RLIMIT_MEMLOCK, "MEMLOCK", 1234 * 4096, 1800 * 4096 },
	{ RLIMIT_MSGQUEUE, "MSGQUEUE", 100003, 200003 },
	{ RLIMIT_SIGPENDING, "SIGPENDING", 777, 888 },
	{ RLIMIT_LOCKS, "LOCKS", 999, 1000 },
	{ RLIMIT_RTTIME, "RTTIME", 5000000, 6000000 },
};

#define N (sizeof(lims) / sizeof(lims[0]))

int main(int argc, char **argv)
{
	struct rlimit before_as, before_data, r;

	feat_init(argc, argv);
	for (size_t i = 0; i < N; i++) {
		r.rlim_cur = lims[i].cur;
		r.rlim_max = lims[i].max;
		if (setrlimit(lims[i].res, &r))
			feat_die(lims[i].name);
	}
	getrlimit(RLIMIT_AS, &before_as);
	getrlimit(RLIMIT_DATA, &before_data);

	feat_ready();
	feat_wait_go();

	for (size_t i = 0; i < N; i++) {
		if (getrlimit(lims[i].res, &r)) {
			feat_fail("getrlimit %s: %s", lims[i].name, strerror(errno));
			continue;
		}
		FEAT_CHECK(r.rlim_cur == lims[i].cur && r.rlim_max == lims[i].max, "RLIMIT_%s %llu/%llu, expected %llu/%llu",
			   lims[i].name, (unsigned long long)r.rlim_cur, (unsigned long long)r.rlim_max,
			   (unsigned long long)lims[i].cur, (unsigned long long)lims[i].max);
	}
	getrlimit(RLIMIT_AS, &r);
	FEAT_CHECK(r.rlim_cur == before_as.rlim_cur && r.rlim_max == before_as.rlim_max, "RLIMIT_AS changed");
	getrlimit(RLIMIT_DATA, &r);
	FEAT_CHECK(r.rlim_cur == before_data.rlim_cur && r.rlim_max == before_data.rlim_max, "RLIMIT_DATA changed");
	/* the limit is enforced, not just reported */
	errno = 0;
	FEAT_CHECK(fcntl(0, F_DUPFD, 600) < 0 && errno == EINVAL, "F_DUPFD to 600 under RLIMIT_NOFILE 512: errno %d",
		   errno);
	return feat_done();
}
