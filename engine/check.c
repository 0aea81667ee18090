/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * criu check: runs the kernel probes (kerndat.c) and says what it found.
 *
 *   criu check               basic probes: "Looks good." or each failure and
 *                            "Does not look good.", exit 1;
 *   criu check --extra/--all also the extra probes; their failures give
 *                            criu's "Looks good but some kernel features are
 *                            missing ..." and, as with criu, exit 1;
 *   criu check --feature X   only probe X: "X is supported" (exit 0) or
 *                            "X is NOT supported" (exit 1); "list" lists them.
 *                            A kernel feature this binary does not use yet
 *                            (dirty tracking, userfaultfd) is NOT supported:
 *                            callers ask to learn whether criu can use it.
 *
 * Verdicts go to stdout, where criu prints them and scripts grep for them;
 * the reasons go to the log.
 */
#define LOG_PREFIX "check: "
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "engine.h"
#include "kerndat.h"
#include "log.h"

#define CHECK_GOOD "Looks good."
#define CHECK_BAD  "Does not look good."
#define CHECK_MAYBE                                                                                          \
	"Looks good but some kernel features are missing\n"                                                  \
	"which, depending on your process tree, may cause\n"                                                 \
	"dump or restore failure."

/* A verdict line: stdout for the user, and the log when that is a file. */
__attribute__((format(printf, 1, 2))) static void check_say(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fputs(line, stdout);
	fputc('\n', stdout);
	fflush(stdout);
	if (log_is_file())
		pr_info("%s\n", line);
}

/* All probe names, space-separated, wrapped before width columns. */
static char *check_feature_names(const char *indent, size_t width)
{
	char *buf = NULL;
	size_t len = 0, col = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	for (size_t i = 0; i < kerndat_count(); i++) {
		const char *name = kerndat_name(i);
		size_t n = strlen(name);

		if (col && col + 1 + n > width) {
			fprintf(f, "\n%s", indent);
			col = strlen(indent);
		} else if (col) {
			fputc(' ', f);
			col++;
		}
		fputs(name, f);
		col += n;
	}
	if (fclose(f))
		return NULL;
	return buf;
}

/*
 * Kernel features this binary has no user of yet: the kernel may have them,
 * but a runtime that asks wants to know whether criu can pre-dump or restore
 * lazily, and it cannot (issue: live migration).
 */
static const struct {
	const char *name;
	const char *user;
} unbuilt[] = {
	{"mem_dirty_track", "pre-dump and --track-mem"},
	{"uffd", "lazy-pages"},
	{"uffd-noncoop", "lazy-pages"},
};

static const char *unbuilt_user(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(unbuilt); i++)
		if (!strcmp(unbuilt[i].name, name))
			return unbuilt[i].user;
	return NULL;
}

static int check_one_feature(const char *name)
{
	_cleanup_free_ char *names = NULL;
	int r;

	if (!strcmp(name, "list")) {
		names = check_feature_names("", 80);
		if (!names)
			return pr_err_ret(-ENOMEM, "listing the features");
		check_say("%s", names);
		return 0;
	}
	r = kerndat_probe(name);
	if (r < 0) {
		names = check_feature_names("  ", 100);
		pr_err("unknown feature %s; known features:\n  %s\n", name, names ? names : "?");
		return -EINVAL;
	}
	if (r == 0) {
		pr_warn("%s: %s: %s\n", name, kerndat_why(name), strerror(-kerndat_error(name)));
		check_say("%s is NOT supported", name);
		return -ENOTSUP;
	}
	if (unbuilt_user(name)) {
		pr_warn("%s: the kernel has it, but this criu has no %s yet\n", name, unbuilt_user(name));
		check_say("%s is NOT supported", name);
		return -ENOTSUP;
	}
	check_say("%s is supported", name);
	return 0;
}

static int check_features(const struct cr_strv *features)
{
	int err = 0;

	for (size_t i = 0; i < features->n; i++) {
		int r = check_one_feature(features->v[i]);

		if (r < 0 && !err)
			err = r;
	}
	return err;
}

/* Runs every probe of one class; returns the number that failed. */
static int check_class(enum kerndat_class cls)
{
	int failed = 0;

	for (size_t i = 0; i < kerndat_count(); i++) {
		const char *name = kerndat_name(i);
		int err;

		if (kerndat_class_of(i) != cls || kerndat_probe(name) == 1)
			continue;
		err = kerndat_error(name);
		if (err == -ENOENT && kerndat_absent_ok(i)) {
			pr_info("%s: %s: %s (not needed unless the tree uses it)\n", name, kerndat_why(name),
				strerror(-err));
			continue;
		}
		if (cls == KD_BASIC)
			pr_err("%s: %s: %s\n", name, kerndat_why(name), strerror(-err));
		else
			pr_warn("%s: %s: %s\n", name, kerndat_why(name), strerror(-err));
		failed++;
	}
	return failed;
}

int cr_check(struct cr_request *req)
{
	const struct cr_opts *o = &req->opts;

	if (o->features.n)
		return check_features(&o->features);

	if (check_class(KD_BASIC)) {
		check_say("%s", CHECK_BAD);
		return -ENOTSUP;
	}
	/* --experimental alone adds nothing: we have no experimental probes */
	if ((o->check_all || o->check_extra) && check_class(KD_EXTRA)) {
		check_say("%s", CHECK_MAYBE);
		return -ENOTSUP;
	}
	check_say("%s", CHECK_GOOD);
	return 0;
}
