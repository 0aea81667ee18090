/* SPDX-License-Identifier: LGPL-2.1-or-later */
// criu-expect: dump-refused
/*
 * An io_uring fd (and a perf_event fd) cannot be dumped: the dump is
 * refused naming pid, fd and kind, and the task keeps running intact.
 * Checked after the refused dump: the ring still works, memory and fds are
 * as before.
 */
#include <linux/io_uring.h>
#include <linux/perf_event.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "feature.h"

int main(int argc, char **argv)
{
	struct io_uring_params p;
	struct perf_event_attr pa;
	volatile int counter = 41;
	int ring, perf;

	feat_init(argc, argv);
	memset(&p, 0, sizeof(p));
	ring = (int)syscall(__NR_io_uring_setup, 4, &p);
	memset(&pa, 0, sizeof(pa));
	pa.type = PERF_TYPE_SOFTWARE;
	pa.size = sizeof(pa);
	pa.config = PERF_COUNT_SW_TASK_CLOCK;
	perf = (int)syscall(__NR_perf_event_open, &pa, 0, -1, -1, 0);
	if (ring < 0 && perf < 0)
		feat_die("neither io_uring_setup nor perf_event_open works");
	feat_ready();
	feat_wait_go();

	counter++;
	FEAT_CHECK(counter == 42, "memory changed");
	if (ring >= 0) {
		struct io_uring_params p2;

		FEAT_CHECK(fcntl(ring, F_GETFD) >= 0, "the io_uring fd is gone");
		memset(&p2, 0, sizeof(p2));
		/* the ring's rings can still be mapped: it is the same live ring */
		void *sq = mmap(NULL, p.sq_off.array + p.sq_entries * sizeof(unsigned),
				PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQ_RING);
		FEAT_CHECK(sq != MAP_FAILED, "the io_uring cannot be mapped: %s", strerror(errno));
	}
	if (perf >= 0) {
		unsigned long long v = 0;

		FEAT_CHECK(read(perf, &v, sizeof(v)) == sizeof(v) && v > 0,
			   "the perf counter does not read (%llu)", v);
	}
	return feat_done();
}
