/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unix sockets, restore (the dump and the whole picture: sk_unix.c). The
 * first unix socket opened makes them all, since they refer to each other:
 * create and bind (deleted and relative names: their directory, an alias),
 * listen, connect (accepted connections again through their listener,
 * waiting ones left in its backlog), queue the data from the peer side with
 * its files in flight, then shutdown and options.
 */
#define LOG_PREFIX "unix: "
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "plugin_files.h"
#include "cleanup.h"
#include "files_priv.h"
#include "log.h"
#include "sk_net.h"
#include "sk_unix.h"


#define USK_MAX_MADE 16 /* directories made for one deleted name */

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

int usk_restore_open(struct files_restore *fr, const FileEntry *fe, int *ret_fd)
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

