#include "k8s/object_meta.hpp"

#include <array>

#include "k8s/object_reader.hpp"

namespace vipd::k8s {
namespace json = boost::json;
using detail::member;
using detail::Path;

namespace {

struct KindRow {
  Kind kind;
  std::string_view name;
  std::string_view api_version;  // "" for MetalLB kinds
};

constexpr std::array<KindRow, 12> kKinds = {{
    {Kind::kService, "Service", "v1"},
    {Kind::kEndpointSlice, "EndpointSlice", "discovery.k8s.io/v1"},
    {Kind::kNode, "Node", "v1"},
    {Kind::kNamespace, "Namespace", "v1"},
    {Kind::kConfigMap, "ConfigMap", "v1"},
    {Kind::kLease, "Lease", "coordination.k8s.io/v1"},
    {Kind::kIpAddressPool, "IPAddressPool", ""},
    {Kind::kBgpPeer, "BGPPeer", ""},
    {Kind::kBgpAdvertisement, "BGPAdvertisement", ""},
    {Kind::kL2Advertisement, "L2Advertisement", ""},
    {Kind::kCommunity, "Community", ""},
    {Kind::kBfdProfile, "BFDProfile", ""},
}};

const KindRow& row(Kind kind) {
  for (const auto& r : kKinds) {
    if (r.kind == kind) return r;
  }
  return kKinds[0];  // unreachable: every enumerator has a row
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

std::string_view to_string(Kind kind) { return row(kind).name; }

std::optional<Kind> parse_kind(std::string_view name) {
  for (const auto& r : kKinds) {
    if (r.name == name) return r.kind;
  }
  return std::nullopt;
}

bool is_metallb(Kind kind) { return row(kind).api_version.empty(); }

std::string_view api_version(Kind kind) { return row(kind).api_version; }

bool keeps_annotation(AnnotationFilter filter, std::string_view key) {
  switch (filter) {
    case AnnotationFilter::kNone:
      return false;
    case AnnotationFilter::kService:
      return starts_with(key, "metallb.io/") || starts_with(key, "metallb.universe.tf/") ||
             starts_with(key, "vipd.io/") || key == "romanaip" || key == "romanavip";
    case AnnotationFilter::kMetallb:
      return starts_with(key, "vipd.io/");
  }
  return false;
}

std::size_t ObjectMeta::size_estimate() const {
  return detail::heap_bytes(namespace_) + detail::heap_bytes(name) + detail::heap_bytes(uid) +
         detail::heap_bytes(resource_version) + detail::heap_bytes(labels) +
         detail::heap_bytes(annotations);
}

Result<ObjectMeta> decode_object_meta(const json::value& object, AnnotationFilter filter) {
  VIPD_TRY(const auto* root, detail::read_root(object));
  return detail::read_meta(*root, filter);
}

namespace detail {

Result<const json::object*> read_root(const json::value& value) {
  const auto* o = value.if_object();
  if (o == nullptr) return failure(type_error(Path(), "an object", value));
  return o;
}

Result<void> check_type(const json::object& o, Kind kind) {
  const Path root;
  const Path kind_path = root.key("kind");
  VIPD_TRY(auto k, read_string(member(o, "kind"), kind_path));
  if (k && *k != to_string(kind)) {
    return failure(path_error(
        kind_path, "expected \"" + std::string(to_string(kind)) + "\", got " + detail::quote(*k)));
  }
  const Path version_path = root.key("apiVersion");
  VIPD_TRY(auto v, read_string(member(o, "apiVersion"), version_path));
  if (v) {
    const auto expected = api_version(kind);
    const bool ok = expected.empty() ? (*v == "metallb.io/v1beta1" || *v == "metallb.io/v1beta2")
                                     : *v == expected;
    if (!ok) {
      return failure(path_error(
          version_path, "unsupported apiVersion for " + std::string(to_string(kind)) + " (use " +
                            (expected.empty() ? std::string("metallb.io/v1beta1 or v1beta2")
                                              : std::string(expected)) +
                            ")"));
    }
  }
  return success();
}

Result<ObjectMeta> read_meta(const json::object& root, AnnotationFilter filter) {
  const Path top;
  const Path path = top.key("metadata");
  VIPD_TRY(const auto* m, read_object(member(root, "metadata"), path));
  if (m == nullptr) return failure(path_error(path, "missing"));
  ObjectMeta meta;
  const Path name_path = path.key("name");
  VIPD_TRY(meta.name, read_string_or_empty(member(*m, "name"), name_path));
  if (meta.name.empty()) return failure(path_error(name_path, "missing"));
  VIPD_TRY(meta.namespace_, read_string_or_empty(member(*m, "namespace"), path.key("namespace")));
  VIPD_TRY(meta.uid, read_string_or_empty(member(*m, "uid"), path.key("uid")));
  VIPD_TRY(meta.resource_version,
           read_string_or_empty(member(*m, "resourceVersion"), path.key("resourceVersion")));
  VIPD_TRY(meta.generation,
           read_int(member(*m, "generation"), path.key("generation"), INT64_MIN, INT64_MAX));
  VIPD_TRY(meta.labels, read_string_map(member(*m, "labels"), path.key("labels")));
  VIPD_TRY(auto deletion,
           read_string(member(*m, "deletionTimestamp"), path.key("deletionTimestamp")));
  meta.has_deletion_timestamp = deletion.has_value();

  const Path annotations_path = path.key("annotations");
  VIPD_TRY(const auto* annotations, read_object(member(*m, "annotations"), annotations_path));
  if (annotations != nullptr) {
    for (const auto& [key, value] : *annotations) {
      if (!keeps_annotation(filter, key)) continue;
      const Path at = annotations_path.key(key);
      if (!value.is_string()) return failure(type_error(at, "a string", value));
      meta.annotations.insert_or_assign(std::string(key), std::string(value.get_string()));
    }
  }
  return meta;
}

}  // namespace detail
}  // namespace vipd::k8s
