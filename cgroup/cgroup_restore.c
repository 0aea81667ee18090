/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Cgroups, restore (the dump and the whole picture: cgroup.c): each task's
 * set of cgroups made or found under the hierarchies criu reaches (--cgroup-root,
 * --cgroup-yard, --manage-cgroups), their properties, owners and modes written
 * back, and the tasks and threads put in them.
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

/* ctrls ("cpu,cpuacct") holds controller c */
static bool has_ctrl(const char *ctrls, const char *c)
{
	size_t n = strlen(c);

	for (const char *t = ctrls; *t; t += strcspn(t, ","), t += *t == ',')
		if (strcspn(t, ",") == n && !strncmp(t, c, n))
			return true;
	return false;
}

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
	return cg_for_each_prop(NULL, ctrls, prop_is, (void *)name) > 0;
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
	const char *mnt = cg_hier_get(&c->hs, de->ctrl), *rp = root_path(c->root, de->ctrl);
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
	mnt = cg_hier_get(&c->hs, m->ctrl);
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
		if (!cg_hier_mnt(&c->hs, m->ctrl) && !strcmp(m->path, "/") && !c->o->cgroup_roots.n &&
		    self_at_root(m->ctrl))
			continue;
		mnt = cg_hier_get(&c->hs, m->ctrl);
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
	r = cg_hiers_init(&c.hs, o, work_dir_fd);
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
	cg_hiers_free(&c.hs);
	*ret = c.cr;
	return 0;
fail:
	cg_hiers_free(&c.hs);
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
