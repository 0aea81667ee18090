/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fanotify: a group reporting file ids (FAN_REPORT_FID, non-blocking) with
 * an inode mark on a directory (FAN_CREATE|FAN_ONDIR|FAN_EVENT_ON_CHILD)
 * and an ignore mark on a file in it; a second group with a mount mark
 * (FAN_CLOSE_WRITE). Checked after restore: flags and marks (fdinfo) and
 * that a create in the directory is reported.
 */
#include <sys/fanotify.h>
#include <sys/stat.h>

#include "feature.h"

static char info[8192];

static void read_info(int fd)
{
	feat_read_fdinfo(fd, info, sizeof(info));
}

/* The mark lines without mnt_id and f_handle values, which may change. */
static int has(const char *s)
{
	return strstr(info, s) != NULL;
}

int main(int argc, char **argv)
{
	char dir[4200], file[4300], made[4300], before[8192], mark1[512] = "", buf[4096];
	int fa, fb;
	ssize_t n;

	feat_init(argc, argv);
	snprintf(dir, sizeof(dir), "%s/marked", feat_dir);
	snprintf(file, sizeof(file), "%s/file", dir);
	snprintf(made, sizeof(made), "%s/new-one", dir);
	mkdir(dir, 0755);
	close(open(file, O_WRONLY | O_CREAT, 0644));
	fa = fanotify_init(FAN_CLASS_NOTIF | FAN_REPORT_FID | FAN_NONBLOCK, O_RDONLY);
	fb = fanotify_init(FAN_CLASS_NOTIF | FAN_NONBLOCK, O_RDONLY | O_LARGEFILE);
	if (fa < 0 || fb < 0)
		feat_die("fanotify_init");
	if (fanotify_mark(fa, FAN_MARK_ADD, FAN_CREATE | FAN_ONDIR | FAN_EVENT_ON_CHILD, AT_FDCWD, dir) ||
	    fanotify_mark(fa, FAN_MARK_ADD | FAN_MARK_IGNORED_MASK | FAN_MARK_IGNORED_SURV_MODIFY, FAN_ATTRIB,
			  AT_FDCWD, file) ||
	    fanotify_mark(fb, FAN_MARK_ADD | FAN_MARK_MOUNT, FAN_CLOSE_WRITE, AT_FDCWD, dir))
		feat_die("fanotify_mark");
	read_info(fa);
	feat_copy(before, sizeof(before), info);
	{
		/* the directory's mark line up to f_handle: ino, sdev, mflags, masks */
		char *p = strstr(before, "fanotify ino:");

		for (; p; p = strstr(p + 1, "fanotify ino:")) {
			char *h = strstr(p, " fhandle-bytes");

			if (h && strstr(p, "mask:48000100") && strstr(p, "mask:48000100") < h) {
				snprintf(mark1, sizeof(mark1), "%.*s", (int)(h - p), p);
				break;
			}
		}
	}
	if (!mark1[0])
		feat_die("the directory mark is not in fdinfo");
	feat_ready();
	feat_wait_go();

	read_info(fa);
	FEAT_CHECK(has("fanotify flags:"), "no fanotify group");
	{
		char *a = strstr(before, "fanotify flags:"), *b = strstr(info, "fanotify flags:");

		FEAT_CHECK(a && b && strcspn(a, "\n") == strcspn(b, "\n") && !strncmp(a, b, strcspn(a, "\n")),
			   "group flags differ");
	}
	FEAT_CHECK(has(mark1), "directory mark differs: want '%s'", mark1);
	FEAT_CHECK(has("mflags:40 mask:0 ignored_mask:4 "), "the ignore mark on the file differs");
	FEAT_CHECK(fcntl(fa, F_GETFL) & O_NONBLOCK, "fa lost O_NONBLOCK");
	read_info(fb);
	FEAT_CHECK(has("fanotify mnt_id:") && has("mflags:0 mask:8 ignored_mask:0"),
		   "the mount mark differs");
	FEAT_CHECK(has("event-flags:8000"), "fb event flags differ");
	close(open(made, O_WRONLY | O_CREAT, 0644));
	n = read(fa, buf, sizeof(buf));
	FEAT_CHECK(n >= (ssize_t)sizeof(struct fanotify_event_metadata) &&
			   (((struct fanotify_event_metadata *)buf)->mask & FAN_CREATE),
		   "no create event from the restored mark (%zd)", n);
	return feat_done();
}
