/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Per-thread credentials: one thread changes its own ids with raw system
 * calls (glibc's wrappers would change every thread), so the process has
 * a root main thread and a thread with uids 3000/3001/3002, gids
 * 2000/2001/2002 and no capabilities. Each keeps its own after restore.
 */
#include "feature.h"

static volatile int gate, started;
static uid_t tu[3];
static gid_t tg[3];
static pid_t wtid;

static void *worker(void *arg)
{
	wtid = feat_gettid();
	if (syscall(SYS_setresgid, 2000, 2001, 2002) || syscall(SYS_setresuid, 3000, 3001, 3002))
		return NULL;
	__atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
	feat_gate_wait(&gate);
	syscall(SYS_getresuid, &tu[0], &tu[1], &tu[2]);
	syscall(SYS_getresgid, &tg[0], &tg[1], &tg[2]);
	return NULL;
}

int main(int argc, char **argv)
{
	char path[64], v[128];
	uid_t u[3];
	gid_t g[3];
	pthread_t th;

	feat_init(argc, argv);
	if (geteuid() != 0)
		feat_skip("needs root");
	if (feat_thread_create(&th, worker, NULL))
		feat_die("pthread_create");
	for (int i = 0; i < 2000 && !__atomic_load_n(&started, __ATOMIC_SEQ_CST); i++)
		feat_sleep_ms(1);
	if (!started)
		feat_die("thread setresuid");

	feat_ready();
	feat_wait_go();

	syscall(SYS_getresuid, &u[0], &u[1], &u[2]);
	syscall(SYS_getresgid, &g[0], &g[1], &g[2]);
	FEAT_CHECK(!u[0] && !u[1] && !u[2] && !g[0] && !g[1] && !g[2], "main thread ids %u/%u/%u %u/%u/%u, expected root",
		   u[0], u[1], u[2], g[0], g[1], g[2]);
	snprintf(path, sizeof(path), "/proc/self/task/%d/status", wtid);
	if (!feat_status_field(path, "Uid", v, sizeof(v)))
		FEAT_CHECK(!strncmp(v, "3000\t3001\t3002\t3001", 19), "thread Uid line '%s'", v);
	if (!feat_status_field(path, "CapEff", v, sizeof(v)))
		FEAT_CHECK(strtoull(v, NULL, 16) == 0, "thread CapEff %s, expected none", v);
	feat_gate_open(&gate);
	pthread_join(th, NULL);
	FEAT_CHECK(tu[0] == 3000 && tu[1] == 3001 && tu[2] == 3002, "thread uids %u/%u/%u, expected 3000/3001/3002", tu[0],
		   tu[1], tu[2]);
	FEAT_CHECK(tg[0] == 2000 && tg[1] == 2001 && tg[2] == 2002, "thread gids %u/%u/%u, expected 2000/2001/2002", tg[0],
		   tg[1], tg[2]);
	return feat_done();
}
