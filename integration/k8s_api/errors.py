"""metav1.Status failures with the reasons, codes and messages kube-apiserver uses."""

from .util import go_quote


class ApiError(Exception):
    def __init__(self, code, reason, message, details=None, headers=None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = headers or {}

    def status(self):
        # Field order as the apiserver writes it (kind, apiVersion, metadata, status, ...).
        body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": self.message}
        if self.reason:
            body["reason"] = self.reason
        if self.details is not None:  # {} too: the apiserver writes "details":{} for some
            body["details"] = self.details
        body["code"] = self.code
        return body


def qualified(resource, group):
    return resource if not group else "%s.%s" % (resource, group)


def _details(name, group, kind, **extra):
    d = {}
    if name:
        d["name"] = name
    if group:
        d["group"] = group
    d["kind"] = kind
    d.update(extra)
    return d


def not_found(resource, group, name):
    return ApiError(404, "NotFound", '%s "%s" not found' % (qualified(resource, group), name),
                    _details(name, group, resource))


def already_exists(resource, group, name):
    return ApiError(409, "AlreadyExists",
                    '%s "%s" already exists' % (qualified(resource, group), name),
                    _details(name, group, resource))


def conflict(resource, group, name, why=None):
    why = why or ("the object has been modified; please apply your changes to the latest "
                  "version and try again")
    return ApiError(409, "Conflict", 'Operation cannot be fulfilled on %s "%s": %s'
                    % (qualified(resource, group), name, why), _details(name, group, resource))


def apply_conflicts(resource, group, name, conflicts):
    """Server-side apply field-manager conflicts: [(manager, apiVersion, field)]."""
    causes = [{"type": "FieldManagerConflict",
               "message": 'conflict with "%s" using %s' % (m, v), "field": f}
              for m, v, f in conflicts]
    lines = ['conflict with "%s" using %s: %s' % (m, v, f) for m, v, f in conflicts]
    if len(lines) == 1:
        msg = "Apply failed with 1 conflict: " + lines[0]
    else:
        msg = "Apply failed with %d conflicts: %s" % (len(lines), "\n".join(lines))
    return ApiError(409, "Conflict", msg, _details(name, group, resource, causes=causes))


def forbidden(resource, group, name, message):
    what = qualified(resource.split("/")[0], group)
    prefix = '%s "%s" is forbidden' % (what, name) if name else "%s is forbidden" % what
    return ApiError(403, "Forbidden", "%s: %s" % (prefix, message),
                    _details(name, group, resource.split("/")[0]))


def forbidden_plain(message):
    return ApiError(403, "Forbidden", message, {})


def invalid(kind, group, name, causes):
    """causes: [(field, value, detail)] for FieldValueInvalid, or
    [(field, None, detail, reason)] for other cause types."""
    rendered, parts = [], []
    for c in causes:
        field, value, detail = c[0], c[1], c[2]
        reason = c[3] if len(c) > 3 else "FieldValueInvalid"
        if reason == "FieldValueInvalid0":  # a Go zero value (nil) shown as 0x0
            reason, text = "FieldValueInvalid", "Invalid value: 0x0: %s" % detail
        elif reason == "FieldValueInvalid":
            text = "Invalid value: %s: %s" % (go_quote(value), detail)
        elif reason == "FieldValueRequired":
            text = "Required value" + (": " + detail if detail else "")
        elif reason == "FieldValueForbidden":
            text = "Forbidden: " + detail
        elif reason == "FieldValueNotSupported":
            text = "Unsupported value: %s: %s" % (go_quote(value), detail)
        elif reason == "FieldValueDuplicate":
            text = "Duplicate value: %s" % go_quote(value)
        else:
            text = detail
        rendered.append({"reason": reason, "message": text, "field": field})
        parts.append("%s: %s" % (field, text))
    summary = parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"
    return ApiError(422, "Invalid", '%s "%s" is invalid: %s' % (
        qualified(kind, group) if group else kind, name, summary),
        _details(name, group, kind, causes=rendered))


def bad_request(message):
    return ApiError(400, "BadRequest", message)


def method_not_supported(resource, group, verb):
    return ApiError(405, "MethodNotAllowed",
                    "%s is not supported on resources of kind %s" % (
                        verb, qualified(resource, group)),
                    _details("", group, resource))


def unsupported_media_type(content_type, accepted):
    return ApiError(415, "UnsupportedMediaType",
                    "the body of the request was in an unknown format - accepted media types "
                    "include: " + ", ".join(accepted))


def not_acceptable(accepted):
    return ApiError(406, "NotAcceptable",
                    "only the following media types are accepted: " + ", ".join(accepted))


def unauthorized():
    return ApiError(401, "Unauthorized", "Unauthorized")


def expired(message, cont=None):
    err = ApiError(410, "Expired", message)
    err.continue_token = cont
    return err


def too_large_rv(requested, current):
    return ApiError(504, "Timeout",
                    "Timeout: Too large resource version: %d, current: %d" % (requested, current),
                    {"causes": [{"reason": "ResourceVersionTooLarge",
                                 "message": "Too large resource version"}],
                     "retryAfterSeconds": 1},
                    headers={"Retry-After": "1"})


def path_not_found():
    # A URL that names no known resource: the real server answers a bare 404 Status.
    return ApiError(404, "NotFound", "the server could not find the requested resource",
                    {})


def internal(message):
    return ApiError(500, "InternalError",
                    "Internal error occurred: %s" % message,
                    {"causes": [{"message": message}]})
