"""Per-kind rules applied before a write: system fields, status/spec separation, generation,
defaulting (Services, Namespaces, Secrets, CRDs and schema defaults of custom resources) and
the validation that the real server does cheaply (names, immutable fields)."""

import base64
import copy

from . import service
from .resources import resource_from_crd
from .util import name_errors, new_uid, rfc3339

SYSTEM_META = ("uid", "resourceVersion", "creationTimestamp", "deletionTimestamp",
               "deletionGracePeriodSeconds", "generation", "selfLink", "managedFields")


def _spec_part(obj):
    """What bumps generation: everything but metadata and status."""
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


def schema_defaults(value, schema):
    """Structural-schema defaulting of a custom resource (properties' `default`)."""
    if not isinstance(schema, dict):
        return value
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        for name, sub in props.items():
            if name not in value and isinstance(sub, dict) and "default" in sub:
                value[name] = copy.deepcopy(sub["default"])
            if name in value:
                value[name] = schema_defaults(value[name], sub)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for name in list(value):
                if name not in props:
                    value[name] = schema_defaults(value[name], extra)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [schema_defaults(v, schema["items"]) for v in value]
    return value


def validate_name(res, obj):
    m = obj["metadata"]
    name = m.get("name")
    if not name:
        return [("metadata.name", None, "name or generateName is required",
                 "FieldValueRequired")]
    return [("metadata.name", name, e) for e in name_errors(name, res.name_rule)]


def validate_meta(obj):
    errs = []
    m = obj["metadata"]
    for f in ("labels", "annotations"):
        v = m.get(f)
        if v is not None and not (isinstance(v, dict) and all(
                isinstance(x, str) for x in v.values())):
            errs.append(("metadata." + f, v, "must be a map of strings"))
    fin = m.get("finalizers")
    if fin is not None and not (isinstance(fin, list) and all(isinstance(x, str) for x in fin)):
        errs.append(("metadata.finalizers", fin, "must be a list of strings"))
    return errs


def prepare_create(res, obj, ctx):
    """Fills system fields and kind defaults; returns Invalid causes."""
    m = obj["metadata"]
    for f in SYSTEM_META:
        m.pop(f, None)
    m["uid"] = new_uid()
    m["creationTimestamp"] = rfc3339()
    if res.generation:
        m["generation"] = 1
    if res.has_status and res.kind not in ("Node",):
        obj.pop("status", None)
    errs = validate_meta(obj)
    kind = res.kind
    if res.crd:
        schema = res.schemas.get(ctx.version)
        if schema:
            schema_defaults(obj, schema)  # in place: obj is a dict
    elif kind == "Namespace":
        m.setdefault("labels", {})["kubernetes.io/metadata.name"] = m.get("name", "")
        _object_field(obj, "spec").setdefault("finalizers", ["kubernetes"])
        obj["status"] = {"phase": "Active"}
    elif kind == "Service":
        errs += service.prepare(obj, None, ctx.store.items(("", "services")))
    elif kind == "Secret":
        obj.setdefault("type", "Opaque")
        _merge_string_data(obj)
    elif kind == "Pod":
        obj["status"] = {"phase": "Pending", "qosClass": "BestEffort"}
        spec = _object_field(obj, "spec")
        spec.setdefault("restartPolicy", "Always")
        spec.setdefault("dnsPolicy", "ClusterFirst")
        spec.setdefault("schedulerName", "default-scheduler")
        spec.setdefault("serviceAccountName", "default")
        spec.setdefault("terminationGracePeriodSeconds", 30)
        spec.setdefault("securityContext", {})
        spec.setdefault("enableServiceLinks", True)
        spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
        spec.setdefault("priority", 0)
    elif kind == "CustomResourceDefinition":
        errs += crd_prepare(obj, ctx)
    return errs


def prepare_update(res, new, old, subresource, ctx):
    """Carries system fields over, separates status from the rest; returns Invalid causes."""
    m, om = new["metadata"], old["metadata"]
    for f in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
              "generation"):
        if f in om:
            m[f] = om[f]
        else:
            m.pop(f, None)
    m.pop("selfLink", None)
    if subresource == "status":
        for k in list(new):
            if k not in ("metadata", "status", "apiVersion", "kind"):
                del new[k]
        for k, v in old.items():
            if k not in ("metadata", "status", "apiVersion", "kind"):
                new[k] = copy.deepcopy(v)
        if res.status_resets_meta:
            for f in ("labels", "annotations", "finalizers", "ownerReferences"):
                if f in om:
                    m[f] = copy.deepcopy(om[f])
                else:
                    m.pop(f, None)
    elif res.has_status:
        if "status" in old:
            new["status"] = copy.deepcopy(old["status"])
        else:
            new.pop("status", None)
    errs = validate_meta(new)
    if res.generation and _spec_part(new) != _spec_part(old):
        m["generation"] = om.get("generation", 1) + 1
    if m.get("name") != om.get("name"):
        errs.append(("metadata.name", m.get("name"), "field is immutable"))
    if res.crd:
        schema = res.schemas.get(ctx.version)
        if schema and subresource != "status":
            schema_defaults(new, schema)
    elif res.kind == "Service" and subresource != "status":
        errs += service.prepare(new, old, ctx.store.items(("", "services")))
    elif res.kind == "Namespace":
        m.setdefault("labels", {})["kubernetes.io/metadata.name"] = m.get("name", "")
        if subresource is None:  # only /finalize changes spec.finalizers
            new["spec"] = copy.deepcopy(old.get("spec") or {})
    elif res.kind == "CustomResourceDefinition" and subresource != "status":
        errs += crd_prepare(new, ctx, old)
    elif res.kind == "ConfigMap" or res.kind == "Secret":
        if old.get("immutable"):
            for f in ("data", "binaryData", "stringData", "type", "immutable"):
                if new.get(f) != old.get(f) and f != "stringData":
                    errs.append(("data" if f != "immutable" else "immutable", None,
                                 "field is immutable when `immutable` is set",
                                 "FieldValueForbidden"))
                    break
        if res.kind == "Secret":
            new.setdefault("type", "Opaque")
            _merge_string_data(new)
            if new.get("type") != old.get("type"):
                errs.append(("type", new.get("type"), "field is immutable"))
    return errs


def _merge_string_data(secret):
    """stringData is write-only: its entries land base64-encoded in data."""
    extra = secret.pop("stringData", None)
    if isinstance(extra, dict) and extra:
        data = secret.setdefault("data", {})
        for k, v in extra.items():
            data[k] = base64.b64encode(str(v).encode()).decode()


def _object_field(obj, name):
    if not isinstance(obj.get(name), dict):
        obj[name] = {}
    return obj[name]


def crd_prepare(crd, ctx, old=None):
    spec = _object_field(crd, "spec")
    names = _object_field(spec, "names")
    errs = []
    group, plural = spec.get("group", ""), names.get("plural", "")
    if crd["metadata"].get("name") != "%s.%s" % (plural, group):
        errs.append(("metadata.name", crd["metadata"].get("name"),
                     'must be spec.names.plural+"."+spec.group'))
    if not names.get("kind"):
        errs.append(("spec.names.kind", None, "", "FieldValueRequired"))
    versions = spec.get("versions") or []
    if not versions:
        errs.append(("spec.versions", None, "must have exactly one version marked as storage "
                     "version", "FieldValueInvalid"))
    storage = [v.get("name") for v in versions if v.get("storage")]
    if versions and len(storage) != 1:
        errs.append(("spec.versions", None, "must have exactly one version marked as storage "
                     "version"))
    if ctx.registry.builtin_conflict(group, plural):
        errs.append(("spec.group", group, "cannot be a built-in API group"))
    if old is not None:
        if (old.get("spec") or {}).get("group") != group:
            errs.append(("spec.group", group, "field is immutable"))
    if errs:
        return errs
    names.setdefault("singular", names["kind"].lower())
    names.setdefault("listKind", names["kind"] + "List")
    spec.setdefault("conversion", {"strategy": "None"})
    accepted = copy.deepcopy(names)
    stored = list(((old or {}).get("status") or {}).get("storedVersions") or [])
    if storage and storage[0] not in stored:
        stored.append(storage[0])
    now = rfc3339()
    old_conditions = ((old or {}).get("status") or {}).get("conditions") or []
    if old_conditions and all(c.get("status") == "True" for c in old_conditions):
        since = {c.get("type"): c.get("lastTransitionTime") for c in old_conditions}
    else:
        since = {}
    crd["status"] = {
        "conditions": [
            {"type": "NamesAccepted", "status": "True",
             "lastTransitionTime": since.get("NamesAccepted") or now,
             "reason": "NoConflicts", "message": "no conflicts found"},
            {"type": "Established", "status": "True",
             "lastTransitionTime": since.get("Established") or now,
             "reason": "InitialNamesAccepted", "message": "the initial names have been accepted"},
        ],
        "acceptedNames": accepted, "storedVersions": stored}
    if resource_from_crd(crd) is None:
        errs.append(("spec.versions", None, "must have at least one served version"))
    return errs
