/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the files modules share and nobody else sees. */
#ifndef CR_FILES_PRIV_H
#define CR_FILES_PRIV_H

#include "files.h"
#include "file_check.h"

struct usk_inflight;

struct dumped_file {
	FileEntry *fe;
	int local; /* our copy of the description, for kcmp */
};

struct dumped_pipe {
	PipeEntry *pe;
	int local;	/* an end we hold */
	bool has_read, has_write; /* ends seen in the tree */
	pid_t pid;	/* where we first saw it, for messages */
	int fd;
};

struct files_dump {
	uint64_t *next_id;
	uint64_t ghost_limit;
	const struct cr_inherit_fd *inherit; /* --inherit-fd, the options' */
	size_t nr_inherit;
	bool shell_job;	     /* the tree's session is outside it (--shell-job) */
	pid_t shell_job_sid; /* that session (0: its leader is outside our pid ns) */
	bool link_remap;     /* --link-remap: unlinked files still linked elsewhere get a link */
	bool file_locks;     /* --file-locks: locks are dumped (locks.c), else refused */
	char **remaps;	     /* the links made (as criu reaches them), removed again if the dump fails */
	size_t nr_remaps;
	struct dumped_file *files;
	size_t nr_files, cap_files;
	struct dumped_pipe *pipes;
	size_t nr_pipes, cap_pipes;
	pid_t *pids; /* the tasks whose fds were dumped */
	size_t nr_pids;
	bool ext_unix_sk;    /* --ext-unix-sk: unix peers outside the tree allowed (sk_unix.c) */
	uint64_t *ext_unix; /* only these inodes, if any: --ext-unix-sk=INO, --external unix[INO] */
	size_t nr_ext_unix;
	struct sk_net_dump *net; /* network sockets: options, repair mode, the lock (sk_inet.c) */
	struct usk_inflight *usk_inflight; /* unix sockets in flight, found at the end (sk_unix_scm.c) */
	size_t nr_usk_inflight;
	uint64_t rpc_sk_ino; /* a self-dump: the server's end of the RPC connection (sk_unix.c) */
	bool force_irmap;      /* --force-irmap: a watch's name must be found (fsnotify.c) */
	const CredsEntry *creds; /* of the task whose fds are dumped now (files_dump_set_creds) */
	char *const *irmap_scan; /* --irmap-scan-path: where to look for a watched inode by its number */
	size_t nr_irmap_scan;
	char *const *external; /* --external strings (tty[RDEV:DEV]) */
	size_t nr_external;
	int root_fd; /* the tree's root (O_PATH), where the restore resolves the paths; -EBADF if unknown */
};

/* The --external tty[RDEV:DEV] that st is, or NULL (files.c). */
const char *files_external_tty(const struct files_dump *fd, const struct stat *st);

struct task_fds {
	uint64_t task_id;
	/*
	 * The task that installs the fd table this one uses: itself, or the
	 * first task of a table shared with CLONE_FILES (then fds is empty and
	 * what this task keeps is kept in table's).
	 */
	struct task_fds *table;
	FdEntry **fds;
	size_t n;
	int *keep; /* criu's fds the task keeps for criu's later remote calls (mappings) */
	size_t nr_keep;
	const CredsEntry *creds; /* the task's, as dumped: its files are opened with them (in_root.c) */
};

/* A --link-remap link opened at restore: removed at the end if it still is that inode. */
struct restored_remap {
	int dirfd; /* its directory, resolved in the tree's root */
	char *name;
	dev_t dev;
	ino_t ino;
};

struct files_restore {
	FileEntry **files;
	size_t nr_files;
	int *file_fds; /* ours, by index in files */
	PipeEntry **pipes;
	size_t nr_pipes;
	int (*pipe_fds)[2]; /* ours, by index in pipes; -1 until made */
	uint8_t *pipe_given; /* bit 0 (read end), bit 1 (write end): handed out once already */
	int *memfd_origin;   /* by index in files: memfd_create's own description of a memfd ghost, or -1 */
	struct task_fds *tasks;
	size_t nr_tasks;
	int fd_floor; /* our fds live at or above it, clear of every task's numbers */
	struct restored_remap *remaps; /* --link-remap links opened, removed once the restore succeeded */
	size_t nr_remaps;
	int root_fd; /* the tree's root: every image path is resolved in it (in_root.c) */
	const struct files_roots *roots; /* the roots of the tree's other mount namespaces, or NULL */
	const struct cr_inherit_fd *inherit; /* --inherit-fd, the options' */
	size_t nr_inherit;
	bool shell_job;
	bool evasive_devices; /* --evasive-devices */
	struct file_check_opts check; /* how reopened regular files are compared with the dumped ones */
	int *adopted; /* fds handed to files_restore_keep_fd() (fd channels), closed with fr */
	size_t nr_adopted;
	const struct task_fds *cur; /* in a restored task: its own fd table */
	int *rpc_peers; /* criu's ends of restored RPC sockets, answered after resume (sk_unix.c) */
	size_t nr_rpc_peers;
};

/*
 * regular.c: a removed object's owner and mode come from the image; a
 * set-ID one of an owner other than the tree's tasks' is refused.
 */
int files_check_ghost_owner(const struct files_restore *fr, const FileEntry *fe);
/* ghost.c: the contents of an unlinked file into fe (its data extents; limit on its allocated bytes). */
int ghost_dump(const struct fd_dump_arg *a, FileEntry *fe, uint64_t limit);
/* Writes d's contents (checked first) into the new inode w; then, after owner and mode, its times. */
int ghost_fill(int w, const FileEntry *fe, const FileEntry *d);
/* The same through a shared mapping, for a file without write() (hugetlbfs): its size first. */
int ghost_fill_mapped(int w, const FileEntry *fe, const FileEntry *d);
int ghost_set_times(int w, const FileEntry *fe, const FileEntry *d);
/* regular.c: whether path is /proc/self/ns/TYPE of a namespace type FILE_NS keeps (the only paths it writes). */
bool files_ns_file_path(const char *path);
/*
 * in_root.c: whether a task of creds c could open path (in pid's root) with
 * accmode itself, as the restore will have it do (mode bits, its groups and
 * capabilities; -EACCES or -EPERM when not). 0 without creds.
 */
int files_check_reopen(const CredsEntry *c, pid_t pid, const char *path, int accmode);

/* memfd_create's own description of fe's memfd (kept by fr), or -1; keeping one takes fd. */
int files_restore_memfd_origin(const struct files_restore *fr, const FileEntry *fe);

void files_restore_set_memfd_origin(struct files_restore *fr, const FileEntry *fe, int fd);

/*
 * For an open that makes other files' descriptions too (the dead pidfds of
 * one process): fd becomes fe's, not opened again. Takes fd on every path.
 */
int files_restore_put_fd(struct files_restore *fr, const FileEntry *fe, int fd);

/* The entry of the unlinked inode dev:ino that holds its contents, if dumped already. */
struct dumped_file *files_find_ghost(struct files_dump *fd, uint64_t dev, uint64_t ino);

/*
 * in_root.c: opens path (absolute, from an image) for file file_id, resolved
 * in the tree's root (dirfd < 0; resolve 0: RESOLVE_IN_ROOT) or relative to
 * dirfd with resolve, with the file-system creds of the tasks that hold the
 * file. Returns the fd or -errno, quietly; on EACCES/EPERM *ret_denied_uid
 * (if given) is the fsuid that was refused.
 */
int files_open_in_root(struct files_restore *fr, uint64_t file_id, int dirfd, const char *path, int flags,
		       uint64_t resolve, uid_t *ret_denied_uid);
/* An O_PATH fd of directory path, resolved in the tree's root, as criu. 0 or -errno. */
int files_open_dir_in_root(const struct files_restore *fr, const char *path, int *ret_fd);
/* Creates or opens name right in dirfd (no symlink, no ".."), as criu: the fd or -errno. */
int files_create_beneath(int dirfd, const char *name, int flags, mode_t mode);
/* The open flags an image may ask for: no creation, no O_TMPFILE, nothing openat2 refuses. */
int files_sane_open_flags(uint32_t flags);

#endif
