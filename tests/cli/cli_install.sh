#!/bin/bash
# make install: the binary, libcriu.so.2, the public headers and criu.pc, so
# that a client compiles with `pkg-config --cflags --libs criu` alone.
. "$TOP/tests/lib/cli.sh"

prefix="$T_TMP/prefix"
expect install_runs 0 '' -- make -s -C "$TOP" install PREFIX="$prefix" DESTDIR=
for f in sbin/criu lib/libcriu.so.2 lib/libcriu.so lib/libcriu.a lib/pkgconfig/criu.pc \
	include/criu/criu.h include/criu/criu-plugin.h include/criu/criu-log.h; do
	verdict "installed_$(basename "$f")" test -e "$prefix/$f"
done
verdict soname_is_libcriu_so_2 bash -c "objdump -p '$prefix/lib/libcriu.so.2' | grep -q 'SONAME *libcriu.so.2'"

cat >"$T_TMP/client.c" <<'C'
#include <stdio.h>
#include <criu.h>
#include <criu-plugin.h>
#include <criu-log.h>

int main(void)
{
	if (criu_init_opts() < 0)
		return 1;
	criu_set_images_dir_fd(3);
	criu_set_log_level(4);
	criu_set_service_binary("/nonexistent/criu");
	/* the binary cannot be started: the documented answer is -ECONNREFUSED */
	printf("%d\n", criu_check());
	return 0;
}
C
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
# make check SAN=1 installs an ASan library: its clients need the ASan runtime first
san=
objdump -p "$prefix/lib/libcriu.so.2" | grep -q 'NEEDED *libasan' && san=-fsanitize=address,undefined
expect client_compiles_with_pkg_config 0 '' -- \
	bash -c "gcc $san -o '$T_TMP/client' '$T_TMP/client.c' \$(pkg-config --cflags --libs criu)"
expect client_runs 0 '^-111$' -- env LD_LIBRARY_PATH="$prefix/lib" "$T_TMP/client"
expect installed_binary_runs 0 '^Version: 4\.2$' -- "$prefix/sbin/criu" --version

# the verdicts above are the result, not the status of the last cleanup
exit 0
