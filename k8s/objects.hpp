#pragma once
// Typed views of the Kubernetes objects vipd reads: each decodes the API server's JSON into a
// small projection holding only the fields vipd uses, so informers keep projections, never
// the JSON.
//
// Responsible for: Service (service_view.hpp), EndpointSlice, Node, Namespace, ConfigMap
// (here), Lease (lease_view.hpp, with the encoder for the elector's writes) and the MetalLB
// resources (metallb_view.hpp); defaults as Kubernetes defines them; size estimates for the
// memory measurements.
// Decoding is of untrusted input: a malformed object gives an Error (kInvalidArgument) whose
// message names the JSON path ("spec.ports[0].port: expected an integer, got a string"); it
// never throws and never aborts. Unknown fields are ignored (the API grows). A value vipd acts
// on that it does not understand (an unparsable IP address, an unknown enumeration value) is
// an error for the whole object rather than a guess; open-ended sets are the exception (Node
// condition and address types vipd does not read are skipped).
// Not here: fetching, watching and caching (the client and informers), deciding anything from
// the fields (planner/, allocator/), parsing annotation values (config/annotations.hpp) and
// checking MetalLB specs (config/resources.cpp).
// Pure (no I/O, no Asio); runs on whichever thread calls it.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/ip_address.hpp"
#include "common/label_selector.hpp"
#include "common/result.hpp"
#include "k8s/lease_view.hpp"
#include "k8s/metallb_view.hpp"
#include "k8s/micro_time.hpp"
#include "k8s/object_meta.hpp"
#include "k8s/service_view.hpp"

namespace vipd::k8s {

// The label the EndpointSlice controller sets to the owning Service's name.
inline constexpr std::string_view kServiceNameLabel = "kubernetes.io/service-name";

enum class AddressType : std::uint8_t { kIpv4, kIpv6, kFqdn };
std::string_view to_string(AddressType type);  // "IPv4", "IPv6", "FQDN"

// discovery.k8s.io/v1 EndpointConditions, with the API's rules for unset values applied:
// ready unset → true ("consumers should interpret this unknown state as ready"), serving
// unset → the value of ready ("if nil, consumers should defer to the ready condition"),
// terminating unset → false ("interpret this unknown state to mean ... not terminating").
struct EndpointConditions {
  bool ready = true;
  bool serving = true;
  bool terminating = false;
  friend bool operator==(const EndpointConditions&, const EndpointConditions&) = default;
};

struct SliceEndpoint {
  std::vector<IpAddress> addresses;  // of the slice's family; none in an FQDN slice
  std::optional<std::string> node_name;
  EndpointConditions conditions;
  friend bool operator==(const SliceEndpoint&, const SliceEndpoint&) = default;
};

struct EndpointSlice {
  ObjectMeta meta;           // no labels, no annotations kept
  std::string service_name;  // label kubernetes.io/service-name; "" when absent
  AddressType address_type = AddressType::kIpv4;
  std::vector<SliceEndpoint> endpoints;

  std::size_t size_estimate() const;  // heap bytes held; not sizeof
  friend bool operator==(const EndpointSlice&, const EndpointSlice&) = default;
};

enum class ConditionStatus : std::uint8_t { kTrue, kFalse, kUnknown };
enum class NodeAddressType : std::uint8_t { kInternalIp, kExternalIp };
std::string_view to_string(ConditionStatus status);  // "True", "False", "Unknown"
std::string_view to_string(NodeAddressType type);    // "InternalIP", "ExternalIP"

struct NodeAddress {
  NodeAddressType type = NodeAddressType::kInternalIp;
  IpAddress address;
  friend bool operator==(const NodeAddress&, const NodeAddress&) = default;
};

struct Node {
  ObjectMeta meta;                                    // labels; no annotations kept
  ConditionStatus ready = ConditionStatus::kUnknown;  // no Ready condition: Unknown
  bool has_ready_condition = false;                   // the Ready condition is there
  bool network_unavailable = false;  // condition NetworkUnavailable with status "True"
  bool unschedulable = false;        // spec.unschedulable
  // InternalIP and ExternalIP in the order given; Hostname and DNS entries are skipped.
  std::vector<NodeAddress> addresses;

  std::size_t size_estimate() const;  // heap bytes held; not sizeof
  friend bool operator==(const Node&, const Node&) = default;
};

struct Namespace {
  ObjectMeta meta;  // labels (namespace selectors); no annotations kept

  std::size_t size_estimate() const { return meta.size_estimate(); }
  friend bool operator==(const Namespace&, const Namespace&) = default;
};

// Read for the one MetalLB ConfigMap only, so `data` is kept whole; binaryData is ignored.
struct ConfigMap {
  ObjectMeta meta;  // no annotations kept
  std::map<std::string, std::string, std::less<>> data;

  std::size_t size_estimate() const;  // heap bytes held; not sizeof
  friend bool operator==(const ConfigMap&, const ConfigMap&) = default;
};

// Each in two forms: a parsed value, or an object as an informer holds it.
Result<EndpointSlice> decode_endpoint_slice(const boost::json::value& object);
Result<EndpointSlice> decode_endpoint_slice(const boost::json::object& object);
Result<Node> decode_node(const boost::json::value& object);
Result<Node> decode_node(const boost::json::object& object);
Result<Namespace> decode_namespace(const boost::json::value& object);
Result<Namespace> decode_namespace(const boost::json::object& object);
Result<ConfigMap> decode_config_map(const boost::json::value& object);
Result<ConfigMap> decode_config_map(const boost::json::object& object);
// decode_service: service_view.hpp; decode_lease: lease_view.hpp; decode_metallb_object:
// metallb_view.hpp.

// Any kind through one entry point (for informers that hold one kind each).
using Object =
    std::variant<Service, EndpointSlice, Node, Namespace, ConfigMap, Lease, MetallbObject>;
Result<Object> decode(Kind kind, const boost::json::value& object);
Result<Object> decode(Kind kind, const boost::json::object& object);
const ObjectMeta& meta_of(const Object& object);
std::size_t size_estimate(const Object& object);  // heap bytes held; not sizeof

}  // namespace vipd::k8s
