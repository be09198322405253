#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""Part of `make bench` (runs on its own too:
    python3 scripts/bench/stock.py [path/to/rentport]):
what holding stock costs, in one run on this machine, on SQLite:
  1. orders placed per second through the JSON API with stock reservation
     (stock_reserve = 1) under contention: every order for the same pool —
     one counter, one device kind — one-day trips spread over a year, so
     each order locks and counts the same pool before it inserts;
  2. the same requests with stock_reserve = 0 (nothing held) — the
     baseline; the ratio is 1 ÷ 2;
  3. GET /api/v1/availability per second (a 7-day trip at that counter)
     over a store seeded with `seed --orders N` (BENCH_STOCK_ORDERS,
     default 1000000) plus the reservations run 1 made.
Every response's status is checked; exit 1 if any failed.
Environment: BENCH_SECONDS (default 10), BENCH_API_CONNS (default 16).
"""
import datetime
import importlib.util
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
spec = importlib.util.spec_from_file_location(
    "bench_cluster", os.path.join(ROOT, "scripts", "bench", "cluster.py"))
bc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bc)

ORDERS = int(os.environ.get("BENCH_STOCK_ORDERS", "1000000"))
SECS, CONNS = bc.SECS, bc.CONNS


def body():
    return ('{"plan": "US-R-1G", "departure": "{DEP}", "return": "{RET}", '
            '"pickup": {"method": "counter", "counter": "NRT1"}, '
            '"dropoff": {"method": "counter", "counter": "NRT1"}, '
            '"traveller": {"name": "山田 太郎", "kana": "ヤマダ タロウ", '
            '"email": "bench@example.jp", "phone": "090-1234-5678"}, '
            '"billing": "invoice"}')


def serve(d, reserve, log):
    port = bc.free_port()
    p = bc.start(["--data-dir=" + d, "--port=%d" % port,
                  "--ips-strict-per-min=0", "--ips-rate-per-s=0",
                  "--workers=2", "--stock-reserve=%d" % reserve] + [
        "--%s=%d" % (k, bc.free_port()) for k in (
            "alog-http-port", "witness-port", "paysim-port", "paylink-port",
            "metrics-port", "console-port")], dict(os.environ), log)
    bc.wait_http(port)
    return p, port


def orders(d, key, reserve, tag):
    p, port = serve(d, reserve, d + ".%s.log" % tag)
    try:
        env = dict(os.environ, BENCH_KEY=key, BENCH_BODY=body(),
                   BENCH_IDEM="%s-%d" % (tag, int(time.time())),
                   BENCH_SPREAD_DAYS="360",
                   BENCH_SPREAD_FROM=str(int(time.time() // 86400) + 5))
        out = subprocess.run(
            ["wrk", "-t2", "-c%d" % CONNS, "-d%ds" % SECS, "--latency", "-s",
             bc.LUA, "http://127.0.0.1:%d/" % port], capture_output=True,
            text=True, env=env).stdout
        return parse(out, tag, 201)
    finally:
        bc.stop([p])


def parse(out, tag, want):
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    rps = float(m.group(1)) if m else 0.0
    m = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)$", out, re.M)
    p99 = float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[
        m.group(2)] if m else 0.0
    m = re.search(r"status-check expect=%d ok=(\d+) bad=(\d+) first_bad=(\S+)"
                  % want, out)
    if not m or int(m.group(1)) == 0:
        bc.failed.append("%s: nothing answered %d (%s)" % (tag, want,
                                                           out[-300:]))
    elif int(m.group(2)) > 0:
        bc.failed.append("%s: %s responses were not %d (first %s)" % (
            tag, m.group(2), want, m.group(3)))
    return rps, p99, int(m.group(1)) if m else 0


AVAIL_LUA = r'''
local key = os.getenv("BENCH_KEY")
local path = os.getenv("BENCH_PATH")
local threads = {}
function setup(t) table.insert(threads, t) end
function init() ok, bad, first_bad = 0, 0, 0 end
function request()
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. key })
end
function response(status)
  if status == 200 then ok = ok + 1 else
    bad = bad + 1
    if first_bad == 0 then first_bad = status end
  end
end
function done()
  local o, b, f = 0, 0, 0
  for _, t in ipairs(threads) do
    o = o + t:get("ok"); b = b + t:get("bad")
    if f == 0 then f = t:get("first_bad") end
  end
  io.write(string.format("status-check expect=200 ok=%d bad=%d first_bad=%s\n",
    o, b, f == 0 and "-" or tostring(f)))
end
'''


def main():
    base = tempfile.mkdtemp(prefix="rentport-bench-stock-")
    try:
        d = os.path.join(base, "var")
        key = bc.seed(d, dict(os.environ))
        print("== stock: orders placed through the JSON API, wrk -c%d -d%ds, "
              "every order for one pool (NRT1, routers), one-day trips over "
              "360 days ==" % (CONNS, SECS))
        with_rps, with_p99, placed = orders(d, key, 1, "reserve")
        wo_rps, wo_p99, _ = orders(d, key, 0, "baseline")
        print("%-40s %10s %10s %10s" % ("", "orders/s", "p99 ms", "ratio"))
        print("%-40s %10.0f %10.1f %10s" % ("stock reserved (stock_reserve=1)",
                                            with_rps, with_p99, "%.2fx" % (
                                                with_rps / wo_rps)
                                            if wo_rps else "n/a"))
        print("%-40s %10.0f %10.1f %10s" % ("nothing held (stock_reserve=0)",
                                            wo_rps, wo_p99, "1.00x"))
        print("(ratio = reserved ÷ nothing held, same server, same run; %d "
              "orders hold stock now)" % placed)

        print()
        t0 = time.time()
        r = subprocess.run([bc.BIN, "seed", "--orders", str(ORDERS), "--seed",
                            "1", "--data-dir=" + d], capture_output=True,
                           text=True)
        if r.returncode != 0:
            bc.failed.append("seed --orders: " + r.stderr[-300:])
        print("== availability: GET /api/v1/availability (7 days, NRT1) over "
              "%d seeded orders and those %d reservations (seeded in %.0f s) "
              "==" % (ORDERS, placed, time.time() - t0))
        p, port = serve(d, 1, d + ".avail.log")
        lua = os.path.join(base, "avail.lua")
        open(lua, "w").write(AVAIL_LUA)
        dep = datetime.date.today() + datetime.timedelta(days=60)
        path = ("/api/v1/availability?plan=US-R-1G&counter=NRT1&from=%s&to=%s"
                % (dep.isoformat(), (dep + datetime.timedelta(6)).isoformat()))
        try:
            out = subprocess.run(
                ["wrk", "-t2", "-c%d" % CONNS, "-d%ds" % SECS, "--latency",
                 "-s", lua, "http://127.0.0.1:%d" % port + path],
                capture_output=True, text=True,
                env=dict(os.environ, BENCH_KEY=key, BENCH_PATH=path)).stdout
            rps, p99, _ = parse(out, "availability", 200)
            out = subprocess.run(
                ["wrk", "-t2", "-c%d" % CONNS, "-d%ds" % SECS, "--latency",
                 "http://127.0.0.1:%d/healthz" % port], capture_output=True,
                text=True).stdout
            m = re.search(r"Requests/sec:\s+([\d.]+)", out)
            hz = float(m.group(1)) if m else 0.0
        finally:
            bc.stop([p])
        print("%-40s %10s %10s %10s" % ("", "req/s", "p99 ms", "ratio"))
        print("%-40s %10.0f %10.1f %10s" % ("GET /api/v1/availability", rps,
                                            p99, "%.2fx" % (rps / hz)
                                            if hz else "n/a"))
        print("%-40s %10.0f %10s %10s" % ("GET /healthz (baseline)", hz, "",
                                          "1.00x"))
        print("(ratio = availability ÷ healthz, same server, same run)")
    finally:
        subprocess.run(["rm", "-rf", base])
    for f in bc.failed:
        print("  !! FAILED: " + f)
    sys.exit(1 if bc.failed else 0)


if __name__ == "__main__":
    main()
