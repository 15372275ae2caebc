"""The server object: TLS listener, shared state, bootstrap objects and background timers."""

import os
import socket
import ssl
import sys
import threading
from http.server import ThreadingHTTPServer

from . import certs, events, ops
from .auth import Authenticator, Authorizer, User, bootstrap_rbac
from .handler import Handler
from .resources import Registry, resource_from_crd
from .store import Store, obj_key

BOOT_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


class TLSHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # idle keep-alive connections must not hold up a stop
    request_queue_size = 128
    idle_timeout = 600

    def __init__(self, address, family, context, api):
        self.address_family = family
        self.context = context
        self.api = api
        super().__init__(address, Handler)

    def finish_request(self, request, client_address):
        # The handshake runs in the connection's own thread, so a slow client cannot stall
        # accept().
        request.settimeout(30)
        # An answer goes out in several writes (status line and headers, then the body): without
        # TCP_NODELAY the body waits for the client's delayed ACK, 40 ms per request.
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as e:
            if self.api.verbose:
                sys.stderr.write("apiserver: TLS handshake from %s failed: %s\n" % (
                    client_address[0], e))
            return
        tls.settimeout(self.idle_timeout)
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        sys.stderr.write("apiserver: connection from %s ended with an error\n" %
                         (client_address[0],))


class ApiServer:
    def __init__(self, data_dir, history_limit=10000, watch_timeout=1800,
                 bookmark_interval=5.0, verbose=False, persist=True):
        self.data_dir = data_dir
        self.verbose = verbose
        self.watch_timeout = watch_timeout
        self.bookmark_interval = bookmark_interval
        certs.ensure(data_dir)
        self.ca_pem = certs.read(data_dir, "ca.crt")
        self.store = Store(history_limit, os.path.join(data_dir, "state.json") if persist
                           else None)
        self.registry = Registry()
        self.authn = Authenticator(certs.read(data_dir, "token-signing.key").strip(),
                                   certs.read(data_dir, "admin.token").strip(), self.store)
        self.authorizer = Authorizer(self.store)
        self.address = ""
        self.httpd = None
        self._stop = threading.Event()
        if self.store.load():
            # State saved before Events were one store keeps events.k8s.io Events apart.
            for obj in self.store.objects.pop((events.GROUP, "events"), {}).values():
                stored = events.to_storage(events.GROUP, obj)
                self.store.objects[("", "events")].setdefault(obj_key(stored), stored)
            for crd in self.store.items(ops.CRD_KEY):
                self.registry.set_crd(crd["metadata"]["name"], resource_from_crd(crd))
        else:
            self._bootstrap()

    def _bootstrap(self):
        admin = User("system:apiserver", ["system:masters"])
        ctx = ops.Ctx(self, admin, "v1", {"fieldManager": "kube-apiserver"})
        ns_res = self.registry.by_key(ops.NS_KEY)
        for ns in BOOT_NAMESPACES:
            ops.create(ns_res, ctx, "", {"metadata": {"name": ns}})
        rctx = ops.Ctx(self, admin, "v1", {"fieldManager": "kube-apiserver"})
        for plural, obj in bootstrap_rbac():
            ops.create(self.registry.by_key(("rbac.authorization.k8s.io", plural)), rctx, "",
                       obj)
        svc = self.registry.by_key(("", "services"))
        ops.create(svc, ctx, "default", {"metadata": {"name": "kubernetes", "labels": {
            "component": "apiserver", "provider": "kubernetes"}}, "spec": {
            "type": "ClusterIP", "clusterIP": "198.51.100.1", "ports": [
                {"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}]}})

    def _register_endpoints(self, host, port):
        """The kubernetes Service's Endpoints and EndpointSlice point at this listener."""
        admin = User("system:apiserver", ["system:masters"])
        ctx = ops.Ctx(self, admin, "v1", {"fieldManager": "kube-apiserver"})
        ep_res = self.registry.by_key(("", "endpoints"))
        body = {"metadata": {"name": "kubernetes", "labels": {
            "endpointslice.kubernetes.io/skip-mirror": "true"}},
            "subsets": [{"addresses": [{"ip": host}], "ports": [
                {"name": "https", "port": port, "protocol": "TCP"}]}]}
        ops.update(ep_res, ctx, "default", "kubernetes", body)
        es_res = self.registry.by_key(("discovery.k8s.io", "endpointslices"))
        sctx = ops.Ctx(self, admin, "v1", {"fieldManager": "kube-apiserver"})
        old = self.store.get(es_res.key, "default", "kubernetes")
        slice_body = {"metadata": {"name": "kubernetes", "labels": {
            "kubernetes.io/service-name": "kubernetes",
            "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"}},
            "addressType": "IPv6" if ":" in host else "IPv4",
            "endpoints": [{"addresses": [host], "conditions": {"ready": True}}],
            "ports": [{"name": "https", "port": port, "protocol": "TCP"}]}
        if old is None:
            ops.create(es_res, sctx, "default", slice_body)
        else:
            slice_body["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"]
            ops.update(es_res, sctx, "default", "kubernetes", slice_body)

    def listen(self, host, port):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(os.path.join(self.data_dir, "server.crt"),
                            os.path.join(self.data_dir, "server.key"))
        ctx.load_verify_locations(os.path.join(self.data_dir, "ca.crt"))
        ctx.verify_mode = ssl.CERT_OPTIONAL
        ctx.set_alpn_protocols(["http/1.1"])
        self.httpd = TLSHTTPServer((host, port), family, ctx, self)
        real_port = self.httpd.server_address[1]
        shown = "[%s]" % host if family == socket.AF_INET6 else host
        self.address = "%s:%d" % (shown, real_port)
        self._register_endpoints(host, real_port)
        certs.write_kubeconfig(self.data_dir, "https://" + self.address)
        self.store.save(force=True)
        return "https://" + self.address

    def _every(self, seconds, fn):
        def loop():
            while not self._stop.wait(seconds):
                try:
                    fn()
                except Exception as e:  # keep the timer alive
                    sys.stderr.write("apiserver: timer error: %s\n" % e)
        t = threading.Thread(target=loop, daemon=True)
        t.start()

    def serve(self, drop_watches_every=None):
        self._every(0.5, self.store.save)
        if drop_watches_every:
            self._every(drop_watches_every, self.store.drop_watches)
        t = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.2},
                             daemon=True)
        t.start()
        return t

    def shutdown(self):
        self._stop.set()
        self.store.stop()
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
        self.store.save(force=True)
