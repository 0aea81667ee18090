/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The objects of the tree's own ipc namespace (the program unshares it):
 * two SysV shm segments (one of several MiB, sparse), a semaphore set and a
 * SysV message queue created by another uid (one message larger than
 * kernel/msgmax, lowered after it was sent), and two POSIX message queues, one
 * of them held open by a descriptor. After
 * restore every id, key, owner, mode, size, value, byte and message order is
 * checked, and the sparse segment must still be mostly holes.
 */
#include <mqueue.h>
#include <sched.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>

#include "feature.h"

#define BIG_SIZE    ((8u << 20) + 123) /* 8 MiB and a bit: the last page is partial */
#define SMALL_SIZE  10000u
#define SHM_BIG_ID  (2 * 32768 + 5) /* sequence 2, index 5 */
#define MSG_NEXT_ID 77777	    /* asked for, not used yet: kept as a sysctl */
#define MSGMAX	    4096

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

static const size_t big_offsets[] = {0, (1u << 20) + 5, 5u << 20, BIG_SIZE - 1};
static const unsigned short sem_values[] = {0, 1, 7, 32767, 100};
static const struct {
	long type;
	size_t len;
} sysv_msgs[] = {{5, 5}, {1, 3000}, {5, 0}, {9, 1}, {2, 8000}};
/* POSIX messages in the order they are sent; received by priority, then age */
static const struct {
	unsigned int prio;
	const char *text;
} mq_msgs[] = {{1, "low"}, {10, "high"}, {5, "mid-one"}, {5, "mid-two"}, {0, ""}};
static const int mq_order[] = {1, 2, 3, 0, 4};

static int shm_big, shm_small, sem_id, msg_id;
static mqd_t held = (mqd_t)-1; /* a descriptor of /feat-mq kept across dump and restore */

static unsigned char pattern(unsigned int salt, size_t i)
{
	return (unsigned char)((i * 131 + salt * 7 + (i >> 12)) ^ 0x5a);
}

static void write_sysctl(const char *path, long v)
{
	FILE *f = fopen(path, "w");

	if (!f || fprintf(f, "%ld", v) < 0 || fclose(f))
		feat_die(path);
}

static long read_sysctl(const char *path)
{
	char buf[64];
	ssize_t n = feat_read_file(path, buf, sizeof(buf));

	return n > 0 ? strtol(buf, NULL, 10) : -12345;
}

static int shmctl_v(int id, int cmd, void *b)
{
	return shmctl(id, cmd, b);
}

static int msgctl_v(int id, int cmd, void *b)
{
	return msgctl(id, cmd, b);
}

static void set_owner_ipc(int id, int (*ctl)(int, int, void *), unsigned int mode, uid_t uid, gid_t gid)
{
	/* struct shmid_ds and msqid_ds both start with struct ipc_perm */
	union {
		struct shmid_ds shm;
		struct msqid_ds msg;
	} ds;

	if (ctl(id, IPC_STAT, &ds) < 0)
		feat_die("IPC_STAT");
	ds.shm.shm_perm.uid = uid;
	ds.shm.shm_perm.gid = gid;
	ds.shm.shm_perm.mode = (unsigned short)mode;
	if (ctl(id, IPC_SET, &ds) < 0)
		feat_die("IPC_SET");
}

static void setup_shm(void)
{
	unsigned char *p;

	write_sysctl("/proc/sys/kernel/shm_next_id", SHM_BIG_ID);
	shm_big = shmget(0x1234, BIG_SIZE, IPC_CREAT | IPC_EXCL | 0600);
	if (shm_big < 0)
		feat_die("shmget big");
	p = shmat(shm_big, NULL, 0);
	if (p == (void *)-1)
		feat_die("shmat big");
	for (size_t i = 0; i < sizeof(big_offsets) / sizeof(big_offsets[0]); i++)
		p[big_offsets[i]] = pattern(1, big_offsets[i]);
	shmdt(p);
	set_owner_ipc(shm_big, shmctl_v, 0640, 1000, 1001);

	shm_small = shmget(IPC_PRIVATE, SMALL_SIZE, IPC_CREAT | 0606);
	if (shm_small < 0)
		feat_die("shmget small");
	p = shmat(shm_small, NULL, 0);
	if (p == (void *)-1)
		feat_die("shmat small");
	for (size_t i = 0; i < SMALL_SIZE; i++)
		p[i] = pattern(2, i);
	shmdt(p);
}

static void setup_sem_msg(void)
{
	/* another creator: cuid/cgid must come back too */
	if (setegid(4343) < 0 || seteuid(4242) < 0)
		feat_die("seteuid 4242");
	sem_id = semget(0x5678, 5, IPC_CREAT | IPC_EXCL | 0660);
	if (sem_id < 0)
		feat_die("semget");
	if (semctl(sem_id, 0, SETALL, (union semun){.array = (unsigned short *)sem_values}) < 0)
		feat_die("SETALL");
	msg_id = msgget(0x9abc, IPC_CREAT | IPC_EXCL | 0600);
	if (msg_id < 0)
		feat_die("msgget");
	if (seteuid(0) < 0 || setegid(0) < 0)
		feat_die("seteuid 0");
	for (size_t i = 0; i < sizeof(sysv_msgs) / sizeof(sysv_msgs[0]); i++) {
		struct {
			long type;
			char text[8192];
		} m;

		m.type = sysv_msgs[i].type;
		for (size_t j = 0; j < sysv_msgs[i].len; j++)
			m.text[j] = (char)pattern(10 + (unsigned int)i, j);
		if (msgsnd(msg_id, &m, sysv_msgs[i].len, IPC_NOWAIT) < 0)
			feat_die("msgsnd");
	}
	set_owner_ipc(msg_id, msgctl_v, 0620, 1000, 1000);
	write_sysctl("/proc/sys/kernel/msg_next_id", MSG_NEXT_ID);
	/* lowered after the 8000-byte message went in: restore must still put it back */
	write_sysctl("/proc/sys/kernel/msgmax", MSGMAX);
}

static void setup_mq(void)
{
	struct mq_attr a = {.mq_maxmsg = 8, .mq_msgsize = 256}, e = {.mq_maxmsg = 3, .mq_msgsize = 100};
	mqd_t q = mq_open("/feat-mq", O_RDWR | O_CREAT | O_EXCL, 0640, &a), q2;

	if (q == (mqd_t)-1)
		feat_die("mq_open /feat-mq");
	for (size_t i = 0; i < sizeof(mq_msgs) / sizeof(mq_msgs[0]); i++)
		if (mq_send(q, mq_msgs[i].text, strlen(mq_msgs[i].text), mq_msgs[i].prio) < 0)
			feat_die("mq_send");
	if (fchown(q, 1000, 1002) < 0 || fchmod(q, 0640) < 0)
		feat_die("fchown mq");
	mq_close(q);
	held = mq_open("/feat-mq", O_WRONLY | O_NONBLOCK);
	if (held == (mqd_t)-1)
		feat_die("mq_open /feat-mq again");
	q2 = mq_open("/empty-q", O_RDWR | O_CREAT | O_EXCL, 0600, &e);
	if (q2 == (mqd_t)-1)
		feat_die("mq_open /empty-q");
	mq_close(q2);
}

static void check_perm(const char *what, const struct ipc_perm *p, key_t key, unsigned int mode, uid_t uid,
		       gid_t gid, uid_t cuid, gid_t cgid)
{
	FEAT_CHECK(p->__key == key, "%s: key %#x, want %#x", what, p->__key, key);
	FEAT_CHECK((p->mode & 0777) == mode, "%s: mode %#o, want %#o", what, p->mode & 0777, mode);
	FEAT_CHECK(p->uid == uid && p->gid == gid, "%s: owner %u:%u, want %u:%u", what, p->uid, p->gid, uid,
		   gid);
	FEAT_CHECK(p->cuid == cuid && p->cgid == cgid, "%s: creator %u:%u, want %u:%u", what, p->cuid,
		   p->cgid, cuid, cgid);
}

static void check_shm(unsigned long rss_before)
{
	struct shm_info info;
	struct shmid_ds ds;
	unsigned char *p;
	size_t bad = 0;

	/* first, before anything reads the holes: the big segment must still be sparse */
	if (shmctl(0, SHM_INFO, (struct shmid_ds *)&info) < 0)
		feat_fail("SHM_INFO: %s", strerror(errno));
	else
		FEAT_CHECK(info.shm_rss <= rss_before + 2, "%lu pages of shm resident, %lu before the dump",
			   info.shm_rss, rss_before);
	if (shmctl(shm_big, IPC_STAT, &ds) < 0) {
		feat_fail("big segment id %d: %s", shm_big, strerror(errno));
		return;
	}
	check_perm("big segment", &ds.shm_perm, 0x1234, 0640, 1000, 1001, 0, 0);
	FEAT_CHECK(ds.shm_segsz == BIG_SIZE, "big segment: %zu bytes, want %u", (size_t)ds.shm_segsz,
		   BIG_SIZE);
	p = shmat(shm_big, NULL, SHM_RDONLY);
	if (p == (void *)-1) {
		feat_fail("shmat big: %s", strerror(errno));
		return;
	}
	for (size_t i = 0, k = 0; i < BIG_SIZE; i++) {
		unsigned char want = 0;

		if (k < sizeof(big_offsets) / sizeof(big_offsets[0]) && big_offsets[k] == i)
			want = pattern(1, big_offsets[k++]);
		if (p[i] != want && bad++ < 3)
			feat_fail("big segment byte %zu: %#x, want %#x", i, p[i], want);
	}
	shmdt(p);

	if (shmctl(shm_small, IPC_STAT, &ds) < 0) {
		feat_fail("small segment id %d: %s", shm_small, strerror(errno));
		return;
	}
	check_perm("small segment", &ds.shm_perm, IPC_PRIVATE, 0606, 0, 0, 0, 0);
	FEAT_CHECK(ds.shm_segsz == SMALL_SIZE, "small segment: %zu bytes", (size_t)ds.shm_segsz);
	p = shmat(shm_small, NULL, SHM_RDONLY);
	if (p == (void *)-1) {
		feat_fail("shmat small: %s", strerror(errno));
		return;
	}
	for (size_t i = 0; i < SMALL_SIZE; i++)
		if (p[i] != pattern(2, i) && bad++ < 6)
			feat_fail("small segment byte %zu: %#x, want %#x", i, p[i], pattern(2, i));
	shmdt(p);
}

static void check_sem(void)
{
	unsigned short v[5] = {0};
	struct semid_ds ds;

	if (semctl(sem_id, 0, IPC_STAT, (union semun){.buf = &ds}) < 0) {
		feat_fail("semaphore set id %d: %s", sem_id, strerror(errno));
		return;
	}
	check_perm("semaphore set", &ds.sem_perm, 0x5678, 0660, 4242, 4343, 4242, 4343);
	FEAT_CHECK(ds.sem_nsems == 5, "semaphore set: %lu semaphores, want 5", (unsigned long)ds.sem_nsems);
	if (semctl(sem_id, 0, GETALL, (union semun){.array = v}) < 0)
		feat_fail("GETALL: %s", strerror(errno));
	for (int i = 0; i < 5; i++)
		FEAT_CHECK(v[i] == sem_values[i], "semaphore %d: %u, want %u", i, v[i], sem_values[i]);
}

static void check_msg(void)
{
	struct msqid_ds ds;

	if (msgctl(msg_id, IPC_STAT, &ds) < 0) {
		feat_fail("message queue id %d: %s", msg_id, strerror(errno));
		return;
	}
	check_perm("message queue", &ds.msg_perm, 0x9abc, 0620, 1000, 1000, 4242, 4343);
	FEAT_CHECK(ds.msg_qnum == 5, "message queue: %lu messages, want 5", (unsigned long)ds.msg_qnum);
	for (size_t i = 0; i < sizeof(sysv_msgs) / sizeof(sysv_msgs[0]); i++) {
		struct {
			long type;
			char text[8192];
		} m;
		ssize_t n = msgrcv(msg_id, &m, sizeof(m.text), 0, IPC_NOWAIT);
		size_t bad = 0;

		if (n < 0) {
			feat_fail("message %zu: %s", i, strerror(errno));
			return;
		}
		FEAT_CHECK(m.type == sysv_msgs[i].type && (size_t)n == sysv_msgs[i].len,
			   "message %zu: type %ld, %zd bytes; want type %ld, %zu bytes", i, m.type, n,
			   sysv_msgs[i].type, sysv_msgs[i].len);
		for (ssize_t j = 0; j < n && (size_t)j < sysv_msgs[i].len; j++)
			bad += m.text[j] != (char)pattern(10 + (unsigned int)i, (size_t)j);
		FEAT_CHECK(bad == 0, "message %zu: %zu bytes differ", i, bad);
	}
}

static void check_mq(void)
{
	struct mq_attr a;
	struct stat st;
	mqd_t q = mq_open("/feat-mq", O_RDONLY | O_NONBLOCK);

	if (q == (mqd_t)-1) {
		feat_fail("mq_open /feat-mq: %s", strerror(errno));
		return;
	}
	if (mq_getattr(q, &a) == 0)
		FEAT_CHECK(a.mq_maxmsg == 8 && a.mq_msgsize == 256 && a.mq_curmsgs == 5,
			   "/feat-mq: maxmsg %ld msgsize %ld curmsgs %ld, want 8 256 5", a.mq_maxmsg,
			   a.mq_msgsize, a.mq_curmsgs);
	if (fstat(q, &st) == 0)
		FEAT_CHECK(st.st_uid == 1000 && st.st_gid == 1002 && (st.st_mode & 0777) == 0640,
			   "/feat-mq: owner %u:%u mode %#o, want 1000:1002 0640", st.st_uid, st.st_gid,
			   st.st_mode & 0777);
	for (size_t i = 0; i < sizeof(mq_order) / sizeof(mq_order[0]); i++) {
		char buf[256];
		unsigned int prio;
		ssize_t n = mq_receive(q, buf, sizeof(buf), &prio);
		int w = mq_order[i];

		if (n < 0) {
			feat_fail("/feat-mq message %zu: %s", i, strerror(errno));
			break;
		}
		buf[n] = 0;
		FEAT_CHECK(prio == mq_msgs[w].prio && !strcmp(buf, mq_msgs[w].text),
			   "/feat-mq message %zu: \"%s\" priority %u, want \"%s\" priority %u", i, buf, prio,
			   mq_msgs[w].text, mq_msgs[w].prio);
	}
	mq_close(q);
	/* the kept descriptor: the same queue, write-only and non-blocking */
	if (mq_getattr(held, &a) < 0) {
		feat_fail("the kept /feat-mq descriptor: %s", strerror(errno));
	} else {
		FEAT_CHECK(a.mq_flags == O_NONBLOCK && a.mq_maxmsg == 8 && a.mq_curmsgs == 0,
			   "the kept /feat-mq descriptor: flags %#lx maxmsg %ld curmsgs %ld", a.mq_flags,
			   a.mq_maxmsg, a.mq_curmsgs);
		FEAT_CHECK((fcntl(held, F_GETFL) & O_ACCMODE) == O_WRONLY,
			   "the kept descriptor is not O_WRONLY");
		if (mq_send(held, "via-held", 8, 4) < 0)
			feat_fail("mq_send through the kept descriptor: %s", strerror(errno));
		q = mq_open("/feat-mq", O_RDONLY | O_NONBLOCK);
		if (q != (mqd_t)-1) {
			char buf[256];
			ssize_t n = mq_receive(q, buf, sizeof(buf), NULL);

			FEAT_CHECK(n == 8 && !memcmp(buf, "via-held", 8),
				   "the kept descriptor is another queue");
			mq_close(q);
		}
	}
	q = mq_open("/empty-q", O_RDONLY | O_NONBLOCK);
	if (q == (mqd_t)-1 || mq_getattr(q, &a) < 0)
		feat_fail("/empty-q: %s", strerror(errno));
	else
		FEAT_CHECK(a.mq_maxmsg == 3 && a.mq_msgsize == 100 && a.mq_curmsgs == 0,
			   "/empty-q: maxmsg %ld msgsize %ld curmsgs %ld, want 3 100 0", a.mq_maxmsg,
			   a.mq_msgsize, a.mq_curmsgs);
	if (q != (mqd_t)-1)
		mq_close(q);
}

int main(int argc, char **argv)
{
	struct shm_info info;
	unsigned long rss_before;
	long next;

	feat_init(argc, argv);
	if (unshare(CLONE_NEWIPC) < 0)
		feat_die("unshare(CLONE_NEWIPC)");
	setup_shm();
	setup_sem_msg();
	setup_mq();
	if (shmctl(0, SHM_INFO, (struct shmid_ds *)&info) < 0)
		feat_die("SHM_INFO");
	rss_before = info.shm_rss;
	if (shm_big != SHM_BIG_ID)
		feat_die("shm_next_id was not honoured");
	feat_ready();
	feat_wait_go();

	check_shm(rss_before);
	check_sem();
	check_msg();
	check_mq();
	next = read_sysctl("/proc/sys/kernel/msg_next_id");
	FEAT_CHECK(next == MSG_NEXT_ID, "kernel/msg_next_id is %ld, want %d", next, MSG_NEXT_ID);
	next = read_sysctl("/proc/sys/kernel/msgmax");
	FEAT_CHECK(next == MSGMAX, "kernel/msgmax is %ld, want %d", next, MSGMAX);
	next = read_sysctl("/proc/sys/kernel/shm_next_id");
	FEAT_CHECK(next == -1, "kernel/shm_next_id is %ld, want -1 (used)", next);
	return feat_done();
}
