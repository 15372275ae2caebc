"""HTTP layer: request parsing, authentication, authorization, routing and responses.

Any exception inside a handler becomes a 500 Status (and a logged traceback); the server
itself never stops because of a request.
"""

import json
import sys
import time
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler

from . import discovery, errors, ops, protobuf, reads, reviews, tables
from .auth import ANONYMOUS, Attributes, User
from .resources import VIRTUAL
from .util import dumps, new_uid

NAMESPACE_SUBRESOURCES = ("status", "finalize")
HEALTH = ("/healthz", "/livez", "/readyz")


class Request:
    """What the URL of a resource request names (kube-apiserver's RequestInfo)."""

    def __init__(self, group, version, ns, plural, name, sub, watch_path):
        self.group, self.version, self.ns, self.plural = group, version, ns, plural
        self.name, self.sub, self.watch_path = name, sub, watch_path


def parse_resource_path(parts):
    if parts[0] == "api" and len(parts) >= 3:
        group, version, rest = "", parts[1], parts[2:]
    elif parts[0] == "apis" and len(parts) >= 4:
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    watch_path = False
    if rest and rest[0] == "watch":
        watch_path, rest = True, rest[1:]
    if not rest:
        return None
    ns = ""
    if rest[0] == "namespaces" and len(rest) >= 2:
        if len(rest) >= 3 and rest[2] not in NAMESPACE_SUBRESOURCES:
            ns, rest = rest[1], rest[2:]
        else:
            ns = rest[1]  # the namespace object itself: its namespace is its name
    if len(rest) > 3 or any(not p for p in rest):
        return None
    plural = rest[0]
    name = rest[1] if len(rest) > 1 else ""
    sub = rest[2] if len(rest) > 2 else None
    return Request(group, version, ns, plural, name, sub, watch_path)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "vipd-test-apiserver"
    sys_version = ""

    # -- plumbing --

    def log_message(self, fmt, *args):
        pass  # _dispatch logs one line per request (--verbose) and every 500

    def log_error(self, fmt, *args):
        sys.stderr.write("apiserver: %s\n" % (fmt % args))

    def send_body(self, code, body, content_type="application/json", headers=None):
        data = body if isinstance(body, bytes) else (
            body.encode() if isinstance(body, str) else dumps(body).encode())
        self.send_response(code)
        self.send_header("Audit-Id", new_uid())
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Content-Type", content_type)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def send_error_status(self, err):
        body = err.status()
        cont = getattr(err, "continue_token", None)
        if cont:
            body["metadata"] = {"continue": cont}
        self.send_body(err.code, body, headers=err.headers)

    def start_chunked(self):
        self.send_response(200)
        self.send_header("Audit-Id", new_uid())
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        self.chunked = True

    def write_chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _json_body(self, raw):
        if not raw:
            return None
        if self.headers.get("Content-Type", "").startswith(
                "application/vnd.kubernetes.protobuf"):
            return protobuf.decode(raw)
        try:
            return json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as e:
            ctype = self.headers.get("Content-Type", "")
            if "json" not in ctype:
                raise errors.unsupported_media_type(ctype, ["application/json"])
            raise errors.bad_request("error decoding JSON body: %s" % e)

    def do_GET(self):
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    def _dispatch(self):
        self.chunked = False
        self.drop_connection = False
        started = time.monotonic()
        code = "-"
        try:
            code = self._route()
        except errors.ApiError as e:
            code = e.code
            if self.chunked:
                self.close_connection = True
            else:
                self.send_error_status(e)
        except OSError as e:  # the client went away (TLS EOF, reset, broken pipe)
            code = "closed (%s)" % type(e).__name__
            self.close_connection = True
            self.chunked = False
        except Exception as e:  # a bug must not take the server down
            code = 500
            traceback.print_exc(file=sys.stderr)
            if self.chunked:
                self.close_connection = True
            else:
                try:
                    self.send_error_status(errors.internal("%s: %s" % (type(e).__name__, e)))
                except OSError:
                    self.close_connection = True
        finally:
            if self.chunked:
                try:
                    self.wfile.write(b"0\r\n\r\n")
                    self.wfile.flush()
                except OSError:
                    self.drop_connection = True
                # A watch that ended normally leaves the connection open for the next
                # request (keep-alive), as Go's server does.
                if self.drop_connection:
                    self.close_connection = True
        if self.server.api.verbose or code == 500:
            sys.stderr.write("apiserver: %s %s -> %s (%.1f ms)\n" % (
                self.command, self.path, code, 1000 * (time.monotonic() - started)))

    # -- routing --

    def _user(self):
        auth = self.headers.get("Authorization", "")
        user = self.server.api.authn.from_cert(self.connection.getpeercert())
        if user is None and auth.lower().startswith("bearer "):
            user = self.server.api.authn.from_token(auth[7:].strip())
            if user is None:
                raise errors.unauthorized()
        return self._impersonate(user or ANONYMOUS)

    def _impersonate(self, user):
        """Impersonate-User / Impersonate-Group headers (kubectl --as, --as-group)."""
        name = self.headers.get("Impersonate-User")
        groups = self.headers.get_all("Impersonate-Group") or []
        if not name:
            if groups:
                raise errors.bad_request("requested [%s] without impersonating a user" %
                                         ", ".join("{Group  %s}" % g for g in groups))
            return user
        parts = name.split(":")
        if len(parts) == 4 and name.startswith("system:serviceaccount:"):
            attrs = Attributes("impersonate", "", "serviceaccounts", "", parts[3], parts[2])
            extra = ["system:serviceaccounts", "system:serviceaccounts:" + parts[2]]
        else:
            attrs = Attributes("impersonate", "", "users", "", name)
            extra = []
        self._authorize(user, attrs)
        for g in groups:
            self._authorize(user, Attributes("impersonate", "", "groups", "", g))
        all_groups = list(groups) + [g for g in extra if g not in groups]
        if name != "system:anonymous" and "system:authenticated" not in all_groups:
            all_groups.append("system:authenticated")
        return User(name, all_groups)

    def _authorize(self, user, attrs, res_name=""):
        allowed, _ = self.server.api.authorizer.authorize(user, attrs)
        if allowed:
            return
        if attrs.path is not None:
            raise errors.ApiError(403, "Forbidden", "forbidden: " +
                                  attrs.forbidden_message(user), {})
        raise errors.forbidden(attrs.resource, attrs.group, attrs.name,
                               attrs.forbidden_message(user))

    def _route(self):
        api = self.server.api
        url = urllib.parse.urlsplit(self.path)
        params = {k: v[-1] for k, v in urllib.parse.parse_qs(
            url.query, keep_blank_values=True).items()}
        raw = self._read_body() if self.command in ("POST", "PUT", "PATCH", "DELETE") else b""
        user = self._user()
        path = url.path.rstrip("/") or "/"
        parts = [urllib.parse.unquote(p) for p in path.strip("/").split("/")] if path != "/" \
            else []
        req = parse_resource_path(parts) if parts else None
        if req is None or (parts[0] == "api" and len(parts) < 3) or (
                parts[0] == "apis" and len(parts) < 4):
            verb = self.command.lower()
            self._authorize(user, Attributes("get" if verb == "head" else verb, path=path))
            return self._non_resource(path, parts)
        return self._resource(user, req, params, raw)

    def _non_resource(self, path, parts):
        api = self.server.api
        accept = self.headers.get("Accept", "")
        if self.command not in ("GET", "HEAD"):
            raise errors.ApiError(405, "MethodNotAllowed", "the server does not allow this "
                                  "method on the requested resource", {})
        if path in HEALTH:
            self.send_body(200, "ok", "text/plain; charset=utf-8")
        elif path == "/version":
            self.send_body(200, json.dumps(discovery.VERSION, indent=2))
        elif path == "/":
            self.send_body(200, {"paths": ["/api", "/api/v1", "/apis", "/healthz", "/livez",
                                           "/openapi/v3", "/readyz", "/version"]})
        elif path in ("/api", "/apis") and "as=APIGroupDiscoveryList" in accept and \
                "v=v2" in accept:
            self.send_body(200, discovery.aggregated(api.registry, path == "/api"),
                           discovery.AGGREGATED_V2)
        elif path == "/api":
            self.send_body(200, discovery.api_versions(api.address))
        elif path == "/apis":
            self.send_body(200, discovery.group_list(api.registry))
        elif parts[0] == "apis" and len(parts) == 2:
            doc = discovery.group(api.registry, parts[1])
            if doc is None:
                raise errors.path_not_found()
            self.send_body(200, doc)
        elif (parts[0] == "api" and len(parts) == 2) or (parts[0] == "apis" and len(parts) == 3):
            group, version = ("", parts[1]) if parts[0] == "api" else (parts[1], parts[2])
            doc = discovery.resource_list(api.registry, group, version)
            if doc is None:
                raise errors.path_not_found()
            self.send_body(200, doc)
        elif path == "/openapi/v3":
            self.send_body(200, discovery.openapi_root(api.registry))
        elif parts[:2] == ["openapi", "v3"] and len(parts) >= 4:
            if parts[2] == "api" and parts[3] == "v1" and len(parts) == 4:
                group, version = "", "v1"
            elif parts[2] == "apis" and len(parts) == 5:
                group, version = parts[3], parts[4]
            else:
                raise errors.path_not_found()
            if not api.registry.in_group_version(group, version):
                raise errors.path_not_found()
            self.send_body(200, discovery.openapi_gv(api.registry, group, version))
        else:
            raise errors.path_not_found()
        return 200

    def _verb(self, req, params):
        m = self.command
        if m in ("GET", "HEAD"):
            if req.name:
                return "watch" if req.watch_path else "get"
            return "watch" if req.watch_path or params.get("watch") in ("true", "1") else "list"
        if m == "POST":
            return "create"
        if m == "PUT":
            return "update"
        if m == "PATCH":
            return "patch"
        if m == "DELETE":
            return "delete" if req.name else "deletecollection"
        raise errors.ApiError(405, "MethodNotAllowed", "the server does not allow this method "
                              "on the requested resource", {})

    def _resource(self, user, req, params, raw):
        api = self.server.api
        res = api.registry.lookup(req.group, req.version, req.plural)
        if res is None:
            raise errors.path_not_found()
        is_ns_object = res.key == ("", "namespaces")
        if req.ns and not res.namespaced and not is_ns_object:
            raise errors.path_not_found()
        if req.sub and req.sub not in res.subresources:
            raise errors.path_not_found()
        verb = self._verb(req, params)
        name = req.name
        if req.watch_path and req.name:
            params = dict(params, fieldSelector="metadata.name=" + req.name)
            name = ""
        attrs = Attributes(verb, res.group, res.plural, req.sub or "", req.name, req.ns)
        self._authorize(user, attrs)
        ctx = ops.Ctx(api, user, req.version, params, self.headers.get("User-Agent", ""))
        if params.get("dryRun") and params["dryRun"] != "All":
            raise errors.bad_request('dryRun: Unsupported value: "%s": supported values: '
                                     '"All"' % params["dryRun"])
        ns = req.ns if res.namespaced else ""
        if is_ns_object:
            ns = ""
        if res.key in VIRTUAL:
            return self._virtual(res, user, verb, raw)
        if req.sub == "token":
            if verb != "create":
                raise errors.method_not_supported(res.plural + "/token", res.group, verb)
            code, out = reviews.token_request(api, ns, name, self._json_body(raw))
            self.send_body(code, out)
            return code
        if res.namespaced and not ns and verb not in ("list", "watch"):
            raise errors.path_not_found()
        if verb not in res.verbs and not (req.sub and verb in res.subresources[req.sub]):
            raise errors.method_not_supported(res.plural, res.group, verb)
        if verb in ("update", "patch") and not name:
            raise errors.ApiError(405, "MethodNotAllowed", "the server does not allow this "
                                  "method on the requested resource", {})
        return getattr(self, "_" + verb)(res, ctx, ns, name, req.sub, params, raw)

    def _wants_table(self):
        accept = self.headers.get("Accept", "")
        first = accept.split(",")[0]
        return "as=Table" in first and "g=meta.k8s.io" in first

    def _virtual(self, res, user, verb, raw):
        if verb != "create":
            raise errors.method_not_supported(res.plural, res.group, verb)
        body = self._json_body(raw)
        body = {} if body is None else body
        if not isinstance(body, dict):
            raise errors.bad_request("json: cannot unmarshal %s into Go value of type v1.%s" % (
                "array" if isinstance(body, list) else type(body).__name__, res.kind))
        api = self.server.api
        if res.plural == "selfsubjectaccessreviews":
            code, out = reviews.access_review(api, user, body, True)
        elif res.plural == "subjectaccessreviews":
            code, out = reviews.access_review(api, user, body, False)
        elif res.plural == "selfsubjectrulesreviews":
            code, out = reviews.rules_review(api, user, body)
        else:
            code, out = reviews.whoami(user, body)
        self.send_body(code, out)
        return code

    # -- verbs --

    def _get(self, res, ctx, ns, name, sub, params, raw):
        obj = ctx.store.get(res.key, ns, name)
        if obj is None:
            raise errors.not_found(res.stored_as.plural, res.stored_as.group, name)
        obj = ops.versioned(res, ctx.version, obj)
        if self._wants_table():
            obj = tables.table(res, ctx.version, [obj], {"resourceVersion": obj["metadata"][
                "resourceVersion"]}, params.get("includeObject", "Metadata"))
        self.send_body(200, obj)
        return 200

    def _list(self, res, ctx, ns, name, sub, params, raw):
        _, list_meta, items = reads.list_objects(res, ctx, ns, params)
        if self._wants_table():
            body = tables.table(res, ctx.version, items, list_meta,
                                params.get("includeObject", "Metadata"))
        else:
            body = reads.list_body(res, ctx, list_meta, items)
        self.send_body(200, body)
        return 200

    def _watch(self, res, ctx, ns, name, sub, params, raw):
        reads.WatchStream(self, res, ctx, ns, params, self._wants_table()).run()
        return 200

    def _create(self, res, ctx, ns, name, sub, params, raw):
        if name or sub:
            raise errors.method_not_supported(res.plural, res.group, "create")
        body = self._json_body(raw)
        code, obj = ops.create(res, ctx, ns, body if body is not None else {})
        self.send_body(code, ops.versioned(res, ctx.version, obj))
        return code

    def _update(self, res, ctx, ns, name, sub, params, raw):
        body = self._json_body(raw)
        code, obj = ops.update(res, ctx, ns, name, body if body is not None else {}, sub)
        self.send_body(code, ops.versioned(res, ctx.version, obj))
        return code

    def _patch(self, res, ctx, ns, name, sub, params, raw):
        ctype = self.headers.get("Content-Type", "").split(";")[0].strip()
        code, obj = ops.patch(res, ctx, ns, name, ctype, raw, sub)
        self.send_body(code, ops.versioned(res, ctx.version, obj))
        return code

    def _delete_options(self, params, raw):
        options = self._json_body(raw) or {}
        if not isinstance(options, dict):
            raise errors.bad_request("DeleteOptions must be an object")
        if params.get("propagationPolicy"):
            options["propagationPolicy"] = params["propagationPolicy"]
        return options

    def _delete(self, res, ctx, ns, name, sub, params, raw):
        if sub:
            raise errors.method_not_supported(res.plural + "/" + sub, res.group, "delete")
        code, out = ops.delete(res, ctx, ns, name, self._delete_options(params, raw))
        self.send_body(code, out)
        return code

    def _deletecollection(self, res, ctx, ns, name, sub, params, raw):
        options = self._delete_options(params, raw)
        list_params = {k: v for k, v in params.items() if k in ("labelSelector",
                                                                "fieldSelector")}
        _, _, items = reads.list_objects(res, ctx, ns, list_params)
        deleted = ops.delete_collection(res, ctx, ns, items, options)
        with ctx.store.cond:
            rv = str(ctx.store.rv)
        self.send_body(200, reads.list_body(res, ctx, {"resourceVersion": rv}, deleted))
        return 200
