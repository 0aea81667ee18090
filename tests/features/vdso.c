/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vDSO: its address (AT_SYSINFO_EHDR) and the [vdso]/[vvar] mappings stay,
 * the ELF image there still exports __vdso_clock_gettime and
 * __vdso_gettimeofday, calling them directly gives the same time as the
 * system call, and clocks read through glibc are monotonic across restore.
 */
#include <elf.h>
#include <sys/auxv.h>
#include <sys/time.h>

#include "feature.h"

/* Looks a symbol up in the vDSO's dynamic symbol table. */
static void *vdso_sym(uintptr_t base, const char *name)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)base;
	Elf64_Phdr *ph;
	Elf64_Dyn *dyn = NULL;
	Elf64_Sym *symtab = NULL;
	const char *strtab = NULL;
	uint32_t *hash = NULL;
	uintptr_t load = 0;
	int have_load = 0;

	if (memcmp(eh->e_ident, ELFMAG, SELFMAG))
		return NULL;
	ph = (Elf64_Phdr *)(base + eh->e_phoff);
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && !have_load) {
			load = base + ph[i].p_offset - ph[i].p_vaddr;
			have_load = 1;
		} else if (ph[i].p_type == PT_DYNAMIC)
			dyn = (Elf64_Dyn *)(base + ph[i].p_offset);
	}
	if (!dyn || !have_load)
		return NULL;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		if (dyn->d_tag == DT_SYMTAB)
			symtab = (Elf64_Sym *)(load + dyn->d_un.d_ptr);
		else if (dyn->d_tag == DT_STRTAB)
			strtab = (const char *)(load + dyn->d_un.d_ptr);
		else if (dyn->d_tag == DT_HASH)
			hash = (uint32_t *)(load + dyn->d_un.d_ptr);
	}
	if (!symtab || !strtab || !hash)
		return NULL;
	for (uint32_t i = 0; i < hash[1]; i++)
		if (symtab[i].st_shndx != SHN_UNDEF && !strcmp(strtab + symtab[i].st_name, name))
			return (void *)(load + symtab[i].st_value);
	return NULL;
}

static long long ts_ns(const struct timespec *t)
{
	return t->tv_sec * 1000000000LL + t->tv_nsec;
}

int main(int argc, char **argv)
{
	int (*vgettime)(clockid_t, struct timespec *);
	int (*vgtod)(struct timeval *, void *);
	struct timespec m0, m1, r0, r1, v, s;
	struct timeval tv0, tv1, vtv;
	uintptr_t base0, base1, vstart0 = 0, vstart1 = 0, vvstart0 = 0, vvstart1 = 0;
	char name[64];

	feat_init(argc, argv);
	base0 = getauxval(AT_SYSINFO_EHDR);
	if (!base0)
		feat_skip("no vDSO");
	feat_map_find((void *)base0, NULL, NULL, 0, &vstart0, NULL);
	/* [vvar] sits right below [vdso] */
	if (!feat_map_find((void *)(vstart0 - 1), NULL, name, sizeof(name), &vvstart0, NULL) && strcmp(name, "[vvar]"))
		vvstart0 = 0;
	clock_gettime(CLOCK_MONOTONIC, &m0);
	clock_gettime(CLOCK_REALTIME, &r0);
	gettimeofday(&tv0, NULL);

	feat_ready();
	feat_wait_go();

	clock_gettime(CLOCK_MONOTONIC, &m1);
	clock_gettime(CLOCK_REALTIME, &r1);
	gettimeofday(&tv1, NULL);
	FEAT_CHECK(ts_ns(&m1) >= ts_ns(&m0) && ts_ns(&m1) - ts_ns(&m0) < 120000000000LL,
		   "CLOCK_MONOTONIC went from %lld to %lld ns", ts_ns(&m0), ts_ns(&m1));
	FEAT_CHECK(ts_ns(&r1) >= ts_ns(&r0) && ts_ns(&r1) - ts_ns(&r0) < 120000000000LL,
		   "CLOCK_REALTIME went from %lld to %lld ns", ts_ns(&r0), ts_ns(&r1));
	FEAT_CHECK(tv1.tv_sec >= tv0.tv_sec && tv1.tv_sec - tv0.tv_sec < 120, "gettimeofday went from %ld to %ld s",
		   (long)tv0.tv_sec, (long)tv1.tv_sec);

	base1 = getauxval(AT_SYSINFO_EHDR);
	FEAT_CHECK(base1 == base0, "AT_SYSINFO_EHDR %#lx, expected %#lx", (unsigned long)base1, (unsigned long)base0);
	if (feat_map_find((void *)base0, NULL, name, sizeof(name), &vstart1, NULL))
		feat_fail("nothing mapped at the vDSO address %#lx", (unsigned long)base0);
	else {
		FEAT_CHECK(!strcmp(name, "[vdso]"), "mapping at the vDSO address is '%s', expected [vdso]", name);
		FEAT_CHECK(vstart1 == vstart0, "[vdso] starts at %#lx, expected %#lx", (unsigned long)vstart1,
			   (unsigned long)vstart0);
	}
	if (vvstart0) {
		if (feat_map_find((void *)(vstart0 - 1), NULL, name, sizeof(name), &vvstart1, NULL) ||
		    strcmp(name, "[vvar]"))
			feat_fail("no [vvar] right below [vdso] any more");
		else
			FEAT_CHECK(vvstart1 == vvstart0, "[vvar] starts at %#lx, expected %#lx", (unsigned long)vvstart1,
				   (unsigned long)vvstart0);
	}

	vgettime = (int (*)(clockid_t, struct timespec *))vdso_sym(base1, "__vdso_clock_gettime");
	vgtod = (int (*)(struct timeval *, void *))vdso_sym(base1, "__vdso_gettimeofday");
	if (!vgettime || !vgtod) {
		feat_fail("the vDSO image does not export __vdso_clock_gettime/__vdso_gettimeofday");
		return feat_done();
	}
	syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &s);
	vgettime(CLOCK_MONOTONIC, &v);
	FEAT_CHECK(ts_ns(&v) >= ts_ns(&s) && ts_ns(&v) - ts_ns(&s) < 100000000LL,
		   "vDSO CLOCK_MONOTONIC %lld ns vs system call %lld ns", ts_ns(&v), ts_ns(&s));
	syscall(SYS_clock_gettime, CLOCK_REALTIME, &s);
	vgettime(CLOCK_REALTIME, &v);
	FEAT_CHECK(ts_ns(&v) >= ts_ns(&s) && ts_ns(&v) - ts_ns(&s) < 100000000LL,
		   "vDSO CLOCK_REALTIME %lld ns vs system call %lld ns", ts_ns(&v), ts_ns(&s));
	vgtod(&vtv, NULL);
	FEAT_CHECK(vtv.tv_sec - s.tv_sec <= 1 && vtv.tv_sec >= s.tv_sec, "vDSO gettimeofday %ld s vs %ld s",
		   (long)vtv.tv_sec, (long)s.tv_sec);
	return feat_done();
}
