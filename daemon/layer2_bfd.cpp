#include "daemon/layer2_bfd.hpp"

#include <spdlog/spdlog.h>

#include "daemon/bfd_peers.hpp"

namespace vipd::daemon {

Layer2Bfd::Layer2Bfd(bfd::BfdService& service, speaker::SpeakerLiveness& liveness,
                     std::function<void()> changed, std::optional<std::uint16_t> peer_port)
    : service_(service), liveness_(liveness), changed_(std::move(changed)), peer_port_(peer_port) {}

void Layer2Bfd::set(const std::map<std::string, IpAddress>& nodes,
                    const std::vector<IpAddress>& locals) {
  // Gone, or moved to another address.
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    const auto want = nodes.find(it->first);
    if (want != nodes.end() && want->second == it->second) {
      ++it;
      continue;
    }
    service_.remove_session(it->second);
    nodes_.erase(it->second);
    it = sessions_.erase(it);
  }
  for (const auto& [node, address] : nodes) {
    if (sessions_.contains(node) || nodes_.contains(address)) continue;
    if (!service_.started()) {
      if (auto r = service_.start(); !r) {
        if (start_error_ != r.error().message()) {
          start_error_ = r.error().message();
          spdlog::error(
              "speaker: cannot receive BFD ({}): layer-2 liveness falls back to the Leases",
              start_error_);
        }
        return;
      }
    }
    std::optional<IpAddress> local;
    for (const auto& l : locals) {
      if (l.family() == address.family()) {
        local = l;
        break;
      }
    }
    bfd::SessionConfig config;
    config.desired_min_tx = kLayer2BfdInterval;
    config.required_min_rx = kLayer2BfdInterval;
    config.detect_mult = kLayer2BfdMultiplier;
    if (auto r = service_.add_session(address, local, config, {.peer_port = peer_port_}); !r) {
      spdlog::warn("speaker: no BFD session with {} ({}): {}", node, address.to_string(),
                   r.error().message());
      continue;
    }
    sessions_[node] = address;
    nodes_[address] = node;
  }
}

void Layer2Bfd::on_state(const IpAddress& peer, bfd::State from, bfd::State to, bfd::Diag diag) {
  const auto it = nodes_.find(peer);
  if (it == nodes_.end()) return;
  const std::string& node = it->second;
  if (to == bfd::State::kUp) {
    const bool was_failed = liveness_.bfd_failed().contains(node);
    liveness_.bfd_up(node);
    if (was_failed) {
      spdlog::info("speaker: BFD with {} Up again: its speaker is live", node);
      changed_();
    }
    return;
  }
  if (from != bfd::State::kUp || !is_failure(diag, service_.status(peer))) return;
  spdlog::warn("speaker: BFD with {} Down ({}): its speaker counts as dead", node,
               bfd::to_string(diag));
  liveness_.bfd_down(node);
  changed_();
}

void Layer2Bfd::stop() {
  for (const auto& [node, address] : sessions_) service_.remove_session(address);
  sessions_.clear();
  nodes_.clear();
}

std::vector<admin::SpeakerBfdView> Layer2Bfd::views() const {
  std::vector<admin::SpeakerBfdView> out;
  const auto failed = liveness_.bfd_failed();
  for (const auto& [node, address] : sessions_) {
    admin::SpeakerBfdView v{.node = node, .address = address.to_string()};
    if (const auto s = service_.status(address)) {
      v.state = std::string(bfd::to_string(s->state));
      v.diag = std::string(bfd::to_string(s->diag));
    }
    v.failed = failed.contains(node);
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace vipd::daemon
