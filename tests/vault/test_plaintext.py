#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""
No plaintext personal data at rest outside the vault's memory (issue 3):
seed demo data and bulk orders, serve, read a sample of persons back through
the vault (which logs each release), stop — then search every file in the
data directory (core store, vault database and its WAL, the access log's
wal/tiles/bundles/checkpoint, the operational and HTTP access logs, the
witness state) for the seeded names, kana, e-mails, phones and addresses.
Zero hits.  Also: each of those reads is in the access log.  Prints TAP.
"""
import json
import os
import sqlite3
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "http"))
from harness import Server, Tap, started_pid  # noqa: E402

BIN = os.environ["RENTPORT_BIN"]
DUMP = os.environ["RENTPORT_VAULT_DUMP"]
T = Tap()
ok = T.ok


def main():
    d = tempfile.mkdtemp(prefix="rentport-plain-")
    r1 = subprocess.run([BIN, "seed", "--demo", "--data-dir=" + d],
                        capture_output=True, text=True)
    r2 = subprocess.run([BIN, "seed", "--orders", "5000", "--seed", "3",
                         "--data-dir=" + d], capture_output=True, text=True)
    ok(r1.returncode == 0 and r2.returncode == 0, "seeded demo + 5000 orders")

    srv = Server(workers=1, data_dir=d)
    srv.start()
    dump = subprocess.run([DUMP, d, "1", "400"], capture_output=True, text=True)
    ok(dump.returncode == 0, "read 400 persons back through the vault " + dump.stderr.strip())
    srv.get("/")
    srv.stop()

    # A corporate client's own name is business data, held in the core
    # store's tenants table on purpose; an employee's record names it too.
    db = sqlite3.connect(os.path.join(d, "core.db"))
    tenant_names = {r[0] for r in db.execute("SELECT name FROM tenants")}
    db.close()
    ok(len(tenant_names) >= 3, "corporate client names (%d) are the only shared values" % len(tenant_names))
    values = set()
    for line in dump.stdout.splitlines():
        parts = line.split(" ", 2)
        if (len(parts) == 3 and len(parts[2].encode()) >= 6
                and parts[2] not in tenant_names):
            values.add(parts[2])
    kinds = {int(l.split(" ", 2)[1]) for l in dump.stdout.splitlines()}
    ok(len(values) > 1000 and len(kinds) >= 5,
       "collected %d distinct personal values over %d fields" % (len(values), len(kinds)))
    ok(any(re.search(r"[\u4e00-\u9fff]", v) for v in values), "values include kanji names")
    ok(any("@" in v for v in values), "values include e-mail addresses")

    files = []
    for root, _, names in os.walk(d):
        for nm in names:
            p = os.path.join(root, nm)
            if os.path.isfile(p) and not os.path.islink(p):
                files.append(p)
    ok(any(f.endswith("vault.db") for f in files) and any("/alog/" in f for f in files)
       and any(f.endswith("core.db") for f in files) and any(f.endswith("rentport.log") for f in files),
       "searched the core store, vault db, access log and operational logs (%d files)" % len(files))
    hits = []
    needles = [v.encode() for v in values]
    for f in files:
        data = open(f, "rb").read()
        for v in needles:
            if v in data:
                hits.append((os.path.relpath(f, d), v.decode()[:3] + "…"))
    ok(not hits, "zero plaintext hits (%d hits: %s)" % (len(hits), hits[:5]))

    show = subprocess.run([BIN, "log", "show", "--json", "--role", "incident",
                           "--data-dir=" + d], capture_output=True, text=True)
    got = sum(json.loads(l)["n_records"] for l in show.stdout.splitlines()
              if json.loads(l)["action"] == "get")
    ok(got == 400, "every read is in the access log with role incident (%d records)" % got)
    ver = subprocess.run([BIN, "log", "verify", "--data-dir=" + d],
                         capture_output=True, text=True)
    ok(ver.returncode == 0, "log verify: " + (ver.stdout + ver.stderr).strip())
    if not T.failed and not os.environ.get("RENTPORT_KEEP"):
        subprocess.run(["rm", "-rf", d])
    return T.done()


if __name__ == "__main__":
    sys.exit(main())
