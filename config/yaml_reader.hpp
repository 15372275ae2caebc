#pragma once
// Typed, position-aware reading of yaml-cpp nodes for the front ends (internal to config/).
//
// Every reader reports problems to Diagnostics with the node's position and the field path
// and returns nullopt, so a front end reads a whole file and collects every error. Nothing here
// throws: the readers never call yaml-cpp's throwing conversions.

#include "config/yaml_tree.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/label_selector.hpp"
#include "config/diagnostic.hpp"
#include "config/model.hpp"

namespace vipd::config::detail {

// yaml-cpp marks (0-based, relative to the text it parsed) → positions in the file. A
// ConfigMap's `config` block is parsed on its own and shifted back into the outer file.
struct PositionMap {
  int line_offset = 0;
  int column_offset = 0;
  std::optional<Position> fixed;  // every position maps here (a folded or quoted block)
  Position operator()(const YAML::Mark& mark) const;
};

class Reader {
 public:
  Reader(Diagnostics& diagnostics, Origins& origins, PositionMap map = {})
      : diagnostics_(diagnostics), origins_(origins), map_(map) {}

  Position position(const Node& node) const;
  Origin origin(const Node& node, std::string path) const {
    return {position(node), std::move(path)};
  }
  void error(const Node& node, const std::string& path, std::string message) {
    diagnostics_.error(position(node), path, std::move(message));
  }
  void note(const Node& node, const std::string& path, std::string message) {
    diagnostics_.note(origin(node, path), std::move(message));
  }
  void warning(const Node& node, const std::string& path, std::string message) {
    diagnostics_.warning(origin(node, path), std::move(message));
  }
  // Records where a model element was written.
  void record(std::string_view model_key, const Node& node, std::string path) {
    origins_.add(model_key, origin(node, std::move(path)));
  }
  Diagnostics& diagnostics() { return diagnostics_; }
  const PositionMap& map() const { return map_; }

 private:
  Diagnostics& diagnostics_;
  Origins& origins_;
  PositionMap map_;
};

struct Field {
  Node node;
  std::string path;
};

// The entries of a mapping. Reports a node that is not a mapping, keys that are not scalars,
// duplicate keys and keys outside `allowed` (with a "did you mean", and `unknown_note` when the
// mapping has more to say about keys it does not take).
class MapReader {
 public:
  MapReader(Reader& reader, const Field& field, std::vector<std::string> allowed,
            std::string_view unknown_note = {});

  bool is_map() const { return is_map_; }
  // The value of `key` when present and not null.
  std::optional<Field> get(std::string_view key) const;
  // Whether `key` was written at all (even as null).
  bool has(std::string_view key) const;
  const Field& field() const { return field_; }
  std::string path(std::string_view key) const { return config::key(field_.path, key); }
  // Reports a missing required key at the mapping.
  void require(std::string_view key);

 private:
  Reader& reader_;
  Field field_;
  bool is_map_ = false;
  std::vector<std::pair<std::string, Node>> entries_;
};

std::optional<std::string> read_string(Reader& r, const Field& f);
std::optional<bool> read_bool(Reader& r, const Field& f);
std::optional<std::int64_t> read_int(Reader& r, const Field& f, std::int64_t min, std::int64_t max);
std::optional<IpAddress> read_ip(Reader& r, const Field& f);
std::optional<Duration> read_duration(Reader& r, const Field& f);

// Calls `each` for every item of a sequence (reporting a non-sequence).
void read_list(Reader& r, const Field& f,
               const std::function<void(const Field&, std::size_t)>& each);
std::vector<std::string> read_strings(Reader& r, const Field& f);

enum class KeyStyle { kKebab, kCamel };  // match-labels (ConfigMap) or matchLabels (resources)
// Labels: a mapping of valid Kubernetes label keys to valid label values.
std::optional<Labels> read_labels(Reader& r, const Field& f);
std::optional<LabelSelector> read_selector(Reader& r, const Field& f, KeyStyle style);
// A list of selectors. As MetalLB does for every such list: two equal selectors, two equal
// expressions in one selector (values compared sorted) and one value twice in an expression are
// errors. With a `model_key`, each selector's origin is recorded as model_key[i].
std::vector<LabelSelector> read_selectors(Reader& r, const Field& f, KeyStyle style,
                                          const std::string& model_key = {});

// Kubernetes syntax checks; "" when valid, else the reason.
std::string check_label_key(std::string_view key);
std::string check_label_value(std::string_view value);
// A DNS subdomain (RFC 1123) as Kubernetes checks it (IsDNS1123Subdomain): node names, label key
// prefixes.
std::string check_dns_subdomain(std::string_view name);

}  // namespace vipd::config::detail
