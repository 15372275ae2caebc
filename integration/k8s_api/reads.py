"""GET paths: get, list (consistent snapshots, limit/continue, resourceVersion semantics)
and watch (replay from history, bookmarks, 410 as an ERROR event, chunked streaming)."""

import base64
import json
import time

from . import errors, tables
from .ops import versioned
from .selectors import FieldSelector, LabelSelector
from .util import dumps

CONTINUE_EXPIRED = ("The provided continue parameter is too old to display a consistent list "
                    "result. You can start a new list without the continue parameter, or use "
                    "the continue token in this response to retrieve the remainder of the "
                    "results. Continuing with the provided token results in an inconsistent "
                    "list - objects that were created, modified, or deleted between the time "
                    "the first chunk was returned and now may show up in the list.")


def _encode_continue(rv, start):
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": start},
                     separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_continue(token):
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        d = json.loads(raw)
        if d.get("v") != "meta.k8s.io/v1":
            raise ValueError("version")
        return int(d["rv"]), str(d["start"])
    except (ValueError, KeyError, TypeError):
        raise errors.bad_request("continue key is not valid: incorrect encoded start "
                                 "resourceVersion (version meta.k8s.io/v1)")


def _selectors(res, params):
    ls = LabelSelector(params.get("labelSelector", ""))
    fs = FieldSelector(params.get("fieldSelector", ""), res.field_labels)
    return ls, fs


def _matches(obj, ns, ls, fs):
    m = obj["metadata"]
    if ns and m.get("namespace") != ns:
        return False
    return ls.matches(m.get("labels")) and fs.matches(obj)


def _parse_rv(text, what="resource version"):
    try:
        v = int(text)
        if v < 0:
            raise ValueError()
        return v
    except ValueError:
        raise errors.bad_request('invalid %s: "%s"' % (what, text))


def _wait_for_rv(store, rv):
    """A version newer than the store: wait briefly for it (as the watch cache does)."""
    deadline = time.monotonic() + 3
    while store.rv < rv:
        left = deadline - time.monotonic()
        if left <= 0:
            raise errors.too_large_rv(rv, store.rv)
        store.cond.wait(left)


def list_objects(res, ctx, ns, params):
    store = ctx.store
    ls, fs = _selectors(res, params)
    rv_param = params.get("resourceVersion")
    match = params.get("resourceVersionMatch")
    cont = params.get("continue")
    limit = params.get("limit")
    limit = _parse_rv(limit, "limit") if limit else 0
    if match and not rv_param:
        raise errors.bad_request("resourceVersionMatch is forbidden unless resourceVersion is "
                                 "provided")
    if match and match not in ("Exact", "NotOlderThan"):
        raise errors.bad_request('resourceVersionMatch: Unsupported value: "%s": supported '
                                 'values: "Exact", "NotOlderThan"' % match)
    if cont and rv_param not in (None, "", "0"):
        raise errors.bad_request("specifying resource version is not allowed when using "
                                 "continue")
    if match == "Exact" and rv_param == "0":
        raise errors.bad_request('resourceVersionMatch "exact" is forbidden for '
                                 'resourceVersion "0"')
    start = ""
    with store.cond:
        if cont:
            rv, start = _decode_continue(cont)
            try:
                items = store.items_at(res.key, ns or None, rv)
            except errors.ApiError as e:
                if e.code != 410:
                    raise
                raise errors.expired(CONTINUE_EXPIRED, _encode_continue(store.rv, start))
        elif rv_param not in (None, "", "0") and (match == "Exact" or (limit and not match)):
            rv = _parse_rv(rv_param)
            items = store.items_at(res.key, ns or None, rv)
        else:
            if rv_param not in (None, "", "0"):
                _wait_for_rv(store, _parse_rv(rv_param))
            rv = store.rv
            items = store.items(res.key, ns or None)
    items = [o for o in items if _matches(o, ns, ls, fs)]
    if start:
        after = tuple(start.split("/", 1))
        items = [o for o in items if (o["metadata"].get("namespace", ""),
                                      o["metadata"]["name"]) > after]
    list_meta = {"resourceVersion": str(rv)}
    if limit and len(items) > limit:
        last = items[limit - 1]["metadata"]
        list_meta["continue"] = _encode_continue(rv, "%s/%s" % (last.get("namespace", ""),
                                                                 last["name"]))
        if ls.empty() and fs.empty():
            list_meta["remainingItemCount"] = len(items) - limit
        items = items[:limit]
    return rv, list_meta, [versioned(res, ctx.version, o) for o in items]


def list_body(res, ctx, list_meta, items):
    if not res.crd:  # typed lists carry no kind/apiVersion per item
        items = [{k: v for k, v in o.items() if k not in ("kind", "apiVersion")}
                 for o in items]
    return {"kind": res.list_kind, "apiVersion": res.api_version(ctx.version),
            "metadata": list_meta, "items": items}


class WatchStream:
    """Writes one watch as a chunked HTTP body; returns when it ends."""

    def __init__(self, handler, res, ctx, ns, params, table):
        self.h, self.res, self.ctx, self.ns = handler, res, ctx, ns
        self.params, self.table = params, table
        self.ls, self.fs = _selectors(res, params)
        self.bookmarks = params.get("allowWatchBookmarks") in ("true", "1")
        self.include = params.get("includeObject", "Metadata")
        self.sent_columns = False

    def _send(self, type_, obj):
        if self.table and type_ != "ERROR":
            if type_ == "BOOKMARK":
                obj = {"kind": "Table", "apiVersion": "meta.k8s.io/v1",
                       "metadata": obj["metadata"], "rows": []}
            else:
                obj = tables.table(self.res, self.ctx.version, [obj],
                                   {"resourceVersion": obj["metadata"]["resourceVersion"]},
                                   self.include, with_columns=not self.sent_columns)
                self.sent_columns = True
        self.h.write_chunk((dumps({"type": type_, "object": obj}) + "\n").encode())

    def _bookmark(self, rv, initial_end=False):
        m = {"resourceVersion": str(rv)}
        if initial_end:
            m["annotations"] = {"k8s.io/initial-events-end": "true"}
        self._send("BOOKMARK", {"kind": self.res.kind,
                                "apiVersion": self.res.api_version(self.ctx.version),
                                "metadata": m})

    def _error(self, err):
        self._send("ERROR", err.status())

    def _out(self, obj, rv=None):
        obj = versioned(self.res, self.ctx.version, obj)
        if rv is not None:
            obj = dict(obj, metadata=dict(obj["metadata"], resourceVersion=str(rv)))
        return obj

    def _translate(self, ev):
        ok = self._matches(ev.obj)
        was = ev.prev is not None and self._matches(ev.prev)
        if ev.type == "ADDED":
            return ("ADDED", self._out(ev.obj)) if ok else None
        if ev.type == "DELETED":
            return ("DELETED", self._out(ev.obj)) if (was or ok) else None
        if ok and was:
            return ("MODIFIED", self._out(ev.obj))
        if ok:
            return ("ADDED", self._out(ev.obj))
        if was:
            return ("DELETED", self._out(ev.prev, ev.rv))
        return None

    def _matches(self, obj):
        return _matches(obj, self.ns, self.ls, self.fs)

    def run(self):
        store, server = self.ctx.store, self.ctx.server
        timeout = self.params.get("timeoutSeconds")
        timeout = _parse_rv(timeout, "timeoutSeconds") if timeout else 0
        timeout = timeout or server.watch_timeout  # 0 or absent: the server's default
        deadline = time.monotonic() + timeout
        rv_param = self.params.get("resourceVersion")
        send_initial = self.params.get("sendInitialEvents") in ("true", "1")
        initial, error = [], None
        with store.cond:
            epoch = store.watch_epoch
            if rv_param in (None, "", "0") or send_initial:
                start = store.rv
                if rv_param not in (None, "", "0"):
                    start = max(start, _parse_rv(rv_param))
                initial = [o for o in store.items(self.res.key, self.ns or None)
                           if self._matches(o)]
            else:
                start = _parse_rv(rv_param)
                if start < store.compacted_rv:
                    error = errors.expired("too old resource version: %d (%d)" % (
                        start, store.compacted_rv))
                elif start > store.rv:
                    try:
                        _wait_for_rv(store, start)
                    except errors.ApiError as e:
                        error = e
        self.h.start_chunked()
        if error is not None:
            self._error(error)
            return
        for o in initial:
            self._send("ADDED", self._out(o))
        if send_initial and self.bookmarks:
            self._bookmark(start, initial_end=True)
        last = start
        next_bookmark = time.monotonic() + server.bookmark_interval
        while True:
            with store.cond:
                while True:
                    if store.stopping or store.watch_epoch != epoch:
                        self.h.drop_connection = True  # dropped: the connection goes too
                        return
                    if last < store.compacted_rv:
                        error = errors.expired("too old resource version: %d (%d)" % (
                            last, store.compacted_rv))
                        break
                    evs = store.events_after(last, self.res.key)
                    now = time.monotonic()
                    if evs or now >= deadline or (self.bookmarks and now >= next_bookmark):
                        break
                    wake = min(deadline, next_bookmark if self.bookmarks else deadline)
                    store.cond.wait(max(0.01, wake - now))
                if error is None:
                    current = store.rv
            if error is not None:
                self._error(error)
                return
            for ev in evs:
                out = self._translate(ev)
                if out:
                    self._send(*out)
            last = current
            now = time.monotonic()
            if self.bookmarks and (now >= next_bookmark or now >= deadline):
                self._bookmark(last)
                next_bookmark = now + server.bookmark_interval
            if now >= deadline:
                return
