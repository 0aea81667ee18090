/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "safe_open.h"

#define EXPORT __attribute__((visibility("default")))

/* The log state is one of the globals CONVENTIONS.md allows. */
static struct {
	int fd;
	int level;
	int is_file;
	struct timespec start;
	char first_error[512];
	int have_first_error;
} log_state = { .fd = STDERR_FILENO, .level = DEFAULT_LOGLEVEL };

/*
 * Wall time, not CLOCK_MONOTONIC: the restored tasks log from inside the
 * tree's time namespace, whose monotonic clock carries on from the dump and
 * would put their lines at times before criu started.
 */
#define LOG_CLOCK CLOCK_REALTIME

static void log_start_clock(void)
{
	clock_gettime(LOG_CLOCK, &log_state.start);
}

int log_open(const char *path, int level)
{
	return log_open_at(AT_FDCWD, path, level, false);
}

int log_open_at(int dirfd, const char *path, int level, bool append)
{
	int fd;

	log_set_level(level);
	log_start_clock();
	if (!path || !strcmp(path, "-")) {
		log_close();
		return 0;
	}
	/* the work dir may be another user's: never through a planted link */
	fd = cr_create_at(dirfd, path, O_WRONLY | O_APPEND | (append ? 0 : O_TRUNC), 0600);
	if (fd < 0)
		return fd;
	log_close();
	log_state.fd = fd;
	log_state.is_file = 1;
	return 0;
}

void log_use_fd(int fd, int level)
{
	log_close();
	log_set_level(level);
	log_start_clock();
	log_state.fd = fd;
	log_state.is_file = fd != STDERR_FILENO;
}

void log_close(void)
{
	if (log_state.is_file && log_state.fd >= 0)
		close(log_state.fd);
	log_state.fd = STDERR_FILENO;
	log_state.is_file = 0;
}

void log_set_level(int level)
{
	if (level < LOG_MSG)
		level = LOG_MSG;
	if (level > LOG_DEBUG)
		level = LOG_DEBUG;
	log_state.level = level;
}

const char *log_first_error(void)
{
	return log_state.have_first_error ? log_state.first_error : NULL;
}

void log_set_first_error(const char *msg)
{
	snprintf(log_state.first_error, sizeof(log_state.first_error), "%s", msg);
	log_state.have_first_error = 1;
}

void log_reset_first_error(void)
{
	log_state.have_first_error = 0;
	log_state.first_error[0] = '\0';
}

int log_is_file(void)
{
	return log_state.is_file;
}

EXPORT int log_get_fd(void)
{
	return log_state.fd;
}

EXPORT int log_get_loglevel(void)
{
	return log_state.level;
}

static void write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			return;
		}
		buf += n;
		len -= (size_t)n;
	}
}

/* Formats "(SS.UUUUUU) <message>\n" and writes it in one write(). */
static void log_emit(unsigned int level, const char *fmt, va_list ap)
{
	char buf[4096];
	struct timespec now;
	long sec, usec;
	int saved_errno = errno;
	int n, m;

	clock_gettime(LOG_CLOCK, &now);
	if (!log_state.start.tv_sec && !log_state.start.tv_nsec)
		log_state.start = now;
	sec = now.tv_sec - log_state.start.tv_sec;
	usec = (now.tv_nsec - log_state.start.tv_nsec) / 1000;
	if (usec < 0) {
		sec--;
		usec += 1000000;
	}
	n = level == LOG_MSG ? 0 : snprintf(buf, sizeof(buf), "(%02ld.%06ld) ", sec, usec);
	m = vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	if (m < 0)
		m = 0;
	n += m;
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	if (n == 0 || buf[n - 1] != '\n')
		buf[n++] = '\n';
	write_all(log_state.fd, buf, (size_t)n);
	errno = saved_errno;
}

EXPORT void vprint_on_level(unsigned int level, const char *fmt, va_list ap)
{
	if ((int)level > log_state.level)
		return;
	log_emit(level, fmt, ap);
}

EXPORT void print_on_level(unsigned int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint_on_level(level, fmt, ap);
	va_end(ap);
}

static void keep_first_error(const char *fmt, va_list ap)
{
	size_t len;

	if (log_state.have_first_error)
		return;
	vsnprintf(log_state.first_error, sizeof(log_state.first_error), fmt, ap);
	len = strlen(log_state.first_error);
	while (len && log_state.first_error[len - 1] == '\n')
		log_state.first_error[--len] = '\0';
	log_state.have_first_error = 1;
}

EXPORT void print_error_at(const char *file, int line, const char *fmt, ...)
{
	char decorated[1024];
	va_list ap;
	int saved_errno = errno;

	va_start(ap, fmt);
	keep_first_error(fmt, ap);
	va_end(ap);

	snprintf(decorated, sizeof(decorated), "Error (%s:%d): %s", file, line, fmt);
	va_start(ap, fmt);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	vprint_on_level(LOG_ERROR, decorated, ap);
#pragma GCC diagnostic pop
	va_end(ap);
	errno = saved_errno;
}
