/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* --cgroup-props: criu's format, merge and replace, and what it refuses. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cgroup_priv.h"
#include "log.h"
#include "t.h"

static void test_format(void)
{
	const char *text = "# the props of two controllers\n"
			   "\"cpu\":\n"
			   " - \"strategy\": \"replace\"\n"
			   " - \"properties\": [\"cpu.shares\", \"cpu.cfs_period_us\"]\n"
			   "memory:\n"
			   " - properties: [ 'memory.limit_in_bytes' ,\n   'memory.oom_control' ]\n"
			   "\"unified\":\n"
			   " - \"properties\": [\"memory.oom.group\"]\n";
	struct cg_props_conf *c = NULL;
	const char *const *p;
	bool replace = true;

	CHECK_EQ_INT(cg_props_parse(text, &c), 0);
	if (!c)
		return;
	p = cg_props_for(c, "cpu", &replace);
	CHECK(p && replace);
	if (p) {
		CHECK_EQ_STR(p[0], "cpu.shares");
		CHECK_EQ_STR(p[1], "cpu.cfs_period_us");
		CHECK(p[2] == NULL);
	}
	p = cg_props_for(c, "memory", &replace);
	CHECK(p && !replace); /* merge by default */
	if (p) {
		CHECK_EQ_STR(p[0], "memory.limit_in_bytes");
		CHECK_EQ_STR(p[1], "memory.oom_control");
	}
	p = cg_props_for(c, "", &replace);
	CHECK(p && !replace && !strcmp(p[0], "memory.oom.group"));
	CHECK(cg_props_for(c, "pids", &replace) == NULL);
	cg_props_free(c);
}

static void test_refused(void)
{
	static const char *const bad[] = {
		"cpu:\n - strategy: sometimes\n",	  /* neither merge nor replace */
		"cpu:\n - properties: [\"../../x\"]\n",	  /* leaves the cgroup */
		"cpu:\n - properties: [\"cpu.shares\"\n", /* unterminated list */
		"cpu:\n - colour: blue\n",		  /* unknown key */
		"\"cpu\n",				  /* unterminated string */
		"[cpu]\n",				  /* not a controller name */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cg_props_conf *c = NULL;
		int r = cg_props_parse(bad[i], &c);

		if (r >= 0) {
			T_FAILF("accepted: %s", bad[i]);
			cg_props_free(c);
		}
	}
}

int main(void)
{
	t_run("cgroup_props_format", test_format);
	t_run("cgroup_props_refused", test_refused);
	return t_done();
}
