/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A tree in its own mount and pid namespaces (the program makes a root
 * under ROOT, as a runtime would: binds of /usr and of DIR, a proc, then
 * pivot_root), with a child in a mount namespace of its own:
 *  - /t a shared tmpfs; /b a bind of its subdirectory /sub (a peer of /t);
 *  - /u an unbindable tmpfs;
 *  - /o a tmpfs covered by another tmpfs (an overmount);
 *  - in the child's namespace: /b made a slave, a tmpfs mounted at /t/c
 *    (it propagates to the parent's /t/c: a peer group across namespaces),
 *    a file opened there, and the parent's fd of /o/f inherited.
 * After restore, both namespaces' mountinfo (mountpoint, root, type, source,
 * options, and which mounts are peers or masters of which, across both)
 * are what they were, the files read what they held, each fd is on a mount
 * of the namespace it was opened in, and /u is still unbindable.
 */
// criu-opts: --root /tmp/cr-feat-mnt-nested --ext-mount-map auto
#include <stdint.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "mnt_root.h"

#define ROOT	 "/tmp/cr-feat-mnt-nested"
#define SNAP_MAX 16384

struct shared {
	volatile int child_ready;
	volatile int child_done;
	char child_diffs[2048];
};

static struct shared *sh;

static void put_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	mnt_must(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text), path);
	close(fd);
}

static int fd_mnt_id(int fd)
{
	char path[64], buf[1024], *p;
	int id = -1;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	if (feat_read_file(path, buf, sizeof(buf)) > 0 && (p = strstr(buf, "mnt_id:")))
		id = atoi(p + 7);
	return id;
}

/* The mountpoint of mount id in pid's mountinfo ("" if it is not there). */
static void mount_of(pid_t pid, int id, char *ret, size_t len)
{
	char path[64], line[1024];
	FILE *f;

	ret[0] = 0;
	snprintf(path, sizeof(path), "/proc/%d/mountinfo", pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		int mid;
		char mp[512];

		if (sscanf(line, "%d %*d %*s %*s %511s", &mid, mp) == 2 && mid == id)
			feat_copy(ret, len, mp);
	}
	if (f)
		fclose(f);
}

/* One line of mountinfo, its ids left out but its peer group and master. */
struct mnt_line {
	char key[1024]; /* "ns MOUNTPOINT ROOT OPTS" */
	char rest[512]; /* "TYPE SOURCE SUPEROPTS" */
	unsigned int shared, master;
	int unbindable;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Appends pid's mountinfo to v (n of at most 128). */
static void read_mounts(pid_t pid, const char *ns, struct mnt_line *v, size_t *n)
{
	char path[64], line[1024];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/mountinfo", pid);
	f = fopen(path, "r");
	while (f && *n < 128 && fgets(line, sizeof(line), f)) {
		struct mnt_line *m = &v[*n];
		char root[256], mp[256], opts[256], *sep, *tok, *save;

		sep = strstr(line, " - ");
		if (!sep || sscanf(line, "%*d %*d %*s %255s %255s %255s", root, mp, opts) != 3)
			continue;
		memset(m, 0, sizeof(*m));
		snprintf(m->key, sizeof(m->key), "%s %s %s %s", ns, mp, root, opts);
		feat_copy(m->rest, sizeof(m->rest), sep + 3);
		m->rest[strcspn(m->rest, "\n")] = 0;
		*sep = 0;
		tok = line;
		for (int k = 0; k < 6 && tok; k++)
			tok = strchr(tok + 1, ' ');
		for (tok = tok ? strtok_r(tok, " ", &save) : NULL; tok; tok = strtok_r(NULL, " ", &save)) {
			sscanf(tok, "shared:%u", &m->shared);
			sscanf(tok, "master:%u", &m->master);
			m->unbindable |= !strcmp(tok, "unbindable");
		}
		(*n)++;
	}
	if (f)
		fclose(f);
}

/* A group's name that does not depend on ids: its first member's key, sorted; "outside" if none. */
static const char *group_name(const struct mnt_line *v, size_t n, unsigned int id)
{
	const char *best = NULL;

	for (size_t i = 0; i < n; i++)
		if (v[i].shared == id && (!best || strcmp(v[i].key, best) < 0))
			best = v[i].key;
	return best ? best : "outside";
}

/*
 * Both namespaces' mountinfo as sorted lines "ns MOUNTPOINT ROOT OPTS [peers of X] [slave of Y]
 * [unbindable] - TYPE SOURCE SUPEROPTS", groups named by a member, not by number.
 */
static void snapshot(pid_t parent, pid_t child, char *out, size_t len)
{
	static struct mnt_line v[128];
	char *lines[128];
	size_t n = 0, used = 0;

	read_mounts(parent, "parent", v, &n);
	read_mounts(child, "child", v, &n);
	for (size_t i = 0; i < n; i++) {
		char line[4096], peers[1100] = "", slave[1100] = "";
		int l;

		if (v[i].shared)
			snprintf(peers, sizeof(peers), " [peers of %.1024s]", group_name(v, n, v[i].shared));
		if (v[i].master)
			snprintf(slave, sizeof(slave), " [slave of %.1024s]", group_name(v, n, v[i].master));
		l = snprintf(line, sizeof(line), "%s%s%s%s - %s", v[i].key, peers, slave,
			     v[i].unbindable ? " unbindable" : "", v[i].rest);
		if (l < 0 || l >= (int)sizeof(line))
			feat_fail("a mountinfo line too long to compare: %.60s...", v[i].key);
		lines[i] = strdup(line);
	}
	qsort(lines, n, sizeof(*lines), cmp_str);
	out[0] = 0;
	for (size_t i = 0; i < n; i++) {
		used += (size_t)snprintf(out + used, used < len ? len - used : 0, "%s\n", lines[i]);
		free(lines[i]);
	}
}

/* Prints the lines of a that b lacks (and the other way) as differences. */
static void compare(const char *before, const char *after)
{
	const char *sides[2][2] = {{before, after}, {after, before}};

	for (int s = 0; s < 2; s++) {
		const char *p = sides[s][0];

		while (*p) {
			const char *nl = strchr(p, '\n');
			size_t l = nl ? (size_t)(nl - p) : strlen(p);
			char line[1024];

			snprintf(line, sizeof(line), "%.*s\n", (int)l, p);
			if (!strstr(sides[s][1], line))
				feat_fail("mount %s: %.*s", s ? "appeared" : "lost", (int)l, p);
			p += l + (nl ? 1 : 0);
		}
	}
}

static void check_file(int fd, const char *want, const char *what)
{
	char buf[64] = "";
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	FEAT_CHECK(n == (ssize_t)strlen(want) && !memcmp(buf, want, strlen(want)),
		   "%s reads \"%s\", not \"%s\"", what, n > 0 ? buf : "", want);
}

static void child_fail(const char *fmt, const char *arg)
{
	size_t l = strlen(sh->child_diffs);

	snprintf(sh->child_diffs + l, sizeof(sh->child_diffs) - l, fmt, arg);
}

/* The child: its own mount namespace, a slave, a propagated mount, a file of each namespace. */
static void child(int fd_parent)
{
	char mp[512];
	int fd2;

	mnt_must(unshare(CLONE_NEWNS) == 0, "unshare(CLONE_NEWNS) in the child");
	mnt_must(mount(NULL, "/b", NULL, MS_SLAVE, NULL) == 0, "make /b a slave");
	mnt_must(mkdir("/t/c", 0755) == 0 && mount("c", "/t/c", "tmpfs", 0, "size=1m") == 0, "mount /t/c");
	put_file("/t/c/y", "cy");
	fd2 = open("/t/c/y", O_RDONLY);
	mnt_must(fd2 >= 0, "open /t/c/y");
	sh->child_ready = 1;
	feat_wait_go();
	mount_of(getpid(), fd_mnt_id(fd2), mp, sizeof(mp));
	if (strcmp(mp, "/t/c"))
		child_fail("child: its fd of /t/c/y is not on a mount of its namespace at /t/c (%s); ", mp);
	mount_of(getpid(), fd_mnt_id(fd_parent), mp, sizeof(mp));
	if (mp[0])
		child_fail("child: the fd of /o/f it inherited is on a mount of its own namespace (%s); ",
			   mp);
	{
		char buf[8] = "";

		if (pread(fd2, buf, sizeof(buf) - 1, 0) != 2 || strcmp(buf, "cy"))
			child_fail("child: /t/c/y reads \"%s\"; ", buf);
		memset(buf, 0, sizeof(buf));
		if (pread(fd_parent, buf, sizeof(buf) - 1, 0) != 4 || strcmp(buf, "over"))
			child_fail("child: /o/f reads \"%s\"; ", buf);
	}
	sh->child_done = 1;
	_exit(0);
}

static void inner(void)
{
	static char before[SNAP_MAX], after[SNAP_MAX];
	char mp[512];
	int fd_parent, fd;
	pid_t pid;

	mnt_must(mkdir("/t", 0755) == 0 || errno == EEXIST, "mkdir /t");
	mnt_must(mount("t", "/t", "tmpfs", 0, "size=1m") == 0 &&
			 mount(NULL, "/t", NULL, MS_SHARED, NULL) == 0,
		 "shared tmpfs /t");
	mnt_must(mkdir("/t/sub", 0755) == 0, "mkdir /t/sub");
	put_file("/t/sub/x", "sub");
	mnt_must(mount("/t/sub", "/b", NULL, MS_BIND, NULL) == 0, "bind /t/sub at /b");
	mnt_must(mount("u", "/u", "tmpfs", 0, "size=1m") == 0 &&
			 mount(NULL, "/u", NULL, MS_UNBINDABLE, NULL) == 0,
		 "unbindable /u");
	mnt_must(mount("o1", "/o", "tmpfs", 0, "size=1m") == 0, "tmpfs /o");
	put_file("/o/f", "under");
	mnt_must(mount("o2", "/o", "tmpfs", 0, "size=1m") == 0, "tmpfs over /o");
	put_file("/o/f", "over");
	fd_parent = open("/o/f", O_RDONLY);
	mnt_must(fd_parent >= 0, "open /o/f");
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	mnt_must(sh != MAP_FAILED, "mmap");
	pid = fork();
	mnt_must(pid >= 0, "fork the child");
	if (pid == 0)
		child(fd_parent);
	while (!sh->child_ready)
		usleep(10000);
	snapshot(getpid(), pid, before, sizeof(before));

	feat_ready();
	feat_wait_go();

	snapshot(getpid(), pid, after, sizeof(after));
	compare(before, after);
	kill(pid, SIGUSR1);
	check_file(fd_parent, "over", "the fd of /o/f");
	fd = open("/o/f", O_RDONLY);
	check_file(fd, "over", "/o/f");
	close(fd);
	fd = open("/b/x", O_RDONLY);
	check_file(fd, "sub", "/b/x");
	close(fd);
	fd = open("/t/c/y", O_RDONLY);
	check_file(fd, "cy", "/t/c/y (propagated from the child's namespace)");
	close(fd);
	mount_of(getpid(), fd_mnt_id(fd_parent), mp, sizeof(mp));
	FEAT_CHECK(!strcmp(mp, "/o"), "the fd of /o/f is not on the parent's mount at /o (%s)", mp);
	mkdir("/ub", 0755);
	FEAT_CHECK(mount("/u", "/ub", NULL, MS_BIND, NULL) < 0 && errno == EINVAL,
		   "/u can be bound: it is not unbindable any more");
	for (int i = 0; i < 500 && !sh->child_done; i++)
		usleep(10000);
	FEAT_CHECK(sh->child_done, "the child did not report");
	if (sh->child_diffs[0])
		feat_fail("%s", sh->child_diffs);
	feat_done();
	exit(0);
}

int main(int argc, char **argv)
{
	return mnt_root_main(argc, argv, ROOT, inner);
}
