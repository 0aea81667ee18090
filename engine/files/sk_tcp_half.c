/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Half-closed and ended TCP connections.
 *
 * Dump (half-closed, with --tcp-established): as an established connection
 * (sk_inet.c, repair mode); the state says which FINs there were. Our FIN
 * was sent in FIN_WAIT1, FIN_WAIT2, CLOSING and LAST_ACK: write_seq counts
 * it, and so does SIOCOUTQ until it is acknowledged (every state but
 * FIN_WAIT2), SIOCOUTQNSD while it was never sent. The peer's FIN was
 * received in CLOSE_WAIT, CLOSING and LAST_ACK: rcv_nxt counts it, SIOCINQ
 * and the queue do not.
 *
 * Restore: the connection is made established in repair mode without the
 * FINs, then they come back in the order they came:
 *   - our FIN, sent first (FIN_WAIT1/2, CLOSING): shutdown(SHUT_WR) in
 *     repair mode with the send queue selected queues it as sent, not
 *     transmitted; it is retransmitted if the peer never acknowledged it;
 *   - the peer's FIN, and the peer's ACK of ours (FIN_WAIT2): the kernel
 *     has no repair interface for them, so they arrive as packets from a raw
 *     socket in the connection's net ns, with the dumped sequence numbers,
 *     while the connection is still in repair mode and the network still
 *     locked: marked CR_NETLOCK_MARK, they pass the lock, which comes first
 *     in INPUT and so also passes them by the tree's own rules there (a
 *     rule that dropped the peer's packets after they came);
 *   - our FIN, sent after the peer's (LAST_ACK): queued as sent right after
 *     the peer's FIN came back;
 *   - our FIN, never sent: shutdown after the unsent data is written, out
 *     of repair mode, the lock lifted (what leaves repair mode must get
 *     through); in CLOSING the peer's FIN is replayed only after it.
 * Then the state must be the dumped one, or the restore fails.
 *
 * A connection that ended (TCP_CLOSE, both directions shut, its peer's
 * address still kept) comes back the same way: connected in repair mode,
 * its unread data queued, then ended by a reset from the raw socket; the
 * error the reset leaves is taken, since the task had none pending.
 */
#define LOG_PREFIX "files: "
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "netlock.h"
#include "sk_net.h"
#include "sk_tcp_half.h"

enum {
	ST_ESTABLISHED = 1,
	ST_FIN_WAIT1 = 4,
	ST_FIN_WAIT2 = 5,
	ST_CLOSE_WAIT = 8,
	ST_LAST_ACK = 9,
	ST_CLOSING = 11,
};

bool tcp_half_state(uint32_t state)
{
	return tcp_half_fin_sent(state) || tcp_half_fin_received(state);
}

bool tcp_half_fin_sent(uint32_t state)
{
	return state == ST_FIN_WAIT1 || state == ST_FIN_WAIT2 || state == ST_CLOSING || state == ST_LAST_ACK;
}

bool tcp_half_fin_in_sendq(uint32_t state)
{
	return tcp_half_fin_sent(state) && state != ST_FIN_WAIT2;
}

bool tcp_half_fin_received(uint32_t state)
{
	return state == ST_CLOSE_WAIT || state == ST_CLOSING || state == ST_LAST_ACK;
}

uint32_t tcp_half_snd_una(const InetSkEntry *e)
{
	return e->tcp->snd_seq - (uint32_t)e->tcp->sendq.len - (tcp_half_fin_sent(e->state) ? 1u : 0u);
}

uint32_t tcp_half_rcv_nxt(const InetSkEntry *e)
{
	return e->tcp->rcv_seq - (tcp_half_fin_received(e->state) ? 1u : 0u);
}

void tcp_half_window(const InetSkEntry *e, struct tcp_repair_window *w)
{
	uint32_t nxt = tcp_half_rcv_nxt(e);

	/* the kernel refuses rcv_wup after rcv_nxt; the right edge stays */
	if ((int32_t)(w->rcv_wup - nxt) > 0) {
		w->rcv_wnd += w->rcv_wup - nxt;
		w->rcv_wup = nxt;
	}
}

static int set_int(int sk, int level, int opt, int v)
{
	return setsockopt(sk, level, opt, &v, sizeof(v)) < 0 ? -errno : 0;
}

static int queue_fin_as_sent(int sk)
{
	int r = set_int(sk, SOL_TCP, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE);

	if (r == 0 && shutdown(sk, SHUT_WR) < 0)
		r = -errno;
	if (r == 0)
		r = set_int(sk, SOL_TCP, TCP_REPAIR_QUEUE, TCP_NO_QUEUE);
	return r < 0 ? pr_err_ret(r, "cannot queue our FIN as sent") : 0;
}

int tcp_half_repair_fin(int sk, const InetSkEntry *e)
{
	/* LAST_ACK: the peer's FIN comes first, later (tcp_half_replay) */
	if (!tcp_half_fin_sent(e->state) || e->tcp->fin_unsent || e->state == ST_LAST_ACK)
		return 0;
	return queue_fin_as_sent(sk);
}

int tcp_half_unsent_fin(int sk, const InetSkEntry *e)
{
	if (!tcp_half_fin_sent(e->state) || !e->tcp->fin_unsent)
		return 0;
	return shutdown(sk, SHUT_WR) < 0 ? pr_perror_ret("cannot queue our FIN") : 0;
}

/* The one's complement sum of big-endian 16-bit words. */
static uint32_t csum_add(uint32_t sum, const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

static bool v4_mapped(const uint8_t *a)
{
	static const uint8_t pfx[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	return !memcmp(a, pfx, sizeof(pfx));
}

/* One bare segment from the peer to the socket: the IP header (IPv4 or IPv6) and TCP's. */
enum { SEG_ACK = 0, SEG_FIN = 1, SEG_RST = 2 };

static const char *seg_name(int kind)
{
	return kind == SEG_FIN ? "FIN" : kind == SEG_RST ? "reset" : "ACK";
}

static size_t build_segment(const InetSkEntry *e, uint32_t seq, uint32_t ack, int kind, uint8_t *pkt,
			    struct sockaddr_storage *ret_to, socklen_t *ret_len)
{
	bool v4 = e->family == AF_INET || v4_mapped(e->dst_addr.data);
	size_t alen = v4 ? 4 : 16, off = e->family == AF_INET6 && v4 ? 12 : 0, ip = v4 ? 20 : 40;
	const uint8_t *peer = e->dst_addr.data + off, *self = e->src_addr.data + off;
	const TcpStreamEntry *t = e->tcp;
	uint32_t win = t && t->has_snd_wnd ? t->snd_wnd >> (t->has_snd_wscale ? t->snd_wscale : 0) : 65535;
	struct tcphdr th = {0};
	uint32_t sum;

	th.source = htons((uint16_t)e->dst_port);
	th.dest = htons((uint16_t)e->src_port);
	th.seq = htonl(seq);
	th.ack_seq = htonl(ack);
	th.doff = 5;
	th.ack = 1;
	th.fin = kind == SEG_FIN;
	th.rst = kind == SEG_RST;
	/* the window the peer offered: the send window stays as dumped */
	th.window = htons(win > 65535 ? 65535 : (uint16_t)win);
	sum = csum_add(csum_add(0, peer, alen), self, alen) + IPPROTO_TCP + sizeof(th);
	th.check = csum_fold(csum_add(sum, &th, sizeof(th)));
	memset(pkt, 0, ip);
	memset(ret_to, 0, sizeof(*ret_to));
	if (v4) {
		struct iphdr *h = (struct iphdr *)pkt;
		struct sockaddr_in *to = (struct sockaddr_in *)ret_to;

		h->version = 4, h->ihl = 5, h->ttl = 64, h->protocol = IPPROTO_TCP;
		h->tot_len = htons((uint16_t)(ip + sizeof(th))); /* the kernel fills id and checksum */
		memcpy(&h->saddr, peer, 4), memcpy(&h->daddr, self, 4);
		to->sin_family = AF_INET, memcpy(&to->sin_addr, self, 4);
		*ret_len = sizeof(*to);
	} else {
		struct ip6_hdr *h = (struct ip6_hdr *)pkt;
		struct sockaddr_in6 *to = (struct sockaddr_in6 *)ret_to;

		h->ip6_flow = htonl(6u << 28), h->ip6_plen = htons(sizeof(th));
		h->ip6_nxt = IPPROTO_TCP, h->ip6_hlim = 64;
		memcpy(&h->ip6_src, peer, 16), memcpy(&h->ip6_dst, self, 16);
		to->sin6_family = AF_INET6, memcpy(&to->sin6_addr, self, 16);
		*ret_len = sizeof(*to);
	}
	memcpy(pkt + ip, &th, sizeof(th));
	return ip + sizeof(th);
}

/* Marked CR_NETLOCK_MARK: through the network lock, and ahead of the tree's rules (see the top). */
static int inject_segment(int sk, const InetSkEntry *e, uint32_t seq, uint32_t ack, int kind)
{
	uint8_t pkt[64];
	struct sockaddr_storage to;
	socklen_t tolen;
	size_t len = build_segment(e, seq, ack, kind, pkt, &to, &tolen);
	_cleanup_close_ int raw = sk_socket_in_netns_of(sk, to.ss_family, SOCK_RAW, IPPROTO_RAW);

	if (raw < 0)
		return pr_err_ret(raw, "cannot make a raw socket to replay the peer's %s", seg_name(kind));
	if (set_int(raw, SOL_SOCKET, SO_MARK, CR_NETLOCK_MARK) < 0)
		return pr_perror_ret("cannot mark the raw socket that replays the peer's %s", seg_name(kind));
	if (sendto(raw, pkt, len, 0, (struct sockaddr *)&to, tolen) != (ssize_t)len)
		return pr_perror_ret("cannot replay the peer's %s", seg_name(kind));
	return 0;
}

static int tcp_state_of(int sk)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	return getsockopt(sk, SOL_TCP, TCP_INFO, &ti, &len) < 0 ? -errno : ti.tcpi_state;
}

/*
 * Waits until the segment moved the connection out of state from: it is
 * taken in a softirq, most often before sendto returns; up to a second.
 * (The peer may move it on further at once: the lock is lifted.)
 */
static int wait_left(int sk, int from, const char *what)
{
	int st = -ETIMEDOUT;

	for (int i = 0; i < 200; i++) {
		st = tcp_state_of(sk);
		if (st < 0 || st != from)
			return st < 0 ? st : 0;
		usleep(5000);
	}
	return pr_err_ret(-EPROTO, "the replayed %s was not taken: the connection stays in TCP state %d",
			  what, from);
}

/* CLOSING with our FIN never sent: the peer's FIN comes after ours, written out of repair mode. */
static bool peer_fin_late(const InetSkEntry *e)
{
	return e->state == ST_CLOSING && e->tcp->fin_unsent;
}

int tcp_half_replay(int sk, const InetSkEntry *e)
{
	const TcpStreamEntry *t = e->tcp;
	int r = 0;

	if (peer_fin_late(e))
		return 0;
	if (tcp_half_fin_received(e->state)) {
		r = inject_segment(sk, e, tcp_half_rcv_nxt(e), tcp_half_snd_una(e), SEG_FIN);
		if (r == 0)
			r = wait_left(sk, e->state == ST_CLOSING ? ST_FIN_WAIT1 : ST_ESTABLISHED, "FIN");
	}
	/* LAST_ACK: our FIN after the peer's, as sent (or written later, tcp_half_unsent_fin) */
	if (r == 0 && e->state == ST_LAST_ACK && !t->fin_unsent)
		r = queue_fin_as_sent(sk);
	if (r == 0 && e->state == ST_FIN_WAIT2) {
		/* acknowledges our FIN: snd_seq counts it */
		r = inject_segment(sk, e, t->rcv_seq, t->snd_seq, SEG_ACK);
		if (r == 0)
			r = wait_left(sk, ST_FIN_WAIT1, "ACK");
	}
	if (r == 0 && !t->fin_unsent && tcp_state_of(sk) != (int)e->state)
		r = pr_err_ret(-EPROTO, "the connection is in TCP state %d after its FINs, not %u",
			       tcp_state_of(sk), e->state);
	return r;
}

int tcp_half_replay_late(int sk, const InetSkEntry *e)
{
	int r;

	if (!peer_fin_late(e))
		return 0;
	r = inject_segment(sk, e, tcp_half_rcv_nxt(e), tcp_half_snd_una(e), SEG_FIN);
	return r < 0 ? r : wait_left(sk, ST_FIN_WAIT1, "FIN");
}

int tcp_half_reset(int sk, const InetSkEntry *e, uint32_t rcv_nxt, uint32_t snd_nxt)
{
	int r = inject_segment(sk, e, rcv_nxt, snd_nxt, SEG_RST);

	return r < 0 ? r : wait_left(sk, ST_ESTABLISHED, "reset");
}
