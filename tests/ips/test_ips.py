# SPDX-License-Identifier: ISC
"""test_ips.py — the IPS (src/ips) against a real, demo-seeded `rentport
serve` with three web workers and small limits.

Each scenario talks from its own loopback source address (127.0.0.N: the
whole of 127/8 reaches the server on 127.0.0.1), so a ban in one never
touches the harness (127.0.0.1) or another scenario:

  * rate limit: a burst beyond ips_burst → 429 with Retry-After and the
    ja/en error page; a sensitive POST route has its own stricter bucket;
  * scanner: a burst of 404s → banned → connections refused before HTTP by
    every worker (several connections, the refusals counted in /metrics)
    → `rentport ban list` shows it with reason scanner → it expires
    (ips_ban_s = 3; polled, never slept for a fixed time) → served again;
  * `rentport ban add` / `remove` take effect in the running server;
  * card testing: declined cards on the real card step (paysim's declining
    test card, POST {home}my-order/pay) → banned with reason card_testing.

Failed logins (brute_force) have no HTTP route yet: tests/unit/test_ips.c.
"""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "site"))
sys.path.insert(0, os.path.join(HERE, "..", "http"))
import harness  # noqa: E402
from sitelib import SiteServer, Client, order_fields, place_order, \
    pay_page  # noqa: E402

BIN = os.environ.get("RENTPORT_BIN", "")
BAN_S = 3


class From:
    """The server seen from one loopback source address (harness.Server's
    request interface, which sitelib.Client uses)."""

    def __init__(self, srv, src):
        self.srv = srv
        self.src = src
        self.port = srv.port

    def connect(self, timeout=10.0):
        return socket.create_connection(("127.0.0.1", self.srv.port),
                                        timeout, source_address=(self.src, 0))

    def raw(self, data, head_only=False, timeout=10.0):
        with self.connect(timeout) as s:
            s.sendall(data)
            return harness.read_response(s, head_only, timeout)

    def request(self, method, path, headers=None, body=b"", timeout=10.0):
        h = {"Host": "localhost:%d" % self.srv.port, "Connection": "close"}
        h.update(headers or {})
        if body and "Content-Length" not in h:
            h["Content-Length"] = str(len(body))
        lines = ["%s %s HTTP/1.1" % (method, path)]
        lines += ["%s: %s" % (k, v) for k, v in h.items()]
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        return self.raw(data, head_only=(method == "HEAD"), timeout=timeout)

    def get(self, path, headers=None):
        return self.request("GET", path, headers)

    def refused(self):
        """True if a connection is closed without an HTTP answer."""
        try:
            r = self.get("/healthz")
            return False if r.status else True
        except (ConnectionError, OSError):
            return True


def ban_cli(srv, *args):
    return subprocess.run([BIN, "ban", "--data-dir=" + srv.data_dir] +
                          list(args), capture_output=True, text=True,
                          timeout=60)


def until(cond, timeout=20.0, step=0.1):
    """Polls cond() until true or timeout (never a fixed sleep)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(step)
    return cond()


def listed(srv, addr):
    """The `rentport ban list` line of addr, if any."""
    out = ban_cli(srv, "list").stdout
    for line in out.splitlines():
        if line.split() and line.split()[0] == addr:
            return line
    return None


def metric(srv, name):
    return sum(v for (n, _), v in srv.metrics().items() if n == name)


def test_rate_limit(t, srv):
    c = From(srv, "127.0.0.2")
    got = [c.get("/healthz", {"Accept-Language": "en"}) for _ in range(40)]
    limited = [r for r in got if r.status == 429]
    t.ok(got[0].status == 200, "first requests of a burst are served")
    t.ok(len(limited) > 0, "a burst beyond ips_burst (20) → 429 (%d of 40)"
         % len(limited))
    if limited:
        r = limited[0]
        ra = r.header("retry-after", "")
        t.ok(ra.isdigit() and int(ra) >= 1, "429 has Retry-After: %r" % ra)
        t.ok(b"Too many requests" in r.body, "English 429 page")
        t.ok(r.header("x-request-id") is not None and
             r.header("content-security-policy") is not None,
             "429 carries the security headers")
        j = From(srv, "127.0.0.2").get("/healthz")
        if j.status == 429:
            t.ok("アクセスが集中しています" in j.body.decode("utf-8"),
                 "Japanese 429 page by default")
        else:
            t.ok(True, "Japanese 429 page (bucket refilled meanwhile)")
    t.ok(metric(srv, "rentport_ips_rate_limited_total") >= len(limited),
         "429s counted in /metrics")

    # a sensitive POST route: its own bucket (ips_strict_burst = 3)
    c = From(srv, "127.0.0.3")
    codes = [c.request("POST", "/order/confirm",
                       {"Content-Type": "application/x-www-form-urlencoded",
                        "Origin": "http://localhost:%d" % srv.port},
                       b"csrf=x").status for _ in range(5)]
    t.ok(429 not in codes[:3] and codes[3:] == [429, 429],
         "POST order/confirm: 3 then 429 (strict bucket): %s" % codes)
    t.ok(From(srv, "127.0.0.3").get("/healthz").status == 200,
         "other routes of that address still served")


def test_scanner(t, srv):
    c = From(srv, "127.0.0.4")
    codes = []
    for i in range(12):
        try:
            codes.append(c.get("/no-such-page-%d" % i).status)
        except (ConnectionError, OSError):
            codes.append(0)
    t.ok(codes[:10] == [404] * 10, "10 × 404 answered: %s" % codes[:10])
    t.ok(codes[10:] == [0, 0], "then the connection is refused: %s"
         % codes[10:])
    before = metric(srv, "rentport_ips_refused_total")
    refused = 0
    conns = []
    for _ in range(9):                    # spread over the three workers
        try:
            conns.append(c.connect())
        except OSError:
            refused += 1
    for s in conns:
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            s.settimeout(10)
            if s.recv(100) == b"":
                refused += 1
        except OSError:
            refused += 1
        s.close()
    t.ok(refused == 9, "9 connections from the banned address: all closed "
         "before HTTP (%d)" % refused)
    after = until(lambda: metric(srv, "rentport_ips_refused_total")
                  >= before + 9 and metric(srv, "rentport_ips_refused_total"))
    t.ok(after and after >= before + 9, "refusals counted in /metrics")
    t.ok(srv.get("/healthz").status == 200, "127.0.0.1 still served")
    line = until(lambda: listed(srv, "127.0.0.4"), timeout=BAN_S)
    t.ok(line and "scanner" in line and "auto" in line,
         "rentport ban list: %r" % line)
    t.ok(until(lambda: not From(srv, "127.0.0.4").refused(), timeout=30),
         "served again after ips_ban_s (%d s)" % BAN_S)
    t.ok(until(lambda: listed(srv, "127.0.0.4") is None),
         "no longer listed as active")


def test_cli(t, srv):
    c = From(srv, "127.0.0.5")
    t.ok(c.get("/healthz").status == 200, "127.0.0.5 served")
    r = ban_cli(srv, "add", "127.0.0.5", "--for=600", "--reason=test ban")
    t.ok(r.returncode == 0 and "banned 127.0.0.5" in r.stdout,
         "rentport ban add: %s%s" % (r.stdout.strip(), r.stderr.strip()))
    t.ok(until(c.refused), "the running server refuses it (sync)")
    line = listed(srv, "127.0.0.5")
    t.ok(line and "operator" in line and "test ban" in line,
         "listed with source and reason: %r" % line)
    r = ban_cli(srv, "remove", "127.0.0.5")
    t.ok(r.returncode == 0 and "unbanned" in r.stdout, "rentport ban remove")
    t.ok(until(lambda: not c.refused()), "served again")
    r = ban_cli(srv, "add", "127.0.0.1; DROP TABLE bans")
    t.ok(r.returncode == 2 and "not an IPv4 or IPv6" in r.stderr,
         "a malformed address is refused")
    r = ban_cli(srv, "add", "::ffff:127.0.0.5", "--for=0")
    t.ok(r.returncode == 2, "--for=0 refused")
    r = ban_cli(srv, "remove", "192.0.2.1")
    t.ok(r.returncode == 0 and "was not banned" in r.stdout,
         "removing an unknown address says so")


def paysim_token(srv, number):
    pk = open(os.path.join(srv.data_dir, "paysim",
                           "publishable.key")).read().strip()
    req = urllib.request.Request(
        "http://127.0.0.1:%d/v1/tokens" % srv.paysim_port,
        data=json.dumps({"number": number, "exp_month": 12,
                         "exp_year": time.gmtime().tm_year + 3,
                         "cvc": "123"}).encode(),
        headers={"Authorization": "Bearer " + pk,
                 "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())["id"]


def test_card_testing(t, srv):
    c = Client(From(srv, "127.0.0.6"), accept_language="en")
    number, done, log = place_order(c, "/", order_fields())
    conf = log.get("confirm")
    t.ok(conf is not None and pay_page(conf, "/") is not None,
         "a card order awaits payment (pay page)")
    until(lambda: os.path.exists(os.path.join(srv.data_dir, "paysim",
                                              "publishable.key")))
    codes = []
    for _ in range(3):
        tok = paysim_token(srv, "4000000000000002")     # generic_decline
        try:
            r = c.post("/my-order/pay", [("payment_token", tok)])
            codes.append(r.status)
        except (ConnectionError, OSError):
            codes.append(0)
    t.ok(codes == [402, 402, 402], "3 declined cards answered 402: %s"
         % codes)
    t.ok(From(srv, "127.0.0.6").refused(),
         "the 3rd decline (ips_card_declines_max) bans the address")
    line = until(lambda: listed(srv, "127.0.0.6"))
    t.ok(line and "card_testing" in line, "listed as card_testing: %r"
         % line)


def main():
    t = harness.Tap()
    srv = SiteServer(workers=3, args=[
        "--ips-rate-per-s=20", "--ips-burst=20",
        "--ips-strict-per-min=6", "--ips-strict-burst=3",
        "--ips-scan-max=10", "--ips-ban-s=%d" % BAN_S,
        "--ips-card-declines-max=3", "--ips-sync-ms=200"])
    srv.start()
    try:
        for f in (test_rate_limit, test_scanner, test_cli,
                  test_card_testing):
            try:
                f(t, srv)
            except Exception as e:         # report, go on with the next
                t.ok(False, "%s raised %r" % (f.__name__, e))
    finally:
        if t.failed:
            print("# server log:\n# " + srv.log_tail(30).replace("\n", "\n# "))
        srv.stop()
        srv.cleanup()
    sys.exit(t.done())


if __name__ == "__main__":
    main()
