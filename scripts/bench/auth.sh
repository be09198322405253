#!/bin/sh
# SPDX-License-Identifier: ISC
#
# Staff identities (issue 11; part of `make bench`, runs on its own too:
# sh scripts/bench/auth.sh [path/to/rentport]).  One demo-seeded serve:
#   1. sign-ins per second through the console's JSON API (POST
#      /api/v1/session: argon2id m = 19 MiB, t = 2, p = 1, a TOTP code, a
#      session), BENCH_AUTH_ACCOUNTS accounts each signing in once, 4
#      clients; the baseline in the same run: as many sign-ins under
#      unknown names, which cost the same argon2id check (a dummy hash)
#      and nothing else (the IPS brute-force ban is off for the run:
#      every try comes from one address);
#   2. vault get, batch 1, with a capability the vault verifies (HMAC-
#      SHA-256) against the same get without one, alternating, median of
#      BENCH_AUTH_ROUNDS rounds of BENCH_SECONDS.
# Prints the figures and the ratios.  Exit status 1 if a request failed.
set -eu
cd "$(dirname "$0")/../.."
. scripts/bench/lib.sh

BIN=${1:-${RENTPORT_BIN:-./build/rentport}}
BUILD=$(dirname "$BIN")
SECS=${BENCH_SECONDS:-10}
ROUNDS=${BENCH_AUTH_ROUNDS:-3}
ACCOUNTS=${BENCH_AUTH_ACCOUNTS:-60}

bench_begin auth
i=1
: >"$tmp/accounts"
while [ "$i" -le "$ACCOUNTS" ]; do
	"$BIN" staff add "bench$i" --role=backoffice --data-dir="$var" >"$tmp/add.out"
	pw=$(sed -n 's/^password: //p' "$tmp/add.out")
	sec=$(sed -n 's/^TOTP secret (base32): //p' "$tmp/add.out")
	echo "bench$i $pw $sec" >>"$tmp/accounts"
	i=$((i + 1))
done
port=$(free_port)
cport=$(free_port)
"$BIN" serve --data-dir="$var" --port="$port" --workers=2 --paysim-local=0 \
    --metrics-port="$(free_port)" --alog-http-port="$(free_port)" \
    --witness-port="$(free_port)" --paysim-port="$(free_port)" \
    --paylink-port="$(free_port)" --console-port="$cport" --ips-login-max=0 \
    >"$tmp/serve.out" 2>&1 &
rp_pid=$!
wait_up "http://127.0.0.1:$port/healthz" || { cat "$tmp/serve.out"; exit 1; }
failed=0

echo "== staff sign-in (console JSON API, argon2id m=19 MiB t=2 p=1 + TOTP + session), $ACCOUNTS accounts, 4 clients =="
python3 - "$cport" "$tmp/accounts" <<'PY' || failed=1
import http.client, json, subprocess, sys, threading, time
port, path = int(sys.argv[1]), sys.argv[2]
acc = [l.split() for l in open(path) if l.strip()]
def signin(body):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("POST", "/api/v1/session", json.dumps(body),
              {"Content-Type": "application/json"})
    s = c.getresponse().status
    c.close()
    return s
def run(bodies):
    res, lock, it = [], threading.Lock(), iter(bodies)
    def w():
        while True:
            with lock:
                b = next(it, None)
            if b is None:
                return
            s = signin(b)
            with lock:
                res.append(s)
    ts = [threading.Thread(target=w) for _ in range(4)]
    t0 = time.time()
    [t.start() for t in ts]
    [t.join() for t in ts]
    return res, time.time() - t0
good = [{"user": u, "password": p, "totp": subprocess.run(
    ["oathtool", "--totp", "-b", s], capture_output=True, text=True).stdout.strip()}
    for u, p, s in acc]
bad = [{"user": "nobody%d" % i, "password": "x" * 19, "totp": "123456"}
       for i in range(len(acc))]
rb, tb = run(bad)
rg, tg = run(good)
ok = rg.count(201) == len(good) and rb.count(401) == len(bad)
print("  %-44s %8.1f /s" % ("unknown name (dummy argon2id only, baseline)", len(bad) / tb))
print("  %-44s %8.1f /s  (%d of %d signed in)" % ("sign-in (password + TOTP + session)",
      len(good) / tg, rg.count(201), len(good)))
print("  ratio %.3fx (sign-in ÷ baseline: what TOTP and the session add)"
      % ((len(good) / tg) / (len(bad) / tb)))
sys.exit(0 if ok else 1)
PY

: >"$tmp/results"
r=1
while [ "$r" -le "$ROUNDS" ]; do
	for mode in 0 1; do
		if [ "$mode" = 1 ]; then export VAULT_LOAD_CAP=1; else unset VAULT_LOAD_CAP; fi
		"$BUILD/tests/vault/vault_load" "$var" 1 1 "$persons" 1 >/dev/null 2>&1 || true
		"$BUILD/tests/vault/vault_load" "$var" "$SECS" 1 "$persons" 1 >"$tmp/vl.out" 2>&1 ||
		    { echo "  !! FAILED: vault_load (capability=$mode)"; cat "$tmp/vl.out"; failed=1; }
		set -- $(sed -n 's/.* \([0-9.]*\) records\/s.*p99 \([0-9.]*\) ms.*/\1 \2/p' "$tmp/vl.out")
		echo "$mode ${1:-0} ${2:-0}" >>"$tmp/results"
	done
	r=$((r + 1))
done
unset VAULT_LOAD_CAP
echo "== vault get, batch 1: without a capability (baseline) vs with one verified, median of $ROUNDS alternating rounds of ${SECS}s =="
awk '
function median(s,   n, a, i, j, t) {
	n = split(s, a, " ")
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
		if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
	return a[int((n + 1) / 2)]
}
{ v[$1] = v[$1] " " $2; p[$1] = p[$1] " " $3 }
END {
	off = median(v[0]); on = median(v[1])
	printf "  %-34s %12s records/s  p99 %s ms\n", "without capability", off, median(p[0])
	printf "  %-34s %12s records/s  p99 %s ms\n", "with capability (verified)", on, median(p[1])
	printf "  ratio %.3fx (with ÷ without)\n", (off > 0 ? on / off : 0)
}' "$tmp/results"
exit "$failed"
