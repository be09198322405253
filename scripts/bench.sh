#!/bin/sh
# SPDX-License-Identifier: ISC
#
# `make bench`: rentport's figures beside a baseline measured in the same
# run on the same machine.
#   1. GET /healthz and GET of a static file: req/s and p99 under wrk, for
#      rentport and for nginx serving the same file (ratio printed).
#   1b. the ordering sites (scripts/bench/ordering.sh, also runnable on its
#      own): GET {home}plans beside nginx serving the same rendered page;
#      POST {home}order and POST {home}order/confirm (places orders).
#   1c. paysim, the payment agent sandbox (scripts/bench/paysim.sh):
#      tokens/s and authorisations/s.
#   1d. an order with a card payment end to end (scripts/bench/order_pay.sh):
#      order/confirm with a card token → 303, confirmed; req/s, p99 and the
#      ratio to the same POST without a card, measured in the same run.
#   1e. the WAF (scripts/bench/waf.sh): catalog GET and order POST with the
#      WAF on and off, and nginx + ModSecurity + the same CRS rules; req/s
#      and CPU per request as ratios.
#   1f. what privilege separation costs (scripts/bench/privsep.sh): catalog
#      GET and vault get with privsep = 0 and 1, alternating, same run.
#   1g. staff identities (scripts/bench/auth.sh): sign-ins/s through the
#      console API beside unknown-name tries (the same argon2id cost), and
#      vault get with a verified capability beside one without.
#   2. the access log: durable appends/s by batch size; `log verify`
#      entries/s beside SHA-256 node-hash throughput (its limit).
#   3. the vault: records/s and p99 of `get` with durable logging at batch
#      sizes 1, 10 and 100.
#   4. `rentport seed --orders 1000000`: seconds and database sizes.
#   5. several nodes (scripts/bench/cluster.py): orders/s through the JSON
#      API on SQLite and on PostgreSQL, on a core + one web node and on a
#      core + two web nodes; `seed --orders 1000000` into PostgreSQL.
#   6. stock (scripts/bench/stock.py): orders/s holding stock under
#      contention beside none held; availability queries/s over a seeded
#      store.
# Environment: BENCH_SECONDS (default 10), BENCH_CONNS (default 64),
# BENCH_ORDERS (default 1000000); BENCH_ORDER_CONNS and BENCH_ORDER_SITES
# (see scripts/bench/ordering.sh).  Exit status 1 if a benchmark's
# requests failed (it says so loudly where it ran).
set -eu
cd "$(dirname "$0")/.."
. scripts/bench/lib.sh

BIN=${RENTPORT_BIN:-./build/rentport}
SECS=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNS:-64}
tmp=$(mktemp -d /tmp/rentport-bench.XXXXXX)
rp_pid="" ng_pid=""
cleanup() {
	[ -n "$rp_pid" ] && kill "$rp_pid" 2>/dev/null && wait "$rp_pid" 2>/dev/null
	[ -n "$ng_pid" ] && kill "$ng_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# wrk URL → "req/s p99_ms non2xx ..." (with the Accept and User-Agent
# headers a browser sends, so the WAF, on by default, sees an ordinary
# request)
measure() {
	wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -H "Accept: */*" -H "User-Agent: Mozilla/5.0 (rentport bench)" "$1" >"$tmp/wrk.out" 2>&1
	parse_wrk "$tmp/wrk.out"
}

STATIC=src/web/static/style.css
[ -f "$STATIC" ] || STATIC=src/web/static/robots.txt
name=$(basename "$STATIC")

rp_port=$(free_port)
"$BIN" serve --data-dir="$tmp/var" --port="$rp_port" --workers=2 \
    --alog-http-port="$(free_port)" --witness-port="$(free_port)" >"$tmp/rp.out" 2>&1 &
rp_pid=$!
wait_up "http://127.0.0.1:$rp_port/healthz"

mkdir -p "$tmp/nginx/html/static" "$tmp/nginx/logs"
cp "$STATIC" "$tmp/nginx/html/static/$name"
# run as root, nginx's workers drop to an unprivileged user: they must be
# able to reach and read the document root (the data dirs stay 0700)
chmod 711 "$tmp"
chmod -R a+rX "$tmp/nginx/html"
ng_port=$(free_port)
cat >"$tmp/nginx/nginx.conf" <<NGX
worker_processes 2;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/logs/error.log;
events { worker_connections 1024; }
http {
	access_log $tmp/nginx/logs/access.log;
	include /etc/nginx/mime.types;
	etag on;
	server {
		listen 127.0.0.1:$ng_port;
		root $tmp/nginx/html;
		location = /healthz { default_type text/plain; return 200 "ok\n"; }
		location /static/ { add_header Cache-Control "public, max-age=3600"; }
	}
}
NGX
nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" &
ng_pid=$!
wait_up "http://127.0.0.1:$ng_port/healthz"

echo "== HTTP: wrk -t2 -c$CONNS -d${SECS}s, loopback, 2 workers each =="
printf '%-22s %12s %10s %12s %10s %10s\n' "request" "rentport r/s" "p99 ms" "nginx r/s" "p99 ms" "ratio"
for path in /healthz "/static/$name"; do
	set -- $(measure "http://127.0.0.1:$rp_port$path")
	r_rps=$1 r_p99=$2 r_bad=$3
	set -- $(measure "http://127.0.0.1:$ng_port$path")
	n_rps=$1 n_p99=$2 n_bad=$3
	ratio=$(awk -v a="$r_rps" -v b="$n_rps" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
	printf '%-22s %12s %10s %12s %10s %9sx\n' "GET $path" "$r_rps" "$r_p99" "$n_rps" "$n_p99" "$ratio"
	[ "$r_bad" = 0 ] || echo "  warning: rentport answered $r_bad non-2xx responses"
	[ "$n_bad" = 0 ] || echo "  warning: nginx answered $n_bad non-2xx responses (the baseline is not valid)"
done
echo "(ratio = rentport req/s ÷ nginx req/s, both measured above in this run)"

kill "$rp_pid"; wait "$rp_pid" 2>/dev/null || true; rp_pid=""
kill "$ng_pid"; ng_pid=""

echo
bench_failed=0
sh scripts/bench/ordering.sh "$BIN" || bench_failed=1

echo
echo "== paysim, the payment agent sandbox: wrk -t2 -c${BENCH_PAYSIM_CONNS:-16} -d${SECS}s =="
sh scripts/bench/paysim.sh "$BIN" || bench_failed=1

echo
sh scripts/bench/order_pay.sh "$BIN" || bench_failed=1

echo
sh scripts/bench/waf.sh "$BIN" || bench_failed=1

echo
sh scripts/bench/privsep.sh "$BIN" || bench_failed=1

echo
sh scripts/bench/auth.sh "$BIN" || bench_failed=1

BUILD=$(dirname "$BIN")

echo
echo "== access log: durable appends (rentport log-writer --bench) =="
"$BIN" log-writer --bench --data-dir="$tmp/logbench"

echo
echo "== access log: log verify entries/s beside SHA-256 node hashes/s =="
"$BUILD/tests/alog/bench_alog_verify" "$tmp/verify" "${BENCH_VERIFY_ENTRIES:-1000000}"
rm -rf "$tmp/verify"

echo
echo "== vault: get with durable logging, records/s and p99 (${SECS}s each; client threads share the 2 cores) =="
vdir="$tmp/vault"
"$BIN" seed --orders 20000 --seed 5 --data-dir="$vdir" >"$tmp/vseed.out" 2>&1
persons=$(sed -n 's/.* and \([0-9]*\) persons.*/\1/p' "$tmp/vseed.out")
rp_port=$(free_port)
"$BIN" serve --data-dir="$vdir" --port="$rp_port" --workers=1 \
    --alog-http-port="$(free_port)" --witness-port="$(free_port)" >"$tmp/rp2.out" 2>&1 &
rp_pid=$!
wait_up "http://127.0.0.1:$rp_port/healthz"
for b in 1 10 100; do
	"$BUILD/tests/vault/vault_load" "$vdir" "$SECS" "$b" "$persons" 1
done
"$BUILD/tests/vault/vault_load" "$vdir" "$SECS" 100 "$persons" 4
kill "$rp_pid"; wait "$rp_pid" 2>/dev/null || true; rp_pid=""
"$BIN" log verify --data-dir="$vdir" | sed 's/^/  /'

if [ -x scripts/bench-seed.sh ]; then
	echo
	echo "== seed =="
	sh scripts/bench-seed.sh "$BIN"
fi

echo
python3 scripts/bench/cluster.py "$BIN" || bench_failed=1
python3 scripts/bench/stock.py "$BIN" || bench_failed=1

exit "$bench_failed"
