/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The image layer: record images, the inventory, pages images, CRC32C and
 * criu show's JSON conversion, including damaged and hostile input. Files are
 * written through the layer's API into a temporary directory; damaged ones
 * are made by an independent encoder of the documented format (image.h).
 */
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "image.h"
#include "images/core.pb-c.h"
#include "images/inventory.pb-c.h"
#include "images/pagemap.pb-c.h"
#include "images/tree.pb-c.h"
#include "log.h"
#include "safe_open.h"
#include "show.h"
#include "t.h"

static char tmpdir[] = "/tmp/test-image.XXXXXX";

/* ---- helpers ---- */

static const char *tpath(const char *sub)
{
	static char buf[4][512];
	static int next;
	char *p = buf[next++ % 4];

	snprintf(p, sizeof(buf[0]), "%s/%s", tmpdir, sub);
	return p;
}

static unsigned char *read_all(const char *path, size_t *ret_len)
{
	struct stat st;
	unsigned char *buf;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st) < 0)
		return NULL;
	buf = malloc((size_t)st.st_size + 1);
	if (buf && read(fd, buf, (size_t)st.st_size) != st.st_size) {
		free(buf);
		buf = NULL;
	}
	close(fd);
	*ret_len = (size_t)st.st_size;
	return buf;
}

static int write_all_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int ok;

	if (fd < 0)
		return -1;
	ok = write(fd, buf, len) == (ssize_t)len;
	close(fd);
	return ok ? 0 : -1;
}

static void *dup_buf(const void *p, size_t len)
{
	void *q = malloc(len ? len : 1);

	memcpy(q, p, len);
	return q;
}

/* Whether the first error logged since the last call mentions what. */
static int error_mentions(const char *what)
{
	const char *e = log_first_error();
	int ok = e && strstr(e, what);

	if (!ok)
		printf("    first error \"%s\" does not mention \"%s\"\n", e ? e : "(none)", what);
	log_reset_first_error();
	return ok;
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/*
 * An independent encoder of the record image format as image.h describes it:
 * header, records (length, crc32c, payload), trailer. Free the result.
 */
static unsigned char *build_image(unsigned int kind, uint64_t id, int nrec, const void *const *recs,
				  const size_t *lens, size_t *ret_len)
{
	size_t len = IMG_HEADER_SIZE + IMG_TRAILER_SIZE, pos;
	unsigned char *b;

	for (int i = 0; i < nrec; i++)
		len += 8 + lens[i];
	b = calloc(1, len);
	put32(b, IMG_MAGIC);
	b[4] = IMG_FORMAT_VERSION;
	b[6] = (unsigned char)kind;
	b[7] = (unsigned char)(kind >> 8);
	for (int i = 0; i < 8; i++)
		b[8 + i] = (unsigned char)(id >> (8 * i));
	pos = IMG_HEADER_SIZE;
	for (int i = 0; i < nrec; i++) {
		put32(b + pos, (uint32_t)lens[i]);
		put32(b + pos + 4, crc32c(0, recs[i], lens[i]));
		memcpy(b + pos + 8, recs[i], lens[i]);
		pos += 8 + lens[i];
	}
	put32(b + pos, IMG_TRAILER_MARK);
	put32(b + pos + 4, (uint32_t)nrec);
	put32(b + pos + 8, crc32c(0, b, pos));
	*ret_len = len;
	return b;
}

static int try_open_buf(const void *buf, size_t len)
{
	struct img_reader *r = NULL;
	int err = img_open_buf(dup_buf(buf, len), len, "t.img", &r);

	img_close(r);
	return err;
}

/* Writes a small pagemap image (head and three entries) through the layer. */
static int write_pagemap(struct img_dir *d, uint64_t id, int nr_entries)
{
	PagemapHead h = PAGEMAP_HEAD__INIT;
	struct img_writer *w;
	int err = img_create(d, IMG_PAGEMAP, id, &w);

	if (err < 0)
		return err;
	h.pages_id = id;
	h.page_size = 4096;
	err = img_write_msg(w, &h.base);
	for (int i = 0; i < nr_entries && err >= 0; i++) {
		PagemapEntry e = PAGEMAP_ENTRY__INIT;

		e.vaddr = 0x7f0000000000ull + 0x10000ull * (uint64_t)i;
		e.nr_pages = (uint32_t)i + 1;
		e.offset = 4096ull * (uint64_t)(i + 1);
		e.crc32c = 0x1234u * (uint32_t)i;
		e.has_flags = i == 1;
		e.flags = 5;
		err = img_write_msg(w, &e.base);
	}
	if (err < 0) {
		img_writer_abort(w);
		return err;
	}
	return img_commit(w);
}

/* A complete checkpoint directory: pagemap-1, tree (empty), inventory. */
static int make_checkpoint(const char *path)
{
	InventoryEntry inv = INVENTORY_ENTRY__INIT;
	struct img_writer *w;
	struct img_dir *d;
	int err = img_dir_open_write(path, &d);

	if (err < 0)
		return err;
	err = write_pagemap(d, 1, 3);
	if (err >= 0)
		err = img_create(d, IMG_TREE, 0, &w);
	if (err >= 0)
		err = img_commit(w);
	inv.producer = "test_image";
	if (err >= 0)
		err = img_write_inventory(d, &inv);
	img_dir_close(d);
	return err;
}

static int dir_open_read_err(const char *path)
{
	struct img_dir *d = NULL;
	int err = img_dir_open_read(path, &d);

	img_dir_close(d);
	return err;
}

/* ---- CRC32C ---- */

static uint32_t crc32c_bitwise(uint32_t crc, const unsigned char *p, size_t len)
{
	crc = ~crc;
	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78u & -(crc & 1));
	}
	return ~crc;
}

static void test_crc32c_vectors(void)
{
	unsigned char buf[32];

	CHECK_EQ_INT(crc32c(0, "123456789", 9), 0xe3069283u);
	CHECK_EQ_INT(crc32c(0, "", 0), 0);
	/* RFC 3720, B.4 */
	memset(buf, 0, sizeof(buf));
	CHECK_EQ_INT(crc32c(0, buf, sizeof(buf)), 0x8a9136aau);
	memset(buf, 0xff, sizeof(buf));
	CHECK_EQ_INT(crc32c(0, buf, sizeof(buf)), 0x62a8ab43u);
	for (int i = 0; i < 32; i++)
		buf[i] = (unsigned char)i;
	CHECK_EQ_INT(crc32c(0, buf, sizeof(buf)), 0x46dd794eu);
	for (int i = 0; i < 32; i++)
		buf[i] = (unsigned char)(31 - i);
	CHECK_EQ_INT(crc32c(0, buf, sizeof(buf)), 0x113fdb5cu);
	/* chaining: the writer checksums a file piece by piece */
	CHECK_EQ_INT(crc32c(crc32c(0, "1234", 4), "56789", 5), 0xe3069283u);
}

/* The accelerated path (on this CPU, if it has SSE4.2) against a bitwise reference. */
static void test_crc32c_agrees_with_reference(void)
{
	static unsigned char buf[70000 + 16];
	static const size_t lens[] = {0,  1,  2,  3,   7,   8,	 9,   15,   16,	  17,	31,   32,    33,
				      63, 64, 65, 100, 255, 256, 257, 1000, 4095, 4096, 4097, 65536, 70000};
	unsigned int seed = 12345;
	int bad = 0;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)rand_r(&seed);
	for (size_t l = 0; l < ARRAY_SIZE(lens); l++) {
		for (size_t a = 0; a < 16; a++) {
			uint32_t want = crc32c_bitwise(0, buf + a, lens[l]);
			uint32_t split = crc32c(crc32c(0, buf + a, lens[l] / 3), buf + a + lens[l] / 3,
						lens[l] - lens[l] / 3);

			if (crc32c(0, buf + a, lens[l]) != want || split != want) {
				if (!bad++)
					T_FAILF("length %zu at alignment %zu differs", lens[l], a);
			}
		}
	}
	for (int i = 0; i < 300; i++) {
		size_t a = (size_t)rand_r(&seed) % 16, len = (size_t)rand_r(&seed) % 5000;

		if (crc32c(0, buf + a, len) != crc32c_bitwise(0, buf + a, len) && !bad++)
			T_FAILF("random length %zu at alignment %zu differs", len, a);
	}
#if defined(__x86_64__)
	if (!bad && !__builtin_cpu_supports("sse4.2"))
		T_SKIP("no SSE4.2: only the table-driven path was compared");
#endif
}

/* ---- record images and the inventory ---- */

static void test_roundtrip(void)
{
	struct img_dir *d;
	struct img_reader *r;
	ProtobufCMessage *m;
	PagemapEntry *e;
	const void *data;
	size_t len;

	CHECK_EQ_INT(make_checkpoint(tpath("rt")), 0);
	if (img_dir_open_read(tpath("rt"), &d) < 0) {
		T_FAILF("cannot open %s", tpath("rt"));
		return;
	}
	CHECK(img_dir_has(d, IMG_PAGEMAP, 1));
	CHECK(!img_dir_has(d, IMG_PAGEMAP, 2));
	CHECK_EQ_INT(img_open(d, IMG_PAGEMAP, 2, &r), -ENOENT);
	CHECK_EQ_INT(img_open(d, IMG_PAGEMAP, 1, &r), 0);
	CHECK_EQ_INT(img_reader_count(r), 4);
	CHECK_EQ_INT(img_reader_kind(r), IMG_PAGEMAP);
	CHECK_EQ_INT(img_reader_id(r), 1);
	CHECK_EQ_INT(img_read_one(r, &pagemap_head__descriptor, &m), 0);
	CHECK_EQ_INT(((PagemapHead *)m)->pages_id, 1);
	CHECK_EQ_INT(((PagemapHead *)m)->page_size, 4096);
	protobuf_c_message_free_unpacked(m, NULL);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ_INT(img_read_msg(r, &pagemap_entry__descriptor, &m), 1);
		e = (PagemapEntry *)m;
		CHECK_EQ_INT(e->vaddr, 0x7f0000000000ull + 0x10000ull * (uint64_t)i);
		CHECK_EQ_INT(e->nr_pages, i + 1);
		CHECK_EQ_INT(e->offset, 4096 * (i + 1));
		CHECK_EQ_INT(e->crc32c, 0x1234u * (uint32_t)i);
		CHECK_EQ_INT(e->has_flags, i == 1);
		protobuf_c_message_free_unpacked(m, NULL);
	}
	CHECK_EQ_INT(img_read_msg(r, &pagemap_entry__descriptor, &m), 0);
	CHECK_EQ_INT(img_next_record(r, &data, &len), 0);
	img_close(r);
	CHECK_EQ_INT(img_open(d, IMG_TREE, 0, &r), 0);
	CHECK_EQ_INT(img_reader_count(r), 0);
	CHECK_EQ_INT(img_read_one(r, &tree_entry__descriptor, &m), -EBADMSG);
	log_reset_first_error();
	img_close(r);
	img_dir_close(d);
}

/* Raw records of any length, including empty ones, come back byte for byte. */
static void test_roundtrip_raw_records(void)
{
	static const size_t lens[] = {0, 1, 7, 4096, 100000, 0, 3};
	static unsigned char data[100000];
	struct img_writer *w;
	struct img_reader *r;
	struct img_dir *d;
	const void *p;
	size_t len;
	int fd;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7 + 3);
	CHECK_EQ_INT(img_dir_open_write(tpath("raw"), &d), 0);
	CHECK_EQ_INT(img_create(d, IMG_FILES, 0, &w), 0);
	for (size_t i = 0; i < ARRAY_SIZE(lens); i++)
		CHECK_EQ_INT(img_write_record(w, data, lens[i]), 0);
	CHECK_EQ_INT(img_commit(w), 0);
	img_dir_close(d);
	fd = open(tpath("raw/files.img"), O_RDONLY | O_CLOEXEC);
	CHECK_EQ_INT(img_open_fd(fd, "files.img", &r), 0);
	close(fd);
	CHECK_EQ_INT(img_reader_count(r), ARRAY_SIZE(lens));
	for (size_t i = 0; i < ARRAY_SIZE(lens); i++) {
		CHECK_EQ_INT(img_next_record(r, &p, &len), 1);
		CHECK_EQ_INT(len, lens[i]);
		CHECK(!memcmp(p, data, len));
	}
	CHECK_EQ_INT(img_next_record(r, &p, &len), 0);
	img_close(r);
}

/* What the layer writes is exactly what the documented format says. */
static void test_writer_matches_format(void)
{
	PagemapHead h = PAGEMAP_HEAD__INIT;
	unsigned char packed[64], *want, *got;
	const void *recs[1] = {packed};
	size_t lens[1], want_len, got_len;

	CHECK_EQ_INT(make_checkpoint(tpath("fmt")), 0);
	h.pages_id = 1;
	h.page_size = 4096;
	lens[0] = pagemap_head__pack(&h, packed);
	want = build_image(IMG_PAGEMAP, 1, 1, recs, lens, &want_len);
	got = read_all(tpath("fmt/pagemap-1.img"), &got_len);
	CHECK(got != NULL);
	/* the first record: header and record 1 are byte-identical */
	CHECK(got && got_len > want_len - IMG_TRAILER_SIZE &&
	      !memcmp(got, want, want_len - IMG_TRAILER_SIZE));
	free(want);
	free(got);
}

static void test_inventory_lists_files(void)
{
	const InventoryEntry *inv;
	struct img_dir *d;
	struct stat st;

	CHECK_EQ_INT(make_checkpoint(tpath("inv")), 0);
	CHECK_EQ_INT(access(tpath("inv/inventory.img.tmp"), F_OK), -1);
	if (img_dir_open_read(tpath("inv"), &d) < 0) {
		T_FAILF("cannot open %s", tpath("inv"));
		return;
	}
	inv = img_dir_inventory(d);
	CHECK_EQ_INT(inv->format_version, IMG_FORMAT_VERSION);
	CHECK_EQ_STR(inv->producer, "test_image");
	CHECK_EQ_INT(inv->n_files, 2);
	if (inv->n_files == 2) {
		CHECK_EQ_STR(inv->files[0]->name, "pagemap-1.img");
		CHECK_EQ_INT(inv->files[0]->kind, IMG_PAGEMAP);
		CHECK_EQ_INT(inv->files[0]->id, 1);
		CHECK_EQ_INT(stat(tpath("inv/pagemap-1.img"), &st), 0);
		CHECK_EQ_INT(inv->files[0]->size, st.st_size);
		CHECK_EQ_STR(inv->files[1]->name, "tree.img");
		CHECK_EQ_INT(inv->files[1]->size, IMG_HEADER_SIZE + IMG_TRAILER_SIZE);
	}
	img_dir_close(d);
}

static void test_dir_without_inventory(void)
{
	CHECK_EQ_INT(make_checkpoint(tpath("noinv")), 0);
	CHECK_EQ_INT(unlink(tpath("noinv/inventory.img")), 0);
	CHECK_EQ_INT(dir_open_read_err(tpath("noinv")), -ENOENT);
	CHECK(error_mentions("not a complete checkpoint"));
	CHECK(dir_open_read_err(tpath("does-not-exist")) < 0);
	log_reset_first_error();
}

static void test_open_write_removes_inventory(void)
{
	struct img_dir *d;

	CHECK_EQ_INT(make_checkpoint(tpath("rewrite")), 0);
	CHECK_EQ_INT(dir_open_read_err(tpath("rewrite")), 0);
	CHECK_EQ_INT(img_dir_open_write(tpath("rewrite"), &d), 0);
	CHECK_EQ_INT(access(tpath("rewrite/inventory.img"), F_OK), -1);
	img_dir_close(d);
	CHECK_EQ_INT(dir_open_read_err(tpath("rewrite")), -ENOENT);
	log_reset_first_error();
}

static void test_listed_file_missing_or_resized(void)
{
	static const char pad[1] = {0};
	int fd;

	CHECK_EQ_INT(make_checkpoint(tpath("miss")), 0);
	CHECK_EQ_INT(unlink(tpath("miss/pagemap-1.img")), 0);
	CHECK(dir_open_read_err(tpath("miss")) < 0);
	CHECK(error_mentions("pagemap-1.img"));

	CHECK_EQ_INT(make_checkpoint(tpath("grown")), 0);
	fd = open(tpath("grown/tree.img"), O_WRONLY | O_APPEND);
	CHECK(write(fd, pad, 1) == 1);
	close(fd);
	CHECK_EQ_INT(dir_open_read_err(tpath("grown")), -EBADMSG);
	CHECK(error_mentions("tree.img"));

	CHECK_EQ_INT(make_checkpoint(tpath("shrunk")), 0);
	CHECK_EQ_INT(truncate(tpath("shrunk/pagemap-1.img"), 20), 0);
	CHECK_EQ_INT(dir_open_read_err(tpath("shrunk")), -EBADMSG);
	CHECK(error_mentions("pagemap-1.img"));
}

/* Writes an inventory listing (name, kind, id, size) entries into dir. */
static void write_inventory(const char *dir, int n, const char *const *names, const unsigned int *kinds,
			    uint64_t size)
{
	InventoryEntry inv = INVENTORY_ENTRY__INIT;
	ImageFileEntry files[8], *ptrs[8];
	unsigned char *img, *packed;
	const void *recs[1];
	size_t lens[1], len;
	char path[512];

	for (int i = 0; i < n; i++) {
		image_file_entry__init(&files[i]);
		files[i].name = (char *)names[i];
		files[i].kind = kinds[i];
		files[i].size = size;
		ptrs[i] = &files[i];
	}
	inv.format_version = IMG_FORMAT_VERSION;
	inv.producer = "hostile";
	inv.n_files = (size_t)n;
	inv.files = ptrs;
	packed = malloc(inventory_entry__get_packed_size(&inv));
	lens[0] = inventory_entry__pack(&inv, packed);
	recs[0] = packed;
	img = build_image(IMG_INVENTORY, 0, 1, recs, lens, &len);
	snprintf(path, sizeof(path), "%s/%s", dir, IMG_INVENTORY_NAME);
	CHECK_EQ_INT(write_all_file(path, img, len), 0);
	free(img);
	free(packed);
}

static void test_hostile_inventory(void)
{
	static const struct {
		const char *names[2];
		unsigned int kinds[2];
		int n;
		const char *msg;
	} cases[] = {
		{{"../tree.img"}, {IMG_TREE}, 1, "../tree.img"},
		{{"sub/tree.img"}, {IMG_TREE}, 1, "sub/tree.img"},
		{{"/tmp/tree.img"}, {IMG_TREE}, 1, "/tmp/tree.img"},
		{{".."}, {IMG_TREE}, 1, "\"..\""},
		{{"tree.img", "tree.img"}, {IMG_TREE, IMG_TREE}, 2, "twice"},
		{{"unknown-99-0.img"}, {99}, 1, "unknown-99-0.img"},
		{{"inventory.img"}, {IMG_INVENTORY}, 1, "inventory.img"},
		{{"tree.img"}, {IMG_PAGEMAP}, 1, "tree.img"},
	};
	const char *dir = tpath("hostile");
	char sub[512];

	CHECK_EQ_INT(make_checkpoint(dir), 0);
	CHECK_EQ_INT(mkdir(tpath("hostile/sub"), 0700), 0);
	snprintf(sub, sizeof(sub), "%s/sub/tree.img", dir);
	CHECK_EQ_INT(link(tpath("hostile/tree.img"), sub), 0);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		write_inventory(dir, cases[i].n, cases[i].names, cases[i].kinds,
				IMG_HEADER_SIZE + IMG_TRAILER_SIZE);
		if (dir_open_read_err(dir) != -EBADMSG)
			T_FAILF("inventory case %zu (%s) accepted", i, cases[i].names[0]);
		CHECK(error_mentions(cases[i].msg));
	}
	/* the same file listed properly is accepted: the cases fail for their reason */
	write_inventory(dir, 1, cases[4].names, cases[4].kinds, IMG_HEADER_SIZE + IMG_TRAILER_SIZE);
	CHECK_EQ_INT(dir_open_read_err(dir), 0);
}

/* ---- damaged images ---- */

static unsigned char *small_image(size_t *ret_len)
{
	CHECK_EQ_INT(make_checkpoint(tpath("small")), 0);
	return read_all(tpath("small/pagemap-1.img"), ret_len);
}

static void test_truncation_every_offset(void)
{
	size_t len, missed = 0;
	unsigned char *img = small_image(&len);

	if (!img) {
		T_FAILF("no image");
		return;
	}
	CHECK(len > 60);
	CHECK_EQ_INT(try_open_buf(img, len), 0);
	for (size_t cut = 0; cut < len; cut++) {
		if (try_open_buf(img, cut) != -EBADMSG && !missed++)
			T_FAILF("truncation to %zu of %zu bytes not detected", cut, len);
	}
	log_reset_first_error();
	free(img);
}

static void test_bitflip_every_byte(void)
{
	size_t len, missed = 0;
	unsigned char *img = small_image(&len);

	if (!img) {
		T_FAILF("no image");
		return;
	}
	for (size_t i = 0; i < len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			img[i] ^= (unsigned char)(1u << bit);
			if (try_open_buf(img, len) != -EBADMSG && !missed++)
				T_FAILF("flip of bit %d of byte %zu not detected", bit, i);
			img[i] ^= (unsigned char)(1u << bit);
		}
	}
	log_reset_first_error();
	/* a stray byte after the trailer */
	img = realloc(img, len + 1);
	img[len] = 0;
	CHECK_EQ_INT(try_open_buf(img, len + 1), -EBADMSG);
	CHECK(error_mentions("stray"));
	free(img);
}

static void test_absurd_record_lengths(void)
{
	static const uint32_t bad[] = {0xfffffff0u, IMG_RECORD_MAX + 1, IMG_RECORD_MAX, 0x7fffffffu, 1000};
	const void *recs[1] = {"abcd"};
	size_t lens[1] = {4}, len;
	unsigned char *img = build_image(IMG_TREE, 0, 1, recs, lens, &len);
	struct img_writer *w;
	struct img_dir *d;

	CHECK_EQ_INT(try_open_buf(img, len), 0);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		put32(img + IMG_HEADER_SIZE, bad[i]);
		if (try_open_buf(img, len) != -EBADMSG)
			T_FAILF("record length 0x%x accepted", bad[i]);
		CHECK(error_mentions("record 1"));
	}
	free(img);
	/* the writer refuses them too, before touching the data */
	CHECK_EQ_INT(img_dir_open_write(tpath("big"), &d), 0);
	CHECK_EQ_INT(img_create(d, IMG_TREE, 0, &w), 0);
	CHECK_EQ_INT(img_write_record(w, "", (size_t)IMG_RECORD_MAX + 1), -EFBIG);
	img_writer_abort(w);
	CHECK_EQ_INT(access(tpath("big/tree.img"), F_OK), -1);
	img_dir_close(d);
	log_reset_first_error();
}

static void test_wrong_magic_version_kind(void)
{
	size_t len;
	unsigned char *img = build_image(IMG_TREE, 0, 0, NULL, NULL, &len);

	CHECK_EQ_INT(try_open_buf(img, len), 0);
	img[0] ^= 1;
	CHECK_EQ_INT(try_open_buf(img, len), -EBADMSG);
	CHECK(error_mentions("not an image"));
	img[0] ^= 1;
	img[4] = 1;
	CHECK_EQ_INT(try_open_buf(img, len), -EBADMSG);
	CHECK(error_mentions("version 1"));
	img[4] = 3;
	CHECK_EQ_INT(try_open_buf(img, len), -EBADMSG);
	CHECK(error_mentions("version 3"));
	free(img);
	img = build_image(IMG_KIND_MAX + 5, 0, 0, NULL, NULL, &len);
	CHECK_EQ_INT(try_open_buf(img, len), -EBADMSG);
	CHECK(error_mentions("unknown image kind"));
	free(img);
	img = build_image(IMG_PAGES, 0, 0, NULL, NULL, &len);
	CHECK_EQ_INT(try_open_buf(img, len), -EBADMSG);
	CHECK(error_mentions("raw"));
	free(img);
	CHECK_EQ_INT(try_open_buf("", 0), -EBADMSG);
	CHECK(error_mentions("shorter than a header"));
}

/* A file whose name says pagemap 1 but whose header says pagemap 2. */
static void test_header_disagrees_with_name(void)
{
	struct img_reader *r = NULL;
	struct img_dir *d;
	unsigned char *img;
	size_t len;

	CHECK_EQ_INT(make_checkpoint(tpath("swap")), 0);
	img = read_all(tpath("swap/pagemap-1.img"), &len);
	CHECK_EQ_INT(try_open_buf(img, len), 0);
	img[8] = 2; /* id, and so the file checksum: rebuild it with the right one */
	put32(img + len - 4, crc32c(0, img, len - IMG_TRAILER_SIZE));
	CHECK_EQ_INT(try_open_buf(img, len), 0);
	CHECK_EQ_INT(write_all_file(tpath("swap/pagemap-1.img"), img, len), 0);
	CHECK_EQ_INT(img_dir_open_read(tpath("swap"), &d), 0);
	CHECK_EQ_INT(img_open(d, IMG_PAGEMAP, 1, &r), -EBADMSG);
	CHECK(error_mentions("pagemap-1.img"));
	img_dir_close(d);
	free(img);
}

/* ---- pages images ---- */

/*
 * After the runs of test_pages_append: an empty run, and a run of 100 pieces
 * (more than one pwritev) with empty ones among them. Returns 0 or -1.
 */
static int pages_append_odd(struct img_pages_writer *w)
{
	static unsigned char piece[37];
	struct iovec v[100];
	uint64_t off, off2;
	uint32_t crc, want = 0;

	if (img_pages_append(w, &(struct iovec){piece, 0}, 1, &off, &crc) < 0 || off != 20480 || crc != 0)
		return -1;
	memset(piece, 'p', sizeof(piece));
	for (int i = 0; i < 100; i++) {
		v[i].iov_base = piece;
		v[i].iov_len = i % 10 == 3 ? 0 : (size_t)i % sizeof(piece);
		want = crc32c(want, piece, v[i].iov_len);
	}
	if (img_pages_append(w, v, 100, &off2, &crc) < 0 || off2 != off || crc != want)
		return -1;
	return 0;
}

static void test_pages_append(void)
{
	static unsigned char a[8192 + 5], b[100];
	struct iovec runs[3][2] = {
		{{a, 4096}},
		{{b, sizeof(b)}},
		{{a, 8192}, {a + 8192, 5}},
	};
	static const int cnt[3] = {1, 1, 2};
	static const uint64_t want_off[3] = {0, 4096, 8192};
	uint64_t off[3];
	uint32_t crc[3];
	struct img_pages_writer *w;
	struct img_dir *d;
	struct stat st;

	for (size_t i = 0; i < sizeof(a); i++)
		a[i] = (unsigned char)(i * 13);
	memset(b, 'b', sizeof(b));
	CHECK_EQ_INT(img_dir_open_write(tpath("pages"), &d), 0);
	CHECK_EQ_INT(img_pages_create(d, 9, &w), 0);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ_INT(img_pages_append(w, runs[i], cnt[i], &off[i], &crc[i]), 0);
		CHECK_EQ_INT(off[i], want_off[i]);
		CHECK_EQ_INT(off[i] % 4096, 0);
	}
	CHECK_EQ_INT(crc[0], crc32c(0, a, 4096));
	CHECK_EQ_INT(pages_append_odd(w), 0);
	CHECK_EQ_INT(crc[1], crc32c(0, b, sizeof(b)));
	CHECK_EQ_INT(crc[2], crc32c(0, a, sizeof(a)));
	CHECK_EQ_INT(img_pages_commit(w), 0);
	CHECK_EQ_INT(img_write_inventory(d, &(InventoryEntry)INVENTORY_ENTRY__INIT), 0);
	img_dir_close(d);
	CHECK_EQ_INT(stat(tpath("pages/pages-9.img"), &st), 0);
	CHECK_EQ_INT(st.st_size, 20480 + 4096); /* page data only, no header: the runs, then the odd pieces */
}

static void test_pages_read_back(void)
{
	unsigned char buf[8197], want[8197];
	struct img_dir *d;
	uint64_t id;
	int fd = -1;

	for (size_t i = 0; i < sizeof(want); i++)
		want[i] = (unsigned char)(i * 13);
	if (img_dir_open_read(tpath("pages"), &d) < 0) {
		T_FAILF("cannot open %s", tpath("pages"));
		return;
	}
	CHECK_EQ_INT(img_pages_open(d, 8, false, &fd), -ENOENT);
	CHECK_EQ_INT(img_pages_open(d, 9, false, &fd), 0);
	CHECK(pread(fd, buf, sizeof(buf), 8192) == (ssize_t)sizeof(buf));
	CHECK(!memcmp(buf, want, sizeof(want)));
	CHECK(pread(fd, buf, 100, 4096) == 100);
	CHECK(buf[0] == 'b' && buf[99] == 'b');
	close(fd);
	/* page data is not a header: opened as an older image, it is refused */
	CHECK_EQ_INT(img_pages_open(d, 9, true, &fd), -EBADMSG);
	CHECK(error_mentions("pages-9.img: not an image"));
	(void)id;
	img_dir_close(d);
}

static void test_pages_header_check(void)
{
	/* an older pages image: the 16-byte header of kind 3 (pages), id 9, padded to 4096 bytes */
	unsigned char hdr[IMG_PAGES_HDR_SIZE] = {0};
	uint32_t magic = IMG_MAGIC, fmt = IMG_FORMAT_VERSION, kind = 3;
	uint64_t id = 9;
	int fd = open(tpath("pages/pages-old.img"), O_RDWR | O_CREAT | O_TRUNC, 0600);

	memcpy(hdr, &magic, 4);
	memcpy(hdr + 4, &fmt, 2);
	memcpy(hdr + 6, &kind, 2);
	memcpy(hdr + 8, &id, 8);
	CHECK(fd >= 0);
	CHECK(pwrite(fd, hdr, sizeof(hdr), 0) == sizeof(hdr));
	id = 0;
	CHECK_EQ_INT(img_pages_check_header(fd, "pages-old.img", &id), 0);
	CHECK_EQ_INT(id, 9);
	hdr[1] ^= 0x40;
	CHECK(pwrite(fd, hdr, sizeof(hdr), 0) == sizeof(hdr));
	CHECK_EQ_INT(img_pages_check_header(fd, "pages-old.img", &id), -EBADMSG);
	CHECK(error_mentions("pages-old.img"));
	close(fd);
	/* a record image is not a pages image, and an empty file is nothing */
	CHECK_EQ_INT(make_checkpoint(tpath("pages2")), 0);
	fd = open(tpath("pages2/tree.img"), O_RDONLY);
	CHECK_EQ_INT(img_pages_check_header(fd, "tree.img", &id), -EBADMSG);
	CHECK(error_mentions("not a pages image"));
	close(fd);
	CHECK_EQ_INT(write_all_file(tpath("pages2/empty"), "", 0), 0);
	fd = open(tpath("pages2/empty"), O_RDONLY);
	CHECK_EQ_INT(img_pages_check_header(fd, "empty", &id), -EBADMSG);
	CHECK(error_mentions("shorter than a header"));
	close(fd);
}

/* ---- criu show's conversion ---- */

static char *record_text(const ProtobufCMessage *m)
{
	size_t len = protobuf_c_message_get_packed_size(m);
	unsigned char *buf = malloc(len + 1);
	json_t *j = NULL;
	char *s = NULL;

	protobuf_c_message_pack(m, buf);
	if (show_record_json(m->descriptor, buf, len, &j) == 0)
		s = show_json_text(j);
	json_decref(j);
	free(buf);
	return s;
}

static void test_show_json(void)
{
	RlimitEntry rl = RLIMIT_ENTRY__INIT, *rls[1] = {&rl};
	CredsEntry cr = CREDS_ENTRY__INIT;
	TaskCore tc = TASK_CORE__INIT;
	uint32_t groups[2] = {10, 20};
	char *s;

	cr.n_groups = 2;
	cr.groups = groups;
	cr.cap_eff = 0x1ffffffffffull;
	rl.cur = rl.max = UINT64_MAX;
	tc.pid = 42;
	tc.state = TASK_STATE__TASK_ZOMBIE;
	tc.comm = "caf\xe9";
	tc.creds = &cr;
	tc.n_rlimits = 1;
	tc.rlimits = rls;
	tc.has_exit_code = 1;
	tc.exit_code = -1;
	s = record_text(&tc.base);
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK(strstr(s, "\"pid\": 42,"));
	CHECK(strstr(s, "\"state\": \"TASK_ZOMBIE\""));
	CHECK(strstr(s, "\"exit_code\": -1"));
	CHECK(strstr(s, "\"comm\": \"caf\\\\xe9\""));
	CHECK(strstr(s, "\"groups\": [10, 20]"));
	CHECK(strstr(s, "\"cap_eff\": 2199023255551"));
	CHECK(strstr(s, "\"cur\": 18446744073709551615, \"max\": 18446744073709551615"));
	CHECK(!strstr(s, "cwd"));	 /* optional, absent */
	CHECK(!strstr(s, "sigactions")); /* repeated, empty */
	if (t_failed_here)
		printf("    got %s\n", s);
	free(s);
}

static void test_show_json_bytes_and_garbage(void)
{
	ThreadCore th = THREAD_CORE__INIT;
	X86Gpregs regs = X86_GPREGS__INIT;
	unsigned char x[3] = {0x00, 0xab, 0xff};
	json_t *j = NULL;
	char *s;

	th.regs = &regs;
	th.has_xsave = 1;
	th.xsave.data = x;
	th.xsave.len = sizeof(x);
	s = record_text(&th.base);
	CHECK(s && strstr(s, "\"xsave\": \"00abff\""));
	CHECK(s && strstr(s, "\"regs\": {\"r15\": 0,"));
	free(s);
	CHECK_EQ_INT(show_record_json(&task_core__descriptor, "\xff\xff\xff", 3, &j), -EBADMSG);
	CHECK_EQ_INT(show_record_json(&task_core__descriptor, "", 0, &j), -EBADMSG); /* required fields */
	CHECK(j == NULL);
}

/* ---- planted links and FIFOs (issue 12): cr_create_at, cr_open_regular_at, the image layer ---- */

static const char victim_text[] = "victim: must never change\n";

/* A fresh directory with mode; its O_PATH-free fd. */
static int make_dir(const char *sub, mode_t mode)
{
	mkdir(tpath(sub), 0700);
	chmod(tpath(sub), mode);
	return open(tpath(sub), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* A victim file outside the planted directories, with known contents; its path goes to buf. */
static const char *make_victim(const char *name, char *buf, size_t size)
{
	snprintf(buf, size, "%s", tpath(name));
	write_all_file(buf, victim_text, strlen(victim_text));
	return buf;
}

static int victim_intact(const char *path)
{
	size_t len = 0;
	_cleanup_free_ unsigned char *b = read_all(path, &len);
	int ok = b && len == strlen(victim_text) && !memcmp(b, victim_text, len);

	if (!ok)
		printf("    victim %s was changed (%zu bytes)\n", path, len);
	return ok;
}

static int is_regular_nolink(int dfd, const char *name)
{
	struct stat st;

	return fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

static int write_str(int fd, const char *s)
{
	return write(fd, s, strlen(s)) == (ssize_t)strlen(s) ? 0 : -1;
}

static void test_create_planted_symlink(void)
{
	_cleanup_close_ int shared = make_dir("plant-sym", 0777), own = make_dir("own-sym", 0700);
	char vbuf[512];
	const char *victim = make_victim("victim-sym", vbuf, sizeof(vbuf));
	char why[160];
	int fd;

	/* in a directory others may write to: the link is removed, never followed */
	CHECK_EQ_INT(symlinkat(victim, shared, "x.log"), 0);
	CHECK_EQ_INT(cr_dir_shared(shared, NULL, 0), 1);
	fd = cr_create_at(shared, "x.log", O_WRONLY | O_TRUNC, 0600);
	CHECK(fd >= 0);
	CHECK_EQ_INT(write_str(fd, "mine\n"), 0);
	close(fd);
	CHECK(victim_intact(victim));
	CHECK(is_regular_nolink(shared, "x.log"));
	/* appending (a service's log) does not follow one either */
	CHECK_EQ_INT(symlinkat(victim, shared, "svc.log"), 0);
	fd = cr_create_at(shared, "svc.log", O_WRONLY | O_APPEND, 0600);
	CHECK(fd >= 0);
	CHECK_EQ_INT(write_str(fd, "mine\n"), 0);
	close(fd);
	CHECK(victim_intact(victim));
	CHECK(is_regular_nolink(shared, "svc.log"));
	/* through a path with a directory part, relative to the fd */
	CHECK_EQ_INT(symlinkat(victim, shared, "p"), 0);
	fd = cr_create_at(AT_FDCWD, tpath("plant-sym/p"), O_WRONLY | O_TRUNC, 0600);
	CHECK(fd >= 0);
	close(fd);
	CHECK(victim_intact(victim));

	/* in our own directory someone trusted put it: neither followed nor removed */
	CHECK_EQ_INT(cr_dir_shared(own, NULL, 0), 0);
	CHECK_EQ_INT(symlinkat(victim, own, "x.log"), 0);
	fd = cr_create_at(own, "x.log", O_WRONLY | O_TRUNC, 0600);
	CHECK_EQ_INT(fd, -ELOOP);
	CHECK(strstr(cr_create_strerror(fd, own, "x.log", why, sizeof(why)), "symbolic link is in the way"));
	CHECK(victim_intact(victim));
	CHECK_EQ_INT(faccessat(own, "x.log", F_OK, AT_SYMLINK_NOFOLLOW), 0);
}

static void test_create_and_open_planted_fifo(void)
{
	_cleanup_close_ int dfd = make_dir("plant-fifo", 0777);
	struct stat st;
	char why[160];
	int fd;

	alarm(20); /* a blocking open would hang here: die loudly instead */
	CHECK_EQ_INT(mkfifoat(dfd, "core-1.img", 0666), 0);
	CHECK_EQ_INT(symlinkat(tpath("plant-fifo/core-1.img"), dfd, "link.img"), 0);
	fd = cr_create_at(dfd, "core-1.img", O_WRONLY | O_TRUNC, 0600);
	CHECK_EQ_INT(fd, -EEXIST);
	CHECK(strstr(cr_create_strerror(fd, dfd, "core-1.img", why, sizeof(why)), "fifo is in the way"));

	fd = cr_open_regular_at(dfd, "core-1.img", O_NOFOLLOW, &st);
	CHECK_EQ_INT(fd, -EINVAL);
	CHECK(S_ISFIFO(st.st_mode));
	fd = cr_open_regular_at(dfd, "link.img", O_NOFOLLOW, &st);
	CHECK_EQ_INT(fd, -ELOOP);
	CHECK(S_ISLNK(st.st_mode));
	/* followed on purpose (show -f): still refused, still not blocking */
	fd = cr_open_regular_at(dfd, "link.img", 0, &st);
	CHECK_EQ_INT(fd, -EINVAL);
	CHECK(S_ISFIFO(st.st_mode));
	CHECK_EQ_STR(cr_file_type_name(st.st_mode), "fifo");
	/* a character device is never opened for reading an image */
	fd = cr_open_regular_at(AT_FDCWD, "/dev/null", 0, &st);
	CHECK_EQ_INT(fd, -EINVAL);
	alarm(0);
}

static void test_create_planted_hard_link(void)
{
	_cleanup_close_ int dfd = make_dir("plant-hard", 0777);
	char vbuf[512];
	const char *victim = make_victim("victim-hard", vbuf, sizeof(vbuf));
	struct stat st;
	int fd;

	CHECK_EQ_INT(linkat(AT_FDCWD, victim, dfd, "core-1.img", 0), 0);
	fd = cr_create_at(dfd, "core-1.img", O_WRONLY | O_TRUNC, 0600);
	CHECK(fd >= 0);
	CHECK_EQ_INT(write_str(fd, "image\n"), 0);
	close(fd);
	CHECK(victim_intact(victim));
	CHECK_EQ_INT(stat(victim, &st), 0);
	CHECK_EQ_INT(st.st_nlink, 1); /* only the planted name went */

	/* appending to a file with another link is not appending to our own log */
	CHECK_EQ_INT(linkat(AT_FDCWD, victim, dfd, "svc.log", 0), 0);
	fd = cr_create_at(dfd, "svc.log", O_WRONLY | O_APPEND, 0600);
	CHECK(fd >= 0);
	CHECK_EQ_INT(write_str(fd, "log\n"), 0);
	close(fd);
	CHECK(victim_intact(victim));
}

static void test_create_appends_to_own_file(void)
{
	_cleanup_close_ int dfd = make_dir("own-append", 0700);
	_cleanup_free_ unsigned char *b = NULL;
	size_t len = 0;
	int fd;

	write_all_file(tpath("own-append/svc.log"), "old\n", 4);
	fd = cr_create_at(dfd, "svc.log", O_WRONLY | O_APPEND, 0600);
	CHECK(fd >= 0);
	CHECK_EQ_INT(write_str(fd, "new\n"), 0);
	close(fd);
	b = read_all(tpath("own-append/svc.log"), &len);
	CHECK(b && len == 8 && !memcmp(b, "old\nnew\n", 8));
	/* a character device the caller names in a trusted directory: -o /dev/null */
	fd = cr_create_at(AT_FDCWD, "/dev/null", O_WRONLY | O_TRUNC | O_APPEND, 0600);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	CHECK_EQ_INT(access("/dev/null", F_OK), 0);
}

static void test_dir_shared_by_owner_and_mode(void)
{
	_cleanup_close_ int dfd = make_dir("shared-owner", 0755), sticky = make_dir("shared-sticky", 01777);
	char who[64] = "";

	CHECK_EQ_INT(cr_dir_shared(dfd, who, sizeof(who)), 0);
	/* the sticky bit does not stop anyone from planting a name first */
	CHECK_EQ_INT(cr_dir_shared(sticky, who, sizeof(who)), 1);
	CHECK(strstr(who, "everyone") != NULL);
	if (geteuid() != 0) {
		T_SKIP("the owner cases need root (chown, setfsuid)");
		return;
	}
	CHECK_EQ_INT(fchown(dfd, 65534, 65534), 0);
	CHECK_EQ_INT(cr_dir_shared(dfd, who, sizeof(who)), 1);
	CHECK_EQ_STR(who, "its owner uid 65534");
	/* a service job running with the client's fs ids: the client's own dir is not shared */
	setfsuid(65534);
	CHECK_EQ_INT(cr_dir_shared(dfd, NULL, 0), 0);
	setfsuid(0);
	CHECK_EQ_INT(cr_dir_shared(dfd, NULL, 0), 1);
}

static void test_create_in_dir_we_cannot_write(void)
{
	_cleanup_close_ int dfd = make_dir("ro-dir", 0755);
	_cleanup_free_ unsigned char *b = NULL;
	size_t len = 0;
	int fd;

	if (geteuid() != 0) {
		T_SKIP("needs root (chown, setfsuid)");
		return;
	}
	write_all_file(tpath("ro-dir/own.log"), "old contents\n", 13);
	write_all_file(tpath("ro-dir/root.log"), "root's\n", 7);
	CHECK_EQ_INT(fchownat(dfd, "own.log", 65534, 65534, 0), 0);
	setfsuid(65534); /* drops the fs capabilities: the directory is not ours to write */
	fd = cr_create_at(dfd, "own.log", O_WRONLY | O_TRUNC, 0600);
	CHECK(fd >= 0);
	if (fd >= 0) {
		CHECK_EQ_INT(write_str(fd, "new\n"), 0);
		close(fd);
	}
	CHECK_EQ_INT(cr_create_at(dfd, "root.log", O_WRONLY | O_TRUNC, 0600), -EACCES);
	setfsuid(0);
	b = read_all(tpath("ro-dir/own.log"), &len);
	CHECK(b && len == 4 && !memcmp(b, "new\n", 4));
}

static void test_image_dir_planted_links(void)
{
	InventoryEntry inv = INVENTORY_ENTRY__INIT;
	char vbuf[512];
	const char *victim = make_victim("victim-img", vbuf, sizeof(vbuf));
	_cleanup_close_ int dfd = make_dir("plant-img", 0777);
	struct img_writer *w = NULL;
	struct img_dir *d = NULL;

	CHECK_EQ_INT(symlinkat(victim, dfd, "tree.img"), 0);
	CHECK_EQ_INT(symlinkat(victim, dfd, "inventory.img.tmp"), 0);
	CHECK_EQ_INT(symlinkat(victim, dfd, "inventory.img"), 0);
	CHECK_EQ_INT(linkat(AT_FDCWD, victim, dfd, "pagemap-1.img", 0), 0);
	CHECK_EQ_INT(img_dir_open_write(tpath("plant-img"), &d), 0);
	if (!d)
		return;
	CHECK_EQ_INT(write_pagemap(d, 1, 3), 0);
	CHECK_EQ_INT(img_create(d, IMG_TREE, 0, &w), 0);
	if (w)
		CHECK_EQ_INT(img_commit(w), 0);
	CHECK_EQ_INT(img_write_inventory(d, &inv), 0);
	img_dir_close(d);
	CHECK(victim_intact(victim));
	CHECK(is_regular_nolink(dfd, "inventory.img"));
	CHECK(is_regular_nolink(dfd, "tree.img"));
	CHECK_EQ_INT(dir_open_read_err(tpath("plant-img")), 0);
	log_reset_first_error();
}

static void test_image_dir_inventory_fifo(void)
{
	_cleanup_close_ int dfd = -EBADF;

	alarm(20);
	CHECK_EQ_INT(make_checkpoint(tpath("inv-fifo")), 0);
	dfd = open(tpath("inv-fifo"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK_EQ_INT(unlinkat(dfd, "inventory.img", 0), 0);
	CHECK_EQ_INT(mkfifoat(dfd, "inventory.img", 0600), 0);
	CHECK_EQ_INT(dir_open_read_err(tpath("inv-fifo")), -EBADMSG);
	CHECK(error_mentions("inventory.img: not a regular file (fifo)"));

	/* a symlink to a FIFO outside */
	CHECK_EQ_INT(unlinkat(dfd, "inventory.img", 0), 0);
	CHECK_EQ_INT(mkfifo(tpath("outside.fifo"), 0600), 0);
	CHECK_EQ_INT(symlinkat(tpath("outside.fifo"), dfd, "inventory.img"), 0);
	CHECK_EQ_INT(dir_open_read_err(tpath("inv-fifo")), -EBADMSG);
	CHECK(error_mentions("inventory.img: not a regular file (symbolic link)"));

	/* a listed image replaced by a FIFO after the inventory check: refused when opened */
	CHECK_EQ_INT(make_checkpoint(tpath("img-fifo")), 0);
	{
		struct img_reader *r = NULL;
		struct img_dir *d = NULL;

		CHECK_EQ_INT(img_dir_open_read(tpath("img-fifo"), &d), 0);
		CHECK_EQ_INT(unlink(tpath("img-fifo/tree.img")), 0);
		CHECK_EQ_INT(mkfifo(tpath("img-fifo/tree.img"), 0600), 0);
		if (d)
			CHECK_EQ_INT(img_open(d, IMG_TREE, 0, &r), -EBADMSG);
		CHECK(error_mentions("tree.img: not a regular file (fifo)"));
		img_close(r);
		img_dir_close(d);
	}
	/* a listed image that is a link when the directory is opened: refused by name */
	CHECK_EQ_INT(make_checkpoint(tpath("img-link")), 0);
	CHECK_EQ_INT(unlink(tpath("img-link/tree.img")), 0);
	CHECK_EQ_INT(symlink(tpath("outside.fifo"), tpath("img-link/tree.img")), 0);
	CHECK_EQ_INT(dir_open_read_err(tpath("img-link")), -EBADMSG);
	CHECK(error_mentions("tree.img: not a regular file (symbolic link)"));
	alarm(0);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	log_set_level(0); /* the errors are expected; their text is checked */
	t_run("crc32c_vectors", test_crc32c_vectors);
	t_run("crc32c_agrees_with_reference", test_crc32c_agrees_with_reference);
	t_run("image_roundtrip", test_roundtrip);
	t_run("image_roundtrip_raw_records", test_roundtrip_raw_records);
	t_run("image_writer_matches_format", test_writer_matches_format);
	t_run("image_inventory_lists_files", test_inventory_lists_files);
	t_run("image_dir_without_inventory", test_dir_without_inventory);
	t_run("image_open_write_removes_inventory", test_open_write_removes_inventory);
	t_run("image_listed_file_missing_or_resized", test_listed_file_missing_or_resized);
	t_run("image_hostile_inventory", test_hostile_inventory);
	t_run("image_truncation_every_offset", test_truncation_every_offset);
	t_run("image_bitflip_every_byte", test_bitflip_every_byte);
	t_run("image_absurd_record_lengths", test_absurd_record_lengths);
	t_run("image_wrong_magic_version_kind", test_wrong_magic_version_kind);
	t_run("image_header_disagrees_with_name", test_header_disagrees_with_name);
	t_run("pages_append", test_pages_append);
	t_run("pages_read_back", test_pages_read_back);
	t_run("pages_header_check", test_pages_header_check);
	t_run("show_json", test_show_json);
	t_run("show_json_bytes_and_garbage", test_show_json_bytes_and_garbage);
	t_run("create_planted_symlink", test_create_planted_symlink);
	t_run("create_and_open_planted_fifo", test_create_and_open_planted_fifo);
	t_run("create_planted_hard_link", test_create_planted_hard_link);
	t_run("create_appends_to_own_file", test_create_appends_to_own_file);
	t_run("dir_shared_by_owner_and_mode", test_dir_shared_by_owner_and_mode);
	t_run("create_in_dir_we_cannot_write", test_create_in_dir_we_cannot_write);
	t_run("image_dir_planted_links", test_image_dir_planted_links);
	t_run("image_dir_inventory_fifo", test_image_dir_inventory_fifo);
	nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return t_done();
}
