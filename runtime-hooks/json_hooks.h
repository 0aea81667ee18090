/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * JSON hooks (--hooks FILE, docs/hooks.md): an OCI-hooks-style document
 * that lists, for each action, commands {path, args, env, timeout}; and the
 * state document every hook and action script reads on its stdin.
 */
#ifndef CR_RUNTIME_JSON_HOOKS_H
#define CR_RUNTIME_JSON_HOOKS_H

#include <sys/types.h>

struct json_hooks;

/* Reads and checks FILE. 0 and *ret (free with json_hooks_free), or -errno logged with file:line. */
int json_hooks_load(const char *path, struct json_hooks **ret);
void json_hooks_free(struct json_hooks *h);

/* The state document's inputs. */
struct hooks_state {
	const char *action;
	pid_t pid; /* root task, 0 when not known yet */
	const char *images_dir;
	const char *root; /* --root, NULL for "/" */
};

/* The state document as compact JSON text (malloc()ed), or NULL when out of memory. */
char *hooks_state_json(const struct hooks_state *st);

/*
 * Runs one command: argv[0] is what the child sees, path what is executed;
 * envp NULL inherits our environment, else replaces it; the CRTOOLS_*
 * variables of st are set on top. The state text is on its stdin; stdout
 * and stderr are ours. timeout_s 0 waits forever, else the command (and
 * its process group) is killed when it is over. 0, or -ECANCELED for a
 * failure, a non-zero exit or a timeout (logged, naming what).
 */
int hooks_exec(const char *what, const char *path, char *const argv[], char *const envp[],
	       const struct hooks_state *st, const char *state, unsigned int timeout_s);

/* Runs the hooks h lists for st->action, in order; 0, or -ECANCELED at the first failure. */
int json_hooks_run(const struct json_hooks *h, const struct hooks_state *st, const char *state);

#endif
