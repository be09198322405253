#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""
The witness catches a rewritten history, end to end (issue 3):

1. `rentport serve` with its local witness; the vault releases records, so
   the log grows and the witness cosigns checkpoints; stop.
2. An intruder with the data directory rewrites one entry of the access log
   — the entry bytes in the wal, its check, and (by deleting them) the
   derived tiles, bundles and checkpoint, which the log writer rebuilds from
   the wal: a self-consistent log, one entry changed.
3. Start again: the log writer signs the rebuilt history; the witness, which
   remembers the old root for that size, refuses to cosign it and raises an
   ALARM (alarms.log and the operational log); `rentport log verify` fails.
Prints TAP.
"""
import hashlib
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "http"))
from harness import Server, Tap, started_pid  # noqa: E402

BIN = os.environ["RENTPORT_BIN"]
DUMP = os.environ.get("RENTPORT_VAULT_DUMP")
T = Tap()
ok = T.ok


def wal_records(path):
    data = open(path, "rb").read()
    off, recs = 0, []
    while off + 2 <= len(data):
        (ln,) = struct.unpack(">H", data[off:off + 2])
        recs.append((off, ln))
        off += 2 + ln + 4
    return data, recs


def main():
    d = tempfile.mkdtemp(prefix="rentport-rewrite-")
    r = subprocess.run([BIN, "seed", "--orders", "300", "--data-dir=" + d],
                       capture_output=True, text=True)
    ok(r.returncode == 0, "seeded")
    srv = Server(workers=1, data_dir=d)
    srv.start()
    dump = subprocess.run([DUMP, d, "1", "64"], capture_output=True, text=True)
    ok(dump.returncode == 0, "released records through the vault")
    time.sleep(1.5)
    srv.stop()
    v = subprocess.run([BIN, "log", "verify", "--data-dir=" + d],
                       capture_output=True, text=True)
    ok(v.returncode == 0 and "cosigned by" in v.stdout, "honest log verifies, cosigned")
    state_before = open(os.path.join(d, "witness", "state"), "rb").read()

    # Rewrite entry 2 (a release): change one byte of its actor, fix the check.
    wal = os.path.join(d, "alog", "wal")
    data, recs = wal_records(wal)
    ok(len(recs) > 3, "wal has %d entries" % len(recs))
    off, ln = recs[2]
    entry = bytearray(data[off + 2:off + 2 + ln])
    i = entry.find(b"staff:test")
    ok(i > 0, "entry 2 is the release by staff:test")
    entry[i + 6] = ord("T")        # staff:test → staff:Test
    check = hashlib.sha256(b"\x00" + bytes(entry)).digest()[:4]
    data = data[:off + 2] + bytes(entry) + check + data[off + 2 + ln + 4:]
    open(wal, "wb").write(data)
    shutil.rmtree(os.path.join(d, "alog", "tile"))
    os.unlink(os.path.join(d, "alog", "checkpoint"))

    srv2 = Server(workers=1, data_dir=d)
    srv2.start()
    time.sleep(2.5)
    srv2.stop()
    alarms = os.path.join(d, "witness", "alarms.log")
    text = open(alarms).read() if os.path.exists(alarms) else ""
    ok("fork" in text, "witness alarm recorded: " + text.strip()[:160])
    oplog = open(os.path.join(d, "log", "rentport.log")).read()
    ok(re.search(r"witness.*ALARM", oplog) is not None, "ALARM in the operational log")
    ok(open(os.path.join(d, "witness", "state"), "rb").read() == state_before,
       "witness state unchanged: it kept the honest root")
    v = subprocess.run([BIN, "log", "verify", "--data-dir=" + d],
                       capture_output=True, text=True)
    ok(v.returncode != 0, "log verify fails on the rewritten log: " +
       (v.stdout + v.stderr).strip()[:200])
    if not T.failed and not os.environ.get("RENTPORT_KEEP"):
        shutil.rmtree(d, ignore_errors=True)
    return T.done()


if __name__ == "__main__":
    sys.exit(main())
