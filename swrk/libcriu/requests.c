// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libcriu requests: check, dump, pre-dump, restore, version and feature
 * queries. Each one opens a conversation, sends one request (dump_iters:
 * several), maps criu's answer to a return code and sets errno.
 */
#include <errno.h>
#include <string.h>

#include "libcriu.h"

/* Upper bound for the size of struct criu_feature_check a caller may pass. */
#define LC_FEATURES_MAX_SIZE 64

/* Turns a successful answer into the call's return value. */
typedef int (*lc_decode_t)(const CriuResp *resp, void *ctx);

static int fail_einval(void)
{
	errno = EINVAL;
	return -EINVAL;
}

/*
 * One request on a new conversation. binary != NULL forces a swrk child
 * started from that binary (criu_restore_child).
 */
static int lc_request(criu_opts *opts, CriuReq *req, const char *binary, lc_decode_t decode, void *ctx)
{
	bool detach = req->type == CRIU_REQ_TYPE__DUMP && !opts->rpc->has_pid;
	struct lc_conn conn = {.fd = -1};
	CriuResp *resp = NULL;
	int r;

	if (binary)
		r = lc_spawn_swrk(binary, false, &conn);
	else
		r = lc_connect(opts, detach, &conn);
	if (r < 0) {
		conn.err = -r;
		r = -ECONNREFUSED;
	} else {
		r = lc_transact(&conn, opts->notify, req, &resp);
	}
	if (r == 0)
		r = resp->success ? decode(resp, ctx) : -EBADE;
	if (resp)
		criu_resp__free_unpacked(resp, NULL);
	lc_disconnect(&conn);
	errno = conn.err;
	return r;
}

static int decode_nothing(const CriuResp *resp, void *ctx)
{
	return 0;
}

/* 1 when this process is the restored copy of a self-dump. */
static int decode_dump(const CriuResp *resp, void *ctx)
{
	return resp->dump && resp->dump->has_restored && resp->dump->restored ? 1 : 0;
}

static int decode_restore(const CriuResp *resp, void *ctx)
{
	return resp->restore ? resp->restore->pid : -EBADMSG;
}

static int decode_version(const CriuResp *resp, void *ctx)
{
	const CriuVersion *v = resp->version;
	int version;

	if (!v)
		return -EBADMSG;
	version = v->major_number * 10000 + v->minor_number * 100;
	if (v->has_sublevel)
		version += v->sublevel;
	/* A git build is newer than the release it started from. */
	if (v->gitid)
		version = version - version % 100 + 100;
	return version;
}

static int decode_features(const CriuResp *resp, void *ctx)
{
	struct criu_feature_check *answer = ctx;
	const CriuFeatures *f = resp->features;

	if (!f)
		return -EBADMSG;
	answer->mem_track = f->has_mem_track && f->mem_track;
	answer->lazy_pages = f->has_lazy_pages && f->lazy_pages;
	answer->pidfd_store = f->has_pidfd_store && f->pidfd_store;
	return 0;
}

static int simple_request(criu_opts *opts, CriuReqType type, lc_decode_t decode)
{
	CriuReq req = CRIU_REQ__INIT;

	if (!opts)
		return fail_einval();
	req.type = type;
	/* CHECK needs no options; criu has always been sent none. */
	if (type != CRIU_REQ_TYPE__CHECK)
		req.opts = opts->rpc;
	return lc_request(opts, &req, NULL, decode, NULL);
}

int criu_local_check(criu_opts *opts)
{
	return simple_request(opts, CRIU_REQ_TYPE__CHECK, decode_nothing);
}

int criu_local_dump(criu_opts *opts)
{
	return simple_request(opts, CRIU_REQ_TYPE__DUMP, decode_dump);
}

int criu_local_pre_dump(criu_opts *opts)
{
	return simple_request(opts, CRIU_REQ_TYPE__SINGLE_PRE_DUMP, decode_nothing);
}

int criu_local_restore(criu_opts *opts)
{
	return simple_request(opts, CRIU_REQ_TYPE__RESTORE, decode_restore);
}

int criu_local_get_version(criu_opts *opts)
{
	return simple_request(opts, CRIU_REQ_TYPE__VERSION, decode_version);
}

/*
 * The restored root becomes the caller's child (criu forks it with
 * CLONE_PARENT), which only works with a swrk child: with another
 * connection mode the default binary is started instead.
 */
int criu_local_restore_child(criu_opts *opts)
{
	CriuReq req = CRIU_REQ__INIT;
	protobuf_c_boolean had_sibling, sibling;
	const char *binary;
	int r;

	if (!opts)
		return fail_einval();
	binary = opts->service_comm == CRIU_COMM_BIN && opts->service_binary ? opts->service_binary
									     : LC_DEFAULT_BINARY;
	had_sibling = opts->rpc->has_rst_sibling;
	sibling = opts->rpc->rst_sibling;
	opts->rpc->has_rst_sibling = true;
	opts->rpc->rst_sibling = true;

	req.type = CRIU_REQ_TYPE__RESTORE;
	req.opts = opts->rpc;
	r = lc_request(opts, &req, binary, decode_restore, NULL);

	opts->rpc->has_rst_sibling = had_sibling;
	opts->rpc->rst_sibling = sibling;
	return r;
}

int criu_local_check_version(criu_opts *opts, int minimum)
{
	int version = criu_local_get_version(opts);

	if (version < 0)
		return version;
	return version >= minimum ? 1 : 0;
}

/*
 * Sizes up to LC_FEATURES_MAX_SIZE are accepted so that callers built with
 * a longer struct keep working: members we do not know come back false.
 */
int criu_local_feature_check(criu_opts *opts, struct criu_feature_check *features, size_t size)
{
	struct criu_feature_check want = {0}, answer = {0};
	CriuFeatures query = CRIU_FEATURES__INIT;
	CriuReq req = CRIU_REQ__INIT;
	int r;

	if (!opts || !features || size > LC_FEATURES_MAX_SIZE)
		return fail_einval();
	memcpy(&want, features, size < sizeof(want) ? size : sizeof(want));
	query.has_mem_track = query.mem_track = want.mem_track;
	query.has_lazy_pages = query.lazy_pages = want.lazy_pages;
	query.has_pidfd_store = query.pidfd_store = want.pidfd_store;

	req.type = CRIU_REQ_TYPE__FEATURE_CHECK;
	req.opts = opts->rpc;
	req.features = &query;
	r = lc_request(opts, &req, NULL, decode_features, &answer);
	if (r == 0) {
		memset(features, 0, size);
		memcpy(features, &answer, size < sizeof(answer) ? size : sizeof(answer));
	}
	return r;
}

/* PRE_DUMP until more() says stop; 0 means "do the final dump". */
static int run_pre_dumps(struct lc_conn *conn, criu_opts *opts, int (*more)(criu_predump_info pi))
{
	CriuReq req = CRIU_REQ__INIT;
	CriuResp *resp = NULL;
	int r;

	req.type = CRIU_REQ_TYPE__PRE_DUMP;
	req.opts = opts->rpc;
	do {
		r = lc_transact(conn, opts->notify, &req, &resp);
		if (r)
			return r;
		r = resp->success ? 0 : -EBADE;
		criu_resp__free_unpacked(resp, NULL);
		if (r)
			return r;
		r = more(NULL);
	} while (r > 0);
	return r;
}

int criu_local_dump_iters(criu_opts *opts, int (*more)(criu_predump_info pi))
{
	struct lc_conn conn = {.fd = -1};
	CriuReq req = CRIU_REQ__INIT;
	CriuResp *resp = NULL;
	int r;

	/* Needs a callback and an explicit pid: no iterative self-dump. */
	if (!opts || !more || !opts->rpc->has_pid)
		return fail_einval();
	r = lc_connect(opts, false, &conn);
	if (r < 0) {
		conn.err = -r;
		r = -ECONNREFUSED;
		goto out;
	}
	r = run_pre_dumps(&conn, opts, more);
	if (r)
		goto out;
	req.type = CRIU_REQ_TYPE__DUMP;
	req.opts = opts->rpc;
	r = lc_transact(&conn, opts->notify, &req, &resp);
	if (r == 0) {
		r = resp->success ? decode_dump(resp, NULL) : -EBADE;
		criu_resp__free_unpacked(resp, NULL);
	}
out:
	lc_disconnect(&conn);
	errno = conn.err;
	return r;
}

int criu_notify_pid(criu_notify_arg_t na)
{
	return na && na->has_pid ? na->pid : 0;
}

/* The same requests on the global option set. */
int criu_check(void)
{
	return criu_local_check(lc_global_opts);
}

int criu_dump(void)
{
	return criu_local_dump(lc_global_opts);
}

int criu_pre_dump(void)
{
	return criu_local_pre_dump(lc_global_opts);
}

int criu_restore(void)
{
	return criu_local_restore(lc_global_opts);
}

int criu_restore_child(void)
{
	return criu_local_restore_child(lc_global_opts);
}

int criu_dump_iters(int (*more)(criu_predump_info pi))
{
	return criu_local_dump_iters(lc_global_opts, more);
}

int criu_get_version(void)
{
	return criu_local_get_version(lc_global_opts);
}

int criu_check_version(int minimum)
{
	return criu_local_check_version(lc_global_opts, minimum);
}

int criu_feature_check(struct criu_feature_check *features, size_t size)
{
	return criu_local_feature_check(lc_global_opts, features, size);
}
