/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mlock()ed memory stays locked: one region locked with mlock, one with
 * mlock2(MLOCK_ONFAULT), by a task that then became uid 1000 (which could
 * not lock that much again itself under a small RLIMIT_MEMLOCK). After
 * restore smaps still shows them locked ("lo", and "lf" for on-fault) and
 * their contents are intact.
 */
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "feature.h"

#define LEN (256 << 10)

/* the VmFlags line of the mapping that starts at addr */
static int vmflags(void *addr, char *out, size_t len)
{
	char line[400], want[32];
	int found = 0;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return -1;
	snprintf(want, sizeof(want), "%lx-", (unsigned long)addr);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, want, strlen(want)))
			found = 1;
		else if (found && !strncmp(line, "VmFlags:", 8)) {
			snprintf(out, len, "%s", line + 8);
			fclose(f);
			return 0;
		}
	}
	fclose(f);
	return -1;
}

static void child(int go_fd)
{
	struct rlimit rl = { 64 << 10, 64 << 10 };
	char *a, *b, flags[512];

	a = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	b = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED || b == MAP_FAILED)
		_exit(3);
	memset(a, 0x5a, LEN);
	if (mlock(a, LEN) || syscall(SYS_mlock2, b, LEN, 1 /* MLOCK_ONFAULT */))
		_exit(4);
	b[0] = 0x33;
	if (setrlimit(RLIMIT_MEMLOCK, &rl) || setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000))
		_exit(5);
	feat_child_wait_go(go_fd);
	if (vmflags(a, flags, sizeof(flags)))
		feat_fail("no smaps entry at %p", (void *)a);
	else
		FEAT_CHECK(strstr(flags, " lo") != NULL, "mlock()ed region not locked after restore: VmFlags%s", flags);
	if (vmflags(b, flags, sizeof(flags)))
		feat_fail("no smaps entry at %p", (void *)b);
	else
		FEAT_CHECK(strstr(flags, " lo") && strstr(flags, " lf"),
			   "mlock2(ONFAULT)ed region not locked on fault after restore: VmFlags%s", flags);
	for (size_t i = 0; i < LEN; i += 4096)
		if (a[i] != 0x5a) {
			feat_fail("locked memory differs at %zu", i);
			break;
		}
	FEAT_CHECK(b[0] == 0x33, "on-fault region's first byte %#x", b[0]);
	FEAT_CHECK(getuid() == 1000, "uid %d", getuid());
}

int main(int argc, char **argv)
{
	return feat_run_child(argc, argv, child);
}
