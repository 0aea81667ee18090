/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Mappings and page dumps of a real child process. */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "image.h"
#include "images/inventory.pb-c.h"
#include "log.h"
#include "mm_restore.h"
#include "pages.h"
#include "t.h"
#include "vma.h"

#define PG 4096u

struct layout {
	uint64_t anon, prot_none, file_priv, shared;
};

static char tmpdir[] = "/tmp/test-mem.XXXXXX";
static pid_t child;
static struct layout lay;

/* The child: sparse anonymous data, a PROT_NONE page with data, a COW'ed file page, shared memory. */
static void child_main(int wfd, const char *file)
{
	struct layout l;
	unsigned char *a = mmap(NULL, 64 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char *n = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char *s = mmap(NULL, 16 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int fd = open(file, O_RDONLY);
	unsigned char *f = mmap(NULL, 8 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	volatile unsigned char sink;

	memset(a, 'A', PG);
	memset(a + 5 * PG, 'B', 2 * PG);
	memset(a + 63 * PG, 'C', PG);
	sink = a[10 * PG]; /* read only: the zero page, not stored */
	(void)sink;
	memset(n + PG, 'N', PG);
	mprotect(n, 4 * PG, PROT_NONE);
	sink = f[0]; /* an unmodified file page: not stored */
	memset(f + 3 * PG, 'W', PG);
	memset(s + 2 * PG, 'S', PG);
	l.anon = (uintptr_t)a;
	l.prot_none = (uintptr_t)n;
	l.file_priv = (uintptr_t)f;
	l.shared = (uintptr_t)s;
	if (write(wfd, &l, sizeof(l)) != sizeof(l))
		_exit(1);
	for (;;)
		pause();
}

static int start_child(void)
{
	char file[64];
	unsigned char page[PG];
	int p[2], fd;

	snprintf(file, sizeof(file), "%s/file", tmpdir);
	fd = open(file, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	memset(page, 'F', sizeof(page));
	for (int i = 0; i < 8; i++)
		if (write(fd, page, PG) != PG)
			return -1;
	close(fd);
	if (pipe(p) < 0)
		return -1;
	child = fork();
	if (child == 0) {
		close(p[0]);
		child_main(p[1], file);
	}
	close(p[1]);
	if (read(p[0], &lay, sizeof(lay)) != sizeof(lay))
		return -1;
	close(p[0]);
	return 0;
}

static const struct vma *find_vma(const struct vma_list *l, uint64_t addr)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].start <= addr && addr < l->v[i].end)
			return &l->v[i];
	return NULL;
}

static void test_vma_kinds(void)
{
	struct vma_list l = { 0 };
	const struct vma *v;
	bool vdso = false, vvar = false, stack = false;

	CHECK_EQ_INT(vma_collect(child, &l), 0);
	v = find_vma(&l, lay.anon);
	CHECK(v && v->kind == VMA_KIND__VMA_ANON_PRIVATE && v->prot == (PROT_READ | PROT_WRITE));
	v = find_vma(&l, lay.prot_none);
	CHECK(v && v->kind == VMA_KIND__VMA_ANON_PRIVATE && v->prot == PROT_NONE);
	v = find_vma(&l, lay.file_priv);
	CHECK(v && v->kind == VMA_KIND__VMA_FILE_PRIVATE && v->path && strstr(v->path, "/file"));
	v = find_vma(&l, lay.shared);
	CHECK(v && v->kind == VMA_KIND__VMA_ANON_SHARED && (v->flags & MAP_SHARED));
	for (size_t i = 0; i < l.n; i++) {
		vdso |= l.v[i].kind == VMA_KIND__VMA_VDSO;
		vvar |= l.v[i].kind == VMA_KIND__VMA_VVAR;
		stack |= l.v[i].kind == VMA_KIND__VMA_STACK;
	}
	CHECK(vdso && vvar && stack);
	vma_list_free(&l);
}

static void test_smaps_parse_errors(void)
{
	struct vma_list l = { 0 };
	const char good[] = "00400000-00401000 r-xp 00000000 fe:00 12 /bin/x\nVmFlags: rd ex dc wf\n";
	const char bad[] = "zzzz\n";
	const char unordered[] = "2000-3000 rw-p 0 00:00 0\n1000-2000 rw-p 0 00:00 0\n";

	CHECK_EQ_INT(vma_parse_smaps(good, sizeof(good) - 1, "good", &l), 0);
	CHECK(l.n == 1 && (l.v[0].madv & VMA_MADV_DONTFORK) && (l.v[0].madv & VMA_MADV_WIPEONFORK));
	vma_list_free(&l);
	CHECK_EQ_INT(vma_parse_smaps(bad, sizeof(bad) - 1, "bad", &l), -EBADMSG);
	vma_list_free(&l);
	CHECK_EQ_INT(vma_parse_smaps(unordered, sizeof(unordered) - 1, "unordered", &l), -EBADMSG);
	vma_list_free(&l);
}

/* Whether page `page` of [base..] is stored with every byte equal to c. */
static bool stored_as(const struct page_index *pi, uint64_t addr, unsigned char c)
{
	unsigned char buf[PG];

	for (size_t i = 0; i < pi->n; i++) {
		const struct page_run *r = &pi->runs[i];

		if (addr < r->vaddr || addr >= r->vaddr + (uint64_t)r->nr_pages * PG)
			continue;
		if (pread(pi->pages_fd, buf, PG, (off_t)(r->offset + addr - r->vaddr)) != PG)
			return false;
		for (size_t k = 0; k < PG; k++)
			if (buf[k] != c)
				return false;
		return true;
	}
	return false;
}

static void test_page_dump(void)
{
	char dir[96];
	struct img_dir *d = NULL;
	struct vma_list l = { 0 };
	struct page_stats st = { 0 };
	struct page_index pi = { 0 }, si = { 0 };
	InventoryEntry inv = INVENTORY_ENTRY__INIT;
	const struct vma *sv;

	snprintf(dir, sizeof(dir), "%s/img", tmpdir);
	CHECK_EQ_INT(vma_collect(child, &l), 0);
	CHECK_EQ_INT(img_dir_open_write(dir, &d), 0);
	CHECK_EQ_INT(pages_dump_private(child, &l, d, 1, &st), 0);
	sv = find_vma(&l, lay.shared);
	CHECK_EQ_INT(sv ? pages_dump_shmem(child, sv, d, 2, &st) : -1, 0);
	inv.producer = "test";
	CHECK_EQ_INT(img_write_inventory(d, &inv), 0);
	img_dir_close(d);
	vma_list_free(&l);

	CHECK_EQ_INT(img_dir_open_read(dir, &d), 0);
	CHECK_EQ_INT(page_index_load(d, 1, &pi), 0);
	CHECK(stored_as(&pi, lay.anon, 'A'));
	CHECK(stored_as(&pi, lay.anon + 5 * PG, 'B') && stored_as(&pi, lay.anon + 6 * PG, 'B'));
	CHECK(stored_as(&pi, lay.anon + 63 * PG, 'C'));
	CHECK(!stored_as(&pi, lay.anon + 10 * PG, 0));	 /* zero page skipped */
	CHECK(!stored_as(&pi, lay.anon + 2 * PG, 0));	 /* never touched */
	CHECK(stored_as(&pi, lay.prot_none + PG, 'N')); /* PROT_NONE data kept */
	CHECK(stored_as(&pi, lay.file_priv + 3 * PG, 'W'));
	CHECK(!stored_as(&pi, lay.file_priv, 'F')); /* unmodified file page comes from the file */
	CHECK(st.pages_written >= 6 && st.pages_skipped > 60);
	CHECK_EQ_INT(page_index_load(d, 2, &si), 0);
	CHECK(stored_as(&si, 2 * PG, 'S')); /* shared memory by object offset */
	page_index_free(&pi);
	page_index_free(&si);
	img_dir_close(d);
}

/* Writes mm-ID with two mappings of one shared memory object or unlinked file, named or not. */
static int write_mm_image(struct img_dir *d, uint64_t id, VmaKind kind, bool with_object)
{
	MmEntry mm = MM_ENTRY__INIT;
	VmaEntry v1 = VMA_ENTRY__INIT, v2 = VMA_ENTRY__INIT;
	struct img_writer *w = NULL;
	int r;

	v1.start = 0x10000000;
	v1.end = 0x10004000;
	v2.start = 0x20000000;
	v2.end = 0x20002000;
	v1.kind = v2.kind = kind;
	v1.prot = v2.prot = PROT_READ | PROT_WRITE;
	v1.flags = v2.flags = MAP_SHARED;
	v2.has_pgoff = true;
	v2.pgoff = 0x3000; /* the same object again, reaching past v1's end */
	if (kind == VMA_KIND__VMA_ANON_SHARED) {
		v1.has_shmem_id = v2.has_shmem_id = with_object;
		v1.shmem_id = v2.shmem_id = 77;
		v1.has_shmem_size = true;
		v1.shmem_size = 0x4000;
	} else {
		v1.path = v2.path = "/tmp/gone (deleted)";
		v1.has_deleted = v2.has_deleted = v1.deleted = v2.deleted = true;
		v1.has_file_id = v2.has_file_id = with_object;
		v1.file_id = v2.file_id = 5;
	}
	r = img_create(d, IMG_MM, id, &w);
	if (r < 0)
		return r;
	r = img_write_msg(w, &mm.base);
	if (r >= 0)
		r = img_write_msg(w, &v1.base);
	if (r >= 0)
		r = img_write_msg(w, &v2.base);
	return img_finish(w, r);
}

static void test_mm_image_objects(void)
{
	char dir[96];
	struct img_dir *d = NULL;
	struct mm_image m = { 0 };
	struct mm_shared s = { 0 };
	InventoryEntry inv = INVENTORY_ENTRY__INIT;

	snprintf(dir, sizeof(dir), "%s/img-objects", tmpdir);
	CHECK_EQ_INT(img_dir_open_write(dir, &d), 0);
	CHECK_EQ_INT(write_mm_image(d, 1, VMA_KIND__VMA_ANON_SHARED, true), 0);
	CHECK_EQ_INT(write_mm_image(d, 2, VMA_KIND__VMA_ANON_SHARED, false), 0);
	CHECK_EQ_INT(write_mm_image(d, 3, VMA_KIND__VMA_FILE_SHARED, true), 0);
	CHECK_EQ_INT(write_mm_image(d, 4, VMA_KIND__VMA_FILE_PRIVATE, false), 0);
	inv.producer = "test";
	CHECK_EQ_INT(img_write_inventory(d, &inv), 0);
	img_dir_close(d);

	CHECK_EQ_INT(img_dir_open_read(dir, &d), 0);
	CHECK_EQ_INT(mm_image_load(d, 1, &m), 0);
	/* two mappings of one object: one object, as large as both need */
	CHECK_EQ_INT(mm_shared_collect(&s, d, &m), 0);
	CHECK_EQ_INT((int)s.nr_shmem, 1);
	mm_image_free(&m);
	mm_shared_free(&s);
	CHECK_EQ_INT(mm_image_load(d, 2, &m), -EBADMSG); /* shared memory without its object */
	CHECK_EQ_INT(mm_image_load(d, 3, &m), 0);
	mm_image_free(&m);
	CHECK_EQ_INT(mm_image_load(d, 4, &m), -EBADMSG); /* unlinked file without its file */
	img_dir_close(d);
}

int main(void)
{
	int status;

	log_set_level(LOG_MSG);
	if (!mkdtemp(tmpdir) || start_child() < 0) {
		printf("FAIL setup: cannot start the child\n");
		return 1;
	}
	t_run("vma_kinds", test_vma_kinds);
	t_run("smaps_parse_errors", test_smaps_parse_errors);
	t_run("page_dump", test_page_dump);
	t_run("mm_image_objects", test_mm_image_objects);
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	(void)system("rm -rf /tmp/test-mem.*");
	return t_done();
}
