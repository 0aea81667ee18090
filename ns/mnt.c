/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mnt namespace: the tree's mounts, from /proc/PID/mountinfo of a task of
 * each of the tree's mount namespaces (the root task's is number 0; a task
 * that unshared its own gives another, mnt-tasks.img says whose).
 *
 * Dump: the root mount of namespace 0 is the one the restore gets as
 * --root. Every other mount (the root of another namespace too) is, in this
 * order of preference:
 *  - external: --external mnt[MOUNTPOINT]:KEY (or --ext-mount-map
 *    MOUNTPOINT:KEY), a mount of namespace 0; the restore binds the path it
 *    maps KEY to;
 *  - a bind: it shows part of a filesystem an earlier mount of the tree
 *    already shows (runc's read-only /proc/sys, masked paths, the copies a
 *    namespace made by unshare has of its parent's mounts);
 *  - a new mount of its filesystem type (proc, sysfs, devpts, mqueue,
 *    tmpfs, cgroup2 ...), with the files of a tmpfs in tmpfs-ID.img (tar);
 *    binfmt_misc of criu's user namespace (the instance every process there
 *    shares);
 *  - one a plugin takes (DUMP_EXT_MOUNT; it makes it at restore);
 *  - with --ext-mount-map auto, external, from where criu's own namespace
 *    shows its root;
 *  - anything else is refused by name.
 * Propagation (shared:N, master:N, unbindable) is kept, across namespaces.
 * A mount another covers at dump comes before it (order_covered_first).
 *
 * Restore (criu, after the other namespaces exist, before it opens files):
 * unshare a mount namespace, build the mounts under --root; each other
 * namespace is a private copy of it whose --root is covered by its own
 * mounts; criu chroots into namespace 0's. A bind is a copy (open_tree) of
 * its root found on a mount of its filesystem alone, attached on its parent
 * mount, even one covered by then. proc mounts and what lies under or is
 * bound from them wait until the tree exists: they are made by a helper
 * born in the tree's pid namespace, so that proc shows its pids. So do
 * binds of a pty (runc's /dev/console), which exists once criu has opened
 * the files; a pty of the tree's devpts that no task holds (LXC's unused
 * ttys) is made for its bind and hangs up after it, as its master is gone.
 * Then --root becomes each namespace's root (pivot_root), the old one goes,
 * and the propagation is set through the fds of the mounts as they were
 * made (mount_setattr, MOVE_MOUNT_SET_GROUP). Each task enters its
 * namespace as it is forked; files resolve in the root of the namespace of
 * the mount they were on.
 *
 * The mountpoints and bind sources of mnt.img are resolved inside --root
 * (openat2 RESOLVE_IN_ROOT from its fd, or on one mount with
 * RESOLVE_NO_XDEV): a symlink of the root's own files, absolute or with
 * "..", never puts a mount, or a directory made for one, outside it.
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
#include "mnt_priv.h"
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
	/* one space between fields: a source can be empty (mount("", dir, "tmpfs", ...)) */
	p = sep + 3;
	p[strcspn(p, "\n")] = 0;
	for (n = 6; p && n < 9;)
		f[n++] = strsep(&p, " ");
	if (n < 9 || sscanf(f[0], "%u", &id) != 1 || sscanf(f[1], "%u", &parent) != 1 ||
	    sscanf(f[2], "%u:%u", &maj, &min) != 2)
		return -EBADMSG;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	mnt_entry__init(e);
	e->has_shared_id = shared != 0;
	e->shared_id = shared;
	e->has_master_id = master != 0;
	e->master_id = master;
	e->has_unbindable = e->unbindable = unbindable;
	unescape(f[3]);
	unescape(f[4]);
	unescape(f[7]);
	e->id = id;
	e->parent_id = parent;
	e->dev = (uint32_t)makedev(maj, min);
	/* a bind of a removed directory or file: "ROOT//deleted" */
	if (strlen(f[3]) > 9 && !strcmp(f[3] + strlen(f[3]) - 9, "//deleted")) {
		f[3][strlen(f[3]) - 9] = 0;
		e->has_root_deleted = e->root_deleted = true;
	}
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
		if (r < 0)
			break;
		if (skip_unbindable && v[n]->unbindable) {
			mnt_entry__free_unpacked(v[n], NULL);
			continue;
		}
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
const char *mnt_external_key(const struct cr_opts *o, const char *mountpoint)
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

/*
 * --external mnt[] (or mnt[]:FLAGS) is --ext-mount-map auto; FLAG "s" adds
 * --enable-external-sharing ("m", --enable-external-masters, is what every
 * external mount gets). NULL if it is not given.
 */
static const char *auto_external_flags(const struct cr_opts *o)
{
	for (size_t i = 0; i < o->external.n; i++) {
		const char *e = o->external.v[i];

		if (!strcmp(e, "mnt[]"))
			return "";
		if (!strncmp(e, "mnt[]:", 6))
			return e + 6;
	}
	return o->auto_ext_mnt ? "" : NULL;
}

bool mnt_auto_external(const struct cr_opts *o)
{
	return auto_external_flags(o) != NULL;
}

static bool ext_sharing(const struct cr_opts *o)
{
	const char *f = auto_external_flags(o);

	return o->ext_sharing || (f && strchr(f, 's'));
}


/* Whether path is base or under it. */
bool mnt_path_under(const char *path, const char *base)
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
		if (v[k]->dev == v[i]->dev && mnt_path_under(v[i]->root, v[k]->root))
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
ssize_t mnt_group_leader(MntEntry *const *v, size_t n, uint32_t group)
{
	bool outside = false;

	for (size_t i = 0; i < n; i++)
		outside |= v[i]->shared_id == group && v[i]->ext_peers;
	for (size_t i = 0; i < n; i++) {
		bool covers = v[i]->shared_id == group && (!outside || v[i]->ext_peers);

		for (size_t k = 0; covers && k < n; k++)
			if (v[k]->shared_id == group)
				covers = v[k]->dev == v[i]->dev && mnt_path_under(v[k]->root, v[i]->root);
		if (covers)
			return (ssize_t)i;
	}
	return -1;
}

/* A member of group whose root holds e's root (what e is made a slave of); -1 if none. */
ssize_t mnt_master_source(MntEntry *const *v, size_t n, uint32_t group, const MntEntry *e)
{
	for (size_t i = 0; i < n; i++)
		if (v[i]->shared_id == group && v[i]->dev == e->dev && mnt_path_under(e->root, v[i]->root))
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
int mnt_read_mountinfo(const char *path, bool skip_unbindable, MntEntry ***ret, size_t *ret_n)
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
	if (r < 0)
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
	int r = mnt_read_mountinfo("/proc/self/mountinfo", true, &v, &n);

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
 * Which mounts the restore makes once the tree exists (mnt_restore_prepare's
 * deferred ones: proc, what is under or bound from it, binds of a pty),
 * from the mount helper; NULL if out of memory.
 */
static bool *made_late(MntEntry *const *v, size_t n)
{
	bool *late = calloc(n + 1, sizeof(bool));

	for (size_t i = 1; late && i < n; i++) {
		const MntEntry *e = v[i];

		for (size_t k = 0; k < i; k++) {
			bool src = e->has_bind_of && v[k]->id == e->bind_of;

			late[i] |= (v[k]->id == e->parent_id || src) && late[k];
			late[i] |= src && !strcmp(v[k]->fstype, "devpts") && strcmp(e->root, v[k]->root);
		}
		late[i] |= !e->external && !e->has_bind_of && !strcmp(e->fstype, "proc");
	}
	return late;
}

/*
 * Which propagation the restore can rebuild: peer groups and masters inside
 * the tree; an external mount's peers outside the tree with
 * --enable-external-sharing, its master outside with --enable-external-masters.
 */
static int check_propagation(pid_t pid, const struct cr_opts *o, MntEntry **v, size_t n)
{
	_cleanup_free_ uint32_t *outside = NULL;
	_cleanup_free_ bool *late = made_late(v, n);
	size_t nr_outside = 0;
	int r = late ? own_groups(&outside, &nr_outside) : -ENOMEM;

	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		MntEntry *e = v[i];
		bool reaches_out = false, master_inside = false;

		for (size_t k = 0; e->shared_id && k < nr_outside; k++)
			reaches_out |= outside[k] == e->shared_id;
		for (size_t k = 0; e->master_id && k < n; k++)
			master_inside |= v[k]->shared_id == e->master_id;
		if (reaches_out && !(e->external && ext_sharing(o)))
			return pr_err_ret(-EOPNOTSUPP,
					  "pid %d: not supported yet: mount %u at %s shares peer group %u with mounts "
					  "outside the tree%s",
					  pid, e->id, e->mountpoint, e->shared_id,
					  e->external ? " (--enable-external-sharing allows it for this external mount)"
						      : "; only an external mount may (--enable-external-sharing)");
		/* an external one is made a slave of its source's peers at restore (or the restore fails) */
		if (e->master_id && !master_inside && !e->external)
			return pr_err_ret(-EOPNOTSUPP,
					  "pid %d: not supported yet: mount %u at %s is a slave of peer group %u outside "
					  "the tree; only an external mount may be (--external mnt[%s]:KEY)",
					  pid, e->id, e->mountpoint, e->master_id, e->mountpoint);
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

		if (!e->shared_id && !e->master_id && !e->unbindable)
			continue;
		/* one the mount helper makes is reached by its mountpoint: nothing may hide it */
		for (size_t k = 0; late[i] && k < n; k++)
			if (k != i && v[k]->ns == e->ns && mnt_path_under(e->mountpoint, v[k]->mountpoint) &&
			    !is_ancestor(v, n, v[k], e))
				return pr_err_ret(-EOPNOTSUPP,
						  "pid %d: not supported yet: mount %u at %s is shared, a slave or "
						  "unbindable and mount %u at %s hides it",
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
		l = mnt_group_leader(v, n, e->shared_id);
		if (l < 0)
			return pr_err_ret(-EOPNOTSUPP,
					  "pid %d: not supported yet: peer group %u (mount %u at %s...): no member shows "
					  "the whole of what the others show",
					  pid, e->shared_id, e->id, e->mountpoint);
		if (v[l]->master_id != e->master_id)
			return pr_err_ret(-EBADMSG, "pid %d: mounts %u and %u are peers with different masters", pid,
					  v[l]->id, e->id);
		if (e->master_id && !e->ext_master && mnt_master_source(v, n, e->master_id, v[l]) < 0)
			return pr_err_ret(-EOPNOTSUPP,
					  "pid %d: not supported yet: mount %u at %s is a slave of group %u, none of "
					  "whose mounts shows its root %s",
					  pid, v[l]->id, v[l]->mountpoint, e->master_id, v[l]->root);
	}
	for (size_t i = 0; i < n; i++)
		if (v[i]->master_id && !v[i]->shared_id && !v[i]->ext_master &&
		    mnt_master_source(v, n, v[i]->master_id, v[i]) < 0)
			return pr_err_ret(-EOPNOTSUPP,
					  "pid %d: not supported yet: mount %u at %s is a slave of group %u, none of whose "
					  "mounts shows its root %s",
					  pid, v[i]->id, v[i]->mountpoint, v[i]->master_id, v[i]->root);
	return 0;
}

/*
 * Runs argv in directory cwd with stdout (out_fd >= 0) or stdin (in_fd >= 0)
 * on a pipe end; returns its pid. cwd is entered here, not named to tar (-C),
 * which would undo backslash escapes in it.
 */
pid_t mnt_spawn(char *const argv[], const char *cwd, int in_fd, int out_fd)
{
	pid_t parent = getpid(), pid = fork();

	if (pid != 0)
		return pid < 0 ? -errno : pid;
	guard_die_with(parent);
	if (chdir(cwd) < 0)
		_exit(127);
	if (in_fd >= 0 && dup2(in_fd, STDIN_FILENO) < 0)
		_exit(127);
	if (out_fd >= 0 && dup2(out_fd, STDOUT_FILENO) < 0)
		_exit(127);
	execvp(argv[0], argv);
	_exit(127);
}

int mnt_wait_ok(pid_t pid, const char *what)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return pr_perror_ret("%s: waitpid", what);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		return pr_err_ret(-EIO, "%s failed (status %#x)", what, st);
	return 0;
}


/*
 * The files of tmpfs mount e into tmpfs-ID.img: all of them, those under
 * mounts on its directories and a mount over it too.
 */
static int dump_tmpfs(pid_t pid, MntEntry *const *v, size_t n, const MntEntry *e, struct img_dir *d)
{
	char dir[PATH_MAX + 32], what[PATH_MAX + 64];
	char *argv[] = { "tar", "--create", "--one-file-system", "--numeric-owner", "--sparse", TMPFS_TAR_XATTRS,
			 "-f", "-", ".", NULL };
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
	/* tar works in the clone: mnt_spawn enters it (through the fd it inherits) before the exec */
	if (pipe2(p, O_CLOEXEC) < 0) {
		r = pr_perror_ret("%s: pipe", what);
		close(fd);
		return r;
	}
	tar = mnt_spawn(argv, dir, -1, p[1]);
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
	if (mnt_wait_ok(tar, what) < 0 && r >= 0)
		r = -EIO;
	if (r >= 0)
		pr_info("tmpfs %s: %zu bytes of files\n", e->mountpoint, total);
	return img_finish(w, r);
}

/*
 * --ext-mount-map auto: the path in criu's own mount namespace that shows e's
 * root (a mount of the same filesystem whose root holds it), into
 * e->ext_auto_path; the restore binds it. -ENOENT if there is none.
 */
static int auto_source(MntEntry *e)
{
	MntEntry **v = NULL;
	size_t n = 0;
	int r = mnt_read_mountinfo("/proc/self/mountinfo", false, &v, &n);

	if (r < 0)
		return r;
	r = -ENOENT;
	for (size_t i = 0; i < n && r == -ENOENT; i++) {
		const char *rel;

		if (v[i]->dev != e->dev || !mnt_path_under(e->root, v[i]->root))
			continue;
		rel = e->root + (strcmp(v[i]->root, "/") ? strlen(v[i]->root) : 0);
		if (asprintf(&e->ext_auto_path, "%s%s", strcmp(v[i]->mountpoint, "/") || !*rel ? v[i]->mountpoint : "",
			     rel) < 0)
			r = -ENOMEM;
		else
			r = 0;
	}
	mnt_entries_free(v, n);
	return r;
}

/*
 * Whether pid is in criu's user namespace: a binfmt_misc mount of it then
 * shows the instance every process there shares (its registrations are not
 * the tree's; a new mount at restore shows them again). 1, 0 or -errno.
 */
static int binfmt_misc_is_hosts(pid_t pid)
{
	char path[64];
	struct stat a, b;

	snprintf(path, sizeof(path), "/proc/%d/ns/user", pid);
	if (stat(path, &a) < 0 || stat("/proc/self/ns/user", &b) < 0)
		return -errno;
	return a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

#define DELETED_ROOT_MAX (1u << 20)

/*
 * A bind of a removed directory or file: its mode, owner and (a file) its
 * contents, read through the mount itself, for the restore to make it again
 * for the bind and remove it after.
 */
static int dump_deleted_root(pid_t pid, MntEntry *e)
{
	char path[PATH_MAX + 32];
	_cleanup_close_ int fd = -EBADF;
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/root%s", pid, e->mountpoint);
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		return pr_perror_ret("pid %d: mount %u at %s: cannot open it", pid, e->id, e->mountpoint);
	/* a set-ID file made from an image is not made: the restore refuses one */
	if (st.st_dev != e->dev || st.st_nlink != 0 || (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) ||
	    (S_ISREG(st.st_mode) && st.st_size > (off_t)DELETED_ROOT_MAX) || (st.st_mode & (S_ISUID | S_ISGID)))
		return pr_err_ret(-EOPNOTSUPP,
				  "pid %d: not supported yet: mount %u at %s shows %s, removed: a directory or a file "
				  "of at most %u bytes, not set-ID, not covered by another mount, can be made again",
				  pid, e->id, e->mountpoint, e->root, DELETED_ROOT_MAX);
	e->has_root_mode = e->has_root_uid = e->has_root_gid = true;
	e->root_mode = st.st_mode;
	e->root_uid = st.st_uid;
	e->root_gid = st.st_gid;
	if (S_ISREG(st.st_mode) && st.st_size) {
		ssize_t n;

		e->root_data.data = malloc((size_t)st.st_size);
		if (!e->root_data.data)
			return -ENOMEM;
		n = pread(fd, e->root_data.data, (size_t)st.st_size, 0);
		if (n != st.st_size)
			return pr_err_ret(n < 0 ? -errno : -EIO, "pid %d: mount %u at %s: cannot read the removed %s",
					  pid, e->id, e->mountpoint, e->root);
		e->root_data.len = (size_t)n;
		e->has_root_data = true;
	}
	return 0;
}

/* binfmt_misc: the kernel keeps one instance per user namespace; the tree's own would be its state. */
static int classify_binfmt_misc(pid_t pid, const MntEntry *e)
{
	int r = binfmt_misc_is_hosts(pid);

	if (r < 0)
		return pr_err_ret(r, "pid %d: cannot compare its user namespace with criu's", pid);
	if (!r)
		return pr_err_ret(-EOPNOTSUPP,
				  "pid %d: not supported yet: binfmt_misc at %s of the tree's own user namespace (its "
				  "entries are not dumped)",
				  pid, e->mountpoint);
	pr_info("mount %u at %s: binfmt_misc of criu's user namespace (its entries are not the tree's)\n", e->id,
		e->mountpoint);
	return 0;
}

static int classify(pid_t pid, const struct cr_opts *o, MntEntry **v, size_t n, size_t i, struct img_dir *d)
{
	MntEntry *e = v[i];
	const MntEntry *src;
	/* a MOUNTPOINT names a mount of the root task's namespace; others' copies of it are binds of it */
	const char *key = e->ns ? NULL : mnt_external_key(o, e->mountpoint);
	int r;

	if (key) {
		e->external = strdup(key);
		pr_info("mount %u at %s (%s): external, key %s\n", e->id, e->mountpoint, e->fstype, key);
		return e->external ? 0 : -ENOMEM;
	}
	src = bind_source(v, i);
	if (e->root_deleted) {
		if (!src)
			return pr_err_ret(-EOPNOTSUPP,
					  "pid %d: not supported yet: mount %u at %s shows %s, removed, of a filesystem "
					  "no other mount of the tree shows",
					  pid, e->id, e->mountpoint, e->root);
		r = dump_deleted_root(pid, e);
		if (r < 0)
			return r;
		e->has_bind_of = true;
		e->bind_of = src->id;
		pr_info("mount %u at %s: a bind of %s (removed) of mount %u at %s\n", e->id, e->mountpoint, e->root,
			src->id, src->mountpoint);
		return 0;
	}
	if (src && src != v[0]) {
		e->has_bind_of = true;
		e->bind_of = src->id;
		pr_info("mount %u at %s (%s %s): bound from mount %u at %s\n", e->id, e->mountpoint, e->fstype,
			e->root, src->id, src->mountpoint);
		return 0;
	}
	if (!strcmp(e->fstype, "binfmt_misc") && !strcmp(e->root, "/"))
		return classify_binfmt_misc(pid, e);
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
	if (mnt_auto_external(o)) {
		r = auto_source(e);
		if (r < 0 && r != -ENOENT)
			return pr_err_ret(r, "pid %d: mount %u at %s: cannot read criu's own mounts", pid, e->id,
					  e->mountpoint);
		if (r == -ENOENT)
			return pr_err_ret(-EOPNOTSUPP,
					  "pid %d: not supported yet: mount %u at %s (%s %s, root %s) comes from "
					  "outside the tree's mounts and no mount of criu's namespace shows its root "
					  "(--ext-mount-map auto); --external mnt[%s]:KEY marks it external",
					  pid, e->id, e->mountpoint, e->fstype, e->source, e->root, e->mountpoint);
		e->external = strdup(e->mountpoint);
		pr_info("mount %u at %s (%s %s): external (--ext-mount-map auto), from %s\n", e->id, e->mountpoint,
			e->fstype, e->root, e->ext_auto_path);
		return e->external ? 0 : -ENOMEM;
	}
	return pr_err_ret(-EOPNOTSUPP,
			  "pid %d: not supported yet: mount %u at %s (%s %s, root %s) comes from outside the tree's "
			  "mounts; --external mnt[%s]:KEY (or --ext-mount-map %s:KEY) marks it external",
			  pid, e->id, e->mountpoint, e->fstype, e->source, e->root, e->mountpoint, e->mountpoint);
}

/* Whether a must be made before b: its parent, or covered by b (under b's mountpoint, not b's child). */
static bool made_before(MntEntry *const *v, size_t n, const MntEntry *a, const MntEntry *b)
{
	if (a->id == b->parent_id)
		return true;
	return strcmp(a->mountpoint, b->mountpoint) && mnt_path_under(a->mountpoint, b->mountpoint) &&
	       !is_ancestor(v, n, b, a);
}

/*
 * The order the restore makes one namespace's mounts in (parents first, as
 * order_tree): a mount that another covers at dump (one moved over its
 * parent, a copy propagated under a bind) before that one, so that it is
 * made where its path still leads to its parent. Stable otherwise.
 */
static int order_covered_first(MntEntry **v, size_t n)
{
	_cleanup_free_ MntEntry **out = calloc(n + 1, sizeof(*out));
	_cleanup_free_ bool *placed = calloc(n + 1, sizeof(bool));
	size_t done = 0;

	if (!out || !placed)
		return -ENOMEM;
	while (done < n) {
		size_t pick = n;

		for (size_t i = 0; i < n && pick == n; i++) {
			bool ready = !placed[i];

			for (size_t k = 0; ready && k < n; k++)
				ready = k == i || placed[k] || !made_before(v, n, v[k], v[i]);
			if (ready)
				pick = i;
		}
		if (pick == n)
			return 0; /* no such order: the tree order stays */
		placed[pick] = true;
		out[done++] = v[pick];
	}
	memcpy(v, out, n * sizeof(*v));
	return 0;
}

/* The mount namespaces of the tree's live tasks, the root task's first; for each a task in it. */
struct mnt_nses {
	uint64_t *ino;
	pid_t *pid;
	size_t n;
	MntNsTask *tasks; /* the tasks outside the root's namespace */
	size_t nr_tasks;
};

static void mnt_nses_free(struct mnt_nses *s)
{
	free(s->ino);
	free(s->pid);
	free(s->tasks);
}

/*
 * Whether pid's root is the root of its mount namespace: a chrooted task's
 * mountinfo shows only what lies under its root, as if it were all. 1, 0 or
 * -errno.
 */
static int at_ns_root(pid_t pid)
{
	char path[64];
	_cleanup_close_ int root = -EBADF, ns = -EBADF;
	struct statx a;
	pid_t parent = getpid(), c;
	int st;

	snprintf(path, sizeof(path), "/proc/%d/root", pid);
	root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", pid);
	ns = open(path, O_RDONLY | O_CLOEXEC);
	if (root < 0 || ns < 0 || statx(root, "", AT_EMPTY_PATH, STATX_INO | STATX_MNT_ID, &a) < 0)
		return -errno;
	c = fork();
	if (c < 0)
		return -errno;
	if (c == 0) {
		struct statx b;

		guard_die_with(parent);
		/* there, the root is the namespace's */
		if (setns(ns, CLONE_NEWNS) < 0 || statx(AT_FDCWD, "/", 0, STATX_INO | STATX_MNT_ID, &b) < 0)
			_exit(2);
		_exit(a.stx_mnt_id == b.stx_mnt_id && a.stx_ino == b.stx_ino ? 0 : 1);
	}
	while (waitpid(c, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(st) || WEXITSTATUS(st) > 1)
		return -EIO;
	return WEXITSTATUS(st) == 0;
}

/* For each namespace, a task at its root, whose mountinfo shows all of it; refused if there is none. */
static int pick_ns_tasks(const struct pstree *t, struct mnt_nses *s)
{
	for (size_t k = 0; k < s->n; k++) {
		int r = 0;

		for (size_t i = 0; i < t->n && r == 0; i++) {
			const struct pstree_item *it = t->items[i];
			char path[64];
			struct stat st;

			snprintf(path, sizeof(path), "/proc/%d/ns/mnt", it->pid);
			if (it->state == PST_ZOMBIE || stat(path, &st) < 0 || st.st_ino != s->ino[k])
				continue;
			r = at_ns_root(it->pid);
			if (r < 0)
				return pr_err_ret(r, "pid %d: cannot compare its root with its mount namespace's", it->pid);
			if (r)
				s->pid[k] = it->pid;
		}
		if (!r)
			return pr_err_ret(-EOPNOTSUPP,
					  "pid %d: not supported yet: no task of mount namespace %" PRIu64 " has its root "
					  "at the namespace's root (chroot): the mounts outside it are not seen",
					  s->pid[k], s->ino[k]);
	}
	return 0;
}

static int collect_nses(const struct pstree *t, struct mnt_nses *s)
{
	s->ino = calloc(t->n + 1, sizeof(*s->ino));
	s->pid = calloc(t->n + 1, sizeof(*s->pid));
	s->tasks = calloc(t->n + 1, sizeof(*s->tasks));
	if (!s->ino || !s->pid || !s->tasks)
		return -ENOMEM;
	for (size_t i = 0; i < t->n; i++) {
		const struct pstree_item *it = i ? t->items[i] : t->root;
		char path[64];
		struct stat st;
		size_t k;

		if (it->state == PST_ZOMBIE || (i && it == t->root))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/mnt", it->pid);
		if (stat(path, &st) < 0)
			return pr_perror_ret("pid %d: cannot read its mount namespace (%s)", it->pid, path);
		for (k = 0; k < s->n && s->ino[k] != st.st_ino; k++)
			;
		if (k == s->n) {
			s->ino[k] = st.st_ino;
			s->pid[k] = it->pid;
			s->n++;
			if (k)
				pr_info("pid %d: in mount namespace %" PRIu64 " (number %zu of the tree's)\n", it->pid,
					(uint64_t)st.st_ino, k);
		}
		if (k) {
			mnt_ns_task__init(&s->tasks[s->nr_tasks]);
			s->tasks[s->nr_tasks].task_id = it->id;
			s->tasks[s->nr_tasks++].ns = (uint32_t)k;
		}
	}
	return 0;
}

/* Appends the mounts of namespace k (its root first, parents before children) to *v. */
static int read_ns_mounts(const struct mnt_nses *s, size_t k, MntEntry ***v, size_t *n)
{
	char path[64];
	MntEntry **nv = NULL, **all;
	size_t nn = 0;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/mountinfo", s->pid[k]);
	r = mnt_read_mountinfo(path, false, &nv, &nn);
	if (r < 0)
		return r;
	r = order_tree(nv, nn);
	if (r == 0)
		r = order_covered_first(nv, nn);
	if (r < 0) {
		mnt_entries_free(nv, nn);
		return pr_err_ret(r, "pid %d: %s is not one tree under a root at /", s->pid[k], path);
	}
	all = realloc(*v, (*n + nn) * sizeof(*all));
	if (!all) {
		mnt_entries_free(nv, nn);
		return -ENOMEM;
	}
	for (size_t i = 0; i < nn; i++) {
		nv[i]->has_ns = k != 0;
		nv[i]->ns = (uint32_t)k;
		all[*n + i] = nv[i];
	}
	free(nv);
	*v = all;
	*n += nn;
	return 0;
}

static int write_ns_tasks(const struct mnt_nses *s, struct img_dir *d)
{
	struct img_writer *w = NULL;
	int r;

	if (s->n < 2)
		return 0;
	r = img_create(d, IMG_MNTNS_TASKS, 0, &w);
	for (size_t i = 0; r >= 0 && i < s->nr_tasks; i++)
		r = img_write_msg(w, &s->tasks[i].base);
	return img_finish(w, r);
}

int mnt_ns_dump(const struct pstree *t, const struct cr_opts *o, struct img_dir *d)
{
	struct mnt_nses s = { 0 };
	MntEntry **v = NULL;
	struct img_writer *w = NULL;
	size_t n = 0;
	int r = collect_nses(t, &s);

	if (r >= 0)
		r = pick_ns_tasks(t, &s);
	for (size_t k = 0; r >= 0 && k < s.n; k++)
		r = read_ns_mounts(&s, k, &v, &n);
	/* the root of another namespace is classified too: it is made like any other mount */
	for (size_t i = 1; r >= 0 && i < n; i++)
		r = classify(s.pid[v[i]->ns], o, v, n, i, d);
	if (r >= 0)
		r = check_propagation(t->root->pid, o, v, n);
	if (r >= 0)
		r = img_create(d, IMG_MNTNS, 0, &w);
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = img_write_msg(w, &v[i]->base);
	r = img_finish(w, r);
	if (r >= 0)
		r = write_ns_tasks(&s, d);
	if (r >= 0)
		pr_info("%zu mounts in %zu mount namespaces; the root (%s %s) comes from --root at restore\n", n, s.n,
			v[0]->fstype, v[0]->root);
	mnt_entries_free(v, n);
	mnt_nses_free(&s);
	return r;
}

/* The per-mount flags a dump records (mnt_flags); anything else (MS_BIND, MS_MOVE, ...) is hostile. */
uint32_t mnt_dumped_flags_mask(void)
{
	uint32_t mask = 0;

	for (size_t i = 0; i < sizeof(mnt_flags) / sizeof(mnt_flags[0]); i++)
		mask |= (uint32_t)mnt_flags[i].flag;
	return mask;
}

