/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Parsers of /proc/PID/fdinfo/N for the anonymous-inode kinds (eventfd,
 * signalfd, timerfd, epoll, inotify, fanotify, pidfd); the formats are the
 * kernel's *_show_fdinfo. Pure functions over the text, for unit tests.
 */
#ifndef CR_FILES_FDINFO_H
#define CR_FILES_FDINFO_H

#include <stdbool.h>
#include <stdint.h>

/* The whole fdinfo of our fd local (malloc'd, NUL terminated). */
int fdinfo_read(int local, char **ret);

int fdinfo_eventfd(const char *buf, uint64_t *ret_count, bool *ret_semaphore);
int fdinfo_signalfd(const char *buf, uint64_t *ret_mask);

struct fdinfo_timerfd {
	int clockid;
	uint64_t ticks;
	unsigned int settime_flags;
	uint64_t value_sec, value_nsec, interval_sec, interval_nsec;
};
int fdinfo_timerfd(const char *buf, struct fdinfo_timerfd *ret);

struct fdinfo_tfd {
	int tfd;
	uint32_t events;
	uint64_t data;
	uint64_t ino;
};
/* The next "tfd:" line at or after *pos: 1 (and *pos moves past it), 0 at the end, -EBADMSG. */
int fdinfo_epoll_next(const char **pos, struct fdinfo_tfd *ret);

enum { FDINFO_MARK_INODE = 1, FDINFO_MARK_MOUNT, FDINFO_MARK_SB };
#define FDINFO_HANDLE_MAX 128
struct fdinfo_mark {
	int kind;
	bool has_wd;
	uint32_t wd;
	uint64_t ino;
	uint32_t sdev; /* the kernel's dev_t: major << 20 | minor */
	uint32_t mnt_id;
	uint32_t mflags, mask, ignored_mask;
	int handle_type;
	uint32_t handle_bytes; /* 0: the file system gives no handle */
	unsigned char handle[FDINFO_HANDLE_MAX];
};
/* The next "inotify "/"fanotify " mark line: 1, 0 at the end, -EBADMSG or -EOPNOTSUPP (unknown mark). */
int fdinfo_mark_next(const char **pos, struct fdinfo_mark *ret);
/* "fanotify flags:%x event-flags:%x". */
int fdinfo_fanotify(const char *buf, uint32_t *ret_flags, uint32_t *ret_event_flags);
/* "Pid:" of a pidfd: -1 once the process is gone. */
int fdinfo_pidfd(const char *buf, int *ret_pid);

#endif
