/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The images directory and its inventory. */
#define LOG_PREFIX "image: "
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "image_priv.h"
#include "log.h"
#include "safe_open.h"

static int dir_check_inventory(struct img_dir *d)
{
	InventoryEntry *inv = d->inv;
	char want[IMG_NAME_MAX];

	if (inv->format_version != IMG_FORMAT_VERSION) {
		pr_err("%s/%s: format version %u, this build reads version %u\n", d->path, IMG_INVENTORY_NAME,
		       inv->format_version, IMG_FORMAT_VERSION);
		return -EBADMSG;
	}
	for (size_t i = 0; i < inv->n_files; i++) {
		const ImageFileEntry *f = inv->files[i];
		const struct img_kind_info *k = img_kind_info(f->kind);
		struct stat st;

		/* A hostile inventory must not name files outside the directory. */
		img_file_name(want, sizeof(want), f->kind, f->id);
		if (!k || f->kind == IMG_INVENTORY || strcmp(f->name, want)) {
			pr_err("%s/%s: entry %zu names \"%s\", not a file of this format\n", d->path,
			       IMG_INVENTORY_NAME, i + 1, f->name);
			return -EBADMSG;
		}
		for (size_t j = 0; j < i; j++)
			if (!strcmp(inv->files[j]->name, f->name)) {
				pr_err("%s/%s: lists %s twice\n", d->path, IMG_INVENTORY_NAME, f->name);
				return -EBADMSG;
			}
		if (fstatat(d->dfd, f->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return pr_perror_ret("%s/%s: listed in the inventory but cannot be found", d->path,
					     f->name);
		if (!S_ISREG(st.st_mode)) {
			pr_err("%s/%s: not a regular file (%s)\n", d->path, f->name,
			       cr_file_type_name(st.st_mode));
			return -EBADMSG;
		}
		if ((uint64_t)st.st_size != f->size) {
			pr_err("%s/%s: %lld bytes, the inventory says %llu (truncated or replaced)\n", d->path,
			       f->name, (long long)st.st_size, (unsigned long long)f->size);
			return -EBADMSG;
		}
	}
	return 0;
}

int img_dir_open_file(const struct img_dir *d, const char *name)
{
	struct stat st;
	int fd = cr_open_regular_at(d->dfd, name, O_NOFOLLOW, &st);

	if (fd == -ELOOP || fd == -EINVAL || fd == -ESTALE) {
		pr_err("%s/%s: not a regular file (%s)\n", d->path, name,
		       fd == -ESTALE ? "replaced while being opened" : cr_file_type_name(st.st_mode));
		return -EBADMSG;
	}
	if (fd < 0)
		return pr_err_ret(fd, "%s/%s: cannot open", d->path, name);
	return fd;
}

int img_dir_create_file(const struct img_dir *d, const char *name, int flags)
{
	int fd = cr_create_at(d->dfd, name, O_WRONLY | O_TRUNC | flags, 0600);
	char why[160];

	if (fd < 0)
		pr_err("%s/%s: cannot create: %s\n", d->path, name,
		       cr_create_strerror(fd, d->dfd, name, why, sizeof(why)));
	return fd;
}

static int dir_load_inventory(struct img_dir *d)
{
	_cleanup_close_ int fd = -EBADF;
	struct img_reader *r = NULL;
	ProtobufCMessage *m = NULL;
	struct stat st;
	int err;

	if (fstatat(d->dfd, IMG_INVENTORY_NAME, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT) {
		pr_err("%s: no %s: not a complete checkpoint\n", d->path, IMG_INVENTORY_NAME);
		return -ENOENT;
	}
	fd = img_dir_open_file(d, IMG_INVENTORY_NAME);
	if (fd < 0)
		return fd;
	err = img_open_fd(fd, IMG_INVENTORY_NAME, &r);
	if (err < 0)
		return err;
	if (img_reader_kind(r) != IMG_INVENTORY) {
		pr_err("%s/%s: holds a %s image, not the inventory\n", d->path, IMG_INVENTORY_NAME,
		       img_kind_info(img_reader_kind(r))->name);
		img_close(r);
		return -EBADMSG;
	}
	err = img_read_one(r, &inventory_entry__descriptor, &m);
	img_close(r);
	if (err < 0)
		return err;
	d->inv = (InventoryEntry *)m;
	return dir_check_inventory(d);
}

int img_dir_open_fd(int dfd, const char *name, bool for_write, struct img_dir **ret)
{
	struct img_dir *d = calloc(1, sizeof(*d));
	int err = 0;

	if (!d || !(d->path = strdup(name))) {
		free(d);
		close(dfd);
		return pr_err_ret(-ENOMEM, "%s: cannot open images directory", name);
	}
	d->dfd = dfd;
	d->for_write = for_write;
	if (for_write) {
		cr_warn_shared_dir(dfd, "images directory", name);
		/* An old inventory would make a half-written directory look complete. */
		if (unlinkat(dfd, IMG_INVENTORY_NAME, 0) < 0 && errno != ENOENT)
			err = pr_perror_ret("%s/%s: cannot remove the old inventory", name, IMG_INVENTORY_NAME);
	} else {
		err = dir_load_inventory(d);
	}
	if (err < 0) {
		img_dir_close(d);
		return err;
	}
	*ret = d;
	return 0;
}

int img_dir_open_write(const char *path, struct img_dir **ret)
{
	int dfd;

	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return pr_perror_ret("%s: cannot create images directory", path);
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return pr_perror_ret("%s: cannot open images directory", path);
	return img_dir_open_fd(dfd, path, true, ret);
}

int img_dir_open_read(const char *path, struct img_dir **ret)
{
	int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0)
		return pr_perror_ret("%s: cannot open images directory", path);
	return img_dir_open_fd(dfd, path, false, ret);
}

void img_dir_close(struct img_dir *d)
{
	if (!d)
		return;
	if (d->dfd >= 0)
		close(d->dfd);
	if (d->inv)
		inventory_entry__free_unpacked(d->inv, NULL);
	free(d->notes);
	free(d->path);
	free(d);
}

int img_dir_fd(const struct img_dir *d)
{
	return d->dfd;
}

const char *img_dir_path(const struct img_dir *d)
{
	return d->path;
}

const InventoryEntry *img_dir_inventory(const struct img_dir *d)
{
	return d->inv;
}

const ImageFileEntry *img_dir_find(const struct img_dir *d, enum img_kind kind, uint64_t id)
{
	if (!d->inv)
		return NULL;
	for (size_t i = 0; i < d->inv->n_files; i++)
		if (d->inv->files[i]->kind == kind && d->inv->files[i]->id == id)
			return d->inv->files[i];
	return NULL;
}

bool img_dir_has(const struct img_dir *d, enum img_kind kind, uint64_t id)
{
	return img_dir_find(d, kind, id) != NULL;
}

int img_dir_note(struct img_dir *d, const char *name, enum img_kind kind, uint64_t id, uint64_t size)
{
	struct img_note *n;

	for (size_t i = 0; i < d->nr_notes; i++)
		if (!strcmp(d->notes[i].name, name))
			return pr_err_ret(-EEXIST, "%s/%s: written twice in one dump", d->path, name);
	if (d->nr_notes == d->notes_cap) {
		size_t cap = d->notes_cap ? d->notes_cap * 2 : 32;

		n = realloc(d->notes, cap * sizeof(*n));
		if (!n)
			return pr_err_ret(-ENOMEM, "%s/%s: cannot note for the inventory", d->path, name);
		d->notes = n;
		d->notes_cap = cap;
	}
	n = &d->notes[d->nr_notes++];
	snprintf(n->name, sizeof(n->name), "%s", name);
	n->kind = kind;
	n->id = id;
	n->size = size;
	return 0;
}
