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
    test card, POST {home}my-order/pay) → banned with reason card_testing;
  * WAF: requests the WAF blocks → banned at ips_waf_max (before the
    scanner detector would);
  * brute force: wrong access codes on mizunagi-pharma's gate (POST
    /c/mizunagi-pharma/access) from one address → banned at ips_login_max,
    also on a connection kept alive from before the ban;
  * the tenant's failure budget: wrong codes spread over many addresses
    (each below ips_login_max) → the gate answers 429 with Retry-After and
    the ja/en message to every address, the right code included;
  * IPv6 by /64 (in a network namespace this test creates, with a second
    serve listening on ::): two addresses of one /64 share a bucket, a ban
    of one refuses the other at accept, a neighbouring /64 is untouched.
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
    pay_page, B  # noqa: E402

BIN = os.environ.get("RENTPORT_BIN", "")
BAN_S = 3


class From:
    """The server seen from one loopback source address (harness.Server's
    request interface, which sitelib.Client uses); dst "::1" for IPv6."""

    def __init__(self, srv, src, dst="127.0.0.1"):
        self.srv = srv
        self.src = src
        self.dst = dst
        self.port = srv.port

    def connect(self, timeout=10.0):
        return socket.create_connection((self.dst, self.srv.port),
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


def test_waf(t, srv):
    c = From(srv, "127.0.0.8")
    codes = []
    for i in range(6):
        try:
            codes.append(c.get("/plans?destination=%3Cscript%3Ealert(" +
                               str(i) + ")%3C/script%3E").status)
        except (ConnectionError, OSError):
            codes.append(0)
    t.ok(codes[:4] == [403] * 4, "4 requests blocked by the WAF: %s"
         % codes[:4])
    t.ok(codes[4:] == [0, 0], "the 4th intervention (ips_waf_max) bans: "
         "then connections are refused: %s" % codes[4:])
    line = until(lambda: listed(srv, "127.0.0.8"))
    t.ok(line and "scanner" in line, "listed as scanner: %r" % line)
    t.ok(metric(srv, "rentport_ips_events_total") > 0 and
         any(n == "rentport_ips_events_total" and ("event", "waf") in lab
             and v >= 4 for (n, lab), v in srv.metrics().items()),
         "WAF events counted in /metrics")


def access_post(c, home, code):
    try:
        return c.post(home + "access", [("code", code)])
    except (ConnectionError, OSError):
        return None


def test_brute_force(t, srv):
    home = "/c/%s/" % B
    c = Client(From(srv, "127.0.0.7"), accept_language="en")
    t.ok(c.get(home).status == 200, "mizunagi-pharma's home (csrf cookie)")
    got = [access_post(c, home, "WRONG-%d" % i) for i in range(3)]
    codes = [r.status if r else 0 for r in got]
    t.ok(codes == [403, 403, 403], "3 wrong access codes answered 403: %s"
         % codes)
    t.ok(From(srv, "127.0.0.7").refused(),
         "the 3rd (ips_login_max) bans the address")
    line = until(lambda: listed(srv, "127.0.0.7"))
    t.ok(line and "brute_force" in line, "listed as brute_force: %r" % line)

    # a connection kept alive from before the ban is closed at its next
    # request (the accept policy never sees it again)
    f = From(srv, "127.0.0.9")
    k = Client(f, accept_language="en")
    k.get(home)
    s = f.connect()
    try:
        hdr = ("POST %saccess HTTP/1.1\r\nHost: localhost:%d\r\n"
               "Origin: http://localhost:%d\r\nCookie: %s\r\n"
               "Content-Type: application/x-www-form-urlencoded\r\n"
               % (home, srv.port, srv.port, k.cookie_header()))
        statuses = []
        for i in range(4):
            body = ("csrf=%s&code=KEEP-%d" % (k.jar.get("csrf", ""), i)
                    ).encode()
            try:
                s.sendall((hdr + "Content-Length: %d\r\n\r\n" % len(body)
                           ).encode() + body)
                r = harness.read_response(s)
                statuses.append(r.status)
            except (ConnectionError, OSError, ValueError):
                statuses.append(0)
    finally:
        s.close()
    t.ok(statuses[:3] == [403, 403, 403] and statuses[3] == 0,
         "one kept-alive connection: 3 wrong codes, then closed: %s"
         % statuses)


def i18n(lang):
    out = {}
    path = os.path.join(HERE, "..", "..", "src", "web", "i18n", lang + ".txt")
    for line in open(path, encoding="utf-8"):
        if "=" in line and not line.lstrip().startswith("#"):
            k, _, v = line.partition("=")
            out[k.strip()] = v.strip()
    return out


def test_tenant_budget(t, srv):
    """Wrong codes from many addresses, each below ips_login_max: the
    tenant's budget (ips_access_tenant_max = 14, together with the brute
    force test's 6) closes the gate for everyone."""
    home = "/c/%s/" % B
    en, ja = i18n("en"), i18n("ja")
    tries, first = 0, None
    for n in range(20, 32):
        c = Client(From(srv, "127.0.0.%d" % n), accept_language="en")
        c.get(home)
        for i in range(2):
            r = access_post(c, home, "GUESS-%d-%d" % (n, i))
            if r is not None and r.status == 429:
                first = r
                break
            tries += 1
            t.ok(r is not None and r.status == 403,
                 "127.0.0.%d: wrong code %d → 403 (%s)"
                 % (n, i + 1, r.status if r else "refused"))
        if first:
            break
    t.ok(first is not None and tries <= 14 - 6 and tries >= 6,
         "the gate closes after at most ips_access_tenant_max failures "
         "over all addresses (%d tries here)" % tries)
    if first is None:
        return
    ra = first.header("retry-after", "")
    t.ok(ra.isdigit() and 1 <= int(ra) <= 600, "429 with Retry-After: %r"
         % ra)
    msg = Client.html(first).field_error("code")[0]
    t.ok(msg == en["err.code.access_closed"], "the English message: %r"
         % msg)
    nobody_banned = all(not From(srv, "127.0.0.%d" % n).refused()
                        for n in range(20, 20 + tries // 2))
    t.ok(nobody_banned, "no single address was banned (each below "
         "ips_login_max): only the tenant's budget stopped them")
    code = srv.access_codes.get(B)
    c = Client(From(srv, "127.0.0.40"))
    c.get(home)
    r = access_post(c, home, code or "")
    t.ok(r is not None and r.status == 429 and "rp_pass" not in c.jar,
         "a new address with the right code → 429 too, no pass (a closed "
         "gate confirms no guess) (%s)" % (r.status if r else "refused"))
    t.ok(r is not None and
         Client.html(r).field_error("code")[0] == ja["err.code.access_closed"],
         "the Japanese message by default")
    t.ok(metric(srv, "rentport_ips_access_gates_closed_total") == 1,
         "the closed gate counted in /metrics")
    # the public site and its pages are not affected
    t.ok(From(srv, "127.0.0.40").get("/plans").status == 200,
         "the public site still served")


# ---- IPv6 by /64, in a network namespace ----------------------------------

V6_INNER = "RENTPORT_TEST_IPS_V6"
V6_ADDRS = ("fd00:64:0:1::1", "fd00:64:0:1::2", "fd00:64:0:2::1",
            "fd00:64:0:3::1", "fd00:64:0:3::2")


def v6_inner():
    """In the namespace: lo up with addresses in three /64s, a serve on ::
    (dual stack); prints one JSON line per check."""
    def report(cond, what):
        print(json.dumps({"ok": bool(cond), "what": what}), flush=True)
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    for a in V6_ADDRS:
        subprocess.run(["ip", "-6", "addr", "add", a + "/64", "dev", "lo",
                        "nodad"], check=True)
    srv = harness.Server(workers=2, args=[
        "--listen-addr=::", "--ips-rate-per-s=1", "--ips-burst=6",
        "--ips-scan-max=4", "--ips-ban-s=60", "--ips-sync-ms=200"])
    srv.start()
    try:
        a, b, other = (From(srv, x, "::1") for x in V6_ADDRS[:3])
        t0 = time.time()
        first = [a.get("/healthz").status for _ in range(6)]
        then = b.get("/healthz")
        dt = time.time() - t0
        report(first == [200] * 6, "fd00:64:0:1::1: 6 requests (burst 6) "
               "served: %s" % first)
        report(then.status == 429, "fd00:64:0:1::2, same /64: 429, the "
               "bucket is shared (%d, %.2f s)" % (then.status, dt))
        report(other.get("/healthz").status == 200,
               "fd00:64:0:2::1, another /64: served")
        report(srv.get("/healthz").status == 200,
               "IPv4 127.0.0.1 on the dual-stack socket: served")

        s1, s2 = From(srv, V6_ADDRS[3], "::1"), From(srv, V6_ADDRS[4], "::1")
        codes = []
        for i in range(5):
            try:
                codes.append(s1.get("/nothing-%d" % i).status)
            except (ConnectionError, OSError):
                codes.append(0)
        report(codes == [404] * 4 + [0], "fd00:64:0:3::1: 4 × 404 → "
               "banned (scan max 4): %s" % codes)
        report(s2.refused(), "fd00:64:0:3::2 (same /64) refused at accept")
        report(not other.refused(), "fd00:64:0:2::1 still served")
        line = until(lambda: listed(srv, "fd00:64:0:3::"))
        report(line and "scanner" in line,
               "rentport ban list shows the /64 prefix: %r" % line)
    finally:
        srv.stop()
        srv.cleanup()


def test_ipv6_prefix(t, srv):
    del srv
    env = dict(os.environ)
    env[V6_INNER] = "1"
    cmd = ["unshare", "-n"] if os.geteuid() == 0 else ["unshare", "-rn"]
    try:
        p = subprocess.run(cmd + [sys.executable, os.path.abspath(__file__)],
                           env=env, capture_output=True, text=True,
                           timeout=240)
    except FileNotFoundError:
        t.ok(True, "IPv6 /64 # SKIP unshare(1) is not installed")
        return
    lines = [json.loads(x) for x in p.stdout.splitlines()
             if x.startswith("{")]
    if not lines and p.returncode != 0:
        t.ok(True, "IPv6 /64 # SKIP no network namespace here (%s)"
             % p.stderr.strip().splitlines()[-1:])
        return
    for x in lines:
        t.ok(x["ok"], x["what"])
    t.ok(p.returncode == 0 and len(lines) == 8,
         "the IPv6 scenario ran to its end (%d checks, exit %d)%s"
         % (len(lines), p.returncode,
            "" if p.returncode == 0 else ": " + p.stderr[-500:]))


def main():
    if os.environ.get(V6_INNER):
        v6_inner()
        return
    t = harness.Tap()
    srv = SiteServer(workers=3, args=[
        "--ips-rate-per-s=20", "--ips-burst=20",
        "--ips-strict-per-min=6", "--ips-strict-burst=3",
        "--ips-scan-max=10", "--ips-ban-s=%d" % BAN_S,
        "--ips-card-declines-max=3", "--ips-sync-ms=200",
        "--ips-waf-max=4", "--ips-login-max=3",
        "--ips-access-tenant-max=14"])
    srv.start()
    try:
        for f in (test_rate_limit, test_scanner, test_cli,
                  test_card_testing, test_waf, test_brute_force,
                  test_tenant_budget, test_ipv6_prefix):
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
