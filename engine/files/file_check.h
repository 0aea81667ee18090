/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Files are known by path and checked by content, never by inode or device
 * number (docs/images.md, "Files on another machine"): a restore on another
 * host, or from a copied root filesystem, finds the same files at the same
 * paths with other inodes. What the dump records of a file (its mode, its
 * size and, for ELF files, the NT_GNU_BUILD_ID note) is compared with what
 * the path names at restore:
 *
 *  - the type (regular, directory, ...) always;
 *  - the r/w/x permission bits, unless --skip-file-rwx-check;
 *  - --file-validation buildid (the default): an ELF file's build-id, and
 *    the size of a file that had none; --file-validation filesize: the size.
 *
 * Used by mapped files and executables (engine/mem/) and by open regular
 * files (regular.c). Files restored from their contents in the images
 * (unlinked files, memfds) are not checked: they are made anew.
 */
#ifndef CR_FILES_FILE_CHECK_H
#define CR_FILES_FILE_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "elf_buildid.h"

/* --file-validation and --skip-file-rwx-check, for one restore. */
struct file_check_opts {
	bool by_size;  /* filesize; otherwise buildid */
	bool skip_rwx; /* the permission bits are not compared */
};

/* What a file was at dump. A field an older image lacks is not compared. */
struct file_ident {
	bool has_size, has_mode;
	uint64_t size;
	uint32_t mode; /* st_mode */
	size_t build_id_len;
	const uint8_t *build_id; /* build_id_len bytes, or NULL */
};

/*
 * Dump: the identity of the file open as fd (st its fstat), with its
 * build-id stored in id[ELF_BUILD_ID_MAX] when it is an ELF file that has
 * one. fd may be write-only: the file is then read through a new read-only
 * description of it; a file criu cannot read has no build-id recorded (its
 * size is checked instead). Quiet; cannot fail.
 */
void file_ident_read(int fd, const struct stat *st, uint8_t *id, struct file_ident *ret);

/*
 * Restore: 0 if the file open as fd is what want describes, else -ESTALE
 * with what differed written into why (e.g. "build-id 1a2b.. at dump,
 * 3c4d.. now", "size 1234 at dump, 1240 now", "mode 0755 at dump, 0644
 * now"), or the -errno of a failed fstat/read. Quiet: the caller logs why
 * with the pid and path.
 */
int file_check(const struct file_check_opts *o, int fd, const struct file_ident *want, char *why,
	       size_t why_size);

/*
 * Opens path (absolute, from an image) as task pid sees it: resolved inside
 * its root with RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, so ".." and
 * absolute symlinks stop at that root. flags: O_PATH or O_RDONLY with
 * O_NONBLOCK/O_NOCTTY/O_DIRECTORY. Returns the fd or -errno, quietly.
 */
int file_open_in_task_root(pid_t pid, const char *path, int flags);

#endif
