// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Cgroups over RPC, the way runc asks: dump with freeze_cgroup (a v1
 * freezer cgroup) and manage_cgroups + manage_cgroups_mode DEFAULT; the
 * cgroups are removed; restore with cg_root for one controller. The tree
 * comes back in the recreated cgroups (SOFT: with their properties), the
 * relocated one where cg_root says, and the freezer is thawed after the dump.
 * Needs root, $CRIU, and v1 pids + freezer hierarchies under /sys/fs/cgroup.
 * Every cgroup it makes is removed at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "criu.h"
#include "t.h"

static const char *criu_bin;
static char tmp[] = "/tmp/libcriu-cgroups.XXXXXX";
static char pids_cg[128], pids_cg_r[128], frz_cg[128];

static int put(const char *dir, const char *file, const char *val)
{
	char p[256];
	FILE *f;
	int r;

	snprintf(p, sizeof(p), "%s/%s", dir, file);
	f = fopen(p, "w");
	if (!f)
		return -errno;
	r = fputs(val, f) < 0 ? -EIO : 0;
	if (fclose(f))
		r = -errno;
	return r;
}

static void get(const char *dir, const char *file, char *buf, size_t size)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, file);
	buf[0] = 0;
	f = fopen(p, "r");
	if (!f)
		return;
	if (fgets(buf, (int)size, f))
		buf[strcspn(buf, "\n")] = 0;
	fclose(f);
}

/* the path of pid in v1 hierarchy ctrl */
static void cg_of(pid_t pid, const char *ctrl, char *buf, size_t size)
{
	char p[64], line[512], want[64];
	FILE *f;

	snprintf(p, sizeof(p), "/proc/%d/cgroup", pid);
	snprintf(want, sizeof(want), ":%s:", ctrl);
	buf[0] = 0;
	f = fopen(p, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *m = strstr(line, want);

		if (m) {
			snprintf(buf, size, "%s", m + strlen(want));
			buf[strcspn(buf, "\n")] = 0;
		}
	}
	fclose(f);
}

static pid_t start_child(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		char me[16];
		int n = open("/dev/null", O_RDWR);

		snprintf(me, sizeof(me), "%d", getpid());
		if (put(pids_cg, "cgroup.procs", me) || put(frz_cg, "cgroup.procs", me))
			_exit(1);
		setsid();
		for (int i = 0; i < 3; i++)
			dup2(n, i);
		for (int i = 3; i < 1024; i++)
			close(i);
		for (;;)
			usleep(10000);
	}
	usleep(200000);
	return pid;
}

static void test_runc_like(void)
{
	char path[256], buf[256];
	pid_t pid, r;
	int dfd, st;

	CHECK(mkdir(pids_cg, 0755) == 0 && mkdir(frz_cg, 0755) == 0);
	CHECK_EQ_INT(put(pids_cg, "pids.max", "77"), 0);
	pid = start_child();
	cg_of(pid, "pids", buf, sizeof(buf));
	CHECK_EQ_STR(buf, pids_cg + strlen("/sys/fs/cgroup/pids"));

	snprintf(path, sizeof(path), "%s/img", tmp);
	mkdir(path, 0700);
	dfd = open(path, O_RDONLY | O_DIRECTORY);
	criu_init_opts();
	criu_set_service_binary(criu_bin);
	criu_set_images_dir_fd(dfd);
	criu_set_pid(pid);
	criu_set_log_file("dump.log");
	criu_set_log_level(4);
	criu_set_freeze_cgroup(frz_cg);
	criu_set_manage_cgroups(true);
	criu_set_manage_cgroups_mode(CRIU_CG_MODE_DEFAULT);
	CHECK_EQ_INT(criu_dump(), 0);
	CHECK(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st));
	get(frz_cg, "freezer.state", buf, sizeof(buf));
	CHECK_EQ_STR(buf, "THAWED");
	CHECK(rmdir(pids_cg) == 0 && rmdir(frz_cg) == 0);

	criu_set_log_file("restore.log");
	criu_add_cg_root("pids", pids_cg_r + strlen("/sys/fs/cgroup/pids"));
	r = criu_restore_child();
	CHECK_EQ_INT(r, pid);
	if (r > 0) {
		cg_of(r, "pids", buf, sizeof(buf));
		CHECK_EQ_STR(buf, pids_cg_r + strlen("/sys/fs/cgroup/pids"));
		cg_of(r, "freezer", buf, sizeof(buf));
		CHECK_EQ_STR(buf, frz_cg + strlen("/sys/fs/cgroup/freezer"));
		get(pids_cg_r, "pids.max", buf, sizeof(buf));
		CHECK_EQ_STR(buf, "77");
		kill(r, SIGKILL);
		waitpid(r, &st, 0);
	}
	close(dfd);
}

int main(void)
{
	char cmd[300];
	struct stat st;

	criu_bin = getenv("CRIU");
	if (!criu_bin || geteuid() != 0) {
		printf("SKIP libcriu_cgroups: needs root and $CRIU\n");
		return 0;
	}
	if (stat("/sys/fs/cgroup/pids/cgroup.procs", &st) ||
	    stat("/sys/fs/cgroup/freezer/cgroup.procs", &st)) {
		printf("SKIP libcriu_cgroups: needs v1 pids and freezer hierarchies under /sys/fs/cgroup\n");
		return 0;
	}
	if (!mkdtemp(tmp))
		return 1;
	snprintf(pids_cg, sizeof(pids_cg), "/sys/fs/cgroup/pids/criu-rpc-%d", getpid());
	snprintf(pids_cg_r, sizeof(pids_cg_r), "/sys/fs/cgroup/pids/criu-rpc-%d-r", getpid());
	snprintf(frz_cg, sizeof(frz_cg), "/sys/fs/cgroup/freezer/criu-rpc-%d", getpid());
	t_run("runc_like_cgroups", test_runc_like);
	/* whatever happened: no cgroup of ours stays */
	usleep(100000);
	rmdir(pids_cg_r);
	rmdir(pids_cg);
	rmdir(frz_cg);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	if (system(cmd))
		return 1;
	return t_done();
}
