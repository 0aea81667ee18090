/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* uts namespace: hostname and domainname. */
#define LOG_PREFIX "uts: "
#include <errno.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "images/ns.pb-c.h"
#include "log.h"
#include "ns_priv.h"

static int read_uts(void *arg)
{
	return uname(arg) < 0 ? -errno : 0;
}

int uts_ns_dump(pid_t pid, struct img_dir *d)
{
	struct utsname *u = ns_shared_alloc(sizeof(*u));
	UtsEntry e = UTS_ENTRY__INIT;
	int r;

	if (!u)
		return -ENOMEM;
	r = ns_call_in(pid, NS_UTS, read_uts, u);
	if (r < 0) {
		ns_shared_free(u, sizeof(*u));
		return pr_err_ret(r, "pid %d: cannot read its hostname", pid);
	}
	e.hostname = u->nodename;
	e.domainname = u->domainname;
	pr_info("hostname %s, domainname %s\n", u->nodename, u->domainname);
	r = img_write_one(d, IMG_UTSNS, 0, &e.base);
	ns_shared_free(u, sizeof(*u));
	return r;
}

int uts_ns_restore(struct img_dir *d)
{
	struct img_reader *rd = NULL;
	UtsEntry *e = NULL;
	int r = img_open(d, IMG_UTSNS, 0, &rd);

	if (r == -ENOENT)
		return pr_err_ret(-EBADMSG, "the tree had its own uts namespace, but utsns.img is missing");
	if (r < 0)
		return r;
	r = img_read_one(rd, &uts_entry__descriptor, (ProtobufCMessage **)&e);
	img_close(rd);
	if (r < 0)
		return r;
	if (strlen(e->hostname) > 64 || strlen(e->domainname) > 64)
		r = pr_err_ret(-EBADMSG, "utsns.img: a name longer than 64 bytes");
	else if (sethostname(e->hostname, strlen(e->hostname)) < 0)
		r = pr_perror_ret("sethostname(%s)", e->hostname);
	else if (setdomainname(e->domainname, strlen(e->domainname)) < 0)
		r = pr_perror_ret("setdomainname(%s)", e->domainname);
	else
		r = 0;
	uts_entry__free_unpacked(e, NULL);
	return r;
}
