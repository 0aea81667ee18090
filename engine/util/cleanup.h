/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Scope-bound cleanup helpers. A variable marked _cleanup_free_ or
 * _cleanup_close_ is released when it goes out of scope; TAKE_PTR()/TAKE_FD()
 * hand ownership on and leave the variable empty so nothing is released twice.
 */
#ifndef CR_UTIL_CLEANUP_H
#define CR_UTIL_CLEANUP_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <dirent.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void cr_freep(void *p)
{
	free(*(void **)p);
}

static inline void cr_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;

		close(*fd);
		errno = saved;
	}
}

static inline void cr_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

static inline void cr_closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

#define _cleanup_free_ _cleanup_(cr_freep)
#define _cleanup_close_ _cleanup_(cr_closep)
#define _cleanup_fclose_ _cleanup_(cr_fclosep)
#define _cleanup_closedir_ _cleanup_(cr_closedirp)

#define TAKE_PTR(p)                          \
	({                                   \
		__typeof__(p) _tp_tmp = (p); \
		(p) = NULL;                  \
		_tp_tmp;                     \
	})

#define TAKE_FD(fd)                    \
	({                             \
		int _tf_tmp = (fd);    \
		(fd) = -EBADF;         \
		_tf_tmp;               \
	})

/*
 * A cleanup helper for one unpacked protobuf-c message type:
 * DEFINE_PB_CLEANUP(InventoryEntry, inventory_entry) gives
 * _cleanup_pb_(inventory_entry) InventoryEntry *e = NULL;
 */
#define DEFINE_PB_CLEANUP(type, prefix)                                 \
	static inline void prefix##_freep(type **p)                   \
	{                                                               \
		if (*p)                                                 \
			prefix##__free_unpacked(*p, NULL);              \
	}
#define _cleanup_pb_(prefix) _cleanup_(prefix##_freep)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
