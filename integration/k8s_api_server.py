#!/usr/bin/env python3
"""A test Kubernetes API server (Python standard library + the openssl command).

    python3 integration/k8s_api_server.py --listen 127.0.0.1:0 --data-dir DIR \
        [--compact-every N] [--drop-watches-every SECONDS] [--bookmark-interval SECONDS] \
        [--watch-timeout SECONDS] [--no-persist] [--verbose]

Prints exactly one line, `ready https://HOST:PORT`, once it serves; writes
DIR/admin.kubeconfig (cluster admin by client certificate, CA pinned); stops cleanly on
SIGTERM or SIGINT. What it implements and how it differs from kube-apiserver:
integration/K8S_API_SERVER.md.
"""

import argparse
import os
import signal
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from k8s_api.server import ApiServer  # noqa: E402


def _listen(text):
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError("expected HOST:PORT, got %r" % text)
    return host.strip("[]") or "127.0.0.1", int(port)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listen", type=_listen, required=True, help="HOST:PORT (PORT 0: any)")
    ap.add_argument("--data-dir", required=True, help="CA, certificates, kubeconfig, state")
    ap.add_argument("--compact-every", type=int, default=0, metavar="N",
                    help="keep only the last N events: older resourceVersions expire (410)")
    ap.add_argument("--drop-watches-every", type=float, default=0, metavar="SECONDS",
                    help="end every open watch stream at this interval")
    ap.add_argument("--bookmark-interval", type=float, default=5.0, metavar="SECONDS",
                    help="BOOKMARK period on watches that allow them (default 5)")
    ap.add_argument("--watch-timeout", type=int, default=1800, metavar="SECONDS",
                    help="server-side watch timeout when the client sets none")
    ap.add_argument("--no-persist", action="store_true",
                    help="do not keep objects in DATA_DIR/state.json across restarts")
    ap.add_argument("--verbose", action="store_true", help="log every request on stderr")
    args = ap.parse_args()
    os.makedirs(args.data_dir, exist_ok=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    api = ApiServer(args.data_dir, history_limit=args.compact_every or 10000,
                    watch_timeout=args.watch_timeout, bookmark_interval=args.bookmark_interval,
                    verbose=args.verbose, persist=not args.no_persist)
    url = api.listen(*args.listen)
    api.serve(drop_watches_every=args.drop_watches_every or None)
    print("ready " + url, flush=True)
    while not stop.wait(1.0):
        pass
    api.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
