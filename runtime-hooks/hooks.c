/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The hooks bus: see hooks.h and docs/hooks.md. */
#define LOG_PREFIX "hooks: "
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "hooks.h"
#include "json_hooks.h"
#include "log.h"

static struct {
	const struct cr_opts *o;
	const char *images_dir;
	hooks_rpc_notify_fn rpc;
	void *rpc_arg;
	struct json_hooks *json;
	int json_err;	/* the hooks file did not load: every action fails */
	pid_t init_pid; /* the root pid once known: CRTOOLS_INIT_PID stays set from then on */
} bus;

int hooks_setup(const struct cr_opts *o, const char *images_dir, hooks_rpc_notify_fn rpc, void *rpc_arg)
{
	hooks_reset();
	bus.o = o;
	bus.images_dir = images_dir;
	bus.rpc = rpc;
	bus.rpc_arg = rpc_arg;
	if (o && o->hooks_file)
		bus.json_err = json_hooks_load(o->hooks_file, &bus.json);
	return bus.json_err;
}

void hooks_reset(void)
{
	json_hooks_free(bus.json);
	memset(&bus, 0, sizeof(bus));
}

/* Actions only the RPC client hears (PROTOCOL.md §9: scripts never get them). */
static bool rpc_only(const char *action)
{
	return !strcmp(action, "query-ext-files") || !strcmp(action, "orphan-pts-master");
}

/* Runs one action script through sh -c, as criu does, with the state document on stdin. */
static int run_script(const char *script, const struct hooks_state *st, const char *state)
{
	char *argv[] = {"sh", "-c", (char *)script, NULL};
	char what[300];

	snprintf(what, sizeof(what), "script %s", script);
	return hooks_exec(what, "/bin/sh", argv, NULL, st, state, 0);
}

int hooks_fire_fd(const char *action, pid_t pid, int fd)
{
	struct hooks_state st = {.action = action};
	_cleanup_free_ char *state = NULL;
	int r;

	pr_info("action %s (pid %d)\n", action, pid);
	if (pid > 0)
		bus.init_pid = pid;
	if (bus.json_err < 0)
		return pr_err_ret(-ECANCELED, "action %s: the hooks file %s did not load", action,
				  bus.o->hooks_file);
	if (bus.rpc) {
		r = bus.rpc(bus.rpc_arg, action, pid, fd);
		if (r < 0) {
			pr_err("action %s: the RPC client reported a failure\n", action);
			return -ECANCELED;
		}
	}
	if (!bus.o || rpc_only(action) || (!bus.o->action_scripts.n && !bus.json))
		return 0;

	st.pid = bus.init_pid;
	st.images_dir = bus.images_dir;
	st.root = bus.o->root;
	state = hooks_state_json(&st);
	if (!state)
		return pr_err_ret(-ENOMEM, "action %s: cannot build the state document", action);
	for (size_t i = 0; i < bus.o->action_scripts.n; i++) {
		r = run_script(bus.o->action_scripts.v[i], &st, state);
		if (r < 0)
			return -ECANCELED;
	}
	return json_hooks_run(bus.json, &st, state);
}

int hooks_fire(const char *action, pid_t pid)
{
	return hooks_fire_fd(action, pid, -1);
}
