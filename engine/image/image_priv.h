/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the image layer's files share and nobody else sees. */
#ifndef CR_IMAGE_PRIV_H
#define CR_IMAGE_PRIV_H

#include <endian.h>
#include <string.h>

#include "image.h"
#include "images/inventory.pb-c.h"

#define IMG_NAME_MAX 64

struct img_note {
	char name[IMG_NAME_MAX];
	enum img_kind kind;
	uint64_t id;
	uint64_t size;
};

struct img_dir {
	int dfd;
	char *path;
	bool for_write;
	InventoryEntry *inv; /* reading */
	struct img_note *notes; /* writing: committed files */
	size_t nr_notes, notes_cap;
};

/* Records a committed file for the inventory. */
int img_dir_note(struct img_dir *d, const char *name, enum img_kind kind, uint64_t id, uint64_t size);
/* Finds the inventory's entry for (kind, id), or NULL. */
const ImageFileEntry *img_dir_find(const struct img_dir *d, enum img_kind kind, uint64_t id);

/*
 * Opens image file name of the directory for reading: only a regular file,
 * never through a symlink, never blocking on a FIFO. An fd, or -errno
 * (logged, naming the file; -EBADMSG when it is not a regular file).
 */
int img_dir_open_file(const struct img_dir *d, const char *name);
/*
 * Creates image file name afresh for writing (cr_create_at(): an old file or
 * a planted link of that name is unlinked first, never written through);
 * flags are added to O_WRONLY. An fd, or -errno (logged, naming the file).
 */
int img_dir_create_file(const struct img_dir *d, const char *name, int flags);

/* Fills a 16-byte header. */
static inline void img_header_fill(unsigned char *h, enum img_kind kind, uint64_t id)
{
	uint32_t magic = htole32(IMG_MAGIC);
	uint16_t version = htole16(IMG_FORMAT_VERSION), k = htole16((uint16_t)kind);
	uint64_t lid = htole64(id);

	memcpy(h, &magic, 4);
	memcpy(h + 4, &version, 2);
	memcpy(h + 6, &k, 2);
	memcpy(h + 8, &lid, 8);
}

static inline uint32_t img_get32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

static inline uint16_t img_get16(const unsigned char *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return le16toh(v);
}

static inline uint64_t img_get64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return le64toh(v);
}

/*
 * Checks a header: magic, version and a known kind. Logs naming the file and
 * returns -EBADMSG on failure.
 */
int img_header_check(const unsigned char *h, size_t len, const char *name, enum img_kind *ret_kind,
		     uint64_t *ret_id);

#endif
