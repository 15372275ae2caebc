#include "k8s/metallb_view.hpp"

#include <boost/json/serialize.hpp>

#include "common/assert.hpp"
#include "k8s/object_reader.hpp"

namespace vipd::k8s {
namespace json = boost::json;
using detail::member;
using detail::Path;

std::size_t MetallbObject::size_estimate() const {
  return detail::heap_bytes(api_version) + meta.size_estimate() + detail::heap_bytes(document);
}

Result<MetallbObject> decode_metallb_object(Kind kind, const json::value& object) {
  VIPD_TRY(const auto* root, detail::read_root(object));
  return decode_metallb_object(kind, *root);
}

Result<MetallbObject> decode_metallb_object(Kind kind, const json::object& root) {
  VIPD_ASSERT(is_metallb(kind), "decode_metallb_object is for MetalLB kinds");
  VIPD_TRY(detail::check_type(root, kind));
  const Path top;
  // check_type checked them when present; a document needs both.
  for (const char* name : {"apiVersion", "kind"}) {
    if (member(root, name) == nullptr) return failure(detail::path_error(top.key(name), "missing"));
  }
  MetallbObject out;
  out.kind = kind;
  out.api_version = std::string(root.at("apiVersion").get_string());
  VIPD_TRY(out.meta, detail::read_meta(root, AnnotationFilter::kMetallb));
  const Path spec_path = top.key("spec");
  VIPD_TRY(const auto* spec, detail::read_object(member(root, "spec"), spec_path));

  json::object metadata;
  metadata["name"] = out.meta.name;
  if (!out.meta.namespace_.empty()) metadata["namespace"] = out.meta.namespace_;
  if (!out.meta.labels.empty()) {
    json::object labels;
    for (const auto& [k, v] : out.meta.labels) labels[k] = v;
    metadata["labels"] = std::move(labels);
  }
  if (!out.meta.annotations.empty()) {
    json::object annotations;
    for (const auto& [k, v] : out.meta.annotations) annotations[k] = v;
    metadata["annotations"] = std::move(annotations);
  }
  json::object document;
  document["apiVersion"] = out.api_version;
  document["kind"] = to_string(kind);
  document["metadata"] = std::move(metadata);
  if (spec != nullptr) document["spec"] = *spec;
  out.document = json::serialize(document);
  out.document.shrink_to_fit();
  return out;
}

}  // namespace vipd::k8s
