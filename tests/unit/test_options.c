/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The option table and its parsers: every command-line spelling criu users
 * and test suites write, bad values, "not supported yet", config files and
 * the order in which all sources apply.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "caller_policy.h"
#include "log.h"
#include "options.h"
#include "t.h"

#define MAX_WORDS 32

/* Splits a command line on spaces (no quoting) into argv with argv[0] = "criu". */
static int split(char *line, char **argv)
{
	int n = 0;

	argv[n++] = "criu";
	for (char *w = strtok(line, " "); w && n < MAX_WORDS - 1; w = strtok(NULL, " "))
		argv[n++] = w;
	argv[n] = NULL;
	return n;
}

/* Parses cmdline into a fresh *o (freed by the caller); returns opts_parse_argv's result. */
static int parse(struct cr_opts *o, const char *cmdline)
{
	char buf[1024], *argv[MAX_WORDS];
	int argc;

	snprintf(buf, sizeof(buf), "%s", cmdline);
	argc = split(buf, argv);
	opts_init(o);
	log_reset_first_error();
	return opts_parse_argv(o, argc, argv);
}

/* The first error of the last call is exactly / starts with / mentions the text. */
#define CHECK_ERR_MENTIONS(want)                                                                             \
	do {                                                                                                 \
		const char *_e = log_first_error();                                                          \
		if (!_e || !strstr(_e, want))                                                                \
			T_FAILF("error \"%s\" does not mention \"%s\"", _e ? _e : "(none)", want);           \
	} while (0)

/* cmdline parses and gives log level `level`. */
static void expect_level(const char *cmdline, int level)
{
	struct cr_opts o;
	int err = parse(&o, cmdline);

	if (err < 0 || o.log_level != level)
		T_FAILF("'%s': err %d, level %d, expected level %d", cmdline, err, o.log_level, level);
	opts_free(&o);
}

/* cmdline fails, the error mentioning `want`. */
static void expect_error(const char *cmdline, const char *want)
{
	struct cr_opts o;
	int err = parse(&o, cmdline);

	if (err >= 0)
		T_FAILF("'%s' was accepted", cmdline);
	else
		CHECK_ERR_MENTIONS(want);
	opts_free(&o);
}

static void test_verbosity(void)
{
	expect_level("dump", 2);
	expect_level("-v dump", 3);
	expect_level("-v4 dump", 4);
	expect_level("-v0 dump", 0);
	expect_level("-vvv dump", 4); /* 2 + 3, clamped */
	expect_level("-v0 -vv dump", 2);
	expect_level("--verbosity=4 dump", 4);
	expect_level("--verbosity dump", 3);
	expect_level("-verbosity=0 dump", 0); /* zdtm's single-dash spelling */
	expect_level("-verbosity dump", 3);
	expect_level("dump -v1", 1);
	expect_error("--verbosity=5 dump", "option --verbosity: '5' is not a number in [0, 4]");
	expect_error("-vx dump", "option --verbosity: 'x'");
	/* -v takes no separate word, as with getopt's optional arguments */
	expect_error("-v 4", "unknown command: 4");
}

static void test_log_and_dirs(void)
{
	struct cr_opts o;

	CHECK_EQ_INT(parse(&o, "restore -o r.log -W /w -D /img --log-to-stderr"), 0);
	CHECK_EQ_STR(o.log_file, "r.log");
	CHECK_EQ_STR(o.work_dir, "/w");
	CHECK_EQ_STR(o.images_dir, "/img");
	CHECK(o.log_to_stderr);
	opts_free(&o);
	CHECK_EQ_INT(parse(&o, "restore -or.log -W/w --images-dir=/img --log-to-stderr --no-log-to-stderr"),
		     0);
	CHECK_EQ_STR(o.log_file, "r.log");
	CHECK_EQ_STR(o.work_dir, "/w");
	CHECK_EQ_STR(o.images_dir, "/img");
	CHECK(!o.log_to_stderr);
	opts_free(&o);
	CHECK_EQ_INT(parse(&o, "restore --pidfile /p1"), 0);
	CHECK_EQ_STR(o.pidfile, "/p1");
	opts_free(&o);
	CHECK_EQ_INT(parse(&o, "restore --pid-file=/p2"), 0);
	CHECK_EQ_STR(o.pidfile, "/p2");
	opts_free(&o);
}

static void test_bools_and_clusters(void)
{
	struct cr_opts o;

	CHECK_EQ_INT(parse(&o, "dump --tcp-established --no-tcp-established --no-shell-job"), 0);
	CHECK(!o.tcp_established && !o.shell_job);
	CHECK_EQ_INT(opts_check_supported(&o), 0); /* --no- forms are the defaults */
	opts_free(&o);
	CHECK_EQ_INT(parse(&o, "dump -Rjl -x"), 0);
	CHECK(o.leave_running && o.shell_job && o.file_locks && o.ext_unix_sk);
	opts_free(&o);
	CHECK_EQ_INT(parse(&o, "dump -x --no-ext-unix-sk"), 0);
	CHECK(!o.ext_unix_sk);
	opts_free(&o);
	CHECK_EQ_INT(parse(&o, "dump -Rt5"), 0);
	CHECK(o.leave_running && o.pid == 5);
	opts_free(&o);
	CHECK_EQ_INT(parse(&o, "dump -jt 7"), 0);
	CHECK(o.shell_job && o.pid == 7);
	opts_free(&o);
	expect_error("dump --no-tree 5", "unknown option: --no-tree");
	expect_error("dump --leave-running=yes", "option --leave-running takes no argument");
	expect_error("dump --no-leave-running=1", "option --no-leave-running takes no argument");
}

static void test_values_and_positions(void)
{
	struct cr_opts o;

	CHECK_EQ_INT(parse(&o, "-v4 --tree=5 dump -D /x --root /r=s extra"), 0);
	CHECK(o.command == CMD_DUMP && o.pid == 5 && o.log_level == 4);
	CHECK_EQ_STR(o.images_dir, "/x");
	CHECK_EQ_STR(o.root, "/r=s");
	CHECK(o.args.n == 1 && !strcmp(o.args.v[0], "extra"));
	opts_free(&o);
	CHECK_EQ_INT(parse(&o, "dump --tree 010 --port 0080"), 0);
	CHECK(o.pid == 10 && o.port == 80); /* decimal, as criu's atoi */
	opts_free(&o);
	CHECK_EQ_INT(parse(&o, "dump -- -t --tree"), 0);
	CHECK(o.pid == 0 && o.args.n == 2 && !strcmp(o.args.v[0], "-t"));
	opts_free(&o);
	CHECK_EQ_INT(parse(&o, "-- restore"), 0);
	CHECK_EQ_INT(o.command, CMD_RESTORE);
	opts_free(&o);
}

static void test_unknown_and_missing(void)
{
	expect_error("dump --frobnicate", "unknown option: --frobnicate");
	expect_error("dump --frob=1", "unknown option: --frob");
	expect_error("dump -Q", "unknown option: -Q");
	expect_error("dump -RQ", "unknown option: -Q");
	expect_error("frobnicate", "unknown command: frobnicate");
	expect_error("restore --images-dir", "option --images-dir requires an argument");
	expect_error("restore -D", "option -D requires an argument");
	expect_error("dump -t abc", "option --tree: 'abc' is not a number");
	expect_error("dump -t 99999999999", "option --tree: '99999999999' is not a number");
	expect_error("dump --timeout -1", "option --timeout: '-1' is not a number");
	expect_error("dump --no-such", "unknown option: --no-such");
}

static void expect_ghost(const char *val, unsigned long long want)
{
	char cmd[128];
	struct cr_opts o;
	int err;

	snprintf(cmd, sizeof(cmd), "dump --ghost-limit %s", val);
	err = parse(&o, cmd);
	if (err < 0 || o.ghost_limit != want)
		T_FAILF("ghost-limit %s: err %d, got %llu, expected %llu", val, err,
			(unsigned long long)o.ghost_limit, want);
	opts_free(&o);
}

static void test_ghost_limit(void)
{
	expect_ghost("4096", 4096);
	expect_ghost("64K", 64 << 10);
	expect_ghost("64k", 64 << 10);
	expect_ghost("1M", 1 << 20);
	expect_ghost("2G", 2ull << 30);
	expect_ghost("010", 10);
	expect_error("dump --ghost-limit 1X", "option --ghost-limit: bad value '1X'");
	expect_error("dump --ghost-limit -1", "bad value '-1'");
	expect_error("dump --ghost-limit K", "bad value 'K'");
	expect_error("dump --ghost-limit 1MB", "bad value '1MB'");
	expect_error("dump --ghost-limit 99999999999999G", "bad value");
}

static void test_manage_cgroups(void)
{
	static const struct {
		const char *arg;
		enum cr_cg_mode mode;
	} ok[] = {{"", CR_CG_SOFT},	     {"=none", CR_CG_NONE},	 {"=props", CR_CG_PROPS},
		  {"=soft", CR_CG_SOFT},     {"=full", CR_CG_FULL},	 {"=strict", CR_CG_STRICT},
		  {"=ignore", CR_CG_IGNORE}, {"=default", CR_CG_DEFAULT}};
	struct cr_opts o;
	char cmd[64];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(cmd, sizeof(cmd), "dump --manage-cgroups%s", ok[i].arg);
		CHECK_EQ_INT(parse(&o, cmd), 0);
		CHECK_EQ_INT(o.manage_cgroups_mode, ok[i].mode);
		CHECK_EQ_INT(o.manage_cgroups, ok[i].mode != CR_CG_IGNORE);
		opts_free(&o);
	}
	/* an optional argument needs '=': "full" is a positional word, as with getopt */
	CHECK_EQ_INT(parse(&o, "dump --manage-cgroups full"), 0);
	CHECK(o.manage_cgroups_mode == CR_CG_SOFT && o.args.n == 1);
	opts_free(&o);
	expect_error("dump --manage-cgroups=bogus", "option --manage-cgroups: bad value 'bogus'");
}

static void test_inherit_join_empty(void)
{
	struct cr_opts o;

	CHECK_EQ_INT(parse(&o, "restore --inherit-fd fd[3]:pipe:[12] --join-ns user:/proc/1/ns/user,0,0 "
			       "-J net:/run/netns/a --empty-ns net"),
		     0);
	CHECK(o.nr_inherit_fds == 1 && o.inherit_fds[0].fd == 3);
	CHECK_EQ_STR(o.inherit_fds[0].key, "pipe:[12]");
	CHECK_EQ_INT(o.nr_join_ns, 2);
	CHECK_EQ_STR(o.join_ns[0].ns_file, "/proc/1/ns/user");
	CHECK_EQ_STR(o.join_ns[0].extra_opt, "0,0");
	CHECK(o.join_ns[1].extra_opt == NULL);
	CHECK_EQ_INT(o.empty_ns, CLONE_NEWNET);
	opts_free(&o);
	expect_error("restore --inherit-fd 3:pipe", "option --inherit-fd: bad value '3:pipe'");
	expect_error("restore --inherit-fd fd[x]:a", "bad value 'fd[x]:a'");
	expect_error("restore --inherit-fd fd[3]", "bad value 'fd[3]'");
	expect_error("restore --inherit-fd fd[3]:", "bad value 'fd[3]:'");
	expect_error("restore --inherit-fd fd[-1]:a", "bad value 'fd[-1]:a'");
	expect_error("restore --join-ns bogus:/x", "option --join-ns: bad value 'bogus:/x'");
	expect_error("restore --join-ns net", "bad value 'net'");
	expect_error("restore --join-ns net:", "bad value 'net:'");
	expect_error("restore --empty-ns pid", "option --empty-ns: bad value 'pid'");
}

/* --cpu-cap as criu reads it: words add to the default fpu,ins; ^ takes away; none clears */
static void test_cpu_cap(void)
{
	static const struct {
		const char *cmd;
		uint32_t caps;
	} ok[] = {
		{ "restore", CR_CPU_CAP_DEFAULT },
		{ "restore --cpu-cap", CR_CPU_CAP_ALL },
		{ "restore --cpu-cap=cpu", CR_CPU_CAP_ALL },
		{ "restore --cpu-cap=fpu", CR_CPU_CAP_DEFAULT },
		{ "restore --cpu-cap=none", CR_CPU_CAP_NONE },
		{ "restore --cpu-cap=none,fpu", CR_CPU_CAP_FPU },
		{ "restore --cpu-cap=^ins", CR_CPU_CAP_FPU },
		{ "restore --cpu-cap=^fpu,cpu", CR_CPU_CAP_INS | CR_CPU_CAP_CPU },
		{ "restore --cpu-cap=^none", CR_CPU_CAP_ALL },
		{ "restore --cpu-cap=all,^cpu", CR_CPU_CAP_DEFAULT },
		{ "restore --cpu-cap=none --cpu-cap=ins", CR_CPU_CAP_INS },
	};
	struct cr_opts o;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (parse(&o, ok[i].cmd) < 0 || o.cpu_cap != ok[i].caps)
			T_FAILF("'%s': caps 0x%x, expected 0x%x", ok[i].cmd, o.cpu_cap, ok[i].caps);
		CHECK_EQ_INT(opts_check_supported(&o), 0);
		opts_free(&o);
	}
	expect_error("restore --cpu-cap=avx", "--cpu-cap: unknown capability 'avx'");
	expect_error("restore --cpu-cap=fpu,sse", "unknown capability 'sse'");
}

static void test_not_supported_yet(void)
{
	struct cr_opts o;

	CHECK_EQ_INT(parse(&o, "dump -t 1 --lazy-pages"), 0);
	log_reset_first_error();
	CHECK_EQ_INT(opts_check_supported(&o), -EOPNOTSUPP);
	CHECK_ERR_MENTIONS("not supported yet: --lazy-pages");
	opts_free(&o);
	CHECK_EQ_INT(parse(&o, "dump -t 1 --no-lazy-pages -v4 -o x.log"), 0);
	CHECK_EQ_INT(opts_check_supported(&o), 0);
	opts_free(&o);
}

/* --file-validation and --skip-file-rwx-check: implemented (engine/files/file_check.h), values checked */
static void test_file_validation(void)
{
	struct cr_opts o;

	CHECK_EQ_INT(parse(&o, "restore --file-validation filesize --skip-file-rwx-check"), 0);
	CHECK_EQ_STR(o.file_validation, "filesize");
	CHECK(o.skip_file_rwx_check);
	CHECK_EQ_INT(opts_check_supported(&o), 0);
	opts_free(&o);
	CHECK_EQ_INT(parse(&o, "restore --file-validation=buildid"), 0);
	CHECK_EQ_STR(o.file_validation, "buildid");
	CHECK_EQ_INT(opts_check_supported(&o), 0);
	opts_free(&o);
	expect_error("restore --file-validation inode", "option --file-validation: bad value 'inode'");
}

/* ---- config files ---- */

static char tmpdir[64];

static const char *write_file(const char *name, const char *text)
{
	static char path[8][192];
	static int slot;
	char *p = path[slot++ % 8];
	FILE *f;

	snprintf(p, 192, "%s/%s", tmpdir, name);
	f = fopen(p, "w");
	if (!f)
		return p;
	fputs(text, f);
	fclose(f);
	return p;
}

static void test_config_syntax(void)
{
	const char *path = write_file("syntax.conf", "# a comment\n"
						     "\n"
						     "log-file a.log   # trailing comment\n"
						     "   \t\n"
						     "\t# indented comment\n"
						     "tree=5\n"
						     "images-dir '/a b'\n"
						     "work-dir \"/c d\"\n"
						     "--root /r\n"
						     "tcp-established\n"
						     "no-shell-job\n");
	struct cr_opts o;

	opts_init(&o);
	CHECK_EQ_INT(opts_apply_config_file(&o, path, true), 0);
	CHECK_EQ_STR(o.log_file, "a.log");
	CHECK_EQ_INT(o.pid, 5);
	CHECK_EQ_STR(o.images_dir, "/a b");
	CHECK_EQ_STR(o.work_dir, "/c d");
	CHECK_EQ_STR(o.root, "/r");
	CHECK(o.tcp_established && !o.shell_job && o.origin == NULL);
	opts_free(&o);
}

/* A config file whose line 2 is `line2` fails with "FILE:2: <want>". */
static void expect_config_error(const char *line2, const char *want)
{
	char text[256], prefix[256];
	const char *path;
	struct cr_opts o;

	snprintf(text, sizeof(text), "log-file a.log\n%s\n", line2);
	path = write_file("bad.conf", text);
	opts_init(&o);
	log_reset_first_error();
	CHECK_EQ_INT(opts_apply_config_file(&o, path, true), -EINVAL);
	snprintf(prefix, sizeof(prefix), "%s:2: %s", path, want);
	CHECK_ERR_MENTIONS(prefix);
	opts_free(&o);
}

static void test_config_errors(void)
{
	struct cr_opts o;

	expect_config_error("bogus-option", "unknown option: --bogus-option");
	expect_config_error("ghost-limit 1X", "option --ghost-limit: bad value '1X'");
	expect_config_error("log-file 'open", "unterminated quote");
	expect_config_error("tree 5 6", "unexpected word '6'");
	expect_config_error("images-dir", "option --images-dir requires an argument");
	expect_config_error("dump", "unknown option: --dump");
	opts_init(&o);
	log_reset_first_error();
	CHECK(opts_apply_config_file(&o, tmpdir, false) < 0); /* a directory */
	CHECK_ERR_MENTIONS("cannot read");
	CHECK_EQ_INT(opts_apply_config_file(&o, "/nonexistent/x.conf", false), 0);
	CHECK_EQ_INT(opts_apply_config_file(&o, "/nonexistent/x.conf", true), -ENOENT);
	opts_free(&o);
}

/* Runs opts_load_at with HOME and CRIU_CONFIG_FILE as given (NULL: unset). */
static int load(struct cr_opts *o, const char *global, const char *home, const char *env, const char *cmdline)
{
	char buf[1024], *argv[MAX_WORDS];
	int argc;

	snprintf(buf, sizeof(buf), "%s", cmdline);
	argc = split(buf, argv);
	if (home)
		setenv("HOME", home, 1);
	else
		unsetenv("HOME");
	if (env)
		setenv("CRIU_CONFIG_FILE", env, 1);
	else
		unsetenv("CRIU_CONFIG_FILE");
	opts_init(o);
	log_reset_first_error();
	return opts_load_at(o, global, argc, argv);
}

static void test_config_order(void)
{
	char home[128], dotcriu[160], cmd[512];
	const char *global, *env, *cfg;
	struct cr_opts o;

	snprintf(home, sizeof(home), "%s/home", tmpdir);
	snprintf(dotcriu, sizeof(dotcriu), "%s/.criu", home);
	mkdir(home, 0700);
	mkdir(dotcriu, 0700);
	global = write_file("global.conf",
			    "log-file g\nwork-dir gw\nroot gr\nprev-images-dir gp\nlibdir gl\n");
	write_file("home/.criu/default.conf", "log-file h\nwork-dir hw\nroot hr\nprev-images-dir hp\n");
	env = write_file("env.conf", "log-file e\nwork-dir ew\nroot er\n");
	cfg = write_file("cmd.conf", "log-file c\nwork-dir cw\n");
	snprintf(cmd, sizeof(cmd), "restore --config %s -o a", cfg);
	CHECK_EQ_INT(load(&o, global, home, env, cmd), 0);
	CHECK_EQ_STR(o.log_file, "a");	       /* argv wins */
	CHECK_EQ_STR(o.work_dir, "cw");	       /* then --config */
	CHECK_EQ_STR(o.root, "er");	       /* then $CRIU_CONFIG_FILE */
	CHECK_EQ_STR(o.prev_images_dir, "hp"); /* then ~/.criu/default.conf */
	CHECK_EQ_STR(o.libdir, "gl");	       /* then the global file */
	CHECK_EQ_INT(o.command, CMD_RESTORE);
	opts_free(&o);
	snprintf(cmd, sizeof(cmd), "restore --no-default-config --config=%s", cfg);
	CHECK_EQ_INT(load(&o, global, home, env, cmd), 0);
	CHECK(o.root == NULL && o.libdir == NULL);
	CHECK_EQ_STR(o.log_file, "c");
	opts_free(&o);
	/* default files missing: fine; --config missing: an error naming it */
	CHECK_EQ_INT(load(&o, "/nonexistent/default.conf", tmpdir, "/nonexistent/env.conf", "restore"), 0);
	opts_free(&o);
	CHECK_EQ_INT(load(&o, global, NULL, NULL, "restore --config /nonexistent/c.conf"), -ENOENT);
	CHECK_ERR_MENTIONS("config file /nonexistent/c.conf: cannot open");
	opts_free(&o);
	CHECK(load(&o, global, home, env, "restore --bogus") < 0);
	CHECK_ERR_MENTIONS("unknown option: --bogus");
	opts_free(&o);
}

static void remove_tmpdir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("    could not remove %s\n", tmpdir);
}

/* --external: unix[INO], namespaces, mnt[] and tty[RDEV:DEV] (hex, CRIU's form) are taken. */
static void test_external_forms(void)
{
	struct cr_opts o;

	CHECK_EQ_INT(parse(&o, "dump -t 1 --external unix[5555] --ext-unix-sk=77"), 0);
	CHECK_EQ_INT(opts_check_supported(&o), 0);
	opts_free(&o);
	CHECK_EQ_INT(parse(&o, "dump -t 1 --external mnt[/a]:b --ext-mount-map /c:d"), 0);
	CHECK_EQ_INT(opts_check_supported(&o), 0);
	CHECK_EQ_STR(o.external.v[o.external.n - 1], "mnt[/c]:d");
	opts_free(&o);
	/* what lxc-checkpoint passes */
	CHECK_EQ_INT(parse(&o, "dump -t 1 --external tty[8800:19] --force-irmap --enable-external-sharing "
			       "--enable-external-masters --enable-fs hugetlbfs --enable-fs tracefs"),
		     0);
	CHECK_EQ_INT(opts_check_supported(&o), 0);
	CHECK(o.force_irmap && o.ext_sharing && o.ext_masters && o.enable_fs.n == 2);
	opts_free(&o);
	CHECK_EQ_INT(parse(&o, "dump -t 1 --external tty[34816:0]:term"), 0);
	log_reset_first_error();
	CHECK_EQ_INT(opts_check_supported(&o), -EOPNOTSUPP);
	CHECK_ERR_MENTIONS("not supported yet: --external tty[34816:0]:term");
	opts_free(&o);
	/*
	 * what lxc-checkpoint -r passes (LXC 5.0.2 with lxc.net.0.type = empty
	 * also passes a stray --external with its last buffer): a key no
	 * resource asks for is kept, as criu does (and warned about once the
	 * job's log is open: opts_log_unused_externals)
	 */
	CHECK_EQ_INT(parse(&o,
			   "restore --lsm-profile apparmor:generated --external veth[eth0]:vethAB12cd@lxcbr0 "
			   "--external apparmor:generated --lsm-mount-context system_u:object_r:x:s0"),
		     0);
	log_reset_first_error();
	CHECK_EQ_INT(opts_check_supported(&o), 0);
	CHECK(log_first_error() == NULL);
	CHECK_EQ_STR(o.lsm_profile, "apparmor:generated");
	CHECK_EQ_INT(o.external.n, 2);
	opts_free(&o);
	/* the same stray without an LSM profile: the console's buffer */
	CHECK_EQ_INT(parse(&o, "restore --ext-mount-map console:/dev/pts/0 --external console:/dev/pts/0"), 0);
	log_reset_first_error();
	CHECK_EQ_INT(opts_check_supported(&o), 0);
	CHECK(log_first_error() == NULL);
	opts_free(&o);
}

/* criu service: the socket's mode is octal and the operator's; the limits have defaults. */
static void test_service_options(void)
{
	struct cr_opts o;

	CHECK_EQ_INT(parse(&o, "service --address /run/criu.sock"), 0);
	CHECK_EQ_INT(o.address_mode, -1); /* not given: the service binds with 0600 */
	CHECK_EQ_INT(o.max_workers, 64);
	CHECK_EQ_INT(o.max_workers_per_uid, 16);
	CHECK_EQ_INT(o.idle_timeout, 30);
	opts_free(&o);
	CHECK_EQ_INT(
		parse(&o,
		      "service --address-mode 0660 --max-workers 8 --max-workers-per-uid 2 --idle-timeout 5"),
		0);
	CHECK_EQ_INT(o.address_mode, 0660);
	CHECK(o.max_workers == 8 && o.max_workers_per_uid == 2 && o.idle_timeout == 5);
	opts_free(&o);
	CHECK_EQ_INT(parse(&o, "service --address-mode 666"), 0);
	CHECK_EQ_INT(o.address_mode, 0666);
	opts_free(&o);
	expect_error("service --address-mode 0999", "option --address-mode: bad value '0999'");
	expect_error("service --address-mode 01777", "option --address-mode: bad value '01777'");
	expect_error("service --address-mode -600", "option --address-mode: bad value '-600'");
	expect_error("service --idle-timeout -1", "option --idle-timeout: '-1' is not a number");
}

/* ---- the non-root caller's rules (swrk/caller_policy.c) ---- */

/* Every row of the option table has a verdict: a new option cannot slip through unjudged. */
static void test_policy_every_row(void)
{
	for (size_t i = 0; i < opts_table_size(); i++)
		if (!policy_row_classified(opts_table_name(i)))
			T_FAILF("option --%s has no rule in swrk/caller_policy.c", opts_table_name(i));
	CHECK(!policy_row_classified("no-such-option"));
}

static void test_policy_who_is_restricted(void)
{
	CHECK(!policy_caller_restricted(0, 0, true));	     /* root */
	CHECK(policy_caller_restricted(1000, 0, true));	     /* a user of a root service */
	CHECK(policy_caller_restricted(1000, 2000, false));  /* another user's criu */
	CHECK(policy_caller_restricted(1000, 1000, true));   /* its own uid, but criu has capabilities */
	CHECK(!policy_caller_restricted(1000, 1000, false)); /* its own criu swrk: nothing more */
}

/* A config file of the caller's with `line`: policy_check_caller_opts's result; *ret_o kept for checks. */
static int caller_config(struct cr_opts *o, const char *line)
{
	char text[256];
	const char *path;
	int err;

	snprintf(text, sizeof(text), "images-dir /tmp/x\n%s\n", line);
	path = write_file("caller.conf", text);
	opts_init(o);
	o->input = OPT_BY_RPC_CONFIG;
	err = opts_apply_config_file(o, path, true);
	o->input = OPT_BY_OPERATOR;
	if (err < 0) {
		T_FAILF("'%s' does not parse: %d", line, err);
		return err;
	}
	log_reset_first_error();
	return policy_check_caller_opts(o, 1000, path);
}

static void expect_config_refused(const char *line, const char *key, const char *why)
{
	char want[512];
	struct cr_opts o;

	if (caller_config(&o, line) != -EPERM) {
		T_FAILF("config line '%s' was not refused", line);
	} else {
		snprintf(want, sizeof(want),
			 "config_file %s/caller.conf sets %s: a non-root caller (uid 1000) may not ", tmpdir,
			 key);
		CHECK_ERR_MENTIONS(want);
		CHECK_ERR_MENTIONS(why);
	}
	opts_free(&o);
}

static void expect_config_allowed(const char *line)
{
	struct cr_opts o;

	if (caller_config(&o, line) != 0)
		T_FAILF("config line '%s' was refused: %s", line, log_first_error());
	opts_free(&o);
}

static void test_policy_config_file(void)
{
	struct cr_opts o;

	/* what criu would execute or load, as root */
	expect_config_refused("action-script /home/u/x.sh", "action-script", "name programs criu runs");
	expect_config_refused("hooks /home/u/hooks.json", "hooks", "name programs criu runs");
	expect_config_refused("libdir /home/u/plugins", "libdir", "load plugins");
	expect_config_refused("exec-cmd /bin/sh", "exec-cmd", "name programs criu runs");
	/* root power */
	expect_config_refused("root /home/u/fakeroot", "root", "choose the root");
	expect_config_refused("freeze-cgroup /sys/fs/cgroup/x", "freeze-cgroup", "freeze a cgroup");
	expect_config_refused("manage-cgroups=full", "manage-cgroups", "write cgroups");
	expect_config_refused("cgroup-root /x", "cgroup-root", "write cgroups");
	expect_config_refused("ext-mount-map /a:/b", "ext-mount-map", "name external mounts");
	expect_config_refused("external mnt[/a]:b", "external", "name external mounts");
	expect_config_refused("external veth[a]:b", "external", "network devices");
	expect_config_refused("join-ns net:/proc/1/ns/net", "join-ns", "join namespaces");
	expect_config_refused("veth-pair a=b", "veth-pair", "create network devices");
	expect_config_refused("tcp-established", "tcp-established", "repair mode");
	expect_config_refused("shell-job", "shell-job", "session");
	expect_config_refused("status-fd 5", "status-fd", "file descriptor of criu's own");
	/* harmless: files opened as the caller, switches turned off, its own sockets */
	expect_config_allowed("log-file x.log");
	expect_config_allowed("no-shell-job");
	expect_config_allowed("manage-cgroups=ignore");
	expect_config_allowed("external unix[123]");
	expect_config_allowed("tcp-close");
	expect_config_allowed("leave-running");
	/* the operator's own settings are not the caller's: nothing to judge */
	opts_init(&o);
	CHECK_EQ_INT(opts_apply_config_file(
			     &o, write_file("op.conf", "action-script /usr/lib/x.sh\nroot /r\n"), true),
		     0);
	CHECK_EQ_INT(policy_check_caller_opts(&o, 1000, NULL), 0);
	opts_free(&o);
}

/* An RPC field is named as criu_opts.FIELD. */
static void test_policy_rpc_field(void)
{
	struct cr_opts o;

	opts_init(&o);
	o.input = OPT_BY_RPC_FIELD;
	CHECK_EQ_INT(opts_apply_named(&o, "root", "/home/u/r", false), 0);
	o.input = OPT_BY_OPERATOR;
	log_reset_first_error();
	CHECK_EQ_INT(policy_check_caller_opts(&o, 1000, NULL), -EPERM);
	CHECK_ERR_MENTIONS("criu_opts.root: a non-root caller (uid 1000) may not choose the root (chroot)");
	opts_free(&o);
	opts_init(&o);
	o.input = OPT_BY_RPC_FIELD;
	CHECK_EQ_INT(opts_apply_named(&o, "exec-cmd", "/bin/true", false), 0);
	CHECK_EQ_INT(opts_apply_named(&o, "tcp-established", NULL, true), 0); /* tcp_established = false */
	o.input = OPT_BY_OPERATOR;
	log_reset_first_error();
	CHECK_EQ_INT(policy_check_caller_opts(&o, 1000, NULL), -EPERM);
	CHECK_ERR_MENTIONS(
		"criu_opts.exec_cmd: a non-root caller (uid 1000) may not name programs criu runs");
	opts_free(&o);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_options.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	log_set_level(0); /* errors are checked through log_first_error() */
	t_run("options_verbosity", test_verbosity);
	t_run("options_log_and_dirs", test_log_and_dirs);
	t_run("options_bools_and_clusters", test_bools_and_clusters);
	t_run("options_values_and_positions", test_values_and_positions);
	t_run("options_unknown_and_missing", test_unknown_and_missing);
	t_run("options_ghost_limit", test_ghost_limit);
	t_run("options_manage_cgroups", test_manage_cgroups);
	t_run("options_inherit_join_empty", test_inherit_join_empty);
	t_run("options_cpu_cap", test_cpu_cap);
	t_run("options_not_supported_yet", test_not_supported_yet);
	t_run("options_file_validation", test_file_validation);
	t_run("options_external_forms", test_external_forms);
	t_run("options_config_syntax", test_config_syntax);
	t_run("options_config_errors", test_config_errors);
	t_run("options_config_order", test_config_order);
	t_run("options_service", test_service_options);
	t_run("policy_every_row", test_policy_every_row);
	t_run("policy_who_is_restricted", test_policy_who_is_restricted);
	t_run("policy_config_file", test_policy_config_file);
	t_run("policy_rpc_field", test_policy_rpc_field);
	remove_tmpdir();
	return t_done();
}
