#pragma once
// Speaker: the set of BGP sessions of this node and the routes they announce.
//
// Responsible for: adding, changing and removing peers at run time without disturbing the
// others (a peer given the settings it already has is left alone, so callers may re-send their
// whole desired configuration); replacing the desired route set atomically for every peer;
// per session an Adj-RIB-Out whose delta is sent as soon as the session is Established (full
// table and End-of-RIB when it comes up, one family's routes again on ROUTE-REFRESH, between
// BoRR and EoRR with RFC 7313); RFC 8326 drain; accepting the peers' connections.
// Not responsible for: deciding the routes (the planner), received routes (decoded, counted,
// dropped by the session).
// Every wait and every "now" goes through the TimerClock given at construction, which must
// outlive the speaker.
// Runs on one io_context thread.

#include <list>
#include <map>
#include <memory>
#include <string>

#include "bgp/peer_config.hpp"
#include "bgp/rib_out.hpp"
#include "bgp/session.hpp"
#include "common/result.hpp"
#include "common/timer.hpp"

namespace vipd::bgp {

class Speaker {
 public:
  Speaker(asio::any_io_executor executor, TimerClock& clock);
  ~Speaker();
  Speaker(const Speaker&) = delete;
  Speaker& operator=(const Speaker&) = delete;

  // Adds a peer, keyed by its address. For a known peer: nothing happens when `config` equals
  // its settings (operator==, every field); otherwise its session restarts with the new ones
  // (Cease to the peer first); its own routes and its counters carry on.
  void add_peer(PeerConfig config);
  void remove_peer(const std::string& address, const std::string& message);
  // The routes every peer announces (peers given their own set below keep theirs).
  void set_routes(RouteSet routes);
  // The routes one peer announces, from now on instead of the common set. Unknown peer: no-op.
  void set_peer_routes(const std::string& address, RouteSet routes);
  // The peer's own routes (set_peer_routes), or null: unknown peer, or it announces the common
  // set.
  const RouteSet* peer_routes(const std::string& address) const;
  void set_drain(bool drain);  // RFC 8326: re-announce everything with GRACEFUL_SHUTDOWN
  // The BFD gate of the peer at `address` (RFC 9384; RFC 5882 §4.2: BFD Down takes the BGP
  // session down, and it does not come back while BFD is down). Closing it stops the session at
  // once with Cease / BFD Down (subcode 10) and keeps it Idle, refusing the peer's connections;
  // opening it starts the session again. Gates are kept by address whether or not the peer
  // exists: close one before add_peer() and that peer never connects until it opens.
  // `why` is the transition's detail in the log and in status().
  void close_gate(const std::string& address, const std::string& why);
  void open_gate(const std::string& address);
  // Also closes the listeners; no gate opened later starts a session again.
  void stop_all(const std::string& message);
  // Until release_tables(), sessions open and come up but no UPDATE goes out, End-of-RIB
  // included: a daemon opens its sessions while its first plan is computed, and a peer's first
  // table must be the complete one (an empty table with End-of-RIB tells a router that had our
  // routes from before a restart to drop them, RFC 4724 §4.2). release_tables() sends each
  // Established peer its full table and End-of-RIB, as coming up does otherwise.
  void hold_tables();
  void release_tables();
  bool tables_held() const { return tables_held_; }

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
    std::optional<Clock::time_point> established_since;
    std::map<Reason, std::uint64_t> transitions;
    std::uint64_t updates_sent = 0;
    std::uint64_t refreshes_answered = 0;
    std::optional<action::Up> held_up;  // came up while tables were held: owed its table
  };
  // A removed peer whose session still writes its NOTIFICATION.
  struct Retiring {
    std::unique_ptr<Peer> peer;
    std::unique_ptr<vipd::Timer> timer;
    int checks_left = 0;
  };
  using PeerMap = std::map<std::string, std::unique_ptr<Peer>>;
  const RouteSet& routes_of(const Peer& peer) const { return peer.routes ? *peer.routes : routes_; }
  // Stops the peer's session (Cease with `message`) and takes the peer out of peers_.
  std::unique_ptr<Peer> take_peer(PeerMap::iterator it, const std::string& message);
  void retire(std::unique_ptr<Peer> peer);
  void check_retiring(std::list<Retiring>::iterator it);
  void on_up(Peer& peer, const action::Up& up);
  // The peer's Adj-RIB-Out from scratch, its full table and End-of-RIB.
  void send_table(Peer& peer, const action::Up& up);
  void flush(Peer& peer);
  // A ROUTE-REFRESH request the FSM let through (subtype 0, a negotiated family).
  void answer_refresh(Peer& peer, const RouteRefresh& refresh);
  // Hands `updates` UPDATE messages, encoded in `bytes`, to the peer's session.
  static void send_updates(Peer& peer, std::vector<std::uint8_t> bytes, std::size_t updates);
  ExportPolicy policy_for(const Peer& peer, const Negotiated& negotiated) const;

  asio::awaitable<void> accept_loop(asio::ip::tcp::acceptor& acceptor);
  void set_listener_keys(const PeerConfig& config, bool install);

  asio::any_io_executor executor_;
  TimerClock& clock_;
  std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> listeners_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  PeerMap peers_;
  std::list<Retiring> retiring_;
  std::map<std::string, std::string> closed_gates_;  // peer address -> why
  RouteSet routes_;
  AttributeInterner interner_;
  bool drain_ = false;
  bool stopped_ = false;  // stop_all() was called
  bool tables_held_ = false;
};

}  // namespace vipd::bgp
