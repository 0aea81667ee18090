/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unix sockets: stream, datagram and seqpacket; bound to a path or an
 * abstract name; listening (with connections still waiting in the backlog),
 * connected within the tree, or to an outside datagram socket with
 * --ext-unix-sk.
 *
 * Dump: sock_diag (UNIX_DIAG, asked for the one inode, in the socket's own
 * network namespace) gives the name, the peer, the waiting connections, the
 * queue length and the shutdown bits; the queue is read without consuming it
 * (MSG_PEEK, stepping SO_PEEK_OFF, which is put back afterwards); the fds a
 * queued message carries (SCM_RIGHTS) are dumped as descriptions of their own
 * (sk_unix_scm.c). Peers are checked once every fd of the tree is known
 * (dump_finish).
 *
 * Restore: the first unix socket criu opens makes them all, since they refer
 * to each other: create and bind, listen, connect (accepted connections are
 * made again through their listener, waiting ones are left in its backlog),
 * queue the data from the peer side (with its files in flight), then
 * shutdown and options. The sockets wait in files_restore.file_fds until
 * their own open takes them.
 *
 * Names: a path name that still leads to its socket is bound again (a stale
 * socket file there is replaced). One that does not (its file was removed,
 * perhaps with its directory, and another file or socket may sit on the
 * path now) is "deleted": bound with whatever is on the path set aside for
 * that moment (missing directories made), its file moved to an alias beside
 * it that connects go through, and removed at the end. A relative name is
 * kept with its directory: the task's cwd, or where the socket's own file
 * (SIOCUNIXFILE) is found. A socket file that was renamed or moved while
 * still linked is refused: a restore could not put it back.
 *
 * Approximate: queued messages carry criu's credentials (SCM_CREDENTIALS);
 * a datagram's sender address is the peer's, or none; a stream's fds in
 * flight ride with the end of the run a peek returns. Refused: unix sockets only in
 * flight, data sent on a connection not yet accepted, peers outside the
 * tree (except datagram sockets with --ext-unix-sk, reconnected by name).
 * The sockets are made in criu's network namespace.
 *
 * A self-dump (libcriu criu_dump() without a pid): the caller's seqpacket
 * connection to the criu serving the request is marked rpc_sk; restore makes
 * it one end of a new socketpair and criu answers on the other end once the
 * tree runs (files_restore_answer_rpc), so criu_dump() returns 1.
 */
#define LOG_PREFIX "unix: "
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/sockios.h>
#include <linux/unix_diag.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include "plugin_files.h"
#include "cleanup.h"
#include "files_priv.h"
#include "log.h"
#include "sk_net.h"
#include "sk_unix.h"

#define USK_LISTEN	  10 /* TCP_LISTEN */
#define USK_ESTABLISHED	  1  /* TCP_ESTABLISHED */
#define USK_RCV_SHUTDOWN  1
#define USK_SEND_SHUTDOWN 2
#define USK_SHUTDOWN_MASK 3
#define USK_MAX_ICONS	  4096
#define USK_MAX_MADE	  16
#ifndef SIOCUNIXFILE /* <linux/un.h> has it, but clashes with <sys/un.h> */
#define SIOCUNIXFILE (SIOCPROTOPRIVATE + 0)
#endif

/* What sock_diag says about one socket. */
struct usk_diag {
	uint8_t state, shutdown;
	bool has_peer;
	uint32_t peer;
	uint32_t rqueue, wqueue;
	size_t name_len;
	char name[sizeof(((struct sockaddr_un *)0)->sun_path)];
	bool has_vfs;
	uint32_t vfs_ino, vfs_dev;
	uint32_t icons[USK_MAX_ICONS];
	size_t nr_icons;
};

/* ---- dump ---- */

static bool unix_match_fd(int local, const struct stat *st, const char *link)
{
	int dom = 0;
	socklen_t len = sizeof(dom);

	(void)link;
	return S_ISSOCK(st->st_mode) && getsockopt(local, SOL_SOCKET, SO_DOMAIN, &dom, &len) == 0 &&
	       dom == AF_UNIX;
}

static void diag_parse_attrs(const struct unix_diag_msg *m, size_t len, struct usk_diag *d)
{
	size_t off = NLMSG_ALIGN(sizeof(*m));

	while (off + sizeof(struct nlattr) <= len) {
		const struct nlattr *a = (const void *)((const char *)m + off);
		const char *p = (const char *)a + NLA_HDRLEN;
		size_t plen;

		if (a->nla_len < NLA_HDRLEN || off + a->nla_len > len)
			break;
		plen = a->nla_len - NLA_HDRLEN;
		switch (a->nla_type) {
		case UNIX_DIAG_NAME:
			d->name_len = plen < sizeof(d->name) ? plen : sizeof(d->name);
			memcpy(d->name, p, d->name_len);
			break;
		case UNIX_DIAG_VFS:
			if (plen >= sizeof(struct unix_diag_vfs)) {
				const struct unix_diag_vfs *v = (const void *)p;

				d->has_vfs = true;
				d->vfs_ino = v->udiag_vfs_ino;
				d->vfs_dev = v->udiag_vfs_dev;
			}
			break;
		case UNIX_DIAG_PEER:
			if (plen >= 4) {
				d->has_peer = true;
				memcpy(&d->peer, p, 4);
			}
			break;
		case UNIX_DIAG_ICONS:
			d->nr_icons = plen / 4 < USK_MAX_ICONS ? plen / 4 : USK_MAX_ICONS;
			memcpy(d->icons, p, d->nr_icons * 4);
			break;
		case UNIX_DIAG_RQLEN:
			if (plen >= sizeof(struct unix_diag_rqlen)) {
				const struct unix_diag_rqlen *q = (const void *)p;

				d->rqueue = q->udiag_rqueue;
				d->wqueue = q->udiag_wqueue;
			}
			break;
		case UNIX_DIAG_SHUTDOWN:
			if (plen >= 1)
				d->shutdown = (uint8_t)p[0];
			break;
		}
		off += NLA_ALIGN(a->nla_len);
	}
}

/* Asks sock_diag about the one socket ino (our copy sk tells the namespace). */
static int diag_lookup(int sk, uint32_t ino, struct usk_diag *d)
{
	_cleanup_close_ int nl = -EBADF;
	_cleanup_free_ char *buf = NULL;
	const size_t buf_len = 65536;
	struct {
		struct nlmsghdr h;
		struct unix_diag_req r;
	} req;
	ssize_t n;

	nl = sk_diag_socket_for(sk);
	if (nl < 0)
		return nl;
	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = sizeof(req);
	req.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.h.nlmsg_flags = NLM_F_REQUEST;
	req.h.nlmsg_seq = 1;
	req.r.sdiag_family = AF_UNIX;
	req.r.udiag_states = ~0u;
	req.r.udiag_ino = ino;
	req.r.udiag_show =
		UDIAG_SHOW_NAME | UDIAG_SHOW_VFS | UDIAG_SHOW_PEER | UDIAG_SHOW_ICONS | UDIAG_SHOW_RQLEN;
	req.r.udiag_cookie[0] = req.r.udiag_cookie[1] = ~0u;
	if (send(nl, &req, sizeof(req), 0) != sizeof(req))
		return -errno;
	buf = malloc(buf_len);
	if (!buf)
		return -ENOMEM;
	n = recv(nl, buf, buf_len, 0);
	if (n < 0)
		return -errno;
	for (struct nlmsghdr *h = (void *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
		const struct unix_diag_msg *m = NLMSG_DATA(h);

		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			return e->error ? e->error : -ENOENT;
		}
		if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)) ||
		    m->udiag_ino != ino)
			continue;
		memset(d, 0, sizeof(*d));
		d->state = m->udiag_state;
		diag_parse_attrs(m, h->nlmsg_len - NLMSG_HDRLEN, d);
		return 0;
	}
	return -ENOENT;
}

static int get_int_opt(int sk, int opt, int *ret)
{
	socklen_t len = sizeof(*ret);

	return getsockopt(sk, SOL_SOCKET, opt, ret, &len) < 0 ? -errno : 0;
}

static int append_packet(UnixSkEntry *u, const char *data, size_t n, size_t *cap)
{
	if (u->data.len + n > *cap) {
		size_t c = (*cap ? *cap * 2 : 4096);
		uint8_t *nd;

		while (c < u->data.len + n)
			c *= 2;
		nd = realloc(u->data.data, c);
		if (!nd)
			return -ENOMEM;
		u->data.data = nd;
		*cap = c;
	}
	memcpy(u->data.data + u->data.len, data, n);
	u->data.len += n;
	u->has_data = true;
	{ /* stream: runs, kept only where fds split them (peek_queue) */
		uint32_t *p = realloc(u->packets, (u->n_packets + 1) * sizeof(*p));

		if (!p)
			return -ENOMEM;
		u->packets = p;
		u->packets[u->n_packets++] = (uint32_t)n;
	}
	return 0;
}

/* What the peeks of one queue share: the buffer, the control room for a message's fds. */
struct usk_peek {
	struct files_dump *fd;
	const struct fd_dump_arg *a;
	FileEntry *fe;
	char *buf;
	size_t blen, cap;
	struct msghdr mh;
	struct iovec iov;
	/* last: clang takes CMSG_SPACE for a variable size */
	union {
		char b[CMSG_SPACE(sizeof(int) * USK_MAX_RIGHTS) + CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} ctl;
};

/* Peeks at most len bytes (one message) at offset off of the queue: n, or -errno quietly. */
static ssize_t peek_at(struct usk_peek *p, int off, size_t len, int flags)
{
	ssize_t n;

	p->iov = (struct iovec){p->buf, len};
	p->mh = (struct msghdr){.msg_iov = &p->iov,
				.msg_iovlen = 1,
				.msg_control = p->ctl.b,
				.msg_controllen = sizeof(p->ctl.b)};
	if (setsockopt(p->a->local, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off)) < 0)
		return -errno;
	n = recvmsg(p->a->local, &p->mh, flags | MSG_PEEK | MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	return n < 0 ? -errno : n;
}

static bool has_rights(struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			return true;
	return (mh->msg_flags & MSG_CTRUNC) != 0;
}

/* A longer message than the buffer (or a stream message with fds cut short): room for it. */
static int grow_buf(struct usk_peek *p, size_t want)
{
	char *nb = realloc(p->buf, want);

	if (!nb)
		return -ENOMEM;
	p->buf = nb;
	p->blen = want;
	return 0;
}

/*
 * One message (or one run of stream bytes) at off: *ret_step is how far the
 * queue was read (0: peek at off again), -1 at its end.
 */
static int peek_one(struct usk_peek *p, int off, uint32_t stream_bytes, int *ret_step)
{
	UnixSkEntry *u = p->fe->unix_sk;
	const struct fd_dump_arg *a = p->a;
	bool stream = u->type == SOCK_STREAM, rights;
	ssize_t n = peek_at(p, off, p->blen, stream ? 0 : MSG_TRUNC);
	int r = 0;

	*ret_step = -1;
	if (n == -EAGAIN && !stream) /* a datagram queue ends in EAGAIN */
		return 0;
	if (n < 0)
		return pr_err_ret((int)n, "pid %d fd %d: %s: cannot peek at its queue", a->pid, a->fd,
				  a->link);
	rights = has_rights(&p->mh);
	/* EOF: the peer closed, or a datagram socket shut down for reading ran empty */
	if (n == 0 && (stream || (u->type == SOCK_DGRAM && (u->shutdown & USK_RCV_SHUTDOWN))))
		return usk_scm_drop(&p->mh) < 0 ? -EOPNOTSUPP : 0;
	*ret_step = 0;
	/*
	 * A longer message than the buffer; or a stream run perhaps cut short
	 * before the end of the message with the fds (a stream peek goes on to
	 * the first message with fds, even past its length, and stops after it).
	 */
	if ((size_t)n > p->blen ||
	    (rights && stream && (size_t)n == p->blen && (uint32_t)(off + n) < stream_bytes)) {
		usk_scm_drop(&p->mh);
		return grow_buf(p, (size_t)n > p->blen ? (size_t)n : p->blen * 2);
	}
	if (rights)
		r = usk_scm_dump(p->fd, a, p->fe, &p->mh, (uint32_t)u->n_packets);
	if (r >= 0)
		r = append_packet(u, p->buf, (size_t)n, &p->cap);
	*ret_step = (int)n;
	return r < 0 ? r : 0;
}

/*
 * Copies the receive queue without consuming it: peeks at SO_PEEK_OFF = off,
 * one message (or one run of stream bytes) at a time; the fds a message
 * carries are dumped as files of their own. The task's own peek offset is
 * put back by the caller.
 */
static int peek_queue(struct files_dump *fd, const struct fd_dump_arg *a, FileEntry *fe,
		      uint32_t stream_bytes)
{
	_cleanup_free_ struct usk_peek *p = calloc(1, sizeof(*p));
	UnixSkEntry *u = fe->unix_sk;
	int off = 0, step = 0, r = 0, guard;

	if (!p)
		return -ENOMEM;
	p->buf = malloc(p->blen = 65536);
	if (!p->buf)
		return -ENOMEM;
	p->fd = fd, p->a = a, p->fe = fe;
	for (guard = 0; guard < 1 << 20 && r >= 0 && step >= 0; guard++) {
		/* stream and seqpacket: rqueue counts every byte; a datagram queue ends in EAGAIN */
		if (u->type != SOCK_DGRAM && (uint32_t)off >= stream_bytes)
			break;
		r = peek_one(p, off, stream_bytes, &step);
		off += step > 0 ? step : 0;
	}
	free(p->buf);
	if (r >= 0 && guard == 1 << 20)
		r = pr_err_ret(-E2BIG, "pid %d fd %d: %s: too many queued messages", a->pid, a->fd, a->link);
	if (u->type == SOCK_STREAM && !u->n_rights) { /* a stream's runs matter only with fds */
		free(u->packets);
		u->packets = NULL;
		u->n_packets = 0;
	}
	return r;
}

static int dump_queue(struct files_dump *fd, const struct fd_dump_arg *a, FileEntry *fe,
		      const struct usk_diag *d)
{
	UnixSkEntry *u = fe->unix_sk;
	int saved = -1, r;

	if (u->state == USK_LISTEN ||
	    (u->type != SOCK_DGRAM && (d->rqueue == 0 || u->state != USK_ESTABLISHED)))
		return 0;
	r = get_int_opt(a->local, SO_PEEK_OFF, &saved);
	if (r < 0)
		return pr_err_ret(r, "pid %d fd %d: %s: cannot read SO_PEEK_OFF", a->pid, a->fd, a->link);
	r = peek_queue(fd, a, fe, d->rqueue);
	/* the task's peek offset, as it was (-1: off) */
	if (setsockopt(a->local, SOL_SOCKET, SO_PEEK_OFF, &saved, sizeof(saved)) < 0 && r >= 0)
		r = pr_perror_ret("pid %d fd %d: %s: cannot put SO_PEEK_OFF back", a->pid, a->fd, a->link);
	return r;
}

/* Whether path (in the task's root) is the socket file sock_diag names; its owner and mode then. */
static bool names_socket(const char *path, const struct usk_diag *d, struct stat *st)
{
	return d->has_vfs && stat(path, st) == 0 && st->st_ino == d->vfs_ino &&
	       major(st->st_dev) == (d->vfs_dev >> 20) && minor(st->st_dev) == (d->vfs_dev & 0xfffff);
}

/*
 * The socket's own file, opened through the socket (SIOCUNIXFILE): its link
 * count tells a removed name from one that lives elsewhere now; its path (as
 * criu sees it) where that is. -errno where the kernel has no such ioctl.
 */
static int socket_file(const struct fd_dump_arg *a, struct stat *st, char *where, size_t size)
{
	char link[64];
	_cleanup_close_ int f = ioctl(a->local, SIOCUNIXFILE);
	ssize_t n;

	if (f < 0)
		return -errno;
	if (fstat(f, st) < 0)
		return pr_perror_ret("pid %d fd %d: %s: cannot stat its socket file", a->pid, a->fd, a->link);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", f);
	n = readlink(link, where, size - 1);
	where[n < 0 ? 0 : n] = '\0';
	return 0;
}

static void keep_file_attrs(UnixSkEntry *u, const struct stat *st)
{
	u->has_file_mode = u->has_file_uid = u->has_file_gid = true;
	u->file_mode = st->st_mode;
	u->file_uid = st->st_uid;
	u->file_gid = st->st_gid;
}

/*
 * The name's file is not where the name says. Removed (no links left): the
 * name is restored deleted. Still linked elsewhere (renamed, or a relative
 * name bound in another directory than the cwd): a relative name is placed
 * in the directory the file is found in; anything else is refused, since a
 * restore could not put the file back where it is.
 */
static int name_elsewhere(const struct fd_dump_arg *a, UnixSkEntry *u, const struct usk_diag *d,
			  const char *cwd)
{
	char where[PATH_MAX], path[PATH_MAX + 64];
	struct stat st;
	size_t wl = 0, nl = strnlen(d->name, d->name_len); /* a name bound with its NUL */
	int r = socket_file(a, &st, where, sizeof(where));

	if (r == -ENOENT || r == -EOPNOTSUPP || r == -ENOTTY || r == -EINVAL) {
		if (d->name[0] != '/') /* no way to tell where it lives */
			return pr_err_ret(
				-EOPNOTSUPP,
				"pid %d fd %d: %s is bound to the relative path %.*s, which does not "
				"name it in the task's cwd %s: not supported",
				a->pid, a->fd, a->link, (int)nl, d->name, cwd);
		r = 0, st.st_nlink = 0; /* a kernel without SIOCUNIXFILE: taken as removed */
	}
	if (r < 0)
		return pr_err_ret(r, "pid %d fd %d: %s: cannot open its socket file %.*s", a->pid, a->fd,
				  a->link, (int)nl, d->name);
	if (st.st_nlink == 0) {
		u->has_name_deleted = u->name_deleted = true;
		if (d->name[0] != '/' && !(u->name_dir = strdup(cwd)))
			return -ENOMEM;
		return 0;
	}
	wl = strlen(where);
	if (d->name[0] != '/' && wl > nl && where[wl - nl - 1] == '/' &&
	    !memcmp(where + wl - nl, d->name, nl)) {
		where[wl - nl - 1] = '\0';
		snprintf(path, sizeof(path), "/proc/%d/root%s/%.*s", a->pid, where, (int)nl, d->name);
		if (names_socket(path, d, &st)) {
			keep_file_attrs(u, &st);
			u->name_dir = strdup(where[0] ? where : "/");
			return u->name_dir ? 0 : -ENOMEM;
		}
	}
	return pr_err_ret(
		-EOPNOTSUPP,
		"pid %d fd %d: %s is bound to %.*s, but its socket file is now %s (renamed or moved): "
		"not supported",
		a->pid, a->fd, a->link, (int)nl, d->name, where);
}

/* A path name: whether it still names this socket, and its file's owner and mode. */
static int dump_path(const struct fd_dump_arg *a, UnixSkEntry *u, const struct usk_diag *d)
{
	char path[2 * PATH_MAX], cwd[PATH_MAX] = "", link[64];
	struct stat st;
	ssize_t n;

	if (d->name[0] != '/') { /* relative: to the cwd, as far as we can see */
		snprintf(link, sizeof(link), "/proc/%d/cwd", a->pid);
		n = readlink(link, cwd, sizeof(cwd) - 1);
		if (n < 0)
			return pr_perror_ret("pid %d fd %d: %s: cannot read %s", a->pid, a->fd, a->link,
					     link);
		cwd[n] = '\0';
	}
	snprintf(path, sizeof(path), "/proc/%d/root%s%s%.*s", a->pid, cwd, cwd[0] ? "/" : "",
		 (int)d->name_len, d->name);
	if (!names_socket(path, d, &st))
		return name_elsewhere(a, u, d, cwd);
	keep_file_attrs(u, &st);
	if (cwd[0] && !(u->name_dir = strdup(cwd)))
		return -ENOMEM;
	return 0;
}

static int fill_entry(const struct fd_dump_arg *a, UnixSkEntry *u, const struct usk_diag *d)
{
	int v = 0, r;

	r = get_int_opt(a->local, SO_TYPE, &v);
	if (r < 0)
		return pr_err_ret(r, "pid %d fd %d: %s: cannot read SO_TYPE", a->pid, a->fd, a->link);
	if (v != SOCK_STREAM && v != SOCK_DGRAM && v != SOCK_SEQPACKET)
		return pr_err_ret(-EOPNOTSUPP, "pid %d fd %d: %s: unix socket type %d not supported yet",
				  a->pid, a->fd, a->link, v);
	u->ino = a->st.st_ino;
	u->type = (uint32_t)v;
	u->state = d->state;
	u->has_shutdown = true;
	u->shutdown = d->shutdown;
	if (d->has_peer) {
		u->has_peer_ino = true;
		u->peer_ino = d->peer;
		/* peer 0: it closed (or the connection waits in a backlog, see dump_finish) */
		u->has_peer_closed = u->peer_closed = d->peer == 0;
	}
	if (d->state == USK_LISTEN) {
		u->has_backlog = true;
		u->backlog = d->wqueue;
		u->n_icons = d->nr_icons;
		u->icons = calloc(d->nr_icons + 1, sizeof(*u->icons));
		if (!u->icons)
			return -ENOMEM;
		for (size_t i = 0; i < d->nr_icons; i++)
			u->icons[i] = d->icons[i];
	}
	if (get_int_opt(a->local, SO_SNDBUF, &v) == 0)
		u->has_sndbuf = true, u->sndbuf = (uint32_t)v;
	if (get_int_opt(a->local, SO_RCVBUF, &v) == 0)
		u->has_rcvbuf = true, u->rcvbuf = (uint32_t)v;
	if (get_int_opt(a->local, SO_PASSCRED, &v) == 0)
		u->has_passcred = true, u->passcred = v != 0;
	if (get_int_opt(a->local, SO_PEEK_OFF, &v) == 0)
		u->has_peek_off = true, u->peek_off = v;
	u->opts = calloc(1, sizeof(*u->opts));
	if (!u->opts)
		return -ENOMEM;
	sk_opts_entry__init(u->opts);
	return sk_opts_dump_more(a, u->opts);
}

static int unix_dump(struct files_dump *fd, const struct fd_dump_arg *a, FileEntry *fe)
{
	_cleanup_free_ struct usk_diag *d = calloc(1, sizeof(*d));
	UnixSkEntry *u;
	int r;

	if (!d)
		return -ENOMEM;
	r = diag_lookup(a->local, (uint32_t)a->st.st_ino, d);
	if (r < 0)
		return pr_err_ret(r, "pid %d fd %d: %s: sock_diag does not know it", a->pid, a->fd, a->link);
	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	unix_sk_entry__init(u);
	fe->unix_sk = u; /* freed with fe */
	r = fill_entry(a, u, d);
	if (r < 0)
		return r;
	if (d->name_len) {
		u->has_name = true;
		u->name.len = d->name_len;
		u->name.data = malloc(d->name_len);
		if (!u->name.data)
			return -ENOMEM;
		memcpy(u->name.data, d->name, d->name_len);
		if (d->name[0] && (r = dump_path(a, u, d)) < 0)
			return r;
	}
	/* the embryo's queue of a connection not yet accepted cannot be read: its bytes count here */
	if (u->type != SOCK_DGRAM && d->has_peer && d->peer == 0 && d->shutdown != USK_SHUTDOWN_MASK &&
	    d->wqueue)
		return pr_err_ret(
			-EOPNOTSUPP,
			"pid %d fd %d: %s sent %u bytes on a connection not yet accepted: not supported yet",
			a->pid, a->fd, a->link, d->wqueue);
	return dump_queue(fd, a, fe, d);
}

/* ---- dump: the peers, once every fd of the tree is known ---- */

static const UnixSkEntry *dumped_unix(const struct files_dump *fd, uint64_t ino)
{
	for (size_t i = 0; i < fd->nr_files; i++) {
		const FileEntry *fe = fd->files[i].fe;

		if (fe->kind == FILE_KIND__FILE_UNIX_SK && fe->unix_sk && fe->unix_sk->ino == ino)
			return fe->unix_sk;
	}
	return NULL;
}

/* The listener of the tree whose backlog holds the connection of ino, if any. */
static const UnixSkEntry *waiting_on(const struct files_dump *fd, uint64_t ino)
{
	for (size_t i = 0; i < fd->nr_files; i++) {
		const UnixSkEntry *l = fd->files[i].fe->unix_sk;

		for (size_t k = 0; fd->files[i].fe->kind == FILE_KIND__FILE_UNIX_SK && l && k < l->n_icons;
		     k++)
			if (l->icons[k] == ino)
				return l;
	}
	return NULL;
}

/* For messages: a task of the tree and its fd that hold socket ino. */
static void find_holder(const struct files_dump *fd, uint64_t ino, pid_t *ret_pid, int *ret_fd)
{
	char want[64], path[64], link[64];

	snprintf(want, sizeof(want), "socket:[%" PRIu64 "]", ino);
	*ret_pid = 0;
	*ret_fd = -1;
	for (size_t i = 0; i < fd->nr_pids; i++) {
		_cleanup_closedir_ DIR *dir = NULL;
		struct dirent *de;

		snprintf(path, sizeof(path), "/proc/%d/fd", fd->pids[i]);
		dir = opendir(path);
		while (dir && (de = readdir(dir))) {
			char p[400];
			ssize_t n;

			snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
			n = readlink(p, link, sizeof(link) - 1);
			if (n <= 0)
				continue;
			link[n] = '\0';
			if (!strcmp(link, want)) {
				*ret_pid = fd->pids[i];
				*ret_fd = atoi(de->d_name);
				return;
			}
		}
	}
}

static bool ext_allowed(const struct files_dump *fd, uint64_t ino, uint64_t peer)
{
	if (!fd->ext_unix_sk && !fd->nr_ext_unix)
		return false;
	if (fd->ext_unix_sk && !fd->nr_ext_unix)
		return true;
	for (size_t i = 0; i < fd->nr_ext_unix; i++)
		if (fd->ext_unix[i] == ino || fd->ext_unix[i] == peer)
			return true;
	return false;
}

/*
 * A peer outside the tree. The plugins were asked first (unix_dump_finish,
 * CR_PLUGIN_HOOK__DUMP_UNIX_SK); none took it. With --ext-unix-sk, a
 * datagram socket is reconnected to its peer's name at restore.
 */
static int dump_external_peer(struct files_dump *fd, UnixSkEntry *u, int local)
{
	struct sockaddr_un sa;
	socklen_t len = sizeof(sa);
	pid_t pid;
	int n;

	find_holder(fd, u->ino, &pid, &n);
	if (!ext_allowed(fd, u->ino, u->peer_ino))
		return pr_err_ret(-EOPNOTSUPP,
				  "pid %d fd %d: unix socket %" PRIu64 " is connected to socket %" PRIu64
				  " outside the dumped tree (--ext-unix-sk or --external unix[%" PRIu64
				  "] allows it)",
				  pid, n, u->ino, u->peer_ino, u->peer_ino);
	if (u->type != SOCK_DGRAM)
		return pr_err_ret(
			-EOPNOTSUPP,
			"pid %d fd %d: unix socket %" PRIu64 " is connected to socket %" PRIu64
			" outside the dumped tree: external stream and seqpacket peers are not supported yet",
			pid, n, u->ino, u->peer_ino);
	if (getpeername(local, (struct sockaddr *)&sa, &len) < 0 ||
	    len <= offsetof(struct sockaddr_un, sun_path))
		return pr_err_ret(-EOPNOTSUPP,
				  "pid %d fd %d: unix socket %" PRIu64 ": its outside peer %" PRIu64
				  " has no name to reconnect to: not supported yet",
				  pid, n, u->ino, u->peer_ino);
	if (u->has_data)
		return pr_err_ret(-EOPNOTSUPP,
				  "pid %d fd %d: unix socket %" PRIu64
				  " holds data from its outside peer %" PRIu64 ": not supported yet",
				  pid, n, u->ino, u->peer_ino);
	len -= offsetof(struct sockaddr_un, sun_path);
	u->has_ext_peer_name = true;
	u->ext_peer_name.len = len;
	u->ext_peer_name.data = malloc(len);
	if (!u->ext_peer_name.data)
		return -ENOMEM;
	memcpy(u->ext_peer_name.data, sa.sun_path, len);
	pr_info("socket %" PRIu64 ": outside peer %" PRIu64 " (%.*s), reconnected at restore\n", u->ino,
		u->peer_ino, (int)len, sa.sun_path[0] ? sa.sun_path : sa.sun_path + 1);
	return 0;
}

static int unix_dump_finish(struct files_dump *fd, FileEntry *fe, int local)
{
	UnixSkEntry *u = fe->unix_sk;
	pid_t pid;
	int n = usk_scm_dump_finish(fd); /* the first call resolves the sockets in flight */

	if (!u || n < 0)
		return n < 0 ? n : 0;
	for (size_t i = 0; i < u->n_icons; i++)
		if (!u->icons[i] || !dumped_unix(fd, u->icons[i])) {
			find_holder(fd, u->ino, &pid, &n);
			return pr_err_ret(-EOPNOTSUPP,
					  "pid %d fd %d: listening unix socket %" PRIu64
					  " has a connection waiting from socket %" PRIu64
					  " %s: not supported yet",
					  pid, n, u->ino, u->icons[i],
					  u->icons[i] ? "outside the dumped tree" : "that closed");
		}
	if (u->peer_closed && u->type != SOCK_DGRAM && waiting_on(fd, u->ino)) {
		u->peer_closed = false; /* waits in a backlog of the tree: restore connects it there */
		return 0;
	}
	if (u->peer_closed && u->type != SOCK_DGRAM && u->shutdown != USK_SHUTDOWN_MASK) {
		find_holder(fd, u->ino, &pid, &n);
		return pr_err_ret(
			-EOPNOTSUPP,
			"pid %d fd %d: unix socket %" PRIu64
			" waits in the backlog of a listener outside the dumped tree: not supported yet",
			pid, n, u->ino);
	}
	if (!u->peer_ino || dumped_unix(fd, u->peer_ino))
		return 0;
	if (fd->rpc_sk_ino && u->peer_ino == fd->rpc_sk_ino && u->type == SOCK_SEQPACKET) {
		/* a self-dump: the caller's connection to us, answered again at restore */
		find_holder(fd, u->ino, &pid, &n);
		u->has_rpc_sk = u->rpc_sk = true;
		pr_info("pid %d fd %d: unix socket %" PRIu64 " is the caller's RPC connection\n", pid, n,
			u->ino);
		return 0;
	}
	{
		int r = plugin_files_dump_unix_sk(fe, local); /* a plugin may keep it */

		if (r != -ENOTSUP)
			return r;
	}
	return dump_external_peer(fd, u, local);
}

void files_dump_set_rpc_sk(struct files_dump *fd, uint64_t ino)
{
	fd->rpc_sk_ino = ino;
}

int files_dump_set_ext_unix(struct files_dump *fd, bool ext_unix_sk, char *const *inos, size_t nr_inos,
			    char *const *external, size_t nr_external)
{
	uint64_t *v = calloc(nr_inos + nr_external + 1, sizeof(*v));
	size_t n = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < nr_inos; i++)
		v[n++] = strtoull(inos[i], NULL, 10);
	for (size_t i = 0; i < nr_external; i++) {
		unsigned long long ino;
		char end;

		if (strncmp(external[i], "unix[", 5))
			continue;
		if (sscanf(external[i], "unix[%llu%c", &ino, &end) != 2 || end != ']') {
			free(v);
			return pr_err_ret(-EINVAL, "--external %s: expected unix[INODE]", external[i]);
		}
		v[n++] = ino;
	}
	free(fd->ext_unix);
	fd->ext_unix = v;
	fd->nr_ext_unix = n;
	fd->ext_unix_sk = ext_unix_sk;
	return 0;
}

/* ---- restore ---- */

struct usk {
	size_t idx; /* in fr->files */
	const UnixSkEntry *u;
	const FileEntry *fe;
	int fd, ghost; /* ghost: the other end of a socketpair whose peer had closed */
	bool bound;    /* we bound its path (to unlink if the restore fails) */
	char *alias;   /* a deleted name: where its socket file waits until the end (to connect through) */
	char *made[USK_MAX_MADE]; /* directories made for a deleted name, outermost first */
	size_t nr_made;
};

struct usk_set {
	struct usk *s;
	size_t n;
	int tmp_listener;	  /* made to re-create an accepted connection whose listener closed */
	struct files_restore *fr; /* for the files in flight in the queues */
};

static struct usk *usk_by_ino(struct usk_set *set, uint64_t ino)
{
	for (size_t i = 0; ino && i < set->n; i++)
		if (set->s[i].u->ino == ino)
			return &set->s[i];
	return NULL;
}

static socklen_t make_addr(struct sockaddr_un *sa, const uint8_t *name, size_t len)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, name, len);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
}

static bool is_path(const UnixSkEntry *u)
{
	return u->has_name && u->name.len && u->name.data[0];
}

/* The name as a path criu can use from anywhere: relative ones joined to their directory. */
static int abs_name(const UnixSkEntry *u, char *buf, size_t size)
{
	int n = u->name.data[0] == '/'
			? snprintf(buf, size, "%.*s", (int)u->name.len, (const char *)u->name.data)
			: snprintf(buf, size, "%s/%.*s", u->name_dir ? u->name_dir : ".", (int)u->name.len,
				   (const char *)u->name.data);

	if (n < 0 || (size_t)n >= size)
		return pr_err_ret(-ENAMETOOLONG, "socket %" PRIu64 ": its name is too long", u->ino);
	return 0;
}

/* A relative name is bound and connected to from its directory: criu goes there meanwhile. */
static int enter_dir(const char *dir, int *saved)
{
	*saved = -1;
	if (!dir)
		return 0;
	*saved = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*saved < 0)
		return pr_perror_ret("cannot open the current directory");
	if (chdir(dir) < 0) {
		int r = pr_perror_ret("cannot change to %s", dir);

		close(*saved);
		*saved = -1;
		return r;
	}
	return 0;
}

static void leave_dir(int saved)
{
	if (saved < 0)
		return;
	if (fchdir(saved) < 0)
		pr_perror("cannot return to criu's directory");
	close(saved);
}

/*
 * A socket file that nobody listens on any more (a connect is refused): the
 * only kind a bind replaces. The name comes from the image: a live socket of
 * another program there (a daemon's) is never removed.
 */
static bool stale_socket(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0 || strlen(path) >= sizeof(sa.sun_path))
		return false;
	memcpy(sa.sun_path, path, strlen(path));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return false;
	return errno == ECONNREFUSED;
}

static int do_bind(struct usk *s)
{
	const UnixSkEntry *u = s->u;
	struct sockaddr_un sa;
	socklen_t len = make_addr(&sa, u->name.data, u->name.len);
	int saved, r = enter_dir(is_path(u) && u->name.data[0] != '/' ? u->name_dir : NULL, &saved);

	if (r < 0)
		return r;
	if (bind(s->fd, (struct sockaddr *)&sa, len) < 0)
		r = pr_perror_ret("socket %" PRIu64 ": cannot bind to %s%.*s", u->ino, is_path(u) ? "" : "@",
				  (int)u->name.len - !is_path(u), (const char *)u->name.data + !is_path(u));
	leave_dir(saved);
	return r;
}

/* A name in force: a stale socket file there is replaced, then the file gets its owner and mode. */
static int bind_live(struct usk *s, const char *path)
{
	const UnixSkEntry *u = s->u;
	struct stat st;
	int r;

	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) && stale_socket(path) && unlink(path) < 0)
		return pr_perror_ret("socket %" PRIu64 ": cannot remove the stale socket file %s", u->ino,
				     path);
	r = do_bind(s);
	if (r < 0)
		return r;
	s->bound = true;
	if (u->has_file_mode && chmod(path, u->file_mode & 07777) < 0)
		return pr_perror_ret("socket %" PRIu64 ": cannot chmod %s", u->ino, path);
	if (u->has_file_uid && lchown(path, u->file_uid, u->file_gid) < 0)
		return pr_perror_ret("socket %" PRIu64 ": cannot chown %s", u->ino, path);
	return 0;
}

/* The directories above path that are missing, made (and remembered, to remove at the end). */
static int make_parents(struct usk *s, const char *path)
{
	char dir[PATH_MAX];
	char *p;

	snprintf(dir, sizeof(dir), "%s", path);
	p = strrchr(dir, '/');
	if (!p || p == dir)
		return 0;
	*p = '\0';
	if (access(dir, F_OK) == 0)
		return 0;
	{
		int r = make_parents(s, dir);

		if (r < 0)
			return r;
	}
	if (s->nr_made == USK_MAX_MADE)
		return pr_err_ret(-ENAMETOOLONG, "socket %" PRIu64 ": too many missing directories above %s",
				  s->u->ino, path);
	if (mkdir(dir, 0700) < 0)
		return pr_perror_ret("socket %" PRIu64 ": cannot make the directory %s for its deleted name",
				     s->u->ino, dir);
	s->made[s->nr_made] = strdup(dir);
	if (!s->made[s->nr_made])
		return -ENOMEM;
	s->nr_made++;
	return 0;
}

/* A sibling of path named after the socket: ".criu-usk-TAG-INO". */
static int sibling(const struct usk *s, const char *path, const char *tag, char *buf, size_t size)
{
	const char *slash = strrchr(path, '/');
	int n = snprintf(buf, size, "%.*s.criu-usk-%s-%" PRIu64, slash ? (int)(slash - path + 1) : 0, path,
			 tag, s->u->ino);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/*
 * A deleted name (the path names another file now, or nothing): bound
 * where it was, with whatever is there now set aside for that moment; its
 * file then moves to an alias beside it (connects to it go there) and is
 * removed once every socket is made. Missing directories are made for the
 * moment.
 */
static int bind_deleted(struct usk *s, const char *path)
{
	char aside[PATH_MAX], alias[PATH_MAX];
	bool moved = false;
	int r = make_parents(s, path);

	if (r >= 0 && (sibling(s, path, "aside", aside, sizeof(aside)) < 0 ||
		       sibling(s, path, "alias", alias, sizeof(alias)) < 0))
		r = pr_err_ret(-ENAMETOOLONG, "socket %" PRIu64 ": %s is too long", s->u->ino, path);
	if (r < 0)
		return r;
	if (rename(path, aside) == 0)
		moved = true;
	else if (errno != ENOENT)
		return pr_perror_ret("socket %" PRIu64 ": cannot set %s aside to bind its deleted name",
				     s->u->ino, path);
	r = do_bind(s);
	if (r >= 0 && rename(path, alias) < 0) {
		r = pr_perror_ret("socket %" PRIu64 ": cannot move its deleted name %s away", s->u->ino,
				  path);
		unlink(path);
	}
	if (r >= 0)
		s->alias = strdup(alias);
	if (r >= 0 && !s->alias) {
		unlink(alias);
		r = -ENOMEM;
	}
	if (moved && rename(aside, path) < 0)
		r = pr_perror_ret("socket %" PRIu64 ": cannot put %s back (it waits as %s)", s->u->ino, path,
				  aside);
	return r;
}

static int bind_name(struct usk *s)
{
	char path[PATH_MAX];
	int r;

	if (!is_path(s->u))
		return do_bind(s);
	r = abs_name(s->u, path, sizeof(path));
	if (r < 0)
		return r;
	return s->u->name_deleted ? bind_deleted(s, path) : bind_live(s, path);
}

static int new_socket(struct usk *s)
{
	s->fd = socket(AF_UNIX, (int)s->u->type | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return pr_perror_ret("socket %" PRIu64 ": cannot create", s->u->ino);
	if (s->u->has_name && s->u->name.len)
		return bind_name(s);
	return 0;
}

static int connect_to(struct usk *s, const uint8_t *name, size_t len, const char *what)
{
	struct sockaddr_un sa;
	socklen_t sl = make_addr(&sa, name, len);

	if (connect(s->fd, (struct sockaddr *)&sa, sl) < 0)
		return pr_perror_ret("socket %" PRIu64 ": cannot connect to %s %s%.*s", s->u->ino, what,
				     name[0] ? "" : "@", (int)len - !name[0], (const char *)name + !name[0]);
	return 0;
}

/*
 * Where t is reached by name: its name, from its directory if relative; a
 * deleted name through its alias (buf holds the alias's directory then).
 */
static void usk_target(const struct usk *t, char *buf, size_t size, const char **dir, const uint8_t **name,
		       size_t *len)
{
	*dir = is_path(t->u) && t->u->name.data[0] != '/' ? t->u->name_dir : NULL;
	*name = t->u->name.data;
	*len = t->u->name.len;
	if (t->alias) {
		char *slash;

		snprintf(buf, size, "%s", t->alias);
		slash = strrchr(buf, '/');
		*dir = slash ? (slash == buf ? "/" : buf) : NULL;
		if (slash)
			*slash = '\0';
		*name = (const uint8_t *)(slash ? slash + 1 : buf);
		*len = strlen((const char *)*name);
	}
}

/* s connects to t of the set: by t's name, from t's directory; a deleted name through its alias. */
static int connect_usk(struct usk *s, const struct usk *t, const char *what)
{
	char buf[PATH_MAX];
	const char *dir;
	const uint8_t *name;
	size_t len;
	int saved, r;

	usk_target(t, buf, sizeof(buf), &dir, &name, &len);
	r = enter_dir(dir, &saved);
	if (r >= 0)
		r = connect_to(s, name, len, what);
	leave_dir(saved);
	return r;
}

/* The listener of the set bound to the name of s (an accepted socket), if any. */
static struct usk *listener_of(struct usk_set *set, const struct usk *s)
{
	for (size_t i = 0; s->u->has_name && i < set->n; i++) {
		const UnixSkEntry *l = set->s[i].u;

		if (&set->s[i] != s && l->state == USK_LISTEN && l->has_name &&
		    l->name.len == s->u->name.len && !memcmp(l->name.data, s->u->name.data, l->name.len))
			return &set->s[i];
	}
	return NULL;
}

/* In a mutual stream pair, the side that was accepted (named like a listener), or NULL. */
static struct usk *accepted_side(struct usk_set *set, struct usk *a, struct usk *b)
{
	if (a->u->type == SOCK_DGRAM)
		return NULL;
	if (a->u->has_name && a->u->name.len && !b->u->has_name)
		return a;
	if (b->u->has_name && b->u->name.len && !a->u->has_name)
		return b;
	return listener_of(set, a) ? a : listener_of(set, b) ? b : NULL;
}

/* client connects to the listener l (or a temporary one bound to acc's name); acc is accepted. */
static int connect_accept(struct usk_set *set, struct usk *l, struct usk *client, struct usk *acc)
{
	struct usk tmp = {.u = acc->u, .fd = -1, .ghost = -1};
	int lfd = l ? l->fd : -1, r;

	if (!l) {
		/* its listener closed: a short-lived one under the same name, if that is free */
		tmp.fd = socket(AF_UNIX, (int)acc->u->type | SOCK_CLOEXEC, 0);
		if (tmp.fd < 0 || do_bind(&tmp) < 0 || listen(tmp.fd, 1) < 0) {
			if (tmp.fd >= 0)
				close(tmp.fd);
			return 1; /* the caller falls back to a socketpair */
		}
		lfd = set->tmp_listener = tmp.fd;
	}
	r = new_socket(client);
	if (r >= 0)
		r = connect_usk(client, l ? l : &tmp, "its listener");
	if (r >= 0) {
		acc->fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (acc->fd < 0)
			r = pr_perror_ret("socket %" PRIu64 ": cannot accept it again", acc->u->ino);
	}
	if (!l) {
		char path[PATH_MAX];

		close(set->tmp_listener);
		set->tmp_listener = -1;
		if (is_path(acc->u) && abs_name(acc->u, path, sizeof(path)) == 0)
			unlink(path);
	}
	return r;
}

static int make_pair(struct usk *a, struct usk *b)
{
	int sv[2];

	if (socketpair(AF_UNIX, (int)a->u->type | SOCK_CLOEXEC, 0, sv) < 0)
		return pr_perror_ret("socket %" PRIu64 ": cannot create a socket pair", a->u->ino);
	a->fd = sv[0];
	if (b)
		b->fd = sv[1];
	else
		a->ghost = sv[1];
	return 0;
}

/* Sockets made on their own, or by socketpair; listeners listen. */
static int create_sockets(struct usk_set *set)
{
	for (size_t i = 0; i < set->n; i++) {
		struct usk *s = &set->s[i], *p = usk_by_ino(set, s->u->peer_ino);
		int r;

		if (s->fd >= 0)
			continue;
		if (s->u->state == USK_LISTEN) {
			r = new_socket(s);
			if (r >= 0 && listen(s->fd, (int)(s->u->backlog > s->u->n_icons ? s->u->backlog
											: s->u->n_icons)) < 0)
				r = pr_perror_ret("socket %" PRIu64 ": cannot listen", s->u->ino);
		} else if (p == s) {
			r = new_socket(s); /* a datagram socket connected to itself: connect_sockets */
		} else if (p && p->u->peer_ino == s->u->ino && p->fd < 0 && !accepted_side(set, s, p)) {
			/* a pair (a datagram pair too: each end may then get its name) */
			r = make_pair(s, p);
			if (r >= 0 && s->u->has_name && s->u->name.len)
				r = bind_name(s);
			if (r >= 0 && p->u->has_name && p->u->name.len)
				r = bind_name(p);
		} else if (s->u->rpc_sk) {
			r = make_pair(s, NULL); /* the ghost end is criu's, to answer on (keep_rpc_peer) */
		} else if (s->u->peer_closed) {
			r = make_pair(s, NULL);
			if (r >= 0 && s->u->has_name && s->u->name.len && !listener_of(set, s))
				r = bind_name(s);
		} else if (p && p->u->peer_ino == s->u->ino && accepted_side(set, s, p)) {
			continue; /* made by connect_sockets */
		} else {
			bool waiting = false;

			for (size_t k = 0; k < set->n && !waiting; k++)
				for (size_t j = 0; j < set->s[k].u->n_icons; j++)
					waiting |= set->s[k].u->icons[j] == s->u->ino;
			if (waiting)
				continue; /* made by connect_sockets, in backlog order */
			r = new_socket(s);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

static int connect_listener(struct usk_set *set, struct usk *l)
{
	int r;

	/* accepted connections first, each accepted at once, then the waiting ones in order */
	for (size_t i = 0; i < set->n; i++) {
		struct usk *a = &set->s[i], *c = usk_by_ino(set, a->u->peer_ino);

		if (a->fd >= 0 || !c || c->u->peer_ino != a->u->ino || accepted_side(set, a, c) != a ||
		    listener_of(set, a) != l)
			continue;
		r = connect_accept(set, l, c, a);
		if (r < 0)
			return r;
	}
	for (size_t k = 0; k < l->u->n_icons; k++) {
		struct usk *c = usk_by_ino(set, l->u->icons[k]);

		if (!c)
			return pr_err_ret(-EBADMSG,
					  "socket %" PRIu64 ": waiting connection %" PRIu64
					  " is not in the image",
					  l->u->ino, l->u->icons[k]);
		r = new_socket(c);
		if (r >= 0)
			r = connect_usk(c, l, "its listener");
		if (r < 0)
			return r;
	}
	return 0;
}

static int connect_sockets(struct usk_set *set)
{
	int r;

	for (size_t i = 0; i < set->n; i++)
		if (set->s[i].u->state == USK_LISTEN && (r = connect_listener(set, &set->s[i])) < 0)
			return r;
	/* accepted connections whose listener is gone */
	for (size_t i = 0; i < set->n; i++) {
		struct usk *a = &set->s[i], *c = usk_by_ino(set, a->u->peer_ino);

		if (a->fd >= 0 || !c || c->fd >= 0 || c->u->peer_ino != a->u->ino ||
		    accepted_side(set, a, c) != a)
			continue;
		r = connect_accept(set, NULL, c, a);
		if (r == 1) {
			pr_warn("socket %" PRIu64 ": its name %.*s is taken; restored as an unnamed pair\n",
				a->u->ino, (int)a->u->name.len, (const char *)a->u->name.data);
			r = make_pair(a, c);
		}
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < set->n; i++) {
		struct usk *s = &set->s[i], *p = usk_by_ino(set, s->u->peer_ino);

		if (s->fd < 0)
			return pr_err_ret(-EBADMSG, "socket %" PRIu64 ": cannot be re-created from the image",
					  s->u->ino);
		if (s->u->has_ext_peer_name) {
			r = connect_to(s, s->u->ext_peer_name.data, s->u->ext_peer_name.len,
				       "its outside peer");
		} else if (s->u->type == SOCK_DGRAM && p && (p == s || p->u->peer_ino != s->u->ino)) {
			if (!p->u->has_name || !p->u->name.len)
				return pr_err_ret(-EOPNOTSUPP,
						  "socket %" PRIu64 ": its peer %" PRIu64
						  " has no name to connect to: not supported yet",
						  s->u->ino, p->u->ino);
			r = connect_usk(s, p, "its peer");
		} else {
			continue;
		}
		if (r < 0)
			return r;
	}
	return 0;
}

/* SO_*BUFFORCE passes the sysctl limits (criu as root); plain SO_*BUF otherwise. */
static int set_buf(const struct usk *s, int force, int plain, uint32_t dumped, const char *what)
{
	int v = (int)(dumped / 2); /* the kernel doubles what is set */

	if (v <= 0 || setsockopt(s->fd, SOL_SOCKET, force, &v, sizeof(v)) == 0)
		return 0;
	if (errno == EPERM && setsockopt(s->fd, SOL_SOCKET, plain, &v, sizeof(v)) == 0)
		return 0;
	return pr_perror_ret("socket %" PRIu64 ": cannot set %s to %u", s->u->ino, what, dumped);
}

static int set_bufs(const struct usk *s)
{
	int r = 0;

	if (s->u->has_sndbuf)
		r = set_buf(s, SO_SNDBUFFORCE, SO_SNDBUF, s->u->sndbuf, "SO_SNDBUF");
	if (r >= 0 && s->u->has_rcvbuf)
		r = set_buf(s, SO_RCVBUFFORCE, SO_RCVBUF, s->u->rcvbuf, "SO_RCVBUF");
	return r;
}

/*
 * Who can put data into the queue of s: its peer, the closed peer's
 * stand-in, a datagram socket connected to it, or (by its name) the socket
 * it is connected to or a temporary one. *ret_to: send to the name of s.
 */
static int sender_for(struct usk_set *set, struct usk *s, bool *ret_tmp, bool *ret_to)
{
	struct usk *p = usk_by_ino(set, s->u->peer_ino);
	bool named = s->u->has_name && s->u->name.len;
	int t;

	*ret_tmp = *ret_to = false;
	if (s->ghost >= 0)
		return s->ghost;
	if (p && p->u->peer_ino == s->u->ino)
		return p->fd;
	for (size_t i = 0; i < set->n; i++)
		if (set->s[i].u->peer_ino == s->u->ino && set->s[i].u->type == SOCK_DGRAM)
			return set->s[i].fd;
	if (s->u->type != SOCK_DGRAM || !named)
		return pr_err_ret(-EOPNOTSUPP, "socket %" PRIu64 ": no socket can queue its %zu bytes again",
				  s->u->ino, s->u->data.len);
	*ret_to = true;
	if (p) /* connected to p: only p may send to it */
		return p->fd;
	t = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (t < 0)
		return pr_perror_ret("socket %" PRIu64 ": cannot make a sender for its queue", s->u->ino);
	*ret_tmp = true;
	return t;
}

/* criu's fds of the files in flight in message k of s, if rights (next in order) name it. */
static int rights_fds(struct usk_set *set, const struct usk *s, size_t k, size_t *next, int *fds,
		      size_t *ret_n)
{
	const UnixSkEntry *u = s->u;
	const UnixSkRights *rt;

	*ret_n = 0;
	if (*next >= u->n_rights || u->rights[*next]->packet != k)
		return 0;
	rt = u->rights[(*next)++];
	for (size_t i = 0; i < rt->n_file_ids; i++) {
		struct usk *o = NULL;
		int r = 0;

		for (size_t j = 0; j < set->n && !o; j++)
			if (set->s[j].fe->id == rt->file_ids[i])
				o = &set->s[j];
		if (o)
			fds[i] = o->fd;
		else
			r = files_restore_inflight_fd(set->fr, rt->file_ids[i], &fds[i]);
		if (r < 0 || fds[i] < 0)
			return pr_err_ret(r < 0 ? r : -EBADMSG,
					  "socket %" PRIu64 ": cannot open file %" PRIu64
					  " in flight in its queue",
					  u->ino, rt->file_ids[i]);
	}
	*ret_n = rt->n_file_ids;
	return 0;
}

/* One message (or part of a run of stream bytes) into the queue, with files in flight. */
static ssize_t send_one(int from, const uint8_t *data, size_t len, const int *fds, size_t nfds,
			struct sockaddr_un *to, socklen_t to_len)
{
	union {
		char b[CMSG_SPACE(sizeof(int) * USK_MAX_RIGHTS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {(void *)data, len};
	struct msghdr mh = {.msg_name = to, .msg_namelen = to_len, .msg_iov = &iov, .msg_iovlen = 1};

	if (nfds) {
		struct cmsghdr *c;

		mh.msg_control = ctl.b;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	return sendmsg(from, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/*
 * The last bytes of a stream run that its fds ride on: as many as the kernel
 * keeps in one buffer (a send of more is split, the fds on its first buffer,
 * and a read stops after that), so a read stops at the run's end as at dump.
 */
static size_t stream_fd_part(int from, size_t len)
{
	size_t lim = 32768; /* below the kernel's SKB_MAX_HEAD(0) + 32 KiB */
	socklen_t sl = sizeof(int);
	int sndbuf = 0;

	if (getsockopt(from, SOL_SOCKET, SO_SNDBUF, &sndbuf, &sl) == 0 && sndbuf / 2 - 64 > 0 &&
	    (size_t)(sndbuf / 2 - 64) < lim)
		lim = (size_t)(sndbuf / 2 - 64);
	return len < lim ? len : lim;
}

/* One message or stream run with its files in flight: the bytes sent, or -1 (errno). */
static ssize_t send_packet(int from, bool stream, const uint8_t *data, size_t len, const int *fds,
			   size_t nfds, struct sockaddr_un *to, socklen_t to_len)
{
	size_t head = stream && nfds ? len - stream_fd_part(from, len) : 0;
	ssize_t n = head ? send_one(from, data, head, NULL, 0, to, to_len) : 0;

	if (n != (ssize_t)head)
		return n;
	n = send_one(from, data + head, len - head, fds, nfds, to, to_len);
	return n < 0 ? n : (ssize_t)head + n;
}

static int queue_data(struct usk_set *set, struct usk *s)
{
	const UnixSkEntry *u = s->u;
	bool whole = u->type == SOCK_STREAM && !u->n_packets; /* a stream without files in flight */
	int fds[USK_MAX_RIGHTS], from, r = 0;
	size_t off = 0, next = 0, nfds;
	struct sockaddr_un sa;
	socklen_t sl = 0;
	bool tmp, to;
	char buf[PATH_MAX];
	const char *dir = NULL;
	int saved = -1;

	if ((!u->has_data || !u->data.len) && !u->n_packets)
		return 0;
	from = sender_for(set, s, &tmp, &to);
	if (from < 0)
		return from;
	if (to) { /* sent to its name: from its directory, or through its alias */
		const uint8_t *name;
		size_t len;

		usk_target(s, buf, sizeof(buf), &dir, &name, &len);
		sl = make_addr(&sa, name, len);
		r = enter_dir(dir, &saved);
	}
	for (size_t k = 0; k < (whole ? 1 : u->n_packets) && r >= 0; k++) {
		size_t len = whole ? u->data.len : u->packets[k];
		ssize_t n;

		if (len > u->data.len - off) {
			r = pr_err_ret(-EBADMSG, "socket %" PRIu64 ": message %zu runs past its data", u->ino,
				       k);
			break;
		}
		r = rights_fds(set, s, k, &next, fds, &nfds);
		if (r < 0)
			break;
		n = send_packet(from, u->type == SOCK_STREAM, u->data.data + off, len, fds, nfds,
				to ? &sa : NULL, sl);
		if (n != (ssize_t)len)
			r = n < 0 ? pr_perror_ret("socket %" PRIu64
						  ": cannot queue %zu bytes (%zu files) again",
						  u->ino, len, nfds)
				  : pr_err_ret(-EIO, "socket %" PRIu64 ": queued %zd of %zu bytes", u->ino, n,
					       len);
		off += len;
	}
	leave_dir(saved);
	if (tmp)
		close(from);
	return r;
}

static int finish_socket(struct usk *s)
{
	const UnixSkEntry *u = s->u;
	int v;

	if (s->ghost >= 0) {
		close(s->ghost);
		s->ghost = -1;
	}
	if (u->shutdown & USK_SHUTDOWN_MASK && !u->peer_closed && u->state != USK_LISTEN &&
	    shutdown(s->fd, (int)(u->shutdown & USK_SHUTDOWN_MASK) - 1) < 0 && errno != ENOTCONN)
		return pr_perror_ret("socket %" PRIu64 ": cannot shut it down (%u)", u->ino, u->shutdown);
	v = u->passcred;
	if (u->has_passcred && v && setsockopt(s->fd, SOL_SOCKET, SO_PASSCRED, &v, sizeof(v)) < 0)
		return pr_perror_ret("socket %" PRIu64 ": cannot set SO_PASSCRED", u->ino);
	v = u->peek_off;
	if (u->has_peek_off && v >= 0 && setsockopt(s->fd, SOL_SOCKET, SO_PEEK_OFF, &v, sizeof(v)) < 0)
		return pr_perror_ret("socket %" PRIu64 ": cannot set SO_PEEK_OFF", u->ino);
	v = sk_opts_restore_more(s->fd, u->opts);
	if (v < 0)
		return pr_err_ret(v, "socket %" PRIu64 ": cannot set its socket options", u->ino);
	v = sk_filter_restore(s->fd, u->opts); /* after queue_data: the queue passed it at dump */
	if (v < 0)
		return pr_err_ret(v, "socket %" PRIu64 ": cannot attach its filter (SO_ATTACH_FILTER)",
				  u->ino);
	if (fcntl(s->fd, F_SETFL, s->fe->flags & O_NONBLOCK) < 0)
		return pr_perror_ret("socket %" PRIu64 ": cannot set its flags", u->ino);
	if (s->alias && unlink(s->alias) < 0)
		return pr_perror_ret("socket %" PRIu64 ": cannot remove %s (its deleted name's file)", u->ino,
				     s->alias);
	free(s->alias);
	s->alias = NULL;
	return 0;
}

/* A self-dumped caller's RPC socket: criu keeps the other end until the tree runs. */
static int keep_rpc_peer(struct files_restore *fr, struct usk *s)
{
	int *v, fd;

	if (!s->u->rpc_sk || s->ghost < 0)
		return 0;
	v = realloc(fr->rpc_peers, (fr->nr_rpc_peers + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	fr->rpc_peers = v;
	/* above every task's numbers, like criu's other fds; the tasks close it */
	fd = fcntl(s->ghost, F_DUPFD_CLOEXEC, fr->fd_floor);
	if (fd < 0)
		return pr_perror_ret("socket %" PRIu64 ": cannot keep the RPC peer end", s->u->ino);
	fr->rpc_peers[fr->nr_rpc_peers++] = fd;
	close(s->ghost);
	s->ghost = -1;
	return 0;
}

void files_restore_answer_rpc(struct files_restore *fr, int (*answer)(int sk))
{
	for (size_t i = 0; fr && i < fr->nr_rpc_peers; i++) {
		if (answer && answer(fr->rpc_peers[i]) < 0)
			pr_warn("a restored self-dumped caller was not answered: its criu_dump() fails\n");
		close(fr->rpc_peers[i]);
	}
	if (fr)
		fr->nr_rpc_peers = 0;
}

static int check_entry(const FileEntry *fe)
{
	const UnixSkEntry *u = fe->unix_sk;

	if (!u)
		return pr_err_ret(-EBADMSG, "file %" PRIu64 ": a unix socket without its state", fe->id);
	if ((u->type != SOCK_STREAM && u->type != SOCK_DGRAM && u->type != SOCK_SEQPACKET) ||
	    (u->has_name && u->name.len > sizeof(((struct sockaddr_un *)0)->sun_path)) ||
	    (u->has_ext_peer_name &&
	     (!u->ext_peer_name.len || u->ext_peer_name.len > sizeof(((struct sockaddr_un *)0)->sun_path))))
		return pr_err_ret(-EBADMSG,
				  "file %" PRIu64 ": unix socket %" PRIu64 " of type %u or name is invalid",
				  fe->id, u->ino, u->type);
	return 0;
}

static void usk_set_free(struct usk_set *set, bool failed)
{
	for (size_t i = 0; i < set->n; i++) {
		struct usk *s = &set->s[i];
		char path[PATH_MAX];

		if (s->ghost >= 0)
			close(s->ghost);
		if (failed && s->fd >= 0)
			close(s->fd);
		if (failed && s->bound && abs_name(s->u, path, sizeof(path)) == 0)
			unlink(path);
		if (s->alias)
			unlink(s->alias);
		free(s->alias);
	}
	/* the directories made for deleted names, innermost first (another's may still hold files) */
	for (size_t i = set->n; i-- > 0;)
		for (size_t k = set->s[i].nr_made; k-- > 0;) {
			if (rmdir(set->s[i].made[k]) < 0 && errno != ENOTEMPTY && errno != ENOENT)
				pr_perror("cannot remove the directory %s made for a deleted socket name",
					  set->s[i].made[k]);
			free(set->s[i].made[k]);
		}
	free(set->s);
}

/* Makes every unix socket of the image; each waits in fr->file_fds until its open. */
static int restore_all(struct files_restore *fr)
{
	struct usk_set set = {.tmp_listener = -1, .fr = fr};
	int r = 0;

	set.s = calloc(fr->nr_files + 1, sizeof(*set.s));
	if (!set.s)
		return -ENOMEM;
	for (size_t i = 0; i < fr->nr_files && r >= 0; i++) {
		if (fr->files[i]->kind != FILE_KIND__FILE_UNIX_SK)
			continue;
		r = check_entry(fr->files[i]);
		if (r >= 0)
			r = usk_scm_check(fr, fr->files[i]);
		if (r >= 0 && fr->files[i]->plugin) { /* a plugin made it (outside peer) */
			r = plugin_files_restore_unix_sk(fr->files[i], &fr->file_fds[i]);
			continue;
		}
		set.s[set.n++] = (struct usk){
			.idx = i, .u = fr->files[i]->unix_sk, .fe = fr->files[i], .fd = -1, .ghost = -1};
	}
	if (r >= 0)
		r = create_sockets(&set);
	if (r >= 0)
		r = connect_sockets(&set);
	for (size_t i = 0; r >= 0 && i < set.n; i++)
		r = set_bufs(&set.s[i]);
	for (size_t i = 0; r >= 0 && i < set.n; i++)
		r = queue_data(&set, &set.s[i]);
	for (size_t i = 0; r >= 0 && i < set.n; i++)
		r = keep_rpc_peer(fr, &set.s[i]);
	for (size_t i = 0; r >= 0 && i < set.n; i++)
		r = finish_socket(&set.s[i]);
	if (r >= 0)
		for (size_t i = 0; i < set.n; i++)
			fr->file_fds[set.s[i].idx] = set.s[i].fd;
	usk_set_free(&set, r < 0);
	return r;
}

static int unix_open(struct files_restore *fr, const FileEntry *fe, int *ret_fd)
{
	size_t i, first = fr->nr_files;

	for (i = 0; i < fr->nr_files && fr->files[i] != fe; i++)
		if (first == fr->nr_files && fr->files[i]->kind == FILE_KIND__FILE_UNIX_SK)
			first = i;
	if (i == fr->nr_files)
		return -ENOENT;
	if (first == fr->nr_files) { /* the first unix socket: make them all */
		int r = restore_all(fr);

		if (r < 0)
			return r;
	}
	if (fr->file_fds[i] < 0)
		return pr_err_ret(-EBADMSG, "file %" PRIu64 ": unix socket was not made", fe->id);
	*ret_fd = fr->file_fds[i];
	fr->file_fds[i] = -1;
	return 0;
}

const struct fd_ops unix_fd_ops = {
	.name = "unix socket",
	.kind = FILE_KIND__FILE_UNIX_SK,
	.match_fd = unix_match_fd,
	.dump = unix_dump,
	.open = unix_open,
	.dump_finish = unix_dump_finish,
};
