#pragma once
// LabelSelector: Kubernetes label selector semantics (matchLabels + matchExpressions), used by
// pools (namespace and service selectors), peers and advertisements (node selectors).
//
// Matching only; parsing from YAML or JSON and key/value syntax checks belong to the front
// ends (config/, k8s/). Pure; no I/O.

#include <map>
#include <string>
#include <vector>

namespace vipd {

using Labels = std::map<std::string, std::string, std::less<>>;

struct LabelRequirement {
  enum class Operator { kIn, kNotIn, kExists, kDoesNotExist };
  std::string key;
  Operator op = Operator::kExists;
  std::vector<std::string> values;  // In / NotIn only

  bool matches(const Labels& labels) const;
  friend bool operator==(const LabelRequirement&, const LabelRequirement&) = default;
};

struct LabelSelector {
  Labels match_labels;
  std::vector<LabelRequirement> match_expressions;

  // Every term must hold; the empty selector matches everything (as in Kubernetes).
  bool matches(const Labels& labels) const;
  bool empty() const { return match_labels.empty() && match_expressions.empty(); }
  friend bool operator==(const LabelSelector&, const LabelSelector&) = default;
};

}  // namespace vipd
