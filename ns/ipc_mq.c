/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * POSIX message queues of the tree's ipc namespace. A queue cannot be read
 * without consuming it: the dump receives every message and sends them back
 * at once, in the order received (by priority, then age), which rebuilds the
 * same queue. That is only safe when no task waits on the queue: a full queue
 * (a sender may be waiting: receiving would let its message in) and a queue
 * with an mq_notify registration are refused.
 */
#define LOG_PREFIX "ipc: "
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "images/ipc.pb-c.h"
#include "ipc_objs.h"
#include "log.h"

/* HARD_MSGMAX and HARD_MSGSIZEMAX of ipc/mqueue.c: no queue can be larger */
#define MQ_MAXMSG_HARD	65536
#define MQ_MSGSIZE_HARD (16 << 20)
#define MQ_PRIO_LIMIT	32768

DEFINE_PB_CLEANUP(IpcMqEntry, ipc_mq_entry)
DEFINE_PB_CLEANUP(IpcMessage, ipc_message)

struct mq_msgs {
	IpcMessage *m;
	size_t n;
	char *buf; /* n * msgsize bytes */
};

/* Reading an mqueue file gives "QSIZE:... NOTIFY:... SIGNO:... NOTIFY_PID:...". */
static int notify_pid(mqd_t q)
{
	char s[128];
	ssize_t n = pread(q, s, sizeof(s) - 1, 0);
	const char *p;

	if (n < 0)
		return -errno;
	s[n] = 0;
	p = strstr(s, "NOTIFY_PID:");
	return p ? atoi(p + 11) : 0;
}

/* Receives every message, then sends them all back: the queue is as it was. */
static int drain_and_refill(mqd_t q, const struct mq_attr *a, const char *name, struct mq_msgs *out)
{
	size_t n = (size_t)a->mq_curmsgs;
	int r = 0;

	out->m = calloc(n + 1, sizeof(*out->m));
	out->buf = malloc(n * (size_t)a->mq_msgsize + 1);
	if (!out->m || !out->buf)
		return -ENOMEM;
	for (out->n = 0; out->n < n; out->n++) {
		IpcMessage *m = &out->m[out->n];
		char *b = out->buf + out->n * (size_t)a->mq_msgsize;
		unsigned int prio;
		ssize_t got = mq_receive(q, b, (size_t)a->mq_msgsize, &prio);

		if (got < 0) {
			r = pr_perror_ret("POSIX message queue /%s: cannot receive message %zu of %zu", name,
					  out->n + 1, n);
			break;
		}
		ipc_message__init(m);
		m->type = prio;
		m->data.data = (uint8_t *)b;
		m->data.len = (size_t)got;
	}
	for (size_t i = 0; i < out->n; i++)
		if (mq_send(q, (char *)out->m[i].data.data, out->m[i].data.len,
			    (unsigned int)out->m[i].type) < 0) {
			int e = pr_perror_ret("POSIX message queue /%s: cannot send back message %zu of %zu: "
					      "the queue LOST %zu messages",
					      name, i + 1, out->n, out->n - i);

			return e;
		}
	return r;
}

static int write_messages(struct img_dir *d, uint64_t id, const struct mq_msgs *mm)
{
	struct img_writer *w = NULL;
	int r = img_create(d, IMG_IPC_MSGS, id, &w);

	for (size_t i = 0; r >= 0 && i < mm->n; i++)
		r = img_write_msg(w, &mm->m[i].base);
	return img_finish(w, r);
}

static int dump_one(struct ipc_dump_ctx *c, const struct ipc_mq_name *qn, IpcMqEntry *e)
{
	char path[NAME_MAX + 2];
	struct mq_msgs mm = {0};
	struct mq_attr a;
	mqd_t q;
	int r;

	snprintf(path, sizeof(path), "/%s", qn->name);
	q = mq_open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (q == (mqd_t)-1)
		return pr_perror_ret("pid %d: cannot open POSIX message queue %s", c->pid, path);
	r = mq_getattr(q, &a) < 0 ? pr_perror_ret("pid %d: POSIX message queue %s: mq_getattr", c->pid, path)
				  : 0;
	if (r == 0 && notify_pid(q) != 0)
		r = pr_err_ret(
			-EOPNOTSUPP,
			"pid %d: not supported yet: POSIX message queue %s with an mq_notify registration",
			c->pid, path);
	if (r == 0 && a.mq_curmsgs > 0 && a.mq_curmsgs >= a.mq_maxmsg)
		r = pr_err_ret(-EOPNOTSUPP,
			       "pid %d: not supported yet: full POSIX message queue %s (%ld messages; a "
			       "sender may be waiting)",
			       c->pid, path, a.mq_curmsgs);
	if (r == 0 && (uint64_t)a.mq_curmsgs * (uint64_t)a.mq_msgsize > IMG_FILE_MAX / 2)
		r = pr_err_ret(-EOPNOTSUPP,
			       "pid %d: not supported yet: POSIX message queue %s holding up to %lld bytes",
			       c->pid, path, (long long)a.mq_curmsgs * a.mq_msgsize);
	if (r == 0)
		r = drain_and_refill(q, &a, qn->name, &mm);
	mq_close(q);
	if (r == 0) {
		e->name = (char *)qn->name;
		e->uid = qn->uid;
		e->gid = qn->gid;
		e->mode = qn->mode & 0777;
		e->maxmsg = a.mq_maxmsg;
		e->msgsize = a.mq_msgsize;
		e->count = (uint32_t)mm.n;
		e->messages_id = c->next_data_id++;
		r = write_messages(c->d, e->messages_id, &mm);
		pr_info("POSIX message queue %s: %u messages\n", path, e->count);
	}
	free(mm.m);
	free(mm.buf);
	return r;
}

int ipc_mq_dump(struct ipc_dump_ctx *c, const struct ipc_mq_name *q, size_t n)
{
	struct img_writer *w = NULL;
	int r;

	if (n == 0)
		return 0;
	r = img_create(c->d, IMG_IPC_MQ, 0, &w);
	for (size_t i = 0; r >= 0 && i < n; i++) {
		IpcMqEntry e = IPC_MQ_ENTRY__INIT;

		r = dump_one(c, &q[i], &e);
		if (r >= 0)
			r = img_write_msg(w, &e.base);
	}
	return img_finish(w, r);
}

/* ---- restore ---- */

static int check_entry(const IpcMqEntry *e)
{
	size_t len = strlen(e->name);

	if (!len || len > NAME_MAX || strchr(e->name, '/') || !strcmp(e->name, ".") || !strcmp(e->name, ".."))
		return pr_err_ret(-EBADMSG, "ipc-mq.img: bad POSIX message queue name \"%s\"", e->name);
	if (e->maxmsg <= 0 || e->maxmsg > MQ_MAXMSG_HARD || e->msgsize <= 0 || e->msgsize > MQ_MSGSIZE_HARD ||
	    e->count > e->maxmsg)
		return pr_err_ret(-EBADMSG,
				  "ipc-mq.img: POSIX message queue /%s: bad sizes (maxmsg %" PRId64
				  ", msgsize %" PRId64 ", %u messages)",
				  e->name, e->maxmsg, e->msgsize, e->count);
	return 0;
}

static int refill(struct img_dir *d, const IpcMqEntry *e, mqd_t q)
{
	struct img_reader *rd = NULL;
	ProtobufCMessage *m;
	char what[NAME_MAX + 32];
	int r;

	snprintf(what, sizeof(what), "POSIX message queue /%s", e->name);
	r = ipc_msgs_open(d, e->messages_id, e->count, what, &rd);
	while (r >= 0 && (r = img_read_msg(rd, &ipc_message__descriptor, &m)) > 0) {
		_cleanup_pb_(ipc_message) IpcMessage *msg = (IpcMessage *)m;

		if (msg->type < 0 || msg->type >= MQ_PRIO_LIMIT || msg->data.len > (size_t)e->msgsize) {
			r = pr_err_ret(-EBADMSG, "%s: %s: a message of priority %" PRId64 " and %zu bytes",
				       img_reader_name(rd), what, msg->type, msg->data.len);
			break;
		}
		/* an empty message unpacks as NULL; mq_send wants a buffer */
		if (mq_send(q, msg->data.len ? (char *)msg->data.data : (char *)"", msg->data.len,
			    (unsigned int)msg->type) < 0)
			r = pr_perror_ret("%s: cannot send a message of priority %" PRId64, what, msg->type);
	}
	img_close(rd);
	return r < 0 ? r : 0;
}

static int restore_one(struct img_dir *d, const IpcMqEntry *e)
{
	struct mq_attr a = {.mq_maxmsg = e->maxmsg, .mq_msgsize = e->msgsize};
	char path[NAME_MAX + 2];
	mqd_t q;
	int r = check_entry(e);

	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "/%s", e->name);
	q = mq_open(path, O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK | O_CLOEXEC, 0600, &a);
	if (q == (mqd_t)-1)
		return pr_perror_ret("cannot create POSIX message queue %s (maxmsg %" PRId64
				     ", msgsize %" PRId64 ")",
				     path, e->maxmsg, e->msgsize);
	r = refill(d, e, q);
	if (r == 0 && fchown(q, e->uid, e->gid) < 0)
		r = pr_perror_ret("POSIX message queue %s: cannot set owner %u:%u", path, e->uid, e->gid);
	if (r == 0 && fchmod(q, e->mode & 0777) < 0)
		r = pr_perror_ret("POSIX message queue %s: cannot set mode %#o", path, e->mode);
	mq_close(q);
	return r;
}

int ipc_mq_restore(struct img_dir *d)
{
	struct img_reader *rd = NULL;
	ProtobufCMessage *m;
	int r = img_open(d, IMG_IPC_MQ, 0, &rd);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	while ((r = img_read_msg(rd, &ipc_mq_entry__descriptor, &m)) > 0) {
		_cleanup_pb_(ipc_mq_entry) IpcMqEntry *e = (IpcMqEntry *)m;

		r = restore_one(d, e);
		if (r < 0)
			break;
	}
	img_close(rd);
	return r < 0 ? r : 0;
}
