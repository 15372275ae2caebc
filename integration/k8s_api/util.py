"""Small helpers shared by the test API server: time stamps, JSON, ages, names."""

import copy
import datetime
import json
import re
import uuid


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def rfc3339(t=None):
    """metav1.Time: second precision, always UTC with a Z."""
    return (t or now()).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc3339_micro(t=None):
    """metav1.MicroTime: exactly six fractional digits."""
    return (t or now()).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text):
    """Parses Time or MicroTime; None when absent or malformed."""
    if not isinstance(text, str) or not text:
        return None
    for fmt in ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return datetime.datetime.strptime(text, fmt).replace(tzinfo=datetime.timezone.utc)
        except ValueError:
            pass
    try:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def human_duration(seconds):
    """The age format kubectl users know (apimachinery's HumanDuration rules)."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return "%ds" % s
    minutes = s // 60
    if minutes < 10:
        return "%dm" % minutes if s % 60 == 0 else "%dm%ds" % (minutes, s % 60)
    if minutes < 180:
        return "%dm" % minutes
    hours = s // 3600
    if hours < 8:
        return "%dh" % hours if minutes % 60 == 0 else "%dh%dm" % (hours, minutes % 60)
    if hours < 48:
        return "%dh" % hours
    if hours < 24 * 8:
        return "%dd" % (hours // 24) if hours % 24 == 0 else "%dd%dh" % (hours // 24, hours % 24)
    if hours < 24 * 365 * 2:
        return "%dd" % (hours // 24)
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        years = hours // 24 // 365
        return "%dy" % years if days == 0 else "%dy%dd" % (years, days)
    return "%dy" % (hours // 24 // 365)


def age(timestamp):
    t = parse_time(timestamp)
    if t is None:
        return "<unknown>"
    return human_duration((now() - t).total_seconds())


def new_uid():
    return str(uuid.uuid4())


def dumps(obj):
    """Compact JSON as the apiserver writes it."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def deepcopy(obj):
    return copy.deepcopy(obj)


def meta(obj):
    m = obj.get("metadata")
    if not isinstance(m, dict):
        m = {}
        obj["metadata"] = m
    for k in [k for k, v in m.items() if v is None]:
        del m[k]  # null is the zero value of every metadata field
    return m


_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")


def name_errors(name, rule):
    """Messages of apimachinery's name validators, or [] when the name is valid."""
    if rule == "dns1035":
        if len(name) > 63:
            return ["must be no more than 63 characters"]
        if not _DNS1035_LABEL.match(name):
            return ["a DNS-1035 label must consist of lower case alphanumeric characters or '-', "
                    "start with an alphabetic character, and end with an alphanumeric character "
                    "(e.g. 'my-name',  or 'abc-123', regex used for validation is "
                    "'[a-z]([-a-z0-9]*[a-z0-9])?')"]
        return []
    if rule == "dns1123label":
        if len(name) > 63:
            return ["must be no more than 63 characters"]
        if not _DNS1123_LABEL.match(name):
            return ["a lowercase RFC 1123 label must consist of lower case alphanumeric characters "
                    "or '-', and must start and end with an alphanumeric character (e.g. 'my-name',"
                    "  or '123-abc', regex used for validation is "
                    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"]
        return []
    if rule == "path":  # RBAC objects only forbid path separators
        for bad in ("/", "%"):
            if bad in name:
                return ["may not contain '%s'" % bad]
        if name in (".", ".."):
            return ["may not be '%s'" % name]
        return []
    if len(name) > 253:
        return ["must be no more than 253 characters"]
    if not _DNS1123_SUBDOMAIN.match(name):
        return ["a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                "characters, '-' or '.', and must start and end with an alphanumeric "
                "character (e.g. 'example.com', regex used for validation is "
                "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"]
    return []


def go_quote(value):
    """A value as Go's %#v would show it in a field.Invalid message."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "[]string{%s}" % ", ".join(json.dumps(v) for v in value)
    if isinstance(value, int):
        return str(value)
    return json.dumps(value)
