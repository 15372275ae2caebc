"""Events: one stored object served as core `v1` Event and as `events.k8s.io/v1` Event.

kube-apiserver keeps Events once (the core Event, in etcd as v1) and serves the same REST
storage under both groups; each request converts to and from its version with
pkg/apis/events/v1's Convert_v1_Event_To_core_Event / Convert_core_Event_To_v1_Event:

    events.k8s.io/v1            core v1
    regarding                   involvedObject
    related                     related
    note                        message
    reportingController         reportingComponent
    reportingInstance           reportingInstance
    eventTime, series, action,  the same names
      reason, type
    deprecatedSource            source (component, host)
    deprecatedFirstTimestamp    firstTimestamp
    deprecatedLastTimestamp     lastTimestamp
    deprecatedCount             count

Nothing is derived: a series written through events.k8s.io is `series` through core too (its
`count` is deprecatedCount); printers (the Table's COUNT and LAST SEEN, `kubectl describe`)
read the series. The store holds the core form with zero values left out (Go has no "absent"
for them); replies add the fields Go's encoder always writes (`eventTime: null`,
`source: {}`, `reportingComponent: ""`, ...) in struct order. Fields neither version knows
are dropped, as decoding into the Go types drops them.

Validation is pkg/apis/core/validation/events.go: the legacy rules for every write, the
strict ones for creates and updates through events.k8s.io/v1.
"""

import re

from .util import name_errors

GROUP = "events.k8s.io"
API_VERSION = "events.k8s.io/v1"

_REF_FIELDS = ("kind", "namespace", "name", "uid", "apiVersion", "resourceVersion",
               "fieldPath")

# (core name, events.k8s.io name, kind of value), in core v1 struct order.
_MAP = (("involvedObject", "regarding", "ref"), ("reason", "reason", "str"),
        ("message", "note", "str"), ("source", "deprecatedSource", "source"),
        ("firstTimestamp", "deprecatedFirstTimestamp", "str"),
        ("lastTimestamp", "deprecatedLastTimestamp", "str"),
        ("count", "deprecatedCount", "int"), ("type", "type", "str"),
        ("eventTime", "eventTime", "str"), ("series", "series", "series"),
        ("action", "action", "str"), ("related", "related", "ref"),
        ("reportingComponent", "reportingController", "str"),
        ("reportingInstance", "reportingInstance", "str"))
_TO_CORE = {v1: core for core, v1, _ in _MAP}
_TO_V1 = {core: v1 for core, v1, _ in _MAP}
_KIND = {core: k for core, _, k in _MAP}

# events.k8s.io/v1 struct order.
_V1_ORDER = ("eventTime", "series", "reportingController", "reportingInstance", "action",
             "reason", "regarding", "related", "note", "type", "deprecatedSource",
             "deprecatedFirstTimestamp", "deprecatedLastTimestamp", "deprecatedCount")

# Field labels of events.k8s.io/v1 (AddFieldLabelConversionsForEvent) and what they select in
# the stored core Event (ToSelectableFields).
V1_FIELD_LABELS = {
    "regarding.kind": "involvedObject.kind", "regarding.namespace": "involvedObject.namespace",
    "regarding.name": "involvedObject.name", "regarding.uid": "involvedObject.uid",
    "regarding.apiVersion": "involvedObject.apiVersion",
    "regarding.resourceVersion": "involvedObject.resourceVersion",
    "regarding.fieldPath": "involvedObject.fieldPath", "reason": "reason",
    "reportingController": "reportingComponent", "source": "source", "type": "type"}
CORE_FIELD_LABELS = ("involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
                     "involvedObject.uid", "involvedObject.apiVersion",
                     "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason",
                     "reportingComponent", "source", "type")


def is_event(res):
    return res is not None and res.kind == "Event" and not res.crd and res.group in ("", GROUP)


def _value(kind, v):
    """v without its zero values; None when v is the zero value."""
    if v is None:
        return None
    if kind == "ref":
        if not isinstance(v, dict):
            return v
        return {f: v[f] for f in _REF_FIELDS if v.get(f) not in (None, "")}
    if kind == "source":
        if not isinstance(v, dict):
            return v
        out = {f: v[f] for f in ("component", "host") if v.get(f) not in (None, "")}
        return out or None
    if kind == "series":
        if not isinstance(v, dict):
            return v
        return {f: v[f] for f in ("count", "lastObservedTime") if v.get(f) not in (None, "")}
    if kind == "int":
        return None if v == 0 else v
    return None if v == "" else v


def _fields(obj, names):
    """(core field name, value) of obj's known fields, names: the version's field -> core."""
    for k, v in obj.items():
        core = names.get(k)
        if core is None:
            continue
        v = _value(_KIND[core], v)
        if v is not None or core == "involvedObject":
            yield core, v


def to_storage(group, obj):
    """The stored (core, zero values left out) form of obj as sent to `group`."""
    names = _TO_CORE if group == GROUP else {c: c for c in _TO_V1}
    found = dict(_fields(obj, names))
    out = {"kind": "Event", "apiVersion": "v1", "metadata": obj.get("metadata") or {}}
    out["involvedObject"] = found.get("involvedObject") or {}
    for core, _, _ in _MAP[1:]:
        if found.get(core) is not None:
            out[core] = found[core]
    return out


def view(group, stored):
    """The stored Event as `group` serves it, zero values left out (the form writes compare)."""
    if group != GROUP:
        out = {"kind": "Event", "apiVersion": "v1", "metadata": stored.get("metadata") or {}}
        for core, _, _ in _MAP:
            if core in stored:
                out[core] = stored[core]
        return out
    fields = {_TO_V1[c]: v for c, v in stored.items() if c in _TO_V1}
    out = {"kind": "Event", "apiVersion": API_VERSION, "metadata": stored.get("metadata") or {}}
    for f in _V1_ORDER:
        if f in fields:
            out[f] = fields[f]
    return out


def _series_shape(s, v1):
    if not isinstance(s, dict):
        return s
    out = {}
    if v1 or s.get("count"):
        out["count"] = s.get("count", 0)
    out["lastObservedTime"] = s.get("lastObservedTime")
    return out


def serve(group, stored):
    """The stored Event as Go's encoder writes it for `group`: struct order, and the fields
    without omitempty (or of struct type, which omitempty does not drop) even when zero."""
    v = view(group, stored)
    out = {"kind": v["kind"], "apiVersion": v["apiVersion"], "metadata": v["metadata"]}
    if group != GROUP:
        always = {"involvedObject": {}, "source": {}, "firstTimestamp": None,
                  "lastTimestamp": None, "eventTime": None, "reportingComponent": "",
                  "reportingInstance": ""}
        order = [c for c, _, _ in _MAP]
    else:
        always = {"eventTime": None, "regarding": {}, "deprecatedSource": {},
                  "deprecatedFirstTimestamp": None, "deprecatedLastTimestamp": None}
        order = _V1_ORDER
    for f in order:
        if f in v:
            out[f] = _series_shape(v[f], group == GROUP) if f == "series" else v[f]
        elif f in always:
            out[f] = always[f]
    return out


def core_form(obj):
    """A served Event of either version in the core form (for printing)."""
    group = GROUP if obj.get("apiVersion") == API_VERSION else ""
    return to_storage(group, obj)


# -- validation (pkg/apis/core/validation/events.go) --

_QNAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_QNAME_MSG = ("must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
              "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', "
              "regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")


def qualified_name_errors(value):
    """apimachinery's IsQualifiedName."""
    errs = []
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs += ["prefix part " + m for m in name_errors(prefix, "dns1123subdomain")]
    else:
        return ["a qualified name " + _QNAME_MSG + " with an optional DNS subdomain prefix and "
                "'/' (e.g. 'example.com/MyName')"]
    if not name:
        errs.append("name part must be non-empty")
    elif len(name) > 63:
        errs.append("name part must be no more than 63 characters")
    if not _QNAME.match(name):
        errs.append("name part " + _QNAME_MSG)
    return errs


def _required(field):
    return (field, None, "", "FieldValueRequired")


def _len(text):
    return len(text.encode("utf-8"))  # Go's len: bytes


def _legacy(ev):
    errs = []
    ns = ev["metadata"].get("namespace", "")
    inv_ns = (ev.get("involvedObject") or {}).get("namespace", "")
    if not ev.get("eventTime"):
        if not inv_ns:
            if ns not in ("", "default"):
                errs.append(("involvedObject.namespace", inv_ns, "does not match event.namespace"))
        elif ns != inv_ns:
            errs.append(("involvedObject.namespace", inv_ns, "does not match event.namespace"))
    else:
        if not inv_ns and ns not in ("default", "kube-system"):
            errs.append(("involvedObject.namespace", inv_ns, "does not match event.namespace"))
        controller = ev.get("reportingComponent", "")
        if not controller:
            errs.append(_required("reportingController"))
        errs += [("reportingController", controller, m)
                 for m in qualified_name_errors(controller)]
        instance = ev.get("reportingInstance", "")
        if not instance:
            errs.append(_required("reportingInstance"))
        if _len(instance) > 128:
            errs.append(("reportingInstance", "", "can have at most 128 characters"))
        for f in ("action", "reason"):
            v = ev.get(f, "")
            if not v:
                errs.append(_required(f))
            if _len(v) > 128:
                errs.append((f, "", "can have at most 128 characters"))
        if _len(ev.get("message", "")) > 1024:
            errs.append(("message", "", "can have at most 1024 characters"))
    errs += [("namespace", ns, m) for m in name_errors(ns, "dns1123subdomain")] if ns else []
    return errs


def _series(ev):
    s = ev.get("series")
    if s is None:
        return []
    errs = []
    if s.get("count", 0) < 2:
        errs.append(("series.count", "", "should be at least 2"))
    if not s.get("lastObservedTime"):
        errs.append(_required("series.lastObservedTime"))
    return errs


def validate(group, new, old=None):
    """Invalid causes of the stored form `new` written through `group` (old: on update)."""
    errs = _legacy(new)
    if group != GROUP:
        return errs  # core v1 (and events.k8s.io/v1beta1) keep the legacy rules only
    if old is None:
        errs += _series(new)
        if not new.get("eventTime"):
            errs.append(_required("eventTime"))
        if new.get("type") not in ("Normal", "Warning"):
            errs.append(("type", "", "has invalid value: %s" % new.get("type", "")))
        for f in ("firstTimestamp", "lastTimestamp", "count", "source"):
            if new.get(f):
                errs.append((f, "", "needs to be unset"))
        return errs
    if new.get("series") != old.get("series"):
        errs += _series(new)
    # The order (and the second reason) of ValidateEventUpdate.
    for f, path in (("involvedObject", "involvedObject"), ("reason", "reason"),
                    ("message", "message"), ("source", "source"),
                    ("firstTimestamp", "firstTimestamp"), ("lastTimestamp", "lastTimestamp"),
                    ("count", "count"), ("reason", "reason"), ("type", "type"),
                    ("eventTime", "eventTime"),
                    ("action", "action"), ("related", "related"),
                    ("reportingComponent", "reportingController"),
                    ("reportingInstance", "reportingInstance")):
        if (new.get(f) or None) != (old.get(f) or None):
            errs.append((path, new.get(f), "field is immutable"))
    return errs
