/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stats-dump / stats-restore in the work dir, in CRIU's layout (see stats.proto). */
#ifndef CR_STATS_H
#define CR_STATS_H

#include <stdint.h>

#include "images/stats.pb-c.h"

#define STATS_SERVICE_MAGIC 0x55105940u
#define STATS_MAGIC	    0x57093306u

/* A monotonic clock in microseconds, for the timings. */
uint64_t stats_now_us(void);

/* Writes name ("stats-dump" or "stats-restore") into the work dir. 0 or -errno, logged. */
int stats_write(int work_dir_fd, const char *name, const StatsEntry *se);
/* Reads one back (tests, criu show). The caller frees with stats_entry__free_unpacked. */
int stats_read(int dir_fd, const char *name, StatsEntry **ret);

/* Prints the figures to stdout as criu --display-stats does. */
void stats_display(const StatsEntry *se);

#endif
