"""Discovery documents (legacy and aggregated), /version and a minimal OpenAPI v3.

The OpenAPI v3 documents only describe operations and their query parameters (no schemas):
kubectl reads them to learn that the server validates fields itself (fieldValidation), and
then skips client-side schema validation.
"""

import hashlib
import json

from .resources import VIRTUAL

VERSION = {
    "major": "1", "minor": "32", "gitVersion": "v1.32.4", "gitCommit": "0" * 40,
    "gitTreeState": "clean", "buildDate": "2025-04-22T16:03:38Z", "goVersion": "go1.23.8",
    "compiler": "gc", "platform": "linux/amd64",
}

AGGREGATED_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"


def _resource_entries(r, version):
    out = [{"name": r.plural, "singularName": r.singular, "namespaced": r.namespaced,
            "kind": r.kind, "verbs": r.verbs}]
    if r.short_names:
        out[0]["shortNames"] = r.short_names
    if r.categories:
        out[0]["categories"] = r.categories
    for sub, verbs in sorted(r.subresources.items()):
        e = {"name": "%s/%s" % (r.plural, sub), "singularName": "", "namespaced": r.namespaced,
             "kind": r.kind, "verbs": verbs}
        if sub == "token":
            e.update(group="authentication.k8s.io", version="v1", kind="TokenRequest")
        elif sub == "scale":
            e.update(group="autoscaling", version="v1", kind="Scale")
        out.append(e)
    return out


def api_versions(server_address):
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0",
                                            "serverAddress": server_address}]}


def resource_list(registry, group, version):
    resources = registry.in_group_version(group, version)
    if not resources:
        return None
    gv = version if not group else "%s/%s" % (group, version)
    entries = []
    for r in resources:
        entries.extend(_resource_entries(r, version))
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
            "resources": entries}


def _group_doc(group, versions):
    vs = [{"groupVersion": "%s/%s" % (group, v), "version": v} for v in versions]
    return {"name": group, "versions": vs, "preferredVersion": vs[0]}


def group_list(registry):
    groups = [_group_doc(g, vs) for g, vs in registry.group_versions().items() if g]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def group(registry, name):
    vs = registry.group_versions().get(name)
    if not name or not vs:
        return None
    doc = _group_doc(name, vs)
    doc.update(kind="APIGroup", apiVersion="v1")
    return doc


def _aggregated_resource(r, version):
    kind = {"group": r.group, "version": version, "kind": r.kind}
    e = {"resource": r.plural, "responseKind": kind,
         "scope": "Namespaced" if r.namespaced else "Cluster",
         "singularResource": r.singular, "verbs": r.verbs}
    if r.short_names:
        e["shortNames"] = r.short_names
    if r.categories:
        e["categories"] = r.categories
    subs = []
    for sub, verbs in sorted(r.subresources.items()):
        k = dict(kind)
        if sub == "token":
            k = {"group": "authentication.k8s.io", "version": "v1", "kind": "TokenRequest"}
        elif sub == "scale":
            k = {"group": "autoscaling", "version": "v1", "kind": "Scale"}
        subs.append({"subresource": sub, "responseKind": k, "verbs": verbs})
    if subs:
        e["subresources"] = subs
    return e


def aggregated(registry, legacy):
    """apidiscovery.k8s.io/v2 APIGroupDiscoveryList for /api (legacy) or /apis."""
    items = []
    for g, versions in registry.group_versions().items():
        if bool(g) == legacy:
            continue
        vs = [{"version": v, "resources": [_aggregated_resource(r, v)
                                           for r in registry.in_group_version(g, v)],
               "freshness": "Current"} for v in versions]
        items.append({"metadata": {"name": g, "creationTimestamp": None}, "versions": vs})
    return {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2",
            "metadata": {}, "items": items}


def _param(name):
    return {"name": name, "in": "query", "schema": {"type": "string", "uniqueItems": True}}


def _operations(r, version, collection, sub=None):
    gvk = {"group": r.group, "version": version, "kind": r.kind}
    if sub == "token":
        gvk = {"group": "authentication.k8s.io", "version": "v1", "kind": "TokenRequest"}
    write = [_param("dryRun"), _param("fieldManager"), _param("fieldValidation")]
    ops = {}

    def op(action, params=()):
        return {"x-kubernetes-action": action, "x-kubernetes-group-version-kind": gvk,
                "parameters": list(params), "responses": {"200": {"description": "OK"}}}
    if collection:
        if "list" in r.verbs and sub is None:
            ops["get"] = op("list", [_param(p) for p in (
                "allowWatchBookmarks", "continue", "fieldSelector", "labelSelector", "limit",
                "resourceVersion", "resourceVersionMatch", "sendInitialEvents",
                "timeoutSeconds", "watch")])
        if "create" in r.verbs and sub is None:
            ops["post"] = op("post", write)
        return ops
    verbs = r.subresources.get(sub, []) if sub else r.verbs
    if "get" in verbs:
        ops["get"] = op("get")
    if "update" in verbs:
        ops["put"] = op("put", write)
    if "patch" in verbs:
        ops["patch"] = op("patch", write + [_param("force")])
    if "delete" in verbs and sub is None:
        ops["delete"] = op("delete", [_param("dryRun"), _param("gracePeriodSeconds"),
                                       _param("propagationPolicy")])
    if "create" in verbs and sub:
        ops["post"] = op("post", write)
    return ops


def openapi_gv(registry, group, version):
    paths = {}
    for r in registry.in_group_version(group, version):
        if r.key in VIRTUAL:
            base = r.path_prefix(version) + "/" + r.plural
            paths[base] = {"post": _operations(r, version, True)["post"]}
            continue
        base = r.path_prefix(version)
        if r.namespaced:
            base += "/namespaces/{namespace}"
        coll = "%s/%s" % (base, r.plural)
        paths[coll] = _operations(r, version, True)
        paths[coll + "/{name}"] = _operations(r, version, False)
        for sub in r.subresources:
            paths["%s/{name}/%s" % (coll, sub)] = _operations(r, version, False, sub)
    return {"openapi": "3.0.0",
            "info": {"title": "Kubernetes", "version": VERSION["gitVersion"]},
            "paths": paths, "components": {"schemas": {}}}


def openapi_root(registry):
    paths = {}
    for g, versions in registry.group_versions().items():
        for v in versions:
            key = "api/v1" if not g else "apis/%s/%s" % (g, v)
            doc = json.dumps(openapi_gv(registry, g, v), sort_keys=True).encode()
            digest = hashlib.sha512(doc).hexdigest()[:128].upper()
            paths[key] = {"serverRelativeURL": "/openapi/v3/%s?hash=%s" % (key, digest)}
    return {"paths": paths}
