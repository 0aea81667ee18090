/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A tree in a net namespace of its own whose child task holds a second,
 * nested net namespace (its own lo up, a sysctl changed, a unix socket bound
 * to an abstract name there). criu does not dump nested namespaces yet: the
 * dump is refused by name (the child's pid and its namespace), and the tree
 * goes on with both namespaces as they were: the child still sees its
 * sysctl and its socket, the parent neither.
 */
// criu-expect: dump-refused
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "feature.h"

#define NAME "\0criu-feature-nested-netns"

static int set_up[2]; /* the child says its namespace is ready */

static int read_int(const char *path)
{
	char buf[32];
	ssize_t n = feat_read_file(path, buf, sizeof(buf) - 1);

	if (n <= 0)
		return -1;
	buf[n] = 0;
	return atoi(buf);
}

/* 0 when a datagram socket can reach NAME from this task's namespace. */
static int reach_name(void)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int sk = socket(AF_UNIX, SOCK_DGRAM, 0), r;

	memcpy(a.sun_path, NAME, sizeof(NAME) - 1);
	r = connect(sk, (struct sockaddr *)&a, offsetof(struct sockaddr_un, sun_path) + sizeof(NAME) - 1);
	close(sk);
	return r;
}

/* The child: a nested namespace with its own state; reports after the go. */
static void child(int go_fd)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int sk, fd;

	if (unshare(CLONE_NEWNET) < 0)
		feat_die("unshare(CLONE_NEWNET) in the child");
	fd = open("/proc/sys/net/unix/max_dgram_qlen", O_WRONLY);
	if (fd < 0 || write(fd, "321", 3) != 3)
		feat_die("net/unix/max_dgram_qlen in the child");
	close(fd);
	sk = socket(AF_UNIX, SOCK_DGRAM, 0);
	memcpy(a.sun_path, NAME, sizeof(NAME) - 1);
	if (sk < 0 ||
	    bind(sk, (struct sockaddr *)&a, offsetof(struct sockaddr_un, sun_path) + sizeof(NAME) - 1) < 0)
		feat_die("bind the abstract socket in the child");
	if (write(set_up[1], "x", 1) != 1)
		feat_die("tell the parent");
	feat_child_wait_go(go_fd);
	FEAT_CHECK(read_int("/proc/sys/net/unix/max_dgram_qlen") == 321,
		   "child: net/unix/max_dgram_qlen is %d, not 321, after the refused dump",
		   read_int("/proc/sys/net/unix/max_dgram_qlen"));
	FEAT_CHECK(reach_name() == 0, "child: its abstract socket is gone after the refused dump (%s)",
		   strerror(errno));
	close(sk);
}

int main(int argc, char **argv)
{
	struct feat_child c;
	char x;

	feat_init(argc, argv);
	if (unshare(CLONE_NEWNET) < 0)
		feat_die("unshare(CLONE_NEWNET)");
	if (pipe(set_up) < 0)
		feat_die("pipe");
	feat_child_start(&c, child);
	close(set_up[1]);
	if (read(set_up[0], &x, 1) != 1)
		feat_die("the child did not set its namespace up");
	close(set_up[0]);
	feat_ready();
	feat_wait_go();
	feat_child_check(&c);
	FEAT_CHECK(read_int("/proc/sys/net/unix/max_dgram_qlen") != 321,
		   "parent: the child's net/unix/max_dgram_qlen shows in the parent's namespace");
	FEAT_CHECK(reach_name() != 0,
		   "parent: the child's abstract socket is reachable from the parent's namespace");
	return feat_done();
}
