#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""
Every access-log entry the test suite produced names a verified principal.

Run by scripts/test.sh after a build's suite, over the data directories
the tests left (BUILD/tests/tmp/rentport-*, RENTPORT_KEEP): for each one
whose access log the vault wrote, `rentport log show --json` must print
only actors of the forms the vault itself sets (docs/access-log.md):
a capability's principal and session (staff:, traveller:, apikey:, put:),
what a peer's credentials prove (anonymous, job:mail, operator:<job>),
the seed job (job:seed), the log writer's own entries (log-writer), or a
refused capability (cap:forged,
cap:expired).  A worker's own claim (e.g. "staff:intruder") fails it.
usage: check_principals.py RENTPORT_BIN TMPDIR
"""
import json
import os
import re
import subprocess
import sys
from collections import Counter

SID = r";session=[0-9a-f]{16}"
FORMS = [
    ("staff", r"staff:[a-z0-9][a-z0-9._-]{0,31}" + SID),
    ("traveller", r"traveller:[!-~]{1,32}" + SID),
    ("apikey", r"apikey:[0-9]+" + SID),
    ("receipt", r"put:[!-~]{1,32}" + SID),
    ("anonymous", r"anonymous(" + SID + ")?"),
    ("mailer", r"job:mail"),
    ("seed", r"job:seed"),
    ("operator", r"operator:[!-~]*"),
    ("refused capability", r"cap:(forged|expired)"),
    ("the log writer itself", r"log-writer"),
]
RX = [(name, re.compile("^" + rx + "$")) for name, rx in FORMS]


def kind(actor):
    for name, rx in RX:
        if rx.match(actor):
            return name
    return None


def main():
    binary, tmp = sys.argv[1], sys.argv[2]
    dirs = sorted(os.path.join(tmp, d) for d in os.listdir(tmp)
                  if d.startswith("rentport-"))
    seen = Counter()
    bad = []
    logs = 0
    for d in dirs:
        # the vault's own log (a data directory the vault served)
        if not (os.path.isdir(os.path.join(d, "vault")) and
                os.path.isdir(os.path.join(d, "alog"))):
            continue
        p = subprocess.run([binary, "log", "show", "--json",
                            "--data-dir=" + d], capture_output=True,
                           text=True, timeout=600)
        if p.returncode != 0:
            continue    # no entries / no log: nothing to judge
        logs += 1
        for line in p.stdout.splitlines():
            line = line.strip().rstrip(",")
            if not line.startswith("{"):
                continue
            a = json.loads(line).get("actor", "")
            k = kind(a)
            if k is None:
                bad.append((os.path.basename(d), a))
            else:
                seen[k] += 1
    total = sum(seen.values()) + len(bad)
    print("  %d access logs, %d entries: %s" % (
        logs, total, ", ".join("%s %d" % kv for kv in sorted(seen.items()))))
    for d, a in bad[:20]:
        print("  !! %s: actor %r is no verified principal" % (d, a))
    if logs == 0 or total == 0:
        print("  !! FAILED: no access log to check")
        return 1
    if bad:
        print("  !! FAILED: %d entries name an unverified principal" %
              len(bad))
        return 1
    print("  ok: every access-log entry names a verified principal")
    return 0


if __name__ == "__main__":
    sys.exit(main())
