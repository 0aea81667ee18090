/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Record images: writing and validating reading. */
#define LOG_PREFIX "image: "
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "image_priv.h"
#include "log.h"

#define WRITER_FLUSH (1u << 20)

struct img_writer {
	struct img_dir *d;
	int fd;
	enum img_kind kind;
	uint64_t id;
	char name[IMG_NAME_MAX];
	unsigned char *buf;
	size_t len, cap;
	uint64_t written; /* bytes flushed to fd */
	uint32_t crc;	  /* of every byte so far */
	uint32_t count;
};

struct img_reader {
	unsigned char *buf;
	size_t len;
	size_t pos; /* of the next record */
	size_t count, next;
	enum img_kind kind;
	uint64_t id;
	char name[PATH_MAX]; /* criu show passes whole paths */
};

static int writer_reserve(struct img_writer *w, size_t more)
{
	size_t cap = w->cap ? w->cap : 4096;
	unsigned char *nb;

	if (w->len + more <= w->cap)
		return 0;
	while (cap < w->len + more)
		cap *= 2;
	nb = realloc(w->buf, cap);
	if (!nb)
		return -ENOMEM;
	w->buf = nb;
	w->cap = cap;
	return 0;
}

static int writer_flush(struct img_writer *w)
{
	size_t off = 0;

	while (off < w->len) {
		ssize_t n = write(w->fd, w->buf + off, w->len - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return pr_perror_ret("%s: cannot write", w->name);
		}
		off += (size_t)n;
	}
	w->written += w->len;
	w->len = 0;
	return 0;
}

static int writer_append(struct img_writer *w, const void *data, size_t len)
{
	int r = writer_reserve(w, len);

	if (r < 0)
		return pr_err_ret(r, "%s: cannot grow the write buffer", w->name);
	memcpy(w->buf + w->len, data, len);
	w->len += len;
	w->crc = crc32c(w->crc, data, len);
	return 0;
}

static int writer_start(struct img_dir *d, int fd, const char *name, enum img_kind kind, uint64_t id,
			struct img_writer **ret)
{
	unsigned char hdr[IMG_HEADER_SIZE];
	struct img_writer *w = calloc(1, sizeof(*w));
	int r;

	if (!w)
		return -ENOMEM;
	w->d = d;
	w->fd = fd;
	w->kind = kind;
	w->id = id;
	snprintf(w->name, sizeof(w->name), "%s", name);
	img_header_fill(hdr, kind, id);
	r = writer_append(w, hdr, sizeof(hdr));
	if (r < 0) {
		free(w);
		return r;
	}
	*ret = w;
	return 0;
}

int img_create(struct img_dir *d, enum img_kind kind, uint64_t id, struct img_writer **ret)
{
	const struct img_kind_info *k = img_kind_info(kind);
	char name[IMG_NAME_MAX];
	int fd, r;

	if (!k || k->raw || kind == IMG_INVENTORY)
		return pr_err_ret(-EINVAL, "cannot create an image of kind %u as records", kind);
	img_file_name(name, sizeof(name), kind, id);
	fd = img_dir_create_file(d, name, 0);
	if (fd < 0)
		return fd;
	r = writer_start(d, fd, name, kind, id, ret);
	if (r < 0) {
		close(fd);
		unlinkat(d->dfd, name, 0);
	}
	return r;
}

int img_write_record(struct img_writer *w, const void *data, size_t len)
{
	unsigned char rh[8];
	uint32_t l = htole32((uint32_t)len), c;
	int r;

	if (len > IMG_RECORD_MAX)
		return pr_err_ret(-EFBIG, "%s: record %u of %zu bytes exceeds the limit", w->name, w->count + 1,
				  len);
	c = htole32(crc32c(0, data, len));
	memcpy(rh, &l, 4);
	memcpy(rh + 4, &c, 4);
	r = writer_append(w, rh, sizeof(rh));
	if (r < 0)
		return r;
	r = writer_append(w, data, len);
	if (r < 0)
		return r;
	w->count++;
	if (w->len >= WRITER_FLUSH)
		return writer_flush(w);
	return 0;
}

int img_write_msg(struct img_writer *w, const ProtobufCMessage *msg)
{
	size_t len = protobuf_c_message_get_packed_size(msg);
	_cleanup_free_ unsigned char *buf = NULL;

	if (len > IMG_RECORD_MAX)
		return pr_err_ret(-EFBIG, "%s: %s record of %zu bytes exceeds the limit", w->name,
				  msg->descriptor->name, len);
	buf = malloc(len ? len : 1);
	if (!buf)
		return pr_err_ret(-ENOMEM, "%s: cannot pack a %s record", w->name, msg->descriptor->name);
	protobuf_c_message_pack(msg, buf);
	return img_write_record(w, buf, len);
}

static int writer_finish(struct img_writer *w)
{
	unsigned char tr[IMG_TRAILER_SIZE];
	uint32_t mark = htole32(IMG_TRAILER_MARK), cnt = htole32(w->count), c = htole32(w->crc);
	int r;

	memcpy(tr, &mark, 4);
	memcpy(tr + 4, &cnt, 4);
	memcpy(tr + 8, &c, 4);
	r = writer_append(w, tr, sizeof(tr));
	if (r < 0)
		return r;
	r = writer_flush(w);
	if (r < 0)
		return r;
	if (close(w->fd) < 0) {
		w->fd = -1;
		return pr_perror_ret("%s: cannot close", w->name);
	}
	w->fd = -1;
	return 0;
}

static void writer_free(struct img_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	free(w->buf);
	free(w);
}

int img_write_one(struct img_dir *d, enum img_kind kind, uint64_t id, const ProtobufCMessage *msg)
{
	struct img_writer *w = NULL;
	int r = img_create(d, kind, id, &w);

	if (r < 0)
		return r;
	return img_finish(w, img_write_msg(w, msg));
}

int img_finish(struct img_writer *w, int r)
{
	if (r < 0) {
		img_writer_abort(w);
		return r;
	}
	return img_commit(w);
}

int img_commit(struct img_writer *w)
{
	int r = writer_finish(w);

	if (r < 0) {
		img_writer_abort(w);
		return r;
	}
	r = img_dir_note(w->d, w->name, w->kind, w->id, w->written);
	writer_free(w);
	return r;
}

void img_writer_abort(struct img_writer *w)
{
	if (!w)
		return;
	if (w->d)
		unlinkat(w->d->dfd, w->name, 0);
	writer_free(w);
}

int img_write_inventory(struct img_dir *d, InventoryEntry *inv)
{
	static const char tmp[] = IMG_INVENTORY_NAME ".tmp";
	_cleanup_free_ ImageFileEntry *files = NULL;
	_cleanup_free_ ImageFileEntry **ptrs = NULL;
	struct img_writer *w = NULL;
	int fd, r;

	files = calloc(d->nr_notes + 1, sizeof(*files));
	ptrs = calloc(d->nr_notes + 1, sizeof(*ptrs));
	if (!files || !ptrs)
		return pr_err_ret(-ENOMEM, "%s: cannot build the inventory", d->path);
	for (size_t i = 0; i < d->nr_notes; i++) {
		image_file_entry__init(&files[i]);
		files[i].name = d->notes[i].name;
		files[i].kind = d->notes[i].kind;
		files[i].id = d->notes[i].id;
		files[i].size = d->notes[i].size;
		ptrs[i] = &files[i];
	}
	/* a stale or planted tmp is unlinked, not written through; the rename then replaces a name */
	fd = img_dir_create_file(d, tmp, 0);
	if (fd < 0)
		return fd;
	inv->format_version = IMG_FORMAT_VERSION;
	inv->n_files = d->nr_notes;
	inv->files = ptrs;
	r = writer_start(NULL, fd, tmp, IMG_INVENTORY, 0, &w);
	if (r < 0) {
		close(fd);
		goto out_unlink;
	}
	r = img_write_msg(w, &inv->base);
	if (r >= 0)
		r = writer_finish(w);
	writer_free(w);
	if (r < 0)
		goto out_unlink;
	/* The rename is what makes the directory a checkpoint. */
	if (renameat(d->dfd, tmp, d->dfd, IMG_INVENTORY_NAME) < 0) {
		r = pr_perror_ret("%s: cannot put the inventory in place", d->path);
		goto out_unlink;
	}
	inv->n_files = 0;
	inv->files = NULL;
	return 0;
out_unlink:
	inv->n_files = 0;
	inv->files = NULL;
	unlinkat(d->dfd, tmp, 0);
	return r;
}

int img_header_check(const unsigned char *h, size_t len, const char *name, enum img_kind *ret_kind,
		     uint64_t *ret_id)
{
	uint32_t magic;
	uint16_t version, kind;

	if (len < IMG_HEADER_SIZE) {
		pr_err("%s: not an image: %zu bytes, shorter than a header\n", name, len);
		return -EBADMSG;
	}
	magic = img_get32(h);
	version = img_get16(h + 4);
	kind = img_get16(h + 6);
	if (magic != IMG_MAGIC) {
		pr_err("%s: not an image: magic 0x%08x, expected 0x%08x\n", name, magic, IMG_MAGIC);
		return -EBADMSG;
	}
	if (version != IMG_FORMAT_VERSION) {
		pr_err("%s: image format version %u, this build reads version %u\n", name, version,
		       IMG_FORMAT_VERSION);
		return -EBADMSG;
	}
	if (!img_kind_info(kind)) {
		pr_err("%s: unknown image kind %u\n", name, kind);
		return -EBADMSG;
	}
	*ret_kind = kind;
	*ret_id = img_get64(h + 8);
	return 0;
}

/* Walks every record once: lengths, checksums, the trailer and its counts. */
static int reader_validate(struct img_reader *r)
{
	size_t pos = IMG_HEADER_SIZE;
	uint32_t crc = crc32c(0, r->buf, IMG_HEADER_SIZE);
	size_t n = 0;

	for (;;) {
		uint32_t len, want;

		if (r->len - pos < 4) {
			pr_err("%s: truncated after record %zu (no trailer)\n", r->name, n);
			return -EBADMSG;
		}
		len = img_get32(r->buf + pos);
		if (len == IMG_TRAILER_MARK)
			break;
		if (len > IMG_RECORD_MAX) {
			pr_err("%s: record %zu: length %u exceeds the limit of %u\n", r->name, n + 1, len,
			       IMG_RECORD_MAX);
			return -EBADMSG;
		}
		if (r->len - pos < 8 || r->len - pos - 8 < len) {
			pr_err("%s: record %zu: truncated (%u bytes announced, %zu left)\n", r->name, n + 1, len,
			       r->len - pos < 8 ? 0 : r->len - pos - 8);
			return -EBADMSG;
		}
		want = img_get32(r->buf + pos + 4);
		if (crc32c(0, r->buf + pos + 8, len) != want) {
			pr_err("%s: record %zu: checksum mismatch (damaged)\n", r->name, n + 1);
			return -EBADMSG;
		}
		crc = crc32c(crc, r->buf + pos, 8 + (size_t)len);
		pos += 8 + (size_t)len;
		n++;
	}
	if (r->len - pos != IMG_TRAILER_SIZE) {
		pr_err("%s: trailer after record %zu is %s\n", r->name, n,
		       r->len - pos < IMG_TRAILER_SIZE ? "truncated" : "followed by stray bytes");
		return -EBADMSG;
	}
	if (img_get32(r->buf + pos + 4) != n) {
		pr_err("%s: trailer counts %u records, the file holds %zu\n", r->name, img_get32(r->buf + pos + 4),
		       n);
		return -EBADMSG;
	}
	if (img_get32(r->buf + pos + 8) != crc) {
		pr_err("%s: file checksum mismatch (damaged)\n", r->name);
		return -EBADMSG;
	}
	r->count = n;
	return 0;
}

int img_open_buf(void *buf, size_t len, const char *name, struct img_reader **ret)
{
	struct img_reader *r = calloc(1, sizeof(*r));
	int err;

	if (!r) {
		free(buf);
		return pr_err_ret(-ENOMEM, "%s: cannot open", name);
	}
	r->buf = buf;
	r->len = len;
	r->pos = IMG_HEADER_SIZE;
	snprintf(r->name, sizeof(r->name), "%s", name);
	err = img_header_check(r->buf, r->len, r->name, &r->kind, &r->id);
	if (!err && img_kind_info(r->kind)->raw) {
		pr_err("%s: a raw %s image, not a record image\n", r->name, img_kind_info(r->kind)->name);
		err = -EBADMSG;
	}
	if (!err)
		err = reader_validate(r);
	if (err < 0) {
		img_close(r);
		return err;
	}
	*ret = r;
	return 0;
}

int img_open_fd(int fd, const char *name, struct img_reader **ret)
{
	_cleanup_free_ unsigned char *buf = NULL;
	struct stat st;
	size_t off = 0;

	if (fstat(fd, &st) < 0)
		return pr_perror_ret("%s: cannot stat", name);
	if (!S_ISREG(st.st_mode))
		return pr_err_ret(-EBADMSG, "%s: not a regular file", name);
	if ((uint64_t)st.st_size > IMG_FILE_MAX)
		return pr_err_ret(-EFBIG, "%s: %lld bytes, larger than any record image", name,
				  (long long)st.st_size);
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return pr_err_ret(-ENOMEM, "%s: cannot read", name);
	while (off < (size_t)st.st_size) {
		ssize_t n = pread(fd, buf + off, (size_t)st.st_size - off, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return pr_perror_ret("%s: cannot read", name);
		if (n == 0)
			break;
		off += (size_t)n;
	}
	return img_open_buf(TAKE_PTR(buf), off, name, ret);
}

int img_open(struct img_dir *d, enum img_kind kind, uint64_t id, struct img_reader **ret)
{
	char name[IMG_NAME_MAX];
	_cleanup_close_ int fd = -EBADF;
	struct img_reader *r;
	int err;

	img_file_name(name, sizeof(name), kind, id);
	if (d->inv && !img_dir_find(d, kind, id))
		return -ENOENT; /* absent by the inventory: the caller decides */
	fd = img_dir_open_file(d, name);
	if (fd < 0)
		return fd;
	err = img_open_fd(fd, name, &r);
	if (err < 0)
		return err;
	if (r->kind != kind || r->id != id) {
		pr_err("%s: holds %s image %llu, expected %s %llu\n", name, img_kind_info(r->kind)->name,
		       (unsigned long long)r->id, img_kind_info(kind)->name, (unsigned long long)id);
		img_close(r);
		return -EBADMSG;
	}
	*ret = r;
	return 0;
}

enum img_kind img_reader_kind(const struct img_reader *r)
{
	return r->kind;
}

uint64_t img_reader_id(const struct img_reader *r)
{
	return r->id;
}

const char *img_reader_name(const struct img_reader *r)
{
	return r->name;
}

size_t img_reader_count(const struct img_reader *r)
{
	return r->count;
}

int img_next_record(struct img_reader *r, const void **ret_data, size_t *ret_len)
{
	uint32_t len;

	if (r->next >= r->count)
		return 0;
	len = img_get32(r->buf + r->pos);
	*ret_data = r->buf + r->pos + 8;
	*ret_len = len;
	r->pos += 8 + (size_t)len;
	r->next++;
	return 1;
}

int img_read_msg(struct img_reader *r, const ProtobufCMessageDescriptor *desc, ProtobufCMessage **ret)
{
	const void *data;
	size_t len;
	ProtobufCMessage *m;
	int n = img_next_record(r, &data, &len);

	if (n <= 0)
		return n;
	m = protobuf_c_message_unpack(desc, NULL, len, data);
	if (!m) {
		pr_err("%s: record %zu does not decode as %s\n", r->name, r->next, desc->name);
		return -EBADMSG;
	}
	*ret = m;
	return 1;
}

int img_read_one(struct img_reader *r, const ProtobufCMessageDescriptor *desc, ProtobufCMessage **ret)
{
	int n = img_read_msg(r, desc, ret);

	if (n == 0) {
		pr_err("%s: holds no %s record\n", r->name, desc->name);
		return -EBADMSG;
	}
	return n < 0 ? n : 0;
}

void img_close(struct img_reader *r)
{
	if (!r)
		return;
	free(r->buf);
	free(r);
}
