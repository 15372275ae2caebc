#include "common/label_selector.hpp"

#include <algorithm>

namespace vipd {

bool LabelRequirement::matches(const Labels& labels) const {
  const auto it = labels.find(key);
  const bool present = it != labels.end();
  const auto listed = [&] {
    return present && std::find(values.begin(), values.end(), it->second) != values.end();
  };
  switch (op) {
    case Operator::kIn:
      return listed();
    case Operator::kNotIn:  // as in Kubernetes: a missing key satisfies NotIn
      return !listed();
    case Operator::kExists:
      return present;
    case Operator::kDoesNotExist:
      return !present;
  }
  return false;
}

bool LabelSelector::matches(const Labels& labels) const {
  for (const auto& [key, value] : match_labels) {
    const auto it = labels.find(key);
    if (it == labels.end() || it->second != value) return false;
  }
  return std::all_of(match_expressions.begin(), match_expressions.end(),
                     [&](const LabelRequirement& r) { return r.matches(labels); });
}

}  // namespace vipd
