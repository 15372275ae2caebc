#pragma once
// The settings of one BGP peer and what the speaker reports about it: plain values, no I/O.
//
// Responsible for: the session settings (transport and FSM), the next hops the peer's routes
// carry, and the status a peer exposes. Settings compare whole (every field, defaulted ==), so a
// caller can re-send its whole desired configuration and the speaker restarts exactly the
// sessions whose settings changed; a field added later can never be skipped by the comparison.
// Not responsible for: reading configuration files (config/), sockets (bgp_io).
// Pure values, usable from any thread.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "bgp/fsm.hpp"
#include "common/clock.hpp"
#include "common/ip_address.hpp"

namespace vipd::bgp {

struct SessionConfig {
  FsmConfig fsm;
  IpAddress peer_address;
  std::uint16_t peer_port = 179;
  std::optional<IpAddress> source_address;  // bind outgoing connections to it
  std::string password;                     // RFC 2385 TCP MD5; empty = none
  // Outgoing TTL / hop limit: 1 for a directly connected eBGP peer, N with ebgp-multihop,
  // 255 for iBGP. With `gtsm` (RFC 5082) it is 255 and incoming segments must arrive with at
  // least 255 - (gtsm_hops - 1).
  int ttl = 1;
  bool gtsm = false;
  int gtsm_hops = 1;

  friend bool operator==(const SessionConfig&, const SessionConfig&) = default;
};

struct PeerConfig {
  SessionConfig session;
  // Next hops for the families that the session's own address does not give: the node's
  // global IPv6 address for IPv6 routes on an IPv4 session, and vice versa.
  std::optional<IpAddress> next_hop_ipv4;
  std::optional<IpAddress> next_hop_ipv6;
  bool ipv4_over_ipv6_next_hop = false;  // RFC 8950 on an IPv6 session

  friend bool operator==(const PeerConfig&, const PeerConfig&) = default;
};

struct PeerStatus {
  std::string address;  // the peer's address, as IpAddress::to_string() writes it
  State state = State::kIdle;
  std::string last_error;
  std::size_t advertised_ipv4 = 0;
  std::size_t advertised_ipv6 = 0;
  // UPDATE messages handed to the session while Established (End-of-RIB markers included),
  // over the peer's lifetime: a counter that never goes back.
  std::uint64_t updates_sent = 0;
  std::uint64_t messages_received = 0;
  // ROUTE-REFRESH requests answered with the family's routes (RFC 2918, RFC 7313), over the
  // peer's lifetime.
  std::uint64_t route_refreshes_answered = 0;
  // Set while Established: when the session came up, on the speaker's clock.
  std::optional<Clock::time_point> established_since;
  // How many times the session changed state, by the reason of the change.
  std::map<Reason, std::uint64_t> transitions;
  // Set while the peer's BFD gate is closed (Speaker::close_gate): why.
  std::optional<std::string> gate_closed;
};

}  // namespace vipd::bgp
