/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Image directory I/O, format version 2. Every other module reads and writes
 * images only through this layer.
 *
 * A record image file is:
 *
 *   header   u32 magic  u16 format version  u16 kind  u64 id      (16 bytes)
 *   records  u32 length  u32 crc32c(payload)  payload (protobuf)   (repeated)
 *   trailer  u32 0xffffffff  u32 record count  u32 crc32c(header + records)
 *
 * all little-endian. The per-record CRC catches a flipped byte, the trailer a
 * truncation (even at a record boundary). A reader validates the whole file
 * when it opens it, so a damaged image is refused before anything is restored.
 *
 * A pages image is a 4096-byte header (the same 16 bytes, zero padded) and
 * then raw page data at page-aligned offsets; its index (the pagemap image)
 * gives each run's offset and CRC32C.
 *
 * The inventory is written last and lists every file with its size: a
 * directory without an inventory is not a checkpoint, and a listed file that
 * is missing or has another size is refused.
 */
#ifndef CR_IMAGE_H
#define CR_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <protobuf-c/protobuf-c.h>

#define IMG_MAGIC	   0x32474d49u /* "IMG2" */
#define IMG_FORMAT_VERSION 2
#define IMG_HEADER_SIZE	   16
#define IMG_TRAILER_MARK   0xffffffffu
#define IMG_TRAILER_SIZE   12
#define IMG_PAGES_HDR_SIZE 4096 /* pages images before pagemap_head.data_start */
/* The largest record a reader accepts; larger data goes into raw images. */
#define IMG_RECORD_MAX	   (64u << 20)
/* The largest record image a reader loads. */
#define IMG_FILE_MAX	   (1ull << 30)
#define IMG_INVENTORY_NAME "inventory.img"

enum img_kind {
	IMG_NONE = 0,
	IMG_INVENTORY = 1,
	IMG_PAGEMAP = 2,
	IMG_PAGES = 3,
	IMG_TREE = 4, /* tree.img: the process tree */
	IMG_CORE = 5, /* core-ID.img: one process and its threads */
	IMG_MM = 6,   /* mm-ID.img: one address space and its mappings */
	IMG_FILES = 7,	 /* files.img: open file descriptions */
	IMG_FDTABLE = 8, /* fdtable-ID.img: one process's fds */
	IMG_PIPES = 9,	 /* pipes.img: pipe buffers */
	IMG_CPUINFO = 20, /* cpuinfo.img: the CPU the dump ran on (engine/cpu/) */
	IMG_NETLOCK = 40, /* netlock.img: the network lock a dump left for its restore */
	IMG_NS = 70,	  /* ns.img: the tree's own namespaces (ns/) */
	IMG_UTSNS = 71,	  /* uts.img: hostname, domainname */
	IMG_IPCNS = 72,	  /* ipc.img: ipc sysctls */
	IMG_TIMENS = 73,  /* timens.img: the clocks at dump */
	IMG_IPC_SHM = 74,      /* ipc-shm.img: SysV shared memory segments of the tree's ipc ns */
	IMG_IPC_SHM_DATA = 75, /* ipc-shm-data-ID.img: one segment's populated bytes */
	IMG_IPC_SEM = 76,      /* ipc-sem.img: SysV semaphore sets and their values */
	IMG_IPC_MSG = 77,      /* ipc-msg.img: SysV message queues */
	IMG_IPC_MQ = 78,       /* ipc-mq.img: POSIX message queues */
	IMG_IPC_MSGS = 79,     /* ipc-msgs-ID.img: one queue's messages, in order */
	IMG_CGROUP = 80,  /* cgroup.img: the tree's cgroup sets, membership and properties (cgroup/) */
	IMG_NETLINK = 90,   /* netlinks.img: the links of the tree's own net ns (ns/net_rtnl.c) */
	IMG_NETADDR = 91,   /* netaddrs.img: their addresses */
	IMG_NETROUTE = 92,  /* netroutes.img: its routes, every table */
	IMG_NETSYSCTL = 93, /* netsysctls.img: its sysctls */
	IMG_NETRULES = 94,  /* netrules.img: its iptables and nftables rules */
	IMG_NETFIBRULE = 95, /* netfibrules.img: its policy routing rules */
	IMG_MNTNS = 100,  /* mnt.img: the tree's mounts (ns/mnt.c) */
	IMG_TMPFS = 101,  /* tmpfs-ID.img: the files of a tmpfs mount, as a tar stream */
	IMG_MNTNS_TASKS = 102, /* mnt-tasks.img: which tasks are in which other mount namespace */
	IMG_KIND_MAX,
};

struct img_kind_info {
	const char *name;		      /* "pagemap" */
	bool per_id;			      /* file name carries the object id */
	bool raw;			      /* raw data, not records */
	const ProtobufCMessageDescriptor *head; /* first record, if it differs */
	const ProtobufCMessageDescriptor *desc; /* every (other) record */
};

/* NULL for an unknown kind. */
const struct img_kind_info *img_kind_info(unsigned int kind);
/* Writes the file name of (kind, id) into buf; returns buf. */
char *img_file_name(char *buf, size_t size, enum img_kind kind, uint64_t id);

struct img_dir;
struct img_writer;
struct img_reader;
struct img_pages_writer;
struct InventoryEntry; /* InventoryEntry, proto/images/inventory.proto */

/*
 * Opens an images directory. For writing, the directory is created if missing
 * and any old inventory is removed first, so that a dump that fails half way
 * never leaves a directory that looks complete. For reading, the inventory is
 * loaded and checked against the directory (every listed file present, with
 * its size); a directory without one is refused.
 */
int img_dir_open_write(const char *path, struct img_dir **ret);
int img_dir_open_read(const char *path, struct img_dir **ret);
/* The same on an already open directory fd (taken over); name is for messages. */
int img_dir_open_fd(int dfd, const char *name, bool for_write, struct img_dir **ret);
void img_dir_close(struct img_dir *d);
int img_dir_fd(const struct img_dir *d);
const char *img_dir_path(const struct img_dir *d);
/* The loaded inventory (reading only); an InventoryEntry. */
const struct InventoryEntry *img_dir_inventory(const struct img_dir *d);
/* Whether the inventory lists (kind, id). */
bool img_dir_has(const struct img_dir *d, enum img_kind kind, uint64_t id);

/*
 * Record images. img_commit() writes the trailer, closes the file and notes
 * it for the inventory; img_writer_abort() removes the partial file.
 */
int img_create(struct img_dir *d, enum img_kind kind, uint64_t id, struct img_writer **ret);
int img_write_msg(struct img_writer *w, const ProtobufCMessage *msg);
int img_write_record(struct img_writer *w, const void *data, size_t len);
int img_commit(struct img_writer *w);
/*
 * The end of a writer whose records were written with result r: commits it
 * when r >= 0, else removes the partial file (w may be NULL) and returns r.
 */
int img_finish(struct img_writer *w, int r);
/* Writes an image of exactly one record, msg: create, write, commit (or remove). */
int img_write_one(struct img_dir *d, enum img_kind kind, uint64_t id, const ProtobufCMessage *msg);
void img_writer_abort(struct img_writer *w);

/*
 * Writes the inventory from the files committed so far; the last step of a
 * dump. inv may carry the other fields; its file list is filled here.
 */
int img_write_inventory(struct img_dir *d, struct InventoryEntry *inv);

/*
 * Opens and validates a record image: -ENOENT when the inventory does not list
 * it (the kind is absent), -EBADMSG (logged, naming file and record) when it
 * is damaged.
 */
int img_open(struct img_dir *d, enum img_kind kind, uint64_t id, struct img_reader **ret);
/* Validates a record image from a buffer (taken over) or an fd; name is for messages. */
int img_open_buf(void *buf, size_t len, const char *name, struct img_reader **ret);
int img_open_fd(int fd, const char *name, struct img_reader **ret);
enum img_kind img_reader_kind(const struct img_reader *r);
uint64_t img_reader_id(const struct img_reader *r);
const char *img_reader_name(const struct img_reader *r);
size_t img_reader_count(const struct img_reader *r);
/* The next record's bytes: 1 and ret_data, ret_len; 0 at the end; never fails. */
int img_next_record(struct img_reader *r, const void **ret_data, size_t *ret_len);
/*
 * The next record unpacked as desc: 1 and *ret (free with
 * protobuf_c_message_free_unpacked), 0 at the end, -EBADMSG (logged) if the
 * record does not decode.
 */
int img_read_msg(struct img_reader *r, const ProtobufCMessageDescriptor *desc, ProtobufCMessage **ret);
/* Exactly one message is expected: -EBADMSG if there is none. */
int img_read_one(struct img_reader *r, const ProtobufCMessageDescriptor *desc, ProtobufCMessage **ret);
void img_close(struct img_reader *r);

/*
 * Pages images. Data is appended at page-aligned offsets; *ret_off gets its
 * offset and *ret_crc its CRC32C, for the pagemap entry.
 */
int img_pages_create(struct img_dir *d, uint64_t id, struct img_pages_writer **ret);
int img_pages_append(struct img_pages_writer *w, const struct iovec *iov, int iovcnt, uint64_t *ret_off,
		     uint32_t *ret_crc);
int img_pages_commit(struct img_pages_writer *w);
void img_pages_abort(struct img_pages_writer *w);
/*
 * Opens a pages image for reading and returns an fd (O_CLOEXEC) positioned
 * nowhere in particular; data offsets are absolute. A pages image is page
 * data only; with legacy_header (pagemap_head without data_start) it is an
 * older one behind a 4096-byte header, which is checked.
 */
int img_pages_open(struct img_dir *d, uint64_t id, bool legacy_header, int *ret_fd);
/* Checks an older pages image's header read from fd; name is for messages. */
int img_pages_check_header(int fd, const char *name, uint64_t *ret_id);

/* CRC32C (Castagnoli), hardware accelerated where the CPU has SSE4.2. */
uint32_t crc32c(uint32_t crc, const void *data, size_t len);

#endif
