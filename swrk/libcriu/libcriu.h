/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private to libcriu: the option set and the connection helpers. */
#ifndef __LIBCRIU_PRIVATE_H__
#define __LIBCRIU_PRIVATE_H__

#include <stdbool.h>
#include <sys/types.h>

#include "rpc.pb-c.h"
/* Everything criu.h declares is exported; the rest stays hidden. */
#pragma GCC visibility push(default)
#include "criu.h"
#pragma GCC visibility pop

#define LC_EXPORT __attribute__((visibility("default")))

#define LC_DEFAULT_BINARY  "criu"
#define LC_DEFAULT_ADDRESS "criu_service.socket"

typedef int (*lc_notify_cb_t)(char *action, criu_notify_arg_t na);

struct criu_opts {
	CriuOpts *rpc; /* the request options being filled in */
	lc_notify_cb_t notify;
	enum criu_service_comm service_comm;
	char *service_address; /* CRIU_COMM_SK; NULL = default */
	char *service_binary;  /* CRIU_COMM_BIN; NULL = default */
	int service_fd;	       /* CRIU_COMM_FD; consumed by the next request */
};

/* One conversation with a criu process. */
struct lc_conn {
	int fd;
	bool own_fd; /* close it when done */
	pid_t child; /* forked swrk helper to reap, or 0 */
	int err;     /* errno value the request reports */
};

/* Exported without a prototype in criu.h, as CRIU does. */
extern LC_EXPORT const char *criu_lib_version;
LC_EXPORT void criu_free_service(criu_opts *opts);

extern criu_opts *lc_global_opts;

/* transport.c */
int lc_connect(criu_opts *opts, bool detach, struct lc_conn *conn);
int lc_spawn_swrk(const char *binary, bool detach, struct lc_conn *conn);
void lc_disconnect(struct lc_conn *conn);
int lc_transact(struct lc_conn *conn, lc_notify_cb_t notify, CriuReq *req, CriuResp **ret_resp);
void lc_set_orphan_pts_master_fd(int fd);

/* opts.c */
int lc_set_string(char **field, const char *value);
int lc_append(void *arrayp, size_t *nr, void *elem);

#endif
