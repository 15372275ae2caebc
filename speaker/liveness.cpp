#include "speaker/liveness.hpp"

namespace vipd::speaker {

std::string lease_node(std::string_view lease_name) {
  if (!lease_name.starts_with(kSpeakerLeasePrefix)) return {};
  return std::string(lease_name.substr(kSpeakerLeasePrefix.size()));
}

void SpeakerLiveness::observe(const k8s::Lease& lease, Clock::time_point now) {
  const auto node = lease_node(lease.meta.name);
  if (node.empty()) return;
  auto [it, inserted] = by_node_.try_emplace(node);
  Seen& seen = it->second;
  const auto& spec = lease.spec;
  if (inserted || seen.holder != spec.holder_identity || seen.renew_time != spec.renew_time) {
    seen.changed = now;
    ++seen.changes;
  }
  seen.holder = spec.holder_identity;
  seen.renew_time = spec.renew_time;
  seen.duration = spec.lease_duration_seconds && *spec.lease_duration_seconds > 0
                      ? Clock::duration(std::chrono::seconds(*spec.lease_duration_seconds))
                      : kDefaultDuration;
}

void SpeakerLiveness::forget(std::string_view lease_name) {
  const auto node = lease_node(lease_name);
  if (const auto it = by_node_.find(node); it != by_node_.end()) by_node_.erase(it);
}

std::uint64_t SpeakerLiveness::changes(std::string_view node) const {
  const auto it = by_node_.find(node);
  return it == by_node_.end() ? 0 : it->second.changes;
}

void SpeakerLiveness::bfd_down(std::string_view node) {
  bfd_failed_.insert_or_assign(std::string(node), changes(node));
}

void SpeakerLiveness::bfd_up(std::string_view node) {
  if (const auto it = bfd_failed_.find(node); it != bfd_failed_.end()) bfd_failed_.erase(it);
}

std::set<std::string, std::less<>> SpeakerLiveness::bfd_failed() const {
  std::set<std::string, std::less<>> out;
  for (const auto& [node, changes_then] : bfd_failed_) {
    if (changes(node) < changes_then + 2) out.insert(node);
  }
  return out;
}

std::set<std::string, std::less<>> SpeakerLiveness::live(Clock::time_point now) const {
  std::set<std::string, std::less<>> out;
  const auto failed = bfd_failed();
  for (const auto& [node, seen] : by_node_) {
    if (seen.holder == node && now < seen.changed + seen.duration && !failed.contains(node)) {
      out.insert(node);
    }
  }
  return out;
}

std::optional<Clock::time_point> SpeakerLiveness::next_expiry(Clock::time_point now) const {
  std::optional<Clock::time_point> next;
  for (const auto& [node, seen] : by_node_) {
    if (seen.holder != node) continue;
    const auto expiry = seen.changed + seen.duration;
    if (expiry > now && (!next || expiry < *next)) next = expiry;
  }
  return next;
}

}  // namespace vipd::speaker
