/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The network lock: while the tree's TCP connections are checkpointed, their
 * packets are dropped (both directions) so that neither end sees a reset,
 * and a peer outside the tree just retransmits until the restore is done.
 *
 * Each dump makes its own iptables chain (jumped to from INPUT and OUTPUT,
 * ip6tables too) or nftables table, named in netlock.img, with one DROP
 * rule per connection direction, added before the connection is read in
 * repair mode. The restore removes the whole chain or table; so does a
 * failed dump or --leave-running. Removal is idempotent: a lock that is
 * already gone is no error.
 *
 * A tree with its own net ns also gets the hooks network-lock and
 * network-unlock (PROTOCOL.md §2), and its rules live in that ns.
 */
#ifndef CR_NETLOCK_H
#define CR_NETLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "image.h"

/*
 * Packets with this mark pass every lock (the mark CRIU uses): criu's own,
 * the peer's FIN, ACK or reset replayed to a restored connection (sk_tcp_half.c).
 */
#define CR_NETLOCK_MARK 0xc114

/* --network-lock: the values of cr_opts.network_lock */
enum { NETLOCK_OPT_IPTABLES = 1, NETLOCK_OPT_NFTABLES = 2, NETLOCK_OPT_SKIP = 3 };

struct netlock;

/*
 * The dump's lock of the frozen tree of root; otherwise nothing is installed
 * until the first connection. Fires network-lock when the tree has its own
 * net ns. whole_ns (--tcp-established): such a tree has that whole
 * namespace locked at once (netlock.c).
 */
int netlock_dump_init(int method, pid_t root, bool whole_ns, struct netlock **ret);
/* Drops the packets of one TCP connection (addresses 4 or 16 bytes, ports host order). */
int netlock_add_conn(struct netlock *nl, int family, const uint8_t *src, uint16_t sport, const uint8_t *dst,
		     uint16_t dport);
/* Writes netlock.img when anything is locked, for the restore. */
int netlock_dump_write(struct netlock *nl, struct img_dir *d);
/* Lifts the lock now (a failed dump, --leave-running); logs failures. */
int netlock_dump_unlock(struct netlock *nl);
void netlock_free(struct netlock *nl);

/*
 * Restore: lifts the lock netlock.img names, if any; root is the restored
 * root (its net ns holds the rules of a tree with its own), or 0.
 */
int netlock_restore_unlock(struct img_dir *d, pid_t root);

/*
 * Restore, while criu replays a peer's packets to restored connections
 * (sk_tcp_half.c): packets marked CR_NETLOCK_MARK pass the filter rules of
 * the net ns of root (criu's when root shares it), by an iptables chain
 * first in INPUT and OUTPUT. Rules in nftables tables of their own are not
 * passed (their base chains each have their say). netlock_pass_end removes
 * the chain.
 */
int netlock_pass_begin(pid_t root, struct netlock **ret);
void netlock_pass_end(struct netlock *nl);

#endif
