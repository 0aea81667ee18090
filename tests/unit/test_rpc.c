/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The RPC codec: round trips of every request type, damaged packets
 * (truncated, bit-flipped, absurd lengths, missing required fields), unknown
 * request types, and criu_opts onto cr_opts for runc-like requests, with a
 * check that every criu_opts field is handled.
 */
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "options.h"
#include "rpc.h"
#include "t.h"

static size_t pack_req(const CriuReq *r, uint8_t **ret)
{
	size_t len = criu_req__get_packed_size(r);

	*ret = malloc(len ? len : 1);
	criu_req__pack(r, *ret);
	return len;
}

static bool strv_has(const struct cr_strv *s, const char *val)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], val))
			return true;
	return false;
}

/* The error text of a failed call must mention `want`. */
#define CHECK_ERR_MENTIONS(want)                                                                             \
	do {                                                                                                 \
		const char *_e = log_first_error();                                                          \
		if (!_e || !strstr(_e, want))                                                                \
			T_FAILF("error \"%s\" does not mention \"%s\"", _e ? _e : "(none)", want);           \
	} while (0)

/* A runc-like DUMP request (PROTOCOL.md §3.4); the caller frees nothing: all static. */
static ExtMountMap dump_mnt[2] = {EXT_MOUNT_MAP__INIT, EXT_MOUNT_MAP__INIT};
static ExtMountMap *dump_mnts[2] = {&dump_mnt[0], &dump_mnt[1]};
static char *dump_external[] = {"net[4026531993]:extRootNetNS"};

static void runc_dump_opts(CriuOpts *o)
{
	criu_opts__init(o);
	o->images_dir_fd = 10;
	o->has_log_level = true, o->log_level = 4;
	o->log_file = "dump.log";
	o->root = "/run/containerd/ctr/rootfs";
	o->has_manage_cgroups = true, o->manage_cgroups = true;
	o->has_manage_cgroups_mode = true, o->manage_cgroups_mode = CRIU_CG_MODE__DEFAULT;
	o->has_notify_scripts = true, o->notify_scripts = true;
	o->has_pid = true, o->pid = 4242;
	o->has_shell_job = true, o->has_leave_running = true, o->has_tcp_established = true;
	o->has_ext_unix_sk = true, o->has_file_locks = true, o->has_auto_dedup = true;
	o->has_lazy_pages = true, o->has_tcp_skip_in_flight = true, o->has_link_remap = true;
	o->has_empty_ns = true, o->empty_ns = CLONE_NEWNET;
	o->has_orphan_pts_master = true, o->orphan_pts_master = true;
	o->has_work_dir_fd = true, o->work_dir_fd = 11;
	o->config_file = "/etc/criu/runc.conf";
	o->n_external = 1, o->external = dump_external;
	o->freeze_cgroup = "/sys/fs/cgroup/ctr";
	dump_mnt[0].key = dump_mnt[0].val = "/etc/hosts";
	dump_mnt[1].key = "/proc/kcore", dump_mnt[1].val = "/dev/null";
	o->n_ext_mnt = 2, o->ext_mnt = dump_mnts;
}

static CriuReq *decode_ok(const uint8_t *buf, size_t len)
{
	CriuReq *r = NULL;
	int err = rpc_decode_req(buf, len, &r);

	if (err < 0)
		T_FAILF("decode of %zu bytes failed: %d (%s)", len, err, log_first_error());
	return r;
}

static void test_roundtrip_every_type(void)
{
	for (int t = CRIU_REQ_TYPE__EMPTY; t <= CRIU_REQ_TYPE__SINGLE_PRE_DUMP; t++) {
		CriuReq req = CRIU_REQ__INIT, *got;
		CriuOpts opts;
		CriuFeatures feat = CRIU_FEATURES__INIT;
		uint8_t *buf;
		size_t len;

		runc_dump_opts(&opts);
		req.type = (CriuReqType)t;
		req.opts = &opts;
		req.has_notify_success = t == CRIU_REQ_TYPE__NOTIFY, req.notify_success = true;
		req.has_keep_open = t == CRIU_REQ_TYPE__VERSION, req.keep_open = true;
		feat.has_mem_track = true, feat.mem_track = true;
		req.features = t == CRIU_REQ_TYPE__FEATURE_CHECK ? &feat : NULL;
		req.has_pid = t == CRIU_REQ_TYPE__WAIT_PID, req.pid = 77;
		len = pack_req(&req, &buf);
		got = decode_ok(buf, len);
		free(buf);
		if (!got)
			continue;
		CHECK(rpc_req_type_known(t));
		CHECK_EQ_INT(got->type, t);
		CHECK(got->opts && got->opts->images_dir_fd == 10 && got->opts->pid == 4242);
		CHECK_EQ_STR(got->opts->log_file, "dump.log");
		CHECK_EQ_INT(got->opts->n_ext_mnt, 2);
		CHECK_EQ_STR(got->opts->ext_mnt[1]->val, "/dev/null");
		CHECK_EQ_INT(got->has_notify_success, t == CRIU_REQ_TYPE__NOTIFY);
		CHECK_EQ_INT(got->has_keep_open, t == CRIU_REQ_TYPE__VERSION);
		CHECK_EQ_INT(got->features != NULL, t == CRIU_REQ_TYPE__FEATURE_CHECK);
		CHECK_EQ_INT(got->has_pid ? got->pid : 0, t == CRIU_REQ_TYPE__WAIT_PID ? 77 : 0);
		criu_req__free_unpacked(got, NULL);
	}
}

/* VERSION without opts, as go-criu sends it; and the response round trip. */
static void test_version_without_opts(void)
{
	static const uint8_t pkt[] = {0x08, 0x0a}; /* {type: VERSION} */
	CriuResp resp = CRIU_RESP__INIT, *back;
	CriuVersion ver = CRIU_VERSION__INIT;
	CriuReq *r = decode_ok(pkt, sizeof(pkt));
	void *buf = NULL;
	size_t len = 0;

	CHECK(r && r->type == CRIU_REQ_TYPE__VERSION && !r->opts);
	if (r)
		criu_req__free_unpacked(r, NULL);
	resp.type = CRIU_REQ_TYPE__VERSION;
	resp.success = true;
	ver.major_number = 4, ver.minor_number = 2;
	resp.version = &ver;
	CHECK_EQ_INT(rpc_encode_resp(&resp, &buf, &len), 0);
	back = criu_resp__unpack(NULL, len, buf);
	CHECK(back && back->success && back->version && back->version->minor_number == 2);
	if (back)
		criu_resp__free_unpacked(back, NULL);
	free(buf);
}

/* A failed RESTORE answer as the loop will send it: errno, message and the pid field. */
static void test_encode_error_resp(void)
{
	CriuResp resp = CRIU_RESP__INIT, *back;
	CriuRestoreResp rr = CRIU_RESTORE_RESP__INIT;
	void *buf = NULL;
	size_t len = 0;

	resp.type = CRIU_REQ_TYPE__RESTORE;
	resp.success = false;
	resp.has_cr_errno = true, resp.cr_errno = EBADRQC;
	resp.cr_errmsg = "not supported yet: --tcp-established";
	rr.pid = -1;
	resp.restore = &rr;
	CHECK_EQ_INT(rpc_encode_resp(&resp, &buf, &len), 0);
	back = criu_resp__unpack(NULL, len, buf);
	CHECK(back && !back->success && back->cr_errno == EBADRQC && back->restore &&
	      back->restore->pid == -1);
	CHECK(back && back->cr_errmsg && !strcmp(back->cr_errmsg, resp.cr_errmsg));
	if (back)
		criu_resp__free_unpacked(back, NULL);
	free(buf);
}

static size_t sample_packet(uint8_t **ret)
{
	CriuReq req = CRIU_REQ__INIT;
	CriuOpts opts;

	runc_dump_opts(&opts);
	req.type = CRIU_REQ_TYPE__DUMP;
	req.opts = &opts;
	return pack_req(&req, ret); /* {type}{opts}: bytes 0-1 type, then opts */
}

static void test_truncation_at_every_byte(void)
{
	uint8_t *buf;
	size_t len = sample_packet(&buf);
	int truncated_named = 0;

	for (size_t cut = 0; cut < len; cut++) {
		CriuReq *r = NULL;
		int err;

		log_reset_first_error();
		err = rpc_decode_req(buf, cut, &r);
		/* only the cut right after the type field is a whole (opts-less) request */
		if (cut == 2) {
			CHECK(err == 0 && r && r->type == CRIU_REQ_TYPE__DUMP && !r->opts);
		} else if (err != -EBADMSG) {
			T_FAILF("cut at %zu of %zu: got %d, expected -EBADMSG", cut, len, err);
		} else if (log_first_error() && strstr(log_first_error(), "truncated")) {
			truncated_named++;
		}
		if (r)
			criu_req__free_unpacked(r, NULL);
	}
	CHECK(truncated_named > (int)len / 2);
	free(buf);
}

static void test_bit_flips(void)
{
	uint8_t *buf;
	size_t len = sample_packet(&buf);
	int refused = 0, accepted = 0;

	for (size_t bit = 0; bit < len * 8; bit++) {
		CriuReq *r = NULL;
		struct cr_opts o;

		buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		if (rpc_decode_req(buf, len, &r) < 0) {
			refused++;
		} else {
			accepted++;
			opts_init(&o);
			if (r->opts)
				rpc_opts_apply(r->opts, &o); /* may fail; must not crash or leak */
			opts_free(&o);
			criu_req__free_unpacked(r, NULL);
		}
		buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	CHECK(refused > 0 && accepted > 0);
	free(buf);
}

static void test_absurd_lengths(void)
{
	/* {type: DUMP, opts: <length 2^62>} */
	static const uint8_t huge_field[] = {0x08, 0x01, 0x12, 0xff, 0xff, 0xff,
					     0xff, 0xff, 0xff, 0xff, 0x3f};
	/* a varint that never ends */
	static const uint8_t endless[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff,
					  0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	size_t big = (size_t)RPC_MAX_REQ_SIZE + 1;
	uint8_t *zeros = calloc(1, big);
	CriuReq *r = NULL;

	log_reset_first_error();
	CHECK_EQ_INT(rpc_decode_req(huge_field, sizeof(huge_field), &r), -EBADMSG);
	CHECK_ERR_MENTIONS("truncated");
	CHECK_EQ_INT(rpc_decode_req(endless, sizeof(endless), &r), -EBADMSG);
	log_reset_first_error();
	CHECK_EQ_INT(rpc_decode_req(zeros, big, &r), -EBADMSG);
	CHECK_ERR_MENTIONS("limit");
	log_reset_first_error();
	CHECK_EQ_INT(rpc_decode_req(zeros, 0, &r), -EBADMSG);
	CHECK_ERR_MENTIONS("empty");
	CHECK_EQ_INT(rpc_decode_req(zeros, 16, &r), -EBADMSG); /* field number 0 */
	CHECK(r == NULL);
	free(zeros);
}

/* A container with 20000 bind mounts: about 1 MiB, under the limit, decodes and applies. */
static void test_large_request(void)
{
	enum { N = 20000 };
	ExtMountMap *maps = calloc(N, sizeof(*maps)), **ptrs = calloc(N, sizeof(*ptrs));
	char(*keys)[40] = calloc(N, 40);
	CriuReq req = CRIU_REQ__INIT, *got;
	CriuOpts opts = CRIU_OPTS__INIT;
	struct cr_opts o;
	uint8_t *buf;
	size_t len;

	for (int i = 0; i < N; i++) {
		ext_mount_map__init(&maps[i]);
		snprintf(keys[i], 40, "/var/lib/ctr/volumes/mount-%05d", i);
		maps[i].key = maps[i].val = keys[i];
		ptrs[i] = &maps[i];
	}
	req.type = CRIU_REQ_TYPE__RESTORE;
	req.opts = &opts;
	opts.n_ext_mnt = N, opts.ext_mnt = ptrs;
	len = pack_req(&req, &buf);
	CHECK(len > (1u << 20) && len < RPC_MAX_REQ_SIZE);
	got = decode_ok(buf, len);
	opts_init(&o);
	if (got) {
		CHECK_EQ_INT(rpc_opts_apply(got->opts, &o), 0);
		CHECK_EQ_INT(o.external.n, N);
		criu_req__free_unpacked(got, NULL);
	}
	opts_free(&o);
	free(buf), free(maps), free(ptrs), free(keys);
}

static void test_missing_required_fields(void)
{
	static const uint8_t no_images_dir_fd[] = {0x08, 0x01, 0x12, 0x02, 0x10, 0x05}; /* opts{pid: 5} */
	static const uint8_t no_type[] = {0x18, 0x01};					/* {notify_success} */
	/* RESTORE, opts{images_dir_fd: 3, inherit_fd{key: "a"}} (no fd) */
	static const uint8_t no_inherit_fd_fd[] = {0x08, 0x02, 0x12, 0x08, 0x08, 0x03,
						   0xda, 0x01, 0x03, 0x0a, 0x01, 'a'};
	/* RESTORE, opts{images_dir_fd: 3, join_ns{ns: "ipc"}} (no ns_file): field 39 = 0xba 0x02 */
	static const uint8_t no_ns_file[] = {0x08, 0x02, 0x12, 0x0a, 0x08, 0x03, 0xba,
					     0x02, 0x05, 0x0a, 0x03, 'i',  'p',	 'c'};
	static const uint8_t resp_no_success[] = {0x08, 0x01}; /* criu_resp{type: DUMP} */
	CriuReq *r = NULL;

	/*
	 * protobuf-c (so criu too) accepts a required field that has a default
	 * when it is absent: images_dir_fd then reads -1 ("use images_dir").
	 */
	r = decode_ok(no_images_dir_fd, sizeof(no_images_dir_fd));
	CHECK(r && r->opts && r->opts->images_dir_fd == -1 && r->opts->pid == 5);
	if (r)
		criu_req__free_unpacked(r, NULL);
	r = NULL;
	log_reset_first_error();
	CHECK_EQ_INT(rpc_decode_req(no_ns_file, sizeof(no_ns_file), &r), -EBADMSG);
	CHECK_ERR_MENTIONS("criu_req.opts.join_ns: missing required field ns_file");
	log_reset_first_error();
	CHECK_EQ_INT(rpc_decode_req(no_type, sizeof(no_type), &r), -EBADMSG);
	CHECK_ERR_MENTIONS("missing required field type");
	log_reset_first_error();
	CHECK_EQ_INT(rpc_decode_req(no_inherit_fd_fd, sizeof(no_inherit_fd_fd), &r), -EBADMSG);
	CHECK_ERR_MENTIONS("criu_req.opts.inherit_fd: missing required field fd");
	CHECK(criu_resp__unpack(NULL, sizeof(resp_no_success), resp_no_success) == NULL);
	CHECK(r == NULL);
}

static void test_wrong_wire_type(void)
{
	static const uint8_t pkt[] = {0x0a, 0x01, 0x01}; /* type as a length-delimited field */
	CriuReq *r = NULL;

	log_reset_first_error();
	CHECK_EQ_INT(rpc_decode_req(pkt, sizeof(pkt), &r), -EBADMSG);
	CHECK_ERR_MENTIONS("criu_req.type: wire type 2, expected 0");
}

static void test_unknown_type_decodes(void)
{
	static const uint8_t pkt[] = {0x08, 0x63}; /* {type: 99} */
	CriuReq *r = decode_ok(pkt, sizeof(pkt));

	CHECK(r && (int)r->type == 99);
	CHECK(!rpc_req_type_known(99));
	CHECK(!rpc_req_type_known(-1));
	CHECK_EQ_STR(rpc_req_type_name(99), "unknown");
	CHECK_EQ_STR(rpc_req_type_name(CRIU_REQ_TYPE__SINGLE_PRE_DUMP), "SINGLE_PRE_DUMP");
	if (r)
		criu_req__free_unpacked(r, NULL);
}

static void test_runc_dump_opts(void)
{
	CriuOpts m;
	struct cr_opts o;

	runc_dump_opts(&m);
	opts_init(&o);
	CHECK_EQ_INT(rpc_opts_apply(&m, &o), 0);
	CHECK_EQ_INT(o.rpc_images_dir_fd, 10);
	CHECK_EQ_INT(o.rpc_work_dir_fd, 11);
	CHECK_EQ_INT(o.rpc_status_fd, -1);
	CHECK(o.rpc_notify_scripts && o.rpc_orphan_pts_master);
	CHECK_EQ_INT(o.log_level, 4);
	CHECK_EQ_STR(o.log_file, "dump.log");
	CHECK_EQ_STR(o.root, "/run/containerd/ctr/rootfs");
	CHECK_EQ_INT(o.manage_cgroups_mode, CR_CG_DEFAULT);
	CHECK_EQ_INT(o.pid, 4242);
	CHECK(!o.shell_job && !o.leave_running && !o.tcp_established && !o.ext_unix_sk && !o.lazy_pages);
	CHECK_EQ_INT(o.empty_ns, CLONE_NEWNET);
	CHECK_EQ_STR(o.config_file, "/etc/criu/runc.conf");
	CHECK_EQ_STR(o.freeze_cgroup, "/sys/fs/cgroup/ctr");
	CHECK_EQ_INT(o.external.n, 3);
	CHECK(strv_has(&o.external, "net[4026531993]:extRootNetNS"));
	CHECK(strv_has(&o.external, "mnt[/etc/hosts]:/etc/hosts"));
	CHECK(strv_has(&o.external, "mnt[/proc/kcore]:/dev/null"));
	CHECK(o.origin == NULL);
	/* everything runc sends for a dump is implemented */
	CHECK_EQ_INT(opts_check_supported(&o), 0);
	opts_free(&o);
}

static void runc_restore_opts(CriuOpts *m)
{
	static InheritFd ifd[2] = {INHERIT_FD__INIT, INHERIT_FD__INIT};
	static InheritFd *ifds[2] = {&ifd[0], &ifd[1]};
	static JoinNamespace jn[2] = {JOIN_NAMESPACE__INIT, JOIN_NAMESPACE__INIT};
	static JoinNamespace *jns[2] = {&jn[0], &jn[1]};
	static CgroupRoot cg[3] = {CGROUP_ROOT__INIT, CGROUP_ROOT__INIT, CGROUP_ROOT__INIT};
	static CgroupRoot *cgs[3] = {&cg[0], &cg[1], &cg[2]};

	criu_opts__init(m);
	m->images_dir_fd = 10;
	ifd[0].key = "extRootNetNS", ifd[0].fd = 4;
	ifd[1].key = "pipe:[123]", ifd[1].fd = 0;
	m->n_inherit_fd = 2, m->inherit_fd = ifds;
	jn[0].ns = "ipc", jn[0].ns_file = "/proc/77/ns/ipc";
	jn[1].ns = "user", jn[1].ns_file = "/proc/77/ns/user", jn[1].extra_opt = "0,0";
	m->n_join_ns = 2, m->join_ns = jns;
	cg[0].path = "/all";
	cg[1].ctrl = "", cg[1].path = "/unified";
	cg[2].ctrl = "cpu,cpuacct", cg[2].path = "/cpu";
	m->n_cg_root = 3, m->cg_root = cgs;
	m->has_rst_sibling = true, m->rst_sibling = true;
	m->has_evasive_devices = true, m->evasive_devices = true;
	m->lsm_profile = "apparmor:runc-default";
	m->has_manage_cgroups = true, m->manage_cgroups = true;
}

static void test_runc_restore_opts(void)
{
	CriuOpts m;
	struct cr_opts o;

	runc_restore_opts(&m);
	opts_init(&o);
	CHECK_EQ_INT(rpc_opts_apply(&m, &o), 0);
	CHECK_EQ_INT(o.nr_inherit_fds, 2);
	if (o.nr_inherit_fds == 2) {
		CHECK(o.inherit_fds[0].fd == 4 && !strcmp(o.inherit_fds[0].key, "extRootNetNS"));
		CHECK(o.inherit_fds[1].fd == 0 && !strcmp(o.inherit_fds[1].key, "pipe:[123]"));
	}
	CHECK_EQ_INT(o.nr_join_ns, 2);
	if (o.nr_join_ns == 2) {
		CHECK(!strcmp(o.join_ns[0].ns, "ipc") && !o.join_ns[0].extra_opt);
		CHECK_EQ_STR(o.join_ns[1].ns_file, "/proc/77/ns/user");
		CHECK_EQ_STR(o.join_ns[1].extra_opt, "0,0");
	}
	CHECK_EQ_INT(o.cgroup_roots.n, 3);
	if (o.cgroup_roots.n == 3) {
		CHECK_EQ_STR(o.cgroup_roots.v[0], "/all");
		CHECK_EQ_STR(o.cgroup_roots.v[1], ":/unified");
		CHECK_EQ_STR(o.cgroup_roots.v[2], "cpu,cpuacct:/cpu");
	}
	CHECK(o.restore_sibling && o.evasive_devices);
	CHECK_EQ_STR(o.lsm_profile, "apparmor:runc-default");
	CHECK_EQ_INT(o.manage_cgroups_mode, CR_CG_SOFT); /* manage_cgroups alone means soft */
	opts_free(&o);
}

/* Applies m to a fresh cr_opts; returns the result and leaves the options in *o. */
static int apply(const CriuOpts *m, struct cr_opts *o)
{
	opts_init(o);
	log_reset_first_error();
	return rpc_opts_apply(m, o);
}

static void test_enums_and_switches(void)
{
	CriuOpts m = CRIU_OPTS__INIT;
	struct cr_opts o;

	m.has_manage_cgroups = true, m.manage_cgroups = false;
	CHECK_EQ_INT(apply(&m, &o), 0);
	CHECK(o.manage_cgroups_mode == CR_CG_IGNORE && !o.manage_cgroups);
	opts_free(&o);
	m.has_manage_cgroups_mode = true, m.manage_cgroups_mode = CRIU_CG_MODE__FULL;
	CHECK_EQ_INT(apply(&m, &o), 0); /* the mode wins over the old switch */
	CHECK_EQ_INT(o.manage_cgroups_mode, CR_CG_FULL);
	opts_free(&o);
	m.manage_cgroups_mode = (CriuCgMode)7;
	CHECK_EQ_INT(apply(&m, &o), -EINVAL);
	CHECK_ERR_MENTIONS("criu_opts.manage_cgroups_mode: unknown value 7");
	opts_free(&o);
	criu_opts__init(&m);
	m.has_network_lock = true, m.network_lock = CRIU_NETWORK_LOCK_METHOD__NFTABLES;
	m.has_pre_dump_mode = true, m.pre_dump_mode = CRIU_PRE_DUMP_MODE__VM_READ;
	m.has_image_io_mode = true, m.image_io_mode = CRIU_IMAGE_IO_MODE__IMAGE_IO_DIRECT;
	CHECK_EQ_INT(apply(&m, &o), 0);
	CHECK(o.network_lock == 2 && o.pre_dump_mode == 2 && o.image_io_mode == 1);
	opts_free(&o);
	m.network_lock = (CriuNetworkLockMethod)0;
	CHECK_EQ_INT(apply(&m, &o), -EINVAL);
	CHECK_ERR_MENTIONS("network_lock");
	opts_free(&o);
}

static void test_masks_and_numbers(void)
{
	CriuOpts m = CRIU_OPTS__INIT;
	struct cr_opts o;

	m.has_empty_ns = true, m.empty_ns = CLONE_NEWNET | CLONE_NEWPID;
	CHECK_EQ_INT(apply(&m, &o), -EINVAL);
	CHECK_ERR_MENTIONS("criu_opts.empty_ns: 0x60000000: only CLONE_NEWNET");
	opts_free(&o);
	m.empty_ns = 0; /* nothing to leave empty: accepted, not "given" */
	m.has_log_level = true, m.log_level = 9;
	m.has_ghost_limit = true, m.ghost_limit = 65536;
	m.has_cpu_cap = true, m.cpu_cap = 0xffffffff;
	m.has_timeout = true, m.timeout = 30;
	CHECK_EQ_INT(apply(&m, &o), 0);
	CHECK(o.empty_ns == 0 && o.log_level == 4 && o.ghost_limit == 65536 && o.timeout == 30);
	CHECK_EQ_INT(o.cpu_cap, CR_CPU_CAP_ALL);
	opts_free(&o);
	/* criu's mask replaces the default: fpu alone, and none */
	criu_opts__init(&m);
	m.has_cpu_cap = true, m.cpu_cap = CR_CPU_CAP_FPU | CR_CPU_CAP_IMAGE;
	CHECK_EQ_INT(apply(&m, &o), 0);
	CHECK_EQ_INT(o.cpu_cap, CR_CPU_CAP_FPU);
	opts_free(&o);
	m.cpu_cap = 0;
	CHECK_EQ_INT(apply(&m, &o), 0);
	CHECK_EQ_INT(o.cpu_cap, CR_CPU_CAP_NONE);
	opts_free(&o);
	criu_opts__init(&m);
	m.log_file = "../escape.log";
	CHECK_EQ_INT(apply(&m, &o), -EINVAL);
	CHECK_ERR_MENTIONS("no '/' allowed");
	opts_free(&o);
	criu_opts__init(&m);
	m.has_work_dir_fd = true, m.work_dir_fd = -3;
	CHECK_EQ_INT(apply(&m, &o), -EINVAL);
	CHECK_ERR_MENTIONS("criu_opts.work_dir_fd: -3 is not a file descriptor");
	opts_free(&o);
}

static void test_ps_images_dir_and_sockets(void)
{
	CriuOpts m = CRIU_OPTS__INIT;
	CriuPageServerInfo ps = CRIU_PAGE_SERVER_INFO__INIT;
	UnixSk sk = UNIX_SK__INIT, *sks[1] = {&sk};
	CriuVethPair veth = CRIU_VETH_PAIR__INIT, *veths[1] = {&veth};
	struct cr_opts o;

	ps.address = "10.0.0.1", ps.has_port = true, ps.port = 12345, ps.has_fd = true, ps.fd = 7;
	m.ps = &ps;
	m.images_dir = "/ignored"; /* images_dir_fd 3 wins */
	m.images_dir_fd = 3;
	sk.inode = 5555;
	m.n_unix_sk_ino = 1, m.unix_sk_ino = sks;
	veth.if_in = "eth0", veth.if_out = "veth123";
	m.n_veths = 1, m.veths = veths;
	m.has_auto_ext_mnt = true, m.auto_ext_mnt = true;
	CHECK_EQ_INT(apply(&m, &o), 0);
	CHECK(o.page_server && o.port == 12345 && o.rpc_ps_fd == 7);
	CHECK_EQ_STR(o.address, "10.0.0.1");
	CHECK(o.images_dir == NULL && o.rpc_images_dir_fd == 3);
	CHECK(o.ext_unix_sk && strv_has(&o.unix_sk_inodes, "5555"));
	CHECK(strv_has(&o.external, "veth[eth0]:veth123"));
	CHECK(o.auto_ext_mnt);
	opts_free(&o);
	m.has_lazy_pages = true, m.lazy_pages = true; /* lazy pages: ps carries only the port */
	m.images_dir_fd = -1;
	CHECK_EQ_INT(apply(&m, &o), 0);
	CHECK(!o.page_server && o.address == NULL && o.port == 12345);
	CHECK_EQ_STR(o.images_dir, "/ignored");
	opts_free(&o);
}

/* Values the option syntax cannot carry are refused, not silently misparsed. */
static void test_unrepresentable_values(void)
{
	CriuOpts m = CRIU_OPTS__INIT;
	ExtMountMap e = EXT_MOUNT_MAP__INIT, *es[1] = {&e};
	JoinNamespace j = JOIN_NAMESPACE__INIT, *js[1] = {&j};
	CgroupRoot c = CGROUP_ROOT__INIT, *cs[1] = {&c};
	struct cr_opts o;

	e.key = "c:\\dir", e.val = "/x";
	m.n_ext_mnt = 1, m.ext_mnt = es;
	CHECK_EQ_INT(apply(&m, &o), -EINVAL);
	CHECK_ERR_MENTIONS("criu_opts.ext_mnt: key 'c:\\dir'");
	opts_free(&o);
	criu_opts__init(&m);
	j.ns = "net", j.ns_file = "/run/a,b";
	m.n_join_ns = 1, m.join_ns = js;
	CHECK_EQ_INT(apply(&m, &o), -EINVAL);
	opts_free(&o);
	j.ns = "bogus", j.ns_file = "/x";
	CHECK_EQ_INT(apply(&m, &o), -EINVAL);
	CHECK_ERR_MENTIONS("criu_opts.join_ns: option --join-ns: bad value");
	opts_free(&o);
	criu_opts__init(&m);
	c.path = "/a:b";
	m.n_cg_root = 1, m.cg_root = cs;
	CHECK_EQ_INT(apply(&m, &o), -EINVAL);
	opts_free(&o);
}

/* Sets field f of m to a valid value of its type (repeated and message fields: by hand). */
static void fill_scalar(CriuOpts *m, const ProtobufCFieldDescriptor *f)
{
	char *p = (char *)m + f->offset;

	if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->type != PROTOBUF_C_TYPE_STRING &&
	    f->type != PROTOBUF_C_TYPE_MESSAGE)
		*(protobuf_c_boolean *)((char *)m + f->quantifier_offset) = true;
	switch (f->type) {
	case PROTOBUF_C_TYPE_BOOL:
		*(protobuf_c_boolean *)p = true;
		break;
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_UINT32:
		*(int32_t *)p = 3;
		break;
	case PROTOBUF_C_TYPE_ENUM:
		*(int *)p = ((const ProtobufCEnumDescriptor *)f->descriptor)->values[0].value;
		break;
	case PROTOBUF_C_TYPE_STRING:
		*(char **)p = "x";
		break;
	default:
		break;
	}
}

/* Every field present at once: each handler and row accepts a valid value. */
static void test_every_field_applies(void)
{
	static char *one[] = {"x"};
	CriuOpts m = CRIU_OPTS__INIT;
	struct cr_opts o;

	CriuPageServerInfo ps = CRIU_PAGE_SERVER_INFO__INIT;
	ExtMountMap e = EXT_MOUNT_MAP__INIT, *es[1] = {&e};
	UnixSk sk = UNIX_SK__INIT, *sks[1] = {&sk};
	CriuVethPair veth = CRIU_VETH_PAIR__INIT, *veths[1] = {&veth};

	runc_restore_opts(&m); /* the message fields */
	ps.address = "a", ps.has_port = true, ps.port = 1;
	m.ps = &ps;
	e.key = "/k", e.val = "/v";
	m.n_ext_mnt = 1, m.ext_mnt = es;
	m.n_unix_sk_ino = 1, m.unix_sk_ino = sks;
	veth.if_in = "i", veth.if_out = "o";
	m.n_veths = 1, m.veths = veths;
	for (unsigned int i = 0; i < criu_opts__descriptor.n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &criu_opts__descriptor.fields[i];

		if (f->label == PROTOBUF_C_LABEL_REPEATED && f->type == PROTOBUF_C_TYPE_STRING) {
			*(size_t *)((char *)&m + f->quantifier_offset) = 1;
			*(char ***)((char *)&m + f->offset) = one;
		} else if (f->label != PROTOBUF_C_LABEL_REPEATED && f->type != PROTOBUF_C_TYPE_MESSAGE) {
			fill_scalar(&m, f);
		}
	}
	m.empty_ns = CLONE_NEWNET;
	m.lsm_profile = "selinux:x";
	m.images_dir_fd = -1;
	CHECK_EQ_INT(apply(&m, &o), 0);
	if (log_first_error())
		printf("    first error: %s\n", log_first_error());
	opts_free(&o);
}

/* Every criu_opts field is mapped to an option or explicitly left to the front door. */
static void test_every_field_handled(void)
{
	int front = 0;

	for (unsigned int i = 0; i < criu_opts__descriptor.n_fields; i++) {
		const char *name = criu_opts__descriptor.fields[i].name;
		const char *how = rpc_opts_field_handling(name);

		if (!how)
			T_FAILF("criu_opts.%s (field %u) is neither mapped nor handled by the front door",
				name, criu_opts__descriptor.fields[i].id);
		else if (strstr(how, "front door"))
			front++;
	}
	CHECK_EQ_INT(front, 6);
	CHECK(rpc_opts_field_handling("no_such_field") == NULL);
	CHECK_EQ_STR(rpc_opts_field_handling("tcp_established"), "tcp-established");
}

/* And the converse: every RPC name in the option table is a real field. */
static void test_table_rpc_names_exist(void)
{
	for (size_t i = 0; i < opts_table_size(); i++) {
		const char *rpc = opts_table_rpc(i);
		const ProtobufCMessageDescriptor *d = &criu_opts__descriptor;

		if (!rpc)
			continue;
		if (!strncmp(rpc, "ps.", 3)) {
			d = &criu_page_server_info__descriptor;
			rpc += 3;
		}
		if (!protobuf_c_message_descriptor_get_field_by_name(d, rpc))
			T_FAILF("row --%s names RPC field %s, which does not exist", opts_table_name(i),
				opts_table_rpc(i));
	}
}

int main(void)
{
	log_set_level(0); /* errors are checked through log_first_error() */
	t_run("rpc_roundtrip_every_type", test_roundtrip_every_type);
	t_run("rpc_version_without_opts", test_version_without_opts);
	t_run("rpc_encode_error_resp", test_encode_error_resp);
	t_run("rpc_truncation_at_every_byte", test_truncation_at_every_byte);
	t_run("rpc_bit_flips", test_bit_flips);
	t_run("rpc_absurd_lengths", test_absurd_lengths);
	t_run("rpc_large_request", test_large_request);
	t_run("rpc_missing_required_fields", test_missing_required_fields);
	t_run("rpc_wrong_wire_type", test_wrong_wire_type);
	t_run("rpc_unknown_type_decodes", test_unknown_type_decodes);
	t_run("rpc_runc_dump_opts", test_runc_dump_opts);
	t_run("rpc_runc_restore_opts", test_runc_restore_opts);
	t_run("rpc_enums_and_switches", test_enums_and_switches);
	t_run("rpc_masks_and_numbers", test_masks_and_numbers);
	t_run("rpc_ps_images_dir_sockets", test_ps_images_dir_and_sockets);
	t_run("rpc_unrepresentable_values", test_unrepresentable_values);
	t_run("rpc_every_field_applies", test_every_field_applies);
	t_run("rpc_every_field_handled", test_every_field_handled);
	t_run("rpc_table_rpc_names_exist", test_table_rpc_names_exist);
	return t_done();
}
