/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The restore of a non-root RPC caller (criu service, a user's own swrk):
 * what its images may ask for, and the ids criu takes while it makes the
 * caller's files and sockets. Everything here is a no-op for root and the CLI.
 */
#ifndef CR_RESTORE_CALLER_H
#define CR_RESTORE_CALLER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "images/core.pb-c.h"
#include "request.h"

struct ns_restore;

/* A non-root RPC caller: the images must give it nothing it could not have made itself. */
bool restore_caller_restricted(const struct cr_request *req);

/*
 * A task of its images (core-ID.img, its threads th): its own ids and
 * groups, no capabilities, no securebits or narrowed bounding set, seccomp
 * only with no_new_privs, no chroot, every rlimit given and none above its
 * own. 0 or -EPERM (logged, naming the image).
 */
int restore_caller_check_task(const struct cr_request *req, pid_t pid, uint32_t vpid, uint64_t id,
			      const TaskCore *core, ThreadCore *const *th, size_t nth);

/*
 * No namespace of its own: creating or joining one needs CAP_SYS_ADMIN. Its
 * tree runs on criu's clocks, not in a time namespace of its timens.img.
 */
int restore_caller_check_namespaces(const struct cr_request *req, struct ns_restore *ns);

/*
 * criu's ids while it makes the caller's files: the caller's effective ids
 * (a socket records its creator's: SO_PEERCRED) and no effective capability.
 */
struct restore_caller_ids {
	bool taken;
	uid_t fsuid;
	gid_t fsgid;
	uint64_t caps;
};
int restore_caller_take_ids(const struct cr_request *req, struct restore_caller_ids *saved);
/* Gives criu its ids back (always call it after take, also when take failed). 0 or -errno (logged). */
int restore_caller_give_back_ids(const struct restore_caller_ids *saved);

#endif
