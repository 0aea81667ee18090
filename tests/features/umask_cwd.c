/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* umask 027 and a working directory under DIR (a relative path resolves there). */
#include <sys/stat.h>

#include "feature.h"

int main(int argc, char **argv)
{
	char want[4200], sub[4200], cwd[4200];
	struct stat st;
	mode_t m;
	int fd;

	feat_init(argc, argv);
	snprintf(sub, sizeof(sub), "%s/wd", feat_dir);
	snprintf(want, sizeof(want), "%s/wd/sub dir", feat_dir);
	if (mkdir(sub, 0755) || mkdir(want, 0755))
		feat_die("mkdir");
	if (chdir(want))
		feat_die("chdir");
	if (!getcwd(want, sizeof(want)))
		feat_die("getcwd");
	fd = open("marker", O_CREAT | O_WRONLY, 0644);
	if (fd < 0)
		feat_die("marker");
	close(fd);
	umask(027);

	feat_ready();
	feat_wait_go();

	m = umask(0);
	umask(m);
	FEAT_CHECK(m == 027, "umask %04o, expected 0027", m);
	{
		char v[32];

		if (!feat_status_field("/proc/self/status", "Umask", v, sizeof(v)))
			FEAT_CHECK(strtol(v, NULL, 8) == 027, "/proc Umask %s, expected 0027", v);
	}
	if (!getcwd(cwd, sizeof(cwd)))
		feat_fail("getcwd: %s", strerror(errno));
	else
		FEAT_CHECK(!strcmp(cwd, want), "cwd '%s', expected '%s'", cwd, want);
	FEAT_CHECK(access("marker", F_OK) == 0, "relative 'marker' not found in cwd");
	fd = open("newfile", O_CREAT | O_WRONLY, 0666);
	if (fd < 0 || fstat(fd, &st))
		feat_fail("create newfile: %s", strerror(errno));
	else
		FEAT_CHECK((st.st_mode & 07777) == 0640, "new file mode %04o, expected 0640", st.st_mode & 07777);
	if (fd >= 0)
		close(fd);
	return feat_done();
}
