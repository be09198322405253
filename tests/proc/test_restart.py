#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""
Process model, end to end: `rentport serve` with two web workers.

- SIGKILL one web worker while a client keeps sending requests: the parent
  restarts it, records the restart (operational log and /metrics), and
  requests keep being answered.
- The web and console workers start only once the services they call
  (vault, log writer, identity holder) are ready.
- SIGTERM to the parent stops every process, and the access log has one
  line per request without the raw path or query.
Prints TAP.
"""
import os
import signal
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "http"))
from harness import Server, Tap, started_pid  # noqa: E402

T = Tap()
ok = T.ok


def children(pid):
    with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
        return sorted(int(x) for x in f.read().split())


def kind_pids(data_dir, kind):
    """pids the parent started for children of one kind, still running."""
    import re
    text = open(os.path.join(data_dir, "log", "rentport.log")).read()
    pids = [int(p) for p in re.findall(r"started %s/\d+ as pid (\d+)" % kind, text)]
    def alive(p):
        try:            # a killed child may be reaped between the two reads
            with open("/proc/%d/stat" % p) as f:
                return f.read().split()[2] != "Z"
        except OSError:
            return False
    return sorted(p for p in pids if alive(p))


def get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read()


def main():
    srv = Server(workers=2)
    srv.start()
    try:
        base = srv.url
        # the sites start once the services they call are ready: no
        # request meets an identity holder or vault still starting
        import re
        lines = open(os.path.join(srv.data_dir, "log", "rentport.log")).read().splitlines()

        def first(pattern):
            return next((i for i, l in enumerate(lines) if re.search(pattern, l)), None)
        ready = [first(r"\b%s/1 ready" % k) for k in ("vault", "alog", "auth")]
        sites = [first(r"started %s/1 as pid" % k) for k in ("web", "console")]
        ok(None not in ready and None not in sites and max(ready) < min(sites),
           "web and console workers start after the vault, log writer and "
           "identity holder are ready (log lines %s < %s)" % (ready, sites))
        kids = kind_pids(srv.data_dir, "web")
        ok(len(kids) == 2 and set(kids) <= set(children(srv.proc.pid)),
           "two web workers running (%s)" % kids)

        # A client hammering the server in the background.
        results = []  # (t, ok)
        stop = threading.Event()

        def client():
            while not stop.is_set():
                t = time.monotonic()
                try:
                    s, _ = get(base + "/healthz?probe=secret-looking-value", 2)
                    results.append((t, s == 200))
                except Exception:
                    results.append((t, False))

        th = threading.Thread(target=client)
        th.start()
        time.sleep(0.3)
        victim = kids[0]
        t_kill = time.monotonic()
        os.kill(victim, signal.SIGKILL)

        # The parent notices and starts a replacement.
        new = []
        deadline = time.time() + 10
        while time.time() < deadline:
            cur = kind_pids(srv.data_dir, "web")
            if len(cur) == 2 and victim not in cur:
                new = cur
                break
            time.sleep(0.05)
        time.sleep(0.5)
        stop.set()
        th.join()
        ok(len(new) == 2 and victim not in new, "killed worker replaced (%s → %s)" % (kids, new))

        before = [r for r in results if r[0] < t_kill - 0.05]
        after = [r for r in results if r[0] > t_kill + 0.05]
        ok(len(before) > 10 and all(r[1] for r in before), "answered before the kill (%d)" % len(before))
        ok(len(after) > 10 and all(r[1] for r in after),
           "every request after the kill answered (%d, %d failed)" % (len(after), sum(1 for r in after if not r[1])))

        oplog = open(os.path.join(srv.data_dir, "log", "rentport.log")).read()
        ok("pid %d) killed by signal 9" % victim in oplog and "restart recorded" in oplog,
           "restart recorded in the operational log")
        _, body = get(srv.metrics_url + "/metrics")
        ok('rentport_child_restarts_total{kind="web"} 1' in body.decode(), "restart counted in /metrics")

        _, body = get(base + "/healthz")
        ok(body.strip() == b"ok", "new worker serves")
    finally:
        rc = srv.stop()
    ok(rc == 0, "parent exits 0 on SIGTERM")
    ok(srv.all_exited(), "every rentport process exited")

    alog = open(os.path.join(srv.data_dir, "log", "access.log")).read()
    lines = alog.splitlines()
    ok(len(lines) > 20, "access log has lines (%d)" % len(lines))
    ok("secret-looking-value" not in alog and "probe" not in alog,
       "access log holds the route, never the query")
    ok(all(len(l.split(" ")) == 7 for l in lines), "every access line has 7 fields")

    return T.done()


if __name__ == "__main__":
    sys.exit(main())
