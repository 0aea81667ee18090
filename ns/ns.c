/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which namespaces the tree has, and moving criu in and out of them on restore. */
#define LOG_PREFIX "ns: "
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guard.h"
#include "images/ns.pb-c.h"
#include "log.h"
#include "ns.h"
#include "ns_priv.h"
#include "mnt.h"

/* setns order: the user ns first (it owns the others), pid/time last (they only affect children). */
const struct ns_kind_info ns_kinds[NS_NR] = {
	[NS_USER] = { "user", CLONE_NEWUSER },	   [NS_MNT] = { "mnt", CLONE_NEWNS },
	[NS_PID] = { "pid", CLONE_NEWPID },	   [NS_NET] = { "net", CLONE_NEWNET },
	[NS_IPC] = { "ipc", CLONE_NEWIPC },	   [NS_UTS] = { "uts", CLONE_NEWUTS },
	[NS_CGROUP] = { "cgroup", CLONE_NEWCGROUP }, [NS_TIME] = { "time", CLONE_NEWTIME },
};

static int kind_of_flag(uint32_t flag)
{
	for (int k = 0; k < NS_NR; k++)
		if ((uint32_t)ns_kinds[k].flag == flag)
			return k;
	return -1;
}

/* Inodes of pid's namespaces; 0 for a kind the kernel does not have. */
static int ns_read_ids(pid_t pid, uint64_t ids[NS_NR])
{
	for (int k = 0; k < NS_NR; k++) {
		char path[64];
		struct stat st;

		snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, ns_kinds[k].name);
		if (stat(path, &st) < 0) {
			if (errno == ENOENT && kill(pid, 0) == 0) {
				ids[k] = 0;
				continue;
			}
			return -errno;
		}
		ids[k] = st.st_ino;
	}
	return 0;
}

void *ns_shared_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void ns_shared_free(void *p, size_t size)
{
	if (p)
		munmap(p, size);
}

int ns_call_in(pid_t pid, enum ns_kind k, int (*fn)(void *arg), void *arg)
{
	char path[64];
	int fd, st;
	pid_t parent = getpid(), child;

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, ns_kinds[k].name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	child = fork();
	if (child < 0) {
		close(fd);
		return -errno;
	}
	if (child == 0) {
		guard_die_with(parent);
		int r = setns(fd, ns_kinds[k].flag) < 0 ? -errno : fn(arg);

		_exit(r < 0 ? (-r & 0xff) : 0);
	}
	close(fd);
	while (waitpid(child, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(st))
		return -EIO;
	return -WEXITSTATUS(st);
}

/* In the tree's cgroup namespace: whether /proc/PID/cgroup shows "/" in every hierarchy (arg: &pid). */
static int cg_at_ns_root(void *arg)
{
	char path[64], line[4096];
	FILE *f;
	int r = 0;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", *(const pid_t *)arg);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (r == 0 && fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':');

		p = p ? strchr(p + 1, ':') : NULL;
		if (!p || strcmp(p + 1, "/\n"))
			r = -EXDEV;
	}
	fclose(f);
	return r;
}

/* --external KIND[INO]:KEY for this namespace: the KEY, or NULL. */
static const char *external_key(const struct cr_opts *o, enum ns_kind k, uint64_t ino)
{
	size_t nl = strlen(ns_kinds[k].name);

	for (size_t i = 0; i < o->external.n; i++) {
		const char *e = o->external.v[i];
		char *end;
		unsigned long long v;

		if (strncmp(e, ns_kinds[k].name, nl) || e[nl] != '[')
			continue;
		v = strtoull(e + nl + 1, &end, 10);
		if (end[0] == ']' && end[1] == ':' && end[2] && v == ino)
			return end + 2;
	}
	return NULL;
}

/*
 * A task that called unshare(CLONE_NEWPID or CLONE_NEWTIME) and has no child
 * in that namespace yet: its children's namespace (/proc/PID/ns/KIND_for_children)
 * is not its own, and the restore would lose it.
 */
static int check_for_children(pid_t pid, const uint64_t ids[NS_NR])
{
	static const enum ns_kind kinds[] = { NS_PID, NS_TIME };

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		enum ns_kind k = kinds[i];
		char path[64];
		struct stat st;

		snprintf(path, sizeof(path), "/proc/%d/ns/%s_for_children", pid, ns_kinds[k].name);
		if (!ids[k])
			continue; /* a kernel without this kind */
		if (stat(path, &st) < 0) {
			/* a new pid namespace shows no inode until its init is born */
			if (errno == ENOENT && k == NS_PID)
				return pr_err_ret(-EOPNOTSUPP,
						  "pid %d: not supported: the pid namespace of its future children "
						  "(%s) is a new one without its init yet "
						  "(unshare(CLONE_NEWPID) before a fork)",
						  pid, path);
			if (errno == ENOENT)
				continue; /* a kernel without the link */
			return pr_perror_ret("pid %d: cannot read %s", pid, path);
		}
		if (st.st_ino != ids[k])
			return pr_err_ret(-EOPNOTSUPP,
					  "pid %d: not supported: the %s namespace of its future children (%s, %" PRIu64
					  ") is not its own (%" PRIu64 "): an unshare that no task of the tree entered",
					  pid, ns_kinds[k].name, path, (uint64_t)st.st_ino, ids[k]);
	}
	return 0;
}

/* Every task in the root's namespaces; the mount namespace may differ if the root has its own (mnt.c). */
static int check_task_ns(const struct pstree *t, const uint64_t root[NS_NR], const uint64_t mine[NS_NR])
{
	for (size_t i = 0; i < t->n; i++) {
		const struct pstree_item *it = t->items[i];
		uint64_t ids[NS_NR];
		int r;

		if (it->state == PST_ZOMBIE)
			continue;
		r = ns_read_ids(it->pid, ids);
		if (r < 0)
			return pr_err_ret(r, "pid %d: cannot read its namespaces", it->pid);
		for (int k = 0; k < NS_NR; k++)
			if (ids[k] != root[k] && !(k == NS_MNT && root[k] != mine[k]))
				return pr_err_ret(-EOPNOTSUPP,
						  "pid %d: not supported yet: nested namespaces (its %s namespace %" PRIu64
						  " is not the root's %" PRIu64 ")",
						  it->pid, ns_kinds[k].name, ids[k], root[k]);
		r = check_for_children(it->pid, ids);
		if (r < 0)
			return r;
	}
	return 0;
}

static int write_entries(struct img_dir *d, NsEntry *e, size_t n)
{
	struct img_writer *w = NULL;
	int r = img_create(d, IMG_NS, 0, &w);

	for (size_t i = 0; r >= 0 && i < n; i++)
		r = img_write_msg(w, &e[i].base);
	return img_finish(w, r);
}

int ns_dump(const struct pstree *t, const struct cr_opts *o, struct img_dir *d)
{
	uint64_t mine[NS_NR], root[NS_NR];
	NsEntry e[NS_NR];
	size_t n = 0;
	pid_t pid = t->root->pid;
	int r;

	r = ns_read_ids(getpid(), mine);
	if (r == 0)
		r = ns_read_ids(pid, root);
	if (r < 0)
		return pr_err_ret(r, "pid %d: cannot read the namespaces", pid);
	r = check_task_ns(t, root, mine);
	if (r < 0)
		return r;
	for (int k = 0; k < NS_NR; k++) {
		const char *key;

		if (root[k] == mine[k])
			continue;
		ns_entry__init(&e[n]);
		e[n].flag = (uint32_t)ns_kinds[k].flag;
		e[n].ino = root[k];
		key = external_key(o, k, root[k]);
		if (key) {
			e[n].external_key = (char *)key;
			pr_info("%s namespace %" PRIu64 " is external (%s)\n", ns_kinds[k].name, root[k], key);
		} else if (k == NS_NET && (o->empty_ns & CLONE_NEWNET)) {
			e[n].has_empty = e[n].empty = true;
			pr_info("net namespace %" PRIu64 ": --empty-ns, its contents are not dumped\n", root[k]);
		} else if (k == NS_UTS) {
			r = uts_ns_dump(pid, d);
		} else if (k == NS_IPC) {
			r = ipc_ns_dump(pid, d);
		} else if (k == NS_NET) {
			r = net_ns_dump(pid, d);
		} else if (k == NS_TIME) {
			/* dumped below for every tree */
		} else if (k == NS_MNT) {
			r = mnt_ns_dump(t, o, d);
		} else if (k == NS_PID) {
			/* its pids are the tree's own (pstree); a new one needs its init */
			if (t->root->vpid != 1)
				return pr_err_ret(-EOPNOTSUPP,
						  "pid %d: not supported yet: a tree whose root is pid %d, not the init, "
						  "of its pid namespace (%" PRIu64 "); --external pid[%" PRIu64 "]:KEY restores "
						  "it into an existing one",
						  pid, t->root->vpid, root[k], root[k]);
			pr_info("pid namespace %" PRIu64 ": the root %d is its init\n", root[k], pid);
		} else if (k == NS_CGROUP) {
			/* the restore makes it in the root task, once it is in its cgroups */
			r = ns_call_in(pid, NS_CGROUP, cg_at_ns_root, &pid);
			if (r == -EXDEV)
				return pr_err_ret(-EOPNOTSUPP,
						  "pid %d: not supported yet: a cgroup namespace (%" PRIu64 ") whose "
						  "root is not the root task's own cgroups",
						  pid, root[k]);
			if (r < 0)
				return pr_err_ret(r, "pid %d: cannot read its cgroups in its cgroup namespace", pid);
			pr_info("cgroup namespace %" PRIu64 ": rooted at the root task's cgroups\n", root[k]);
		} else {
			return pr_err_ret(-EOPNOTSUPP, "pid %d: not supported yet: %s namespace (%" PRIu64 ")", pid,
					  ns_kinds[k].name, root[k]);
		}
		if (r < 0)
			return r;
		n++;
	}
	/* every tree is restored into a new time ns whose clocks carry on */
	r = time_ns_dump(pid, d);
	if (r < 0)
		return r;
	return write_entries(d, e, n);
}

/* ---- restore ---- */

struct ns_restore {
	struct img_dir *d;
	const struct cr_opts *o;
	NsEntry *ent[NS_NR];	/* from ns.img, by kind */
	int target_fd[NS_NR];	/* joined or inherited */
	int own_fd[NS_NR];	/* criu's, to come back */
	bool entered[NS_NR];
	bool new_time;
	struct mnt_restore *mnt; /* the tree's own mount namespace, from mnt.img */
	int cwd_fd, root_fd;
	uint32_t mask;
};

static int open_join_target(const char *kind, const char *file)
{
	char path[PATH_MAX];
	char *end;
	long pid = strtol(file, &end, 10);
	int fd;

	if (*file && !*end && pid > 0)
		snprintf(path, sizeof(path), "/proc/%ld/ns/%s", pid, kind);
	else
		snprintf(path, sizeof(path), "%s", file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pr_perror_ret("--join-ns %s:%s: cannot open %s", kind, file, path);
	return fd;
}

static int read_ns_img(struct ns_restore *nr)
{
	struct img_reader *r = NULL;
	ProtobufCMessage *m;
	int err = img_open(nr->d, IMG_NS, 0, &r);

	if (err == -ENOENT)
		return 0; /* an older dump: the tree was in criu's namespaces */
	if (err < 0)
		return err;
	while ((err = img_read_msg(r, &ns_entry__descriptor, &m)) > 0) {
		NsEntry *e = (NsEntry *)m;
		int k = kind_of_flag(e->flag);

		if (k < 0 || nr->ent[k]) {
			ns_entry__free_unpacked(e, NULL);
			err = pr_err_ret(-EBADMSG, "%s: bad or repeated namespace flag %#x", img_reader_name(r), e->flag);
			break;
		}
		nr->ent[k] = e;
	}
	img_close(r);
	return err < 0 ? err : 0;
}

static int prepare_kind(struct ns_restore *nr, enum ns_kind k)
{
	const struct cr_opts *o = nr->o;
	const NsEntry *e = nr->ent[k];
	const char *name = ns_kinds[k].name;

	for (size_t i = 0; i < o->nr_join_ns; i++) {
		if (strcmp(o->join_ns[i].ns, name))
			continue;
		if (k == NS_USER && o->join_ns[i].extra_opt)
			return pr_err_ret(-EOPNOTSUPP, "not supported yet: --join-ns user:%s,%s (uid,gid)",
					  o->join_ns[i].ns_file, o->join_ns[i].extra_opt);
		nr->target_fd[k] = open_join_target(name, o->join_ns[i].ns_file);
		return nr->target_fd[k] < 0 ? nr->target_fd[k] : 0;
	}
	if (!e)
		return 0;
	if (e->external_key) {
		int fd = cr_inherit_fd_find(o->inherit_fds, o->nr_inherit_fds, e->external_key);

		if (fd < 0)
			return pr_err_ret(-ENOENT,
					  "the tree's %s namespace was external (%s): --inherit-fd fd[N]:%s or --join-ns %s:PATH is needed",
					  name, e->external_key, e->external_key, name);
		nr->target_fd[k] = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		return nr->target_fd[k] < 0 ? pr_perror_ret("--inherit-fd %s", e->external_key) : 0;
	}
	if (e->has_empty && e->empty && k != NS_NET)
		return pr_err_ret(-EBADMSG, "ns.img: an empty %s namespace", name);
	switch (k) {
	case NS_NET:
		if ((e->has_empty && e->empty) || (o->empty_ns & CLONE_NEWNET) || net_ns_has_images(nr->d))
			return 0;
		break;
	case NS_UTS:
	case NS_IPC:
	case NS_TIME:
	case NS_PID:
	case NS_CGROUP:
		return 0;
	case NS_MNT:
		return mnt_restore_prepare(nr->d, o, &nr->mnt);
	default:
		break;
	}
	return pr_err_ret(-EOPNOTSUPP, "not supported yet: restoring a %s namespace from the images (--join-ns %s:PATH)",
			  name, name);
}

int ns_restore_prepare(struct img_dir *d, const struct cr_opts *o, struct ns_restore **ret)
{
	struct ns_restore *nr = calloc(1, sizeof(*nr));
	int r;

	if (!nr)
		return -ENOMEM;
	nr->d = d;
	nr->o = o;
	nr->cwd_fd = nr->root_fd = -EBADF;
	for (int k = 0; k < NS_NR; k++)
		nr->target_fd[k] = nr->own_fd[k] = -EBADF;
	r = read_ns_img(nr);
	for (int k = 0; r == 0 && k < NS_NR; k++)
		r = prepare_kind(nr, k);
	if (r == 0 && o->empty_ns & ~(uint32_t)CLONE_NEWNET)
		r = pr_err_ret(-EOPNOTSUPP, "--empty-ns %#x: only net can be left empty", o->empty_ns);
	/* a new time ns for every tree (like criu), unless one is joined */
	nr->new_time = nr->target_fd[NS_TIME] < 0 && img_dir_has(d, IMG_TIMENS, 0);
	if (r < 0) {
		ns_restore_free(nr);
		return r;
	}
	*ret = nr;
	return 0;
}

bool ns_restore_claims_key(const struct ns_restore *nr, const char *key)
{
	for (int k = 0; nr && k < NS_NR; k++)
		if (nr->ent[k] && nr->ent[k]->external_key && !strcmp(nr->ent[k]->external_key, key))
			return true;
	return false;
}

static int save_own(struct ns_restore *nr, enum ns_kind k)
{
	char path[64];

	if (nr->own_fd[k] >= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/self/ns/%s", ns_kinds[k].name);
	nr->own_fd[k] = open(path, O_RDONLY | O_CLOEXEC);
	return nr->own_fd[k] < 0 ? pr_perror_ret("cannot open %s", path) : 0;
}

static int enter_kind(struct ns_restore *nr, enum ns_kind k)
{
	const NsEntry *e = nr->ent[k];
	int r;

	if (nr->target_fd[k] >= 0) {
		r = save_own(nr, k);
		if (r < 0)
			return r;
		if (setns(nr->target_fd[k], ns_kinds[k].flag) < 0)
			return pr_perror_ret("cannot join the %s namespace", ns_kinds[k].name);
		nr->entered[k] = true;
		pr_info("joined the %s namespace\n", ns_kinds[k].name);
		return 0;
	}
	if (k == NS_TIME && nr->new_time) {
		r = save_own(nr, k);
		if (r == 0)
			r = time_ns_restore_new(nr->d);
		nr->entered[k] = r == 0;
		return r;
	}
	if (!e && !(k == NS_NET && (nr->o->empty_ns & CLONE_NEWNET) && nr->ent[NS_NET]))
		return 0;
	if (k != NS_NET && k != NS_UTS && k != NS_IPC && k != NS_PID)
		return 0;
	/* criu's own, to come back; pid's too: /proc may be the tree's by the time of the fork */
	r = save_own(nr, k);
	if (r < 0)
		return r;
	if (k == NS_NET) {
		/* its contents from the images, unless it was dumped empty or --empty-ns asks for an empty one */
		if (e && !(e->has_empty && e->empty) && !(nr->o->empty_ns & CLONE_NEWNET))
			r = net_ns_restore(nr->d, nr->o);
		else
			r = net_ns_restore_empty();
	} else if (k == NS_PID) {
		return 0; /* made by ns_restore_pid(), right before the fork */
	} else {
		if (unshare(ns_kinds[k].flag) < 0)
			return pr_perror_ret("cannot create a %s namespace", ns_kinds[k].name);
		nr->entered[k] = true;
		r = k == NS_UTS ? uts_ns_restore(nr->d) : ipc_ns_restore(nr->d);
	}
	nr->entered[k] = true;
	return r;
}

int ns_restore_enter(struct ns_restore *nr)
{
	int r;

	/* a mount ns join moves our root and cwd: keep them to come back */
	nr->cwd_fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	nr->root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	for (int k = 0; k < NS_NR; k++) {
		r = enter_kind(nr, k);
		if (r < 0)
			return r;
		/* the new time ns every tree gets is not one of "the tree's" */
		if (nr->entered[k] && (k != NS_TIME || nr->ent[NS_TIME] || nr->target_fd[k] >= 0))
			nr->mask |= (uint32_t)ns_kinds[k].flag;
	}
	/* the mounts last: sysfs, mqueue and devpts belong to the namespaces entered above */
	if (nr->mnt) {
		r = save_own(nr, NS_MNT);
		if (r < 0)
			return r;
		nr->entered[NS_MNT] = true;
		nr->mask |= CLONE_NEWNS;
		r = mnt_restore_build(nr->mnt, nr->o, nr->d);
	}
	return r;
}

int ns_restore_task(struct ns_restore *nr, uint64_t task_id)
{
	return nr && nr->mnt ? mnt_restore_task(nr->mnt, task_id) : 0;
}

int ns_restore_root_of(void *arg, uint32_t mnt_id)
{
	const struct ns_restore *nr = arg;

	return nr && nr->mnt ? mnt_restore_root_of(nr->mnt, mnt_id) : -ENODEV;
}

int ns_restore_after_fork(struct ns_restore *nr)
{
	return nr && nr->mnt ? mnt_restore_finish(nr->mnt, nr->o, nr->d) : 0;
}

bool ns_restore_other_pidns(const struct ns_restore *nr)
{
	return nr && (nr->ent[NS_PID] || nr->target_fd[NS_PID] >= 0);
}

int ns_restore_pid(struct ns_restore *nr)
{
	int r;

	if (!nr || !nr->ent[NS_PID] || nr->ent[NS_PID]->external_key || nr->target_fd[NS_PID] >= 0)
		return 0;
	r = save_own(nr, NS_PID);
	if (r < 0)
		return r;
	/* only our children are born in it: the root of the tree becomes its init */
	if (unshare(CLONE_NEWPID) < 0)
		return pr_perror_ret("cannot create a pid namespace");
	nr->entered[NS_PID] = true;
	nr->mask |= CLONE_NEWPID;
	pr_info("new pid namespace: the root of the tree is its init\n");
	return 0;
}

int ns_restore_leave(struct ns_restore *nr)
{
	int ret = 0;

	if (!nr)
		return 0;
	for (int k = NS_NR; k-- > 0;) {
		if (!nr->entered[k])
			continue;
		if (nr->own_fd[k] < 0 || setns(nr->own_fd[k], ns_kinds[k].flag) < 0)
			ret = pr_perror_ret("cannot go back to criu's %s namespace", ns_kinds[k].name);
		nr->entered[k] = false;
	}
	if (nr->root_fd >= 0 && fchdir(nr->root_fd) == 0 && chroot(".") < 0)
		pr_warn("cannot go back to criu's root\n");
	if (nr->cwd_fd >= 0 && fchdir(nr->cwd_fd) < 0)
		pr_warn("cannot go back to criu's cwd\n");
	return ret;
}

int ns_restore_root_task(const struct ns_restore *nr)
{
	if (!nr || !nr->ent[NS_CGROUP] || nr->target_fd[NS_CGROUP] >= 0)
		return 0;
	if (unshare(CLONE_NEWCGROUP) < 0)
		return pr_perror_ret("cannot create the tree's cgroup namespace");
	return 0;
}

uint32_t ns_restore_mask(const struct ns_restore *nr)
{
	return nr ? nr->mask : 0;
}

uint32_t ns_restore_image_mask(const struct ns_restore *nr)
{
	uint32_t mask = 0;

	for (int k = 0; nr && k < NS_NR; k++)
		if (nr->ent[k])
			mask |= (uint32_t)ns_kinds[k].flag;
	return mask;
}

const char *ns_flag_name(uint32_t flag)
{
	int k = kind_of_flag(flag);

	return k < 0 ? "?" : ns_kinds[k].name;
}

void ns_restore_keep_time_ns(struct ns_restore *nr)
{
	if (nr && nr->new_time) {
		nr->new_time = false;
		pr_info("timens.img is not applied: the tree runs on criu's clocks\n");
	}
}

void ns_restore_free(struct ns_restore *nr)
{
	if (!nr)
		return;
	ns_restore_leave(nr);
	mnt_restore_free(nr->mnt);
	for (int k = 0; k < NS_NR; k++) {
		if (nr->ent[k])
			ns_entry__free_unpacked(nr->ent[k], NULL);
		if (nr->target_fd[k] >= 0)
			close(nr->target_fd[k]);
		if (nr->own_fd[k] >= 0)
			close(nr->own_fd[k]);
	}
	if (nr->cwd_fd >= 0)
		close(nr->cwd_fd);
	if (nr->root_fd >= 0)
		close(nr->root_fd);
	free(nr);
}
