/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Half-closed TCP connections (FIN_WAIT1, FIN_WAIT2, CLOSE_WAIT, CLOSING,
 * LAST_ACK) for sk_inet.c: which FINs the state says were sent and received,
 * and the steps that put them back on a connection restored as established;
 * and the reset that ends a connection restored for one that had ended.
 */
#ifndef CR_FILES_SK_TCP_HALF_H
#define CR_FILES_SK_TCP_HALF_H

#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>

#include "images/sk-inet.pb-c.h"

/* One of the five half-closed states. */
bool tcp_half_state(uint32_t state);
/* Our FIN was queued (shutdown(SHUT_WR)); it counts one in write_seq. */
bool tcp_half_fin_sent(uint32_t state);
/* Our FIN is still in the send queue: queued, not acknowledged (SIOCOUTQ counts it). */
bool tcp_half_fin_in_sendq(uint32_t state);
/* The peer's FIN was received; it counts one in rcv_nxt. */
bool tcp_half_fin_received(uint32_t state);

/* The sequence number of the first byte of the send queue (snd_una at dump). */
uint32_t tcp_half_snd_una(const InetSkEntry *e);
/* rcv_nxt without the peer's FIN: where the restored receive queue ends. */
uint32_t tcp_half_rcv_nxt(const InetSkEntry *e);
/* The dumped window, its left edge moved back over a received FIN (rcv_wup <= rcv_nxt). */
void tcp_half_window(const InetSkEntry *e, struct tcp_repair_window *w);

/* In repair mode, the queues filled: our FIN, when it was sent, as sent (not transmitted). */
int tcp_half_repair_fin(int sk, const InetSkEntry *e);
/* Out of repair mode, the unsent data written: our FIN when it was never sent. */
int tcp_half_unsent_fin(int sk, const InetSkEntry *e);
/*
 * In repair mode, the network still locked: the peer's FIN (and its ACK of
 * ours) as packets from a raw socket, our FIN after the peer's (LAST_ACK);
 * fails if the connection does not end in its dumped state.
 */
int tcp_half_replay(int sk, const InetSkEntry *e);
/* Out of repair mode, after tcp_half_unsent_fin: the peer's FIN that came after our unsent one (CLOSING). */
int tcp_half_replay_late(int sk, const InetSkEntry *e);
/* A connection made in repair mode for one that ended: a reset from the peer ends it (TCP_CLOSE). */
int tcp_half_reset(int sk, const InetSkEntry *e, uint32_t rcv_nxt, uint32_t snd_nxt);

#endif
