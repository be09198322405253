#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""run.py — HTTP tests against a spawned `rentport serve` ($RENTPORT_BIN).

Two kinds of test, all run against one server started by harness.Server:

* cases/NAME.http + cases/NAME.expect: the .http file is sent as-is over a
  socket (bare LF line ends become CRLF, so malformed requests can be
  written literally).  The .expect file holds the status code on its first
  line, then `Header-Name: regex` lines (each must match that header's
  value, re.search), then optionally a blank line and a regex the body
  must match (re.search, DOTALL).
* test_* functions below, for what needs logic: limits at their
  boundaries, ETag/304, metrics, request ids, the access log, robustness.

Prints TAP and a last line "N passed, M failed"; exits 1 on any failure.
Usage: run.py [name-substring ...]  (runs only matching tests)
"""
import glob
import os
import random
import re
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
# Limits the server is started with, so tests can probe the boundaries.
MAX_URL = 1024
MAX_HEADER = 4096
LANG_BODY_CAP = 1024          # the /lang route's own cap (routes.c)
SECURITY = {
    "content-security-policy": r"^default-src 'self';.*frame-ancestors 'none'$",
    "x-content-type-options": r"^nosniff$",
    "referrer-policy": r"^(strict-origin-when-cross-origin|no-referrer)$",
    "x-frame-options": r"^DENY$",
    "x-request-id": r"^[0-9a-f]{32}$",
}


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def check_security(r, what):
    for name, rx in SECURITY.items():
        v = r.header(name)
        check(v is not None and re.search(rx, v),
              "%s: header %s is %r" % (what, name, v))


# -- .http / .expect cases ----------------------------------------------------

def load_case(path):
    with open(path, "rb") as f:
        req = f.read()
    if b"\r" not in req:
        req = req.replace(b"\n", b"\r\n")
    with open(path[:-5] + ".expect", encoding="utf-8") as f:
        text = f.read()
    head, _, body_rx = text.partition("\n\n")
    lines = head.split("\n")
    status = int(lines[0].strip())
    headers = []
    for line in lines[1:]:
        if line.strip():
            k, _, v = line.partition(":")
            headers.append((k.strip(), v.strip()))
    return req, status, headers, body_rx.rstrip("\n")


def run_case(srv, path):
    req, status, headers, body_rx = load_case(path)
    head_only = req.startswith(b"HEAD ")
    r = srv.raw(req, head_only=head_only)
    check(r.status == status, "status %d, want %d" % (r.status, status))
    for k, rx in headers:
        v = r.header(k)
        check(v is not None and re.search(rx, v),
              "header %s is %r, want /%s/" % (k, v, rx))
    if body_rx:
        body = r.body.decode("utf-8", "replace")
        check(re.search(body_rx, body, re.S),
              "body does not match /%s/: %r" % (body_rx, body[:200]))


# -- tests with logic ---------------------------------------------------------

# A well-formed CSRF token (43 base64url characters, the last one's unused
# bits zero) for POSTs: the double-submit check wants it in the cookie and
# the form field, and the request's Origin our own.
CSRF = "httpRunCsrfToken0123456789abcdefghijklmnopA"


def lang_post(srv, body, host=None, origin=True, cookie=True, field=True,
              extra=None):
    """POST /lang as the site's own page would (CSRF cookie and field,
    Origin), less what the caller leaves out."""
    host = host or "localhost:%d" % srv.port
    h = {"Host": host, "Content-Type": "application/x-www-form-urlencoded"}
    if cookie:
        h["Cookie"] = "csrf=" + CSRF
    if origin is True:
        h["Origin"] = "http://" + host
    elif origin:
        h["Origin"] = origin
    h.update(extra or {})
    if field:
        body = b"csrf=" + CSRF.encode() + b"&" + body
    return srv.request("POST", "/lang", h, body)


def test_security_headers_on_every_kind_of_response(srv):
    asset = srv.get("/static/style.css")
    reqs = {
        "200": srv.get("/"),
        "303": lang_post(srv, b"lang=ja"),
        "403": lang_post(srv, b"lang=ja", field=False),
        "304": srv.get("/static/style.css",
                       {"If-None-Match": asset.header("etag")}),
        "400": srv.get("/a/../b"),
        "404": srv.get("/nope"),
        "405": srv.request("PUT", "/healthz"),
        "413": srv.request("POST", "/lang", body=b"x" * (LANG_BODY_CAP + 1)),
        "414": srv.get("/" + "a" * MAX_URL),
        "431": srv.get("/", {"X-Big": "b" * MAX_HEADER}),
        "HEAD": srv.request("HEAD", "/"),
    }
    for what, r in reqs.items():
        want = 200 if what == "HEAD" else int(what)
        check(r.status == want, "%s: got status %d" % (what, r.status))
        check_security(r, what)


def test_request_ids_unique(srv):
    ids = set()
    for i in range(40):
        r = srv.get("/healthz" if i % 2 else "/nope")
        ids.add(r.header("x-request-id"))
    check(len(ids) == 40, "only %d distinct request ids in 40" % len(ids))
    check(all(re.match(r"^[0-9a-f]{32}$", i or "") for i in ids),
          "malformed request id")


def test_url_length_boundary(srv):
    # The limit counts the whole request target, "/" included.
    r = srv.get("/" + "a" * (MAX_URL - 1))
    check(r.status == 404, "target of exactly %d bytes: %d" % (MAX_URL, r.status))
    r = srv.get("/" + "a" * MAX_URL)
    check(r.status == 414, "target of %d bytes: %d" % (MAX_URL + 1, r.status))
    check_security(r, "414")
    r = srv.get("/?" + "q" * MAX_URL)
    check(r.status == 414, "long query: %d" % r.status)


def test_huge_url_answered_by_mhd(srv):
    # Past MHD's per-connection memory pool MHD answers itself (414,
    # without our headers) or closes; either way the server lives on.
    try:
        r = srv.get("/" + "a" * 200000)
        check(r.status == 414, "huge URL: %d" % r.status)
    except (ConnectionError, OSError):
        pass
    check(srv.get("/healthz").status == 200, "server alive after huge URL")


def test_header_size_boundary(srv):
    base = srv.request("GET", "/healthz")
    check(base.status == 200, "baseline")
    # harness sends Host + Connection; fill up to just under the limit.
    host = "localhost:%d" % srv.port
    used = (4 + len(host) + 4) + (10 + len("close") + 4)
    pad = MAX_HEADER - used - (len("X-Pad") + 4)
    r = srv.get("/healthz", {"X-Pad": "p" * pad})
    check(r.status == 200, "headers of exactly the limit: %d" % r.status)
    r = srv.get("/healthz", {"X-Pad": "p" * (pad + 1)})
    check(r.status == 431, "headers one byte over: %d" % r.status)
    check_security(r, "431")
    many = {"X-H%d" % i: "v" * 60 for i in range(80)}
    r = srv.get("/healthz", many)
    check(r.status == 431, "many headers: %d" % r.status)


def test_huge_headers_answered_by_mhd(srv):
    try:
        r = srv.get("/", {"X-Huge": "h" * 300000})
        check(r.status in (413, 431), "huge header: %d" % r.status)
    except (ConnectionError, OSError):
        pass
    check(srv.get("/healthz").status == 200, "server alive after huge header")


def test_body_limits(srv):
    r = srv.request("POST", "/lang", body=b"lang=en&" + b"x" * (LANG_BODY_CAP - 8))
    check(r.status == 400, "body at the cap reaches the handler: %d" % r.status)
    r = srv.request("POST", "/lang", body=b"x" * (LANG_BODY_CAP + 1))
    check(r.status == 413, "Content-Length over the cap: %d" % r.status)
    chunk = b"x" * 600
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(3))
    r = srv.raw(b"POST /lang HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n" + chunked + b"0\r\n\r\n")
    check(r.status == 413, "chunked body over the cap: %d" % r.status)
    check_security(r, "chunked 413")
    form = b"csrf=" + CSRF.encode() + b"&lang=en"
    ok = b"%x\r\n%s\r\n0\r\n\r\n" % (len(form), form)
    r = srv.raw(b"POST /lang HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                b"Cookie: csrf=" + CSRF.encode() + b"\r\nOrigin: http://x\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n" + ok)
    check(r.status == 303, "small chunked body accepted: %d" % r.status)
    r = srv.request("POST", "/lang", {"Content-Length": "99999999999999999999"})
    check(r.status in (400, 413), "absurd Content-Length: %d" % r.status)


def test_lang_post_sets_cookie(srv):
    r = lang_post(srv, b"lang=en")
    check(r.status == 303, "status %d" % r.status)
    cookie = r.header("set-cookie", "").split(";")[0]
    check(cookie == "lang=en", "cookie %r" % cookie)
    r = srv.get("/", {"Cookie": cookie})
    check(b'<html lang="en">' in r.body, "cookie picks English")


def test_lang_post_checks_csrf_and_origin(srv):
    # Issue 10: POST /lang had no CSRF or Origin check (any page could
    # switch a visitor's language); now the same check as every site POST.
    for what, r in (
            ("no csrf field or cookie", lang_post(srv, b"lang=en",
                                                  cookie=False, field=False)),
            ("no csrf field", lang_post(srv, b"lang=en", field=False)),
            ("no csrf cookie", lang_post(srv, b"lang=en", cookie=False)),
            ("field and cookie differ", lang_post(
                srv, b"lang=en", extra={"Cookie": "csrf=" + "A" * 42 + "E"})),
            ("a foreign Origin", lang_post(srv, b"lang=en",
                                           origin="http://evil.example")),
            ("another site's Origin", lang_post(
                srv, b"lang=en", origin="http://a.localhost:%d" % srv.port)),
            ("neither Origin nor Referer", lang_post(srv, b"lang=en",
                                                     origin=False))):
        check(r.status == 403, "%s: status %d, want 403" % (what, r.status))
        check(not any(c.startswith("lang=") for c in
                      r.header_all("set-cookie")),
              "%s: no lang cookie set" % what)
    r = lang_post(srv, b"lang=en", origin=False,
                  extra={"Referer": "http://localhost:%d/plans" % srv.port})
    check(r.status == 303, "our own Referer without Origin: %d" % r.status)
    r = lang_post(srv, b"lang=fr")
    check(r.status == 400, "with the token, a bad value: %d" % r.status)


def test_metrics_only_on_internal_listener(srv):
    # Issue 10: /metrics was public on the sites' port.
    r = srv.get("/metrics")
    check(r.status == 404, "sites' port: GET /metrics → %d, want 404"
          % r.status)
    check(b"rentport_http_requests_total" not in r.body,
          "sites' port: no metrics in the 404")
    check(srv.request("HEAD", "/metrics").status == 404,
          "sites' port: HEAD /metrics → 404")
    r = srv.metrics_request()
    check(r.status == 200 and
          r.header("content-type", "").startswith("text/plain; version=0.0.4")
          and b"# TYPE rentport_http_requests_total counter" in r.body and
          b'rentport_child_restarts_total{kind="web"}' in r.body,
          "metrics listener: GET /metrics → 200 Prometheus text (%d)"
          % r.status)
    check(b'route="/metrics"' not in r.body,
          "no /metrics route on the sites any more")
    for method, path in (("GET", "/"), ("GET", "/healthz"),
                         ("GET", "/metrics/x"), ("POST", "/metrics"),
                         ("GET", "/api/v1/plans")):
        r = srv.metrics_request(method, path)
        check(r.status == 404, "metrics listener: %s %s → %d, want 404"
              % (method, path, r.status))


def test_etag_and_304(srv):
    for path in ("/static/style.css", "/static/logo.svg", "/robots.txt"):
        r = srv.get(path)
        etag = r.header("etag")
        check(r.status == 200 and re.match(r'^"[0-9a-f]{32}"$', etag or ""),
              "%s: ETag %r" % (path, etag))
        check(r.header("cache-control") == "public, max-age=3600",
              "%s: Cache-Control %r" % (path, r.header("cache-control")))
        again = srv.get(path)
        check(again.header("etag") == etag, "ETag is stable")
        r304 = srv.get(path, {"If-None-Match": etag})
        check(r304.status == 304 and r304.body == b"", "%s: 304" % path)
        check(r304.header("etag") == etag, "304 carries the ETag")
        check_security(r304, "304")
        r = srv.get(path, {"If-None-Match": 'W/"x", ' + etag})
        check(r.status == 304, "list with a weak tag: %d" % r.status)
        r = srv.get(path, {"If-None-Match": '"0000"'})
        check(r.status == 200 and len(r.body) > 0, "other tag → 200")
    css = srv.get("/static/style.css").header("etag")
    svg = srv.get("/static/logo.svg").header("etag")
    check(css != svg, "different files, different ETags")


def test_head_like_get(srv):
    g = srv.get("/")
    h = srv.request("HEAD", "/")
    check(h.status == 200, "HEAD status %d" % h.status)
    check(h.header("content-length") == str(len(g.body)),
          "HEAD Content-Length %r vs %d" % (h.header("content-length"),
                                            len(g.body)))
    # Nothing must follow the head on the wire.
    with srv.connect() as s:
        s.sendall(b"HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            c = s.recv(65536)
            if not c:
                break
            data += c
    check(data.endswith(b"\r\n\r\n"), "HEAD sent a body: %r" % data[-20:])


def metric(m, name, **labels):
    want = frozenset(labels.items())
    return sum(v for (n, ls), v in m.items() if n == name and want <= ls)


def test_metrics_count_requests(srv):
    before = srv.metrics()
    for _ in range(7):
        srv.get("/healthz")
    for _ in range(3):
        srv.get("/definitely/not/here")

    def grown(after, route, status):
        return (metric(after, "rentport_http_requests_total", route=route,
                       status=status) -
                metric(before, "rentport_http_requests_total", route=route,
                       status=status))
    # a request is counted when it completes, just after its answer has
    # gone out: wait (briefly) for the last ones to be counted
    deadline = time.time() + 5
    after = srv.metrics()
    while (grown(after, "/healthz", "200") < 7 or
           grown(after, "unmatched", "404") < 3) and time.time() < deadline:
        time.sleep(0.05)
        after = srv.metrics()
    d = (metric(after, "rentport_http_requests_total", route="/healthz",
                status="200") -
         metric(before, "rentport_http_requests_total", route="/healthz",
                status="200"))
    check(d == 7, "healthz 200 grew by %s, want 7" % d)
    d = (metric(after, "rentport_http_requests_total", route="unmatched",
                status="404") -
         metric(before, "rentport_http_requests_total", route="unmatched",
                status="404"))
    check(d == 3, "unmatched 404 grew by %s, want 3" % d)
    cnt = metric(after, "rentport_http_request_duration_seconds_count",
                 route="/healthz")
    inf = metric(after, "rentport_http_request_duration_seconds_bucket",
                 route="/healthz", le="+Inf")
    total = metric(after, "rentport_http_requests_total", route="/healthz")
    check(cnt == inf == total and cnt >= 7,
          "histogram count %s, +Inf %s, requests %s" % (cnt, inf, total))
    check(metric(after, "rentport_http_request_duration_seconds_sum",
                 route="/healthz") > 0, "latency sum")
    # Both workers add to the same shared counters: many connections
    # land on both, and the totals still add up exactly.
    check(metric(after, "rentport_child_restarts_total", kind="web") == 0,
          "no worker restarted")


def test_concurrent_requests(srv):
    errors = []

    def worker():
        try:
            for _ in range(40):
                r = srv.get("/healthz")
                if r.status != 200:
                    errors.append(r.status)
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))

    before = metric(srv.metrics(), "rentport_http_requests_total",
                    route="/healthz")
    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check(not errors, "errors: %s" % errors[:5])
    after = metric(srv.metrics(), "rentport_http_requests_total",
                   route="/healthz")
    check(after - before == 320, "counted %s of 320" % (after - before))


def test_access_log_has_no_raw_path(srv):
    secret = "taro.yamada%40example.jp"
    srv.get("/orders/lookup?email=" + secret)
    srv.get("/c/yamada-taro-shoji/orders/R-1?tel=0312345678")
    r = srv.get("/healthz")
    rid = r.header("x-request-id")
    deadline = time.time() + 10
    text = ""
    while time.time() < deadline:
        try:
            text = srv.read_file("log/access.log").decode()
        except OSError:
            text = ""
        if rid in text:
            break
        time.sleep(0.1)
    check(rid in text, "request id %s not in access.log" % rid)
    for bad in ("taro", "yamada", "0312345678", "email", "?"):
        check(bad not in text, "access.log contains %r" % bad)
    line = [ln for ln in text.splitlines() if rid in ln][0]
    check(re.search(r" GET /healthz 200 3 \d+ " + rid + "$", line),
          "access line %r" % line)
    check(" GET unmatched 404 " in text, "404 logged under 'unmatched'")


IDLE_TIMEOUT = 3


def test_malformed_requests_never_crash(srv):
    rng = random.Random(20260101)
    samples = [
        b"GARBAGE\r\n\r\n", b"\r\n\r\n", b"GET\r\n\r\n", b"GET /\r\n\r\n",
        b"GET / HTTP/1.1\r\n\r\n",                    # no Host
        b"GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\n: empty\r\n\r\n",
        b"GET /\x00 HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        b"POST /lang HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"POST /lang HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
        b"GET /%%%% HTTP/1.1\r\nHost: x\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  # a TLS hello
    ]
    alphabet = b"GET /%?&=.\x00\r\n :HTP1\xc3\xa9"
    for _ in range(60):
        samples.append(bytes(rng.choice(alphabet)
                             for _ in range(rng.randrange(1, 120))))
    for data in samples:
        try:
            with srv.connect(timeout=3) as s:
                s.sendall(data)
                s.shutdown(1)
                try:
                    while s.recv(65536):
                        pass
                except OSError:
                    pass
        except OSError:
            pass
    check(srv.get("/healthz").status == 200, "server answers afterwards")
    # Every request context was freed: nothing is in flight on the sites'
    # port (the gauge is +1 at the request line, -1 on completion; the
    # /metrics request itself is on the internal listener, not counted).
    deadline = time.time() + IDLE_TIMEOUT + 5
    while time.time() < deadline:
        m = srv.metrics()
        if metric(m, "rentport_http_in_flight") == 0:
            break
        time.sleep(0.1)
    check(metric(m, "rentport_http_in_flight") == 0,
          "in-flight gauge is %s, want 0" % metric(m, "rentport_http_in_flight"))
    check(metric(m, "rentport_child_restarts_total", kind="web") == 0,
          "a worker died on malformed input")


# -----------------------------------------------------------------------------

def main():
    only = sys.argv[1:]
    tests = []
    for path in sorted(glob.glob(os.path.join(HERE, "cases", "*.http"))):
        name = "case " + os.path.basename(path)[:-5]
        tests.append((name, lambda srv, p=path: run_case(srv, p)))
    for name, fn in sorted(globals().items()):
        if name.startswith("test_") and callable(fn):
            tests.append((name, fn))
    if only:
        tests = [t for t in tests if any(o in t[0] for o in only)]
    passed = failed = 0
    # A short idle timeout: connections the malformed-input test leaves
    # half-open are reaped by libmicrohttpd within seconds, not 30 s.
    # The WAF off: these cases pin rentport's own intake (400, 405, 413
    # ...); with the WAF on several of them are attacks it answers with 403
    # first — tests/waf covers that.
    srv = Server(workers=2, args=["--waf-mode=off",
                                  "--max-url-bytes=%d" % MAX_URL,
                                  "--max-header-bytes=%d" % MAX_HEADER,
                                  "--connection-timeout=%d" % IDLE_TIMEOUT])
    srv.start()
    try:
        for i, (name, fn) in enumerate(tests, 1):
            try:
                fn(srv)
                print("ok %d - %s" % (i, name))
                passed += 1
            except Exception as e:  # noqa: BLE001
                print("not ok %d - %s" % (i, name))
                print("#   %s: %s" % (type(e).__name__, e))
                failed += 1
            sys.stdout.flush()
        try:
            rc = srv.stop()
            check(rc == 0, "server exit status %s" % rc)
            log = srv.log_tail(100000)
            for bad in ("AddressSanitizer", "runtime error:",
                        "LeakSanitizer"):
                check(bad not in log, "sanitizer report in the server log")
            print("ok %d - server stops cleanly on SIGTERM" % (len(tests) + 1))
            passed += 1
        except Exception as e:  # noqa: BLE001
            print("not ok %d - server stops cleanly on SIGTERM" % (len(tests) + 1))
            print("#   %s" % e)
            failed += 1
    finally:
        if srv.proc is not None:
            srv.stop()
        if failed:
            print("# server log:")
            for line in srv.log_tail(60).splitlines():
                print("#   " + line)
        srv.cleanup()
    print("1..%d" % (passed + failed))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
