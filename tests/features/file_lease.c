/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Leases (F_SETLEASE) that are not being broken, kept with --file-locks: a
 * read lease on a read-only description, a write lease on a write-only one
 * of another file, with F_SETSIG. After restore each description holds its
 * lease (F_GETLEASE), and opening the write-leased file for reading breaks
 * it: its holder gets the signal, as before.
 */
// criu-opts: --file-locks
#include <signal.h>

#include "feature.h"

static volatile sig_atomic_t broken;

static void on_break(int sig)
{
	(void)sig;
	broken = 1;
}

int main(int argc, char **argv)
{
	char rd[4200], wr[4200];
	int fr, fw, o;

	feat_init(argc, argv);
	snprintf(rd, sizeof(rd), "%s/lease-rd", feat_dir);
	snprintf(wr, sizeof(wr), "%s/lease-wr", feat_dir);
	signal(SIGRTMIN + 3, on_break);
	fr = open(rd, O_RDONLY | O_CREAT, 0644);
	fw = open(wr, O_WRONLY | O_CREAT, 0644);
	if (fr < 0 || fw < 0 || fcntl(fr, F_SETLEASE, F_RDLCK) || fcntl(fw, F_SETLEASE, F_WRLCK) ||
	    fcntl(fw, F_SETSIG, SIGRTMIN + 3))
		feat_die("leases");

	feat_ready();
	feat_wait_go();

	FEAT_CHECK(fcntl(fr, F_GETLEASE) == F_RDLCK, "read lease: F_GETLEASE %d", fcntl(fr, F_GETLEASE));
	FEAT_CHECK(fcntl(fw, F_GETLEASE) == F_WRLCK, "write lease: F_GETLEASE %d", fcntl(fw, F_GETLEASE));
	/* a reader breaks the write lease: the holder is told with its signal */
	o = open(wr, O_RDONLY | O_NONBLOCK);
	FEAT_CHECK(o < 0 && errno == EWOULDBLOCK, "opening the leased file did not wait for the lease (%s)",
		   strerror(errno));
	for (int i = 0; i < 100 && !broken; i++)
		usleep(10000);
	FEAT_CHECK(broken, "the lease holder got no signal when its lease was broken");
	fcntl(fw, F_SETLEASE, F_UNLCK);
	return feat_done();
}
