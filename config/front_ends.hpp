#pragma once
// The YAML front ends (internal to config/): each reads one document into the model and
// records the origin of every element it produces. Errors go to the Reader's Diagnostics.

#include <yaml-cpp/yaml.h>

#include "config/model.hpp"
#include "config/yaml_reader.hpp"

namespace vipd::config::detail {

// One `addresses` entry: a CIDR (host bits are masked, as MetalLB does, with a warning) or a
// "first-last" range of one family.
std::optional<AddressBlock> read_address_block(Reader& r, const Field& f);

// The MetalLB ConfigMap body (the text under `data.config`), or with `standalone` the
// standalone file: the same body plus `node` and `services`.
void read_configmap_body(Reader& r, const YAML::Node& root, Config& config, bool standalone);

// Whether a document is a Kubernetes object (it has `apiVersion` or `kind`).
bool is_kubernetes_object(const YAML::Node& document);

// One MetalLB resource (IPAddressPool, BGPPeer, ...). Other kinds are noted and skipped.
void read_resource(Reader& r, const YAML::Node& document, std::size_t index, Config& config);

}  // namespace vipd::config::detail
