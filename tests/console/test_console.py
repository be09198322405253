#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""
The staff console and its JSON API (issue 11) against a spawned,
demo-seeded `rentport serve`, signing in with the demo logins' TOTP
secrets (codes made with oathtool, the tool a newcomer uses):

  * JSON API: POST /api/v1/session → token, role, expires_at; GET
    /api/v1/me; DELETE /api/v1/session; wrong password, wrong code and an
    unknown user get the same answer; a replayed code is refused; a
    disabled account (rentport staff disable, while serve runs) is refused
    and its open session ends;
  * the console in HTML: sign-in with CSRF and Origin, the role's home,
    the sessions list and revoke, sign-out; enrolment (password alone at
    the first sign-in → the otpauth QR code, then the first code);
  * role confinement on every staff route: a counter login cannot open
    back-office pages or another counter's; a client administrator only
    its own client; the public and corporate sites have no staff route;
  * the identity holder stopped → 503, nothing half done;
  * brute force → the address is banned (ips_login_max), on both ports.
Prints TAP.
"""
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "http"))
from harness import Server, Tap  # noqa: E402

BIN = os.environ["RENTPORT_BIN"]
T = Tap()
ok = T.ok


def totp(secret, at=None):
    args = ["oathtool", "--totp", "-b", secret]
    if at is not None:
        args += ["-N", "@%d" % at]
    return subprocess.run(args, capture_output=True, text=True,
                          check=True).stdout.strip()


def fresh_code(secret, used):
    """A code whose 30-s step was not used yet (waits for the next)."""
    while True:
        step = int(time.time()) // 30
        if step not in used:
            used.add(step)
            return totp(secret)
        time.sleep(0.5)


class Browser:
    """Cookies, CSRF and Origin, like a browser on the console's origin."""

    def __init__(self, port):
        self.port = port
        self.origin = "http://127.0.0.1:%d" % port
        self.cookies = {}

    def req(self, method, path, form=None, origin=True):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        h = {}
        if self.cookies:
            h["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            h["Content-Type"] = "application/x-www-form-urlencoded"
            if origin:
                h["Origin"] = self.origin
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read().decode("utf-8", "replace")
        for k, v in r.getheaders():
            if k.lower() == "set-cookie":
                name, val = v.split(";", 1)[0].split("=", 1)
                if "Max-Age=0" in v:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = val
        loc = r.getheader("Location")
        c.close()
        return r.status, data, loc

    def csrf(self, path="/sign-in"):
        s, page, _ = self.req("GET", path)
        m = re.search(r'name="csrf" value="([^"]+)"', page)
        return m.group(1) if m else ""

    def post(self, path, fields, origin=True, csrf_from="/sign-in"):
        f = dict(fields)
        f["csrf"] = self.csrf(csrf_from)
        return self.req("POST", path, f, origin)


def api(port, method, path, body=None, token=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    h = {"Content-Type": "application/json"}
    if token:
        h["Authorization"] = "Bearer " + token
    c.request(method, path, body=None if body is None else json.dumps(body),
              headers=h)
    r = c.getresponse()
    raw = r.read()
    c.close()
    try:
        j = json.loads(raw) if raw else None
    except ValueError:
        j = None
    return r.status, j


def logins(d):
    out = {}
    for line in open(os.path.join(d, "demo-logins.txt")):
        f = line.split()
        if len(f) == 4 and not line.startswith("#") and \
                re.fullmatch(r"[A-Z2-7]{32}", f[2]):
            out[f[0]] = {"password": f[1], "secret": f[2], "role": f[3]}
    return out


def main():
    d = tempfile.mkdtemp(prefix="rentport-console-")
    seed = subprocess.run([BIN, "seed", "--demo", "--data-dir=" + d],
                          capture_output=True, text=True)
    ok(seed.returncode == 0, "demo seed")
    L = logins(d)
    ok({"backoffice", "counter-nrt1", "counter-hnd3", "security", "incident",
        "admin-shinonome-shoji"} <= set(L),
       "demo-logins.txt: username password totp-secret role for every login")
    srv = Server(workers=1, data_dir=d, args=["--ips-login-max=12"])
    srv.start()
    port = srv.console_port
    used = {k: set() for k in L}
    try:
        out = open(os.path.join(d, "server.log")).read()
        # -- JSON API -------------------------------------------------------
        bo = L["backoffice"]
        code = fresh_code(bo["secret"], used["backoffice"])
        s, j = api(port, "POST", "/api/v1/session",
                   {"user": "backoffice", "password": bo["password"],
                    "totp": code})
        ok(s == 201 and j and j["role"] == "backoffice" and
           j["token"].startswith("rps_") and j["expires_at"] > time.time(),
           "POST /api/v1/session → token, role, expires_at (%s)" % s)
        tok = j["token"] if j else ""
        s, me = api(port, "GET", "/api/v1/me", token=tok)
        ok(s == 200 and me["user"] == "backoffice" and
           me["role"] == "backoffice" and len(me["session"]) == 16,
           "GET /api/v1/me names the user, role and session")
        s, j = api(port, "POST", "/api/v1/session",
                   {"user": "backoffice", "password": bo["password"],
                    "totp": code})
        ok(s == 401 and j["error"]["code"] == "invalid_credentials",
           "the same code again (replay) → 401")
        answers = []
        for body in ({"user": "backoffice", "password": "wrong-password",
                      "totp": totp(bo["secret"])},
                     {"user": "backoffice", "password": bo["password"],
                      "totp": "000000"},
                     {"user": "no-such-user", "password": "x", "totp": "123456"}):
            s, j = api(port, "POST", "/api/v1/session", body)
            j["error"].pop("request_id", None)
            answers.append((s, json.dumps(j, sort_keys=True)))
        ok(answers[0][0] == 401 and len(set(answers)) == 1,
           "wrong password, wrong code, unknown user: one and the same answer")
        s, j = api(port, "POST", "/api/v1/session", {"user": "backoffice"})
        ok(s == 400, "missing fields → 400")
        s, j = api(port, "GET", "/api/v1/me", token="rps_" + "0" * 64)
        ok(s == 401, "an unknown token → 401")
        s, j = api(port, "GET", "/api/v1/me")
        ok(s == 401, "no token → 401")

        # revoke by signing out (API)
        inc = L["incident"]
        s, j = api(port, "POST", "/api/v1/session",
                   {"user": "incident", "password": inc["password"],
                    "totp": fresh_code(inc["secret"], used["incident"])})
        ok(s == 201, "incident signs in")
        itok = j["token"]
        s, _ = api(port, "DELETE", "/api/v1/session", token=itok)
        ok(s == 204, "DELETE /api/v1/session → 204")
        s, _ = api(port, "GET", "/api/v1/me", token=itok)
        ok(s == 401, "the signed-out token → 401")

        # disabled while signed in
        sec = L["security"]
        s, j = api(port, "POST", "/api/v1/session",
                   {"user": "security", "password": sec["password"],
                    "totp": fresh_code(sec["secret"], used["security"])})
        stok = j["token"] if s == 201 else ""
        r = subprocess.run([BIN, "staff", "disable", "security",
                            "--data-dir=" + d], capture_output=True, text=True)
        ok(r.returncode == 0, "rentport staff disable security (serve running)")
        s, _ = api(port, "GET", "/api/v1/me", token=stok)
        ok(s == 401, "its open session ends at once")
        s, j = api(port, "POST", "/api/v1/session",
                   {"user": "security", "password": sec["password"],
                    "totp": fresh_code(sec["secret"], used["security"])})
        ok(s == 401 and j["error"]["code"] == "invalid_credentials",
           "a disabled account: the same 401")
        r = subprocess.run([BIN, "staff", "list", "--data-dir=" + d],
                           capture_output=True, text=True)
        ok(re.search(r"^security\s+security\s.*disabled$", r.stdout, re.M),
           "rentport staff list shows it disabled")

        # -- the console in HTML -------------------------------------------
        b = Browser(port)
        s, page, _ = b.req("GET", "/")
        ok(s == 303, "/ without a session → to the sign-in page")
        s, page, _ = b.req("GET", "/sign-in?lang=en")
        ok(s == 200 and 'name="code"' in page and "Sign in" in page,
           "the sign-in page (en)")
        s, page, _ = b.req("GET", "/sign-in?lang=ja")
        ok(s == 200 and "サインイン" in page, "the sign-in page (ja)")
        s, page, _ = b.post("/sign-in", {"user": "backoffice",
                            "password": bo["password"],
                            "code": fresh_code(bo["secret"], used["backoffice"])},
                            origin=False)
        ok(s == 403, "a POST without Origin or Referer → 403")
        s, _, loc = b.post("/sign-in", {"user": "backoffice",
                           "password": bo["password"],
                           "code": fresh_code(bo["secret"], used["backoffice"])})
        ok(s == 303 and loc and loc.endswith("/backoffice"),
           "password + code → the back office's home (%s %s)" % (s, loc))
        ok("staff" in b.cookies, "a session cookie")
        s, page, _ = b.req("GET", "/backoffice")
        ok(s == 200 and "backoffice" in page and 'id="who"' in page,
           "the back-office home names the user")
        for path in ("/counter/NRT1", "/incident", "/security",
                     "/client/shinonome-shoji"):
            s, _, _ = b.req("GET", path)
            ok(s == 403, "back office may not open %s (%s)" % (path, s))
        s, page, _ = b.req("GET", "/sessions")
        sids = re.findall(r'data-sid="([0-9a-f]{16})"', page)
        ok(s == 200 and len(sids) >= 2,
           "the sessions list shows the API and console sessions (%d)"
           % len(sids))
        ok(me["session"] in sids, "including the API session")
        s, _, loc = b.post("/sessions/revoke", {"sid": me["session"]},
                           csrf_from="/sessions")
        ok(s == 303, "revoke the API session")
        s, _ = api(port, "GET", "/api/v1/me", token=tok)
        ok(s == 401, "the revoked session → 401")
        s, page, _ = b.req("GET", "/backoffice")
        ok(s == 200, "this one goes on")
        s, _, loc = b.post("/sign-out", {}, csrf_from="/backoffice")
        ok(s == 303 and "staff" not in b.cookies, "sign-out")
        s, _, loc = b.req("GET", "/backoffice")
        ok(s == 303 and loc.endswith("sign-in"),
           "after sign-out → the sign-in page")

        # a wrong code in the console: the one message, 401
        b = Browser(port)
        s, page, _ = b.post("/sign-in", {"user": "backoffice",
                            "password": bo["password"], "code": "000000"})
        ok(s == 401 and 'id="failed"' in page, "a wrong code: the one message")

        # counters: their own counter only
        cn = L["counter-nrt1"]
        b = Browser(port)
        s, _, loc = b.post("/sign-in", {"user": "counter-nrt1",
                           "password": cn["password"],
                           "code": fresh_code(cn["secret"], used["counter-nrt1"])})
        ok(s == 303 and loc.endswith("/counter/NRT1"),
           "a counter login → its counter's home (%s)" % loc)
        s, _, _ = b.req("GET", "/counter/NRT1")
        ok(s == 200, "its own counter: 200")
        cb = b
        for path in ("/counter/HND3", "/backoffice", "/incident", "/security",
                     "/client/shinonome-shoji"):
            s, _, _ = b.req("GET", path)
            ok(s == 403, "counter-nrt1 may not open %s (%s)" % (path, s))

        # a client administrator: its own client only; first sign-in
        # with the password alone → enrolment with the QR code
        ad = L["admin-shinonome-shoji"]
        b = Browser(port)
        s, page, _ = b.post("/sign-in", {"user": "admin-shinonome-shoji",
                            "password": ad["password"], "code": ""})
        ok(s == 200 and 'id="qr"' in page and ad["secret"] in page,
           "first sign-in without a code → the QR code and the key")
        ok("staff" not in b.cookies, "no session yet during enrolment")
        s, _, loc = b.post("/enrol", {"code": fresh_code(
            ad["secret"], used["admin-shinonome-shoji"])})
        ok(s == 303 and loc.endswith("/client/shinonome-shoji"),
           "the first code completes enrolment (%s)" % loc)
        s, _, _ = b.req("GET", "/client/shinonome-shoji")
        ok(s == 200, "its own client: 200")
        for path in ("/client/seiso-eng", "/client/mizunagi-pharma",
                     "/backoffice", "/counter/NRT1"):
            s, _, _ = b.req("GET", path)
            ok(s == 403, "the client admin may not open %s (%s)" % (path, s))
        b2 = Browser(port)
        s, page, _ = b2.post("/sign-in", {"user": "admin-shinonome-shoji",
                             "password": ad["password"], "code": ""})
        ok(s == 401 and 'id="qr"' not in page,
           "once enrolled, the password alone opens nothing")

        # the security officer and the incident responder: their own home
        # and no other role's (every role-bound staff route, each role)
        homes = {"backoffice": "/backoffice", "security": "/security",
                 "incident": "/incident", "counter-nrt1": "/counter/NRT1",
                 "counter-hnd3": "/counter/HND3",
                 "admin-shinonome-shoji": "/client/shinonome-shoji",
                 "admin-seiso-eng": "/client/seiso-eng",
                 "admin-mizunagi-pharma": "/client/mizunagi-pharma"}
        r = subprocess.run([BIN, "staff", "enable", "security",
                            "--data-dir=" + d], capture_output=True, text=True)
        ok(r.returncode == 0, "rentport staff enable security (serve running)")
        for who in ("security", "incident"):
            w = L[who]
            b = Browser(port)
            s, _, loc = b.post("/sign-in", {"user": who,
                               "password": w["password"],
                               "code": fresh_code(w["secret"], used[who])})
            ok(s == 303 and loc and loc.endswith(homes[who]),
               "%s → its home (%s %s)" % (who, s, loc))
            s, _, _ = b.req("GET", homes[who])
            ok(s == 200, "%s: its own home 200 (%s)" % (who, s))
            others = sorted(set(homes.values()) - {homes[who]})
            codes = [b.req("GET", path)[0] for path in others]
            ok(all(c == 403 for c in codes),
               "%s may open no other role's route (%s)" %
               (who, dict(zip(others, codes))))

        # the sites have no staff route
        for path in ("/sign-in", "/sessions", "/backoffice", "/api/v1/me",
                     "/api/v1/session", "/counter/NRT1", "/c/seiso-eng/sign-in"):
            s = srv.get(path).status
            ok(s == 404, "the sites' port: %s → 404 (%s)" % (path, s))

        # the identity holder stopped: 503, nothing half done
        auth = srv.titled("rentport: auth")
        ok(len(auth) == 1, "one auth process")
        if auth:
            os.kill(auth[0], signal.SIGSTOP)
            try:
                s, j = api(port, "POST", "/api/v1/session",
                           {"user": "incident", "password": inc["password"],
                            "totp": totp(inc["secret"])})
                ok(s == 503 and j["error"]["code"] == "unavailable",
                   "identity holder down: sign-in → 503")
                s, page, _ = cb.req("GET", "/counter/NRT1")
                ok(s == 503, "identity holder down: a console page → 503")
            finally:
                os.kill(auth[0], signal.SIGCONT)
        out = open(os.path.join(d, "log", "rentport.log")).read()
        ok(bo["password"] not in out and bo["secret"] not in out and
           "rps_" not in out, "no password, secret or token in rentport.log")

        # brute force: the address is banned (ips_login_max = 12)
        codes = []
        for i in range(14):
            try:
                s, _ = api(port, "POST", "/api/v1/session",
                           {"user": "incident", "password": "guess-%d" % i,
                            "totp": "123456"})
            except (ConnectionError, OSError):
                s = 0
            codes.append(s)
        # (the failures above, from the same address, count too)
        first = codes.index(0) if 0 in codes else len(codes)
        ok(first > 0 and codes[:first] == [401] * first and
           codes[first:] == [0] * (len(codes) - first),
           "brute force: 401s, then the connection is refused (%s)" % codes)
        try:
            s = srv.get("/healthz").status
        except (ConnectionError, OSError):
            s = 0
        ok(s == 0, "the ban holds on the sites' port too")
    finally:
        srv.stop()

    # idle expiry: a server whose sessions end after 2 s without a request
    # (the brute-force ban above is kept in the store: lift it first)
    r = subprocess.run([BIN, "ban", "remove", "127.0.0.1", "--data-dir=" + d],
                       capture_output=True, text=True)
    ok(r.returncode == 0, "rentport ban remove 127.0.0.1 (%s)" % r.stderr.strip())
    srv = Server(workers=1, data_dir=d, args=["--staff-idle-s=2",
                                              "--ips-login-max=0"])
    srv.start()
    port = srv.console_port
    try:
        cn = L["counter-hnd3"]
        s, j = api(port, "POST", "/api/v1/session",
                   {"user": "counter-hnd3", "password": cn["password"],
                    "totp": fresh_code(cn["secret"], used["counter-hnd3"])})
        ok(s == 201 and j["expires_at"] > time.time() + 3600,
           "sign-in (idle timeout 2 s; the absolute end hours away)")
        t = j["token"] if s == 201 else ""
        s, me = api(port, "GET", "/api/v1/me", token=t)
        ok(s == 200 and me["idle_until"] <= time.time() + 3,
           "in use: idle_until moves with each request")
        time.sleep(3.5)
        s, j = api(port, "GET", "/api/v1/me", token=t)
        ok(s == 401 and j["error"]["code"] == "session_expired",
           "3.5 s idle: 401 session_expired")
    finally:
        srv.stop()
    return T.done()


if __name__ == "__main__":
    sys.exit(main())
