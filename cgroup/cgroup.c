/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Cgroup membership and properties.
 *
 * Dump: each live task's /proc/PID/cgroup (every v1 hierarchy and the
 * cgroup2 line) is one "set"; equal sets are stored once and each task names
 * its set. The cgroups of the sets are listed with their ancestors; the ones
 * at or below the root task's cgroup of their hierarchy are "the tree's" and
 * carry their properties (the common files of each controller), the others
 * are only recreated if missing, never written to.
 *
 * Restore, by --manage-cgroups mode (DEFAULT is SOFT):
 *   ignore  nothing: the tasks stay in criu's cgroups;
 *   none    the cgroups must exist; tasks join them, nothing is written;
 *   props   the cgroups must exist; the tree's get their properties;
 *   soft    missing cgroups are created; only those get their properties;
 *   full    missing cgroups are created; all the tree's get their properties;
 *   strict  like full, but the cgroups below the tree's root must not exist
 *           yet and a property that cannot be set fails the restore.
 * --cgroup-root [CTRL:]PATH puts PATH in place of the root task's cgroup of
 * the hierarchy (all of them without CTRL, cgroup2 with an empty CTRL).
 * criu opens each set's cgroup.procs files before the tree is forked (in its
 * own mount namespace); each task writes "0" (itself) into them before its
 * fds are installed, so that everything it allocates is charged right.
 *
 * The paths of cgroup.img are untrusted. Each is a plain absolute path (no
 * empty, "." or ".." component) and is resolved beneath its hierarchy's
 * mount with openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|RESOLVE_NO_XDEV),
 * one component at a time where cgroups are made. The restore's cgroup root
 * of a hierarchy is --cgroup-root (the operator's) or else the dumped root
 * task's cgroup: cgroups are made only at or below it or on the way to it,
 * tasks join only cgroups at or below it, and anything else is refused by
 * name. A failed restore removes the cgroups it made, children first.
 */
#define LOG_PREFIX "cgroup: "
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup.h"
#include "cgroup_priv.h"
#include "cleanup.h"
#include "images/cgroup.pb-c.h"
#include "log.h"
#include "self_proc.h"

DEFINE_PB_CLEANUP(CgroupEntry, cgroup_entry)

#define CG_FILE_MAX (1 << 20) /* the longest control file criu reads */

/* ---- files ---- */

int cg_read_file(const char *dir, const char *name, char **ret)
{
	_cleanup_close_ int fd = -EBADF;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;
	char path[PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* devices.list and net_prio.ifpriomap may be longer than a page: read to the end */
	for (;;) {
		ssize_t n;

		if (cap - len < 4096) {
			char *nb;

			if (cap >= CG_FILE_MAX)
				return -EFBIG;
			nb = realloc(buf, cap + 8192);
			if (!nb)
				return -ENOMEM;
			buf = nb;
			cap += 8192;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (!buf && !(buf = strdup("")))
		return -ENOMEM;
	buf[len] = 0;
	if (len > 0 && buf[len - 1] == '\n')
		buf[len - 1] = 0;
	*ret = TAKE_PTR(buf);
	return 0;
}

int cg_write_file(const char *dir, const char *name, const char *value)
{
	_cleanup_close_ int fd = -EBADF;
	char path[PATH_MAX];
	size_t len = strlen(value);

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, value, len ? len : 1) < 0) /* an empty value is one newline */
		return -errno;
	return 0;
}

/* ---- hierarchies mounted in criu's mount namespace ---- */

struct cg_hier {
	char *mnt;
	char *opts; /* v1: ",rw,cpu,cpuacct," (the super options); v2: NULL */
	bool ours;  /* mounted by criu in its yard, detached again when done */
};

/*
 * The hierarchies criu sees, and its "yard": a hierarchy the tree uses that
 * is not mounted here (a named one such as name=systemd, or one unmounted
 * since the dump) is mounted in a private directory while criu needs it,
 * then detached; open fds and the cgroups made stay. --cgroup-yard says the
 * operator mounted them all: criu mounts nothing.
 */
struct cg_hiers {
	struct cg_hier *h;
	size_t n;
	char *yard;
	bool no_yard;
	char *op_yard; /* --cgroup-yard, absolute: only the hierarchies mounted right in it are used */
};

static void hiers_free(struct cg_hiers *hs)
{
	for (size_t i = 0; i < hs->n; i++) {
		if (hs->h[i].ours && hs->h[i].mnt) {
			if (umount2(hs->h[i].mnt, MNT_DETACH) < 0 || rmdir(hs->h[i].mnt) < 0)
				pr_warn("cgroup yard: cannot remove %s: %s\n", hs->h[i].mnt, strerror(errno));
		}
		free(hs->h[i].mnt);
		free(hs->h[i].opts);
	}
	if (hs->yard && rmdir(hs->yard) < 0)
		pr_warn("cgroup yard: cannot remove %s: %s\n", hs->yard, strerror(errno));
	free(hs->yard);
	free(hs->op_yard);
	hs->op_yard = NULL;
	free(hs->h);
	hs->h = NULL;
	hs->yard = NULL;
	hs->n = 0;
}

/* Only mounts of a hierarchy's root: the others show part of it. */
static int hiers_collect(struct cg_hiers *hs)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;

	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		char root[PATH_MAX], mnt[PATH_MAX], fstype[64], super[1024];
		const char *sep = strstr(line, " - ");
		struct cg_hier *nh;

		if (!sep || sscanf(line, "%*d %*d %*s %4095s %4095s", root, mnt) != 2 ||
		    sscanf(sep + 3, "%63s %*s %1023s", fstype, super) != 2)
			continue;
		if (strcmp(root, "/") || (strcmp(fstype, "cgroup") && strcmp(fstype, "cgroup2")))
			continue;
		nh = realloc(hs->h, (hs->n + 1) * sizeof(*nh));
		if (!nh)
			return -ENOMEM;
		hs->h = nh;
		nh = &hs->h[hs->n];
		nh->mnt = strdup(mnt);
		nh->opts = NULL;
		nh->ours = false;
		if (!strcmp(fstype, "cgroup") && asprintf(&nh->opts, ",%s,", super) < 0)
			nh->opts = NULL, free(nh->mnt), nh->mnt = NULL;
		if (!nh->mnt)
			return -ENOMEM;
		hs->n++;
	}
	return 0;
}

/* mnt is a directory right in the operator's yard (or there is no such yard) */
static bool in_op_yard(const struct cg_hiers *hs, const char *mnt)
{
	size_t n = hs->op_yard ? strlen(hs->op_yard) : 0;

	return !hs->op_yard || (!strncmp(mnt, hs->op_yard, n) && mnt[n] == '/' && mnt[n + 1] && !strchr(mnt + n + 1, '/'));
}

/* The mount of hierarchy ctrl ("" is cgroup2): every controller of ctrl is among its options. */
static const char *hier_mnt(const struct cg_hiers *hs, const char *ctrl)
{
	for (size_t i = 0; i < hs->n; i++) {
		const struct cg_hier *h = &hs->h[i];
		_cleanup_free_ char *dup = NULL;
		char *tok, *save = NULL;
		bool all = true;

		if (!in_op_yard(hs, h->mnt))
			continue;
		if (!*ctrl || !h->opts) {
			if (!*ctrl && !h->opts)
				return h->mnt;
			continue;
		}
		dup = strdup(ctrl);
		if (!dup)
			return NULL;
		for (tok = strtok_r(dup, ",", &save); tok && all; tok = strtok_r(NULL, ",", &save)) {
			char pat[128];

			snprintf(pat, sizeof(pat), ",%s,", tok);
			all = strstr(h->opts, pat) != NULL;
		}
		if (all)
			return h->mnt;
	}
	return NULL;
}

/* ctrl holds only name=NAME parts: a named hierarchy without controllers */
static bool named_only(const char *ctrl)
{
	for (const char *t = ctrl; *t; t += strcspn(t, ","), t += *t == ',')
		if (strncmp(t, "name=", 5))
			return false;
	return *ctrl != 0;
}

/* tok (n bytes) is a controller of /proc/cgroups */
static bool known_controller(const char *tok, size_t n)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/cgroups", "re");
	char name[64];

	while (f && fscanf(f, "%63s %*[^\n]", name) == 1)
		if (name[0] != '#' && strlen(name) == n && !strncmp(name, tok, n))
			return true;
	return false;
}

/*
 * ctrl comes from an image and becomes mount options: only controllers the
 * kernel has and name=NAME of plain characters, never another option
 * (release_agent=, for one, would have root run a program).
 */
static bool ctrl_mountable(const char *ctrl)
{
	for (const char *t = ctrl; *t;) {
		size_t n = strcspn(t, ",");

		if (!strncmp(t, "name=", 5)) {
			if (n == 5 || n > 64)
				return false;
			for (size_t i = 5; i < n; i++)
				if (!(isalnum((unsigned char)t[i]) || strchr("_.-", t[i])))
					return false;
		} else if (!known_controller(t, n)) {
			return false;
		}
		t += n;
		if (*t == ',' && !*++t)
			return false;
	}
	return true;
}

/* Mounts hierarchy ctrl in the yard; its mount point, or NULL (logged). */
static const char *hier_mount(struct cg_hiers *hs, const char *ctrl)
{
	_cleanup_free_ char *dir = NULL, *data = NULL, *opts = NULL;
	struct cg_hier *nh;
	int r;

	if (hs->op_yard) {
		pr_err("--cgroup-yard %s: hierarchy \"%s\" is not mounted in it (as %s/%s)\n", hs->op_yard, ctrl,
		       hs->op_yard, *ctrl ? ctrl : "unified");
		return NULL;
	}
	if (hs->no_yard)
		return NULL;
	if (*ctrl && !ctrl_mountable(ctrl)) {
		pr_warn("cgroup yard: \"%s\" is not a hierarchy of this kernel's controllers: not mounted\n", ctrl);
		return NULL;
	}
	if (!hs->yard) {
		char tmpl[] = "/tmp/.criu-cgyard.XXXXXX";

		if (!mkdtemp(tmpl)) {
			pr_perror("cgroup yard: cannot make %s", tmpl);
			return NULL;
		}
		hs->yard = strdup(tmpl);
		if (!hs->yard)
			return NULL;
	}
	if (asprintf(&dir, "%s/%zu", hs->yard, hs->n) < 0 ||
	    asprintf(&data, "%s%s", named_only(ctrl) ? "none," : "", ctrl) < 0 ||
	    (*ctrl && asprintf(&opts, ",rw,%s,", data) < 0))
		return NULL;
	if (mkdir(dir, 0700) < 0) {
		pr_perror("cgroup yard: cannot make %s", dir);
		return NULL;
	}
	r = *ctrl ? mount("cgroup", dir, "cgroup", MS_NOSUID | MS_NODEV | MS_NOEXEC, data)
		  : mount("cgroup2", dir, "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	if (r < 0) {
		pr_warn("cgroup yard: cannot mount hierarchy \"%s\" at %s: %s\n", ctrl, dir, strerror(errno));
		rmdir(dir);
		return NULL;
	}
	nh = realloc(hs->h, (hs->n + 1) * sizeof(*nh));
	if (!nh) {
		umount2(dir, MNT_DETACH);
		rmdir(dir);
		return NULL;
	}
	hs->h = nh;
	hs->h[hs->n] = (struct cg_hier){.mnt = TAKE_PTR(dir), .opts = TAKE_PTR(opts), .ours = true};
	pr_info("cgroup yard: hierarchy \"%s\" mounted at %s\n", ctrl, hs->h[hs->n].mnt);
	return hs->h[hs->n++].mnt;
}

/*
 * --cgroup-yard DIR (relative to the work dir): the operator mounted every
 * hierarchy the tree uses in a directory of its own right in DIR ("cpu",
 * "cpu,cpuacct", "systemd" for name=systemd, "unified" for cgroup2; the
 * name is not checked, the mount's controllers are). criu mounts nothing
 * and uses no other mount of a hierarchy.
 */
static int yard_init(struct cg_hiers *hs, const char *dir, int work_dir_fd)
{
	_cleanup_close_ int fd = openat(work_dir_fd >= 0 ? work_dir_fd : AT_FDCWD, dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	char buf[PATH_MAX];
	ssize_t n;

	if (fd < 0)
		return pr_perror_ret("--cgroup-yard %s: cannot open it", dir);
	n = self_fd_readlink(fd, buf, sizeof(buf));
	if (n < 0)
		return pr_err_ret((int)n, "--cgroup-yard %s: cannot resolve it", dir);
	hs->op_yard = strdup(buf);
	if (!hs->op_yard)
		return -ENOMEM;
	hs->no_yard = true;
	pr_info("--cgroup-yard: the hierarchies mounted in %s\n", hs->op_yard);
	return 0;
}

/* The hierarchies: the operator's yard (--cgroup-yard, relative to the work dir), or criu's mounts. */
static int hiers_init(struct cg_hiers *hs, const struct cr_opts *o, int work_dir_fd)
{
	int r = hiers_collect(hs);

	if (r < 0)
		return pr_err_ret(r, "cannot read /proc/self/mountinfo");
	return o->cgroup_yard ? yard_init(hs, o->cgroup_yard, work_dir_fd) : 0;
}

/* The mount of hierarchy ctrl, mounted in the yard if it is not mounted: valid until the next call. */
static const char *hier_get(struct cg_hiers *hs, const char *ctrl)
{
	const char *m = hier_mnt(hs, ctrl);

	return m ? m : hier_mount(hs, ctrl);
}

/* ---- properties ---- */

/* ctrls ("cpu,cpuacct") holds controller c */
static bool has_ctrl(const char *ctrls, const char *c)
{
	size_t n = strlen(c);

	for (const char *t = ctrls; *t; t += strcspn(t, ","), t += *t == ',')
		if (strcspn(t, ",") == n && !strncmp(t, c, n))
			return true;
	return false;
}


struct ctrl_props {
	const char *ctrl; /* a v1 controller; "" for cgroup2 */
	const char *const *props;
};

/*
 * In the order they are written: a period before its quota, a limit before
 * memsw, cgroup.type before anything (a threaded cgroup takes threads only).
 * The common files of every v1 hierarchy ("" is cgroup2) come first.
 */
static const char *const v1_common_props[] = {"notify_on_release", "cgroup.clone_children", NULL};
static const char *const cpu_props[] = {"cpu.shares",	     "cpu.cfs_period_us", "cpu.cfs_quota_us",
					"cpu.cfs_burst_us",  "cpu.rt_period_us",  "cpu.rt_runtime_us",
					"cpu.idle",	     NULL};
static const char *const memory_props[] = {"memory.limit_in_bytes", "memory.memsw.limit_in_bytes",
					   "memory.soft_limit_in_bytes", "memory.swappiness", NULL};
static const char *const pids_props[] = {"pids.max", NULL};
static const char *const cpuset_props[] = {"cpuset.cpus", "cpuset.mems", "cpuset.cpu_exclusive",
					   "cpuset.mem_exclusive", NULL};
static const char *const blkio_props[] = {"blkio.weight", NULL};
/* the exceptions of a deny-all cgroup, one per line ("a *:* rwm": allow all) */
static const char *const devices_props[] = {"devices.list", NULL};
/* one "IFNAME PRIO" line per net device of criu's net namespace */
static const char *const net_prio_props[] = {"net_prio.ifpriomap", NULL};
static const char *const net_cls_props[] = {"net_cls.classid", NULL};
static const char *const v2_props[] = {"cgroup.type",
				       "cgroup.subtree_control",
				       "cgroup.max.depth",
				       "cgroup.max.descendants",
				       "cpuset.cpus",
				       "cpuset.mems",
				       "cpu.weight",
				       "cpu.max",
				       "cpu.max.burst",
				       "cpu.idle",
				       "cpu.uclamp.min",
				       "cpu.uclamp.max",
				       "memory.min",
				       "memory.low",
				       "memory.high",
				       "memory.max",
				       "memory.swap.high",
				       "memory.swap.max",
				       "memory.zswap.max",
				       "memory.oom.group",
				       "pids.max",
				       "io.weight",
				       "io.max",
				       NULL};

static const struct ctrl_props all_props[] = {
	{"cpu", cpu_props},	      {"memory", memory_props},	    {"pids", pids_props},
	{"cpuset", cpuset_props},     {"blkio", blkio_props},	    {"devices", devices_props},
	{"net_prio", net_prio_props}, {"net_cls", net_cls_props}, {"", v2_props},
};

static const char *const *props_of(const char *ctrl)
{
	for (size_t i = 0; i < ARRAY_SIZE(all_props); i++)
		if (!strcmp(all_props[i].ctrl, ctrl))
			return all_props[i].props;
	return NULL;
}

/*
 * fn(name, arg) for each property criu keeps for the hierarchy of
 * controllers ctrls ("cpu,cpuacct", "name=systemd", "" for cgroup2), in
 * the order they are written, as conf (--cgroup-props; NULL: none) says;
 * stops at the first non-zero result.
 */
static int for_each_prop(const struct cg_props_conf *conf, const char *ctrls, int (*fn)(const char *name, void *arg),
			 void *arg)
{
	const char *t = ctrls;
	int r;

	for (size_t i = 0; *ctrls && v1_common_props[i]; i++)
		if ((r = fn(v1_common_props[i], arg)))
			return r;
	do {
		size_t n = strcspn(t, ",");
		char tok[64];
		const char *const *pl, *const *extra;
		bool replace;

		snprintf(tok, sizeof(tok), "%.*s", (int)n, t);
		pl = n < sizeof(tok) ? props_of(tok) : NULL;
		extra = n < sizeof(tok) ? cg_props_for(conf, tok, &replace) : NULL;
		for (size_t i = 0; pl && !(extra && replace) && pl[i]; i++)
			if ((r = fn(pl[i], arg)))
				return r;
		for (size_t i = 0; extra && extra[i]; i++)
			if ((r = fn(extra[i], arg)))
				return r;
		t += n;
	} while (*t++ == ',');
	return 0;
}

static int add_prop(CgDirEntry *de, const char *name, char *value)
{
	CgPropEntry **np = realloc(de->props, (de->n_props + 1) * sizeof(*np));
	CgPropEntry *p = malloc(sizeof(*p));

	if (np)
		de->props = np;
	if (!np || !p) {
		free(p);
		free(value);
		return -ENOMEM;
	}
	cg_prop_entry__init(p);
	p->name = strdup(name);
	p->value = value;
	de->props[de->n_props++] = p;
	return p->name ? 0 : -ENOMEM;
}

struct dump_prop_arg {
	const char *dir;
	CgDirEntry *de;
};

static bool has_prop(const CgDirEntry *de, const char *name)
{
	for (size_t i = 0; i < de->n_props; i++)
		if (!strcmp(de->props[i]->name, name))
			return true;
	return false;
}

static int dump_prop(const char *name, void *arg)
{
	struct dump_prop_arg *a = arg;
	char *v = NULL;
	int r;

	if (has_prop(a->de, name)) /* --cgroup-props "merge" of one criu records anyway */
		return 0;
	r = cg_read_file(a->dir, name, &v);
	if (r == -ENOENT || r == -EACCES || r == -EPERM || r == -EOPNOTSUPP)
		return 0;
	if (r < 0)
		return pr_err_ret(r, "cannot read %s/%s", a->dir, name);
	return add_prop(a->de, name, v);
}

static int add_file(CgDirEntry *de, const char *name, const struct stat *st)
{
	CgFileEntry **nf = realloc(de->files, (de->n_files + 1) * sizeof(*nf));
	CgFileEntry *f = malloc(sizeof(*f));

	if (nf)
		de->files = nf;
	if (!nf || !f) {
		free(f);
		return -ENOMEM;
	}
	cg_file_entry__init(f);
	f->name = strdup(name);
	f->mode = st->st_mode & 07777;
	f->uid = st->st_uid;
	f->gid = st->st_gid;
	de->files[de->n_files++] = f;
	return f->name ? 0 : -ENOMEM;
}

/* Owner and mode of every control file of the cgroup dir. */
static int dump_files(const char *dir, CgDirEntry *de)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return pr_perror_ret("cannot list cgroup %s", dir);
	while ((e = readdir(d))) {
		struct stat st;
		int r;

		if (e->d_type != DT_REG)
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return pr_perror_ret("cannot stat %s/%s", dir, e->d_name);
		r = add_file(de, e->d_name, &st);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The properties of one cgroup dir (the files of every controller of the hierarchy that exist), its files' modes. */
static int dump_props(const struct cg_props_conf *conf, const char *dir, CgDirEntry *de)
{
	struct dump_prop_arg a = {.dir = dir, .de = de};
	int r = for_each_prop(conf, de->ctrl, dump_prop, &a);

	return r < 0 ? r : dump_files(dir, de);
}

/* ---- dump ---- */

struct cg_dump {
	CgroupEntry e;
	struct cg_props_conf *props; /* --cgroup-props */
	struct cg_hiers *hs;
	const CgSetEntry *root;
};

static void cg_entry_release(CgroupEntry *e)
{
	CgroupEntry *heap = malloc(sizeof(*heap));

	if (heap) { /* every member was malloc'ed one by one: free_unpacked releases them */
		*heap = *e;
		cgroup_entry__free_unpacked(heap, NULL);
	}
}

static int cmp_member(const void *a, const void *b)
{
	const CgMemberEntry *x = *(CgMemberEntry *const *)a, *y = *(CgMemberEntry *const *)b;

	return strcmp(x->ctrl, y->ctrl);
}

/*
 * /proc/PID/cgroup (the process's, its leader's) or, tid > 0, the thread's
 * /proc/PID/task/TID/cgroup: "ID:CTRLS:PATH" per hierarchy, "0::PATH" for cgroup2.
 */
static int read_task_set(pid_t pid, pid_t tid, CgSetEntry *s)
{
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	char path[64];
	size_t cap = 0;
	ssize_t len;

	if (tid > 0)
		snprintf(path, sizeof(path), "/proc/%d/task/%d/cgroup", pid, tid);
	else
		snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	f = fopen(path, "re");
	if (!f)
		return pr_perror_ret("pid %d: cannot read %s", pid, path);
	while ((len = getline(&line, &cap, f)) > 0) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		CgMemberEntry **nm, *m;

		if (!c2)
			return pr_err_ret(-EBADMSG, "pid %d: cannot parse %s: %s", pid, path, line);
		if (line[len - 1] == '\n')
			line[len - 1] = 0;
		*c2 = 0;
		nm = realloc(s->members, (s->n_members + 1) * sizeof(*nm));
		if (!nm)
			return -ENOMEM;
		s->members = nm;
		m = malloc(sizeof(*m));
		if (!m)
			return -ENOMEM;
		cg_member_entry__init(m);
		s->members[s->n_members++] = m;
		m->ctrl = strdup(c1 + 1);
		m->path = strdup(c2 + 1);
		if (!m->ctrl || !m->path)
			return -ENOMEM;
	}
	qsort(s->members, s->n_members, sizeof(*s->members), cmp_member);
	return 0;
}

static bool sets_equal(const CgSetEntry *a, const CgSetEntry *b)
{
	if (a->n_members != b->n_members)
		return false;
	for (size_t i = 0; i < a->n_members; i++)
		if (strcmp(a->members[i]->ctrl, b->members[i]->ctrl) ||
		    strcmp(a->members[i]->path, b->members[i]->path))
			return false;
	return true;
}

static const char *root_path(const CgSetEntry *root, const char *ctrl)
{
	for (size_t i = 0; root && i < root->n_members; i++)
		if (!strcmp(root->members[i]->ctrl, ctrl))
			return root->members[i]->path;
	return NULL;
}

/* path is base or below it */
static bool path_within(const char *path, const char *base)
{
	size_t n = strlen(base);

	if (!strcmp(base, "/"))
		return true;
	return !strncmp(path, base, n) && (path[n] == 0 || path[n] == '/');
}

static int add_dir(struct cg_dump *cd, const char *ctrl, const char *path)
{
	const char *mnt = cd->hs ? hier_get(cd->hs, ctrl) : NULL;
	CgDirEntry **nd, *de;
	char full[PATH_MAX];
	struct stat st;

	for (size_t i = 0; i < cd->e.n_dirs; i++)
		if (!strcmp(cd->e.dirs[i]->ctrl, ctrl) && !strcmp(cd->e.dirs[i]->path, path))
			return 0;
	nd = realloc(cd->e.dirs, (cd->e.n_dirs + 1) * sizeof(*nd));
	if (!nd)
		return -ENOMEM;
	cd->e.dirs = nd;
	de = malloc(sizeof(*de));
	if (!de)
		return -ENOMEM;
	cg_dir_entry__init(de);
	cd->e.dirs[cd->e.n_dirs++] = de;
	de->ctrl = strdup(ctrl);
	de->path = strdup(path);
	if (!de->ctrl || !de->path)
		return -ENOMEM;
	if (!mnt) {
		pr_warn("hierarchy \"%s\" is not mounted here: %s is recorded without properties\n", ctrl,
			path);
		return 0;
	}
	snprintf(full, sizeof(full), "%s%s", mnt, path);
	if (stat(full, &st) == 0) {
		de->has_mode = de->has_uid = de->has_gid = true;
		de->mode = st.st_mode & 07777;
		de->uid = st.st_uid;
		de->gid = st.st_gid;
	}
	/*
	 * Every cgroup's: the tree's own get them back as the mode says, the
	 * others (ancestors, a stray task's) only where this restore makes them.
	 */
	return dump_props(cd->props, full, de);
}

/* A cgroup and its ancestors (the hierarchy's root excluded). */
static int add_dirs(struct cg_dump *cd, const CgMemberEntry *m)
{
	_cleanup_free_ char *p = strdup(m->path);
	int r;

	if (!p)
		return -ENOMEM;
	while (strcmp(p, "/") && *p) {
		char *slash;

		r = add_dir(cd, m->ctrl, p);
		if (r < 0)
			return r;
		slash = strrchr(p, '/');
		if (!slash || slash == p)
			break;
		*slash = 0;
	}
	return 0;
}

static int cmp_dir(const void *a, const void *b)
{
	const CgDirEntry *x = *(CgDirEntry *const *)a, *y = *(CgDirEntry *const *)b;
	int c = strcmp(x->ctrl, y->ctrl);

	return c ? c : strcmp(x->path, y->path); /* a parent sorts before its children */
}

/* The id of the set of pid (tid 0) or of its thread tid, added to the image's sets if it is new. */
static int intern_set(struct cg_dump *cd, pid_t pid, pid_t tid, uint64_t *ret)
{
	CgSetEntry *s = malloc(sizeof(*s)), **ns;
	int r;

	if (!s)
		return -ENOMEM;
	cg_set_entry__init(s);
	r = read_task_set(pid, tid, s);
	for (size_t i = 0; r == 0 && i < cd->e.n_sets; i++)
		if (sets_equal(cd->e.sets[i], s)) {
			*ret = cd->e.sets[i]->id;
			cg_set_entry__free_unpacked(s, NULL);
			return 0;
		}
	ns = r == 0 ? realloc(cd->e.sets, (cd->e.n_sets + 1) * sizeof(*ns)) : NULL;
	if (!ns) {
		cg_set_entry__free_unpacked(s, NULL);
		return r < 0 ? r : -ENOMEM;
	}
	cd->e.sets = ns;
	s->id = *ret = cd->e.n_sets + 1;
	cd->e.sets[cd->e.n_sets++] = s;
	return 0;
}

/*
 * A task's set, and each thread's when one is elsewhere (a v1 "tasks"
 * write, a cgroup2 threaded cgroup): every thread comes back in its own.
 */
static int add_task(struct cg_dump *cd, const struct pstree_item *it)
{
	_cleanup_free_ uint64_t *ths = calloc(it->nr_threads ? it->nr_threads : 1, sizeof(*ths));
	CgTaskEntry *t, **nt;
	bool apart = false;
	uint64_t id = 0;
	int r;

	if (!ths)
		return -ENOMEM;
	r = intern_set(cd, it->pid, 0, &id);
	for (size_t k = 0; r == 0 && it->nr_threads > 1 && k < it->nr_threads; k++) {
		r = intern_set(cd, it->pid, it->tids[k], &ths[k]);
		apart |= r == 0 && ths[k] != id;
	}
	if (r < 0)
		return r;
	t = malloc(sizeof(*t));
	nt = realloc(cd->e.tasks, (cd->e.n_tasks + 1) * sizeof(*nt));
	if (nt)
		cd->e.tasks = nt;
	if (!t || !nt) {
		free(t);
		return -ENOMEM;
	}
	cg_task_entry__init(t);
	t->task_id = it->id;
	t->set_id = id;
	if (apart) {
		t->n_thread_sets = it->nr_threads;
		t->thread_sets = TAKE_PTR(ths);
		pr_info("pid %d: its threads are in %zu cgroup sets\n", it->pid, it->nr_threads);
	}
	cd->e.tasks[cd->e.n_tasks++] = t;
	return 0;
}

/* The cgroups below path of hierarchy ctrl (mounted at mnt), every level: cgroups with no task are the tree's too. */
static int add_subtree(struct cg_dump *cd, const char *ctrl, const char *mnt, const char *path, int depth)
{
	_cleanup_closedir_ DIR *dir = NULL;
	char full[PATH_MAX], sub[PATH_MAX];
	struct dirent *de;
	int r;

	if (depth > 32 || cd->e.n_dirs > 4096)
		return pr_err_ret(-E2BIG, "cgroup %s (\"%s\"): more than 32 levels or 4096 cgroups below it", path, ctrl);
	if ((size_t)snprintf(full, sizeof(full), "%s%s", mnt, path) >= sizeof(full))
		return -ENAMETOOLONG;
	dir = opendir(full);
	if (!dir)
		return errno == ENOENT ? 0 : pr_perror_ret("cannot list cgroup %s", full);
	while ((de = readdir(dir))) {
		if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name) >= sizeof(sub))
			return -ENAMETOOLONG;
		r = add_dir(cd, ctrl, sub);
		if (r >= 0)
			r = add_subtree(cd, ctrl, mnt, sub, depth + 1);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Under each hierarchy's root cgroup of the tree (not the hierarchy's root): the whole subtree. */
static int add_subtrees(struct cg_dump *cd)
{
	for (size_t i = 0; cd->root && cd->hs && i < cd->root->n_members; i++) {
		const CgMemberEntry *m = cd->root->members[i];
		const char *mnt;
		char *copy;
		int r;

		if (!strcmp(m->path, "/") || !(mnt = hier_get(cd->hs, m->ctrl)))
			continue;
		copy = strdup(mnt); /* hier_get may move it */
		if (!copy)
			return -ENOMEM;
		r = add_subtree(cd, m->ctrl, copy, m->path, 0);
		free(copy);
		if (r < 0)
			return r;
	}
	return 0;
}

int cgroup_dump_check(const struct cr_opts *o, int work_dir_fd)
{
	struct cg_props_conf *conf = NULL;
	struct cg_hiers hs = {0};
	int r = cg_props_load(o->cgroup_props, o->cgroup_props_file, work_dir_fd, &conf);

	cg_props_free(conf);
	if (r == 0 && o->cgroup_yard)
		r = yard_init(&hs, o->cgroup_yard, work_dir_fd);
	hiers_free(&hs);
	return r;
}

int cgroup_dump(const struct pstree *t, const struct cr_opts *o, int work_dir_fd, struct img_dir *d)
{
	struct cg_hiers hs = {0};
	struct cg_dump cd = {.e = CGROUP_ENTRY__INIT};
	int r = 0;

	for (size_t i = 0; r == 0 && i < t->n; i++)
		if (t->items[i]->state != PST_ZOMBIE)
			r = add_task(&cd, t->items[i]);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < cd.e.n_tasks; i++)
		if (cd.e.tasks[i]->task_id == t->root->id) {
			cd.e.has_root_set = true;
			cd.e.root_set = cd.e.tasks[i]->set_id;
			cd.root = cd.e.sets[cd.e.root_set - 1];
		}
	r = hiers_init(&hs, o, work_dir_fd);
	if (r == 0)
		r = cg_props_load(o->cgroup_props, o->cgroup_props_file, work_dir_fd, &cd.props);
	if (r < 0)
		goto out;
	cd.hs = &hs;
	for (size_t i = 0; r == 0 && i < cd.e.n_sets; i++)
		for (size_t j = 0; r == 0 && j < cd.e.sets[i]->n_members; j++)
			r = add_dirs(&cd, cd.e.sets[i]->members[j]);
	if (r == 0)
		r = add_subtrees(&cd);
	if (r < 0)
		goto out;
	qsort(cd.e.dirs, cd.e.n_dirs, sizeof(*cd.e.dirs), cmp_dir);
	r = img_write_one(d, IMG_CGROUP, 0, &cd.e.base);
	if (r >= 0)
		pr_info("%zu task(s) in %zu cgroup set(s), %zu cgroup(s) recorded\n", cd.e.n_tasks,
			cd.e.n_sets, cd.e.n_dirs);
out:
	hiers_free(&hs);
	cg_props_free(cd.props);
	cg_entry_release(&cd.e);
	return r < 0 ? r : 0;
}

/* ---- restore ---- */

struct cg_rst_set {
	uint64_t id;
	int *fds;  /* cgroup.procs of each hierarchy, O_WRONLY */
	int *tfds; /* v1 "tasks", cgroup2 "cgroup.threads": only for a set of threads apart; else -1 */
	char **names;
	char **ctrls;
	size_t n;
};

struct cg_restore {
	struct cg_rst_set *sets;
	size_t nsets;
	uint64_t *task_ids, *task_sets;
	const uint64_t **thread_sets; /* per task: the image's thread_sets, NULL if none */
	size_t *nthread_sets;
	size_t ntasks;
	CgroupEntry *e; /* kept for thread_sets */
	/*
	 * The cgroups made, in creation order, each beneath an fd of its
	 * hierarchy's mount: a yard mount is detached before a failed restore
	 * removes them, and criu may be in the tree's mount namespace then.
	 */
	struct cg_made {
		int mnt; /* index in mnt_fds */
		char *rel, *full;
	} *created;
	size_t ncreated;
	int *mnt_fds;
	char **mnt_names;
	size_t nmnts;
};

struct cg_rst_ctx {
	const struct cr_opts *o;
	enum cr_cg_mode mode;
	struct cg_hiers hs;
	const CgroupEntry *e;
	const CgSetEntry *root;
	struct cg_restore *cr;
};

static const char *mode_name(enum cr_cg_mode m)
{
	static const char *const n[] = {"ignore", "none", "props", "soft", "full", "strict", "default"};

	return (unsigned int)m < ARRAY_SIZE(n) ? n[m] : "?";
}

/* The --cgroup-root for hierarchy ctrl: "[CTRL:]PATH"; one naming ctrl wins over one for all. */
static const char *cg_root_for(const struct cr_opts *o, const char *ctrl)
{
	const char *any = NULL;

	for (size_t i = 0; i < o->cgroup_roots.n; i++) {
		const char *v = o->cgroup_roots.v[i], *colon = strchr(v, ':');

		if (!colon || v[0] == '/') {
			any = v;
			continue;
		}
		if (colon == v) { /* ":PATH": cgroup2 */
			if (!*ctrl)
				return colon + 1;
			continue;
		}
		if (*ctrl) {
			_cleanup_free_ char *want = strndup(v, (size_t)(colon - v));
			char pat[256], have[256];

			if (!want)
				return NULL;
			snprintf(pat, sizeof(pat), ",%s,", want);
			snprintf(have, sizeof(have), ",%s,", ctrl);
			if (!strcmp(want, ctrl) || strstr(have, pat))
				return colon + 1;
		}
	}
	return any;
}

/* The path of (ctrl, path) at restore: the root task's cgroup replaced by --cgroup-root. */
static int remap(const struct cg_rst_ctx *c, const char *ctrl, const char *path, char *buf, size_t size)
{
	const char *nr = cg_root_for(c->o, ctrl), *rp = root_path(c->root, ctrl);
	const char *rest;

	if (!nr || !rp || !path_within(path, rp)) {
		snprintf(buf, size, "%s", path);
		return 0;
	}
	rest = strcmp(rp, "/") ? path + strlen(rp) : path;
	if (!strcmp(rest, "/"))
		rest = "";
	while (*nr == '/' && nr[1] == '/')
		nr++;
	if ((size_t)snprintf(buf, size, "%s%s", strcmp(nr, "/") ? nr : "", rest) >= size)
		return -ENAMETOOLONG;
	if (!*buf)
		snprintf(buf, size, "/");
	return 0;
}

static int mnt_fd_index(struct cg_restore *cr, const char *mnt)
{
	int *nf;
	char **nn;

	for (size_t i = 0; i < cr->nmnts; i++)
		if (!strcmp(cr->mnt_names[i], mnt))
			return (int)i;
	nf = realloc(cr->mnt_fds, (cr->nmnts + 1) * sizeof(*nf));
	if (nf)
		cr->mnt_fds = nf;
	nn = realloc(cr->mnt_names, (cr->nmnts + 1) * sizeof(*nn));
	if (nn)
		cr->mnt_names = nn;
	if (!nf || !nn)
		return -ENOMEM;
	nf[cr->nmnts] = open(mnt, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (nf[cr->nmnts] < 0)
		return pr_perror_ret("cannot open the cgroup hierarchy %s", mnt);
	nn[cr->nmnts] = strdup(mnt);
	if (!nn[cr->nmnts]) {
		close(nf[cr->nmnts]);
		return -ENOMEM;
	}
	return (int)cr->nmnts++;
}

/* rel (below the mount mnt, "/a/b") was made by this restore. */
static int note_created(struct cg_restore *cr, const char *mnt, const char *rel, size_t rel_len)
{
	struct cg_made *nc = realloc(cr->created, (cr->ncreated + 1) * sizeof(*nc));
	int m = mnt_fd_index(cr, mnt);

	if (nc)
		cr->created = nc;
	if (!nc || m < 0)
		return m < 0 ? m : -ENOMEM;
	while (*rel == '/')
		rel++, rel_len--;
	nc[cr->ncreated].mnt = m;
	nc[cr->ncreated].rel = strndup(rel, rel_len);
	if (asprintf(&nc[cr->ncreated].full, "%s/%.*s", mnt, (int)rel_len, rel) < 0)
		nc[cr->ncreated].full = NULL;
	if (!nc[cr->ncreated].rel || !nc[cr->ncreated].full) {
		free(nc[cr->ncreated].rel);
		free(nc[cr->ncreated].full);
		return -ENOMEM;
	}
	cr->ncreated++;
	return 0;
}

/*
 * A cgroup path of an image: absolute, no empty, "." or ".." component, so
 * that joined to its hierarchy's mount it names what it says.
 */
static bool cg_path_sane(const char *p)
{
	size_t len = strlen(p);

	if (p[0] != '/' || len >= PATH_MAX / 2)
		return false;
	if (len == 1)
		return true;
	for (const char *c = p; c; c = strchr(c + 1, '/')) {
		const char *n = c + 1, *e = strchr(n, '/');
		size_t l = e ? (size_t)(e - n) : strlen(n);

		if (!l || (l == 1 && n[0] == '.') || (l == 2 && n[0] == '.' && n[1] == '.'))
			return false;
	}
	return true;
}

#define CG_RESOLVE (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV)

/* name right in dirfd (never above it, never through a link, never off its mount): the fd or -errno. */
static int cg_openat(int dirfd, const char *name, int flags)
{
	struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC), .resolve = CG_RESOLVE};
	int f;

	while (*name == '/')
		name++;
	f = (int)syscall(SYS_openat2, dirfd, *name ? name : ".", &how, sizeof(how));
	return f < 0 ? -errno : f;
}

/*
 * A v1 cpuset cgroup is made with no cpus and no memory nodes, and takes no
 * task until it has some: it gets its parent's, then the dumped ones if
 * the image has them.
 */
static int cpuset_inherit(const char *ctrls, const char *full)
{
	static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
	_cleanup_free_ char *parent = strdup(full);
	char *slash;

	if (!*ctrls || !has_ctrl(ctrls, "cpuset"))
		return 0;
	if (!parent)
		return -ENOMEM;
	slash = strrchr(parent, '/');
	if (!slash)
		return 0;
	*slash = 0;
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *v = NULL, *cur = NULL;
		int r = cg_read_file(full, files[i], &cur);

		if (r == 0 && *cur)
			continue;
		r = cg_read_file(parent, files[i], &v);
		if (r == 0)
			r = cg_write_file(full, files[i], v);
		if (r < 0)
			return pr_err_ret(r, "cpuset %s: cannot give it %s of its parent", full, files[i]);
	}
	return 0;
}

/*
 * mkdir -p of path below the hierarchy mounted at mnt, one component at a
 * time, each resolved beneath the last; every cgroup made is noted, for a
 * failed restore to remove. *ret_created: the last component was made here.
 */
static int make_dir(struct cg_restore *cr, const char *mnt, const char *path, const CgDirEntry *de,
		    bool *ret_created)
{
	_cleanup_free_ char *p = strdup(path);
	_cleanup_close_ int cur = -EBADF;
	char *save = NULL, *comp, full[PATH_MAX];
	size_t done = 0;

	*ret_created = false;
	if (!p)
		return -ENOMEM;
	cur = open(mnt, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cur < 0)
		return pr_perror_ret("cannot open the cgroup hierarchy %s", mnt);
	for (comp = strtok_r(p, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		bool last = path[done + 1 + strlen(comp)] == 0; /* a sane path: one '/' between components */
		int next, r;

		done += 1 + strlen(comp);
		snprintf(full, sizeof(full), "%s%.*s", mnt, (int)done, path);
		next = cg_openat(cur, comp, O_PATH | O_DIRECTORY);
		if (next == -ENOENT) {
			if (mkdirat(cur, comp, last && de->has_mode ? de->mode & 07777 : 0755) < 0)
				return pr_perror_ret("cannot create the cgroup %s", full);
			r = note_created(cr, mnt, path, done);
			if (r == 0)
				r = cpuset_inherit(de->ctrl, full);
			if (r < 0)
				return r;
			if (last)
				*ret_created = true;
			if (last && de->has_uid &&
			    fchownat(cur, comp, de->uid, de->gid, AT_SYMLINK_NOFOLLOW) < 0)
				pr_warn("cannot chown %s to %u:%u: %m\n", full, de->uid, de->gid);
			/* mkdir's mode went through criu's umask: the dumped one exactly */
			if (last && de->has_mode && fchmodat(cur, comp, de->mode & 07777, 0) < 0)
				return pr_perror_ret("cannot set the mode of cgroup %s to %o", full, de->mode & 07777);
			next = cg_openat(cur, comp, O_PATH | O_DIRECTORY);
		}
		if (next < 0)
			return pr_err_ret(next, "cgroup %s: cannot open it beneath %s", full, mnt);
		close(cur);
		cur = next;
	}
	return 0;
}

static int prop_is(const char *name, void *arg)
{
	return !strcmp(name, arg);
}

/* Whether name is a property criu dumps for the hierarchy ctrls by default: a hostile image names any file. */
static bool known_prop(const char *ctrls, const char *name)
{
	return for_each_prop(NULL, ctrls, prop_is, (void *)name) > 0;
}

/*
 * A property a dump with --cgroup-props may have recorded: "CTRL.NAME" of a
 * controller of the hierarchy (cgroup2: of a cgroup2 controller), never a
 * file whose write acts rather than sets. The file must also be writable
 * (restore_props). The value is read back like any other.
 */
static bool extra_prop_ok(const char *ctrls, const char *name)
{
	static const char *const v2_ctrls[] = {"cpu", "cpuset", "memory", "io", "pids", "hugetlb", "rdma", "misc"};
	static const char *const acts[] = {"memory.force_empty", "memory.reclaim", "memory.pressure_level",
					   "memory.peak", "memory.swap.peak", "memory.max_usage_in_bytes",
					   "memory.memsw.max_usage_in_bytes", "memory.failcnt", "cpuacct.usage"};
	const char *dot = strchr(name, '.');
	size_t n = dot ? (size_t)(dot - name) : 0;
	char ctrl[64];

	if (!n || n >= sizeof(ctrl) || strchr(name, '/') || strstr(name, "reset_stats") || strstr(name, "failcnt"))
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(acts); i++)
		if (!strcmp(name, acts[i]))
			return false;
	snprintf(ctrl, sizeof(ctrl), "%.*s", (int)n, name);
	if (*ctrls)
		return has_ctrl(ctrls, ctrl);
	for (size_t i = 0; i < ARRAY_SIZE(v2_ctrls); i++)
		if (!strcmp(ctrl, v2_ctrls[i]))
			return true;
	return false;
}

/* A file of one entry a line, each written by itself; it may list more than was written. */
static bool is_multi(const char *name)
{
	return !strcmp(name, "net_prio.ifpriomap") || !strcmp(name, "io.max");
}

/* Writes each line of value into dir/name with a write(2) of its own (the file takes one entry a write). */
static int write_lines(const char *dir, const char *name, const char *value)
{
	_cleanup_close_ int fd = -EBADF;
	char path[PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (const char *l = value; *l;) {
		size_t n = strcspn(l, "\n");

		if (n && write(fd, l, n) < 0)
			return -errno;
		l += n;
		l += *l == '\n';
	}
	return 0;
}

/*
 * devices.list: "a *:* rwm" is a cgroup that allows everything; anything
 * else lists the exceptions of one that denies everything, in the order
 * they were added (the kernel lists them so): deny all, allow each again.
 */
static int set_devices(const char *dir, const char *want)
{
	int r;

	if (!strcmp(want, "a *:* rwm"))
		return cg_write_file(dir, "devices.allow", "a");
	r = cg_write_file(dir, "devices.deny", "a");
	return r < 0 ? r : write_lines(dir, "devices.allow", want);
}

/* Every line of want is in have (net_prio.ifpriomap also lists the devices made since the dump). */
static bool lines_within(const char *want, const char *have)
{
	size_t hl = strlen(have);

	for (const char *l = want; *l;) {
		size_t n = strcspn(l, "\n");
		const char *h = have;
		bool found = false;

		while (n && !found && (h = memmem(h, hl - (size_t)(h - have), l, n))) {
			found = (h == have || h[-1] == '\n') && (h[n] == '\n' || h[n] == 0);
			h += n;
		}
		if (n && !found)
			return false;
		l += n;
		l += *l == '\n';
	}
	return true;
}

static int write_prop(const char *dir, const CgPropEntry *p)
{
	_cleanup_free_ char *val = NULL;

	if (!strcmp(p->name, "devices.list"))
		return set_devices(dir, p->value);
	if (is_multi(p->name))
		return write_lines(dir, p->name, p->value);
	if (!strcmp(p->name, "cgroup.subtree_control")) {
		/* "cpu memory" enables as "+cpu +memory" */
		size_t n = 0;

		val = calloc(1, strlen(p->value) * 2 + 2);
		if (!val)
			return -ENOMEM;
		for (const char *s = p->value; *s; s++) {
			if (s == p->value || (s[-1] == ' ' && *s != ' '))
				val[n++] = '+';
			val[n++] = *s;
		}
		if (!n)
			return 0;
	}
	return cg_write_file(dir, p->name, val ? val : p->value);
}

/*
 * Sets one property and reads it back: 0, -errno of the write, or
 * -EIO when the file says something else afterwards (*now: what it says).
 */
static int set_prop(const char *dir, const CgPropEntry *p, char **now)
{
	_cleanup_free_ char *cur = NULL;
	bool multi = is_multi(p->name);
	int r;

	if (cg_read_file(dir, p->name, &cur) == 0 && (multi ? lines_within(p->value, cur) : !strcmp(cur, p->value)))
		return 0; /* as it is: nothing to write (some files refuse a rewrite) */
	/*
	 * cgroup.type: only "threaded" is written; "domain threaded" and
	 * "domain invalid" follow from the types of the children, made later.
	 */
	if (!strcmp(p->name, "cgroup.type") && strcmp(p->value, "threaded"))
		return 0;
	r = write_prop(dir, p);
	if (r < 0)
		return r;
	free(cur);
	cur = NULL;
	r = cg_read_file(dir, p->name, &cur);
	if (r < 0)
		return r;
	if (multi ? lines_within(p->value, cur) : !strcmp(cur, p->value))
		return 0;
	*now = TAKE_PTR(cur);
	return -EIO;
}

/*
 * The cgroup root of the restore in hierarchy ctrl: --cgroup-root if given
 * for it (the operator's), else the dumped root task's cgroup, else the
 * hierarchy's root.
 */
static const char *restore_root(const struct cg_rst_ctx *c, const char *ctrl)
{
	const char *nr = cg_root_for(c->o, ctrl), *rp = root_path(c->root, ctrl);

	/* the operator's, whatever the image says (or leaves out) */
	if (nr) {
		while (*nr == '/' && nr[1] == '/')
			nr++;
		return nr;
	}
	return rp ? rp : "/";
}

/*
 * Where the restore may make cgroups in hierarchy ctrl and put tasks:
 * with --cgroup-root for it (the operator confines the images), only at or
 * below that root (or, for cgroups, on the way to it); without, the image
 * is the authority (it names the tree's root itself) and a stray task's
 * cgroup outside the root task's comes back where it was.
 */
static bool place_allowed(const struct cg_rst_ctx *c, const char *ctrl, const char *path, bool way)
{
	const char *root = restore_root(c, ctrl);

	if (!cg_path_sane(path))
		return false;
	if (!cg_root_for(c->o, ctrl))
		return true;
	return path_within(path, root) || (way && path_within(root, path));
}

/* A control file's name of an image: one plain component. */
static bool file_name_sane(const char *n)
{
	return *n && !strchr(n, '/') && strcmp(n, ".") && strcmp(n, "..") && strlen(n) < NAME_MAX;
}

/* Owner and mode of fd (an O_PATH fd of a cgroup dir or file) as dumped; what is written, logged. */
static int set_owner_mode(int fd, const char *what, uint32_t uid, uint32_t gid, uint32_t mode)
{
	struct stat st;
	int r;

	if (fstat(fd, &st) < 0)
		return pr_perror_ret("cannot stat %s", what);
	if ((st.st_uid != uid || st.st_gid != gid) && fchownat(fd, "", uid, gid, AT_EMPTY_PATH) < 0)
		return pr_perror_ret("cannot chown %s to %u:%u", what, uid, gid);
	if ((st.st_mode & 07777) != (mode & 07777) && (r = self_fd_chmod(fd, mode & 07777)) < 0)
		return pr_err_ret(r, "cannot chmod %s to %o", what, mode & 07777);
	if (st.st_uid != uid || st.st_gid != gid || (st.st_mode & 07777) != (mode & 07777))
		pr_debug("%s: %u:%u %o\n", what, uid, gid, mode & 07777);
	return 0;
}

/* The dumped owner and mode of the cgroup dir (dfd) and of each of its control files. */
static int set_perms(int dfd, const char *full, const CgDirEntry *de)
{
	char what[PATH_MAX + NAME_MAX + 2];
	int r;

	if (de->has_uid && de->has_gid && de->has_mode) {
		r = set_owner_mode(dfd, full, de->uid, de->gid, de->mode);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < de->n_files; i++) {
		const CgFileEntry *f = de->files[i];
		_cleanup_close_ int fd = -EBADF;
		struct stat st;

		if (!file_name_sane(f->name))
			return pr_err_ret(-EBADMSG, "cgroup.img: %s: \"%s\" is not a file name", de->path, f->name);
		snprintf(what, sizeof(what), "%s/%s", full, f->name);
		fd = cg_openat(dfd, f->name, O_PATH | O_NOFOLLOW);
		if (fd == -ENOENT && !f->uid && !f->gid && !(f->mode & 022)) {
			pr_debug("%s does not exist here (root's, not writable by others at the dump)\n", what);
			continue;
		}
		if (fd < 0)
			return pr_err_ret(fd, "cannot open %s to give it owner %u:%u and mode %o", what, f->uid,
					  f->gid, f->mode);
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
			return pr_err_ret(-EBADMSG, "%s is not a control file", what);
		r = set_owner_mode(fd, what, f->uid, f->gid, f->mode);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The properties of the cgroup, then the owners and modes: every one as dumped, or the restore fails. */
static int restore_props(const char *full, int dfd, const CgDirEntry *de)
{
	for (size_t i = 0; i < de->n_props; i++) {
		const CgPropEntry *p = de->props[i];
		_cleanup_free_ char *now = NULL;
		int r;

		if (!known_prop(de->ctrl, p->name)) {
			struct stat st;

			if (!extra_prop_ok(de->ctrl, p->name))
				return pr_err_ret(-EBADMSG,
						  "cgroup.img: %s (\"%s\"): \"%s\" is not a cgroup property criu restores",
						  de->path, de->ctrl, p->name);
			if (fstatat(dfd, p->name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) ||
			    !(st.st_mode & S_IWUSR))
				return pr_err_ret(-EBADMSG, "cgroup.img: %s/%s (--cgroup-props) is not a property file here",
						  full, p->name);
		}
		r = set_prop(full, p, &now);
		if (r == -EIO && now)
			return pr_err_ret(r, "%s/%s is \"%s\" after writing \"%s\" into it", full, p->name, now,
					  p->value);
		if (r < 0)
			return pr_err_ret(r, "cannot set %s/%s to \"%s\"", full, p->name, p->value);
		pr_debug("%s/%s = %s\n", full, p->name, p->value);
	}
	return set_perms(dfd, full, de);
}

static int restore_dir(struct cg_rst_ctx *c, const CgDirEntry *de)
{
	const char *mnt = hier_get(&c->hs, de->ctrl), *rp = root_path(c->root, de->ctrl);
	const char *root = restore_root(c, de->ctrl);
	char path[PATH_MAX], full[PATH_MAX];
	bool exists, created = false, own = rp && path_within(de->path, rp), props;
	_cleanup_close_ int mfd = -EBADF, dfd = -EBADF;
	int r;

	if (!cg_path_sane(de->path))
		return pr_err_ret(-EBADMSG,
				  "cgroup.img: cgroup path %s (\"%s\") is not a plain absolute path",
				  de->path, de->ctrl);
	if (!mnt)
		return pr_err_ret(-ENOENT, "hierarchy \"%s\" is not mounted and cannot be: cgroup %s cannot be restored",
				  de->ctrl, de->path);
	r = remap(c, de->ctrl, de->path, path, sizeof(path));
	if (r < 0 || (size_t)snprintf(full, sizeof(full), "%s%s", mnt, path) >= sizeof(full))
		return pr_err_ret(-ENAMETOOLONG, "cgroup path %s%s is too long", mnt, de->path);
	/* above the dumped root and relocated by --cgroup-root: not the tree's, nothing to do */
	if (rp && strcmp(path, de->path) == 0 && path_within(rp, de->path) && strcmp(rp, de->path) &&
	    !path_within(path, root) && !path_within(root, path))
		return 0;
	if (!place_allowed(c, de->ctrl, path, true))
		return pr_err_ret(
			-EPERM,
			"cgroup.img: cgroup %s (\"%s\") is outside the restore's cgroup root %s (--cgroup-root): refused",
			path, de->ctrl, root);
	mfd = open(mnt, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (mfd < 0)
		return pr_perror_ret("cannot open the cgroup hierarchy %s", mnt);
	dfd = cg_openat(mfd, path, O_PATH | O_DIRECTORY);
	if (dfd < 0 && dfd != -ENOENT)
		return pr_err_ret(dfd, "cgroup %s: cannot open it beneath %s", full, mnt);
	exists = dfd >= 0;
	if (!exists && (c->mode == CR_CG_NONE || c->mode == CR_CG_PROPS))
		return pr_err_ret(-ENOENT,
				  "cgroup %s does not exist (--manage-cgroups %s does not create cgroups)",
				  full, mode_name(c->mode));
	if (exists && c->mode == CR_CG_STRICT && own && strcmp(de->path, rp))
		return pr_err_ret(-EEXIST, "cgroup %s exists already (--manage-cgroups strict)", full);
	if (!exists) {
		r = make_dir(c->cr, mnt, path, de, &created);
		if (r < 0)
			return r;
		pr_info("created cgroup %s\n", full);
		dfd = cg_openat(mfd, path, O_PATH | O_DIRECTORY);
		if (dfd < 0)
			return pr_err_ret(dfd, "cgroup %s: cannot open it beneath %s", full, mnt);
	}
	/* a cgroup that is not the tree's (an ancestor, a stray task's) is written only when made here */
	props = created || (own && (c->mode == CR_CG_FULL || c->mode == CR_CG_STRICT || c->mode == CR_CG_PROPS));
	return props ? restore_props(full, dfd, de) : 0;
}

/*
 * The root task's cgroup that --cgroup-root moved somewhere else, where the
 * image has no cgroup of its own for it (the dumped root task was at the
 * hierarchy's root): made if the mode makes cgroups.
 */
static int ensure_root(struct cg_rst_ctx *c, const CgMemberEntry *m)
{
	CgDirEntry none = CG_DIR_ENTRY__INIT;
	char path[PATH_MAX];
	_cleanup_close_ int mfd = -EBADF, dfd = -EBADF;
	const char *mnt;
	bool created;
	int r;

	if (!cg_root_for(c->o, m->ctrl) || strcmp(m->path, "/"))
		return 0; /* a root below the hierarchy's root is one of the image's dirs */
	mnt = hier_get(&c->hs, m->ctrl);
	if (!mnt)
		return pr_err_ret(-ENOENT, "hierarchy \"%s\" is not mounted and cannot be: --cgroup-root %s cannot be made",
				  m->ctrl, restore_root(c, m->ctrl));
	r = remap(c, m->ctrl, m->path, path, sizeof(path));
	if (r < 0 || !cg_path_sane(path))
		return pr_err_ret(-EINVAL, "--cgroup-root %s is not a plain absolute path", restore_root(c, m->ctrl));
	mfd = open(mnt, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (mfd < 0)
		return pr_perror_ret("cannot open the cgroup hierarchy %s", mnt);
	dfd = cg_openat(mfd, path, O_PATH | O_DIRECTORY);
	if (dfd >= 0 || dfd != -ENOENT)
		return dfd >= 0 ? 0 : pr_err_ret(dfd, "cgroup %s%s: cannot open it", mnt, path);
	if (c->mode == CR_CG_NONE || c->mode == CR_CG_PROPS)
		return pr_err_ret(-ENOENT, "cgroup %s%s (--cgroup-root) does not exist (--manage-cgroups %s does not create cgroups)",
				  mnt, path, mode_name(c->mode));
	none.ctrl = m->ctrl;
	none.path = m->path;
	r = make_dir(c->cr, mnt, path, &none, &created);
	if (r == 0)
		pr_info("created cgroup %s%s (--cgroup-root)\n", mnt, path);
	return r;
}

/* Whether criu itself is in the root cgroup of hierarchy ctrl (its line of /proc/self/cgroup). */
static bool self_at_root(const char *ctrl)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/cgroup", "re");
	char line[512];
	size_t n = strlen(ctrl);

	while (f && fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

		if (c2 && (size_t)(c2 - c1 - 1) == n && !strncmp(c1 + 1, ctrl, n))
			return !strcmp(c2 + 1, "/\n") || !strcmp(c2 + 1, "/");
	}
	return false;
}

/* dir/name of the hierarchy mounted at mnt, opened O_WRONLY beneath it: the fd or -errno. */
static int open_beneath(const char *mnt, const char *rel)
{
	_cleanup_close_ int mfd = open(mnt, O_PATH | O_DIRECTORY | O_CLOEXEC);

	return mfd < 0 ? -errno : cg_openat(mfd, rel, O_WRONLY);
}

static int open_set(struct cg_rst_ctx *c, const CgSetEntry *s, struct cg_rst_set *rs, bool threads)
{
	size_t cap = s->n_members ? s->n_members : 1;

	rs->id = s->id;
	rs->fds = calloc(cap, sizeof(*rs->fds));
	rs->tfds = calloc(cap, sizeof(*rs->tfds));
	rs->names = calloc(cap, sizeof(*rs->names));
	rs->ctrls = calloc(cap, sizeof(*rs->ctrls));
	if (!rs->fds || !rs->tfds || !rs->names || !rs->ctrls)
		return -ENOMEM;
	for (size_t i = 0; i < s->n_members; i++) {
		const CgMemberEntry *m = s->members[i];
		const char *mnt;
		char path[PATH_MAX], full[PATH_MAX], tfile[PATH_MAX];
		const char *sep;
		int fd, r;

		/* the root of a hierarchy criu has not mounted, and criu is at its root too: the task is born there */
		if (!hier_mnt(&c->hs, m->ctrl) && !strcmp(m->path, "/") && !c->o->cgroup_roots.n &&
		    self_at_root(m->ctrl))
			continue;
		mnt = hier_get(&c->hs, m->ctrl);
		if (!mnt)
			return pr_err_ret(-ENOENT,
					  "hierarchy \"%s\" is not mounted and cannot be: tasks cannot be put into %s",
					  m->ctrl, m->path);
		r = remap(c, m->ctrl, m->path, path, sizeof(path));
		sep = strcmp(path, "/") ? "/" : "";
		if (r < 0 || (size_t)snprintf(full, sizeof(full), "%s%s%scgroup.procs", mnt, path, sep) >= sizeof(full) ||
		    (size_t)snprintf(tfile, sizeof(tfile), "%s%s%s", path, sep, *m->ctrl ? "tasks" : "cgroup.threads") >=
			    sizeof(tfile))
			return pr_err_ret(-ENAMETOOLONG, "cgroup path %s%s is too long", mnt, m->path);
		if (!cg_path_sane(m->path) || !place_allowed(c, m->ctrl, path, false))
			return pr_err_ret(-EPERM,
					  "cgroup.img: set %" PRIu64 " puts tasks into %s (\"%s\"), outside the "
					  "restore's cgroup root %s (--cgroup-root): refused",
					  (uint64_t)s->id, path, m->ctrl, restore_root(c, m->ctrl));
		fd = open_beneath(mnt, full + strlen(mnt));
		if (fd < 0)
			return pr_err_ret(fd, "cannot open %s beneath %s", full, mnt);
		rs->fds[rs->n] = fd;
		rs->tfds[rs->n] = -1;
		rs->names[rs->n] = strdup(full);
		rs->ctrls[rs->n] = strdup(m->ctrl);
		rs->n++;
		if (!rs->names[rs->n - 1] || !rs->ctrls[rs->n - 1])
			return -ENOMEM;
		if (!threads)
			continue;
		fd = open_beneath(mnt, tfile);
		if (fd < 0)
			return pr_err_ret(fd, "cannot open %s%s beneath %s", mnt, tfile, mnt);
		rs->tfds[rs->n - 1] = fd;
	}
	return 0;
}

/* Whether set id (1-based) holds threads apart from their process. */
static bool set_of_threads(const CgroupEntry *e, uint64_t id)
{
	for (size_t i = 0; i < e->n_tasks; i++)
		for (size_t k = 0; k < e->tasks[i]->n_thread_sets; k++)
			if (e->tasks[i]->thread_sets[k] == id && id != e->tasks[i]->set_id)
				return true;
	return false;
}

static int check_image(const CgroupEntry *e)
{
	for (size_t i = 0; i < e->n_sets; i++)
		if (e->sets[i]->id != i + 1)
			return pr_err_ret(-EBADMSG, "cgroup.img: set %zu has id %" PRIu64, i, (uint64_t)e->sets[i]->id);
	for (size_t i = 0; i < e->n_tasks; i++) {
		const CgTaskEntry *t = e->tasks[i];

		if (!t->set_id || t->set_id > e->n_sets)
			return pr_err_ret(-EBADMSG, "cgroup.img: task %" PRIu64 " names set %" PRIu64 " of %zu",
					  (uint64_t)t->task_id, (uint64_t)t->set_id, e->n_sets);
		for (size_t k = 0; k < t->n_thread_sets; k++)
			if (!t->thread_sets[k] || t->thread_sets[k] > e->n_sets)
				return pr_err_ret(-EBADMSG,
						  "cgroup.img: thread %zu of task %" PRIu64 " names set %" PRIu64 " of %zu",
						  k, (uint64_t)t->task_id, (uint64_t)t->thread_sets[k], e->n_sets);
	}
	return 0;
}

int cgroup_restore_prepare(struct img_dir *d, const struct cr_opts *o, int work_dir_fd, struct cg_restore **ret)
{
	_cleanup_pb_(cgroup_entry) CgroupEntry *e = NULL;
	struct cg_rst_ctx c = {.o = o, .mode = o->manage_cgroups_mode};
	struct img_reader *rd = NULL;
	int r;

	*ret = NULL;
	if (c.mode == CR_CG_DEFAULT)
		c.mode = CR_CG_SOFT;
	r = img_open(d, IMG_CGROUP, 0, &rd);
	if (r == -ENOENT) {
		if (o->cgroup_roots.n)
			pr_warn("--cgroup-root given, but the images have no cgroups\n");
		return 0;
	}
	if (r < 0)
		return r;
	r = img_read_one(rd, &cgroup_entry__descriptor, (ProtobufCMessage **)&e);
	img_close(rd);
	if (r < 0)
		return r;
	if (c.mode == CR_CG_IGNORE) {
		pr_info("--manage-cgroups ignore: the tasks stay in criu's cgroups\n");
		return 0;
	}
	r = check_image(e);
	if (r < 0)
		return r;
	if (e->has_root_set && e->root_set && e->root_set <= e->n_sets)
		c.root = e->sets[e->root_set - 1];
	c.e = e;
	c.cr = calloc(1, sizeof(*c.cr));
	if (!c.cr)
		return -ENOMEM;
	r = hiers_init(&c.hs, o, work_dir_fd);
	if (r < 0)
		goto fail;
	pr_info("restoring cgroups (--manage-cgroups %s)\n", mode_name(c.mode));
	for (size_t i = 0; i < e->n_dirs; i++) {
		r = restore_dir(&c, e->dirs[i]);
		if (r < 0)
			goto fail;
	}
	for (size_t i = 0; c.root && i < c.root->n_members; i++) {
		r = ensure_root(&c, c.root->members[i]);
		if (r < 0)
			goto fail;
	}
	c.cr->sets = calloc(e->n_sets ? e->n_sets : 1, sizeof(*c.cr->sets));
	c.cr->task_ids = calloc(e->n_tasks ? e->n_tasks : 1, sizeof(uint64_t));
	c.cr->task_sets = calloc(e->n_tasks ? e->n_tasks : 1, sizeof(uint64_t));
	c.cr->thread_sets = calloc(e->n_tasks ? e->n_tasks : 1, sizeof(*c.cr->thread_sets));
	c.cr->nthread_sets = calloc(e->n_tasks ? e->n_tasks : 1, sizeof(size_t));
	if (!c.cr->sets || !c.cr->task_ids || !c.cr->task_sets || !c.cr->thread_sets || !c.cr->nthread_sets) {
		r = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < e->n_sets; i++) {
		c.cr->nsets++;
		r = open_set(&c, e->sets[i], &c.cr->sets[i], set_of_threads(e, i + 1));
		if (r < 0)
			goto fail;
	}
	for (size_t i = 0; i < e->n_tasks; i++) {
		c.cr->task_ids[i] = e->tasks[i]->task_id;
		c.cr->task_sets[i] = e->tasks[i]->set_id;
		c.cr->thread_sets[i] = e->tasks[i]->thread_sets;
		c.cr->nthread_sets[i] = e->tasks[i]->n_thread_sets;
	}
	c.cr->ntasks = e->n_tasks;
	c.cr->e = TAKE_PTR(e);
	hiers_free(&c.hs);
	*ret = c.cr;
	return 0;
fail:
	hiers_free(&c.hs);
	cgroup_restore_free(c.cr, true);
	return r;
}

static ssize_t task_index(const struct cg_restore *cr, uint64_t task_id)
{
	for (size_t i = 0; cr && i < cr->ntasks; i++)
		if (cr->task_ids[i] == task_id)
			return (ssize_t)i;
	return -1;
}

int cgroup_restore_task(const struct cg_restore *cr, uint64_t task_id)
{
	ssize_t t = task_index(cr, task_id);
	const struct cg_rst_set *s;

	if (t < 0)
		return 0; /* not in the image (a dump without it): stays where it was born */
	s = &cr->sets[cr->task_sets[t] - 1];
	for (size_t i = 0; i < s->n; i++)
		if (write(s->fds[i], "0", 1) < 0)
			return pr_perror_ret("task %" PRIu64 ": cannot join the cgroup (%s)", task_id,
					     s->names[i]);
	return 0;
}

int cgroup_restore_thread(const struct cg_restore *cr, uint64_t task_id, size_t idx, pid_t tid)
{
	ssize_t t = task_index(cr, task_id);
	const struct cg_rst_set *s, *ps;
	char buf[24];
	int len;

	if (t < 0 || !cr->nthread_sets[t])
		return 0; /* every thread is where its process is */
	if (idx >= cr->nthread_sets[t])
		return pr_err_ret(-EBADMSG, "cgroup.img: task %" PRIu64 " has cgroups for %zu threads, not for thread %zu",
				  task_id, cr->nthread_sets[t], idx);
	s = &cr->sets[cr->thread_sets[t][idx] - 1];
	ps = &cr->sets[cr->task_sets[t] - 1];
	len = snprintf(buf, sizeof(buf), "%d", tid);
	for (size_t i = 0; s != ps && i < s->n; i++) {
		bool same = false;

		/* only where the thread's cgroup is not its process's: a write elsewhere could be refused */
		for (size_t j = 0; j < ps->n && !same; j++)
			same = !strcmp(ps->ctrls[j], s->ctrls[i]) && !strcmp(ps->names[j], s->names[i]);
		if (same)
			continue;
		if (s->tfds[i] < 0 || write(s->tfds[i], buf, (size_t)len) < 0)
			return pr_perror_ret("task %" PRIu64 ": thread %d cannot join its cgroup (%s)", task_id, tid,
					     s->names[i]);
		pr_debug("thread %d of task %" PRIu64 " is in %s\n", tid, task_id, s->names[i]);
	}
	return 0;
}

void cgroup_restore_free(struct cg_restore *cr, bool failed)
{
	if (!cr)
		return;
	for (size_t i = 0; i < cr->nsets; i++) {
		for (size_t j = 0; j < cr->sets[i].n; j++) {
			close(cr->sets[i].fds[j]);
			if (cr->sets[i].tfds[j] >= 0)
				close(cr->sets[i].tfds[j]);
			free(cr->sets[i].names[j]);
			free(cr->sets[i].ctrls[j]);
		}
		free(cr->sets[i].fds);
		free(cr->sets[i].tfds);
		free(cr->sets[i].names);
		free(cr->sets[i].ctrls);
	}
	free(cr->sets);
	free(cr->task_ids);
	free(cr->task_sets);
	free(cr->thread_sets);
	free(cr->nthread_sets);
	if (cr->e)
		cgroup_entry__free_unpacked(cr->e, NULL);
	for (size_t i = cr->ncreated; i-- > 0;) {
		const struct cg_made *m = &cr->created[i];
		/* children first; a cgroup whose killed tasks have not left yet stays (EBUSY) */
		int r = failed ? unlinkat(cr->mnt_fds[m->mnt], m->rel, AT_REMOVEDIR) : 0;

		for (int k = 0; r < 0 && errno == EBUSY && k < 50; k++) {
			usleep(20000);
			r = unlinkat(cr->mnt_fds[m->mnt], m->rel, AT_REMOVEDIR);
		}
		if (r < 0)
			pr_warn("cannot remove the cgroup %s created by this restore: %m\n", m->full);
		free(m->rel);
		free(m->full);
	}
	for (size_t i = 0; i < cr->nmnts; i++) {
		close(cr->mnt_fds[i]);
		free(cr->mnt_names[i]);
	}
	free(cr->mnt_fds);
	free(cr->mnt_names);
	free(cr->created);
	free(cr);
}
