/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mnt namespace: the tree's mounts, from its root's /proc/PID/mountinfo.
 *
 * Dump: the root mount is the one the restore gets as --root. Every other
 * mount is, in this order of preference:
 *  - external: --external mnt[MOUNTPOINT]:KEY (or --ext-mount-map
 *    MOUNTPOINT:KEY); the restore binds the path it maps KEY to;
 *  - a bind: it shows part of a filesystem an earlier mount of the tree
 *    already shows (runc's read-only /proc/sys, masked paths);
 *  - a new mount of its filesystem type (proc, sysfs, devpts, mqueue,
 *    tmpfs, cgroup2 ...), with the files of a tmpfs in tmpfs-ID.img (tar);
 *  - one a plugin takes (DUMP_EXT_MOUNT; it makes it at restore);
 *  - with --ext-mount-map auto, external under its own mountpoint;
 *  - anything else is refused by name.
 *
 * Restore (criu, after the other namespaces exist, before it opens files):
 * unshare a mount namespace, build the mounts under --root, chroot there.
 * proc mounts and what lies under or is bound from them wait until the tree
 * exists: they are made by a helper born in the tree's pid namespace, so
 * that proc shows its pids. So do binds of a pty (runc's /dev/console),
 * which exists once criu has opened the files; a pty of the tree's devpts
 * that no task holds (LXC's unused ttys) is made for its bind and hangs up
 * after it, as its master is gone. Then --root becomes the namespace's root
 * (pivot_root) and the old one goes.
 *
 * The mountpoints and bind sources of mnt.img are resolved inside --root
 * (openat2 RESOLVE_IN_ROOT from its fd): a symlink of the root's own files,
 * absolute or with "..", never puts a mount, or a directory made for one,
 * outside it.
 */
#define LOG_PREFIX "mnt: "
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "guard.h"
#include "images/mnt.pb-c.h"
#include "log.h"
#include "self_proc.h"
#include "mnt.h"
#include "plugins.h"
#include "ptmx.h"

#define BLOB_CHUNK (1u << 20)

/* ---- mountinfo ---- */

static const struct {
	const char *name;
	unsigned long flag;
} mnt_flags[] = {
	{ "ro", MS_RDONLY },	     { "nosuid", MS_NOSUID },	  { "nodev", MS_NODEV },
	{ "noexec", MS_NOEXEC },     { "noatime", MS_NOATIME },	  { "nodiratime", MS_NODIRATIME },
	{ "relatime", MS_RELATIME }, { "strictatime", MS_STRICTATIME },
};

/* Undoes mountinfo's octal escapes (\040 for a space) in place. */
static void unescape(char *s)
{
	char *d = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' &&
		    s[3] <= '7') {
			*d++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*d++ = *s;
		}
	}
	*d = 0;
}

static uint32_t parse_flags(const char *opts)
{
	_cleanup_free_ char *copy = strdup(opts);
	uint32_t flags = 0;
	char *save = NULL;

	if (!copy)
		return 0;
	for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save))
		for (size_t i = 0; i < sizeof(mnt_flags) / sizeof(mnt_flags[0]); i++)
			if (!strcmp(o, mnt_flags[i].name))
				flags |= (uint32_t)mnt_flags[i].flag;
	return flags;
}

/* The superblock options without rw/ro; *ro tells which it was. */
static char *sb_options(const char *opts, bool *ro)
{
	char *out = calloc(1, strlen(opts) + 1), *copy = strdup(opts), *save = NULL;

	*ro = false;
	if (!out || !copy) {
		free(out);
		free(copy);
		return NULL;
	}
	for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		if (!strcmp(o, "ro") || !strcmp(o, "rw")) {
			*ro |= o[1] == 'o';
			continue;
		}
		if (*out)
			strcat(out, ",");
		strcat(out, o);
	}
	free(copy);
	return out;
}

void mnt_entries_free(MntEntry **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		mnt_entry__free_unpacked(v[i], NULL);
	free(v);
}

/* One line of mountinfo (proc(5)); -EBADMSG if it is not one. */
static int parse_line(char *line, MntEntry **ret)
{
	char *f[12] = { 0 }, *save = NULL, *p, *sep;
	unsigned int maj, min, id, parent, shared = 0, master = 0;
	bool unbindable = false, ro;
	MntEntry *e;
	int n = 0;

	sep = strstr(line, " - ");
	if (!sep)
		return -EBADMSG;
	*sep = 0;
	for (p = strtok_r(line, " ", &save); p && n < 6; p = strtok_r(NULL, " ", &save))
		f[n++] = p;
	if (n < 6)
		return -EBADMSG;
	/* the optional fields: shared:N, master:N, propagate_from:N, unbindable */
	for (; p; p = strtok_r(NULL, " ", &save)) {
		if (sscanf(p, "shared:%u", &shared) != 1 && sscanf(p, "master:%u", &master) != 1)
			unbindable |= !strcmp(p, "unbindable");
	}
	for (p = strtok_r(sep + 3, " \n", &save), n = 6; p && n < 9; p = strtok_r(NULL, " \n", &save))
		f[n++] = p;
	if (n < 9 || sscanf(f[0], "%u", &id) != 1 || sscanf(f[1], "%u", &parent) != 1 ||
	    sscanf(f[2], "%u:%u", &maj, &min) != 2)
		return -EBADMSG;
	if (unbindable)
		return -EREMOTE; /* the caller says which mount */
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	mnt_entry__init(e);
	e->has_shared_id = shared != 0;
	e->shared_id = shared;
	e->has_master_id = master != 0;
	e->master_id = master;
	unescape(f[3]);
	unescape(f[4]);
	unescape(f[7]);
	e->id = id;
	e->parent_id = parent;
	e->dev = (uint32_t)makedev(maj, min);
	e->root = strdup(f[3]);
	e->mountpoint = strdup(f[4]);
	e->flags = parse_flags(f[5]);
	e->fstype = strdup(f[6]);
	e->source = strdup(f[7]);
	e->options = sb_options(f[8], &ro);
	e->has_sb_ro = true;
	e->sb_ro = ro;
	if (!e->root || !e->mountpoint || !e->fstype || !e->source || !e->options) {
		mnt_entry__free_unpacked(e, NULL);
		return -ENOMEM;
	}
	*ret = e;
	return 0;
}

int mnt_parse_mountinfo(const char *text, bool skip_unbindable, MntEntry ***ret, size_t *ret_n)
{
	_cleanup_free_ char *copy = strdup(text);
	MntEntry **v = NULL;
	size_t n = 0;
	char *save = NULL;
	int r = 0;

	if (!copy)
		return -ENOMEM;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		MntEntry **nv = realloc(v, (n + 1) * sizeof(*v));

		if (!nv) {
			r = -ENOMEM;
			break;
		}
		v = nv;
		r = parse_line(line, &v[n]);
		if (r == -EREMOTE && skip_unbindable) {
			r = 0;
			continue;
		}
		if (r < 0)
			break;
		n++;
	}
	if (r == 0 && n == 0)
		r = -EBADMSG;
	if (r < 0) {
		mnt_entries_free(v, n);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* ---- dump ---- */

static const char *const new_mount_types[] = { "proc",	 "sysfs", "devpts",  "mqueue", "tmpfs",
						"cgroup2", "cgroup", "securityfs", "debugfs", "tracefs" };

/* --enable-fs FS[,FS...] (or all): these are restored as mount(source, fstype, flags, options) too. */
static bool fs_enabled(const struct cr_opts *o, const char *fstype)
{
	for (size_t i = 0; i < o->enable_fs.n; i++) {
		_cleanup_free_ char *copy = strdup(o->enable_fs.v[i]);
		char *save = NULL;

		if (!copy)
			return false;
		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
			if (!strcmp(t, "all") || !strcmp(t, fstype))
				return true;
	}
	return false;
}

static bool can_mount_anew(const struct cr_opts *o, const MntEntry *e)
{
	if (strcmp(e->root, "/"))
		return false;
	for (size_t i = 0; i < sizeof(new_mount_types) / sizeof(new_mount_types[0]); i++)
		if (!strcmp(e->fstype, new_mount_types[i]))
			return true;
	return fs_enabled(o, e->fstype);
}

/* The KEY of --external mnt[MOUNTPOINT]:KEY (--ext-mount-map lands there too). */
static const char *external_key(const struct cr_opts *o, const char *mountpoint)
{
	size_t ml = strlen(mountpoint);

	for (size_t i = 0; i < o->external.n; i++) {
		const char *e = o->external.v[i];

		if (!strncmp(e, "mnt[", 4) && !strncmp(e + 4, mountpoint, ml) && e[4 + ml] == ']' &&
		    e[5 + ml] == ':' && e[6 + ml])
			return e + 6 + ml;
	}
	return NULL;
}

/* Whether path is base or under it. */
static bool path_under(const char *path, const char *base)
{
	size_t bl = strlen(base);

	if (!strcmp(base, "/"))
		return true;
	return !strncmp(path, base, bl) && (path[bl] == 0 || path[bl] == '/');
}

/* An earlier mount of the same filesystem that shows e's root. */
static const MntEntry *bind_source(MntEntry **v, size_t i)
{
	for (size_t k = 0; k < i; k++)
		if (v[k]->dev == v[i]->dev && path_under(v[i]->root, v[k]->root) && !v[k]->external)
			return v[k];
	return NULL;
}

/* Parents before children, the root first; -EBADMSG if the list is not one tree. */
static int order_tree(MntEntry **v, size_t n)
{
	size_t done = 0, nr_roots = 0;

	/* the root: its parent is not in the list (it is the namespace's old root) */
	for (size_t i = 0; i < n; i++) {
		bool has_parent = false;

		for (size_t k = 0; k < n; k++)
			has_parent |= k != i && v[k]->id == v[i]->parent_id;
		if (!has_parent) {
			MntEntry *t = v[0];

			v[0] = v[i];
			v[i] = t;
			nr_roots++;
		}
	}
	for (size_t i = 1; i < n; i++)
		if (!strcmp(v[i]->mountpoint, "/"))
			return -EBADMSG; /* mounts stacked on the root */
	if (nr_roots != 1 || strcmp(v[0]->mountpoint, "/"))
		return -EBADMSG;
	v[0]->parent_id = 0;
	done = 1;
	while (done < n) {
		size_t before = done;

		for (size_t i = done; i < n; i++) {
			bool parent_done = false;

			for (size_t k = 0; k < done; k++)
				parent_done |= v[k]->id == v[i]->parent_id;
			if (parent_done) {
				MntEntry *t = v[done];

				v[done] = v[i];
				v[i] = t;
				done++;
			}
		}
		if (done == before)
			return -EBADMSG;
	}
	return 0;
}

/* ---- propagation (shared:N, master:N) ---- */

/*
 * The mount a peer group is rebuilt from at restore: the first member (tree
 * order) whose root holds every member's root, an external one if the group
 * has peers outside the tree; -1 if there is none.
 */
static ssize_t group_leader(MntEntry *const *v, size_t n, uint32_t group)
{
	bool outside = false;

	for (size_t i = 0; i < n; i++)
		outside |= v[i]->shared_id == group && v[i]->ext_peers;
	for (size_t i = 0; i < n; i++) {
		bool covers = v[i]->shared_id == group && (!outside || v[i]->ext_peers);

		for (size_t k = 0; covers && k < n; k++)
			if (v[k]->shared_id == group)
				covers = v[k]->dev == v[i]->dev && path_under(v[k]->root, v[i]->root);
		if (covers)
			return (ssize_t)i;
	}
	return -1;
}

/* A member of group whose root holds e's root (what e is made a slave of); -1 if none. */
static ssize_t master_source(MntEntry *const *v, size_t n, uint32_t group, const MntEntry *e)
{
	for (size_t i = 0; i < n; i++)
		if (v[i]->shared_id == group && v[i]->dev == e->dev && path_under(e->root, v[i]->root))
			return (ssize_t)i;
	return -1;
}

static bool is_ancestor(MntEntry *const *v, size_t n, const MntEntry *a, const MntEntry *e)
{
	for (uint32_t id = e->parent_id; id;) {
		const MntEntry *p = NULL;

		for (size_t i = 0; i < n && !p; i++)
			if (v[i]->id == id)
				p = v[i];
		if (!p)
			return false;
		if (p == a)
			return true;
		id = p->parent_id;
	}
	return false;
}

/* Reads and parses a mountinfo file (mnt_parse_mountinfo); -errno is logged with the path. */
static int read_mountinfo(const char *path, bool skip_unbindable, MntEntry ***ret, size_t *ret_n)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	FILE *f = fopen(path, "re");
	int r;

	if (!f)
		return pr_perror_ret("cannot open %s", path);
	r = getdelim(&text, &len, 0, f) < 0 ? -EIO : 0;
	fclose(f);
	if (r == 0)
		r = mnt_parse_mountinfo(text, skip_unbindable, ret, ret_n);
	if (r < 0 && r != -EREMOTE)
		return pr_err_ret(r, "cannot parse %s", path);
	return r;
}

/* The peer groups of criu's own mount namespace (the tree's groups that reach outside it). */
static int own_groups(uint32_t **ret, size_t *ret_n)
{
	MntEntry **v = NULL;
	size_t n = 0;
	uint32_t *g;
	/* criu's unbindable mounts are left out: they are in no peer group */
	int r = read_mountinfo("/proc/self/mountinfo", true, &v, &n);

	if (r < 0)
		return r;
	g = calloc(n + 1, sizeof(*g));
	if (!g) {
		mnt_entries_free(v, n);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		g[i] = v[i]->shared_id;
	mnt_entries_free(v, n);
	*ret = g;
	*ret_n = n;
	return 0;
}

/*
 * Which propagation the restore can rebuild: peer groups and masters inside
 * the tree; an external mount's peers outside the tree with
 * --enable-external-sharing, its master outside with --enable-external-masters.
 */
static int check_propagation(pid_t pid, const struct cr_opts *o, MntEntry **v, size_t n)
{
	_cleanup_free_ uint32_t *outside = NULL;
	size_t nr_outside = 0;
	int r = own_groups(&outside, &nr_outside);

	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		MntEntry *e = v[i];
		bool reaches_out = false, master_inside = false;

		for (size_t k = 0; e->shared_id && k < nr_outside; k++)
			reaches_out |= outside[k] == e->shared_id;
		for (size_t k = 0; e->master_id && k < n; k++)
			master_inside |= v[k]->shared_id == e->master_id;
		if (reaches_out && !(e->external && o->ext_sharing))
			return pr_err_ret(-EOPNOTSUPP,
					  "pid %d: not supported yet: mount %u at %s shares peer group %u with mounts "
					  "outside the tree%s",
					  pid, e->id, e->mountpoint, e->shared_id,
					  e->external ? " (--enable-external-sharing allows it for this external mount)"
						      : "; only an external mount may (--enable-external-sharing)");
		if (e->master_id && !master_inside && !(e->external && o->ext_masters))
			return pr_err_ret(-EOPNOTSUPP,
					  "pid %d: not supported yet: mount %u at %s is a slave of peer group %u outside "
					  "the tree%s",
					  pid, e->id, e->mountpoint, e->master_id,
					  e->external ? " (--enable-external-masters allows it for this external mount)"
						      : "; only an external mount may (--enable-external-masters)");
		e->has_ext_peers = e->ext_peers = reaches_out;
		e->has_ext_master = e->ext_master = e->master_id && !master_inside;
		if (e->ext_peers && e->master_id && !e->ext_master)
			return pr_err_ret(-EOPNOTSUPP,
					  "pid %d: not supported yet: mount %u at %s has peers outside the tree and a "
					  "master inside it",
					  pid, e->id, e->mountpoint);
	}
	for (size_t i = 0; i < n; i++) {
		MntEntry *e = v[i];
		ssize_t l;

		if (!e->shared_id && !e->master_id)
			continue;
		/* the restore reaches it by its mountpoint: nothing may hide it */
		for (size_t k = 0; k < n; k++)
			if (k != i && path_under(e->mountpoint, v[k]->mountpoint) && !is_ancestor(v, n, v[k], e))
				return pr_err_ret(-EOPNOTSUPP,
						  "pid %d: not supported yet: mount %u at %s is shared or a slave and "
						  "mount %u at %s hides it",
						  pid, e->id, e->mountpoint, v[k]->id, v[k]->mountpoint);
		if (e->ext_peers)
			for (size_t k = 0; k < n; k++)
				if (v[k]->parent_id == e->id)
					return pr_err_ret(-EOPNOTSUPP,
							  "pid %d: not supported yet: mount %u at %s under mount %u "
							  "at %s, which has peers outside the tree (restoring it would "
							  "propagate out)",
							  pid, v[k]->id, v[k]->mountpoint, e->id, e->mountpoint);
		if (!e->shared_id)
			continue;
		l = group_leader(v, n, e->shared_id);
		if (l < 0)
			return pr_err_ret(-EOPNOTSUPP,
					  "pid %d: not supported yet: peer group %u (mount %u at %s...): no member shows "
					  "the whole of what the others show",
					  pid, e->shared_id, e->id, e->mountpoint);
		if (v[l]->master_id != e->master_id)
			return pr_err_ret(-EBADMSG, "pid %d: mounts %u and %u are peers with different masters", pid,
					  v[l]->id, e->id);
		if (e->master_id && !e->ext_master && master_source(v, n, e->master_id, v[l]) < 0)
			return pr_err_ret(-EOPNOTSUPP,
					  "pid %d: not supported yet: mount %u at %s is a slave of group %u, none of "
					  "whose mounts shows its root %s",
					  pid, v[l]->id, v[l]->mountpoint, e->master_id, v[l]->root);
	}
	for (size_t i = 0; i < n; i++)
		if (v[i]->master_id && !v[i]->shared_id && !v[i]->ext_master &&
		    master_source(v, n, v[i]->master_id, v[i]) < 0)
			return pr_err_ret(-EOPNOTSUPP,
					  "pid %d: not supported yet: mount %u at %s is a slave of group %u, none of whose "
					  "mounts shows its root %s",
					  pid, v[i]->id, v[i]->mountpoint, v[i]->master_id, v[i]->root);
	return 0;
}

/* Runs argv with stdout (out_fd >= 0) or stdin (in_fd >= 0) on a pipe end; returns its pid. */
static pid_t spawn(char *const argv[], int in_fd, int out_fd)
{
	pid_t parent = getpid(), pid = fork();

	if (pid != 0)
		return pid < 0 ? -errno : pid;
	guard_die_with(parent);
	if (in_fd >= 0 && dup2(in_fd, STDIN_FILENO) < 0)
		_exit(127);
	if (out_fd >= 0 && dup2(out_fd, STDOUT_FILENO) < 0)
		_exit(127);
	execvp(argv[0], argv);
	_exit(127);
}

static int wait_ok(pid_t pid, const char *what)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return pr_perror_ret("%s: waitpid", what);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		return pr_err_ret(-EIO, "%s failed (status %#x)", what, st);
	return 0;
}

/* The xattrs and ACLs of a tmpfs's files that tar keeps (not LSM labels such as security.selinux). */
#define TMPFS_TAR_XATTRS                                                                             \
	"--xattrs", "--xattrs-include=user.*", "--xattrs-include=trusted.*",                         \
		"--xattrs-include=security.capability", "--acls"

/*
 * The files of tmpfs mount e into tmpfs-ID.img: all of them, those under
 * mounts on its directories and a mount over it too.
 */
static int dump_tmpfs(pid_t pid, MntEntry *const *v, size_t n, const MntEntry *e, struct img_dir *d)
{
	char dir[PATH_MAX + 32], what[PATH_MAX + 64];
	char *argv[] = { "tar", "--create", "--one-file-system", "--numeric-owner", "--sparse", TMPFS_TAR_XATTRS,
			 "-C", dir, "-f", "-", ".", NULL };
	_cleanup_free_ uint8_t *buf = malloc(BLOB_CHUNK);
	struct img_writer *w = NULL;
	int p[2], r, fd;
	size_t total = 0;
	pid_t tar;

	if (!buf)
		return -ENOMEM;
	fd = mnt_tmpfs_open_uncovered(pid, v, n, e);
	if (fd < 0)
		return fd;
	/* tar reaches the clone through the fd it inherits */
	snprintf(dir, sizeof(dir), "/proc/self/fd/%d", fd);
	snprintf(what, sizeof(what), "tar of the tmpfs at %s", e->mountpoint);
	if (pipe2(p, O_CLOEXEC) < 0 || fcntl(fd, F_SETFD, 0) < 0) {
		r = pr_perror_ret("%s: pipe", what);
		close(fd);
		return r;
	}
	tar = spawn(argv, -1, p[1]);
	close(p[1]);
	close(fd);
	if (tar < 0) {
		close(p[0]);
		return pr_err_ret(tar, "%s: cannot run tar", what);
	}
	r = img_create(d, IMG_TMPFS, e->id, &w);
	for (;;) {
		size_t have = 0;
		ssize_t k = 0;

		while (r >= 0 && have < BLOB_CHUNK && (k = read(p[0], buf + have, BLOB_CHUNK - have)) > 0)
			have += (size_t)k;
		if (k < 0)
			r = pr_perror_ret("%s: read", what);
		if (r >= 0 && have) {
			BlobChunk c = BLOB_CHUNK__INIT;

			c.data.data = buf;
			c.data.len = have;
			r = img_write_msg(w, &c.base);
			total += have;
		}
		if (r < 0 || have < BLOB_CHUNK)
			break;
	}
	close(p[0]);
	if (r < 0)
		kill(tar, SIGKILL);
	if (wait_ok(tar, what) < 0 && r >= 0)
		r = -EIO;
	if (r >= 0)
		pr_info("tmpfs %s: %zu bytes of files\n", e->mountpoint, total);
	return img_finish(w, r);
}

static int classify(pid_t pid, const struct cr_opts *o, MntEntry **v, size_t n, size_t i, struct img_dir *d)
{
	MntEntry *e = v[i];
	const MntEntry *src;
	const char *key = external_key(o, e->mountpoint);
	int r;

	if (key) {
		e->external = strdup(key);
		pr_info("mount %u at %s (%s): external, key %s\n", e->id, e->mountpoint, e->fstype, key);
		return e->external ? 0 : -ENOMEM;
	}
	src = bind_source(v, i);
	if (src && src != v[0]) {
		e->has_bind_of = true;
		e->bind_of = src->id;
		pr_info("mount %u at %s (%s %s): bound from mount %u at %s\n", e->id, e->mountpoint, e->fstype,
			e->root, src->id, src->mountpoint);
		return 0;
	}
	if (can_mount_anew(o, e)) {
		pr_info("mount %u at %s: %s (%s)\n", e->id, e->mountpoint, e->fstype, e->options);
		if (strcmp(e->fstype, "tmpfs"))
			return 0;
		e->has_has_content = e->has_content = true;
		return dump_tmpfs(pid, v, n, e, d);
	}
	if (src) { /* part of the root's filesystem: bound from the root */
		e->has_bind_of = true;
		e->bind_of = src->id;
		return 0;
	}
	r = plugins_dump_ext_mount(e->mountpoint, (int)e->id);
	if (r == 0) {
		e->has_plugin = e->plugin = true;
		pr_info("mount %u at %s (%s %s): plugin %s takes it\n", e->id, e->mountpoint, e->fstype, e->source,
			plugins_last_handler());
		return 0;
	}
	if (r != -ENOTSUP)
		return pr_err_ret(r, "pid %d: mount %u at %s: plugin %s failed", pid, e->id, e->mountpoint,
				  plugins_last_handler());
	if (o->auto_ext_mnt) {
		e->external = strdup(e->mountpoint);
		pr_info("mount %u at %s (%s %s): external (--ext-mount-map auto)\n", e->id, e->mountpoint, e->fstype,
			e->root);
		return e->external ? 0 : -ENOMEM;
	}
	return pr_err_ret(-EOPNOTSUPP,
			  "pid %d: not supported yet: mount %u at %s (%s %s, root %s) comes from outside the tree's "
			  "mounts; --external mnt[%s]:KEY (or --ext-mount-map %s:KEY) marks it external",
			  pid, e->id, e->mountpoint, e->fstype, e->source, e->root, e->mountpoint, e->mountpoint);
}

int mnt_ns_dump(pid_t pid, const struct cr_opts *o, struct img_dir *d)
{
	char path[64];
	MntEntry **v = NULL;
	struct img_writer *w = NULL;
	size_t n = 0;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/mountinfo", pid);
	r = read_mountinfo(path, false, &v, &n);
	if (r == -EREMOTE)
		return pr_err_ret(-EOPNOTSUPP, "pid %d: not supported yet: unbindable mounts in %s", pid, path);
	if (r < 0)
		return r;
	r = order_tree(v, n);
	if (r < 0)
		r = pr_err_ret(r, "pid %d: %s is not one tree under a root at /", pid, path);
	for (size_t i = 1; r >= 0 && i < n; i++)
		r = classify(pid, o, v, n, i, d);
	if (r >= 0)
		r = check_propagation(pid, o, v, n);
	if (r >= 0)
		r = img_create(d, IMG_MNTNS, 0, &w);
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = img_write_msg(w, &v[i]->base);
	r = img_finish(w, r);
	if (r >= 0)
		pr_info("%zu mounts; the root (%s %s) comes from --root at restore\n", n, v[0]->fstype, v[0]->root);
	mnt_entries_free(v, n);
	return r;
}

/* ---- restore ---- */

struct mnt_restore {
	MntEntry **v;
	size_t n;
	bool *deferred; /* made by the helper in the tree's pid namespace */
	int *clone_fd;	/* external with peers or a master outside: open_tree clone of its source */
	char *root;	/* --root */
	int host_root_fd;
	bool built;
};

static const MntEntry *find_id(const struct mnt_restore *m, uint32_t id, size_t before)
{
	for (size_t k = 0; k < before; k++)
		if (m->v[k]->id == id)
			return m->v[k];
	return NULL;
}

/* Absolute, no ".." component, and short enough to put under --root. */
static bool path_sane(const char *p)
{
	size_t len = strlen(p);

	if (p[0] != '/' || len >= PATH_MAX - 256 || strstr(p, "/../"))
		return false;
	return !(len >= 3 && !strcmp(p + len - 3, "/.."));
}

/* The per-mount flags a dump records (mnt_flags); anything else (MS_BIND, MS_MOVE, ...) is hostile. */
static uint32_t dumped_flags_mask(void)
{
	uint32_t mask = 0;

	for (size_t i = 0; i < sizeof(mnt_flags) / sizeof(mnt_flags[0]); i++)
		mask |= (uint32_t)mnt_flags[i].flag;
	return mask;
}

/* Whether path is root or below it ("/a" is within "/", "/a/b" within "/a", "/ab" not). */
static bool root_within(const char *path, const char *root)
{
	size_t n = strlen(root);

	if (!strcmp(root, "/"))
		return true;
	return !strncmp(path, root, n) && (path[n] == '\0' || path[n] == '/');
}

static int check_entries(struct mnt_restore *m)
{
	for (size_t i = 0; i < m->n; i++) {
		const MntEntry *e = m->v[i];
		const MntEntry *src = e->has_bind_of ? find_id(m, e->bind_of, i) : NULL;

		if (!path_sane(e->mountpoint) || !path_sane(e->root) || (i == 0) != (e->parent_id == 0) ||
		    (i == 0 && strcmp(e->mountpoint, "/")) || (i && !find_id(m, e->parent_id, i)) ||
		    (e->has_bind_of && (!src || !root_within(e->root, src->root))) || find_id(m, e->id, i))
			return pr_err_ret(-EBADMSG, "mnt.img: mount %zu (id %u at %s) is malformed", i + 1, e->id,
					  e->mountpoint);
		if (e->flags & ~dumped_flags_mask())
			return pr_err_ret(-EBADMSG, "mnt.img: mount %u at %s: flags %#x are not mount flags a dump records",
					  e->id, e->mountpoint, e->flags & ~dumped_flags_mask());
	}
	return 0;
}

static int openat2_in_root(int rfd, const char *path, int flags)
{
	struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC),
			       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	int f;

	while (*path == '/')
		path++;
	f = (int)syscall(SYS_openat2, rfd, *path ? path : ".", &how, sizeof(how));
	return f < 0 ? -errno : f;
}

/* Makes path exist in the root rfd: each missing component right in its parent, found in the root. */
static int make_in_root(int rfd, const char *path, bool file)
{
	_cleanup_free_ char *p = strdup(path);
	char *slash = NULL;

	if (!p)
		return -ENOMEM;
	for (char *c = p + 1;; c = slash + 1) {
		_cleanup_close_ int parent = -EBADF, here = -EBADF;
		bool last;

		slash = strchr(c, '/');
		last = !slash;
		if (slash)
			*slash = 0;
		here = openat2_in_root(rfd, p, O_PATH);
		if (here == -ENOENT && *c) {
			char *up = strrchr(p, '/');

			*up = 0;
			parent = openat2_in_root(rfd, *p ? p : "/", O_PATH | O_DIRECTORY);
			*up = '/';
			if (parent < 0)
				return parent;
			if (last && file) {
				here = openat(parent, c, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
					      0644);
				if (here < 0)
					return -errno;
			} else if (mkdirat(parent, c, 0755) < 0 && errno != EEXIST) {
				return -errno;
			}
		} else if (here < 0 && here != -ENOENT) {
			return here;
		}
		if (last)
			return 0;
		*slash = '/';
	}
}

/*
 * root + path, resolved inside root with openat2(RESOLVE_IN_ROOT): ".." and
 * the absolute symlinks of the root's own files stop at it, so that neither
 * a mountpoint nor a bind source of mnt.img leads out of it. With create, a
 * missing mountpoint is made (a directory, or an empty file). ret: the path
 * the kernel found, for mount(2).
 */
static int path_in_root(const char *root, const char *path, bool create, bool file, char *ret, size_t size)
{
	_cleanup_close_ int rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC), f = -EBADF;
	ssize_t n;
	int r;

	if (rfd < 0)
		return -errno;
	f = openat2_in_root(rfd, path, O_PATH);
	if (f == -ENOENT && create) {
		r = make_in_root(rfd, path, file);
		if (r < 0)
			return r;
		f = openat2_in_root(rfd, path, O_PATH);
	}
	if (f < 0)
		return f;
	n = self_fd_readlink(f, ret, size);
	if (n < 0)
		return (int)n;
	if ((size_t)n == size - 1 || strncmp(ret, root, strlen(root)) ||
	    (ret[strlen(root)] != '/' && ret[strlen(root)] != 0 && strcmp(root, "/")))
		return -EXDEV;
	return 0;
}

static int restore_tmpfs(struct img_dir *d, const MntEntry *e, const char *target)
{
	char *argv[] = { "tar", "--extract", "--numeric-owner", "--same-permissions", TMPFS_TAR_XATTRS,
			 "-C", (char *)target, "-f", "-", NULL };
	struct img_reader *rd = NULL;
	ProtobufCMessage *msg;
	/* a tar that dies early makes our writes fail with EPIPE, not kill criu */
	struct sigaction ign = {.sa_handler = SIG_IGN}, old_pipe;
	int p[2], r;
	pid_t tar;

	r = img_open(d, IMG_TMPFS, e->id, &rd);
	if (r < 0)
		return pr_err_ret(r, "tmpfs at %s: its files (tmpfs-%u.img) cannot be read", e->mountpoint, e->id);
	if (pipe2(p, O_CLOEXEC) < 0) {
		img_close(rd);
		return pr_perror_ret("tmpfs at %s: pipe", e->mountpoint);
	}
	tar = spawn(argv, p[0], -1);
	close(p[0]);
	if (tar < 0) {
		close(p[1]);
		img_close(rd);
		return pr_err_ret(tar, "tmpfs at %s: cannot run tar", e->mountpoint);
	}
	sigaction(SIGPIPE, &ign, &old_pipe);
	while ((r = img_read_msg(rd, &blob_chunk__descriptor, &msg)) > 0) {
		BlobChunk *c = (BlobChunk *)msg;
		size_t off = 0;

		while (r > 0 && off < c->data.len) {
			ssize_t k = write(p[1], c->data.data + off, c->data.len - off);

			if (k < 0 && errno != EINTR)
				r = pr_perror_ret("tmpfs at %s: feeding tar", e->mountpoint);
			off += k > 0 ? (size_t)k : 0;
		}
		blob_chunk__free_unpacked(c, NULL);
		if (r < 0)
			break;
	}
	close(p[1]);
	sigaction(SIGPIPE, &old_pipe, NULL);
	img_close(rd);
	if (wait_ok(tar, "tar extraction") < 0 && r >= 0)
		r = pr_err_ret(-EIO, "tmpfs at %s: tar could not extract its files", e->mountpoint);
	return r < 0 ? r : 0;
}

static int remount_flags(const char *target, uint32_t flags, const MntEntry *e)
{
	unsigned long f = MS_REMOUNT | MS_BIND | flags;

	if (mount(NULL, target, NULL, f, NULL) < 0)
		return pr_perror_ret("mount %u at %s: cannot set its flags %#x", e->id, e->mountpoint, flags);
	return 0;
}

/*
 * A bind of /dev/pts/N of the tree's devpts whose pty no restored task
 * holds (LXC's ttys that nothing had open): the pty is made for the bind
 * and let go after it (*ret_master), so the bind shows a terminal that hung
 * up, as its master (LXC's) is gone. -ENOENT when rel is no pty.
 */
static int make_unheld_pty(const struct mnt_restore *m, const MntEntry *s, const char *rel, int *ret_master)
{
	char ptmx_rel[PATH_MAX], ptmx[PATH_MAX], *end;
	unsigned long n;
	int r;

	if (rel[0] != '/' || rel[1] < '0' || rel[1] > '9')
		return -ENOENT;
	n = strtoul(rel + 1, &end, 10);
	if (*end || n > UINT32_MAX)
		return -ENOENT;
	snprintf(ptmx_rel, sizeof(ptmx_rel), "%s/ptmx", s == m->v[0] ? "" : s->mountpoint);
	r = path_in_root(m->root, ptmx_rel, false, false, ptmx, sizeof(ptmx));
	if (r == 0)
		r = ptmx_open_index(ptmx, (uint32_t)n, O_RDWR, ret_master);
	if (r < 0)
		return pr_err_ret(r, "devpts at %s: cannot make pty %lu", s->mountpoint, n);
	pr_info("devpts at %s: pty %lu is held by no restored task: made for its bind, it hangs up after "
		"it\n",
		s->mountpoint, n);
	return 0;
}

int mnt_options_with_context(const char *options, const char *context, char **ret)
{
	const char *p = options, *val = NULL, *end;

	/* an option of its own, not fscontext=, defcontext= or rootcontext= */
	while (*p && !val) {
		if (!strncmp(p, "context=", 8))
			val = p + 8;
		else if ((p = strchr(p, ',')))
			p++;
		else
			break;
	}
	if (!val) {
		*ret = strdup(options);
		return *ret ? 0 : -ENOMEM;
	}
	/* a quoted value holds commas ("...:s0:c82,c137") */
	end = *val == '"' ? strchr(val + 1, '"') : val;
	if (!end)
		return -EINVAL;
	end = strchr(end, ',');
	if (asprintf(ret, "%.*s\"%s\"%s", (int)(val - options), options, context, end ? end : "") < 0)
		return -ENOMEM;
	return 1;
}

/* A new mount of its filesystem (not a bind), its tmpfs files put back. */
static int mount_new(const MntEntry *e, const struct cr_opts *o, struct img_dir *d, const char *target)
{
	_cleanup_free_ char *data = NULL;
	int r;
	unsigned long flags = e->flags | (e->sb_ro ? MS_RDONLY : 0);
	bool ro_later = e->has_content && (flags & MS_RDONLY);
	bool newinstance = !strcmp(e->fstype, "devpts") && !strstr(e->options, "newinstance");

	/* a devpts of its own, never the host's */
	if (asprintf(&data, "%s%s%s", e->options, newinstance && *e->options ? "," : "",
		     newinstance ? "newinstance" : "") < 0)
		return -ENOMEM;
	if (o->lsm_mount_context) {
		char *with = NULL;

		r = mnt_options_with_context(data, o->lsm_mount_context, &with);
		if (r < 0)
			return pr_err_ret(r, "mount %u at %s: bad context= in %s", e->id, e->mountpoint,
					  data);
		if (r > 0)
			pr_info("mount %u at %s: context=\"%s\" (--lsm-mount-context)\n", e->id,
				e->mountpoint, o->lsm_mount_context);
		free(data);
		data = with;
	}
	if (ro_later)
		flags &= ~(unsigned long)MS_RDONLY;
	if (mount(e->source, target, e->fstype, flags, data) < 0)
		return pr_perror_ret("mount %u at %s: cannot mount %s (%s)", e->id, e->mountpoint, e->fstype,
				     data);
	if (e->has_content) {
		r = restore_tmpfs(d, e, target);
		if (r < 0)
			return r;
	}
	if (ro_later && e->sb_ro && mount(NULL, target, NULL, MS_REMOUNT | MS_RDONLY, data) < 0)
		return pr_perror_ret("mount %u at %s: cannot make it read-only", e->id, e->mountpoint);
	if (ro_later)
		return remount_flags(target, e->flags, e);
	return 0;
}

/* One mount at root + its mountpoint; criu or the helper, both at the host's root. */
static int mount_one(const struct mnt_restore *m, const struct cr_opts *o, struct img_dir *d, size_t i)
{
	const MntEntry *e = m->v[i];
	char target[PATH_MAX], source[PATH_MAX];
	_cleanup_close_ int pty_master = -EBADF;
	bool is_file = false;
	struct stat st;
	int r;

	snprintf(target, sizeof(target), "%s%s", m->root, e->mountpoint);
	if (e->plugin) {
		int is_file = 0;

		r = plugins_restore_ext_mount((int)e->id, target, (char *)"/", &is_file);
		if (r == -ENOTSUP)
			return pr_err_ret(-ENOTSUP, "mount %u at %s: no plugin restores it (a plugin took it at dump)",
					  e->id, e->mountpoint);
		if (r < 0)
			return pr_err_ret(r, "mount %u at %s: plugin %s failed", e->id, e->mountpoint,
					  plugins_last_handler());
		pr_info("mount %u at %s: made by plugin %s\n", e->id, e->mountpoint, plugins_last_handler());
		return 0;
	}
	if (e->external) {
		/* mnt_restore_prepare() refused a key without a path */
		snprintf(source, sizeof(source), "%s", external_key(o, e->external));
	} else if (e->has_bind_of) {
		const MntEntry *s = find_id(m, e->bind_of, i);
		const char *rel = e->root + (strcmp(s->root, "/") ? strlen(s->root) : 0);

		char in_root[PATH_MAX];

		snprintf(in_root, sizeof(in_root), "%s%s", s == m->v[0] ? "" : s->mountpoint, rel);
		r = path_in_root(m->root, *in_root ? in_root : "/", false, false, source, sizeof(source));
		if (r == -ENOENT && !strcmp(s->fstype, "devpts") &&
		    make_unheld_pty(m, s, rel, &pty_master) == 0)
			r = path_in_root(m->root, in_root, false, false, source, sizeof(source));
		if (r < 0)
			return pr_err_ret(r, "mount %u at %s: its source %s is not in --root %s", e->id,
					  e->mountpoint, in_root, m->root);
	} else {
		source[0] = 0;
	}
	if (source[0] && stat(source, &st) == 0)
		is_file = !S_ISDIR(st.st_mode);
	r = path_in_root(m->root, e->mountpoint, true, is_file, target, sizeof(target));
	if (r < 0)
		return pr_err_ret(r, "mount %u: cannot make its mountpoint %s in --root %s", e->id,
				  e->mountpoint, m->root);
	if (m->clone_fd[i] >= 0) {
		/* a copy of the source taken in criu's namespace keeps the source's peers and master */
		if (syscall(SYS_move_mount, m->clone_fd[i], "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
			return pr_perror_ret("mount %u at %s: cannot attach the copy of %s", e->id, e->mountpoint,
					     source);
		if (e->ext_master && mount(NULL, target, NULL, MS_SLAVE, NULL) < 0)
			return pr_perror_ret("mount %u at %s: cannot make it a slave of %s's peers", e->id,
					     e->mountpoint, source);
		pr_info("mount %u at %s: %s%s%s\n", e->id, e->mountpoint, source,
			e->ext_peers ? ", a peer of its mount" : "", e->ext_master ? ", a slave of its mount" : "");
		return remount_flags(target, e->flags, e);
	}
	if (source[0]) {
		if (mount(source, target, NULL, MS_BIND, NULL) < 0)
			return pr_perror_ret("mount %u at %s: cannot bind %s", e->id, e->mountpoint, source);
		return remount_flags(target, e->flags, e);
	}
	return mount_new(e, o, d, target);
}

int mnt_restore_prepare(struct img_dir *d, const struct cr_opts *o, struct mnt_restore **ret)
{
	struct mnt_restore *m = calloc(1, sizeof(*m));
	struct img_reader *rd = NULL;
	ProtobufCMessage *msg;
	int r;

	if (!m)
		return -ENOMEM;
	m->host_root_fd = -EBADF;
	r = img_open(d, IMG_MNTNS, 0, &rd);
	if (r == -ENOENT)
		r = pr_err_ret(-EBADMSG, "the tree had its own mount namespace, but mnt.img is missing");
	while (r >= 0 && (r = img_read_msg(rd, &mnt_entry__descriptor, &msg)) > 0) {
		MntEntry **nv = realloc(m->v, (m->n + 1) * sizeof(*nv));

		if (!nv) {
			mnt_entry__free_unpacked((MntEntry *)msg, NULL);
			r = -ENOMEM;
			break;
		}
		m->v = nv;
		m->v[m->n++] = (MntEntry *)msg;
	}
	if (rd)
		img_close(rd);
	if (r >= 0 && !m->n)
		r = pr_err_ret(-EBADMSG, "mnt.img: no mounts");
	if (r >= 0)
		r = check_entries(m);
	if (r >= 0 && !o->root)
		r = pr_err_ret(-EINVAL, "the tree had its own mount namespace: --root PATH (the root filesystem to "
					"restore it on) is needed");
	if (r >= 0) {
		m->root = realpath(o->root, NULL);
		if (!m->root)
			r = pr_perror_ret("--root %s", o->root);
	}
	if (r >= 0) {
		m->deferred = calloc(m->n, sizeof(bool));
		m->clone_fd = calloc(m->n, sizeof(int));
		if (!m->deferred || !m->clone_fd)
			r = -ENOMEM;
		for (size_t i = 0; m->clone_fd && i < m->n; i++)
			m->clone_fd[i] = -EBADF;
	}
	for (size_t i = 1; r >= 0 && i < m->n; i++) {
		const MntEntry *e = m->v[i];
		const MntEntry *p = find_id(m, e->parent_id, i), *s = e->has_bind_of ? find_id(m, e->bind_of, i) : NULL;

		for (size_t k = 0; k < i; k++)
			if ((m->v[k] == p || m->v[k] == s) && m->deferred[k])
				m->deferred[i] = true;
		m->deferred[i] |= !e->external && !e->has_bind_of && !strcmp(e->fstype, "proc");
		/* a pty (runc's /dev/console): it exists once the files are open */
		m->deferred[i] |= s && !strcmp(s->fstype, "devpts") && strcmp(e->root, s->root);
		if (e->external && !external_key(o, e->external))
			r = pr_err_ret(-ENOENT,
				       "mount at %s was external (key %s): --external mnt[%s]:PATH (or --ext-mount-map "
				       "%s:PATH) is needed",
				       e->mountpoint, e->external, e->external, e->external);
		if (r >= 0 && e->external && (e->ext_peers || e->ext_master)) {
			const char *p = external_key(o, e->external);

			/* still in criu's namespace: the copy is a peer (or slave) of what p lies on */
			m->clone_fd[i] = (int)syscall(SYS_open_tree, AT_FDCWD, p, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
			if (m->clone_fd[i] < 0)
				r = pr_perror_ret("mount at %s (external, key %s): cannot copy %s", e->mountpoint,
						  e->external, p);
		}
	}
	if (r < 0) {
		mnt_restore_free(m);
		return r;
	}
	*ret = m;
	return 0;
}

int mnt_restore_build(struct mnt_restore *m, const struct cr_opts *o, struct img_dir *d)
{
	int r = 0;

	if (unshare(CLONE_NEWNS) < 0)
		return pr_perror_ret("cannot create a mount namespace");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return pr_perror_ret("cannot make the new mount namespace private");
	/* the new namespace's copy of our root: where the helper and the pivot start from */
	m->host_root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (m->host_root_fd < 0)
		return pr_perror_ret("cannot open /");
	/* the root must be a mount of its own to become the namespace's root */
	if (mount(m->root, m->root, NULL, MS_BIND | MS_REC, NULL) < 0)
		return pr_perror_ret("--root %s: cannot bind it onto itself", m->root);
	for (size_t i = 1; r == 0 && i < m->n; i++)
		if (!m->deferred[i])
			r = mount_one(m, o, d, i);
	if (r < 0)
		return r;
	m->built = true;
	/* files and tasks see the tree's paths from here on */
	if (chroot(m->root) < 0 || chdir("/") < 0)
		return pr_perror_ret("cannot chroot into --root %s", m->root);
	pr_info("%zu mounts made under %s\n", m->n - 1, m->root);
	return 0;
}

static int set_group(const MntEntry *from, const MntEntry *to)
{
	if (syscall(SYS_move_mount, AT_FDCWD, from->mountpoint, AT_FDCWD, to->mountpoint, MOVE_MOUNT_SET_GROUP) < 0)
		return pr_perror_ret("mount %u at %s: cannot join the propagation of mount %u at %s", to->id,
				     to->mountpoint, from->id, from->mountpoint);
	return 0;
}

static int set_propagation(const MntEntry *e, unsigned long flag, const char *what)
{
	if (mount(NULL, e->mountpoint, NULL, flag, NULL) < 0)
		return pr_perror_ret("mount %u at %s: cannot make it %s", e->id, e->mountpoint, what);
	return 0;
}

/*
 * After pivot_root, every mount at its own path: the peer groups and masters
 * of the dump. A group's leader becomes shared (and first a slave, if the
 * group had a master); the other members join it with MOVE_MOUNT_SET_GROUP.
 * A group waits until the group it is a slave of exists.
 */
static int restore_propagation(const struct mnt_restore *m)
{
	_cleanup_free_ bool *done = calloc(m->n, sizeof(bool));
	size_t left = 0, nr_groups = 0;
	int r;

	if (!done)
		return -ENOMEM;
	/* binds of a shared source came out shared: only what is set below is */
	for (size_t i = 1; i < m->n; i++)
		if (m->clone_fd[i] < 0) {
			r = set_propagation(m->v[i], MS_PRIVATE, "private");
			if (r < 0)
				return r;
		}
	for (size_t i = 0; i < m->n; i++)
		left += !(done[i] = !m->v[i]->shared_id && !m->v[i]->master_id);
	while (left) {
		size_t before = left;

		for (size_t i = 0; i < m->n; i++) {
			const MntEntry *e = m->v[i];
			ssize_t l = e->shared_id ? group_leader(m->v, m->n, e->shared_id) : (ssize_t)i;

			if (l < 0)
				return pr_err_ret(-EBADMSG, "mnt.img: peer group %u has no member to rebuild it from",
						  e->shared_id);
			if (done[i] || l != (ssize_t)i)
				continue;
			if (e->master_id && !e->ext_master) {
				ssize_t ms = master_source(m->v, m->n, e->master_id, e);
				ssize_t ml = ms < 0 ? -1 : group_leader(m->v, m->n, e->master_id);

				if (ms < 0 || ml < 0)
					return pr_err_ret(-EBADMSG, "mnt.img: mount %u: no mount of its master group %u",
							  e->id, e->master_id);
				if (!done[ml])
					continue;
				r = set_group(m->v[ms], e);
				if (r == 0)
					r = set_propagation(e, MS_SLAVE, "a slave");
				if (r < 0)
					return r;
			}
			/* an external copy is a peer of its source already, if that one was shared */
			if (e->shared_id) {
				r = set_propagation(e, MS_SHARED, "shared");
				if (r < 0)
					return r;
			}
			for (size_t k = 0; k < m->n; k++) {
				if (k == i || !e->shared_id || m->v[k]->shared_id != e->shared_id)
					continue;
				r = set_group(e, m->v[k]);
				if (r < 0)
					return r;
				done[k] = true;
				left--;
			}
			done[i] = true;
			left--;
			nr_groups++;
		}
		if (left == before)
			return pr_err_ret(-EBADMSG, "mnt.img: the mounts' masters form a loop");
	}
	if (nr_groups)
		pr_info("%zu peer groups and slaves set up\n", nr_groups);
	return 0;
}

static int back_to_host_root(const struct mnt_restore *m)
{
	if (fchdir(m->host_root_fd) < 0 || chroot(".") < 0)
		return pr_perror_ret("cannot go back to the host's root");
	return 0;
}

int mnt_restore_finish(struct mnt_restore *m, const struct cr_opts *o, struct img_dir *d)
{
	size_t nr_deferred = 0;
	int r;

	if (!m || !m->built)
		return 0;
	for (size_t i = 1; i < m->n; i++)
		nr_deferred += m->deferred[i];
	if (nr_deferred) {
		/* born in the tree's pid namespace (criu's children are): proc shows the tree's pids */
		pid_t parent = getpid(), pid = fork();

		if (pid < 0)
			return pr_perror_ret("cannot fork the mount helper");
		if (pid == 0) {
			guard_die_with(parent);
			r = back_to_host_root(m);
			for (size_t i = 1; r == 0 && i < m->n; i++)
				if (m->deferred[i])
					r = mount_one(m, o, d, i);
			_exit(r < 0 ? 1 : 0);
		}
		r = wait_ok(pid, "the mount helper (proc and what is under it)");
		if (r < 0)
			return r;
	}
	r = back_to_host_root(m);
	if (r == 0 && chdir(m->root) < 0)
		r = pr_perror_ret("cannot enter --root %s", m->root);
	if (r == 0 && syscall(SYS_pivot_root, ".", ".") < 0)
		r = pr_perror_ret("pivot_root into %s", m->root);
	if (r == 0 && umount2(".", MNT_DETACH) < 0)
		r = pr_perror_ret("cannot detach the old root after pivot_root");
	if (r == 0 && chdir("/") < 0)
		r = -errno;
	if (r == 0 && (m->v[0]->flags & ~(uint32_t)MS_RELATIME))
		r = remount_flags("/", m->v[0]->flags, m->v[0]);
	if (r == 0)
		r = restore_propagation(m);
	if (r == 0)
		pr_info("the tree's root is %s (pivot_root), %zu mounts made in its pid namespace\n", m->root,
			nr_deferred);
	return r;
}

void mnt_restore_free(struct mnt_restore *m)
{
	if (!m)
		return;
	for (size_t i = 0; m->clone_fd && i < m->n; i++)
		if (m->clone_fd[i] >= 0)
			close(m->clone_fd[i]);
	free(m->clone_fd);
	mnt_entries_free(m->v, m->n);
	free(m->deferred);
	free(m->root);
	if (m->host_root_fd >= 0)
		close(m->host_root_fd);
	free(m);
}
