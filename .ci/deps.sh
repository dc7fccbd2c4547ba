#!/bin/sh
# Install the Debian 12 packages moderd needs to build, test and demo.
# As root: apt-get installs whatever is missing.  Otherwise: print the exact
# command and fail, so nothing half-works.
set -eu
arch=$(dpkg --print-architecture)
hs=libhyperscan-dev
[ "$arch" = amd64 ] || hs=libvectorscan-dev
pkgs="make gcc clang libclang-rt-14-dev clang-format pkg-config
libpq-dev postgresql-15 libnng-dev nng-utils libpcre2-dev libjansson-dev
libcmocka-dev libicu-dev libsodium-dev libcurl4-openssl-dev $hs openssl
chromium"
# The console's browser tests: node and npm (Debian's, unless a node is
# already installed, e.g. NodeSource's, which ships npm).
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 ||
	pkgs="$pkgs nodejs npm"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "moderd: missing Debian packages; run as root:" >&2
	echo "  apt-get update && $cmd" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
