/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The engine's entry points. Each returns 0 or -errno, the first error logged. */
#ifndef CR_ENGINE_H
#define CR_ENGINE_H

#include "request.h"

/* criu check: probes kernel features; prints "Looks good." or what is missing. */
int cr_check(struct cr_request *req);
/* criu show: decodes images to JSON on stdout. */
int cr_show(struct cr_request *req);
/* criu restore: the restored root's pid (> 0), or -errno. */
int cr_restore(struct cr_request *req);
/* criu dump. */
int cr_dump(struct cr_request *req);
/* criu exec: runs one system call in a live task and prints its result. */
int cr_exec(struct cr_request *req);

#endif
