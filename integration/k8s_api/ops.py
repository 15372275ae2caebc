"""The write paths (create, update, patch, apply, delete) and their side effects: finalizers,
namespace termination, owner-reference garbage collection, CRD registration and the objects
a new namespace gets (the `default` ServiceAccount and the `kube-root-ca.crt` ConfigMap)."""

import copy
import json
import random

from . import errors, events, managed, patch as patches, shapes, strategies
from .resources import resource_from_crd
from .util import meta, rfc3339

NS_KEY = ("", "namespaces")
CRD_KEY = ("apiextensions.k8s.io", "customresourcedefinitions")
RETURNS_OBJECT_ON_DELETE = {("", "services"), ("", "pods")}
_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"


class Ctx:
    """What one request carries into the write paths."""

    def __init__(self, server, user, version, params, user_agent=""):
        self.server = server
        self.store = server.store
        self.registry = server.registry
        self.user = user
        self.version = version
        self.params = params
        self.dry_run = params.get("dryRun") == "All"
        manager = params.get("fieldManager") or (user_agent.split("/")[0] if user_agent
                                                 else "unknown")
        self.manager = manager[:128]


def versioned(res, ctx_version, obj):
    """obj as served at a version: custom resources carry the requested apiVersion (the
    `None` conversion strategy); Events are converted to the group's version."""
    if obj is None:
        return None
    if events.is_event(res):
        return events.serve(res.group, obj)
    if res.crd:
        out = dict(obj)
        out["apiVersion"] = res.api_version(ctx_version)
        return out
    return obj


def _check_body(res, ctx, body, ns):
    if not isinstance(body, dict):
        raise errors.bad_request("the body of the request must be a JSON object")
    for f in ("apiVersion", "kind"):
        if f in body and not isinstance(body[f], str):
            raise errors.bad_request("Object '%s' is not a string: %s" % (f, json.dumps(
                body[f])))
    shapes.check(res, ctx.version, body)
    for f in [k for k, v in body.items() if v is None]:
        del body[f]  # a null field is the zero value
    want_av = res.api_version(ctx.version)
    av, kind = body.get("apiVersion"), body.get("kind")
    if av and av != want_av and not (res.crd and av.split("/")[0] == res.group):
        raise errors.bad_request("the API version in the data (%s) does not match the expected "
                                 "API version (%s)" % (av, want_av))
    if kind and kind != res.kind:
        raise errors.bad_request('the kind in the data (%s) does not match the expected kind '
                                 '(%s)' % (kind, res.kind))
    body["apiVersion"] = want_av if not res.crd else res.api_version(ctx.version)
    body["kind"] = res.kind
    m = meta(body)
    if res.namespaced:
        if m.get("namespace") and m["namespace"] != ns:
            raise errors.bad_request("the namespace of the provided object does not match the "
                                     "namespace sent on the request")
        m["namespace"] = ns
    else:
        m.pop("namespace", None)


_META_ORDER = ("name", "generateName", "namespace", "selfLink", "uid", "resourceVersion",
               "generation", "creationTimestamp", "deletionTimestamp",
               "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences",
               "finalizers", "managedFields")


def _sorted_keys(value):
    if isinstance(value, dict):
        return {k: _sorted_keys(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted_keys(v) for v in value]
    return value


def canonical(res, obj):
    """Field order as the apiserver writes JSON: struct order (kind, apiVersion, metadata,
    ..., status) for built-in kinds, sorted keys (a Go map) for custom resources."""
    if res.crd:
        return _sorted_keys(obj)
    m = obj.get("metadata") or {}
    meta_out = {k: m[k] for k in _META_ORDER if k in m}
    meta_out.update((k, v) for k, v in m.items() if k not in meta_out)
    out = {"kind": obj.get("kind"), "apiVersion": obj.get("apiVersion"), "metadata": meta_out}
    out.update((k, v) for k, v in obj.items() if k not in out and k != "status")
    if "status" in obj:
        out["status"] = obj["status"]
    return out


def _commit(res, ctx, type_, obj, prev):
    if ctx.dry_run:  # nothing is stored, so no new version: the old one, or none
        if prev is not None:
            obj["metadata"]["resourceVersion"] = prev["metadata"]["resourceVersion"]
        else:
            obj["metadata"].pop("resourceVersion", None)
        return obj
    obj["metadata"]["resourceVersion"] = str(ctx.store.next_rv())
    obj = canonical(res, obj)
    ctx.store.commit(res.key, type_, obj, prev)
    if res.key == CRD_KEY:
        r = None if type_ == "DELETED" or obj["metadata"].get("deletionTimestamp") else \
            resource_from_crd(obj)
        ctx.registry.set_crd(obj["metadata"]["name"], r)
    return obj


def _namespace_ok(ctx, ns, name):
    nso = ctx.store.get(NS_KEY, "", ns)
    if nso is None:
        raise errors.not_found("namespaces", "", ns)
    if nso["metadata"].get("deletionTimestamp"):
        err = errors.forbidden_plain("%s \"%s\" is forbidden: unable to create new content in "
                                     "namespace %s because it is being terminated" % (
                                         "object", name, ns))
        err.details = {"name": name, "causes": [{
            "reason": "NamespaceTerminating",
            "message": "namespace %s is being terminated" % ns,
            "field": "metadata.namespace"}]}
        raise err


def create(res, ctx, ns, body, internal=False, managed_fields=None):
    q = res.stored_as
    _check_body(res, ctx, body, ns)
    m = body["metadata"]
    if not m.get("name") and m.get("generateName"):
        m["name"] = m["generateName"] + "".join(random.choice(_NAME_CHARS) for _ in range(5))
    errs = strategies.validate_name(res, body)
    if errs:
        raise errors.invalid(res.kind, q.group, m.get("name", ""), errs)
    with ctx.store.cond:
        if res.namespaced and not internal:
            _namespace_ok(ctx, ns, m["name"])
        if ctx.store.get(res.key, ns if res.namespaced else "", m["name"]) is not None:
            raise errors.already_exists(q.plural, q.group, m["name"])
        errs = strategies.prepare_create(res, body, ctx)
        if errs:
            raise errors.invalid(res.kind, q.group, m["name"], errs)
        if events.is_event(res):  # the fields the version knows, zero values left out
            body = events.view(res.group, events.to_storage(res.group, body))
        if managed_fields is None:
            managed_fields = managed.record_update(None, body, ctx.manager, body["apiVersion"],
                                                   None, None if res.crd else res.kind)
        body["metadata"]["managedFields"] = managed_fields
        if not body["metadata"]["managedFields"]:
            del body["metadata"]["managedFields"]
        if events.is_event(res):
            body = events.to_storage(res.group, body)
            errs = events.validate(res.group, body)
            if errs:
                raise errors.invalid(res.kind, q.group, m["name"], errs)
        obj = _commit(res, ctx, "ADDED", body, None)
        if res.key == NS_KEY and not ctx.dry_run:
            _populate_namespace(ctx, m["name"])
        return 201, obj


def _populate_namespace(ctx, ns):
    sa_res = ctx.registry.by_key(("", "serviceaccounts"))
    cm_res = ctx.registry.by_key(("", "configmaps"))
    sub = Ctx(ctx.server, ctx.user, "v1", {"fieldManager": "kube-controller-manager"})
    create(sa_res, sub, ns, {"metadata": {"name": "default"}}, internal=True)
    create(cm_res, sub, ns, {"metadata": {"name": "kube-root-ca.crt", "annotations": {
        "kubernetes.io/description": "Contains a CA bundle that can be used to verify the "
        "kube-apiserver when using internal endpoints such as the internal service IP or "
        "kubernetes.default.svc. No other usage is guaranteed across distributions of "
        "Kubernetes clusters."}}, "data": {"ca.crt": ctx.server.ca_pem}}, internal=True)


def _comparable(obj):
    o = copy.copy(obj)
    o["metadata"] = {k: v for k, v in obj["metadata"].items()
                     if k not in ("resourceVersion", "managedFields")}
    return o


def _finish_update(res, ctx, ns, name, old, new, sub, managed_fields=None):
    """Common tail of PUT and PATCH: strategy, ownership, finalizers, commit."""
    q = res.stored_as
    base = old  # old as the request's version sees it
    if events.is_event(res):
        new = events.view(res.group, events.to_storage(res.group, new))
        base = events.view(res.group, old)
    errs = strategies.prepare_update(res, new, base, sub, ctx)
    om, nm = old["metadata"], new["metadata"]
    if om.get("deletionTimestamp"):
        added = set(nm.get("finalizers") or []) - set(om.get("finalizers") or [])
        if added:
            errs.append(("metadata.finalizers", None, "no new finalizers can be added if the "
                         "object is being deleted, found new finalizers %s" % json.dumps(
                             sorted(added)), "FieldValueForbidden"))
    if errs:
        raise errors.invalid(res.kind, q.group, name, errs)
    if managed_fields is None:
        managed_fields = managed.record_update(base, new, ctx.manager, new["apiVersion"], sub,
                                               None if res.crd else res.kind)
    if events.is_event(res):
        new = events.to_storage(res.group, new)
        nm = new["metadata"]
        errs = events.validate(res.group, new, old)
        if errs:
            raise errors.invalid(res.kind, q.group, name, errs)
    if managed_fields:
        nm["managedFields"] = managed_fields
    else:
        nm.pop("managedFields", None)
    if _comparable(new) == _comparable(old) and not nm.get("deletionTimestamp"):
        return 200, old
    if nm.get("deletionTimestamp") and not nm.get("finalizers") and not (
            res.key == NS_KEY and (new.get("spec") or {}).get("finalizers")):
        return 200, _delete_now(res, ctx, new, old)
    obj = _commit(res, ctx, "MODIFIED", new, old)
    if res.key == NS_KEY and nm.get("deletionTimestamp"):
        _finalize_namespace(ctx, name)
    return 200, obj


def update(res, ctx, ns, name, body, sub=None):
    _check_body(res, ctx, body, ns)
    m = body["metadata"]
    if m.get("name") and m["name"] != name:
        raise errors.bad_request("the name of the object (%s) does not match the name on the "
                                 "URL (%s)" % (m["name"], name))
    m["name"] = name
    q = res.stored_as
    with ctx.store.cond:
        old = ctx.store.get(res.key, ns, name)
        if old is None:
            if res.create_on_update and sub is None:
                m.pop("resourceVersion", None)
                return create(res, ctx, ns, body)
            raise errors.not_found(q.plural, q.group, name)
        rv = m.get("resourceVersion")
        if rv:
            if rv != old["metadata"]["resourceVersion"]:
                raise errors.conflict(q.plural, q.group, name)
        elif not res.unconditional_update:
            raise errors.invalid(res.kind, res.group, name, [(
                "metadata.resourceVersion", None, "must be specified for an update",
                "FieldValueInvalid0")])
        return _finish_update(res, ctx, ns, name, old, body, sub)


PATCH_TYPES = ("application/json-patch+json", "application/merge-patch+json",
               "application/strategic-merge-patch+json", "application/apply-patch+yaml",
               "application/apply-patch+cbor")


def patch(res, ctx, ns, name, content_type, body, sub=None):
    accepted = list(PATCH_TYPES[:2]) + ([PATCH_TYPES[2]] if not res.crd else []) + \
        [PATCH_TYPES[3]]
    if content_type not in accepted:
        raise errors.unsupported_media_type(content_type, accepted)
    try:
        doc = json.loads(body.decode("utf-8") if body else "null")
    except (ValueError, UnicodeDecodeError) as e:
        if content_type == PATCH_TYPES[3]:
            raise errors.bad_request("error decoding YAML: this server accepts the JSON form of "
                                     "apply patches only: %s" % e)
        raise errors.bad_request("error decoding patch: %s" % e)
    q = res.stored_as
    with ctx.store.cond:
        old = ctx.store.get(res.key, ns, name)
        if content_type == PATCH_TYPES[3]:
            return _apply(res, ctx, ns, name, old, doc, sub)
        if old is None:
            raise errors.not_found(q.plural, q.group, name)
        current = versioned(res, ctx.version, old)
        if content_type == PATCH_TYPES[0]:
            new = patches.json_patch(current, doc)
        elif content_type == PATCH_TYPES[1]:
            if not isinstance(doc, dict):
                raise errors.bad_request("json: cannot unmarshal into Go value of type "
                                         "map[string]interface {}")
            new = patches.merge_patch(current, doc)
        else:
            new = patches.strategic_merge_patch(res.kind, current, doc)
        if not isinstance(new, dict):
            raise errors.bad_request("the patched object is not a JSON object")
        _check_body(res, ctx, new, ns)
        nm = new["metadata"]
        if nm.get("name") != name:
            raise errors.invalid(res.kind, q.group, name, [
                ("metadata.name", nm.get("name"), "field is immutable")])
        # A patch that sets (or keeps) metadata.resourceVersion is conditional on it.
        if nm.get("resourceVersion") and nm["resourceVersion"] != old["metadata"][
                "resourceVersion"]:
            raise errors.conflict(q.plural, q.group, name)
        return _finish_update(res, ctx, ns, name, old, copy.deepcopy(new), sub)


def _apply(res, ctx, ns, name, old, doc, sub):
    if not ctx.params.get("fieldManager"):
        raise errors.bad_request("PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: "
                                 "Required value: is required for apply patch")
    if not isinstance(doc, dict):
        raise errors.bad_request("apply patch must be an object")
    doc = copy.deepcopy(doc)
    _check_body(res, ctx, doc, ns)
    dm = doc["metadata"]
    if dm.get("name") and dm["name"] != name:
        raise errors.bad_request("the name of the object (%s) does not match the name on the "
                                 "URL (%s)" % (dm["name"], name))
    dm["name"] = name
    force = ctx.params.get("force") in ("true", "1")
    kind = None if res.crd else res.kind
    q = res.stored_as
    if old is None:
        if sub:
            raise errors.not_found(q.plural, q.group, name)
        obj, mf = managed.apply({}, doc, ctx.manager, force, doc["apiVersion"], None, kind, q)
        return create(res, ctx, ns, obj, managed_fields=mf)
    rv = dm.get("resourceVersion")
    if rv and rv != old["metadata"]["resourceVersion"]:
        raise errors.conflict(q.plural, q.group, name)
    current = versioned(res, ctx.version, old)
    new, mf = managed.apply(current, doc, ctx.manager, force, doc["apiVersion"], sub, kind,
                            q)
    new["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"]
    return _finish_update(res, ctx, ns, name, old, new, sub, managed_fields=mf)


def _status_success(res, obj):
    d = {"name": obj["metadata"]["name"]}
    if res.group:
        d["group"] = res.group
    d["kind"] = res.plural
    d["uid"] = obj["metadata"].get("uid", "")
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
            "details": d}


def delete(res, ctx, ns, name, options):
    options = options if isinstance(options, dict) else {}
    q = res.stored_as
    with ctx.store.cond:
        old = ctx.store.get(res.key, ns, name)
        if old is None:
            raise errors.not_found(q.plural, q.group, name)
        pre = options.get("preconditions") or {}
        om = old["metadata"]
        if pre.get("uid") and pre["uid"] != om.get("uid"):
            raise errors.conflict(q.plural, q.group, name, "Precondition failed: UID in "
                                  "precondition: %s, UID in object meta: %s" % (
                                      pre["uid"], om.get("uid")))
        if pre.get("resourceVersion") and pre["resourceVersion"] != om.get("resourceVersion"):
            raise errors.conflict(q.plural, q.group, name, "Precondition failed: "
                                  "ResourceVersion in precondition: %s, ResourceVersion in "
                                  "object meta: %s" % (pre["resourceVersion"],
                                                       om.get("resourceVersion")))
        pending = om.get("finalizers") or (res.key == NS_KEY and (
            old.get("spec") or {}).get("finalizers"))
        if pending:
            if om.get("deletionTimestamp"):
                return 200, versioned(res, ctx.version, old)
            new = copy.deepcopy(old)
            new["metadata"]["deletionTimestamp"] = rfc3339()
            new["metadata"]["deletionGracePeriodSeconds"] = 0
            if res.key == NS_KEY:
                new.setdefault("status", {})["phase"] = "Terminating"
            obj = _commit(res, ctx, "MODIFIED", new, old)
            if res.key == NS_KEY and not ctx.dry_run:
                _finalize_namespace(ctx, name)
                obj = ctx.store.get(res.key, "", name) or obj
            return 200, versioned(res, ctx.version, obj)
        last = _delete_now(res, ctx, copy.deepcopy(old), old)
        if res.crd or res.key in RETURNS_OBJECT_ON_DELETE:
            return 200, versioned(res, ctx.version, last)
        return 200, _status_success(q, last)


def _delete_now(res, ctx, last, prev):
    obj = _commit(res, ctx, "DELETED", last, prev)
    if ctx.dry_run:
        return obj
    ns = obj["metadata"].get("namespace", "")
    if res.key == CRD_KEY:
        _delete_instances(ctx, obj)
    _collect_garbage(ctx, obj["metadata"].get("uid"))
    if ns and res.namespaced:
        nso = ctx.store.get(NS_KEY, "", ns)
        if nso is not None and nso["metadata"].get("deletionTimestamp"):
            _finalize_namespace(ctx, ns)
    return obj


def _delete_or_mark(ctx, key, obj):
    res = ctx.registry.by_key(key)
    if res is None:
        return
    m = obj["metadata"]
    if m.get("finalizers"):
        if not m.get("deletionTimestamp"):
            new = copy.deepcopy(obj)
            new["metadata"]["deletionTimestamp"] = rfc3339()
            new["metadata"]["deletionGracePeriodSeconds"] = 0
            _commit(res, ctx, "MODIFIED", new, obj)
        return
    _delete_now(res, ctx, copy.deepcopy(obj), obj)


def _delete_instances(ctx, crd):
    """The CRD's cleanup finalizer: its custom resources go, with DELETED events."""
    spec = crd.get("spec") or {}
    key = (spec.get("group", ""), ((spec.get("names") or {}).get("plural", "")))
    for obj in ctx.store.items(key):
        last = copy.deepcopy(obj)
        last["metadata"]["resourceVersion"] = str(ctx.store.next_rv())
        ctx.store.commit(key, "DELETED", last, obj)


def _collect_garbage(ctx, uid):
    """Background-propagation garbage collection of objects whose owners are all gone."""
    if not uid:
        return
    live = None
    for key, objs in list(ctx.store.objects.items()):
        for obj in list(objs.values()):
            refs = obj["metadata"].get("ownerReferences") or []
            if not any(r.get("uid") == uid for r in refs):
                continue
            if live is None:
                live = {o["metadata"].get("uid") for os_ in ctx.store.objects.values()
                        for o in os_.values()}
            if any(r.get("uid") in live for r in refs):
                continue
            _delete_or_mark(ctx, key, obj)


def _finalize_namespace(ctx, ns):
    """The namespace controller: delete the content, then the namespace."""
    nso = ctx.store.get(NS_KEY, "", ns)
    if nso is None or not nso["metadata"].get("deletionTimestamp"):
        return
    remaining = 0
    for key in list(ctx.store.objects):
        res = ctx.registry.by_key(key)
        if res is None or not res.namespaced:
            continue
        for obj in ctx.store.items(key, ns):
            _delete_or_mark(ctx, key, obj)
        remaining += len(ctx.store.items(key, ns))
    nso = ctx.store.get(NS_KEY, "", ns)
    if remaining or nso is None:
        return
    ns_res = ctx.registry.by_key(NS_KEY)
    if (nso.get("spec") or {}).get("finalizers"):
        new = copy.deepcopy(nso)
        new["spec"]["finalizers"] = []
        nso = _commit(ns_res, ctx, "MODIFIED", new, nso)
    if not nso["metadata"].get("finalizers"):
        _delete_now(ns_res, ctx, copy.deepcopy(nso), nso)


def delete_collection(res, ctx, ns, objs, options):
    out = []
    for obj in objs:
        try:
            _, r = delete(res, ctx, obj["metadata"].get("namespace", ""),
                          obj["metadata"]["name"], options)
            if r.get("kind") != "Status":
                out.append(r)
        except errors.ApiError as e:
            if e.code != 404:
                raise
    return out
