#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""
The corporate JSON API (docs/openapi.yaml) against a spawned, demo-seeded
`rentport serve`: API keys, plans, quotes, orders with Idempotency-Key,
tenant isolation (another client's key sees 404), cancel, bad input.
Prints TAP.
"""
import datetime
import json
import time
import os
import re
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "http"))
from harness import Server, Tap, api_call, pg_store  # noqa: E402

BIN = os.environ["RENTPORT_BIN"]
T = Tap()
ok = T.ok


call = api_call


def main():
    # the same suite with the core store on PostgreSQL (suite pg: serve's
    # workers reach it over TCP, confined to its port)
    store = pg_store()
    env = dict(os.environ, RENTPORT_STORE=store) if store else None
    d = tempfile.mkdtemp(prefix="rentport-api-")
    seed = subprocess.run([BIN, "seed", "--demo", "--data-dir=" + d],
                          capture_output=True, text=True, env=env)
    keys = dict(re.findall(r"API key for ([a-z0-9-]+):?\s+(rpk_[0-9a-f]{64})", seed.stdout))
    ok(len(keys) == 3, "demo seed printed an API key per corporate client")
    saved = open(os.path.join(d, "demo-logins.txt")).read()
    ok(all(k in saved for k in keys.values()), "keys kept for make run to print again")
    srv = Server(workers=2, data_dir=d,
                 env={"RENTPORT_STORE": store} if store else None)
    srv.start()
    base = srv.url + "/api/v1"
    if store:
        ok(not os.path.exists(os.path.join(d, "core.db")),
           "the core store is on PostgreSQL: no core.db in the data "
           "directory")
    a, b = keys["shinonome-shoji"], keys["seiso-eng"]     # invoice, card
    try:
        s, j = call(base, "GET", "/plans?destination=US")
        ok(s == 401 and j["error"]["code"] == "unauthorized", "no key → 401")
        s, j = call(base, "GET", "/plans?destination=US", key="rpk_" + "0" * 64)
        ok(s == 401, "unknown key → 401")
        s, j = call(base, "GET", "/plans?destination=US", key=a)
        ok(s == 200 and j["plans"] and all(p["destination"] == "US" for p in j["plans"])
           and all({"code", "name", "daily_price"} <= set(p) for p in j["plans"]),
           "plans for US with code, name, daily_price (%d)" % len(j.get("plans", [])))
        plan = j["plans"][0]["code"]
        s, j = call(base, "GET", "/plans?bogus=1", key=a)
        ok(s == 400, "unknown query parameter → 400")

        dep = (datetime.date.today() + datetime.timedelta(days=20)).isoformat()
        ret = (datetime.date.today() + datetime.timedelta(days=26)).isoformat()
        trip = {"plan": plan, "departure": dep, "return": ret,
                "pickup": {"method": "counter", "counter": "NRT1"},
                "dropoff": {"method": "counter", "counter": "NRT1"}}
        s, q = call(base, "POST", "/quotes", key=a, body=trip)
        ok(s == 200 and q["days"] == 7, "quote: 7 rental days, departure to return inclusive")
        ok(sum(l["amount"] for l in q["lines"]) == q["subtotal"] and
           q["subtotal"] + q["tax"] == q["total"], "quote: lines add up, total = subtotal + tax")

        order = dict(trip, traveller={"name": "山田 太郎", "kana": "ヤマダ タロウ",
                                       "email": "taro.yamada@example.jp",
                                       "phone": "090-1234-5678",
                                       "department": "営業部"},
                     billing="invoice")
        s, o = call(base, "POST", "/orders", key=a, body=order,
                    headers={"Idempotency-Key": "abc-1"})
        ok(s == 201 and re.match(r"^RP-[0-9A-Z]{8}$", o["number"]) and
           o["status"] == "confirmed" and o["total"] == q["total"],
           "order 201: number, confirmed (invoice), total as quoted")
        s, o2 = call(base, "POST", "/orders", key=a, body=order,
                     headers={"Idempotency-Key": "abc-1"})
        ok(s == 201 and o2["number"] == o["number"], "same Idempotency-Key → same order")
        s, j = call(base, "POST", "/orders", key=a, body=dict(order, billing="card"),
                    headers={"Idempotency-Key": "abc-1"})
        ok(s == 409, "same key, different body → 409")
        s, j = call(base, "GET", "/orders/" + o["number"], key=a)
        ok(s == 200 and j["number"] == o["number"] and j["departure"] == dep,
           "GET the order")
        ok("taro" not in json.dumps(j) and "山田" not in json.dumps(j),
           "order view carries no personal data")

        # Tenant isolation: another client's key sees nothing.
        s, j = call(base, "GET", "/orders/" + o["number"], key=b)
        ok(s == 404, "another client's key: GET → 404")
        s, j = call(base, "POST", "/orders/" + o["number"] + "/cancel", key=b)
        ok(s == 404, "another client's key: cancel → 404")
        s, j = call(base, "GET", "/orders/RP-ZZZZZZZZ", key=a)
        ok(s == 404, "unknown number → 404, same as another client's")

        s, j = call(base, "POST", "/orders", key=b, body=dict(order, billing="card"))
        ok(s == 201 and j["status"] == "awaiting_payment",
           "card-billed order waits for payment")

        # Card billing with the payment agent's single-use token (paysim runs
        # as a child of serve): the answer carries brand and last 4 only.
        pk = open(os.path.join(d, "paysim", "publishable.key")).read().strip()

        def token(number):
            req = urllib.request.Request(
                "http://127.0.0.1:%d/v1/tokens" % srv.paysim_port,
                data=json.dumps({"number": number, "exp_month": 12,
                                 "exp_year": datetime.date.today().year + 3,
                                 "cvc": "123"}).encode(),
                headers={"Authorization": "Bearer " + pk,
                         "Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=10) as r:
                return json.loads(r.read())["id"]
        for _ in range(100):        # paysim starts beside the web workers
            try:
                tok = token("4242424242424242")
                break
            except OSError:
                time.sleep(0.1)
        s, j = call(base, "POST", "/orders", key=b,
                    body=dict(order, billing="card", payment_token=tok))
        ok(s == 201 and j["status"] == "confirmed" and
           j.get("card", {}).get("brand") == "visa" and
           j["card"].get("last4") == "4242" and
           j.get("payment", {}).get("status") == "authorized",
           "card + payment_token → confirmed, brand and last 4: %s" % j)
        ok("4242424242424242" not in json.dumps(j), "never the card number")
        s, j = call(base, "POST", "/orders", key=b, body=dict(
            order, billing="card", payment_token=token("4000000000009995")))
        ok(s == 201 and j["status"] == "awaiting_payment" and
           j.get("payment", {}).get("status") == "declined" and
           j["payment"].get("decline_code") == "insufficient_funds",
           "declined card → awaiting payment with the decline code: %s" % j)
        s, j = call(base, "POST", "/orders", key=b, body=dict(
            order, billing="card", payment_token="tok_<script>"))
        # 403 when the WAF (on by default) stops the "<script>" first.
        ok(s == 400 or (s == 403 and j["error"]["code"] == "blocked"),
           "a malformed token → 400 (or the WAF's 403): %d" % s)

        bad = dict(order, departure=ret, **{"return": dep})
        bad["traveller"] = dict(order["traveller"], email="a@b", phone="abc")
        s, j = call(base, "POST", "/orders", key=a, body=bad)
        f = j["error"].get("fields", {}) if j else {}
        ok(s == 422 and f.get("return") == "return_before_departure" and
           f.get("email") == "invalid_email" and f.get("phone") == "invalid_phone",
           "invalid fields → 422 with a code per field: %s" % f)
        ok(j["error"]["message"]["ja"] and j["error"]["message"]["en"], "ja and en messages")
        s, j = call(base, "POST", "/quotes", key=a,
                    body=dict(trip, options=[{"code": "battery", "qty": 4294967297}]))
        ok(s == 400, "option qty 2^32+1 is refused, not narrowed to 1")
        s, j = call(base, "POST", "/orders", key=a, body=b"{not json")
        ok(s == 400, "malformed JSON → 400")
        s, j = call(base, "POST", "/orders", key=a, body=dict(order, card_number="4111111111111111"))
        ok(s == 400, "unknown field (a card number!) → 400, never accepted")

        s, j = call(base, "POST", "/orders/" + o["number"] + "/cancel", key=a)
        ok(s == 200 and j["status"] == "cancelled" and "cancellation_fee" in j,
           "cancel → cancelled with its fee")
        s, j = call(base, "POST", "/orders/" + o["number"] + "/cancel", key=a)
        ok(s == 409, "cancel twice → 409")
    finally:
        srv.stop()
    show = subprocess.run([BIN, "log", "show", "--json", "--data-dir=" + d],
                          capture_output=True, text=True)
    puts = [json.loads(l) for l in show.stdout.splitlines()
            if json.loads(l)["action"] == "put" and json.loads(l)["role"] == "corporate_web"]
    ok(len(puts) == 4, "each new traveller put is in the access log as corporate_web (%d)" % len(puts))
    if not T.failed and not os.environ.get("RENTPORT_KEEP"):
        subprocess.run(["rm", "-rf", d])
    return T.done()


if __name__ == "__main__":
    sys.exit(main())
