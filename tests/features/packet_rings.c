/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Packet sockets with their options and rings:
 *   a: SOCK_RAW, TPACKET_V2, PACKET_AUXDATA, PACKET_RESERVE 64, bound to lo,
 *      a promiscuous membership on lo, an RX ring of 4 blocks mapped shared;
 *   b: SOCK_DGRAM, TPACKET_V3 RX ring (with a block timeout) mapped shared,
 *      PACKET_ORIGDEV, in a fanout group (hash) of its own id.
 * After restore: every option reads as before, the membership can be
 * dropped (it was there), the rings are mapped at their addresses from their
 * sockets, and a datagram sent over lo shows up in a's ring.
 */
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "feature.h"

static int get_int(int sk, int opt)
{
	int v = -1;
	socklen_t l = sizeof(v);

	return getsockopt(sk, SOL_PACKET, opt, &v, &l) < 0 ? -1 : v;
}

/* Whether /proc/self/maps shows the mapping at addr as socket:[ino of sk]. */
static int mapped_from(const void *addr, int sk)
{
	char line[512], want[64];
	struct stat st;
	FILE *f = fopen("/proc/self/maps", "r");
	int ok = 0;

	if (!f || fstat(sk, &st))
		return 0;
	snprintf(want, sizeof(want), "socket:[%lu]", (unsigned long)st.st_ino);
	while (fgets(line, sizeof(line), f)) {
		unsigned long s;

		if (sscanf(line, "%lx-", &s) == 1 && s == (unsigned long)addr && strstr(line, want))
			ok = 1;
	}
	fclose(f);
	return ok;
}

int main(int argc, char **argv)
{
	int a, b, v, lo = (int)if_nametoindex("lo"), fan;
	struct tpacket_req ra = {
		.tp_block_size = 4096, .tp_block_nr = 4, .tp_frame_size = 2048, .tp_frame_nr = 8};
	struct tpacket_req3 rb = {.tp_block_size = 8192,
				  .tp_block_nr = 2,
				  .tp_frame_size = 2048,
				  .tp_frame_nr = 8,
				  .tp_retire_blk_tov = 60};
	struct packet_mreq mr = {.mr_ifindex = lo, .mr_type = PACKET_MR_PROMISC};
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = lo};
	char *ma, *mb;

	feat_init(argc, argv);
	a = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	b = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP));
	if (a < 0 || b < 0)
		feat_die("socket");
	v = TPACKET_V2;
	if (setsockopt(a, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) || (v = 64, 0) ||
	    setsockopt(a, SOL_PACKET, PACKET_RESERVE, &v, sizeof(v)) || (v = 1, 0) ||
	    setsockopt(a, SOL_PACKET, PACKET_AUXDATA, &v, sizeof(v)) ||
	    bind(a, (struct sockaddr *)&sll, sizeof(sll)) ||
	    setsockopt(a, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) ||
	    setsockopt(a, SOL_PACKET, PACKET_RX_RING, &ra, sizeof(ra)))
		feat_die("socket a");
	v = TPACKET_V3;
	fan = (getpid() & 0xffff) | (PACKET_FANOUT_HASH << 16);
	if (setsockopt(b, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) || (v = 1, 0) ||
	    setsockopt(b, SOL_PACKET, PACKET_ORIGDEV, &v, sizeof(v)) ||
	    setsockopt(b, SOL_PACKET, PACKET_RX_RING, &rb, sizeof(rb)) ||
	    setsockopt(b, SOL_PACKET, PACKET_FANOUT, &fan, sizeof(fan)))
		feat_die("socket b");
	ma = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, a, 0);
	mb = mmap(NULL, 2 * 8192, PROT_READ | PROT_WRITE, MAP_SHARED, b, 0);
	if (ma == MAP_FAILED || mb == MAP_FAILED)
		feat_die("mmap");
	/* the ring starts empty: frames caught so far are given back */
	for (int i = 0; i < 8; i++)
		((struct tpacket2_hdr *)(ma + i * 2048))->tp_status = TP_STATUS_KERNEL;

	feat_ready();
	feat_wait_go();

	FEAT_CHECK(get_int(a, PACKET_VERSION) == TPACKET_V2, "a: version %d", get_int(a, PACKET_VERSION));
	FEAT_CHECK(get_int(a, PACKET_RESERVE) == 64, "a: reserve %d", get_int(a, PACKET_RESERVE));
	FEAT_CHECK(get_int(a, PACKET_AUXDATA) == 1, "a: auxdata %d", get_int(a, PACKET_AUXDATA));
	FEAT_CHECK(get_int(b, PACKET_VERSION) == TPACKET_V3, "b: version %d", get_int(b, PACKET_VERSION));
	FEAT_CHECK(get_int(b, PACKET_ORIGDEV) == 1, "b: origdev %d", get_int(b, PACKET_ORIGDEV));
	FEAT_CHECK(get_int(b, PACKET_FANOUT) == fan, "b: fanout %#x, expected %#x", get_int(b, PACKET_FANOUT),
		   fan);
	FEAT_CHECK(mapped_from(ma, a) && mapped_from(mb, b), "the rings are not mapped from their sockets");
	FEAT_CHECK(setsockopt(a, SOL_PACKET, PACKET_DROP_MEMBERSHIP, &mr, sizeof(mr)) == 0,
		   "a: the promiscuous membership was not there (%s)", strerror(errno));
	{
		int u = socket(AF_INET, SOCK_DGRAM, 0), got = 0;
		struct sockaddr_in to = {
			.sin_family = AF_INET, .sin_port = htons(9), .sin_addr.s_addr = htonl(0x7f000001)};

		for (int t = 0; t < 100 && !got; t++) {
			sendto(u, "ping", 4, 0, (struct sockaddr *)&to, sizeof(to));
			usleep(10000);
			for (int i = 0; i < 8; i++)
				got |= ((volatile struct tpacket2_hdr *)(ma + i * 2048))->tp_status &
				       TP_STATUS_USER;
		}
		FEAT_CHECK(got, "no frame came into a's ring");
	}
	return feat_done();
}
