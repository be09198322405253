#!/bin/sh
# SPDX-License-Identifier: ISC
#
# A private PostgreSQL for the tests (issue 12): never the system's.
#   scripts/pgtmp.sh start DIR   initdb into DIR/data (as an unprivileged
#                                user: nobody when run as root), listen on
#                                127.0.0.1 only, on a free port, sockets in
#                                DIR; prints the admin URL (superuser
#                                rentport, trust on loopback: test only)
#   scripts/pgtmp.sh stop DIR    stops it (fast shutdown); start again
#                                resumes the same cluster on its port
# Needs Debian's postgresql-15 (scripts/install-deps.sh).
set -eu

cmd=${1:?usage: pgtmp.sh start|stop DIR}
dir=${2:?usage: pgtmp.sh start|stop DIR}
bin=$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)
[ -x "$bin/initdb" ] || bin=/usr/lib/postgresql/15/bin

as_user() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u nobody -- "$@"
	else
		"$@"
	fi
}

case $cmd in
start)
	mkdir -p "$dir"
	[ "$(id -u)" -eq 0 ] && chown nobody "$dir"
	if [ -f "$dir/data/PG_VERSION" ] && [ -s "$dir/port" ]; then
		# started before and stopped: the same cluster on the same port
		port=$(cat "$dir/port")
	else
		as_user "$bin/initdb" -D "$dir/data" -U rentport --auth=trust \
		    --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
		    { cat "$dir/initdb.log" >&2; exit 1; }
		port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	fi
	as_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
	    -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir -c fsync=off -c max_connections=200" \
	    start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
	echo "$port" >"$dir/port"
	echo "postgresql://rentport@127.0.0.1:$port/postgres"
	;;
stop)
	[ -d "$dir/data" ] || exit 0
	as_user "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
	;;
*)
	echo "usage: pgtmp.sh start|stop DIR" >&2
	exit 2
	;;
esac
