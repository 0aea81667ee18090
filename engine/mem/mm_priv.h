/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the engine/mem files share and nobody else sees. */
#ifndef CR_MEM_MM_PRIV_H
#define CR_MEM_MM_PRIV_H

#include <stdint.h>

#include "image.h"
#include "images/mm.pb-c.h"
#include "infect.h"
#include "mm_restore.h"

/* A remote syscall that must succeed: 0, or the syscall's -errno (logged with what). */
int mm_rsys(struct infect_ctl *c, long *ret, const char *what, long nr, unsigned long a1, unsigned long a2,
	    unsigned long a3, unsigned long a4, unsigned long a5, unsigned long a6);
/* Opens path in the task: *fd, or -errno (logged). */
int mm_remote_open(struct infect_ctl *c, const char *path, int flags, long *fd);
int mm_remote_close(struct infect_ctl *c, long fd);
/* Hands criu's fd to the task through m's channel: *ret_fd is the task's new fd (-errno, logged). */
int mm_send_fd(struct infect_ctl *c, const struct mm_image *m, int fd, long *ret_fd);
/* Copies the runs of pagemap-ID into the task, each at base + its vaddr. */
int mm_fill_pages(struct infect_ctl *c, struct img_dir *d, uint64_t id, uint64_t base,
		  uint64_t *pages_written);

/* Maps v (VMA_ANON_SHARED) at its place, making and filling its object first if needed. */
int mm_shared_map_shmem(struct mm_shared *s, struct infect_ctl *c, struct img_dir *d, const struct mm_image *m,
			const VmaEntry *v, uint64_t *pages_written);

/* The header the kernel puts at the start of an aio ring (fs/aio.c, struct aio_ring); 32-byte events follow. */
struct aio_ring_head {
	uint32_t id, nr, head, tail;
	uint32_t magic, compat_features, incompat_features, header_length;
};
#define AIO_RING_MAGIC 0xa10a10a1u
#define AIO_EVENT_SIZE 32u

/* Makes the aio ring of v again at its address, with its completed events (mm_aio.c). */
int mm_aio_ring_restore(struct infect_ctl *c, const VmaEntry *v);

#endif
