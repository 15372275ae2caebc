#pragma once
// Internal to config/: what the groups of checks on the model share (validate.cpp for MetalLB's
// rules, standalone_checks.cpp for the standalone file's). Pure; no I/O.

#include <algorithm>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostic.hpp"
#include "config/model.hpp"

namespace vipd::config::detail {

inline std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

// Each repeated value in a list of names, with the index of its first occurrence. In
// O(n log n): a list may hold a million names.
template <class F>
void each_duplicate(const std::vector<std::string>& values, F&& on_duplicate) {
  std::map<std::string_view, std::size_t> first;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (auto [it, fresh] = first.emplace(values[i], i); !fresh) on_duplicate(i, it->second);
  }
}

// A group of checks: the model, where its parts were written, and where diagnostics go.
class Checks {
 public:
  Checks(const Config& c, SourceFormat f, const Origins& o, Diagnostics& d)
      : config_(c), format_(f), origins_(o), out_(d) {}

 protected:
  Origin at(const std::string& k) const { return origins_.find(k); }
  void error(const std::string& k, std::string message) { out_.error(at(k), std::move(message)); }
  void warning(const std::string& k, std::string message) {
    out_.warning(at(k), std::move(message));
  }

  std::vector<std::string> pool_names() const {
    std::vector<std::string> names;
    for (const auto& p : config_.pools) names.push_back(p.name);
    return names;
  }

  // The pools an advertisement selects: by name, by label selector, or every pool when it has
  // neither (MetalLB).
  std::vector<std::size_t> selected_pools(const std::vector<std::string>& names,
                                          const std::vector<LabelSelector>& selectors) const {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < config_.pools.size(); ++i) {
      const auto& pool = config_.pools[i];
      const bool all = names.empty() && selectors.empty();
      const bool named = std::find(names.begin(), names.end(), pool.name) != names.end();
      const bool matched =
          std::any_of(selectors.begin(), selectors.end(),
                      [&](const LabelSelector& s) { return s.matches(pool.labels); });
      if (all || named || matched) out.push_back(i);
    }
    return out;
  }

  const Config& config_;
  SourceFormat format_;
  const Origins& origins_;
  Diagnostics& out_;
};

// The standalone file's own rules (services, nodes); `config.standalone` is set.
void check_standalone(const Config& config, const Origins& origins, Diagnostics& diagnostics);

}  // namespace vipd::config::detail
