/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ipc namespace: its sysctls (kernel shm, msg, sem limits and next ids;
 * fs/mqueue limits: all per ipc namespace). SysV objects and POSIX message queues
 * are not dumped yet: a namespace holding any is refused by name.
 */
#define LOG_PREFIX "ipc: "
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "images/ns.pb-c.h"
#include "log.h"
#include "ns_priv.h"

static const char *const ipc_sysctls[] = {
	"kernel/shmmax",	"kernel/shmall",	 "kernel/shmmni",	  "kernel/shm_rmid_forced",
	"kernel/msgmax",	"kernel/msgmnb",	 "kernel/msgmni",	  "kernel/sem",
	"kernel/msg_next_id",	"kernel/sem_next_id",	 "kernel/shm_next_id",	  "fs/mqueue/queues_max",
	"fs/mqueue/msg_max",	"fs/mqueue/msgsize_max", "fs/mqueue/msg_default", "fs/mqueue/msgsize_default",
};
#define NR_SYSCTLS (sizeof(ipc_sysctls) / sizeof(ipc_sysctls[0]))

struct ipc_state {
	char value[NR_SYSCTLS][128];
	int objects[4]; /* shm, sem, msg, posix mq */
};

static int count_lines(const char *path)
{
	char line[512];
	int n = -1; /* the header */
	FILE *f = fopen(path, "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n < 0 ? 0 : n;
}

static int count_mqueues(void)
{
	struct dirent *de;
	DIR *dir;
	int n = 0;

	/* a private mount of this ipc ns's mqueue fs, in a private mount ns */
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("mqueue", "/tmp", "mqueue", 0, NULL) < 0)
		return -errno;
	dir = opendir("/tmp");
	if (!dir)
		return -errno;
	while ((de = readdir(dir)))
		n += de->d_name[0] != '.';
	closedir(dir);
	return n;
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
	s->objects[0] = count_lines("/proc/sysvipc/shm");
	s->objects[1] = count_lines("/proc/sysvipc/sem");
	s->objects[2] = count_lines("/proc/sysvipc/msg");
	s->objects[3] = count_mqueues();
	return 0;
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
	if (r < 0) {
		if (w)
			img_writer_abort(w);
		return r;
	}
	return img_commit(w);
}

int ipc_ns_dump(pid_t pid, struct img_dir *d)
{
	static const char *const what[] = { "SysV shared memory", "SysV semaphores", "SysV message queues",
					    "POSIX message queues" };
	struct ipc_state *s = ns_shared_alloc(sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	r = ns_call_in(pid, NS_IPC, read_ipc, s);
	if (r < 0) {
		ns_shared_free(s, sizeof(*s));
		return pr_err_ret(r, "pid %d: cannot read its ipc namespace", pid);
	}
	for (int i = 0; i < 4; i++)
		if (s->objects[i] != 0) {
			r = pr_err_ret(-EOPNOTSUPP, "pid %d: not supported yet: %s in the ipc namespace (%d)", pid,
				       what[i], s->objects[i]);
			ns_shared_free(s, sizeof(*s));
			return r;
		}
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

int ipc_ns_restore(struct img_dir *d)
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
		char path[128];
		int fd;

		if (!known_sysctl(e->name)) {
			r = pr_err_ret(-EBADMSG, "ipcns.img: unknown sysctl %s", e->name);
		} else {
			snprintf(path, sizeof(path), "/proc/sys/%s", e->name);
			fd = open(path, O_WRONLY | O_CLOEXEC);
			if (fd < 0 || write(fd, e->value, strlen(e->value)) < 0)
				r = pr_perror_ret("cannot set %s to %s", path, e->value);
			if (fd >= 0)
				close(fd);
		}
		ipc_sysctl_entry__free_unpacked(e, NULL);
		if (r < 0)
			break;
	}
	img_close(rd);
	return r < 0 ? r : 0;
}
