#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""
The mailer process, end to end, against a spawned `rentport serve`.

- eml: a person put into the vault and an order_confirmed message queued
  in DATA/mail/outbox.db (by mail_helper, as a web worker would) becomes
  DATA/mail/out/<order>-<kind>-<id>.eml (mode 0600) within 10 s, addressed
  to the vault's address, the base64 body naming the order; the outbox
  says sent; no file under DATA/log (nor the server's output) holds the
  address or the name; the access log has the release (get, role mailer,
  purpose mail, node mailer); a killed mailer is restarted, re-registered
  with the vault and delivers the next message; so does the mailer after
  the vault restarts; SIGTERM stops everything, the mailer after the web
  workers and before the vault.
- smtp: with the relay down the message fails (attempt 1, an error name
  without the address); once a relay (a minimal SMTP sink in this script,
  loopback only) listens it is sent on the next attempt
  (mail_backoff_base_s = 2), MAIL FROM the configured sender, RCPT TO the
  vault's address.
Prints TAP.
"""
import base64
import email
import email.policy
import glob
import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "http"))
from harness import Server, Tap, free_port, started_pid, pid_alive  # noqa: E402

BIN = os.environ["RENTPORT_BIN"]
HELPER = os.environ["RENTPORT_MAIL_HELPER"]
EMAIL = "taro@example.com"
NAME = "山田 太郎"
T = Tap()
ok = T.ok


def helper(*args):
    r = subprocess.run([HELPER] + [str(a) for a in args], capture_output=True,
                       text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError("mail_helper %s: %s" % (args[0], r.stderr.strip()))
    return r.stdout.strip()


def state(d, mid):
    s, a, err = helper("state", d, mid).split(" ", 2)
    return s, int(a), err


def wait_for(cond, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(0.05)
    return cond()


def eml_path(d, mid):
    files = glob.glob(os.path.join(d, "mail", "out", "*-%d.eml" % mid))
    return files[0] if len(files) == 1 else None


def files_holding(root, needles):
    """Files under root whose bytes contain any of needles."""
    hits = []
    for dirpath, _, names in os.walk(root):
        for n in names:
            p = os.path.join(dirpath, n)
            try:
                data = open(p, "rb").read()
            except OSError:
                continue
            if any(x in data for x in needles):
                hits.append(os.path.relpath(p, root))
    return hits


class SmtpSink:
    """Just enough SMTP (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) on
    127.0.0.1:port to take messages from libcurl; no STARTTLS offered."""

    def __init__(self, port):
        self.port = port
        self.messages = []      # (mail_from, [rcpt], data bytes)
        self.lock = threading.Lock()
        self.stopping = False

    def start(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", self.port))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.th = threading.Thread(target=self._accept, daemon=True)
        self.th.start()

    def stop(self):
        self.stopping = True
        self.th.join()
        self.sock.close()

    def _accept(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._session, args=(conn,),
                             daemon=True).start()

    def _session(self, conn):
        conn.settimeout(10)
        f = conn.makefile("rb")

        def say(s):
            conn.sendall(s.encode("ascii") + b"\r\n")
        try:
            say("220 sink ESMTP")
            mail_from, rcpt = None, []
            while True:
                line = f.readline()
                if not line:
                    return
                cmd = line.decode("ascii", "replace").rstrip("\r\n")
                up = cmd.upper()
                if up.startswith("EHLO"):
                    say("250-sink")
                    say("250 8BITMIME")
                elif up.startswith("HELO"):
                    say("250 sink")
                elif up.startswith("MAIL FROM:"):
                    mail_from = cmd[10:].strip().split(" ")[0]
                    rcpt = []
                    say("250 ok")
                elif up.startswith("RCPT TO:"):
                    rcpt.append(cmd[8:].strip().split(" ")[0])
                    say("250 ok")
                elif up == "DATA":
                    say("354 go ahead")
                    data = b""
                    while True:
                        l = f.readline()
                        if not l or l == b".\r\n":
                            break
                        data += l[1:] if l.startswith(b"..") else l
                    with self.lock:
                        self.messages.append((mail_from, rcpt, data))
                    say("250 queued")
                elif up == "RSET":
                    mail_from, rcpt = None, []
                    say("250 ok")
                elif up == "NOOP":
                    say("250 ok")
                elif up == "QUIT":
                    say("221 bye")
                    return
                else:
                    say("502 not implemented")
        except OSError:
            pass
        finally:
            conn.close()


def check_message(raw, order, what):
    """The rendered message: To the vault's address, base64 body with the order."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    ok(EMAIL in str(msg["To"]) and NAME in str(msg["To"]),
       what + ": To has the vault's name and address")
    ok(msg["Content-Transfer-Encoding"] == "base64", what + ": base64 body")
    body = base64.b64decode(msg.get_payload()).decode("utf-8")
    ok(order in body and NAME in body, what + ": body names the order and "
       "greets the person")
    ok(order in str(msg["Subject"]), what + ": subject names the order")


def exit_lines(d):
    """Order in which the parent saw its children exit during shutdown."""
    text = open(os.path.join(d, "log", "rentport.log")).read()
    return re.findall(r"(\w+)/\d+ \(pid \d+\) exited with status (\d+)", text)


def restarts(d, kinds=("mail", "vault")):
    """Kinds (among kinds) of the children the parent had to restart: a
    crash, a sanitizer abort, or a kill by this test."""
    text = open(os.path.join(d, "log", "rentport.log")).read()
    return [k for k in re.findall(r"child (\w+)/\d+ \(pid \d+\) .*; "
                                  r"restarting", text) if k in kinds]


def test_eml():
    d = tempfile.mkdtemp(prefix="rentport-mail-")
    srv = Server(workers=1, data_dir=d)
    srv.start()
    try:
        mailer = wait_for(lambda: started_pid(d, "mail"), 10)
        ok(mailer is not None and pid_alive(mailer), "serve started mail/1")
        ok(wait_for(lambda: "mail/1 ready" in
                    open(os.path.join(d, "log", "rentport.log")).read(), 10),
           "the mailer sent READY")

        person = int(helper("put", d))
        ok(person > 0, "a person in the vault (id %d)" % person)
        t0 = time.time()
        mid = int(helper("enqueue", d, person, "RP-TEST0001"))
        ok(mid > 0, "a message queued (id %d)" % mid)
        path = wait_for(lambda: eml_path(d, mid), 10)
        ok(path is not None, "the .eml appeared within 10 s (%.1f s)"
           % (time.time() - t0))
        if path is None:
            print("# " + srv.log_tail().replace("\n", "\n# "))
            return
        ok(os.path.basename(path) == "RP-TEST0001-order_confirmed-%d.eml" % mid,
           "named <order>-<kind>-<id>.eml")
        ok(stat.S_IMODE(os.stat(path).st_mode) == 0o600, ".eml is mode 0600")
        ok(stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700,
           "DATA/mail/out is mode 0700")
        ob = os.stat(os.path.join(d, "mail", "outbox.db"))
        if os.geteuid() == 0:
            # serve gives the outbox to the mailer; the web workers'
            # group may write it (they enqueue); nobody else
            import grp
            import pwd
            ok(stat.S_IMODE(ob.st_mode) == 0o660 and
               ob.st_uid == pwd.getpwnam("rentport-mail").pw_uid and
               ob.st_gid == grp.getgrnam("rentport-web").gr_gid,
               "outbox.db is 0660 rentport-mail:rentport-web")
        else:
            ok(stat.S_IMODE(ob.st_mode) == 0o600, "outbox.db is mode 0600")
        check_message(open(path, "rb").read(), "RP-TEST0001", "eml")
        ok(wait_for(lambda: state(d, mid)[0] == "sent", 5),
           "outbox state sent (%s)" % (state(d, mid),))
        ok(wait_for(lambda: "mailer: sent 1" in
                    open(os.path.join(d, "log", "rentport.log")).read(), 5),
           "progress logged: mailer: sent 1")

        # A mailer that dies is restarted, re-registered with the vault
        # (the old pid forgotten), and carries on.
        os.kill(mailer, signal.SIGKILL)
        new = wait_for(lambda: (started_pid(d, "mail") != mailer and
                                started_pid(d, "mail")), 10)
        ok(new and pid_alive(new), "killed mailer restarted (%s → %s)"
           % (mailer, new))
        mid2 = int(helper("enqueue", d, person, "RP-TEST0002"))
        # the .eml is written before the outbox row says "sent": wait for
        # both (checking the state right after the file raced it)
        path2 = wait_for(lambda: state(d, mid2)[0] == "sent" and
                         eml_path(d, mid2), 10)
        ok(path2 is not None and state(d, mid2)[0] == "sent",
           "the restarted mailer delivers")

        # The vault restarts: the mailer sees its connection close,
        # reconnects (the new vault is told the mailer's pid) and delivers.
        vault = started_pid(d, "vault")
        os.kill(vault, signal.SIGKILL)
        ok(wait_for(lambda: started_pid(d, "vault") != vault and
                    "the vault closed the connection" in
                    open(os.path.join(d, "log", "rentport.log")).read(), 10),
           "vault restarted; the mailer noticed")
        mid3 = int(helper("enqueue", d, person, "RP-TEST0004"))
        ok(wait_for(lambda: eml_path(d, mid3), 10) is not None and
           state(d, mid3) == ("sent", 1, "-"),
           "delivered through the new vault, first attempt")
    finally:
        rc = srv.stop()
    ok(rc == 0, "serve exits 0 on SIGTERM")
    ok(srv.all_exited(), "every process exited, the mailer too")
    order = [k for k, st in exit_lines(d)]
    ok("mail" in order and "web" in order and "vault" in order and
       order.index("mail") > max(i for i, k in enumerate(order) if k == "web")
       and order.index("mail") < order.index("vault"),
       "stopped after the web workers, before the vault (%s)" % order)
    ok(all(st == "0" for k, st in exit_lines(d) if k == "mail"),
       "the mailer exited 0 on STOP")
    ok(restarts(d) == ["mail", "vault"],
       "mailer and vault restarted only when killed here (%s)" % restarts(d))

    needles = [EMAIL.encode(), "山田".encode()]
    hits = files_holding(os.path.join(d, "log"), needles)
    ok(hits == [], "no file under DATA/log holds the address or the name %s"
       % hits)
    ok(files_holding(d, needles) != [] and
       not any(x in open(os.path.join(d, "server.log"), "rb").read()
               for x in needles),
       "nor the server's output (the .eml does: the scan works)")

    r = subprocess.run([BIN, "log", "show", "--data-dir=" + d, "--role",
                        "mailer", "--json"], capture_output=True, text=True)
    entries = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
    gets = [e for e in entries if e["action"] == "get" and
            e["purpose"] == "mail" and e["outcome"] == "ok"]
    ok(r.returncode == 0 and len(gets) >= 3,
       "access log: %d releases to role mailer, purpose mail" % len(gets))
    ok(gets and all(e["node"] == "mailer" and e["actor"] == "job:mail" and
                    sorted(e["fields"]) == ["email", "name"] for e in gets),
       "node mailer, actor job:mail, fields name and email")
    srv.cleanup()


def test_smtp():
    d = tempfile.mkdtemp(prefix="rentport-mail-smtp-")
    port = free_port()
    srv = Server(workers=1, data_dir=d, args=[
        "--mail-transport=smtp", "--smtp-url=smtp://127.0.0.1:%d" % port,
        "--mail-backoff-base-s=2", "--mail-from=shop@rentport.example"])
    srv.start()
    sink = None
    try:
        person = int(helper("put", d))
        mid = int(helper("enqueue", d, person, "RP-TEST0003"))
        st = wait_for(lambda: state(d, mid)[1] >= 1 and state(d, mid), 10)
        ok(st and st[0] == "failed" and st[1] == 1,
           "relay down: failed after attempt 1 (%s)" % (st,))
        ok(st and st[2].startswith("smtp: ") and "@" not in st[2],
           "last_error is an error name, no address (%s)" % (st and st[2]))
        sink = SmtpSink(port)
        sink.start()
        st = wait_for(lambda: state(d, mid)[0] == "sent" and state(d, mid), 10)
        ok(st and st[1] == 2, "relay up: sent on attempt 2 (%s)" % (st,))
        with sink.lock:
            msgs = list(sink.messages)
        ok(len(msgs) == 1, "the relay got one message")
        if msgs:
            mail_from, rcpt, data = msgs[0]
            ok(mail_from == "<shop@rentport.example>", "MAIL FROM mail_from")
            ok(rcpt == ["<%s>" % EMAIL], "RCPT TO the vault's address")
            check_message(data, "RP-TEST0003", "smtp")
    finally:
        rc = srv.stop()
        if sink:
            sink.stop()
    ok(rc == 0, "serve (smtp) exits 0 on SIGTERM")
    ok(restarts(d) == [], "smtp: mailer and vault never restarted (%s)"
       % restarts(d))
    hits = files_holding(os.path.join(d, "log"), [EMAIL.encode(),
                                                  "山田".encode()])
    ok(hits == [], "smtp: no file under DATA/log holds the address or the "
       "name %s" % hits)
    ok(not os.path.exists(os.path.join(d, "mail", "out")) or
       os.listdir(os.path.join(d, "mail", "out")) == [],
       "smtp: no .eml written")
    srv.cleanup()


def test_bad_conf():
    r = subprocess.run([BIN, "serve", "--mail-transport=smtp"],
                       capture_output=True, text=True, timeout=30)
    ok(r.returncode == 2 and "smtp_url" in r.stderr,
       "smtp without smtp_url: exit 2 naming smtp_url")
    r = subprocess.run([BIN, "serve", "--smtp-url=http://relay/"],
                       capture_output=True, text=True, timeout=30)
    ok(r.returncode == 2 and "smtp_url" in r.stderr,
       "smtp_url not smtp:// or smtps://: exit 2 naming smtp_url")


def main():
    t0 = time.time()
    test_bad_conf()
    test_eml()
    test_smtp()
    print("# %.1f s" % (time.time() - t0))
    return T.done()


if __name__ == "__main__":
    sys.exit(main())
