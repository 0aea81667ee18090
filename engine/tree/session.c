/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* External sessions and process groups: see session.h. */
#define LOG_PREFIX "session: "
#include <errno.h>
#include <unistd.h>

#include "log.h"
#include "session.h"

static bool in_tree(const struct pstree *t, pid_t id)
{
	return pstree_find(t, id) != NULL;
}

/* Every task's ids are in the tree or are the root's external ones. */
static int check_members(const struct pstree *t, pid_t ext_sid, pid_t ext_pgid)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct pstree_item *it = t->items[i];

		if (it->sid != ext_sid && !in_tree(t, it->sid))
			return pr_err_ret(
				-EOPNOTSUPP,
				"pid %d: not supported yet: its session %d is led by a process outside the "
				"dumped tree and is not the session of the root %d",
				it->pid, it->sid, t->root->pid);
		if (it->pgid != ext_pgid && !in_tree(t, it->pgid))
			return pr_err_ret(
				-EOPNOTSUPP,
				"pid %d: not supported yet: its process group %d has no leader in the dumped "
				"tree and is not the process group of the root %d",
				it->pid, it->pgid, t->root->pid);
	}
	return 0;
}

int session_check_dump(const struct pstree *t, bool shell_job, pid_t *ret_ext_sid)
{
	const struct pstree_item *root = t->root;
	pid_t ext_sid = in_tree(t, root->sid) ? 0 : root->sid;
	pid_t ext_pgid = in_tree(t, root->pgid) ? 0 : root->pgid;
	int r;

	if ((ext_sid || ext_pgid) && !shell_job)
		return pr_err_ret(
			-EPERM,
			"pid %d is not a session leader: its session %d (process group %d) belongs to a "
			"process outside the dumped tree; dump a session leader or use --shell-job",
			root->pid, root->sid, root->pgid);
	r = check_members(t, ext_sid, ext_pgid);
	if (r < 0)
		return r;
	if (ext_sid || ext_pgid)
		pr_info("shell job: session %d%s, process group %d%s\n", root->sid,
			ext_sid ? " (external)" : "", root->pgid, ext_pgid ? " (external)" : "");
	*ret_ext_sid = ext_sid;
	return 0;
}

int session_adopt_restore(struct pstree *t, bool shell_job)
{
	struct pstree_item *root = t->root;
	pid_t old_sid = root->sid, old_pgid = root->pgid;
	pid_t ext_sid = in_tree(t, old_sid) ? 0 : old_sid;
	pid_t ext_pgid = in_tree(t, old_pgid) ? 0 : old_pgid;
	pid_t my_sid = getsid(0), my_pgid = getpgrp();
	int r;

	r = check_members(t, ext_sid, ext_pgid);
	if (r < 0)
		return r;
	if (!ext_sid && !ext_pgid)
		return 0;
	if (!shell_job)
		return pr_err_ret(
			-EPERM,
			"pid %d: its session %d (process group %d) was outside the dumped tree: it was "
			"dumped as a shell job; restore it with --shell-job",
			root->pid, old_sid, old_pgid);
	for (size_t i = 0; i < t->n; i++) {
		struct pstree_item *it = t->items[i];

		if (ext_sid && it->sid == ext_sid)
			it->sid = my_sid;
		if (ext_pgid && it->pgid == ext_pgid)
			it->pgid = my_pgid;
	}
	if (ext_sid)
		pr_info("shell job: session %d -> criu's session %d\n", ext_sid, my_sid);
	if (ext_pgid)
		pr_info("shell job: process group %d -> criu's process group %d\n", ext_pgid, my_pgid);
	return 0;
}
