/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The RPC front doors: criu swrk FD and criu service (see server.c). */
#ifndef CR_SWRK_SERVER_H
#define CR_SWRK_SERVER_H

#include <stdbool.h>

#include "options.h"

/* Serves the client on socket fd (one request, or several with keep_open). 0, or -errno if one failed. */
int server_swrk(int fd, int log_level);
/*
 * For the fuzzer and tests: serves the requests waiting on sk as the swrk
 * (swrk true) or service loop would, but dry: the requests that need a job
 * get their options built and checked, and no engine runs, no file or
 * directory is opened, nothing is waited for. Returns as serve() does.
 */
int server_serve_dry(int sk, bool swrk);
/*
 * A restored self-dumped caller (criu restore, CLI or RPC): the DUMP answer
 * {success, dump.restored = true} its criu_dump() waits for, sent on criu's
 * end sk of its restored RPC socket. 0 or -errno (logged).
 */
int server_answer_restored_dump(int sk);
/* Listens (--address, or the socket systemd passed) and serves each connection in its own worker. */
int server_service(const struct cr_opts *o);

#endif
