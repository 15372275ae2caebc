#pragma once
// BfdPeers: the BFD sessions that guard this node's BGP sessions (RFC 5882 §4.2), each tied to
// its peer's gate in the BGP speaker (bgp::Speaker::close_gate / open_gate).
//
// Responsible for: one BFD session per peer whose configuration names a BFD profile (started,
// changed and stopped as the RouteReconciler asks through SpeakerControl::set_bfd); the
// receiving sockets, opened with the first session; the gate: closed from the moment BFD is
// configured until the session is Up ("BGP is not brought up while BFD is down"), for at most
// kFirstUpWait: some routers start their BFD session only once BGP is up (FRR 8.4 does for
// multihop peers, its source address being unknown before), so waiting longer would deadlock;
// BGP then starts without BFD, and BFD guards it from its first Up on. The gate closes again
// when it leaves Up (the speaker sends Cease / BFD Down, RFC 9384), opened on Up. Leaving Up
// is a failure when this side's detection time expired, or when the peer's Diag reports one;
// a peer in AdminDown (RFC 5882 §3.2) or one that restarted its session (FRR does, once BGP
// gave it the source address) leaves BGP alone. A session that cannot
// start (its source address cannot be bound, port 3784 taken) keeps the gate closed, says why
// in its status, and is tried again every few seconds.
// Not responsible for: the BFD protocol (bfd/), BGP (bgp/), deciding which peers have BFD (the
// RouteReconciler), multihop (refused by config/ for now).
// Runs on the daemon's one thread; every wait goes through the TimerClock.

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "admin/status.hpp"
#include "bfd/transport.hpp"
#include "bgp/speaker.hpp"
#include "common/timer.hpp"
#include "daemon/translate.hpp"

namespace vipd::daemon {

// Whether a session leaving Up (to Down with `diag`; `status` read after the change) is a
// failure of the path: this side's detection time expired, or the peer said Down with a Diag
// that reports one (1, 2, 4, 5, 6, 8). AdminDown (RFC 5882 §3.2), Diag 0 (a session the peer
// just created) and Diag 3 (the peer deleting its session: FRR says so) are not: the packet that
// carried them came over the path.
bool is_failure(bfd::Diag diag, const std::optional<bfd::SessionStatus>& status);

// How long BGP waits for a new BFD session's first Up before it starts without it.
inline constexpr Clock::duration kFirstUpWait = std::chrono::seconds(5);

class BfdPeers {
 public:
  // `service` is the daemon's, shared with the layer-2 sessions: the daemon passes its state
  // changes to on_state(). `peer_port`: where the peers receive Control packets; unset, the
  // mode's port (3784, 4784 multihop). Tests only.
  BfdPeers(asio::any_io_executor executor, TimerClock& clock, bgp::Speaker& speaker,
           bfd::BfdService& service, std::optional<std::uint16_t> peer_port = std::nullopt);
  BfdPeers(const BfdPeers&) = delete;
  BfdPeers& operator=(const BfdPeers&) = delete;

  // The BFD session of the peer at `address` (the speaker's key), or none. A new session closes
  // the peer's gate until it is Up; new timers are applied to the running session (RFC 5880
  // §6.8.3 Poll Sequence: BGP stays up); none opens the gate.
  void set(const std::string& address, const std::optional<BfdPeerSettings>& settings);
  // Stops every session silently (the end of a shutdown, after BGP was closed).
  void stop();
  // A state change of one of the service's sessions (other owners' sessions are ignored).
  void on_state(const IpAddress& peer, bfd::State from, bfd::State to, bfd::Diag diag);

  // The view of the peer's BFD session for /status, or none when the peer has no BFD.
  std::optional<admin::BfdView> view(const std::string& address) const;

 private:
  struct Peer {
    BfdPeerSettings settings;
    std::string problem;              // why the session is not running, "" when it is
    bool been_up = false;             // from the first Up on, the gate follows the session
    std::unique_ptr<Timer> first_up;  // the bounded wait for the first Up
  };

  void start_session(const std::string& address, Peer& peer);
  void first_up_overdue(const std::string& address);
  void schedule_retry();

  asio::any_io_executor executor_;
  TimerClock& clock_;
  bgp::Speaker& speaker_;
  bfd::BfdService& service_;
  std::optional<std::uint16_t> peer_port_;
  std::map<std::string, Peer> peers_;  // by the speaker's peer key
  std::unique_ptr<Timer> retry_;
};

}  // namespace vipd::daemon
