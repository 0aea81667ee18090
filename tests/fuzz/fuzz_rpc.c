/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzzes the RPC front door: the input is one request packet; when it
 * decodes, its criu_opts are applied to a fresh cr_opts through the option
 * table, as the swrk and service loops will do. Errors are expected; crashes,
 * leaks and undefined behaviour are not.
 */
#include <stdint.h>
#include <stdlib.h>

#include "log.h"
#include "options.h"
#include "rpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int quiet;
	CriuReq *req = NULL;
	struct cr_opts o;

	if (!quiet) {
		log_set_level(0);
		quiet = 1;
	}
	log_reset_first_error();
	if (rpc_decode_req(data, size, &req) < 0)
		return 0;
	rpc_req_type_known(req->type);
	if (req->opts) {
		opts_init(&o);
		if (rpc_opts_apply(req->opts, &o) == 0)
			opts_check_supported(&o);
		opts_free(&o);
	}
	criu_req__free_unpacked(req, NULL);
	return 0;
}
