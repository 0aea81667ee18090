/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * --cgroup-props / --cgroup-props-file: which properties of a controller
 * the dump records, in criu's format (a YAML subset):
 *
 *	"cpu":
 *	 - "strategy": "replace"
 *	 - "properties": ["cpu.shares", "cpu.cfs_period_us"]
 *	"memory":
 *	 - "strategy": "merge"
 *	 - "properties": ["memory.limit_in_bytes"]
 *
 * "merge" (the default) adds the properties to the ones criu records for the
 * controller, "replace" records only them. "unified" names cgroup2. Quotes
 * are optional; "#" starts a comment.
 */
#define LOG_PREFIX "cgroup: "
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup_priv.h"
#include "cleanup.h"
#include "log.h"

struct cg_props_ctrl {
	char *ctrl;
	bool replace;
	char **props; /* NULL-terminated */
	size_t n;
};

struct cg_props_conf {
	struct cg_props_ctrl *c;
	size_t n;
};

struct lexer {
	const char *s;
	int line;
	char tok[256]; /* a word, or one of : - [ ] , */
	bool word;
};

/* The next token; 0, 1 at the end, -EINVAL (logged) on a malformed one. */
static int lex(struct lexer *l)
{
	size_t n = 0;

	for (;;) {
		while (isspace((unsigned char)*l->s))
			l->line += *l->s++ == '\n';
		if (*l->s != '#')
			break;
		l->s += strcspn(l->s, "\n");
	}
	if (!*l->s)
		return 1;
	l->word = false;
	if (strchr(":-[],", *l->s)) {
		l->tok[0] = *l->s++;
		l->tok[1] = 0;
		return 0;
	}
	l->word = true;
	if (*l->s == '"' || *l->s == '\'') {
		char q = *l->s++;

		while (*l->s && *l->s != q && *l->s != '\n' && n < sizeof(l->tok) - 1)
			l->tok[n++] = *l->s++;
		if (*l->s != q)
			return pr_err_ret(-EINVAL, "--cgroup-props: line %d: unterminated or too long string",
					  l->line);
		l->s++;
	} else {
		while (*l->s && !isspace((unsigned char)*l->s) && !strchr(":[],#", *l->s) &&
		       n < sizeof(l->tok) - 1)
			l->tok[n++] = *l->s++;
	}
	l->tok[n] = 0;
	if (!n)
		return pr_err_ret(-EINVAL, "--cgroup-props: line %d: empty name", l->line);
	return 0;
}

static int expect(struct lexer *l, const char *what)
{
	int r = lex(l);

	if (r == 0 && !l->word && !strcmp(l->tok, what))
		return 0;
	return pr_err_ret(-EINVAL, "--cgroup-props: line %d: \"%s\" expected, not \"%s\"", l->line, what,
			  r ? "the end" : l->tok);
}

/* A property name: controller.file, nothing that leaves the cgroup's directory. */
static bool prop_name_ok(const char *p)
{
	return strchr(p, '.') && !strchr(p, '/') && strcmp(p, ".") && strcmp(p, "..");
}

static int add_prop_name(struct cg_props_ctrl *c, const char *p)
{
	char **np;

	if (!prop_name_ok(p))
		return pr_err_ret(-EINVAL, "--cgroup-props: \"%s\" (of \"%s\") is not a property file name",
				  p, c->ctrl);
	np = realloc(c->props, (c->n + 2) * sizeof(*np));
	if (!np)
		return -ENOMEM;
	c->props = np;
	np[c->n] = strdup(p);
	np[c->n + 1] = NULL;
	if (!np[c->n])
		return -ENOMEM;
	c->n++;
	return 0;
}

/* "- key: value" entries of one controller, up to the next controller or the end. */
static int parse_entries(struct lexer *l, struct cg_props_ctrl *c)
{
	const char *save;
	int r;

	for (;;) {
		save = l->s;
		r = lex(l);
		if (r == 1 || (r == 0 && (l->word || strcmp(l->tok, "-")))) {
			l->s = save; /* the next controller */
			return 0;
		}
		if (r < 0)
			return r;
		r = lex(l);
		if (r != 0 || !l->word)
			return pr_err_ret(-EINVAL, "--cgroup-props: line %d: a key expected after \"-\"",
					  l->line);
		if (!strcmp(l->tok, "strategy")) {
			if (expect(l, ":") < 0 || lex(l) != 0 || !l->word)
				return pr_err_ret(-EINVAL, "--cgroup-props: line %d: strategy of \"%s\"",
						  l->line, c->ctrl);
			if (strcmp(l->tok, "merge") && strcmp(l->tok, "replace"))
				return pr_err_ret(
					-EINVAL, "--cgroup-props: \"%s\": strategy \"%s\" (merge or replace)",
					c->ctrl, l->tok);
			c->replace = !strcmp(l->tok, "replace");
		} else if (!strcmp(l->tok, "properties")) {
			if (expect(l, ":") < 0 || expect(l, "[") < 0)
				return -EINVAL;
			for (;;) {
				r = lex(l);
				if (r == 0 && !l->word && !strcmp(l->tok, "]"))
					break;
				if (r != 0 || !l->word)
					return pr_err_ret(-EINVAL,
							  "--cgroup-props: line %d: a property name expected",
							  l->line);
				r = add_prop_name(c, l->tok);
				if (r < 0)
					return r;
				r = lex(l);
				if (r == 0 && !l->word && !strcmp(l->tok, "]"))
					break;
				if (r != 0 || l->word || strcmp(l->tok, ","))
					return pr_err_ret(-EINVAL,
							  "--cgroup-props: line %d: \",\" or \"]\" expected",
							  l->line);
			}
		} else {
			return pr_err_ret(
				-EINVAL,
				"--cgroup-props: line %d: unknown key \"%s\" (strategy or properties)",
				l->line, l->tok);
		}
	}
}

void cg_props_free(struct cg_props_conf *conf)
{
	for (size_t i = 0; conf && i < conf->n; i++) {
		for (size_t k = 0; k < conf->c[i].n; k++)
			free(conf->c[i].props[k]);
		free(conf->c[i].props);
		free(conf->c[i].ctrl);
	}
	if (conf)
		free(conf->c);
	free(conf);
}

int cg_props_parse(const char *text, struct cg_props_conf **ret)
{
	struct cg_props_conf *conf = calloc(1, sizeof(*conf));
	struct lexer l = {.s = text, .line = 1};
	int r;

	if (!conf)
		return -ENOMEM;
	while ((r = lex(&l)) == 0) {
		struct cg_props_ctrl *nc;

		if (!l.word) {
			r = pr_err_ret(-EINVAL,
				       "--cgroup-props: line %d: a controller name expected, not \"%s\"",
				       l.line, l.tok);
			break;
		}
		nc = realloc(conf->c, (conf->n + 1) * sizeof(*nc));
		if (!nc) {
			r = -ENOMEM;
			break;
		}
		conf->c = nc;
		nc = &conf->c[conf->n++];
		*nc = (struct cg_props_ctrl){.ctrl = strdup(strcmp(l.tok, "unified") ? l.tok : "")};
		if (!nc->ctrl) {
			r = -ENOMEM;
			break;
		}
		r = expect(&l, ":");
		if (r == 0)
			r = parse_entries(&l, nc);
		if (r < 0)
			break;
	}
	if (r < 0) {
		cg_props_free(conf);
		return r;
	}
	*ret = conf;
	return 0;
}

int cg_props_load(const char *text, const char *file, int work_dir_fd, struct cg_props_conf **ret)
{
	_cleanup_free_ char *buf = NULL;
	_cleanup_close_ int fd = -EBADF;
	size_t len = 0;

	*ret = NULL;
	if (text)
		return cg_props_parse(text, ret);
	if (!file)
		return 0;
	fd = openat(work_dir_fd >= 0 ? work_dir_fd : AT_FDCWD, file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pr_perror_ret("--cgroup-props-file %s: cannot open it", file);
	buf = malloc(65536);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n = read(fd, buf + len, 65535 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return pr_perror_ret("--cgroup-props-file %s: cannot read it", file);
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == 65535)
			return pr_err_ret(-EFBIG, "--cgroup-props-file %s: longer than 64 KiB", file);
	}
	buf[len] = 0;
	return cg_props_parse(buf, ret);
}

const char *const *cg_props_for(const struct cg_props_conf *conf, const char *ctrl, bool *replace)
{
	for (size_t i = 0; conf && i < conf->n; i++)
		if (!strcmp(conf->c[i].ctrl, ctrl)) {
			*replace = conf->c[i].replace;
			return (const char *const *)conf->c[i].props;
		}
	*replace = false;
	return NULL;
}
