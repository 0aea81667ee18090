/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A tiny test harness. Each test function runs with t_run() and prints one
 * line, "PASS name", "FAIL name" or "SKIP name: reason", which tests/run.sh
 * counts; a failed check prints what differed just above its FAIL line.
 *
 *	static void test_roundtrip(void) { CHECK(x == 1); CHECK_EQ_INT(a, b); }
 *	int main(void) { t_run("roundtrip", test_roundtrip); return t_done(); }
 */
#ifndef CR_TESTS_T_H
#define CR_TESTS_T_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_failed_here, t_skipped_here, t_failures;
static char t_skip_reason[256];

#define T_FAILF(fmt, ...)                                                                   \
	do {                                                                                \
		printf("    %s:%d: " fmt "\n", __FILE__, __LINE__, ##__VA_ARGS__);              \
		t_failed_here = 1;                                                          \
	} while (0)

#define CHECK(cond)                                                                         \
	do {                                                                                \
		if (!(cond))                                                                \
			T_FAILF("check failed: %s", #cond);                                  \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                                  \
	do {                                                                                \
		long long _a = (long long)(a), _b = (long long)(b);                         \
		if (_a != _b)                                                               \
			T_FAILF("%s == %s: got %lld, expected %lld", #a, #b, _a, _b);        \
	} while (0)

#define CHECK_EQ_STR(a, b)                                                                  \
	do {                                                                                \
		const char *_a = (a), *_b = (b);                                            \
		if (!_a || !_b || strcmp(_a, _b))                                           \
			T_FAILF("%s == %s: got \"%s\", expected \"%s\"", #a, #b,             \
				_a ? _a : "(null)", _b ? _b : "(null)");                     \
	} while (0)

/* Marks the running test skipped (it must not also have failed). */
#define T_SKIP(fmt, ...)                                                                    \
	do {                                                                                \
		snprintf(t_skip_reason, sizeof(t_skip_reason), fmt, ##__VA_ARGS__);         \
		t_skipped_here = 1;                                                         \
	} while (0)

static inline void t_run(const char *name, void (*fn)(void))
{
	t_failed_here = t_skipped_here = 0;
	fflush(stdout);
	fn();
	if (t_failed_here) {
		printf("FAIL %s\n", name);
		t_failures++;
	} else if (t_skipped_here) {
		printf("SKIP %s: %s\n", name, t_skip_reason);
	} else {
		printf("PASS %s\n", name);
	}
	fflush(stdout);
}

static inline int t_done(void)
{
	return t_failures ? 1 : 0;
}

#endif
