/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The objects of an ipc namespace: SysV (ipc_sysv.c) and POSIX queues (ipc_mq.c). */
#ifndef CR_NS_IPC_OBJS_H
#define CR_NS_IPC_OBJS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "image.h"

/* A POSIX queue as its namespace's mqueue fs lists it. */
struct ipc_mq_name {
	char name[256];
	uint32_t uid, gid, mode;
};

struct ipc_dump_ctx {
	struct img_dir *d;
	pid_t pid;	       /* the tree's root, for messages */
	uint64_t next_data_id; /* ids of ipc-shm-data-ID.img and ipc-msgs-ID.img */
	bool shm_rmid_forced;  /* kernel/shm_rmid_forced is 1 */
};

/* Both run in criu while it is in the tree's ipc namespace; the tree is frozen. */
int ipc_sysv_dump(struct ipc_dump_ctx *c);
int ipc_mq_dump(struct ipc_dump_ctx *c, const struct ipc_mq_name *q, size_t n);

/*
 * Both run in a child of criu inside the new ipc namespace, as root (or
 * criu's ids) with its capabilities kept across setresuid (SECBIT_NO_SETUID_FIXUP).
 */
int ipc_sysv_restore(struct img_dir *d);
int ipc_mq_restore(struct img_dir *d);

/* ipc-msgs-ID.img: open it and check it holds count messages. */
int ipc_msgs_open(struct img_dir *d, uint64_t id, uint32_t count, const char *what, struct img_reader **ret);

#endif
