#!/bin/sh
# SPDX-License-Identifier: ISC
#
# What privilege separation costs (part of `make bench`; runs on its own
# too: sh scripts/bench/privsep.sh [path/to/rentport]).  The same demo data
# served twice in this run, once with privsep = 0 (every child unconfined:
# the baseline) and once with privsep = 1 (the default: own users, seccomp,
# landlock, not dumpable), alternating, BENCH_PRIVSEP_ROUNDS times each:
#   1. GET /plans?destination=US (the catalog, WAF on): req/s and p99;
#   2. vault get, batch 1, with durable logging (tests/vault/vault_load):
#      records/s and p99.
# Each server gets a short warm-up first, not counted.
# Prints each figure's median over the rounds and the ratio on/off; the
# bar (issue 10) is a cost of at most 5 %: a ratio of at least 0.95.
# Exit status 1 if any request failed.
set -eu
cd "$(dirname "$0")/../.."
. scripts/bench/lib.sh

BIN=${1:-${RENTPORT_BIN:-./build/rentport}}
BUILD=$(dirname "$BIN")
SECS=${BENCH_SECONDS:-10}
CONNS=${BENCH_ORDER_CONNS:-32}
ROUNDS=${BENCH_PRIVSEP_ROUNDS:-3}

bench_begin privsep
failed=0

start() {	# start PRIVSEP
	rp_port=$(free_port)
	base="http://127.0.0.1:$rp_port"
	RENTPORT_IPS_RATE_PER_S=0 RENTPORT_IPS_STRICT_PER_MIN=0 RENTPORT_IPS_RATE_BAN_AFTER=0 \
	RENTPORT_IPS_SCAN_MAX=0 RENTPORT_IPS_WAF_MAX=0 RENTPORT_IPS_CARD_ATTEMPTS_MAX=0 \
	"$BIN" serve --data-dir="$var" --port="$rp_port" --workers=2 \
	    --privsep="$1" --listen-addr=127.0.0.1 --public-url="$base" \
	    --paysim-local=0 --metrics-port="$(free_port)" \
	    --alog-http-port="$(free_port)" --witness-port="$(free_port)" \
	    --paysim-port="$(free_port)" --paylink-port="$(free_port)" --console-port="$(free_port)" \
	    >"$tmp/rp.out" 2>&1 &
	rp_pid=$!
	wait_up "$base/healthz"
}

stop() {
	kill "$rp_pid"; wait "$rp_pid" 2>/dev/null || true; rp_pid=""
}

: >"$tmp/results"
r=1
while [ "$r" -le "$ROUNDS" ]; do
	for mode in 0 1; do
		start "$mode"
		# warm-up, not counted: the first requests of a fresh worker
		# (WAF and template caches, SQLite pages) are slower
		wrk -t2 -c"$CONNS" -d2s -H "Accept: */*" \
		    -H "User-Agent: Mozilla/5.0 (rentport bench)" \
		    "$base/plans?destination=US" >/dev/null 2>&1 || true
		wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -H "Accept: */*" \
		    -H "User-Agent: Mozilla/5.0 (rentport bench)" \
		    "$base/plans?destination=US" >"$tmp/wrk.out" 2>&1
		set -- $(parse_wrk "$tmp/wrk.out")
		[ "$3" = 0 ] || { echo "  !! FAILED: catalog GET (privsep=$mode): $3 non-2xx answers"; failed=1; }
		echo "get $mode $1 $2" >>"$tmp/results"
		"$BUILD/tests/vault/vault_load" "$var" 1 1 "$persons" 1 >/dev/null 2>&1 || true
		"$BUILD/tests/vault/vault_load" "$var" "$SECS" 1 "$persons" 1 >"$tmp/vl.out" 2>&1 ||
		    { echo "  !! FAILED: vault_load (privsep=$mode)"; cat "$tmp/vl.out"; failed=1; }
		# "... N records/s ... p99 X ms ..." → records/s and p99
		set -- $(sed -n 's/.* \([0-9.]*\) records\/s.*p99 \([0-9.]*\) ms.*/\1 \2/p' "$tmp/vl.out")
		echo "vault $mode ${1:-0} ${2:-0}" >>"$tmp/results"
		stop
	done
	r=$((r + 1))
done

echo "== privilege separation: privsep=0 (baseline) vs privsep=1, same data, same run, median of $ROUNDS alternating rounds of ${SECS}s =="
printf '%-34s %14s %10s %14s %10s %8s\n' "what" "privsep=0" "p99 ms" "privsep=1" "p99 ms" "ratio"
awk '
function median(s,   n, a, i, j, t) {
	n = split(s, a, " ")
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
		if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
	return a[int((n + 1) / 2)]
}
{ v[$1 " " $2] = v[$1 " " $2] " " $3; p[$1 " " $2] = p[$1 " " $2] " " $4 }
END {
	split("get vault", k, " ")
	name["get"] = "GET /plans (catalog, WAF on) req/s"
	name["vault"] = "vault get, batch 1, records/s"
	for (i = 1; i <= 2; i++) {
		off = median(v[k[i] " 0"]); on = median(v[k[i] " 1"])
		printf "%-34s %14s %10s %14s %10s %7.3fx\n", name[k[i]], off,
		    median(p[k[i] " 0"]), on, median(p[k[i] " 1"]),
		    (off > 0 ? on / off : 0)
	}
}' "$tmp/results"
echo "(ratio = privsep=1 ÷ privsep=0; at least 0.95 means the sandbox costs at most 5 %)"
exit "$failed"
