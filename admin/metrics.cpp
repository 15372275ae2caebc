#include "admin/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <system_error>

#include "common/assert.hpp"

namespace vipd::admin {
namespace {

bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string format_value(std::int64_t v) { return std::to_string(v); }
std::string format_value(u128 v) { return to_decimal(v); }
std::string format_value(double v) { return format_metric_value(v); }

}  // namespace

std::string_view to_string(MetricType type) {
  return type == MetricType::kGauge ? "gauge" : "counter";
}

bool is_valid_metric_name(std::string_view name) {
  if (name.empty() || !(is_name_start(name[0]) || name[0] == ':')) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return is_name_start(c) || is_digit(c) || c == ':'; });
}

bool is_valid_label_name(std::string_view name) {
  // Names starting with "__" are reserved for Prometheus itself.
  if (name.empty() || !is_name_start(name[0]) || name.starts_with("__")) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return is_name_start(c) || is_digit(c); });
}

namespace {

// The text format escapes backslash and newline everywhere, and the double quote in label
// values (which are quoted).
std::string escape(std::string_view text, bool quote) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string escape_label_value(std::string_view value) { return escape(value, true); }

std::string escape_help(std::string_view help) { return escape(help, false); }

// Go's strconv.FormatFloat(v, 'g', -1, 64), which Prometheus' own client writes: the shortest
// digits that read back to the same double, in exponent form when the decimal exponent is
// below -4 or at least 6 (Go fixes 6 for the shortest precision), the exponent with a sign and
// at least two digits ("1e+06", "1.5e-05"). Like that client, -0 is written "0".
std::string format_metric_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == 0) return "0";

  // Shortest round-trip digits in scientific form: "-d.ddde+XX".
  char buffer[64];
  const auto [end, ec] =
      std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  VIPD_ASSERT(ec == std::errc(), "a double always fits in 64 characters");
  const std::string_view text(buffer, static_cast<std::size_t>(end - buffer));
  const bool negative = text.front() == '-';
  const std::size_t e = text.find('e');
  std::string digits;
  for (char c : text.substr(negative ? 1 : 0, e - (negative ? 1 : 0))) {
    if (c != '.') digits += c;
  }
  int exponent = 0;
  std::from_chars(text.data() + e + (text[e + 1] == '+' ? 2 : 1), text.data() + text.size(),
                  exponent);

  std::string out = negative ? "-" : "";
  if (exponent < -4 || exponent >= 6) {
    out += digits[0];
    if (digits.size() > 1) {
      out += '.';
      out.append(digits, 1);
    }
    out += exponent < 0 ? "e-" : "e+";
    const int magnitude = std::abs(exponent);
    if (magnitude < 10) out += '0';
    out += std::to_string(magnitude);
    return out;
  }
  if (exponent < 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-exponent - 1), '0');
    out += digits;
    return out;
  }
  const auto integer_digits = static_cast<std::size_t>(exponent) + 1;
  if (digits.size() <= integer_digits) {
    out += digits;
    out.append(integer_digits - digits.size(), '0');
  } else {
    out.append(digits, 0, integer_digits);
    out += '.';
    out.append(digits, integer_digits);
  }
  return out;
}

MetricFamily::MetricFamily(std::string name, MetricType type, std::string help)
    : name_(std::move(name)), type_(type), help_(std::move(help)) {
  VIPD_ASSERT(is_valid_metric_name(name_), "invalid metric name");
}

MetricFamily& MetricFamily::sample(MetricLabels labels, double value) {
  return add(std::move(labels), Value{value});
}

MetricFamily& MetricFamily::sample(MetricLabels labels, u128 value) {
  return add(std::move(labels), Value{value});
}

MetricFamily& MetricFamily::add(MetricLabels labels, Value value) {
  std::sort(labels.begin(), labels.end());
  for (std::size_t i = 0; i < labels.size(); ++i) {
    VIPD_ASSERT(is_valid_label_name(labels[i].first), "invalid label name");
    VIPD_ASSERT(i == 0 || labels[i].first != labels[i - 1].first, "label named twice in a sample");
  }
  const bool inserted = samples_.emplace(std::move(labels), value).second;
  VIPD_ASSERT(inserted, "two samples of one family with the same labels");
  return *this;
}

void MetricFamily::append_text(std::string& out) const {
  out += "# HELP ";
  out += name_;
  out += ' ';
  out += escape_help(help_);
  out += "\n# TYPE ";
  out += name_;
  out += ' ';
  out += to_string(type_);
  out += '\n';
  for (const auto& [labels, value] : samples_) {
    out += name_;
    if (!labels.empty()) {
      out += '{';
      for (std::size_t i = 0; i < labels.size(); ++i) {
        if (i > 0) out += ',';
        out += labels[i].first;
        out += "=\"";
        out += escape_label_value(labels[i].second);
        out += '"';
      }
      out += '}';
    }
    out += ' ';
    out += std::visit([](const auto& v) { return format_value(v); }, value);
    out += '\n';
  }
}

MetricFamily& Exposition::gauge(std::string name, std::string help) {
  return family(std::move(name), MetricType::kGauge, std::move(help));
}

MetricFamily& Exposition::counter(std::string name, std::string help) {
  return family(std::move(name), MetricType::kCounter, std::move(help));
}

MetricFamily& Exposition::family(std::string name, MetricType type, std::string help) {
  if (auto it = families_.find(name); it != families_.end()) {
    VIPD_ASSERT(it->second.type() == type && it->second.help() == help,
                "metric family registered twice with a different type or help");
    return it->second;
  }
  auto key = name;
  return families_.try_emplace(std::move(key), std::move(name), type, std::move(help))
      .first->second;
}

MetricFamily& Exposition::add(const MetricInfo& info) {
  return family(std::string(info.name), info.type, std::string(info.help));
}

std::string Exposition::text() const {
  std::string out;
  for (const auto& [name, family] : families_) family.append_text(out);
  return out;
}

}  // namespace vipd::admin
