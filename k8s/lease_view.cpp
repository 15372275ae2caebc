#include "k8s/lease_view.hpp"

#include <boost/json/string.hpp>

#include "k8s/object_reader.hpp"

namespace vipd::k8s {
namespace json = boost::json;
using detail::member;
using detail::Path;

namespace {

constexpr std::int64_t kInt32Min = INT32_MIN;
constexpr std::int64_t kInt32Max = INT32_MAX;

Result<std::optional<MicroTime>> read_time(const json::value* v, const Path& path) {
  VIPD_TRY(auto text, detail::read_string(v, path));
  if (!text) return std::optional<MicroTime>{};
  auto t = parse_micro_time(*text);
  if (!t)
    return failure(detail::path_error(path, detail::quote(*text) + " is " + t.error().message()));
  return std::optional<MicroTime>{t.value()};
}

Result<std::optional<std::int32_t>> read_int32(const json::value* v, const Path& path) {
  VIPD_TRY(auto n, detail::read_int(v, path, kInt32Min, kInt32Max));
  if (!n) return std::optional<std::int32_t>{};
  return std::optional<std::int32_t>{static_cast<std::int32_t>(*n)};
}

Result<std::optional<std::string>> read_optional_string(const json::value* v, const Path& path) {
  VIPD_TRY(auto s, detail::read_string(v, path));
  if (!s) return std::optional<std::string>{};
  return std::optional<std::string>{std::string(*s)};
}

}  // namespace

std::size_t Lease::size_estimate() const {
  std::size_t total = meta.size_estimate() + detail::heap_bytes(spec.holder_identity);
  if (spec.strategy) total += detail::heap_bytes(*spec.strategy);
  if (spec.preferred_holder) total += detail::heap_bytes(*spec.preferred_holder);
  return total;
}

Result<Lease> decode_lease(const json::value& object) {
  VIPD_TRY(const auto* root, detail::read_root(object));
  return decode_lease(*root);
}

Result<Lease> decode_lease(const json::object& root) {
  VIPD_TRY(detail::check_type(root, Kind::kLease));
  Lease lease;
  VIPD_TRY(lease.meta, detail::read_meta(root, AnnotationFilter::kNone));
  const Path top;
  const Path path = top.key("spec");
  VIPD_TRY(const auto* spec, detail::read_object(member(root, "spec"), path));
  auto& s = lease.spec;
  VIPD_TRY(s.holder_identity, detail::read_string_or_empty(member(spec, "holderIdentity"),
                                                           path.key("holderIdentity")));
  VIPD_TRY(s.lease_duration_seconds,
           read_int32(member(spec, "leaseDurationSeconds"), path.key("leaseDurationSeconds")));
  VIPD_TRY(s.acquire_time, read_time(member(spec, "acquireTime"), path.key("acquireTime")));
  VIPD_TRY(s.renew_time, read_time(member(spec, "renewTime"), path.key("renewTime")));
  VIPD_TRY(s.lease_transitions,
           read_int32(member(spec, "leaseTransitions"), path.key("leaseTransitions")));
  VIPD_TRY(s.strategy, read_optional_string(member(spec, "strategy"), path.key("strategy")));
  VIPD_TRY(s.preferred_holder,
           read_optional_string(member(spec, "preferredHolder"), path.key("preferredHolder")));
  return lease;
}

json::object encode_lease_spec(const LeaseSpec& spec) {
  json::object out;
  out["holderIdentity"] = spec.holder_identity;
  if (spec.lease_duration_seconds) out["leaseDurationSeconds"] = *spec.lease_duration_seconds;
  if (spec.acquire_time) out["acquireTime"] = format_micro_time(*spec.acquire_time);
  if (spec.renew_time) out["renewTime"] = format_micro_time(*spec.renew_time);
  if (spec.lease_transitions) out["leaseTransitions"] = *spec.lease_transitions;
  if (spec.strategy) out["strategy"] = *spec.strategy;
  if (spec.preferred_holder) out["preferredHolder"] = *spec.preferred_holder;
  return out;
}

json::object encode_lease(const ObjectMeta& meta, const LeaseSpec& spec) {
  json::object metadata;
  metadata["name"] = meta.name;
  if (!meta.namespace_.empty()) metadata["namespace"] = meta.namespace_;
  if (!meta.resource_version.empty()) metadata["resourceVersion"] = meta.resource_version;
  if (!meta.labels.empty()) {
    json::object labels;
    for (const auto& [k, v] : meta.labels) labels[k] = v;
    metadata["labels"] = std::move(labels);
  }
  json::object out;
  out["apiVersion"] = api_version(Kind::kLease);
  out["kind"] = to_string(Kind::kLease);
  out["metadata"] = std::move(metadata);
  out["spec"] = encode_lease_spec(spec);
  return out;
}

}  // namespace vipd::k8s
