#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""Part of `make bench` (runs on its own too:
    python3 scripts/bench/cluster.py [path/to/rentport]):
orders placed per second through the corporate JSON API (POST
/api/v1/orders, a new Idempotency-Key each: vault put, access-log entry,
identity check, store insert, mail enqueue), in one run on this machine:
  1. one host (role all) on SQLite — the baseline;
  2. one host on PostgreSQL (a private server, scripts/pgtmp.sh);
  3. a core node and one web node (mutual TLS between them), PostgreSQL;
  4. the core node and two web nodes, wrk on both at once (half the
     connections each), PostgreSQL;
then `seed --orders N` into PostgreSQL with its time (BENCH_PG_ORDERS,
default 1000000).  Every response's status is checked; exit 1 if any
failed.  The nodes share the machine's cores: on one box a second web
node measures what the split costs, not what a second box would add.
Environment: BENCH_SECONDS (default 10), BENCH_API_CONNS (default 16).
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import datetime

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import cluster  # noqa: E402

BIN = sys.argv[1] if len(sys.argv) > 1 else os.environ.get(
    "RENTPORT_BIN", os.path.join(ROOT, "build", "rentport"))
SECS = int(os.environ.get("BENCH_SECONDS", "10"))
CONNS = int(os.environ.get("BENCH_API_CONNS", "16"))
ORDERS = int(os.environ.get("BENCH_PG_ORDERS", "1000000"))
LUA = os.path.join(ROOT, "scripts", "bench", "api_order.lua")
PUBLIC = "http://localhost"
# the benchmark's one address must not be rate-limited away
# and one counter and date would sell out at once: no stock is held here
# (what it costs: scripts/bench/stock.py)
OPEN = ["--ips-strict-per-min=0", "--ips-rate-per-s=0", "--workers=2",
        "--stock-reserve=0"]

failed = []


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_http(port, timeout=60):
    import urllib.request
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port,
                                        timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("port %d did not come up" % port)


def order_body():
    d = datetime.date.today()
    return json.dumps({
        "plan": "US-R-1G", "departure": (d + datetime.timedelta(20)).isoformat(),
        "return": (d + datetime.timedelta(26)).isoformat(),
        "pickup": {"method": "counter", "counter": "NRT1"},
        "dropoff": {"method": "counter", "counter": "NRT1"},
        "traveller": {"name": "山田 太郎", "kana": "ヤマダ タロウ",
                      "email": "bench@example.jp", "phone": "090-1234-5678"},
        "billing": "invoice"})


def wrk(ports, key, tag):
    """wrk on each port at once (CONNS split); → (orders/s, p99 ms)."""
    per = max(1, CONNS // len(ports))
    env = dict(os.environ, BENCH_KEY=key, BENCH_BODY=order_body())
    procs = []
    for i, p in enumerate(ports):
        env["BENCH_IDEM"] = "%s-%d-%d" % (tag, i, int(time.time()))
        procs.append(subprocess.Popen(
            ["wrk", "-t%d" % min(2, per), "-c%d" % per, "-d%ds" % SECS,
             "--latency", "-s", LUA, "http://127.0.0.1:%d/" % p],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env=dict(env)))
    rps, p99, bad = 0.0, 0.0, 0
    for pr in procs:
        out = pr.communicate()[0]
        m = re.search(r"Requests/sec:\s+([\d.]+)", out)
        rps += float(m.group(1)) if m else 0
        m = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)$", out, re.M)
        if m:
            v = float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
            p99 = max(p99, v)
        m = re.search(r"status-check expect=201 ok=(\d+) bad=(\d+) "
                      r"first_bad=(\S+)", out)
        if not m or int(m.group(1)) == 0:
            bad += 1
            failed.append("%s: no orders placed (%s)" % (tag, out[-300:]))
        elif int(m.group(2)) > 0:
            bad += int(m.group(2))
            failed.append("%s: %s responses were not 201 (first %s)" %
                          (tag, m.group(2), m.group(3)))
    return rps, p99


def start(args, env, log):
    return subprocess.Popen([BIN, "serve"] + args, env=env,
                            stdout=open(log, "ab"), stderr=subprocess.STDOUT)


def stop(procs):
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()


def seed(d, env):
    out = subprocess.run([BIN, "seed", "--demo", "--data-dir=" + d],
                         capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise RuntimeError("seed --demo: " + out.stderr[-1000:])
    return re.search(r"API key for shinonome-shoji:\s+(rpk_[0-9a-f]{64})",
                     out.stdout).group(1)


def single(base, name, store):
    env = dict(os.environ)
    if store:
        env["RENTPORT_STORE"] = store
    d = os.path.join(base, name)
    key = seed(d, env)
    port = free_port()
    p = start(["--data-dir=" + d, "--port=%d" % port] + OPEN + [
        "--%s=%d" % (k, free_port()) for k in (
            "alog-http-port", "witness-port", "paysim-port", "paylink-port",
            "metrics-port", "console-port")], env, os.path.join(base, name + ".log"))
    try:
        wait_http(port)
        return wrk([port], key, name)
    finally:
        stop([p])


def nodes(base, name, store, n):
    env = dict(os.environ, RENTPORT_STORE=store)
    d = os.path.join(base, name)
    os.makedirs(d)
    core = os.path.join(d, "core")
    webs = [os.path.join(d, "w%d" % i) for i in range(n)]
    cluster.make_pki(BIN, os.path.join(d, "ca"), [("core", "core", core)] +
                     [("web", "w%d" % i, w) for i, w in enumerate(webs)])
    key = seed(core, env)
    gate, side = free_port(), [free_port() for _ in range(4)]
    procs = [start(["--data-dir=" + core] +
                   cluster.core_args(gate, side, PUBLIC), env,
                   os.path.join(d, "core.out"))]
    try:
        cluster.wait_log(os.path.join(core, "log", "rentport.log"),
                         ["vault/1 ready", "auth/1 ready", "gate/1 ready"],
                         procs[0])
        ports = []
        for w in webs:
            cluster.share_keys(core, w)
            port = free_port()
            procs.append(start(["--data-dir=" + w, "--port=%d" % port,
                                "--metrics-port=%d" % free_port(),
                                "--console-port=%d" % free_port()] + OPEN +
                               cluster.web_args(gate, side[2], PUBLIC), env,
                               w + ".out"))
            wait_http(port)
            ports.append(port)
        return wrk(ports, key, name)
    finally:
        stop(procs[1:])
        stop(procs[:1])


def main():
    base = tempfile.mkdtemp(prefix="rentport-bench-cluster-")
    os.chmod(base, 0o755)
    pg = os.path.join(base, "pg")
    os.mkdir(pg)
    os.chmod(pg, 0o755)
    admin = cluster.run(["sh", os.path.join(ROOT, "scripts", "pgtmp.sh"),
                         "start", pg]).strip()

    def db(name):
        cluster.run(["psql", "-q", admin, "-c", "CREATE DATABASE " + name])
        return admin[:-len("postgres")] + name
    try:
        print("== orders placed through the JSON API: wrk -c%d -d%ds, "
              "POST /api/v1/orders (201 each, a new Idempotency-Key) ==" %
              (CONNS, SECS))
        print("%-38s %10s %10s %10s" % ("setup", "orders/s", "p99 ms",
                                        "ratio"))
        rows = []
        rows.append(("one host, SQLite",) + single(base, "sqlite", None))
        rows.append(("one host, PostgreSQL",) +
                    single(base, "pg1", db("bench_single")))
        rows.append(("core + 1 web node (TLS), PostgreSQL",) +
                    nodes(base, "n1", db("bench_n1"), 1))
        rows.append(("core + 2 web nodes (TLS), PostgreSQL",) +
                    nodes(base, "n2", db("bench_n2"), 2))
        basis = {0: 0, 1: 0, 2: 1, 3: 2}
        for i, (label, rps, p99) in enumerate(rows):
            b = rows[basis[i]][1]
            ratio = "%.2fx" % (rps / b) if b > 0 else "n/a"
            print("%-38s %10.0f %10.1f %10s" % (label, rps, p99, ratio))
        print("(ratios: PostgreSQL ÷ SQLite on one host; 1 web node ÷ one "
              "host on PostgreSQL; 2 web nodes ÷ 1 web node — all on this "
              "machine's %d cores, in this run)" % os.cpu_count())

        print()
        print("== seed --orders %d into PostgreSQL ==" % ORDERS)
        store = db("bench_seed")
        d = os.path.join(base, "seed")
        t0 = time.time()
        r = subprocess.run([BIN, "seed", "--orders", str(ORDERS), "--seed",
                            "1", "--data-dir=" + d], capture_output=True,
                           text=True, env=dict(os.environ,
                                               RENTPORT_STORE=store))
        t = time.time() - t0
        if r.returncode != 0:
            failed.append("seed into PostgreSQL: %s" % r.stderr[-500:])
        else:
            size = cluster.run(["psql", "-tA", store, "-c",
                                "SELECT pg_database_size(current_database())"])
            print("seed --orders %d: %.1f s (%.0f orders/s); database %.1f "
                  "MiB" % (ORDERS, t, ORDERS / t, int(size) / 1048576))
    finally:
        subprocess.run(["sh", os.path.join(ROOT, "scripts", "pgtmp.sh"),
                        "stop", pg], capture_output=True)
        subprocess.run(["rm", "-rf", base])
    for f in failed:
        print("  !! FAILED: " + f)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
