/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzzes the request loop of `criu swrk` and `criu service` (swrk/server.c)
 * without the engine: the input is one or more request packets (split at
 * the 4 bytes "CRPK", so that keep_open sequences are reachable), sent on a
 * socket pair to server_serve_dry() once as swrk and once as the service.
 * The loop decodes, dispatches by type, builds and checks the options of
 * job requests, and answers. Invariants: no crash, no leak, and every
 * packet the server sends back decodes as a criu_resp whose type is EMPTY,
 * NOTIFY or a request type.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "rpc.h"
#include "server.h"

#define SEP	"CRPK"
#define SEP_LEN 4

/*
 * At most this many packets per input: the answers must fit in the socket's
 * queue, since the server sends them before we read any.
 */
#define MAX_PACKETS 64

/* Sends each SEP-separated piece of data as one packet. */
static void send_packets(int sk, const uint8_t *data, size_t size)
{
	size_t start = 0;
	int n = 0;

	for (size_t i = 0; i + SEP_LEN <= size && n < MAX_PACKETS - 1; i++)
		if (!memcmp(data + i, SEP, SEP_LEN)) {
			n++;
			send(sk, data + start, i - start, MSG_NOSIGNAL | MSG_DONTWAIT);
			start = i + SEP_LEN;
			i += SEP_LEN - 1;
		}
	send(sk, data + start, size - start, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void check_answers(int sk)
{
	static uint8_t buf[1 << 16];

	for (;;) {
		ssize_t n = recv(sk, buf, sizeof(buf), MSG_DONTWAIT);
		CriuResp *resp;

		if (n <= 0)
			break;
		resp = criu_resp__unpack(NULL, (size_t)n, buf);
		if (!resp)
			abort(); /* the server sent something that does not decode */
		if (resp->type != CRIU_REQ_TYPE__EMPTY && !rpc_req_type_known(resp->type))
			abort();
		criu_resp__free_unpacked(resp, NULL);
	}
}

static void run_once(const uint8_t *data, size_t size, bool swrk)
{
	int sks[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sks) < 0)
		abort();
	send_packets(sks[0], data, size);
	shutdown(sks[0], SHUT_WR); /* EOF after the last packet ends the loop */
	server_serve_dry(sks[1], swrk);
	check_answers(sks[0]);
	close(sks[0]);
	close(sks[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int quiet;

	if (!quiet) {
		log_set_level(0);
		unsetenv("CRIU_CONFIG_FILE");
		quiet = 1;
	}
	run_once(data, size, true);
	run_once(data, size, false);
	return 0;
}
