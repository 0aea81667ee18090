/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A FIFO (DIR/fifo) enlarged to 1 MiB (F_SETPIPE_SZ) holding 300 KiB not
 * read yet, more than a pipe of the default size takes. After restore it has
 * its size and every byte, in order.
 */
#include <sys/stat.h>

#include "feature.h"

#define LEN (300 << 10)

int main(int argc, char **argv)
{
	static unsigned char data[LEN], got[LEN];
	char path[4200];
	size_t have = 0;
	int r, w;

	feat_init(argc, argv);
	snprintf(path, sizeof(path), "%s/fifo", argv[1]);
	if (mkfifo(path, 0600))
		feat_die("mkfifo");
	r = open(path, O_RDONLY | O_NONBLOCK);
	w = open(path, O_WRONLY | O_NONBLOCK);
	if (r < 0 || w < 0 || fcntl(w, F_SETPIPE_SZ, 1 << 20) < 0)
		feat_die("open");
	for (size_t i = 0; i < LEN; i++)
		data[i] = (unsigned char)(i * 7 + i / 251);
	if (write(w, data, LEN) != LEN)
		feat_die("fill");

	feat_ready();
	feat_wait_go();

	FEAT_CHECK(fcntl(r, F_GETPIPE_SZ) == 1 << 20, "pipe size %d", fcntl(r, F_GETPIPE_SZ));
	while (have < LEN) {
		ssize_t n = read(r, got + have, LEN - have);

		if (n <= 0)
			break;
		have += (size_t)n;
	}
	FEAT_CHECK(have == LEN && !memcmp(got, data, LEN), "read %zu of %d bytes%s", have, LEN,
		   have == LEN ? ", not as written" : "");
	return feat_done();
}
