#pragma once
// ConfigMap → MetalLB resources: what MetalLB's own converter produces, so users can move to
// the resource format. Input is a ConfigMap (whole, or its bare `config` body); a ConfigMap
// with any error is not converted. Settings MetalLB accepts and vipd does not run yet (BFD) are
// converted too. vipd's own peer settings become BGPPeer annotations (vipd.io/passive,
// vipd.io/gtsm) and connect-time becomes connectTime. Names become valid resource names (lower
// case, other characters as '-', no leading digits, at most 63 characters), and references
// follow them.

#include <string>
#include <string_view>

#include "common/result.hpp"
#include "config/load.hpp"

namespace vipd::config {

// A Kubernetes resource name derived from a ConfigMap name.
std::string resource_name(std::string_view name);

// The resources as multi-document YAML. Fails (listing every error, one per line) when the
// input is not a valid ConfigMap configuration or names collide after conversion.
Result<std::string> convert_configmap(std::string_view text, std::string file_name,
                                      std::string_view namespace_name = "metallb-system");

// The same, from a model read from a ConfigMap.
Result<std::string> emit_resources(const Config& config, std::string_view namespace_name);

}  // namespace vipd::config
