/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Open files of the dumped tree. Every kind of fd is one struct fd_ops
 * (files/<kind>.c, dump and restore side by side), registered in one table
 * that both directions read.
 *
 * Dump: each fd is taken with pidfd_getfd, so we hold the very open file
 * description; fds that share one (dup, fork) are found with kcmp and
 * dumped once. Restore: criu opens every file description itself before the
 * tree is forked, so the tasks inherit them (sharing what was shared), and
 * each task then puts them at its fd numbers and closes everything else.
 */
#ifndef CR_FILES_H
#define CR_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "image.h"
#include "images/core.pb-c.h"
#include "images/files.pb-c.h"

struct files_dump;
struct files_restore;

/* What a dump callback gets about one fd. */
struct fd_dump_arg {
	pid_t pid;
	int fd;		 /* the number in the task */
	int local;	 /* our copy (pidfd_getfd) */
	struct stat st;	 /* of the file */
	const char *link; /* /proc/PID/fd/N target */
	unsigned int flags;
	uint64_t pos;
};

struct fd_ops {
	const char *name;
	FileKind kind;
	bool (*match)(const struct stat *st, const char *link);
	/*
	 * Optional, tried instead of match when set: for kinds told apart only
	 * through the fd itself (a socket's family: getsockopt SO_DOMAIN on local).
	 */
	bool (*match_fd)(int local, const struct stat *st, const char *link);
	/* Fills fe (kind, flags, pos and id are already set). */
	int (*dump)(struct files_dump *fd, const struct fd_dump_arg *a, FileEntry *fe);
	/* In criu, before forking: opens the description; *ret_fd is ours. */
	int (*open)(struct files_restore *fr, const FileEntry *fe, int *ret_fd);
	/*
	 * Optional, at the end of the dump, when every description of the tree
	 * is known (epoll targets, pidfd targets); local is our copy.
	 */
	int (*dump_finish)(struct files_dump *fd, FileEntry *fe, int local);
	/*
	 * Optional, in the restored task once all its fds are installed, for
	 * each fd of this kind (fd is the task's number). criu's copies of every
	 * description (files_restore_fd) are still open in the task then. A file
	 * only in flight in a socket queue gets one call, in the first task, with
	 * criu's number.
	 * files_restore_first_holder() picks the one call that sets up a shared
	 * description.
	 */
	int (*post_install)(struct files_restore *fr, const FileEntry *fe, int fd);
};

/* ---- dump ---- */

int files_dump_init(uint64_t *next_id, uint64_t ghost_limit, struct files_dump **ret);
/* Dumps the fds of one frozen process into fdtable-ID. */
int files_dump_task(struct files_dump *fd, pid_t pid, struct img_dir *d, uint64_t task_id);
/* A frozen process whose fd table another one dumped (CLONE_FILES): only known as a task of the tree. */
int files_dump_task_shared(struct files_dump *fd, pid_t pid);
/* Writes files.img and pipes.img after the last task. */
int files_dump_finish(struct files_dump *fd, struct img_dir *d);
void files_dump_free(struct files_dump *fd);

/* For the kinds: pipes are shared objects keyed by inode. */
int pipes_dump_note(struct files_dump *fd, const struct fd_dump_arg *a, FileEntry *fe);
uint64_t files_dump_ghost_limit(const struct files_dump *fd);
/*
 * A shell job (--shell-job): ext_sid is the tree's session outside it. The
 * fds on that session's controlling terminal are dumped as its terminal.
 */
void files_dump_set_shell_job(struct files_dump *fd, pid_t ext_sid);
/*
 * --link-remap: an open file whose path was removed while other links keep
 * it is reopened at restore through a hard link made now, beside it.
 * files_dump_abort() removes those links again when the dump fails.
 */
void files_dump_set_link_remap(struct files_dump *fd, bool on);
/*
 * --external tty[RDEV:DEV] (hex, as stat gives them), among the --external
 * strings: a file of the tree open on that terminal is refused by name
 * (restoring it through --inherit-fd is not implemented yet); a terminal
 * no file of the tree uses needs nothing.
 */
void files_dump_set_external(struct files_dump *fd, char *const *external, size_t n);
/* --force-irmap: every inotify/fanotify inode watch must have a name to keep (fsnotify.c). */
/*
 * --force-irmap, and --irmap-scan-path: directories (in the task's root) searched for a watched
 * inode that its handle does not reach or that has no name (fsnotify.c).
 */
/* The creds of the task whose fds are dumped next: its files must be ones it can open again itself. */
void files_dump_set_creds(struct files_dump *fd, const CredsEntry *creds);
void files_dump_set_force_irmap(struct files_dump *fd, bool on, char *const *scan, size_t nr_scan);
/* The tree's root task: its root is where the restore reopens files by path. 0 or -errno. */
int files_dump_set_root(struct files_dump *fd, pid_t root);
void files_dump_abort(struct files_dump *fd);
/* Whether the tree is a shell job; *ret_sid gets its external session. */
bool files_dump_shell_job_sid(const struct files_dump *fd, pid_t *ret_sid);
/*
 * For mm: the unlinked file behind a mapping, opened through map_path
 * (/proc/PID/map_files/START-END; link is its name in maps). Its contents
 * are stored once per inode, shared with open fds of it; *ret_id names
 * the file_entry whose ghost serves the mapping at restore.
 */
int files_dump_mapped_file(struct files_dump *fd, pid_t pid, const char *map_path, const char *link,
			   uint64_t *ret_id);

/*
 * Network sockets (sk_inet.c): the dump's options, and the network lock of
 * the frozen tree of root (fires network-lock for a tree with its own net ns).
 */
struct files_net_opts {
	bool tcp_established, tcp_close, skip_in_flight;
	int network_lock; /* cr_opts.network_lock: 1 iptables, 2 nftables, 3 skip */
	pid_t root;
};
int files_dump_set_net(struct files_dump *fd, const struct files_net_opts *o);
/* The tree goes on (--leave-running, a failed dump): TCP leaves repair mode, the lock is lifted. */
void files_dump_net_resume(struct files_dump *fd);

/*
 * A self-dump (libcriu criu_dump without a pid): ino is the server's end of
 * the RPC connection; the tree's socket connected to it is the caller's,
 * dumped as its RPC socket instead of refused as an outside peer (sk_unix.c).
 */
void files_dump_set_rpc_sk(struct files_dump *fd, uint64_t ino);

/*
 * For sk_unix.c: a file in flight in one of pid's socket queues, which we got
 * by peeking (local is taken on every path): *ret_id is its description's id,
 * dumped now unless already known; 1 (no id): a unix socket not dumped yet,
 * to be found among the tree's sockets at the end of the dump.
 */
int files_dump_inflight(struct files_dump *fd, pid_t pid, int local, uint64_t *ret_id);

/* ---- restore ---- */

enum files_restore_flags {
	FILES_SHELL_JOB = 1,	    /* a shell job's terminal is given criu's own terminal */
	FILES_EVASIVE_DEVICES = 2, /* a device file whose path is gone is opened through another node */
	FILES_VALIDATE_SIZE = 4,    /* --file-validation filesize (file_check.h); else buildid */
	FILES_SKIP_RWX_CHECK = 8,   /* --skip-file-rwx-check */
};

struct cr_inherit_fd;
/*
 * Loads files, pipes and every task's fdtable, and opens every description.
 * files_ids[i]: the task whose fd table task_ids[i] shares (CLONE_FILES),
 * listed before it; its own id when the table is its own (files_ids NULL:
 * every table is its task's own). A shared table is loaded and installed
 * once, by its first task.
 * inherit: the --inherit-fd list (criu's fds standing for a dumped pipe or
 * an external terminal), kept by reference until files_restore_free().
 * Every path of the images is resolved under root (NULL: criu's "/") and
 * opened with the file-system creds of the task that holds it: creds[i] are
 * task_ids[i]'s as dumped (creds NULL: criu's own rights, for unit tests).
 */
int files_restore_prepare(struct img_dir *d, const uint64_t *task_ids, const uint64_t *files_ids,
			  size_t nr_tasks, unsigned int flags, const struct cr_inherit_fd *inherit,
			  size_t nr_inherit, const char *root, const CredsEntry *const *creds,
			  struct files_restore **ret);
/*
 * The root a path of the images resolves in when its file was reached through
 * mount mnt_id at dump: an fd of the root of that mount's namespace (kept by
 * the caller), or -ENOENT for the tree's root (-ENODEV: the tree has one).
 */
struct files_roots {
	int (*root_of)(void *arg, uint32_t mnt_id);
	void *arg;
};
/*
 * The root a path of a file on mount mnt_id (at dump) resolves in: that
 * mount's namespace's (files_roots), or the tree's (a mount of namespace 0,
 * or of none: one detached by then). Kept by fr. -ENOENT if the tree has
 * one mount namespace (or none of its own): every task's root is the place.
 */
int files_restore_root_for(const struct files_restore *fr, uint32_t mnt_id);
/* The mount the file of fd (ours) is on: fdinfo mnt_id; 0 if the kernel does not say. */
uint32_t files_fd_mnt_id(int fd);
/* files_restore_prepare(), the paths of files of other mount namespaces resolved in their roots. */
int files_restore_prepare_in(struct img_dir *d, const uint64_t *task_ids, const uint64_t *files_ids,
			     size_t nr_tasks, unsigned int flags, const struct cr_inherit_fd *inherit,
			     size_t nr_inherit, const char *root, const struct files_roots *roots,
			     const CredsEntry *const *creds, struct files_restore **ret);
/*
 * Before the fork: the restored task task_id keeps fd past
 * files_restore_task(), inherited from criu (its end of the fd channel,
 * mm_restore.c). fr takes fd over on every path: it is moved above the
 * tasks' numbers and closed with fr. Returns the number the task has it
 * at, or -errno.
 */
int files_restore_keep_fd(struct files_restore *fr, uint64_t task_id, int fd);
/*
 * In a restored task: installs its fds and closes everything else. A task
 * that shares another's table does nothing: that one does it for both, so
 * it runs only once every task sharing the table is done with criu's fds.
 */
int files_restore_task(struct files_restore *fr, uint64_t task_id);
/*
 * Files under /proc (/proc/PID/..., /proc/sys/...) are not opened by criu:
 * the task that holds one opens it itself in phase 4, once every task and
 * its /proc exist. The k-th such fd of task_id's fd table
 * (only the task that installs a shared table has them), or -ENOENT.
 */
struct proc_fd {
	int fd;
	bool cloexec;
	bool magic;	  /* /proc/self/ns/TYPE: the one magic link followed; else none is (RESOLVE_NO_MAGICLINKS) */
	const char *path; /* in the task's root, checked: under /proc, no "." or ".." */
	int flags;	  /* for openat */
	uint64_t pos;
	uint64_t file_id;
};
bool files_opened_by_task(const FileEntry *fe);
int files_restore_proc_fd(const struct files_restore *fr, uint64_t task_id, size_t k, struct proc_fd *out);
/* After a successful restore: removes the --link-remap links. */
void files_restore_finish(struct files_restore *fr);
void files_restore_free(struct files_restore *fr);

/*
 * For mm: memfd_create's own description of the memfd that file_entry id is
 * (a shared mapping through it counts no writer, so the task may still
 * execveat the memfd), or -ENOENT.
 */
int files_restore_memfd_fd(const struct files_restore *fr, uint64_t id);
/* For mm: criu's fd of the description file_entry id (a ghost for mappings), or -ENOENT. */
/* criu's fd of the packet socket whose inode was ino at dump (its ring is mapped from it), or -ENOENT. */
int files_restore_packet_fd(const struct files_restore *fr, uint64_t ino);
int files_restore_fd(const struct files_restore *fr, uint64_t id);
/* For the kinds: criu's fd given with --inherit-fd for key, or -ENOENT. */
int files_restore_inherited(const struct files_restore *fr, const char *key);
/*
 * For sk_unix.c, while it makes the sockets: criu's fd of file id (not a
 * unix socket), opened now if its turn has not come yet; -ENOENT if unknown.
 */
int files_restore_inflight_fd(struct files_restore *fr, uint64_t id, int *ret_fd);
/* For the kinds: the write or read end of a restored pipe. */
int pipes_restore_end(struct files_restore *fr, uint64_t pipe_id, bool write_end, int *ret_fd);

bool files_restore_shell_job(const struct files_restore *fr);
/*
 * Once the tasks run: criu's ends of restored RPC sockets (self-dumped
 * callers waiting for their DUMP answer) each go to answer (if set), then
 * are closed.
 */
void files_restore_answer_rpc(struct files_restore *fr, int (*answer)(int sk));
/*
 * Before the tasks resume, the network still locked: the peer's packets a
 * restored TCP connection needs replayed, its FINs (half-closed, with
 * --tcp-established) or the reset that ends one that had ended
 * (sk_tcp_half.c, sk_tcp_closed.c).
 */
int files_restore_net_locked(struct files_restore *fr, bool tcp_close);
/* Whether files_restore_net_locked has packets to replay. */
bool files_restore_net_replays(const struct files_restore *fr, bool tcp_close);
/*
 * Before the tasks resume, the network lock lifted: restored TCP connections
 * leave repair mode (or are closed, --tcp-close) and get their last options
 * and unsent data (half-closed ones: our FIN if it was never sent).
 */
int files_restore_net_ready(struct files_restore *fr, bool tcp_close);
/*
 * For post_install, in the restored task: whether fd is the lowest fd of
 * file_id in the first task (by fdtable order) that holds it, so that a
 * shared description is set up once; and the file installed at fd in this
 * task (-ENOENT if none).
 */
bool files_restore_first_holder(const struct files_restore *fr, uint64_t file_id, int fd);
int files_restore_task_file_at(const struct files_restore *fr, int fd, uint64_t *ret_id);
/* For dump_finish: whether pid is a task of the dumped tree (a child of one counts). */
bool files_dump_in_tree(const struct files_dump *fd, pid_t pid);

/*
 * --ext-unix-sk[=INO] and --external unix[INO] (the options' lists; other
 * --external forms are skipped): unix sockets of the tree connected to
 * sockets outside it that may be dumped (engine/files/sk_unix.c).
 */
int files_dump_set_ext_unix(struct files_dump *fd, bool ext_unix_sk, char *const *inos, size_t nr_inos,
			    char *const *external, size_t nr_external);

extern const struct fd_ops unix_fd_ops;
extern const struct fd_ops regular_fd_ops, directory_fd_ops, chardev_fd_ops, symlink_fd_ops, ns_fd_ops, pipe_fd_ops,
	fifo_fd_ops, tty_fd_ops;
extern const struct fd_ops eventfd_fd_ops, signalfd_fd_ops, timerfd_fd_ops, epoll_fd_ops, inotify_fd_ops,
	fanotify_fd_ops, pidfd_fd_ops;
extern const struct fd_ops inet_sk_fd_ops, netlink_sk_fd_ops, packet_sk_fd_ops;
extern const struct fd_ops mqueue_fd_ops;

/*
 * ghost_node.c: a removed directory, FIFO or character device made again at
 * its old path (resolved in root_fd; missing directories on the way made
 * too) with the dumped kind, mode, owner and rdev; *ret_fd is an O_PATH fd
 * of it. ghost_node_remove() takes its name (and the directories made)
 * away again once it is open or entered. 0 or -errno, quietly.
 */
#define GHOST_NODE_MAX_PARENTS 16
struct ghost_node_spec {
	uint32_t mode; /* st_mode, with the file type */
	uint64_t rdev;
	uint32_t uid, gid;
	const char *target; /* a symlink's */
};
struct ghost_node {
	int dirfd;
	char name[256];
	bool named;
	dev_t dev;
	ino_t ino;
	int made_in[GHOST_NODE_MAX_PARENTS];
	char made[GHOST_NODE_MAX_PARENTS][256];
	size_t nr_made;
};
int ghost_node_make(int root_fd, const char *path, const struct ghost_node_spec *s, struct ghost_node *g,
		    int *ret_fd);
int ghost_node_remove(struct ghost_node *g);
/*
 * For the cwd of task task_id: the number at which the task holds a removed
 * directory dev:ino (restored from files.img), or -ENOENT.
 */
int files_restore_deleted_dir_fd(const struct files_restore *fr, uint64_t task_id, uint64_t dev, uint64_t ino);

#endif
