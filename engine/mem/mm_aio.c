/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * aio rings (io_setup). The context id a task holds is the address of its
 * ring, so restore makes a ring of the same size with io_setup() wherever
 * the kernel puts it and moves it home with mremap (the context follows its
 * ring). The kernel writes the tail as requests complete and reads the head
 * the task moves: the tail is brought to where it was by requests that
 * complete at once (0-byte writes to a pipe of criu's), which are reaped;
 * then the dumped events and head are written back, and the events the task
 * had not reaped yet are there again, holding their requests as before.
 */
#define LOG_PREFIX "mm: "
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/aio_abi.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "log.h"
#include "mm_priv.h"

#define AIO_BATCH 64

/*
 * io_setup(pages * 64 - 2) makes a ring of that many pages (the kernel doubles the number, adds two
 * events and the header), unless its floor of 4 events per possible CPU is above: then the ring is
 * larger, and refused.
 */
static unsigned long setup_arg(uint64_t len)
{
	return (unsigned long)(len / 4096) * 64 - 2;
}

/* n requests that complete at once: 0-byte writes to the pipe end wfd, submitted and reaped. */
static int complete_some(struct infect_ctl *c, uint64_t ctx, long wfd, unsigned int n)
{
	uint64_t ptrs = c->scratch + 64, iocbs = c->scratch + 4096,
		 events = iocbs + AIO_BATCH * sizeof(struct iocb);
	uint64_t p[AIO_BATCH];
	struct iocb cb[AIO_BATCH];
	long ret;
	int r;

	memset(cb, 0, sizeof(cb));
	for (unsigned int i = 0; i < n; i++) {
		cb[i].aio_lio_opcode = IOCB_CMD_PWRITE;
		cb[i].aio_fildes = (uint32_t)wfd;
		p[i] = iocbs + i * sizeof(struct iocb);
	}
	r = infect_write(c->tid, iocbs, cb, n * sizeof(cb[0]));
	if (r == 0)
		r = infect_write(c->tid, ptrs, p, n * sizeof(p[0]));
	if (r == 0)
		r = mm_rsys(c, &ret, "io_submit", SYS_io_submit, ctx, n, ptrs, 0, 0, 0);
	if (r == 0 && ret != (long)n)
		r = pr_err_ret(-EIO, "pid %d: io_submit took %ld of %u requests", c->tid, ret, n);
	if (r == 0)
		r = mm_rsys(c, &ret, "io_getevents", SYS_io_getevents, ctx, n, n, events, 0, 0);
	if (r == 0 && ret != (long)n)
		r = pr_err_ret(-EIO, "pid %d: io_getevents reaped %ld of %u requests", c->tid, ret, n);
	return r;
}

static int advance_tail(struct infect_ctl *c, uint64_t ctx, unsigned int tail)
{
	int fds[2] = {-1, -1};
	long ret;
	int r = mm_rsys(c, &ret, "pipe2", SYS_pipe2, c->scratch, O_CLOEXEC, 0, 0, 0, 0);

	if (r == 0)
		r = infect_read(c->tid, c->scratch, fds, sizeof(fds));
	for (unsigned int done = 0; r == 0 && done < tail;) {
		unsigned int n = tail - done < AIO_BATCH ? tail - done : AIO_BATCH;

		r = complete_some(c, ctx, fds[1], n);
		done += n;
	}
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0 && mm_remote_close(c, fds[i]) < 0 && r == 0)
			r = -EIO;
	return r;
}

int mm_aio_ring_restore(struct infect_ctl *c, const VmaEntry *v)
{
	uint64_t len = v->end - v->start, ctx = 0;
	struct aio_ring_head want, got;
	long ret;
	int r;

	memcpy(&want, v->aio_ring.data, sizeof(want));
	if (want.magic != AIO_RING_MAGIC || !want.nr || want.head >= want.nr || want.tail >= want.nr ||
	    sizeof(want) + (uint64_t)want.nr * AIO_EVENT_SIZE > len)
		return pr_err_ret(-EBADMSG, "pid %d: the aio ring at %#" PRIx64 " in the image is malformed",
				  c->tid, v->start);
	r = infect_write(c->tid, c->scratch, &ctx, sizeof(ctx)); /* io_setup wants it 0 */
	if (r == 0)
		r = mm_rsys(c, &ret, "io_setup", SYS_io_setup, setup_arg(len), c->scratch, 0, 0, 0, 0);
	if (r == 0)
		r = infect_read(c->tid, c->scratch, &ctx, sizeof(ctx));
	if (r == 0 && ctx != v->start) {
		r = mm_rsys(c, &ret, "mremap (aio ring)", SYS_mremap, ctx, len, len,
			    MREMAP_MAYMOVE | MREMAP_FIXED, v->start, 0);
		if (r == 0 && (uint64_t)ret != v->start)
			r = pr_err_ret(-EFAULT, "pid %d: the aio ring went to %#lx", c->tid, ret);
	}
	if (r == 0)
		r = infect_read(c->tid, v->start, &got, sizeof(got));
	if (r < 0)
		return pr_err_ret(r, "pid %d: cannot make the aio ring at %#" PRIx64 " again", c->tid,
				  v->start);
	if (got.nr != want.nr)
		return pr_err_ret(-EOPNOTSUPP,
				  "pid %d: the aio ring at %#" PRIx64
				  " held %u events; this kernel made one of %u "
				  "(more CPUs than the dump's host?)",
				  c->tid, v->start, want.nr, got.nr);
	r = advance_tail(c, v->start, want.tail);
	if (r == 0)
		r = infect_write(c->tid, v->start + sizeof(want), v->aio_ring.data + sizeof(want),
				 len - sizeof(want));
	if (r == 0)
		r = infect_write(c->tid, v->start + offsetof(struct aio_ring_head, head), &want.head,
				 sizeof(want.head));
	if (r == 0)
		r = infect_read(c->tid, v->start, &got, sizeof(got));
	if (r == 0 && (got.tail != want.tail || got.head != want.head))
		r = pr_err_ret(-EIO,
			       "pid %d: the aio ring at %#" PRIx64 " has head %u, tail %u; dumped %u, %u",
			       c->tid, v->start, got.head, got.tail, want.head, want.tail);
	if (r < 0)
		return pr_err_ret(r, "pid %d: cannot restore the aio ring at %#" PRIx64, c->tid, v->start);
	pr_info("pid %d: aio ring %#" PRIx64 ": %u events, head %u, tail %u\n", c->tid, v->start, want.nr,
		want.head, want.tail);
	return 0;
}
