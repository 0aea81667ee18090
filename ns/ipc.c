/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ipc namespace: its sysctls (kernel shm, msg, sem limits and next ids;
 * fs/mqueue limits: all per ipc namespace) and its objects (ipc_sysv.c,
 * ipc_mq.c). Restore order: the limits, then the objects (each placed at its
 * id through *_next_id), then every sysctl again, so that the next ids the
 * tree had asked for and any limit raised on the way come back last.
 */
#define LOG_PREFIX "ipc: "
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <linux/securebits.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guard.h"
#include "images/ns.pb-c.h"
#include "ipc_objs.h"
#include "log.h"
#include "ns_priv.h"

#define MAX_MQUEUES 1024

static const char *const ipc_sysctls[] = {
	"kernel/shmmax",	"kernel/shmall",	 "kernel/shmmni",	  "kernel/shm_rmid_forced",
	"kernel/msgmax",	"kernel/msgmnb",	 "kernel/msgmni",	  "kernel/sem",
	"kernel/msg_next_id",	"kernel/sem_next_id",	 "kernel/shm_next_id",	  "fs/mqueue/queues_max",
	"fs/mqueue/msg_max",	"fs/mqueue/msgsize_max", "fs/mqueue/msg_default", "fs/mqueue/msgsize_default",
};
#define NR_SYSCTLS (sizeof(ipc_sysctls) / sizeof(ipc_sysctls[0]))

struct ipc_state {
	char value[NR_SYSCTLS][128];
	int nr_mq; /* > MAX_MQUEUES: too many */
	struct ipc_mq_name mq[MAX_MQUEUES];
};

/* The POSIX queues: names and owners, from a private mount of this ipc ns's mqueue fs. */
static int list_mqueues(struct ipc_state *s)
{
	struct dirent *de;
	DIR *dir;

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("mqueue", "/tmp", "mqueue", 0, NULL) < 0)
		return -errno;
	dir = opendir("/tmp");
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		struct ipc_mq_name *q = &s->mq[s->nr_mq];
		struct stat st;

		if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		if (s->nr_mq++ >= MAX_MQUEUES)
			continue;
		if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			closedir(dir);
			return -errno;
		}
		snprintf(q->name, sizeof(q->name), "%s", de->d_name);
		q->uid = st.st_uid;
		q->gid = st.st_gid;
		q->mode = st.st_mode & 07777;
	}
	closedir(dir);
	return 0;
}

static int read_ipc(void *arg)
{
	struct ipc_state *s = arg;

	for (size_t i = 0; i < NR_SYSCTLS; i++) {
		char path[128];
		ssize_t n;
		int fd;

		snprintf(path, sizeof(path), "/proc/sys/%s", ipc_sysctls[i]);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue; /* an older kernel: left out */
		n = read(fd, s->value[i], sizeof(s->value[i]) - 1);
		close(fd);
		if (n < 0)
			return -errno;
		while (n > 0 && s->value[i][n - 1] == '\n')
			n--;
		s->value[i][n] = 0;
	}
	return list_mqueues(s);
}

static int write_sysctls(struct img_dir *d, struct ipc_state *s)
{
	struct img_writer *w = NULL;
	int r = img_create(d, IMG_IPCNS, 0, &w);

	for (size_t i = 0; r >= 0 && i < NR_SYSCTLS; i++) {
		IpcSysctlEntry e = IPC_SYSCTL_ENTRY__INIT;

		/* -1: no next id was asked for (the default); it cannot be written back */
		if (!s->value[i][0] || (strstr(ipc_sysctls[i], "_next_id") && !strcmp(s->value[i], "-1")))
			continue;
		e.name = (char *)ipc_sysctls[i];
		e.value = s->value[i];
		r = img_write_msg(w, &e.base);
	}
	return img_finish(w, r);
}

/* In the tree's ipc namespace for a moment: SysV calls and mq_open act on the caller's. */
static int dump_objects(pid_t pid, struct img_dir *d, const struct ipc_state *s)
{
	struct ipc_dump_ctx c = { .d = d, .pid = pid };
	char path[64];
	int own, target, r;

	snprintf(path, sizeof(path), "/proc/%d/ns/ipc", pid);
	own = open("/proc/self/ns/ipc", O_RDONLY | O_CLOEXEC);
	if (own < 0)
		return pr_perror_ret("cannot open /proc/self/ns/ipc");
	target = open(path, O_RDONLY | O_CLOEXEC);
	if (target < 0 || setns(target, CLONE_NEWIPC) < 0) {
		r = pr_perror_ret("pid %d: cannot enter its ipc namespace (%s)", pid, path);
		goto out;
	}
	for (size_t i = 0; i < NR_SYSCTLS; i++)
		if (!strcmp(ipc_sysctls[i], "kernel/shm_rmid_forced"))
			c.shm_rmid_forced = !strcmp(s->value[i], "1");
	r = ipc_sysv_dump(&c);
	if (r >= 0)
		r = ipc_mq_dump(&c, s->mq, (size_t)s->nr_mq);
	if (setns(own, CLONE_NEWIPC) < 0) {
		pr_perror("cannot go back to criu's ipc namespace");
		abort(); /* criu must never go on in the tree's namespace */
	}
out:
	if (target >= 0)
		close(target);
	close(own);
	return r;
}

int ipc_ns_dump(pid_t pid, struct img_dir *d)
{
	struct ipc_state *s = ns_shared_alloc(sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	r = ns_call_in(pid, NS_IPC, read_ipc, s);
	if (r < 0)
		r = pr_err_ret(r, "pid %d: cannot read its ipc namespace", pid);
	else if (s->nr_mq > MAX_MQUEUES)
		r = pr_err_ret(-EOPNOTSUPP, "pid %d: not supported yet: more than %d POSIX message queues (%d)", pid,
			       MAX_MQUEUES, s->nr_mq);
	if (r >= 0)
		r = dump_objects(pid, d, s);
	if (r >= 0)
		r = write_sysctls(d, s);
	ns_shared_free(s, sizeof(*s));
	return r;
}

static int known_sysctl(const char *name)
{
	for (size_t i = 0; i < NR_SYSCTLS; i++)
		if (!strcmp(ipc_sysctls[i], name))
			return 1;
	return 0;
}

static int write_sysctl(const char *name, const char *value)
{
	char path[128];
	int fd, r = 0;

	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, value, strlen(value)) < 0)
		r = pr_perror_ret("cannot set %s to %s", path, value);
	if (fd >= 0)
		close(fd);
	return r;
}

/* Every sysctl of ipcns.img; the *_next_id ones only if with_next_ids. */
static int restore_sysctls(struct img_dir *d, bool with_next_ids)
{
	struct img_reader *rd = NULL;
	ProtobufCMessage *m;
	int r = img_open(d, IMG_IPCNS, 0, &rd);

	if (r == -ENOENT)
		return pr_err_ret(-EBADMSG, "the tree had its own ipc namespace, but ipcns.img is missing");
	if (r < 0)
		return r;
	while ((r = img_read_msg(rd, &ipc_sysctl_entry__descriptor, &m)) > 0) {
		IpcSysctlEntry *e = (IpcSysctlEntry *)m;

		if (!known_sysctl(e->name))
			r = pr_err_ret(-EBADMSG, "ipcns.img: unknown sysctl %s", e->name);
		else if (with_next_ids || !strstr(e->name, "_next_id"))
			r = write_sysctl(e->name, e->value);
		ipc_sysctl_entry__free_unpacked(e, NULL);
		if (r < 0)
			break;
	}
	img_close(rd);
	return r < 0 ? r : 0;
}

/*
 * In a child (it shares the new ipc ns): it acts as each object's creator, keeping
 * its capabilities across setresuid, and lifts RLIMIT_MSGQUEUE for the POSIX queues.
 */
static int restore_objects(struct img_dir *d)
{
	int st, r;
	pid_t parent = getpid(), child = fork();

	if (child < 0)
		return pr_perror_ret("cannot fork to restore the ipc objects");
	if (child == 0) {
		guard_die_with(parent);
		struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };

		if (prctl(PR_SET_SECUREBITS, SECBIT_NO_SETUID_FIXUP) < 0)
			pr_warn("SECBIT_NO_SETUID_FIXUP: %s: objects are created by criu's uid\n", strerror(errno));
		/* without CAP_SYS_RESOURCE: up to the hard limit (the queues are charged to criu's user) */
		if (setrlimit(RLIMIT_MSGQUEUE, &rl) < 0 && getrlimit(RLIMIT_MSGQUEUE, &rl) == 0) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_MSGQUEUE, &rl);
			pr_info("RLIMIT_MSGQUEUE stays at %llu bytes for the POSIX queues\n",
				(unsigned long long)rl.rlim_max);
		}
		r = ipc_sysv_restore(d);
		if (r == 0)
			r = ipc_mq_restore(d);
		_exit(r < 0 ? (-r & 0xff) : 0);
	}
	while (waitpid(child, &st, 0) < 0)
		if (errno != EINTR)
			return pr_perror_ret("cannot wait for the ipc objects' restore (pid %d)", child);
	if (!WIFEXITED(st))
		return pr_err_ret(-EIO, "the ipc objects' restore (pid %d) was killed", child);
	r = -WEXITSTATUS(st);
	return r < 0 ? pr_err_ret(r, "cannot restore the ipc namespace's objects (see above)") : 0;
}

int ipc_ns_restore(struct img_dir *d)
{
	int r = restore_sysctls(d, false);

	if (r == 0)
		r = restore_objects(d);
	if (r == 0)
		r = restore_sysctls(d, true);
	return r;
}
