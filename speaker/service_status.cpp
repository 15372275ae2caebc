#include "speaker/service_status.hpp"

#include <algorithm>
#include <set>

namespace vipd::speaker {

std::map<std::string, std::vector<std::string>> announced_peers(
    const std::vector<planner::Decision>& decisions) {
  std::map<std::string, std::set<std::string>> peers;
  for (const auto& d : decisions) {
    if (d.reason == planner::Reason::kAnnounced && !d.peer.empty()) {
      peers[d.service].insert(d.peer);
    }
  }
  std::map<std::string, std::vector<std::string>> out;
  for (auto& [service, names] : peers) out[service].assign(names.begin(), names.end());
  return out;
}

StatusChanges status_changes(const std::map<std::string, std::vector<std::string>>& desired,
                             const std::vector<HeldStatus>& held) {
  StatusChanges changes;
  std::vector<const HeldStatus*> sorted;
  for (const auto& h : held) sorted.push_back(&h);
  std::sort(sorted.begin(), sorted.end(),
            [](const HeldStatus* a, const HeldStatus* b) { return a->name < b->name; });
  std::map<std::string, const HeldStatus*> first;
  for (const auto* h : sorted) {
    if (!first.emplace(h->service, h).second) changes.remove.push_back(h->name);
  }
  for (const auto& [service, h] : first) {
    const auto it = desired.find(service);
    if (it == desired.end()) {
      changes.remove.push_back(h->name);
    } else if (it->second != h->peers) {
      changes.update.push_back(HeldStatus{h->name, service, it->second});
    }
  }
  for (const auto& [service, peers] : desired) {
    if (!first.contains(service)) changes.create.push_back(service);
  }
  std::sort(changes.remove.begin(), changes.remove.end());
  return changes;
}

}  // namespace vipd::speaker
