# SPDX-License-Identifier: ISC
"""sitelib.py — helpers for the ordering-site tests (tests/site/).

Python 3 standard library only; builds on tests/http/harness.py without
changing it:

    from sitelib import SiteServer, Client, Tap
    with SiteServer() as srv:           # demo-seeded, --public-url at itself
        c = Client(srv)                  # a browser: cookies, CSRF, Origin
        r = c.get("/plans?destination=US")
        r = c.post("/order", order_fields())     # csrf added, Origin sent
        c.html(r).form("order/confirm")          # the parsed forms of a page

SiteServer seeds a temporary data directory with `rentport seed --demo`,
reads DATA/demo-logins.txt (API keys, access codes) and starts `rentport
serve` with --public-url=http://127.0.0.1:PORT so that e-mailed links point
at the test server.  Client keeps a cookie jar, sends Host (a corporate
site by host: Client(srv, host="SLUG.localhost")), the CSRF field from the
csrf cookie, and Origin: http://<Host> on POSTs.
"""
import datetime
import email
import email.policy
import glob
import html
import html.parser
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "http"))
import harness  # noqa: E402
from harness import Server, Tap  # noqa: E402,F401

BIN = os.environ.get("RENTPORT_BIN", "")
SRC = os.environ.get("RENTPORT_SRC") or os.path.normpath(
    os.path.join(HERE, "..", ".."))
JST = datetime.timezone(datetime.timedelta(hours=9))

A = "shinonome-shoji"       # invoice billing, no restriction
SEISO = "seiso-eng"         # card billing, e-mail domain restricted
B = "mizunagi-pharma"       # invoice billing, access code


# ---- the server ----------------------------------------------------------

def parse_logins(text):
    keys = dict(re.findall(r"API key for ([a-z0-9-]+):?\s+(rpk_[0-9a-f]+)",
                           text))
    codes = dict(re.findall(r"access code for ([a-z0-9-]+):?\s+(\S+)", text))
    return keys, codes


def _pg_literal(v):
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, bytes):
        return "'\\x%s'::bytea" % v.hex()
    return "'" + str(v).replace("'", "''") + "'"


def _pg_value(s):
    if s == "\x01":
        return None
    if re.fullmatch(r"-?[0-9]+", s):
        return int(s)
    return s


def pg_query(url, sql, args=()):
    """sql with ? parameters (test values, quoted as literals) on url."""
    parts = sql.split("?")
    if len(parts) - 1 != len(args):
        raise ValueError("parameters: %d ? for %d values" %
                         (len(parts) - 1, len(args)))
    q = parts[0] + "".join(_pg_literal(a) + p for a, p in
                           zip(args, parts[1:]))
    out = subprocess.run(["psql", "-X", "-q", "-At", "-F", "\x1f",
                          "-P", "null=\x01", url, "-c", q],
                         capture_output=True, text=True, timeout=60,
                         check=True).stdout
    return [tuple(_pg_value(v) for v in line.split("\x1f"))
            for line in out.splitlines()]


class SiteServer(Server):
    """A `rentport serve` on a demo-seeded data directory whose public URL
    is the server itself (http://127.0.0.1:PORT)."""

    def __init__(self, workers=2, args=(), env=None, seed_args=()):
        d = tempfile.mkdtemp(prefix="rentport-site-")
        # in the pg suite, the core store is a fresh PostgreSQL database
        self.store = harness.pg_store()
        if self.store:
            env = dict(env or {}, RENTPORT_STORE=self.store)
        seed = subprocess.run([BIN, "seed", "--demo", "--data-dir=" + d] +
                              list(seed_args), capture_output=True,
                              text=True, timeout=600,
                              env=dict(os.environ, **(env or {})))
        if seed.returncode != 0:
            raise RuntimeError("seed --demo failed (%d): %s" %
                               (seed.returncode, seed.stderr[-2000:]))
        self.seed_out = seed.stdout
        with open(os.path.join(d, "demo-logins.txt")) as f:
            self.api_keys, self.access_codes = parse_logins(f.read())
        self.base_args = list(args)
        super().__init__(workers=workers, args=args, env=env, data_dir=d)

    def start(self, timeout=60.0):
        # harness.Server.start picks the port itself; hand it the one named
        # in --public-url (the first free_port() call it makes).
        port = harness.free_port()
        orig = harness.free_port
        first = [port]

        def pick():
            return first.pop() if first else orig()
        self.args = self.base_args + [
            "--public-url=http://127.0.0.1:%d" % port]
        harness.free_port = pick
        try:
            super().start(timeout)
        finally:
            harness.free_port = orig
        if self.port != port:
            raise RuntimeError("port %s is not the public URL's %d" %
                               (self.port, port))
        return self

    # -- the data directory, read-only ------------------------------------
    def db(self):
        """A read-only connection to DATA/core.db."""
        return sqlite3.connect("file:%s?mode=ro" %
                               os.path.join(self.dir, "core.db"),
                               uri=True, timeout=10)

    def query(self, sql, args=()):
        """Rows of sql (? parameters) on the core store: SQLite's file, or
        (pg suite) the PostgreSQL database, through psql."""
        if self.store:
            return pg_query(self.store, sql, args)
        c = self.db()
        try:
            return list(c.execute(sql, args))
        finally:
            c.close()

    def execute(self, sql, args=()):
        """Runs one writing statement (? parameters) on the core store, as
        an operator would: SQLite's file, or PostgreSQL through psql."""
        if self.store:
            pg_query(self.store, sql, args)
            return
        c = sqlite3.connect(os.path.join(self.dir, "core.db"), timeout=10)
        try:
            c.execute(sql, args)
            c.commit()
        finally:
            c.close()

    def order_count(self):
        return self.query("SELECT count(*) FROM orders")[0][0]

    def order_row(self, number):
        """status, depart, return, tenant id, total of an order (or None)."""
        rows = self.query("SELECT status, depart_date, return_date, "
                          "tenant_id, total_yen, updated_at FROM orders "
                          "WHERE number = ?", (number,))
        return rows[0] if rows else None

    def tenant_id(self, slug):
        return self.query("SELECT id FROM tenants WHERE slug = ?",
                          (slug,))[0][0]

    # -- mail ----------------------------------------------------------------
    def mail_files(self, number=None, kind=None):
        pat = "%s-%s-*.eml" % (number or "*", kind or "*")
        return sorted(glob.glob(os.path.join(self.dir, "mail", "out", pat)))

    def outbox(self, number):
        """The outbox's messages (dicts) for an order number."""
        p = os.path.join(self.dir, "mail", "outbox.db")
        if not os.path.exists(p):
            return []
        c = sqlite3.connect("file:%s?mode=ro" % p, uri=True, timeout=10)
        try:
            cur = c.execute("SELECT * FROM outbox WHERE order_number = ?",
                            (number,))
            cols = [d[0] for d in cur.description]
            return [dict(zip(cols, row)) for row in cur]
        finally:
            c.close()

    def wait_mail(self, number, kind, timeout=15.0, count=1):
        """The count-th .eml of kind for number, parsed, waiting ≤ timeout."""
        deadline = time.time() + timeout
        while True:
            files = self.mail_files(number, kind)
            if len(files) >= count:
                # newest by id (the name ends -<id>.eml)
                files.sort(key=lambda p: int(re.search(r"-(\d+)\.eml$",
                                                       p).group(1)))
                return read_eml(files[count - 1])
            if time.time() >= deadline:
                return None
            time.sleep(0.1)

    # -- the access log ------------------------------------------------------
    def log_entries(self, role=None, action=None):
        """Entries of the access log (`rentport log show --json`)."""
        cmd = [self.binary, "log", "show", "--json",
               "--data-dir=" + self.dir]
        if role:
            cmd.append("--role=" + role)
        if action:
            cmd.append("--action=" + action)
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise RuntimeError("log show: %s" % r.stderr.strip())
        return [json.loads(line) for line in r.stdout.splitlines()
                if line.strip()]


def read_eml(path):
    with open(path, "rb") as f:
        msg = email.message_from_bytes(f.read(), policy=email.policy.default)
    body = msg.get_body(preferencelist=("plain", "html"))
    text = body.get_content() if body is not None else ""
    m = re.search(r"(https?://\S+?/my-order/open\?t=([A-Za-z0-9_-]+))", text)
    return {"path": path, "subject": str(msg["subject"] or ""),
            "to": str(msg["to"] or ""), "body": text,
            "link": m.group(1) if m else None,
            "token": m.group(2) if m else None}


# Every (host, method, path without query, response) a Client saw.
HISTORY = []


# ---- a browser -----------------------------------------------------------

def encode_form(fields):
    """fields: dict or list of pairs (values str or bytes), urlencoded."""
    items = fields.items() if isinstance(fields, dict) else fields
    out = []
    for k, v in items:
        if isinstance(v, (list, tuple)):
            out += [(k, x) for x in v]
        else:
            out.append((k, v))
    return "&".join("%s=%s" % (urllib.parse.quote_plus(k),
                               urllib.parse.quote_plus(v))
                    for k, v in out).encode("ascii")


class Client:
    """A cookie-keeping HTTP client for one site origin."""

    def __init__(self, srv, host=None, accept_language=None):
        self.srv = srv
        if host is None:
            host = "localhost:%d" % srv.port
        elif ":" not in host:
            host = "%s:%d" % (host, srv.port)
        self.host = host
        self.jar = {}
        self.set_cookies = []        # every Set-Cookie header seen
        self.accept_language = accept_language
        self.last = None

    @property
    def origin(self):
        return "http://" + self.host

    def cookie_header(self):
        return "; ".join("%s=%s" % kv for kv in self.jar.items())

    def absorb(self, r):
        for sc in r.header_all("set-cookie"):
            self.set_cookies.append(sc)
            nv = sc.split(";", 1)[0]
            name, _, value = nv.partition("=")
            name = name.strip()
            if re.search(r";\s*Max-Age=0\b", sc, re.I) or value == "":
                self.jar.pop(name, None)
            else:
                self.jar[name] = value.strip()

    def request(self, method, path, body=b"", headers=None, origin=True,
                cookies=True, host=None):
        h = {"Host": host or self.host}
        if cookies and self.jar:
            h["Cookie"] = self.cookie_header()
        if self.accept_language:
            h["Accept-Language"] = self.accept_language
        if method == "POST":
            h["Content-Type"] = "application/x-www-form-urlencoded"
            h["Content-Length"] = str(len(body))
            if origin is True:
                h["Origin"] = "http://" + h["Host"]
            elif origin:
                h["Origin"] = origin
        h.update(headers or {})
        r = self.srv.request(method, path, h, body)
        self.absorb(r)
        self.last = r
        HISTORY.append((h["Host"], method, path.split("?", 1)[0], r))
        return r

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def csrf(self):
        """The CSRF token (the csrf cookie; fetched from home if none)."""
        if "csrf" not in self.jar:
            self.get("/")
        return self.jar.get("csrf", "")

    def post(self, path, fields=(), csrf=True, raw=None, **kw):
        """POSTs fields (+ the csrf field) or raw bytes (csrf prepended)."""
        items = list(fields.items() if isinstance(fields, dict) else fields)
        if csrf is True:
            items = [("csrf", self.csrf())] + \
                [(k, v) for k, v in items if k != "csrf"]
        elif csrf:
            items = [("csrf", csrf)] + items
        body = encode_form(items)
        if raw is not None:
            body = body + (b"&" if body else b"") + raw
        return self.request("POST", path, body=body, **kw)

    def follow(self, r, **kw):
        """GETs a 303's Location (path part)."""
        loc = r.header("location")
        u = urllib.parse.urlsplit(loc)
        return self.get(u.path + ("?" + u.query if u.query else ""), **kw)

    def submit(self, form, extra=(), **kw):
        """POSTs a parsed form (its own fields, csrf included)."""
        items = [(k, v) for k, v in form["fields"] if k != "csrf"]
        items += list(extra)
        return self.post(form["action"], items, **kw)

    @staticmethod
    def html(r):
        return Page(r.body.decode("utf-8", "replace"))


# ---- pages ---------------------------------------------------------------

class _FormParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self.cur = None
        self.select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.cur = {"action": a.get("action", ""),
                        "method": (a.get("method") or "get").lower(),
                        "fields": [], "buttons": [], "inputs": []}
            self.forms.append(self.cur)
        elif self.cur is None:
            return
        elif tag == "input":
            self.cur["inputs"].append(a)
            t = (a.get("type") or "text").lower()
            if not a.get("name"):
                return
            if t in ("checkbox", "radio") and "checked" not in a:
                return
            if t in ("submit", "button", "image", "reset"):
                return
            self.cur["fields"].append((a["name"], a.get("value") or ""))
        elif tag == "select":
            self.select = [a.get("name"), None, None]
        elif tag == "option" and self.select is not None:
            v = a.get("value", "")
            if self.select[2] is None:
                self.select[2] = v
            if "selected" in a:
                self.select[1] = v
        elif tag == "button":
            self.cur["buttons"].append(a)

    def handle_endtag(self, tag):
        if tag == "form":
            self.cur = None
        elif tag == "select" and self.select is not None:
            name, sel, first = self.select
            if self.cur is not None and name:
                self.cur["fields"].append((name, sel if sel is not None
                                           else first or ""))
            self.select = None


class Page:
    def __init__(self, text):
        self.text = text
        p = _FormParser()
        p.feed(text)
        self.forms = p.forms

    def form(self, action_suffix):
        """The first form whose action ends with action_suffix (or None)."""
        for f in self.forms:
            if f["action"].endswith(action_suffix):
                return f
        return None

    def by_id(self, ident):
        """The text (tags stripped, unescaped) of the element id=ident."""
        m = re.search(r'<(\w+)\b[^>]*\bid="%s"[^>]*>(.*?)</\1>' %
                      re.escape(ident), self.text, re.S)
        if not m:
            return None
        return html.unescape(re.sub(r"<[^>]+>", "", m.group(2))).strip()

    def tag(self, ident):
        """The start tag of the element id=ident (or None)."""
        m = re.search(r'<\w+\b[^>]*\bid="%s"[^>]*>' % re.escape(ident),
                      self.text)
        return m.group(0) if m else None

    def lang(self):
        m = re.search(r'<html lang="([^"]+)"', self.text)
        return m.group(1) if m else None

    def field_error(self, field):
        """(message, aria-invalid on the control) for f-FIELD."""
        msg = self.by_id("f-%s-err" % field)
        t = self.tag("f-%s" % field)
        return msg, bool(t and 'aria-invalid="true"' in t)

    def error_fields(self):
        return re.findall(r'<span id="f-([a-z_]+)-err" class="error">',
                          self.text)

    def h1(self):
        m = re.search(r"<h1[^>]*>(.*?)</h1>", self.text, re.S)
        return html.unescape(re.sub(r"<[^>]+>", "", m.group(1))).strip() \
            if m else None


# ---- messages ------------------------------------------------------------

def messages(lang):
    """The site's messages for lang (src/web/i18n/LANG.txt)."""
    out = {}
    with open(os.path.join(SRC, "src", "web", "i18n", lang + ".txt"),
              encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#") or " = " not in line:
                continue
            k, _, v = line.partition(" = ")
            out[k.strip()] = v.strip()
    return out


# ---- orders --------------------------------------------------------------

def today():
    return datetime.datetime.now(JST).date()


def day(n):
    return (today() + datetime.timedelta(days=n)).isoformat()


def order_fields(corporate=False, **over):
    """A valid order form (pairs) with over's values replacing fields."""
    f = {"plan": "US-R-1G", "qty": "1", "depart": day(20),
         "return": day(26), "pickup": "counter", "pickup_counter": "NRT1",
         "return_method": "counter", "return_counter": "NRT1",
         "name": "山田 太郎", "kana": "ヤマダ タロウ",
         "email": "taro.yamada@example.com", "phone": "090-1234-5678",
         "postal_code": "", "address": ""}
    if corporate:
        f.update({"department": "営業部", "employee_no": "E-1234",
                  "cost_centre": "CC-100"})
    opts = over.pop("opt", ["battery"])
    f.update(over)
    items = [(k, v) for k, v in f.items() if v is not None]
    items += [("opt", o) for o in opts]
    return items


def pay_page(r, home):
    """A card order's payment page (the answer to order/confirm without a
    card token when card payment is on): its order number, else None."""
    if r.status != 200:
        return None
    p = Page(r.body.decode("utf-8", "replace"))
    if p.form(home + "my-order/pay") is None:
        return None
    return p.by_id("order-number")


def confirmed(r, home):
    """order/confirm placed the order: 303 order/done, or a card order's
    payment page (the order placed, awaiting payment)."""
    return (r.status == 303 and r.header("location") == home + "order/done") \
        or pay_page(r, home) is not None


def place_order(c, home, fields):
    """order → review → confirm; returns (number, done response, log)."""
    log = {}
    r = c.post(home + "order", fields)
    log["review"] = r
    if r.status != 200:
        return None, r, log
    page = Client.html(r)
    form = page.form("order/confirm")
    log["confirm_form"] = form
    if form is None:
        return None, r, log
    r = c.submit(form)
    log["confirm"] = r
    if not confirmed(r, home):
        return None, r, log
    d = c.get(home + "order/done")
    log["done"] = d
    return Client.html(d).by_id("order-number"), d, log


# ---- the route table -----------------------------------------------------

def route_table():
    """[(method, pattern, handler)] parsed from src/web/routes.c."""
    with open(os.path.join(SRC, "src", "web", "routes.c"),
              encoding="utf-8") as f:
        text = f.read()
    body = text[text.index("rp_routes[] = {"):]
    body = body[:body.index("};")]
    return re.findall(r'\{\s*"([A-Z]+)",\s*"([^"]+)",\s*(\w+)', body)


def site_routes():
    """The site routes (handlers site_*) as (method, suffix) relative to a
    site's home: ("GET", ""), ("POST", "order"), ...; each must exist both
    publicly ("/"+suffix) and per client ("/c/{slug}/"+suffix)."""
    pub, corp = set(), set()
    for m, pat, h in route_table():
        if not h.startswith("site_"):
            continue
        if pat.startswith("/c/{slug}"):
            rest = pat[len("/c/{slug}"):]
            if rest == "":
                continue            # /c/slug (no slash) → home
            corp.add((m, rest[1:]))
        else:
            pub.add((m, pat[1:]))
    return pub, corp


def api_routes():
    return [(m, p) for m, p, h in route_table() if p.startswith("/api/")]


def route_regex(pattern):
    """A route pattern ("/c/{slug}/order") as an anchored regex."""
    return re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+",
                                   re.escape(pattern)) + "$")


def security_headers_ok(r):
    csp = r.header("content-security-policy") or ""
    return ("frame-ancestors 'none'" in csp and
            (r.header("x-content-type-options") or "").lower() == "nosniff")


def cookie_attrs_ok(set_cookie):
    """HttpOnly, SameSite=Lax and Path=/ on a Set-Cookie header."""
    parts = [p.strip().lower() for p in set_cookie.split(";")[1:]]
    return "httponly" in parts and "samesite=lax" in parts and \
        "path=/" in parts
