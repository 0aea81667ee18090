/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One job: its options and who asked. Every front door (CLI, swrk, service,
 * and so libcriu) fills one of these and calls an engine entry point.
 */
#ifndef CR_REQUEST_H
#define CR_REQUEST_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "options.h"

struct cr_request {
	struct cr_opts opts;
	/* who asked: the CLI's own process, or the RPC peer (SO_PEERCRED) */
	pid_t peer_pid;
	uid_t peer_uid;
	gid_t peer_gid;
	/* its supplementary groups (SO_PEERGROUPS; the front door owns them), for the RPC checks */
	const gid_t *peer_groups;
	size_t nr_peer_groups;
	bool from_rpc;
	/* the job's work dir (logs, stats, pidfiles), opened by the front door */
	int work_dir_fd;
	/*
	 * A self-dump over RPC: the inode of the server's end of the
	 * connection, so that the caller's end is dumped as its RPC socket
	 * (engine/files/sk_unix.c). 0: none.
	 */
	uint64_t rpc_sk_ino;
	/*
	 * Restore: answers a restored self-dumped caller on criu's end of its
	 * new RPC socket once the tree runs (the front door's encoder,
	 * swrk/rpc.c). NULL: the socket is only closed.
	 */
	int (*answer_restored_rpc)(int sk);
};

#endif
