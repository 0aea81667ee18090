/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An inotify watch on a file that was removed while an fd still holds it
 * open for writing (its IN_DELETE_SELF not yet due: the fd keeps it). After
 * restore a write through the fd raises IN_MODIFY and its close
 * IN_CLOSE_WRITE on the same watch descriptor, and the file keeps its bytes.
 */
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include "feature.h"

/* The next event's mask for wd, or 0 when none comes within a second. */
static uint32_t next_event(int ifd, int wd)
{
	char buf[4096] __attribute__((aligned(8)));
	struct pollfd p = {.fd = ifd, .events = POLLIN};
	ssize_t n;

	if (poll(&p, 1, 1000) != 1)
		return 0;
	n = read(ifd, buf, sizeof(buf));
	if (n < (ssize_t)sizeof(struct inotify_event))
		return 0;
	return ((struct inotify_event *)buf)->wd == wd ? ((struct inotify_event *)buf)->mask : 0x80000000u;
}

int main(int argc, char **argv)
{
	char path[4200], buf[16] = "";
	uint32_t ev;
	int ifd, fd, wd;
	struct stat st;

	feat_init(argc, argv);
	snprintf(path, sizeof(path), "%s/watched", argv[1]);
	fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
	ifd = inotify_init1(IN_NONBLOCK);
	if (fd < 0 || ifd < 0 || write(fd, "kept", 4) != 4)
		feat_die("open");
	wd = inotify_add_watch(ifd, path, IN_MODIFY | IN_CLOSE_WRITE);
	if (wd < 0 || unlink(path))
		feat_die("watch");

	feat_ready();
	feat_wait_go();

	FEAT_CHECK(next_event(ifd, wd) == 0, "an event was queued before anything happened");
	FEAT_CHECK(write(fd, "more", 4) == 4, "write: %s", strerror(errno));
	ev = next_event(ifd, wd);
	FEAT_CHECK(ev == IN_MODIFY, "after a write: event %#x on wd %d, expected IN_MODIFY", ev, wd);
	FEAT_CHECK(fstat(fd, &st) == 0 && st.st_nlink == 0 && pread(fd, buf, 8, 0) == 8 &&
			   !memcmp(buf, "keptmore", 8),
		   "the file: %lu links, reads '%s'", (unsigned long)st.st_nlink, buf);
	close(fd);
	ev = next_event(ifd, wd);
	FEAT_CHECK(ev == IN_CLOSE_WRITE, "after the close: event %#x on wd %d, expected IN_CLOSE_WRITE", ev,
		   wd);
	return feat_done();
}
