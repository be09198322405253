# SPDX-License-Identifier: ISC
# lib.sh — helpers the benchmark scripts share (sourced from the project
# root): a free loopback port, waiting for a server to answer, and
# reading wrk's output.

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

# wrk output file → "req/s p99_ms non2xx3xx socket_errors requests"
parse_wrk() {
	awk '
	function ms(v) {
		if (v ~ /us$/) { sub(/us$/, "", v); return v / 1000 }
		if (v ~ /ms$/) { sub(/ms$/, "", v); return v + 0 }
		if (v ~ /s$/)  { sub(/s$/, "", v);  return v * 1000 }
		return v
	}
	/Requests\/sec/ { rps = $2 }
	$1 == "99%" { p99 = ms($2) }
	/Non-2xx/ { bad = $NF }
	/requests in/ { n = $1 }
	/Socket errors/ {
		gsub(/,/, "")
		for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/) se += $i
	}
	END { printf "%.0f %.3f %d %d %d\n", rps, p99, bad, se, n }' "$1"
}

# bench_begin NAME: a scratch directory $tmp (removed at exit, with the
# server $rp_pid if one is running) and demo data seeded into $var;
# $persons is the vault's highest record id.
bench_begin() {
	tmp=$(mktemp -d "/tmp/rentport-bench-$1.XXXXXX")
	rp_pid=""
	trap 'bench_cleanup' EXIT
	trap 'exit 130' INT TERM
	var="$tmp/var"
	"$BIN" seed --demo --data-dir="$var" >"$tmp/seed.out" 2>&1 ||
	    { cat "$tmp/seed.out" >&2; exit 1; }
	persons=$(sqlite3 "$var/vault/vault.db" "SELECT max(id) FROM records" 2>/dev/null || echo 1800)
}

bench_cleanup() {
	[ -n "$rp_pid" ] && kill "$rp_pid" 2>/dev/null && wait "$rp_pid" 2>/dev/null
	rm -rf "$tmp"
}
