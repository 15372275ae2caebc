"""Authentication (client certificates, the admin token, service-account tokens) and RBAC.

Service-account tokens are JWTs signed with HMAC-SHA256 by a key kept in the data directory
(kube-apiserver signs with RS256; clients never verify the signature, they only send the
token back). A token is valid while it has not expired, names the API server audience, and
its ServiceAccount still exists with the same uid.
"""

import base64
import hashlib
import hmac
import json
import time

from .util import new_uid

API_AUDIENCE = "https://kubernetes.default.svc.cluster.local"
MASTERS = "system:masters"
AUTHENTICATED = "system:authenticated"
SA_KEY = ("", "serviceaccounts")
RBAC = "rbac.authorization.k8s.io"


class User:
    def __init__(self, name, groups, uid="", extra=None):
        self.name, self.groups, self.uid, self.extra = name, list(groups), uid, extra or {}

    def info(self):
        out = {"username": self.name}
        if self.uid:
            out["uid"] = self.uid
        out["groups"] = self.groups
        if self.extra:
            out["extra"] = self.extra
        return out


ANONYMOUS = User("system:anonymous", ["system:unauthenticated"])


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Authenticator:
    def __init__(self, signing_key, admin_token, store):
        self.key = signing_key.encode()
        self.kid = hashlib.sha256(self.key).hexdigest()[:43]
        self.admin_token = admin_token
        self.store = store

    def issue(self, namespace, sa, audiences, seconds):
        now = int(time.time())
        claims = {"aud": audiences or [API_AUDIENCE], "exp": now + seconds, "iat": now,
                  "iss": API_AUDIENCE, "jti": new_uid(),
                  "kubernetes.io": {"namespace": namespace, "serviceaccount": {
                      "name": sa["metadata"]["name"], "uid": sa["metadata"]["uid"]}},
                  "nbf": now, "sub": "system:serviceaccount:%s:%s" % (
                      namespace, sa["metadata"]["name"])}
        head = _b64(json.dumps({"alg": "HS256", "kid": self.kid}).encode())
        body = _b64(json.dumps(claims, separators=(",", ":")).encode())
        sig = hmac.new(self.key, ("%s.%s" % (head, body)).encode(), hashlib.sha256).digest()
        return "%s.%s.%s" % (head, body, _b64(sig)), claims["exp"]

    def from_token(self, token):
        """The User a bearer token stands for, or None (401)."""
        if hmac.compare_digest(token, self.admin_token):
            return User("kubernetes-admin", [MASTERS, AUTHENTICATED])
        parts = token.split(".")
        if len(parts) != 3:
            return None
        try:
            expect = hmac.new(self.key, ("%s.%s" % (parts[0], parts[1])).encode(),
                              hashlib.sha256).digest()
            if not hmac.compare_digest(expect, _unb64(parts[2])):
                return None
            claims = json.loads(_unb64(parts[1]))
            k8s = claims["kubernetes.io"]
            ns, name, uid = k8s["namespace"], k8s["serviceaccount"]["name"], \
                k8s["serviceaccount"]["uid"]
        except (ValueError, KeyError, TypeError):
            return None
        if claims.get("exp", 0) < time.time() or API_AUDIENCE not in (claims.get("aud") or []):
            return None
        sa = self.store.get(SA_KEY, ns, name)
        if sa is None or sa["metadata"].get("uid") != uid:
            return None
        return User("system:serviceaccount:%s:%s" % (ns, name),
                    ["system:serviceaccounts", "system:serviceaccounts:" + ns, AUTHENTICATED],
                    uid=uid, extra={"authentication.kubernetes.io/credential-id":
                                    ["JTI=" + str(claims.get("jti", ""))]})

    @staticmethod
    def from_cert(cert):
        if not cert:
            return None
        cn, orgs = None, []
        for rdn in cert.get("subject", ()):
            for k, v in rdn:
                if k == "commonName":
                    cn = v
                elif k == "organizationName":
                    orgs.append(v)
        if not cn:
            return None
        return User(cn, orgs + [AUTHENTICATED])


class Attributes:
    def __init__(self, verb, group="", resource="", subresource="", name="", namespace="",
                 path=None):
        self.verb, self.group, self.resource = verb, group, resource
        self.subresource, self.name, self.namespace = subresource, name, namespace
        self.path = path  # set for non-resource requests

    def forbidden_message(self, user):
        if self.path is not None:
            return 'User "%s" cannot %s path "%s"' % (user.name, self.verb, self.path)
        res = self.resource + ("/" + self.subresource if self.subresource else "")
        if self.namespace:
            return 'User "%s" cannot %s resource "%s" in API group "%s" in the namespace "%s"' \
                % (user.name, self.verb, res, self.group, self.namespace)
        return 'User "%s" cannot %s resource "%s" in API group "%s" at the cluster scope' % (
            user.name, self.verb, res, self.group)


def _has(values, want):
    return "*" in (values or []) or want in (values or [])


def rule_allows(rule, a):
    if not _has(rule.get("verbs"), a.verb):
        return False
    if a.path is not None:
        for url in rule.get("nonResourceURLs") or []:
            if url == "*" or url == a.path or (url.endswith("*") and a.path.startswith(
                    url[:-1])):
                return True
        return False
    if not _has(rule.get("apiGroups"), a.group):
        return False
    combined = a.resource + ("/" + a.subresource if a.subresource else "")
    ok = False
    for r in rule.get("resources") or []:
        if r == "*" or r == combined or (a.subresource and r == "*/" + a.subresource):
            ok = True
            break
    if not ok:
        return False
    names = rule.get("resourceNames") or []
    return not names or a.name in names


def _subject_matches(subject, user, binding_ns):
    kind, name = subject.get("kind"), subject.get("name")
    if kind == "User":
        return name == user.name
    if kind == "Group":
        return name in user.groups
    if kind == "ServiceAccount":
        ns = subject.get("namespace") or binding_ns
        return user.name == "system:serviceaccount:%s:%s" % (ns, name)
    return False


class Authorizer:
    def __init__(self, store):
        self.store = store

    def _role_rules(self, ref, ns):
        if (ref or {}).get("kind") == "ClusterRole":
            role = self.store.get((RBAC, "clusterroles"), "", ref.get("name", ""))
        elif (ref or {}).get("kind") == "Role" and ns:
            role = self.store.get((RBAC, "roles"), ns, ref.get("name", ""))
        else:
            role = None
        return (role or {}).get("rules") or []

    def _bindings(self, user, ns):
        """(binding description, rules) that apply to user in namespace ns."""
        with self.store.cond:
            crbs = self.store.items((RBAC, "clusterrolebindings"))
            rbs = self.store.items((RBAC, "rolebindings"), ns) if ns else []
            out = []
            for b in crbs:
                if any(_subject_matches(s, user, "") for s in b.get("subjects") or []):
                    out.append((b, "ClusterRoleBinding", self._role_rules(b.get("roleRef"), "")))
            for b in rbs:
                if any(_subject_matches(s, user, ns) for s in b.get("subjects") or []):
                    out.append((b, "RoleBinding", self._role_rules(b.get("roleRef"), ns)))
        return out

    def authorize(self, user, a):
        """(allowed, reason) as the RBAC authorizer decides, after the system:masters
        bypass."""
        if MASTERS in user.groups:
            return True, ""
        for b, kind, rules in self._bindings(user, a.namespace):
            if any(rule_allows(r, a) for r in rules):
                ref = b.get("roleRef") or {}
                where = b["metadata"]["name"]
                if kind == "RoleBinding":
                    where += "/" + b["metadata"].get("namespace", "")
                subject = next(s for s in b.get("subjects") or []
                               if _subject_matches(s, user, b["metadata"].get("namespace")))
                return True, 'RBAC: allowed by %s "%s" of %s "%s" to %s "%s"' % (
                    kind, where, ref.get("kind"), ref.get("name"), subject.get("kind"),
                    subject.get("name"))
        return False, ""

    def rules_review(self, user, ns):
        resource_rules, non_resource = [], []
        if MASTERS in user.groups:
            resource_rules.append({"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]})
            non_resource.append({"verbs": ["*"], "nonResourceURLs": ["*"]})
        for _, _, rules in self._bindings(user, ns):
            for r in rules:
                if r.get("nonResourceURLs"):
                    non_resource.append({"verbs": r.get("verbs") or [],
                                         "nonResourceURLs": r["nonResourceURLs"]})
                else:
                    rr = {"verbs": r.get("verbs") or [], "apiGroups": r.get("apiGroups") or [],
                          "resources": r.get("resources") or []}
                    if r.get("resourceNames"):
                        rr["resourceNames"] = r["resourceNames"]
                    resource_rules.append(rr)
        return {"resourceRules": resource_rules, "nonResourceRules": non_resource,
                "incomplete": False}


def bootstrap_rbac():
    """The default ClusterRoles and ClusterRoleBindings every cluster starts with (the ones
    this server needs: cluster-admin and the discovery, public-info and basic-user roles)."""
    labels = {"kubernetes.io/bootstrapping": "rbac-defaults"}
    ann = {"rbac.authorization.kubernetes.io/autoupdate": "true"}
    discovery = ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi",
                 "/openapi/*", "/readyz", "/version", "/version/"]
    public = ["/healthz", "/livez", "/readyz", "/version", "/version/"]
    roles = {
        "cluster-admin": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]},
                          {"verbs": ["*"], "nonResourceURLs": ["*"]}],
        "system:discovery": [{"verbs": ["get"], "nonResourceURLs": discovery}],
        "system:public-info-viewer": [{"verbs": ["get"], "nonResourceURLs": public}],
        "system:basic-user": [
            {"verbs": ["create"], "apiGroups": ["authorization.k8s.io"],
             "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]},
            {"verbs": ["create"], "apiGroups": ["authentication.k8s.io"],
             "resources": ["selfsubjectreviews"]}],
    }
    bindings = {
        "cluster-admin": [MASTERS],
        "system:discovery": [AUTHENTICATED],
        "system:public-info-viewer": [AUTHENTICATED, "system:unauthenticated"],
        "system:basic-user": [AUTHENTICATED],
    }
    out = []
    for name, rules in roles.items():
        out.append(("clusterroles", {"apiVersion": RBAC + "/v1", "kind": "ClusterRole",
                                     "metadata": {"name": name, "labels": labels,
                                                  "annotations": ann}, "rules": rules}))
    for name, groups in bindings.items():
        out.append(("clusterrolebindings", {
            "apiVersion": RBAC + "/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": name, "labels": labels, "annotations": ann},
            "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": name},
            "subjects": [{"apiGroup": RBAC, "kind": "Group", "name": g} for g in groups]}))
    return out
