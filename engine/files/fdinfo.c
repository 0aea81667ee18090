/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parsers of fdinfo for the anonymous-inode kinds (see fdinfo.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "fdinfo.h"

int fdinfo_read(int local, char **ret)
{
	char path[64];
	_cleanup_close_ int f = -EBADF;
	size_t len = 0, cap = 4096;
	char *buf = NULL;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", local);
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return -errno;
	for (;;) {
		char *nb = len + 1 >= cap || !buf ? realloc(buf, cap *= 2) : buf;
		ssize_t n;

		if (!nb) {
			free(buf);
			return -ENOMEM;
		}
		buf = nb;
		n = read(f, buf + len, cap - len - 1);
		if (n < 0) {
			free(buf);
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret = buf;
	return 0;
}

/* The value text after "key" at the start of a line, or NULL. */
static const char *field(const char *buf, const char *key)
{
	size_t kl = strlen(key);

	for (const char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, kl))
			return p + kl;
	return NULL;
}

static int hex_field(const char *buf, const char *key, uint64_t *ret)
{
	const char *v = field(buf, key);
	char *end;

	if (!v)
		return -EBADMSG;
	errno = 0;
	*ret = strtoull(v, &end, 16);
	return errno || end == v ? -EBADMSG : 0;
}

int fdinfo_eventfd(const char *buf, uint64_t *ret_count, bool *ret_semaphore)
{
	const char *sem = field(buf, "eventfd-semaphore:");

	*ret_semaphore = sem && strtol(sem, NULL, 10) != 0;
	return hex_field(buf, "eventfd-count:", ret_count);
}

int fdinfo_signalfd(const char *buf, uint64_t *ret_mask)
{
	return hex_field(buf, "sigmask:", ret_mask);
}

int fdinfo_timerfd(const char *buf, struct fdinfo_timerfd *ret)
{
	const char *c = field(buf, "clockid:"), *t = field(buf, "ticks:"), *f = field(buf, "settime flags:"),
		   *v = field(buf, "it_value:"), *i = field(buf, "it_interval:");
	unsigned long long a, b;

	if (!c || !t || !f || !v || !i)
		return -EBADMSG;
	ret->clockid = (int)strtol(c, NULL, 10);
	ret->ticks = strtoull(t, NULL, 10);
	ret->settime_flags = (unsigned int)strtoul(f, NULL, 8);
	if (sscanf(v, " (%llu, %llu)", &a, &b) != 2 || b >= 1000000000ull)
		return -EBADMSG;
	ret->value_sec = a;
	ret->value_nsec = b;
	if (sscanf(i, " (%llu, %llu)", &a, &b) != 2 || b >= 1000000000ull)
		return -EBADMSG;
	ret->interval_sec = a;
	ret->interval_nsec = b;
	return 0;
}

static const char *next_line(const char *p)
{
	const char *nl = strchr(p, '\n');

	return nl ? nl + 1 : p + strlen(p);
}

int fdinfo_epoll_next(const char **pos, struct fdinfo_tfd *ret)
{
	for (const char *p = *pos; *p; p = next_line(p)) {
		unsigned long long data, pos_, ino = 0;
		unsigned int events, sdev;
		int tfd, n;

		if (strncmp(p, "tfd:", 4))
			continue;
		n = sscanf(p, "tfd: %d events: %x data: %llx pos:%llu ino:%llx sdev:%x", &tfd, &events, &data,
			   &pos_, &ino, &sdev);
		if (n < 3 || tfd < 0)
			return -EBADMSG;
		ret->tfd = tfd;
		ret->events = events;
		ret->data = data;
		ret->ino = n >= 5 ? ino : 0;
		*pos = next_line(p);
		return 1;
	}
	*pos += strlen(*pos);
	return 0;
}

static int parse_handle(const char *hex, struct fdinfo_mark *m)
{
	size_t len = strlen(hex);

	if (len != 2 * m->handle_bytes || m->handle_bytes > FDINFO_HANDLE_MAX)
		return -EBADMSG;
	for (size_t i = 0; i < m->handle_bytes; i++) {
		unsigned int b;

		if (sscanf(hex + 2 * i, "%2x", &b) != 1)
			return -EBADMSG;
		m->handle[i] = (unsigned char)b;
	}
	return 0;
}

/* One "key:value" token of a mark line. */
static int mark_token(const char *tok, struct fdinfo_mark *m, bool *has_ino, bool *has_mnt, bool *has_sdev)
{
	const char *colon = strchr(tok, ':');
	char key[32];
	unsigned long long v;
	char *end;

	if (!colon || colon == tok || (size_t)(colon - tok) >= sizeof(key))
		return -EBADMSG;
	memcpy(key, tok, (size_t)(colon - tok));
	key[colon - tok] = '\0';
	if (!strcmp(key, "f_handle"))
		return parse_handle(colon + 1, m);
	errno = 0;
	v = strtoull(colon + 1, &end, 16);
	if (errno || end == colon + 1 || *end)
		return -EBADMSG;
	if (!strcmp(key, "wd"))
		m->has_wd = true, m->wd = (uint32_t)v;
	else if (!strcmp(key, "ino"))
		*has_ino = true, m->ino = v;
	else if (!strcmp(key, "sdev"))
		*has_sdev = true, m->sdev = (uint32_t)v;
	else if (!strcmp(key, "mnt_id"))
		*has_mnt = true, m->mnt_id = (uint32_t)v;
	else if (!strcmp(key, "mflags"))
		m->mflags = (uint32_t)v;
	else if (!strcmp(key, "mask"))
		m->mask = (uint32_t)v;
	else if (!strcmp(key, "ignored_mask"))
		m->ignored_mask = (uint32_t)v;
	else if (!strcmp(key, "fhandle-bytes"))
		m->handle_bytes = (uint32_t)v;
	else if (!strcmp(key, "fhandle-type"))
		m->handle_type = (int)v;
	else
		return -EOPNOTSUPP; /* a kind of mark we do not know (mnt_ns...) */
	return 0;
}

int fdinfo_mark_next(const char **pos, struct fdinfo_mark *ret)
{
	for (const char *p = *pos; *p; p = next_line(p)) {
		const char *end = next_line(p);
		bool has_ino = false, has_mnt = false, has_sdev = false;
		char line[1024], *save = NULL, *tok;
		size_t skip;
		int r;

		if (!strncmp(p, "inotify ", 8))
			skip = 8;
		else if (!strncmp(p, "fanotify ", 9) && strncmp(p, "fanotify flags:", 15))
			skip = 9;
		else
			continue;
		if ((size_t)(end - p) >= sizeof(line))
			return -EBADMSG;
		memcpy(line, p + skip, (size_t)(end - p) - skip);
		line[end - p - skip] = '\0';
		memset(ret, 0, sizeof(*ret));
		for (tok = strtok_r(line, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
			r = mark_token(tok, ret, &has_ino, &has_mnt, &has_sdev);
			if (r < 0)
				return r;
		}
		if (has_ino && has_sdev)
			ret->kind = FDINFO_MARK_INODE;
		else if (has_mnt)
			ret->kind = FDINFO_MARK_MOUNT;
		else if (has_sdev)
			ret->kind = FDINFO_MARK_SB;
		else
			return -EBADMSG;
		*pos = end;
		return 1;
	}
	*pos += strlen(*pos);
	return 0;
}

int fdinfo_fanotify(const char *buf, uint32_t *ret_flags, uint32_t *ret_event_flags)
{
	const char *v = field(buf, "fanotify flags:");
	unsigned int f, e;

	if (!v || sscanf(v, "%x event-flags:%x", &f, &e) != 2)
		return -EBADMSG;
	*ret_flags = f;
	*ret_event_flags = e;
	return 0;
}

int fdinfo_pidfd(const char *buf, int *ret_pid)
{
	const char *v = field(buf, "Pid:");
	char *end;
	long pid;

	if (!v)
		return -EBADMSG;
	pid = strtol(v, &end, 10);
	if (end == v || pid < -1 || pid == 0 || pid > INT32_MAX)
		return -EBADMSG;
	*ret_pid = (int)pid;
	return 0;
}
