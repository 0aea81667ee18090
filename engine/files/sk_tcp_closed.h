/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * TCP sockets whose connection ended, or still connecting (SYN_SENT), for
 * sk_inet.c (sk_tcp_closed.c says how each comes back).
 */
#ifndef CR_FILES_SK_TCP_CLOSED_H
#define CR_FILES_SK_TCP_CLOSED_H

#include <stdbool.h>

#include "files_priv.h"
#include "images/sk-inet.pb-c.h"

/* An ended connection with its peer's address: restored connected, then reset. */
bool tcp_closed_is_ended(const InetSkEntry *e);
/*
 * Dump of a TCP_CLOSE socket with both directions shut (addresses already
 * in e): its unread data, in e->tcp when the peer is known; refuses a
 * pending error, and unread data without a peer (conn names the socket).
 */
int tcp_closed_dump_ended(const struct fd_dump_arg *a, InetSkEntry *e, const char *conn);
/* Phase 2, in repair mode, its options set: connected to its peer, its data queued. */
int tcp_closed_restore_ended(int sk, const InetSkEntry *e);
/* Phase 4, the network still locked: the peer's reset ends it; out of repair mode. */
int tcp_closed_replay_end(int sk, const InetSkEntry *e);
/* Phase 2, in repair mode, its options set: bound, connecting again with its initial sequence number. */
int tcp_closed_restore_syn_sent(int sk, const InetSkEntry *e);

#endif
