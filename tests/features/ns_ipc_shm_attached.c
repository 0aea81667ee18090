/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SysV shm attachments, in the tree's own ipc namespace: segment A (3 pages)
 * attached read-write at a, with its middle page made read-only (mprotect
 * splits the attachment), and again read-only at r; a child inherits the
 * attachment at a. Segment B (5000 bytes, not page-sized) attached at b.
 * After restore: the bytes, the sharing (a write through a shows at r and in
 * the child, and back), each piece's protection, the read-only attachment
 * refusing PROT_WRITE, the ids, and shm_nattch as before.
 */
#include <sched.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>

#include "feature.h"

/* The permissions /proc/self/maps shows for the mapping at addr ("rw-s"), or "". */
static void perms_at(const void *addr, char out[5])
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");

	strcpy(out, "");
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long s, e;
		char p[5];

		if (sscanf(line, "%lx-%lx %4s", &s, &e, p) == 3 && s <= (unsigned long)addr &&
		    (unsigned long)addr < e)
			snprintf(out, 5, "%s", p);
	}
	if (f)
		fclose(f);
}

static int nattch(int id)
{
	struct shmid_ds ds;

	return shmctl(id, IPC_STAT, &ds) < 0 ? -1 : (int)ds.shm_nattch;
}

int main(int argc, char **argv)
{
	int ida, idb, rep[2], go[2], na, nb;
	char *a, *r, *b, perms[5], buf[1];
	pid_t c;

	feat_init(argc, argv);
	if (unshare(CLONE_NEWIPC) < 0)
		feat_die("unshare(CLONE_NEWIPC)");
	ida = shmget(0x5152, 3 * 4096, IPC_CREAT | 0600);
	idb = shmget(0x5153, 5000, IPC_CREAT | 0600);
	if (ida < 0 || idb < 0)
		feat_die("shmget");
	a = shmat(ida, NULL, 0);
	r = shmat(ida, NULL, SHM_RDONLY);
	b = shmat(idb, NULL, 0);
	if (a == (void *)-1 || r == (void *)-1 || b == (void *)-1)
		feat_die("shmat");
	strcpy(a, "page0");
	strcpy(a + 4096, "page1");
	strcpy(a + 2 * 4096, "page2");
	memset(b, 'b', 5000);
	if (mprotect(a + 4096, 4096, PROT_READ) || pipe(rep) || pipe(go))
		feat_die("mprotect");
	c = fork();
	if (c < 0)
		feat_die("fork");
	if (c == 0) {
		close(rep[0]);
		close(go[1]);
		if (read(go[0], buf, 1) != 1)
			_exit(4);
		FEAT_CHECK(!strcmp(a + 2 * 4096, "from-parent"), "child: reads '%s' through a", a + 2 * 4096);
		strcpy(a, "from-child");
		feat_report(rep[1], "child");
		_exit(0);
	}
	close(rep[1]);
	close(go[0]);
	na = nattch(ida);
	nb = nattch(idb);

	feat_ready();
	feat_wait_go();

	FEAT_CHECK(!strcmp(a, "page0") && !strcmp(a + 4096, "page1") && !strcmp(a + 2 * 4096, "page2"),
		   "A lost its bytes ('%s' '%s' '%s')", a, a + 4096, a + 2 * 4096);
	FEAT_CHECK(!strcmp(r + 4096, "page1"), "the read-only attachment reads '%s'", r + 4096);
	FEAT_CHECK(b[0] == 'b' && b[4999] == 'b', "B lost its bytes");
	strcpy(a + 2 * 4096, "from-parent");
	FEAT_CHECK(!strcmp(r + 2 * 4096, "from-parent"), "a write through a does not show at r ('%s')",
		   r + 2 * 4096);
	perms_at(a, perms);
	FEAT_CHECK(!strcmp(perms, "rw-s"), "a: %s, expected rw-s", perms);
	perms_at(a + 4096, perms);
	FEAT_CHECK(!strcmp(perms, "r--s"), "a+4096: %s, expected r--s", perms);
	perms_at(r, perms);
	FEAT_CHECK(!strcmp(perms, "r--s"), "r: %s, expected r--s", perms);
	FEAT_CHECK(mprotect(r, 4096, PROT_READ | PROT_WRITE) < 0 && errno == EACCES,
		   "the read-only attachment may be made writable");
	FEAT_CHECK(mprotect(a + 4096, 4096, PROT_READ | PROT_WRITE) == 0,
		   "a+4096 may no longer be made writable");
	FEAT_CHECK(shmget(0x5152, 0, 0) == ida && shmget(0x5153, 0, 0) == idb, "the ids changed");
	FEAT_CHECK(nattch(ida) == na && nattch(idb) == nb, "shm_nattch %d/%d, was %d/%d", nattch(ida),
		   nattch(idb), na, nb);
	if (write(go[1], "g", 1) != 1)
		feat_fail("cannot wake the child");
	feat_collect(rep[0]);
	waitpid(c, NULL, 0);
	FEAT_CHECK(!strcmp(r, "from-child"), "the child's write does not show ('%s')", r);
	return feat_done();
}
