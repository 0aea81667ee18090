/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A memfd holding a script ("#!/bin/true") is executed with execveat(fd,
 * "", AT_EMPTY_PATH) while its read-write fd is open, a read-only reopen of
 * it is mapped privately and the memfd is mapped shared. After restore the
 * exec still works (no ETXTBSY: memfd_create's description counts no
 * writer) and the mappings and contents are as they were.
 */
#include <sys/mman.h>
#include <sys/syscall.h>

#include "feature.h"

static const char script[] = "#!/bin/true\n";

static int run(int fd)
{
	static char *const argv[] = {"true", NULL}, *const envp[] = {NULL};
	int st;
	pid_t c = fork();

	if (c == 0) {
		syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
		_exit(errno);
	}
	if (c < 0 || waitpid(c, &st, 0) != c)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

int main(int argc, char **argv)
{
	char path[64], *priv, *shared;
	int fd, ro, r;

	feat_init(argc, argv);
	fd = (int)syscall(SYS_memfd_create, "fdk-script", 0);
	if (fd < 0 || write(fd, script, sizeof(script) - 1) != sizeof(script) - 1)
		feat_die("memfd");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ro = open(path, O_RDONLY);
	priv = ro < 0 ? MAP_FAILED : mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0);
	shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (priv == MAP_FAILED || shared == MAP_FAILED)
		feat_die("mmap");
	r = run(fd);
	if (r)
		printf("execveat before the dump: %s: not checked\n", strerror(r));

	feat_ready();
	feat_wait_go();

	if (!r) {
		int after = run(fd);

		FEAT_CHECK(after == 0, "execveat of the memfd after restore: %s", strerror(after));
	}
	FEAT_CHECK(!memcmp(priv, script, sizeof(script) - 1), "the private mapping lost the script");
	FEAT_CHECK(!memcmp(shared, script, sizeof(script) - 1), "the shared mapping lost the script");
	shared[0] = '%';
	FEAT_CHECK(pread(fd, path, 1, 0) == 1 && path[0] == '%', "the shared mapping is not the memfd any more");
	return feat_done();
}
