# SPDX-License-Identifier: ISC
# lib.sh — helpers the benchmark scripts share (sourced from the project
# root): a free loopback port, and waiting for a server to answer.

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_up URL: until it answers 2xx, at most 15 s
wait_up() {
	i=0
	until curl -fsS -o /dev/null "$1" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 150 ] && { echo "bench: $1 did not come up" >&2; exit 1; }
		sleep 0.1
	done
}
