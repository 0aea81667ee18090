/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * aio contexts (io_setup): an idle one of 8 events, and one of 200 events
 * where 70 one-byte writes to a pipe were submitted and 67 reaped, so that 3
 * completed events (data 67, 68, 69) wait in the ring. After restore: the
 * ring header (nr, head, tail) is as before, the 3 events are reaped with
 * their data and results, new requests complete, the idle context answers
 * (0 events, not EINVAL), and both are destroyed cleanly.
 */
#include <linux/aio_abi.h>
#include <sys/syscall.h>

#include "feature.h"

struct ring_head {
	unsigned int id, nr, head, tail;
};

static long submit(aio_context_t ctx, int fd, uint64_t data, char *buf)
{
	struct iocb cb = {.aio_data = data, .aio_lio_opcode = IOCB_CMD_PWRITE, .aio_fildes = (uint32_t)fd};
	struct iocb *p = &cb;

	cb.aio_buf = (uint64_t)(uintptr_t)buf;
	cb.aio_nbytes = 1;
	return syscall(SYS_io_submit, ctx, 1, &p);
}

int main(int argc, char **argv)
{
	aio_context_t idle = 0, ctx = 0;
	struct io_event ev[8];
	struct ring_head before, after;
	char buf[1] = {'x'};
	int p[2];
	long n;

	feat_init(argc, argv);
	if (syscall(SYS_io_setup, 8, &idle) || syscall(SYS_io_setup, 200, &ctx) || pipe(p))
		feat_die("io_setup");
	for (uint64_t i = 0; i < 70; i++) {
		if (submit(ctx, p[1], i, buf) != 1)
			feat_die("io_submit");
		if (i < 67 && syscall(SYS_io_getevents, ctx, 1, 1, ev, NULL) != 1)
			feat_die("io_getevents");
	}
	memcpy(&before, (void *)ctx, sizeof(before));

	feat_ready();
	feat_wait_go();

	memcpy(&after, (void *)ctx, sizeof(after));
	FEAT_CHECK(after.nr == before.nr && after.head == before.head && after.tail == before.tail,
		   "ring nr/head/tail %u/%u/%u, were %u/%u/%u", after.nr, after.head, after.tail, before.nr,
		   before.head, before.tail);
	n = syscall(SYS_io_getevents, ctx, 0, 8, ev, NULL);
	FEAT_CHECK(n == 3, "%ld events waiting, expected 3 (%s)", n, n < 0 ? strerror(errno) : "");
	for (long i = 0; i < n && i < 3; i++)
		FEAT_CHECK(ev[i].data == (uint64_t)(67 + i) && ev[i].res == 1,
			   "event %ld: data %llu res %lld", i, (unsigned long long)ev[i].data,
			   (long long)ev[i].res);
	FEAT_CHECK(submit(ctx, p[1], 1000, buf) == 1, "io_submit after restore: %s", strerror(errno));
	n = syscall(SYS_io_getevents, ctx, 1, 1, ev, NULL);
	FEAT_CHECK(n == 1 && ev[0].data == 1000, "the new request: %ld events, data %llu", n,
		   (unsigned long long)ev[0].data);
	FEAT_CHECK(syscall(SYS_io_getevents, idle, 0, 1, ev, NULL) == 0, "the idle context: %s",
		   strerror(errno));
	FEAT_CHECK(syscall(SYS_io_destroy, idle) == 0 && syscall(SYS_io_destroy, ctx) == 0, "io_destroy: %s",
		   strerror(errno));
	return feat_done();
}
