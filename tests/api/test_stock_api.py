#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""
Stock through the corporate JSON API (issue 13), on a demo-seeded
`rentport serve`: GET /api/v1/counters, GET /api/v1/availability and its
bad input, and orders that never oversell — 50 parallel orders for the
last 10 free units: exactly 10 placed, 40 answered 409 `sold_out` with
alternatives, availability 0 afterwards and the store's reservations
adding up; a cancellation gives its unit back.  Runs on SQLite (suite api)
and on PostgreSQL (stock_api-pg).  Prints TAP.
"""
import concurrent.futures
import datetime
import json
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


TRAVELLER = {"name": "在庫 試験", "kana": "ザイコ シケン",
             "email": "stock.test@example.jp", "phone": "090-0000-1313"}


def main():
    store = pg_store()
    env = dict(os.environ, RENTPORT_STORE=store) if store else None
    d = tempfile.mkdtemp(prefix="rentport-api-")
    seed = subprocess.run([BIN, "seed", "--demo", "--data-dir=" + d],
                          capture_output=True, text=True, env=env)
    keys = dict(re.findall(r"API key for ([a-z0-9-]+):?\s+(rpk_[0-9a-f]{64})",
                           seed.stdout))
    ok(seed.returncode == 0 and "shinonome-shoji" in keys, "demo seed")
    seeded = 0          # the seed's open orders hold their units too
    if not store:
        import sqlite3
        db = sqlite3.connect(os.path.join(d, "core.db"))
        seeded = db.execute("SELECT coalesce(sum(qty), 0) FROM "
                            "stock_reservations").fetchone()[0]
        db.close()
    srv = Server(workers=2, data_dir=d,
                 env={"RENTPORT_STORE": store} if store else None)
    srv.start()
    base = srv.url + "/api/v1"
    key = keys["shinonome-shoji"]        # invoice-billed: placed at once
    try:
        s, j = call(base, "GET", "/counters")
        ok(s == 401, "counters without a key → 401")
        s, j = call(base, "GET", "/counters", key=key)
        cs = j.get("counters", []) if s == 200 else []
        ok(s == 200 and len(cs) >= 6 and all(
            {"code", "name", "airport", "terminal", "hours",
             "pickup_deadline"} <= set(c) for c in cs),
           "GET /counters: %d counters with code, name, airport, terminal, "
           "hours, pickup deadline" % len(cs))
        nrt = [c for c in cs if c["code"] == "NRT1"]
        ok(nrt and nrt[0]["airport"] == "NRT" and
           re.match(r"^\d\d:\d\d$", nrt[0]["hours"]["opens"]) and
           nrt[0]["pickup_deadline"]["days_before"] >= 0,
           "NRT1: airport NRT, opening hours, deadline %s" %
           (nrt[0]["pickup_deadline"] if nrt else None))

        s, j = call(base, "GET", "/plans?destination=US", key=key)
        plans = j["plans"]
        router = [p for p in plans if p["device"] == "router"][0]["code"]
        dep = datetime.date.today() + datetime.timedelta(days=40)
        ret = dep + datetime.timedelta(days=5)
        q = "/availability?plan=%s&counter=NRT1&from=%s&to=%s" % (
            router, dep.isoformat(), ret.isoformat())
        s, a = call(base, "GET", q, key=key)
        ok(s == 200 and a["units"] > 10 and a["available"] == a["units"] and
           len(a["days"]) == 6 and a["counter"] == "NRT1" and
           a["device"] == "router",
           "availability: %s units at NRT1, all free over the 6 days" %
           a.get("units"))
        ok(a.get("held_from") == dep.isoformat() and a.get("held_until") ==
           (ret + datetime.timedelta(days=1)).isoformat(),
           "the trip holds its unit one inspection day past the return "
           "(%s..%s)" % (a.get("held_from"), a.get("held_until")))
        s, c = call(base, "GET", "/availability?plan=%s&from=%s&to=%s" % (
            router, dep.isoformat(), ret.isoformat()), key=key)
        ok(s == 200 and c["pickup"] == "courier" and "counter" not in c and
           c["held_from"] == (dep - datetime.timedelta(days=2)).isoformat(),
           "courier delivery: the warehouse's stock, held from 2 courier "
           "days before departure")

        for qs, field, code, what in (
                ("plan=NOPE&counter=NRT1&from=%s&to=%s", "plan",
                 "unknown_plan", "unknown plan"),
                ("plan=%s&counter=XXX9&from=%s&to=%s", "counter",
                 "unknown_counter", "unknown counter"),
                ("plan=%s&counter=NRT1&from=2027-02-30&to=%s", "from",
                 "invalid_date", "no such date"),
                ("plan=%s&counter=NRT1&from=%s&to=2020-01-01", "to",
                 "return_before_departure", "return before departure"),
                ("plan=%s&counter=NRT1&from=%s", "to", "required",
                 "no return date")):
            args = [x for x in (router, dep.isoformat(), ret.isoformat())]
            n = qs.count("%s")
            if qs.startswith("plan=NOPE"):
                args = args[1:]
            s, j = call(base, "GET", "/availability?" + qs % tuple(args[:n]),
                        key=key)
            ok(s == 422 and j["error"]["fields"].get(field) == code and
               j["error"]["message"]["ja"] and j["error"]["message"]["en"],
               "availability, %s → 422, %s: %s (ja/en)" % (what, field, code))
        s, j = call(base, "GET", q + "&colour=red", key=key)
        ok(s == 400, "availability with an unknown parameter → 400")

        # down to the last 10: one order takes all but 10 of them
        trip = {"plan": router, "departure": dep.isoformat(),
                "return": ret.isoformat(),
                "pickup": {"method": "counter", "counter": "NRT1"},
                "dropoff": {"method": "counter", "counter": "NRT1"},
                "traveller": TRAVELLER, "billing": "invoice"}
        bulk = a["available"] - 10
        s, big = call(base, "POST", "/orders", key=key,
                      body=dict(trip, qty=bulk))
        ok(s == 201, "one order holds %d units (all but 10)" % bulk)
        s, a2 = call(base, "GET", q, key=key)
        ok(a2["available"] == 10, "10 left (%s)" % a2.get("available"))
        s, j = call(base, "POST", "/quotes", key=key,
                    body={k: trip[k] for k in ("plan", "departure", "return",
                                               "pickup", "dropoff")} |
                    {"qty": 11})
        ok(s == 409 and j["error"]["code"] == "sold_out",
           "a quote for 11 of the 10 → 409 sold_out")

        def live_travellers():
            # the vault's live records (its file: read-only, beside it)
            import sqlite3
            v = sqlite3.connect("file:%s?mode=ro" % os.path.join(
                d, "vault", "vault.db"), uri=True, timeout=10)
            try:
                return v.execute("SELECT count(*) FROM records WHERE "
                                 "erased = 0").fetchone()[0]
            finally:
                v.close()
        travellers = live_travellers()

        def one(i):
            return call(base, "POST", "/orders", key=key, body=trip,
                        headers={"Idempotency-Key": "race-%d" % i})
        with concurrent.futures.ThreadPoolExecutor(max_workers=50) as ex:
            res = list(ex.map(one, range(50)))
        placed = [j for s, j in res if s == 201]
        sold = [j for s, j in res if s == 409 and
                j["error"]["code"] == "sold_out"]
        other = [(s, j) for s, j in res if s not in (201, 409)]
        ok(len(placed) == 10 and len(sold) == 40 and not other,
           "50 parallel orders for the last 10 units: %d placed, %d sold "
           "out, %d other %s" % (len(placed), len(sold), len(other),
                                 other[:1]))
        ok(len({j["number"] for j in placed}) == 10, "10 distinct orders")
        after = live_travellers()
        ok(after - travellers == len(placed),
           "the vault keeps the placed orders' travellers only: %d new "
           "records for %d orders (a race's losers are withdrawn)" % (
               after - travellers, len(placed)))
        e = sold[0]["error"] if sold else {}
        ok(e.get("fields", {}).get("pickup_counter") == "sold_out" and
           e["message"]["ja"] and e["message"]["en"],
           "sold out names pickup_counter, in ja and en")
        alts = e.get("alternatives", [])
        ok(alts and all(x["available"] >= 1 and x["plan"] and x["device"]
                        for x in alts) and
           not any(x.get("counter") == "NRT1" and x["plan"] == router
                   for x in alts),
           "alternatives: %s" % ", ".join(
               "%s %s %s:%d" % (x.get("counter", "courier"), x["plan"],
                                x["device"], x["available"]) for x in alts))
        ok(alts and alts[0].get("airport") == "NRT",
           "the nearest first: another counter at the same airport (%s)" %
           (alts[0].get("counter") if alts else None))
        s, a3 = call(base, "GET", q, key=key)
        ok(a3["available"] == 0 and all(x["available"] == 0
                                        for x in a3["days"]),
           "availability after: 0 on every day")
        # the next day of the window after the inspection day is free again
        later = ret + datetime.timedelta(days=2)
        s, a4 = call(base, "GET", "/availability?plan=%s&counter=NRT1&"
                     "from=%s&to=%s" % (router, later.isoformat(),
                                        later.isoformat()), key=key)
        ok(s == 200 and a4["available"] == a["units"],
           "two days after the return every unit is free again")
        # a cancellation gives its unit back
        s, j = call(base, "POST", "/orders/%s/cancel" % placed[0]["number"],
                    key=key)
        s, a5 = call(base, "GET", q, key=key)
        ok(s == 200 and a5["available"] == 1,
           "a cancelled order's unit is free again (%s)" %
           a5.get("available"))
        s, j = call(base, "POST", "/orders/%s/cancel" % big["number"],
                    key=key)
        s, a6 = call(base, "GET", q, key=key)
        ok(a6["available"] == bulk + 1, "and the big order's %d" % bulk)
    finally:
        srv.stop()
    # beneath the API: the reservations add up (SQLite only: the file)
    if not store:
        import sqlite3
        db = sqlite3.connect(os.path.join(d, "core.db"))
        n = db.execute("SELECT coalesce(sum(r.qty), 0) FROM stock_reservations "
                       "r JOIN orders o ON o.id = r.order_id WHERE "
                       "o.status = 'cancelled'").fetchone()[0]
        held = db.execute("SELECT coalesce(sum(qty), 0) FROM "
                          "stock_reservations").fetchone()[0]
        ok(n == 0 and held == seeded + 9, "the store: cancelled orders hold "
           "nothing; the seed's %d and 9 units held, " % seeded +
           "9 units held (%d)" % held)
    T.done()


if __name__ == "__main__":
    main()
