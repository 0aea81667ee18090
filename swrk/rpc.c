/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The RPC codec: packets into criu_req, criu_resp into packets, and
 * criu_opts onto the option table. Each criu_opts field is one of:
 *   - fed to the option-table row whose `rpc` names it, converted by type
 *     (bool → --X / --no-X, ints → decimal, strings as is, enums → words);
 *   - converted by a handler of its own (rpc_fields[] below: messages,
 *     masks, fields whose meaning differs from their option's);
 *   - kept for the front door (fds of the peer, switches of the loop).
 */
#define LOG_PREFIX "rpc: "
#include <inttypes.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "rpc.h"

/* ---- decoding ---- */

struct wire {
	const uint8_t *b;
	size_t len, pos;
};

static bool wire_varint(struct wire *w, uint64_t *ret)
{
	uint64_t v = 0;

	for (unsigned int shift = 0; shift < 64 && w->pos < w->len; shift += 7) {
		uint8_t c = w->b[w->pos++];

		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*ret = v;
			return true;
		}
	}
	return false;
}

/* Steps over one value of wire type wt; *ret_len is the length of a type-2 payload. */
static int wire_skip(struct wire *w, unsigned int wt, uint64_t *ret_len)
{
	uint64_t v;

	*ret_len = 0;
	switch (wt) {
	case 0:
		return wire_varint(w, &v) ? 0 : -EBADMSG;
	case 1:
	case 5:
		v = wt == 1 ? 8 : 4;
		break;
	case 2:
		if (!wire_varint(w, &v))
			return -EBADMSG;
		*ret_len = v;
		break;
	default:
		return -EPROTO; /* groups (3, 4) and 6, 7 */
	}
	if (v > w->len - w->pos)
		return -EBADMSG;
	w->pos += (size_t)v;
	return 0;
}

static unsigned int wire_type_of(const ProtobufCFieldDescriptor *f)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
		return 5;
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 1;
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_BYTES:
	case PROTOBUF_C_TYPE_MESSAGE:
		return 2;
	default:
		return 0;
	}
}

__attribute__((format(printf, 3, 4))) static int wire_bad(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

static int wire_check(const ProtobufCMessageDescriptor *d, const uint8_t *b, size_t len, size_t base,
		      const char *path, char *why, size_t size);

/* Checks one field's wire type against the schema and descends into messages. */
static int wire_check_field(const ProtobufCFieldDescriptor *f, unsigned int wt, const struct wire *w,
			    uint64_t l, size_t base, const char *path, char *why, size_t size)
{
	unsigned int want = wire_type_of(f);
	char sub[256];

	/* repeated scalars may come packed in one type-2 field */
	if (wt != want && !(wt == 2 && f->label == PROTOBUF_C_LABEL_REPEATED))
		return wire_bad(why, size, "%s.%s: wire type %u, expected %u", path, f->name, wt, want);
	if (f->type != PROTOBUF_C_TYPE_MESSAGE)
		return 0;
	snprintf(sub, sizeof(sub), "%s.%s", path, f->name);
	return wire_check(f->descriptor, w->b + w->pos - l, (size_t)l, base + w->pos - l, sub, why, size);
}

/*
 * Walks a packet that protobuf-c refused to say why, for the log: the first
 * problem met (truncation, bad wire type, missing required field). Returns
 * 0 when it finds none.
 */
static int wire_check(const ProtobufCMessageDescriptor *d, const uint8_t *b, size_t len, size_t base,
		      const char *path, char *why, size_t size)
{
	struct wire w = {b, len, 0};
	bool seen[128] = {false};

	while (w.pos < w.len) {
		const ProtobufCFieldDescriptor *f;
		size_t at = w.pos;
		uint64_t tag, l;
		int err;

		if (!wire_varint(&w, &tag))
			return wire_bad(why, size, "%s: truncated tag at byte %zu", path, base + at);
		if (tag >> 3 == 0 || tag >> 3 > 0x1fffffff)
			return wire_bad(why, size, "%s: bad field number %" PRIu64 " at byte %zu", path,
					tag >> 3, base + at);
		err = wire_skip(&w, tag & 7, &l);
		if (err == -EPROTO)
			return wire_bad(why, size,
					"%s: field %" PRIu64 " has unusable wire type %u at byte %zu", path,
					tag >> 3, (unsigned int)(tag & 7), base + at);
		if (err < 0)
			return wire_bad(why, size,
					"%s: field %" PRIu64 " at byte %zu is truncated (packet ends at %zu)",
					path, tag >> 3, base + at, base + len);
		f = protobuf_c_message_descriptor_get_field(d, (unsigned int)(tag >> 3));
		if (!f)
			continue; /* unknown fields are kept, not refused */
		err = wire_check_field(f, tag & 7, &w, l, base, path, why, size);
		if (err < 0)
			return err;
		if (f - d->fields < (ptrdiff_t)ARRAY_SIZE(seen))
			seen[f - d->fields] = true;
	}
	/* as protobuf-c: a required field with a default (images_dir_fd) may be absent */
	for (unsigned int i = 0; i < d->n_fields && i < ARRAY_SIZE(seen); i++)
		if (d->fields[i].label == PROTOBUF_C_LABEL_REQUIRED && !d->fields[i].default_value &&
		    !seen[i])
			return wire_bad(why, size, "%s: missing required field %s", path, d->fields[i].name);
	return 0;
}

int rpc_decode_req(const void *buf, size_t len, CriuReq **ret)
{
	char why[256];
	CriuReq *req;

	if (len == 0) {
		pr_err("empty request packet: a criu_req has at least its type\n");
		return -EBADMSG;
	}
	if (len > RPC_MAX_REQ_SIZE) {
		pr_err("request packet of %zu bytes refused: the limit is %u\n", len, RPC_MAX_REQ_SIZE);
		return -EBADMSG;
	}
	req = criu_req__unpack(NULL, len, buf);
	if (!req) {
		if (wire_check(&criu_req__descriptor, buf, len, 0, "criu_req", why, sizeof(why)) == 0)
			snprintf(why, sizeof(why), "refused by protobuf-c (out of memory?)");
		pr_err("bad request packet of %zu bytes: %s\n", len, why);
		return -EBADMSG;
	}
	*ret = req;
	return 0;
}

bool rpc_req_type_known(int type)
{
	return protobuf_c_enum_descriptor_get_value(&criu_req_type__descriptor, type) != NULL;
}

const char *rpc_req_type_name(int type)
{
	const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(&criu_req_type__descriptor, type);

	return v ? v->name : "unknown";
}

/* ---- encoding ---- */

int rpc_encode_resp(const CriuResp *r, void **ret_buf, size_t *ret_len)
{
	size_t len;
	void *buf;

	/* catches unset required strings and messages (e.g. restore without its message) */
	if (!protobuf_c_message_check(&r->base)) {
		pr_err("response %s: a required field is unset\n", rpc_req_type_name(r->type));
		return -EINVAL;
	}
	len = criu_resp__get_packed_size(r);
	buf = malloc(len ? len : 1);
	if (!buf)
		return pr_err_ret(-ENOMEM, "response %s of %zu bytes", rpc_req_type_name(r->type), len);
	criu_resp__pack(r, buf);
	*ret_buf = buf;
	*ret_len = len;
	return 0;
}

/* ---- criu_opts onto the option table ---- */

#define FIELD(m, f, type) (*(type const *)((const char *)(m) + (f)->offset))
#define COUNT(m, f)	  (*(const size_t *)((const char *)(m) + (f)->quantifier_offset))
#define HAS(m, f)	  (*(const protobuf_c_boolean *)((const char *)(m) + (f)->quantifier_offset))

/* Errors of rpc_opts_apply name the field through o->origin ("criu_opts.X"). */
#define field_err(o, fmt, ...) (pr_err("%s: " fmt, (o)->origin, ##__VA_ARGS__), -EINVAL)

__attribute__((format(printf, 3, 4))) static int apply_fmt(struct cr_opts *o, const char *name,
							   const char *fmt, ...)
{
	_cleanup_free_ char *arg = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&arg, fmt, ap);
	va_end(ap);
	if (r < 0) {
		arg = NULL;
		pr_err("%s: out of memory\n", o->origin);
		return -ENOMEM;
	}
	return opts_apply_named(o, name, arg, false);
}

/* CLI words of the criu_opts enums, indexed by value. */
static const char *const cg_mode_words[] = {
	[CRIU_CG_MODE__IGNORE] = "ignore",   [CRIU_CG_MODE__CG_NONE] = "none",
	[CRIU_CG_MODE__PROPS] = "props",     [CRIU_CG_MODE__SOFT] = "soft",
	[CRIU_CG_MODE__FULL] = "full",	     [CRIU_CG_MODE__STRICT] = "strict",
	[CRIU_CG_MODE__DEFAULT] = "default",
};
static const char *const network_lock_words[] = {
	[CRIU_NETWORK_LOCK_METHOD__IPTABLES] = "iptables",
	[CRIU_NETWORK_LOCK_METHOD__NFTABLES] = "nftables",
	[CRIU_NETWORK_LOCK_METHOD__SKIP] = "skip",
};
static const char *const pre_dump_mode_words[] = {
	[CRIU_PRE_DUMP_MODE__SPLICE] = "splice",
	[CRIU_PRE_DUMP_MODE__VM_READ] = "read",
};
static const char *const image_io_mode_words[] = {
	[CRIU_IMAGE_IO_MODE__IMAGE_IO_WRITEBACK] = "writeback",
	[CRIU_IMAGE_IO_MODE__IMAGE_IO_DIRECT] = "direct",
};

static const struct {
	const char *field;
	const char *const *words;
	size_t n;
} enum_words[] = {
	{"manage_cgroups_mode", cg_mode_words, ARRAY_SIZE(cg_mode_words)},
	{"network_lock", network_lock_words, ARRAY_SIZE(network_lock_words)},
	{"pre_dump_mode", pre_dump_mode_words, ARRAY_SIZE(pre_dump_mode_words)},
	{"image_io_mode", image_io_mode_words, ARRAY_SIZE(image_io_mode_words)},
};

/* The CLI word of value v of enum field `field`; NULL if unknown (or the field has no words). */
static const char *enum_word(const char *field, int v)
{
	for (size_t i = 0; i < ARRAY_SIZE(enum_words); i++)
		if (!strcmp(enum_words[i].field, field))
			return v >= 0 && (size_t)v < enum_words[i].n ? enum_words[i].words[v] : NULL;
	return NULL;
}

static bool has_enum_words(const char *field)
{
	for (size_t i = 0; i < ARRAY_SIZE(enum_words); i++)
		if (!strcmp(enum_words[i].field, field))
			return true;
	return false;
}

/* Whether the generic conversion handles f (a row names it and its type converts). */
static bool generic_ok(const ProtobufCFieldDescriptor *f)
{
	if (opts_find_rpc(f->name) < 0)
		return false;
	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return f->type == PROTOBUF_C_TYPE_STRING;
	switch (f->type) {
	case PROTOBUF_C_TYPE_BOOL:
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_STRING:
		return true;
	case PROTOBUF_C_TYPE_ENUM:
		return has_enum_words(f->name);
	default:
		return false;
	}
}

/* The field through the option-table row whose `rpc` names it, in CLI string form. */
static int apply_generic(struct cr_opts *o, const CriuOpts *m, const ProtobufCFieldDescriptor *f)
{
	const char *name, *word;
	int err = 0;

	if (!generic_ok(f))
		return field_err(o, "no option takes this field\n");
	name = opts_table_name((size_t)opts_find_rpc(f->name));
	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		for (size_t i = 0; i < COUNT(m, f) && err >= 0; i++)
			err = opts_apply_named(o, name, FIELD(m, f, char **)[i], false);
		return err;
	}
	switch (f->type) {
	case PROTOBUF_C_TYPE_BOOL:
		return opts_apply_named(o, name, NULL, !FIELD(m, f, protobuf_c_boolean));
	case PROTOBUF_C_TYPE_INT32:
		return apply_fmt(o, name, "%" PRId32, FIELD(m, f, int32_t));
	case PROTOBUF_C_TYPE_UINT32:
		return apply_fmt(o, name, "%" PRIu32, FIELD(m, f, uint32_t));
	case PROTOBUF_C_TYPE_ENUM:
		word = enum_word(f->name, FIELD(m, f, int));
		if (!word)
			return field_err(o, "unknown value %d\n", FIELD(m, f, int));
		return opts_apply_named(o, name, word, false);
	default:
		return opts_apply_named(o, name, FIELD(m, f, char *), false);
	}
}

typedef int (*field_fn)(struct cr_opts *o, const CriuOpts *m, const ProtobufCFieldDescriptor *f, size_t off);

/* An fd number of the peer, reopened later through /proc/<peer>/fd/N. */
static int keep_peer_fd(struct cr_opts *o, const CriuOpts *m, const ProtobufCFieldDescriptor *f, size_t off)
{
	int32_t fd = FIELD(m, f, int32_t);

	/* only the required images_dir_fd may say -1: "use images_dir" */
	if (fd < 0 && !(fd == -1 && f->label == PROTOBUF_C_LABEL_REQUIRED))
		return field_err(o, "%" PRId32 " is not a file descriptor\n", fd);
	*(int *)((char *)o + off) = fd;
	return 0;
}

static int keep_flag(struct cr_opts *o, const CriuOpts *m, const ProtobufCFieldDescriptor *f, size_t off)
{
	*(bool *)((char *)o + off) = FIELD(m, f, protobuf_c_boolean);
	return 0;
}

static int apply_images_dir(struct cr_opts *o, const CriuOpts *m, const ProtobufCFieldDescriptor *f,
			    size_t off)
{
	if (m->images_dir_fd != -1)
		return 0; /* as criu: images_dir counts only without images_dir_fd */
	return apply_generic(o, m, f);
}

static int apply_log_level(struct cr_opts *o, const CriuOpts *m, const ProtobufCFieldDescriptor *f,
			   size_t off)
{
	/* criu takes any number; the CLI range is 0..4, so clamp rather than refuse */
	int level = m->log_level < 0 ? 0 : m->log_level > 4 ? 4 : m->log_level;

	return apply_fmt(o, "verbosity", "%d", level);
}

static int apply_log_file(struct cr_opts *o, const CriuOpts *m, const ProtobufCFieldDescriptor *f, size_t off)
{
	if (strchr(m->log_file, '/'))
		return field_err(o, "'%s': no '/' allowed, the log is a file in the work dir\n", m->log_file);
	return opts_apply_named(o, "log-file", m->log_file, false);
}

/* Page server: address and port for dump; with lazy_pages only the port counts (criu does so). */
static int apply_ps(struct cr_opts *o, const CriuOpts *m, const ProtobufCFieldDescriptor *f, size_t off)
{
	const CriuPageServerInfo *ps = m->ps;
	int err = 0;

	if (ps->has_fd) {
		if (ps->fd < 0)
			return field_err(o, "fd %" PRId32 " is not a file descriptor\n", ps->fd);
		o->rpc_ps_fd = ps->fd;
	}
	if (ps->has_port)
		err = apply_fmt(o, "port", "%" PRId32, ps->port);
	if (err >= 0 && !(m->has_lazy_pages && m->lazy_pages)) {
		err = opts_apply_named(o, "page-server", NULL, false);
		if (err >= 0 && ps->address)
			err = opts_apply_named(o, "address", ps->address, false);
	}
	return err; /* ps.pid is an answer field, nothing to apply */
}

static int apply_veths(struct cr_opts *o, const CriuOpts *m, const ProtobufCFieldDescriptor *f, size_t off)
{
	int err = 0;

	for (size_t i = 0; i < m->n_veths && err >= 0; i++) {
		const CriuVethPair *v = m->veths[i];

		if (strchr(v->if_in, '='))
			return field_err(o, "'%s' has a '=', which --veth-pair IN=OUT cannot carry\n",
					 v->if_in);
		err = apply_fmt(o, "veth-pair", "%s=%s", v->if_in, v->if_out);
	}
	return err;
}

static int apply_ext_mnt(struct cr_opts *o, const CriuOpts *m, const ProtobufCFieldDescriptor *f, size_t off)
{
	int err = 0;

	for (size_t i = 0; i < m->n_ext_mnt && err >= 0; i++) {
		const ExtMountMap *e = m->ext_mnt[i];

		if (strchr(e->key, ':'))
			return field_err(o,
					 "key '%s' has a ':', which --ext-mount-map KEY:VAL cannot carry\n",
					 e->key);
		err = apply_fmt(o, "ext-mount-map", "%s:%s", e->key, e->val);
	}
	return err;
}

/* ctrl absent: all controllers ("path"); ctrl "": cgroup2 (":path"); else "ctrl:path". */
static int apply_cg_root(struct cr_opts *o, const CriuOpts *m, const ProtobufCFieldDescriptor *f, size_t off)
{
	int err = 0;

	for (size_t i = 0; i < m->n_cg_root && err >= 0; i++) {
		const CgroupRoot *c = m->cg_root[i];

		if (c->ctrl && strchr(c->ctrl, ':'))
			return field_err(o, "controller '%s' has a ':'\n", c->ctrl);
		if (!c->ctrl && strchr(c->path, ':'))
			return field_err(o, "path '%s' without a controller has a ':', read as CTRL:PATH\n",
					 c->path);
		if (c->ctrl)
			err = apply_fmt(o, "cgroup-root", "%s:%s", c->ctrl, c->path);
		else
			err = opts_apply_named(o, "cgroup-root", c->path, false);
	}
	return err;
}

static int apply_inherit_fd(struct cr_opts *o, const CriuOpts *m, const ProtobufCFieldDescriptor *f,
			    size_t off)
{
	int err = 0;

	for (size_t i = 0; i < m->n_inherit_fd && err >= 0; i++)
		err = apply_fmt(o, "inherit-fd", "fd[%" PRId32 "]:%s", m->inherit_fd[i]->fd,
				m->inherit_fd[i]->key);
	return err;
}

static int apply_join_ns(struct cr_opts *o, const CriuOpts *m, const ProtobufCFieldDescriptor *f, size_t off)
{
	int err = 0;

	for (size_t i = 0; i < m->n_join_ns && err >= 0; i++) {
		const JoinNamespace *j = m->join_ns[i];

		if (strchr(j->ns_file, ','))
			return field_err(
				o, "ns_file '%s' has a ',', which --join-ns NS:FILE[,EXTRA] cannot carry\n",
				j->ns_file);
		if (j->extra_opt)
			err = apply_fmt(o, "join-ns", "%s:%s,%s", j->ns, j->ns_file, j->extra_opt);
		else
			err = apply_fmt(o, "join-ns", "%s:%s", j->ns, j->ns_file);
	}
	return err;
}

static int apply_unix_sk(struct cr_opts *o, const CriuOpts *m, const ProtobufCFieldDescriptor *f, size_t off)
{
	int err = 0;

	for (size_t i = 0; i < m->n_unix_sk_ino && err >= 0; i++)
		err = apply_fmt(o, "ext-unix-sk", "%" PRIu32, m->unix_sk_ino[i]->inode);
	return err;
}

/* The old switch: true is SOFT, false IGNORE; manage_cgroups_mode, when given, wins. */
static int apply_manage_cgroups(struct cr_opts *o, const CriuOpts *m, const ProtobufCFieldDescriptor *f,
				size_t off)
{
	if (m->has_manage_cgroups_mode)
		return 0;
	return opts_apply_named(o, "manage-cgroups", m->manage_cgroups ? "soft" : "ignore", false);
}

static int apply_auto_ext_mnt(struct cr_opts *o, const CriuOpts *m, const ProtobufCFieldDescriptor *f,
			      size_t off)
{
	return m->auto_ext_mnt ? opts_apply_named(o, "ext-mount-map", "auto", false) : 0;
}

static int apply_empty_ns(struct cr_opts *o, const CriuOpts *m, const ProtobufCFieldDescriptor *f, size_t off)
{
	if (m->empty_ns == 0)
		return 0;
	if (m->empty_ns != CLONE_NEWNET)
		return field_err(o, "0x%" PRIx32 ": only CLONE_NEWNET (0x%x) can be left empty\n",
				 m->empty_ns, CLONE_NEWNET);
	return opts_apply_named(o, "empty-ns", "net", false);
}

/*
 * criu_opts.cpu_cap: criu's bit mask (CR_CPU_CAP_*), which replaces the
 * default rather than adding to it as the CLI words do. The image bit
 * means nothing more here: cpuinfo.img is written and read unless none.
 */
static int apply_cpu_cap(struct cr_opts *o, const CriuOpts *m, const ProtobufCFieldDescriptor *f, size_t off)
{
	char words[32] = "none";

	if (m->cpu_cap & CR_CPU_CAP_FPU)
		strcat(words, ",fpu");
	if (m->cpu_cap & CR_CPU_CAP_INS)
		strcat(words, ",ins");
	if (m->cpu_cap & CR_CPU_CAP_CPU)
		strcat(words, ",cpu");
	return opts_apply_named(o, "cpu-cap", words, false);
}

struct rpc_field {
	const char *name;
	field_fn apply;
	size_t off; /* front-door fields: where in struct cr_opts */
	const char *how;
};

#define FRONT(n, fn, field, why)                                                                             \
	{                                                                                                    \
		n, fn, offsetof(struct cr_opts, field), "handled by the front door: " why                    \
	}
#define CONV(n, fn, how)                                                                                     \
	{                                                                                                    \
		n, fn, 0, how                                                                                \
	}

/* Fields the generic conversion does not handle. Every other field has a row whose `rpc` names it. */
static const struct rpc_field rpc_fields[] = {
	FRONT("images_dir_fd", keep_peer_fd, rpc_images_dir_fd, "a peer fd, reopened via /proc/<peer>/fd/N"),
	FRONT("work_dir_fd", keep_peer_fd, rpc_work_dir_fd, "a peer fd, reopened via /proc/<peer>/fd/N"),
	FRONT("status_fd", keep_peer_fd, rpc_status_fd, "a peer fd (obsolete, status-ready replaces it)"),
	FRONT("pidfd_store_sk", keep_peer_fd, rpc_pidfd_store_sk, "a peer socket, checked after kerndat"),
	FRONT("notify_scripts", keep_flag, rpc_notify_scripts, "the request loop sends NOTIFY messages"),
	FRONT("orphan_pts_master", keep_flag, rpc_orphan_pts_master,
	      "the loop sends the pty master in a NOTIFY"),
	CONV("images_dir", apply_images_dir, "--images-dir, only when images_dir_fd is -1"),
	CONV("log_level", apply_log_level, "--verbosity N, clamped to 0..4"),
	CONV("log_file", apply_log_file, "--log-file, a plain name (no '/')"),
	CONV("ps", apply_ps, "--page-server --address --port; ps.fd kept in rpc_ps_fd (swrk only)"),
	CONV("veths", apply_veths, "--veth-pair IN=OUT"),
	CONV("ext_mnt", apply_ext_mnt, "--ext-mount-map KEY:VAL"),
	CONV("cg_root", apply_cg_root, "--cgroup-root [CTRL:]PATH (\"\" controller kept as \":PATH\")"),
	CONV("inherit_fd", apply_inherit_fd, "--inherit-fd fd[N]:KEY"),
	CONV("join_ns", apply_join_ns, "--join-ns NS:FILE[,EXTRA]"),
	CONV("unix_sk_ino", apply_unix_sk, "--ext-unix-sk INODE"),
	CONV("manage_cgroups", apply_manage_cgroups,
	     "--manage-cgroups soft|ignore unless manage_cgroups_mode"),
	CONV("auto_ext_mnt", apply_auto_ext_mnt, "--ext-mount-map auto"),
	CONV("empty_ns", apply_empty_ns, "--empty-ns net (CLONE_NEWNET only)"),
	CONV("cpu_cap", apply_cpu_cap, "--cpu-cap none[,fpu][,ins][,cpu] from criu's bit mask"),
};

static const struct rpc_field *find_rpc_field(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(rpc_fields); i++)
		if (!strcmp(rpc_fields[i].name, name))
			return &rpc_fields[i];
	return NULL;
}

static bool field_present(const CriuOpts *m, const ProtobufCFieldDescriptor *f)
{
	const void *p;

	if (f->label == PROTOBUF_C_LABEL_REQUIRED)
		return true;
	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return COUNT(m, f) > 0;
	if (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE)
		return HAS(m, f);
	p = FIELD(m, f, void *);
	return p && p != f->default_value; /* an absent string points at its default */
}

int rpc_opts_apply(const CriuOpts *m, struct cr_opts *o)
{
	const char *saved_origin = o->origin;
	char origin[64];
	int err = 0;

	o->origin = origin;
	for (unsigned int i = 0; i < criu_opts__descriptor.n_fields && err >= 0; i++) {
		const ProtobufCFieldDescriptor *f = &criu_opts__descriptor.fields[i];
		const struct rpc_field *h = find_rpc_field(f->name);

		if (!field_present(m, f))
			continue;
		snprintf(origin, sizeof(origin), "criu_opts.%s", f->name);
		err = h ? h->apply(o, m, f, h->off) : apply_generic(o, m, f);
	}
	o->origin = saved_origin;
	return err;
}

const char *rpc_opts_field_handling(const char *field)
{
	const struct rpc_field *h = find_rpc_field(field);
	const ProtobufCFieldDescriptor *f;

	if (h)
		return h->how;
	f = protobuf_c_message_descriptor_get_field_by_name(&criu_opts__descriptor, field);
	if (!f || !generic_ok(f))
		return NULL;
	return opts_table_name((size_t)opts_find_rpc(field));
}
