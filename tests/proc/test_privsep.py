#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""
Privilege separation, end to end, tried as an attacker would, against a
`rentport serve` started as root (proc/sandbox.c):

- every process kind runs as its own system user (ps), no child as root;
  every child has NoNewPrivs 1 and Seccomp 2 (filter); the key holders are
  not dumpable (the kernel then gives their /proc files to root);
- a process with the web workers' user, in the data directory (as a
  worker is), cannot open the vault's master key, the log signing key, the
  payment agent secret, the witness key, the operator token or a delivered
  mail, and cannot ptrace the vault;
- code injected into a real web worker (gdb attaches and calls functions
  inside it, so every call runs under the worker's own user, landlock and
  seccomp): open() of each key fails; asking the vault for a back-office
  read, with a forged capability, or for a traveller it has no capability
  for is refused, and each refusal is in the access log with the worker's
  node and the principal the vault verified (never the one the worker
  claims); it may store its own new traveller but not tie a second one to
  that order; a "my order" link comes to it only sealed to the mail sender;
  a forged receipt opens no session; ptrace() is a seccomp violation: the worker dies of SIGSYS and the
  parent records the restart with the syscall's name;
- started by another user, serve still runs with every child confined by
  seccomp and landlock and not dumpable, and says so in one line.
Prints TAP; skips when not root (there are no users to drop to).
"""
import ctypes
import grp
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "http"))
from harness import Server, Tap  # noqa: E402

T = Tap()
ok = T.ok
BIN = os.environ["RENTPORT_BIN"]

KEYS = ["vault/master.key", "alog/key", "paysim/api.secret",
        "paysim/webhook.secret", "witness/key", "vault/operator.token",
        "paysim/card.key", "auth/auth.db", "auth/totp.key",
        "keys/capability.key"]

USERS = {"web": "rentport-web", "vault": "rentport-vault",
         "log-writer": "rentport-alog", "witness": "rentport-witness",
         "mailer": "rentport-mail", "paylink": "rentport-pay",
         "paysim": "rentport-paysim", "ips": "rentport-ips",
         "auth": "rentport-auth", "console": "rentport-console"}
KEY_HOLDERS = ("vault", "log-writer", "witness", "paylink", "paysim", "auth")


def procs(parent):
    """{pid: (title, uid)} of the parent's children."""
    out = {}
    with open("/proc/%d/task/%d/children" % (parent, parent)) as f:
        kids = [int(x) for x in f.read().split()]
    for p in kids:
        try:
            with open("/proc/%d/cmdline" % p, "rb") as f:
                title = f.read().split(b"\0")[0].decode()
            with open("/proc/%d/status" % p) as f:
                st = f.read()
        except OSError:
            continue
        uid = int(re.search(r"^Uid:\s+(\d+)", st, re.M).group(1))
        out[p] = (title, uid, st)
    return out


def kind_of(title):
    m = re.match(r"rentport: (\S+)", title)
    return m.group(1) if m else None


def as_web_user(data_dir, vault_pid):
    """Forks a child that becomes the web workers' user in the data
    directory and tries what an attacker would; returns its findings."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        res = {}
        try:
            pw = pwd.getpwnam("rentport-web")
            groups = [grp.getgrnam(g).gr_gid
                      for g in ("rentport-core", "rentport-run")]
            os.chdir(data_dir)
            os.setgroups(groups)
            os.setresgid(pw.pw_gid, pw.pw_gid, pw.pw_gid)
            os.setresuid(pw.pw_uid, pw.pw_uid, pw.pw_uid)
            res["uid"] = os.getuid()
            for k in KEYS:
                try:
                    with open(k, "rb") as f:
                        f.read(1)
                    res[k] = "read"
                except OSError as e:
                    res[k] = e.errno
            try:
                os.listdir("mail/out")
                res["mail/out"] = "listed"
            except OSError as e:
                res["mail/out"] = e.errno
            try:
                os.open("core.db", os.O_RDWR)
                res["core.db"] = "opened"
            except OSError as e:
                res["core.db"] = e.errno
            libc = ctypes.CDLL(None, use_errno=True)
            libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long,
                                    ctypes.c_void_p, ctypes.c_void_p]
            rc = libc.ptrace(16, vault_pid, None, None)   # PTRACE_ATTACH
            res["ptrace"] = ctypes.get_errno() if rc != 0 else "attached"
        except Exception as e:  # noqa: BLE001
            res["error"] = repr(e)
        os.write(w, json.dumps(res).encode())
        os._exit(0)
    os.close(w)
    data = b""
    while True:
        b = os.read(r, 65536)
        if not b:
            break
        data += b
    os.close(r)
    os.waitpid(pid, 0)
    return json.loads(data)


def gdb(pid, cmds):
    """Runs gdb commands inside process pid; returns the $N = values."""
    args = ["gdb", "-nx", "-batch", "-p", str(pid),
            "-ex", "set confirm off", "-ex", "set pagination off",
            "-ex", "handle SIGSYS stop print pass"]
    for c in cmds:
        args += ["-ex", c]
    p = subprocess.run(args, capture_output=True, text=True, timeout=120)
    vals = re.findall(r"^\$\d+ = (.*)$", p.stdout, re.M)
    return vals, p.stdout + p.stderr


def unprivileged():
    """serve started by another user (a developer's laptop): no users to
    drop to, but every child is still confined and not dumpable, and
    serve says so in one line."""
    from harness import free_port
    import tempfile
    import urllib.request
    nobody = pwd.getpwnam("nobody")
    top = tempfile.mkdtemp(prefix="rentport-nonroot-", dir="/tmp")
    os.chmod(top, 0o755)
    binary = os.path.join(top, "rentport")
    shutil.copy2(BIN, binary)
    os.chmod(binary, 0o755)
    data = os.path.join(top, "var")
    os.mkdir(data, 0o700)
    os.chown(data, nobody.pw_uid, nobody.pw_gid)
    port = free_port()
    args = [binary, "serve", "--data-dir=" + data, "--port=%d" % port,
            "--workers=1", "--listen-addr=127.0.0.1",
            "--metrics-port=%d" % free_port(),
            "--console-port=%d" % free_port(),
            "--alog-http-port=%d" % free_port(),
            "--witness-port=%d" % free_port(),
            "--paysim-port=%d" % free_port(),
            "--paylink-port=%d" % free_port()]

    def drop():
        os.setgroups([])
        os.setresgid(nobody.pw_gid, nobody.pw_gid, nobody.pw_gid)
        os.setresuid(nobody.pw_uid, nobody.pw_uid, nobody.pw_uid)
    logf = open(os.path.join(top, "serve.out"), "wb")
    proc = subprocess.Popen(args, stdout=logf, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, preexec_fn=drop,
                            cwd=top)
    try:
        up = False
        for _ in range(200):
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/healthz"
                                            % port, timeout=2) as r:
                    up = r.status == 200
                    break
            except Exception:  # noqa: BLE001
                time.sleep(0.1)
        ok(up, "not root: serve answers")
        time.sleep(1.0)
        kids = procs(proc.pid)
        ok(len(kids) >= 7 and all(uid == nobody.pw_uid
                                  for _, uid, _ in kids.values()),
           "not root: every child runs as the starting user (%d)" % len(kids))
        ok(all(re.search(r"^NoNewPrivs:\s+1$", st, re.M) and
               re.search(r"^Seccomp:\s+2$", st, re.M)
               for _, _, st in kids.values()),
           "not root: every child has NoNewPrivs 1 and Seccomp 2")
        ok(all(os.stat("/proc/%d/environ" % p).st_uid == 0 for p in kids),
           "not root: no child is dumpable")
        with open(os.path.join(data, "log", "rentport.log")) as f:
            lines = [ln for ln in f if "privilege separation: not started "
                     "as root" in ln]
        ok(len(lines) == 1 and "landlock" in lines[0] and
           "seccomp" in lines[0], "not root: serve says so in one line")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        logf.close()
        shutil.rmtree(top, ignore_errors=True)


def main():
    if os.geteuid() != 0:
        print("1..0 # SKIP not root: serve has no users to drop to")
        return 0
    srv = Server(workers=2)
    srv.start()
    try:
        time.sleep(1.0)
        kids = procs(srv.proc.pid)
        by_kind = {}
        for p, (title, uid, st) in kids.items():
            by_kind.setdefault(kind_of(title), []).append((p, uid, st))
        ok(set(USERS) <= set(by_kind),
           "a process of every kind, titled (%s)" % sorted(by_kind))
        for k, user in sorted(USERS.items()):
            want = pwd.getpwnam(user).pw_uid
            ok(all(uid == want for _, uid, _ in by_kind.get(k, [])) and
               k in by_kind, "%s runs as %s" % (k, user))
        ok(all(uid != 0 for _, uid, _ in
               (x for v in by_kind.values() for x in v)),
           "no child runs as root")
        ok(all(re.search(r"^NoNewPrivs:\s+1$", st, re.M) and
               re.search(r"^Seccomp:\s+2$", st, re.M)
               for v in by_kind.values() for _, _, st in v),
           "every child: NoNewPrivs 1, Seccomp 2")
        for k in KEY_HOLDERS:
            pids = [p for p, _, _ in by_kind.get(k, [])]
            ok(pids and all(os.stat("/proc/%d/environ" % p).st_uid == 0
                            for p in pids),
               "%s (a key holder) is not dumpable" % k)
        ok(all(os.stat("/proc/%d/environ" % p).st_uid == 0
               for p, _, _ in by_kind.get("web", [])),
           "web workers are not dumpable either")
        with open(os.path.join(srv.data_dir, "log", "rentport.log")) as f:
            log = f.read()
        ok("privilege separation: each process kind runs as its own user"
           in log, "serve says how it separates")

        # --- a process with the web workers' user -------------------------
        vault_pid = by_kind["vault"][0][0]
        res = as_web_user(srv.data_dir, vault_pid)
        ok(res.get("uid") == pwd.getpwnam("rentport-web").pw_uid,
           "the attacker runs as rentport-web (%s)" % res.get("error", ""))
        for k in KEYS:
            ok(os.path.exists(os.path.join(srv.data_dir, k)) and
               res.get(k) == 13, "as rentport-web: %s cannot be opened (%s)"
               % (k, res.get(k)))
        ok(res.get("mail/out") == 13, "as rentport-web: delivered mail "
           "cannot be listed")
        ok(res.get("core.db") == "opened", "as rentport-web: the core store "
           "opens (the web tier writes orders; it holds no personal data)")
        ok(res.get("ptrace") == 1, "as rentport-web: ptrace of the vault "
           "fails with EPERM (%s)" % res.get("ptrace"))

        # --- code injected into a real web worker ---------------------------
        if shutil.which("gdb") is None:
            ok(False, "gdb is installed (scripts/install-deps.sh)")
            return 1
        victim = by_kind["web"][0][0]
        cmds = []
        for k in KEYS:
            cmds.append('call (int)open("%s", 0)' % k)
            cmds.append("call (int)*(int *)__errno_location()")
        cmds += [
            'set $c = (struct rp_vault_caller *)(void *)calloc(1, '
            'sizeof(struct rp_vault_caller))',
            'call (int)rp_vault_caller_init($c, "backoffice", "web", '
            '"staff:intruder", "support")',
            'set $rec = (struct rp_vault_record *)(void *)calloc(4, '
            'sizeof(struct rp_vault_record))',
            "call (int)rp_web_vault_get($c, 1, 0xffff, $rec)",
            # a forged capability (the worker cannot make one: it has no key)
            'call (int)rp_vault_caller_init($c, "public_web", "web", '
            '"session:forger", "order_view")',
            "call (void)memset($c->cap, 7, 90)",
            "set $c->cap_len = 90",
            "call (int)rp_web_vault_get($c, 1, 0xffff, $rec)",
            # a traveller of an order it has no capability or session for
            'call (int)rp_vault_caller_init($c, "public_web", "web", '
            '"session:snoop", "order_view")',
            'call (void)strcpy($c->scope_order, "RP-AAAAAAAA")',
            "call (int)rp_web_vault_get($c, 1, 0x3f, $rec)",
            # its own new traveller on a new order: stored, with a receipt;
            # a second traveller tied to that order (so as to read the
            # first): refused
            'set $vcp = (struct rp_vault_client **)(void *)calloc(1, 8)',
            'call (int)rp_vault_client_connect(".", 0, $vcp)',
            'set $p = (struct rp_vault_person *)(void *)calloc(1, '
            'sizeof(struct rp_vault_person))',
            'set $p->f[0].p = "Intruder Ichiro"',
            "set $p->f[0].n = 15",
            'set $ord = (struct rp_str *)(void *)calloc(1, '
            'sizeof(struct rp_str))',
            'set $ord->p = "RP-PRIVSEP1"',
            "set $ord->n = 11",
            'call (int)rp_vault_caller_init($c, "public_web", "web", '
            '"web", "order_new")',
            "set $idp = (unsigned long *)(void *)calloc(1, 8)",
            'set $rc = (struct rp_vault_receipt *)(void *)calloc(1, '
            'sizeof(struct rp_vault_receipt))',
            "call (int)rp_vault_client_put(*$vcp, $c, $p, 0, $ord, 1, $idp, "
            "$rc)",
            "call (unsigned)$rc->n",
            "set *$idp = 0",
            "call (int)rp_vault_client_put(*$vcp, $c, $p, 0, $ord, 1, $idp, "
            "$rc)",
            # a "my order" link: the identity holder hands it out sealed
            # to the mail sender only; a forged receipt opens no session
            "set $buf = (char *)(void *)calloc(1, 2048)",
            "call (void)rp_conf_public_base(rp_worker.conf, $buf, 300)",
            "set $sid = (char *)(void *)calloc(1, 64)",
            "set $tok = (char *)(void *)calloc(1, 64)",
            'call (int)rp_auth_client_link_new(".", 0, "RP-PRIVSEP1", $buf, '
            "$buf + 300, $sid)",
            "call (long)strlen($buf + 300)",
            "call (long)strstr($buf + 300, $buf)",
            "call (void)memset($c->cap, 9, 90)",
            'set $nn = (struct rp_str *)(void *)calloc(1, '
            'sizeof(struct rp_str))',
            'call (int)rp_auth_client_receipt(".", 0, $c->cap, 90, *$nn, '
            '$tok)',
            "call (long)ptrace(16, %d, 0, 0)" % vault_pid,
        ]
        vals, out = gdb(victim, cmds)
        n = 2 * len(KEYS)
        if len(vals) < n + 2:
            print("# " + out[-3000:].replace("\n", "\n# "))
        for i, k in enumerate(KEYS):
            got = vals[2 * i:2 * i + 2]
            ok(len(got) == 2 and got[0] == "-1" and got[1] in ("13", "1"),
               "inside web worker: open(%s) fails (%s)" % (k, got))
        ok(len(vals) > n + 1 and vals[n] == "0" and vals[n + 1] == "-13",
           "inside web worker: a back-office read is refused by the vault "
           "(RP_E_DENIED: %s)" % vals[n:n + 2])
        ok(len(vals) > n + 3 and vals[n + 2] == "0" and vals[n + 3] == "-13",
           "inside web worker: a forged capability is refused (%s)"
           % vals[n + 2:n + 4])
        ok(len(vals) > n + 5 and vals[n + 4] == "0" and
           vals[n + 5] in ("-13", "-5"),
           "inside web worker: a traveller of another order is refused "
           "(%s)" % vals[n + 4:n + 6])
        got = vals[n + 6:n + 15]
        ok(len(got) == 9 and got[0] == "0" and got[1] == "0" and
           got[2] == "0" and int(got[3]) > 0,
           "inside web worker: its own new traveller on a new order is "
           "stored, with the vault's receipt (%s)" % got[:4])
        ok(len(got) == 9 and got[4] == "-13",
           "inside web worker: a second traveller tied to an order that has "
           "one is refused (%s)" % got[4:5])
        ok(len(got) == 9 and got[5] == "0" and int(got[6]) > 100 and
           got[7] == "0",
           "inside web worker: a \"my order\" link comes only sealed to the "
           "mail sender (no URL in it) (%s)" % got[5:8])
        ok(len(got) == 9 and got[8] == "-13",
           "inside web worker: a forged receipt opens no session (%s)"
           % got[8:9])
        # the refusal is in the access log, with the worker's node
        deadline = time.time() + 10
        found = None
        while time.time() < deadline and found is None:
            p = subprocess.run([BIN, "log", "show", "--json", "--role",
                                "backoffice", "--data-dir=" + srv.data_dir],
                               capture_output=True, text=True, timeout=60)
            for line in p.stdout.splitlines():
                line = line.strip().rstrip(",")
                if not line.startswith("{"):
                    continue
                e = json.loads(line)
                if (e.get("role") == "backoffice" and
                        e.get("node", "").startswith("web/")):
                    found = e
            if found is None:
                time.sleep(0.5)
        ok(found is not None and found.get("outcome") != "ok",
           "the refused back-office read is in the access log with node "
           "web/N (%s)" % (found and {k: found.get(k) for k in
                                      ("node", "role", "outcome")}))
        p = subprocess.run([BIN, "log", "show", "--json",
                            "--data-dir=" + srv.data_dir],
                           capture_output=True, text=True, timeout=60)
        ents = [json.loads(ln.strip().rstrip(",")) for ln in
                p.stdout.splitlines() if ln.strip().startswith("{")]
        forged = [e for e in ents if e.get("actor") == "cap:forged"]
        ok(forged and all(e.get("node", "").startswith("web/") and
                          e.get("outcome") == "refused" for e in forged),
           "the forged capability is in the access log: actor cap:forged, "
           "node web/N, refused (%s)" % forged[:1])
        ok(found is not None and found.get("actor") == "anonymous",
           "... naming the principal the vault verified (anonymous), not "
           "the one the worker claimed (%s)" % (found and found.get("actor")))
        claimed = [e for e in ents if e.get("actor") in
                   ("staff:intruder", "session:snoop", "session:forger")]
        ok(ents and not claimed, "no access-log entry names a principal the "
           "worker merely claimed (%d)" % len(claimed))
        snoop = [e for e in ents if e.get("purpose") == "order_view" and
                 e.get("node", "").startswith("web/") and
                 e.get("actor") == "anonymous"]
        ok(snoop and all(e.get("outcome") != "ok" for e in snoop),
           "the other order's traveller: logged, not released (%s)"
           % [e.get("outcome") for e in snoop])
        tied = [e for e in ents if e.get("action") == "refused" and
                e.get("purpose") == "order_new" and
                e.get("node", "").startswith("web/")]
        ok(tied, "the refused second traveller is in the access log with "
           "node web/N (%d)" % len(tied))
        # ptrace is outside the allowlist: the worker dies of SIGSYS
        deadline = time.time() + 15
        line = None
        while time.time() < deadline and line is None:
            with open(os.path.join(srv.data_dir, "log", "rentport.log")) as f:
                for ln in f:
                    if ("pid %d" % victim) in ln and "seccomp violation" in ln \
                            and "restart" in ln:
                        line = ln.strip()
            time.sleep(0.3)
        ok(line is not None and "ptrace" in line,
           "ptrace from the worker: killed, restart recorded with the "
           "syscall (%s)" % line)
        time.sleep(1.5)
        kids = procs(srv.proc.pid)
        webs = [p for p, (t, _, _) in kids.items() if kind_of(t) == "web"]
        ok(len(webs) == 2 and victim not in webs,
           "the worker was replaced (%s)" % webs)
    finally:
        srv.stop()
    unprivileged()
    return T.done()


if __name__ == "__main__":
    sys.exit(main())
