/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The owner and mode of a pty's slave (/dev/pts/N): grantpt gives it to the
 * user who opened the master; criu, which opens the master anew, must give
 * it back. Two ptys held by their masters only: one uid 1000 gid 5 mode
 * 0620 (a login's terminal), one uid 1234 gid 4321 mode 0600.
 */
#include <sys/stat.h>

#include "feature.h"

static const struct {
	uid_t uid;
	gid_t gid;
	mode_t mode;
} want[] = { { 1000, 5, 0620 }, { 1234, 4321, 0600 } };

int main(int argc, char **argv)
{
	char names[2][64];
	int m[2];

	feat_init(argc, argv);
	for (int i = 0; i < 2; i++) {
		m[i] = posix_openpt(O_RDWR | O_NOCTTY);
		if (m[i] < 0 || grantpt(m[i]) || unlockpt(m[i]) || !ptsname(m[i]))
			feat_die("posix_openpt");
		snprintf(names[i], sizeof(names[i]), "%s", ptsname(m[i]));
		if (chown(names[i], want[i].uid, want[i].gid) || chmod(names[i], want[i].mode))
			feat_die("chown the slave");
	}

	feat_ready();
	feat_wait_go();

	for (int i = 0; i < 2; i++) {
		struct stat st;

		if (stat(names[i], &st)) {
			feat_fail("%s: %s", names[i], strerror(errno));
			continue;
		}
		FEAT_CHECK(st.st_uid == want[i].uid && st.st_gid == want[i].gid && (st.st_mode & 07777) == want[i].mode,
			   "%s: uid %u gid %u mode %o, expected %u %u %o", names[i], st.st_uid, st.st_gid,
			   st.st_mode & 07777, want[i].uid, want[i].gid, want[i].mode);
	}
	return feat_done();
}
