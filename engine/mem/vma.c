/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading the mappings of a task from /proc/PID/smaps. */
#define LOG_PREFIX "vma: "
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cleanup.h"
#include "compat.h"
#include "log.h"
#include "vma.h"

void vma_list_free(struct vma_list *list)
{
	for (size_t i = 0; i < list->n; i++)
		free(list->v[i].path);
	free(list->v);
	list->v = NULL;
	list->n = list->cap = 0;
}

static struct vma *vma_list_add(struct vma_list *list)
{
	if (list->n == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 64;
		struct vma *nv = realloc(list->v, cap * sizeof(*nv));

		if (!nv)
			return NULL;
		list->v = nv;
		list->cap = cap;
	}
	memset(&list->v[list->n], 0, sizeof(list->v[0]));
	return &list->v[list->n++];
}

static bool is_shmem_anon_path(const char *p)
{
	/* MAP_SHARED|MAP_ANONYMOUS and SysV shm show up as shmem files, with MAP_HUGETLB as hugetlbfs ones */
	return !strcmp(p, "/dev/zero (deleted)") || !strncmp(p, "/SYSV", 5) || !strncmp(p, "[anon_shmem:", 12) ||
	       !strcmp(p, HUGETLB_ANON_PATH);
}

/* Classifies a mapping from its name, sharing and inode. */
static void vma_classify(struct vma *v, bool shared)
{
	const char *p = v->path;

	if (p && !strcmp(p, "[vdso]"))
		v->kind = VMA_KIND__VMA_VDSO;
	else if (p && !strncmp(p, "[vvar", 5))
		v->kind = VMA_KIND__VMA_VVAR; /* [vvar] and [vvar_vclock] */
	else if (p && !strcmp(p, "[vsyscall]"))
		v->kind = VMA_KIND__VMA_VSYSCALL;
	else if (p && !strcmp(p, "[heap]"))
		v->kind = VMA_KIND__VMA_HEAP;
	else if (shared && (!p || is_shmem_anon_path(p)))
		v->kind = VMA_KIND__VMA_ANON_SHARED;
	else if (!shared && p && !strcmp(p, HUGETLB_ANON_PATH)) /* MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB */
		v->kind = VMA_KIND__VMA_ANON_PRIVATE;
	else if (p && !strncmp(p, "socket:[", 8)) /* a packet socket's ring */
		v->kind = VMA_KIND__VMA_PACKET_RING;
	else if (!v->ino && (!p || p[0] == '['))
		v->kind = (p && !strcmp(p, "[stack]")) ? VMA_KIND__VMA_STACK : VMA_KIND__VMA_ANON_PRIVATE;
	else
		v->kind = shared ? VMA_KIND__VMA_FILE_SHARED : VMA_KIND__VMA_FILE_PRIVATE;

	v->flags = shared ? MAP_SHARED : MAP_PRIVATE;
	if (v->kind == VMA_KIND__VMA_ANON_PRIVATE || v->kind == VMA_KIND__VMA_STACK ||
	    v->kind == VMA_KIND__VMA_HEAP || v->kind == VMA_KIND__VMA_ANON_SHARED)
		v->flags |= MAP_ANONYMOUS;
}

static int parse_header(const char *line, const char *name, struct vma *v)
{
	unsigned long long start, end, pgoff, ino;
	unsigned int maj, min;
	char perms[5];
	int n = 0;
	const char *path;
	size_t plen;

	if (sscanf(line, "%llx-%llx %4s %llx %x:%x %llu %n", &start, &end, perms, &pgoff, &maj, &min, &ino, &n) < 7 ||
	    start >= end) {
		pr_err("%s: cannot parse mapping line \"%.80s\"\n", name, line);
		return -EBADMSG;
	}
	v->start = start;
	v->end = end;
	v->pgoff = pgoff;
	v->dev = makedev(maj, min);
	v->ino = ino;
	v->prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
		  (perms[2] == 'x' ? PROT_EXEC : 0);
	path = line + n;
	plen = strcspn(path, "\n");
	if (plen) {
		v->path = strndup(path, plen);
		if (!v->path)
			return -ENOMEM;
		if (plen > 10 && !strcmp(v->path + plen - 10, " (deleted)") && strcmp(v->path, HUGETLB_ANON_PATH))
			v->deleted = true;
	}
	vma_classify(v, perms[3] == 's');
	return 0;
}

/* MAP_HUGE_* of a page size: its log2 in bits 26-31 (mmap(2)); 0 for an unknown size */
static uint32_t huge_bits(uint64_t size)
{
	unsigned int shift = 0;

	if (!size || (size & (size - 1)))
		return 0;
	while ((1ull << shift) < size)
		shift++;
	return (uint32_t)shift << MAP_HUGE_SHIFT;
}

static void parse_vmflags(const char *flags, struct vma *v)
{
	static const struct {
		char code[3];
		uint32_t madv;
	} map[] = { { "dc", VMA_MADV_DONTFORK },  { "wf", VMA_MADV_WIPEONFORK }, { "hg", VMA_MADV_HUGEPAGE },
		    { "nh", VMA_MADV_NOHUGEPAGE }, { "mg", VMA_MADV_MERGEABLE },	 { "dd", VMA_MADV_DONTDUMP },
		    { "rr", VMA_MADV_RANDOM },	   { "sr", VMA_MADV_SEQUENTIAL } };

	for (const char *p = flags; *p && *p != '\n';) {
		while (*p == ' ')
			p++;
		if (!p[0] || !p[1] || p[0] == '\n')
			break;
		for (size_t i = 0; i < ARRAY_SIZE(map); i++)
			if (p[0] == map[i].code[0] && p[1] == map[i].code[1])
				v->madv |= map[i].madv;
		if (p[0] == 'g' && p[1] == 'd')
			v->flags |= MAP_GROWSDOWN;
		if (p[0] == 'n' && p[1] == 'r') /* VM_NORESERVE: huge sparse reservations, ASan's shadow */
			v->flags |= MAP_NORESERVE;
		if (p[0] == 'd' && p[1] == 'p') /* VM_DROPPABLE: the kernel may drop its pages */
			v->flags |= MAP_DROPPABLE;
		if (p[0] == 'h' && p[1] == 't') /* VM_HUGETLB: its page size (KernelPageSize, read before) goes along */
			v->flags |= MAP_HUGETLB | huge_bits(v->kpage_size);
		if (p[0] == 'l' && p[1] == 'o' && !v->lock)
			v->lock = VMA_LOCKED;
		if (p[0] == 'l' && p[1] == 'f') /* VM_LOCKONFAULT, with "lo" */
			v->lock = VMA_LOCKONFAULT;
		if (p[0] == 'm' && p[1] == 'w')
			v->may_write = true;
		if (p[0] == 'a' && p[1] == 'c')
			v->accounted = true;
		p += 2;
	}
	if (v->kind == VMA_KIND__VMA_ANON_PRIVATE && (v->flags & MAP_GROWSDOWN))
		v->kind = VMA_KIND__VMA_STACK;
}

int vma_parse_smaps(const char *text, size_t len, const char *name, struct vma_list *list)
{
	const char *line = text, *end = text + len;
	struct vma *cur = NULL;

	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t first = strcspn(line, " \n");

		if (!nl)
			nl = end;
		if (first && line[first - 1] == ':') {
			unsigned long long kb;

			if (cur && !strncmp(line, "VmFlags:", 8))
				parse_vmflags(line + 8, cur);
			/* no sscanf on the whole text: it measures all that is left each time */
			if (cur && !strncmp(line, "KernelPageSize:", 15)) {
				kb = strtoull(line + 15, NULL, 10);
				cur->kpage_size = (uint64_t)kb << 10;
			}
		} else if (first) {
			_cleanup_free_ char *copy = strndup(line, (size_t)(nl - line));
			int r;

			cur = copy ? vma_list_add(list) : NULL;
			if (!cur)
				return pr_err_ret(-ENOMEM, "%s: cannot list mappings", name);
			r = parse_header(copy, name, cur);
			if (r < 0)
				return r;
			if (list->n > 1 && cur[-1].end > cur->start) {
				pr_err("%s: mappings out of order at %" PRIx64 "\n", name, cur->start);
				return -EBADMSG;
			}
		}
		line = nl + 1;
	}
	return 0;
}

int vma_collect(pid_t pid, struct vma_list *list)
{
	char path[64];
	_cleanup_close_ int fd = -EBADF;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/smaps", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pr_perror_ret("pid %d: cannot open %s", pid, path);
	for (;;) {
		ssize_t n;

		if (cap - len < 65536) {
			size_t ncap = cap ? cap * 2 : 1 << 20;
			char *nb = realloc(buf, ncap);

			if (!nb)
				return pr_err_ret(-ENOMEM, "pid %d: cannot read %s", pid, path);
			buf = nb;
			cap = ncap;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return pr_perror_ret("pid %d: cannot read %s", pid, path);
		if (n == 0)
			break;
		len += (size_t)n;
	}
	r = vma_parse_smaps(buf, len, path, list);
	if (r < 0)
		vma_list_free(list);
	return r;
}

bool vma_has_dumpable_pages(const struct vma *v)
{
	/*
	 * A MAP_DROPPABLE mapping's pages are the kernel's to drop at any time
	 * and its owner reads zero then: they are not kept (as criu does), and
	 * it comes back empty.
	 */
	if (v->plugin || v->flags & MAP_DROPPABLE)
		return false;
	switch (v->kind) {
	case VMA_KIND__VMA_ANON_PRIVATE:
	case VMA_KIND__VMA_STACK:
	case VMA_KIND__VMA_HEAP:
	case VMA_KIND__VMA_FILE_PRIVATE: /* only its COW'ed pages */
	case VMA_KIND__VMA_ANON_SHARED:
		return true;
	default:
		return false;
	}
}
