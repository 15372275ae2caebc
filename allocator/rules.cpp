#include "allocator/rules.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "common/format.hpp"

namespace vipd::allocator {

std::string describe(const std::vector<IpAddress>& addresses) {
  std::string out;
  for (std::size_t i = 0; i < addresses.size(); ++i) {
    if (i > 0) out += i + 1 == addresses.size() ? " and " : ", ";
    out += addresses[i].to_string();
  }
  return out;
}

Result<void> validate_request(const ServiceRequest& request) {
  const std::string service = request.key.to_string();
  const auto& families = request.families;
  if (families.empty() || families.size() > 2) {
    return failure(
        Errc::kInvalidArgument,
        fmt::format("{} lists {} ip families; a Service has one or two", service, families.size()));
  }
  if (families.size() == 2 && families[0] == families[1]) {
    return failure(Errc::kInvalidArgument, fmt::format("{} lists {} twice in its ip families",
                                                       service, vipd::to_string(families[0])));
  }
  if (request.family_policy == IpFamilyPolicy::kSingleStack && families.size() != 1) {
    return failure(Errc::kInvalidArgument,
                   fmt::format("{} is SingleStack but lists two ip families", service));
  }
  if (request.family_policy == IpFamilyPolicy::kRequireDualStack && families.size() != 2) {
    return failure(Errc::kInvalidArgument,
                   fmt::format("{} is RequireDualStack but lists only {}; it needs both families",
                               service, vipd::to_string(families[0])));
  }

  const auto& requested = request.requested;
  for (const auto& r : requested) {
    if (r.source != requested.front().source) {
      return failure(
          Errc::kInvalidArgument,
          fmt::format("{} requests addresses both in {} and in {}; use only one of them", service,
                      to_string(requested.front().source), to_string(r.source)));
    }
  }
  for (std::size_t i = 0; i < requested.size(); ++i) {
    const IpAddress& a = requested[i].address;
    for (std::size_t j = 0; j < i; ++j) {
      if (requested[j].address.family() == a.family()) {
        return failure(Errc::kInvalidArgument,
                       fmt::format("{} requests two {} addresses ({} and {}); a Service takes at "
                                   "most one address per family",
                                   service, vipd::to_string(a.family()), requested[j].address, a));
      }
    }
    if (std::find(families.begin(), families.end(), a.family()) == families.end()) {
      return failure(
          Errc::kInvalidArgument,
          fmt::format("{} requests the {} address {}, but its ip families are only {}", service,
                      vipd::to_string(a.family()), a, vipd::to_string(families[0])));
    }
  }
  if (request.family_policy == IpFamilyPolicy::kRequireDualStack && requested.size() == 1) {
    return failure(
        Errc::kInvalidArgument,
        fmt::format("{} is RequireDualStack but requests only the {} address {}; "
                    "request one address of each family, or none",
                    service, vipd::to_string(requested[0].address.family()), requested[0].address));
  }
  return success();
}

std::optional<std::string> pool_refusal(const Pool& pool, const ServiceRequest& request) {
  if (!pool.namespaces.empty() || !pool.namespace_selectors.empty()) {
    const bool listed = std::find(pool.namespaces.begin(), pool.namespaces.end(), request.key.ns) !=
                        pool.namespaces.end();
    const bool selected =
        std::any_of(pool.namespace_selectors.begin(), pool.namespace_selectors.end(),
                    [&](const LabelSelector& s) { return s.matches(request.namespace_labels); });
    if (!listed && !selected) {
      std::string which;
      if (!pool.namespaces.empty()) {
        which = fmt::format("namespaces {}", fmt::join(pool.namespaces, ", "));
        if (!pool.namespace_selectors.empty()) which += " and namespaces matching its selectors";
      } else {
        which = "namespaces matching its namespace selectors";
      }
      return fmt::format("address pool '{}' serves only {}; {} is in namespace '{}'", pool.name,
                         which, request.key.to_string(), request.key.ns);
    }
  }
  if (!pool.service_selectors.empty() &&
      std::none_of(pool.service_selectors.begin(), pool.service_selectors.end(),
                   [&](const LabelSelector& s) { return s.matches(request.service_labels); })) {
    return fmt::format(
        "address pool '{}' serves only Services matching its service selectors, and the labels "
        "of {} match none of them",
        pool.name, request.key.to_string());
  }
  return std::nullopt;
}

}  // namespace vipd::allocator
