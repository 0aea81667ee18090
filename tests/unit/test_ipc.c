/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The ipc namespace objects' images: a dump and restore of SysV objects in
 * fresh ipc namespaces, and hostile images (bad values, sizes, counts, names),
 * which must be refused with -EBADMSG before anything is used.
 */
#include <errno.h>
#include <sched.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#include "image.h"
#include "images/inventory.pb-c.h"
#include "images/ipc.pb-c.h"
#include "ipc_objs.h"
#include "log.h"
#include "t.h"

static char tmpdir[] = "/tmp/test-ipc.XXXXXX";
static int case_no;

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

/* A fresh image directory holding one image per (kind, id, messages). */
struct img_spec {
	enum img_kind kind;
	uint64_t id;
	const ProtobufCMessage *const *msgs;
	size_t n;
};

static struct img_dir *make_dir(const struct img_spec *s, size_t n, char *path, size_t size)
{
	InventoryEntry inv = INVENTORY_ENTRY__INIT;
	struct img_dir *d = NULL;

	snprintf(path, size, "%s/case%d", tmpdir, ++case_no);
	if (img_dir_open_write(path, &d) < 0)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		struct img_writer *w = NULL;

		if (img_create(d, s[i].kind, s[i].id, &w) < 0)
			return NULL;
		for (size_t j = 0; j < s[i].n; j++)
			if (img_write_msg(w, s[i].msgs[j]) < 0)
				return NULL;
		if (img_commit(w) < 0)
			return NULL;
	}
	inv.producer = "test";
	if (img_write_inventory(d, &inv) < 0)
		return NULL;
	img_dir_close(d);
	d = NULL;
	return img_dir_open_read(path, &d) < 0 ? NULL : d;
}

/* Runs fn in a child, in a new ipc namespace; its result (0 or -errno). */
static int in_new_ipc_ns(int (*fn)(struct img_dir *d), struct img_dir *d)
{
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		int r = unshare(CLONE_NEWIPC) < 0 ? -errno : fn(d);

		_exit(r < 0 ? -r : 0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -EIO;
	return -WEXITSTATUS(st);
}

static IpcObjectDesc desc(int key, int id)
{
	IpcObjectDesc o = IPC_OBJECT_DESC__INIT;

	o.key = key;
	o.id = id;
	o.uid = 1000;
	o.gid = 1001;
	o.mode = 0640;
	return o;
}

/* ---- a real round trip: objects made in one ipc ns come back in another ---- */

static const char *rt_dir;

static int make_and_dump(struct img_dir *unused)
{
	unsigned short v[3] = {11, 0, 222};
	struct {
		long type;
		char text[16];
	} m = {7, "payload"};
	struct ipc_dump_ctx c = {.pid = getpid()};
	InventoryEntry inv = INVENTORY_ENTRY__INIT;
	int sem, msg, shm, r;
	char *p;

	(void)unused;
	sem = semget(0x11, 3, IPC_CREAT | 0600);
	msg = msgget(0x22, IPC_CREAT | 0600);
	shm = shmget(0x33, 3 * 4096, IPC_CREAT | 0600);
	if (sem < 0 || msg < 0 || shm < 0 || semctl(sem, 0, SETALL, (union semun){.array = v}) < 0 ||
	    msgsnd(msg, &m, 8, 0) < 0)
		return -errno;
	p = shmat(shm, NULL, 0);
	if (p == (void *)-1)
		return -errno;
	p[4096 + 7] = 'x';
	shmdt(p);
	r = img_dir_open_write(rt_dir, &c.d);
	if (r == 0)
		r = ipc_sysv_dump(&c);
	inv.producer = "test";
	if (r == 0)
		r = img_write_inventory(c.d, &inv);
	img_dir_close(c.d);
	return r;
}

static int restore_and_check(struct img_dir *d)
{
	unsigned short v[3] = {0};
	struct {
		long type;
		char text[16];
	} m = {0};
	struct shmid_ds ds;
	char *p;
	int r = ipc_sysv_restore(d);

	if (r < 0)
		return r;
	/* the first object of each kind in a fresh ns has id 0 */
	if (semctl(0, 0, GETALL, (union semun){.array = v}) < 0 || v[0] != 11 || v[1] != 0 || v[2] != 222)
		return -EILSEQ;
	if (msgrcv(0, &m, sizeof(m.text), 0, IPC_NOWAIT) != 8 || m.type != 7 || strcmp(m.text, "payload"))
		return -EILSEQ;
	if (shmctl(0, IPC_STAT, &ds) < 0 || ds.shm_segsz != 3 * 4096 || ds.shm_perm.__key != 0x33)
		return -EILSEQ;
	p = shmat(0, NULL, SHM_RDONLY);
	if (p == (void *)-1 || p[4096 + 7] != 'x' || p[0] || p[2 * 4096])
		return -EILSEQ;
	return 0;
}

static void test_roundtrip(void)
{
	char path[128];
	struct img_dir *d = NULL;

	snprintf(path, sizeof(path), "%s/roundtrip", tmpdir);
	rt_dir = path;
	CHECK_EQ_INT(in_new_ipc_ns(make_and_dump, NULL), 0);
	CHECK_EQ_INT(img_dir_open_read(path, &d), 0);
	CHECK(img_dir_has(d, IMG_IPC_SHM_DATA, 0));
	CHECK_EQ_INT(in_new_ipc_ns(restore_and_check, d), 0);
	img_dir_close(d);
}

/* ---- hostile images ---- */

static int restore_all(struct img_dir *d)
{
	int r = ipc_sysv_restore(d);

	return r < 0 ? r : ipc_mq_restore(d);
}

static int try_images(const struct img_spec *s, size_t n)
{
	char path[128];
	struct img_dir *d = make_dir(s, n, path, sizeof(path));
	int r;

	if (!d)
		return -EIO;
	r = in_new_ipc_ns(restore_all, d);
	img_dir_close(d);
	return r;
}

static void test_sem_values(void)
{
	IpcObjectDesc o = desc(0x44, 0);
	uint32_t big[] = {1, 40000}, none[1] = {0};
	IpcSemEntry e = IPC_SEM_ENTRY__INIT;
	const ProtobufCMessage *m[] = {&e.base};
	struct img_spec s = {IMG_IPC_SEM, 0, m, 1};

	e.desc = &o;
	e.values = big;
	e.n_values = 2;
	CHECK_EQ_INT(try_images(&s, 1), -EBADMSG); /* above SEMVMX */
	e.values = none;
	e.n_values = 0;
	CHECK_EQ_INT(try_images(&s, 1), -EBADMSG); /* no semaphores */
	o.id = -5;
	e.n_values = 1;
	CHECK_EQ_INT(try_images(&s, 1), -EBADMSG); /* a negative id */
}

static void test_shm_chunks(void)
{
	IpcObjectDesc o = desc(0x55, 0);
	IpcShmEntry e = IPC_SHM_ENTRY__INIT;
	IpcShmChunk c = IPC_SHM_CHUNK__INIT;
	uint8_t bytes[16] = "0123456789abcdef";
	const ProtobufCMessage *me[] = {&e.base}, *mc[] = {&c.base};
	struct img_spec s[] = {{IMG_IPC_SHM, 0, me, 1}, {IMG_IPC_SHM_DATA, 9, mc, 1}};

	e.desc = &o;
	e.size = 4096;
	e.data_id = 9;
	c.offset = 4090; /* 16 bytes there cross the end */
	c.data.data = bytes;
	c.data.len = sizeof(bytes);
	CHECK_EQ_INT(try_images(s, 2), -EBADMSG);
	c.offset = UINT64_MAX - 4; /* wraps */
	CHECK_EQ_INT(try_images(s, 2), -EBADMSG);
	CHECK_EQ_INT(try_images(s, 1), -EBADMSG); /* its data image is missing */
	c.offset = 100;
	CHECK_EQ_INT(try_images(s, 2), 0);
	e.size = 0;
	CHECK_EQ_INT(try_images(s, 2), -EBADMSG);
}

static void test_msg_counts(void)
{
	IpcObjectDesc o = desc(0x66, 0);
	IpcMsgQueueEntry q = IPC_MSG_QUEUE_ENTRY__INIT;
	IpcMessage msg = IPC_MESSAGE__INIT;
	uint8_t bytes[4] = "abc";
	const ProtobufCMessage *mq[] = {&q.base}, *mm[] = {&msg.base};
	struct img_spec s[] = {{IMG_IPC_MSG, 0, mq, 1}, {IMG_IPC_MSGS, 3, mm, 1}};

	q.desc = &o;
	q.qbytes = 16384;
	q.messages_id = 3;
	q.count = 2; /* one in the image */
	msg.type = 1;
	msg.data.data = bytes;
	msg.data.len = 3;
	CHECK_EQ_INT(try_images(s, 2), -EBADMSG);
	q.count = 1;
	msg.type = 0; /* SysV types are > 0 */
	CHECK_EQ_INT(try_images(s, 2), -EBADMSG);
	msg.type = 2;
	q.qbytes = 2; /* a message larger than the queue */
	CHECK_EQ_INT(try_images(s, 2), -EBADMSG);
	q.qbytes = 16384;
	CHECK_EQ_INT(try_images(s, 2), 0);
}

static void test_mq_entries(void)
{
	IpcMqEntry q = IPC_MQ_ENTRY__INIT;
	IpcMessage msg = IPC_MESSAGE__INIT;
	uint8_t bytes[4] = "abc";
	const ProtobufCMessage *mq[] = {&q.base}, *mm[] = {&msg.base};
	struct img_spec s[] = {{IMG_IPC_MQ, 0, mq, 1}, {IMG_IPC_MSGS, 1, mm, 1}};

	q.name = "../escape";
	q.mode = 0600;
	q.maxmsg = 4;
	q.msgsize = 8;
	q.count = 1;
	q.messages_id = 1;
	msg.type = 3;
	msg.data.data = bytes;
	msg.data.len = 3;
	CHECK_EQ_INT(try_images(s, 2), -EBADMSG);
	q.name = "";
	CHECK_EQ_INT(try_images(s, 2), -EBADMSG);
	q.name = "ok";
	q.maxmsg = 0;
	CHECK_EQ_INT(try_images(s, 2), -EBADMSG);
	q.maxmsg = 4;
	q.count = 5; /* more than maxmsg */
	CHECK_EQ_INT(try_images(s, 2), -EBADMSG);
	q.count = 1;
	msg.type = 40000; /* above MQ_PRIO_MAX */
	CHECK_EQ_INT(try_images(s, 2), -EBADMSG);
	msg.type = 3;
	q.msgsize = 2; /* the message is larger */
	CHECK_EQ_INT(try_images(s, 2), -EBADMSG);
	q.msgsize = 8;
	CHECK_EQ_INT(try_images(s, 2), 0);
}

int main(void)
{
	char cmd[128];

	log_set_level(LOG_MSG);
	if (geteuid() != 0 || !mkdtemp(tmpdir)) {
		printf("SKIP ipc: needs root (new ipc namespaces, *_next_id)\n");
		return 0;
	}
	t_run("ipc_sysv_roundtrip", test_roundtrip);
	t_run("ipc_sem_hostile", test_sem_values);
	t_run("ipc_shm_hostile", test_shm_chunks);
	t_run("ipc_msg_hostile", test_msg_counts);
	t_run("ipc_mq_hostile", test_mq_entries);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		printf("    could not remove %s\n", tmpdir);
	return t_done();
}
