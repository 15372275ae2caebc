#include "controller/changes.hpp"

#include <algorithm>

namespace vipd::controller {
namespace {

bool contains(const std::vector<IpAddress>& list, const IpAddress& address) {
  return std::find(list.begin(), list.end(), address) != list.end();
}

std::optional<std::string_view> annotation(const Labels& annotations, std::string_view key) {
  const auto it = annotations.find(key);
  if (it == annotations.end()) return std::nullopt;
  return std::string_view(it->second);
}

}  // namespace

std::string_view to_string(EventType type) {
  return type == EventType::kWarning ? "Warning" : "Normal";
}

std::vector<IpAddress> parse_address_list(std::string_view text) {
  std::vector<IpAddress> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    auto item = text.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (auto ip = IpAddress::parse(item); ip && !contains(out, ip.value()))
      out.push_back(ip.value());
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

std::string format_address_list(const std::vector<IpAddress>& addresses) {
  std::string out;
  for (const auto& a : addresses) {
    if (!out.empty()) out += ",";
    out += a.to_string();
  }
  return out;
}

std::vector<std::pair<std::string_view, std::optional<std::string>>> owned_annotations(
    const Desired& desired) {
  if (!desired.manage) return {};
  std::optional<std::string> external;
  if (!desired.external_ips.empty()) external = format_address_list(desired.external_ips);
  if (!desired.owns_status) return {{kAnnotationExternalIps, std::move(external)}};
  return {{kAnnotationPool, desired.pool},
          {kAnnotationDeprecatedPool, std::nullopt},
          {kAnnotationExternalIps, std::move(external)}};
}

std::vector<IpAddress> merge_external_ips(const Desired& desired,
                                          const std::vector<IpAddress>& live,
                                          const Labels& live_annotations) {
  if (!desired.manage) return live;
  std::vector<IpAddress> recorded;
  if (const auto value = annotation(live_annotations, kAnnotationExternalIps)) {
    recorded = parse_address_list(*value);
  }
  std::vector<IpAddress> out;
  for (const auto& a : live) {
    const bool vipds = contains(recorded, a);
    if ((!vipds || contains(desired.external_ips, a)) && !contains(out, a)) out.push_back(a);
  }
  for (const auto& a : desired.external_ips) {
    if (!contains(out, a)) out.push_back(a);
  }
  return out;
}

bool satisfied(const Desired& desired, const k8s::Service& service) {
  if (!desired.manage) return true;
  if (desired.owns_status && service.ingress_ips != desired.ingress) return false;
  for (const auto& [key, value] : owned_annotations(desired)) {
    const auto live = annotation(service.meta.annotations, key);
    if (live.has_value() != value.has_value()) return false;
    if (live && *live != *value) return false;
  }
  return merge_external_ips(desired, service.external_ips, service.meta.annotations) ==
         service.external_ips;
}

}  // namespace vipd::controller
