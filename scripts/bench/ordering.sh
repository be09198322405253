#!/bin/sh
# SPDX-License-Identifier: ISC
#
# The ordering sites under wrk (part of `make bench`; runs on its own too:
#   sh scripts/bench/ordering.sh [path/to/rentport]).
#   1. GET {home}plans?destination=US on the public site and on
#      /c/shinonome-shoji/: req/s and p99, beside nginx serving a saved copy
#      of the very page rentport rendered (same body bytes) in this run.
#   2. POST {home}order (validation + quote, nothing saved) and
#      POST {home}order/confirm (places an order: vault put, access-log
#      entry, store insert, mail enqueue; a distinct idem key per request),
#      with the csrf cookie + field and Origin a browser sends
#      (scripts/bench/order.lua); every response's status is checked.
# A fresh data dir seeded with `rentport seed --demo`; `rentport serve` and
# nginx on free loopback ports, both stopped at the end.
# Environment: BENCH_SECONDS (default 10), BENCH_ORDER_CONNS (default 32),
# BENCH_ORDER_SITES (default "public"; add "shinonome-shoji" to run the
# POSTs on the corporate site too, 2 x BENCH_SECONDS more).
# Exit status 1 if any request failed (the figures are then not valid).
set -eu
cd "$(dirname "$0")/../.."
. scripts/bench/lib.sh

BIN=${1:-${RENTPORT_BIN:-./build/rentport}}
SECS=${BENCH_SECONDS:-10}
CONNS=${BENCH_ORDER_CONNS:-32}
SITES=${BENCH_ORDER_SITES:-public}
LUA=scripts/bench/order.lua
CORP=shinonome-shoji

tmp=$(mktemp -d /tmp/rentport-bench-order.XXXXXX)
rp_pid="" ng_pid=""
cleanup() {
	[ -n "$rp_pid" ] && kill "$rp_pid" 2>/dev/null && wait "$rp_pid" 2>/dev/null
	[ -n "$ng_pid" ] && kill "$ng_pid" 2>/dev/null && wait "$ng_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM



# (wrk runs with the Accept and User-Agent headers a browser sends, so the
# WAF, on by default, sees an ordinary request.)
# GET URL → "req/s p99_ms non2xx3xx socket_errors requests"
measure_get() {
	wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -H "Accept: */*" -H "User-Agent: Mozilla/5.0 (rentport bench)" "$1" >"$tmp/wrk.out" 2>&1
	parse_wrk "$tmp/wrk.out"
}

# POST with order.lua (BENCH_* exported by the caller), expecting status $2
# → "req/s p99_ms ok bad first_bad socket_errors requests"
measure_post() {
	BENCH_EXPECT=$2 wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -H "Accept: */*" -H "User-Agent: Mozilla/5.0 (rentport bench)" -s "$LUA" \
	    "$1" >"$tmp/wrk.out" 2>&1
	set -- $(parse_wrk "$tmp/wrk.out")
	rps=$1 p99=$2 se=$4 n=$5
	set -- $(sed -n 's/^status-check expect=[0-9]* ok=\([0-9]*\) bad=\([0-9]*\) first_bad=\(.*\)$/\1 \2 \3/p' "$tmp/wrk.out")
	[ $# -eq 3 ] || set -- 0 0 "no-status-check"
	echo "$rps $p99 $1 $2 $3 $se $n"
}

# orders in the store (read-only, beside the running server), or "n/a"
orders_in_store() {
	python3 - "$var/core.db" <<'PY' 2>/dev/null || echo n/a
import sqlite3, sys
c = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True, timeout=10)
print(c.execute("SELECT count(*) FROM orders").fetchone()[0])
PY
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }'
}

failures=""
fail() {
	echo "  !! FAILED: $1"
	failures="$failures
  $1"
}

# --- rentport on a fresh demo data dir ---------------------------------
var="$tmp/var"
"$BIN" seed --demo --data-dir="$var" >"$tmp/seed.out" 2>&1 ||
    { cat "$tmp/seed.out" >&2; exit 1; }
rp_port=$(free_port)
base="http://127.0.0.1:$rp_port"
# The IPS's per-address limits off (all of wrk comes from 127.0.0.1), and
# no payment agent: a card order is placed and waits for payment (303 to
# order/done), so this measures placing; scripts/bench/order_pay.sh
# measures placing with a card authorization.
RENTPORT_IPS_RATE_PER_S=0 RENTPORT_IPS_STRICT_PER_MIN=0 RENTPORT_IPS_RATE_BAN_AFTER=0 \
RENTPORT_IPS_SCAN_MAX=0 RENTPORT_IPS_WAF_MAX=0 RENTPORT_IPS_CARD_ATTEMPTS_MAX=0 \
# --stock-reserve=0: thousands of orders for one counter and date would
# sell out its units in the first second; what the stock costs is
# measured beside it by scripts/bench/stock.py
"$BIN" serve --data-dir="$var" --port="$rp_port" --workers=2 \
    --listen-addr=127.0.0.1 --public-url="$base" --paysim-local=0 \
    --stock-reserve=0 \
    --alog-http-port="$(free_port)" --witness-port="$(free_port)" \
    --paysim-port="$(free_port)" --paylink-port="$(free_port)" --console-port="$(free_port)" \
    >"$tmp/rp.out" 2>&1 &
rp_pid=$!
wait_up "$base/healthz"

# --- the catalog pages, saved for nginx -------------------------------
# nginx's workers drop to an unprivileged user when run as root: its
# document root must be readable by them (the data dir stays 0700).
www="$tmp/www"
mkdir -p "$www/html" "$www/logs"
chmod 711 "$tmp"
chmod 755 "$www" "$www/html"
cat_pub="/plans?destination=US"
cat_corp="/c/$CORP/plans?destination=US"
for p in pub corp; do
	eval "path=\$cat_$p"
	code=$(curl -sS -o "$www/html/catalog-$p.html" -w '%{http_code}' "$base$path")
	if [ "$code" != 200 ]; then
		echo "bench: GET $path answered $code" >&2; exit 1
	fi
	chmod 644 "$www/html/catalog-$p.html"
done

ng_port=$(free_port)
cat >"$www/nginx.conf" <<NGX
worker_processes 2;
daemon off;
pid $www/nginx.pid;
error_log $www/logs/error.log;
events { worker_connections 1024; }
http {
	access_log $www/logs/access.log;
	include /etc/nginx/mime.types;
	etag on;
	server {
		listen 127.0.0.1:$ng_port;
		root $www/html;
		location = /healthz { default_type text/plain; return 200 "ok\n"; }
		location / { default_type text/html; add_header Cache-Control "no-store"; }
	}
}
NGX
nginx -p "$www" -c "$www/nginx.conf" &
ng_pid=$!
wait_up "http://127.0.0.1:$ng_port/healthz"
for p in pub corp; do
	code=$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ng_port/catalog-$p.html")
	[ "$code" = 200 ] || { echo "bench: nginx answered $code for catalog-$p.html" >&2; exit 1; }
done

echo "== ordering sites: wrk -t2 -c$CONNS -d${SECS}s, loopback; rentport 2 workers, nginx 2 workers; 2 cores shared with wrk =="
echo "-- catalog GET: rentport renders it; nginx serves the page rentport rendered, saved to a file (same body bytes) --"
printf '%-52s %6s %12s %8s %10s %8s %7s\n' "request" "bytes" "rentport r/s" "p99 ms" "nginx r/s" "p99 ms" "ratio"
for p in pub corp; do
	eval "path=\$cat_$p"
	bytes=$(wc -c <"$www/html/catalog-$p.html" | tr -d ' ')
	set -- $(measure_get "$base$path")
	r_rps=$1 r_p99=$2 r_bad=$3 r_se=$4
	set -- $(measure_get "http://127.0.0.1:$ng_port/catalog-$p.html")
	n_rps=$1 n_p99=$2 n_bad=$3 n_se=$4
	printf '%-52s %6s %12s %8s %10s %8s %7s\n' "GET $path" "$bytes" \
	    "$r_rps" "$r_p99" "$n_rps" "$n_p99" "$(ratio "$r_rps" "$n_rps")"
	[ "$r_bad" = 0 ] && [ "$r_se" = 0 ] ||
	    fail "GET $path: rentport answered $r_bad non-2xx, $r_se socket errors"
	[ "$n_bad" = 0 ] && [ "$n_se" = 0 ] ||
	    fail "GET $path: nginx baseline answered $n_bad non-2xx, $n_se socket errors"
	eval "get_rps_$p=\$r_rps"
done
echo "(ratio = rentport req/s ÷ nginx req/s for the same body, both measured above)"

kill "$ng_pid"; wait "$ng_pid" 2>/dev/null || true; ng_pid=""

# --- the order POSTs ---------------------------------------------------
depart=$(TZ=Asia/Tokyo date -d '+14 days' +%F)
ret=$(TZ=Asia/Tokyo date -d '+21 days' +%F)
kana=%E3%83%99%E3%83%B3%E3%83%81%E3%83%9E%E3%83%BC%E3%82%AF	# ベンチマーク
trip="plan=US-R-1G&qty=1&depart=$depart&return=$ret&opt=battery&pickup=counter&pickup_counter=NRT1&return_method=counter&return_counter=NRT1"
traveller="name=Bench+Taro&kana=$kana&phone=090-0000-0000"
run=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')

echo
echo "-- order POSTs: csrf cookie + field and Origin as a browser sends them; each confirm carries a new idem key (a new order) --"
printf '%-52s %9s %8s %9s %14s %14s\n' "request" "r/s" "p99 ms" "failed" "vs GET catalog" "vs POST order"
for site in $SITES; do
	case $site in
	public)
		home=/ email=bench%40example.com corp_fields="" get_rps=$get_rps_pub ;;
	*)
		home=/c/$site/ email=bench%40$site.example get_rps=$get_rps_corp
		corp_fields="&department=Bench&employee_no=E0001&cost_centre=CC-100&billing=invoice"
		[ "$site" = "$CORP" ] || get_rps=0 ;;
	esac
	# the order form once: its csrf cookie and hidden field
	curl -sS -D "$tmp/form.h" -o "$tmp/form.html" "$base${home}order?plan=US-R-1G"
	csrf=$(sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' "$tmp/form.html" | head -n 1)
	cookie=$(tr -d '\r' <"$tmp/form.h" | sed -n 's/^[Ss]et-[Cc]ookie: csrf=\([^;]*\).*/\1/p' | head -n 1)
	if [ -z "$csrf" ] || [ "$csrf" != "$cookie" ]; then
		echo "bench: no csrf token/cookie from GET ${home}order (field '$csrf', cookie '$cookie')" >&2
		exit 1
	fi
	export BENCH_CSRF="$csrf" BENCH_ORIGIN="$base"
	export BENCH_BODY="$trip&$traveller&email=$email$corp_fields"
	unset BENCH_IDEM

	# a single request each first, so a wrong form fails here, not as a
	# wall of 422s
	code=$(curl -sS -o "$tmp/check.html" -w '%{http_code}' -H "Origin: $base" \
	    -b "csrf=$csrf" --data "csrf=$csrf&$BENCH_BODY" "$base${home}order")
	if [ "$code" != 200 ] || ! grep -q 'name="idem"' "$tmp/check.html"; then
		echo "bench: POST ${home}order answered $code, not the review page:" >&2
		grep -o '<span class="error"[^<]*' "$tmp/check.html" >&2 || true
		exit 1
	fi

	export BENCH_PATH="${home}order"
	set -- $(measure_post "$base${home}order" 200)
	v_rps=$1 v_p99=$2 v_ok=$3 v_bad=$4 v_first=$5 v_se=$6
	printf '%-52s %9s %8s %9s %14s %14s\n' "POST ${home}order (validate + quote)" \
	    "$v_rps" "$v_p99" "$((v_bad + v_se))" "$(ratio "$v_rps" "$get_rps")" "-"
	if [ "$v_bad" != 0 ] || [ "$v_se" != 0 ] || [ "$v_ok" = 0 ]; then
		fail "POST ${home}order: $v_bad of $((v_ok + v_bad)) responses were not 200 (first: $v_first), $v_se socket errors"
	fi

	before=$(orders_in_store)
	export BENCH_PATH="${home}order/confirm" BENCH_IDEM="b$run-${site}"
	set -- $(measure_post "$base${home}order/confirm" 303)
	c_rps=$1 c_p99=$2 c_ok=$3 c_bad=$4 c_first=$5 c_se=$6
	printf '%-52s %9s %8s %9s %14s %14s\n' "POST ${home}order/confirm (place order)" \
	    "$c_rps" "$c_p99" "$((c_bad + c_se))" "$(ratio "$c_rps" "$get_rps")" \
	    "$(ratio "$c_rps" "$v_rps")"
	if [ "$c_bad" != 0 ] || [ "$c_se" != 0 ] || [ "$c_ok" = 0 ]; then
		fail "POST ${home}order/confirm: $c_bad of $((c_ok + c_bad)) responses were not 303 (first: $c_first), $c_se socket errors"
	fi
	after=$(orders_in_store)
	if [ "$before" != n/a ] && [ "$after" != n/a ]; then
		added=$((after - before))
		echo "  ${home}order/confirm: $c_ok answered 303; orders in the store $before -> $after (+$added)"
		# wrk may stop with requests in flight: the store can hold a few
		# more than wrk counted, never fewer
		[ "$added" -ge "$c_ok" ] ||
		    fail "POST ${home}order/confirm: $c_ok answers 303 but only $added new orders in the store"
	else
		echo "  ${home}order/confirm: $c_ok answered 303 (store not readable for a count)"
	fi
done
echo "(failed = responses without the expected status (200 review page / 303 to order/done) + socket errors;"
echo " vs GET catalog = POST req/s ÷ the catalog GET req/s of the same site above)"
mails=$(ls "$var/mail/out" 2>/dev/null | wc -l | tr -d ' ')
echo "  confirmation mails written by the mailer so far: $mails"

kill "$rp_pid"; wait "$rp_pid" 2>/dev/null || true; rp_pid=""

if [ -n "$failures" ]; then
	echo
	echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
	echo "!! ORDERING BENCHMARK FAILED: requests failed, the figures above are NOT valid:$failures"
	echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
	exit 1
fi
