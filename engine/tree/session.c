/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* External sessions and process groups: see session.h. */
#define LOG_PREFIX "session: "
#include <errno.h>
#include <unistd.h>

#include "log.h"
#include "session.h"

/*
 * An id is external when no task of the tree has it. 0 is always external:
 * /proc shows a session or group whose leader lies outside our pid
 * namespace as 0 (a runner started in a container, say).
 */
static bool external(const struct pstree *t, pid_t id)
{
	return id == 0 || pstree_find(t, id) == NULL;
}

/* A task of session sid whose parent is outside it: the session's leader forked it. */
static bool top_of_session(const struct pstree_item *it, pid_t sid)
{
	return it->sid == sid && it->parent && it->parent->sid != sid;
}

struct pstree_item *session_stand_in(const struct pstree *t, pid_t id, bool *ret_session)
{
	struct pstree_item *parent = NULL;
	bool session = false;
	pid_t sid = 0;

	for (size_t i = 0; i < t->n; i++)
		session |= t->items[i]->sid == id;
	for (size_t i = 0; i < t->n; i++) {
		const struct pstree_item *it = t->items[i];

		/* the session's stand-in leads the group of its id too: its members are in it */
		if (session && it->pgid == id && it->sid != id)
			return NULL;
		if (session ? !top_of_session(it, id) : it->pgid != id)
			continue;
		if (!it->parent || (parent && session && it->parent != parent) || (sid && it->sid != sid))
			return NULL;
		if (!parent)
			parent = it->parent;
		sid = it->sid;
	}
	/* a group's stand-in is born in its parent's session: the members' */
	if (!parent || (!session && parent->sid != sid))
		return NULL;
	*ret_session = session;
	return parent;
}

bool session_id_missing(const struct pstree *t, pid_t id)
{
	return id > 0 && !pstree_find(t, id) && id != t->root->sid && id != t->root->pgid;
}

/*
 * Every task's ids are in the tree, are the root's external ones, or are
 * ids whose leader is gone and for which a stand-in can be forked; an
 * external id of the root's is passed with its flag set.
 */
static int check_members(const struct pstree *t, bool has_sid, pid_t ext_sid, bool has_pgid, pid_t ext_pgid)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct pstree_item *it = t->items[i];
		bool session;

		if (!(has_sid && it->sid == ext_sid) && external(t, it->sid) &&
		    (it->sid == 0 || !session_stand_in(t, it->sid, &session)))
			return pr_err_ret(
				-EOPNOTSUPP,
				"pid %d: not supported yet: its session %d is led by a process outside the "
				"dumped tree, is not the session of the root %d, and no stand-in leader "
				"can be made for it",
				it->pid, it->sid, t->root->pid);
		if (!(has_pgid && it->pgid == ext_pgid) && external(t, it->pgid) &&
		    (it->pgid == 0 || !session_stand_in(t, it->pgid, &session)))
			return pr_err_ret(
				-EOPNOTSUPP,
				"pid %d: not supported yet: its process group %d has no leader in the dumped "
				"tree, is not the process group of the root %d, and no stand-in leader can "
				"be made for it",
				it->pid, it->pgid, t->root->pid);
	}
	return 0;
}

int session_check_dump(const struct pstree *t, bool shell_job, bool *ret_has_ext_sid, pid_t *ret_ext_sid)
{
	const struct pstree_item *root = t->root;
	bool ext_sid = external(t, root->sid), ext_pgid = external(t, root->pgid);
	int r;

	if (ext_sid && root->sid == 0 && !shell_job)
		return pr_err_ret(
			-EPERM,
			"pid %d is not a session leader: its session is led by a process outside its pid "
			"namespace; dump a session leader (setsid) or use --shell-job",
			root->pid);
	if ((ext_sid || ext_pgid) && !shell_job)
		return pr_err_ret(
			-EPERM,
			"pid %d is not a session leader: its session %d (process group %d) belongs to a "
			"process outside the dumped tree; dump a session leader or use --shell-job",
			root->pid, root->sid, root->pgid);
	r = check_members(t, ext_sid, root->sid, ext_pgid, root->pgid);
	if (r < 0)
		return r;
	if (ext_sid || ext_pgid)
		pr_info("shell job: session %d%s, process group %d%s\n", root->sid,
			ext_sid ? " (external)" : "", root->pgid, ext_pgid ? " (external)" : "");
	*ret_has_ext_sid = ext_sid;
	*ret_ext_sid = root->sid;
	return 0;
}

int session_adopt_restore(struct pstree *t, bool shell_job, bool other_pidns)
{
	struct pstree_item *root = t->root;
	pid_t old_sid = root->sid, old_pgid = root->pgid;
	bool ext_sid = external(t, old_sid), ext_pgid = external(t, old_pgid);
	/* the ids are the tree's view: criu's are outside its own pid namespace */
	pid_t my_sid = other_pidns ? 0 : getsid(0), my_pgid = other_pidns ? 0 : getpgrp();
	int r;

	r = check_members(t, ext_sid, old_sid, ext_pgid, old_pgid);
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

		if (ext_sid && it->sid == old_sid)
			it->sid = my_sid;
		if (ext_pgid && it->pgid == old_pgid)
			it->pgid = my_pgid;
	}
	if (ext_sid)
		pr_info("shell job: session %d -> criu's session %d\n", old_sid, my_sid);
	if (ext_pgid)
		pr_info("shell job: process group %d -> criu's process group %d\n", old_pgid, my_pgid);
	return 0;
}
