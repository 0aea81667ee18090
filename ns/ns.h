/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Namespaces of the tree. Dump: every task's /proc/PID/ns entries are read; the
 * root's namespaces that are not criu's own are "the tree's" and are dumped
 * (uts, ipc, time), marked external (--external KIND[INO]:KEY) or empty
 * (--empty-ns net); a task in another namespace than the root's is refused
 * by name, except a mount namespace when the root has its own (mnt.c dumps
 * them all, and each task enters its own at restore: ns_restore_task). Restore: criu itself
 * enters the tree's namespaces (new, joined, or inherited) before it opens
 * the files and forks the tree, so that every restored task is born in them,
 * and goes back to its own namespaces once the tree exists.
 */
#ifndef CR_NS_H
#define CR_NS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "image.h"
#include "options.h"
#include "pstree.h"

/* Checks the namespaces of every task in t and writes ns.img and the state images. */
int ns_dump(const struct pstree *t, const struct cr_opts *o, struct img_dir *d);

struct ns_restore;

/* Reads and checks ns.img and the state images against the options; nothing is created yet. */
int ns_restore_prepare(struct img_dir *d, const struct cr_opts *o, struct ns_restore **ret);
/* Whether an --inherit-fd key names a namespace this restore uses. */
bool ns_restore_claims_key(const struct ns_restore *nr, const char *key);
/* Moves criu into the tree's namespaces (creating and filling the new ones). */
int ns_restore_enter(struct ns_restore *nr);
/*
 * A new pid namespace for the tree, if it had its own: only criu's next child
 * is born in it (as its init), so this comes right before the fork, after
 * every helper criu forks for itself.
 */
int ns_restore_pid(struct ns_restore *nr);
/* Whether the tree lives in a pid namespace other than criu's (its own, external or joined). */
bool ns_restore_other_pidns(const struct ns_restore *nr);
/* In forked task task_id, before its fds: into its own mount namespace if the tree has several. */
int ns_restore_task(struct ns_restore *nr, uint64_t task_id);
/* files_roots.root_of (arg: the ns_restore): where paths of a file reached through mount mnt_id resolve. */
int ns_restore_root_of(void *arg, uint32_t mnt_id);
/* Once the tree exists, before leaving: what needs its pid namespace (proc mounts), pivot_root. */
int ns_restore_after_fork(struct ns_restore *nr);
/* Back into criu's own namespaces (the forked tree keeps the new ones). Idempotent. */
int ns_restore_leave(struct ns_restore *nr);
/*
 * In the root task, once it is in its cgroups and before it forks: a new
 * cgroup namespace rooted there, if the tree had one (its root task sat at
 * the namespace's root), which every task inherits.
 */
int ns_restore_root_task(const struct ns_restore *nr);
/* CLONE_NEW* of the namespaces the tree got that are not criu's: hooks fire only if non-zero. */
uint32_t ns_restore_mask(const struct ns_restore *nr);
/* CLONE_NEW* of the namespaces ns.img gives the tree (its own, external or empty ones), before any is
 * entered. */
uint32_t ns_restore_image_mask(const struct ns_restore *nr);
/* The name of one CLONE_NEW* flag ("net", "time"), or "?". */
const char *ns_flag_name(uint32_t flag);
/*
 * No new time namespace from timens.img: the tree runs on criu's clocks (a
 * non-root caller's restore, whose timens.img offsets are its own choice).
 */
void ns_restore_keep_time_ns(struct ns_restore *nr);
void ns_restore_free(struct ns_restore *nr);

#endif
