/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The engine's log. Levels are criu's -v0..-v4. Every job has one log
 * destination (a file in the work dir, or stderr); the first error of a job is
 * kept so that it can become the RPC response's cr_errmsg.
 *
 * A file sets its prefix before including this header:
 *   #define LOG_PREFIX "image: "
 */
#ifndef CR_UTIL_LOG_H
#define CR_UTIL_LOG_H

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "criu-log.h"

/*
 * Logs "<msg>: <strerror(-r)>" as an error and evaluates to r (a -errno), so
 * that the function deciding what a failure means logs once and returns:
 *   return pr_err_ret(r, "pid %d: cannot read %s", pid, path);
 */
#define pr_err_ret(r, fmt, ...)                                                   \
	({                                                                        \
		int _per_r = (r);                                                 \
		pr_err(fmt ": %s\n", ##__VA_ARGS__, strerror(-_per_r));           \
		_per_r;                                                           \
	})

/* Same, with the current errno: logs and evaluates to -errno. */
#define pr_perror_ret(fmt, ...)                                                   \
	({                                                                        \
		int _ppr_r = errno ? -errno : -EIO;                               \
		pr_err(fmt ": %s\n", ##__VA_ARGS__, strerror(-_ppr_r));           \
		_ppr_r;                                                           \
	})

#define pr_perror(fmt, ...) pr_err(fmt ": %s\n", ##__VA_ARGS__, strerror(errno))

/*
 * Opens the job's log. path NULL or "-" means stderr; a relative path is
 * relative to the current directory (the job's work dir). Returns 0 or -errno.
 */
int log_open(const char *path, int level);
/*
 * The same relative to the directory dirfd (the work dir), created with
 * cr_create_at(): afresh, or with append an earlier log of ours is kept and
 * appended to. Returns 0 or -errno, quietly (the caller says why, see
 * cr_create_strerror()); the log stays where it was on failure.
 */
int log_open_at(int dirfd, const char *path, int level, bool append);
/* Sends the log to an already open fd (taken over, closed by log_close). */
void log_use_fd(int fd, int level);
void log_close(void);
void log_set_level(int level);
/* The first error message of the job (without decoration), or NULL. */
const char *log_first_error(void);
void log_reset_first_error(void);
/* Takes the first error of a job that another process ran (engine/guard.c). */
void log_set_first_error(const char *msg);
/* Whether the log goes to a file rather than to stderr. */
int log_is_file(void);

#endif
