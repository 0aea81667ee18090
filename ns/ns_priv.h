/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared between the namespace kinds of ns/. */
#ifndef CR_NS_PRIV_H
#define CR_NS_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "image.h"
#include "options.h"

enum ns_kind { NS_USER, NS_MNT, NS_PID, NS_NET, NS_IPC, NS_UTS, NS_CGROUP, NS_TIME, NS_NR };

struct ns_kind_info {
	const char *name; /* /proc/PID/ns/<name>, --join-ns/--external spelling */
	int flag;	  /* CLONE_NEW* */
};

extern const struct ns_kind_info ns_kinds[NS_NR];

/*
 * Runs fn(arg) in a child that first joins pid's namespace of kind k; arg
 * must be shared memory (ns_shared_alloc) for results to come back.
 * Returns fn's result (0 or -errno).
 */
int ns_call_in(pid_t pid, enum ns_kind k, int (*fn)(void *arg), void *arg);
void *ns_shared_alloc(size_t size);
void ns_shared_free(void *p, size_t size);

/* Per kind: dump the state of pid's namespace into d; restore it in criu's current (new) one. */
int uts_ns_dump(pid_t pid, struct img_dir *d);
int uts_ns_restore(struct img_dir *d);
int ipc_ns_dump(pid_t pid, struct img_dir *d);
int ipc_ns_restore(struct img_dir *d);
int time_ns_dump(pid_t pid, struct img_dir *d);
/* Reads the clocks; then unshare(CLONE_NEWTIME) and the offsets, before any task enters. */
int time_ns_restore_new(struct img_dir *d);
/* A new net ns with the loopback up. */
int net_ns_restore_empty(void);
/* The contents of pid's net ns (ns/net.c); made again in a new net ns that criu enters. */
int net_ns_dump(pid_t pid, struct img_dir *d);
bool net_ns_has_images(const struct img_dir *d);
int net_ns_restore(struct img_dir *d, const struct cr_opts *o);

#endif
