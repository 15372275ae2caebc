#pragma once
// The YAML front ends (internal to config/): each reads one document into the model and
// records the origin of every element it produces. Errors go to the Reader's Diagnostics.

#include "config/model.hpp"
#include "config/yaml_reader.hpp"

namespace vipd::config::detail {

// One `addresses` entry: a CIDR (host bits are masked, as MetalLB does, with a warning) or a
// "first-last" range of one family.
std::optional<AddressBlock> read_address_block(Reader& r, const Field& f);

// The MetalLB ConfigMap body (the text under `data.config`), or with `standalone` the
// standalone file: the same body plus `node` and `services`.
void read_configmap_body(Reader& r, const Node& root, Config& config, bool standalone);

inline constexpr std::int64_t kU32 = 4294967295;

// Records `model_key` at the field when it was written, else at the enclosing mapping.
void record(Reader& r, const std::string& model_key, const MapReader& m, std::string_view field);

// How one front end spells the BFD profile fields (kebab-case in the ConfigMap, camelCase in
// the resources).
struct BfdFieldNames {
  const char* receive_interval;
  const char* transmit_interval;
  const char* detect_multiplier;
  const char* echo_interval;
  const char* minimum_ttl;
  const char* echo_mode;
  const char* passive_mode;
};

// The timers and flags of a BFD profile (everything but its name), with their origins
// recorded under `model_key`.
void read_bfd_settings(Reader& r, const MapReader& m, const std::string& model_key,
                       const BfdFieldNames& names, BfdProfile& b);

// A standalone service's `health-check`: exactly one of tcp, http or exec, with its timers.
std::optional<HealthCheck> read_health_check(Reader& r, const Field& f);

// The standalone file's own keys: node, nodes and services.
extern const std::vector<std::string> kStandaloneKeys;
// Reads them from a mapping that allows them (the body, or the plain document beside resources)
// into `config.standalone`.
void read_standalone_part(Reader& r, const MapReader& m, Config& config);
// The one plain document of a standalone file written as MetalLB resources: only those keys.
void read_standalone_document(Reader& r, const Node& document, Config& config);

// Whether a document is a Kubernetes object (it has `apiVersion` or `kind`).
bool is_kubernetes_object(const Node& document);

// One MetalLB resource (IPAddressPool, BGPPeer, ...). Other kinds are noted and skipped.
void read_resource(Reader& r, const Node& document, std::size_t index, Config& config);

}  // namespace vipd::config::detail
