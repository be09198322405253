#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""
The witness cannot be blinded, tricked into alarms or made to flood the
operational log by other clients (issue 10), end to end against
`rentport serve` with its local witness:

1. Slow clients: 120 connections from 30 other /24 networks (other
   loopback addresses: Linux routes all of 127/8 to lo) send a request
   head a byte at a time and reconnect when cut.  Before the fix they held
   all 64 slots and the log writer's checkpoints went out uncosigned; now
   each network gets at most 8, the pool for anyone 64, the log writer
   (127.0.0.1) has reserved slots, and a request must arrive whole within
   10 s.  The log grows during the attack (vault releases) and its newest
   checkpoint must still be cosigned.
2. Only the log writer may add checkpoints: a POST without its HMAC is 401.
3. A replayed older checkpoint the log did sign (correctly authenticated:
   what a sniffer of an earlier request would send) is 409 with the
   witness's size, and no ALARM is written.
4. 300 refused requests in a row leave at most a few lines in rentport.log.
Prints TAP.
"""
import hashlib
import hmac
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import http.client

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "http"))
from harness import Server, Tap  # noqa: E402

BIN = os.environ["RENTPORT_BIN"]
DUMP = os.environ.get("RENTPORT_VAULT_DUMP")
T = Tap()
ok = T.ok


def fetch(port, path, method="GET", body=None, headers=None, timeout=5):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def checkpoint(srv):
    """(size, note text, cosigned?) of the log's published checkpoint."""
    st, body = fetch(srv.alog_port, "/checkpoint")
    if st != 200:
        return 0, "", False
    text = body.decode()
    lines = text.split("\n")
    wname = open(os.path.join(srv.dir, "witness", "name")).read().strip()
    cosigned = any(l.startswith("\u2014 " + wname + " ") for l in lines)
    return int(lines[1]), text, cosigned


def log_only(note):
    """The note with only the log's own signature (origin = key name)."""
    head, _, sigs = note.partition("\n\n")
    origin = head.split("\n")[0]
    keep = [l for l in sigs.split("\n") if l.startswith("\u2014 " + origin + " ")]
    return head + "\n\n" + "\n".join(keep) + "\n"


def auth_header(d, body):
    try:
        key = bytes.fromhex(open(os.path.join(d, "witness", "client.key")).read().strip())
    except OSError:
        key = b"\0" * 32       # no key file: the old witness took anything
    return "rentport-hmac-sha256 " + hmac.new(key, body, hashlib.sha256).hexdigest()


def alarm_lines(d):
    p = os.path.join(d, "witness", "alarms.log")
    return open(p).read().count(" ALARM ") if os.path.exists(p) else 0


class Slowloris:
    """Keeps up to n slow connections from other /24s, reconnecting."""

    def __init__(self, port, nets=30, per_net=4):
        self.port = port
        self.srcs = ["127.0.%d.%d" % (x, y) for x in range(1, nets + 1)
                     for y in range(1, per_net + 1)]
        self.socks = {}
        self.stop = False
        self.max_open = 0
        self.th = threading.Thread(target=self.run, daemon=True)

    def dial(self, src):
        s = socket.socket()
        s.setblocking(True)
        s.settimeout(0.5)
        s.bind((src, 0))
        s.connect(("127.0.0.1", self.port))
        s.sendall(b"POST /add-checkpoint HTTP/1.1\r\nHost: w\r\nX-Slow: ")
        s.setblocking(False)
        return s

    def alive(self, s):
        try:
            s.recv(1, socket.MSG_PEEK)
            return False        # EOF, or the server answered: done
        except BlockingIOError:
            pass
        except OSError:
            return False
        try:
            s.send(b"a")        # one more byte: never idle
            return True
        except BlockingIOError:
            return True
        except OSError:
            return False

    def run(self):
        while not self.stop:
            for src in self.srcs:
                s = self.socks.get(src)
                if s is not None and not self.alive(s):
                    s.close()
                    s = None
                if s is None:
                    try:
                        self.socks[src] = self.dial(src)
                    except OSError:
                        self.socks.pop(src, None)
            self.max_open = max(self.max_open, len(self.socks))
            time.sleep(1.0)

    def start(self):
        self.th.start()
        return self

    def finish(self):
        self.stop = True
        self.th.join(10)
        for s in self.socks.values():
            s.close()


def main():
    d = tempfile.mkdtemp(prefix="rentport-witness-dos-")
    r = subprocess.run([BIN, "seed", "--orders", "120", "--data-dir=" + d],
                       capture_output=True, text=True)
    ok(r.returncode == 0, "seeded")
    srv = Server(workers=1, data_dir=d)
    srv.start()
    try:
        deadline = time.time() + 15
        size0, note0, cos0 = checkpoint(srv)
        while not cos0 and time.time() < deadline:
            time.sleep(0.3)
            size0, note0, cos0 = checkpoint(srv)
        ok(cos0, "before the attack: checkpoint %d cosigned" % size0)
        key_path = os.path.join(d, "witness", "client.key")
        # serve makes it before its children start; as root it is the
        # witness's, readable by the log writer's group and nobody else
        want = 0o640 if os.geteuid() == 0 else 0o600
        ok(os.path.exists(key_path) and
           (os.stat(key_path).st_mode & 0o777) == want,
           "DATA/witness/client.key is there (%o)" % want)

        # 1. Slow clients from many networks.
        sl = Slowloris(srv.witness_port).start()
        time.sleep(4)
        dump = subprocess.run([DUMP, d, "1", "40"], capture_output=True, text=True)
        ok(dump.returncode == 0, "records released during the attack")
        deadline = time.time() + 12
        size1, note1, cos1 = checkpoint(srv)
        while not (size1 > size0 and cos1) and time.time() < deadline:
            time.sleep(0.3)
            size1, note1, cos1 = checkpoint(srv)
        ok(size1 > size0, "the log grew during the attack (%d -> %d)" % (size0, size1))
        ok(cos1, "under 120 slow connections the new checkpoint %d is still "
           "cosigned by the witness" % size1)
        ok(sl.max_open >= 64, "the attackers held %d connections open "
           "(kernel side)" % sl.max_open)
        sl.finish()
        oplog = open(os.path.join(d, "log", "rentport.log")).read()
        ok(re.search(r"witness\[\d+\]: witness: a connection refused", oplog)
           is not None, "refused connections were logged (rate-limited)")

        # 2. Not the log writer: 401, body unread.
        note0_log = log_only(note0)
        body = ("old 0\n\n" + note0_log).encode()
        st, _ = fetch(srv.witness_port, "/add-checkpoint", "POST", body)
        ok(st == 401, "add-checkpoint without the log writer's HMAC: %d" % st)
        st, _ = fetch(srv.witness_port, "/add-checkpoint", "POST", body,
                      {"Authorization": "rentport-hmac-sha256 " + "0" * 64})
        ok(st == 401, "add-checkpoint with a wrong HMAC: %d" % st)

        # 3. A replayed older checkpoint, correctly authenticated.
        before = alarm_lines(d)
        st, resp = fetch(srv.witness_port, "/add-checkpoint", "POST", body,
                         {"Authorization": auth_header(d, body)})
        ok(st == 409, "replayed older checkpoint %d: %d" % (size0, st))
        ok(re.fullmatch(rb"\d+\n", resp) is not None and int(resp) >= size1,
           "409 tells the witness's size: %r" % resp)
        time.sleep(0.5)
        ok(alarm_lines(d) == before == 0,
           "no ALARM in alarms.log for the replay")

        # 4. A flood of refused requests: rentport.log stays small.
        n0 = len(re.findall(r"witness\[\d+\]:", open(
            os.path.join(d, "log", "rentport.log")).read()))
        junk = b"old 1\n\ngarbage\n"
        statuses = set()
        for i in range(300):
            hdrs = {"Connection": "close"}
            if i % 2 == 0:
                hdrs["Authorization"] = auth_header(d, junk)
            st, _ = fetch(srv.witness_port, "/add-checkpoint", "POST", junk, hdrs)
            statuses.add(st)
        ok(statuses == {400, 401}, "the flood was refused: %s" % sorted(statuses))
        time.sleep(0.5)
        n1 = len(re.findall(r"witness\[\d+\]:", open(
            os.path.join(d, "log", "rentport.log")).read()))
        ok(n1 - n0 <= 25, "300 refused requests added %d witness lines to "
           "rentport.log" % (n1 - n0))
    finally:
        srv.stop()
    v = subprocess.run([BIN, "log", "verify", "--data-dir=" + d],
                       capture_output=True, text=True)
    ok(v.returncode == 0 and "cosigned by" in v.stdout,
       "the log still verifies, cosigned")
    ok(alarm_lines(d) == 0, "no ALARM at all")
    if not T.failed and not os.environ.get("RENTPORT_KEEP"):
        shutil.rmtree(d, ignore_errors=True)
    return T.done()


if __name__ == "__main__":
    sys.exit(main())
