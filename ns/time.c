/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * time namespace. The dump keeps CLOCK_MONOTONIC and CLOCK_BOOTTIME as the
 * tree saw them; restore makes a new time ns whose offsets make them carry on
 * from there (time_namespaces(7): offsets are written to
 * /proc/self/timens_offsets after unshare(CLONE_NEWTIME), before any process
 * enters the namespace; only children enter it).
 */
#define LOG_PREFIX "timens: "
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/fsuid.h>
#include <time.h>
#include <unistd.h>

#include "images/ns.pb-c.h"
#include "log.h"
#include "ns_priv.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* The offsets of pid's time ns ("monotonic S NS" / "boottime S NS" lines); zero when absent. */
static int read_offsets(pid_t pid, int64_t *mono, int64_t *boot)
{
	char path[64], name[32];
	long long s, ns;
	FILE *f;

	*mono = *boot = 0;
	snprintf(path, sizeof(path), "/proc/%d/timens_offsets", pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (fscanf(f, "%31s %lld %lld", name, &s, &ns) == 3) {
		int64_t v = s * 1000000000ll + ns;

		if (!strcmp(name, "monotonic") || !strcmp(name, "1"))
			*mono = v;
		else if (!strcmp(name, "boottime") || !strcmp(name, "7"))
			*boot = v;
	}
	fclose(f);
	return 0;
}

int time_ns_dump(pid_t pid, struct img_dir *d)
{
	TimensEntry e = TIMENS_ENTRY__INIT;
	int64_t mono, boot;
	int r = read_offsets(pid, &mono, &boot);

	if (r < 0)
		return pr_err_ret(r, "pid %d: cannot read its time namespace offsets", pid);
	e.monotonic_ns = (uint64_t)(clock_ns(CLOCK_MONOTONIC) + mono);
	e.boottime_ns = (uint64_t)(clock_ns(CLOCK_BOOTTIME) + boot);
	return img_write_one(d, IMG_TIMENS, 0, &e.base);
}

static void split(int64_t v, long long *s, long long *ns)
{
	*s = v / 1000000000ll;
	*ns = v % 1000000000ll;
	if (*ns < 0) {
		*ns += 1000000000ll;
		*s -= 1;
	}
}

int time_ns_restore_new(struct img_dir *d)
{
	struct img_reader *rd = NULL;
	TimensEntry *e = NULL;
	long long ms, mns, bs, bns;
	char buf[128];
	int fd, len, r = img_open(d, IMG_TIMENS, 0, &rd);

	if (r < 0)
		return r;
	r = img_read_one(rd, &timens_entry__descriptor, (ProtobufCMessage **)&e);
	img_close(rd);
	if (r < 0)
		return r;
	if (unshare(CLONE_NEWTIME) < 0) {
		timens_entry__free_unpacked(e, NULL);
		return pr_perror_ret("cannot create a time namespace");
	}
	split((int64_t)e->monotonic_ns - clock_ns(CLOCK_MONOTONIC), &ms, &mns);
	split((int64_t)e->boottime_ns - clock_ns(CLOCK_BOOTTIME), &bs, &bns);
	timens_entry__free_unpacked(e, NULL);
	len = snprintf(buf, sizeof(buf), "monotonic %lld %lld\nboottime %lld %lld\n", ms, mns, bs, bns);
	{
		/* criu's own file: not opened with a non-root RPC caller's fs ids (swrk/server.c) */
		int old_fsuid = setfsuid(0);

		fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
		setfsuid((uid_t)old_fsuid);
	}
	if (fd < 0)
		return pr_perror_ret("cannot open /proc/self/timens_offsets");
	r = write(fd, buf, (size_t)len) == len ? 0 : pr_perror_ret("cannot set the time namespace offsets (%s)", buf);
	close(fd);
	if (r == 0)
		pr_info("new time namespace: monotonic %+lld.%09lld s, boottime %+lld.%09lld s\n", ms, mns, bs, bns);
	return r;
}
