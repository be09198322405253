#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""Several nodes (issue 12): a core node (vault, log writer, witness,
identity holder, payments) in its own data directory and process tree,
two web nodes A and B with their own data directories and ports, one
PostgreSQL (the private one `make test` starts), mutual TLS between the
web nodes and the core (`rentport pki`), set up as scripts/cluster.py
(`make cluster`) does.

Checks: an order placed on A is read, changed and cancelled on B (the
public site's "my order", B's own mailer delivering the link); concurrent
retries of one corporate API order with one Idempotency-Key, half to A and
half to B, make one order; an order placed on A through the API is read and
cancelled on B; a ban made on A refuses the address on B; the access log
names the node (the certificate) each release went to; a web node whose
certificates come from another CA is refused by the core and logged there,
and its requests fail cleanly (503) — nothing reaches the vault; a node
killed mid-order: the retry on the other node makes the order exactly once.
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "http"))
sys.path.insert(0, os.path.join(HERE, "..", "site"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts"))
import harness  # noqa: E402
from harness import Server, Tap, free_port, pg_store  # noqa: E402
import sitelib  # noqa: E402
from sitelib import Client, order_fields, place_order, day  # noqa: E402
import cluster  # noqa: E402

BIN = os.environ["RENTPORT_BIN"]
# the sites' one address, as behind a load balancer: the same on every node
PUBLIC = "http://shop.rentport.localhost"
T = Tap()
ok = T.ok


class Core(Server):
    """The core node: no site; ready when its services and gate are."""

    def ready(self):
        try:
            with open(os.path.join(self.dir, "log", "rentport.log")) as f:
                text = f.read()
        except OSError:
            return False
        return all(s in text for s in ("vault/1 ready", "auth/1 ready",
                                       "gate/1 ready", "paysim/1 ready"))


class Node(Server):
    """A web node, with the store's and the mail's helpers of sitelib."""
    query = sitelib.SiteServer.query
    mail_files = sitelib.SiteServer.mail_files
    wait_mail = sitelib.SiteServer.wait_mail

    def __init__(self, store, **kw):
        super().__init__(**kw)
        self.store = store


def api(node, method, path, key, body=None, headers=None, timeout=15):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(node.url + "/api/v1" + path, data=data,
                                 method=method)
    req.add_header("Authorization", "Bearer " + key)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        try:
            return e.code, json.loads(e.read() or b"null")
        except ValueError:
            return e.code, None
    except OSError:
        return 0, None


def from_addr(node, src):
    """GET /healthz from source address src: the status, or 0 when the
    node closed the connection without answering (a banned address)."""
    s = socket.socket()
    s.settimeout(5)
    try:
        s.bind((src, 0))
        s.connect(("127.0.0.1", node.port))
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n"
                  b"Connection: close\r\n\r\n")
        head = s.recv(64)
        m = re.match(rb"HTTP/1\.1 (\d{3})", head)
        return int(m.group(1)) if m else 0
    except OSError:
        return 0
    finally:
        s.close()


def count(node, sql, args=()):
    return node.query(sql, args)[0][0]


def main():
    store = pg_store()
    base = tempfile.mkdtemp(prefix="rentport-cluster-")
    os.chmod(base, 0o755)
    core_d, a_d, b_d, r_d = (os.path.join(base, n)
                             for n in ("core", "a", "b", "rogue"))
    env = {"RENTPORT_STORE": store}
    cluster.make_pki(BIN, os.path.join(base, "ca"),
                     [("core", "core", core_d), ("web", "a", a_d),
                      ("web", "b", b_d)])
    # a node with certificates from another CA (it trusts the real one,
    # so it is the core that must refuse it)
    cluster.make_pki(BIN, os.path.join(base, "other-ca"),
                     [("web", "rogue", r_d)])
    with open(os.path.join(base, "ca", "ca.crt"), "rb") as f:
        real_ca = f.read()
    with open(os.path.join(r_d, "tls", "ca.crt"), "wb") as f:
        f.write(real_ca)
    ok(all(os.path.exists(os.path.join(d, "tls", n)) for d, n in (
        (core_d, "core.crt"), (core_d, "core.key"), (a_d, "web.crt"),
        (a_d, "mailer.key"), (b_d, "console.crt"))),
       "rentport pki: the core's and each web node's certificates")
    seed = subprocess.run([BIN, "seed", "--demo", "--data-dir=" + core_d],
                          capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, **env))
    ok(seed.returncode == 0, "seed --demo once, on the core node")
    keys = dict(re.findall(r"API key for ([a-z0-9-]+):?\s+(rpk_[0-9a-f]{64})",
                           seed.stdout))
    gate = free_port()
    core = Core(workers=1, data_dir=core_d, env=env,
                args=["--role=core", "--gate-addr=127.0.0.1",
                      "--gate-port=%d" % gate, "--public-url=" + PUBLIC])
    core.start()
    nodes = []
    try:
        for d in (a_d, b_d, r_d):
            cluster.share_keys(core_d, d)
            # a placement its node never finished frees its key after 15 s
            nodes.append(Node(store, workers=2, data_dir=d, env=env,
                              args=cluster.web_args(gate, core.paysim_port,
                                                    PUBLIC) +
                              ["--order-idem-stale-s=15"]))
        a, b, rogue = nodes
        a.start()
        b.start()
        run(core, a, b, rogue, keys, store)
    finally:
        for n in nodes + [core]:
            try:
                n.stop()
            except Exception as e:      # noqa: BLE001 (reported, not hidden)
                print("# stop: %s" % e)
    sys.exit(T.done())


def run(core, a, b, rogue, keys, store):
    s = socket.socket()
    try:
        s.settimeout(2)
        refused = s.connect_ex(("127.0.0.1", core.port)) != 0
    finally:
        s.close()
    ok(refused, "the core node serves no site (its port is closed)")

    # -- an order placed on A, read, changed and cancelled on B -----------
    ca = Client(a)
    number, done, _ = place_order(ca, "/", order_fields(
        email="cluster.traveller@example.com", name="北 一郎",
        kana="キタ イチロウ"))
    ok(number and re.match(r"^RP-[0-9A-Z]{8}$", number),
       "node A: the public site placed an order (%s)" % number)
    mail = a.wait_mail(number, "order_confirmed", timeout=20)
    ok(mail is not None and mail["token"], "node A's mailer delivered the "
       "confirmation (the recipient from the vault, over TLS)")
    cb = Client(b)
    r = cb.post("/my-order/link", [("number", number)])
    ok(r.status == 303, "node B: POST my-order/link → 303 (%d)" % r.status)
    link = b.wait_mail(number, "my_order_link", timeout=20)
    ok(link is not None and link["token"], "node B's mailer delivered a "
       "\"my order\" link for the order placed on A")
    if link and link["token"]:
        r = cb.post("/my-order/open", [("t", link["token"])])
        m = Client.html(cb.get("/my-order"))
        ok(r.status == 303 and m.by_id("order-number") == number and
           m.by_id("name") == "北 一郎",
           "node B: my-order shows A's order and its traveller (%s)" %
           m.by_id("order-number"))
        r = cb.post("/my-order/change", [("depart", day(23)),
                                         ("return", day(28)),
                                         ("opt", "battery")])
        row = a.query("SELECT depart_date, return_date, status FROM orders "
                      "WHERE number = ?", (number,))
        ok(r.status == 303 and row and row[0][0] == day(23) and
           row[0][1] == day(28), "node B: changed the dates; the one store "
           "says so (%d, %s)" % (r.status, row))
        ma = ca.get("/order/done")
        r = cb.post("/my-order/cancel")
        row = a.query("SELECT status FROM orders WHERE number = ?", (number,))
        ok(r.status == 303 and row and row[0][0] == "cancelled",
           "node B: cancelled it (%d, %s)" % (r.status, row))
        ok(ma.status == 200, "node A still shows its order/done page")
        r = Client(a).post("/my-order/open", [("t", link["token"])])
        ok(r.status == 410, "the link B opened is used up on A too (%d)" %
           r.status)

    # -- one Idempotency-Key, concurrent retries to A and B ---------------
    key = keys.get("shinonome-shoji", "")
    s, j = api(a, "GET", "/plans?destination=US", key)
    plan = j["plans"][0]["code"] if s == 200 and j and j["plans"] else "US-R-1G"
    order = {"plan": plan, "departure": day(30), "return": day(35),
             "pickup": {"method": "counter", "counter": "NRT1"},
             "dropoff": {"method": "counter", "counter": "NRT1"},
             "traveller": {"name": "南 花子", "kana": "ミナミ ハナコ",
                           "email": "hanako.minami@example.jp",
                           "phone": "090-0000-1111"},
             "billing": "invoice"}
    before = count(a, "SELECT count(*) FROM orders")
    results = []

    def post(node):
        # 503 "still being placed" (another retry holds the key): retry,
        # as a client does
        for _ in range(50):
            s, j = api(node, "POST", "/orders", key, body=order,
                       headers={"Idempotency-Key": "cluster-1"})
            if s != 503:
                break
            time.sleep(0.1)
        results.append((s, j))
    threads = [threading.Thread(target=post, args=(n,))
               for n in (a, b, a, b, a, b, a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    numbers = {j.get("number") for s, j in results if s in (200, 201) and j}
    after = count(a, "SELECT count(*) FROM orders")
    ok(len(numbers) == 1 and after == before + 1 and
       all(s in (200, 201) for s, _ in results),
       "8 concurrent retries with one Idempotency-Key, to A and B: one "
       "order (%s; %d new; statuses %s)" % (numbers, after - before,
                                           sorted(s for s, _ in results)))
    if len(numbers) == 1:
        num = numbers.pop()
        s, j = api(b, "GET", "/orders/" + num, key)
        ok(s == 200 and j["number"] == num and j["departure"] == day(30),
           "node B: GET the API order placed through A and B (%d)" % s)
        s, j = api(b, "POST", "/orders/" + num + "/cancel", key)
        s2, j2 = api(a, "GET", "/orders/" + num, key)
        ok(s == 200 and s2 == 200 and j2["status"] == "cancelled",
           "cancelled on B, cancelled on A (%d, %s)" %
           (s, j2 and j2.get("status")))

    # -- the access log names the node each release went to ---------------
    log = subprocess.run([BIN, "log", "show", "--json",
                          "--data-dir=" + core.dir], capture_output=True,
                         text=True, timeout=120)
    nodes_seen = {json.loads(x).get("node") for x in log.stdout.splitlines()
                  if x.strip()}
    ok({"web.a", "web.b", "mailer.a", "mailer.b"} <= nodes_seen,
       "the access log names the certificate of each release's node "
       "(%s)" % sorted(n for n in nodes_seen if n))

    # -- a ban made on A refuses the address on B -------------------------
    ok(from_addr(b, "127.0.0.2") == 200, "node B answers 127.0.0.2 first")
    r = subprocess.run([BIN, "ban", "add", "127.0.0.2", "--for=600",
                        "--reason=cluster-test", "--data-dir=" + a.dir],
                       capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, RENTPORT_STORE=store))
    ok(r.returncode == 0, "rentport ban add on node A (%s)" %
       r.stderr.strip()[:200])
    deadline = time.time() + 15
    while time.time() < deadline and from_addr(b, "127.0.0.2") != 0:
        time.sleep(0.2)
    ok(from_addr(b, "127.0.0.2") == 0 and from_addr(b, "127.0.0.1") == 200,
       "node B refuses 127.0.0.2 (banned on A), still answers 127.0.0.1")

    # -- a node with certificates from another CA -------------------------
    rogue.start()
    s, j = api(rogue, "GET", "/plans?destination=US", key)
    ok(s == 503, "the node with another CA's certificates cannot reach "
       "the identity holder: 503 (%d)" % s)
    with open(os.path.join(core.dir, "log", "rentport.log")) as f:
        text = f.read()
    ok(re.search(r"gate: refused 127\.0\.0\.1 port \d+: unable to get "
                 r"local issuer certificate", text) is not None,
       "the core's gate refused it and logged why")
    log = subprocess.run([BIN, "log", "show", "--json",
                          "--data-dir=" + core.dir], capture_output=True,
                         text=True, timeout=120)
    ok(not any("rogue" in (json.loads(x).get("node") or "")
               for x in log.stdout.splitlines() if x.strip()),
       "nothing from it reached the vault's log")
    rogue.stop()

    # -- a node killed mid-order: exactly once after the retry -----------
    order2 = dict(order, departure=day(40), **{"return": day(44)})
    before = count(a, "SELECT count(*) FROM orders")
    t = threading.Thread(target=lambda: api(a, "POST", "/orders", key,
                                            body=order2, headers={
                                                "Idempotency-Key":
                                                "cluster-kill"}, timeout=5))
    t.start()
    time.sleep(0.01)
    for pid in a.child_pids() | {a.proc.pid}:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    t.join()
    a.proc.wait()
    # the retry: the order A placed, or 503 while A's unfinished
    # reservation holds the key (order_idem_stale_s), then placed once
    waited, s = 0, 503
    t0 = time.time()
    while s == 503 and time.time() - t0 < 40:
        s, j = api(b, "POST", "/orders", key, body=order2,
                   headers={"Idempotency-Key": "cluster-kill"})
        if s == 503:
            waited += 1
            time.sleep(0.5)
    s2, j2 = api(b, "POST", "/orders", key, body=order2,
                 headers={"Idempotency-Key": "cluster-kill"})
    after = count(b, "SELECT count(*) FROM orders")
    ok(s in (200, 201) and s2 in (200, 201) and j["number"] == j2["number"]
       and after == before + 1,
       "node A killed mid-order; the retry on B: one order (%d new; %d "
       "answers 503 while A's reservation held the key, %.0f s)" %
       (after - before, waited, time.time() - t0))
    a.proc = None       # killed: nothing left to stop


if __name__ == "__main__":
    main()
