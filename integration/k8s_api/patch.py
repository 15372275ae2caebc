"""PATCH bodies: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and strategic merge patch.

Strategic merge patch knows the merge keys of the core kinds by field path (the `patchMergeKey`
and `patchStrategy` tags of k8s.io/api): Service ports by `port`, container ports by
`containerPort`, containers/env/volumes by `name`, conditions by `type`, Node addresses by
`type`, ownerReferences by `uid`, finalizers as a set. Every other list is replaced whole, as
for fields without a strategy. Directives: $patch (merge/replace/delete), $retainKeys,
$setElementOrder/<list>, $deleteFromPrimitiveList/<list>.
"""

import copy
import json

from .errors import ApiError, bad_request


def merge_patch(target, patch):
    """RFC 7386."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


class PatchFailed(ApiError):
    def __init__(self, detail):
        super().__init__(422, "Invalid",
                         "the server rejected our request due to an error in our request",
                         {"causes": [{"reason": "UnexpectedServerResponse", "message": detail}]})


def _pointer(path):
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchFailed("JSON pointer %r does not start with '/'" % path)
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _container(doc, parts, path):
    cur = doc
    for p in parts[:-1]:
        if isinstance(cur, dict) and p in cur:
            cur = cur[p]
        elif isinstance(cur, list) and p.isdigit() and int(p) < len(cur):
            cur = cur[int(p)]
        else:
            raise PatchFailed("doc is missing path: %s" % path)
    return cur


def _index(cur, key, path, allow_end):
    if key == "-" and allow_end:
        return len(cur)
    if not key.isdigit() or int(key) > len(cur) or (int(key) == len(cur) and not allow_end):
        raise PatchFailed("Unable to access invalid index: %s" % key)
    return int(key)


def _get(doc, path):
    parts = _pointer(path)
    if not parts:
        return doc
    cur = _container(doc, parts, path)
    k = parts[-1]
    if isinstance(cur, dict) and k in cur:
        return cur[k]
    if isinstance(cur, list) and k.isdigit() and int(k) < len(cur):
        return cur[int(k)]
    raise PatchFailed("doc is missing path: %s" % path)


def _remove(doc, path):
    parts = _pointer(path)
    cur = _container(doc, parts, path)
    k = parts[-1]
    if isinstance(cur, dict):
        if k not in cur:
            raise PatchFailed("Unable to remove nonexistent key: %s: missing value" % k)
        return cur.pop(k)
    if isinstance(cur, list):
        return cur.pop(_index(cur, k, path, False))
    raise PatchFailed("doc is missing path: %s" % path)


def _add(doc, path, value, replace=False):
    parts = _pointer(path)
    if not parts:
        return value
    cur = _container(doc, parts, path)
    k = parts[-1]
    if isinstance(cur, dict):
        if replace and k not in cur:
            raise PatchFailed("replace operation does not apply: doc is missing key: %s" % path)
        cur[k] = value
    elif isinstance(cur, list):
        i = _index(cur, k, path, not replace)
        if replace:
            cur[i] = value
        else:
            cur.insert(i, value)
    else:
        raise PatchFailed("doc is missing path: %s" % path)
    return doc


def json_patch(target, ops):
    """RFC 6902 on a copy of target."""
    if not isinstance(ops, list):
        raise bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    doc = copy.deepcopy(target)
    for op in ops:
        if not isinstance(op, dict) or "op" not in op:
            raise bad_request("invalid JSON patch operation: %s" % json.dumps(op))
        kind, path = op["op"], op.get("path")
        if not isinstance(path, str):
            raise PatchFailed("operation missing path")
        if kind in ("add", "replace", "test") and "value" not in op:
            raise PatchFailed("missing value for %s operation" % kind)
        if kind == "add":
            doc = _add(doc, path, copy.deepcopy(op["value"]))
        elif kind == "remove":
            _remove(doc, path)
        elif kind == "replace":
            doc = _add(doc, path, copy.deepcopy(op["value"]), replace=True)
        elif kind in ("move", "copy"):
            src = op.get("from")
            if not isinstance(src, str):
                raise PatchFailed("%s operation missing from" % kind)
            value = _remove(doc, src) if kind == "move" else copy.deepcopy(_get(doc, src))
            doc = _add(doc, path, value)
        elif kind == "test":
            if _get(doc, path) != op["value"]:
                raise PatchFailed("testing value %s failed: test failed" % path)
        else:
            raise PatchFailed("Unexpected kind: %s" % kind)
    return doc


def _strategy(kind, path):
    """('key', mergeKey) | ('set',) | None (replace) for the list at path (field names)."""
    last = path[-1] if path else ""
    if last == "ports":
        if any(p in ("containers", "initContainers", "ephemeralContainers") for p in path):
            return ("key", "containerPort")
        if kind == "Service" and path == ["spec", "ports"]:
            return ("key", "port")
        return None
    if last in ("containers", "initContainers", "ephemeralContainers", "env", "volumes",
                "imagePullSecrets", "resourceClaims", "secrets"):
        return ("key", "name")
    if last == "volumeMounts":
        return ("key", "mountPath")
    if last == "volumeDevices":
        return ("key", "devicePath")
    if last == "conditions":
        return ("key", "type")
    if last == "addresses" and kind == "Node" and path == ["status", "addresses"]:
        return ("key", "type")
    if last == "ownerReferences":
        return ("key", "uid")
    if last in ("hostAliases", "podIPs", "hostIPs"):
        return ("key", "ip")
    if last == "topologySpreadConstraints":
        return ("key", "topologyKey")
    if last == "finalizers" and path == ["metadata", "finalizers"]:
        return ("set",)
    return None


def _order(items, order, key):
    if not isinstance(order, list):
        return items

    def ident(x):
        return x.get(key) if key and isinstance(x, dict) else x
    wanted = [ident(o) for o in order]
    pos = {json.dumps(w, sort_keys=True): i for i, w in enumerate(wanted)}
    indexed = list(enumerate(items))
    indexed.sort(key=lambda p: (pos.get(json.dumps(ident(p[1]), sort_keys=True), len(pos)),
                                p[0]))
    return [x for _, x in indexed]


def _merge_list(kind, path, original, patch):
    strat = _strategy(kind, path)
    if strat is None:
        return [_strip(p) for p in patch]
    if strat[0] == "set":
        out = list(original)
        for v in patch:
            if v not in out:
                out.append(v)
        return out
    key = strat[1]
    if any(isinstance(p, dict) and p.get("$patch") == "replace" for p in patch):
        return [_strip(p) for p in patch if not (isinstance(p, dict) and "$patch" in p)]
    out = [copy.deepcopy(o) for o in original]
    for item in patch:
        if not isinstance(item, dict):
            out.append(item)
            continue
        idx = next((i for i, o in enumerate(out)
                    if isinstance(o, dict) and key in item and o.get(key) == item.get(key)),
                   None)
        if item.get("$patch") == "delete":
            out = [o for o in out if not (isinstance(o, dict) and o.get(key) == item.get(key))]
        elif idx is None:
            out.append(_strip(item))
        else:
            out[idx] = _merge_map(kind, path, out[idx], item)
    return out


def _strip(value):
    """A patch value stored as is: directives removed."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items()
                if not k.startswith("$") and v is not None}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _merge_map(kind, path, original, patch):
    if not isinstance(original, dict):
        original = {}
    directive = patch.get("$patch")
    if directive == "replace":
        return _strip({k: v for k, v in patch.items() if k != "$patch"})
    if directive == "delete":
        return None
    out = copy.deepcopy(original)
    orders, deletions = {}, {}
    for k, v in patch.items():
        if k in ("$patch", "$retainKeys"):
            continue
        if k.startswith("$setElementOrder/"):
            orders[k.split("/", 1)[1]] = v
            continue
        if k.startswith("$deleteFromPrimitiveList/"):
            deletions[k.split("/", 1)[1]] = v
            continue
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict):
            merged = _merge_map(kind, path + [k], out.get(k), v)
            if merged is None:
                out.pop(k, None)
            else:
                out[k] = merged
        elif isinstance(v, list):
            out[k] = _merge_list(kind, path + [k], out.get(k) if isinstance(out.get(k), list)
                                 else [], v)
        else:
            out[k] = v
    for k, values in deletions.items():
        if isinstance(out.get(k), list):
            out[k] = [x for x in out[k] if x not in (values or [])]
    for k, order in orders.items():
        if isinstance(out.get(k), list):
            strat = _strategy(kind, path + [k])
            out[k] = _order(out[k], order, strat[1] if strat and strat[0] == "key" else None)
    retain = patch.get("$retainKeys")
    if isinstance(retain, list):
        out = {k: v for k, v in out.items() if k in retain}
    return out


def strategic_merge_patch(kind, original, patch):
    if not isinstance(patch, dict):
        raise bad_request("json: cannot unmarshal array into Go value of type map[string]"
                          "interface {}")
    result = _merge_map(kind, [], original, patch)
    return result if result is not None else {}
