/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The SOL_SOCKET options every kind of socket keeps (socket(7)), dumped
 * with getsockopt and set again on the new socket: reuse, keepalive, buffer
 * sizes, priority, mark, linger, the bound device, the low-water mark, the
 * timeouts, and a classic BPF filter (SO_ATTACH_FILTER, read back with
 * SO_GET_FILTER: its length counts instructions, and 0 asks for the count).
 * An eBPF program (SO_ATTACH_BPF) cannot be read back: the dump refuses it.
 *
 * Only values that differ from a new socket's are set at restore, so that a
 * socket comes back with what its owner chose and the kernel's defaults.
 */
#include <errno.h>
#include <linux/filter.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "cleanup.h"
#include "log.h"
#include "sk_net.h"

DEFINE_PB_CLEANUP(SkOptsEntry, sk_opts_entry)

#ifndef SO_BUF_LOCK
#define SO_BUF_LOCK 72
#endif

/* A classic filter has at most BPF_MAXINSNS instructions (filter.h). */
#define FILTER_MAX 4096

static int opt_get(int sk, int opt, int *ret)
{
	socklen_t len = sizeof(*ret);

	*ret = 0;
	return getsockopt(sk, SOL_SOCKET, opt, ret, &len) < 0 ? -errno : 0;
}

static int opt_set(int sk, int opt, int v)
{
	return setsockopt(sk, SOL_SOCKET, opt, &v, sizeof(v)) < 0 ? -errno : 0;
}

static int get_timeo(int sk, int opt, uint64_t *ret_us)
{
	struct timeval tv = {0};
	socklen_t len = sizeof(tv);

	if (getsockopt(sk, SOL_SOCKET, opt, &tv, &len) < 0)
		return -errno;
	*ret_us = (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec;
	return 0;
}

static int set_timeo(int sk, int opt, uint64_t us)
{
	struct timeval tv = {.tv_sec = (time_t)(us / 1000000), .tv_usec = (suseconds_t)(us % 1000000)};

	return setsockopt(sk, SOL_SOCKET, opt, &tv, sizeof(tv)) < 0 ? -errno : 0;
}

static int dump_filter(const struct fd_dump_arg *a, SkOptsEntry *o)
{
	_cleanup_free_ struct sock_filter *f = NULL;
	socklen_t n = 0;
	int v;

	if (getsockopt(a->local, SOL_SOCKET, SO_GET_FILTER, NULL, &n) < 0) {
		if (errno == EACCES)
			return pr_err_ret(-EOPNOTSUPP,
					  "pid %d fd %d: %s: its filter is an eBPF program (SO_ATTACH_BPF), "
					  "which cannot be read back: not supported",
					  a->pid, a->fd, a->link ? a->link : "socket");
		return pr_perror_ret("pid %d fd %d: cannot read SO_GET_FILTER", a->pid, a->fd);
	}
	if (n == 0)
		return 0;
	if (n > FILTER_MAX)
		return pr_err_ret(-E2BIG, "pid %d fd %d: a socket filter of %u instructions", a->pid, a->fd, n);
	f = calloc(n, sizeof(*f));
	o->filter = calloc(n, sizeof(*o->filter));
	if (!f || !o->filter)
		return -ENOMEM;
	if (getsockopt(a->local, SOL_SOCKET, SO_GET_FILTER, f, &n) < 0)
		return pr_perror_ret("pid %d fd %d: cannot read its socket filter", a->pid, a->fd);
	for (socklen_t i = 0; i < n; i++)
		o->filter[i] = (uint64_t)f[i].code << 48 | (uint64_t)f[i].jt << 40 | (uint64_t)f[i].jf << 32 | f[i].k;
	o->n_filter = n;
	if (opt_get(a->local, SO_LOCK_FILTER, &v) == 0 && v)
		o->has_filter_locked = o->filter_locked = true;
	return 0;
}

int sk_opts_dump_more(const struct fd_dump_arg *a, SkOptsEntry *o)
{
	int v;

#define OPT_FLAG(name, opt)                                                                                  \
	if (opt_get(a->local, opt, &v) == 0 && v)                                                            \
		o->has_##name = o->name = true;
	OPT_FLAG(passsec, SO_PASSSEC);
	OPT_FLAG(dontroute, SO_DONTROUTE);
	OPT_FLAG(no_check, SO_NO_CHECK);
	OPT_FLAG(oobinline, SO_OOBINLINE);
#undef OPT_FLAG
	if (opt_get(a->local, SO_RCVLOWAT, &v) == 0 && v != 1)
		o->has_rcvlowat = true, o->rcvlowat = (uint32_t)v;
	if (get_timeo(a->local, SO_RCVTIMEO, &o->rcvtimeo_us) == 0 && o->rcvtimeo_us)
		o->has_rcvtimeo_us = true;
	if (get_timeo(a->local, SO_SNDTIMEO, &o->sndtimeo_us) == 0 && o->sndtimeo_us)
		o->has_sndtimeo_us = true;
	return dump_filter(a, o);
}

int sk_opts_dump(const struct fd_dump_arg *a, SkOptsEntry **ret)
{
	_cleanup_pb_(sk_opts_entry) SkOptsEntry *o = calloc(1, sizeof(*o));
	struct linger lg = {0};
	socklen_t len = sizeof(lg);
	char dev[IFNAMSIZ + 1] = {0};
	int v, r;

	if (!o)
		return -ENOMEM;
	sk_opts_entry__init(o);
#define OPT_BOOL(name, opt)                                                                                  \
	if (opt_get(a->local, opt, &v) == 0)                                                                 \
		o->has_##name = true, o->name = v != 0;
#define OPT_U32(name, opt)                                                                                   \
	if (opt_get(a->local, opt, &v) == 0)                                                                 \
		o->has_##name = true, o->name = (uint32_t)v;
	OPT_BOOL(reuseaddr, SO_REUSEADDR);
	OPT_BOOL(reuseport, SO_REUSEPORT);
	OPT_BOOL(keepalive, SO_KEEPALIVE);
	OPT_BOOL(broadcast, SO_BROADCAST);
	OPT_U32(buf_lock, SO_BUF_LOCK);
	OPT_U32(sndbuf, SO_SNDBUF);
	OPT_U32(rcvbuf, SO_RCVBUF);
	OPT_U32(priority, SO_PRIORITY);
	OPT_U32(mark, SO_MARK);
#undef OPT_BOOL
#undef OPT_U32
	if (getsockopt(a->local, SOL_SOCKET, SO_LINGER, &lg, &len) == 0 && lg.l_onoff) {
		o->has_linger_on = o->has_linger_secs = true;
		o->linger_on = true;
		o->linger_secs = (uint32_t)lg.l_linger;
	}
	len = sizeof(dev) - 1;
	if (getsockopt(a->local, SOL_SOCKET, SO_BINDTODEVICE, dev, &len) == 0 && len > 0 && dev[0]) {
		o->bound_dev = strdup(dev);
		if (!o->bound_dev)
			return -ENOMEM;
	}
	r = sk_opts_dump_more(a, o);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(o);
	return 0;
}

int sk_opts_restore_more(int sk, const SkOptsEntry *o)
{
	int r = 0;

	if (!o)
		return 0;
	if (o->has_passsec && o->passsec)
		r = r ?: opt_set(sk, SO_PASSSEC, 1);
	if (o->has_dontroute && o->dontroute)
		r = r ?: opt_set(sk, SO_DONTROUTE, 1);
	if (o->has_no_check && o->no_check)
		r = r ?: opt_set(sk, SO_NO_CHECK, 1);
	if (o->has_oobinline && o->oobinline)
		r = r ?: opt_set(sk, SO_OOBINLINE, 1);
	if (o->has_rcvlowat)
		r = r ?: opt_set(sk, SO_RCVLOWAT, (int)o->rcvlowat);
	if (o->has_rcvtimeo_us)
		r = r ?: set_timeo(sk, SO_RCVTIMEO, o->rcvtimeo_us);
	if (o->has_sndtimeo_us)
		r = r ?: set_timeo(sk, SO_SNDTIMEO, o->sndtimeo_us);
	return r;
}

int sk_filter_restore(int sk, const SkOptsEntry *o)
{
	_cleanup_free_ struct sock_filter *f = NULL;
	struct sock_fprog prog;

	if (!o || !o->n_filter)
		return o && o->has_filter_locked && o->filter_locked ? -EBADMSG : 0;
	if (o->n_filter > FILTER_MAX)
		return -EBADMSG;
	f = calloc(o->n_filter, sizeof(*f));
	if (!f)
		return -ENOMEM;
	for (size_t i = 0; i < o->n_filter; i++) {
		uint64_t w = o->filter[i];

		f[i] = (struct sock_filter){.code = (uint16_t)(w >> 48),
					    .jt = (uint8_t)(w >> 40),
					    .jf = (uint8_t)(w >> 32),
					    .k = (uint32_t)w};
	}
	prog = (struct sock_fprog){.len = (unsigned short)o->n_filter, .filter = f};
	/* the kernel checks the program (sk_chk_filter): a hostile one is refused, EINVAL */
	if (setsockopt(sk, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0)
		return -errno;
	if (o->has_filter_locked && o->filter_locked)
		return opt_set(sk, SO_LOCK_FILTER, 1);
	return 0;
}

int sk_opts_restore(int sk, const SkOptsEntry *o)
{
	int r = 0;

	if (!o)
		return 0;
	if (o->has_reuseport && o->reuseport)
		r = r ?: opt_set(sk, SO_REUSEPORT, 1);
	if (o->has_keepalive && o->keepalive)
		r = r ?: opt_set(sk, SO_KEEPALIVE, 1);
	if (o->has_broadcast && o->broadcast)
		r = r ?: opt_set(sk, SO_BROADCAST, 1);
	/* only the sizes the user set: the others the kernel tunes itself */
	if (o->has_sndbuf && (!o->has_buf_lock || o->buf_lock & 1))
		r = r ?: opt_set(sk, SO_SNDBUFFORCE, (int)(o->sndbuf / 2));
	if (o->has_rcvbuf && (!o->has_buf_lock || o->buf_lock & 2))
		r = r ?: opt_set(sk, SO_RCVBUFFORCE, (int)(o->rcvbuf / 2));
	if (o->has_buf_lock)
		r = r ?: opt_set(sk, SO_BUF_LOCK, (int)o->buf_lock);
	if (o->has_priority && o->priority)
		r = r ?: opt_set(sk, SO_PRIORITY, (int)o->priority);
	if (o->has_mark && o->mark)
		r = r ?: opt_set(sk, SO_MARK, (int)o->mark);
	if (o->has_linger_on && o->linger_on) {
		struct linger lg = {.l_onoff = 1, .l_linger = (int)o->linger_secs};

		if (!r && setsockopt(sk, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) < 0)
			r = -errno;
	}
	if (o->bound_dev && !r &&
	    setsockopt(sk, SOL_SOCKET, SO_BINDTODEVICE, o->bound_dev, strlen(o->bound_dev)) < 0)
		r = -errno;
	return r ?: sk_opts_restore_more(sk, o) ?: sk_filter_restore(sk, o);
}
