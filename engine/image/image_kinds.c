/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The table of image kinds: file names and the schema of their records. */
#include <stdio.h>

#include "image.h"
#include "images/cgroup.pb-c.h"
#include "images/core.pb-c.h"
#include "images/cpuinfo.pb-c.h"
#include "images/files.pb-c.h"
#include "images/inventory.pb-c.h"
#include "images/ipc.pb-c.h"
#include "images/mm.pb-c.h"
#include "images/mnt.pb-c.h"
#include "images/net.pb-c.h"
#include "images/ns.pb-c.h"
#include "images/pagemap.pb-c.h"
#include "images/sk-inet.pb-c.h"
#include "images/tree.pb-c.h"

static const struct img_kind_info kinds[IMG_KIND_MAX] = {
	[IMG_INVENTORY] = { .name = "inventory", .desc = &inventory_entry__descriptor },
	[IMG_PAGEMAP] = { .name = "pagemap",
			  .per_id = true,
			  .head = &pagemap_head__descriptor,
			  .desc = &pagemap_entry__descriptor },
	[IMG_PAGES] = { .name = "pages", .per_id = true, .raw = true },
	[IMG_TREE] = { .name = "tree", .desc = &tree_entry__descriptor },
	[IMG_CORE] = { .name = "core",
		       .per_id = true,
		       .head = &task_core__descriptor,
		       .desc = &thread_core__descriptor },
	[IMG_FILES] = { .name = "files", .desc = &file_entry__descriptor },
	[IMG_FDTABLE] = { .name = "fdtable", .per_id = true, .desc = &fd_entry__descriptor },
	[IMG_PIPES] = { .name = "pipes", .desc = &pipe_entry__descriptor },
	[IMG_CPUINFO] = { .name = "cpuinfo", .desc = &cpuinfo_entry__descriptor },
	[IMG_NETLOCK] = { .name = "netlock", .desc = &netlock_entry__descriptor },
	[IMG_NS] = { .name = "ns", .desc = &ns_entry__descriptor },
	[IMG_UTSNS] = { .name = "utsns", .desc = &uts_entry__descriptor },
	[IMG_IPCNS] = { .name = "ipcns", .desc = &ipc_sysctl_entry__descriptor },
	[IMG_TIMENS] = { .name = "timens", .desc = &timens_entry__descriptor },
	[IMG_IPC_SHM] = { .name = "ipc-shm", .desc = &ipc_shm_entry__descriptor },
	[IMG_IPC_SHM_DATA] = { .name = "ipc-shm-data", .per_id = true, .desc = &ipc_shm_chunk__descriptor },
	[IMG_IPC_SEM] = { .name = "ipc-sem", .desc = &ipc_sem_entry__descriptor },
	[IMG_IPC_MSG] = { .name = "ipc-msg", .desc = &ipc_msg_queue_entry__descriptor },
	[IMG_IPC_MQ] = { .name = "ipc-mq", .desc = &ipc_mq_entry__descriptor },
	[IMG_IPC_MSGS] = { .name = "ipc-msgs", .per_id = true, .desc = &ipc_message__descriptor },
	[IMG_NETLINK] = { .name = "netlinks", .desc = &net_link_entry__descriptor },
	[IMG_NETADDR] = { .name = "netaddrs", .desc = &net_addr_entry__descriptor },
	[IMG_NETROUTE] = { .name = "netroutes", .desc = &net_route_entry__descriptor },
	[IMG_NETSYSCTL] = { .name = "netsysctls", .desc = &net_sysctl_entry__descriptor },
	[IMG_NETRULES] = { .name = "netrules", .desc = &net_rules_entry__descriptor },
	[IMG_NETFIBRULE] = { .name = "netfibrules", .desc = &net_fib_rule_entry__descriptor },
	[IMG_CGROUP] = { .name = "cgroup", .desc = &cgroup_entry__descriptor },
	[IMG_MNTNS] = { .name = "mnt", .desc = &mnt_entry__descriptor },
	[IMG_TMPFS] = { .name = "tmpfs", .per_id = true, .desc = &blob_chunk__descriptor },
	[IMG_MNTNS_TASKS] = { .name = "mnt-tasks", .desc = &mnt_ns_task__descriptor },
	[IMG_MM] = { .name = "mm", .per_id = true, .head = &mm_entry__descriptor, .desc = &vma_entry__descriptor },
};

const struct img_kind_info *img_kind_info(unsigned int kind)
{
	if (kind >= IMG_KIND_MAX || !kinds[kind].name)
		return NULL;
	return &kinds[kind];
}

char *img_file_name(char *buf, size_t size, enum img_kind kind, uint64_t id)
{
	const struct img_kind_info *k = img_kind_info(kind);

	if (!k)
		snprintf(buf, size, "unknown-%u-%llu.img", (unsigned int)kind, (unsigned long long)id);
	else if (k->per_id)
		snprintf(buf, size, "%s-%llu.img", k->name, (unsigned long long)id);
	else
		snprintf(buf, size, "%s.img", k->name);
	return buf;
}
