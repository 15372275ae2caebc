"""labelSelector and fieldSelector query parameters, parsed and matched as the apiserver does."""

import re

from .errors import bad_request

_KEY = re.compile(r"^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*"
                  r"[a-z0-9A-Z])?$")
_TOKEN = re.compile(r"\s*(\(|\)|,|==|=|!=|!|>|<|[^\s(),=!<>]+)")


def _tokens(text):
    pos, out = 0, []
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m:
            raise bad_request("unable to parse requirement: found '%s'" % text[pos:])
        out.append(m.group(1))
        pos = m.end()
    return out


class LabelSelector:
    """Requirements: (key, op, values); op in = != in notin exists !exists gt lt."""

    def __init__(self, text):
        self.reqs = []
        toks = _tokens(text or "")
        i = 0

        def need(cond, what):
            if not cond:
                raise bad_request("unable to parse requirement: %s in %r" % (what, text))
        while i < len(toks):
            if toks[i] == "!":
                need(i + 1 < len(toks), "expected a key after '!'")
                self.reqs.append((self._key(toks[i + 1]), "!exists", []))
                i += 2
            else:
                key = self._key(toks[i])
                i += 1
                if i >= len(toks) or toks[i] == ",":
                    self.reqs.append((key, "exists", []))
                elif toks[i] in ("=", "==", "!="):
                    op = "!=" if toks[i] == "!=" else "="
                    i += 1
                    value = ""
                    if i < len(toks) and toks[i] not in (",", ")", "("):
                        value = toks[i]
                        i += 1
                    self.reqs.append((key, op, [value]))
                elif toks[i] in ("in", "notin"):
                    op = toks[i]
                    i += 1
                    need(i < len(toks) and toks[i] == "(", "found '%s', expected: '('" % (
                        toks[i] if i < len(toks) else ""))
                    i += 1
                    values = []
                    while i < len(toks) and toks[i] != ")":
                        if toks[i] != ",":
                            values.append(toks[i])
                        i += 1
                    need(i < len(toks), "found '', expected: ')'")
                    i += 1
                    self.reqs.append((key, op, values))
                elif toks[i] in (">", "<"):
                    op = "gt" if toks[i] == ">" else "lt"
                    value = toks[i + 1] if i + 1 < len(toks) else ""
                    i += 2
                    need(re.fullmatch(r"-?\d+", value), "for 'gt', 'lt' operators, the "
                         "value must be an integer")
                    self.reqs.append((key, op, [value]))
                else:
                    raise bad_request("unable to parse requirement: found '%s', expected: "
                                      "in, notin, =, ==, !=, gt, lt" % toks[i])
            if i < len(toks):
                need(toks[i] == ",", "found '%s', expected: ','" % toks[i])
                i += 1

    @staticmethod
    def _key(key):
        if not _KEY.match(key):
            raise bad_request("unable to parse requirement: invalid label key %r" % key)
        return key

    def empty(self):
        return not self.reqs

    def matches(self, labels):
        labels = labels or {}
        for key, op, values in self.reqs:
            has = key in labels
            v = labels.get(key)
            if op == "=" and (not has or v != values[0]):
                return False
            if op == "!=" and has and v == values[0]:
                return False
            if op == "in" and (not has or v not in values):
                return False
            if op == "notin" and has and v in values:
                return False
            if op == "exists" and not has:
                return False
            if op == "!exists" and has:
                return False
            if op in ("gt", "lt"):
                try:
                    n = int(v)
                except (TypeError, ValueError):
                    return False
                if (op == "gt" and not n > int(values[0])) or (
                        op == "lt" and not n < int(values[0])):
                    return False
        return True


def _split_unescaped(text, sep):
    parts, cur, i = [], "", 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            cur += text[i:i + 2]
            i += 2
            continue
        if c == sep:
            parts.append(cur)
            cur = ""
        else:
            cur += c
        i += 1
    parts.append(cur)
    return parts


def _unescape(text):
    return re.sub(r"\\(.)", r"\1", text)


def field_value(obj, path):
    """The string a field label selects: a dotted path into the object."""
    if path == "source":  # core Event: source.component, else the reporting controller
        return str(((obj.get("source") or {}).get("component")) or obj.get(
            "reportingComponent") or "")
    cur = obj
    for part in path.split("."):
        if not isinstance(cur, dict):
            return ""
        cur = cur.get(part)
    if cur is None:
        return "false" if path in ("spec.unschedulable", "spec.hostNetwork") else ""
    if isinstance(cur, bool):
        return "true" if cur else "false"
    return str(cur)


class FieldSelector:
    """allowed: {field label: the field it selects in the stored object}."""

    def __init__(self, text, allowed):
        self.reqs = []
        if not text:
            return
        for term in _split_unescaped(text, ","):
            if not term:
                continue
            m = re.match(r"^(.*?)(==|!=|=)(.*)$", term)
            if not m:
                raise bad_request("invalid selector: '%s'; can't understand '%s'" % (text, term))
            field, op, value = m.group(1), m.group(2), _unescape(m.group(3))
            if field not in allowed:
                raise bad_request("field label not supported: %s" % field)
            self.reqs.append((allowed[field], "!=" if op == "!=" else "=", value))

    def empty(self):
        return not self.reqs

    def matches(self, obj):
        for field, op, value in self.reqs:
            actual = field_value(obj, field)
            if (op == "=") != (actual == value):
                return False
        return True
