#include "k8s/objects.hpp"

#include "k8s/object_reader.hpp"

namespace vipd::k8s {
namespace json = boost::json;
using detail::EnumName;
using detail::member;
using detail::Path;

namespace {

constexpr EnumName<AddressType> kAddressTypes[] = {
    {"IPv4", AddressType::kIpv4},
    {"IPv6", AddressType::kIpv6},
    {"FQDN", AddressType::kFqdn},
};
constexpr EnumName<ConditionStatus> kConditionStatuses[] = {
    {"True", ConditionStatus::kTrue},
    {"False", ConditionStatus::kFalse},
    {"Unknown", ConditionStatus::kUnknown},
};
constexpr EnumName<NodeAddressType> kNodeAddressTypes[] = {
    {"InternalIP", NodeAddressType::kInternalIp},
    {"ExternalIP", NodeAddressType::kExternalIp},
};

Result<EndpointConditions> read_conditions(const json::value* v, const Path& path) {
  VIPD_TRY(const auto* c, detail::read_object(v, path));
  VIPD_TRY(auto ready, detail::read_bool(member(c, "ready"), path.key("ready")));
  VIPD_TRY(auto serving, detail::read_bool(member(c, "serving"), path.key("serving")));
  VIPD_TRY(auto terminating, detail::read_bool(member(c, "terminating"), path.key("terminating")));
  EndpointConditions out;
  out.ready = ready.value_or(true);
  out.serving = serving.value_or(out.ready);
  out.terminating = terminating.value_or(false);
  return out;
}

Result<std::vector<IpAddress>> read_endpoint_addresses(const json::value* v, const Path& path,
                                                       AddressType type) {
  VIPD_TRY(const auto* array, detail::read_array(v, path));
  std::vector<IpAddress> out;
  if (array == nullptr) return out;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const Path at = path.index(i);
    const auto& item = (*array)[i];
    if (!item.is_string()) return failure(detail::type_error(at, "a string", item));
    if (type == AddressType::kFqdn) continue;  // names are not vipd's to resolve
    VIPD_TRY(auto ip, detail::read_ip(&item, at));
    if (!ip) return failure(detail::path_error(at, "empty address"));
    const Family family = type == AddressType::kIpv4 ? Family::kV4 : Family::kV6;
    if (ip->family() != family) {
      return failure(detail::path_error(
          at, ip->to_string() + " is not an " + std::string(to_string(family)) +
                  " address (addressType " + std::string(to_string(type)) + ")"));
    }
    out.push_back(*ip);
  }
  out.shrink_to_fit();
  return out;
}

Result<std::vector<SliceEndpoint>> read_endpoints(const json::value* v, const Path& path,
                                                  AddressType type) {
  VIPD_TRY(const auto* array, detail::read_array(v, path));
  std::vector<SliceEndpoint> out;
  if (array == nullptr) return out;
  out.reserve(array->size());
  for (std::size_t i = 0; i < array->size(); ++i) {
    const Path at = path.index(i);
    VIPD_TRY(const auto* e, detail::read_object(&(*array)[i], at));
    if (e == nullptr) return failure(detail::path_error(at, "expected an object, got null"));
    SliceEndpoint endpoint;
    VIPD_TRY(endpoint.addresses,
             read_endpoint_addresses(member(*e, "addresses"), at.key("addresses"), type));
    VIPD_TRY(auto node, detail::read_string(member(*e, "nodeName"), at.key("nodeName")));
    if (node) endpoint.node_name = std::string(*node);
    VIPD_TRY(endpoint.conditions, read_conditions(member(*e, "conditions"), at.key("conditions")));
    out.push_back(std::move(endpoint));
  }
  return out;
}

Result<void> read_node_conditions(const json::object* status, const Path& status_path, Node& n) {
  const Path path = status_path.key("conditions");
  VIPD_TRY(const auto* array, detail::read_array(member(status, "conditions"), path));
  if (array == nullptr) return success();
  bool ready_seen = false;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const Path at = path.index(i);
    VIPD_TRY(const auto* c, detail::read_object(&(*array)[i], at));
    VIPD_TRY(auto type, detail::read_string(member(c, "type"), at.key("type")));
    const Path status_at = at.key("status");
    if (type == "Ready" && !ready_seen) {
      ready_seen = true;  // a repeated condition type is invalid in the API; the first counts
      n.has_ready_condition = true;
      VIPD_TRY(auto s, detail::read_enum(member(c, "status"), status_at, kConditionStatuses));
      n.ready = s.value_or(ConditionStatus::kUnknown);
    } else if (type == "NetworkUnavailable") {
      // Only "True" excludes the node (MetalLB); any other status leaves it included.
      VIPD_TRY(auto s, detail::read_string(member(c, "status"), status_at));
      n.network_unavailable = n.network_unavailable || s == "True";
    }
  }
  return success();
}

Result<std::vector<NodeAddress>> read_node_addresses(const json::object* status,
                                                     const Path& status_path) {
  const Path path = status_path.key("addresses");
  VIPD_TRY(const auto* array, detail::read_array(member(status, "addresses"), path));
  std::vector<NodeAddress> out;
  if (array == nullptr) return out;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const Path at = path.index(i);
    VIPD_TRY(const auto* a, detail::read_object(&(*array)[i], at));
    VIPD_TRY(auto type_text, detail::read_string(member(a, "type"), at.key("type")));
    // Hostname, InternalDNS, ExternalDNS (and types added later) carry no IP address.
    NodeAddressType type{};
    if (type_text == "InternalIP") {
      type = NodeAddressType::kInternalIp;
    } else if (type_text == "ExternalIP") {
      type = NodeAddressType::kExternalIp;
    } else {
      continue;
    }
    const Path address_path = at.key("address");
    VIPD_TRY(auto ip, detail::read_ip(member(a, "address"), address_path));
    if (!ip) return failure(detail::path_error(address_path, "missing"));
    out.push_back({type, *ip});
  }
  return out;
}

}  // namespace

std::string_view to_string(AddressType type) { return detail::enum_name(type, kAddressTypes); }
std::string_view to_string(ConditionStatus status) {
  return detail::enum_name(status, kConditionStatuses);
}
std::string_view to_string(NodeAddressType type) {
  return detail::enum_name(type, kNodeAddressTypes);
}

std::size_t EndpointSlice::size_estimate() const {
  std::size_t total = meta.size_estimate() + detail::heap_bytes(service_name) +
                      endpoints.capacity() * sizeof(SliceEndpoint);
  for (const auto& e : endpoints) {
    total += e.addresses.capacity() * sizeof(IpAddress);
    if (e.node_name) total += detail::heap_bytes(*e.node_name);
  }
  return total;
}

std::size_t Node::size_estimate() const {
  return meta.size_estimate() + addresses.capacity() * sizeof(NodeAddress);
}

std::size_t ConfigMap::size_estimate() const {
  return meta.size_estimate() + detail::heap_bytes(data);
}

Result<EndpointSlice> decode_endpoint_slice(const json::value& object) {
  VIPD_TRY(const auto* root, detail::read_root(object));
  return decode_endpoint_slice(*root);
}

Result<EndpointSlice> decode_endpoint_slice(const json::object& root) {
  VIPD_TRY(detail::check_type(root, Kind::kEndpointSlice));
  EndpointSlice s;
  VIPD_TRY(s.meta, detail::read_meta(root, AnnotationFilter::kNone));
  // The service name is the one label vipd reads on a slice; the others are not kept.
  if (auto it = s.meta.labels.find(kServiceNameLabel); it != s.meta.labels.end()) {
    s.service_name = std::move(it->second);
  }
  s.meta.labels.clear();
  const Path top;
  const Path type_path = top.key("addressType");
  VIPD_TRY(auto type, detail::read_enum(member(root, "addressType"), type_path, kAddressTypes));
  if (!type) return failure(detail::path_error(type_path, "missing"));
  s.address_type = *type;
  VIPD_TRY(s.endpoints, read_endpoints(member(root, "endpoints"), top.key("endpoints"), *type));
  return s;
}

Result<Node> decode_node(const json::value& object) {
  VIPD_TRY(const auto* root, detail::read_root(object));
  return decode_node(*root);
}

Result<Node> decode_node(const json::object& root) {
  VIPD_TRY(detail::check_type(root, Kind::kNode));
  Node n;
  VIPD_TRY(n.meta, detail::read_meta(root, AnnotationFilter::kNone));
  const Path top;
  const Path spec_path = top.key("spec");
  VIPD_TRY(const auto* spec, detail::read_object(member(root, "spec"), spec_path));
  VIPD_TRY(auto unschedulable,
           detail::read_bool(member(spec, "unschedulable"), spec_path.key("unschedulable")));
  n.unschedulable = unschedulable.value_or(false);
  const Path status_path = top.key("status");
  VIPD_TRY(const auto* status, detail::read_object(member(root, "status"), status_path));
  VIPD_TRY(read_node_conditions(status, status_path, n));
  VIPD_TRY(n.addresses, read_node_addresses(status, status_path));
  return n;
}

Result<Namespace> decode_namespace(const json::value& object) {
  VIPD_TRY(const auto* root, detail::read_root(object));
  return decode_namespace(*root);
}

Result<Namespace> decode_namespace(const json::object& root) {
  VIPD_TRY(detail::check_type(root, Kind::kNamespace));
  Namespace n;
  VIPD_TRY(n.meta, detail::read_meta(root, AnnotationFilter::kNone));
  return n;
}

Result<ConfigMap> decode_config_map(const json::value& object) {
  VIPD_TRY(const auto* root, detail::read_root(object));
  return decode_config_map(*root);
}

Result<ConfigMap> decode_config_map(const json::object& root) {
  VIPD_TRY(detail::check_type(root, Kind::kConfigMap));
  ConfigMap c;
  VIPD_TRY(c.meta, detail::read_meta(root, AnnotationFilter::kNone));
  const Path top;
  VIPD_TRY(c.data, detail::read_string_map(member(root, "data"), top.key("data")));
  return c;
}

namespace {

template <class T>
Result<Object> wrap(Result<T> r) {
  if (!r) return failure(r.error());
  return Object{std::move(r).value()};
}

}  // namespace

Result<Object> decode(Kind kind, const json::value& object) {
  VIPD_TRY(const auto* root, detail::read_root(object));
  return decode(kind, *root);
}

Result<Object> decode(Kind kind, const json::object& object) {
  switch (kind) {
    case Kind::kService:
      return wrap(decode_service(object));
    case Kind::kEndpointSlice:
      return wrap(decode_endpoint_slice(object));
    case Kind::kNode:
      return wrap(decode_node(object));
    case Kind::kNamespace:
      return wrap(decode_namespace(object));
    case Kind::kConfigMap:
      return wrap(decode_config_map(object));
    case Kind::kLease:
      return wrap(decode_lease(object));
    case Kind::kIpAddressPool:
    case Kind::kBgpPeer:
    case Kind::kBgpAdvertisement:
    case Kind::kL2Advertisement:
    case Kind::kCommunity:
    case Kind::kBfdProfile:
      return wrap(decode_metallb_object(kind, object));
  }
  return failure(Errc::kInvalidArgument, "unknown kind");
}

const ObjectMeta& meta_of(const Object& object) {
  return std::visit([](const auto& o) -> const ObjectMeta& { return o.meta; }, object);
}

std::size_t size_estimate(const Object& object) {
  return std::visit([](const auto& o) { return o.size_estimate(); }, object);
}

}  // namespace vipd::k8s
