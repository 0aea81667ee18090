/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Walking the tree on dump, and tree.img. */
#define LOG_PREFIX "tree: "
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/kcmp.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "guard.h"
#include "images/tree.pb-c.h"
#include "log.h"
#include "pstree.h"

static int read_small_file(const char *path, char *buf, size_t size, size_t *ret_len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	if (ret_len)
		*ret_len = (size_t)n;
	return 0;
}

int proc_read_stat(pid_t pid, struct proc_stat *st)
{
	char path[64], buf[2048], *open_paren, *close_paren;
	unsigned long flags;
	int exit_code = 0, r;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	r = read_small_file(path, buf, sizeof(buf), NULL);
	if (r < 0)
		return pr_err_ret(r, "pid %d: cannot read %s", pid, path);
	/* comm may hold spaces and parentheses: it ends at the last ')' */
	open_paren = strchr(buf, '(');
	close_paren = strrchr(buf, ')');
	if (!open_paren || !close_paren || close_paren < open_paren)
		return pr_err_ret(-EBADMSG, "pid %d: cannot parse %s", pid, path);
	memset(st, 0, sizeof(*st));
	snprintf(st->comm, sizeof(st->comm), "%.*s", (int)(close_paren - open_paren - 1), open_paren + 1);
	/* fields 3..9, then exit_code is field 52 */
	if (sscanf(close_paren + 2, "%c %d %d %d %*d %*d %lu", &st->state, &st->ppid, &st->pgid, &st->sid,
		   &flags) != 5)
		return pr_err_ret(-EBADMSG, "pid %d: cannot parse %s", pid, path);
	st->flags = (unsigned int)flags;
	{
		const char *p = close_paren + 2;

		for (int field = 3; field < 52 && p; field++) {
			p = strchr(p, ' ');
			if (p)
				p++;
		}
		if (p && sscanf(p, "%d", &exit_code) == 1)
			st->exit_code = exit_code;
	}
	return 0;
}

/* The last number of a /proc/PID/status line "KEY: a b c" (the innermost pid namespace's). */
static int last_number(const char *line, pid_t *ret)
{
	long v = -1;

	for (const char *p = strchr(line, ':'); p && *++p;) {
		char *e;
		long x = strtol(p, &e, 10);

		if (e == p)
			break;
		v = x;
		p = e - 1;
	}
	if (v < 0)
		return -EIO;
	*ret = (pid_t)v;
	return 0;
}

int proc_read_nsids(pid_t pid, pid_t *ret_vpid, pid_t *ret_pgid, pid_t *ret_sid)
{
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	char path[64];
	pid_t v = 0, g = 0, s = 0;
	int found = 0, r = 0;

	/* line by line: a long Groups line comes before these */
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (r == 0 && found < 3 && getline(&line, &cap, f) > 0) {
		pid_t *dst = !strncmp(line, "NSpid:", 6)    ? &v
			     : !strncmp(line, "NSpgid:", 7) ? &g
			     : !strncmp(line, "NSsid:", 6)  ? &s
							    : NULL;

		if (!dst)
			continue;
		r = last_number(line, dst);
		found++;
	}
	if (r < 0)
		return r;
	if (found < 3)
		return -ENOENT;
	*ret_vpid = v;
	if (ret_pgid)
		*ret_pgid = g;
	if (ret_sid)
		*ret_sid = s;
	return 0;
}

pid_t proc_ns_pid(pid_t pid)
{
	pid_t v;
	int r = proc_read_nsids(pid, &v, NULL, NULL);

	return r < 0 ? r : v;
}

pid_t proc_host_tid(pid_t pid, pid_t vtid)
{
	char path[64];
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	pid_t v;

	/* a tree in criu's pid namespace: the ids are the same, one read says so */
	snprintf(path, sizeof(path), "/proc/%d/task/%d", pid, vtid);
	if (access(path, F_OK) == 0 && proc_read_nsids(vtid, &v, NULL, NULL) == 0 && v == vtid)
		return vtid;
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		pid_t tid = atoi(de->d_name);

		if (tid > 0 && proc_read_nsids(tid, &v, NULL, NULL) == 0 && v == vtid)
			return tid;
	}
	return -ESRCH;
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return x < y ? -1 : x > y;
}

int proc_read_tids(pid_t pid, pid_t **ret, size_t *ret_n)
{
	char path[64];
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	pid_t *tids = NULL;
	size_t n = 0, cap = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return pr_perror_ret("pid %d: cannot list %s", pid, path);
	while ((de = readdir(d))) {
		pid_t tid = atoi(de->d_name);

		if (tid <= 0)
			continue;
		if (n == cap) {
			pid_t *nt = realloc(tids, (cap = cap ? cap * 2 : 16) * sizeof(*nt));

			if (!nt) {
				free(tids);
				return pr_err_ret(-ENOMEM, "pid %d: cannot list threads", pid);
			}
			tids = nt;
		}
		tids[n++] = tid;
	}
	qsort(tids, n, sizeof(*tids), cmp_pid);
	/* the leader first */
	for (size_t i = 0; i < n; i++)
		if (tids[i] == pid) {
			memmove(tids + 1, tids, i * sizeof(*tids));
			tids[0] = pid;
		}
	*ret = tids;
	*ret_n = n;
	return 0;
}

/* Appends the pids listed in /proc/PID/task/TID/children of every thread. */
static int read_children(pid_t pid, const pid_t *tids, size_t nr, pid_t **kids, size_t *nk)
{
	for (size_t t = 0; t < nr; t++) {
		char path[96], buf[8192], *p, *end;
		int r;

		snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, tids[t]);
		r = read_small_file(path, buf, sizeof(buf), NULL);
		if (r < 0)
			return pr_err_ret(r, "pid %d: cannot read %s", pid, path);
		for (p = buf;; p = end) {
			long c = strtol(p, &end, 10);
			pid_t *nk2;

			if (end == p)
				break;
			nk2 = realloc(*kids, (*nk + 1) * sizeof(**kids));
			if (!nk2)
				return -ENOMEM;
			*kids = nk2;
			(*kids)[(*nk)++] = (pid_t)c;
		}
	}
	return 0;
}

static struct pstree_item *tree_add(struct pstree *t, pid_t pid, struct pstree_item *parent, uint64_t id)
{
	struct pstree_item *it;

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct pstree_item **ni = realloc(t->items, cap * sizeof(*ni));

		if (!ni)
			return NULL;
		t->items = ni;
		t->cap = cap;
	}
	it = calloc(1, sizeof(*it));
	if (!it)
		return NULL;
	if (parent) {
		struct pstree_item **nc = realloc(parent->children, (parent->nr_children + 1) * sizeof(*nc));

		if (!nc) {
			free(it);
			return NULL;
		}
		parent->children = nc;
		parent->children[parent->nr_children++] = it;
	}
	it->pid = it->vpid = pid;
	it->id = id;
	it->parent = parent;
	t->items[t->n++] = it;
	return it;
}

static int collect_one(struct pstree *t, struct pstree_item *it, pstree_freeze_fn freeze, void *arg)
{
	struct proc_stat st;
	int r = proc_read_stat(it->pid, &st);

	(void)t;
	if (r < 0)
		return r;
	it->ppid = it->parent ? it->parent->pid : 0;
	it->pgid = st.pgid;
	it->sid = st.sid;
	snprintf(it->comm, sizeof(it->comm), "%s", st.comm);
	if (st.state != 'Z') {
		r = freeze(it->pid, arg, &it->tids, &it->nr_threads);
		if (r == 0) {
			/* the state as it was before we stopped it: proc_read_stat ran first */
			it->state = (st.state == 'T') ? PST_STOPPED : PST_RUNNING;
			return 0;
		}
		/* it may have exited while we froze it: its parent, frozen, keeps it a zombie */
		if (r != -ESRCH)
			return r;
		if (proc_read_stat(it->pid, &st) < 0 || st.state != 'Z')
			return pr_err_ret(r, "pid %d exited while the tree was being frozen", it->pid);
	}
	it->state = PST_ZOMBIE;
	it->exit_code = st.exit_code;
	it->tids = malloc(sizeof(pid_t));
	if (!it->tids)
		return -ENOMEM;
	it->tids[0] = it->pid;
	it->nr_threads = 1;
	return 0;
}

int pstree_collect(pid_t root, pstree_freeze_fn freeze, void *arg, uint64_t *next_id, struct pstree *ret)
{
	struct pstree t = { 0 };
	int r = 0;

	t.root = tree_add(&t, root, NULL, (*next_id)++);
	if (!t.root)
		return pr_err_ret(-ENOMEM, "pid %d: cannot build the tree", root);
	/* items[] grows while we walk it: breadth first, parents before children */
	for (size_t i = 0; i < t.n && r >= 0; i++) {
		struct pstree_item *it = t.items[i];
		_cleanup_free_ pid_t *kids = NULL;
		size_t nk = 0;

		r = collect_one(&t, it, freeze, arg);
		if (r < 0 || it->state == PST_ZOMBIE)
			continue;
		r = read_children(it->pid, it->tids, it->nr_threads, &kids, &nk);
		for (size_t k = 0; r >= 0 && k < nk; k++)
			if (guard_is_self(kids[k])) /* we dump our caller (a self-dump): not us, nor ours */
				pr_info("pid %d: its child %d is criu itself, left out of the tree\n", it->pid, kids[k]);
			else if (!tree_add(&t, kids[k], it, (*next_id)++))
				r = pr_err_ret(-ENOMEM, "pid %d: cannot build the tree", kids[k]);
	}
	*ret = t; /* even on failure: the caller unfreezes what was frozen */
	return r;
}

void pstree_free(struct pstree *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->items[i]->tids);
		free(t->items[i]->vtids);
		free(t->items[i]->children);
		free(t->items[i]);
	}
	free(t->items);
	memset(t, 0, sizeof(*t));
}

/* Whether pid is in criu's own pid namespace. */
static bool in_own_pidns(pid_t pid)
{
	char path[64];
	struct stat a, b;

	snprintf(path, sizeof(path), "/proc/%d/ns/pid", pid);
	return stat(path, &a) == 0 && stat("/proc/self/ns/pid", &b) == 0 && a.st_ino == b.st_ino &&
	       a.st_dev == b.st_dev;
}

int pstree_read_vpids(struct pstree *t)
{
	/*
	 * A tree in criu's pid namespace (the usual case) sees the ids criu
	 * read; a task in a nested namespace is refused later (ns_dump).
	 */
	bool same = t->n && in_own_pidns(t->root->pid);

	for (size_t i = 0; i < t->n; i++) {
		struct pstree_item *it = t->items[i];
		int r = same ? 0 : proc_read_nsids(it->pid, &it->vpid, &it->pgid, &it->sid);

		if (r < 0)
			return pr_err_ret(r, "pid %d: cannot read NSpid/NSpgid/NSsid in /proc/%d/status", it->pid,
					  it->pid);
		it->vtids = calloc(it->nr_threads, sizeof(pid_t));
		if (!it->vtids)
			return -ENOMEM;
		for (size_t k = 0; k < it->nr_threads; k++) {
			pid_t v = same			   ? it->tids[k]
				  : it->tids[k] == it->pid ? it->vpid
							   : proc_ns_pid(it->tids[k]);

			if (v <= 0)
				return pr_err_ret(v < 0 ? v : -EIO, "pid %d: thread %d: cannot read its NSpid", it->pid,
						  it->tids[k]);
			it->vtids[k] = v;
		}
		if (it->vpid != it->pid)
			pr_debug("pid %d is %d in the tree's pid namespace\n", it->pid, it->vpid);
	}
	for (size_t i = 0; i < t->n; i++)
		t->items[i]->ppid = t->items[i]->parent ? t->items[i]->parent->vpid : 0;
	return 0;
}

/* Whether two tasks (or threads) use one fd table; -errno if kcmp cannot tell. */
static int same_fd_table(pid_t a, pid_t b)
{
	long r = syscall(SYS_kcmp, a, b, KCMP_FILES, 0, 0);

	return r < 0 ? -errno : r == 0;
}

/* Every thread of it shares its leader's table: the restore makes threads so (CLONE_FILES). */
static int check_thread_tables(const struct pstree_item *it)
{
	for (size_t k = 1; k < it->nr_threads; k++) {
		int r = same_fd_table(it->pid, it->tids[k]);

		if (r < 0)
			return pr_err_ret(r, "pid %d: cannot compare the fd table of thread %d (kcmp)",
					  it->pid, it->tids[k]);
		if (!r)
			return pr_err_ret(-EOPNOTSUPP,
					  "pid %d: not supported yet: thread %d has an fd table of its own "
					  "(a thread cloned without CLONE_FILES)",
					  it->pid, it->tids[k]);
	}
	return 0;
}

/* The first live task before it in tree order that shares its table, or NULL. */
static int find_table_owner(const struct pstree *t, size_t i, struct pstree_item **ret)
{
	const struct pstree_item *it = t->items[i];

	*ret = NULL;
	for (size_t j = 0; j < i; j++) {
		struct pstree_item *o = t->items[j];
		int r;

		if (o->state == PST_ZOMBIE || o->files_id != o->id)
			continue;
		r = same_fd_table(o->pid, it->pid);
		if (r < 0)
			return pr_err_ret(r, "pid %d: cannot compare its fd table with pid %d's (kcmp)",
					  it->pid, o->pid);
		if (r) {
			*ret = o;
			return 0;
		}
	}
	return 0;
}

int pstree_collect_fd_tables(struct pstree *t)
{
	for (size_t i = 0; i < t->n; i++) {
		struct pstree_item *it = t->items[i], *owner;
		const struct pstree_item *p = it->parent;
		int r;

		it->files_id = it->id;
		if (it->state == PST_ZOMBIE)
			continue;
		r = check_thread_tables(it);
		if (r == 0)
			r = find_table_owner(t, i, &owner);
		if (r < 0)
			return r;
		if (!owner)
			continue;
		/* the kernel puts a child in a table only when a holder of it clones the child */
		if (!p || p->state == PST_ZOMBIE || p->files_id != owner->id)
			return pr_err_ret(
				-EOPNOTSUPP,
				"pid %d: not supported yet: it shares the fd table of pid %d, which its "
				"parent %d does not share (only a holder of a table can clone a child into "
				"it)",
				it->pid, owner->pid, p ? p->pid : 0);
		it->files_id = owner->id;
		pr_info("pid %d shares the fd table of pid %d\n", it->pid, owner->pid);
	}
	return 0;
}

bool pstree_shares_parent_files(const struct pstree_item *it)
{
	return it->parent && it->files_id && it->files_id != it->id && it->parent->files_id == it->files_id;
}

struct pstree_item *pstree_find(const struct pstree *t, pid_t vpid)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->items[i]->vpid == vpid)
			return t->items[i];
	return NULL;
}

int pstree_write(const struct pstree *t, struct img_dir *d)
{
	struct img_writer *w = NULL;
	int r = img_create(d, IMG_TREE, 0, &w);

	for (size_t i = 0; r >= 0 && i < t->n; i++) {
		const struct pstree_item *it = t->items[i];
		TreeEntry te = TREE_ENTRY__INIT;
		uint32_t tids[it->nr_threads ? it->nr_threads : 1];

		for (size_t k = 0; k < it->nr_threads; k++)
			tids[k] = (uint32_t)(it->vtids ? it->vtids[k] : it->tids[k]);
		te.id = it->id;
		te.pid = (uint32_t)it->vpid;
		te.ppid = (uint32_t)it->ppid;
		te.n_tids = it->nr_threads;
		te.tids = tids;
		r = img_write_msg(w, &te.base);
	}
	return img_finish(w, r);
}

static int tree_check_entry(const struct pstree *t, const TreeEntry *te, const char *name, size_t i)
{
	if (te->pid == 0 || te->pid > (1u << 22) || te->n_tids == 0 || te->tids[0] != te->pid ||
	    te->n_tids > 65536) {
		pr_err("%s: entry %zu (pid %u) is malformed\n", name, i + 1, te->pid);
		return -EBADMSG;
	}
	if (pstree_find(t, (pid_t)te->pid)) {
		pr_err("%s: pid %u listed twice\n", name, te->pid);
		return -EBADMSG;
	}
	if ((i == 0) != (te->ppid == 0) || (i > 0 && !pstree_find(t, (pid_t)te->ppid))) {
		pr_err("%s: pid %u has parent %u, which is not listed before it\n", name, te->pid, te->ppid);
		return -EBADMSG;
	}
	return 0;
}

static int tree_read_entry(struct pstree *t, const TreeEntry *te, const char *name, size_t i)
{
	struct pstree_item *it;
	int r = tree_check_entry(t, te, name, i);

	if (r < 0)
		return r;
	it = tree_add(t, (pid_t)te->pid, i ? pstree_find(t, (pid_t)te->ppid) : NULL, te->id);
	if (!it)
		return -ENOMEM;
	it->ppid = (pid_t)te->ppid;
	it->tids = calloc(te->n_tids, sizeof(pid_t));
	it->vtids = calloc(te->n_tids, sizeof(pid_t));
	if (!it->tids || !it->vtids)
		return -ENOMEM;
	for (size_t k = 0; k < te->n_tids; k++)
		it->tids[k] = it->vtids[k] = (pid_t)te->tids[k];
	it->nr_threads = te->n_tids;
	if (!t->root)
		t->root = it;
	return 0;
}

int pstree_read(struct img_dir *d, struct pstree *ret)
{
	struct pstree t = { 0 };
	struct img_reader *r = NULL;
	ProtobufCMessage *m;
	int n, err = img_open(d, IMG_TREE, 0, &r);

	if (err == -ENOENT)
		return pr_err_ret(err, "%s: the checkpoint has no process tree", img_dir_path(d));
	if (err < 0)
		return err;
	while ((n = img_read_msg(r, &tree_entry__descriptor, &m)) > 0) {
		err = tree_read_entry(&t, (TreeEntry *)m, img_reader_name(r), t.n);
		protobuf_c_message_free_unpacked(m, NULL);
		if (err < 0)
			break;
	}
	if (!err && n < 0)
		err = n;
	if (!err && !t.root)
		err = pr_err_ret(-EBADMSG, "%s: empty process tree", img_reader_name(r));
	img_close(r);
	if (err < 0) {
		pstree_free(&t);
		return err;
	}
	*ret = t;
	return 0;
}
