#include "config/yaml_reader.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace vipd::config::detail {
namespace {

std::string q(std::string_view s) { return "\"" + std::string(s) + "\""; }

bool is_null(const Node& node) { return !node.IsDefined() || node.IsNull(); }

// Quoted scalars carry the non-specific tag "!": they are strings, never numbers or booleans.
bool is_plain(const Node& node) { return node.Tag() != "!"; }

std::string describe(const Node& node) {
  switch (node.Type()) {
    case NodeType::kMap:
      return "a mapping";
    case NodeType::kSequence:
      return "a list";
    case NodeType::kNull:
    case NodeType::kUndefined:
      return "nothing";
    case NodeType::kScalar:
      return q(node.Scalar());
  }
  return "something else";
}

bool alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?, at most 63 characters.
std::string check_name_part(std::string_view s, std::string_view what) {
  if (s.empty()) return std::string(what) + " must not be empty";
  if (s.size() > 63) return std::string(what) + " must be at most 63 characters";
  if (!alnum(s.front()) || !alnum(s.back())) {
    return std::string(what) + " must begin and end with a letter or digit";
  }
  for (char c : s) {
    if (!alnum(c) && c != '-' && c != '_' && c != '.') {
      return std::string(what) + " may contain only letters, digits, '-', '_' and '.'";
    }
  }
  return {};
}

}  // namespace

Position PositionMap::operator()(const YAML::Mark& mark) const {
  if (fixed) return *fixed;
  if (mark.line < 0) return {};
  return {mark.line + 1 + line_offset, mark.column + 1 + column_offset};
}

Position Reader::position(const Node& node) const {
  if (!node.IsDefined()) return {};
  return map_(node.Mark());
}

MapReader::MapReader(Reader& reader, const Field& field, std::vector<std::string> allowed,
                     std::string_view unknown_note)
    : reader_(reader), field_(field) {
  if (is_null(field.node)) {
    is_map_ = true;  // an empty mapping
    return;
  }
  if (!field.node.IsMap()) {
    reader.error(field.node, field.path, "expected a mapping, got " + describe(field.node));
    return;
  }
  is_map_ = true;
  for (auto it = field.node.begin(); it != field.node.end(); ++it) {
    const Node k = it->first;
    if (!k.IsScalar()) {
      reader.error(k, field.path, "keys must be plain text, got " + describe(k));
      continue;
    }
    const std::string name(k.Scalar());
    const auto path = config::key(field.path, name);
    if (has(name)) {
      reader.error(k, path, "duplicate key " + q(name));
      continue;
    }
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      const auto hint = did_you_mean(name, allowed);
      reader.error(k, path,
                   "unknown field " + q(name) + (hint.empty() ? "" : "; " + hint) +
                       (unknown_note.empty() ? "" : "; " + std::string(unknown_note)));
      continue;
    }
    entries_.emplace_back(name, it->second);
  }
}

std::optional<Field> MapReader::get(std::string_view key) const {
  for (const auto& [name, value] : entries_) {
    if (name == key) {
      if (is_null(value)) return std::nullopt;
      return Field{value, path(key)};
    }
  }
  return std::nullopt;
}

bool MapReader::has(std::string_view key) const {
  return std::any_of(entries_.begin(), entries_.end(),
                     [&](const auto& e) { return e.first == key; });
}

void MapReader::require(std::string_view key) {
  if (is_map_ && !get(key)) {
    reader_.error(field_.node, field_.path, "missing required field " + q(key));
  }
}

std::optional<std::string> read_string(Reader& r, const Field& f) {
  if (is_null(f.node)) return std::nullopt;
  if (!f.node.IsScalar()) {
    r.error(f.node, f.path, "expected text, got " + describe(f.node));
    return std::nullopt;
  }
  return std::string(f.node.Scalar());
}

std::optional<bool> read_bool(Reader& r, const Field& f) {
  if (is_null(f.node)) return std::nullopt;
  if (f.node.IsScalar() && is_plain(f.node)) {
    const auto& s = f.node.Scalar();
    for (const char* t : {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"}) {
      if (s == t) return true;
    }
    for (const char* t : {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"}) {
      if (s == t) return false;
    }
  }
  r.error(f.node, f.path, "expected true or false, got " + describe(f.node));
  return std::nullopt;
}

std::optional<std::int64_t> read_int(Reader& r, const Field& f, std::int64_t min,
                                     std::int64_t max) {
  if (is_null(f.node)) return std::nullopt;
  if (!f.node.IsScalar() || !is_plain(f.node)) {
    r.error(f.node, f.path, "expected a whole number, got " + describe(f.node));
    return std::nullopt;
  }
  std::string_view s = f.node.Scalar();
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || end != s.data() + s.size() ||
      (ec != std::errc() && ec != std::errc::result_out_of_range)) {
    r.error(f.node, f.path, "expected a whole number, got " + describe(f.node));
    return std::nullopt;
  }
  if (ec == std::errc::result_out_of_range || v < min || v > max) {
    r.error(f.node, f.path,
            q(f.node.Scalar()) + " is out of range " + std::to_string(min) + ".." +
                std::to_string(max));
    return std::nullopt;
  }
  return v;
}

std::optional<IpAddress> read_ip(Reader& r, const Field& f) {
  const auto text = read_string(r, f);
  if (!text) return std::nullopt;
  auto ip = IpAddress::parse(*text);
  if (!ip) {
    r.error(f.node, f.path, "invalid IP address " + q(*text) + ": " + ip.error().message());
    return std::nullopt;
  }
  return ip.value();
}

std::optional<Duration> read_duration(Reader& r, const Field& f) {
  const auto text = read_string(r, f);
  if (!text) return std::nullopt;
  auto d = parse_duration(*text);
  if (!d) {
    r.error(f.node, f.path, d.error().message());
    return std::nullopt;
  }
  return d.value();
}

void read_list(Reader& r, const Field& f,
               const std::function<void(const Field&, std::size_t)>& each) {
  if (is_null(f.node)) return;
  if (!f.node.IsSequence()) {
    r.error(f.node, f.path, "expected a list, got " + describe(f.node));
    return;
  }
  std::size_t i = 0;
  for (auto it = f.node.begin(); it != f.node.end(); ++it, ++i) {
    each(Field{*it, config::key(f.path, i)}, i);
  }
}

std::vector<std::string> read_strings(Reader& r, const Field& f) {
  std::vector<std::string> out;
  read_list(r, f, [&](const Field& item, std::size_t) {
    if (is_null(item.node)) {
      r.error(item.node, item.path, "expected text, got nothing");
    } else if (auto s = read_string(r, item)) {
      out.push_back(*s);
    }
  });
  return out;
}

std::string check_dns_subdomain(std::string_view name) {
  if (name.empty() || name.size() > 253) return "must be 1-253 characters";
  const auto lower_alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  // Dot-separated labels, each [a-z0-9]([-a-z0-9]*[a-z0-9])?
  std::size_t start = 0;
  while (true) {
    const auto dot = name.find('.', start);
    const auto label = name.substr(start, dot == std::string_view::npos ? dot : dot - start);
    for (char c : label) {
      if (!lower_alnum(c) && c != '-') {
        return "must be a DNS subdomain: lower-case letters, digits, '-' and '.'";
      }
    }
    if (label.empty() || !lower_alnum(label.front()) || !lower_alnum(label.back())) {
      return "must be a DNS subdomain: each part between dots begins and ends with a lower-case "
             "letter or digit";
    }
    if (dot == std::string_view::npos) return {};
    start = dot + 1;
  }
}

std::string check_label_key(std::string_view key) {
  const auto slash = key.find('/');
  std::string_view name = key;
  if (slash != std::string_view::npos) {
    const auto prefix = key.substr(0, slash);
    name = key.substr(slash + 1);
    if (auto why = check_dns_subdomain(prefix); !why.empty()) return "label key prefix " + why;
  }
  return check_name_part(name, "label key name");
}

std::string check_label_value(std::string_view value) {
  if (value.empty()) return {};
  return check_name_part(value, "label value");
}

std::optional<Labels> read_labels(Reader& r, const Field& f) {
  if (is_null(f.node)) return Labels{};
  if (!f.node.IsMap()) {
    r.error(f.node, f.path, "expected a mapping of labels, got " + describe(f.node));
    return std::nullopt;
  }
  Labels labels;
  bool ok = true;
  for (auto it = f.node.begin(); it != f.node.end(); ++it) {
    const Node k = it->first;
    const Node v = it->second;
    if (!k.IsScalar()) {
      r.error(k, f.path, "label keys must be text, got " + describe(k));
      ok = false;
      continue;
    }
    const auto path = config::key(f.path, k.Scalar());
    if (auto why = check_label_key(k.Scalar()); !why.empty()) {
      r.error(k, path, "invalid label key " + q(k.Scalar()) + ": " + why);
      ok = false;
    }
    std::string value;
    if (!is_null(v)) {
      if (!v.IsScalar()) {
        r.error(v, path, "expected a label value, got " + describe(v));
        ok = false;
        continue;
      }
      value = v.Scalar();
    }
    if (auto why = check_label_value(value); !why.empty()) {
      r.error(v, path, "invalid label value " + q(value) + ": " + why);
      ok = false;
    }
    if (!labels.emplace(k.Scalar(), value).second) {
      r.error(k, path, "duplicate key " + q(k.Scalar()));
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return labels;
}

std::optional<LabelSelector> read_selector(Reader& r, const Field& f, KeyStyle style) {
  const bool kebab = style == KeyStyle::kKebab;
  const std::string labels_key = kebab ? "match-labels" : "matchLabels";
  const std::string expressions_key = kebab ? "match-expressions" : "matchExpressions";
  MapReader m(r, f, {labels_key, expressions_key});
  if (!m.is_map()) return std::nullopt;
  LabelSelector selector;
  bool ok = true;
  if (auto labels = m.get(labels_key)) {
    if (auto l = read_labels(r, *labels)) {
      selector.match_labels = std::move(*l);
    } else {
      ok = false;
    }
  }
  if (auto expressions = m.get(expressions_key)) {
    read_list(r, *expressions, [&](const Field& item, std::size_t) {
      MapReader e(r, item, {"key", "operator", "values"});
      if (!e.is_map()) {
        ok = false;
        return;
      }
      LabelRequirement req;
      const auto k = e.get("key");
      const auto op = e.get("operator");
      if (!k) {
        e.require("key");
        ok = false;
      } else if (auto s = read_string(r, *k)) {
        if (auto why = check_label_key(*s); !why.empty()) {
          r.error(k->node, k->path, "invalid label key " + q(*s) + ": " + why);
          ok = false;
        }
        req.key = *s;
      }
      if (!op) {
        e.require("operator");
        ok = false;
        return;
      }
      const auto op_text = read_string(r, *op);
      if (!op_text) {
        ok = false;
        return;
      }
      using Op = LabelRequirement::Operator;
      if (*op_text == "In") {
        req.op = Op::kIn;
      } else if (*op_text == "NotIn") {
        req.op = Op::kNotIn;
      } else if (*op_text == "Exists") {
        req.op = Op::kExists;
      } else if (*op_text == "DoesNotExist") {
        req.op = Op::kDoesNotExist;
      } else {
        const auto hint = did_you_mean(*op_text, {"In", "NotIn", "Exists", "DoesNotExist"});
        r.error(op->node, op->path,
                "invalid operator " + q(*op_text) + ": must be In, NotIn, Exists or DoesNotExist" +
                    (hint.empty() ? "" : "; " + hint));
        ok = false;
        return;
      }
      const bool needs_values = req.op == Op::kIn || req.op == Op::kNotIn;
      if (auto values = e.get("values")) {
        req.values = read_strings(r, *values);
        for (const auto& v : req.values) {
          if (auto why = check_label_value(v); !why.empty()) {
            r.error(values->node, values->path, "invalid label value " + q(v) + ": " + why);
            ok = false;
          }
        }
        if (!needs_values && !req.values.empty()) {
          r.error(values->node, values->path, "operator " + *op_text + " takes no values");
          ok = false;
        }
      }
      if (needs_values && req.values.empty()) {
        r.error(item.node, item.path, "operator " + *op_text + " needs at least one value");
        ok = false;
      }
      selector.match_expressions.push_back(std::move(req));
    });
  }
  if (!ok) return std::nullopt;
  return selector;
}

namespace {

// MetalLB compares selectors and their expressions with the values of each expression sorted.
LabelRequirement normalised(LabelRequirement e) {
  std::sort(e.values.begin(), e.values.end());
  return e;
}
LabelSelector normalised(LabelSelector s) {
  for (auto& e : s.match_expressions) e = normalised(std::move(e));
  return s;
}

// The items of a sequence, for positions.
std::vector<Node> items_of(const Node& node) {
  std::vector<Node> out;
  if (node.IsSequence()) {
    for (auto it = node.begin(); it != node.end(); ++it) out.push_back(*it);
  }
  return out;
}

Node value_of(const Node& map, std::string_view key) {
  if (map.IsMap()) {
    for (auto it = map.begin(); it != map.end(); ++it) {
      if (it->first.IsScalar() && it->first.Scalar() == key) return it->second;
    }
  }
  return Node::undefined();
}

// MetalLB refuses, in a list of selectors, an expression written twice in one selector and a
// value written twice in one expression. `s` was read from `item` without error, so its
// expressions and values line up with the items of the YAML sequences.
void check_expressions(Reader& r, const Field& item, KeyStyle style, const LabelSelector& s) {
  const std::string list_key = style == KeyStyle::kKebab ? "match-expressions" : "matchExpressions";
  const auto nodes = items_of(value_of(item.node, list_key));
  for (std::size_t i = 0; i < s.match_expressions.size() && i < nodes.size(); ++i) {
    const auto& e = s.match_expressions[i];
    const auto path = config::key(config::key(item.path, list_key), i);
    const auto values = items_of(value_of(nodes[i], "values"));
    for (std::size_t j = 0; j < e.values.size() && j < values.size(); ++j) {
      for (std::size_t k = 0; k < j; ++k) {
        if (e.values[j] == e.values[k]) {
          r.error(values[j], config::key(config::key(path, "values"), j),
                  "duplicate value " + q(e.values[j]));
          break;
        }
      }
    }
    for (std::size_t k = 0; k < i; ++k) {
      if (normalised(s.match_expressions[k]) == normalised(e)) {
        r.error(nodes[i], path,
                "duplicate match expression (same as " +
                    config::key(config::key(item.path, list_key), k) + ")");
        break;
      }
    }
  }
}

}  // namespace

std::vector<LabelSelector> read_selectors(Reader& r, const Field& f, KeyStyle style,
                                          const std::string& model_key) {
  std::vector<LabelSelector> out;
  std::vector<LabelSelector> seen;  // normalised
  read_list(r, f, [&](const Field& item, std::size_t) {
    if (auto s = read_selector(r, item, style)) {
      if (!model_key.empty()) r.record(config::key(model_key, out.size()), item.node, item.path);
      check_expressions(r, item, style, *s);
      auto n = normalised(*s);
      if (std::find(seen.begin(), seen.end(), n) != seen.end()) {
        r.error(item.node, item.path, "duplicate selector");
      }
      seen.push_back(std::move(n));
      out.push_back(std::move(*s));
    }
  });
  return out;
}

}  // namespace vipd::config::detail
