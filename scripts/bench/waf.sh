#!/bin/sh
# SPDX-License-Identifier: ISC
#
# The WAF under wrk (part of `make bench`; runs on its own too:
#   sh scripts/bench/waf.sh [path/to/rentport]).
# Three servers in the same run, on the same demo data, one after another:
#   rentport with the WAF on (block mode, paranoia level 1, the default),
#   rentport with the WAF off (--waf-mode=off), and
#   nginx + ModSecurity-nginx (libnginx-mod-http-modsecurity) with the very
#   same rules (rentport's main.conf: CRS 3.3.4 + exclusions, engine On),
#   serving a saved copy of the page rentport answered: for the POST the
#   review page, after ModSecurity has read and inspected the body (the
#   access phase runs before nginx's static handler, whose 405 for a POST
#   is turned into 200 with that page).
# Requests: GET /plans?destination=US (catalog) and POST /order (the
# validation step, with csrf cookie + field and Origin, scripts/bench/
# order.lua).  Measured: req/s under wrk, and CPU per request = (utime +
# stime of the server's processes over the run, from /proc/PID/stat, the
# parent and all its descendants) / requests answered.  Printed as ratios
# against the baselines measured above them, never checked against fixed
# numbers.  Environment: BENCH_SECONDS (default 10), BENCH_WAF_CONNS
# (default 32).  Exit status 1 if any request failed.
set -eu
cd "$(dirname "$0")/../.."
. scripts/bench/lib.sh

BIN=${1:-${RENTPORT_BIN:-./build/rentport}}
SECS=${BENCH_SECONDS:-10}
CONNS=${BENCH_WAF_CONNS:-32}
LUA=scripts/bench/order.lua
MODSEC=/usr/lib/nginx/modules/ngx_http_modsecurity_module.so
HZ=$(getconf CLK_TCK)

tmp=$(mktemp -d /tmp/rentport-bench-waf.XXXXXX)
rp_pid="" ng_pid=""
stop_rp() {
	[ -n "$rp_pid" ] && kill "$rp_pid" 2>/dev/null && wait "$rp_pid" 2>/dev/null
	rp_pid=""
}
cleanup() {
	stop_rp || true
	[ -n "$ng_pid" ] && kill "$ng_pid" 2>/dev/null && wait "$ng_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM



# CPU ticks (utime + stime) of pid and all its descendants.
cpu_ticks() {
	ps -e -o pid=,ppid= | awk -v root="$1" '
	{ parent[$1] = $2 }
	END {
		for (p in parent) {
			q = p
			while (q != "" && q != root && q > 1) q = parent[q]
			if (q == root) print p
		}
	}' | while read -r p; do
		# fields 14 and 15 after the ")" that ends the command name
		sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{ print $12 + $13 }'
	done | awk '{ s += $1 } END { print s + 0 }'
}

# wrk output → "req/s requests non2xx socket_errors"
parse_wrk() {
	awk '
	/Requests\/sec/ { rps = $2 }
	/Non-2xx/ { bad = $NF }
	/requests in/ { n = $1 }
	/Socket errors/ {
		gsub(/,/, "")
		for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/) se += $i
	}
	END { printf "%.0f %d %d %d\n", rps, n, bad, se }' "$1"
}

# measure PID URL [lua port] → "req/s cpu_us_per_req failed"
# The headers a browser sends: without Accept and User-Agent, and with an
# IP address as Host, CRS scores a request 920300 + 920350 (5: blocked).
measure() {
	t0=$(cpu_ticks "$1")
	if [ -n "${3:-}" ]; then
		BENCH_EXPECT=200 wrk -t2 -c"$CONNS" -d"${SECS}s" -s "$3" \
		    -H "Host: localhost:$4" -H "Accept: text/html" \
		    -H "User-Agent: Mozilla/5.0 (rentport bench)" "$2" \
		    >"$tmp/wrk.out" 2>&1
	else
		wrk -t2 -c"$CONNS" -d"${SECS}s" -H "Host: localhost" \
		    -H "Accept: text/html" -H "User-Agent: Mozilla/5.0 (rentport bench)" \
		    "$2" >"$tmp/wrk.out" 2>&1
	fi
	t1=$(cpu_ticks "$1")
	set -- $(parse_wrk "$tmp/wrk.out")
	rps=$1 n=$2 bad=$3 se=$4
	if [ -n "${3:-}" ]; then
		bad=$(sed -n 's/^status-check expect=[0-9]* ok=[0-9]* bad=\([0-9]*\).*/\1/p' "$tmp/wrk.out")
	fi
	awk -v d="$((t1 - t0))" -v hz="$HZ" -v n="$n" -v r="$rps" -v f="$((${bad:-0} + se))" \
	    'BEGIN { printf "%d %.0f %d\n", r, (n > 0 ? d * 1e6 / hz / n : 0), f }'
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

start_rp() {	# mode
	rp_port=$(free_port)
	base="http://127.0.0.1:$rp_port"
	# the IPS's per-address limits off: all of wrk comes from 127.0.0.1
	RENTPORT_IPS_RATE_PER_S=0 RENTPORT_IPS_SCAN_MAX=0 RENTPORT_IPS_WAF_MAX=0 \
	"$BIN" serve --data-dir="$var" --port="$rp_port" --workers=2 \
	    --listen-addr=127.0.0.1 --public-url="$base" --waf-mode="$1" \
	    --alog-http-port="$(free_port)" --witness-port="$(free_port)" \
	    --paysim-port="$(free_port)" --paylink-port="$(free_port)" --console-port="$(free_port)" \
	    >"$tmp/rp-$1.out" 2>&1 &
	rp_pid=$!
	wait_up "$base/healthz"
	# the order form once: its csrf cookie and hidden field
	curl -sS -D "$tmp/form.h" -o "$tmp/form.html" "$base/order?plan=US-R-1G"
	csrf=$(sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' "$tmp/form.html" | head -n 1)
	[ -n "$csrf" ] || { echo "bench: no csrf token from GET /order" >&2; exit 1; }
	# Origin and Host name the server by name, as a browser would.
	export BENCH_CSRF="$csrf" BENCH_ORIGIN="http://localhost:$rp_port" BENCH_PATH=/order
	export BENCH_BODY="$trip&$traveller"
	unset BENCH_IDEM
	code=$(curl -sS -o "$tmp/review.html" -w '%{http_code}' -H "Origin: $base" \
	    -b "csrf=$csrf" --data "csrf=$csrf&$BENCH_BODY" "$base/order")
	[ "$code" = 200 ] || { echo "bench: POST /order answered $code ($1)" >&2; exit 1; }
}

var="$tmp/var"
"$BIN" seed --demo --data-dir="$var" >"$tmp/seed.out" 2>&1 ||
    { cat "$tmp/seed.out" >&2; exit 1; }
depart=$(TZ=Asia/Tokyo date -d '+14 days' +%F)
ret=$(TZ=Asia/Tokyo date -d '+21 days' +%F)
# 山田 太郎 / ヤマダ タロウ, an address with full-width digits
trip="plan=US-R-1G&qty=1&depart=$depart&return=$ret&opt=battery&pickup=counter&pickup_counter=NRT1&return_method=counter&return_counter=NRT1"
traveller="name=%E5%B1%B1%E7%94%B0+%E5%A4%AA%E9%83%8E&kana=%E3%83%A4%E3%83%9E%E3%83%80+%E3%82%BF%E3%83%AD%E3%82%A6&email=bench%40example.com&phone=090-0000-0000"
GET_PATH="/plans?destination=US"

echo "== WAF: wrk -t2 -c$CONNS -d${SECS}s, loopback; 2 workers each; 2 cores shared with wrk =="
printf '%-44s %9s %12s %7s\n' "server / request" "req/s" "CPU us/req" "failed"
for mode in block off; do
	start_rp "$mode"
	set -- $(measure "$rp_pid" "$base$GET_PATH")
	eval "get_rps_$mode=\$1 get_cpu_$mode=\$2"
	printf '%-44s %9s %12s %7s\n' "rentport WAF $mode: GET $GET_PATH" "$1" "$2" "$3"
	[ "$3" = 0 ] || fail "rentport WAF $mode GET: $3 failed"
	set -- $(measure "$rp_pid" "$base/order" "$LUA" "$rp_port")
	eval "post_rps_$mode=\$1 post_cpu_$mode=\$2"
	printf '%-44s %9s %12s %7s\n' "rentport WAF $mode: POST /order" "$1" "$2" "$3"
	[ "$3" = 0 ] || fail "rentport WAF $mode POST: $3 failed"
	if [ "$mode" = block ]; then
		# the pages and the form body nginx will answer and inspect
		mkdir -p "$tmp/www/html" "$tmp/www/logs"
		curl -sS -o "$tmp/www/html/catalog.html" "$base$GET_PATH"
		cp "$tmp/review.html" "$tmp/www/html/review.html"
		post_body="csrf=$csrf&$BENCH_BODY"
		rules_dir="$var/waf"
	fi
	stop_rp
done

# --- nginx + ModSecurity-nginx + the same rules ---------------------------
if [ ! -f "$MODSEC" ]; then
	fail "nginx + ModSecurity: $MODSEC missing (libnginx-mod-http-modsecurity)"
else
	chmod 711 "$tmp"
	chmod -R a+rX "$tmp/www" "$var/waf"
	chmod 711 "$var"
	cat >"$tmp/www/modsec.conf" <<MSC
SecAction "id:1900001,phase:1,pass,nolog,t:none,setvar:tx.paranoia_level=1"
SecAction "id:1900002,phase:1,pass,nolog,t:none,setvar:tx.inbound_anomaly_score_threshold=5,setvar:tx.outbound_anomaly_score_threshold=4"
Include $rules_dir/main.conf
SecRuleEngine On
SecRequestBodyLimit 1048576
SecRequestBodyNoFilesLimit 1048576
SecResponseBodyAccess Off
MSC
	ng_port=$(free_port)
	cat >"$tmp/www/nginx.conf" <<NGX
load_module $MODSEC;
worker_processes 2;
daemon off;
pid $tmp/www/nginx.pid;
error_log $tmp/www/logs/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	include /etc/nginx/mime.types;
	modsecurity on;
	modsecurity_rules_file $tmp/www/modsec.conf;
	server {
		listen 127.0.0.1:$ng_port;
		root $tmp/www/html;
		location = /healthz { modsecurity off; return 200 "ok\n"; }
		location = /plans { default_type text/html; try_files /catalog.html =404; }
		location = /order {
			default_type text/html;
			error_page 405 =200 /review.html;
			try_files /review.html =404;
		}
		location = /review.html { default_type text/html; }
	}
}
NGX
	nginx -p "$tmp/www" -c "$tmp/www/nginx.conf" >"$tmp/ng.out" 2>&1 &
	ng_pid=$!
	wait_up "http://127.0.0.1:$ng_port/healthz"
	ng="http://127.0.0.1:$ng_port"
	# the baseline inspects: an attack on each request gets its 403
	c1=$(curl -sS -o /dev/null -w '%{http_code}' "$ng/plans?destination=%27%20OR%201%3D1--")
	c2=$(curl -sS -o /dev/null -w '%{http_code}' --data "name=%3Cscript%3Ealert(1)%3C/script%3E" "$ng/order")
	c3=$(curl -sS -o /dev/null -w '%{http_code}' -b "csrf=$csrf" --data "$post_body" "$ng/order")
	if [ "$c1" != 403 ] || [ "$c2" != 403 ] || [ "$c3" != 200 ]; then
		fail "nginx + ModSecurity baseline not inspecting as expected (GET attack $c1, POST attack $c2, POST benign $c3)"
	fi
	export BENCH_ORIGIN="http://localhost:$ng_port"
	set -- $(measure "$ng_pid" "$ng$GET_PATH")
	ng_get_rps=$1 ng_get_cpu=$2
	printf '%-44s %9s %12s %7s\n' "nginx+ModSecurity: GET (saved page)" "$1" "$2" "$3"
	[ "$3" = 0 ] || fail "nginx GET: $3 failed"
	set -- $(measure "$ng_pid" "$ng/order" "$LUA" "$ng_port")
	ng_post_rps=$1 ng_post_cpu=$2
	printf '%-44s %9s %12s %7s\n' "nginx+ModSecurity: POST /order (inspect)" "$1" "$2" "$3"
	[ "$3" = 0 ] || fail "nginx POST: $3 failed"
	kill "$ng_pid"; wait "$ng_pid" 2>/dev/null || true; ng_pid=""
fi

echo
echo "-- ratios (measured above, same run) --"
printf '%-44s %12s %12s\n' "" "GET catalog" "POST /order"
printf '%-44s %12s %12s\n' "req/s: rentport WAF on / WAF off" \
    "$(ratio "$get_rps_block" "$get_rps_off")" "$(ratio "$post_rps_block" "$post_rps_off")"
printf '%-44s %12s %12s\n' "CPU/req: rentport WAF on / WAF off" \
    "$(ratio "$get_cpu_block" "$get_cpu_off")" "$(ratio "$post_cpu_block" "$post_cpu_off")"
if [ -n "${ng_get_rps:-}" ]; then
	printf '%-44s %12s %12s\n' "req/s: rentport+WAF / nginx+ModSecurity" \
	    "$(ratio "$get_rps_block" "$ng_get_rps")" "$(ratio "$post_rps_block" "$ng_post_rps")"
	printf '%-44s %12s %12s\n' "CPU/req: rentport+WAF / nginx+ModSecurity" \
	    "$(ratio "$get_cpu_block" "$ng_get_cpu")" "$(ratio "$post_cpu_block" "$ng_post_cpu")"
fi
echo "(rentport's CPU/req is the whole request: WAF + page or validation; nginx's"
echo " is ModSecurity's inspection plus serving a saved page; same rules, PL1)"
if [ -n "$failures" ]; then
	echo "bench waf: FAILED:$failures"
	exit 1
fi
