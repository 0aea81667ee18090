/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The RPC codec of `criu swrk` and `criu service`: one criu_req per
 * SOCK_SEQPACKET packet in, one criu_resp per packet out (no length prefix),
 * and the mapping of criu_opts onto the option table (swrk/options.c), so
 * that the RPC, the CLI and config files share one parser.
 */
#ifndef CR_SWRK_RPC_H
#define CR_SWRK_RPC_H

#include <stdbool.h>
#include <stddef.h>

#include "cleanup.h"
#include "options.h"
#include "rpc.pb-c.h"

/*
 * The largest request we decode. runc reads answers into 40 KiB, but a
 * request carries one ext_mnt per bind mount and device node, and a
 * container with thousands of them is legal; 4 MiB is far above any real
 * request and still bounds what a peer can make us allocate.
 */
#define RPC_MAX_REQ_SIZE (4u << 20)

DEFINE_PB_CLEANUP(CriuReq, criu_req)

/*
 * Unpacks one packet into *ret (free with criu_req__free_unpacked or
 * _cleanup_pb_(criu_req)). Returns 0, or -EBADMSG for an empty, oversized,
 * truncated or malformed packet or one missing a proto2 required field
 * (criu_req.type, inherit_fd.fd, ...), logged naming the problem.
 * protobuf-c (and so criu) lets a required field that has a default be
 * absent: opts without images_dir_fd decode with images_dir_fd = -1, and the
 * front door then needs images_dir.
 *
 * A type value outside criu_req_type still decodes (proto2 enums are open on
 * the wire), so that the server can answer {type: EMPTY, success: false};
 * tell such requests with rpc_req_type_known().
 */
int rpc_decode_req(const void *buf, size_t len, CriuReq **ret);

/* Whether type is a value of criu_req_type (EMPTY..SINGLE_PRE_DUMP). */
bool rpc_req_type_known(int type);
/* The enum name of a request type ("DUMP"), or "unknown". */
const char *rpc_req_type_name(int type);

/*
 * Applies every field present in m to o, in field-number order, through
 * opts_apply_named() with the CLI string form of the value, so an RPC field
 * is parsed exactly as its command-line option. Errors name the field
 * ("criu_opts.join_ns: ..."). Fields without an option land in o->rpc_*
 * (see options.h); the caller (the request loop) then:
 *   - reopens the peer's images_dir_fd / work_dir_fd / status_fd /
 *     pidfd_store_sk through /proc/<peer pid>/fd/N;
 *   - rejects rst_sibling, inherit_fd and ps.fd in `criu service`;
 *   - applies o->config_file (RPC config_file) with
 *     opts_apply_config_file(o, path, false) after this call: it overrides
 *     the RPC fields;
 *   - calls opts_check_supported() (unimplemented options fail there).
 * Returns 0 or -errno (logged once).
 */
int rpc_opts_apply(const CriuOpts *m, struct cr_opts *o);

/*
 * How rpc_opts_apply() handles the criu_opts field named field: the long
 * name of its option ("tcp-established"), or a sentence for fields with a
 * conversion of their own or handled by the front door; NULL when the field
 * is not handled (a bug that the unit test catches).
 */
const char *rpc_opts_field_handling(const char *field);

/* Packs r into a malloc()ed buffer. Returns 0, -EINVAL (a required field unset) or -ENOMEM. */
int rpc_encode_resp(const CriuResp *r, void **ret_buf, size_t *ret_len);

#endif
