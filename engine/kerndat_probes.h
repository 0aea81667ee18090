/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private to kerndat*.c: what a probe reports, shared helpers, the probes in kerndat_net.c. */
#ifndef CR_KERNDAT_PROBES_H
#define CR_KERNDAT_PROBES_H

#include <errno.h>

/* Why a probe failed: the object it was working on, and the errno. */
struct kd_why {
	int err;
	char msg[200];
};

/* Fills w with err (a -errno) and the formatted object; returns err. */
__attribute__((format(printf, 3, 4))) int kd_fail(struct kd_why *w, int err, const char *fmt, ...);
/* kd_fail() with the current errno. */
#define kd_errno(w, ...) kd_fail(w, errno ? -errno : -EIO, __VA_ARGS__)

/*
 * Runs fn(arg, w) in a forked child (reaped before returning) and hands its
 * result and why back: for probes that change what they cannot undo
 * (namespaces, mappings). Returns 0 or the child's -errno.
 */
int kd_in_child(int (*fn)(void *arg, struct kd_why *w), void *arg, struct kd_why *w);

/* kerndat_net.c: each returns 0 when the interface works, else -errno with w filled. */
int kd_probe_unix_diag(struct kd_why *w);
int kd_probe_inet_diag(struct kd_why *w);
int kd_probe_net_diag_raw(struct kd_why *w);
int kd_probe_packet_diag(struct kd_why *w);
int kd_probe_netlink_diag(struct kd_why *w);
int kd_probe_tcp_repair(struct kd_why *w);
int kd_probe_tcp_half_closed(struct kd_why *w);
int kd_probe_so_peek_off(struct kd_why *w);
int kd_probe_sockopt_buf_lock(struct kd_why *w);
int kd_probe_ipv6_freebind(struct kd_why *w);
int kd_probe_sk_ns(struct kd_why *w);
int kd_probe_sk_unix_file(struct kd_why *w);
int kd_probe_tun(struct kd_why *w);
int kd_probe_nsid(struct kd_why *w);
int kd_probe_network_lock_tools(struct kd_why *w);
int kd_probe_nftables(struct kd_why *w);
int kd_probe_ipt_legacy(struct kd_why *w);
int kd_probe_network_lock_nftables(struct kd_why *w);

#endif
