/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * inotify: a non-blocking group watching a directory (IN_CREATE|IN_DELETE,
 * wd 1) and a file in it (IN_ATTRIB|IN_ONESHOT, wd 3: wd 2 was used and
 * removed). Checked after restore: the watch descriptors and masks
 * (fdinfo), events of both watches with the right wd, rm_watch by wd.
 */
#include <sys/inotify.h>
#include <sys/stat.h>

#include "feature.h"

static char info[8192];

static void read_info(int fd)
{
	feat_read_fdinfo(fd, info, sizeof(info));
}

static int has_watch(int wd, unsigned int mask)
{
	char want[64];

	snprintf(want, sizeof(want), "inotify wd:%x ", wd);
	for (char *p = strstr(info, want); p; p = strstr(p + 1, want)) {
		char *m = strstr(p, "mask:");

		return m && strtoul(m + 5, NULL, 16) == mask;
	}
	return 0;
}

/* The events now queued: a bit per (wd, kind) seen. */
static unsigned int events(int fd, char *name, size_t len)
{
	char buf[4096] __attribute__((aligned(8)));
	unsigned int seen = 0;
	ssize_t n;

	usleep(50000);
	n = read(fd, buf, sizeof(buf));
	for (char *p = buf; n > 0 && p < buf + n;) {
		struct inotify_event *e = (struct inotify_event *)p;

		if (e->wd == 1 && (e->mask & IN_CREATE)) {
			seen |= 1;
			if (e->len)
				feat_copy(name, len, e->name);
		}
		if (e->wd == 3 && (e->mask & IN_ATTRIB))
			seen |= 2;
		if (e->wd == 3 && (e->mask & IN_IGNORED))
			seen |= 4;
		if (e->wd != 1 && e->wd != 3)
			seen |= 8;
		p += sizeof(*e) + e->len;
	}
	return seen;
}

int main(int argc, char **argv)
{
	char dir[4200], file[4300], made[4300], name[64] = "";
	unsigned int seen;
	int in, w1, w2, w3;

	feat_init(argc, argv);
	snprintf(dir, sizeof(dir), "%s/watched", feat_dir);
	snprintf(file, sizeof(file), "%s/file", dir);
	snprintf(made, sizeof(made), "%s/new-one", dir);
	mkdir(dir, 0755);
	close(open(file, O_WRONLY | O_CREAT, 0644));
	in = inotify_init1(IN_NONBLOCK);
	if (in < 0)
		feat_die("inotify_init1");
	w1 = inotify_add_watch(in, dir, IN_CREATE | IN_DELETE);
	w2 = inotify_add_watch(in, file, IN_MODIFY);
	inotify_rm_watch(in, w2);
	w3 = inotify_add_watch(in, file, IN_ATTRIB | IN_ONESHOT);
	if (w1 != 1 || w2 != 2 || w3 != 3)
		feat_die("unexpected watch descriptors");
	events(in, name, sizeof(name)); /* the IN_IGNORED of wd 2 */
	feat_ready();
	feat_wait_go();

	read_info(in);
	FEAT_CHECK(has_watch(1, IN_CREATE | IN_DELETE), "watch 1 differs: %s", info);
	FEAT_CHECK(has_watch(3, IN_ATTRIB | IN_ONESHOT), "watch 3 differs");
	FEAT_CHECK(!strstr(info, "inotify wd:2 "), "a watch 2 came back");
	FEAT_CHECK(fcntl(in, F_GETFL) & O_NONBLOCK, "O_NONBLOCK lost");
	seen = events(in, name, sizeof(name));
	FEAT_CHECK(seen == 0, "events after restore before any change: %#x", seen);
	close(open(made, O_WRONLY | O_CREAT, 0644));
	chmod(file, 0600);
	seen = events(in, name, sizeof(name));
	FEAT_CHECK((seen & 3) == 3 && !(seen & 8), "events seen %#x, want create on wd 1 and attrib on wd 3",
		   seen);
	FEAT_CHECK(!strcmp(name, "new-one"), "create event names '%s'", name);
	FEAT_CHECK(inotify_rm_watch(in, 1) == 0, "inotify_rm_watch(1): %s", strerror(errno));
	return feat_done();
}
