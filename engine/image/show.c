/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * criu show: prints image files as JSON on stdout. Records are converted by
 * protobuf-c reflection, so a new image kind needs nothing here beyond its
 * row in the kind table. It only reads: nothing is ever written.
 *
 * -f FILE prints one object; -D DIR prints an array of them, the inventory
 * first and then the files it lists in its order. Each object is
 *
 *   {"file": ..., "magic": "0x32474d49", "format_version": 2, "kind": "pagemap",
 *    "id": 1, "records": 3, "entries": [ {...}, ... ]}
 *
 * with one entry per line; a raw (pages) image gets "size" and "data_size"
 * instead of records. An error while printing a file still closes its object,
 * so that what was printed stays valid JSON; the exit status tells.
 */
#define LOG_PREFIX "show: "
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "engine.h"
#include "fileio.h"
#include "image_priv.h"
#include "images/inventory.pb-c.h"
#include "images/pagemap.pb-c.h"
#include "log.h"
#include "safe_open.h"
#include "show.h"

/*
 * jansson integers are signed 64-bit. A larger unsigned value travels as a
 * string starting with a NUL byte, which no image string can hold (they are C
 * strings), and show_json_text() prints it as a bare number.
 */
#define U64_TAG_TEXT "\"\\u0000" /* how jansson prints the tag */

static json_t *json_u64(uint64_t v)
{
	char buf[24];
	int n;

	if (v <= INT64_MAX)
		return json_integer((json_int_t)v);
	buf[0] = '\0';
	n = snprintf(buf + 1, sizeof(buf) - 1, "%" PRIu64, v);
	return json_stringn(buf, (size_t)n + 1);
}

static json_t *json_hex(const void *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = data;
	_cleanup_free_ char *s = malloc(2 * len + 1);

	if (!s)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		s[2 * i] = digits[p[i] >> 4];
		s[2 * i + 1] = digits[p[i] & 15];
	}
	return json_stringn_nocheck(s, 2 * len);
}

/* Image strings should be UTF-8; other bytes are shown as \xNN rather than lost. */
static json_t *json_text(const char *s)
{
	_cleanup_free_ char *esc = NULL;
	json_t *j;
	char *q;

	if (!s)
		return json_null();
	j = json_string(s);
	if (j)
		return j;
	esc = malloc(4 * strlen(s) + 1);
	if (!esc)
		return NULL;
	for (q = esc; *s; s++) {
		if ((unsigned char)*s < 0x80)
			*q++ = *s;
		else
			q += sprintf(q, "\\x%02x", (unsigned char)*s);
	}
	*q = '\0';
	return json_string(esc);
}

static json_t *json_double(double v)
{
	if (isnan(v))
		return json_string("nan");
	if (isinf(v))
		return json_string(v > 0 ? "inf" : "-inf");
	return json_real(v);
}

static json_t *json_enum(const ProtobufCEnumDescriptor *ed, int v)
{
	const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(ed, v);

	return ev ? json_string(ev->name) : json_integer(v);
}

/* The size of one element of a repeated field's array. */
static size_t field_elem_size(ProtobufCType type)
{
	switch (type) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_ENUM:
		return sizeof(int);
	case PROTOBUF_C_TYPE_STRING:
		return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(ProtobufCMessage *);
	default:
		return 4;
	}
}

/* One value of field f stored at p. */
static json_t *field_json(const ProtobufCFieldDescriptor *f, const void *p)
{
	const ProtobufCBinaryData *b;
	const ProtobufCMessage *m;

	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		return json_integer(*(const int32_t *)p);
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return json_integer(*(const uint32_t *)p);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		return json_integer(*(const int64_t *)p);
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return json_u64(*(const uint64_t *)p);
	case PROTOBUF_C_TYPE_FLOAT:
		return json_double(*(const float *)p);
	case PROTOBUF_C_TYPE_DOUBLE:
		return json_double(*(const double *)p);
	case PROTOBUF_C_TYPE_BOOL:
		return json_boolean(*(const protobuf_c_boolean *)p);
	case PROTOBUF_C_TYPE_ENUM:
		return json_enum(f->descriptor, *(const int *)p);
	case PROTOBUF_C_TYPE_STRING:
		return json_text(*(char *const *)p);
	case PROTOBUF_C_TYPE_BYTES:
		b = p;
		return json_hex(b->data, b->len);
	case PROTOBUF_C_TYPE_MESSAGE:
		m = *(ProtobufCMessage *const *)p;
		return m ? show_msg_json(m) : json_null();
	}
	return json_null();
}

static json_t *repeated_json(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
	size_t n = *(const size_t *)((const char *)m + f->quantifier_offset);
	const char *arr = *(char *const *)((const char *)m + f->offset);
	size_t step = field_elem_size(f->type);
	json_t *a = json_array();

	if (!a)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (json_array_append_new(a, field_json(f, arr + i * step)) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* Whether the message carries field f (an optional one may be absent). */
static bool field_present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
	const char *base = (const char *)m;
	bool is_ptr = f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE;
	/* only strings and messages are pointers: a scalar may be the struct's last 4 bytes */
	const void *ptr = is_ptr ? *(void *const *)(base + f->offset) : NULL;

	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		return *(const uint32_t *)(base + f->quantifier_offset) == f->id;
	switch (f->label) {
	case PROTOBUF_C_LABEL_REPEATED:
		return *(const size_t *)(base + f->quantifier_offset) > 0;
	case PROTOBUF_C_LABEL_OPTIONAL:
		/* strings and messages have no has_ flag: absent is NULL or the default */
		if (is_ptr)
			return ptr && ptr != f->default_value;
		return *(const protobuf_c_boolean *)(base + f->quantifier_offset);
	default:
		return !is_ptr || ptr;
	}
}

json_t *show_msg_json(const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	json_t *o = json_object();

	if (!o)
		return NULL;
	for (unsigned int i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		json_t *v;

		if (!field_present(m, f))
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED)
			v = repeated_json(m, f);
		else
			v = field_json(f, (const char *)m + f->offset);
		if (json_object_set_new(o, f->name, v) < 0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

int show_record_json(const ProtobufCMessageDescriptor *desc, const void *data, size_t len, json_t **ret_json)
{
	ProtobufCMessage *m = protobuf_c_message_unpack(desc, NULL, len, data);
	json_t *j;

	if (!m)
		return -EBADMSG;
	j = show_msg_json(m);
	protobuf_c_message_free_unpacked(m, NULL);
	if (!j)
		return -ENOMEM;
	*ret_json = j;
	return 0;
}

char *show_json_text(const json_t *j)
{
	const size_t tag_len = strlen(U64_TAG_TEXT);
	char *s = json_dumps(j, JSON_ENCODE_ANY);
	char *r, *w, *t;

	if (!s)
		return NULL;
	/* A quote opening a string followed by an escaped NUL can only be our tag. */
	for (r = w = s; (t = strstr(r, U64_TAG_TEXT));) {
		size_t digits = strspn(t + tag_len, "0123456789");

		memmove(w, r, (size_t)(t - r));
		w += t - r;
		if (digits && t[tag_len + digits] == '"') {
			memmove(w, t + tag_len, digits);
			w += digits;
			r = t + tag_len + digits + 1;
		} else {
			memmove(w, t, tag_len);
			w += tag_len;
			r = t + tag_len;
		}
	}
	memmove(w, r, strlen(r) + 1);
	return s;
}

/* ---- printing image files ---- */

struct show_ctx {
	FILE *out;
	bool contents;	 /* -c: page data of pagemap entries */
	int dfd;	 /* the directory of the files shown */
	const char *dir; /* its path, for messages */
	size_t nr_shown; /* objects printed so far (-D: array members) */
};

/* The pages image that a pagemap's entries point into (-c). */
struct pages_src {
	int fd;
	uint64_t size;
	uint64_t data_start; /* 0; an older image's header: IMG_PAGES_HDR_SIZE */
	uint32_t page_size;
	char path[PATH_MAX];
};

/* Prints j; with open, without its closing brace so that members can follow. */
static int print_json(struct show_ctx *ctx, const json_t *j, const char *before, bool open)
{
	_cleanup_free_ char *s = j ? show_json_text(j) : NULL;
	size_t len;

	if (!s)
		return -ENOMEM;
	len = strlen(s);
	if (open && len)
		len--;
	fputs(before, ctx->out);
	fwrite(s, 1, len, ctx->out);
	return 0;
}

/* The facts of a file header, opening its object. */
static int print_header(struct show_ctx *ctx, const char *path, enum img_kind kind, uint64_t id)
{
	json_t *h;
	char magic[16];
	int err;

	snprintf(magic, sizeof(magic), "0x%08x", IMG_MAGIC);
	h = json_pack("{s:o, s:s, s:i, s:s, s:o}", "file", json_text(path), "magic", magic, "format_version",
		      IMG_FORMAT_VERSION, "kind", img_kind_info(kind)->name, "id", json_u64(id));
	err = print_json(ctx, h, ctx->nr_shown ? ",\n" : "", true);
	json_decref(h);
	if (err < 0)
		return pr_err_ret(err, "%s: cannot print", path);
	ctx->nr_shown++;
	return 0;
}

/* A pages image: page data only, or (legacy) behind a header page. */
static int show_raw(struct show_ctx *ctx, int fd, const char *path, uint64_t id, bool legacy)
{
	long long hdr = legacy ? IMG_PAGES_HDR_SIZE : 0;
	struct stat st;
	int err;

	if (fstat(fd, &st) < 0)
		return pr_perror_ret("%s: cannot stat", path);
	if (st.st_size < hdr) {
		pr_err("%s: truncated: %lld bytes, shorter than its %lld-byte header\n", path,
		       (long long)st.st_size, hdr);
		return -EBADMSG;
	}
	err = print_header(ctx, path, IMG_PAGES, id);
	if (err < 0)
		return err;
	fprintf(ctx->out, ", \"size\": %lld, \"data_size\": %lld}", (long long)st.st_size,
		(long long)st.st_size - hdr);
	return 0;
}

/*
 * A file named pages-ID.img is a pages image; *ret_legacy when it opens
 * with the header older images had. Returns false for any other name.
 */
static bool pages_file(const char *path, const unsigned char *hdr, ssize_t n, uint64_t *ret_id,
		       bool *ret_legacy)
{
	const char *base = strrchr(path, '/');
	uint64_t id;
	int end = 0;

	base = base ? base + 1 : path;
	if (sscanf(base, "pages-%" SCNu64 ".img%n", &id, &end) != 1 || base[end] || base[6] < '0' ||
	    base[6] > '9')
		return false;
	*ret_id = id;
	/* checked quietly: page data is no header, and says nothing wrong */
	*ret_legacy = n == IMG_HEADER_SIZE && img_get32(hdr) == IMG_MAGIC &&
		      img_get16(hdr + 4) == IMG_FORMAT_VERSION && img_get16(hdr + 6) == IMG_PAGES &&
		      img_get64(hdr + 8) == id;
	return true;
}

/* Logs why path could not be opened (cr_open_regular_at() returned err, st what it found). */
static int show_open_error(int err, const char *path, const struct stat *st)
{
	if (err == -ELOOP || err == -EINVAL) {
		pr_err("%s: not an image: not a regular file (%s)\n", path, cr_file_type_name(st->st_mode));
		return -EBADMSG;
	}
	if (err == -ESTALE) {
		pr_err("%s: not an image: replaced while being opened\n", path);
		return -EBADMSG;
	}
	return pr_err_ret(err, "%s: cannot open", path);
}

static int pages_src_open(struct show_ctx *ctx, struct pages_src *ps, const char *path, const PagemapHead *h)
{
	char name[IMG_NAME_MAX];
	struct stat st;
	uint64_t id;
	int err;

	if (!h->page_size || (h->page_size & (h->page_size - 1)) || h->page_size > (1u << 30)) {
		pr_err("%s: record 1: page size %u is not a power of two\n", path, h->page_size);
		return -EBADMSG;
	}
	img_file_name(name, sizeof(name), IMG_PAGES, h->pages_id);
	snprintf(ps->path, sizeof(ps->path), "%s/%s", ctx->dir, name);
	ps->fd = cr_open_regular_at(ctx->dfd, name, O_NOFOLLOW, &st);
	if (ps->fd == -ENOENT || ps->fd == -EACCES)
		return pr_err_ret(ps->fd, "%s: cannot open the pages of %s", ps->path, path);
	if (ps->fd < 0)
		return show_open_error(ps->fd, ps->path, &st);
	ps->data_start = h->has_data_start ? 0 : IMG_PAGES_HDR_SIZE;
	if (h->has_data_start && h->data_start) {
		pr_err("%s: record 1: data start %" PRIu64 ", expected 0\n", path, h->data_start);
		return -EBADMSG;
	}
	err = h->has_data_start ? 0 : img_pages_check_header(ps->fd, ps->path, &id);
	if (err < 0)
		return err;
	if (!h->has_data_start && id != h->pages_id) {
		pr_err("%s: holds pages %" PRIu64 ", %s wants %" PRIu64 "\n", ps->path, id, path,
		       h->pages_id);
		return -EBADMSG;
	}
	ps->size = (uint64_t)st.st_size;
	ps->page_size = h->page_size;
	return 0;
}

/* -c: adds the data of pagemap entry rec as "data", checking its CRC. */
static int add_page_data(struct pages_src *ps, const char *path, size_t rec, const PagemapEntry *pe,
			 json_t *e)
{
	uint64_t len = (uint64_t)pe->nr_pages * ps->page_size;
	_cleanup_free_ unsigned char *buf = NULL;
	int err;

	if (pe->offset < ps->data_start || pe->offset > ps->size || len > ps->size - pe->offset) {
		pr_err("%s: record %zu: %" PRIu64 " bytes at offset %" PRIu64
		       " lie outside the data of %s (%" PRIu64 " bytes)\n",
		       path, rec, len, pe->offset, ps->path, ps->size);
		return -EBADMSG;
	}
	buf = malloc(len ? len : 1);
	if (!buf)
		return pr_err_ret(-ENOMEM, "%s: record %zu: cannot read %" PRIu64 " bytes", path, rec, len);
	err = cr_pread_full(ps->fd, buf, len, pe->offset);
	if (err < 0)
		return pr_err_ret(err, "%s: cannot read %" PRIu64 " bytes at offset %" PRIu64, ps->path, len,
				  pe->offset);
	if (crc32c(0, buf, len) != pe->crc32c) {
		pr_err("%s: record %zu: checksum mismatch of the page data at offset %" PRIu64
		       " of %s (damaged)\n",
		       path, rec, pe->offset, ps->path);
		return -EBADMSG;
	}
	if (json_object_set_new(e, "data", json_hex(buf, len)) < 0)
		return pr_err_ret(-ENOMEM, "%s: record %zu: cannot show %" PRIu64 " bytes", path, rec, len);
	return 0;
}

/* -c on a pagemap: the head opens the pages image, each entry gets its data. */
static int add_contents(struct show_ctx *ctx, struct pages_src *ps, const char *path, size_t rec,
			const ProtobufCMessage *m, json_t *e)
{
	if (m->descriptor == &pagemap_head__descriptor && ps->fd < 0)
		return pages_src_open(ctx, ps, path, (const PagemapHead *)m);
	if (m->descriptor != &pagemap_entry__descriptor)
		return 0;
	if (ps->fd < 0) {
		pr_err("%s: record %zu: a pagemap entry before the pagemap head\n", path, rec);
		return -EBADMSG;
	}
	return add_page_data(ps, path, rec, (const PagemapEntry *)m, e);
}

/* One record: decode, convert, print. */
static int show_record(struct show_ctx *ctx, struct pages_src *ps, const char *path, size_t rec,
		       const ProtobufCMessageDescriptor *desc, const void *data, size_t len)
{
	ProtobufCMessage *m;
	json_t *e;
	int err = 0;

	if (!desc) {
		pr_err("%s: record %zu: this kind has no record schema\n", path, rec);
		return -EBADMSG;
	}
	m = protobuf_c_message_unpack(desc, NULL, len, data);
	if (!m) {
		pr_err("%s: record %zu does not decode as %s\n", path, rec, desc->name);
		return -EBADMSG;
	}
	e = show_msg_json(m);
	if (!e)
		err = pr_err_ret(-ENOMEM, "%s: record %zu: cannot convert", path, rec);
	if (!err && ctx->contents)
		err = add_contents(ctx, ps, path, rec, m, e);
	if (!err) {
		err = print_json(ctx, e, rec > 1 ? ",\n  " : "\n  ", false);
		if (err < 0)
			pr_err_ret(err, "%s: record %zu: cannot print", path, rec);
	}
	json_decref(e);
	protobuf_c_message_free_unpacked(m, NULL);
	return err;
}

static int show_records(struct show_ctx *ctx, struct img_reader *r, const char *path)
{
	const struct img_kind_info *k = img_kind_info(img_reader_kind(r));
	struct pages_src ps = {.fd = -EBADF};
	const void *data;
	size_t len, rec = 0;
	int err;

	err = print_header(ctx, path, img_reader_kind(r), img_reader_id(r));
	if (err < 0)
		return err;
	fprintf(ctx->out, ", \"records\": %zu, \"entries\": [", img_reader_count(r));
	while (img_next_record(r, &data, &len) > 0) {
		rec++;
		err = show_record(ctx, &ps, path, rec, rec == 1 && k->head ? k->head : k->desc, data, len);
		if (err < 0)
			break;
	}
	fputs(rec ? "\n]}" : "]}", ctx->out);
	if (ps.fd >= 0)
		close(ps.fd);
	return err;
}

/*
 * Shows one image file: name under dfd, called path in messages. want, if
 * set, is its inventory entry, which its header must match.
 */
static int show_file(struct show_ctx *ctx, int dfd, const char *name, const char *path,
		     const ImageFileEntry *want)
{
	_cleanup_close_ int fd = -EBADF;
	unsigned char hdr[IMG_HEADER_SIZE];
	struct img_reader *r = NULL;
	enum img_kind kind;
	struct stat st;
	uint64_t id;
	bool legacy;
	ssize_t n;
	int err;

	/*
	 * Never a FIFO (it would block) nor a device. A file of a directory
	 * is never followed as a link; a -f FILE the user named may be one.
	 */
	fd = cr_open_regular_at(dfd, name, dfd == AT_FDCWD ? 0 : O_NOFOLLOW, &st);
	if (fd < 0)
		return show_open_error(fd, path, &st);
	n = pread(fd, hdr, sizeof(hdr), 0);
	if (n < 0)
		return pr_perror_ret("%s: cannot read", path);
	if (pages_file(path, hdr, n, &id, &legacy)) {
		if (want && (want->kind != IMG_PAGES || want->id != id)) {
			pr_err("%s: the inventory lists it as kind %u id %" PRIu64 "\n", path, want->kind, want->id);
			return -EBADMSG;
		}
		return show_raw(ctx, fd, path, id, legacy);
	}
	err = img_header_check(hdr, (size_t)n, path, &kind, &id);
	if (err < 0)
		return err;
	if (want && (kind != want->kind || id != want->id)) {
		pr_err("%s: holds %s %" PRIu64 ", the inventory lists it as kind %u id %" PRIu64 "\n", path,
		       img_kind_info(kind)->name, id, want->kind, want->id);
		return -EBADMSG;
	}
	if (img_kind_info(kind)->raw) {
		pr_err("%s: a %s image under another name\n", path, img_kind_info(kind)->name);
		return -EBADMSG;
	}
	err = img_open_fd(fd, path, &r);
	if (err < 0)
		return err;
	err = show_records(ctx, r, path);
	img_close(r);
	return err;
}

static int show_single(struct show_ctx *ctx, const char *path)
{
	_cleanup_free_ char *copy = strdup(path);
	const char *dir;

	if (!copy)
		return pr_err_ret(-ENOMEM, "%s: cannot show", path);
	dir = dirname(copy);
	ctx->dir = dir;
	ctx->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ctx->dfd < 0)
		return pr_perror_ret("%s: cannot open the directory of %s", dir, path);
	return show_file(ctx, AT_FDCWD, path, path, NULL);
}

static int show_listed(struct show_ctx *ctx, const char *name, const ImageFileEntry *want)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", ctx->dir, name);
	return show_file(ctx, ctx->dfd, name, path, want);
}

static int select_img(const struct dirent *de)
{
	size_t len = strlen(de->d_name);

	return len > 4 && !strcmp(de->d_name + len - 4, ".img");
}

/* Without a usable inventory: every *.img file, in name order. */
static int show_dir_listing(struct show_ctx *ctx)
{
	struct dirent **list = NULL;
	int n = scandirat(ctx->dfd, ".", &list, select_img, alphasort);
	int err = 0;

	if (n < 0)
		return pr_perror_ret("%s: cannot list", ctx->dir);
	for (int i = 0; i < n; i++) {
		int r = show_listed(ctx, list[i]->d_name, NULL);

		if (r < 0 && !err)
			err = r;
		free(list[i]);
	}
	free(list);
	return err;
}

static int show_dir_inventory(struct show_ctx *ctx, const struct img_dir *d)
{
	const InventoryEntry *inv = img_dir_inventory(d);
	int err = show_listed(ctx, IMG_INVENTORY_NAME, NULL);

	for (size_t i = 0; i < inv->n_files; i++) {
		int r = show_listed(ctx, inv->files[i]->name, inv->files[i]);

		if (r < 0 && !err)
			err = r;
	}
	return err;
}

static int show_dir(struct show_ctx *ctx, const char *path)
{
	struct img_dir *d = NULL;
	int dfd2, err;

	ctx->dir = path;
	ctx->dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ctx->dfd < 0)
		return pr_perror_ret("%s: cannot open images directory", path);
	dfd2 = fcntl(ctx->dfd, F_DUPFD_CLOEXEC, 0);
	if (dfd2 < 0)
		return pr_perror_ret("%s: cannot open images directory", path);
	fputs("[\n", ctx->out);
	err = img_dir_open_fd(dfd2, path, false, &d);
	if (err >= 0) {
		err = show_dir_inventory(ctx, d);
		img_dir_close(d);
	} else {
		/* still show what is there, then say what is wrong with it */
		show_dir_listing(ctx);
		pr_err("%s: not a complete checkpoint (no valid inventory); showed %zu image files\n", path,
		       ctx->nr_shown);
	}
	fputs("\n]", ctx->out);
	return err;
}

int cr_show(struct cr_request *req)
{
	const struct cr_opts *o = &req->opts;
	struct show_ctx ctx = {.out = stdout, .contents = o->show_contents, .dfd = -EBADF};
	int err;

	if (o->show_file)
		err = show_single(&ctx, o->show_file);
	else if (o->images_dir)
		err = show_dir(&ctx, o->images_dir);
	else
		return pr_err_ret(-EINVAL, "give an image file (-f FILE) or an images directory (-D DIR)");
	if (ctx.nr_shown || !o->show_file)
		fputc('\n', ctx.out);
	if (ctx.dfd >= 0)
		close(ctx.dfd);
	if ((fflush(ctx.out) || ferror(ctx.out)) && err >= 0)
		err = pr_perror_ret("cannot write to stdout");
	return err;
}
