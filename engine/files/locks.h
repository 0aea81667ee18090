/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* File locks (-l/--file-locks): see locks.c. */
#ifndef CR_FILES_LOCKS_H
#define CR_FILES_LOCKS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "files.h"

struct infect_ctl;

/* One "lock:" line of /proc/PID/fdinfo/N. */
struct file_lock_line {
	int kind;	/* FileLockKind, 0 for leases and delegations */
	int type;	/* F_RDLCK, F_WRLCK, -1 if neither */
	uint64_t start;
	uint64_t len;	/* 0: to EOF */
	char name[40];	/* "POSIX WRITE", for messages */
};

/* 0, or -EBADMSG if the line does not parse. */
int file_locks_parse_line(const char *line, struct file_lock_line *ret);

/* --file-locks: take locks into the dump; without it a lock refuses the dump. */
void files_dump_set_file_locks(struct files_dump *fd, bool on);
/* Adds the locks that fd n of pid holds to fe (once each); refuses as above. */
int file_locks_dump_fd(struct files_dump *fd, pid_t pid, int n, FileEntry *fe);

/*
 * From outside, in restored process pid (task task_id) once its address space
 * is rebuilt: takes its POSIX locks, and the flock and OFD locks of the
 * descriptions it is the first to hold. 0 or -errno (logged).
 */
int files_restore_locks_task(struct files_restore *fr, uint64_t task_id, pid_t pid, struct infect_ctl *c);

#endif
