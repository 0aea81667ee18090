/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Kernel feature probes ("kerndat"). Each probe really exercises the
 * interface (ptrace on a forked child, clone3 with set_tid in a new pid
 * namespace, a sock_diag dump that must find our own socket, ...); results
 * are cached per process, the one read-only global cache CONVENTIONS.md allows.
 *
 * Names are criu's `criu check --feature` names where criu has one
 * (mem_dirty_track, uffd-noncoop, pidfd_store, ...); ours are added beside
 * them (ptrace_seize, pagemap_scan, tcp_repair, ...).
 */
#ifndef CR_KERNDAT_H
#define CR_KERNDAT_H

#include <stdbool.h>
#include <stddef.h>

/* What `criu check` does with a probe. */
enum kerndat_class {
	KD_BASIC,	 /* plain `criu check`: a failure means "does not look good" */
	KD_EXTRA,	 /* --extra / --all: a failure means "may fail for some trees" */
	KD_FEATURE_ONLY, /* only with --feature NAME */
};

/*
 * Runs (once per process) the probe called name. Returns 1 supported, 0 not
 * supported, -ENOENT for a name no probe has.
 */
int kerndat_probe(const char *name);

/*
 * Why the probe called name last failed ("clone3(set_tid=42) in a new pid
 * namespace: Operation not permitted"), or NULL when it passed, was never
 * run or does not exist.
 */
const char *kerndat_why(const char *name);
/* The -errno the probe called name last failed with, or 0. */
int kerndat_error(const char *name);

/* The number of probes, and probe i's name and class (i < kerndat_count()). */
size_t kerndat_count(void);
const char *kerndat_name(size_t i);
enum kerndat_class kerndat_class_of(size_t i);
/* Whether an absent device (-ENOENT) is acceptable for probe i under --extra. */
bool kerndat_absent_ok(size_t i);

/*
 * The RPC FEATURE_CHECK answer: what this binary can do on this kernel.
 * Each non-NULL ret_* is set:
 *   mem_track:   false: pre-dump with memory tracking is not built yet (the
 *                kernel side is probe "mem_dirty_track");
 *   lazy_pages:  false: lazy pages are not built yet (probes "uffd", "uffd-noncoop");
 *   pidfd_store: pidfd_open + pidfd_getfd.
 * Returns 0; a probe that fails only makes its answer false.
 */
int cr_feature_check(bool *ret_mem_track, bool *ret_lazy_pages, bool *ret_pidfd_store);

#endif
