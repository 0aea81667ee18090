/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Writes the fuzz_rpc seed corpus: small valid request packets of the kinds
 * runc, crun and go-criu send. Not part of the build (tests.mk builds only
 * fuzz_*.c); run it by hand when the schema changes, e.g.
 *
 *   cc -D_GNU_SOURCE -Ibuild/proto -o /tmp/gen_rpc_seeds tests/fuzz/gen_rpc_seeds.c \
 *      build/proto/rpc.pb-c.o -lprotobuf-c
 *   /tmp/gen_rpc_seeds tests/fuzz/corpus/fuzz_rpc
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpc.pb-c.h"

static const char *out_dir;

static void write_req(const char *name, const CriuReq *r)
{
	size_t len = criu_req__get_packed_size(r);
	unsigned char *buf = malloc(len ? len : 1);
	char path[512];
	FILE *f;

	criu_req__pack(r, buf);
	snprintf(path, sizeof(path), "%s/%s", out_dir, name);
	f = fopen(path, "w");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(1);
	}
	if (len >= 4096) {
		fprintf(stderr, "%s: %zu bytes, keep seeds under 4 KiB\n", name, len);
		exit(1);
	}
	free(buf);
}

static void seed_version_and_features(void)
{
	CriuReq r = CRIU_REQ__INIT;
	CriuFeatures feat = CRIU_FEATURES__INIT;

	r.type = CRIU_REQ_TYPE__VERSION; /* go-criu: no opts */
	write_req("version.bin", &r);
	r.type = CRIU_REQ_TYPE__FEATURE_CHECK;
	feat.has_mem_track = 1, feat.mem_track = 1;
	feat.has_lazy_pages = 1, feat.lazy_pages = 1;
	r.features = &feat;
	write_req("feature-check.bin", &r);
	r.features = NULL;
	r.type = CRIU_REQ_TYPE__NOTIFY; /* the client's answer to a notification */
	r.has_notify_success = 1, r.notify_success = 1;
	write_req("notify-reply.bin", &r);
}

static void seed_runc_dump(void)
{
	static char *ext[] = {"net[4026531993]:extRootNetNS"};
	ExtMountMap m[2] = {EXT_MOUNT_MAP__INIT, EXT_MOUNT_MAP__INIT}, *mp[2] = {&m[0], &m[1]};
	CriuPageServerInfo ps = CRIU_PAGE_SERVER_INFO__INIT;
	CriuOpts o = CRIU_OPTS__INIT;
	CriuReq r = CRIU_REQ__INIT;

	o.images_dir_fd = 5;
	o.has_log_level = 1, o.log_level = 4;
	o.log_file = "dump.log";
	o.root = "/run/runc/ctr/rootfs";
	o.has_manage_cgroups = 1, o.manage_cgroups = 1;
	o.has_manage_cgroups_mode = 1, o.manage_cgroups_mode = CRIU_CG_MODE__DEFAULT;
	o.has_notify_scripts = 1, o.notify_scripts = 1;
	o.has_pid = 1, o.pid = 4242;
	o.has_shell_job = 1, o.has_leave_running = 1, o.has_tcp_established = 1, o.has_file_locks = 1;
	o.has_empty_ns = 1, o.empty_ns = CLONE_NEWNET;
	o.has_orphan_pts_master = 1, o.orphan_pts_master = 1;
	o.config_file = "/etc/criu/runc.conf";
	o.n_external = 1, o.external = ext;
	o.freeze_cgroup = "/sys/fs/cgroup/ctr";
	m[0].key = m[0].val = "/etc/hosts";
	m[1].key = "/proc/kcore", m[1].val = "/dev/null";
	o.n_ext_mnt = 2, o.ext_mnt = mp;
	r.type = CRIU_REQ_TYPE__DUMP;
	r.opts = &o;
	write_req("runc-dump.bin", &r);
	ps.address = "127.0.0.1", ps.has_port = 1, ps.port = 12345;
	o.ps = &ps;
	o.parent_img = "../pre", o.has_track_mem = 1, o.track_mem = 1;
	r.type = CRIU_REQ_TYPE__PRE_DUMP;
	write_req("runc-pre-dump.bin", &r);
}

static void seed_restore(void)
{
	InheritFd i[2] = {INHERIT_FD__INIT, INHERIT_FD__INIT}, *ip[2] = {&i[0], &i[1]};
	ExtMountMap m = EXT_MOUNT_MAP__INIT, *mp[1] = {&m};
	JoinNamespace j = JOIN_NAMESPACE__INIT, *jp[1] = {&j};
	CgroupRoot c[2] = {CGROUP_ROOT__INIT, CGROUP_ROOT__INIT}, *cp[2] = {&c[0], &c[1]};
	CriuOpts o = CRIU_OPTS__INIT;
	CriuReq r = CRIU_REQ__INIT;

	o.images_dir_fd = 5;
	o.has_rst_sibling = 1, o.rst_sibling = 1;
	o.has_evasive_devices = 1, o.evasive_devices = 1;
	i[0].key = "extRootNetNS", i[0].fd = 4;
	i[1].key = "pipe:[1234]", i[1].fd = 0;
	o.n_inherit_fd = 2, o.inherit_fd = ip;
	m.key = "/data", m.val = "/var/lib/vol";
	o.n_ext_mnt = 1, o.ext_mnt = mp;
	j.ns = "user", j.ns_file = "/proc/1/ns/user", j.extra_opt = "0,0";
	o.n_join_ns = 1, o.join_ns = jp;
	c[0].ctrl = "", c[0].path = "/ctr";
	c[1].path = "/all";
	o.n_cg_root = 2, o.cg_root = cp;
	o.lsm_profile = "apparmor:runc-default";
	o.has_network_lock = 1, o.network_lock = CRIU_NETWORK_LOCK_METHOD__NFTABLES;
	r.type = CRIU_REQ_TYPE__RESTORE;
	r.opts = &o;
	write_req("restore.bin", &r);
}

/* A restore whose every path is hostile: escapes, a FIFO as images dir, a long name. */
static void seed_restore_hostile(void)
{
	static char long_name[2001];
	CgroupRoot c = CGROUP_ROOT__INIT, *cp[1] = {&c};
	ExtMountMap m = EXT_MOUNT_MAP__INIT, *mp[1] = {&m};
	char *external[2] = {"mnt[/data]:/etc/shadow", long_name};
	CriuOpts o = CRIU_OPTS__INIT;
	CriuReq r = CRIU_REQ__INIT;

	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[0] = '/';
	o.images_dir_fd = -1;
	o.images_dir = "/tmp/criu-fifo";
	o.root = "../../../";
	o.log_file = "../../etc/passwd";
	c.ctrl = "pids", c.path = "/../../escape";
	o.n_cg_root = 1, o.cg_root = cp;
	m.key = "/../../etc", m.val = "/proc/self/root/etc";
	o.n_ext_mnt = 1, o.ext_mnt = mp;
	o.n_external = 2, o.external = external;
	o.freeze_cgroup = "/sys/fs/cgroup/../../../etc";
	r.type = CRIU_REQ_TYPE__RESTORE;
	r.opts = &o;
	write_req("restore-hostile-paths.bin", &r);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
		return 1;
	}
	out_dir = argv[1];
	seed_version_and_features();
	seed_runc_dump();
	seed_restore();
	seed_restore_hostile();
	return 0;
}
