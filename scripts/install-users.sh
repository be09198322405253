#!/bin/sh
# SPDX-License-Identifier: ISC
#
# Creates the system users and groups of rentport's process kinds
# (idempotent: what exists is left as it is).  `rentport serve`, started
# as root, runs each kind as its own user and refuses to start without
# them; started as another user it needs none.  Each user is a system
# user with no shell and no home, in its own group:
#   rentport-web rentport-vault rentport-alog rentport-witness rentport-pay
#   rentport-mail rentport-ips rentport-paysim rentport-auth rentport-console
#   rentport-gate
# and three shared groups, for the files some kinds share:
#   rentport-core  the core store's writers: web, pay, ips, console
#   rentport-run   the sockets in DATA/run: web, mail, vault, alog, ips,
#                  auth, console, gate
#   rentport-cap   the capability key's readers: auth, vault
# Uses sudo when not root.  Never prompts.
set -eu

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if ! command -v sudo >/dev/null 2>&1 || ! sudo -n true 2>/dev/null; then
		echo "install-users: not root and no sudo: the system users are" \
		    "not created (serve will run unprivileged, confined by" \
		    "landlock and seccomp)" >&2
		exit 0
	fi
	SUDO="sudo -n"
fi

group() {
	getent group "$1" >/dev/null 2>&1 || $SUDO groupadd --system "$1"
}

user() {
	if ! getent passwd "$1" >/dev/null 2>&1; then
		$SUDO useradd --system --user-group --no-create-home \
		    --home-dir /nonexistent --shell /usr/sbin/nologin \
		    --comment "rentport $1 process" "$1"
	fi
}

member() {	# member GROUP USER...
	g=$1
	shift
	for u in "$@"; do
		id -nG "$u" | tr ' ' '\n' | grep -qx "$g" ||
		    $SUDO usermod -a -G "$g" "$u"
	done
}

for u in web vault alog witness pay mail ips paysim auth console gate; do
	user "rentport-$u"
done
group rentport-core
group rentport-run
group rentport-cap
member rentport-core rentport-web rentport-pay rentport-ips rentport-console
member rentport-run rentport-web rentport-mail rentport-vault rentport-alog \
    rentport-ips rentport-auth rentport-console rentport-gate
member rentport-cap rentport-auth rentport-vault
