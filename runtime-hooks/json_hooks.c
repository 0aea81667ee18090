/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * JSON hooks and the hooks' state document (see json_hooks.h and
 * docs/hooks.md). The hooks file is checked whole when it is loaded, so a
 * typo fails the job before anything is frozen; at each action its
 * commands run in the order listed.
 */
#define LOG_PREFIX "hooks: "
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "json_hooks.h"
#include "log.h"
#include "version.h"

/* The schema version of the state document (docs/hooks.md). */
#define HOOKS_STATE_VERSION "1.0.0"

struct json_hooks {
	json_t *actions; /* action name -> array of {path, args, env, timeout} */
};

/* Actions of PROTOCOL.md §2 that hooks may listen to. */
static const char *const hook_actions[] = {
	"pre-stream",	  "pre-dump",	 "network-lock",     "post-dump",
	"network-unlock", "pre-restore", "setup-namespaces", "post-setup-namespaces",
	"post-restore",	  "pre-resume",	 "post-resume",	     "status-ready",
};

/* Only the RPC client hears these (they carry an fd or an answer only it can give). */
static const char *const rpc_only_actions[] = {"query-ext-files", "orphan-pts-master"};

static bool in_list(const char *s, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, v[i]))
			return true;
	return false;
}

/* ---- the hooks file ---- */

static int check_string_array(const char *file, const char *action, size_t i, const char *key, json_t *a,
			      bool need_eq)
{
	size_t j;
	json_t *v;

	if (!json_is_array(a))
		return pr_err_ret(-EINVAL, "%s: %s[%zu].%s: not an array of strings", file, action, i, key);
	json_array_foreach(a, j, v)
	{
		if (!json_is_string(v))
			return pr_err_ret(-EINVAL, "%s: %s[%zu].%s[%zu]: not a string", file, action, i, key,
					  j);
		if (need_eq && !strchr(json_string_value(v), '='))
			return pr_err_ret(-EINVAL, "%s: %s[%zu].%s[%zu]: \"%s\" is not NAME=VALUE", file,
					  action, i, key, j, json_string_value(v));
	}
	return 0;
}

static int check_hook(const char *file, const char *action, size_t i, json_t *h)
{
	const char *key;
	json_t *v;
	int r;

	if (!json_is_object(h))
		return pr_err_ret(-EINVAL, "%s: %s[%zu]: not an object {path, args, env, timeout}", file,
				  action, i);
	v = json_object_get(h, "path");
	if (!json_is_string(v) || json_string_value(v)[0] != '/')
		return pr_err_ret(-EINVAL, "%s: %s[%zu].path: an absolute path is required", file, action, i);
	json_object_foreach(h, key, v)
	{
		if (!strcmp(key, "path"))
			continue;
		if (!strcmp(key, "args") || !strcmp(key, "env")) {
			r = check_string_array(file, action, i, key, v, !strcmp(key, "env"));
			if (r < 0)
				return r;
		} else if (!strcmp(key, "timeout")) {
			if (!json_is_integer(v) || json_integer_value(v) <= 0 ||
			    json_integer_value(v) > 86400)
				return pr_err_ret(-EINVAL,
						  "%s: %s[%zu].timeout: seconds, an integer from 1 to 86400",
						  file, action, i);
		} else {
			return pr_err_ret(-EINVAL,
					  "%s: %s[%zu]: unknown key \"%s\" (path, args, env, timeout)", file,
					  action, i, key);
		}
	}
	return 0;
}

int json_hooks_load(const char *path, struct json_hooks **ret)
{
	json_error_t err;
	json_t *doc, *actions, *list, *h;
	const char *action;
	size_t i;
	int r = 0;

	doc = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
	if (!doc) {
		if (err.line < 1)
			return pr_err_ret(-ENOENT, "hooks file %s: %s", path, err.text);
		return pr_err_ret(-EINVAL, "hooks file %s:%d:%d: %s", path, err.line, err.column, err.text);
	}
	if (!json_is_object(doc)) {
		r = pr_err_ret(-EINVAL, "hooks file %s: the document is not a JSON object", path);
		goto fail;
	}
	/* {"version": ..., "hooks": {...}} as in an OCI config, or the actions at the top */
	actions = json_object_get(doc, "hooks");
	if (actions && !json_is_object(actions)) {
		r = pr_err_ret(-EINVAL, "hooks file %s: \"hooks\" is not an object", path);
		goto fail;
	}
	if (!actions)
		actions = doc;
	json_object_foreach(actions, action, list)
	{
		if (actions == doc && !strcmp(action, "version"))
			continue;
		if (in_list(action, rpc_only_actions, ARRAY_SIZE(rpc_only_actions))) {
			r = pr_err_ret(
				-EINVAL,
				"hooks file %s: %s is sent to the RPC client only, hooks cannot have it",
				path, action);
			goto fail;
		}
		if (!in_list(action, hook_actions, ARRAY_SIZE(hook_actions))) {
			r = pr_err_ret(-EINVAL, "hooks file %s: unknown action \"%s\"", path, action);
			goto fail;
		}
		if (!json_is_array(list)) {
			r = pr_err_ret(-EINVAL, "hooks file %s: %s: not an array of hooks", path, action);
			goto fail;
		}
		json_array_foreach(list, i, h)
		{
			r = check_hook(path, action, i, h);
			if (r < 0)
				goto fail;
		}
	}
	*ret = calloc(1, sizeof(**ret));
	if (!*ret) {
		r = -ENOMEM;
		goto fail;
	}
	(*ret)->actions = json_incref(actions);
	json_decref(doc);
	pr_info("hooks file %s loaded\n", path);
	return 0;
fail:
	json_decref(doc);
	return r;
}

void json_hooks_free(struct json_hooks *h)
{
	if (!h)
		return;
	json_decref(h->actions);
	free(h);
}

/* ---- the state document ---- */

static json_t *namespaces_of(pid_t pid)
{
	static const char *const kinds[] = {"cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"};
	json_t *a = json_array();

	for (size_t i = 0; a && pid > 0 && i < ARRAY_SIZE(kinds); i++) {
		char path[64], link[64];
		unsigned long long ino = 0;
		ssize_t n;
		const char *b;

		snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, kinds[i]);
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			continue; /* a kind this kernel lacks, or the task is gone */
		link[n] = 0;
		b = strchr(link, '[');
		if (b)
			ino = strtoull(b + 1, NULL, 10);
		json_array_append_new(a, json_pack("{s:s, s:s, s:I}", "type", kinds[i], "path", path, "inode",
						   (json_int_t)ino));
	}
	return a;
}

char *hooks_state_json(const struct hooks_state *st)
{
	json_t *doc;
	char *text;

	doc = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s?, s:s, s:o}", "version", HOOKS_STATE_VERSION,
			"criu_version", CRIU_VERSION, "implementation", CRIU_IMPL_NAME " " CRIU_IMPL_VERSION,
			"action", st->action, "pid", (json_int_t)st->pid, "images_dir", st->images_dir,
			"root", st->root ? st->root : "/", "namespaces", namespaces_of(st->pid));
	if (!doc)
		return NULL;
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	return text;
}

/* ---- running a command ---- */

/* A pipe holding text, read end returned; the writer is closed, so the reader sees EOF after it. */
static int stdin_of(const char *text)
{
	size_t len = strlen(text), off = 0;
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	if (len >= 65536 && fcntl(p[1], F_SETPIPE_SZ, (int)len + 1) < 0)
		goto fail;
	while (off < len) {
		ssize_t n = write(p[1], text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		off += (size_t)n;
	}
	close(p[1]);
	return p[0];
fail : {
	int r = -errno;

	close(p[0]);
	close(p[1]);
	return r ? r : -EIO;
}
}

static void __attribute__((noreturn)) exec_child(const char *path, char *const argv[], char *const envp[],
						 const struct hooks_state *st, int in, bool own_group)
{
	char pid[16];
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (own_group)
		setpgid(0, 0); /* a timeout kills the whole group */
	if (in == 0)
		fcntl(0, F_SETFD, 0);
	else if (dup2(in, 0) < 0)
		_exit(126);
	if (envp) {
		clearenv();
		for (size_t i = 0; envp[i]; i++)
			putenv(envp[i]);
	}
	setenv("CRTOOLS_SCRIPT_ACTION", st->action, 1);
	if (st->images_dir)
		setenv("CRTOOLS_IMAGE_DIR", st->images_dir, 1);
	if (st->pid > 0) {
		snprintf(pid, sizeof(pid), "%d", st->pid);
		setenv("CRTOOLS_INIT_PID", pid, 1);
	} else {
		unsetenv("CRTOOLS_INIT_PID");
	}
	execv(path, argv);
	_exit(127);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Waits for child, up to timeout_s (0: forever). Its status, or -ETIMEDOUT (then killed) or -errno. */
static int wait_child(pid_t child, unsigned int timeout_s)
{
	uint64_t deadline = now_ms() + (uint64_t)timeout_s * 1000;
	int st;

	for (;;) {
		pid_t r = waitpid(child, &st, timeout_s ? WNOHANG : 0);

		if (r == child)
			return st;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (timeout_s && now_ms() >= deadline) {
			kill(-child, SIGKILL);
			kill(child, SIGKILL);
			while (waitpid(child, &st, 0) < 0 && errno == EINTR)
				;
			return -ETIMEDOUT;
		}
		if (r == 0)
			usleep(5000);
	}
}

int hooks_exec(const char *what, const char *path, char *const argv[], char *const envp[],
	       const struct hooks_state *st, const char *state, unsigned int timeout_s)
{
	int in = stdin_of(state), status;
	pid_t child;

	if (in < 0)
		return pr_err_ret(in, "action %s: %s: cannot pass the state document", st->action, what);
	child = fork();
	if (child < 0) {
		int r = pr_perror_ret("action %s: cannot fork for %s", st->action, what);

		close(in);
		return r;
	}
	if (child == 0)
		exec_child(path, argv, envp, st, in, timeout_s > 0);
	close(in);
	status = wait_child(child, timeout_s);
	if (status == -ETIMEDOUT) {
		pr_err("action %s: %s timed out after %u s and was killed\n", st->action, what, timeout_s);
		return -ECANCELED;
	}
	if (status < 0)
		return pr_err_ret(status, "action %s: waiting for %s", st->action, what);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		pr_err("action %s: %s exited with status %d\n", st->action, what, WEXITSTATUS(status));
	else
		pr_err("action %s: %s was killed by signal %d\n", st->action, what, WTERMSIG(status));
	return -ECANCELED;
}

/* NULL-terminated copy of a JSON string array's pointers (owned by the JSON); NULL if a is NULL. */
static char **string_vector(json_t *a, const char *first)
{
	size_t n = json_array_size(a), k = 0, i;
	char **v;
	json_t *s;

	v = calloc(n + 2, sizeof(*v));
	if (!v)
		return NULL;
	if (first)
		v[k++] = (char *)first;
	json_array_foreach(a, i, s) v[k++] = (char *)json_string_value(s);
	return v;
}

static int run_one(json_t *h, const struct hooks_state *st, const char *state)
{
	const char *path = json_string_value(json_object_get(h, "path"));
	json_t *args = json_object_get(h, "args"), *env = json_object_get(h, "env");
	unsigned int timeout = (unsigned int)json_integer_value(json_object_get(h, "timeout"));
	_cleanup_free_ char **argv = NULL, **envp = NULL;
	char what[300];

	/* args[0] is argv[0], as in OCI hooks; without args, argv is just the path */
	argv = json_array_size(args) ? string_vector(args, NULL) : string_vector(NULL, path);
	/* env replaces the environment, as in OCI hooks; absent: an empty one (CRTOOLS_* still set) */
	envp = string_vector(env, NULL);
	if (!argv || !envp)
		return -ENOMEM;
	snprintf(what, sizeof(what), "hook %s", path);
	return hooks_exec(what, path, argv, envp, st, state, timeout);
}

int json_hooks_run(const struct json_hooks *h, const struct hooks_state *st, const char *state)
{
	json_t *list, *hook;
	size_t i;
	int r;

	if (!h)
		return 0;
	list = json_object_get(h->actions, st->action);
	json_array_foreach(list, i, hook)
	{
		r = run_one(hook, st, state);
		if (r < 0)
			return -ECANCELED;
	}
	return 0;
}
