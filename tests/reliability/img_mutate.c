/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Makes one hostile or damaged image set for tests/reliability/rel_images.sh.
 *
 *   img_mutate TEMPLATE OUT N VICTIM_DIR    (OUT: a copy of TEMPLATE, edited in place)
 *   img_mutate set-path OUT PATH            (every regular file's path)
 *   img_mutate set-remap OUT NAME           (every --link-remap name)
 *   img_mutate set-removed-path OUT PATH    (every removed directory's, FIFO's and device's path)
 *   img_mutate add-cgprop OUT CTRL NAME VALUE (a property of CTRL's deepest dir named NAME)
 *   img_mutate set-cgroup OUT CTRL PATH HOW (0: the deepest dir of CTRL, 1: the members of
 *                                            CTRL of all sets but the root's, 2: all of them,
 *                                            3: the tree's cgroups moved there together,
 *                                            4: CTRL renamed PATH in every dir and member)
 *
 * N picks the mutation, deterministically: hostile paths in files.img,
 * --link-remap names, cgroup paths (all re-encoded through protobuf-c with
 * their CRCs and the inventory's sizes fixed, so that they reach the code that
 * uses them), an image replaced by a FIFO, a symlink to a FIFO, a directory or
 * a symlink to /dev/zero, and byte-level damage (flips with and without their
 * CRC fixed, inserts, truncations). It prints what it did on one line.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image.h"
#include "images/cgroup.pb-c.h"
#include "images/files.pb-c.h"
#include "images/inventory.pb-c.h"

static void die(const char *what)
{
	fprintf(stderr, "img_mutate: %s: %s\n", what, strerror(errno));
	exit(2);
}

static uint64_t rng_state;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 11);
}

static unsigned char *slurp(const char *dir, const char *name, size_t *ret_len)
{
	char path[4096];
	struct stat st;
	unsigned char *buf;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf || read(fd, buf, (size_t)st.st_size) != st.st_size)
		die(path);
	close(fd);
	*ret_len = (size_t)st.st_size;
	return buf;
}

static void spit(const char *dir, const char *name, const void *buf, size_t len)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || (len && write(fd, buf, len) != (ssize_t)len))
		die(path);
	close(fd);
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A record image: the header of the original, then msgs, each with its CRC, then the trailer. */
static void write_records(const char *dir, const char *name, const unsigned char *hdr,
			  ProtobufCMessage **msgs, size_t n)
{
	size_t cap = IMG_HEADER_SIZE + IMG_TRAILER_SIZE, len = IMG_HEADER_SIZE;
	unsigned char *buf;

	for (size_t i = 0; i < n; i++)
		cap += 8 + protobuf_c_message_get_packed_size(msgs[i]);
	buf = malloc(cap);
	if (!buf)
		die("malloc");
	memcpy(buf, hdr, IMG_HEADER_SIZE);
	for (size_t i = 0; i < n; i++) {
		size_t k = protobuf_c_message_pack(msgs[i], buf + len + 8);

		put32(buf + len, (uint32_t)k);
		put32(buf + len + 4, crc32c(0, buf + len + 8, k));
		len += 8 + k;
	}
	put32(buf + len, IMG_TRAILER_MARK);
	put32(buf + len + 4, (uint32_t)n);
	put32(buf + len + 8, crc32c(0, buf, len));
	spit(dir, name, buf, len + IMG_TRAILER_SIZE);
	free(buf);
}

/* The records of dir/name, decoded with desc (the first one with head, if given). */
static size_t read_records(const char *dir, const char *name, const ProtobufCMessageDescriptor *head,
			   const ProtobufCMessageDescriptor *desc, ProtobufCMessage ***ret,
			   unsigned char *hdr)
{
	size_t len, off = IMG_HEADER_SIZE, n = 0;
	unsigned char *buf = slurp(dir, name, &len);
	ProtobufCMessage **v = NULL;

	if (!buf || len < IMG_HEADER_SIZE + IMG_TRAILER_SIZE)
		return 0;
	memcpy(hdr, buf, IMG_HEADER_SIZE);
	while (off + 8 <= len && get32(buf + off) != IMG_TRAILER_MARK) {
		uint32_t k = get32(buf + off);
		const ProtobufCMessageDescriptor *d = n == 0 && head ? head : desc;

		if (off + 8 + k > len)
			break;
		v = realloc(v, (n + 1) * sizeof(*v));
		v[n] = protobuf_c_message_unpack(d, NULL, k, buf + off + 8);
		if (!v[n])
			break;
		n++;
		off += 8 + k;
	}
	free(buf);
	*ret = v;
	return n;
}

/* The inventory lists each file's size: keep it true for what we rewrote. */
static void fix_inventory(const char *dir)
{
	unsigned char hdr[IMG_HEADER_SIZE];
	ProtobufCMessage **v;
	InventoryEntry *inv;

	if (!read_records(dir, IMG_INVENTORY_NAME, NULL, &inventory_entry__descriptor, &v, hdr))
		return;
	inv = (InventoryEntry *)v[0];
	for (size_t i = 0; i < inv->n_files; i++) {
		char path[4096];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, inv->files[i]->name);
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
			inv->files[i]->size = (uint64_t)st.st_size;
	}
	write_records(dir, IMG_INVENTORY_NAME, hdr, v, 1);
}

/* The path of every removed directory, FIFO and device node (ghost_node.c makes them again). */
static int set_removed_path(const char *dir, const char *path)
{
	unsigned char hdr[IMG_HEADER_SIZE];
	ProtobufCMessage **v;
	size_t n = read_records(dir, "files.img", NULL, &file_entry__descriptor, &v, hdr);
	int done = 0;

	for (size_t i = 0; i < n; i++) {
		FileEntry *fe = (FileEntry *)v[i];

		if (!fe->deleted || !fe->path ||
		    (fe->kind != FILE_KIND__FILE_DIRECTORY && fe->kind != FILE_KIND__FILE_FIFO &&
		     fe->kind != FILE_KIND__FILE_CHARDEV))
			continue;
		fe->path = (char *)path;
		done++;
	}
	if (!done)
		return 1;
	write_records(dir, "files.img", hdr, v, n);
	fix_inventory(dir);
	return 0;
}

static int set_path(const char *dir, const char *path, bool remap)
{
	unsigned char hdr[IMG_HEADER_SIZE];
	ProtobufCMessage **v;
	size_t n = read_records(dir, "files.img", NULL, &file_entry__descriptor, &v, hdr);
	int done = 0;

	for (size_t i = 0; i < n; i++) {
		FileEntry *fe = (FileEntry *)v[i];

		if (remap ? !fe->link_remap : fe->kind != FILE_KIND__FILE_REGULAR || !fe->path)
			continue;
		if (remap)
			fe->link_remap = (char *)path;
		else
			fe->path = (char *)path;
		done++;
	}
	if (!done)
		return 1;
	write_records(dir, "files.img", hdr, v, n);
	fix_inventory(dir);
	return 0;
}

/* A new path for p if it is at or below root (root's place taken by to), else p. */
static char *moved(const char *p, const char *root, const char *to)
{
	size_t n = strlen(root);
	char *r;

	if (strncmp(p, root, n) || (p[n] && p[n] != '/'))
		return (char *)p;
	if (asprintf(&r, "%s%s", to, p + n) < 0)
		die("asprintf");
	return r;
}

/* The root task's cgroup of ctrl and all below it, moved to path, consistently. */
static int move_tree(const char *dir, const unsigned char *hdr, ProtobufCMessage **v, CgroupEntry *e,
		     const char *ctrl, const char *path)
{
	const char *root = NULL;

	for (size_t s = 0; s < e->n_sets; s++)
		for (size_t m = 0; e->has_root_set && m < e->sets[s]->n_members; m++)
			if (e->sets[s]->id == e->root_set && !strcmp(e->sets[s]->members[m]->ctrl, ctrl))
				root = strdup(e->sets[s]->members[m]->path);
	if (!root)
		return 1;
	for (size_t i = 0; i < e->n_dirs; i++)
		if (!strcmp(e->dirs[i]->ctrl, ctrl))
			e->dirs[i]->path = moved(e->dirs[i]->path, root, path);
	for (size_t s = 0; s < e->n_sets; s++)
		for (size_t m = 0; m < e->sets[s]->n_members; m++)
			if (!strcmp(e->sets[s]->members[m]->ctrl, ctrl))
				e->sets[s]->members[m]->path =
					moved(e->sets[s]->members[m]->path, root, path);
	write_records(dir, "cgroup.img", hdr, v, 1);
	fix_inventory(dir);
	return 0;
}

/*
 * Sets cgroup paths of hierarchy ctrl to path: how 0 the deepest dir of it,
 * 1 its members in every set but the root task's, 2 both and the root's,
 * 3 the root task's cgroup and all below it, moved there consistently.
 */
/* Adds a property named name (a hostile name: a path) with value to the deepest dir of ctrl. */
static int add_cgprop(const char *dir, const char *ctrl, const char *name, const char *value)
{
	unsigned char hdr[IMG_HEADER_SIZE];
	ProtobufCMessage **v;
	CgroupEntry *e;
	CgDirEntry *deep = NULL;
	CgPropEntry *p, **np;

	if (!read_records(dir, "cgroup.img", NULL, &cgroup_entry__descriptor, &v, hdr))
		return 1;
	e = (CgroupEntry *)v[0];
	for (size_t i = 0; i < e->n_dirs; i++)
		if (!strcmp(e->dirs[i]->ctrl, ctrl) && (!deep || strlen(e->dirs[i]->path) >= strlen(deep->path)))
			deep = e->dirs[i];
	p = malloc(sizeof(*p));
	np = deep ? realloc(deep->props, (deep->n_props + 1) * sizeof(*np)) : NULL;
	if (!p || !np)
		return 1;
	cg_prop_entry__init(p);
	p->name = (char *)name;
	p->value = (char *)value;
	deep->props = np;
	deep->props[deep->n_props++] = p;
	write_records(dir, "cgroup.img", hdr, v, 1);
	fix_inventory(dir);
	return 0;
}

static int set_cgroup(const char *dir, const char *ctrl, const char *path, int how)
{
	unsigned char hdr[IMG_HEADER_SIZE];
	ProtobufCMessage **v;
	CgroupEntry *e;
	CgDirEntry *deep = NULL;
	int done = 0;

	if (!read_records(dir, "cgroup.img", NULL, &cgroup_entry__descriptor, &v, hdr))
		return 1;
	e = (CgroupEntry *)v[0];
	if (how == 3)
		return move_tree(dir, hdr, v, e, ctrl, path);
	if (how == 4) {
		for (size_t i = 0; i < e->n_dirs; i++)
			if (!strcmp(e->dirs[i]->ctrl, ctrl))
				e->dirs[i]->ctrl = (char *)path, done++;
		for (size_t s = 0; s < e->n_sets; s++)
			for (size_t m = 0; m < e->sets[s]->n_members; m++)
				if (!strcmp(e->sets[s]->members[m]->ctrl, ctrl))
					e->sets[s]->members[m]->ctrl = (char *)path, done++;
		if (!done)
			return 1;
		write_records(dir, "cgroup.img", hdr, v, 1);
		fix_inventory(dir);
		return 0;
	}
	for (size_t i = 0; i < e->n_dirs; i++)
		if (!strcmp(e->dirs[i]->ctrl, ctrl) &&
		    (!deep || strlen(e->dirs[i]->path) >= strlen(deep->path)))
			deep = e->dirs[i];
	if (how != 1 && deep) {
		deep->path = (char *)path;
		done++;
	}
	for (size_t s = 0; how != 0 && s < e->n_sets; s++)
		for (size_t m = 0; m < e->sets[s]->n_members; m++)
			if (!strcmp(e->sets[s]->members[m]->ctrl, ctrl) &&
			    (how == 2 || !e->has_root_set || e->sets[s]->id != e->root_set)) {
				e->sets[s]->members[m]->path = (char *)path;
				done++;
			}
	if (!done)
		return 1;
	write_records(dir, "cgroup.img", hdr, v, 1);
	fix_inventory(dir);
	return 0;
}

/* The image files of dir, inventory included. */
static size_t list_images(const char *dir, char names[][256], size_t max)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	if (!d)
		die(dir);
	while ((de = readdir(d)) && n < max)
		if (strstr(de->d_name, ".img"))
			snprintf(names[n++], 256, "%s", de->d_name);
	closedir(d);
	return n;
}

static void replace_special(const char *dir, const char *name, int how, const char *victims)
{
	char path[4096], target[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	switch (how) {
	case 0:
		if (mkfifo(path, 0600) < 0)
			die(path);
		printf("%s replaced by a FIFO\n", name);
		break;
	case 1:
		snprintf(target, sizeof(target), "%s/fifo", victims);
		if (symlink(target, path) < 0)
			die(path);
		printf("%s replaced by a symlink to the FIFO %s\n", name, target);
		break;
	case 2:
		if (mkdir(path, 0700) < 0)
			die(path);
		printf("%s replaced by a directory\n", name);
		break;
	case 3:
		if (symlink("/dev/zero", path) < 0)
			die(path);
		printf("%s replaced by a symlink to /dev/zero\n", name);
		break;
	default:
		snprintf(target, sizeof(target), "%s/victim-1", victims);
		if (symlink(target, path) < 0)
			die(path);
		printf("%s replaced by a symlink to the victim %s\n", name, target);
		break;
	}
}

/* Byte damage: flips (with their record's CRC fixed, or not), inserts, truncation. */
static void damage(const char *dir, const char *name)
{
	size_t len;
	unsigned char *buf = slurp(dir, name, &len), *nb;
	unsigned int how = rnd() % 5, k = 1 + rnd() % 8;

	if (!buf || len < IMG_HEADER_SIZE + IMG_TRAILER_SIZE + 8) {
		printf("%s left as it is (too small)\n", name);
		free(buf);
		return;
	}
	if (how <= 1) {
		for (unsigned int i = 0; i < k; i++)
			buf[rnd() % len] ^= (unsigned char)(1u << (rnd() % 8));
		printf("%s: %u bit(s) flipped\n", name, k);
		spit(dir, name, buf, len);
	} else if (how == 2 && get32(buf + IMG_HEADER_SIZE) != IMG_TRAILER_MARK) {
		/* flips inside the first record's payload, its CRC and the trailer made right again */
		size_t off = IMG_HEADER_SIZE, plen = get32(buf + off), end;

		if (off + 8 + plen + IMG_TRAILER_SIZE > len || !plen) {
			printf("%s left as it is (no payload)\n", name);
		} else {
			for (unsigned int i = 0; i < k; i++)
				buf[off + 8 + rnd() % plen] = (unsigned char)rnd();
			put32(buf + off + 4, crc32c(0, buf + off + 8, plen));
			end = len - IMG_TRAILER_SIZE;
			if (get32(buf + end) == IMG_TRAILER_MARK)
				put32(buf + end + 8, crc32c(0, buf, end));
			printf("%s: %u payload byte(s) changed, CRCs fixed\n", name, k);
			spit(dir, name, buf, len);
		}
	} else if (how == 3) {
		size_t at = rnd() % len;

		nb = malloc(len + k);
		memcpy(nb, buf, at);
		for (unsigned int i = 0; i < k; i++)
			nb[at + i] = (unsigned char)rnd();
		memcpy(nb + at + k, buf + at, len - at);
		printf("%s: %u byte(s) inserted at %zu\n", name, k, at);
		spit(dir, name, nb, len + k);
		free(nb);
		if (rnd() % 2)
			fix_inventory(dir);
	} else {
		size_t at = rnd() % len;

		printf("%s truncated to %zu bytes\n", name, at);
		spit(dir, name, buf, at);
		if (rnd() % 2)
			fix_inventory(dir);
	}
	free(buf);
}

static const char *pick(const char *const *v, size_t n)
{
	return v[rnd() % n];
}

int main(int argc, char **argv)
{
	static char names[256][256];
	static char path[8192];
	const char *out, *victims;
	size_t n;
	unsigned long idx;

	if (argc == 4 && !strcmp(argv[1], "set-path"))
		return set_path(argv[2], argv[3], false);
	if (argc == 4 && !strcmp(argv[1], "set-removed-path"))
		return set_removed_path(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "set-remap"))
		return set_path(argv[2], argv[3], true);
	if (argc == 6 && !strcmp(argv[1], "set-cgroup"))
		return set_cgroup(argv[2], argv[3], argv[4], atoi(argv[5]));
	if (argc == 6 && !strcmp(argv[1], "add-cgprop"))
		return add_cgprop(argv[2], argv[3], argv[4], argv[5]);
	if (argc != 5) {
		fprintf(stderr, "usage: img_mutate TEMPLATE OUT N VICTIM_DIR | set-path|set-remap|set-cgroup|add-cgprop "
				"OUT VALUE\n");
		return 2;
	}
	out = argv[2];
	idx = strtoul(argv[3], NULL, 10);
	victims = argv[4];
	rng_state = 0x9e3779b97f4a7c15ull ^ (idx * 0x2545f4914f6cdd1dull) ^ (uint64_t)strlen(argv[1]);
	for (int i = 0; i < 4; i++)
		rnd();
	n = list_images(out, names, 256);
	if (!n)
		return 1;
	switch (idx % 8) {
	case 0: { /* a regular file's path */
		const char *const hostile[] = {"/etc/shadow",
					       "../../../etc/passwd",
					       "/../../../../etc/passwd",
					       "/proc/self/root/etc/shadow",
					       "etc/passwd",
					       "/dev/zero",
					       "/etc",
					       "/tmp/../etc/shadow",
					       NULL};
		const char *p = hostile[rnd() % 9];

		if (!p) {
			memset(path, 'a', 5000);
			path[0] = '/';
			path[5000] = 0;
			p = path;
		} else if (rnd() % 3 == 0) {
			snprintf(path, sizeof(path), "%s/%s", victims, rnd() % 2 ? "fifo" : "victim-1");
			p = path;
		}
		if (set_path(out, p, false) && set_removed_path(out, p))
			goto bytes;
		printf("files.img: regular (or removed object's) path set to %.60s\n", p);
		return 0;
	}
	case 1: { /* a --link-remap name */
		const char *const forms[] = {"%s/victim-1", "%s/../victim-2", "%s/link_remap.1",
					     "/etc/passwd", "link_remap.1",   "%s/fifo"};
		const char *f = pick(forms, 6);

		snprintf(path, sizeof(path), f, victims);
		if (set_path(out, path, true) && set_path(out, path, false))
			goto bytes;
		printf("files.img: link_remap (or path) set to %s\n", path);
		return 0;
	}
	case 2: { /* a cgroup path */
		const char *const hostile[] = {"/../../rel-escape", "/rel-escape",	"/a/../../rel-escape",
					       "rel-escape",	    "/./rel-escape/..", "//rel-escape"};
		const char *p = pick(hostile, 6), *ctrl = rnd() % 4 ? "pids" : "";
		int how = (int)(rnd() % 4);

		if (set_cgroup(out, ctrl, p, how))
			goto bytes;
		printf("cgroup.img: \"%s\" path set to %s (%s)\n", ctrl, p,
		       how == 0	  ? "deepest dir"
		       : how == 1 ? "other sets"
		       : how == 2 ? "dirs and sets"
				  : "moved");
		return 0;
	}
	case 3: { /* inventory.img or another image: not a regular file */
		/* FIFOs in one set of 25 of these: each may cost a full timeout where open blocks */
		int how = (idx / 8) % 25 == 0 ? (int)(rnd() % 2) : 2 + (int)(rnd() % 3);

		replace_special(out, rnd() % 2 ? IMG_INVENTORY_NAME : names[rnd() % n], how, victims);
		return 0;
	}
	default:
	bytes:
		damage(out, names[rnd() % n]);
		return 0;
	}
}
