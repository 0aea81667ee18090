/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Dumping the fds of a live child and installing them again in a new process. */
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "files.h"
#include "images/inventory.pb-c.h"
#include "log.h"
#include "t.h"

static char tmpdir[] = "/tmp/test-files.XXXXXX";

static void die(const char *what)
{
	perror(what);
	_exit(1);
}

/* The child: fds 10.. of every kind the engine supports, then waits. */
static void child_main(int ready)
{
	char path[128];
	int p[2], f, g;

	snprintf(path, sizeof(path), "%s/reg", tmpdir);
	f = open(path, O_RDWR | O_CREAT | O_APPEND, 0640);
	if (f < 0 || write(f, "hello world", 11) != 11 || lseek(f, 6, SEEK_SET) != 6)
		die("reg");
	dup2(f, 10);
	dup2(f, 11); /* shares the description and offset */
	fcntl(11, F_SETFD, FD_CLOEXEC);
	close(f);
	snprintf(path, sizeof(path), "%s/ghost", tmpdir);
	g = open(path, O_RDWR | O_CREAT, 0600);
	if (g < 0 || write(g, "boo", 3) != 3 || unlink(path))
		die("ghost");
	dup2(g, 12);
	close(g);
	dup2(open(tmpdir, O_RDONLY | O_DIRECTORY), 13);
	dup2(open("/dev/null", O_WRONLY), 14);
	if (pipe(p) || write(p[1], "pipedata", 8) != 8)
		die("pipe");
	dup2(p[0], 15);
	dup2(p[1], 16);
	close(p[0]);
	close(p[1]);
	snprintf(path, sizeof(path), "%s/fifo", tmpdir);
	if (mkfifo(path, 0600) || dup2(open(path, O_RDWR), 17) != 17 || write(17, "fifo!", 5) != 5)
		die("fifo");
	if (write(ready, "x", 1) != 1)
		die("ready");
	close(ready); /* a pipe end whose other end leaves: not ours to dump */
	for (;;)
		pause();
}

static pid_t start(void (*fn)(int))
{
	int p[2];
	char c;
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		/* nothing inherited from whoever runs the test: only our own fds */
		int null = open("/dev/null", O_RDWR);

		dup2(p[1], 3);
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		syscall(SYS_close_range, 4, ~0U, 0);
		fn(3);
	}
	close(p[1]);
	/* the byte says the fds are set; EOF says the child closed its end */
	if (read(p[0], &c, 1) != 1 || read(p[0], &c, 1) != 0)
		pid = -1;
	close(p[0]);
	return pid;
}

static void stop(pid_t pid)
{
	int status;

	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

/* In a fresh process: install the fds and report what they are. */
static void verify_installed(struct files_restore *fr)
{
	char buf[32] = { 0 };
	struct stat st;

	if (files_restore_task(fr, 1) < 0)
		_exit(100);
	/* exits with the number of the first check that fails (stdout is closed by now) */
	if (fcntl(3, F_GETFD) >= 0 || fcntl(0, F_GETFD) < 0) /* only the table's fds are open */
		_exit(1);
	if (lseek(10, 0, SEEK_CUR) != 6 || !(fcntl(10, F_GETFL) & O_APPEND))
		_exit(2);
	if (!(fcntl(11, F_GETFD) & FD_CLOEXEC) || fcntl(10, F_GETFD) & FD_CLOEXEC)
		_exit(3);
	lseek(10, 0, SEEK_SET);
	if (lseek(11, 0, SEEK_CUR) != 0) /* shared offset */
		_exit(4);
	if (pread(12, buf, 3, 0) != 3 || memcmp(buf, "boo", 3) || fstat(12, &st) || st.st_nlink != 0)
		_exit(5);
	if (fstat(13, &st) || !S_ISDIR(st.st_mode))
		_exit(6);
	if (fstat(14, &st) || !S_ISCHR(st.st_mode))
		_exit(7);
	if (read(15, buf, 8) != 8 || memcmp(buf, "pipedata", 8))
		_exit(8);
	if (write(16, "z", 1) != 1 || read(15, buf, 1) != 1 || buf[0] != 'z')
		_exit(9);
	if (read(17, buf, 5) != 5 || memcmp(buf, "fifo!", 5))
		_exit(10);
	_exit(0);
}

static void test_roundtrip(void)
{
	pid_t child = start(child_main), check;
	uint64_t next_id = 100, task_id = 1;
	struct files_dump *fd = NULL;
	struct files_restore *fr = NULL;
	InventoryEntry inv = INVENTORY_ENTRY__INIT;
	struct img_dir *d = NULL;
	char dir[96], buf[16] = { 0 };
	int status;

	snprintf(dir, sizeof(dir), "%s/img", tmpdir);
	CHECK(child > 0);
	CHECK_EQ_INT(img_dir_open_write(dir, &d), 0);
	CHECK_EQ_INT(files_dump_init(&next_id, 1 << 20, &fd), 0);
	CHECK_EQ_INT(files_dump_task(fd, child, d, task_id), 0);
	CHECK_EQ_INT(files_dump_finish(fd, d), 0);
	files_dump_free(fd);
	inv.producer = "test";
	CHECK_EQ_INT(img_write_inventory(d, &inv), 0);
	img_dir_close(d);
	/* the dump read the pipe without consuming it */
	snprintf(dir, sizeof(dir), "/proc/%d/fd/15", child);
	{
		int rfd = open(dir, O_RDONLY | O_NONBLOCK);

		CHECK(rfd >= 0 && read(rfd, buf, 8) == 8 && !memcmp(buf, "pipedata", 8));
		close(rfd);
	}
	stop(child);

	snprintf(dir, sizeof(dir), "%s/img", tmpdir);
	CHECK_EQ_INT(img_dir_open_read(dir, &d), 0);
	CHECK_EQ_INT(files_restore_prepare(d, &task_id, NULL, 1, 0, NULL, 0, NULL, NULL, &fr), 0);
	if (!fr)
		return;
	check = fork();
	if (check == 0)
		verify_installed(fr);
	files_restore_free(fr);
	img_dir_close(d);
	waitpid(check, &status, 0);
	CHECK(WIFEXITED(status));
	CHECK_EQ_INT(WEXITSTATUS(status), 0); /* N: check N of verify_installed failed */
}

/* An fd of a kind no module dumps: an io_uring. */
static void socket_child(int ready)
{
	struct io_uring_params p;

	memset(&p, 0, sizeof(p));
	if (syscall(__NR_io_uring_setup, 4, &p) < 0 || write(ready, "x", 1) != 1)
		_exit(1);
	close(ready);
	for (;;)
		pause();
}

static void test_unsupported_refused(void)
{
	pid_t child = start(socket_child);
	uint64_t next_id = 1;
	struct files_dump *fd = NULL;
	struct img_dir *d = NULL;
	char dir[96];

	log_reset_first_error();
	snprintf(dir, sizeof(dir), "%s/img2", tmpdir);
	CHECK_EQ_INT(img_dir_open_write(dir, &d), 0);
	CHECK_EQ_INT(files_dump_init(&next_id, 1 << 20, &fd), 0);
	CHECK_EQ_INT(files_dump_task(fd, child, d, 1), -EOPNOTSUPP);
	CHECK(log_first_error() && strstr(log_first_error(), "io_uring") && strstr(log_first_error(), "cannot be dumped"));
	files_dump_free(fd);
	img_dir_close(d);
	CHECK(kill(child, 0) == 0); /* untouched */
	stop(child);
}

/*
 * One regular file of fe in a fresh image dir, held at fd 3 by task 1, then
 * restored under root with creds (NULL: criu's own rights). The result of
 * files_restore_prepare().
 */
static int restore_one(const char *name, FileEntry *fe, const char *root, const CredsEntry *creds)
{
	InventoryEntry inv = INVENTORY_ENTRY__INIT;
	FdEntry e = FD_ENTRY__INIT;
	const CredsEntry *cv[1] = {creds};
	struct files_restore *fr = NULL;
	struct img_writer *w = NULL;
	struct img_dir *d = NULL;
	uint64_t task_id = 1;
	char dir[128];
	int r;

	snprintf(dir, sizeof(dir), "%s/%s", tmpdir, name);
	e.fd = 3;
	e.file_id = fe->id;
	if (img_dir_open_write(dir, &d) < 0 || img_create(d, IMG_FILES, 0, &w) < 0 ||
	    img_write_msg(w, &fe->base) < 0 || img_commit(w) < 0 || img_create(d, IMG_FDTABLE, 1, &w) < 0 ||
	    img_write_msg(w, &e.base) < 0 || img_commit(w) < 0)
		return -EIO;
	inv.producer = "test";
	if (img_write_inventory(d, &inv) < 0)
		return -EIO;
	img_dir_close(d);
	if (img_dir_open_read(dir, &d) < 0)
		return -EIO;
	r = files_restore_prepare(d, &task_id, NULL, 1, 0, NULL, 0, root, creds ? cv : NULL, &fr);
	files_restore_free(fr);
	img_dir_close(d);
	return r;
}

/* Paths of files.img resolve in the tree's root, with the holder's rights; link_remap only as made. */
static void test_hostile_paths(void)
{
	FileEntry fe = FILE_ENTRY__INIT;
	CredsEntry nobody = CREDS_ENTRY__INIT;
	char root[96], path[160];
	int f;

	snprintf(root, sizeof(root), "%s/root", tmpdir);
	CHECK_EQ_INT(mkdir(root, 0755), 0);
	snprintf(path, sizeof(path), "%s/inside", root);
	f = open(path, O_CREAT | O_WRONLY, 0600);
	CHECK(f >= 0);
	close(f);
	snprintf(path, sizeof(path), "%s/escape", root);
	CHECK_EQ_INT(symlink("/etc/passwd", path), 0);
	fe.id = 7;
	fe.kind = FILE_KIND__FILE_REGULAR;
	fe.flags = O_RDWR;
	fe.has_mode = 1;
	fe.mode = S_IFREG | 0600;
	fe.path = "/inside";
	CHECK_EQ_INT(restore_one("in-root", &fe, root, NULL), 0);
	/* an absolute symlink and ".." stop at the root: there is no /etc/passwd in it */
	fe.path = "/escape";
	CHECK_EQ_INT(restore_one("symlink", &fe, root, NULL), -ENOENT);
	fe.path = "/../../../../etc/passwd";
	CHECK_EQ_INT(restore_one("dotdot", &fe, root, NULL), -ENOENT);
	fe.path = "../inside";
	CHECK_EQ_INT(restore_one("relative", &fe, root, NULL), -EBADMSG);
	/* root's 0600 file is not for a task of uid 65534 */
	fe.path = "/inside";
	nobody.fsuid = nobody.uid = nobody.euid = nobody.suid = 65534;
	nobody.fsgid = nobody.gid = nobody.egid = nobody.sgid = 65534;
	CHECK_EQ_INT(restore_one("creds", &fe, root, &nobody), -EACCES);
	/* a directory where a regular file was (read-only, or open itself says EISDIR) */
	fe.path = "/";
	fe.flags = O_RDONLY;
	CHECK_EQ_INT(restore_one("kind", &fe, root, NULL), -ENXIO);
	fe.flags = O_RDWR;
	/* a link_remap other than link_remap.<id> beside the path: refused, and still there */
	fe.path = "/gone";
	fe.has_deleted = fe.deleted = 1;
	fe.link_remap = "/inside";
	CHECK_EQ_INT(restore_one("remap", &fe, root, NULL), -EBADMSG);
	snprintf(path, sizeof(path), "%s/inside", root);
	CHECK_EQ_INT(access(path, F_OK), 0);
}

/* Writes files.img (fe) and fdtable-1.img (fd 20 of fe) into a fresh image dir; opens it for reading. */
static int write_shared_images(const char *dir, FileEntry *fe, struct img_dir **ret)
{
	InventoryEntry inv = INVENTORY_ENTRY__INIT;
	FdEntry e = FD_ENTRY__INIT;
	struct img_writer *w = NULL;
	struct img_dir *d = NULL;

	e.fd = 20;
	e.file_id = fe->id;
	if (img_dir_open_write(dir, &d) < 0 || img_create(d, IMG_FILES, 0, &w) < 0 ||
	    img_write_msg(w, &fe->base) < 0 || img_commit(w) < 0 || img_create(d, IMG_FDTABLE, 1, &w) < 0 ||
	    img_write_msg(w, &e.base) < 0 || img_commit(w) < 0)
		return -EIO;
	inv.producer = "test";
	if (img_write_inventory(d, &inv) < 0)
		return -EIO;
	img_dir_close(d);
	return img_dir_open_read(dir, ret);
}

/* In a child: task 2 shares task 1's table, so only task 1's call installs it (and keeps 2's fd). */
static void install_shared(struct files_restore *fr, int kept)
{
	if (files_restore_task(fr, 2) < 0 || fcntl(20, F_GETFD) >= 0)
		_exit(1);
	if (files_restore_task(fr, 1) < 0 || fcntl(20, F_GETFD) < 0)
		_exit(2);
	_exit(fcntl(kept, F_GETFD) < 0 ? 3 : 0);
}

/* Two tasks with one fd table (CLONE_FILES): one fdtable image, installed once. */
static void test_shared_table(void)
{
	uint64_t ids[2] = {1, 2}, shared[2] = {1, 1}, later[2] = {2, 2}, unknown[2] = {1, 3};
	FileEntry fe = FILE_ENTRY__INIT;
	struct files_restore *fr = NULL;
	struct img_dir *d = NULL;
	char dir[96], path[128];
	int f, kept, status = -1;
	pid_t child;

	snprintf(path, sizeof(path), "%s/shared-file", tmpdir);
	f = open(path, O_CREAT | O_WRONLY, 0600);
	CHECK(f >= 0);
	close(f);
	fe.id = 7;
	fe.kind = FILE_KIND__FILE_REGULAR;
	fe.flags = O_RDWR;
	fe.has_mode = 1;
	fe.mode = S_IFREG | 0600;
	fe.path = path;
	snprintf(dir, sizeof(dir), "%s/shared", tmpdir);
	CHECK_EQ_INT(write_shared_images(dir, &fe, &d), 0);
	/* the table's first task comes first, and exists */
	CHECK_EQ_INT(files_restore_prepare(d, ids, later, 2, 0, NULL, 0, NULL, NULL, &fr), -EBADMSG);
	CHECK_EQ_INT(files_restore_prepare(d, ids, unknown, 2, 0, NULL, 0, NULL, NULL, &fr), -EBADMSG);
	CHECK_EQ_INT(files_restore_prepare(d, ids, shared, 2, 0, NULL, 0, NULL, NULL, &fr), 0);
	if (!fr) {
		img_dir_close(d);
		return;
	}
	kept = files_restore_keep_fd(fr, 2, open("/dev/null", O_RDONLY | O_CLOEXEC));
	CHECK(kept >= 0);
	child = fork();
	if (child == 0)
		install_shared(fr, kept);
	files_restore_free(fr);
	img_dir_close(d);
	waitpid(child, &status, 0);
	CHECK(WIFEXITED(status));
	/* 1: installed by task 2; 2: not by task 1; 3: task 2's kept fd closed */
	CHECK_EQ_INT(WEXITSTATUS(status), 0);
}

int main(void)
{
	log_set_level(getenv("TEST_DEBUG") ? LOG_DEBUG : LOG_MSG);
	if (!mkdtemp(tmpdir))
		return 1;
	t_run("files_roundtrip", test_roundtrip);
	t_run("unsupported_fd_refused", test_unsupported_refused);
	t_run("hostile_paths_refused", test_hostile_paths);
	t_run("shared_fd_table", test_shared_table);
	(void)!system("rm -rf /tmp/test-files.*");
	return t_done();
}
