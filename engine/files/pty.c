/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unix98 pseudo-terminals whose master (/dev/ptmx) is held in the dumped tree,
 * and their slaves (/dev/pts/N).
 *
 * Dump: the master's entry carries the pair's state, read through the master
 * (for a pty the kernel applies termios and window-size ioctls on the master
 * to the slave side): index (TIOCGPTN), termios, window size, packet mode
 * (TIOCGPKT), lock (TIOCGPTLCK), and the session of the tree it is the
 * controlling terminal of with its foreground group (/proc/PID/stat). A
 * slave's entry names its pty by index, with its exclusive bit (TIOCGEXCL).
 * A slave whose master is outside the tree (a container's console) gets a new
 * pty whose master goes to the RPC client (orphan-pts-master), or criu's own
 * terminal for a shell job (tty.c), or, if it was marked --external
 * tty[RDEV:DEV], the terminal given with --inherit-fd fd[N]:tty[RDEV:DEV]
 * (LXC's console), or, when its devpts is the tree's own instance (one
 * criu's mount namespace does not show: LXC's ttys, whose masters LXC's
 * restore does not hold), a new pty with its index in the tree's devpts
 * whose master criu holds until it is gone: then the slave hangs up.
 *
 * Restore: criu opens /dev/ptmx, and keeps opening it until the kernel hands
 * out the dumped index (it allocates the lowest free one); when that index is
 * taken the pty gets another one (logged), and /proc/PID/fd shows a new
 * /dev/pts/N. Slaves are opened from the master with TIOCGPTPEER, so no path
 * lookup is involved. The session leader makes it its controlling terminal
 * (TIOCSCTTY) and sets the foreground group (TIOCSPGRP) inside the restored
 * task, before criu's copies are closed.
 *
 * Bytes queued in either direction and not read yet are dumped with the
 * master and queued again at restore (pty_queue.c); those of a slave whose
 * master is outside the tree are refused (they cannot be read and put back
 * from here).
 */
#define LOG_PREFIX "files: "
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include "cleanup.h"
#include "files_priv.h"
#include "hooks.h"
#include "log.h"
#include "pstree.h"
#include "pty.h"
#include "ptmx.h"

#define PTY_SLAVE_MAJOR 136 /* UNIX98_PTY_SLAVE_MAJOR, 8 majors */
#define PTY_SLAVE_MAJORS 8
#define TTYAUX_MAJOR 5
#define PTMX_MINOR 2

static bool pty_master_match(const struct stat *st, const char *link)
{
	return S_ISCHR(st->st_mode) && major(st->st_rdev) == TTYAUX_MAJOR && minor(st->st_rdev) == PTMX_MINOR;
}

static bool pty_slave_match(const struct stat *st, const char *link)
{
	return S_ISCHR(st->st_mode) && major(st->st_rdev) >= PTY_SLAVE_MAJOR &&
	       major(st->st_rdev) < PTY_SLAVE_MAJOR + PTY_SLAVE_MAJORS;
}

static dev_t slave_rdev(uint32_t index)
{
	return makedev(PTY_SLAVE_MAJOR + index / 256, index % 256);
}

static PtyEntry *new_pty_entry(FileEntry *fe, uint32_t index)
{
	PtyEntry *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	pty_entry__init(p);
	p->index = index;
	fe->pty = p;
	return p;
}

/*
 * The tree's ptmx: /dev/ptmx, or its devpts's own node when /dev/ptmx is not
 * the device yet (a bind of /dev/pts/ptmx onto it that waits for the fork).
 */
static const char *tree_ptmx(void)
{
	struct stat st;

	if (stat("/dev/ptmx", &st) == 0 && S_ISCHR(st.st_mode))
		return "/dev/ptmx";
	return "/dev/pts/ptmx";
}

static int dump_termios(int f, PtyEntry *p)
{
	TermiosEntry *te = calloc(1, sizeof(*te));
	struct termios t;

	if (!te)
		return -ENOMEM;
	termios_entry__init(te);
	p->termios = te;
	if (tcgetattr(f, &t) < 0)
		return -errno;
	te->iflag = t.c_iflag;
	te->oflag = t.c_oflag;
	te->cflag = t.c_cflag;
	te->lflag = t.c_lflag;
	te->line = t.c_line;
	te->cc.data = malloc(NCCS);
	if (!te->cc.data)
		return -ENOMEM;
	memcpy(te->cc.data, t.c_cc, NCCS);
	te->cc.len = NCCS;
	te->ispeed = cfgetispeed(&t);
	te->ospeed = cfgetospeed(&t);
	return 0;
}

static int dump_winsize(int f, PtyEntry *p)
{
	WinsizeEntry *we = calloc(1, sizeof(*we));
	struct winsize ws;

	if (!we)
		return -ENOMEM;
	winsize_entry__init(we);
	p->winsize = we;
	if (ioctl(f, TIOCGWINSZ, &ws) < 0)
		return -errno;
	we->row = ws.ws_row;
	we->col = ws.ws_col;
	we->xpixel = ws.ws_xpixel;
	we->ypixel = ws.ws_ypixel;
	return 0;
}

static int pty_master_dump(struct files_dump *fd, const struct fd_dump_arg *a, FileEntry *fe)
{
	unsigned int index;
	int v, r;
	PtyEntry *p;

	if (ioctl(a->local, TIOCGPTN, &index) < 0)
		return pr_perror_ret("pid %d fd %d (%s): TIOCGPTN failed", a->pid, a->fd, a->link);
	p = new_pty_entry(fe, index);
	fe->path = strdup(a->link);
	if (!p || !fe->path)
		return -ENOMEM;
	r = dump_termios(a->local, p);
	if (r == 0)
		r = dump_winsize(a->local, p);
	if (r < 0)
		return pr_err_ret(r, "pid %d fd %d: pty %u: cannot read termios or window size", a->pid, a->fd, index);
	if (ioctl(a->local, TIOCGPKT, &v) < 0)
		return pr_perror_ret("pid %d fd %d: pty %u: TIOCGPKT failed", a->pid, a->fd, index);
	p->has_packet = true;
	p->packet = v != 0;
	if (ioctl(a->local, TIOCGPTLCK, &v) < 0)
		return pr_perror_ret("pid %d fd %d: pty %u: TIOCGPTLCK failed", a->pid, a->fd, index);
	p->has_locked = true;
	p->locked = v != 0;
	{
		/* the slave's owner and mode (grantpt sets them): in the tree's own devpts */
		char path[96];
		struct stat st;

		snprintf(path, sizeof(path), "/proc/%d/root/dev/pts/%u", a->pid, index);
		if (stat(path, &st) == 0 && S_ISCHR(st.st_mode)) {
			p->has_slave_uid = p->has_slave_gid = p->has_slave_mode = true;
			p->slave_uid = st.st_uid;
			p->slave_gid = st.st_gid;
			p->slave_mode = st.st_mode & 07777;
		} else {
			pr_info("pid %d fd %d: pty %u: no %s: its slave keeps the owner it gets at restore\n", a->pid,
				a->fd, index, path);
		}
	}
	pr_info("pid %d fd %d: master of pty %u%s%s\n", a->pid, a->fd, index, p->locked ? ", locked" : "",
		p->packet ? ", packet mode" : "");
	return 0;
}

static int pty_slave_dump(struct files_dump *fd, const struct fd_dump_arg *a, FileEntry *fe)
{
	uint32_t index = (major(a->st.st_rdev) - PTY_SLAVE_MAJOR) * 256 + minor(a->st.st_rdev);
	const char *ext = files_external_tty(fd, &a->st);
	PtyEntry *p;
	int v;

	/* a shell job's terminal: its master is outside, criu's terminal replaces it (tty.c) */
	if (!ext && tty_is_shell_job_terminal(fd, a)) {
		fe->kind = FILE_KIND__FILE_TTY;
		return tty_fd_ops.dump(fd, a, fe);
	}
	p = new_pty_entry(fe, index);
	fe->path = strdup(a->link);
	if (!p || !fe->path)
		return -ENOMEM;
	/* a hung-up description answers every ioctl with EIO: nothing more to read */
	if (ioctl(a->local, TIOCGEXCL, &v) < 0 && errno == EIO) {
		if (ext)
			return pr_err_ret(-EOPNOTSUPP, "pid %d fd %d: %s is --external %s, but it was hung up", a->pid,
					  a->fd, a->link, ext);
		p->has_hung_up = p->hung_up = true;
		fe->has_rdev = true;
		fe->rdev = a->st.st_rdev;
		pr_info("pid %d fd %d: slave of pty %u (%s), hung up\n", a->pid, a->fd, index, a->link);
		return 0;
	}
	if (ioctl(a->local, TIOCGEXCL, &v) == 0 && v) {
		p->has_exclusive = true;
		p->exclusive = true;
	}
	fe->has_rdev = true;
	fe->rdev = a->st.st_rdev;
	if (ext) {
		/* its master must be outside the tree: pty_slave_dump_finish checks */
		p->external = strdup(ext);
		if (!p->external)
			return -ENOMEM;
	}
	pr_info("pid %d fd %d: slave of pty %u (%s)%s%s\n", a->pid, a->fd, index, a->link,
		p->external ? ", the external " : "", p->external ? p->external : "");
	return 0;
}

/* sid, tty_nr and tpgid of pid (proc(5) fields 6, 7, 8). */
static int read_stat_tty(pid_t pid, pid_t *sid, dev_t *tty, pid_t *tpgid)
{
	char path[64], buf[1024], *p;
	_cleanup_fclose_ FILE *f = NULL;
	int s, t, g;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %*d %*d %d %d %d", &s, &t, &g) != 3)
		return -EBADMSG;
	*sid = s;
	*tty = makedev(major((dev_t)(unsigned int)t), minor((dev_t)(unsigned int)t));
	*tpgid = g;
	return 0;
}

/* The session and foreground group, in the tree's pid namespace, into the image. */
static int tree_ids(PtyEntry *p, pid_t sid, pid_t tpgid)
{
	pid_t vsid = proc_ns_pid(sid), vpgrp = tpgid > 0 ? proc_ns_pid(tpgid) : 0;

	if (vsid <= 0)
		return pr_err_ret(vsid < 0 ? vsid : -ESRCH, "session leader %d of a pty: cannot read its NSpid", sid);
	p->has_ctty_sid = true;
	p->ctty_sid = (uint32_t)vsid;
	/* the foreground group may have gone: the terminal then has none to restore */
	if (vpgrp > 0) {
		p->has_fg_pgrp = true;
		p->fg_pgrp = (uint32_t)vpgrp;
	}
	return 0;
}

bool pty_slave_rdev(dev_t rdev)
{
	return major(rdev) >= PTY_SLAVE_MAJOR && major(rdev) < PTY_SLAVE_MAJOR + PTY_SLAVE_MAJORS;
}

uint32_t pty_index_of(dev_t rdev)
{
	return (major(rdev) - PTY_SLAVE_MAJOR) * 256 + minor(rdev);
}

bool pty_is_tree_ctty(const struct files_dump *fd, uint32_t index)
{
	bool master = false;

	for (size_t k = 0; k < fd->nr_files && !master; k++)
		master = fd->files[k].fe->kind == FILE_KIND__FILE_PTY_MASTER && fd->files[k].fe->pty &&
			 fd->files[k].fe->pty->index == index;
	for (size_t i = 0; master && i < fd->nr_pids; i++) {
		pid_t sid, tpgid;
		dev_t tty;

		if (read_stat_tty(fd->pids[i], &sid, &tty, &tpgid) == 0 && sid == fd->pids[i] &&
		    tty == slave_rdev(index))
			return true;
	}
	return false;
}

/* The master: which session leader of the tree has it as controlling terminal. */
static int pty_master_dump_finish(struct files_dump *fd, FileEntry *fe, int local)
{
	PtyEntry *p = fe->pty;
	bool slave_held = false;
	int r;

	for (size_t k = 0; p && k < fd->nr_files; k++) {
		const FileEntry *s = fd->files[k].fe;

		if (s->kind == FILE_KIND__FILE_PTY_SLAVE && s->pty && s->pty->index == p->index && !s->pty->hung_up)
			slave_held = true;
	}
	/* once per pty: a second description of the master finds them taken */
	for (size_t k = 0; p && k < fd->nr_files; k++) {
		const FileEntry *o = fd->files[k].fe;

		if (o == fe)
			break;
		if (o->kind == FILE_KIND__FILE_PTY_MASTER && o->pty && o->pty->index == p->index)
			p = NULL;
	}
	r = p ? pty_queues_take(local, p, slave_held) : 0;
	if (r < 0)
		return r;
	p = fe->pty;

	for (size_t i = 0; p && i < fd->nr_pids; i++) {
		pid_t sid, tpgid;
		dev_t tty;
		int r = read_stat_tty(fd->pids[i], &sid, &tty, &tpgid);

		if (r < 0)
			return pr_err_ret(r, "pid %d: cannot read its controlling terminal", fd->pids[i]);
		if (sid != fd->pids[i] || tty != slave_rdev(p->index))
			continue;
		r = tree_ids(p, sid, tpgid);
		if (r < 0)
			return r;
		pr_info("pty %u: controlling terminal of session %d, foreground group %d\n", p->index, sid, tpgid);
	}
	return 0;
}

static const FileEntry *find_master(FileEntry *const *files, size_t n, uint32_t index, size_t *ret_k)
{
	for (size_t k = 0; k < n; k++)
		if (files[k]->kind == FILE_KIND__FILE_PTY_MASTER && files[k]->pty && files[k]->pty->index == index) {
			if (ret_k)
				*ret_k = k;
			return files[k];
		}
	return NULL;
}

/*
 * Whether criu's mount namespace shows a devpts of st_dev dev: the host's,
 * or a runtime's console. One it does not show is the tree's own instance.
 */
static bool devpts_shown_here(uint64_t dev)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];

	if (!f)
		return true; /* unknown: taken as the host's */
	while (fgets(line, sizeof(line), f)) {
		const char *sep = strstr(line, " - ");
		unsigned int maj, min;

		if (sep && sscanf(line, "%*u %*u %u:%u", &maj, &min) == 2 &&
		    !strncmp(sep + 3, "devpts ", 7) && makedev(maj, min) == (dev_t)dev)
			return true;
	}
	return false;
}

/*
 * Whether session leader sid holds, among its fds, a terminal of rdev on
 * another devpts than dev: then the rdev its /proc/PID/stat names is that
 * one, not ours (LXC: the console is the host's pts/0, tty1 the
 * container's pts/0).
 */
static bool leader_holds_other(pid_t sid, uint64_t dev, dev_t rdev)
{
	char dir[64], path[64 + sizeof(((struct dirent *)0)->d_name)];
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	bool other = false;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", sid);
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != rdev)
			continue;
		if (st.st_dev == (dev_t)dev)
			return false;
		other = true;
	}
	return other;
}

/*
 * A slave whose master is outside the tree (a container's console): its
 * state is read from the slave, and the session it is the controlling
 * terminal of noted; restore gives the tree a new pty (orphan-pts-master).
 */
static int pty_slave_dump_finish(struct files_dump *fd, FileEntry *fe, int local)
{
	PtyEntry *p = fe->pty;
	int r;

	if (p && p->hung_up)
		return 0; /* whatever its pty is now, it is cut off from it */
	for (size_t k = 0; k < fd->nr_files; k++) {
		const FileEntry *m = fd->files[k].fe;

		if (m->kind == FILE_KIND__FILE_PTY_MASTER && m->pty && p && m->pty->index == p->index) {
			if (p->external)
				return pr_err_ret(-EOPNOTSUPP,
						  "%s: --external %s, but its pty master is in the tree: not supported "
						  "yet",
						  fe->path ? fe->path : "?", p->external);
			return 0;
		}
	}
	if (!p)
		return pr_err_ret(-EBADMSG, "%s: a pty slave without its pty", fe->path ? fe->path : "/dev/pts/?");
	/* its master is not ours: what waits for the slave cannot be read without taking it away */
	if (ioctl(local, FIONREAD, &r) == 0 && r > 0)
		return pr_err_ret(-EOPNOTSUPP,
				  "%s: pty %u: %d byte(s) written by its master (outside the tree) are not read yet: "
				  "not supported yet, the restore would lose them",
				  fe->path ? fe->path : "?", p->index, r);
	p->has_external_master = p->external_master = true;
	if (!p->external && !devpts_shown_here(fe->dev))
		p->has_own_devpts = p->own_devpts = true;
	r = dump_termios(local, p);
	if (r == 0)
		r = dump_winsize(local, p);
	if (r < 0)
		return pr_err_ret(r, "%s: cannot read its terminal state", fe->path ? fe->path : "/dev/pts/?");
	for (size_t i = 0; i < fd->nr_pids; i++) {
		pid_t sid, tpgid;
		dev_t tty;

		if (read_stat_tty(fd->pids[i], &sid, &tty, &tpgid) < 0 || sid != fd->pids[i] ||
		    tty != slave_rdev(p->index) || leader_holds_other(sid, fe->dev, tty))
			continue;
		r = tree_ids(p, sid, tpgid);
		if (r < 0)
			return r;
	}
	pr_info("%s: pty %u, its master outside the tree%s%s\n", fe->path ? fe->path : "?", p->index,
		p->has_ctty_sid ? ", a session's controlling terminal" : "",
		p->own_devpts ? ", of the tree's own devpts" : "");
	return 0;
}

/* ---- restore ---- */

static int apply_state(int m, const PtyEntry *p)
{
	int v = 0;

	if (p->termios) {
		const TermiosEntry *te = p->termios;
		struct termios t;

		if (tcgetattr(m, &t) < 0)
			return pr_perror_ret("pty %u: tcgetattr", p->index);
		t.c_iflag = te->iflag;
		t.c_oflag = te->oflag;
		t.c_cflag = te->cflag;
		t.c_lflag = te->lflag;
		t.c_line = (cc_t)te->line;
		memcpy(t.c_cc, te->cc.data, te->cc.len < NCCS ? te->cc.len : NCCS);
		if (cfsetispeed(&t, te->ispeed) < 0 || cfsetospeed(&t, te->ospeed) < 0 || tcsetattr(m, TCSANOW, &t) < 0)
			return pr_perror_ret("pty %u: cannot set termios", p->index);
	}
	if (p->winsize) {
		struct winsize ws = { (unsigned short)p->winsize->row, (unsigned short)p->winsize->col,
				      (unsigned short)p->winsize->xpixel, (unsigned short)p->winsize->ypixel };

		if (ioctl(m, TIOCSWINSZ, &ws) < 0)
			return pr_perror_ret("pty %u: cannot set the window size", p->index);
	}
	v = p->packet;
	if (ioctl(m, TIOCPKT, &v) < 0)
		return pr_perror_ret("pty %u: cannot set packet mode", p->index);
	v = p->has_locked ? p->locked : 0;
	if (ioctl(m, TIOCSPTLCK, &v) < 0)
		return pr_perror_ret("pty %u: cannot set the lock", p->index);
	return 0;
}

/* /dev/pts/N gets the owner and mode it had (the opener of ptmx, criu, owns it now). */
static int restore_slave_owner(const PtyEntry *p)
{
	char path[48];

	if (!p->has_slave_uid || !p->has_slave_gid || !p->has_slave_mode)
		return 0;
	snprintf(path, sizeof(path), "/dev/pts/%u", p->index);
	if (chown(path, p->slave_uid, p->slave_gid) < 0)
		return pr_perror_ret("pty %u: cannot give %s to uid %u gid %u", p->index, path, p->slave_uid,
				     p->slave_gid);
	if (chmod(path, p->slave_mode & 0777) < 0)
		return pr_perror_ret("pty %u: cannot set the mode of %s to %o", p->index, path, p->slave_mode & 0777);
	return 0;
}

static int master_flags(const FileEntry *fe)
{
	return (int)(fe->flags & (O_ACCMODE | O_NONBLOCK | O_APPEND));
}

static int create_pty(const FileEntry *fe, int *ret_fd)
{
	int m, r;

	if (!fe->pty || (fe->pty->termios && !fe->pty->termios->cc.data))
		return pr_err_ret(-EBADMSG, "file %" PRIu64 ": a pty master without its state", fe->id);
	r = ptmx_open_index("/dev/ptmx", fe->pty->index, master_flags(fe), &m);
	if (r < 0)
		return r;
	r = apply_state(m, fe->pty);
	if (r == 0)
		r = restore_slave_owner(fe->pty);
	if (r == 0)
		r = pty_queues_put(m, fe->pty);
	if (r < 0) {
		close(m);
		return r;
	}
	*ret_fd = m;
	return 0;
}

static size_t file_index(const struct files_restore *fr, const FileEntry *fe)
{
	for (size_t k = 0; k < fr->nr_files; k++)
		if (fr->files[k] == fe)
			return k;
	return fr->nr_files;
}

static int pty_master_open(struct files_restore *fr, const FileEntry *fe, int *ret_fd)
{
	size_t k = file_index(fr, fe);

	/* a slave listed before it made it already: hand that one over */
	if (k < fr->nr_files && fr->file_fds[k] >= 0) {
		*ret_fd = fr->file_fds[k];
		fr->file_fds[k] = -1;
		return 0;
	}
	return create_pty(fe, ret_fd);
}

/* criu's master of pty index (made now if the master is listed later). */
static int restored_master(struct files_restore *fr, uint32_t index, const FileEntry **ret_fe)
{
	const FileEntry *m;
	size_t k;
	int f, r;

	m = find_master(fr->files, fr->nr_files, index, &k);
	if (!m)
		return -ENOENT;
	*ret_fe = m;
	if (fr->file_fds[k] >= 0)
		return fr->file_fds[k];
	r = create_pty(m, &f);
	if (r < 0)
		return r;
	fr->file_fds[k] = fcntl(f, F_DUPFD, fr->fd_floor);
	close(f);
	return fr->file_fds[k] >= 0 ? fr->file_fds[k] : -errno;
}

/* A new description of the slave of master m (TIOCGPTPEER), even if the pty is locked. */
static int open_slave(int m, int flags)
{
	int locked = 0, unlock = 0, s;

	if (ioctl(m, TIOCGPTLCK, &locked) == 0 && locked)
		ioctl(m, TIOCSPTLCK, &unlock);
	s = ioctl(m, TIOCGPTPEER, flags | O_NOCTTY | O_CLOEXEC);
	if (s < 0)
		s = -errno;
	if (locked)
		ioctl(m, TIOCSPTLCK, &locked);
	return s;
}

/*
 * A slave that was --external tty[RDEV:DEV]: the inherited terminal's own
 * description (criu may be chrooted into the tree's root, where nothing
 * reopens it by path), with the dumped O_NONBLOCK and O_APPEND.
 */
static int external_slave_open(const struct files_restore *fr, const FileEntry *fe, int *ret_fd)
{
	const char *key = fe->pty->external;
	int in = files_restore_inherited(fr, key), f, fl;

	if (in < 0)
		return pr_err_ret(-ENOENT, "file %" PRIu64 ": %s was --external %s: --inherit-fd fd[N]:%s is needed",
				  fe->id, fe->path ? fe->path : "?", key, key);
	if (!isatty(in))
		return pr_err_ret(-ENOTTY, "--inherit-fd fd[%d]:%s: fd %d is not a terminal", in, key, in);
	f = fcntl(in, F_DUPFD_CLOEXEC, 0);
	fl = f < 0 ? -1 : fcntl(f, F_GETFL);
	if (fl >= 0)
		fl = fcntl(f, F_SETFL, (fl & ~(O_NONBLOCK | O_APPEND)) | (int)(fe->flags & (O_NONBLOCK | O_APPEND)));
	if (f < 0 || fl < 0) {
		int e = -errno;

		if (f >= 0)
			close(f);
		return pr_err_ret(e, "file %" PRIu64 ": cannot take the inherited terminal %s (fd %d)", fe->id, key,
				  in);
	}
	pr_info("file %" PRIu64 ": %s (%s) is the inherited fd %d\n", fe->id, fe->path ? fe->path : "?", key, in);
	*ret_fd = f;
	return 0;
}

/* The job asked for orphan-pts-master (RPC): set before files_restore_prepare. */
static bool orphan_pts_master;
/* New ptys made for slaves whose master was outside: dumped index -> our master. */
static struct {
	uint32_t index;
	int master;
	bool own_devpts; /* made in the tree's devpts, kept by criu (own_devpts_master) */
} orphans[16];
static size_t nr_orphans;

void pty_set_orphan_pts_master(bool on)
{
	orphan_pts_master = on;
	for (size_t i = 0; i < nr_orphans; i++)
		close(orphans[i].master);
	nr_orphans = 0;
}

/* A new pty for a slave whose master was outside; its master goes to the RPC client. */
static int orphan_master(const FileEntry *fe)
{
	const PtyEntry *p = fe->pty;
	int m, r, unlock = 0;

	for (size_t i = 0; i < nr_orphans; i++)
		if (orphans[i].index == p->index && !orphans[i].own_devpts)
			return orphans[i].master;
	if (nr_orphans == sizeof(orphans) / sizeof(orphans[0]))
		return pr_err_ret(-E2BIG, "file %" PRIu64 ": too many ptys with an outside master", fe->id);
	m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0)
		return pr_perror_ret("file %" PRIu64 ": cannot open /dev/ptmx", fe->id);
	if (ioctl(m, TIOCSPTLCK, &unlock) < 0 || apply_state(m, p) < 0) {
		r = pr_perror_ret("file %" PRIu64 ": cannot set up the new pty", fe->id);
		close(m);
		return r;
	}
	/* PROTOCOL.md §2: the master goes with the notification, in SCM_RIGHTS */
	r = hooks_fire_fd("orphan-pts-master", 0, m);
	if (r < 0) {
		close(m);
		return pr_err_ret(r, "file %" PRIu64 ": the client did not take the pty master (orphan-pts-master)",
				  fe->id);
	}
	orphans[nr_orphans].index = p->index;
	orphans[nr_orphans].own_devpts = false;
	orphans[nr_orphans++].master = m;
	return m;
}

/*
 * A slave of the tree's own devpts whose master was outside (LXC's ttys,
 * whose masters LXC's restore does not hold): the pty is made anew with its
 * index in the tree's devpts, and criu holds the master until it is gone;
 * then the slave hangs up, as a terminal whose other end went away.
 */
static int own_devpts_master(const FileEntry *fe)
{
	const PtyEntry *p = fe->pty;
	int m, r, unlock = 0;

	for (size_t i = 0; i < nr_orphans; i++)
		if (orphans[i].index == p->index && orphans[i].own_devpts)
			return orphans[i].master;
	if (nr_orphans == sizeof(orphans) / sizeof(orphans[0]))
		return pr_err_ret(-E2BIG, "file %" PRIu64 ": too many ptys with an outside master", fe->id);
	r = ptmx_open_index(tree_ptmx(), p->index, O_RDWR, &m);
	if (r < 0)
		return pr_err_ret(r, "file %" PRIu64 ": %s: cannot make pty %u in the tree's devpts", fe->id,
				  fe->path ? fe->path : "?", p->index);
	if (ioctl(m, TIOCSPTLCK, &unlock) < 0 || apply_state(m, p) < 0) {
		r = pr_perror_ret("file %" PRIu64 ": cannot set up pty %u", fe->id, p->index);
		close(m);
		return r;
	}
	pr_info("file %" PRIu64
		": %s: pty %u made anew in the tree's devpts, its master outside; it hangs up "
		"when criu is gone\n",
		fe->id, fe->path ? fe->path : "?", p->index);
	orphans[nr_orphans].index = p->index;
	orphans[nr_orphans].own_devpts = true;
	orphans[nr_orphans++].master = m;
	return m;
}

/*
 * A slave description that was hung up: a slave of a new pty (any index)
 * whose master is closed at once, which hangs the slave up: reads give end
 * of file, writes and ioctls EIO, as before.
 */
static int hung_up_slave_open(const FileEntry *fe, int *ret_fd)
{
	_cleanup_close_ int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	int unlock = 0, s, v;

	if (m < 0)
		return pr_perror_ret("file %" PRIu64 ": cannot open /dev/ptmx", fe->id);
	if (ioctl(m, TIOCSPTLCK, &unlock) < 0)
		return pr_perror_ret("file %" PRIu64 ": cannot unlock a new pty", fe->id);
	s = open_slave(m, (int)(fe->flags & (O_ACCMODE | O_NONBLOCK | O_APPEND)));
	if (s < 0)
		return pr_err_ret(s, "file %" PRIu64 ": cannot open the slave of a new pty", fe->id);
	close(TAKE_FD(m));
	if (!(ioctl(s, TIOCGEXCL, &v) < 0 && errno == EIO)) {
		close(s);
		return pr_err_ret(-EIO, "file %" PRIu64 ": %s: the new slave did not hang up with its master", fe->id,
				  fe->path ? fe->path : "?");
	}
	pr_info("file %" PRIu64 ": %s: a hung-up slave again\n", fe->id, fe->path ? fe->path : "?");
	*ret_fd = s;
	return 0;
}

int pty_open_slave_of(struct files_restore *fr, uint32_t index, int flags)
{
	const FileEntry *mfe = NULL;
	int m = restored_master(fr, index, &mfe);

	return m < 0 ? m : open_slave(m, flags);
}

static int pty_slave_open(struct files_restore *fr, const FileEntry *fe, int *ret_fd)
{
	const FileEntry *mfe = NULL;
	int m, s;

	if (!fe->pty)
		return pr_err_ret(-EBADMSG, "file %" PRIu64 ": a pty slave without its pty", fe->id);
	if (fe->pty->hung_up)
		return hung_up_slave_open(fe, ret_fd);
	if (fe->pty->external_master && fe->pty->external)
		return external_slave_open(fr, fe, ret_fd);
	if (fe->pty->external_master) {
		if (!orphan_pts_master) {
			if (fr->shell_job)
				return tty_fd_ops.open(fr, fe, ret_fd); /* criu's own terminal */
			if (!fe->pty->own_devpts)
				return pr_err_ret(-EOPNOTSUPP,
						  "file %" PRIu64
						  ": %s: its pty master was outside the dumped tree; "
						  "restore it with orphan_pts_master (RPC) or --shell-job",
						  fe->id, fe->path ? fe->path : "?");
		}
		m = orphan_pts_master ? orphan_master(fe) : own_devpts_master(fe);
		if (m < 0)
			return m;
		s = open_slave(m, (int)(fe->flags & (O_ACCMODE | O_NONBLOCK | O_APPEND)));
		if (s < 0)
			return pr_err_ret(s, "file %" PRIu64 ": cannot open the slave of the new pty", fe->id);
		*ret_fd = s;
		return 0;
	}
	m = restored_master(fr, fe->pty->index, &mfe);
	if (m == -ENOENT)
		return pr_err_ret(-EBADMSG, "file %" PRIu64 ": %s: its pty master %u is not in the images", fe->id,
				  fe->path ? fe->path : "?", fe->pty->index);
	if (m < 0)
		return pr_err_ret(m, "file %" PRIu64 ": cannot make pty %u", fe->id, fe->pty->index);
	s = open_slave(m, (int)(fe->flags & (O_ACCMODE | O_NONBLOCK | O_APPEND)));
	if (s < 0)
		return pr_err_ret(s, "file %" PRIu64 ": cannot open the slave of pty %u (TIOCGPTPEER)", fe->id,
				  fe->pty->index);
	if (fe->pty->exclusive && ioctl(s, TIOCEXCL) < 0) {
		close(s);
		return pr_perror_ret("file %" PRIu64 ": TIOCEXCL", fe->id);
	}
	*ret_fd = s;
	return 0;
}

/* The master entry of the pty that is the controlling terminal of our session, if any. */
static int own_ctty(const struct files_restore *fr)
{
	pid_t self = getpid();

	if (getsid(0) != self)
		return -1;
	for (size_t k = 0; k < fr->nr_files; k++) {
		const FileEntry *fe = fr->files[k];

		if ((fe->kind == FILE_KIND__FILE_PTY_MASTER ||
		     (fe->kind == FILE_KIND__FILE_PTY_SLAVE && fe->pty && fe->pty->external_master)) &&
		    fe->pty && fe->pty->has_ctty_sid && fe->pty->ctty_sid == (uint32_t)self)
			return (int)k;
	}
	return -1;
}

/* In the session leader whose terminal pty index now is: /dev/tty in place of criu's stand-ins. */
static int reopen_dev_tty(struct files_restore *fr, uint32_t index)
{
	for (size_t j = 0; j < fr->nr_files; j++) {
		const FileEntry *fe = fr->files[j];
		int t;

		if (fe->kind != FILE_KIND__FILE_TTY || !fe->pty || fe->pty->index != index || fr->file_fds[j] < 0)
			continue;
		t = open("/dev/tty", (int)(fe->flags & (O_ACCMODE | O_NONBLOCK | O_APPEND)) | O_CLOEXEC);
		if (t < 0)
			return pr_perror_ret("pid %d: pty %u: cannot open /dev/tty", getpid(), index);
		if (dup3(t, fr->file_fds[j], O_CLOEXEC) < 0) {
			int e = -errno;

			close(t);
			return pr_err_ret(e, "pid %d: pty %u: cannot put /dev/tty in place", getpid(), index);
		}
		close(t);
		pr_info("pid %d: file %" PRIu64 ": /dev/tty of pty %u\n", getpid(), fe->id, index);
	}
	return 0;
}

int files_restore_session(struct files_restore *fr)
{
	pid_t self = getpid();
	int k = fr ? own_ctty(fr) : -1, s;
	const PtyEntry *p;

	if (k < 0)
		return 0;
	p = fr->files[k]->pty;
	if (fr->file_fds[k] < 0)
		return pr_err_ret(-EBADF, "pid %d: pty %u is not open", self, p->index);
	if (fr->files[k]->kind == FILE_KIND__FILE_PTY_SLAVE) {
		/* a slave of a new pty (or criu's own terminal): it is the terminal itself */
		if (ioctl(fr->file_fds[k], TIOCSCTTY, 0) < 0)
			return pr_perror_ret("pid %d: cannot make pty %u its controlling terminal", self, p->index);
		return reopen_dev_tty(fr, p->index);
	}
	/*
	 * Through a slave description of criu's (the terminal stays ours once it
	 * is closed); opened anew only if the tree has none, as the last slave
	 * closing hangs the master up.
	 */
	s = -ENOENT;
	for (size_t j = 0; j < fr->nr_files && s < 0; j++)
		if (fr->files[j]->kind == FILE_KIND__FILE_PTY_SLAVE && fr->files[j]->pty &&
		    fr->files[j]->pty->index == p->index && fr->file_fds[j] >= 0)
			s = dup(fr->file_fds[j]);
	if (s < 0)
		s = open_slave(fr->file_fds[k], O_RDWR);
	if (s < 0)
		return pr_err_ret(s, "pid %d: cannot open the slave of pty %u", self, p->index);
	if (ioctl(s, TIOCSCTTY, 0) < 0) {
		int e = -errno;

		close(s);
		return pr_err_ret(e, "pid %d: cannot make pty %u its controlling terminal", self, p->index);
	}
	close(s);
	return reopen_dev_tty(fr, p->index);
}

int pty_restore_ctty(struct files_restore *fr)
{
	int k = own_ctty(fr);
	const PtyEntry *p;

	if (k < 0)
		return 0;
	p = fr->files[k]->pty;
	/* every group exists now; on the master (or the slave), TIOCSPGRP acts on our terminal */
	if (p->has_fg_pgrp && tcsetpgrp(fr->file_fds[k], (pid_t)p->fg_pgrp) < 0)
		pr_warn("pid %d: pty %u: cannot make group %u the foreground: %s\n", getpid(), p->index, p->fg_pgrp,
			strerror(errno));
	return 0;
}

const struct fd_ops pty_master_fd_ops = {
	.name = "pty master",
	.kind = FILE_KIND__FILE_PTY_MASTER,
	.match = pty_master_match,
	.dump = pty_master_dump,
	.open = pty_master_open,
	.dump_finish = pty_master_dump_finish,
};

const struct fd_ops pty_slave_fd_ops = {
	.name = "pty slave",
	.kind = FILE_KIND__FILE_PTY_SLAVE,
	.match = pty_slave_match,
	.dump = pty_slave_dump,
	.open = pty_slave_open,
	.dump_finish = pty_slave_dump_finish,
};
