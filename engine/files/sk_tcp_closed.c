/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * TCP sockets outside the connection's life proper, for sk_inet.c: one whose
 * connection ended, and one still connecting (SYN_SENT).
 *
 * Ended: TCP_CLOSE after a FIN exchange or a reset, both directions shut
 * (POLLRDHUP), unhashed. The kernel keeps its peer's address
 * (SO_PEERNAME answers it, getpeername says ENOTCONN) and data the task did
 * not read. Restore: the socket is connected in repair mode to that peer,
 * the data queued to read, then (phase 4, under the network lock) a reset
 * from the peer replayed through a raw socket (sk_tcp_half.c) ends it:
 * TCP_CLOSE, both directions shut, the addresses and data kept. The reset
 * leaves ECONNRESET pending, which is taken: the task had no error pending
 * (one that was pending is refused at dump: reading it, SO_ERROR, would take
 * it from the task, and the kernel has no other way to show it).
 *
 * SYN_SENT (with --tcp-established): its initial sequence number is read in
 * repair mode (write_seq counts the SYN). Restore: write_seq set in repair
 * mode, then an ordinary non-blocking connect() sends the SYN again with
 * that number; the peer sees a retransmission.
 */
#define LOG_PREFIX "files: "
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "log.h"
#include "sk_net.h"
#include "sk_tcp_closed.h"
#include "sk_tcp_half.h"

enum { ST_CLOSE = 7 };

/* Where the restored queues of an ended connection start: any number does, it is never seen. */
#define ENDED_SEQ 0x10000u

static int set_int(int sk, int level, int opt, int v)
{
	return setsockopt(sk, level, opt, &v, sizeof(v)) < 0 ? -errno : 0;
}

bool tcp_closed_is_ended(const InetSkEntry *e)
{
	return e->protocol == IPPROTO_TCP && e->state == ST_CLOSE && e->has_dump_state &&
	       e->dump_state == ST_CLOSE && e->has_shutdown && (e->shutdown & 3) == 3 && e->has_src_addr &&
	       e->has_dst_addr && e->tcp;
}

int tcp_closed_dump_ended(const struct fd_dump_arg *a, InetSkEntry *e, const char *conn)
{
	struct pollfd p = {.fd = a->local, .events = 0};
	TcpStreamEntry *t;
	int q = 0;
	ssize_t n;

	if (poll(&p, 1, 0) == 1 && p.revents & POLLERR)
		return pr_err_ret(
			-EOPNOTSUPP,
			"pid %d fd %d: %s: not supported yet: a TCP connection that ended with an error (a "
			"reset, a timeout) the task has not read yet (reading it would take it from the "
			"task)",
			a->pid, a->fd, conn);
	if (ioctl(a->local, SIOCINQ, &q) < 0)
		return pr_perror_ret("pid %d fd %d: SIOCINQ", a->pid, a->fd);
	if (!e->has_dst_addr || !e->has_src_addr) {
		if (q > 0)
			return pr_err_ret(
				-EOPNOTSUPP,
				"pid %d fd %d: not supported yet: a closed TCP socket without a peer address "
				"with %d bytes still to read",
				a->pid, a->fd, q);
		return 0; /* comes back closed and shut, without addresses (sk_inet.c) */
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	tcp_stream_entry__init(t);
	e->tcp = t;
	if (q <= 0)
		return 0;
	t->recvq.data = malloc((size_t)q);
	if (!t->recvq.data)
		return -ENOMEM;
	n = recv(a->local, t->recvq.data, (size_t)q, MSG_PEEK | MSG_DONTWAIT);
	if (n != q)
		return pr_perror_ret("pid %d fd %d: ended TCP connection: %zd of %d unread bytes peeked",
				     a->pid, a->fd, n, q);
	t->recvq.len = (size_t)q;
	t->has_recvq = true;
	return 0;
}

int tcp_closed_restore_ended(int sk, const InetSkEntry *e)
{
	const ProtobufCBinaryData *q = &e->tcp->recvq;
	struct sockaddr_storage ss;
	socklen_t len;

	if (set_int(sk, SOL_TCP, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE) < 0 ||
	    set_int(sk, SOL_TCP, TCP_QUEUE_SEQ, (int)ENDED_SEQ) < 0 ||
	    set_int(sk, SOL_TCP, TCP_REPAIR_QUEUE, TCP_RECV_QUEUE) < 0 ||
	    set_int(sk, SOL_TCP, TCP_QUEUE_SEQ, (int)ENDED_SEQ) < 0)
		return pr_perror_ret("ended connection: cannot set the sequence numbers");
	len = sk_inet_make_addr(e, &e->src_addr, e->src_port, &ss);
	if (bind(sk, (struct sockaddr *)&ss, len) < 0)
		return pr_perror_ret("ended connection: cannot bind");
	len = sk_inet_make_addr(e, &e->dst_addr, e->dst_port, &ss);
	if (connect(sk, (struct sockaddr *)&ss, len) < 0)
		return pr_perror_ret(
			"ended connection: cannot connect in repair mode (a connection of the same "
			"addresses and ports, or its TIME_WAIT, still exists?)");
	if (q->len) { /* room for the data, as for a connection (restore_inet) */
		size_t rcv = e->opts && e->opts->has_rcvbuf ? e->opts->rcvbuf : 0;

		if (rcv < q->len * 2)
			rcv = q->len * 2;
		if (set_int(sk, SOL_SOCKET, SO_RCVBUFFORCE, (int)(rcv / 2)) < 0)
			return pr_perror_ret("ended connection: cannot size the receive buffer");
	}
	if (sk_tcp_fill_queue(sk, TCP_RECV_QUEUE, q->data, q->len) < 0)
		return pr_perror_ret("ended connection: cannot queue its %zu unread bytes", q->len);
	if (set_int(sk, SOL_TCP, TCP_REPAIR_QUEUE, TCP_NO_QUEUE) < 0)
		return pr_perror_ret("TCP_REPAIR_QUEUE");
	return 0;
}

int tcp_closed_replay_end(int sk, const InetSkEntry *e)
{
	const SkOptsEntry *o = e->opts;
	socklen_t len = sizeof(int);
	int err = 0, r;

	r = tcp_half_reset(sk, e, ENDED_SEQ + (uint32_t)e->tcp->recvq.len, ENDED_SEQ);
	if (r < 0)
		return r;
	/* the reset's error: the task had none pending */
	if (getsockopt(sk, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return pr_perror_ret("SO_ERROR");
	if (err != ECONNRESET)
		return pr_err_ret(-EPROTO, "the replayed reset left error %d, not ECONNRESET", err);
	if (set_int(sk, SOL_TCP, TCP_REPAIR, TCP_REPAIR_OFF_NO_WP) < 0)
		return pr_perror_ret("TCP_REPAIR off");
	if (o && set_int(sk, SOL_SOCKET, SO_REUSEADDR, o->reuseaddr) < 0)
		return pr_perror_ret("SO_REUSEADDR");
	if (o && o->has_buf_lock && set_int(sk, SOL_SOCKET, SO_BUF_LOCK, (int)o->buf_lock) < 0)
		return pr_perror_ret("SO_BUF_LOCK");
	return 0;
}

int tcp_closed_restore_syn_sent(int sk, const InetSkEntry *e)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int r;

	len = sk_inet_make_addr(e, &e->src_addr, e->src_port, &ss);
	if (bind(sk, (struct sockaddr *)&ss, len) < 0)
		return pr_perror_ret("connecting socket: cannot bind");
	/* the SYN counts one in write_seq: connect() sends it with write_seq as it is */
	if (set_int(sk, SOL_TCP, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE) < 0 ||
	    set_int(sk, SOL_TCP, TCP_QUEUE_SEQ, (int)(e->tcp->snd_seq - 1)) < 0 ||
	    set_int(sk, SOL_TCP, TCP_REPAIR_QUEUE, TCP_NO_QUEUE) < 0 ||
	    set_int(sk, SOL_TCP, TCP_REPAIR, TCP_REPAIR_OFF_NO_WP) < 0)
		return pr_perror_ret("connecting socket: cannot set the initial sequence number");
	if (e->opts && set_int(sk, SOL_SOCKET, SO_REUSEADDR, e->opts->reuseaddr) < 0)
		return pr_perror_ret("SO_REUSEADDR");
	len = sk_inet_make_addr(e, &e->dst_addr, e->dst_port, &ss);
	if (fcntl(sk, F_SETFL, O_NONBLOCK) < 0)
		return pr_perror_ret("O_NONBLOCK");
	r = connect(sk, (struct sockaddr *)&ss, len) < 0 ? -errno : 0;
	if (r != -EINPROGRESS)
		return pr_err_ret(r ?: -EPROTO, "connecting socket: connect() did not start over");
	if (fcntl(sk, F_SETFL, 0) < 0) /* the description's own flags follow (sk_restore_flags) */
		return pr_perror_ret("O_NONBLOCK");
	return 0;
}
