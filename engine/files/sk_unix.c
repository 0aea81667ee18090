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
 * Restore (sk_unix_restore.c): the first unix socket criu opens makes them all, since they refer
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

#define USK_MAX_ICONS	  4096
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

const struct fd_ops unix_fd_ops = {
	.name = "unix socket",
	.kind = FILE_KIND__FILE_UNIX_SK,
	.match_fd = unix_match_fd,
	.dump = unix_dump,
	.open = usk_restore_open,
	.dump_finish = unix_dump_finish,
};
