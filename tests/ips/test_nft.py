# SPDX-License-Identifier: ISC
"""test_nft.py — the nftables helper (`rentport nft-helper`, src/ips/nft.c)
inside a network namespace this test creates, so the host's firewall is
never touched.

The script re-runs itself under `unshare -n` (root) or `unshare -rn` (an
unprivileged user namespace: root inside, CAP_NET_ADMIN over the new
network namespace only).  Inside, 10.0.0.1 and 10.0.0.2 are put on the
loopback interface; a TCP listener on 10.0.0.1 is reached from source
10.0.0.2, so every packet passes the input hook where the helper's drop
rule sits.  Then:

  * the helper sets up table inet rentport and listens on its socket;
  * "ban 10.0.0.2 3" → ok, `nft list set inet rentport ban4` shows the
    element with a timeout, a connection from 10.0.0.2 is dropped (the
    rule's counter grows, the connect never completes) while one from
    10.0.0.1 is served;
  * the element expires by itself (polled) and 10.0.0.2 connects again;
  * "unban" lifts a long ban at once; malformed lines are answered "err".

When the kernel or the sandbox refuses (no user namespaces, no nf_tables,
no libnftables at build time), it prints "SKIP: nftables not available
here: <reason>" and reports a TAP skip, not a failure.
"""
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

BIN = os.environ.get("RENTPORT_BIN", "")
INNER = "RP_NFT_TEST_INNER"


def skip(reason):
    print("# SKIP: nftables not available here: %s" % reason, flush=True)
    print("1..0 # SKIP nftables not available here: %s" % reason)
    sys.exit(0)


def outer():
    """Re-runs this script in a new network namespace."""
    if not BIN:
        skip("RENTPORT_BIN is not set")
    cmd = ["unshare", "-n"] if os.geteuid() == 0 else ["unshare", "-rn"]
    env = dict(os.environ)
    env[INNER] = "1"
    try:
        p = subprocess.run(cmd + [sys.executable, os.path.abspath(__file__)],
                           env=env, timeout=240)
    except FileNotFoundError:
        skip("unshare(1) is not installed")
    if p.returncode == 77:
        return 0
    if p.returncode not in (0, 1):
        # unshare itself failed (the child never printed a plan)
        skip("cannot create a network namespace (unshare %s exited %d)"
             % (" ".join(cmd[1:]), p.returncode))
    return p.returncode


def sh(*args, check=True):
    r = subprocess.run(list(args), capture_output=True, text=True, timeout=60)
    if check and r.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(args), r.stderr.strip()))
    return r


def until(cond, timeout=20.0, step=0.1):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(step)
    return cond()


class Helper:
    def __init__(self, data_dir):
        self.sock_path = os.path.join(data_dir, "run", "nft.sock")
        self.errf = open(os.path.join(data_dir, "helper.log"), "w+")
        self.p = subprocess.Popen([BIN, "nft-helper", "--data-dir=" + data_dir],
                                  stdout=self.errf, stderr=subprocess.STDOUT)
        self.conn = None

    def log(self):
        self.errf.flush()
        self.errf.seek(0)
        return self.errf.read().strip()

    def ready(self):
        if self.p.poll() is not None:
            return "exited"
        return os.path.exists(self.sock_path) and "ready"

    def send(self, line):
        if self.conn is None:
            self.conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.conn.settimeout(10)
            self.conn.connect(self.sock_path)
        self.conn.sendall(line.encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = self.conn.recv(256)
            if not chunk:
                break
            data += chunk
        return data.decode().strip()

    def stop(self):
        if self.conn is not None:
            self.conn.close()
        if self.p.poll() is None:
            self.p.terminate()
            self.p.wait(30)
        self.errf.close()


def elements(setname="ban4"):
    r = sh("nft", "list", "set", "inet", "rentport", setname, check=False)
    return r.stdout if r.returncode == 0 else ""


def drop_count(rule="@ban4"):
    out = sh("nft", "list", "chain", "inet", "rentport", "input").stdout
    return sum(int(n) for n in re.findall(re.escape(rule) +
                                          r" counter packets (\d+)", out))


def try_connect(src, port, family=socket.AF_INET, dst="10.0.0.1"):
    """Non-blocking connect from src: 'ok' if it completes within a poll
    round, else 'pending' (caller decides by polling the drop counter)."""
    s = socket.socket(family, socket.SOCK_STREAM)
    s.bind((src, 0))
    s.setblocking(False)
    try:
        s.connect((dst, port))
    except BlockingIOError:
        pass
    return s


def connected(s):
    try:
        s.getpeername()
        return True
    except OSError:
        return False


def inner():
    n = 0
    failed = 0

    def ok(cond, what):
        nonlocal n, failed
        n += 1
        failed += 0 if cond else 1
        print("%s %d - %s" % ("ok" if cond else "not ok", n, what), flush=True)
        return cond

    def skip_inner(reason):
        print("# SKIP: nftables not available here: %s" % reason, flush=True)
        print("1..0 # SKIP nftables not available here: %s" % reason)
        sys.exit(77)

    try:
        sh("ip", "link", "set", "lo", "up")
        sh("ip", "addr", "add", "10.0.0.1/32", "dev", "lo")
        sh("ip", "addr", "add", "10.0.0.2/32", "dev", "lo")
        sh("ip", "-6", "addr", "add", "2001:db8::99/64", "dev", "lo", "nodad")
        sh("ip", "-6", "addr", "add", "2001:db8:0:1::99/64", "dev", "lo",
           "nodad")
    except (RuntimeError, FileNotFoundError) as e:
        skip_inner("cannot configure the namespace's loopback: %s" % e)
    if sh("which", "nft", check=False).returncode != 0:
        skip_inner("the nft command is not installed (package nftables)")

    d = tempfile.mkdtemp(prefix="rentport-nft-")
    h = Helper(d)
    state = until(h.ready, timeout=30)
    if state != "ready":
        log = h.log()
        h.stop()
        reason = log.splitlines()[-1] if log else "helper did not start"
        if "not found" in log or "cannot run" in log or \
                "refused the set-up" in log or \
                "cannot create a context" in log:
            skip_inner(reason)
        ok(False, "helper started: %s" % log)
        print("1..%d" % n)
        sys.exit(1)
    try:
        ok(True, "helper set up table inet rentport: %s" % h.log())
        st = os.stat(h.sock_path)
        # owner and group (under serve: DATA/run's, the ips child's);
        # never others
        ok(st.st_mode & 0o777 == 0o660, "socket mode 0660 (%o)"
           % (st.st_mode & 0o777))
        chain = sh("nft", "list", "chain", "inet", "rentport", "input").stdout
        ok("hook input" in chain and "@ban4" in chain and "@ban6" in chain,
           "input chain drops @ban4 and @ban6")

        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.bind(("10.0.0.1", 0))
        srv.listen(16)
        port = srv.getsockname()[1]
        s = try_connect("10.0.0.2", port)
        ok(until(lambda: connected(s), timeout=10), "10.0.0.2 connects before the ban")
        s.close()

        ok(h.send("ban 10.0.0.2 3") == "ok", "ban 10.0.0.2 3 → ok")
        els = elements()
        ok(re.search(r"10\.0\.0\.2 timeout 3s expires", els) is not None,
           "nft list set inet rentport ban4 has it with a timeout: %s"
           % " ".join(els.split()))
        before = drop_count()
        s = try_connect("10.0.0.2", port)
        ok(until(lambda: drop_count() > before, timeout=10),
           "its SYN is dropped by the rule (counter %d → %d)"
           % (before, drop_count()))
        ok(not connected(s), "the connection from 10.0.0.2 does not complete")
        s.close()
        s = try_connect("10.0.0.1", port)
        ok(until(lambda: connected(s), timeout=10), "10.0.0.1 still connects")
        s.close()

        ok(until(lambda: "10.0.0.2" not in elements(), timeout=30),
           "the element expires by itself")
        s = try_connect("10.0.0.2", port)
        ok(until(lambda: connected(s), timeout=10),
           "10.0.0.2 connects again after the expiry")
        s.close()

        ok(h.send("ban 10.0.0.2 3600") == "ok", "ban for an hour")
        ok(h.send("ban 10.0.0.2 7200") == "ok", "ban again (timeout replaced)")
        ok(re.search(r"10\.0\.0\.2 timeout 2h expires", elements()) is not None,
           "the new timeout applies")
        ok(h.send("unban 10.0.0.2") == "ok", "unban → ok")
        ok("10.0.0.2" not in elements(), "gone from the set at once")
        ok(h.send("unban 10.0.0.2") == "ok", "unban of an absent address → ok")
        ok(h.send("ban 2001:db8::7 60") == "ok" and
           re.search(r"\b2001:db8:: timeout", elements("ban6")) is not None,
           "IPv6 goes to ban6, as its /64: %r" % " ".join(elements("ban6").split()))
        # the rule matches the source's /64: another host of it is dropped,
        # a host of the neighbouring /64 is not
        srv6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        srv6.bind(("::1", 0))
        srv6.listen(16)
        port6 = srv6.getsockname()[1]
        s = try_connect("2001:db8::99", port6, socket.AF_INET6, "::1")
        ok(until(lambda: drop_count("@ban6") > 0, timeout=10) and
           not connected(s), "2001:db8::99 (same /64 as the ban) is dropped")
        s.close()
        s = try_connect("2001:db8:0:1::99", port6, socket.AF_INET6, "::1")
        ok(until(lambda: connected(s), timeout=10),
           "2001:db8:0:1::99 (the next /64) still connects")
        s.close()
        srv6.close()
        ok(h.send("flush") == "ok" and "2001:db8::" not in elements("ban6"),
           "flush empties the sets")
        for bad in ("ban 10.0.0.2", "ban 10.0.0.2; flush ruleset 5",
                    "ban 10.0.0.300 5", "drop 10.0.0.2", "ban 10.0.0.2 0"):
            ok(h.send(bad).startswith("err"), "refused: %r" % bad)
        ok(h.p.poll() is None, "the helper survives malformed lines")
        srv.close()
    finally:
        h.stop()
    ok(not os.path.exists(h.sock_path), "socket removed at stop")

    # serve with ips_nft = 1: the parent starts the helper, the IPS child
    # forwards the store's bans (here an operator's) to it
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(
        __file__)), "..", "http"))
    import harness
    srv = harness.Server(workers=1, args=["--ips-nft=1", "--ips-sync-ms=200"])
    try:
        srv.start()
        r = sh(BIN, "ban", "add", "10.0.0.2", "--for=600",
               "--data-dir=" + srv.data_dir)
        ok(r.returncode == 0, "rentport ban add 10.0.0.2 (serve running)")
        ok(until(lambda: re.search(r"10\.0\.0\.2 timeout", elements())),
           "serve forwarded it to the kernel set: %s"
           % " ".join(elements().split()))
        r = sh(BIN, "ban", "remove", "10.0.0.2", "--data-dir=" + srv.data_dir)
        ok(until(lambda: "10.0.0.2" not in elements()),
           "and its removal")
        ok(srv.get("/healthz").status == 200, "serve answers meanwhile")

        def net_admin(pid):
            caps = {}
            for line in open("/proc/%d/status" % pid):
                k, _, v = line.partition(":")
                if k in ("CapEff", "CapPrm", "CapBnd"):
                    caps[k] = bool(int(v, 16) & (1 << 12))   # CAP_NET_ADMIN
            return caps
        web = harness.started_pid(srv.data_dir, "web")
        nft = harness.started_pid(srv.data_dir, "nft")
        ok(web and not any(net_admin(web).values()),
           "the web worker holds no CAP_NET_ADMIN (effective, permitted, "
           "bounding): %s" % (web and net_admin(web)))
        ok(nft and net_admin(nft).get("CapEff"),
           "the nftables helper does: %s" % (nft and net_admin(nft)))
        st = open("/proc/%d/status" % nft).read() if nft else ""
        ok(re.search(r"^CapEff:\s+0*1000$", st, re.M) and
           re.search(r"^CapPrm:\s+0*1000$", st, re.M) and
           re.search(r"^CapBnd:\s+0*1000$", st, re.M) and
           re.search(r"^NoNewPrivs:\s+1$", st, re.M) and
           re.search(r"^Seccomp:\s+2$", st, re.M),
           "the helper keeps CAP_NET_ADMIN alone (effective, permitted, "
           "bounding), under no_new_privs and seccomp")
    except Exception as e:
        ok(False, "serve with ips_nft = 1: %r\n# %s" % (e, srv.log_tail(20)
                                                        .replace("\n", "\n# ")))
    finally:
        srv.stop()
        srv.cleanup()
    print("1..%d" % n)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    if os.environ.get(INNER):
        inner()
    else:
        sys.exit(outer())
