"""metadata.managedFields and server-side apply (an approximation of structured-merge-diff).

Field sets are sets of paths in the FieldsV1 vocabulary ("f:spec", "f:ports",
'k:{"port":80,"protocol":"TCP"}', 'v:"finalizer"', and "." for a map or list item owned as
a whole). Associative lists are known by field name (Service ports by port+protocol,
containers/env/volumes by name, conditions by type, ...); in custom resources every list is
atomic. An Update takes ownership of the fields it changed; an Apply owns exactly the fields
it sent, may conflict with other managers that own a field it sets to a different value
(409 unless force), and removes fields it applied before and no longer sends when nobody
else owns them.
"""

import copy
import json

from .errors import apply_conflicts
from .util import rfc3339

MISSING = object()
_META_SKIP = {"name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
              "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields", "selfLink",
              "generateName"}


def _list_keys(kind, path, items):
    """Key fields of an associative list, "set" for a set of scalars, or None (atomic)."""
    last = path[-1] if path else ""
    if kind is None:  # custom resources: lists are atomic unless their schema says more
        return "set" if path == ["metadata", "finalizers"] else None
    if last == "ports" and path == ["spec", "ports"] and kind == "Service":
        return ("port", "protocol")
    if last == "ports" and any(p in ("containers", "initContainers") for p in path):
        return ("containerPort", "protocol")
    if last in ("containers", "initContainers", "ephemeralContainers", "env", "volumes",
                "imagePullSecrets", "secrets"):
        return ("name",)
    if last == "conditions":
        return ("type",)
    if last == "addresses" and kind == "Node":
        return ("type",)
    if last == "ownerReferences":
        return ("uid",)
    if last == "finalizers" and path == ["metadata", "finalizers"]:
        return "set"
    return None


def _item_key(keys, item):
    if not isinstance(item, dict):
        return None
    k = {}
    for f in keys:
        if f in item:
            k[f] = item[f]
        elif f == "protocol":
            k[f] = "TCP"
        else:
            return None
    return "k:" + json.dumps(k, separators=(",", ":"), sort_keys=True)


def fieldset(obj, kind, path=(), names=(), root=True):
    """Leaf paths (and "." markers) of obj."""
    out = set()
    if not isinstance(obj, dict):
        return out
    for k, v in obj.items():
        if root and k in ("apiVersion", "kind"):
            continue
        if root and k == "metadata" and isinstance(v, dict):
            v = {mk: mv for mk, mv in v.items() if mk not in _META_SKIP}
            if not v:
                continue
        p = path + ("f:" + k,)
        n = list(names) + [k]
        if isinstance(v, dict) and v:
            if not root:
                out.add(p + (".",))
            out |= fieldset(v, kind, p, n, False)
        elif isinstance(v, list) and v:
            keys = _list_keys(kind, n, v)
            if keys == "set":
                for item in v:
                    out.add(p + ("v:" + json.dumps(item, separators=(",", ":")),))
            elif keys and all(_item_key(keys, i) for i in v):
                for item in v:
                    ip = p + (_item_key(keys, item),)
                    out.add(ip + (".",))
                    out |= fieldset(item, kind, ip, n, False)
            else:
                out.add(p)
        else:
            out.add(p)
    return out


def value_at(obj, path, kind=None):
    cur = obj
    for el in path:
        if el == ".":
            return cur
        if el.startswith("f:"):
            if not isinstance(cur, dict) or el[2:] not in cur:
                return MISSING
            cur = cur[el[2:]]
        elif el.startswith("k:"):
            want = json.loads(el[2:])
            if not isinstance(cur, list):
                return MISSING
            cur = next((i for i in cur if isinstance(i, dict) and all(
                i.get(f, "TCP" if f == "protocol" else MISSING) == v
                for f, v in want.items())), MISSING)
            if cur is MISSING:
                return MISSING
        elif el.startswith("v:"):
            want = json.loads(el[2:])
            return want if isinstance(cur, list) and want in cur else MISSING
    return cur


def remove_at(obj, path):
    """Removes the node path names (a leaf, or the owner of a "." marker)."""
    if path and path[-1] == ".":
        path = path[:-1]
    if not path:
        return
    parent = value_at(obj, path[:-1]) if len(path) > 1 else obj
    last = path[-1]
    if parent is MISSING:
        return
    if last.startswith("f:") and isinstance(parent, dict):
        parent.pop(last[2:], None)
    elif last.startswith("k:") and isinstance(parent, list):
        target = value_at(obj, path)
        if target is not MISSING:
            parent.remove(target)
    elif last.startswith("v:") and isinstance(parent, list):
        want = json.loads(last[2:])
        if want in parent:
            parent.remove(want)


def to_fieldsv1(paths):
    tree = {}
    for p in sorted(paths):
        cur = tree
        for el in p:
            cur = cur.setdefault(el, {})
    return tree


def from_fieldsv1(tree, prefix=()):
    out = set()
    if not isinstance(tree, dict):
        return out
    for k, v in tree.items():
        p = prefix + (k,)
        if isinstance(v, dict) and v:
            out |= from_fieldsv1(v, p)
        else:
            out.add(p)
    return out


def _entries(obj):
    return [e for e in ((obj or {}).get("metadata") or {}).get("managedFields") or []
            if isinstance(e, dict)]


def _same_entry(e, manager, operation, subresource):
    return (e.get("manager") == manager and e.get("operation") == operation
            and (e.get("subresource") or "") == (subresource or ""))


def _entry(manager, operation, api_version, paths, subresource):
    e = {"manager": manager, "operation": operation, "apiVersion": api_version,
         "time": rfc3339(), "fieldsType": "FieldsV1", "fieldsV1": to_fieldsv1(paths)}
    if subresource:
        e["subresource"] = subresource
    return e


def _store(entries, new_entry, manager, operation, subresource):
    out, placed = [], False
    for e in entries:
        if _same_entry(e, manager, operation, subresource):
            if new_entry is not None and not placed:
                out.append(new_entry)
                placed = True
        elif from_fieldsv1(e.get("fieldsV1")):
            out.append(e)
    if new_entry is not None and not placed:
        out.append(new_entry)
    return out


def record_update(old, new, manager, api_version, subresource, kind):
    """managedFields of new after an Update by manager that turned old into new."""
    old = old or {}
    old_set, new_set = fieldset(old, kind), fieldset(new, kind)
    changed = {p for p in new_set if value_at(old, p) != value_at(new, p)}
    gone = old_set - new_set
    entries = []
    mine = set()
    for e in _entries(old):
        paths = from_fieldsv1(e.get("fieldsV1")) - gone
        if _same_entry(e, manager, "Update", subresource):
            mine = paths
            entries.append(e)
            continue
        paths -= changed
        e = dict(e, fieldsV1=to_fieldsv1(paths))
        entries.append(e)
    mine = (mine | changed) & new_set
    entry = _entry(manager, "Update", api_version, mine, subresource) if mine else None
    return _store(entries, entry, manager, "Update", subresource)


def _merge(current, applied, kind, names=()):
    if not isinstance(current, dict) or not isinstance(applied, dict):
        return copy.deepcopy(applied)
    out = copy.deepcopy(current)
    for k, v in applied.items():
        n = list(names) + [k]
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v, kind, n)
        elif isinstance(v, list) and isinstance(out.get(k), list):
            keys = _list_keys(kind, n, v)
            if keys == "set":
                out[k] = out[k] + [x for x in v if x not in out[k]]
            elif keys and all(_item_key(keys, i) for i in v + out[k]):
                merged = list(out[k])
                for item in v:
                    ik = _item_key(keys, item)
                    idx = next((i for i, o in enumerate(merged) if _item_key(keys, o) == ik),
                               None)
                    if idx is None:
                        merged.append(copy.deepcopy(item))
                    else:
                        merged[idx] = _merge(merged[idx], item, kind, n)
                out[k] = merged
            else:
                out[k] = copy.deepcopy(v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def apply(current, applied, manager, force, api_version, subresource, kind, res):
    """Server-side apply of applied onto current: (new object, managedFields)."""
    current = current or {}
    applied_set = fieldset(applied, kind)
    if subresource == "status":
        applied_set = {p for p in applied_set if p[0] == "f:status"}
    entries = _entries(current)
    conflicts, stolen = [], set()
    for e in entries:
        if _same_entry(e, manager, "Apply", subresource):
            continue
        for p in sorted(from_fieldsv1(e.get("fieldsV1")) & applied_set):
            if p[-1] == ".":
                continue
            if value_at(current, p) != value_at(applied, p):
                conflicts.append((e.get("manager", ""), e.get("apiVersion", ""),
                                  _dotted(p)))
                stolen.add(p)
    if conflicts and not force:
        raise apply_conflicts(res.plural, res.group, (current.get("metadata") or {}).get(
            "name") or (applied.get("metadata") or {}).get("name", ""), conflicts)
    merged = _merge(current, applied, kind)
    previous = set()
    others = set()
    new_entries = []
    for e in entries:
        paths = from_fieldsv1(e.get("fieldsV1"))
        if _same_entry(e, manager, "Apply", subresource):
            previous = paths
            new_entries.append(e)
            continue
        paths -= stolen
        others |= paths
        new_entries.append(dict(e, fieldsV1=to_fieldsv1(paths)))
    for p in sorted(previous - applied_set, key=len, reverse=True):
        owner_prefix = p[:-1] if p[-1] == "." else p
        if any(o[:len(owner_prefix)] == owner_prefix for o in others | applied_set):
            continue
        remove_at(merged, p)
    entry = _entry(manager, "Apply", api_version, applied_set, subresource)
    return merged, _store(new_entries, entry, manager, "Apply", subresource)


def _dotted(path):
    out = ""
    for el in path:
        if el.startswith("f:"):
            out += "." + el[2:]
        elif el.startswith("k:"):
            out += "[" + ",".join("%s=%s" % (k, json.dumps(v)) for k, v in
                                  json.loads(el[2:]).items()) + "]"
        elif el.startswith("v:"):
            out += "[" + el[2:] + "]"
    return out
