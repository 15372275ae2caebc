"""The resource types the server knows: built-in kinds and those registered by CRDs.

Each Resource says how kube-apiserver exposes the kind (group, versions, plural, scope, verbs,
short names, subresources) and the storage strategy flags the handlers consult.
"""

import re
import threading

from . import events

RW = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
SUB_RW = ["get", "patch", "update"]


class Resource:
    def __init__(self, group, versions, plural, kind, namespaced, short=(), singular=None,
                 verbs=RW, status=False, categories=(), list_kind=None, subresources=None,
                 create_on_update=False, unconditional_update=True, generation=False,
                 name_rule="dns1123subdomain", field_labels=(), status_resets_meta=True,
                 crd=None, printer_columns=None, schemas=None, storage=None):
        self.group = group
        self.versions = list(versions)  # served, in discovery (priority) order
        self.plural = plural
        self.kind = kind
        self.namespaced = namespaced
        self.short_names = list(short)
        self.singular = singular or kind.lower()
        self.verbs = list(verbs)
        self.has_status = status
        self.categories = list(categories)
        self.list_kind = list_kind or kind + "List"
        self.subresources = dict(subresources or {})
        if status:
            self.subresources.setdefault("status", SUB_RW)
        self.create_on_update = create_on_update
        self.unconditional_update = unconditional_update
        self.generation = generation
        self.name_rule = name_rule
        # field label -> the field it selects in the stored object
        labels = field_labels if isinstance(field_labels, dict) else {
            f: f for f in field_labels}
        self.field_labels = dict(labels, **{f: f for f in ("metadata.name",
                                                           "metadata.namespace")})
        # Only Service keeps metadata changes sent to /status (its status strategy resets spec
        # alone); the others use ResetObjectMetaForStatus.
        self.status_resets_meta = status_resets_meta
        self.crd = crd  # name of the CRD that registered this resource
        self.printer_columns = printer_columns or {}  # version -> additionalPrinterColumns
        self.schemas = schemas or {}  # version -> openAPIV3Schema (for defaulting)
        # Another resource whose objects this one serves (events.k8s.io Events are the core
        # Events): one store, and that resource's name in errors, as its REST storage has.
        self.storage = storage

    @property
    def key(self):
        """Where the objects are stored."""
        return self.storage.key if self.storage else (self.group, self.plural)

    @property
    def stored_as(self):
        """The resource errors name (the REST storage's qualified resource)."""
        return self.storage or self

    def api_version(self, version):
        return version if not self.group else "%s/%s" % (self.group, version)

    def group_resource(self):
        return self.plural if not self.group else "%s.%s" % (self.plural, self.group)

    def path_prefix(self, version):
        return "/api/v1" if not self.group else "/apis/%s/%s" % (self.group, version)


def _builtin():
    core = ""
    # Core Events skip the strict name rules (legacy validation): path segment names only.
    core_events = Resource(core, ["v1"], "events", "Event", True, ["ev"], create_on_update=True,
                           name_rule="path", field_labels=events.CORE_FIELD_LABELS)
    return [
        Resource(core, ["v1"], "namespaces", "Namespace", False, ["ns"],
                 verbs=["create", "delete", "get", "list", "patch", "update", "watch"],
                 status=True, subresources={"finalize": ["update"]},
                 name_rule="dns1123label", field_labels=("status.phase",)),
        Resource(core, ["v1"], "services", "Service", True, ["svc"], status=True,
                 categories=["all"], create_on_update=True, name_rule="dns1035",
                 field_labels=("spec.clusterIP", "spec.type"),
                 status_resets_meta=False),
        Resource(core, ["v1"], "endpoints", "Endpoints", True, ["ep"],
                 create_on_update=True),
        Resource(core, ["v1"], "nodes", "Node", False, ["no"], status=True,
                 create_on_update=True, field_labels=("spec.unschedulable",)),
        Resource(core, ["v1"], "configmaps", "ConfigMap", True, ["cm"]),
        Resource(core, ["v1"], "secrets", "Secret", True, field_labels=("type",)),
        Resource(core, ["v1"], "pods", "Pod", True, ["po"], status=True, categories=["all"],
                 field_labels=("spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
                               "spec.serviceAccountName", "spec.hostNetwork", "status.phase",
                               "status.podIP", "status.nominatedNodeName")),
        Resource(core, ["v1"], "serviceaccounts", "ServiceAccount", True, ["sa"],
                 subresources={"token": ["create"]}),
        core_events,
        Resource(events.GROUP, ["v1"], "events", "Event", True, ["ev"], create_on_update=True,
                 field_labels=events.V1_FIELD_LABELS, storage=core_events),
        Resource("discovery.k8s.io", ["v1"], "endpointslices", "EndpointSlice", True,
                 generation=True),
        Resource("coordination.k8s.io", ["v1"], "leases", "Lease", True),
        Resource("rbac.authorization.k8s.io", ["v1"], "roles", "Role", True,
                 create_on_update=True, name_rule="path"),
        Resource("rbac.authorization.k8s.io", ["v1"], "clusterroles", "ClusterRole", False,
                 create_on_update=True, name_rule="path"),
        Resource("rbac.authorization.k8s.io", ["v1"], "rolebindings", "RoleBinding", True,
                 create_on_update=True, name_rule="path"),
        Resource("rbac.authorization.k8s.io", ["v1"], "clusterrolebindings",
                 "ClusterRoleBinding", False, create_on_update=True, name_rule="path"),
        Resource("apiextensions.k8s.io", ["v1"], "customresourcedefinitions",
                 "CustomResourceDefinition", False, ["crd", "crds"], status=True,
                 categories=["api-extensions"], generation=True),
        Resource("authorization.k8s.io", ["v1"], "selfsubjectaccessreviews",
                 "SelfSubjectAccessReview", False, verbs=["create"]),
        Resource("authorization.k8s.io", ["v1"], "selfsubjectrulesreviews",
                 "SelfSubjectRulesReview", False, verbs=["create"]),
        Resource("authorization.k8s.io", ["v1"], "subjectaccessreviews",
                 "SubjectAccessReview", False, verbs=["create"]),
        Resource("authentication.k8s.io", ["v1"], "selfsubjectreviews", "SelfSubjectReview",
                 False, verbs=["create"]),
    ]


# Resources that are computed per request and never stored.
VIRTUAL = {("authorization.k8s.io", "selfsubjectaccessreviews"),
           ("authorization.k8s.io", "selfsubjectrulesreviews"),
           ("authorization.k8s.io", "subjectaccessreviews"),
           ("authentication.k8s.io", "selfsubjectreviews")}

_VERSION_RE = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")


def version_priority(version):
    """Sort key of Kubernetes version priority: GA > beta > alpha, higher numbers first,
    then anything else alphabetically."""
    m = _VERSION_RE.match(version)
    if not m:
        return (3, 0, 0, version)
    major = int(m.group(1))
    if not m.group(2):
        return (0, -major, 0, "")
    rank = 1 if m.group(2) == "beta" else 2
    return (rank, -major, -int(m.group(3)), "")


def resource_from_crd(crd):
    """The Resource a CustomResourceDefinition registers, or None when it serves nothing."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    served = [v for v in spec.get("versions") or [] if v.get("served")]
    if not served or not names.get("plural") or not names.get("kind"):
        return None
    versions = sorted((v["name"] for v in served), key=version_priority)
    status = any((v.get("subresources") or {}).get("status") is not None for v in served)
    subresources = {}
    if status:
        subresources["status"] = SUB_RW
    if any((v.get("subresources") or {}).get("scale") is not None for v in served):
        subresources["scale"] = SUB_RW
    columns = {v["name"]: v.get("additionalPrinterColumns") or [] for v in served}
    schemas = {v["name"]: (v.get("schema") or {}).get("openAPIV3Schema") for v in served}
    return Resource(spec.get("group", ""), versions, names["plural"], names["kind"],
                    spec.get("scope") == "Namespaced", names.get("shortNames") or [],
                    singular=names.get("singular") or names["kind"].lower(),
                    status=status, categories=names.get("categories") or [],
                    list_kind=names.get("listKind"), subresources=subresources,
                    unconditional_update=False, generation=True,
                    crd=crd["metadata"]["name"], printer_columns=columns, schemas=schemas)


class Registry:
    """Thread-safe lookup of resources by group/version/plural and by kind."""

    def __init__(self):
        self._lock = threading.Lock()
        self._builtin = _builtin()
        self._crds = {}  # crd name -> Resource

    def all(self):
        with self._lock:
            return list(self._builtin) + list(self._crds.values())

    def set_crd(self, name, resource):
        with self._lock:
            if resource is None:
                self._crds.pop(name, None)
            else:
                self._crds[name] = resource

    def builtin_conflict(self, group, plural):
        return any(r.group == group and r.plural == plural for r in self._builtin)

    def lookup(self, group, version, plural):
        for r in self.all():
            if r.group == group and r.plural == plural and version in r.versions:
                return r
        return None

    def by_key(self, key):
        for r in self.all():
            if r.key == key:
                return r
        return None

    def group_versions(self):
        """{group: [versions in priority order]} over every served resource."""
        out = {}
        for r in self.all():
            vs = out.setdefault(r.group, [])
            for v in r.versions:
                if v not in vs:
                    vs.append(v)
        for g in out:
            out[g].sort(key=version_priority)
        return out

    def in_group_version(self, group, version):
        return [r for r in self.all() if r.group == group and version in r.versions]
