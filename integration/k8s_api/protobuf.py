"""Decoding of Kubernetes protobuf request bodies ("k8s\\0" + runtime.Unknown envelope).

kubectl's typed commands (create namespace/serviceaccount/secret/configmap/service/role/
rolebinding/clusterrole/clusterrolebinding/token, auth can-i, auth whoami) send
application/vnd.kubernetes.protobuf. Replies are always JSON, which clients accept. The
field numbers below are those of the k8s.io/api and apimachinery generated.proto files;
only the kinds those commands send are described.
"""

import base64
import datetime

from . import errors

MAGIC = b"k8s\x00"

# message -> {field number: (json name, type, flags)}; flags: "rep" repeated, "keep" keeps
# zero values (Go pointer fields).
S = {
    "Unknown": {1: ("typeMeta", "RuntimeTypeMeta", ""), 2: ("raw", "rawbytes", ""),
                3: ("contentEncoding", "string", ""), 4: ("contentType", "string", "")},
    "RuntimeTypeMeta": {1: ("apiVersion", "string", ""), 2: ("kind", "string", "")},
    "ObjectMeta": {1: ("name", "string", ""), 2: ("generateName", "string", ""),
                   3: ("namespace", "string", ""), 4: ("selfLink", "string", ""),
                   5: ("uid", "string", ""), 6: ("resourceVersion", "string", ""),
                   7: ("generation", "int", ""), 8: ("creationTimestamp", "Time", ""),
                   9: ("deletionTimestamp", "Time", ""),
                   10: ("deletionGracePeriodSeconds", "int", "keep"),
                   11: ("labels", "map<string,string>", ""),
                   12: ("annotations", "map<string,string>", ""),
                   13: ("ownerReferences", "OwnerReference", "rep"),
                   14: ("finalizers", "string", "rep"),
                   17: ("managedFields", "ManagedFieldsEntry", "rep")},
    "OwnerReference": {5: ("apiVersion", "string", ""), 1: ("kind", "string", ""),
                       3: ("name", "string", ""), 4: ("uid", "string", ""),
                       6: ("controller", "bool", "keep"),
                       7: ("blockOwnerDeletion", "bool", "keep")},
    "ManagedFieldsEntry": {1: ("manager", "string", ""), 2: ("operation", "string", ""),
                           3: ("apiVersion", "string", ""), 4: ("time", "Time", ""),
                           6: ("fieldsType", "string", ""), 7: ("fieldsV1", "FieldsV1", ""),
                           8: ("subresource", "string", "")},
    "FieldsV1": {1: ("Raw", "rawbytes", "")},
    "Namespace": {1: ("metadata", "ObjectMeta", ""), 2: ("spec", "NamespaceSpec", ""),
                  3: ("status", "NamespaceStatus", "")},
    "NamespaceSpec": {1: ("finalizers", "string", "rep")},
    "NamespaceStatus": {1: ("phase", "string", "")},
    "ObjectReference": {1: ("kind", "string", ""), 2: ("namespace", "string", ""),
                        3: ("name", "string", ""), 4: ("uid", "string", ""),
                        5: ("apiVersion", "string", ""), 6: ("resourceVersion", "string", ""),
                        7: ("fieldPath", "string", "")},
    "LocalObjectReference": {1: ("name", "string", "")},
    "ServiceAccount": {1: ("metadata", "ObjectMeta", ""),
                       2: ("secrets", "ObjectReference", "rep"),
                       3: ("imagePullSecrets", "LocalObjectReference", "rep"),
                       4: ("automountServiceAccountToken", "bool", "keep")},
    "ConfigMap": {1: ("metadata", "ObjectMeta", ""), 2: ("data", "map<string,string>", ""),
                  3: ("binaryData", "map<string,bytes>", ""), 4: ("immutable", "bool", "keep")},
    "Secret": {1: ("metadata", "ObjectMeta", ""), 2: ("data", "map<string,bytes>", ""),
               3: ("type", "string", ""), 4: ("stringData", "map<string,string>", ""),
               5: ("immutable", "bool", "keep")},
    "Service": {1: ("metadata", "ObjectMeta", ""), 2: ("spec", "ServiceSpec", ""),
                3: ("status", "Empty", "")},
    "Empty": {},
    "ServiceSpec": {1: ("ports", "ServicePort", "rep"), 2: ("selector", "map<string,string>", ""),
                    3: ("clusterIP", "string", ""), 4: ("type", "string", ""),
                    5: ("externalIPs", "string", "rep"), 7: ("sessionAffinity", "string", ""),
                    8: ("loadBalancerIP", "string", ""),
                    9: ("loadBalancerSourceRanges", "string", "rep"),
                    10: ("externalName", "string", ""),
                    11: ("externalTrafficPolicy", "string", ""),
                    12: ("healthCheckNodePort", "int", ""),
                    13: ("publishNotReadyAddresses", "bool", ""),
                    14: ("sessionAffinityConfig", "SessionAffinityConfig", ""),
                    17: ("ipFamilyPolicy", "string", "keep"), 18: ("clusterIPs", "string", "rep"),
                    19: ("ipFamilies", "string", "rep"),
                    20: ("allocateLoadBalancerNodePorts", "bool", "keep"),
                    21: ("loadBalancerClass", "string", "keep"),
                    22: ("internalTrafficPolicy", "string", "keep"),
                    23: ("trafficDistribution", "string", "keep")},
    "ServicePort": {1: ("name", "string", ""), 2: ("protocol", "string", ""),
                    6: ("appProtocol", "string", "keep"), 3: ("port", "int", ""),
                    4: ("targetPort", "IntOrString", ""), 5: ("nodePort", "int", "")},
    "IntOrString": {1: ("type", "int", "keep"), 2: ("intVal", "int", "keep"),
                    3: ("strVal", "string", "keep")},
    "SessionAffinityConfig": {1: ("clientIP", "ClientIPConfig", "")},
    "ClientIPConfig": {1: ("timeoutSeconds", "int", "keep")},
    "PolicyRule": {1: ("verbs", "string", "rep"), 2: ("apiGroups", "string", "rep"),
                   3: ("resources", "string", "rep"), 4: ("resourceNames", "string", "rep"),
                   5: ("nonResourceURLs", "string", "rep")},
    "Role": {1: ("metadata", "ObjectMeta", ""), 2: ("rules", "PolicyRule", "rep")},
    "ClusterRole": {1: ("metadata", "ObjectMeta", ""), 2: ("rules", "PolicyRule", "rep"),
                    3: ("aggregationRule", "AggregationRule", "")},
    "AggregationRule": {1: ("clusterRoleSelectors", "LabelSelector", "rep")},
    "LabelSelector": {1: ("matchLabels", "map<string,string>", ""),
                      2: ("matchExpressions", "LabelSelectorRequirement", "rep")},
    "LabelSelectorRequirement": {1: ("key", "string", ""), 2: ("operator", "string", ""),
                                 3: ("values", "string", "rep")},
    "RoleRef": {1: ("apiGroup", "string", ""), 2: ("kind", "string", ""),
                3: ("name", "string", "")},
    "Subject": {1: ("kind", "string", ""), 2: ("apiGroup", "string", ""),
                3: ("name", "string", ""), 4: ("namespace", "string", "")},
    "RoleBinding": {1: ("metadata", "ObjectMeta", ""), 2: ("subjects", "Subject", "rep"),
                    3: ("roleRef", "RoleRef", "")},
    "TokenRequest": {1: ("metadata", "ObjectMeta", ""), 2: ("spec", "TokenRequestSpec", "")},
    "TokenRequestSpec": {1: ("audiences", "string", "rep"),
                         4: ("expirationSeconds", "int", "keep"),
                         3: ("boundObjectRef", "BoundObjectReference", "")},
    "BoundObjectReference": {1: ("kind", "string", ""), 2: ("apiVersion", "string", ""),
                             3: ("name", "string", ""), 4: ("uid", "string", "")},
    "SelfSubjectReview": {1: ("metadata", "ObjectMeta", "")},
    "SelfSubjectAccessReview": {1: ("metadata", "ObjectMeta", ""),
                                2: ("spec", "AccessReviewSpec", "")},
    "SubjectAccessReview": {1: ("metadata", "ObjectMeta", ""),
                            2: ("spec", "AccessReviewSpec", "")},
    "AccessReviewSpec": {1: ("resourceAttributes", "ResourceAttributes", ""),
                         2: ("nonResourceAttributes", "NonResourceAttributes", ""),
                         3: ("user", "string", ""), 4: ("groups", "string", "rep"),
                         6: ("uid", "string", "")},
    "ResourceAttributes": {1: ("namespace", "string", ""), 2: ("verb", "string", ""),
                           3: ("group", "string", ""), 4: ("version", "string", ""),
                           5: ("resource", "string", ""), 6: ("subresource", "string", ""),
                           7: ("name", "string", "")},
    "NonResourceAttributes": {1: ("path", "string", ""), 2: ("verb", "string", "")},
    "SelfSubjectRulesReview": {1: ("metadata", "ObjectMeta", ""),
                               2: ("spec", "RulesReviewSpec", "")},
    "RulesReviewSpec": {1: ("namespace", "string", "")},
}

KINDS = {"Namespace": "Namespace", "ServiceAccount": "ServiceAccount",
         "ConfigMap": "ConfigMap", "Secret": "Secret", "Service": "Service", "Role": "Role",
         "ClusterRole": "ClusterRole", "RoleBinding": "RoleBinding",
         "ClusterRoleBinding": "RoleBinding", "TokenRequest": "TokenRequest",
         "SelfSubjectReview": "SelfSubjectReview",
         "SelfSubjectAccessReview": "SelfSubjectAccessReview",
         "SubjectAccessReview": "SubjectAccessReview",
         "SelfSubjectRulesReview": "SelfSubjectRulesReview"}


class _Bad(Exception):
    pass


def _varint(buf, pos):
    out = shift = 0
    while True:
        if pos >= len(buf):
            raise _Bad("truncated varint")
        b = buf[pos]
        pos += 1
        out |= (b & 0x7F) << shift
        if not b & 0x80:
            return out, pos
        shift += 7
        if shift > 70:
            raise _Bad("varint too long")


def _fields(buf):
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        num, wire = key >> 3, key & 7
        if wire == 0:
            val, pos = _varint(buf, pos)
        elif wire == 2:
            n, pos = _varint(buf, pos)
            if pos + n > len(buf):
                raise _Bad("truncated field %d" % num)
            val, pos = buf[pos:pos + n], pos + n
        elif wire == 1:
            val, pos = buf[pos:pos + 8], pos + 8
        elif wire == 5:
            val, pos = buf[pos:pos + 4], pos + 4
        else:
            raise _Bad("unsupported wire type %d" % wire)
        yield num, wire, val


def _signed(v):
    return v - (1 << 64) if v >= 1 << 63 else v


def _scalar(typ, wire, val):
    if typ == "string":
        return val.decode("utf-8")
    if typ == "bytes":
        return base64.b64encode(val).decode()
    if typ == "rawbytes":
        return bytes(val)
    if typ == "int":
        return _signed(val)
    if typ == "bool":
        return bool(val)
    raise _Bad("type %s" % typ)


def _time(buf):
    secs = nanos = 0
    for num, _, val in _fields(buf):
        if num == 1:
            secs = _signed(val)
        elif num == 2:
            nanos = val
    if secs == 0 and nanos == 0:
        return None
    t = datetime.datetime.fromtimestamp(secs, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _map_entry(buf, value_type):
    k, v = "", "" if value_type == "string" else ""
    for num, wire, val in _fields(buf):
        if num == 1:
            k = val.decode("utf-8")
        elif num == 2:
            v = _scalar(value_type, wire, val)
    return k, v


def _zero(v):
    return v in ("", 0, False, None) or v == [] or v == {}


def message(name, buf):
    schema = S[name]
    out = {}
    for num, wire, val in _fields(buf):
        if num not in schema:
            continue  # a field this decoder does not know: dropped
        key, typ, flags = schema[num]
        if typ.startswith("map<"):
            vt = typ[len("map<string,"):-1]
            k, v = _map_entry(val, vt)
            out.setdefault(key, {})[k] = v
            continue
        if typ == "Time":
            v = _time(val)
        elif typ == "IntOrString":
            d = message("IntOrString", val)
            v = d.get("strVal", "") if d.get("type") == 1 else d.get("intVal", 0)
        elif typ in S:
            v = message(typ, val)
        elif wire == 2 and typ in ("int", "bool"):  # packed repeated scalars
            v, pos = [], 0
            while pos < len(val):
                x, pos = _varint(val, pos)
                v.append(_scalar(typ, 0, x))
            out.setdefault(key, []).extend(v)
            continue
        else:
            v = _scalar(typ, wire, val)
        if "rep" in flags:
            out.setdefault(key, []).append(v)
        elif "keep" in flags or not _zero(v):
            out[key] = v
    return {k: v for k, v in out.items() if not (isinstance(v, (dict, list)) and not v
                                                 and k not in ("data",))}


def decode(raw):
    """A JSON-shaped object from a protobuf request body; 415 for kinds not described."""
    if not raw.startswith(MAGIC):
        raise errors.bad_request("protobuf body without the k8s magic prefix")
    try:
        env = message("Unknown", raw[len(MAGIC):])
        tm = env.get("typeMeta") or {}
        kind = tm.get("kind", "")
        schema = KINDS.get(kind)
        if schema is None:
            raise errors.unsupported_media_type(
                "application/vnd.kubernetes.protobuf",
                ["application/json", "application/vnd.kubernetes.protobuf (kinds: %s)" %
                 ", ".join(sorted(KINDS))])
        obj = {"apiVersion": tm.get("apiVersion", ""), "kind": kind}
        obj.update(message(schema, env.get("raw") or b""))
        return obj
    except _Bad as e:
        raise errors.bad_request("error decoding protobuf body: %s" % e)
    except (UnicodeDecodeError, IndexError) as e:
        raise errors.bad_request("error decoding protobuf body: %s" % e)
