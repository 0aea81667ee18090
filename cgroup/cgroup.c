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

DEFINE_PB_CLEANUP(CgroupEntry, cgroup_entry)

/* ---- files ---- */

int cg_read_file(const char *dir, const char *name, char **ret)
{
	_cleanup_close_ int fd = -EBADF;
	char path[PATH_MAX], buf[4096];
	ssize_t n;
	char *s;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = 0;
	s = strdup(buf);
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

int cg_write_file(const char *dir, const char *name, const char *value)
{
	_cleanup_close_ int fd = -EBADF;
	char path[PATH_MAX];
	size_t len = strlen(value);

	snprintf(path, sizeof(path), "%s/%s", dir, name);
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

/* The mount of hierarchy ctrl ("" is cgroup2): every controller of ctrl is among its options. */
static const char *hier_mnt(const struct cg_hiers *hs, const char *ctrl)
{
	for (size_t i = 0; i < hs->n; i++) {
		const struct cg_hier *h = &hs->h[i];
		_cleanup_free_ char *dup = NULL;
		char *tok, *save = NULL;
		bool all = true;

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

/* The mount of hierarchy ctrl, mounted in the yard if it is not mounted: valid until the next call. */
static const char *hier_get(struct cg_hiers *hs, const char *ctrl)
{
	const char *m = hier_mnt(hs, ctrl);

	return m ? m : hier_mount(hs, ctrl);
}

/* ---- properties ---- */

struct ctrl_props {
	const char *ctrl; /* a v1 controller; "" for cgroup2 */
	const char *const *props;
};

/* In the order they are written: a period before its quota, a limit before memsw. */
static const char *const cpu_props[] = {"cpu.shares",	    "cpu.cfs_period_us", "cpu.cfs_quota_us",
					"cpu.rt_period_us", "cpu.rt_runtime_us", NULL};
static const char *const memory_props[] = {"memory.limit_in_bytes", "memory.memsw.limit_in_bytes",
					   "memory.soft_limit_in_bytes", "memory.swappiness", NULL};
static const char *const pids_props[] = {"pids.max", NULL};
static const char *const cpuset_props[] = {"cpuset.cpus", "cpuset.mems", "cpuset.cpu_exclusive",
					   "cpuset.mem_exclusive", NULL};
static const char *const blkio_props[] = {"blkio.weight", NULL};
static const char *const v2_props[] = {"cgroup.subtree_control",
				       "cgroup.max.depth",
				       "cgroup.max.descendants",
				       "cpuset.cpus",
				       "cpuset.mems",
				       "cpu.weight",
				       "cpu.max",
				       "memory.min",
				       "memory.low",
				       "memory.high",
				       "memory.max",
				       "memory.swap.max",
				       "pids.max",
				       "io.weight",
				       NULL};

static const struct ctrl_props all_props[] = {
	{"cpu", cpu_props},	  {"memory", memory_props}, {"pids", pids_props},
	{"cpuset", cpuset_props}, {"blkio", blkio_props},   {"", v2_props},
};

static const char *const *props_of(const char *ctrl)
{
	for (size_t i = 0; i < ARRAY_SIZE(all_props); i++)
		if (!strcmp(all_props[i].ctrl, ctrl))
			return all_props[i].props;
	return NULL;
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

/* The properties of one cgroup dir: the files of every controller of the hierarchy that exist. */
static int dump_props(const char *dir, CgDirEntry *de)
{
	_cleanup_free_ char *ctrls = strdup(de->ctrl);
	char *tok, *save = NULL;

	if (!ctrls)
		return -ENOMEM;
	for (tok = *de->ctrl ? strtok_r(ctrls, ",", &save) : ctrls; tok; tok = strtok_r(NULL, ",", &save)) {
		const char *const *pl = props_of(tok);

		for (size_t i = 0; pl && pl[i]; i++) {
			char *v = NULL;
			int r = cg_read_file(dir, pl[i], &v);

			if (r == -ENOENT || r == -EACCES || r == -EPERM || r == -EOPNOTSUPP)
				continue;
			if (r < 0)
				return pr_err_ret(r, "cannot read %s/%s", dir, pl[i]);
			r = add_prop(de, pl[i], v);
			if (r < 0)
				return r;
		}
		if (!*de->ctrl)
			break;
	}
	return 0;
}

/* ---- dump ---- */

struct cg_dump {
	CgroupEntry e;
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

/* /proc/PID/cgroup: "ID:CTRLS:PATH" per hierarchy, "0::PATH" for cgroup2. */
static int read_task_set(pid_t pid, CgSetEntry *s)
{
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	char path[64];
	size_t cap = 0;
	ssize_t len;

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
	const char *rp = root_path(cd->root, ctrl);
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
	/* only the tree's own cgroups: never the properties of the cgroups around it */
	if (rp && path_within(path, rp))
		return dump_props(full, de);
	return 0;
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

static int add_task(struct cg_dump *cd, pid_t pid, uint64_t task_id)
{
	CgSetEntry *s = malloc(sizeof(*s));
	CgTaskEntry *t = malloc(sizeof(*t)), **nt;
	uint64_t id = 0;
	int r;

	if (!s || !t) {
		free(s);
		free(t);
		return -ENOMEM;
	}
	cg_set_entry__init(s);
	cg_task_entry__init(t);
	r = read_task_set(pid, s);
	for (size_t i = 0; r == 0 && i < cd->e.n_sets; i++)
		if (sets_equal(cd->e.sets[i], s))
			id = cd->e.sets[i]->id;
	if (r == 0 && !id) {
		CgSetEntry **ns = realloc(cd->e.sets, (cd->e.n_sets + 1) * sizeof(*ns));

		if (!ns) {
			r = -ENOMEM;
		} else {
			cd->e.sets = ns;
			s->id = id = cd->e.n_sets + 1;
			cd->e.sets[cd->e.n_sets++] = TAKE_PTR(s);
		}
	}
	if (s)
		cg_set_entry__free_unpacked(s, NULL);
	nt = r == 0 ? realloc(cd->e.tasks, (cd->e.n_tasks + 1) * sizeof(*nt)) : NULL;
	if (!nt) {
		free(t);
		return r < 0 ? r : -ENOMEM;
	}
	cd->e.tasks = nt;
	t->task_id = task_id;
	t->set_id = id;
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

/* The whole text of /proc/PID/task/TID/cgroup (NULL: unreadable). */
static char *thread_cgroups(pid_t pid, pid_t tid)
{
	char dir[64], *text = NULL;

	snprintf(dir, sizeof(dir), "/proc/%d/task/%d", pid, tid);
	return cg_read_file(dir, "cgroup", &text) == 0 ? text : NULL;
}

/*
 * Threads of one process in other cgroups than its leader (v1 "tasks", or
 * cgroup2 threaded mode) would all come back in the leader's: refused.
 */
static int check_thread_cgroups(const struct pstree_item *it)
{
	_cleanup_free_ char *lead = it->nr_threads > 1 ? thread_cgroups(it->pid, it->tids[0]) : NULL;

	for (size_t i = 1; lead && i < it->nr_threads; i++) {
		_cleanup_free_ char *th = thread_cgroups(it->pid, it->tids[i]);

		if (th && strcmp(th, lead))
			return pr_err_ret(-EOPNOTSUPP,
					  "pid %d: not supported yet: thread %d is in other cgroups than its leader",
					  it->pid, it->tids[i]);
	}
	return 0;
}

int cgroup_dump(const struct pstree *t, const struct cr_opts *o, struct img_dir *d)
{
	struct cg_hiers hs = {0};
	struct cg_dump cd = {.e = CGROUP_ENTRY__INIT};
	int r = 0;

	for (size_t i = 0; r == 0 && i < t->n; i++)
		if (t->items[i]->state != PST_ZOMBIE)
			r = check_thread_cgroups(t->items[i]) ?: add_task(&cd, t->items[i]->pid, t->items[i]->id);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < cd.e.n_tasks; i++)
		if (cd.e.tasks[i]->task_id == t->root->id) {
			cd.e.has_root_set = true;
			cd.e.root_set = cd.e.tasks[i]->set_id;
			cd.root = cd.e.sets[cd.e.root_set - 1];
		}
	hs.no_yard = o->cgroup_yard != NULL;
	if (hiers_collect(&hs) < 0)
		pr_warn("cannot read /proc/self/mountinfo: no cgroup properties are dumped\n");
	else
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
	cg_entry_release(&cd.e);
	return r < 0 ? r : 0;
}

/* ---- restore ---- */

struct cg_rst_set {
	uint64_t id;
	int *fds; /* cgroup.procs of each hierarchy, O_WRONLY */
	char **names;
	size_t n;
};

struct cg_restore {
	struct cg_rst_set *sets;
	size_t nsets;
	uint64_t *task_ids, *task_sets;
	size_t ntasks;
	char **created; /* in creation order */
	size_t ncreated;
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

static int note_created(struct cg_restore *cr, const char *full)
{
	char **nc = realloc(cr->created, (cr->ncreated + 1) * sizeof(*nc));

	if (!nc)
		return -ENOMEM;
	cr->created = nc;
	nc[cr->ncreated] = strdup(full);
	if (!nc[cr->ncreated])
		return -ENOMEM;
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
			r = note_created(cr, full);
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

/*
 * Whether name is a property criu dumps for the hierarchy of controllers
 * ctrls ("cpu,cpuacct", or "" for cgroup2): a hostile image names any file.
 */
static bool known_prop(const char *ctrls, const char *name)
{
	const char *t = ctrls;

	do {
		size_t n = strcspn(t, ",");
		char tok[64];
		const char *const *pl;

		snprintf(tok, sizeof(tok), "%.*s", (int)n, t);
		pl = props_of(tok);
		for (size_t i = 0; pl && pl[i]; i++)
			if (!strcmp(pl[i], name))
				return true;
		t += n;
	} while (*t++ == ',');
	return false;
}

static int set_prop(const char *dir, const CgPropEntry *p)
{
	_cleanup_free_ char *cur = NULL;
	_cleanup_free_ char *val = NULL;

	if (cg_read_file(dir, p->name, &cur) == 0 && !strcmp(cur, p->value))
		return 0; /* as it is: nothing to write (some files refuse a rewrite) */
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
 * The cgroup root of the restore in hierarchy ctrl: --cgroup-root if given
 * for it (the operator's), else the dumped root task's cgroup, else the
 * hierarchy's root. Cgroups are made only at or below it, or on the way to
 * it; a task joins only a cgroup at or below it.
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
	if (!cg_path_sane(path) || (!path_within(path, root) && !path_within(root, path)))
		return pr_err_ret(
			-EPERM,
			"cgroup.img: cgroup %s (\"%s\") is outside the restore's cgroup root %s: refused",
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
	}
	props = c->mode == CR_CG_FULL || c->mode == CR_CG_STRICT || c->mode == CR_CG_PROPS ||
		(c->mode == CR_CG_SOFT && created);
	for (size_t i = 0; props && i < de->n_props; i++) {
		if (!known_prop(de->ctrl, de->props[i]->name))
			return pr_err_ret(-EBADMSG, "cgroup.img: %s (\"%s\"): \"%s\" is not a cgroup property criu restores",
					  de->path, de->ctrl, de->props[i]->name);
		r = set_prop(full, de->props[i]);
		if (r == 0) {
			pr_debug("%s/%s = %s\n", full, de->props[i]->name, de->props[i]->value);
			continue;
		}
		if (c->mode == CR_CG_STRICT)
			return pr_err_ret(r, "cannot set %s/%s to \"%s\" (--manage-cgroups strict)", full,
					  de->props[i]->name, de->props[i]->value);
		pr_warn("cannot set %s/%s to \"%s\": %s\n", full, de->props[i]->name, de->props[i]->value,
			strerror(-r));
	}
	return 0;
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

static int open_set(struct cg_rst_ctx *c, const CgSetEntry *s, struct cg_rst_set *rs)
{
	rs->id = s->id;
	rs->fds = calloc(s->n_members ? s->n_members : 1, sizeof(*rs->fds));
	rs->names = calloc(s->n_members ? s->n_members : 1, sizeof(*rs->names));
	if (!rs->fds || !rs->names)
		return -ENOMEM;
	for (size_t i = 0; i < s->n_members; i++) {
		const CgMemberEntry *m = s->members[i];
		const char *mnt;
		char path[PATH_MAX], full[PATH_MAX];
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
		if (r < 0 || (size_t)snprintf(full, sizeof(full), "%s%s%scgroup.procs", mnt, path,
					      strcmp(path, "/") ? "/" : "") >= sizeof(full))
			return pr_err_ret(-ENAMETOOLONG, "cgroup path %s%s is too long", mnt, m->path);
		if (!cg_path_sane(m->path) || !cg_path_sane(path) ||
		    !path_within(path, restore_root(c, m->ctrl)))
			return pr_err_ret(-EPERM,
					  "cgroup.img: set %" PRIu64
					  " puts tasks into %s (\"%s\"), outside the "
					  "restore's cgroup root %s: refused",
					  (uint64_t)s->id, path, m->ctrl, restore_root(c, m->ctrl));
		{
			_cleanup_close_ int mfd = open(mnt, O_PATH | O_DIRECTORY | O_CLOEXEC);

			fd = mfd < 0 ? -errno : cg_openat(mfd, full + strlen(mnt), O_WRONLY);
		}
		if (fd < 0)
			return pr_err_ret(fd, "cannot open %s beneath %s", full, mnt);
		rs->fds[rs->n] = fd;
		rs->names[rs->n] = strdup(full);
		rs->n++;
		if (!rs->names[rs->n - 1])
			return -ENOMEM;
	}
	return 0;
}

int cgroup_restore_prepare(struct img_dir *d, const struct cr_opts *o, struct cg_restore **ret)
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
	for (size_t i = 0; i < e->n_sets; i++)
		if (e->sets[i]->id != i + 1)
			return pr_err_ret(-EBADMSG, "cgroup.img: set %zu has id %" PRIu64, i,
					  (uint64_t)e->sets[i]->id);
	for (size_t i = 0; i < e->n_tasks; i++)
		if (!e->tasks[i]->set_id || e->tasks[i]->set_id > e->n_sets)
			return pr_err_ret(
				-EBADMSG, "cgroup.img: task %" PRIu64 " names set %" PRIu64 " of %zu",
				(uint64_t)e->tasks[i]->task_id, (uint64_t)e->tasks[i]->set_id, e->n_sets);
	if (e->has_root_set && e->root_set && e->root_set <= e->n_sets)
		c.root = e->sets[e->root_set - 1];
	c.e = e;
	c.cr = calloc(1, sizeof(*c.cr));
	if (!c.cr)
		return -ENOMEM;
	c.hs.no_yard = o->cgroup_yard != NULL;
	r = hiers_collect(&c.hs);
	if (r < 0) {
		pr_err("cannot read /proc/self/mountinfo: %s\n", strerror(-r));
		goto fail;
	}
	pr_info("restoring cgroups (--manage-cgroups %s)\n", mode_name(c.mode));
	for (size_t i = 0; i < e->n_dirs; i++) {
		r = restore_dir(&c, e->dirs[i]);
		if (r < 0)
			goto fail;
	}
	c.cr->sets = calloc(e->n_sets ? e->n_sets : 1, sizeof(*c.cr->sets));
	c.cr->task_ids = calloc(e->n_tasks ? e->n_tasks : 1, sizeof(uint64_t));
	c.cr->task_sets = calloc(e->n_tasks ? e->n_tasks : 1, sizeof(uint64_t));
	if (!c.cr->sets || !c.cr->task_ids || !c.cr->task_sets) {
		r = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < e->n_sets; i++) {
		c.cr->nsets++;
		r = open_set(&c, e->sets[i], &c.cr->sets[i]);
		if (r < 0)
			goto fail;
	}
	for (size_t i = 0; i < e->n_tasks; i++) {
		c.cr->task_ids[i] = e->tasks[i]->task_id;
		c.cr->task_sets[i] = e->tasks[i]->set_id;
	}
	c.cr->ntasks = e->n_tasks;
	hiers_free(&c.hs);
	*ret = c.cr;
	return 0;
fail:
	hiers_free(&c.hs);
	cgroup_restore_free(c.cr, true);
	return r;
}

int cgroup_restore_task(const struct cg_restore *cr, uint64_t task_id)
{
	const struct cg_rst_set *s = NULL;

	if (!cr)
		return 0;
	for (size_t i = 0; i < cr->ntasks && !s; i++)
		if (cr->task_ids[i] == task_id)
			s = &cr->sets[cr->task_sets[i] - 1];
	if (!s)
		return 0; /* not in the image (a dump without it): stays where it was born */
	for (size_t i = 0; i < s->n; i++)
		if (write(s->fds[i], "0", 1) < 0)
			return pr_perror_ret("task %" PRIu64 ": cannot join the cgroup (%s)", task_id,
					     s->names[i]);
	return 0;
}

void cgroup_restore_free(struct cg_restore *cr, bool failed)
{
	if (!cr)
		return;
	for (size_t i = 0; i < cr->nsets; i++) {
		for (size_t j = 0; j < cr->sets[i].n; j++) {
			close(cr->sets[i].fds[j]);
			free(cr->sets[i].names[j]);
		}
		free(cr->sets[i].fds);
		free(cr->sets[i].names);
	}
	free(cr->sets);
	free(cr->task_ids);
	free(cr->task_sets);
	for (size_t i = cr->ncreated; i-- > 0;) {
		/* children first; a cgroup whose killed tasks have not left yet stays (EBUSY) */
		int r = failed ? rmdir(cr->created[i]) : 0;

		for (int k = 0; r < 0 && errno == EBUSY && k < 50; k++) {
			usleep(20000);
			r = rmdir(cr->created[i]);
		}
		if (r < 0)
			pr_warn("cannot remove the cgroup %s created by this restore: %m\n", cr->created[i]);
		free(cr->created[i]);
	}
	free(cr->created);
	free(cr);
}
