#include "config/annotations.hpp"

#include <algorithm>
#include <boost/json.hpp>

namespace vipd::config {
namespace {

std::string q(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

class Parser {
 public:
  explicit Parser(const Labels& annotations) : annotations_(annotations) {}

  AnnotationResult run() {
    if (auto v = lookup("address-pool")) result_.value.address_pool = std::string(trim(*v));
    if (auto v = lookup("allow-shared-ip")) result_.value.allow_shared_ip = std::string(*v);
    if (auto v = lookup("loadBalancerIPs")) ips(*v);
    romana();
    return std::move(result_);
  }

 private:
  void error(std::string annotation, std::string message) {
    result_.issues.push_back({Severity::kError, std::move(annotation), std::move(message)});
  }

  // The metallb.io/ value, else the deprecated metallb.universe.tf/ one (with a warning).
  std::optional<std::string> lookup(const std::string& name) {
    const auto current = annotations_.find("metallb.io/" + name);
    const auto old = annotations_.find("metallb.universe.tf/" + name);
    if (old != annotations_.end()) {
      if (current != annotations_.end() && current->second != old->second) {
        error(old->first, "conflicts with metallb.io/" + name + " (" + q(current->second) +
                              " against " + q(old->second) + ")");
      } else {
        result_.issues.push_back(
            {Severity::kWarning, old->first, "deprecated; use metallb.io/" + name});
      }
    }
    if (current != annotations_.end()) return current->second;
    if (old != annotations_.end()) return old->second;
    return std::nullopt;
  }

  void ips(std::string_view text) {
    // MetalLB (getDesiredLbIPs) reads an empty value as no request.
    if (trim(text).empty()) return;
    const std::string key = annotations_.count(kAnnotationLoadBalancerIps) != 0
                                ? kAnnotationLoadBalancerIps
                                : "metallb.universe.tf/loadBalancerIPs";
    bool seen[2] = {false, false};
    std::size_t start = 0;
    while (start <= text.size()) {
      const auto comma = text.find(',', start);
      const auto item =
          trim(text.substr(start, comma == std::string_view::npos ? comma : comma - start));
      start = comma == std::string_view::npos ? text.size() + 1 : comma + 1;
      auto ip = IpAddress::parse(item);
      if (!ip) {
        error(key, "invalid IP address " + q(item) + ": " + ip.error().message());
        continue;
      }
      auto& family_seen = seen[ip.value().is_v4() ? 0 : 1];
      if (family_seen) {
        error(key, "more than one " + std::string(to_string(ip.value().family())) + " address (" +
                       ip.value().to_string() + "): at most one per family");
        continue;
      }
      family_seen = true;
      result_.value.load_balancer_ips.push_back(ip.value());
    }
  }

  void romana() {
    const auto ip = annotations_.find("romanaip");
    const auto vip = annotations_.find("romanavip");
    if (ip != annotations_.end() && vip != annotations_.end()) {
      error("romanavip", "romanaip and romanavip are both set; use one");
      return;
    }
    const auto it = ip != annotations_.end() ? ip : vip;
    if (it == annotations_.end()) return;
    const auto& key = it->first;
    boost::system::error_code ec;
    const auto json = boost::json::parse(it->second, ec);
    if (ec) {
      error(key,
            "invalid JSON: " + ec.message() + " (want {\"auto\": true} or {\"ip\": \"ADDRESS\"})");
      return;
    }
    if (!json.is_object()) {
      error(key, "expected a JSON object such as {\"auto\": true} or {\"ip\": \"ADDRESS\"}");
      return;
    }
    RomanaRequest request{.annotation = key};
    bool ok = true;
    for (const auto& [name, value] : json.as_object()) {
      if (name == "auto") {
        if (!value.is_bool()) {
          error(key, "\"auto\" must be true or false");
          ok = false;
        } else {
          request.auto_allocate = value.as_bool();
        }
      } else if (name == "ip") {
        if (!value.is_string()) {
          error(key, "\"ip\" must be a string holding an IP address");
          ok = false;
          continue;
        }
        const std::string_view text(value.as_string().data(), value.as_string().size());
        auto parsed = IpAddress::parse(text);
        if (!parsed) {
          error(key, "invalid \"ip\" " + q(text) + ": " + parsed.error().message());
          ok = false;
        } else {
          request.ip = parsed.value();
        }
      } else {
        const std::string field(name.data(), name.size());
        const auto hint = did_you_mean(field, {"auto", "ip"});
        error(key, "unknown field " + q(field) + (hint.empty() ? "" : "; " + hint));
        ok = false;
      }
    }
    if (!ok) return;
    if (request.auto_allocate && request.ip) {
      error(key, "give either \"ip\" or \"auto\": true, not both");
    } else if (!request.auto_allocate && !request.ip) {
      error(key, "requests nothing: give \"ip\" or \"auto\": true");
    } else {
      result_.value.romana = std::move(request);
    }
  }

  const Labels& annotations_;
  AnnotationResult result_;
};

}  // namespace

std::string AnnotationIssue::to_string() const {
  return annotation + ": " +
         (severity == Severity::kError ? "" : std::string(config::to_string(severity)) + ": ") +
         message;
}

bool AnnotationResult::ok() const {
  return std::none_of(issues.begin(), issues.end(),
                      [](const AnnotationIssue& i) { return i.severity == Severity::kError; });
}

AnnotationResult parse_service_annotations(const Labels& annotations) {
  return Parser(annotations).run();
}

}  // namespace vipd::config
