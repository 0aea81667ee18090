/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SysV objects of the tree's ipc namespace: shared memory segments (their
 * populated bytes), semaphore sets (values) and message queues (messages, read
 * with MSG_COPY so the queue is left as it is). Restore gives each object its
 * exact id through kernel/{shm,sem,msg}_next_id, and creates it as its creator
 * (cuid/cgid) where setresuid allows, so that ipc_perm comes back whole.
 * Not kept: attach/change times, last pids, semadj undo lists.
 */
#define LOG_PREFIX "ipc: "
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/securebits.h>
#include <stdbool.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "cleanup.h"
#include "images/ipc.pb-c.h"
#include "ipc_objs.h"
#include "log.h"

#define PAGE_SZ		4096ul
#define SHM_CHUNK	(1ul << 20) /* bytes of a segment per record */
#define HUGETLBFS_MAGIC 0x958458f6
#define SYSV_SEMVMX	32767 /* SEMVMX */

DEFINE_PB_CLEANUP(IpcShmChunk, ipc_shm_chunk)
DEFINE_PB_CLEANUP(IpcMessage, ipc_message)

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
	struct seminfo *__buf;
};

static void fill_desc(IpcObjectDesc *o, const struct ipc_perm *p, int id)
{
	o->key = p->__key;
	o->id = id;
	o->uid = p->uid;
	o->gid = p->gid;
	o->cuid = p->cuid;
	o->cgid = p->cgid;
	o->mode = p->mode & 0777;
}

/*
 * kernel/msgmax limits every msgsnd, even root's, and every MSG_COPY: raised for
 * a larger message while criu works on the queue, put back after.
 */
static int raise_msgmax(int fd, size_t need, char old[32])
{
	ssize_t n;
	char v[32];
	int len;

	old[0] = 0;
	n = pread(fd, old, 31, 0);
	if (n <= 0)
		return pr_perror_ret("cannot read /proc/sys/kernel/msgmax");
	old[n] = 0;
	if (need <= (size_t)strtoul(old, NULL, 10)) {
		old[0] = 0;
		return 0;
	}
	len = snprintf(v, sizeof(v), "%zu", need);
	if (pwrite(fd, v, (size_t)len, 0) != len)
		return pr_perror_ret("cannot raise /proc/sys/kernel/msgmax to %s", v);
	return 0;
}

static void put_back_msgmax(int fd, const char *old)
{
	if (old[0] && pwrite(fd, old, strlen(old), 0) < 0)
		pr_warn("cannot put /proc/sys/kernel/msgmax back to %s: %s\n", old, strerror(errno));
}

/* ---- dump: shared memory ---- */

/* The end of the mapping that starts at addr in criu's own maps (an attachment's real length), or 0. */
static unsigned long mapping_end(unsigned long addr)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/maps", "re");
	char line[512];

	while (f && fgets(line, sizeof(line), f)) {
		unsigned long s, e;

		if (sscanf(line, "%lx-%lx", &s, &e) == 2 && s == addr)
			return e;
	}
	return 0;
}

/* The segment's shmem (or hugetlbfs) file, through a read-only attachment of criu's own. */
static int open_shm_file(int id)
{
	char path[96];
	void *addr = shmat(id, NULL, SHM_RDONLY);
	unsigned long end;
	int fd;

	if (addr == (void *)-1)
		return -errno;
	end = mapping_end((unsigned long)addr);
	snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx", (unsigned long)addr, end);
	fd = end ? open(path, O_RDONLY | O_CLOEXEC) : -ENOENT;
	if (fd < 0 && end)
		fd = -errno;
	shmdt(addr);
	return fd;
}

static int write_shm_range(struct img_writer *w, int fd, off_t from, off_t to, void *buf)
{
	for (off_t off = from; off < to;) {
		IpcShmChunk c = IPC_SHM_CHUNK__INIT;
		size_t want = (size_t)(to - off) < SHM_CHUNK ? (size_t)(to - off) : SHM_CHUNK;
		ssize_t n = pread(fd, buf, want, off);
		int r;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		c.offset = (uint64_t)off;
		c.data.data = buf;
		c.data.len = (size_t)n;
		r = img_write_msg(w, &c.base);
		if (r < 0)
			return r;
		off += n;
	}
	return 0;
}

static int dump_shm_data(struct ipc_dump_ctx *c, int id, size_t size, uint64_t data_id, IpcShmEntry *e)
{
	_cleanup_close_ int fd = open_shm_file(id);
	_cleanup_free_ void *buf = NULL;
	struct img_writer *w = NULL;
	uint64_t stored = 0;
	struct statfs sfs;
	off_t pos = 0;
	int r;

	if (fd < 0)
		return pr_err_ret(fd, "pid %d: SysV shm id %d: cannot open its memory", c->pid, id);
	/* on huge pages: made again with SHM_HUGETLB and that page size (f_bsize) */
	if (fstatfs(fd, &sfs) == 0 && sfs.f_type == HUGETLBFS_MAGIC) {
		e->has_huge_page_size = true;
		e->huge_page_size = (uint64_t)sfs.f_bsize;
	}
	buf = malloc(SHM_CHUNK);
	if (!buf)
		return -ENOMEM;
	r = img_create(c->d, IMG_IPC_SHM_DATA, data_id, &w);
	/* only the populated ranges: SEEK_DATA/SEEK_HOLE see swapped-out pages too */
	while (r >= 0 && pos < (off_t)size) {
		off_t data = lseek(fd, pos, SEEK_DATA), hole;

		if (data < 0) {
			if (errno != ENXIO)
				r = pr_perror_ret("pid %d: SysV shm id %d: cannot seek", c->pid, id);
			break;
		}
		hole = lseek(fd, data, SEEK_HOLE);
		if (hole < 0 || hole > (off_t)size)
			hole = (off_t)size;
		stored += (uint64_t)(hole - data);
		if (stored > IMG_FILE_MAX - IMG_RECORD_MAX) {
			r = pr_err_ret(
				-EOPNOTSUPP,
				"pid %d: not supported yet: SysV shm id %d with more than %llu MiB populated",
				c->pid, id, (unsigned long long)(IMG_FILE_MAX - IMG_RECORD_MAX) >> 20);
			break;
		}
		r = write_shm_range(w, fd, data, hole, buf);
		if (r < 0)
			r = pr_err_ret(r, "pid %d: SysV shm id %d: cannot store bytes %lld-%lld", c->pid, id,
				       (long long)data, (long long)hole);
		pos = hole;
	}
	return img_finish(w, r);
}

static int dump_shm(struct ipc_dump_ctx *c)
{
	struct img_writer *w = NULL;
	struct shm_info info;
	int max, r;

	max = shmctl(0, SHM_INFO, (struct shmid_ds *)&info);
	if (max < 0)
		return pr_perror_ret("pid %d: SHM_INFO in the tree's ipc namespace", c->pid);
	r = img_create(c->d, IMG_IPC_SHM, 0, &w);
	for (int idx = 0; r >= 0 && idx <= max; idx++) {
		IpcShmEntry e = IPC_SHM_ENTRY__INIT;
		IpcObjectDesc o = IPC_OBJECT_DESC__INIT;
		struct shmid_ds ds;
		int id = shmctl(idx, SHM_STAT, &ds);

		if (id < 0)
			continue; /* a free slot */
		/*
		 * With shm_rmid_forced a segment dies with its creator task; criu cannot
		 * make a restored task its creator, so the segment would go at once.
		 */
		if (c->shm_rmid_forced) {
			r = pr_err_ret(
				-EOPNOTSUPP,
				"pid %d: not supported yet: SysV shm id %d with kernel/shm_rmid_forced = 1",
				c->pid, id);
			break;
		}
		if (ds.shm_perm.mode & SHM_DEST) {
			r = pr_err_ret(-EOPNOTSUPP,
				       "pid %d: not supported yet: SysV shm id %d marked for removal", c->pid,
				       id);
			break;
		}
		fill_desc(&o, &ds.shm_perm, id);
		e.desc = &o;
		e.size = ds.shm_segsz;
		e.has_locked = e.locked = !!(ds.shm_perm.mode & SHM_LOCKED);
		e.data_id = c->next_data_id++;
		r = dump_shm_data(c, id, ds.shm_segsz, e.data_id, &e);
		if (r >= 0)
			r = img_write_msg(w, &e.base);
		pr_info("SysV shm id %d key %#x: %zu bytes\n", id, o.key, (size_t)ds.shm_segsz);
	}
	return img_finish(w, r);
}

/* ---- dump: semaphores ---- */

static int dump_sem(struct ipc_dump_ctx *c)
{
	struct img_writer *w = NULL;
	struct seminfo info;
	int max, r;

	max = semctl(0, 0, SEM_INFO, (union semun){.__buf = &info});
	if (max < 0)
		return pr_perror_ret("pid %d: SEM_INFO in the tree's ipc namespace", c->pid);
	r = img_create(c->d, IMG_IPC_SEM, 0, &w);
	for (int idx = 0; r >= 0 && idx <= max; idx++) {
		IpcSemEntry e = IPC_SEM_ENTRY__INIT;
		IpcObjectDesc o = IPC_OBJECT_DESC__INIT;
		_cleanup_free_ unsigned short *vals = NULL;
		_cleanup_free_ uint32_t *v32 = NULL;
		struct semid_ds ds;
		int id = semctl(idx, 0, SEM_STAT, (union semun){.buf = &ds});

		if (id < 0)
			continue;
		vals = calloc(ds.sem_nsems + 1, sizeof(*vals));
		v32 = calloc(ds.sem_nsems + 1, sizeof(*v32));
		if (!vals || !v32) {
			r = -ENOMEM;
			break;
		}
		if (semctl(id, 0, GETALL, (union semun){.array = vals}) < 0) {
			r = pr_perror_ret("pid %d: SysV semaphore set id %d: GETALL", c->pid, id);
			break;
		}
		for (size_t i = 0; i < ds.sem_nsems; i++)
			v32[i] = vals[i];
		fill_desc(&o, &ds.sem_perm, id);
		e.desc = &o;
		e.n_values = ds.sem_nsems;
		e.values = v32;
		r = img_write_msg(w, &e.base);
		pr_info("SysV semaphore set id %d key %#x: %zu semaphores\n", id, o.key,
			(size_t)ds.sem_nsems);
	}
	return img_finish(w, r);
}

/* ---- dump: message queues ---- */

static int dump_msg_queue(struct ipc_dump_ctx *c, int id, const struct msqid_ds *ds, uint64_t messages_id,
			  int msgmax_fd)
{
	char old[32] = "";
	size_t cap = ds->__msg_cbytes + 1;
	_cleanup_free_ long *buf = NULL;
	struct img_writer *w = NULL;
	int r;

	if (ds->__msg_cbytes > IMG_FILE_MAX / 2)
		return pr_err_ret(-EOPNOTSUPP,
				  "pid %d: not supported yet: SysV message queue id %d holding %lu bytes",
				  c->pid, id, (unsigned long)ds->__msg_cbytes);
	buf = malloc(sizeof(long) + cap);
	if (!buf)
		return -ENOMEM;
	r = raise_msgmax(msgmax_fd, ds->__msg_cbytes, old);
	if (r < 0)
		return r;
	r = img_create(c->d, IMG_IPC_MSGS, messages_id, &w);
	for (msgqnum_t i = 0; r >= 0 && i < ds->msg_qnum; i++) {
		IpcMessage m = IPC_MESSAGE__INIT;
		/* MSG_COPY: a copy of the i-th message; the queue is not changed */
		ssize_t n = msgrcv(id, buf, cap, (long)i, IPC_NOWAIT | MSG_COPY);

		if (n < 0) {
			r = pr_perror_ret("pid %d: SysV message queue id %d: cannot copy message %lu of %lu",
					  c->pid, id, (unsigned long)i + 1, (unsigned long)ds->msg_qnum);
			break;
		}
		m.type = buf[0];
		m.data.data = (uint8_t *)(buf + 1);
		m.data.len = (size_t)n;
		r = img_write_msg(w, &m.base);
	}
	put_back_msgmax(msgmax_fd, old);
	return img_finish(w, r);
}

static int dump_msg(struct ipc_dump_ctx *c)
{
	struct img_writer *w = NULL;
	_cleanup_close_ int msgmax_fd = -EBADF;
	struct msginfo info;
	int max, r;

	max = msgctl(0, MSG_INFO, (struct msqid_ds *)&info);
	if (max < 0)
		return pr_perror_ret("pid %d: MSG_INFO in the tree's ipc namespace", c->pid);
	msgmax_fd = open("/proc/sys/kernel/msgmax", O_RDWR | O_CLOEXEC);
	if (msgmax_fd < 0)
		return pr_perror_ret("pid %d: cannot open kernel/msgmax of its ipc namespace", c->pid);
	r = img_create(c->d, IMG_IPC_MSG, 0, &w);
	for (int idx = 0; r >= 0 && idx <= max; idx++) {
		IpcMsgQueueEntry e = IPC_MSG_QUEUE_ENTRY__INIT;
		IpcObjectDesc o = IPC_OBJECT_DESC__INIT;
		struct msqid_ds ds;
		int id = msgctl(idx, MSG_STAT, &ds);

		if (id < 0)
			continue;
		fill_desc(&o, &ds.msg_perm, id);
		e.desc = &o;
		e.qbytes = ds.msg_qbytes;
		e.count = (uint32_t)ds.msg_qnum;
		e.messages_id = c->next_data_id++;
		r = dump_msg_queue(c, id, &ds, e.messages_id, msgmax_fd);
		if (r >= 0)
			r = img_write_msg(w, &e.base);
		pr_info("SysV message queue id %d key %#x: %u messages\n", id, o.key, e.count);
	}
	return img_finish(w, r);
}

int ipc_sysv_dump(struct ipc_dump_ctx *c)
{
	int r = dump_shm(c);

	if (r >= 0)
		r = dump_sem(c);
	if (r >= 0)
		r = dump_msg(c);
	return r < 0 ? r : 0;
}

/* ---- restore ---- */

struct ids_ctl {
	int next_id_fd;	 /* kernel/<kind>_next_id, opened while criu's ids were in force */
	int msgmax_fd;	 /* kernel/msgmax, the same way (sysctls ignore CAP_DAC_OVERRIDE) */
	bool as_creator; /* capabilities survive setresuid: act as each object's creator */
	uid_t euid;
	gid_t egid;
	const char *what; /* "SysV shm" */
};

static int open_next_id(struct ids_ctl *k, const char *name, const char *what)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/sys/kernel/%s_next_id", name);
	k->what = what;
	k->euid = geteuid();
	k->egid = getegid();
	k->msgmax_fd = -EBADF;
	k->as_creator = (prctl(PR_GET_SECUREBITS) & SECBIT_NO_SETUID_FIXUP) != 0;
	k->next_id_fd = open(path, O_WRONLY | O_CLOEXEC);
	return k->next_id_fd < 0 ? pr_perror_ret("cannot open %s (exact %s ids)", path, what) : 0;
}

/* The next object of this kind gets id; then act as its creator, where the kernel lets us. */
static int prepare_create(struct ids_ctl *k, const IpcObjectDesc *o)
{
	char v[16];
	int len = snprintf(v, sizeof(v), "%d", o->id);

	if (o->id < 0)
		return pr_err_ret(-EBADMSG, "%s id %d in the images: bad id", k->what, o->id);
	if (pwrite(k->next_id_fd, v, (size_t)len, 0) != len)
		return pr_perror_ret("%s id %d: cannot set the next id", k->what, o->id);
	if (!k->as_creator || (o->cuid == k->euid && o->cgid == k->egid))
		return 0;
	if (setresgid(-1, o->cgid, -1) < 0 || setresuid(-1, o->cuid, -1) < 0)
		pr_warn("%s id %d: created by uid %u gid %u, not its creator %u:%u: %s\n", k->what, o->id,
			(unsigned)geteuid(), (unsigned)getegid(), o->cuid, o->cgid, strerror(errno));
	return 0;
}

static int end_create(struct ids_ctl *k, int r)
{
	if (setresuid(-1, k->euid, -1) < 0 || setresgid(-1, k->egid, -1) < 0)
		return pr_perror_ret("%s: cannot go back to uid %u gid %u", k->what, (unsigned)k->euid,
				     (unsigned)k->egid);
	return r;
}

static int check_id(struct ids_ctl *k, const IpcObjectDesc *o, int got)
{
	if (got < 0)
		return pr_perror_ret("%s id %d key %#x: cannot create it", k->what, o->id, o->key);
	if (got != o->id)
		return pr_err_ret(-EEXIST, "%s key %#x: created as id %d, not %d", k->what, o->key, got,
				  o->id);
	return 0;
}

static void set_perm(struct ipc_perm *p, const IpcObjectDesc *o)
{
	p->uid = o->uid;
	p->gid = o->gid;
	p->mode = (unsigned short)(o->mode & 0777);
}

#ifndef SHM_HUGE_SHIFT
#define SHM_HUGE_SHIFT 26 /* <linux/shm.h>, which clashes with <sys/shm.h> */
#endif

/* SHM_HUGETLB with the page size's log2 in the SHM_HUGE_SHIFT bits. */
static int huge_flags(uint64_t page)
{
	int shift = 0;

	while ((1ull << shift) < page)
		shift++;
	return SHM_HUGETLB | (shift << SHM_HUGE_SHIFT);
}

static int fill_shm(struct img_dir *d, const IpcShmEntry *e, int id)
{
	struct img_reader *rd = NULL;
	ProtobufCMessage *m;
	char *addr;
	int r = img_open(d, IMG_IPC_SHM_DATA, e->data_id, &rd);

	if (r < 0)
		return pr_err_ret(r == -ENOENT ? -EBADMSG : r, "SysV shm id %d: its contents image %" PRIu64,
				  id, e->data_id);
	addr = shmat(id, NULL, 0);
	if (addr == (void *)-1) {
		img_close(rd);
		return pr_perror_ret("SysV shm id %d: cannot attach it", id);
	}
	while ((r = img_read_msg(rd, &ipc_shm_chunk__descriptor, &m)) > 0) {
		_cleanup_pb_(ipc_shm_chunk) IpcShmChunk *c = (IpcShmChunk *)m;

		if (c->offset > e->size || c->data.len > e->size - c->offset) {
			r = pr_err_ret(-EBADMSG,
				       "%s: bytes %" PRIu64 "+%zu are outside SysV shm id %d (%" PRIu64 ")",
				       img_reader_name(rd), c->offset, c->data.len, id, e->size);
			break;
		}
		if (c->data.len) /* an empty bytes field unpacks as NULL */
			memcpy(addr + c->offset, c->data.data, c->data.len);
	}
	shmdt(addr);
	img_close(rd);
	return r;
}

static int restore_one_shm(struct img_dir *d, struct ids_ctl *k, const IpcShmEntry *e)
{
	const IpcObjectDesc *o = e->desc;
	struct shmid_ds ds;
	int id, r;

	if (e->size == 0 || e->size > (uint64_t)SIZE_MAX / 2)
		return pr_err_ret(-EBADMSG, "ipc-shm.img: SysV shm id %d: bad size %" PRIu64, o->id, e->size);
	r = prepare_create(k, o);
	if (r < 0)
		return end_create(k, r);
	if (e->has_huge_page_size && (!e->huge_page_size || (e->huge_page_size & (e->huge_page_size - 1)) ||
				      e->huge_page_size > (1ull << 40)))
		return end_create(k, pr_err_ret(-EBADMSG, "ipc-shm.img: SysV shm id %d: bad huge page size %" PRIu64,
						o->id, e->huge_page_size));
	id = shmget(o->key, e->size, IPC_CREAT | IPC_EXCL | 0600 | (e->has_huge_page_size ? huge_flags(e->huge_page_size) : 0));
	r = check_id(k, o, id);
	if (r == 0)
		r = fill_shm(d, e, id);
	if (r == 0 && shmctl(id, IPC_STAT, &ds) == 0) {
		set_perm(&ds.shm_perm, o);
		if (shmctl(id, IPC_SET, &ds) < 0)
			r = pr_perror_ret("SysV shm id %d: cannot set owner %u:%u mode %#o", id, o->uid,
					  o->gid, o->mode);
	}
	if (r == 0 && e->has_locked && e->locked && shmctl(id, SHM_LOCK, NULL) < 0)
		r = pr_perror_ret("SysV shm id %d: SHM_LOCK", id);
	return end_create(k, r);
}

static int restore_one_sem(struct ids_ctl *k, const IpcSemEntry *e)
{
	const IpcObjectDesc *o = e->desc;
	_cleanup_free_ unsigned short *vals = NULL;
	struct semid_ds ds;
	int id, r;

	if (e->n_values == 0 || e->n_values > 65536)
		return pr_err_ret(-EBADMSG, "ipc-sem.img: SysV semaphore set id %d: bad count %zu", o->id,
				  e->n_values);
	vals = calloc(e->n_values, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (size_t i = 0; i < e->n_values; i++) {
		if (e->values[i] > SYSV_SEMVMX)
			return pr_err_ret(-EBADMSG,
					  "ipc-sem.img: SysV semaphore set id %d: semaphore %zu is %u", o->id,
					  i, e->values[i]);
		vals[i] = (unsigned short)e->values[i];
	}
	r = prepare_create(k, o);
	if (r < 0)
		return end_create(k, r);
	id = semget(o->key, (int)e->n_values, IPC_CREAT | IPC_EXCL | 0600);
	r = check_id(k, o, id);
	if (r == 0 && semctl(id, 0, SETALL, (union semun){.array = vals}) < 0)
		r = pr_perror_ret("SysV semaphore set id %d: SETALL", id);
	if (r == 0 && semctl(id, 0, IPC_STAT, (union semun){.buf = &ds}) == 0) {
		set_perm(&ds.sem_perm, o);
		if (semctl(id, 0, IPC_SET, (union semun){.buf = &ds}) < 0)
			r = pr_perror_ret("SysV semaphore set id %d: cannot set owner %u:%u mode %#o", id,
					  o->uid, o->gid, o->mode);
	}
	return end_create(k, r);
}


/* The largest message of the queue, for kernel/msgmax. */
static int largest_msg(struct img_dir *d, const IpcMsgQueueEntry *e, size_t *ret)
{
	struct img_reader *rd = NULL;
	const void *data;
	size_t len, max = 0;
	char what[64];
	int r;

	snprintf(what, sizeof(what), "SysV message queue id %d", e->desc->id);
	r = ipc_msgs_open(d, e->messages_id, e->count, what, &rd);
	if (r < 0)
		return r;
	/* a record's size bounds its message's */
	while (img_next_record(rd, &data, &len) > 0)
		max = len > max ? len : max;
	img_close(rd);
	*ret = max;
	return 0;
}

static int send_msgs(struct img_dir *d, const IpcMsgQueueEntry *e, int id)
{
	struct img_reader *rd = NULL;
	ProtobufCMessage *m;
	char what[64];
	int r;

	snprintf(what, sizeof(what), "SysV message queue id %d", id);
	r = ipc_msgs_open(d, e->messages_id, e->count, what, &rd);
	while (r >= 0 && (r = img_read_msg(rd, &ipc_message__descriptor, &m)) > 0) {
		_cleanup_pb_(ipc_message) IpcMessage *msg = (IpcMessage *)m;
		_cleanup_free_ long *buf = NULL;

		if (msg->type <= 0 || msg->data.len > e->qbytes) {
			r = pr_err_ret(-EBADMSG,
				       "%s: %s: a message of type %" PRId64 " and %zu bytes (qbytes %" PRIu64
				       ")",
				       img_reader_name(rd), what, msg->type, msg->data.len, e->qbytes);
			break;
		}
		buf = malloc(sizeof(long) + msg->data.len + 1);
		if (!buf) {
			r = -ENOMEM;
			break;
		}
		buf[0] = (long)msg->type;
		if (msg->data.len) /* an empty message unpacks as NULL */
			memcpy(buf + 1, msg->data.data, msg->data.len);
		if (msgsnd(id, buf, msg->data.len, IPC_NOWAIT) < 0)
			r = pr_perror_ret("%s: cannot put back a message of type %" PRId64 " (%zu bytes)",
					  what, msg->type, msg->data.len);
	}
	img_close(rd);
	return r < 0 ? r : 0;
}

static int restore_one_msg(struct img_dir *d, struct ids_ctl *k, const IpcMsgQueueEntry *e)
{
	const IpcObjectDesc *o = e->desc;
	struct msqid_ds ds;
	size_t biggest;
	char old[32] = "";
	int id, r;

	if (e->qbytes > INT32_MAX)
		return pr_err_ret(-EBADMSG, "ipc-msg.img: SysV message queue id %d: qbytes %" PRIu64, o->id,
				  e->qbytes);
	/* as criu: sysctls check the caller's ids on every write */
	r = largest_msg(d, e, &biggest);
	if (r == 0)
		r = raise_msgmax(k->msgmax_fd, biggest, old);
	if (r < 0)
		return r;
	r = prepare_create(k, o);
	if (r < 0) {
		r = end_create(k, r);
		put_back_msgmax(k->msgmax_fd, old);
		return r;
	}
	id = msgget(o->key, IPC_CREAT | IPC_EXCL | 0600);
	r = check_id(k, o, id);
	if (r == 0 && msgctl(id, IPC_STAT, &ds) < 0)
		r = pr_perror_ret("SysV message queue id %d: IPC_STAT", id);
	if (r == 0) {
		/* the queue's size first: the messages must fit */
		ds.msg_qbytes = e->qbytes;
		if (msgctl(id, IPC_SET, &ds) < 0)
			r = pr_perror_ret("SysV message queue id %d: cannot set qbytes %" PRIu64, id,
					  e->qbytes);
	}
	if (r == 0)
		r = send_msgs(d, e, id);
	if (r == 0) {
		set_perm(&ds.msg_perm, o);
		if (msgctl(id, IPC_SET, &ds) < 0)
			r = pr_perror_ret("SysV message queue id %d: cannot set owner %u:%u mode %#o", id,
					  o->uid, o->gid, o->mode);
	}
	r = end_create(k, r);
	put_back_msgmax(k->msgmax_fd, old);
	return r;
}

/* One restore_one_<kind>() per record of an image; every kind gets its exact ids. */
struct sysv_kind {
	enum img_kind kind;
	const ProtobufCMessageDescriptor *desc;
	const char *sysctl; /* kernel/<sysctl>_next_id */
	const char *what;
	int (*restore_one)(struct img_dir *d, struct ids_ctl *k, const ProtobufCMessage *m);
};

static int one_shm(struct img_dir *d, struct ids_ctl *k, const ProtobufCMessage *m)
{
	return restore_one_shm(d, k, (const IpcShmEntry *)m);
}

static int one_sem(struct img_dir *d, struct ids_ctl *k, const ProtobufCMessage *m)
{
	return restore_one_sem(k, (const IpcSemEntry *)m);
}

static int one_msg(struct img_dir *d, struct ids_ctl *k, const ProtobufCMessage *m)
{
	return restore_one_msg(d, k, (const IpcMsgQueueEntry *)m);
}

static const struct sysv_kind sysv_kinds[] = {
	{ IMG_IPC_SHM, &ipc_shm_entry__descriptor, "shm", "SysV shm", one_shm },
	{ IMG_IPC_SEM, &ipc_sem_entry__descriptor, "sem", "SysV semaphore set", one_sem },
	{ IMG_IPC_MSG, &ipc_msg_queue_entry__descriptor, "msg", "SysV message queue", one_msg },
};

static int restore_kind(struct img_dir *d, const struct sysv_kind *sk)
{
	struct ids_ctl k;
	struct img_reader *rd = NULL;
	ProtobufCMessage *m;
	int r = img_open(d, sk->kind, 0, &rd);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	r = open_next_id(&k, sk->sysctl, sk->what);
	/* messages larger than msgmax: it is raised for them (restore_one_msg) */
	if (r == 0 && sk->kind == IMG_IPC_MSG) {
		k.msgmax_fd = open("/proc/sys/kernel/msgmax", O_RDWR | O_CLOEXEC);
		if (k.msgmax_fd < 0)
			r = pr_perror_ret("cannot open /proc/sys/kernel/msgmax");
	}
	while (r >= 0 && (r = img_read_msg(rd, sk->desc, &m)) > 0) {
		r = sk->restore_one(d, &k, m);
		protobuf_c_message_free_unpacked(m, NULL);
		if (r == 0)
			r = 1;
	}
	if (k.next_id_fd >= 0)
		close(k.next_id_fd);
	if (k.msgmax_fd >= 0)
		close(k.msgmax_fd);
	img_close(rd);
	return r < 0 ? r : 0;
}

int ipc_sysv_restore(struct img_dir *d)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < sizeof(sysv_kinds) / sizeof(sysv_kinds[0]); i++)
		r = restore_kind(d, &sysv_kinds[i]);
	return r;
}

int ipc_msgs_open(struct img_dir *d, uint64_t id, uint32_t count, const char *what, struct img_reader **ret)
{
	struct img_reader *rd = NULL;
	int r = img_open(d, IMG_IPC_MSGS, id, &rd);

	if (r == -ENOENT)
		return pr_err_ret(-EBADMSG, "%s: its messages image (ipc-msgs-%" PRIu64 ".img) is missing",
				  what, id);
	if (r < 0)
		return r;
	if (img_reader_count(rd) != count) {
		r = pr_err_ret(-EBADMSG, "%s: %s holds %zu messages, not %u", what, img_reader_name(rd),
			       img_reader_count(rd), count);
		img_close(rd);
		return r;
	}
	*ret = rd;
	return 0;
}
