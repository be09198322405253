#!/bin/sh
# SPDX-License-Identifier: ISC
#
# Installs the Debian packages that rentport's build, tests and benchmarks
# need.  Idempotent and fast when everything is present: it asks dpkg first
# and calls apt-get only for what is missing (running `apt-get update` once
# before installing).  Uses sudo when not root.  Never prompts.
set -eu

PKGS="build-essential meson ninja-build pkg-config clang llvm libclang-rt-14-dev
libseccomp-dev liboath-dev oathtool libqrencode-dev
libmicrohttpd-dev libsqlite3-dev sqlite3 libsodium-dev libssl-dev libjansson-dev
libcurl4-openssl-dev curl wrk nginx-light hyperfine python3
chromium fonts-noto-cjk gdb
libmodsecurity-dev modsecurity-crs libnginx-mod-http-modsecurity python3-yaml
libnftables-dev nftables
postgresql-15 libpq-dev"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
# Node.js and npm for the browser tests (playwright-core drives Debian's
# chromium): Debian's packages unless a node is already installed.
if ! command -v node >/dev/null 2>&1; then
	missing="$missing nodejs"
fi
if ! command -v npm >/dev/null 2>&1; then
	missing="$missing npm"
fi
[ -z "$missing" ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null 2>&1 || { echo "install-deps: need root or sudo to install:$missing" >&2; exit 1; }
	SUDO="sudo"
fi
echo "install-deps: installing:$missing" >&2
# PostgreSQL is for the tests' private servers (scripts/pgtmp.sh) and for
# operators who point `store` at it: no system cluster is made or started.
case $missing in
*postgresql-15*)
	if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
		$SUDO mkdir -p /etc/postgresql-common
		echo "create_main_cluster = false" |
		    $SUDO tee /etc/postgresql-common/createcluster.conf >/dev/null
	fi ;;
esac
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq </dev/null
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    $missing </dev/null >/dev/null
