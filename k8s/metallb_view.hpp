#pragma once
// MetalLB custom resources (metallb.io/v1beta1 and v1beta2: IPAddressPool, BGPPeer,
// BGPAdvertisement, L2Advertisement, Community, BFDProfile) as vipd keeps them: not decoded
// field by field here, but reduced to the document the configuration front end
// (config/resources.cpp) reads, so a watched resource and the same resource in a YAML file
// are checked by one reader with one set of errors. Pure; no I/O.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <string>

#include "common/result.hpp"
#include "k8s/object_meta.hpp"

namespace vipd::k8s {

struct MetallbObject {
  std::string api_version;  // "metallb.io/v1beta1" or "metallb.io/v1beta2"
  Kind kind = Kind::kIpAddressPool;
  ObjectMeta meta;  // annotations: AnnotationFilter::kMetallb
  // Compact JSON (JSON is YAML) holding exactly apiVersion, kind, metadata {name, namespace,
  // labels, the vipd.io/ annotations} and spec as the API server sent it; never status, uid,
  // resourceVersion, managedFields or other annotations.
  std::string document;

  std::size_t size_estimate() const;  // heap bytes held; not sizeof
  friend bool operator==(const MetallbObject&, const MetallbObject&) = default;
};

// `kind` must be a MetalLB kind (is_metallb); the object must carry apiVersion and kind (custom
// resources always do, in lists too). A spec that is present must be an object; its fields are
// the configuration front end's to check.
Result<MetallbObject> decode_metallb_object(Kind kind, const boost::json::value& object);
Result<MetallbObject> decode_metallb_object(Kind kind, const boost::json::object& object);

}  // namespace vipd::k8s
