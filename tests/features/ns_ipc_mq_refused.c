/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A full POSIX message queue in the tree's own ipc namespace: reading it would
 * let a waiting sender's message in, so the dump is refused by name; the
 * queue must be left exactly as it was (nothing drained, same order).
 */
// criu-expect: dump-refused
#include <mqueue.h>
#include <sched.h>

#include "feature.h"

int main(int argc, char **argv)
{
	struct mq_attr a = {.mq_maxmsg = 2, .mq_msgsize = 16};
	char buf[16];
	unsigned int prio;
	mqd_t q;

	feat_init(argc, argv);
	if (unshare(CLONE_NEWIPC) < 0)
		feat_die("unshare(CLONE_NEWIPC)");
	q = mq_open("/full", O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK, 0600, &a);
	if (q == (mqd_t)-1)
		feat_die("mq_open /full");
	if (mq_send(q, "a", 1, 3) < 0 || mq_send(q, "b", 1, 7) < 0)
		feat_die("mq_send");
	feat_ready();
	feat_wait_go();
	if (mq_getattr(q, &a) < 0)
		feat_fail("mq_getattr: %s", strerror(errno));
	FEAT_CHECK(a.mq_curmsgs == 2, "/full holds %ld messages, want 2", a.mq_curmsgs);
	FEAT_CHECK(mq_receive(q, buf, sizeof(buf), &prio) == 1 && buf[0] == 'b' && prio == 7,
		   "first message not \"b\" priority 7");
	FEAT_CHECK(mq_receive(q, buf, sizeof(buf), &prio) == 1 && buf[0] == 'a' && prio == 3,
		   "second message not \"a\" priority 3");
	return feat_done();
}
