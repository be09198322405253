#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""
Crash safety of log-then-release, end to end (issue 3):

- seed persons (through the vault library, logged in-process);
- `rentport serve`, and a load generator asking the vault for records in
  batches from two threads;
- SIGKILL the log writer, later SIGKILL the vault, while the load runs
  (restart_backoff_ms is long enough that each is down for a while);
- then: every release the load generator saw acknowledged is in the access
  log (by request id, with its record count), releases went on after each
  restart, `rentport log verify` passes, and the witness cosigned.
Prints TAP.
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "http"))
from harness import Server, Tap, started_pid  # noqa: E402

BIN = os.environ["RENTPORT_BIN"]
LOAD = os.environ["RENTPORT_VAULT_LOAD"]
T = Tap()
ok = T.ok


def main():
    d = tempfile.mkdtemp(prefix="rentport-crash-")
    seed = subprocess.run([BIN, "seed", "--orders", "3000", "--seed", "7",
                           "--data-dir=" + d], capture_output=True, text=True)
    ok(seed.returncode == 0, "seed 3000 orders")
    m = re.search(r"and (\d+) persons", seed.stdout)
    persons = int(m.group(1)) if m else 0
    ok(persons > 1000, "persons seeded (%d)" % persons)

    srv = Server(workers=1, data_dir=d, args=["--restart-backoff-ms=1000"])
    srv.start()
    acked = os.path.join(d, "acked.txt")
    load = subprocess.Popen([LOAD, d, "9", "10", str(persons), "2", acked],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    time.sleep(2.0)
    alog = started_pid(d, "alog")
    t_alog = time.time() * 1000
    os.kill(alog, signal.SIGKILL)
    time.sleep(3.0)
    vault = started_pid(d, "vault")
    t_vault = time.time() * 1000
    os.kill(vault, signal.SIGKILL)
    out, err = load.communicate(timeout=60)
    ok(load.returncode == 0, "load generator ran without errors: " + out.strip() + err.strip())
    m = re.search(r"(\d+) unavailable", out)
    ok(m is not None and int(m.group(1)) > 0,
       "releases refused while the log writer or vault was down (fail closed)")
    ok(started_pid(d, "alog") != alog and started_pid(d, "vault") != vault,
       "log writer and vault restarted")
    time.sleep(1.5)            # let a checkpoint cover the last entries
    rc = srv.stop()
    ok(rc == 0 and srv.all_exited(), "server stopped cleanly")

    rows = [l.split() for l in open(acked).read().splitlines()]
    ok(len(rows) > 50, "releases acknowledged (%d)" % len(rows))
    ok(any(int(r[2]) > t_alog + 1000 and int(r[2]) < t_vault for r in rows),
       "releases acknowledged after the log writer came back")
    ok(any(int(r[2]) > t_vault + 1000 for r in rows),
       "releases acknowledged after the vault came back")

    show = subprocess.run([BIN, "log", "show", "--json", "--data-dir=" + d],
                          capture_output=True, text=True)
    ok(show.returncode == 0, "log show")
    logged = {}
    for line in show.stdout.splitlines():
        e = json.loads(line)
        if e["action"] == "get" and e["outcome"] == "ok":
            logged[e["request_id"]] = e["n_records"]
    missing = [r for r in rows if logged.get(r[0]) != int(r[1])]
    ok(not missing, "every acknowledged release is in the access log "
       "(%d acknowledged, %d missing)" % (len(rows), len(missing)))

    ver = subprocess.run([BIN, "log", "verify", "--data-dir=" + d],
                         capture_output=True, text=True)
    ok(ver.returncode == 0, "log verify passes after the crashes: " +
       (ver.stdout + ver.stderr).strip())
    ok("cosigned by" in ver.stdout, "checkpoint cosigned by the witness")
    if not T.failed and not os.environ.get("RENTPORT_KEEP"):
        subprocess.run(["rm", "-rf", d])
    return T.done()


if __name__ == "__main__":
    sys.exit(main())
