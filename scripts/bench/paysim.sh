#!/bin/sh
# SPDX-License-Identifier: ISC
#
# paysim (the payment-agent sandbox, docs/paysim.md) under wrk:
#   sh scripts/bench/paysim.sh [path/to/rentport]
#   1. POST /v1/tokens (publishable key, test card 4242…): tokens/s
#   2. POST /v1/payments with a saved card and capture_method manual:
#      authorisations/s (a token is single-use, so the benchmark charges a
#      card saved once with save_card; each request is a new pay_… that
#      holds funds, written to SQLite with its payment.authorized event)
# A fresh data dir, paysim on a free loopback port, stopped at the end.
# Environment: BENCH_SECONDS (default 10), BENCH_PAYSIM_CONNS (default 16).
# Exit status 1 if any response had an unexpected status.
set -eu
cd "$(dirname "$0")/../.."

BIN=${1:-${RENTPORT_BIN:-./build/rentport}}
SECS=${BENCH_SECONDS:-10}
CONNS=${BENCH_PAYSIM_CONNS:-16}
LUA=scripts/bench/paysim_post.lua

tmp=$(mktemp -d /tmp/rentport-bench-paysim.XXXXXX)
ps_pid=""
cleanup() {
	[ -n "$ps_pid" ] && kill "$ps_pid" 2>/dev/null && wait "$ps_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
"$BIN" paysim --data-dir="$tmp/var" --paysim-port="$port" >"$tmp/paysim.out" 2>&1 &
ps_pid=$!
i=0
until curl -fsS -o /dev/null "$base/healthz" 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 100 ] && { echo "bench: paysim did not come up" >&2; cat "$tmp/paysim.out" >&2; exit 1; }
	sleep 0.1
done
SK=$(cat "$tmp/var/paysim/api.secret")
PK=$(cat "$tmp/var/paysim/publishable.key")

# wrk output → "req/s p99_ms ok bad first_bad"
run() {
	BENCH_PATH=$1 BENCH_KEY=$2 BENCH_BODY=$3 wrk -t2 -c"$CONNS" \
	    -d"${SECS}s" --latency -s "$LUA" "$base" >"$tmp/wrk.out" 2>&1
	awk '
	function ms(v) {
		if (v ~ /us$/) { sub(/us$/, "", v); return v / 1000 }
		if (v ~ /ms$/) { sub(/ms$/, "", v); return v + 0 }
		if (v ~ /s$/)  { sub(/s$/, "", v);  return v * 1000 }
		return v
	}
	/Requests\/sec/ { rps = $2 }
	$1 == "99%" { p99 = ms($2) }
	/^status-check/ { split($3, a, "="); split($4, b, "="); split($5, c, "=");
	    okn = a[2]; badn = b[2]; first = c[2] }
	END { printf "%.0f %.3f %d %d %s\n", rps, p99, okn, badn, first }' \
	    "$tmp/wrk.out"
}

status=0

card='{"number":"4242424242424242","exp_month":12,"exp_year":2030,"cvc":"123"}'
set -- $(run /v1/tokens "$PK" "$card")
printf "paysim tokens:          %8s tokens/s   p99 %8s ms   (%s ok, %s bad)\n" "$1" "$2" "$3" "$4"
[ "$4" = 0 ] || { echo "  !! FAILED: tokens: first bad status $5"; status=1; }

tok=$(curl -fsS -X POST "$base/v1/tokens" -H "Authorization: Bearer $PK" -d "$card" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
saved=$(curl -fsS -X POST "$base/v1/payments" -H "Authorization: Bearer $SK" \
    -d "{\"amount\":1000,\"currency\":\"jpy\",\"token\":\"$tok\",\"capture_method\":\"manual\",\"save_card\":true}" |
    python3 -c 'import json,sys; p=json.load(sys.stdin); print(p["customer"], p["payment_method"])')
set -- $saved
auth="{\"amount\":5000,\"currency\":\"jpy\",\"customer\":\"$1\",\"payment_method\":\"$2\",\"capture_method\":\"manual\",\"metadata\":{\"order\":\"RP-BENCH\"}}"
set -- $(run /v1/payments "$SK" "$auth")
printf "paysim authorisations:  %8s auths/s    p99 %8s ms   (%s ok, %s bad)\n" "$1" "$2" "$3" "$4"
[ "$4" = 0 ] || { echo "  !! FAILED: authorisations: first bad status $5"; status=1; }
exit $status
