/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A tree in criu's (the host's) ipc namespace: its objects are not the tree's
 * to dump. A SysV message queue and a POSIX queue made here must come through
 * dump and restore untouched: same id, same messages, nothing drained or added;
 * a descriptor of the POSIX queue is reopened in the same namespace.
 */
#include <mqueue.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/stat.h>

#include "feature.h"

static char mq_name[64];
static int msg_id = -1;

static void cleanup(void)
{
	if (msg_id >= 0)
		msgctl(msg_id, IPC_RMID, NULL);
	if (mq_name[0])
		mq_unlink(mq_name);
}

static void die(const char *what)
{
	int e = errno;

	cleanup();
	errno = e;
	feat_die(what);
}

static unsigned long ns_ino(const char *pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%s/ns/ipc", pid);
	return stat(path, &st) ? 0 : (unsigned long)st.st_ino;
}

int main(int argc, char **argv)
{
	struct mq_attr a = {.mq_maxmsg = 4, .mq_msgsize = 64};
	struct {
		long type;
		char text[64];
	} m = {3, "first"};
	unsigned long ino;
	struct msqid_ds ds;
	mqd_t q;

	feat_init(argc, argv);
	ino = ns_ino("self");
	snprintf(mq_name, sizeof(mq_name), "/criu-ng-feat-host-%d", getpid());
	msg_id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	if (msg_id < 0)
		die("msgget");
	if (msgsnd(msg_id, &m, 6, 0) < 0)
		die("msgsnd");
	m.type = 4;
	strcpy(m.text, "second");
	if (msgsnd(msg_id, &m, 7, 0) < 0)
		die("msgsnd");
	q = mq_open(mq_name, O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK, 0600, &a);
	if (q == (mqd_t)-1)
		die("mq_open");
	if (mq_send(q, "one", 3, 1) < 0 || mq_send(q, "two", 3, 2) < 0)
		die("mq_send");
	/* q stays open: its descriptor is reopened by name, in this same namespace */
	feat_ready();
	feat_wait_go();

	if (mq_getattr(q, &a) < 0)
		feat_fail("the kept descriptor of %s: %s", mq_name, strerror(errno));
	else
		FEAT_CHECK(a.mq_curmsgs == 2 && a.mq_flags == O_NONBLOCK,
			   "the kept descriptor of %s: %ld messages, flags %#lx", mq_name, a.mq_curmsgs,
			   a.mq_flags);
	mq_close(q);

	FEAT_CHECK(ns_ino("self") == ino, "the ipc namespace changed: %lu, was %lu", ns_ino("self"), ino);
	if (msgctl(msg_id, IPC_STAT, &ds) < 0) {
		feat_fail("message queue id %d: %s", msg_id, strerror(errno));
	} else {
		FEAT_CHECK(ds.msg_qnum == 2, "message queue id %d: %lu messages, want 2", msg_id,
			   (unsigned long)ds.msg_qnum);
		memset(&m, 0, sizeof(m));
		FEAT_CHECK(msgrcv(msg_id, &m, sizeof(m.text), 0, IPC_NOWAIT) == 6 && m.type == 3 &&
				   !strcmp(m.text, "first"),
			   "first message: type %ld \"%s\"", m.type, m.text);
	}
	q = mq_open(mq_name, O_RDONLY | O_NONBLOCK);
	if (q == (mqd_t)-1 || mq_getattr(q, &a) < 0) {
		feat_fail("%s: %s", mq_name, strerror(errno));
	} else {
		char buf[64] = "";
		unsigned int prio = 0;

		FEAT_CHECK(a.mq_curmsgs == 2, "%s: %ld messages, want 2", mq_name, a.mq_curmsgs);
		FEAT_CHECK(mq_receive(q, buf, sizeof(buf), &prio) == 3 && prio == 2 && !memcmp(buf, "two", 3),
			   "%s: first message \"%.3s\" priority %u, want \"two\" 2", mq_name, buf, prio);
	}
	if (q != (mqd_t)-1)
		mq_close(q);
	cleanup();
	return feat_done();
}
