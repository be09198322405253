#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""
Issue 10 (security review, web tier), against a spawned, demo-seeded
`rentport serve`: the sites' bearer tokens.

- "my order" links: POST my-order/link makes a token only when a mail is
  queued (none for an unknown number, another site's order, or a second
  request the outbox dedupes within the hour); a new mailed link retires
  the order's older links on that site; using a link retires the others.
- the corporate access code: stored as an argon2id string of the policy's
  cost (m = 19 MiB, t = 2), never an unsalted SHA-256; a pass is bound to
  the code, so changing the code ends every pass given for the old one; a
  site whose setting is the old SHA-256, or a weaker argon2id, stays locked
  (no weaker check is accepted, and the restriction does not fail open).
Prints TAP.
"""
import ctypes
import ctypes.util
import hashlib
import json
import os
import re
import signal
import sqlite3
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sitelib import (A, B, Client, SiteServer, Tap, order_fields,  # noqa
                     place_order)

T = Tap()
ok = T.ok
RP_NUMBER = re.compile(r"^RP-[0-9A-Z]{8}$")


def loc(r):
    return r.header("location")


# ---- the data directory, written as an operator would ---------------------

def auth_db(srv):
    """The identity holder's store: the travellers' tokens live there,
    out of the web workers' reach (issue 11)."""
    return sqlite3.connect(os.path.join(srv.dir, "auth", "auth.db"),
                           timeout=10)


def auth_query(srv, sql, args=()):
    c = auth_db(srv)
    try:
        return list(c.execute(sql, args))
    finally:
        c.close()


def link_rows(srv, number=None):
    sql = "SELECT count(*) FROM cust_tokens WHERE kind = 'link'"
    args = ()
    if number is not None:
        sql += " AND order_number = ?"
        args = (number,)
    return auth_query(srv, sql, args)[0][0]


def settings(srv, slug):
    return json.loads(srv.query("SELECT settings FROM tenants WHERE slug = ?",
                                (slug,))[0][0] or "{}")


def set_settings(srv, slug, s):
    srv.execute("UPDATE tenants SET settings = ? WHERE slug = ?",
                (json.dumps(s), slug))


# libsodium itself (the library rentport links) makes the new hashes, as
# `seed` does: crypto_pwhash_str_alg, argon2id.
_sodium = None


def sodium():
    global _sodium
    if _sodium is None:
        name = ctypes.util.find_library("sodium") or "libsodium.so.23"
        _sodium = ctypes.CDLL(name)
        if _sodium.sodium_init() < 0:
            raise RuntimeError("sodium_init failed")
        _sodium.crypto_pwhash_str_alg.argtypes = [
            ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulonglong,
            ctypes.c_ulonglong, ctypes.c_size_t, ctypes.c_int]
    return _sodium


def argon2id(code, ops=2, mem=19 * 1024 * 1024):
    out = ctypes.create_string_buffer(128)
    alg = 2                                 # crypto_pwhash_ALG_ARGON2ID13
    if sodium().crypto_pwhash_str_alg(out, code.encode(), len(code), ops,
                                      mem, alg) != 0:
        raise RuntimeError("crypto_pwhash_str_alg failed")
    return out.value.decode()


# ---- "my order" links -----------------------------------------------------

def links(srv):
    home = "/c/%s/" % A
    c = Client(srv)
    number, d, _ = place_order(c, home, order_fields(corporate=True))
    ok(number and RP_NUMBER.match(number), "order placed on %s (%s)" %
       (home, number))
    if not number:
        return
    mail0 = srv.wait_mail(number, "order_confirmed", timeout=15)
    ok(mail0 and mail0["token"], "confirmation mail with a link")
    if not (mail0 and mail0["token"]):
        return
    n0 = link_rows(srv)
    ok(link_rows(srv, number) == 1, "one link token for the order: the "
       "confirmation's (%d)" % link_rows(srv, number))

    # no mail, no token: an unknown number, another site's order
    for where, h, num in (("unknown number", home, "RP-ZZZZZZZZ"),
                          ("another site's order", "/", number),
                          ("another client's site", "/c/seiso-eng/", number),
                          ("empty number", home, "")):
        r = Client(srv).post(h + "my-order/link", [("number", num)])
        ok(r.status == 303 and loc(r) == h + "my-order?sent=1",
           "my-order/link (%s) → the same 303 (%d)" % (where, r.status))
    ok(link_rows(srv) == n0, "no link token made for a request that sends no "
       "mail (%d → %d)" % (n0, link_rows(srv)))

    # a real new link: one new token, and the older link no longer opens
    r = Client(srv).post(home + "my-order/link", [("number", number)])
    mail1 = srv.wait_mail(number, "my_order_link", timeout=15)
    ok(mail1 and mail1["token"] and mail1["token"] != mail0["token"],
       "my-order/link mailed a new link")
    if not (mail1 and mail1["token"]):
        return
    ok(link_rows(srv) == n0 + 1, "one token for the one mail (%d → %d)" %
       (n0, link_rows(srv)))
    r = Client(srv).post(home + "my-order/open", [("t", mail0["token"])])
    ok(r.status == 410, "the confirmation's link no longer opens once a new "
       "link is mailed → 410 (%d)" % r.status)

    # the same hour again: the outbox sends nothing, so no token either
    for i in range(3):
        r = Client(srv).post(home + "my-order/link", [("number", number)])
        ok(r.status == 303, "my-order/link again (#%d) → 303" % (i + 1))
    time.sleep(1.0)
    ok(len(srv.mail_files(number, "my_order_link")) == 1,
       "deduped within the hour: one my_order_link mail")
    ok(link_rows(srv) == n0 + 1, "no token for the deduped requests (%d, "
       "want %d)" % (link_rows(srv), n0 + 1))

    # a link still out from before (e.g. mailed by an older release): using
    # the newest one retires it
    older = "OlderLinkTokenFromAnEarlierMail0123456789xA"
    assert len(older) == 43                 # RP_CUST_TOKEN_LEN
    c2 = auth_db(srv)
    try:
        now = int(time.time())
        c2.execute("INSERT INTO cust_tokens (token_hash, sid, kind, "
                   "tenant_id, order_number, created_at, expires_at) VALUES "
                   "(?, 'a1b2c3d4e5f60718', 'link', ?, ?, ?, ?)",
                   (hashlib.sha256(older.encode()).digest(),
                    srv.tenant_id(A), number, now - 60, now + 86400))
        c2.commit()
    finally:
        c2.close()
    r = Client(srv).get(home + "my-order/open?t=" + older)
    ok(r.status == 200 and Client.html(r).form(home + "my-order/open"),
       "the older link is well-formed (its open page shows)")
    b = Client(srv)
    r = b.post(home + "my-order/open", [("t", mail1["token"])])
    ok(r.status == 303 and loc(r) == home + "my-order",
       "the newest link opens the order (%d %s)" % (r.status, loc(r)))
    m = Client.html(b.get(home + "my-order"))
    ok(m.by_id("order-number") == number, "its session shows the order")
    r = Client(srv).post(home + "my-order/open", [("t", older)])
    ok(r.status == 410, "using a link retired the order's other links → "
       "410 (%d)" % r.status)
    unused = auth_query(srv, "SELECT count(*) FROM cust_tokens WHERE kind = "
                        "'link' AND order_number = ? AND used_at = 0",
                        (number,))[0][0]
    ok(unused == 0, "no unused link left for the order (%d)" % unused)

    # the identity holder stopped: the session's pages fail closed (503,
    # nothing of the order or its traveller), and work again after
    auth = srv.titled("rentport: auth")
    ok(len(auth) == 1, "one identity holder (auth) process")
    if auth:
        os.kill(auth[0], signal.SIGSTOP)
        try:
            r = b.get(home + "my-order")
            body = r.body.decode("utf-8", "replace")
            ok(r.status == 503 and number not in body,
               "identity holder down: my-order → 503, nothing of the order "
               "(%d)" % r.status)
            r = Client(srv).post(home + "my-order/open", [("t", older)])
            ok(r.status == 503, "identity holder down: opening a link → 503 "
               "(%d)" % r.status)
        finally:
            os.kill(auth[0], signal.SIGCONT)
        m = Client.html(b.get(home + "my-order"))
        ok(m.by_id("order-number") == number,
           "identity holder back: the session shows the order again")


# ---- the corporate access code --------------------------------------------

def passes(srv):
    home = "/c/%s/" % B
    code = srv.access_codes.get(B)
    ok(code, "demo-logins.txt has %s's access code" % B)
    s = settings(srv, B)
    h = s.get("access_code_hash", "")
    ok(h.startswith("$argon2id$v=19$m=19456,t=2,p=1$") and
       "access_code_sha256" not in s,
       "%s's code is stored as argon2id (m = 19 MiB, t = 2), no SHA-256 "
       "(%r)" % (B, h[:40] or sorted(s)))
    ok(code not in json.dumps(s) and hashlib.sha256(
        (code or "").encode()).hexdigest() not in json.dumps(s),
       "neither the code nor its bare SHA-256 in the settings")

    c = Client(srv)
    r = c.post(home + "access", [("code", code or "")])
    ok(r.status == 303 and loc(r) == home + "plans" and "rp_pass" in c.jar,
       "the code → 303 plans and a pass (%d)" % r.status)
    ok(c.get(home + "plans").status == 200, "with the pass: plans")
    old_pass = c.jar.get("rp_pass")

    # the operator sets a new code
    new = "NEWCODE2345"
    s["access_code_hash"] = argon2id(new)
    set_settings(srv, B, s)
    r = c.get(home + "plans")
    ok(r.status == 303 and loc(r) == home,
       "after the code changed, the old pass → 303 home (%d)" % r.status)
    p = Client.html(c.get(home))
    ok(p.form(home + "access") is not None, "home asks for the code again")
    r = Client(srv).post(home + "access", [("code", code or "")])
    ok(r.status == 403, "the old code → 403 (%d)" % r.status)
    n = Client(srv)
    r = n.post(home + "access", [("code", new)])
    ok(r.status == 303 and n.jar.get("rp_pass") not in (None, old_pass),
       "the new code → 303 and a new pass (%d)" % r.status)
    ok(n.get(home + "plans").status == 200, "the new pass works")
    # the same code hashed again (new salt) also ends the passes
    s["access_code_hash"] = argon2id(new)
    set_settings(srv, B, s)
    ok(n.get(home + "plans").status == 303,
       "the code set again (new salt): that pass ends too")

    # nothing weaker is accepted, and the site does not open instead
    for what, value in (
            ("a weaker argon2id (m = 8 MiB, t = 1)",
             {"access_code_hash": argon2id(new, ops=1, mem=8 << 20)}),
            ("the old unsalted SHA-256",
             {"access_code_sha256": hashlib.sha256(new.encode()).hexdigest()})):
        t = {k: v for k, v in s.items() if not k.startswith("access_code")}
        t.update(value)
        set_settings(srv, B, t)
        x = Client(srv)
        r = x.get(home + "plans")
        ok(r.status == 303 and loc(r) == home,
           "%s: the site stays locked (%d)" % (what, r.status))
        r = x.post(home + "access", [("code", new)])
        ok(r.status == 403 and "rp_pass" not in x.jar,
           "%s: the right code is refused → 403 (%d)" % (what, r.status))
    s["access_code_hash"] = argon2id(new)
    set_settings(srv, B, s)
    x = Client(srv)
    ok(x.post(home + "access", [("code", new)]).status == 303,
       "a policy-strength hash again: the code opens the site")


def main():
    srv = SiteServer(workers=2)
    srv.start()
    try:
        links(srv)
        passes(srv)
    except Exception:
        import traceback
        ok(False, "no exception: " + traceback.format_exc().replace(
            "\n", " | "))
    finally:
        if T.failed:
            print("# " + srv.log_tail().replace("\n", "\n# "))
        rc = srv.stop()
        ok(rc == 0, "server stopped cleanly (%s)" % rc)
        if not T.failed:
            srv.cleanup()
        else:
            print("# data kept in %s" % srv.dir)
    return T.done()


if __name__ == "__main__":
    sys.exit(main())
