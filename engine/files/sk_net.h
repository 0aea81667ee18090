/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What sk_inet.c, sk_netlink.c and sk_packet.c share (network sockets). */
#ifndef CR_FILES_SK_NET_H
#define CR_FILES_SK_NET_H

#include <linux/netlink.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "files_priv.h"
#include "images/sk-inet.pb-c.h"

struct netlock;

/* A socket in repair mode at dump, to take out of it again if the tree goes on. */
struct sk_repaired {
	int local; /* our copy; owned by files_dump */
	bool reuseaddr;
};

/* Per dump: the options and what the sockets left to undo. */
struct sk_net_dump {
	struct files_net_opts o;
	struct netlock *lock;
	struct sk_repaired *rep;
	size_t nr_rep;
};

/* A NETLINK_SOCK_DIAG socket in the network namespace of the socket sk (a tree's own net ns). */
int sk_diag_socket_for(int sk);
/* A new socket(domain, type | SOCK_CLOEXEC, proto) in the network namespace of the socket sk. */
int sk_socket_in_netns_of(int sk, int domain, int type, int proto);
/*
 * Runs a sock_diag request (NETLINK_SOCK_DIAG) in the network namespace of
 * the socket sk; cb sees every answer and returns 1 to stop (found), 0 to go
 * on, or -errno. Returns cb's 1, 0 when nothing matched, or -errno.
 */
int sk_diag_query(int sk, const void *req, size_t len, int (*cb)(const struct nlmsghdr *h, void *arg), void *arg);

/* sk_opts.c: the SOL_SOCKET options of a->local; *ret is a new entry. */
int sk_opts_dump(const struct fd_dump_arg *a, SkOptsEntry **ret);
/* Only the low-water mark, timeouts, flags and filter (unix sockets keep their buffers themselves). */
int sk_opts_dump_more(const struct fd_dump_arg *a, SkOptsEntry *o);
/* Sets them on a new socket (SO_REUSEADDR aside: the caller's business), filter last. */
int sk_opts_restore(int sk, const SkOptsEntry *o);
/* What sk_opts_dump_more dumped, the filter aside; and the filter (then SO_LOCK_FILTER). */
int sk_opts_restore_more(int sk, const SkOptsEntry *o);
int sk_filter_restore(int sk, const SkOptsEntry *o);
/* files.c: frees the dump's state; writes netlock.img. */
void sk_net_dump_free(struct sk_net_dump *net);
int sk_net_dump_write(struct files_dump *fd, struct img_dir *d);
/* sk_inet.c: the sockaddr of one end of e (addr 4 or 16 bytes, port host order); its length. */
socklen_t sk_inet_make_addr(const InetSkEntry *e, const ProtobufCBinaryData *addr, uint32_t port,
			    struct sockaddr_storage *ss);
/* In repair mode: writes data into the queue (TCP_SEND_QUEUE, TCP_RECV_QUEUE); -errno. */
int sk_tcp_fill_queue(int sk, int queue, const uint8_t *data, size_t len);
/* O_NONBLOCK and the like of the description. */
int sk_restore_flags(int sk, uint32_t flags);

#endif
