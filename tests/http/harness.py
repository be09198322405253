# SPDX-License-Identifier: ISC
"""harness.py — spawn a `rentport serve` for HTTP tests and talk to it.

Python 3 standard library only, importable by other test scripts:

    from harness import Server
    with Server(workers=2) as srv:       # srv.url, srv.data_dir, srv.port
        m = srv.metrics()                # internal listener srv.metrics_port
        r = srv.get("/healthz")          # Response(status, headers, body)
        r = srv.raw(b"GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")

Server makes a temporary data directory, picks a free loopback port, runs
`$RENTPORT_BIN serve --data-dir=DIR --port=PORT --workers=N`, waits until
/healthz answers, and on stop() sends SIGTERM and checks that the parent
and every child it had exited.  The server's output goes to DIR/server.log
(shown by log_tail() when a test fails).
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time


class Response:
    """A parsed HTTP response; headers is a list of (lower-name, value)."""

    def __init__(self, status, reason, headers, body, raw):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.raw = raw

    def header(self, name, default=None):
        name = name.lower()
        for k, v in self.headers:
            if k == name:
                return v
        return default

    def header_all(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k == name]

    def __repr__(self):
        return "<Response %s %d headers, %d bytes>" % (
            self.status, len(self.headers), len(self.body))


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def read_response(sock, head_only=False, timeout=10.0):
    """Reads one response from sock (Content-Length, chunked or to EOF)."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    if b"\r\n\r\n" not in data:
        raise ConnectionError("connection closed before the response head: %r"
                              % data[:200])
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/1\.[01] (\d{3}) ?(.*)", lines[0])
    if not m:
        raise ValueError("bad status line %r" % lines[0])
    status = int(m.group(1))
    headers = []
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers.append((k.strip().lower(), v.strip()))
    hdr = dict(headers)
    body = rest
    if head_only or status in (204, 304) or 100 <= status < 200:
        body = b""
    elif "content-length" in hdr:
        n = int(hdr["content-length"])
        while len(body) < n:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
        body = body[:n]
    elif hdr.get("transfer-encoding", "").lower() == "chunked":
        buf = body
        body = b""
        while True:
            while b"\r\n" not in buf:
                buf += sock.recv(65536)
            size_line, buf = buf.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            while len(buf) < size + 2:
                buf += sock.recv(65536)
            body += buf[:size]
            buf = buf[size + 2:]
            if size == 0:
                break
    else:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
    return Response(status, m.group(2), headers, body, head + b"\r\n\r\n")


def pg_store(tap=None):
    """The core store for this run of a test: a fresh database on the
    private PostgreSQL `make test` starts (scripts/pgtmp.sh; its admin URL
    in RENTPORT_TEST_PG) when the test is registered in the pg suite
    (RENTPORT_TEST_PG_WANTED), else None (SQLite in the data directory).
    Wanted without a server: a TAP skip, and the process exits."""
    if not os.environ.get("RENTPORT_TEST_PG_WANTED"):
        return None
    admin = os.environ.get("RENTPORT_TEST_PG", "")
    if not admin.endswith("/postgres"):
        print("1..0 # SKIP no private PostgreSQL (make test starts one: "
              "scripts/pgtmp.sh)")
        sys.exit(0)
    name = "s_%d_%d" % (os.getpid(), int(time.time() * 1000) % 10**9)
    subprocess.run(["psql", "-q", admin, "-c", "CREATE DATABASE " + name],
                   check=True, capture_output=True, timeout=60)
    return admin[:-len("postgres")] + name


class Server:
    def __init__(self, workers=2, args=(), env=None, binary=None,
                 data_dir=None):
        self.binary = binary or os.environ.get("RENTPORT_BIN")
        self.given_dir = data_dir
        if not self.binary:
            raise RuntimeError("RENTPORT_BIN is not set")
        self.workers = workers
        self.args = list(args)
        self.env = dict(os.environ)
        self.env.update(env or {})
        self.dir = None
        self.port = None
        self.proc = None
        self.children = set()

    # -- lifecycle --------------------------------------------------------
    def start(self, timeout=60.0):
        self.dir = self.given_dir or tempfile.mkdtemp(prefix="rentport-http-")
        self.port = free_port()
        # The access log's HTTP and the local witness get free ports too,
        # so tests never collide with each other or with `make run`.
        self.alog_port = free_port()
        self.witness_port = free_port()
        self.paysim_port = free_port()
        self.paylink_port = free_port()
        # /metrics is only on the internal listener (issue 10).
        self.metrics_port = free_port()
        # the staff console (issue 11): its own listener
        self.console_port = free_port()
        self.logf = open(os.path.join(self.dir, "server.log"), "ab")
        cmd = [self.binary, "serve", "--data-dir=" + self.dir,
               "--port=%d" % self.port, "--workers=%d" % self.workers,
               "--listen-addr=127.0.0.1",
               "--alog-http-port=%d" % self.alog_port,
               "--witness-port=%d" % self.witness_port,
               "--paysim-port=%d" % self.paysim_port,
               "--paylink-port=%d" % self.paylink_port,
               "--metrics-port=%d" % self.metrics_port,
               "--console-port=%d" % self.console_port] + self.args
        self.proc = subprocess.Popen(cmd, stdout=self.logf,
                                     stderr=subprocess.STDOUT, env=self.env)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited with %s:\n%s" %
                                   (self.proc.returncode, self.log_tail()))
            try:
                if self.ready():
                    self.children = self.child_pids()
                    return self
            except (OSError, ValueError):
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("server did not answer /healthz:\n" + self.log_tail())

    def ready(self):
        """Whether the started server serves (a site node: /healthz)."""
        return self.get("/healthz", timeout=2).status == 200

    def child_pids(self):
        """Pids of the parent's current children (from /proc)."""
        pids = set()
        for task in os.listdir("/proc/%d/task" % self.proc.pid):
            try:
                with open("/proc/%d/task/%s/children" %
                          (self.proc.pid, task)) as f:
                    pids.update(int(p) for p in f.read().split())
            except OSError:
                pass
        return pids

    def titled(self, title):
        """Pids of the children whose process title starts with title
        (e.g. "rentport: auth")."""
        out = []
        for p in self.child_pids():
            try:
                with open("/proc/%d/cmdline" % p) as f:
                    if f.read().startswith(title):
                        out.append(p)
            except OSError:
                pass
        return out

    def stop(self, timeout=30.0):
        """SIGTERM; returns the exit status; raises if a process lingers."""
        if self.proc is None:
            return None
        try:
            self.children |= self.child_pids()
        except OSError:
            pass
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError("server ignored SIGTERM for %ss" % timeout)
        deadline = time.time() + timeout
        alive = set(self.children)
        while alive and time.time() < deadline:
            for pid in list(alive):
                if not pid_alive(pid):
                    alive.discard(pid)
            time.sleep(0.05)
        self.proc = None
        self.logf.close()
        if alive:
            for pid in alive:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            raise RuntimeError("children still running after stop: %s" %
                               sorted(alive))
        return rc

    @property
    def url(self):
        """Base URL, e.g. http://127.0.0.1:PORT (no trailing slash)."""
        return "http://127.0.0.1:%d" % self.port

    @property
    def data_dir(self):
        return self.dir

    def all_exited(self):
        """True once the parent and every child seen have exited."""
        if self.proc is not None and self.proc.poll() is None:
            return False
        return not any(pid_alive(p) for p in self.children)

    def cleanup(self):
        if self.dir and not os.environ.get("RENTPORT_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        try:
            self.stop()
        finally:
            self.cleanup()

    def log_tail(self, n=40):
        try:
            with open(os.path.join(self.dir, "server.log"), "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
            return "\n".join(lines[-n:])
        except OSError:
            return "(no log)"

    def read_file(self, rel):
        with open(os.path.join(self.dir, rel), "rb") as f:
            return f.read()

    # -- requests -----------------------------------------------------------
    def connect(self, timeout=10.0):
        return socket.create_connection(("127.0.0.1", self.port), timeout)

    def raw(self, data, head_only=False, timeout=10.0):
        """Sends data as-is on a new connection and reads one response."""
        with self.connect(timeout) as s:
            s.sendall(data)
            return read_response(s, head_only, timeout)

    def request(self, method, path, headers=None, body=b"", timeout=10.0):
        h = {"Host": "localhost:%d" % self.port, "Connection": "close"}
        h.update(headers or {})
        if body and "Content-Length" not in h and \
                "Transfer-Encoding" not in h:
            h["Content-Length"] = str(len(body))
        lines = ["%s %s HTTP/1.1" % (method, path)]
        lines += ["%s: %s" % (k, v) for k, v in h.items()]
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        return self.raw(data, head_only=(method == "HEAD"), timeout=timeout)

    def get(self, path, headers=None, timeout=10.0):
        return self.request("GET", path, headers, timeout=timeout)

    @property
    def metrics_url(self):
        """The internal metrics listener, e.g. http://127.0.0.1:PORT."""
        return "http://127.0.0.1:%d" % self.metrics_port

    def metrics_request(self, method="GET", path="/metrics", timeout=10.0):
        """A request to the internal metrics listener (not the sites')."""
        data = ("%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                "Connection: close\r\n\r\n" % (method, path,
                                                  self.metrics_port))
        with socket.create_connection(("127.0.0.1", self.metrics_port),
                                      timeout) as s:
            s.sendall(data.encode("latin-1"))
            return read_response(s, method == "HEAD", timeout)

    def metrics(self):
        """Parses /metrics (internal listener) into {(name,
        frozenset(labels)): value}."""
        r = self.metrics_request()
        if r.status != 200:
            raise ValueError("metrics listener answered %d" % r.status)
        out = {}
        for line in r.body.decode().splitlines():
            if not line or line.startswith("#"):
                continue
            m = re.match(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$', line)
            if not m:
                raise ValueError("bad metrics line %r" % line)
            labels = frozenset(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"',
                                          m.group(3) or ""))
            out[(m.group(1), labels)] = float(m.group(4))
        return out


def api_call(base, method, path, key=None, body=None, headers=None,
             timeout=30):
    """A JSON API call: (status, decoded body or None).  body: a value to
    send as JSON, or bytes as they are; key: an API key (Bearer)."""
    import json
    import urllib.error
    import urllib.request
    data = None if body is None else (body if isinstance(body, bytes)
                                      else json.dumps(body).encode())
    req = urllib.request.Request(base + path, data=data, method=method)
    if key:
        req.add_header("Authorization", "Bearer " + key)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def pid_alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except OSError:
        return False


class Tap:
    """Minimal TAP output for the end-to-end test scripts.

        t = Tap()
        t.ok(cond, "what")
        sys.exit(t.done())
    """

    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, what):
        self.n += 1
        if not cond:
            self.failed += 1
        # one line: a description quoting a command's output stays TAP
        what = " ".join(str(what).split())
        print(("ok" if cond else "not ok") + " %d - %s" % (self.n, what),
              flush=True)
        return cond

    def done(self):
        print("1..%d" % self.n)
        return 1 if self.failed else 0


def started_pid(data_dir, kind, index=1):
    """The pid the parent last started for child kind/index (from its log)."""
    text = open(os.path.join(data_dir, "log", "rentport.log")).read()
    pids = re.findall(r"started %s/%d as pid (\d+)" % (kind, index), text)
    return int(pids[-1]) if pids else None
