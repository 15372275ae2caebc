"""Requests answered without storage: TokenRequest, access and rules reviews, whoami."""

import datetime

from . import errors
from .auth import Attributes, User
from .util import rfc3339


def _spec(body):
    spec = body.get("spec") if isinstance(body, dict) else None
    if spec is not None and not isinstance(spec, dict):
        raise errors.bad_request("json: cannot unmarshal %s into Go struct field .spec" %
                                 type(spec).__name__)
    spec = dict(spec or {})
    for k, v in list(spec.items()):
        if k.endswith("Attributes") and v is not None and not isinstance(v, dict):
            raise errors.bad_request("json: cannot unmarshal into Go struct field .spec.%s" % k)
        if k in ("namespace", "user", "uid", "audiences", "groups") and v is not None and \
                not isinstance(v, (str, list)):
            raise errors.bad_request("json: cannot unmarshal into Go struct field .spec.%s" % k)
    return spec


def _attributes(spec):
    ra = spec.get("resourceAttributes")
    if isinstance(ra, dict):
        return Attributes(ra.get("verb", ""), ra.get("group", ""), ra.get("resource", ""),
                          ra.get("subresource", ""), ra.get("name", ""),
                          ra.get("namespace", ""))
    nra = spec.get("nonResourceAttributes")
    if isinstance(nra, dict):
        return Attributes(nra.get("verb", ""), path=nra.get("path", ""))
    raise errors.invalid("SelfSubjectAccessReview", "authorization.k8s.io", "", [(
        "spec.resourceAttributes", None, "exactly one of nonResourceAttributes or "
        "resourceAttributes must be specified", "FieldValueRequired")])


def _echo(kind, group, spec):
    return {"kind": kind, "apiVersion": group + "/v1", "metadata": {"creationTimestamp": None},
            "spec": spec}


def access_review(server, user, body, self_review):
    spec = _spec(body)
    kind = "SelfSubjectAccessReview" if self_review else "SubjectAccessReview"
    if not self_review:
        if not spec.get("user") and not spec.get("groups"):
            raise errors.invalid(kind, "authorization.k8s.io", "", [(
                "spec.user", None, "at least one of user or group must be specified",
                "FieldValueInvalid0")])
        user = User(spec.get("user", ""), spec.get("groups") or [], spec.get("uid", ""))
    allowed, reason = server.authorizer.authorize(user, _attributes(spec))
    out = _echo(kind, "authorization.k8s.io", spec)
    out["status"] = {"allowed": allowed}
    if reason:
        out["status"]["reason"] = reason
    return 201, out


def rules_review(server, user, body):
    spec = _spec(body)
    out = _echo("SelfSubjectRulesReview", "authorization.k8s.io", spec)
    out["status"] = server.authorizer.rules_review(user, spec.get("namespace", ""))
    return 201, out


def whoami(user, body):
    out = {"kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1",
           "metadata": {"creationTimestamp": rfc3339()}, "status": {"userInfo": user.info()}}
    return 201, out


def token_request(server, ns, name, body):
    sa = server.store.get(("", "serviceaccounts"), ns, name)
    if sa is None:
        raise errors.not_found("serviceaccounts", "", name)
    spec = _spec(body)
    seconds = spec.get("expirationSeconds") or 3600
    if not isinstance(seconds, int) or seconds < 600:
        raise errors.invalid("TokenRequest", "authentication.k8s.io", name, [(
            "spec.expirationSeconds", seconds, "may not specify a duration less than 10 "
            "minutes")])
    if seconds > 1 << 32:
        raise errors.invalid("TokenRequest", "authentication.k8s.io", name, [(
            "spec.expirationSeconds", seconds, "may not specify a duration larger than 2^32 "
            "seconds")])
    token, exp = server.authn.issue(ns, sa, spec.get("audiences") or [], seconds)
    out = {"kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1",
           "metadata": {"name": name, "namespace": ns, "creationTimestamp": rfc3339()},
           "spec": {"audiences": spec.get("audiences") or
                    ["https://kubernetes.default.svc.cluster.local"],
                    "expirationSeconds": seconds},
           "status": {"token": token, "expirationTimestamp": rfc3339(
               datetime.datetime.fromtimestamp(exp, datetime.timezone.utc))}}
    if spec.get("boundObjectRef"):
        out["spec"]["boundObjectRef"] = spec["boundObjectRef"]
    return 201, out
