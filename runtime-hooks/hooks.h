/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The hooks bus. The engine fires each action ("pre-dump", "post-restore",
 * ...) once, with the root pid where it has one, and never knows who
 * listens. For every action the bus asks, in this order:
 *
 *   1. the RPC client (criu swrk / service with notify_scripts): a NOTIFY
 *      message, answered with notify_success;
 *   2. the action scripts (--action-script, repeatable; config files too),
 *      run with CRTOOLS_SCRIPT_ACTION, CRTOOLS_IMAGE_DIR, CRTOOLS_INIT_PID;
 *   3. the JSON hooks (--hooks FILE, json_hooks.h) listed for the action;
 *
 * and stops at the first that fails. Scripts and JSON hooks read the job's
 * state document on stdin; they never hear query-ext-files and
 * orphan-pts-master, which only the RPC client can answer. Whether a
 * failure aborts the job is the engine's decision (PROTOCOL.md §2/§9):
 * hooks_fire() only reports it. docs/hooks.md documents all of this.
 */
#ifndef CR_RUNTIME_HOOKS_H
#define CR_RUNTIME_HOOKS_H

#include <sys/types.h>

#include "options.h"

/* The RPC side: sends a NOTIFY and waits for the answer; 0 or -errno. fd >= 0 goes along in SCM_RIGHTS. */
typedef int (*hooks_rpc_notify_fn)(void *arg, const char *action, pid_t pid, int fd);

/*
 * Sets the listeners of the current job and loads o->hooks_file. images_dir
 * is for the scripts' environment. 0, or -errno when the hooks file does
 * not load (logged); the job's actions then all fail, so a caller that
 * ignores the result still cannot run without its hooks.
 */
int hooks_setup(const struct cr_opts *o, const char *images_dir, hooks_rpc_notify_fn rpc, void *rpc_arg);
/* Forgets them (end of the job). */
void hooks_reset(void);

/* Fires action; pid 0 when there is none. 0, or -ECANCELED when a listener failed (logged). */
int hooks_fire(const char *action, pid_t pid);
/* The same with an fd for the RPC client (orphan-pts-master). */
int hooks_fire_fd(const char *action, pid_t pid, int fd);

#endif
