#pragma once
// RouteReconciler: turns each plan (planner/) into the calls on the BGP speaker that make the
// speaker match it, for every daemon that announces routes (standalone now, the Kubernetes
// speaker next).
//
// Responsible for: the desired peer set (a peer is added when new, re-added when any of its
// session settings changed — compared whole, so a new setting can never be ignored on reload —
// removed with a Cease when no longer planned), each peer's BFD session (set before the peer is
// added, changed on its own without restarting BGP), each peer's route set (replaced only when the
// planned routes toward it changed; the speaker's Adj-RIB-Out then sends just the difference),
// listeners for passive peers, and saying what changed (notes for the log, the decisions for
// /status). Peer settings come from config/ through translate.hpp; host facts from host.hpp.
// Not responsible for: deciding the routes (planner/), sessions and UPDATEs (bgp/), logging
// (it returns notes; the caller logs them).
// Pure: the speaker is reached through SpeakerControl; no I/O, clock or logging. Called on the
// daemon's one thread.

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "bgp/peer_config.hpp"
#include "bgp/rib_out.hpp"
#include "common/result.hpp"
#include "daemon/host.hpp"
#include "daemon/translate.hpp"
#include "planner/planner.hpp"

namespace vipd::daemon {

// The BGP speaker as the reconciler drives it (daemon/speaker_control.hpp adapts bgp::Speaker;
// tests record the calls).
class SpeakerControl {
 public:
  virtual ~SpeakerControl() = default;
  // Adds the peer, or replaces the one with its address (its session restarts).
  virtual void add_peer(const bgp::PeerConfig& config) = 0;
  virtual void remove_peer(const std::string& address, const std::string& message) = 0;
  // The BFD session guarding the peer at `address` (nullopt: none). Called before add_peer()
  // for a new peer, so that a peer with BFD does not connect before BFD is Up; after
  // remove_peer() for a peer that goes.
  virtual void set_bfd(const std::string& address, const std::optional<BfdPeerSettings>& bfd) = 0;
  virtual void set_peer_routes(const std::string& address, bgp::RouteSet routes) = 0;
  // What set_peer_routes() last gave the peer, as the speaker holds it; null for a peer it does
  // not know. The reconciler compares new plans with it instead of keeping a copy.
  virtual const bgp::RouteSet* peer_routes(const std::string& address) const = 0;
  // Accepts the peers' connections on address:port.
  virtual Result<void> listen(const IpAddress& address, std::uint16_t port) = 0;
  virtual bgp::AttributeInterner& interner() = 0;
};

// Passive peers are accepted on the BGP port.
inline constexpr std::uint16_t kBgpPort = 179;

// What the reconciler needs beside the plan.
struct HostContext {
  std::string node;
  std::vector<HostAddress> host;          // daemon/host.hpp host_addresses()
  std::vector<IpAddress> node_addresses;  // the configuration's addresses for this node
  PeerOptions options;
};

// A line for the log: the reconciler says what happened instead of logging it.
struct Note {
  enum class Level : std::uint8_t { kInfo, kWarning, kError };
  Level level = Level::kInfo;
  std::string text;
  friend bool operator==(const Note&, const Note&) = default;
};

// What to log of `notes`: every warning and error, and the first `max_info` informational notes
// followed, when more were cut, by one that counts them. 100,000 services make 100,000 "announces"
// notes at start-up: a log, and the time to write it, should not grow with that; /status and
// `vipd status` show every service and decision.
inline constexpr std::size_t kMaxInfoNotes = 50;
std::vector<Note> bounded_notes(std::vector<Note> notes, std::size_t max_info = kMaxInfoNotes);

// What /status shows of a peer beside the speaker's own status.
struct PeerIdentity {
  std::string name;
  std::uint32_t asn = 0;
  std::uint32_t local_asn = 0;
};

class RouteReconciler {
 public:
  explicit RouteReconciler(SpeakerControl& speaker) : speaker_(speaker) {}

  // Makes the speaker match `plan`. Returns what to log: peers added, changed and removed,
  // problems (each reported once until it changes), and decisions that are new since the last
  // plan.
  std::vector<Note> apply(planner::Plan plan, const HostContext& host);
  // Empties every peer's routes (the end of a drain); the sessions stay.
  void withdraw_all();

  const std::map<std::string, PeerIdentity>& peers() const { return identities_; }
  const std::vector<planner::Decision>& decisions() const { return decisions_; }

 private:
  struct Applied {
    bgp::PeerConfig config;
    std::optional<BfdPeerSettings> bfd;
  };
  SpeakerControl& speaker_;
  std::map<std::string, Applied> applied_;  // by peer address
  std::map<std::string, PeerIdentity> identities_;
  std::map<std::string, std::string> problems_;  // peer -> the problem last reported
  std::set<std::pair<IpAddress, std::uint16_t>> listening_;
  std::vector<planner::Decision> decisions_;
};

}  // namespace vipd::daemon
