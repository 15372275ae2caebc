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

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "bgp/rib_out.hpp"
#include "bgp/session.hpp"
#include "common/result.hpp"

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
  // Set while Established: when the session came up (steady clock).
  std::optional<std::chrono::steady_clock::time_point> established_since;
  // How many times the session changed state, by the reason of the change.
  std::map<Reason, std::uint64_t> transitions;
};

class Speaker {
 public:
  explicit Speaker(asio::any_io_executor executor) : executor_(std::move(executor)) {}
  ~Speaker();
  Speaker(const Speaker&) = delete;
  Speaker& operator=(const Speaker&) = delete;

  // Adds or replaces (by peer address) a peer; a replaced peer's session restarts.
  void add_peer(PeerConfig config);
  void remove_peer(const std::string& address, const std::string& message);
  // The routes every peer announces (peers given their own set below keep theirs).
  void set_routes(RouteSet routes);
  // The routes one peer announces, from now on instead of the common set. Unknown peer: no-op.
  void set_peer_routes(const std::string& address, RouteSet routes);
  void set_drain(bool drain);  // RFC 8326: re-announce everything with GRACEFUL_SHUTDOWN
  void stop_all(const std::string& message);  // also closes the listeners

  // Accepts the peers' connections on `endpoint` (one listener per call; an IPv6 one takes
  // only IPv6). A connection from an address that is no peer is closed at once; one from a
  // peer goes to its session (see Session::accept: RFC 4271 §6.8 collision detection). TCP MD5
  // keys of the peers are installed on the listener.
  Result<void> listen(const asio::ip::tcp::endpoint& endpoint);
  std::vector<asio::ip::tcp::endpoint> listening() const;

  std::vector<PeerStatus> status() const;
  // No session has anything left to write and every socket is closed (after stop_all()).
  bool quiescent() const;
  AttributeInterner& interner() { return interner_; }

 private:
  struct Peer {
    PeerConfig config;
    std::unique_ptr<Session> session;
    std::unique_ptr<AdjRibOut> rib;
    std::optional<RouteSet> routes;  // own routes, else the common set
    std::optional<std::chrono::steady_clock::time_point> established_since;
    std::map<Reason, std::uint64_t> transitions;
  };
  const RouteSet& routes_of(const Peer& peer) const { return peer.routes ? *peer.routes : routes_; }
  static void drop_when_quiet(std::shared_ptr<Peer> peer, std::shared_ptr<asio::steady_timer> timer,
                              int checks_left);
  void on_up(Peer& peer, const action::Up& up);
  void flush(Peer& peer);
  ExportPolicy policy_for(const Peer& peer, const Negotiated& negotiated) const;

  asio::awaitable<void> accept_loop(asio::ip::tcp::acceptor& acceptor);
  void set_listener_keys(const PeerConfig& config, bool install);

  asio::any_io_executor executor_;
  std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> listeners_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::map<std::string, std::unique_ptr<Peer>> peers_;
  RouteSet routes_;
  AttributeInterner interner_;
  bool drain_ = false;
};

}  // namespace vipd::bgp
