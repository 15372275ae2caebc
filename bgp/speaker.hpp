#pragma once
// Speaker: the set of BGP sessions of this node and the routes they announce.
//
// Responsible for: adding, changing and removing peers at run time without disturbing the
// others; replacing the desired route set atomically for every peer; per session an
// Adj-RIB-Out whose delta is sent as soon as the session is Established (full table and
// End-of-RIB when it comes up, the full table again on ROUTE-REFRESH); RFC 8326 drain.
// Not responsible for: deciding the routes (the planner), received routes (decoded, counted,
// dropped by the session).
// Runs on one io_context thread.

#include <map>
#include <memory>
#include <string>

#include "bgp/rib_out.hpp"
#include "bgp/session.hpp"

namespace vipd::bgp {

struct PeerConfig {
  SessionConfig session;
  // Next hops for the families that the session's own address does not give: the node's
  // global IPv6 address for IPv6 routes on an IPv4 session, and vice versa.
  std::optional<IpAddress> next_hop_ipv4;
  std::optional<IpAddress> next_hop_ipv6;
  bool ipv4_over_ipv6_next_hop = false;  // RFC 8950 on an IPv6 session
};

struct PeerStatus {
  std::string address;
  State state = State::kIdle;
  std::string last_error;
  std::size_t advertised_ipv4 = 0;
  std::size_t advertised_ipv6 = 0;
  std::uint64_t updates_sent = 0;
  std::uint64_t messages_received = 0;
};

class Speaker {
 public:
  explicit Speaker(asio::any_io_executor executor) : executor_(std::move(executor)) {}

  // Adds or replaces (by peer address) a peer; a replaced peer's session restarts.
  void add_peer(PeerConfig config);
  void remove_peer(const std::string& address, const std::string& message);
  void set_routes(RouteSet routes);
  void set_drain(bool drain);  // RFC 8326: re-announce everything with GRACEFUL_SHUTDOWN
  void stop_all(const std::string& message);

  std::vector<PeerStatus> status() const;
  AttributeInterner& interner() { return interner_; }

 private:
  struct Peer {
    PeerConfig config;
    std::unique_ptr<Session> session;
    std::unique_ptr<AdjRibOut> rib;
  };
  static void drop_when_quiet(std::shared_ptr<Peer> peer, std::shared_ptr<asio::steady_timer> timer,
                              int checks_left);
  void on_up(Peer& peer, const action::Up& up);
  void flush(Peer& peer);
  ExportPolicy policy_for(const Peer& peer, const Negotiated& negotiated) const;

  asio::any_io_executor executor_;
  std::map<std::string, std::unique_ptr<Peer>> peers_;
  RouteSet routes_;
  AttributeInterner interner_;
  bool drain_ = false;
};

}  // namespace vipd::bgp
