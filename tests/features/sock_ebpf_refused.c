/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A socket with an eBPF filter (SO_ATTACH_BPF): the kernel cannot give the
 * program back (SO_GET_FILTER says EACCES), so the dump is refused by name
 * and the program goes on with its filter still attached.
 */
// criu-expect: dump-refused
#include <linux/bpf.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "feature.h"

static int load_prog(void)
{
	/* r0 = 0xffff; exit: keeps every packet */
	struct bpf_insn insns[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0xffff},
		{.code = BPF_JMP | BPF_EXIT},
	};
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	a.insns = (unsigned long)insns;
	a.insn_cnt = 2;
	a.license = (unsigned long)"GPL";
	return (int)syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof(a));
}

int main(int argc, char **argv)
{
	int sk[2], prog;
	char buf[4] = {0};
	socklen_t n = 0;

	feat_init(argc, argv);
	prog = load_prog();
	if (prog < 0)
		feat_die("bpf(BPF_PROG_LOAD)");
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sk) ||
	    setsockopt(sk[0], SOL_SOCKET, SO_ATTACH_BPF, &prog, sizeof(prog)))
		feat_die("SO_ATTACH_BPF");
	close(prog);

	feat_ready();
	feat_wait_go();

	FEAT_CHECK(getsockopt(sk[0], SOL_SOCKET, SO_GET_FILTER, NULL, &n) < 0 && errno == EACCES,
		   "the eBPF filter is gone (SO_GET_FILTER: %s)", strerror(errno));
	FEAT_CHECK(send(sk[1], "ok", 2, 0) == 2 && recv(sk[0], buf, sizeof(buf), MSG_DONTWAIT) == 2,
		   "the socket pair does not work any more");
	return feat_done();
}
