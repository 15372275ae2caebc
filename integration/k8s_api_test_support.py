"""Helpers for k8s_api_server_test.py: a server process per test, kubectl runs with a private
cache and HOME, raw HTTPS requests and watch streams with the admin client certificate, and
the test runner (one line per test, temporary directory removed afterwards)."""
import argparse
import http.client
import json
import os
import selectors
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "k8s_api_server.py")
ROOT = os.path.dirname(HERE)
# The project's copies of the shared fixtures (provenance in each folder's README).
CRDS = os.path.join(ROOT, "deploy", "crds")
SAMPLES = os.path.join(ROOT, "config", "tests", "data", "metallb", "configsamples")
K8S = os.path.join(ROOT, "k8s", "tests", "data")
KUBECTL = ["kubectl"]


def wait_for(what, predicate, timeout, interval=0.05):
    """Polls predicate until it returns a true value; raises after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except Exception as e:  # not there yet: keep polling
            last = e
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


class Server:
    """One k8s_api_server.py process on 127.0.0.1:0 with its own data directory."""

    def __init__(self, root, *args, data_dir=None):
        self.root = root
        self.dir = data_dir or os.path.join(root, "data")
        self.args = args
        self.cache = os.path.join(root, "kubectl-cache")
        self.log_path = os.path.join(root, "server-%d.log" % time.monotonic_ns())
        self.children = []
        self.start()

    def start(self):
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [sys.executable, SERVER, "--listen", "127.0.0.1:0", "--data-dir", self.dir,
             *self.args], stdout=subprocess.PIPE, stderr=self.log, text=True)
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + 30
        line = ""
        while time.monotonic() < deadline and not line:
            if sel.select(timeout=max(0.0, deadline - time.monotonic())):
                line = self.proc.stdout.readline()
                if not line:
                    break
        sel.close()
        assert line.startswith("ready https://127.0.0.1:"), (line, self.tail())
        self.url = line.split()[1]
        self.port = int(self.url.rsplit(":", 1)[1])
        self.kubeconfig = os.path.join(self.dir, "admin.kubeconfig")
        ctx = ssl.create_default_context(cafile=os.path.join(self.dir, "ca.crt"))
        ctx.load_cert_chain(os.path.join(self.dir, "admin.crt"),
                            os.path.join(self.dir, "admin.key"))
        self.tls = ctx

    def tail(self, n=4000):
        try:
            with open(self.log_path) as f:
                return f.read()[-n:]
        except OSError:
            return ""

    def stop(self):
        """SIGTERM, then the exit status must be 0 (a clean stop)."""
        for p in self.children:
            if p.poll() is None:
                p.kill()
                p.wait()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                code = self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("server did not stop within 15 s of SIGTERM")
            assert code == 0, (code, self.tail())
        self.proc.stdout.close()
        self.log.close()

    def env(self, kubeconfig=None):
        env = dict(os.environ, KUBECONFIG=kubeconfig or self.kubeconfig,
                   KUBECACHEDIR=self.cache, HOME=self.root)
        return env

    def kubectl(self, *args, kubeconfig=None, input=None, check=True, timeout=60):
        res = subprocess.run(KUBECTL + list(args), env=self.env(kubeconfig), input=input,
                             capture_output=True, text=True, timeout=timeout)
        if check and res.returncode != 0:
            raise AssertionError("kubectl %s failed (%d): %s%s" % (
                " ".join(args), res.returncode, res.stdout, res.stderr))
        return res

    def kubectl_json(self, *args, **kw):
        return json.loads(self.kubectl(*args, "-o", "json", **kw).stdout)

    def background(self, *args, kubeconfig=None):
        """kubectl in the background, its stdout in a file; stopped by stop() or by PID."""
        out = open(os.path.join(self.root, "bg-%d.out" % len(self.children)), "w+")
        p = subprocess.Popen(KUBECTL + list(args), env=self.env(kubeconfig), stdout=out,
                             stderr=subprocess.STDOUT, text=True)
        p.out = out
        self.children.append(p)
        return p

    def conn(self, timeout=30):
        return http.client.HTTPSConnection("127.0.0.1", self.port, context=self.tls,
                                           timeout=timeout)

    def request(self, method, path, body=None, headers=None):
        c = self.conn()
        hdrs = {"Accept": "application/json"}
        if body is not None:
            hdrs["Content-Type"] = "application/json"
            if not isinstance(body, (bytes, str)):
                body = json.dumps(body)
        hdrs.update(headers or {})
        c.request(method, path, body=body, headers=hdrs)
        r = c.getresponse()
        data = r.read()
        c.close()
        try:
            return r.status, json.loads(data) if data else None
        except ValueError:
            return r.status, data.decode(errors="replace")

    def watch(self, path, timeout=30):
        """(response, connection) of a watch; read events with next_event()."""
        c = self.conn(timeout)
        c.request("GET", path, headers={"Accept": "application/json"})
        r = c.getresponse()
        return r, c


def next_event(resp):
    line = resp.readline()
    return json.loads(line) if line.strip() else None


def read_events(resp, count):
    out = []
    while len(out) < count:
        ev = next_event(resp)
        if ev is None:
            break
        out.append(ev)
    return out


def rv(obj):
    return int(obj["metadata"]["resourceVersion"])


def run(tests, argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("-k", default="", help="run only tests whose name contains this")
    parser.add_argument("--kubectl", default="kubectl")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directories")
    args = parser.parse_args(argv)
    KUBECTL[0] = args.kubectl
    if shutil.which(args.kubectl) is None:
        print("kubectl not found: %s" % args.kubectl)
        return 1
    passed = failed = 0
    for test in tests:
        if args.k not in test.__name__:
            continue
        root = tempfile.mkdtemp(prefix="k8s-api-test-")
        start = time.monotonic()
        try:
            test(root)
            passed += 1
            print(f"PASS {test.__name__} ({time.monotonic() - start:.1f}s)", flush=True)
        except Exception:
            failed += 1
            print(f"FAIL {test.__name__} ({time.monotonic() - start:.1f}s)", flush=True)
            traceback.print_exc()
            for name in sorted(os.listdir(root)):
                if name.startswith("server-"):
                    with open(os.path.join(root, name)) as f:
                        print(f"--- {name}\n{f.read()[-3000:]}")
        finally:
            if not args.keep:
                shutil.rmtree(root, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or passed == 0 else 0
