/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * All options of one job, and the one table that knows each option's CLI
 * spelling, config-file key and RPC field. The CLI, config files and (through
 * the RPC field names) the RPC all fill a struct cr_opts through this table.
 */
#ifndef CR_SWRK_OPTIONS_H
#define CR_SWRK_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cr_strv {
	char **v;
	size_t n;
};

struct cr_inherit_fd {
	int fd;	   /* in the criu process */
	char *key; /* "pipe:[123]", "extRootNetNS", ... */
};

/* Whether e is an --external tty[RDEV:DEV] (both hex), and its numbers. */
bool cr_external_tty(const char *e, unsigned long long *rdev, unsigned long long *dev);
/* The fd given with --inherit-fd for key among v[0..n), or -ENOENT. */
int cr_inherit_fd_find(const struct cr_inherit_fd *v, size_t n, const char *key);

struct cr_join_ns {
	char *ns;	 /* "net", "ipc", ... */
	char *ns_file;	 /* path or pid */
	char *extra_opt; /* user ns: "uid,gid" */
};

/* Same values as criu_cg_mode in rpc.proto. */
enum cr_cg_mode {
	CR_CG_IGNORE = 0,
	CR_CG_NONE = 1,
	CR_CG_PROPS = 2,
	CR_CG_SOFT = 3,
	CR_CG_FULL = 4,
	CR_CG_STRICT = 5,
	CR_CG_DEFAULT = 6,
};

/*
 * --cpu-cap: what a restore requires of this CPU against the dump's
 * cpuinfo.img. The values of the RPC's criu_opts.cpu_cap bits.
 */
#define CR_CPU_CAP_NONE	   0u
#define CR_CPU_CAP_FPU	   (1u << 0) /* the xsave components and frame size */
#define CR_CPU_CAP_CPU	   (1u << 1) /* every CPUID word, vendor, family, model */
#define CR_CPU_CAP_INS	   (1u << 2) /* every instruction-set feature */
#define CR_CPU_CAP_IMAGE   (1u << 3) /* criu's "write/read cpuinfo.img": implied here unless none */
#define CR_CPU_CAP_ALL	   (CR_CPU_CAP_FPU | CR_CPU_CAP_CPU | CR_CPU_CAP_INS)
#define CR_CPU_CAP_DEFAULT (CR_CPU_CAP_FPU | CR_CPU_CAP_INS)

enum cr_command {
	CMD_NONE = 0,
	CMD_CHECK,
	CMD_DUMP,
	CMD_PRE_DUMP,
	CMD_RESTORE,
	CMD_SHOW,
	CMD_EXEC,
	CMD_PAGE_SERVER,
	CMD_SERVICE,
	CMD_SWRK,
	CMD_LAZY_PAGES,
	CMD_DEDUP,
	CMD_CPUINFO,
	CMD_CHECK_VERSION, /* --version */
	CMD_HELP,
};

struct cr_opts {
	enum cr_command command;
	struct cr_strv args; /* positional arguments after the command */

	/* common */
	int log_level;
	char *log_file;
	bool log_to_stderr;
	char *images_dir;
	char *work_dir;
	char *prev_images_dir;
	char *libdir;
	char *config_file;
	bool no_default_config;
	char *pidfile;
	bool display_stats;
	bool stream;
	struct cr_strv action_scripts;
	char *hooks_file;
	bool unprivileged;
	struct cr_strv close_fds;

	/* dump / restore */
	int pid; /* -t */
	char *root;
	bool leave_running;
	bool leave_stopped;
	bool track_mem;
	int pre_dump_mode; /* 1 splice, 2 read: how a pre-dump copies pages; a dump has no use for it */
	bool page_server;
	char *address;
	int port;
	bool lazy_pages;
	bool tcp_established;
	bool tcp_close;
	bool tcp_skip_in_flight;
	bool file_locks;
	bool link_remap;
	uint64_t ghost_limit;
	bool ghost_fiemap; /* on unless --no-ghost-fiemap */
	bool force_irmap;
	struct cr_strv irmap_scan_paths;
	char *freeze_cgroup;
	bool manage_cgroups;
	enum cr_cg_mode manage_cgroups_mode;
	struct cr_strv cgroup_roots; /* "[ctrl:]path" */
	char *cgroup_props;
	char *cgroup_props_file;
	struct cr_strv cgroup_dump_controllers;
	char *cgroup_yard;
	bool auto_ext_mnt;
	bool ext_sharing;
	bool ext_masters;
	struct cr_strv external; /* "type[id]:val", ext-mount-map and veth-pair land here */
	bool ext_unix_sk;
	struct cr_strv unix_sk_inodes;
	struct cr_inherit_fd *inherit_fds;
	size_t nr_inherit_fds;
	struct cr_join_ns *join_ns;
	size_t nr_join_ns;
	uint32_t empty_ns; /* CLONE_NEW* mask */
	bool restore_detached;
	bool restore_sibling;
	bool daemon;
	char *lsm_profile;
	char *lsm_mount_context;
	bool shell_job;
	bool evasive_devices;
	uint32_t cpu_cap; /* CR_CPU_CAP_*: what restore checks of the CPU (engine/cpu/) */
	bool weak_sysctls;
	bool skip_file_rwx_check;
	char *file_validation;
	bool allow_uprobes;
	int network_lock; /* 1 iptables, 2 nftables, 3 skip */
	unsigned int timeout;
	bool auto_dedup;
	int status_fd;
	bool mntns_compat_mode;
	bool tls;
	char *tls_cacert;
	char *tls_cacrl;
	char *tls_cert;
	char *tls_key;
	bool tls_no_cn_verify;
	struct cr_strv enable_fs;
	struct cr_strv skip_mnt;
	int image_io_mode; /* 0 writeback, 1 direct */
	struct cr_strv exec_cmd;

	/* criu service (the operator's: a caller may not set them, swrk/caller_policy.c) */
	int address_mode;		  /* of the socket it binds; -1: not given (0600) */
	unsigned int max_workers;	  /* connections served at once; more wait in the backlog */
	unsigned int max_workers_per_uid; /* of one non-root uid; more are refused */
	unsigned int idle_timeout;	  /* seconds a connection may send nothing; 0: forever */

	/* check */
	bool check_all;
	bool check_extra;
	bool check_experimental;
	struct cr_strv features;

	/* show */
	char *show_file;
	bool show_contents;

	/*
	 * Filled by the RPC front door only (swrk/rpc.c): fds and switches that
	 * have no CLI option. Fd numbers marked "peer" are the client's and must
	 * be reopened through /proc/<peer pid>/fd/N; none of them is owned here.
	 */
	int rpc_images_dir_fd;	  /* peer; -1: use images_dir */
	int rpc_work_dir_fd;	  /* peer; -1: none given */
	int rpc_status_fd;	  /* peer; -1: none given (obsolete, see status-ready) */
	int rpc_pidfd_store_sk;	  /* peer; -1: none given */
	int rpc_ps_fd;		  /* our own pre-connected page-server socket (swrk only); -1 */
	bool rpc_notify_scripts;  /* send NOTIFY messages for action scripts */
	bool rpc_orphan_pts_master; /* send the orphan-pts-master notification with an fd */

	/* while parsing: "FILE:LINE" or "RPC field", prefixed to error messages */
	const char *origin;

	/* which table rows were given a value that is not their default */
	unsigned char given[160];
	/*
	 * Who set each row (enum opt_input): the operator (command line, the
	 * global config files) or the RPC caller (its criu_opts fields, its
	 * config_file). apply stamps rows with o->input while it is not
	 * OPT_BY_OPERATOR; swrk/caller_policy.c judges the caller's rows.
	 */
	unsigned char input;
	unsigned char by_caller[160];
};

enum opt_input {
	OPT_BY_OPERATOR = 0,
	OPT_BY_RPC_FIELD = 1,  /* a criu_opts field */
	OPT_BY_RPC_CONFIG = 2, /* a line of criu_opts.config_file */
};

/* Fills the defaults: log level 2, ghost limit 1 MiB, timeout 10 s, ... */
void opts_init(struct cr_opts *o);
void opts_free(struct cr_opts *o);

/*
 * Parses a command line (argv[0] is the program). Options may stand before
 * and after the command, as with criu. Returns 0 or -errno, logging the
 * offending option.
 */
int opts_parse_argv(struct cr_opts *o, int argc, char **argv);

/*
 * Applies config files in criu's order: /etc/criu/default.conf,
 * ~/.criu/default.conf, $CRIU_CONFIG_FILE (all skipped with
 * --no-default-config; a missing default file is not an error), then
 * --config FILE (which must exist). The command line wins over them all, so
 * the caller parses config files first and argv again afterwards.
 */
int opts_apply_config_file(struct cr_opts *o, const char *path, bool must_exist);
/*
 * Fills o from every source in criu's order, later ones winning:
 * /etc/criu/default.conf, ~/.criu/default.conf, $CRIU_CONFIG_FILE (these three
 * skipped with --no-default-config, and fine when missing), --config FILE
 * (must exist), then argv. Returns 0 or -errno (logged).
 */
int opts_load(struct cr_opts *o, int argc, char **argv);
/* The same with another global config file than /etc/criu/default.conf (tests). */
int opts_load_at(struct cr_opts *o, const char *global_conf, int argc, char **argv);
/* Looks for --config / --no-default-config in argv without applying anything else. */
void opts_scan_config_args(int argc, char **argv, const char **ret_config, bool *ret_no_default);

/*
 * Fails with "not supported yet: --X" for each option given a value whose
 * behaviour is not implemented. Returns 0 or -EOPNOTSUPP.
 */
int opts_check_supported(const struct cr_opts *o);
/* Logs the --external keys no resource of ours asks for (criu keeps them): once the job's log is open. */
void opts_log_unused_externals(const struct cr_opts *o);

/*
 * Applies one option by its long name with a string argument, exactly as the
 * command line would ("--name=arg"; negate gives "--no-name"). The RPC front
 * door turns each criu_opts field into this form, so there is one parser.
 * Returns 0 or -errno (logged).
 */
int opts_apply_named(struct cr_opts *o, const char *name, const char *arg, bool negate);
/* The row whose RPC field (criu_opts member name) is rpc_field, or -1. */
int opts_find_rpc(const char *rpc_field);

/* The number of rows in the option table, and a row's long name. */
size_t opts_table_size(void);
const char *opts_table_name(size_t i);
/* The RPC field a row is fed from ("tcp_established", "ps.port"), or NULL. */
const char *opts_table_rpc(size_t i);
/* Whether a row takes no argument (a switch); its --no- form is then allowed too. */
bool opts_table_is_switch(size_t i);
/* The row index of a long option name (without dashes), or -1. */
int opts_find(const char *name);

const char *opts_command_name(enum cr_command c);
void opts_print_help(void);

#endif
