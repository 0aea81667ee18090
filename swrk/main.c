/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The command-line front door: argv and config files into one request. */
#define LOG_PREFIX ""
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "cpu.h"
#include "engine.h"
#include "hooks.h"
#include "log.h"
#include "options.h"
#include "safe_open.h"
#include "server.h"
#include "version.h"

static bool is_cpuinfo_dump(const struct cr_opts *o)
{
	return o->command == CMD_CPUINFO && o->args.n == 1 && !strcmp(o->args.v[0], "dump");
}

/* criu cpuinfo dump|check */
static int run_cpuinfo(struct cr_request *req)
{
	const struct cr_strv *a = &req->opts.args;

	if (a->n == 1 && !strcmp(a->v[0], "dump"))
		return cr_cpuinfo_dump(req);
	if (a->n == 1 && !strcmp(a->v[0], "check"))
		return cr_cpuinfo_check(req);
	return pr_err_ret(-EINVAL, "usage: criu cpuinfo dump|check [-D DIR] [--cpu-cap CAPS]");
}

/* Opens the work dir (-W, else the images dir) and the log inside it. */
static int open_work_dir_and_log(struct cr_request *req)
{
	struct cr_opts *o = &req->opts;
	const char *wd = o->work_dir ? o->work_dir : o->images_dir ? o->images_dir : ".";
	char why[160];
	int err;

	if (o->command == CMD_DUMP || o->command == CMD_PRE_DUMP || is_cpuinfo_dump(o)) {
		/* the images dir may not exist yet; the work dir defaults to it */
		if (o->images_dir && mkdir(o->images_dir, 0700) < 0 && errno != EEXIST)
			return pr_perror_ret("%s: cannot create images directory", o->images_dir);
	}
	req->work_dir_fd = open(wd, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (req->work_dir_fd < 0)
		return pr_perror_ret("%s: cannot open %s directory", wd, o->work_dir ? "work" : "images");
	if (o->log_to_stderr || !o->log_file || !strcmp(o->log_file, "-")) {
		log_set_level(o->log_level);
	} else {
		err = log_open_at(req->work_dir_fd, o->log_file, o->log_level, false);
		if (err < 0) {
			pr_err("%s/%s: cannot open log file: %s\n", wd, o->log_file,
			       cr_create_strerror(err, req->work_dir_fd, o->log_file, why, sizeof(why)));
			return err;
		}
	}
	/* a dump's images dir is the work dir unless -W: the image layer warns about that one */
	if (o->work_dir || (o->command != CMD_DUMP && o->command != CMD_PRE_DUMP && !is_cpuinfo_dump(o)))
		cr_warn_shared_dir(req->work_dir_fd, "work directory", wd);
	return 0;
}

static int run_command(struct cr_request *req)
{
	struct cr_opts *o = &req->opts;

	switch (o->command) {
	case CMD_CHECK:
		return cr_check(req);
	case CMD_SHOW:
		return cr_show(req);
	case CMD_RESTORE:
		req->answer_restored_rpc = server_answer_restored_dump; /* a self-dumped caller */
		return cr_restore(req);
	case CMD_DUMP:
		return cr_dump(req);
	case CMD_EXEC:
		return cr_exec(req);
	case CMD_CPUINFO:
		return run_cpuinfo(req);
	default:
		pr_err("not supported yet: %s\n", opts_command_name(o->command));
		return -EOPNOTSUPP;
	}
}

int main(int argc, char **argv)
{
	struct cr_request req = { .work_dir_fd = -EBADF };
	struct cr_opts *o = &req.opts;
	int err;

	opts_init(o);
	log_open(NULL, DEFAULT_LOGLEVEL);
	err = opts_load(o, argc, argv); /* config files, then argv */
	if (err < 0)
		goto out;

	switch (o->command) {
	case CMD_CHECK_VERSION:
		printf("Version: %s\n", CRIU_VERSION);
		printf("Implementation: %s %s (criu interface %s)\n", CRIU_IMPL_NAME, CRIU_IMPL_VERSION,
		       CRIU_VERSION);
		goto out;
	case CMD_HELP:
		opts_print_help();
		goto out;
	case CMD_NONE:
		pr_err("no command given; see criu --help\n");
		err = -EINVAL;
		goto out;
	default:
		break;
	}
	if ((o->command == CMD_SERVICE || o->command == CMD_PAGE_SERVER || o->command == CMD_LAZY_PAGES) &&
	    o->restore_detached) {
		o->restore_detached = false; /* -d means --daemon for daemons */
		err = opts_apply_named(o, "daemon", NULL, false);
		if (err < 0)
			goto out;
	}
	err = opts_check_supported(o);
	if (err < 0)
		goto out;
	if (o->command == CMD_SWRK) {
		/* criu swrk FD: exactly that, as runc and libcriu run it */
		char *end = NULL;
		long fd = o->args.n == 1 ? strtol(o->args.v[0], &end, 10) : -1;

		if (o->args.n != 1 || !end || *end || fd < 0 || fd > 1 << 20) {
			pr_err("usage: criu swrk FD (a SOCK_SEQPACKET socket)\n");
			err = -EINVAL;
			goto out;
		}
		err = server_swrk((int)fd, o->log_level);
		goto out;
	}
	if (o->command == CMD_SERVICE) {
		err = server_service(o);
		goto out;
	}

	req.peer_pid = getpid();
	req.peer_uid = getuid();
	req.peer_gid = getgid();
	err = open_work_dir_and_log(&req);
	if (err < 0)
		goto out;
	opts_log_unused_externals(o);
	{
		/* action scripts get the images dir as an absolute path */
		static char images[PATH_MAX];

		if (!o->images_dir || !realpath(o->images_dir, images))
			snprintf(images, sizeof(images), "%s", o->images_dir ? o->images_dir : ".");
		hooks_setup(o, images, NULL, NULL);
	}
	err = run_command(&req);
out:
	if (err < 0 && log_is_file() && log_first_error())
		fprintf(stderr, "Error: %s (see the log %s)\n", log_first_error(), o->log_file);
	log_close();
	if (req.work_dir_fd >= 0)
		close(req.work_dir_fd);
	opts_free(o);
	return err < 0 ? 1 : 0;
}
