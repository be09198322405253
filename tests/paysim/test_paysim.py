#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""
`rentport paysim`, the payment-agent sandbox, end to end (docs/paysim.md).

Starts `$RENTPORT_BIN paysim --data-dir=TMP --paysim-port=FREE` and checks
tokens (success, decline cards, live_card_in_sandbox, Luhn, expiry, single
use, TTL on the sandbox clock), authorise + partial capture, void, partial
and multiple refunds with the sum check, a saved card charged later by the
merchant (and the card whose later charges fail), 3-D Secure (page,
Complete, redirect, status; the declining 3DS card), idempotency (replay,
reused, in use), signed webhooks with retries after a 500, chaos
(duplicates, reordering: every event at least once), faults (commit then
drop, 503, 429), hold expiry, the terminal flow, the hosted card field's
CSP, restart keeping state, SIGTERM, and that neither DATA/paysim nor the
process's output holds a card number (`rentport scan-pan`).
Python standard library only; prints TAP.
"""
import hashlib
import hmac
import http.client
import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "http"))
from harness import Tap, free_port  # noqa: E402

BIN = os.environ["RENTPORT_BIN"]
T = Tap()
ok = T.ok


class Paysim:
    def __init__(self, data_dir=None, args=()):
        self.dir = data_dir or tempfile.mkdtemp(prefix="rentport-paysim-")
        self.args = list(args)
        self.proc = None

    def start(self):
        self.port = free_port()
        self.logf = open(os.path.join(self.dir, "paysim.log"), "ab")
        self.proc = subprocess.Popen(
            [BIN, "paysim", "--data-dir=" + self.dir,
             "--paysim-port=%d" % self.port] + self.args,
            stdout=self.logf, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("paysim exited: " + self.log())
            try:
                if self.call("GET", "/healthz", auth=None)[0] == 200:
                    break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError("paysim did not come up: " + self.log())
        rd = lambda n: open(os.path.join(self.dir, "paysim", n)).read().strip()
        self.sk = rd("api.secret")
        self.pk = rd("publishable.key")
        self.whsec = rd("webhook.secret")
        return self

    def log(self):
        try:
            return open(os.path.join(self.dir, "paysim.log"),
                        errors="replace").read()[-3000:]
        except OSError:
            return ""

    def stop(self):
        if self.proc is None:
            return None
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(30)
        self.proc = None
        self.logf.close()
        return rc

    def call(self, method, path, body=None, auth="sk", key=None,
             headers=None, raw=None, timeout=15):
        c = http.client.HTTPConnection("127.0.0.1", self.port,
                                       timeout=timeout)
        h = dict(headers or {})
        if auth == "sk":
            h["Authorization"] = "Bearer " + self.sk
        elif auth == "pk":
            h["Authorization"] = "Bearer " + self.pk
        if key is not None:
            h["Idempotency-Key"] = key
        data = raw if raw is not None else (
            json.dumps(body).encode() if body is not None else None)
        if data is not None:
            h.setdefault("Content-Type", "application/json")
        c.request(method, path, body=data, headers=h)
        r = c.getresponse()
        b = r.read()
        c.close()
        try:
            j = json.loads(b) if b else None
        except ValueError:
            j = None
        return r.status, j, dict((k.lower(), v) for k, v in r.getheaders()), b

    # shorthands
    def token(self, number, exp_month=12, exp_year=2030, cvc="123"):
        return self.call("POST", "/v1/tokens", {
            "number": number, "exp_month": exp_month, "exp_year": exp_year,
            "cvc": cvc}, auth="pk")

    def tok(self, number):
        s, j, _, _ = self.token(number)
        assert s == 200, (s, j)
        return j["id"]

    def pay(self, number, amount=10000, key=None, **kw):
        body = {"amount": amount, "currency": "jpy", "token": self.tok(number),
                "capture_method": "manual", "metadata": {"order": "RP-T1"}}
        body.update(kw)
        return self.call("POST", "/v1/payments", body, key=key)


# ---- webhook receiver -------------------------------------------------------

class Receiver:
    """Loopback webhook endpoint; fail_first: answer 500 to the first N."""

    def __init__(self, fail_first=0):
        self.events = []        # (raw body, signature header, time)
        self.fail_first = fail_first
        self.lock = threading.Lock()
        rec = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                with rec.lock:
                    rec.events.append((raw, self.headers.get(
                        "Paysim-Signature"), time.time()))
                    fail = rec.fail_first > 0
                    if fail:
                        rec.fail_first -= 1
                self.send_response(500 if fail else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = "http://127.0.0.1:%d/hook" % self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def close(self):
        self.srv.shutdown()

    def wait(self, pred, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                if pred(list(self.events)):
                    return True
            time.sleep(0.05)
        return False


def verify(secret, header, raw, now=None):
    """payments.md §6: any v1 = HMAC-SHA256(secret, t.raw), t recent."""
    if not header:
        return False
    parts = [p.split("=", 1) for p in header.split(",")]
    t = [v for k, v in parts if k == "t"]
    sigs = [v for k, v in parts if k == "v1"]
    if len(t) != 1 or not sigs:
        return False
    now = now or time.time()
    if int(t[0]) < now - 300 or int(t[0]) > now + 60:
        return False
    want = hmac.new(secret.encode(), t[0].encode() + b"." + raw,
                    hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(want, s) for s in sigs)


# ---- tests ------------------------------------------------------------------

def test_tokens(ps):
    s, j, h, _ = ps.token("4242 4242 4242 4242")
    ok(s == 200 and j["id"].startswith("tok_") and j["brand"] == "visa" and
       j["last4"] == "4242" and j["exp_month"] == 12 and
       j["exp_year"] == 2030, "token: visa test card → tok_, brand, last4")
    for pan, brand in (("5555555555554444", "mastercard"),
                       ("3530111333300000", "jcb"),
                       ("378282246310005", "amex")):
        s, j, _, _ = ps.token(pan, cvc="1234" if brand == "amex" else "123")
        ok(s == 200 and j["brand"] == brand, "token: %s brand" % brand)
    s, j, _, _ = ps.token("4111111111111111")
    ok(s == 402 and j["error"]["code"] == "live_card_in_sandbox" and
       j["error"]["type"] == "card_error",
       "token: a Luhn-valid non-test number → 402 live_card_in_sandbox")
    s, j, _, _ = ps.token("4242424242424241")
    ok(s == 402 and j["error"]["code"] == "incorrect_number",
       "token: Luhn-invalid → incorrect_number")
    s, j, _, _ = ps.token("4242424242424242", exp_month=1, exp_year=2020)
    ok(s == 402 and j["error"]["code"] == "expired_card",
       "token: past expiry → expired_card")
    s, j, _, _ = ps.token("4242424242424242", cvc="12")
    ok(s == 402 and j["error"]["code"] == "invalid_cvc",
       "token: malformed CVC → invalid_cvc")
    s, j, _, _ = ps.call("POST", "/v1/tokens", {"number": "4242424242424242"},
                         auth="sk")
    ok(s == 401, "token: the secret key is refused on /v1/tokens")
    s, j, _, _ = ps.call("POST", "/v1/payments", {"amount": 1}, auth="pk")
    ok(s == 401 and j["error"]["code"] == "secret_key_required",
       "payments: the publishable key is refused")
    s, j, _, _ = ps.call("GET", "/v1/payments/pay_x", auth=None)
    ok(s == 401, "no key → 401")
    s, j, _, _ = ps.call("POST", "/v1/tokens", {
        "number": "4242424242424242", "exp_month": 12, "exp_year": 2030,
        "cvc": "123", "name": "x"}, auth="pk")
    ok(s == 400 and j["error"]["code"] == "parameter_unknown",
       "token: an undeclared parameter → 400 parameter_unknown")
    s, j, _, _ = ps.call("POST", "/v1/tokens", raw=b'{"number":',
                         auth="pk")
    ok(s == 400 and j["error"]["type"] == "invalid_request_error",
       "token: malformed JSON → 400")
    s, j, _, _ = ps.token("4242424242424242")
    s, j, _, _ = ps.call("POST", "/v1/tokens", {
        "number": "4242424242424242", "exp_month": 12, "exp_year": 2030,
        "cvc": "123"}, auth="pk", headers={"Origin": "https://evil.example"})
    ok(s == 403, "token: a foreign browser Origin is refused (CORS)")
    # single use
    t = ps.tok("4242424242424242")
    body = {"amount": 1000, "currency": "jpy", "token": t,
            "capture_method": "manual"}
    s1, _, _, _ = ps.call("POST", "/v1/payments", body)
    s2, j2, _, _ = ps.call("POST", "/v1/payments", body)
    ok(s1 == 200 and s2 == 400 and
       j2["error"]["code"] == "token_already_used", "token: single use")
    # expiry on the sandbox clock
    t = ps.tok("4242424242424242")
    ps.call("POST", "/sandbox/clock", {"advance_s": 1801}, auth=None)
    s, j, _, _ = ps.call("POST", "/v1/payments", dict(body, token=t))
    ok(s == 400 and j["error"]["code"] == "token_expired",
       "token: expired after 30 min of sandbox clock")
    # every decline card tokenizes, then declines at payment
    for pan, code, dc in (
            ("4000000000000002", "card_declined", "generic_decline"),
            ("4000000000009995", "card_declined", "insufficient_funds"),
            ("4000000000009987", "card_declined", "lost_card"),
            ("4000000000009979", "card_declined", "stolen_card"),
            ("4000000000000069", "expired_card", "expired_card"),
            ("4000000000000127", "incorrect_cvc", "incorrect_cvc"),
            ("4000000000000119", "processing_error", "processing_error")):
        s, j, _, _ = ps.pay(pan)
        e = (j or {}).get("error", {})
        p = e.get("payment", {})
        ok(s == 402 and e.get("type") == "card_error" and
           e.get("code") == code and e.get("decline_code") == dc and
           p.get("status") == "requires_payment_method" and
           p.get("last_error", {}).get("code") == code,
           "decline %s → 402 %s/%s with the payment" % (pan[-4:], code, dc))


def test_capture_void_refund(ps):
    s, p, _, _ = ps.pay("4242424242424242", amount=12000)
    ok(s == 200 and p["status"] == "requires_capture" and
       p["amount_capturable"] == 12000 and p["amount_received"] == 0 and
       p["last4"] == "4242" and p["metadata"] == {"order": "RP-T1"},
       "authorise: requires_capture, capturable = amount")
    pid = p["id"]
    s, j, _, _ = ps.call("POST", "/v1/payments/%s/capture" % pid,
                         {"amount_to_capture": 20000})
    ok(s == 400 and j["error"]["code"] == "amount_too_large",
       "capture: more than authorised → 400")
    s, j, _, _ = ps.call("POST", "/v1/payments/%s/capture" % pid,
                         {"amount_to_capture": 9000})
    ok(s == 200 and j["status"] == "succeeded" and
       j["amount_received"] == 9000 and j["amount_capturable"] == 0,
       "capture: partial → succeeded, remainder released")
    s, j, _, _ = ps.call("POST", "/v1/payments/%s/capture" % pid, {})
    ok(s == 400 and j["error"]["code"] == "payment_unexpected_state",
       "capture: only once")
    s, j, _, _ = ps.call("POST", "/v1/payments/%s/cancel" % pid)
    ok(s == 400, "cancel after capture → 400")
    # refunds
    s, r1, _, _ = ps.call("POST", "/v1/refunds", {
        "payment": pid, "amount": 4000, "reason": "requested_by_customer"})
    ok(s == 200 and r1["id"].startswith("re_") and
       r1["status"] == "succeeded" and r1["amount"] == 4000,
       "refund: partial")
    s, r2, _, _ = ps.call("POST", "/v1/refunds", {"payment": pid,
                                                  "amount": 3000})
    ok(s == 200 and r2["amount"] == 3000, "refund: a second one")
    s, j, _, _ = ps.call("POST", "/v1/refunds", {"payment": pid,
                                                 "amount": 2001})
    ok(s == 400 and j["error"]["code"] == "amount_too_large",
       "refund: Σ refunds ≤ captured (9000)")
    s, j, _, _ = ps.call("POST", "/v1/refunds", {"payment": pid,
                                                 "reason": "bogus"})
    ok(s == 400, "refund: reason is checked")
    s, r3, _, _ = ps.call("POST", "/v1/refunds", {"payment": pid})
    ok(s == 200 and r3["amount"] == 2000, "refund: the rest by default")
    s, j, _, _ = ps.call("GET", "/v1/refunds/" + r1["id"])
    ok(s == 200 and j["amount"] == 4000 and j["payment"] == pid,
       "GET /v1/refunds/{id}")
    s, j, _, _ = ps.call("GET", "/v1/payments/" + pid)
    ok(s == 200 and j["amount_refunded"] == 9000, "GET payment: refunded")
    s, j, _, _ = ps.call("GET", "/v1/payments/pay_nosuch")
    ok(s == 404 and j["error"]["code"] == "resource_missing", "404 payment")
    # void
    s, p, _, _ = ps.pay("5555555555554444")
    s, j, _, _ = ps.call("POST", "/v1/payments/%s/cancel" % p["id"])
    ok(s == 200 and j["status"] == "canceled" and
       j["amount_capturable"] == 0, "void: requires_capture → canceled")
    s, j, _, _ = ps.call("POST", "/v1/refunds", {"payment": p["id"]})
    ok(s == 400, "refund of a voided payment → 400")
    # automatic capture
    s, p, _, _ = ps.pay("3530111333300000", capture_method="automatic")
    ok(s == 200 and p["status"] == "succeeded" and
       p["amount_received"] == 10000, "automatic capture → succeeded")
    s, j, _, _ = ps.call("POST", "/v1/payments", {
        "amount": 100, "currency": "usd", "token": ps.tok(
            "4242424242424242")})
    ok(s == 400 and j["error"]["param"] == "currency", "JPY only")
    s, j, _, _ = ps.call("POST", "/v1/payments", {
        "amount": 10.5, "currency": "jpy", "token": "tok_x"})
    ok(s == 400, "amount must be an integer (zero-decimal JPY)")
    s, j, _, _ = ps.call("POST", "/v1/payments", {
        "amount": 100, "currency": "jpy", "token": "tok_x",
        "metadata": {"note": "4242 4242 4242 4242"}})
    ok(s == 400 and j["error"]["code"] == "card_number_in_parameters",
       "a card number outside /v1/tokens is refused")


def test_saved_card(ps):
    s, p, _, _ = ps.pay("4242424242424242", save_card=True)
    ok(s == 200 and p["customer"].startswith("cus_") and
       p["payment_method"].startswith("pm_"), "save_card → customer + pm")
    s, j, _, _ = ps.call("POST", "/v1/payments", {
        "amount": 3000, "currency": "jpy", "customer": p["customer"],
        "payment_method": p["payment_method"],
        "capture_method": "automatic", "metadata": {"order": "RP-T1",
                                                    "fee": "late"}})
    ok(s == 200 and j["status"] == "succeeded" and
       j["amount_received"] == 3000 and j["off_session"] is True,
       "merchant-initiated charge on the saved card")
    s, j, _, _ = ps.call("POST", "/v1/payments", {
        "amount": 3000, "currency": "jpy", "customer": "cus_other",
        "payment_method": p["payment_method"]})
    ok(s == 400 and j["error"]["code"] == "resource_missing",
       "a payment method belongs to its customer")
    s, p, _, _ = ps.pay("4000000000000341", save_card=True)
    ok(s == 200 and p["status"] == "requires_capture",
       "0341: the first (customer-present) payment succeeds and attaches")
    s, j, _, _ = ps.call("POST", "/v1/payments", {
        "amount": 3000, "currency": "jpy", "customer": p["customer"],
        "payment_method": p["payment_method"],
        "capture_method": "automatic"})
    ok(s == 402 and j["error"]["code"] == "card_declined" and
       j["error"]["payment"]["status"] == "requires_payment_method",
       "0341: later merchant-initiated charges fail")


def follow_3ds(ps, p, action):
    url = urllib.parse.urlparse(p["next_action"]["url"])
    s, _, h, page = ps.call("GET", url.path, auth=None)
    csp = h.get("content-security-policy", "")
    good = (s == 200 and b"Simulated 3-D Secure" in page and
            b"Complete" in page and b"<script" not in page and
            "frame-ancestors 'none'" in csp)
    s, _, h, _ = ps.call("POST", url.path, raw=("result=" + action).encode(),
                         auth=None, headers={
                             "Content-Type":
                             "application/x-www-form-urlencoded"})
    return good, s, h.get("location", "")


def test_3ds(ps):
    ret = "http://127.0.0.1:9/return?x=1"
    s, p, _, _ = ps.pay("4000000000003220", return_url=ret)
    ok(s == 200 and p["status"] == "requires_action" and
       p["next_action"]["type"] == "redirect" and
       p["next_action"]["url"] == "http://127.0.0.1:%d/hosted/3ds/%s" % (
           ps.port, p["id"]), "3DS card → requires_action + redirect URL")
    good, s, loc = follow_3ds(ps, p, "complete")
    ok(good, "3DS page: title, buttons, no script, strict CSP")
    ok(s == 303 and loc == ret + "&payment=" + p["id"],
       "3DS Complete → 303 to return_url with ?payment=")
    s, j, _, _ = ps.call("GET", "/v1/payments/" + p["id"])
    ok(j["status"] == "requires_capture" and j["next_action"] is None,
       "after 3DS: requires_capture")
    s, p, _, _ = ps.pay("4000008400001629", return_url="http://x.test/r")
    good, s, loc = follow_3ds(ps, p, "complete")
    s, j, _, _ = ps.call("GET", "/v1/payments/" + p["id"])
    ok(j["status"] == "requires_payment_method" and
       j["last_error"]["code"] == "card_declined" and
       loc == "http://x.test/r?payment=" + p["id"],
       "3DS then declined (1629)")
    s, p, _, _ = ps.pay("4000000000003220")
    good, s, loc = follow_3ds(ps, p, "fail")
    s, j, _, _ = ps.call("GET", "/v1/payments/" + p["id"])
    ok(j["status"] == "requires_payment_method" and
       j["last_error"]["code"] == "authentication_failed",
       "3DS Fail → requires_payment_method")
    s, p, _, _ = ps.pay("4000000000003220")
    s, j, _, _ = ps.call("POST", "/v1/payments/%s/cancel" % p["id"])
    ok(s == 200 and j["status"] == "canceled", "cancel from requires_action")


def test_idempotency(ps):
    t = ps.tok("4242424242424242")
    body = {"amount": 5000, "currency": "jpy", "token": t,
            "capture_method": "manual", "metadata": {"order": "RP-I1"}}
    s1, j1, h1, _ = ps.call("POST", "/v1/payments", body, key="order:1:auth:1")
    s2, j2, h2, _ = ps.call("POST", "/v1/payments", body, key="order:1:auth:1")
    ok(s1 == 200 and s2 == 200 and j1 == j2 and
       h2.get("idempotent-replayed") == "true" and
       "idempotent-replayed" not in h1, "same key + same body → replay")
    s, j, _, _ = ps.call("POST", "/v1/payments", dict(body, amount=5001),
                         key="order:1:auth:1")
    ok(s == 409 and j["error"]["code"] == "idempotency_key_reused" and
       j["error"]["type"] == "idempotency_error",
       "same key, other parameters → 409 idempotency_key_reused")
    s, j, _, _ = ps.call("POST", "/v1/payments/%s/capture" % j1["id"], {},
                         key="order:1:auth:1")
    ok(s == 409, "same key on another path → 409 reused")
    # a declined (402) answer is stored too
    t = ps.tok("4000000000000002")
    b = {"amount": 100, "currency": "jpy", "token": t}
    s1, j1, _, _ = ps.call("POST", "/v1/payments", b, key="dec-1")
    s2, j2, h2, _ = ps.call("POST", "/v1/payments", b, key="dec-1")
    ok(s1 == 402 and s2 == 402 and j1 == j2 and
       h2.get("idempotent-replayed") == "true", "402 answers replay too")
    # validation failures are not stored
    s1, _, _, _ = ps.call("POST", "/v1/payments", {"amount": 100},
                          key="val-1")
    t = ps.tok("4242424242424242")
    s2, j2, _, _ = ps.call("POST", "/v1/payments", {
        "amount": 100, "currency": "jpy", "token": t}, key="val-1")
    ok(s1 == 400 and s2 == 200,
       "a validation failure stores nothing: the key is free again")
    s, j, _, _ = ps.call("POST", "/v1/payments", {"amount": 1},
                         key="x" * 256)
    ok(s == 400 and j["error"]["code"] == "idempotency_key_invalid",
       "keys over 255 characters are refused")
    # in use: the first request slowed by a fault
    t = ps.tok("4242424242424242")     # before the fault: it hits the next call
    ps.call("POST", "/sandbox/faults", {"slow_ms": 1500}, auth=None)
    body = {"amount": 700, "currency": "jpy", "token": t}
    res = {}

    def first():
        res["first"] = ps.call("POST", "/v1/payments", body, key="slow-1")
    th = threading.Thread(target=first)
    th.start()
    time.sleep(0.5)
    s, j, _, _ = ps.call("POST", "/v1/payments", body, key="slow-1")
    th.join()
    ok(s == 409 and j["error"]["code"] == "idempotency_key_in_use" and
       res["first"][0] == 200,
       "concurrent same key → 409 idempotency_key_in_use; first succeeds")
    s, j, h, _ = ps.call("POST", "/v1/payments", body, key="slow-1")
    ok(s == 200 and h.get("idempotent-replayed") == "true" and
       j["id"] == res["first"][1]["id"], "…and afterwards it replays")
    # keys are per API key: the publishable key's namespace is separate
    s1, j1, _, _ = ps.call("POST", "/v1/tokens", {
        "number": "4242424242424242", "exp_month": 12, "exp_year": 2030,
        "cvc": "123"}, auth="pk", key="slow-1")
    ok(s1 == 200, "keys are scoped per API key")


def test_faults(ps):
    t = ps.tok("4242424242424242")
    body = {"amount": 800, "currency": "jpy", "token": t,
            "capture_method": "manual"}
    ps.call("POST", "/sandbox/faults", {"drop_after_commit": 1}, auth=None)
    dropped = False
    try:
        ps.call("POST", "/v1/payments", body, key="drop-1")
    except (http.client.HTTPException, OSError):
        dropped = True
    ok(dropped, "drop_after_commit: the connection closes without an answer")
    s, j, h, _ = ps.call("POST", "/v1/payments", body, key="drop-1")
    ok(s == 200 and h.get("idempotent-replayed") == "true" and
       j["status"] == "requires_capture",
       "…it was committed: the retry with the same key replays it")
    s, j2, _, _ = ps.call("GET", "/v1/payments/" + j["id"])
    ok(s == 200 and j2["status"] == "requires_capture", "…and inquiry works")
    ps.call("POST", "/sandbox/faults", {"status": 503, "count": 2},
            auth=None)
    s1, j1, _, _ = ps.call("GET", "/v1/payments/" + j["id"])
    s2, _, _, _ = ps.call("GET", "/v1/payments/" + j["id"])
    s3, _, _, _ = ps.call("GET", "/v1/payments/" + j["id"])
    ok(s1 == 503 and s2 == 503 and s3 == 200 and
       j1["error"]["type"] == "api_error", "status 503 for the next 2 calls")
    ps.call("POST", "/sandbox/faults", {"status": 429}, auth=None)
    s, _, h, _ = ps.call("GET", "/v1/payments/" + j["id"])
    ok(s == 429 and h.get("retry-after") == "1", "429 with Retry-After")
    t = ps.tok("4242424242424242")
    ps.call("POST", "/sandbox/faults", {"status": 500}, auth=None)
    b = {"amount": 900, "currency": "jpy", "token": t}
    s1, _, _, _ = ps.call("POST", "/v1/payments", b, key="e500")
    s2, _, h2, _ = ps.call("POST", "/v1/payments", b, key="e500")
    ok(s1 == 500 and s2 == 500 and h2.get("idempotent-replayed") == "true",
       "a 500 while executing is stored and replayed (5xx included)")


def test_webhooks(ps):
    rc = Receiver(fail_first=1)
    ps.call("POST", "/sandbox/webhook", {"url": rc.url}, auth=None)
    s, p, _, _ = ps.pay("4242424242424242")
    ok(rc.wait(lambda ev: len(ev) >= 2), "webhook: retried after a 500")
    with rc.lock:
        ev = list(rc.events)
    if len(ev) >= 2:
        ok(ev[0][0] == ev[1][0] and ev[1][2] - ev[0][2] >= 0.8,
           "webhook: same event again after ~1 s backoff")
        ok(all(verify(ps.whsec, sig, raw) for raw, sig, _ in ev),
           "webhook: Paysim-Signature verifies on the raw body")
        ok(not verify(ps.whsec, ev[0][1], ev[0][0] + b" "),
           "webhook: a changed body fails verification")
        e = json.loads(ev[0][0])
        ok(e["id"].startswith("evt_") and e["type"] == "payment.authorized" and
           e["data"]["object"]["id"] == p["id"] and
           e["data"]["object"]["status"] == "requires_capture",
           "webhook: payment.authorized with the payment object")
    ps.call("POST", "/v1/payments/%s/capture" % p["id"])
    ps.call("POST", "/v1/refunds", {"payment": p["id"], "amount": 100})
    ok(rc.wait(lambda ev: {"payment.captured", "refund.succeeded"} <=
               {json.loads(r)["type"] for r, _, _ in ev}),
       "webhook: payment.captured and refund.succeeded")
    # the receiver has the last one before the agent has marked it
    # delivered (it does once the answer is in): wait for the mark
    deadline = time.time() + 10
    while True:
        s, j, _, _ = ps.call("GET", "/sandbox/events", auth=None)
        done = s == 200 and all(e["state"] == "delivered" for e in j["data"])
        if done or time.time() > deadline:
            break
        time.sleep(0.1)
    ok(done, "events: all delivered (%s)" % (
        [e["state"] for e in j.get("data", [])] if s == 200 else s))
    rc.close()
    # chaos: duplicates and reordering, every event at least once
    rc = Receiver()
    ps.call("POST", "/sandbox/reset", auth=None)
    ps.call("POST", "/sandbox/webhook", {"url": rc.url}, auth=None)
    ps.call("POST", "/sandbox/chaos", {"duplicate": 0.5,
                                       "delay_ms": [0, 400],
                                       "reorder": True}, auth=None)
    ids = []
    for i in range(12):
        s, p, _, _ = ps.pay("4242424242424242", amount=100 + i)
        ids.append(p["id"])
    ok(rc.wait(lambda ev: set(ids) <= {
        json.loads(r)["data"]["object"]["id"] for r, _, _ in ev}),
       "chaos: every event delivered at least once")
    time.sleep(0.5)
    with rc.lock:
        got = [json.loads(r)["data"]["object"]["id"] for r, _, _ in rc.events]
        evids = [json.loads(r)["id"] for r, _, _ in rc.events]
    ok(len(evids) > len(set(evids)), "chaos: some events were duplicated")
    order = [i for i in got if i in ids]
    seen = []
    for i in order:
        if i not in seen:
            seen.append(i)
    ok(seen != ids, "chaos: deliveries were reordered")
    ps.call("POST", "/sandbox/chaos", {}, auth=None)
    rc.close()


def test_clock_holds(ps):
    rc = Receiver()
    ps.call("POST", "/sandbox/webhook", {"url": rc.url}, auth=None)
    s, p, _, _ = ps.pay("4242424242424242")
    ok(p["capture_before"] == p["created"] + 7 * 86400, "capture_before")
    ps.call("POST", "/sandbox/clock", {"advance_s": 7 * 86400 + 1}, auth=None)
    s, j, _, _ = ps.call("GET", "/v1/payments/" + p["id"])
    ok(j["status"] == "canceled" and j["cancellation_reason"] == "expired",
       "hold expires after 7 days of sandbox clock → canceled (expired)")
    ok(rc.wait(lambda ev: any(
        json.loads(r)["type"] == "payment.canceled" and
        json.loads(r)["data"]["object"]["id"] == p["id"] for r, _, _ in ev)),
       "…with a payment.canceled webhook")
    rc.close()


def test_terminal(ps):
    s, j, _, _ = ps.call("POST", "/v1/terminal/collections", {
        "amount": 4500, "metadata": {"order": "RP-T9"}})
    ok(s == 200 and j["id"].startswith("tc_") and j["status"] == "pending" and
       j["url"] == "/hosted/terminal/" + j["id"], "terminal: collection")
    s, _, h, page = ps.call("GET", j["url"], auth=None)
    ok(s == 200 and b"Tap" in page and b"4242424242424242" not in page,
       "terminal page: Tap, no full card numbers")
    s, _, h, _ = ps.call("POST", j["url"], raw=b"card=visa", auth=None,
                         headers={"Content-Type":
                                  "application/x-www-form-urlencoded"})
    ok(s == 303, "terminal: tap → 303")
    s, t, _, _ = ps.call("GET", "/v1/terminal/collections/" + j["id"])
    s2, p, _, _ = ps.call("GET", "/v1/payments/%s" % t["payment"])
    ok(t["status"] == "succeeded" and p["status"] == "succeeded" and
       p["amount_received"] == 4500, "terminal: succeeded with a captured "
       "payment")
    s, j, _, _ = ps.call("POST", "/v1/terminal/collections", {"amount": 100})
    ps.call("POST", j["url"], raw=b"card=insufficient_funds", auth=None)
    s, t, _, _ = ps.call("GET", "/v1/terminal/collections/" + j["id"])
    ok(t["status"] == "failed" and t["failure_code"] == "card_declined",
       "terminal: a declined card → failed")


def test_hosted_field(ps):
    parent = "http://127.0.0.1:8080"
    q = urllib.parse.urlencode({"parent": parent, "pk": ps.pk})
    s, _, h, page = ps.call("GET", "/hosted/field?" + q, auth=None)
    csp = h.get("content-security-policy", "")
    ok(s == 200 and b'id="number"' in page and b'id="exp"' in page and
       b'id="cvc"' in page and b'src="/hosted/field.js"' in page,
       "field: inputs and the external script")
    ok("script-src 'self'" in csp and "frame-ancestors " + parent in csp and
       "unsafe-inline" not in csp and b"<script>" not in page,
       "field: strict CSP, frame-ancestors = parent, no inline script")
    s, _, h, js = ps.call("GET", "/hosted/field.js", auth=None)
    ok(s == 200 and b"ev.origin !== parent" in js and b"'*'" not in js and
       b"paysim:tokenize" in js and b"paysim:token" in js,
       "field.js: checks the origin, replies to the parent only")
    q = urllib.parse.urlencode({"parent": "javascript:alert(1)",
                                "pk": ps.pk})
    s, _, _, _ = ps.call("GET", "/hosted/field?" + q, auth=None)
    ok(s == 400, "field: parent must be an origin")
    q = urllib.parse.urlencode({"parent": parent, "pk": "pk_test_wrong"})
    s, _, _, _ = ps.call("GET", "/hosted/field?" + q, auth=None)
    ok(s == 401, "field: unknown publishable key")


def test_requests_log(ps):
    ps.token("4242 4242 4242 4242", cvc="987")
    ps.pay("5555555555554444")
    s, j, _, _ = ps.call("GET", "/sandbox/requests", auth=None)
    bodies = [json.loads(r["body"]) for r in j["data"]
              if r["path"] == "/v1/tokens"]
    ok(s == 200 and len(bodies) == 2 and
       {b["number"] for b in bodies} == {"424242…4242", "555555…4444"} and
       all(b["cvc"] == "***" for b in bodies) and
       "987" not in json.dumps(j),
       "request log: card numbers masked, CVC dropped")


def scan(path):
    r = subprocess.run([BIN, "scan-pan", path], capture_output=True,
                       text=True)
    return r.returncode, r.stdout + r.stderr


def main():
    ps = Paysim().start()
    try:
        with open(os.path.join(ps.dir, "paysim", "paysim.db"), "rb"):
            pass
        st = os.stat(os.path.join(ps.dir, "paysim", "paysim.db"))
        ok(st.st_mode & 0o777 == 0o600, "paysim.db is 0600")
        def mode(n):
            return os.stat(os.path.join(ps.dir, "paysim", n)).st_mode & 0o777
        # the card key is paysim's alone; the merchant secrets are also
        # its group's (paylink's, under serve); nothing is world-readable
        # but the publishable key, which is public by design
        ok(mode("card.key") == 0o600, "card.key is 0600")
        ok(mode("api.secret") == 0o640 and mode("webhook.secret") == 0o640,
           "merchant secrets are 0640")
        ok(mode("publishable.key") == 0o644, "publishable key is 0644")
        ok(ps.sk.startswith("sk_test_") and len(ps.sk) == 56 and
           ps.pk.startswith("pk_test_") and ps.whsec.startswith("whsec_") and
           len(ps.whsec) == 54, "secret shapes")
        for t in (test_tokens, test_capture_void_refund, test_saved_card,
                  test_3ds, test_idempotency, test_faults, test_webhooks,
                  test_clock_holds, test_terminal, test_hosted_field,
                  test_requests_log):
            ps.call("POST", "/sandbox/reset", auth=None)
            try:
                t(ps)
            except Exception as e:  # keep going: report the rest
                ok(False, "%s raised %r" % (t.__name__, e))
        # restart keeps state
        s, p, _, _ = ps.pay("4242424242424242")
        ok(ps.stop() == 0, "SIGTERM: clean exit 0")
        with open(os.path.join(ps.dir, "paysim.log"), "rb") as f:
            out = f.read()
        ok(b"paysim listening on http://127.0.0.1:" in out,
           "startup line on stdout")
        ps.start()
        s, j, _, _ = ps.call("GET", "/v1/payments/" + p["id"])
        ok(s == 200 and j["status"] == "requires_capture",
           "a restart keeps the state (SQLite)")
        ps.stop()
        rc, out = scan(os.path.join(ps.dir, "paysim"))
        ok(rc == 0, "scan-pan DATA/paysim finds no card number (%s)" %
           out.strip().splitlines()[-1:])
        rc, out = scan(os.path.join(ps.dir, "paysim.log"))
        ok(rc == 0, "scan-pan of paysim's output finds no card number")
    finally:
        if ps.proc is not None:
            ps.proc.kill()
    sys.exit(T.done())


if __name__ == "__main__":
    main()
