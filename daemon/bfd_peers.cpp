#include "daemon/bfd_peers.hpp"

#include <spdlog/spdlog.h>

namespace vipd::daemon {
namespace {

// A session that could not start is tried again this often.
constexpr auto kRetryEvery = std::chrono::seconds(5);

std::string diag_text(bfd::Diag diag) { return std::string(bfd::to_string(diag)); }

std::uint64_t ms(bfd::Interval i) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(i).count());
}

}  // namespace

bool is_failure(bfd::Diag diag, const std::optional<bfd::SessionStatus>& status) {
  if (diag != bfd::Diag::kNeighborSignaledSessionDown || !status) return true;
  if (status->remote_state == bfd::State::kAdminDown) return false;
  switch (status->remote_diag) {
    case bfd::Diag::kNone:
    case bfd::Diag::kNeighborSignaledSessionDown:
    case bfd::Diag::kAdministrativelyDown:
      return false;
    default:
      return true;
  }
}

BfdPeers::BfdPeers(asio::any_io_executor executor, TimerClock& clock, bgp::Speaker& speaker,
                   bfd::BfdService& service, std::optional<std::uint16_t> peer_port)
    : executor_(executor),
      clock_(clock),
      speaker_(speaker),
      service_(service),
      peer_port_(peer_port),
      retry_(clock.make_timer(executor)) {}

void BfdPeers::set(const std::string& address, const std::optional<BfdPeerSettings>& settings) {
  const auto it = peers_.find(address);
  if (!settings) {
    if (it == peers_.end()) return;
    service_.remove_session(it->second.settings.peer);
    peers_.erase(it);
    speaker_.open_gate(address);
    return;
  }
  if (it != peers_.end()) {
    if (it->second.settings == *settings) return;
    const auto& before = it->second.settings;
    const bool same_endpoints = before.peer == settings->peer && before.local == settings->local &&
                                before.multihop == settings->multihop &&
                                before.minimum_ttl == settings->minimum_ttl;
    if (same_endpoints && it->second.problem.empty()) {
      // New timers or roles on the running session: a Poll Sequence, BGP undisturbed.
      if (auto r = service_.reconfigure_session(settings->peer, settings->session); r) {
        it->second.settings = *settings;
        return;
      }
    }
    service_.remove_session(it->second.settings.peer);
    peers_.erase(it);
  }
  // Until this session is Up, BGP waits (for at most kFirstUpWait).
  speaker_.close_gate(address, "BFD session not Up yet");
  auto& peer = peers_[address];
  peer.settings = *settings;
  peer.first_up = clock_.make_timer(executor_);
  peer.first_up->arm(clock_.now() + kFirstUpWait, [this, address] { first_up_overdue(address); });
  start_session(address, peer);
}

void BfdPeers::first_up_overdue(const std::string& address) {
  const auto it = peers_.find(address);
  if (it == peers_.end() || it->second.been_up || !it->second.problem.empty()) return;
  spdlog::warn(
      "peer {}: BFD not Up after {} s: the BGP session starts without it (BFD guards it from "
      "its first Up on; some routers start BFD only once BGP is up)",
      address, std::chrono::duration_cast<std::chrono::seconds>(kFirstUpWait).count());
  speaker_.open_gate(address);
}

void BfdPeers::start_session(const std::string& address, Peer& peer) {
  if (!service_.started()) {
    if (auto r = service_.start(); !r) {
      peer.problem = "cannot receive BFD: " + r.error().message();
      spdlog::error("peer {}: {}; BGP stays down until it can (retrying every {} s)", address,
                    peer.problem, kRetryEvery.count());
      schedule_retry();
      return;
    }
  }
  const bfd::SessionOptions options{.peer_port = peer_port_,
                                    .multihop = peer.settings.multihop,
                                    .minimum_ttl = peer.settings.minimum_ttl};
  if (auto r = service_.add_session(peer.settings.peer, peer.settings.local, peer.settings.session,
                                    options);
      !r) {
    peer.problem = "cannot start the BFD session: " + r.error().message();
    spdlog::error("peer {}: {}; BGP stays down until it can (retrying every {} s)", address,
                  peer.problem, kRetryEvery.count());
    schedule_retry();
    return;
  }
  if (!peer.problem.empty()) {
    spdlog::info("peer {}: BFD session started", address);
    // The bounded wait for the first Up counts from now.
    if (!peer.been_up) {
      peer.first_up->arm(clock_.now() + kFirstUpWait,
                         [this, address] { first_up_overdue(address); });
    }
  }
  peer.problem.clear();
}

void BfdPeers::schedule_retry() {
  if (retry_->armed()) return;
  retry_->arm(clock_.now() + kRetryEvery, [this] {
    for (auto& [address, peer] : peers_) {
      if (!peer.problem.empty()) start_session(address, peer);
    }
  });
}

void BfdPeers::on_state(const IpAddress& peer_address, bfd::State from, bfd::State to,
                        bfd::Diag diag) {
  const std::string address = peer_address.to_string();
  const auto it = peers_.find(address);
  if (it == peers_.end()) return;
  if (to == bfd::State::kUp) {
    spdlog::info("peer {}: BFD Up: the BGP session may run", address);
    it->second.been_up = true;
    it->second.first_up->cancel();
    speaker_.open_gate(address);
    return;
  }
  if (from != bfd::State::kUp) return;  // the gate is already closed, or BFD was never Up
  const auto status = service_.status(peer_address);
  if (!is_failure(diag, status)) {
    spdlog::info(
        "peer {}: BFD Down as the peer says, in state {} with \"{}\" (not a path failure): "
        "the BGP session is left alone while BFD comes Up again",
        address, bfd::to_string(status->remote_state), diag_text(status->remote_diag));
    return;
  }
  const std::string why = diag == bfd::Diag::kNeighborSignaledSessionDown && status
                              ? "BFD Down: the peer says " + diag_text(status->remote_diag)
                              : "BFD Down: " + diag_text(diag);
  spdlog::warn("peer {}: {}: closing the BGP session (Cease / BFD Down)", address, why);
  speaker_.close_gate(address, why);
}

void BfdPeers::stop() {
  retry_->cancel();
  for (const auto& [address, peer] : peers_) service_.remove_session(peer.settings.peer);
  peers_.clear();
}

std::optional<admin::BfdView> BfdPeers::view(const std::string& address) const {
  const auto it = peers_.find(address);
  if (it == peers_.end()) return std::nullopt;
  admin::BfdView v;
  v.profile = it->second.settings.profile;
  v.problem = it->second.problem;
  v.desired_min_tx_ms = ms(it->second.settings.session.desired_min_tx);
  v.required_min_rx_ms = ms(it->second.settings.session.required_min_rx);
  v.detect_multiplier = it->second.settings.session.detect_mult;
  v.passive = it->second.settings.session.passive;
  v.multihop = it->second.settings.multihop;
  if (const auto s = service_.status(it->second.settings.peer)) {
    v.state = std::string(bfd::to_string(s->state));
    v.diag = diag_text(s->diag);
    v.remote_state = std::string(bfd::to_string(s->remote_state));
    v.remote_diag = diag_text(s->remote_diag);
    v.transmit_interval_ms = ms(s->transmit_interval);
    v.detection_time_ms = ms(s->detection_time);
    v.packets_sent = s->packets_sent;
    v.packets_received = s->packets_received;
    v.packets_dropped = s->packets_dropped;
    if (s->last_change) {
      v.since_change =
          std::chrono::duration_cast<std::chrono::seconds>(clock_.now() - *s->last_change);
    }
  } else {
    v.state = "Down";
    v.diag = diag_text(bfd::Diag::kNone);
    v.remote_state = "Down";
    v.remote_diag = diag_text(bfd::Diag::kNone);
  }
  return v;
}

}  // namespace vipd::daemon
