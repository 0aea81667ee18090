/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Sessions and process groups that lie outside the dumped tree.
 *
 * A tree is self-contained when every task's session and process group is
 * led by a task of the tree. A "shell job" is not: it runs in the session of
 * the shell that started it (and, without job control, in the shell's
 * process group). Such ids are "external", and so is 0, which /proc shows
 * for a session or group whose leader is outside our pid namespace (a shell
 * in a container's parent namespace). They are not written anywhere,
 * they are recognised at restore as ids that no task of tree.img has.
 *
 * Dump refuses external ids unless --shell-job; then only the root's session
 * and the root's process group may be external (the tasks sharing them are
 * its descendants that kept them). The ids of other tasks may be external
 * only when their leader is gone and a stand-in can make them (below). Restore with --shell-job moves them onto
 * criu's own: the tasks stay in criu's session (fork.c lets them inherit it)
 * and the tasks of the root's external group join criu's process group, so
 * that a shell waiting for criu still gets SIGCHLD and job-control signals
 * from the restored job, and a job criu runs in the foreground stays in the
 * terminal's foreground group. A root that led its own group (a job of an
 * interactive shell) leads a new group of the same id in criu's session.
 */
#ifndef CR_TREE_SESSION_H
#define CR_TREE_SESSION_H

#include <stdbool.h>

#include "pstree.h"

/*
 * Dump: checks the sessions and groups of a frozen tree. *ret_has_ext_sid
 * tells whether the root's session is external, and *ret_ext_sid is that
 * session (0 when its leader is outside our pid namespace). Returns 0 or
 * -errno (logged, naming the pid and the ids).
 */
int session_check_dump(const struct pstree *t, bool shell_job, bool *ret_has_ext_sid,
		       pid_t *ret_ext_sid);

/*
 * Restore: moves the external session and group of a loaded tree onto
 * criu's own (needs shell_job). other_pidns: the tree lives in a pid
 * namespace other than criu's, where criu's session and group show as 0.
 * Returns 0 or -errno (logged).
 */
int session_adopt_restore(struct pstree *t, bool shell_job, bool other_pidns);

/*
 * Sessions and groups whose leader is gone (it exited and was reaped; its
 * tasks live on): restore forks a stand-in with the leader's pid that makes
 * the session (setsid) or group (setpgid), lets the tasks be born in it or
 * join it, and exits once the groups are made; its parent reaps it.
 *
 * session_id_missing: id is such an id (no task has it, not the root's).
 * session_stand_in: the task that forks id's stand-in, or NULL when the
 * tree's shape allows none. A session's stand-in forks the tasks of the
 * session whose parent is outside it (CLONE_PARENT: they stay that
 * parent's children), so they must all have one parent; a group's is born
 * in its parent's session, which must be every member's. *ret_session:
 * id is a session (its stand-in leads the group of that id as well).
 */
bool session_id_missing(const struct pstree *t, pid_t id);
struct pstree_item *session_stand_in(const struct pstree *t, pid_t id, bool *ret_session);

#endif
