#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""make cluster: several nodes on loopback — a private PostgreSQL, a core
node (vault, log writer, witness, identity holder, payments) and two web
nodes, each with its own data directory and ports, mutual TLS between the
web nodes and the core.  Seeds the demo data once, prints what `make run`
prints for each web node, and stops everything on Ctrl-C.

The steps are the ones a person follows on real hosts (README, "Several
nodes"); tests/cluster/ drives the same functions:
  1. rentport pki ca CA; rentport pki issue CA --role=core|web --node=NAME
  2. seed the core store once, with the core node's data directory
  3. share_keys(): the keys every web node needs the same copy of
  4. rentport serve --role=core …; rentport serve --role=web --core-addr=…
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Files made on the core node that every web node must hold the same copy
# of: order numbers come from one shared sequence through this key (two
# keys could map two ids to one number); the mailer opens the "my order"
# links the identity holder seals to mail-link.pub; the card step shows
# the payment agent's publishable key.
# The address in mail links: node A's here (a load balancer's in front of
# every web node in production).
PUBLIC = "http://localhost:8080"

SHARED = [("keys/order-number.key", 0o640), ("mail/link.key", 0o600),
          ("keys/mail-link.pub", 0o644), ("paysim/publishable.key", 0o644)]


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd[:3]),
                           r.returncode, (r.stderr or r.stdout)[-2000:]))
    return r.stdout


def make_pki(binary, ca_dir, nodes):
    """A CA in ca_dir and each node's certificates: nodes is a list of
    (role, name, data_dir)."""
    run([binary, "pki", "ca", ca_dir])
    for role, name, d in nodes:
        run([binary, "pki", "issue", ca_dir, "--role=" + role,
             "--node=" + name, "--data-dir=" + d])


def share_keys(core_dir, node_dir):
    """Copies SHARED from the core node's data directory to a web node's
    (serve then gives each file to its holder)."""
    for rel, mode in SHARED:
        src = os.path.join(core_dir, rel)
        if not os.path.exists(src):
            continue
        dst = os.path.join(node_dir, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copyfile(src, dst)
        os.chmod(dst, mode)


def core_args(gate_port, ports, public_url):
    """serve flags of the core node; ports: alog, witness, paysim, paylink.
    public_url: the sites' one address (a load balancer's in production),
    the same on every node: the identity holder makes links only for it."""
    return ["--role=core", "--gate-addr=127.0.0.1",
            "--public-url=" + public_url,
            "--gate-port=%d" % gate_port,
            "--alog-http-port=%d" % ports[0], "--witness-port=%d" % ports[1],
            "--paysim-port=%d" % ports[2], "--paylink-port=%d" % ports[3]]


def web_args(gate_port, paysim_port, public_url):
    """serve flags of a web node (its own site, metrics and console ports
    are the caller's)."""
    return ["--role=web", "--core-addr=127.0.0.1:%d" % gate_port,
            "--public-url=" + public_url,
            "--paysim-local=0", "--witness-local=0",
            "--pay-agent-url=http://127.0.0.1:%d" % paysim_port]


def wait_log(path, needles, proc, timeout=60.0):
    """Until every needle is in the file at path (a node's rentport.log)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("exited with %s" % proc.returncode)
        try:
            with open(path, errors="replace") as f:
                text = f.read()
            if all(n in text for n in needles):
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("%s: not ready (%s)" % (path, needles))


def main():
    binary = os.path.join(ROOT, "build", "rentport")
    base = tempfile.mkdtemp(prefix="rentport-cluster-")
    os.chmod(base, 0o755)
    procs = []
    pg_dir = os.path.join(base, "pg")
    os.mkdir(pg_dir)
    os.chmod(pg_dir, 0o755)
    admin = run(["sh", os.path.join(ROOT, "scripts", "pgtmp.sh"), "start",
                 pg_dir]).strip()
    try:
        run(["psql", "-q", admin, "-c", "CREATE DATABASE rentport"])
        store = admin[:-len("postgres")] + "rentport"
        env = dict(os.environ, RENTPORT_STORE=store)
        core, a, b = (os.path.join(base, n) for n in ("core", "a", "b"))
        make_pki(binary, os.path.join(base, "ca"),
                 [("core", "core", core), ("web", "a", a), ("web", "b", b)])
        seed = run([binary, "seed", "--demo", "--data-dir=" + core], env=env)
        gate, side = 8096, [8091, 8092, 8093, 8094]
        log = open(os.path.join(base, "core.out"), "ab")
        procs.append(subprocess.Popen(
            [binary, "serve", "--data-dir=" + core] +
            core_args(gate, side, PUBLIC),
            env=env, stdout=log, stderr=subprocess.STDOUT))
        wait_log(os.path.join(core, "log", "rentport.log"),
                 ["vault/1 ready", "auth/1 ready", "gate/1 ready",
                  "paysim/1 ready"], procs[-1])
        print("rentport cluster on loopback, data in %s" % base)
        print("  PostgreSQL        %s" % store)
        print("  core node         127.0.0.1:%d (vault, access log, "
              "identity holder; mutual TLS), data %s" % (gate, core))
        print("  access log        http://127.0.0.1:%d/checkpoint" % side[0])
        print("  paysim            http://127.0.0.1:%d/" % side[2])
        for name, d, port in (("a", a, 8080), ("b", b, 8180)):
            share_keys(core, d)
            out = open(os.path.join(base, name + ".out"), "w+")
            procs.append(subprocess.Popen(
                [binary, "serve", "--data-dir=" + d, "--port=%d" % port,
                 "--metrics-port=%d" % (port + 15),
                 "--console-port=%d" % (port + 1)] +
                web_args(gate, side[2], PUBLIC), env=env, stdout=out,
                stderr=subprocess.STDOUT))
            wait_log(os.path.join(d, "log", "rentport.log"),
                     ["web/1 ready", "gate/1 ready"], procs[-1])
            out.seek(0)
            print("web node %s:" % name)
            for line in out.read().splitlines():
                if line.startswith("  ") and "core node" not in line:
                    print("  " + line)
        # the demo logins and API keys, as make run prints them
        for line in seed.splitlines():
            if line.startswith("demo staff") or line.startswith("  "):
                print(line)
        print("Press Ctrl-C to stop.")
        sys.stdout.flush()
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(
            KeyboardInterrupt()))
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        print("a node stopped; stopping the cluster", file=sys.stderr)
    except KeyboardInterrupt:
        pass
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(30)
                except subprocess.TimeoutExpired:
                    p.kill()
        subprocess.run(["sh", os.path.join(ROOT, "scripts", "pgtmp.sh"),
                        "stop", pg_dir], capture_output=True)
        print("stopped; data kept in %s" % base)


if __name__ == "__main__":
    main()
