"""Server-side printing: meta.k8s.io/v1 Table for `kubectl get` (the columns the real
printers produce for the built-in kinds, and additionalPrinterColumns for custom resources)."""

import json
import re

from . import events
from .util import age, parse_time


def _col(name, type_="string", priority=0, fmt=""):
    return {"name": name, "type": type_, "format": fmt, "description": name, "priority": priority}


NAME = _col("Name", fmt="name")
AGE = _col("Age")


def _none(s):
    return s if s else "<none>"


def _labels(m):
    return ",".join("%s=%s" % (k, v) for k, v in sorted((m or {}).items())) or "<none>"


def _lb_ingress(svc, wide=True):
    ing = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    out = ",".join(i.get("ip") or i.get("hostname") or "" for i in ing if isinstance(i, dict))
    return out


def service_row(o):
    spec = o.get("spec") or {}
    t = spec.get("type", "ClusterIP")
    ext = spec.get("externalIPs") or []
    if t in ("ClusterIP", "NodePort"):
        external = ",".join(ext) or "<none>"
    elif t == "LoadBalancer":
        lb = _lb_ingress(o)
        parts = ([lb] if lb else []) + ext
        external = ",".join(parts) if parts else "<pending>"
    elif t == "ExternalName":
        external = spec.get("externalName", "")
    else:
        external = "<unknown>"
    ports = []
    for p in spec.get("ports") or []:
        proto = p.get("protocol", "TCP")
        if p.get("nodePort"):
            ports.append("%s:%s/%s" % (p.get("port"), p["nodePort"], proto))
        else:
            ports.append("%s/%s" % (p.get("port"), proto))
    return [o["metadata"]["name"], t, spec.get("clusterIP") or "<none>", external,
            ",".join(ports) or "<none>", age(o["metadata"].get("creationTimestamp")),
            _labels(spec.get("selector"))]


def node_row(o):
    st = o.get("status") or {}
    ready = next((c for c in st.get("conditions") or [] if c.get("type") == "Ready"), None)
    status = "Unknown" if ready is None else {"True": "Ready", "False": "NotReady"}.get(
        ready.get("status"), "Unknown")
    if (o.get("spec") or {}).get("unschedulable"):
        status += ",SchedulingDisabled"
    roles = set()
    for k, v in (o["metadata"].get("labels") or {}).items():
        if k.startswith("node-role.kubernetes.io/"):
            roles.add(k.split("/", 1)[1])
        elif k == "kubernetes.io/role" and v:
            roles.add(v)
    info = st.get("nodeInfo") or {}
    addrs = st.get("addresses") or []

    def addr(t):
        return next((a.get("address") for a in addrs if a.get("type") == t), "<none>")
    return [o["metadata"]["name"], status, ",".join(sorted(roles)) or "<none>",
            age(o["metadata"].get("creationTimestamp")), info.get("kubeletVersion", ""),
            addr("InternalIP"), addr("ExternalIP"), info.get("osImage", "<unknown>"),
            info.get("kernelVersion", "<unknown>"), info.get("containerRuntimeVersion",
                                                              "<unknown>")]


def pod_row(o):
    spec, st = o.get("spec") or {}, o.get("status") or {}
    statuses = st.get("containerStatuses") or []
    ready = sum(1 for c in statuses if c.get("ready"))
    restarts = sum(int(c.get("restartCount") or 0) for c in statuses)
    reason = st.get("reason") or st.get("phase") or "Unknown"
    if o["metadata"].get("deletionTimestamp"):
        reason = "Terminating"
    return [o["metadata"]["name"], "%d/%d" % (ready, len(spec.get("containers") or [])),
            reason, restarts, age(o["metadata"].get("creationTimestamp")),
            st.get("podIP") or "<none>", spec.get("nodeName") or "<none>",
            st.get("nominatedNodeName") or "<none>", "<none>"]


def _endpoints(o):
    out = []
    for s in o.get("subsets") or []:
        ports = s.get("ports") or [{}]
        for a in s.get("addresses") or []:
            for p in ports:
                out.append("%s:%s" % (a.get("ip"), p.get("port")) if p.get("port") else
                           a.get("ip"))
    if not out:
        return "<none>"
    more = len(out) - 3
    return ",".join(out[:3]) + (" + %d more..." % more if more > 0 else "")


def _slice_endpoints(o):
    out = [a for e in o.get("endpoints") or [] for a in e.get("addresses") or []]
    if not out:
        return "<unset>"
    more = len(out) - 3
    return ",".join(out[:3]) + (" + %d more..." % more if more > 0 else "")


def _created_at(o):
    t = parse_time(o["metadata"].get("creationTimestamp"))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ") if t else ""


def _binding_subjects(o, kind):
    out = []
    for s in o.get("subjects") or []:
        if s.get("kind") == kind:
            out.append("%s/%s" % (s.get("namespace", ""), s.get("name")) if
                       kind == "ServiceAccount" else s.get("name"))
    return ", ".join(out)


def _binding_row(o):
    ref = o.get("roleRef") or {}
    return [o["metadata"]["name"], "%s/%s" % (ref.get("kind"), ref.get("name")),
            age(o["metadata"].get("creationTimestamp")), _binding_subjects(o, "User"),
            _binding_subjects(o, "Group"), _binding_subjects(o, "ServiceAccount")]


def _event_row(o):
    """printEvent of pkg/printers/internalversion, on the core form of either version."""
    e = events.core_form(o)
    first = age(e["firstTimestamp"]) if e.get("firstTimestamp") else age(e.get("eventTime"))
    last = age(e["lastTimestamp"]) if e.get("lastTimestamp") else first
    count = e.get("count", 0)
    series = e.get("series")
    if series is not None:
        last = age(series.get("lastObservedTime"))
        count = series.get("count", 0)
    elif not count:
        count = 1  # singleton events have no count in the new API
    inv = e["involvedObject"]
    kind = str(inv.get("kind", "")).lower()
    target = "%s/%s" % (kind, inv["name"]) if inv.get("name") else kind
    src = e.get("source") or {}
    component = src.get("component") or e.get("reportingComponent", "")
    instance = src.get("host") or e.get("reportingInstance", "")
    source = component + (", " + instance if instance else "")
    return [last, e.get("type", ""), e.get("reason", ""), target, inv.get("fieldPath", ""),
            source, e.get("message", "").strip(), first, count, e["metadata"]["name"]]


def _lease_holder(o):
    return (o.get("spec") or {}).get("holderIdentity") or "<unknown>"


BUILTIN = {
    "Service": ([NAME, _col("Type"), _col("Cluster-IP"), _col("External-IP"),
                 _col("Port(s)"), AGE, _col("Selector", priority=1)], service_row),
    "Namespace": ([NAME, _col("Status"), AGE], lambda o: [
        o["metadata"]["name"], (o.get("status") or {}).get("phase", ""),
        age(o["metadata"].get("creationTimestamp"))]),
    "Node": ([NAME, _col("Status"), _col("Roles"), AGE, _col("Version"),
              _col("Internal-IP", priority=1), _col("External-IP", priority=1),
              _col("OS-Image", priority=1), _col("Kernel-Version", priority=1),
              _col("Container-Runtime", priority=1)], node_row),
    "ConfigMap": ([NAME, _col("Data", "integer"), AGE], lambda o: [
        o["metadata"]["name"], len(o.get("data") or {}) + len(o.get("binaryData") or {}),
        age(o["metadata"].get("creationTimestamp"))]),
    "Secret": ([NAME, _col("Type"), _col("Data", "integer"), AGE], lambda o: [
        o["metadata"]["name"], o.get("type", ""), len(o.get("data") or {}),
        age(o["metadata"].get("creationTimestamp"))]),
    "Pod": ([NAME, _col("Ready"), _col("Status"), _col("Restarts", "string"), AGE,
             _col("IP", priority=1), _col("Node", priority=1),
             _col("Nominated Node", priority=1), _col("Readiness Gates", priority=1)],
            pod_row),
    "ServiceAccount": ([NAME, _col("Secrets", "string"), AGE], lambda o: [
        o["metadata"]["name"], len(o.get("secrets") or []),
        age(o["metadata"].get("creationTimestamp"))]),
    "Endpoints": ([NAME, _col("Endpoints"), AGE], lambda o: [
        o["metadata"]["name"], _endpoints(o), age(o["metadata"].get("creationTimestamp"))]),
    "EndpointSlice": ([NAME, _col("AddressType"), _col("Ports"), _col("Endpoints"), AGE],
                      lambda o: [o["metadata"]["name"], o.get("addressType", ""),
                                 ",".join(str(p.get("port", "<unset>")) for p in
                                          o.get("ports") or []) or "<unset>",
                                 _slice_endpoints(o),
                                 age(o["metadata"].get("creationTimestamp"))]),
    "Lease": ([NAME, _col("Holder"), AGE], lambda o: [
        o["metadata"]["name"], _lease_holder(o), age(o["metadata"].get("creationTimestamp"))]),
    "Event": ([_col("Last Seen"), _col("Type"), _col("Reason"), _col("Object"),
               _col("Subobject", priority=1), _col("Source", priority=1), _col("Message"),
               _col("First Seen", priority=1), _col("Count", "string", priority=1),
               _col("Name", priority=1)], _event_row),
    "Role": ([NAME, _col("Created At", "date")], lambda o: [
        o["metadata"]["name"], _created_at(o)]),
    "ClusterRole": ([NAME, _col("Created At", "date")], lambda o: [
        o["metadata"]["name"], _created_at(o)]),
    "CustomResourceDefinition": ([NAME, _col("Created At", "date")], lambda o: [
        o["metadata"]["name"], _created_at(o)]),
    "RoleBinding": ([NAME, _col("Role"), AGE, _col("Users", priority=1),
                     _col("Groups", priority=1), _col("ServiceAccounts", priority=1)],
                    _binding_row),
    "ClusterRoleBinding": ([NAME, _col("Role"), AGE, _col("Users", priority=1),
                            _col("Groups", priority=1), _col("ServiceAccounts", priority=1)],
                           _binding_row),
}

_SEGMENT = re.compile(r"\.([^.\[]+)|\[(\d+)\]")


def jsonpath_simple(obj, path):
    """The value at a simple JSONPath (.a.b[0].c) or None."""
    path = path.strip()
    if path.startswith("{") and path.endswith("}"):
        path = path[1:-1]
    pos, cur = 0, obj
    while pos < len(path):
        m = _SEGMENT.match(path, pos)
        if not m:
            return None
        if m.group(1) is not None:
            if not isinstance(cur, dict) or m.group(1) not in cur:
                return None
            cur = cur[m.group(1)]
        else:
            i = int(m.group(2))
            if not isinstance(cur, list) or i >= len(cur):
                return None
            cur = cur[i]
        pos = m.end()
    return cur


def _custom(res, version):
    cols = res.printer_columns.get(version) or []
    if not cols:
        return [NAME, _col("Age", "date")], lambda o: [
            o["metadata"]["name"], age(o["metadata"].get("creationTimestamp"))]
    defs = [NAME] + [{"name": c.get("name", ""), "type": c.get("type", "string"),
                      "format": c.get("format", ""), "description": c.get("description", ""),
                      "priority": c.get("priority", 0)} for c in cols]

    def row(o):
        cells = [o["metadata"]["name"]]
        for c in cols:
            v = jsonpath_simple(o, c.get("jsonPath", ""))
            t = c.get("type", "string")
            if v is None:
                cells.append(None)
            elif t == "date":
                cells.append(age(v) if isinstance(v, str) else None)
            elif t == "string":
                cells.append(v if isinstance(v, str) else json.dumps(
                    v, separators=(",", ":")) if isinstance(v, (list, dict)) else
                    ("true" if v is True else "false" if v is False else str(v)))
            else:
                cells.append(v)
        return cells
    return defs, row


def columns(res, version):
    if res.crd:
        return _custom(res, version)
    return BUILTIN.get(res.kind, ([NAME, _col("Created At", "date")], lambda o: [
        o["metadata"]["name"], _created_at(o)]))


def table(res, version, objs, list_meta, include_object="Metadata", with_columns=True):
    defs, row = columns(res, version)
    rows = []
    for o in objs:
        r = {"cells": row(o)}
        if include_object == "Object":
            r["object"] = o
        elif include_object != "None":
            r["object"] = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                           "metadata": o["metadata"]}
        rows.append(r)
    out = {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": list_meta}
    if with_columns:
        out["columnDefinitions"] = defs
    out["rows"] = rows
    return out
