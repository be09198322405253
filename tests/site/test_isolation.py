#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""
Tenant isolation of the ordering sites and the JSON API, against a
spawned, demo-seeded `rentport serve`.

An order is placed on client A (shinonome-shoji) and one on the public
site; their browsers keep the "my order" session (cookie rp_my) and the
e-mailed one-time links.  Then, for every site route of src/web/routes.c
(read from the table, so a new route is covered, and the test fails if a
route of the table was not exercised), another site is asked with the
victim's identifiers:

- B (mizunagi-pharma, by path and by host, with B's access pass), the
  public site and seiso-eng holding A's session; A holding the public
  session: no page shows the victim's order, number or traveller; my-order
  asks for a link; order/done, change, cancel and receipt redirect to
  my-order; change and cancel POSTs change nothing; the victim's one-time
  link answers 410 there and still works on its own site afterwards;
  my-order/link with the victim's number answers as for any number and
  queues no mail;
- /c/A/... sent with Host: B.localhost (and the reverse) → 404 on every
  route;
- the JSON API (docs/openapi.yaml) with B's key: A's order → 404, its
  cancel → 404 and A's order unchanged, plans and quotes at B's prices;
  a public order number with a corporate key → 404; cookies grant nothing.
Prints TAP.
"""
import json
import os
import re
import sys
import time

sys.dont_write_bytecode = True           # no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sitelib import (A, B, SEISO, HISTORY, Client, SiteServer, Tap,  # noqa
                     confirmed, day, messages, order_fields, place_order,
                     route_table, security_headers_ok)

T = Tap()
ok = T.ok
JA = messages("ja")
RP_NUMBER = re.compile(r"^RP-[0-9A-Z]{8}$")
COLOURS = {A: "#b0413e", B: "#1d6b57", SEISO: "#1f3a68"}


def diag(msg):
    for line in str(msg).splitlines():
        print("# " + line, flush=True)


def loc(r):
    return r.header("location") or ""


class Victim:
    """An order and what its traveller's browser holds."""

    def __init__(self, srv, label, slug, name, kana, email):
        self.srv, self.label, self.slug = srv, label, slug
        self.home = "/c/%s/" % slug if slug else "/"
        self.name, self.kana, self.email = name, kana, email
        self.browser = Client(srv)
        self.number, d, _ = place_order(self.browser, self.home, order_fields(
            corporate=bool(slug), name=name, kana=kana, email=email))
        ok(self.number and RP_NUMBER.match(self.number),
           "%s: order %s placed" % (label, self.number))
        self.session = self.browser.jar.get("rp_my")
        m = srv.wait_mail(self.number, "order_confirmed", timeout=15)
        ok(m is not None and m["token"], "%s: confirmation mail with the "
           "one-time link" % label)
        self.token = m["token"] if m else ""
        self.row = srv.order_row(self.number)

    def secrets(self):
        return [self.number, self.name, self.kana, self.email]

    def unchanged(self):
        return self.srv.order_row(self.number) == self.row


class Attacker:
    """A site (public, /c/SLUG/ or by host) used with a victim's things."""

    def __init__(self, srv, label, slug, by_host=False):
        self.srv, self.label, self.slug, self.by_host = srv, label, slug, \
            by_host
        self.host = slug + ".localhost" if by_host else None
        self.home = "/c/%s/" % slug if slug and not by_host else "/"

    def __str__(self):
        return self.label

    def fields(self, **kw):
        """A valid order for this site (seiso-eng wants its own domain)."""
        if self.slug == SEISO:
            kw.setdefault("email", "someone@seiso-eng.example")
        return order_fields(corporate=bool(self.slug), **kw)

    def client(self):
        c = Client(self.srv, host=self.host)
        if self.slug in self.srv.access_codes:
            r = c.post(self.home + "access",
                       [("code", self.srv.access_codes[self.slug])])
            ok(r.status == 303 and "rp_pass" in c.jar,
               "%s: the access pass" % self.label)
        return c

    def patterns(self, table):
        """The table's site routes this site answers: (method, pattern,
        path) with {slug} filled in."""
        out = []
        for m, p, h in table:
            if not h.startswith("site_"):
                continue
            if p.startswith("/c/{slug}") != (self.slug is not None and
                                             not self.by_host):
                continue
            out.append((m, p, p.replace("{slug}", self.slug or "")))
        return out


def price_of(srv, slug, plan):
    if slug:
        rows = srv.query("SELECT l.daily_yen FROM price_list l JOIN plans p "
                         "ON p.id = l.plan_id JOIN tenants t ON "
                         "t.id = l.tenant_id WHERE p.code = ? AND t.slug = ?",
                         (plan, slug))
        if rows:
            return rows[0][0]
    return srv.query("SELECT daily_yen FROM plans WHERE code = ?",
                     (plan,))[0][0]


def yen(n):
    return "{:,}".format(n)


def plan_row_price(text, plan):
    m = re.search(r"<tr>(?:(?!</tr>).)*?plan=%s\"(?:(?!</tr>).)*</tr>" %
                  re.escape(plan), text, re.S)
    p = m and re.search(r"¥([0-9,]+)", m.group(0))
    return p.group(1) if p else None


# ---- the sweep over every site route -------------------------------------

def sweep(srv, att, vic, table, exercised):
    """Every site route of att, holding vic's session cookie."""
    x = att.client()
    tname = srv.query("SELECT name FROM tenants WHERE slug = ?",
                      (att.slug,))[0][0] if att.slug else None
    price = yen(price_of(srv, att.slug, "US-R-1G"))
    what = "%s holding %s's session" % (att, vic.label)
    n_before = srv.order_count()

    def hold():
        x.jar["rp_my"] = vic.session

    def no_leak(r, desc):
        t = r.body.decode("utf-8", "replace")
        leaked = [s for s in vic.secrets() if s and s in t]
        ok(not leaked and "rp_my=" + vic.session not in
           " ".join(r.header_all("set-cookie")),
           "%s: %s shows nothing of %s's order (leaked: %s)" %
           (what, desc, vic.label, leaked))

    def expect_redirect_my(r, desc):
        ok(r.status == 303 and loc(r) == att.home + "my-order",
           "%s: %s → 303 %smy-order (%d %s)" % (what, desc, att.home,
                                                r.status, loc(r)))

    q = ("?plan=US-R-1G&depart=%s&return=%s&pickup_counter=NRT1"
         "&return_counter=NRT1" % (day(20), day(26)))

    def g_home(path):
        r = x.get(path)
        h1 = Client.html(r).h1()
        ok(r.status == 200 and h1 == (tname or JA["home.title"]),
           "%s: GET %s → 200, this site's home (%r)" % (what, path, h1))
        return r

    def g_css(path):
        r = x.get(path)
        body = r.body.decode()
        others = [c for s, c in COLOURS.items() if s != att.slug]
        ok(r.status == 200 and (COLOURS.get(att.slug, "") in body) and
           not any(c in body for c in others),
           "%s: GET %s → this site's colours only" % (what, path))
        return r

    def p_access(path):
        code = srv.access_codes.get(att.slug)
        r = x.post(path, [("code", code or "WRONGCODE1")])
        if code:
            ok(r.status == 303 and loc(r) == att.home + "plans",
               "%s: POST %s with this site's code → 303 plans (%d)" %
               (what, path, r.status))
        else:
            ok(r.status == 404, "%s: POST %s on a site without a code → 404 "
               "(%d)" % (what, path, r.status))
        return r

    def g_plans(path):
        r = x.get(path + "?destination=US")
        got = plan_row_price(r.body.decode(), "US-R-1G")
        ok(r.status == 200 and got == price,
           "%s: GET %s → US-R-1G at this site's ¥%s (got ¥%s)" %
           (what, path, price, got))
        return r

    def g_quote(path):
        r = x.get(path + q)
        t = r.body.decode()
        ok(r.status == 200 and '<table class="quote">' in t and
           "¥%s" % price in t,
           "%s: GET %s → a quote at this site's ¥%s" % (what, path, price))
        return r

    def g_order(path):
        r = x.get(path + "?plan=US-R-1G")
        f = Client.html(r).form(att.home + "order")
        ok(r.status == 200 and f is not None,
           "%s: GET %s → this site's order form" % (what, path))
        return r

    def p_order(path):
        r = x.post(path, att.fields())
        ok(r.status == 200 and Client.html(r).h1() == JA["review.title"],
           "%s: POST %s → 200 review of this site's order" % (what, path))
        return r

    def p_confirm(path):
        r = x.post(att.home + "order", att.fields(name="攻撃 太郎",
                                                  kana="コウゲキ タロウ"))
        f = Client.html(r).form(att.home + "order/confirm")
        r = x.submit(f) if f else r
        ok(confirmed(r, att.home), "%s: POST %s → 303 order/done (or, card "
           "billing, the payment page) (%d)" % (what, path, r.status))
        d = x.get(att.home + "order/done")
        num = Client.html(d).by_id("order-number")
        row = srv.query("SELECT tenant_id FROM orders WHERE number = ?",
                        (num,))
        tid = srv.tenant_id(att.slug) if att.slug else 0
        ok(num and num != vic.number and row and (row[0][0] or 0) == tid,
           "%s: the order placed is a new one of this site (%s)" %
           (what, num))
        no_leak(d, "order/done after placing")
        hold()
        return r

    def g_done(path):
        r = x.get(path)
        expect_redirect_my(r, "GET " + path)
        return r

    def g_my(path):
        r = x.get(path)
        p = Client.html(r)
        ok(r.status == 200 and p.by_id("order-number") is None and
           p.form(att.home + "my-order/link") is not None,
           "%s: GET %s → the request-a-link form, no order (%d)" %
           (what, path, r.status))
        return r

    def p_link(path):
        answers = []
        for num in (vic.number, "RP-ZZZZZZZZ"):
            r = x.post(path, [("number", num)])
            answers.append((r.status, loc(r), r.body))
            no_leak(r, "POST %s (%s)" % (path, num))
        ok(answers[0] == answers[1] and answers[0][:2] ==
           (303, att.home + "my-order?sent=1"),
           "%s: POST %s with %s's number → the same answer as for an "
           "unknown number (%s)" % (what, path, vic.label,
                                    [a[:2] for a in answers]))
        return r

    def g_open(path):
        r = x.get(path + "?t=" + vic.token)
        ok(r.status == 200, "%s: GET %s?t=<%s's link> → 200 (a button, "
           "nothing used)" % (what, path, vic.label))
        return r

    def p_open(path):
        r = x.post(path, [("t", vic.token)])
        ok(r.status == 410 and not any(h.startswith("rp_my=") for h in
                                       r.header_all("set-cookie")),
           "%s: POST %s with %s's link → 410, no session (%d)" %
           (what, path, vic.label, r.status))
        return r

    def g_redirect(path):
        r = x.get(path)
        expect_redirect_my(r, "GET " + path)
        return r

    def p_change(path):
        r = x.post(path, [("depart", day(40)), ("return", day(45)),
                          ("opt", "insurance_full")])
        expect_redirect_my(r, "POST " + path)
        ok(vic.unchanged(), "%s: POST %s left %s's order unchanged (%s)" %
           (what, path, vic.label, srv.order_row(vic.number)))
        return r

    def p_cancel(path):
        r = x.post(path)
        expect_redirect_my(r, "POST " + path)
        ok(vic.unchanged(), "%s: POST %s left %s's order unchanged" %
           (what, path, vic.label))
        return r

    def p_pay(path):
        r = x.post(path, [("payment_token", "tok_" + "a" * 24)])
        expect_redirect_my(r, "POST " + path)
        ok(vic.unchanged(), "%s: POST %s left %s's order unchanged" %
           (what, path, vic.label))
        return r

    actions = {
        ("GET", ""): g_home, ("GET", "brand.css"): g_css,
        ("POST", "access"): p_access, ("GET", "plans"): g_plans,
        ("GET", "quote"): g_quote, ("GET", "order"): g_order,
        ("POST", "order"): p_order, ("POST", "order/confirm"): p_confirm,
        ("GET", "order/done"): g_done, ("GET", "my-order"): g_my,
        ("POST", "my-order/link"): p_link, ("GET", "my-order/open"): g_open,
        ("POST", "my-order/open"): p_open,
        ("GET", "my-order/change"): g_redirect,
        ("POST", "my-order/change"): p_change,
        ("GET", "my-order/cancel"): g_redirect,
        ("POST", "my-order/cancel"): p_cancel,
        ("GET", "my-order/receipt"): g_redirect,
        # the card step (someone else's order never reaches it)
        ("GET", "order/paid"): g_redirect, ("GET", "my-order/pay"): g_redirect,
        ("POST", "my-order/pay"): p_pay,
    }
    # the order of the table, but the placing POST last but one and the
    # pass-changing POST access last (the rest see one steady state)
    pats = sorted(att.patterns(table), key=lambda t: (
        t[1].endswith("/access"), t[1].endswith("/order/confirm")))
    for method, pattern, path in pats:
        hold()
        sfx = path[len(att.home):] if path.startswith(att.home) else \
            ("" if path + "/" == att.home else None)
        fn = actions.get((method, sfx))
        if fn is None:
            # a route this test does not know yet: still exercised
            diag("%s %s: no specific check, generic isolation check only" %
                 (method, pattern))
            r = x.get(path) if method == "GET" else \
                x.post(path, [("number", vic.number), ("t", vic.token)])
            ok(r.status < 500, "%s: %s %s → %d (generic)" %
               (what, method, path, r.status))
        else:
            r = fn(path)
        no_leak(r, "%s %s" % (method, path))
        ok(vic.unchanged(), "%s: after %s %s %s's order is unchanged" %
           (what, method, path, vic.label))
        exercised.add((att.label, method, pattern))
    ok(srv.order_count() == n_before + 1, "%s: one order placed (this "
       "site's own), no other" % what)


# ---- the cross-host 404s -------------------------------------------------

def cross_host(srv, table, exercised):
    n0 = srv.order_count()
    for path_slug, host_slug in ((A, B), (B, A), (A, SEISO)):
        x = Client(srv, host=host_slug + ".localhost")
        x.get("/")                         # a csrf cookie for host_slug
        for m, p, h in table:
            if not (h.startswith("site_") and p.startswith("/c/{slug}")):
                continue
            path = p.replace("{slug}", path_slug)
            r = x.get(path + ("?t=" + "A" * 43 if "open" in p else "")) \
                if m == "GET" else x.post(path, order_fields(corporate=True) +
                                          [("number", "RP-ZZZZZZZZ")])
            ok(r.status == 404, "%s %s with Host %s.localhost → 404 (%d)" %
               (m, path, host_slug, r.status))
            exercised.add(("cross-host", m, p))
    ok(srv.order_count() == n0, "cross-host requests placed nothing")


# ---- the JSON API --------------------------------------------------------

def api(srv, method, path, key=None, body=None, cookie=None,
        idem=None):
    h = {"Accept": "application/json"}
    if key:
        h["Authorization"] = "Bearer " + key
    if cookie:
        h["Cookie"] = cookie
    if idem:
        h["Idempotency-Key"] = idem
    data = b""
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
        h["Content-Length"] = str(len(data))
    elif method == "POST":
        h["Content-Length"] = "0"
    c = Client(srv)
    try:
        r = c.request(method, path, body=data, headers=h, origin=False)
    except (OSError, ValueError) as e:
        diag("API %s %s: no answer (%s)" % (method, path, e))
        return 0, None
    try:
        j = json.loads(r.body or b"null")
    except ValueError:
        j = None
    return r.status, j


def api_checks(srv, va, vp, exercised):
    ka, kb = srv.api_keys.get(A), srv.api_keys.get(B)
    ok(ka and kb, "demo-logins.txt has API keys for %s and %s" % (A, B))
    base = "/api/v1"

    s, j = api(srv, "GET", base + "/orders/" + va.number, ka)
    ok(s == 200 and j and j.get("number") == va.number,
       "API: A's key reads A's order %s (control)" % va.number)
    s, j = api(srv, "GET", base + "/orders/" + va.number, kb)
    s2, j2 = api(srv, "GET", base + "/orders/RP-ZZZZZZZZ", kb)
    ok(s == 404 and s2 == 404 and
       (j or {}).get("error", {}).get("code") ==
       (j2 or {}).get("error", {}).get("code"),
       "API: B's key, GET /orders/<A's number> → 404 like an unknown number "
       "(%d, %s)" % (s, j))
    ok(va.number not in json.dumps(j, ensure_ascii=False) or s != 200,
       "API: the 404 carries nothing of A's order")
    s, j = api(srv, "POST", base + "/orders/%s/cancel" % va.number, kb)
    ok(s == 404 and va.unchanged(),
       "API: B's key, POST /orders/<A's number>/cancel → 404, A's order "
       "unchanged (%d, %s)" % (s, srv.order_row(va.number)))
    exercised |= {("api", "GET", "/api/v1/orders/{number}"),
                  ("api", "POST", "/api/v1/orders/{number}/cancel")}

    for who, key in (("A", ka), ("B", kb), ("seiso", srv.api_keys.get(SEISO))):
        s, j = api(srv, "GET", base + "/orders/" + vp.number, key)
        ok(s == 404, "API: %s's key, GET /orders/<public number> → 404 (%d)"
           % (who, s))
        s, j = api(srv, "POST", base + "/orders/%s/cancel" % vp.number, key)
        ok(s == 404 and vp.unchanged(), "API: %s's key, POST /orders/<public "
           "number>/cancel → 404, unchanged (%d)" % (who, s))

    # cookies are no credentials for the API
    for cookie in ("rp_my=" + va.session, "rp_my=" + vp.session):
        s, j = api(srv, "GET", base + "/orders/" + va.number, cookie=cookie)
        ok(s == 401, "API: a site session cookie instead of a key → 401 (%d)"
           % s)

    # plans and quotes at B's prices
    s, j = api(srv, "GET", base + "/plans", kb)
    plans = (j or {}).get("plans", [])
    wrong = [(p["code"], p["daily_price"], price_of(srv, B, p["code"]))
             for p in plans if p["daily_price"] != price_of(srv, B, p["code"])]
    ok(s == 200 and plans and not wrong,
       "API: B's key, GET /plans → B's prices for all %d plans (wrong: %s)" %
       (len(plans), wrong[:5]))
    us = {p["code"]: p["daily_price"] for p in plans}.get("US-R-1G")
    ok(us == price_of(srv, B, "US-R-1G") != price_of(srv, A, "US-R-1G"),
       "API: US-R-1G at B's ¥%s, not A's ¥%s" %
       (us, price_of(srv, A, "US-R-1G")))
    s, j = api(srv, "GET", base + "/plans?destination=US", ka)
    ok(s == 200 and {p["code"]: p["daily_price"] for p in j["plans"]}.get(
        "US-R-1G") == price_of(srv, A, "US-R-1G"),
       "API: A's key sees A's price (control)")
    exercised.add(("api", "GET", "/api/v1/plans"))
    # counters and availability: the company's shared stock, the same
    # answer whoever asks (nothing of a tenant's own in them), no key → 401
    q = "/availability?plan=US-R-1G&counter=NRT1&from=%s&to=%s" % (day(20),
                                                                 day(26))
    for path in ("/counters", q):
        s, ja = api(srv, "GET", base + path, ka)
        s2, jb = api(srv, "GET", base + path, kb)
        s3, j3 = api(srv, "GET", base + path, None)
        ok(s == s2 == 200 and ja == jb and s3 == 401,
           "API: GET %s — the same for A's and B's keys, 401 without "
           "(%d %d %d)" % (path.split("?")[0], s, s2, s3))
    exercised |= {("api", "GET", "/api/v1/counters"),
                  ("api", "GET", "/api/v1/availability")}
    trip = {"plan": "US-R-1G", "departure": day(20), "return": day(26),
            "pickup": {"method": "counter", "counter": "NRT1"},
            "dropoff": {"method": "counter", "counter": "NRT1"}}
    s, qb = api(srv, "POST", base + "/quotes", kb, trip)
    s2, qa = api(srv, "POST", base + "/quotes", ka, trip)
    units_b = [ln.get("unit_price") for ln in (qb or {}).get("lines", [])]
    ok(s == 200 and s2 == 200 and
       price_of(srv, B, "US-R-1G") in units_b and
       price_of(srv, A, "US-R-1G") not in units_b and
       qb["total"] != qa["total"],
       "API: B's quote at B's daily ¥%s (units %s; totals B ¥%s, A ¥%s)" %
       (price_of(srv, B, "US-R-1G"), units_b, (qb or {}).get("total"),
        (qa or {}).get("total")))
    exercised.add(("api", "POST", "/api/v1/quotes"))

    # an order of B is invisible to A
    order = dict(trip, traveller={"name": "水凪 次郎", "kana": "ミズナギ ジロウ",
                                  "email": "jiro@example.jp",
                                  "phone": "090-1111-2222"},
                 billing="invoice")
    s, ob = api(srv, "POST", base + "/orders", kb, order, idem="iso-1")
    ok(s == 201 and RP_NUMBER.match((ob or {}).get("number", "")),
       "API: B places an order (%d)" % s)
    exercised.add(("api", "POST", "/api/v1/orders"))
    if s == 201:
        nb = ob["number"]
        row = srv.order_row(nb)
        s, j = api(srv, "GET", base + "/orders/" + nb, ka)
        ok(s == 404, "API: A's key, GET /orders/<B's number> → 404 (%d)" % s)
        s, j = api(srv, "POST", base + "/orders/%s/cancel" % nb, ka)
        ok(s == 404 and srv.order_row(nb) == row,
           "API: A's key, cancel B's order → 404, unchanged (%d)" % s)
        s, j = api(srv, "POST", base + "/orders", ka, dict(
            order, billing="invoice"), idem="iso-1")
        ok(s == 201 and j["number"] != nb,
           "API: the same Idempotency-Key under A is A's own (%s, not %s)" %
           ((j or {}).get("number"), nb))
        # B's API order on A's and the public site's "my order"
        for home in ("/c/%s/" % A, "/"):
            c = Client(srv)
            r = c.post(home + "my-order/link", [("number", nb)])
            ok(r.status == 303 and loc(r) == home + "my-order?sent=1",
               "site %s: POST my-order/link with B's API order number → "
               "the usual answer" % home)
        time.sleep(2)
        ok(not srv.mail_files(nb, "my_order_link"),
           "no my-order link mail for B's order from other sites")


# ---- main ----------------------------------------------------------------

def main():
    srv = SiteServer(workers=2)
    srv.start()
    try:
        table = route_table()
        exercised = set()
        va = Victim(srv, A, A, "東雲 花子", "シノノメ ハナコ",
                    "hanako.shinonome@example.com")
        vp = Victim(srv, "public", None, "大空 翔", "オオゾラ ショウ",
                    "sho.ozora@example.com")
        ok(va.row[0] == "confirmed" and vp.row[0] == "awaiting_payment",
           "A's order confirmed (invoice), the public one awaits payment")
        attackers = [
            (Attacker(srv, "/c/%s/" % B, B), va),
            (Attacker(srv, "host %s.localhost" % B, B, by_host=True), va),
            (Attacker(srv, "/c/%s/" % SEISO, SEISO), va),
            (Attacker(srv, "the public site", None), va),
            (Attacker(srv, "/c/%s/" % A, A), vp),
            (Attacker(srv, "host %s.localhost" % A, A, by_host=True), vp),
        ]
        for att, vic in attackers:
            sweep(srv, att, vic, table, exercised)
        cross_host(srv, table, exercised)

        # no mail was queued for the victims' numbers by other sites
        time.sleep(3)
        for v in (va, vp):
            kinds = sorted(m["kind"] for m in srv.outbox(v.number))
            ok(kinds == ["order_confirmed"] and
               not srv.mail_files(v.number, "my_order_link"),
               "%s's order: no link mail queued by other sites (outbox: %s)"
               % (v.label, kinds))
        # the victims' links still work on their own sites, once
        for v in (va, vp):
            c = Client(srv)
            r = c.post(v.home + "my-order/open", [("t", v.token)])
            p = Client.html(c.get(v.home + "my-order"))
            ok(r.status == 303 and p.by_id("order-number") == v.number and
               p.by_id("name") == v.name,
               "%s's link, refused elsewhere, still opens the order on its "
               "own site (%d)" % (v.label, r.status))
            ok(v.unchanged(), "%s's order is unchanged after everything" %
               v.label)
        # control: the link request works on the right site (no dedupe
        # hid anything above)
        c = Client(srv)
        r = c.post(va.home + "my-order/link", [("number", va.number)])
        ok(srv.wait_mail(va.number, "my_order_link", timeout=15) is not None,
           "control: %s's own site e-mails a link for its order" % A)

        api_checks(srv, va, vp, exercised)

        # every site and API route of the table was exercised
        for att, vic in attackers:
            want = {(m, p) for m, p, _ in att.patterns(table)}
            got = {(m, p) for lab, m, p in exercised if lab == att.label}
            ok(want and not (want - got), "%s: every site route exercised "
               "with %s's identifiers (missing: %s)" %
               (att.label, vic.label, sorted(want - got)))
        corp = {(m, p) for m, p, h in table if h.startswith("site_") and
                p.startswith("/c/{slug}")}
        got = {(m, p) for lab, m, p in exercised if lab == "cross-host"}
        ok(not (corp - got), "every /c/{slug} route tried on a foreign host "
           "(missing: %s)" % sorted(corp - got))
        apis = {(m, p) for m, p, h in table if p.startswith("/api/")}
        got = {(m, p) for lab, m, p in exercised if lab == "api"}
        ok(not (apis - got), "every API route exercised across tenants "
           "(missing: %s)" % sorted(apis - got))
        handlers = {h for m, p, h in table}
        known = {h for h in handlers if h.startswith(("site_", "rp_api_"))}
        ok(len(known) >= 15, "the route table parsed (%d site/API handlers)"
           % len(known))
        bad = ["%s %s %s → %d" % (h, m, p, r.status) for h, m, p, r in HISTORY
               if not security_headers_ok(r)]
        ok(not bad, "security headers on all %d responses (missing on %s)" %
           (len(HISTORY), bad[:5]))
    except Exception:
        import traceback
        ok(False, "no exception: " + traceback.format_exc().replace(
            "\n", " | "))
    finally:
        if T.failed:
            diag(srv.log_tail())
        rc = srv.stop()
        ok(rc == 0, "server stopped cleanly (%s)" % rc)
        if not T.failed:
            srv.cleanup()
        else:
            diag("data kept in %s" % srv.dir)
    return T.done()


if __name__ == "__main__":
    sys.exit(main())
