/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copy-on-write sharing kept across a restore: see cow.h. */
#define LOG_PREFIX "cow: "
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compat.h"
#include "cow.h"
#include "log.h"
#include "self_proc.h"
#include "vma.h"

#define PAGE_SZ	 4096ull
#define HUGE_SZ	 (2ull << 20)
#define TASK_TOP 0x7ffffffff000ull
/* the arena is looked for from here up: above where programs and mmap_base usually are not */
#define ARENA_LOW (1ull << 44)

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static bool is_file(const VmaEntry *v)
{
	return v->kind == VMA_KIND__VMA_FILE_PRIVATE;
}

/* A mapping whose pages a child can share with its parent's: private anonymous or private file memory. */
static bool cow_eligible(const VmaEntry *v)
{
	if (v->kind != VMA_KIND__VMA_ANON_PRIVATE && v->kind != VMA_KIND__VMA_STACK &&
	    v->kind != VMA_KIND__VMA_HEAP && !is_file(v))
		return false;
	if (is_file(v) && (v->deleted || (v->has_plugin && v->plugin) || !v->path || v->path[0] != '/'))
		return false;
	/* never writable (no VM_ACCOUNT): only the page cache's pages, shared anyway */
	if (is_file(v) && v->has_accounted && !v->accounted)
		return false;
	return !(v->flags & (MAP_DROPPABLE | VMA_HUGETLB_FLAGS)) && !v->has_shmem_id;
}

static bool same_mapping(const VmaEntry *a, const VmaEntry *b)
{
	if (a->start != b->start || a->end != b->end || a->kind != b->kind || a->flags != b->flags)
		return false;
	return !is_file(a) ||
	       ((a->has_pgoff ? a->pgoff : 0) == (b->has_pgoff ? b->pgoff : 0) && !strcmp(a->path, b->path));
}

static int slot_add(struct cow_plan *p, const VmaEntry *v)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 16;
		struct cow_slot *s = realloc(p->slots, cap * sizeof(*s));

		if (!s)
			return -ENOMEM;
		p->slots = s;
		p->cap = cap;
	}
	p->slots[p->n] = (struct cow_slot){.start = v->start,
					   .end = v->end,
					   .flags = v->flags,
					   .fd = -1,
					   .pgoff = v->has_pgoff ? v->pgoff : 0,
					   .path = is_file(v) ? v->path : NULL};
	return (int)p->n++;
}

static int task_slots_alloc(struct cow_task *ct, struct mm_image *m)
{
	if (ct->slot)
		return 0;
	ct->slot = malloc(m->n * sizeof(*ct->slot));
	if (!ct->slot)
		return -ENOMEM;
	for (size_t k = 0; k < m->n; k++)
		ct->slot[k] = -1;
	ct->m = m;
	return 0;
}

/* Pairs the mappings of child c with the same ones of its parent pp (both lists sorted). */
static int match_parent(struct cow_plan *p, struct cow_task *pp, struct mm_image *pm, struct cow_task *c,
			struct mm_image *cm)
{
	size_t i = 0, k = 0;
	int r;

	while (i < pm->n && k < cm->n) {
		const VmaEntry *a = pm->vmas[i], *b = cm->vmas[k];

		if (a->start < b->start) {
			i++;
			continue;
		}
		if (b->start < a->start) {
			k++;
			continue;
		}
		if (same_mapping(a, b) && cow_eligible(a)) {
			r = task_slots_alloc(pp, pm);
			if (r == 0)
				r = task_slots_alloc(c, cm);
			if (r == 0 && pp->slot[i] < 0)
				r = pp->slot[i] = slot_add(p, a);
			if (r < 0)
				return r;
			c->slot[k] = pp->slot[i];
		}
		i++;
		k++;
	}
	return 0;
}

struct span {
	uint64_t start, end;
};

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static int add_span(struct span **v, size_t *n, size_t *cap, uint64_t start, uint64_t end)
{
	if (*n == *cap) {
		size_t c = *cap ? 2 * *cap : 256;
		struct span *t = realloc(*v, c * sizeof(*t));

		if (!t)
			return -ENOMEM;
		*v = t;
		*cap = c;
	}
	(*v)[(*n)++] = (struct span){start, end};
	return 0;
}

/* What criu has mapped now: the tasks inherit it all until their rebuild. */
static int own_spans(struct span **v, size_t *n, size_t *cap)
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "re");
	int r = 0;

	if (!f)
		return pr_perror_ret("cannot open /proc/self/maps");
	while (r == 0 && fgets(line, sizeof(line), f)) {
		unsigned long long a, b;

		if (sscanf(line, "%llx-%llx", &a, &b) == 2)
			r = add_span(v, n, cap, a, b);
		/* a long path: the rest of the line is not another mapping */
		while (!strchr(line, '\n') && fgets(line, sizeof(line), f))
			;
	}
	fclose(f);
	return r;
}

/* A range of size bytes free in criu's layout and in every task's final one, or 0. */
static uint64_t find_arena(const struct cow_plan *p, uint64_t size)
{
	struct span *v = NULL;
	size_t n = 0, cap = 0;
	uint64_t at = ARENA_LOW, found = 0;
	int r = own_spans(&v, &n, &cap);

	for (size_t i = 0; r == 0 && i < p->nt; i++) {
		const struct mm_image *m = p->tasks[i].m;

		for (size_t k = 0; m && r == 0 && k < m->n; k++)
			if (m->vmas[k]->kind != VMA_KIND__VMA_VSYSCALL)
				r = add_span(&v, &n, &cap, m->vmas[k]->start, m->vmas[k]->end);
	}
	if (r == 0) {
		qsort(v, n, sizeof(*v), span_cmp);
		for (size_t i = 0; i <= n; i++) {
			uint64_t next = i < n ? v[i].start : TASK_TOP;

			if (next >= at && next - at >= size) {
				found = at;
				break;
			}
			if (i < n && v[i].end + HUGE_SZ > at)
				at = align_up(v[i].end + HUGE_SZ, HUGE_SZ);
		}
	}
	free(v);
	return found + size <= TASK_TOP ? found : 0;
}

static uint64_t run_end(const struct page_run *r)
{
	return r->vaddr + (uint64_t)r->nr_pages * PAGE_SZ;
}

static int run_cmp(const void *a, const void *b, void *runs)
{
	const struct page_run *r = runs;
	uint64_t x = r[*(const size_t *)a].vaddr, y = r[*(const size_t *)b].vaddr;

	return x < y ? -1 : x > y;
}

/* The pages of a task that has slots, for it to copy from after the fork. */
static int task_pages_map(struct cow_task *ct, struct img_dir *d, uint64_t id)
{
	void *map;
	int r;

	if (!img_dir_has(d, IMG_PAGEMAP, id))
		return 0;
	r = page_index_load(d, id, &ct->pi);
	if (r < 0 || !ct->pi.n)
		return r;
	ct->order = malloc(ct->pi.n * sizeof(*ct->order));
	if (!ct->order)
		return -ENOMEM;
	for (size_t i = 0; i < ct->pi.n; i++)
		ct->order[i] = i;
	qsort_r(ct->order, ct->pi.n, sizeof(*ct->order), run_cmp, ct->pi.runs);
	map = mmap(NULL, ct->pi.pages_size, PROT_READ, MAP_PRIVATE, ct->pi.pages_fd, 0);
	if (map == MAP_FAILED)
		return pr_perror_ret("pages-%" PRIu64 ".img: mmap", id);
	ct->pages = map;
	/* the mapping is enough: the tasks need no fd of it */
	close(ct->pi.pages_fd);
	ct->pi.pages_fd = -1;
	return 0;
}

/*
 * The file of a private file slot, opened by criu before the fork (its
 * tasks may see other files at that path: mm_restore compares the inodes
 * and maps the file anew then). A slot whose file is not a regular file
 * here is given up.
 */
static void open_slot_file(struct cow_plan *p, struct cow_slot *sl)
{
	int o = -1, f = -1;
	struct stat st;

	for (size_t s = 0; s < p->n && f < 0; s++)
		if (&p->slots[s] != sl && p->slots[s].fd >= 0 && !strcmp(p->slots[s].path, sl->path)) {
			sl->dev = p->slots[s].dev;
			sl->ino = p->slots[s].ino;
			f = fcntl(p->slots[s].fd, F_DUPFD_CLOEXEC, 0);
		}
	if (f < 0) {
		o = open(sl->path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (o >= 0 && fstat(o, &st) == 0 && S_ISREG(st.st_mode)) {
			f = self_fd_open(o, O_RDONLY | O_NOCTTY | O_NONBLOCK);
			sl->dev = st.st_dev;
			sl->ino = st.st_ino;
		}
		if (o >= 0)
			close(o);
	}
	sl->fd = f;
	if (f < 0) {
		pr_debug("%s (at %#" PRIx64 "): not opened here, not shared\n", sl->path, sl->start);
		sl->dead = true;
	}
}

/* Places the slots in the arena: each at its own address modulo 2 MiB (huge pages stay whole). */
static uint64_t layout_slots(struct cow_plan *p)
{
	uint64_t at = HUGE_SZ;

	for (size_t s = 0; s < p->n; s++) {
		struct cow_slot *sl = &p->slots[s];

		sl->tmp = at + (sl->start & (HUGE_SZ - 1));
		at = align_up(sl->tmp + (sl->end - sl->start), HUGE_SZ) + HUGE_SZ;
	}
	return at;
}

static int plan_arena(struct cow_plan *p)
{
	uint64_t size = layout_slots(p), base = find_arena(p, size);
	void *a;

	if (!base) {
		pr_warn("no free range of %" PRIu64
			" MiB: copy-on-write sharing between the tasks is not kept\n",
			size >> 20);
		return 1;
	}
	a = mmap((void *)(uintptr_t)base, size, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
	if (a == MAP_FAILED || (uint64_t)(uintptr_t)a != base) {
		if (a != MAP_FAILED)
			munmap(a, size);
		pr_warn("cannot reserve %#" PRIx64 "-%#" PRIx64
			": copy-on-write sharing between the tasks is not kept\n",
			base, base + size);
		return 1;
	}
	p->arena = base;
	p->arena_size = size;
	for (size_t s = 0; s < p->n; s++)
		p->slots[s].tmp += base;
	return 0;
}

/* Forgets the slots: every task is restored on its own. */
static void plan_drop(struct cow_plan *p)
{
	for (size_t i = 0; i < p->nt; i++)
		if (p->tasks[i].m) {
			free(p->tasks[i].m->cow);
			p->tasks[i].m->cow = NULL;
		}
	cow_plan_free(p);
}

int cow_plan_make(struct cow_plan *p, const struct pstree *t, struct mm_image **mms, struct img_dir *d)
{
	int r = 0;

	memset(p, 0, sizeof(*p));
	p->tasks = calloc(t->n, sizeof(*p->tasks));
	if (!p->tasks)
		return -ENOMEM;
	p->nt = t->n;
	for (size_t i = 0; i < t->n; i++)
		p->tasks[i].pi.pages_fd = -1;
	for (size_t i = 0; i < t->n && r == 0; i++) {
		const struct pstree_item *it = t->items[i];
		size_t pi = 0;

		if (!mms[i] || !it->parent)
			continue;
		while (pi < t->n && t->items[pi] != it->parent)
			pi++;
		if (pi < t->n && mms[pi])
			r = match_parent(p, &p->tasks[pi], mms[pi], &p->tasks[i], mms[i]);
	}
	if (r < 0 || !p->n) {
		plan_drop(p);
		return r < 0 ? pr_err_ret(r, "cannot plan the memory the tasks share") : 0;
	}
	p->mapped = calloc(p->n, sizeof(*p->mapped));
	if (!p->mapped) {
		plan_drop(p);
		return -ENOMEM;
	}
	if (plan_arena(p)) {
		plan_drop(p);
		return 0;
	}
	for (size_t i = 0; i < t->n && r == 0; i++) {
		struct cow_task *ct = &p->tasks[i];

		if (!ct->m)
			continue;
		r = task_pages_map(ct, d, t->items[i]->id);
		if (r == 0 && !(ct->m->cow = calloc(ct->m->n, sizeof(*ct->m->cow))))
			r = -ENOMEM;
		/* the file slots once their files are open (cow_plan_open_files) */
		for (size_t k = 0; r == 0 && k < ct->m->n; k++)
			if (ct->slot[k] >= 0 && !p->slots[ct->slot[k]].path)
				ct->m->cow[k].tmp = p->slots[ct->slot[k]].tmp;
	}
	if (r < 0) {
		plan_drop(p);
		return pr_err_ret(r, "cannot prepare the memory the tasks share");
	}
	pr_info("%zu mappings shared by a task and its parent, arena %#" PRIx64 "-%#" PRIx64 "\n", p->n,
		p->arena, p->arena + p->arena_size);
	return 0;
}

int cow_plan_open_files(struct cow_plan *p)
{
	for (size_t s = 0; s < p->n; s++)
		if (p->slots[s].path)
			open_slot_file(p, &p->slots[s]);
	for (size_t i = 0; i < p->nt; i++) {
		const struct cow_task *ct = &p->tasks[i];

		for (size_t k = 0; ct->m && ct->m->cow && k < ct->m->n; k++) {
			const struct cow_slot *sl = ct->slot[k] >= 0 ? &p->slots[ct->slot[k]] : NULL;

			if (sl && sl->path && !sl->dead)
				ct->m->cow[k] =
					(struct mm_cow_hold){.tmp = sl->tmp, .dev = sl->dev, .ino = sl->ino};
		}
	}
	return 0;
}

bool cow_task_has_slots(const struct cow_plan *p, size_t idx)
{
	return p->n && idx < p->nt && p->tasks[idx].m;
}

/* ---- in the task ---- */

static int drop_range(uint64_t addr, uint64_t len)
{
	if (len && madvise((void *)(uintptr_t)addr, len, MADV_DONTNEED) < 0)
		return -errno;
	return 0;
}

/* Copies [a, b) of the task's pages into the slot: all of it when fresh, else the pages that differ. */
static void copy_pages(unsigned char *dst, const unsigned char *src, uint64_t len, bool fresh)
{
	if (fresh) {
		memcpy(dst, src, len);
		return;
	}
	for (uint64_t off = 0; off < len; off += PAGE_SZ)
		if (memcmp(dst + off, src + off, PAGE_SZ))
			memcpy(dst + off, src + off, PAGE_SZ);
}

/*
 * Into an inherited private file mapping: a page the forker holds as its
 * own copy is kept when it is equal; one that is still the file's is
 * written (the task had its own copy, which later changes of the file
 * do not reach). pm: this task's pagemap.
 */
static int copy_file_pages(int pm, uint64_t dst, const unsigned char *src, uint64_t len)
{
	struct page_region reg[64];
	uint64_t at = dst;

	while (at < dst + len) {
		struct pm_scan_arg arg = {
			.size = sizeof(arg),
			.start = at,
			.end = dst + len,
			.vec = (uintptr_t)reg,
			.vec_len = sizeof(reg) / sizeof(reg[0]),
			.category_inverted = PAGE_IS_FILE,
			.category_mask = PAGE_IS_FILE,
			.category_anyof_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
			.return_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
		};
		long n = ioctl(pm, PAGEMAP_SCAN, &arg);

		if (n < 0)
			return -errno;
		for (long i = 0; i <= n; i++) {
			uint64_t own = i < n ? reg[i].start : arg.walk_end; /* [at, own): the file's pages */

			if (own > at)
				memcpy((void *)(uintptr_t)at, src + (at - dst), own - at);
			if (i == n)
				break;
			copy_pages((unsigned char *)(uintptr_t)reg[i].start, src + (reg[i].start - dst),
				   reg[i].end - reg[i].start, false);
			at = reg[i].end;
		}
		at = arg.walk_end > at ? arg.walk_end : at;
		if (arg.walk_end <= arg.start)
			break;
	}
	return 0;
}

/* Fills the slot of mapping v: fresh (mapped here), or inherited from the forker (fixed up). */
static int fill_slot(const struct cow_task *ct, const VmaEntry *v, const struct cow_slot *sl, bool fresh,
		     int pm)
{
	uint64_t covered = v->start, delta = sl->tmp - v->start;
	int r;

	for (size_t i = 0; i < ct->pi.n; i++) {
		const struct page_run *run = &ct->pi.runs[ct->order[i]];
		uint64_t a = run->vaddr > v->start ? run->vaddr : v->start;
		uint64_t b = run_end(run) < v->end ? run_end(run) : v->end;

		if (b <= a)
			continue;
		/* what the task does not have reads as zeros: the forker's pages go */
		if (!fresh && a > covered && (r = drop_range(covered + delta, a - covered)) < 0)
			return r;
		if (fresh || !sl->path)
			copy_pages((unsigned char *)(uintptr_t)(a + delta),
				   ct->pages + run->offset + (a - run->vaddr), b - a, fresh);
		else if ((r = copy_file_pages(pm, a + delta, ct->pages + run->offset + (a - run->vaddr),
					      b - a)) < 0)
			return r;
		covered = b;
	}
	return fresh ? 0 : drop_range(covered + delta, v->end - covered);
}

static int map_slot(const struct cow_slot *sl, int prot, int flags)
{
	void *a;

	if (sl->path && prot != PROT_NONE)
		a = mmap((void *)(uintptr_t)sl->tmp, sl->end - sl->start, prot, MAP_PRIVATE | MAP_FIXED,
			 sl->fd, (off_t)sl->pgoff);
	else
		a = mmap((void *)(uintptr_t)sl->tmp, sl->end - sl->start, prot,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | flags, -1, 0);
	return a == MAP_FAILED ? -errno : 0;
}

int cow_task_setup(struct cow_plan *p, size_t idx)
{
	const struct cow_task *ct;
	bool *want;
	int r = 0, pm;

	if (!cow_task_has_slots(p, idx))
		return 0;
	ct = &p->tasks[idx];
	pm = self_proc_open("self/pagemap", O_RDONLY);
	if (pm < 0)
		return pr_err_ret(pm, "pid %d: cannot open its pagemap", getpid());
	want = calloc(p->n, sizeof(*want));
	if (!want) {
		close(pm);
		return -ENOMEM;
	}
	for (size_t k = 0; k < ct->m->n; k++)
		if (ct->slot[k] >= 0)
			want[ct->slot[k]] = true;
	/* the forker's slots this task has not: back to the reservation */
	for (size_t s = 0; s < p->n && r == 0; s++)
		if (p->mapped[s] && !want[s]) {
			r = map_slot(&p->slots[s], PROT_NONE, MAP_NORESERVE);
			p->mapped[s] = false;
		}
	for (size_t k = 0; k < ct->m->n && r == 0; k++) {
		int32_t s = ct->slot[k];
		const VmaEntry *v = ct->m->vmas[k];
		bool fresh;

		if (s < 0 || p->slots[s].dead)
			continue;
		fresh = !p->mapped[s];
		if (fresh)
			r = map_slot(&p->slots[s], PROT_READ | PROT_WRITE,
				     (int)(v->flags & (MAP_GROWSDOWN | MAP_NORESERVE)));
		if (r == 0)
			r = fill_slot(ct, v, &p->slots[s], fresh, pm);
		if (r < 0)
			r = pr_err_ret(r,
				       "pid %d: mapping %#" PRIx64 "-%#" PRIx64 " (shared with its parent)",
				       getpid(), v->start, v->end);
		else
			pr_debug("pid %d: %#" PRIx64 "-%#" PRIx64 " %s at %#" PRIx64 "\n", getpid(), v->start,
				 v->end, fresh ? "filled" : "inherited", p->slots[s].tmp);
		p->mapped[s] = r == 0;
	}
	free(want);
	close(pm);
	return r;
}

void cow_plan_free(struct cow_plan *p)
{
	for (size_t i = 0; i < p->nt; i++) {
		struct cow_task *ct = &p->tasks[i];

		if (ct->pages)
			munmap((void *)ct->pages, ct->pi.pages_size);
		page_index_free(&ct->pi);
		free(ct->order);
		free(ct->slot);
	}
	if (p->arena_size)
		munmap((void *)(uintptr_t)p->arena, p->arena_size);
	for (size_t s = 0; s < p->n; s++)
		if (p->slots[s].fd >= 0)
			close(p->slots[s].fd);
	free(p->tasks);
	free(p->slots);
	free(p->mapped);
	memset(p, 0, sizeof(*p));
}
