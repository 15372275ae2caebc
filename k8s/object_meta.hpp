#pragma once
// ObjectMeta as vipd keeps it, the kinds of object it reads, and the root checks every typed
// view shares (the value is an object, its kind and apiVersion, when present, are the ones
// asked for). See objects.hpp for the views. Pure; no I/O.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/label_selector.hpp"
#include "common/result.hpp"

namespace vipd::k8s {

// Every kind vipd decodes; the last six are MetalLB's custom resources.
enum class Kind : std::uint8_t {
  kService,
  kEndpointSlice,
  kNode,
  kNamespace,
  kConfigMap,
  kLease,
  kIpAddressPool,
  kBgpPeer,
  kBgpAdvertisement,
  kL2Advertisement,
  kCommunity,
  kBfdProfile,
};
std::string_view to_string(Kind kind);  // as the API spells it: "Service", "IPAddressPool", ...
std::optional<Kind> parse_kind(std::string_view name);
bool is_metallb(Kind kind);
// The apiVersion of a built-in kind ("v1", "discovery.k8s.io/v1", ...); "" for MetalLB kinds,
// which are served in two versions.
std::string_view api_version(Kind kind);

// Which annotations a view keeps; every other one is dropped when decoding, so a Service
// with a large kubectl.kubernetes.io/last-applied-configuration costs nothing to hold.
enum class AnnotationFilter : std::uint8_t {
  kNone,
  kService,  // keys starting with "metallb.io/", "metallb.universe.tf/" or "vipd.io/" (what
             // the controller writes, e.g. vipd.io/external-ips), and exactly "romanaip" and
             // "romanavip" (DESIGN.md, Service-facing behaviour)
  kMetallb,  // keys starting with "vipd.io/" (vipd's own settings on MetalLB objects)
};
bool keeps_annotation(AnnotationFilter filter, std::string_view key);

struct ObjectMeta {
  std::string namespace_;  // "" for cluster-scoped objects (Node, Namespace)
  std::string name;        // never empty once decoded
  std::string uid;
  std::string resource_version;  // opaque: compare for equality only (API-NOTES.md §2)
  std::optional<std::int64_t> generation;
  Labels labels;
  Labels annotations;                   // only those the kind's AnnotationFilter keeps
  bool has_deletion_timestamp = false;  // metadata.deletionTimestamp is set: being deleted

  // Heap bytes held (strings beyond the small-string buffer, map nodes); not sizeof.
  std::size_t size_estimate() const;
  friend bool operator==(const ObjectMeta&, const ObjectMeta&) = default;
};

// The metadata of any object. metadata.name is required; unknown fields are ignored.
Result<ObjectMeta> decode_object_meta(const boost::json::value& object, AnnotationFilter filter);

namespace detail {

// The value at the root, which must be an object.
Result<const boost::json::object*> read_root(const boost::json::value& value);
// The object's `kind` and `apiVersion`, when present (items of a list carry neither), are those
// of `kind`. For MetalLB kinds the apiVersion may be metallb.io/v1beta1 or metallb.io/v1beta2.
Result<void> check_type(const boost::json::object& root, Kind kind);
Result<ObjectMeta> read_meta(const boost::json::object& root, AnnotationFilter filter);

}  // namespace detail
}  // namespace vipd::k8s
