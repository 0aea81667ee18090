/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Cgroups come back exactly, in cgroups the restore makes anew: every
 * --cgroup-root below moves the root task's cgroup of a hierarchy from
 * "...-d" (dumped) to "...-r" (restored), so nothing is left as it was.
 *   - a thread in another cgroup than its process: a named v1 hierarchy
 *     (written into "tasks") and a cgroup2 threaded cgroup ("cgroup.threads");
 *   - the owner and mode of a cgroup dir and of some of its control files;
 *   - a v1 devices cgroup's exception list (devices.list, in its order);
 *   - property values: pids.max, notify_on_release, cgroup.type.
 * Needs root, v1 devices and pids under /sys/fs/cgroup/<ctrl>, cgroup2 at
 * /sys/fs/cgroup/unified (skipped otherwise).
 */
// clang-format off
// criu-opts: --manage-cgroups=full --cgroup-root name=crfeat:/crfeat-r --cgroup-root devices:/crfeat-dev-r --cgroup-root pids:/crfeat-pids-r --cgroup-root :/crfeat-u-r
// clang-format on
#include <sys/mount.h>
#include <sys/stat.h>

#include "feature.h"

#define CG "/sys/fs/cgroup"

struct hier {
	const char *ctrl; /* as in /proc/PID/cgroup; "" for cgroup2 */
	char mnt[4200];
	const char *dumped, *restored;
	const char *thread_sub; /* the thread's cgroup below the process's, or NULL */
	char orig[1024];	/* where the program was before (to go back at the end) */
};

static struct hier hs[] = {
	{"name=crfeat", "", "/crfeat-d", "/crfeat-r", "t", ""},
	{"devices", CG "/devices", "/crfeat-dev-d", "/crfeat-dev-r", NULL, ""},
	{"pids", CG "/pids", "/crfeat-pids-d", "/crfeat-pids-r", NULL, ""},
	{"", CG "/unified", "/crfeat-u-d", "/crfeat-u-r", "t", ""},
};
#define NH (sizeof(hs) / sizeof(hs[0]))
enum { NAMED, DEVICES, PIDS, UNIFIED };

static const char *const dev_allow[] = {"c *:* m",   "b *:* m",	  "c 1:3 rwm", "c 1:5 rwm",   "c 1:8 rwm",
					"c 1:9 rwm", "c 5:0 rwm", "c 5:2 rwm", "c 136:* rwm", "b 7:* r"};

/* the files whose owner and mode are changed in the named cgroup, and the dir itself ("") */
static const struct {
	const char *name;
	uid_t uid;
	gid_t gid;
	mode_t mode;
} perms[] = {{"", 1234, 1235, 0751}, {"notify_on_release", 1234, 1235, 0600}, {"cgroup.procs", 0, 0, 0664}};

static volatile int gate, thread_ready;
static pid_t thread_tid;
static char thread_err[4600];

static void path_of(char *buf, size_t len, const struct hier *h, const char *cg, const char *sub,
		    const char *file)
{
	snprintf(buf, len, "%s%s%s%s%s%s", h->mnt, cg, sub ? "/" : "", sub ? sub : "", file ? "/" : "",
		 file ? file : "");
}

static int write_str(const char *path, const char *v)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, v, strlen(v));
	close(fd);
	return n < 0 ? -1 : 0;
}

static int write_file(const struct hier *h, const char *cg, const char *sub, const char *file, const char *v)
{
	char p[4400];

	path_of(p, sizeof(p), h, cg, sub, file);
	return write_str(p, v);
}

/* The contents of the cgroup file, the last newline dropped ("" if unreadable). */
static void read_cg(const struct hier *h, const char *cg, const char *sub, const char *file, char *buf,
		    size_t len)
{
	char p[4400];

	path_of(p, sizeof(p), h, cg, sub, file);
	if (feat_read_file(p, buf, len) < 0)
		buf[0] = 0;
	buf[strcspn(buf, "\0")] = 0;
	if (*buf && buf[strlen(buf) - 1] == '\n')
		buf[strlen(buf) - 1] = 0;
}

/* The path of hierarchy ctrl in a /proc/.../cgroup file ("" if none). */
static void cg_line(const char *procfile, const char *ctrl, char *out, size_t len)
{
	char buf[8192];
	size_t n = strlen(ctrl);

	out[0] = 0;
	if (feat_read_file(procfile, buf, sizeof(buf)) <= 0)
		return;
	for (char *l = buf; *l; l += strcspn(l, "\n"), l += *l == '\n') {
		char *c1 = strchr(l, ':');

		if (c1 && c1 < l + strcspn(l, "\n") && !strncmp(c1 + 1, ctrl, n) && c1[1 + n] == ':') {
			snprintf(out, len, "%.*s", (int)strcspn(c1 + 2 + n, "\n"), c1 + 2 + n);
			return;
		}
	}
}

/* Removes what a former run may have left: children first. */
static void remove_cgroups(void)
{
	char p[4400];

	for (size_t i = 0; i < NH; i++) {
		const char *cgs[] = {hs[i].dumped, hs[i].restored};

		for (size_t k = 0; k < 2; k++) {
			if (hs[i].thread_sub) {
				path_of(p, sizeof(p), &hs[i], cgs[k], hs[i].thread_sub, NULL);
				rmdir(p);
			}
			path_of(p, sizeof(p), &hs[i], cgs[k], NULL, NULL);
			rmdir(p);
		}
	}
}

static void *thread_fn(void *arg)
{
	char p[4400], tid[32];

	(void)arg;
	thread_tid = feat_gettid();
	snprintf(tid, sizeof(tid), "%d", thread_tid);
	path_of(p, sizeof(p), &hs[NAMED], hs[NAMED].dumped, "t", "tasks");
	if (write_str(p, tid))
		snprintf(thread_err, sizeof(thread_err), "%s: %s", p, strerror(errno));
	path_of(p, sizeof(p), &hs[UNIFIED], hs[UNIFIED].dumped, "t", "cgroup.threads");
	if (!thread_err[0] && write_str(p, tid))
		snprintf(thread_err, sizeof(thread_err), "%s: %s", p, strerror(errno));
	__atomic_store_n(&thread_ready, 1, __ATOMIC_RELEASE);
	feat_gate_wait(&gate);
	return NULL;
}

static void setup(void)
{
	char p[4400], buf[64];

	for (size_t i = 0; i < NH; i++)
		cg_line("/proc/self/cgroup", hs[i].ctrl, hs[i].orig, sizeof(hs[i].orig));
	remove_cgroups();
	for (size_t i = 0; i < NH; i++) {
		path_of(p, sizeof(p), &hs[i], hs[i].dumped, NULL, NULL);
		if (mkdir(p, 0755))
			feat_die(p);
		if (hs[i].thread_sub) {
			path_of(p, sizeof(p), &hs[i], hs[i].dumped, hs[i].thread_sub, NULL);
			if (mkdir(p, 0755))
				feat_die(p);
		}
	}
	/* named: owners and modes, a property */
	for (size_t k = 0; k < sizeof(perms) / sizeof(perms[0]); k++) {
		path_of(p, sizeof(p), &hs[NAMED], hs[NAMED].dumped, NULL,
			*perms[k].name ? perms[k].name : NULL);
		if (chown(p, perms[k].uid, perms[k].gid) || chmod(p, perms[k].mode))
			feat_die(p);
	}
	if (write_file(&hs[NAMED], hs[NAMED].dumped, NULL, "notify_on_release", "1"))
		feat_die("notify_on_release");
	/* devices: deny all, then the exceptions in this order */
	if (write_file(&hs[DEVICES], hs[DEVICES].dumped, NULL, "devices.deny", "a"))
		feat_die("devices.deny");
	for (size_t k = 0; k < sizeof(dev_allow) / sizeof(dev_allow[0]); k++)
		if (write_file(&hs[DEVICES], hs[DEVICES].dumped, NULL, "devices.allow", dev_allow[k]))
			feat_die(dev_allow[k]);
	if (write_file(&hs[PIDS], hs[PIDS].dumped, NULL, "pids.max", "77"))
		feat_die("pids.max");
	if (write_file(&hs[UNIFIED], hs[UNIFIED].dumped, "t", "cgroup.type", "threaded"))
		feat_die("cgroup.type threaded");
	/* the process into the dumped cgroups, then its thread below them */
	for (size_t i = 0; i < NH; i++)
		if (write_file(&hs[i], hs[i].dumped, NULL, "cgroup.procs", "0"))
			feat_die("join the cgroups");
	{
		pthread_t t;

		if (feat_thread_create(&t, thread_fn, NULL))
			feat_die("pthread_create");
	}
	while (!__atomic_load_n(&thread_ready, __ATOMIC_ACQUIRE))
		feat_sleep_ms(5);
	if (thread_err[0]) {
		errno = 0;
		feat_die(thread_err);
	}
	read_cg(&hs[NAMED], hs[NAMED].dumped, NULL, "notify_on_release", buf, sizeof(buf));
	if (strcmp(buf, "1"))
		feat_die("notify_on_release did not take");
}

static void check_membership(void)
{
	char proc[64], got[1024], want[1024];

	snprintf(proc, sizeof(proc), "/proc/self/task/%d/cgroup", thread_tid);
	for (size_t i = 0; i < NH; i++) {
		const char *what = *hs[i].ctrl ? hs[i].ctrl : "cgroup2";

		cg_line("/proc/self/cgroup", hs[i].ctrl, got, sizeof(got));
		FEAT_CHECK(!strcmp(got, hs[i].restored), "process in %s cgroup '%s', expected '%s'", what,
			   got, hs[i].restored);
		snprintf(want, sizeof(want), "%s%s%s", hs[i].restored, hs[i].thread_sub ? "/" : "",
			 hs[i].thread_sub ? hs[i].thread_sub : "");
		cg_line(proc, hs[i].ctrl, got, sizeof(got));
		FEAT_CHECK(!strcmp(got, want), "thread %d in %s cgroup '%s', expected '%s'", thread_tid, what,
			   got, want);
	}
}

static void check_state(void)
{
	char p[4400], got[4096], want[4096] = "";
	struct stat st;

	for (size_t k = 0; k < sizeof(perms) / sizeof(perms[0]); k++) {
		path_of(p, sizeof(p), &hs[NAMED], hs[NAMED].restored, NULL,
			*perms[k].name ? perms[k].name : NULL);
		if (stat(p, &st)) {
			feat_fail("stat %s: %s", p, strerror(errno));
			continue;
		}
		FEAT_CHECK(st.st_uid == perms[k].uid && st.st_gid == perms[k].gid &&
				   (st.st_mode & 07777) == perms[k].mode,
			   "%s: %u:%u %04o, expected %u:%u %04o", p, st.st_uid, st.st_gid, st.st_mode & 07777,
			   perms[k].uid, perms[k].gid, perms[k].mode);
	}
	read_cg(&hs[NAMED], hs[NAMED].restored, NULL, "notify_on_release", got, sizeof(got));
	FEAT_CHECK(!strcmp(got, "1"), "notify_on_release '%s', expected '1'", got);
	for (size_t k = 0; k < sizeof(dev_allow) / sizeof(dev_allow[0]); k++)
		snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s%s", k ? "\n" : "",
			 dev_allow[k]);
	read_cg(&hs[DEVICES], hs[DEVICES].restored, NULL, "devices.list", got, sizeof(got));
	FEAT_CHECK(!strcmp(got, want), "devices.list '%s', expected '%s'", got, want);
	read_cg(&hs[PIDS], hs[PIDS].restored, NULL, "pids.max", got, sizeof(got));
	FEAT_CHECK(!strcmp(got, "77"), "pids.max '%s', expected '77'", got);
	read_cg(&hs[UNIFIED], hs[UNIFIED].restored, "t", "cgroup.type", got, sizeof(got));
	FEAT_CHECK(!strcmp(got, "threaded"), "cgroup2 %s/t cgroup.type '%s', expected 'threaded'",
		   hs[UNIFIED].restored, got);
}

static void umount_named(void)
{
	umount2(hs[NAMED].mnt, MNT_DETACH);
}

/* Back where it came from (the whole process, its thread too), and the cgroups go. */
static void cleanup(void)
{
	for (size_t i = 0; i < NH; i++)
		if (hs[i].orig[0])
			write_file(&hs[i], hs[i].orig, NULL, "cgroup.procs", "0");
	remove_cgroups();
	umount_named();
}

int main(int argc, char **argv)
{
	char p[4400];

	feat_init(argc, argv);
	for (size_t i = DEVICES; i < NH; i++) {
		snprintf(p, sizeof(p), "%s/cgroup.procs", hs[i].mnt);
		if (access(p, W_OK))
			feat_skip("needs root, v1 devices and pids under /sys/fs/cgroup and cgroup2 at "
				  "/sys/fs/cgroup/unified");
	}
	snprintf(hs[NAMED].mnt, sizeof(hs[NAMED].mnt), "%s/named", feat_dir);
	while (umount2(hs[NAMED].mnt, MNT_DETACH) == 0) /* a killed run's */
		;
	if ((mkdir(hs[NAMED].mnt, 0700) && errno != EEXIST) ||
	    mount("cgroup", hs[NAMED].mnt, "cgroup", 0, "none,name=crfeat"))
		feat_die("mount the named hierarchy name=crfeat");
	/* the runner cannot remove DIR with the hierarchy mounted in it: never left behind */
	atexit(umount_named);
	setup();

	feat_ready();
	feat_wait_go();

	check_membership();
	check_state();
	feat_gate_open(&gate);
	cleanup();
	return feat_done();
}
