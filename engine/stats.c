/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define LOG_PREFIX "stats: "
#include <endian.h>
#include <inttypes.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "safe_open.h"
#include "stats.h"

#define STATS_MAX 4096

uint64_t stats_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

int stats_write(int work_dir_fd, const char *name, const StatsEntry *se)
{
	unsigned char buf[STATS_MAX];
	size_t len = stats_entry__get_packed_size(se);
	uint32_t words[3] = { htole32(STATS_SERVICE_MAGIC), htole32(STATS_MAGIC), htole32((uint32_t)len) };
	_cleanup_close_ int fd = -EBADF;

	if (len + sizeof(words) > sizeof(buf))
		return pr_err_ret(-EFBIG, "%s: %zu bytes of statistics", name, len);
	memcpy(buf, words, sizeof(words));
	stats_entry__pack(se, buf + sizeof(words));
	fd = cr_create_at(work_dir_fd, name, O_WRONLY | O_TRUNC, 0600);
	if (fd < 0) {
		char why[160];

		pr_err("%s: cannot create: %s\n", name,
		       cr_create_strerror(fd, work_dir_fd, name, why, sizeof(why)));
		return fd;
	}
	if (write(fd, buf, len + sizeof(words)) != (ssize_t)(len + sizeof(words)))
		return pr_perror_ret("%s: cannot write", name);
	return 0;
}

int stats_read(int dir_fd, const char *name, StatsEntry **ret)
{
	unsigned char buf[STATS_MAX];
	_cleanup_close_ int fd = -EBADF;
	uint32_t words[3];
	struct stat st;
	ssize_t n;

	fd = cr_open_regular_at(dir_fd, name, O_NOFOLLOW, &st);
	if (fd == -ELOOP || fd == -EINVAL)
		return pr_err_ret(-EBADMSG, "%s: not a regular file (%s)", name,
				  cr_file_type_name(st.st_mode));
	if (fd < 0)
		return pr_err_ret(fd, "%s: cannot open", name);
	n = read(fd, buf, sizeof(buf));
	if (n < (ssize_t)sizeof(words))
		return pr_err_ret(-EBADMSG, "%s: too short for a statistics file", name);
	memcpy(words, buf, sizeof(words));
	if (le32toh(words[0]) != STATS_SERVICE_MAGIC || le32toh(words[1]) != STATS_MAGIC ||
	    le32toh(words[2]) > (size_t)n - sizeof(words))
		return pr_err_ret(-EBADMSG, "%s: not a statistics file", name);
	*ret = stats_entry__unpack(NULL, le32toh(words[2]), buf + sizeof(words));
	if (!*ret)
		return pr_err_ret(-EBADMSG, "%s: the statistics do not decode", name);
	return 0;
}

void stats_display(const StatsEntry *se)
{
	if (se->dump) {
		const DumpStatsEntry *d = se->dump;

		printf("Displaying dump stats:\n");
		printf("Freezing time: %u us\n", d->freezing_time);
		printf("Frozen time: %u us\n", d->frozen_time);
		printf("Memory dump time: %u us\n", d->memdump_time);
		printf("Memory write time: %u us\n", d->memwrite_time);
		printf("Memory pages scanned: %" PRIu64 " (0x%" PRIx64 ")\n", d->pages_scanned, d->pages_scanned);
		printf("Memory pages skipped from parent: %" PRIu64 " (0x%" PRIx64 ")\n", d->pages_skipped_parent,
		       d->pages_skipped_parent);
		printf("Memory pages written: %" PRIu64 " (0x%" PRIx64 ")\n", d->pages_written, d->pages_written);
		if (d->has_shpages_written)
			printf("Shared memory pages written: %" PRIu64 " (0x%" PRIx64 ")\n", d->shpages_written,
			       d->shpages_written);
		printf("Lazy memory pages: %" PRIu64 " (0x%" PRIx64 ")\n", d->pages_lazy, d->pages_lazy);
	}
	if (se->restore) {
		const RestoreStatsEntry *r = se->restore;

		printf("Displaying restore stats:\n");
		printf("Pages compared: %" PRIu64 " (0x%" PRIx64 ")\n", r->pages_compared, r->pages_compared);
		printf("Pages skipped COW: %" PRIu64 " (0x%" PRIx64 ")\n", r->pages_skipped_cow, r->pages_skipped_cow);
		if (r->has_pages_restored)
			printf("Pages restored: %" PRIu64 " (0x%" PRIx64 ")\n", r->pages_restored, r->pages_restored);
		printf("Restore time: %u us\n", r->restore_time);
		printf("Forking time: %u us\n", r->forking_time);
	}
	fflush(stdout);
}
