#!/bin/sh
# Installs the Debian 12 packages the build, the demo and the tests need,
# and only those that are missing. Runs `apt-get update` once, first, when
# anything must be installed (a fresh machine's package lists may be empty).
set -eu

PKGS="gcc make pkg-config clang libclang-rt-14-dev
protobuf-c-compiler libprotobuf-c-dev libnl-3-dev libnl-route-3-dev
libcap-dev libseccomp-dev libjansson-dev
iptables nftables iproute2 util-linux procps python3 runc busybox-static tar
redis-server redis-tools curl lxc podman"

missing=""
for p in $PKGS; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$status" in
	"install ok installed") ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing Debian packages:$missing" >&2
	echo "install-deps: run as root, or: apt-get install -y$missing" >&2
	exit 1
fi
echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
