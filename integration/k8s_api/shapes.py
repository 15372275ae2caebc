"""JSON shape checks of incoming objects: what decoding into the Go types would refuse.

kube-apiserver decodes a body into the kind's Go struct, so a field of the wrong JSON type
(a string where a list of ports belongs) is a 400 BadRequest before anything else happens.
This module knows the types of ObjectMeta and of the fields of the built-in kinds this server
interprets; other fields are not checked (see K8S_API_SERVER.md).
"""

from . import errors

STR, INT, BOOL, ANY = "string", "integer", "boolean", "any"
STRMAP = ("map", STR)
STRLIST = ("list", STR)
OBJLIST = ("list", {})

META = {"name": STR, "generateName": STR, "namespace": STR, "uid": STR,
        "resourceVersion": STR, "generation": INT, "labels": STRMAP, "annotations": STRMAP,
        "finalizers": STRLIST, "ownerReferences": ("list", {
            "apiVersion": STR, "kind": STR, "name": STR, "uid": STR, "controller": BOOL,
            "blockOwnerDeletion": BOOL}), "managedFields": OBJLIST,
        "deletionGracePeriodSeconds": INT}

SERVICE_PORT = {"name": STR, "protocol": STR, "appProtocol": STR, "port": INT,
                "nodePort": INT, "targetPort": ("intorstring",)}
RULE = {"verbs": STRLIST, "apiGroups": STRLIST, "resources": STRLIST,
        "resourceNames": STRLIST, "nonResourceURLs": STRLIST}
SUBJECT = {"kind": STR, "apiGroup": STR, "name": STR, "namespace": STR}
OBJREF = {"kind": STR, "namespace": STR, "name": STR, "uid": STR, "apiVersion": STR,
          "resourceVersion": STR, "fieldPath": STR}
EVENT_SOURCE = {"component": STR, "host": STR}

KINDS = {
    "Service": {"spec": {"ports": ("list", SERVICE_PORT), "selector": STRMAP,
                         "clusterIP": STR, "clusterIPs": STRLIST, "type": STR,
                         "externalIPs": STRLIST, "sessionAffinity": STR,
                         "loadBalancerIP": STR, "loadBalancerSourceRanges": STRLIST,
                         "externalName": STR, "externalTrafficPolicy": STR,
                         "healthCheckNodePort": INT, "publishNotReadyAddresses": BOOL,
                         "ipFamilies": STRLIST, "ipFamilyPolicy": STR,
                         "allocateLoadBalancerNodePorts": BOOL, "loadBalancerClass": STR,
                         "internalTrafficPolicy": STR, "sessionAffinityConfig": {}},
                "status": {"loadBalancer": {"ingress": ("list", {"ip": STR, "hostname": STR,
                                                                 "ipMode": STR,
                                                                 "ports": OBJLIST})},
                           "conditions": OBJLIST}},
    "ConfigMap": {"data": STRMAP, "binaryData": STRMAP, "immutable": BOOL},
    "Secret": {"data": STRMAP, "stringData": STRMAP, "type": STR, "immutable": BOOL},
    "Namespace": {"spec": {"finalizers": STRLIST}, "status": {"phase": STR}},
    "Node": {"spec": {"taints": OBJLIST, "unschedulable": BOOL, "podCIDRs": STRLIST},
             "status": {"conditions": OBJLIST, "addresses": OBJLIST, "nodeInfo": {}}},
    "Pod": {"spec": {"containers": OBJLIST, "nodeName": STR}, "status": {}},
    "ServiceAccount": {"secrets": OBJLIST, "imagePullSecrets": OBJLIST},
    "Endpoints": {"subsets": ("list", {"addresses": OBJLIST, "ports": OBJLIST})},
    "EndpointSlice": {"addressType": STR, "endpoints": ("list", {"addresses": STRLIST}),
                      "ports": OBJLIST},
    "Lease": {"spec": {"holderIdentity": STR, "leaseDurationSeconds": INT,
                       "acquireTime": STR, "renewTime": STR, "leaseTransitions": INT}},
    "Role": {"rules": ("list", RULE)},
    "ClusterRole": {"rules": ("list", RULE), "aggregationRule": {}},
    "RoleBinding": {"subjects": ("list", SUBJECT), "roleRef": SUBJECT},
    "ClusterRoleBinding": {"subjects": ("list", SUBJECT), "roleRef": SUBJECT},
    "CustomResourceDefinition": {"spec": {
        "group": STR, "scope": STR, "names": {"plural": STR, "singular": STR, "kind": STR,
                                              "listKind": STR, "shortNames": STRLIST,
                                              "categories": STRLIST},
        "versions": ("list", {"name": STR, "served": BOOL, "storage": BOOL,
                              "schema": {}, "subresources": {},
                              "additionalPrinterColumns": OBJLIST})}},
    "Event": {"involvedObject": OBJREF, "reason": STR, "message": STR,
              "source": EVENT_SOURCE, "firstTimestamp": STR, "lastTimestamp": STR,
              "count": INT, "type": STR, "eventTime": STR,
              "series": {"count": INT, "lastObservedTime": STR}, "action": STR,
              "related": OBJREF, "reportingComponent": STR, "reportingInstance": STR},
    "events.k8s.io/Event": {
        "eventTime": STR, "series": {"count": INT, "lastObservedTime": STR},
        "reportingController": STR, "reportingInstance": STR, "action": STR, "reason": STR,
        "regarding": OBJREF, "related": OBJREF, "note": STR, "type": STR,
        "deprecatedSource": EVENT_SOURCE, "deprecatedFirstTimestamp": STR,
        "deprecatedLastTimestamp": STR, "deprecatedCount": INT},
}


def _json_type(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def _fail(kind, version, path, value, want):
    raise errors.bad_request(
        '%s in version "%s" cannot be handled as a %s: json: cannot unmarshal %s into Go '
        'struct field %s.%s of type %s' % (kind, version, kind, _json_type(value), kind,
                                            path, want))


def _check(kind, version, path, value, shape):
    if value is None:
        return  # null is the zero value for every Go field
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            _fail(kind, version, path, value, "object")
        for k, sub in shape.items():
            if k in value:
                _check(kind, version, path + "." + k, value[k], sub)
    elif shape == STR:
        if not isinstance(value, str):
            _fail(kind, version, path, value, "string")
    elif shape == INT:
        if isinstance(value, bool) or not isinstance(value, int):
            _fail(kind, version, path, value, "int32")
    elif shape == BOOL:
        if not isinstance(value, bool):
            _fail(kind, version, path, value, "bool")
    elif shape[0] == "intorstring":
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            _fail(kind, version, path, value, "intstr.IntOrString")
    elif shape[0] == "map":
        if not isinstance(value, dict):
            _fail(kind, version, path, value, "map[string]string")
        for k, v in value.items():
            _check(kind, version, path, v, shape[1])
    elif shape[0] == "list":
        if not isinstance(value, list):
            _fail(kind, version, path, value, "[]" + ("string" if shape[1] == STR else
                                                     "object"))
        for v in value:
            _check(kind, version, path, v, shape[1])


def check(res, version, body):
    """400 BadRequest when body's fields have the wrong JSON types for the kind."""
    if "metadata" in body:
        _check(res.kind, version, "metadata", body["metadata"], META)
    if not res.crd:
        kind = KINDS.get("%s/%s" % (res.group, res.kind)) or KINDS.get(res.kind, {})
        for field, shape in kind.items():
            if field in body:
                _check(res.kind, version, field, body[field], shape)
