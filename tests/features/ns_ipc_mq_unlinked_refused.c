/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A descriptor of a POSIX message queue whose name was removed: the queue
 * lives on only through it and cannot be reopened by name, so the dump is
 * refused by name and the queue is left as it was.
 */
// criu-expect: dump-refused
#include <mqueue.h>
#include <sched.h>

#include "feature.h"

int main(int argc, char **argv)
{
	struct mq_attr a = {.mq_maxmsg = 4, .mq_msgsize = 16};
	char buf[16];
	mqd_t q;

	feat_init(argc, argv);
	if (unshare(CLONE_NEWIPC) < 0)
		feat_die("unshare(CLONE_NEWIPC)");
	q = mq_open("/gone", O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK, 0600, &a);
	if (q == (mqd_t)-1)
		feat_die("mq_open /gone");
	if (mq_send(q, "z", 1, 1) < 0 || mq_unlink("/gone") < 0)
		feat_die("mq_send, mq_unlink");
	feat_ready();
	feat_wait_go();
	FEAT_CHECK(mq_receive(q, buf, sizeof(buf), NULL) == 1 && buf[0] == 'z',
		   "the unlinked queue lost its message");
	return feat_done();
}
