#pragma once
// Layer2Bfd: BFD between this speaker and the speakers ranked next to it for layer-2 VIPs, the
// fast liveness behind the Leases (DESIGN.md "Fast liveness").
//
// Responsible for: one RFC 5881 session (100 ms, Detect Mult 3: a dead speaker is noticed in
// 300 ms) with each node the caller names (vip::bfd_neighbours of the current decisions, plus
// the nodes BFD has failed, so that their recovery is seen), to the node's address, from this
// node's address of the same family; a session leaving Up for a failure (is_failure, as for BGP
// peers) marks the node failed in speaker::SpeakerLiveness — out of the live set at once — and
// Up clears the mark; saying so (the `changed` callback replans). Views for /status.
// Not responsible for: who to watch (vip/election.hpp), the live set's other rules
// (speaker/liveness.hpp: Kubernetes ends a disagreement after two Lease renewals), the BFD
// protocol (bfd/). Sessions share the daemon's BfdService with the BGP peers' (BfdPeers).
// Runs on the speaker's one thread.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "admin/status.hpp"
#include "bfd/transport.hpp"
#include "common/ip_address.hpp"
#include "speaker/liveness.hpp"

namespace vipd::daemon {

// The layer-2 sessions' timers: a dead speaker is noticed 300 ms after its last packet.
inline constexpr auto kLayer2BfdInterval = std::chrono::milliseconds(100);
inline constexpr std::uint8_t kLayer2BfdMultiplier = 3;

class Layer2Bfd {
 public:
  // `peer_port`: where the other speakers receive Control packets (unset: 3784). Tests only.
  Layer2Bfd(bfd::BfdService& service, speaker::SpeakerLiveness& liveness,
            std::function<void()> changed, std::optional<std::uint16_t> peer_port = std::nullopt);

  // Sessions with exactly these nodes (name → address), from `locals` (this node's addresses:
  // the first of each family is the source). A node whose address changed gets a new session.
  void set(const std::map<std::string, IpAddress>& nodes, const std::vector<IpAddress>& locals);
  // A state change of one of the service's sessions (other owners' are ignored).
  void on_state(const IpAddress& peer, bfd::State from, bfd::State to, bfd::Diag diag);
  // Every session stops, silently.
  void stop();

  std::vector<admin::SpeakerBfdView> views() const;

 private:
  bfd::BfdService& service_;
  speaker::SpeakerLiveness& liveness_;
  std::function<void()> changed_;
  std::optional<std::uint16_t> peer_port_;
  std::map<std::string, IpAddress> sessions_;  // node → its address (the session's key)
  std::map<IpAddress, std::string> nodes_;     // address → node
  std::string start_error_;                    // said once
};

}  // namespace vipd::daemon
