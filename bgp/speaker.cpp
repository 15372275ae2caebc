#include "bgp/speaker.hpp"

#include <spdlog/spdlog.h>

#include "common/asio_address.hpp"
#include "common/assert.hpp"
#include "common/logging.hpp"

namespace vipd::bgp {
namespace {

// A removed peer's session is checked this often, this many times, for its NOTIFICATION to be
// out and its socket closed (5 s at most).
constexpr auto kRetiringCheckEvery = std::chrono::milliseconds(50);
constexpr int kRetiringChecks = 100;
// After a failed accept (out of descriptors and the like), the listener waits this long.
constexpr auto kAcceptErrorPause = std::chrono::milliseconds(100);

}  // namespace

Speaker::Speaker(asio::any_io_executor executor, TimerClock& clock)
    : executor_(std::move(executor)), clock_(clock) {}

Speaker::~Speaker() {
  *alive_ = false;
  for (auto& l : listeners_) {
    boost::system::error_code ec;
    l->close(ec);
  }
}

Result<void> Speaker::listen(const asio::ip::tcp::endpoint& endpoint) {
  auto acceptor = std::make_unique<asio::ip::tcp::acceptor>(executor_);
  boost::system::error_code ec;
  const std::string where = (endpoint.address().is_v6() ? "[" + endpoint.address().to_string() + "]"
                                                        : endpoint.address().to_string()) +
                            ":" + std::to_string(endpoint.port());
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
  if (!ec && endpoint.address().is_v6()) acceptor->set_option(asio::ip::v6_only(true), ec);
  // The kernel answers a SYN with the listener's TTL: 255, so that a GTSM peer (RFC 5082 §3)
  // accepts the SYN-ACK. Each accepted connection then gets its own peer's TTL and minimum TTL.
  if (!ec) acceptor->set_option(asio::ip::unicast::hops(255), ec);
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return failure(Errc::kIoError, "BGP listener on " + where + ": " + ec.message());
  auto& ref = *acceptor;
  listeners_.push_back(std::move(acceptor));
  for (const auto& [address, peer] : peers_) set_listener_keys(peer->config, true);
  asio::co_spawn(executor_, accept_loop(ref), log_failure("BGP listener"));
  spdlog::info("BGP: accepting connections on {}", where);
  return success();
}

std::vector<asio::ip::tcp::endpoint> Speaker::listening() const {
  std::vector<asio::ip::tcp::endpoint> out;
  for (const auto& l : listeners_) {
    boost::system::error_code ec;
    auto e = l->local_endpoint(ec);
    if (!ec) out.push_back(e);
  }
  return out;
}

asio::awaitable<void> Speaker::accept_loop(asio::ip::tcp::acceptor& acceptor) {
  auto alive = alive_;
  while (true) {
    auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (!*alive || !acceptor.is_open()) co_return;
    if (ec) {
      // Out of descriptors and the like: say so, and do not spin on it.
      spdlog::warn("BGP listener: accept: {}", ec.message());
      co_await sleep_for(clock_, kAcceptErrorPause);
      if (!*alive) co_return;
      continue;
    }
    boost::system::error_code e;
    const auto endpoint = socket.remote_endpoint(e);
    if (e) continue;
    const std::string remote = host_address(endpoint.address()).to_string();
    const auto it = peers_.find(remote);
    if (it == peers_.end()) {
      spdlog::info("BGP listener: connection from {} closed: not a configured peer", remote);
      socket.close(e);
      continue;
    }
    it->second->session->accept(std::move(socket));
  }
}

void Speaker::set_listener_keys(const PeerConfig& config, bool install) {
  if (config.session.password.empty()) return;
  for (auto& l : listeners_) {
    boost::system::error_code ec;
    const auto local = l->local_endpoint(ec);
    if (ec || local.address().is_v6() != config.session.peer_address.is_v6()) continue;
    const auto problem = set_tcp_md5(l->native_handle(), config.session.peer_address,
                                     install ? config.session.password : "");
    if (!problem.empty()) {
      spdlog::warn("peer {}: listener: {}", config.session.peer_address.to_string(), problem);
    }
  }
}

ExportPolicy Speaker::policy_for(const Peer& peer, const Negotiated& negotiated) const {
  ExportPolicy p;
  p.local_as = peer.config.session.fsm.local_as;
  p.peer_as = peer.config.session.fsm.peer_as;
  p.codec = negotiated.send;
  const auto local = peer.session->local_address();
  p.next_hop_ipv4 = peer.config.next_hop_ipv4;
  p.next_hop_ipv6 = peer.config.next_hop_ipv6;
  if (local && local->is_v4() && !p.next_hop_ipv4) p.next_hop_ipv4 = local;
  if (local && local->is_v6() && !p.next_hop_ipv6) p.next_hop_ipv6 = local;
  p.ipv4_over_ipv6_next_hop = peer.config.ipv4_over_ipv6_next_hop;
  p.ipv4_unicast = false;
  p.ipv6_unicast = false;
  for (const AfiSafi& f : negotiated.families) {
    if (f == kIpv4Unicast) p.ipv4_unicast = true;
    if (f == kIpv6Unicast) p.ipv6_unicast = true;
  }
  p.graceful_shutdown = drain_;
  return p;
}

void Speaker::add_peer(PeerConfig config) {
  const std::string address = config.session.peer_address.to_string();
  auto peer = std::make_unique<Peer>();
  if (const auto it = peers_.find(address); it != peers_.end()) {
    if (it->second->config == config) return;  // the same settings: the session stays
    // The same peer with new settings: a new session, but its routes and counters carry on.
    auto old = take_peer(it, "peer reconfigured");
    peer->routes = std::move(old->routes);
    peer->transitions = old->transitions;
    peer->updates_sent = old->updates_sent;
    peer->refreshes_answered = old->refreshes_answered;
    retire(std::move(old));
  }
  peer->config = std::move(config);
  Peer* raw = peer.get();
  Session::Callbacks callbacks;
  callbacks.up = [this, raw](const action::Up& up) { on_up(*raw, up); };
  callbacks.down = [raw](Reason) {
    raw->established_since.reset();
    raw->held_up.reset();
    if (raw->rib) raw->rib->session_down();
  };
  callbacks.transition = [raw](const action::Transition& t) { ++raw->transitions[t.reason]; };
  callbacks.message = [this, raw](const Message& m) {
    // Received UPDATEs are dropped: vipd only originates. The FSM delivers only the
    // ROUTE-REFRESH requests that are to be answered.
    if (const auto* refresh = std::get_if<RouteRefresh>(&m)) answer_refresh(*raw, *refresh);
  };
  peer->session =
      std::make_unique<Session>(executor_, clock_, peer->config.session, std::move(callbacks));
  set_listener_keys(peer->config, true);
  peers_[address] = std::move(peer);
  if (!closed_gates_.contains(address)) raw->session->start();
}

void Speaker::remove_peer(const std::string& address, const std::string& message) {
  const auto it = peers_.find(address);
  if (it == peers_.end()) return;
  retire(take_peer(it, message));
}

std::unique_ptr<Speaker::Peer> Speaker::take_peer(PeerMap::iterator it,
                                                  const std::string& message) {
  set_listener_keys(it->second->config, false);
  it->second->session->stop(message);
  auto peer = std::move(it->second);
  peers_.erase(it);
  return peer;
}

void Speaker::retire(std::unique_ptr<Peer> peer) {
  // Keep the session until its NOTIFICATION is written and the socket closed, then drop it.
  retiring_.push_back(Retiring{std::move(peer), clock_.make_timer(executor_), kRetiringChecks});
  check_retiring(std::prev(retiring_.end()));
}

void Speaker::check_retiring(std::list<Retiring>::iterator it) {
  if (it->peer->session->quiescent() || it->checks_left == 0) {
    retiring_.erase(it);
    return;
  }
  --it->checks_left;
  it->timer->arm(clock_.now() + kRetiringCheckEvery, [this, it] { check_retiring(it); });
}

void Speaker::send_updates(Peer& peer, std::vector<std::uint8_t> bytes, std::size_t updates) {
  if (peer.session->send(std::move(bytes))) peer.updates_sent += updates;
}

void Speaker::on_up(Peer& peer, const action::Up& up) {
  peer.established_since = clock_.now();
  if (tables_held_) {
    peer.held_up = up;
    return;
  }
  send_table(peer, up);
}

void Speaker::hold_tables() { tables_held_ = true; }

void Speaker::release_tables() {
  if (!tables_held_) return;
  tables_held_ = false;
  for (auto& [address, peer] : peers_) {
    auto up = std::exchange(peer->held_up, std::nullopt);
    if (up && peer->session->state() == State::kEstablished) send_table(*peer, *up);
  }
}

void Speaker::send_table(Peer& peer, const action::Up& up) {
  peer.rib = std::make_unique<AdjRibOut>(policy_for(peer, up.negotiated));
  peer.rib->replace(routes_of(peer));
  std::vector<std::uint8_t> out;
  const std::size_t n = peer.rib->full_table(out);
  const auto& c = peer.rib->counters();
  spdlog::info("peer {}: sending {} IPv4 and {} IPv6 prefixes, then End-of-RIB",
               peer.config.session.peer_address.to_string(), c.advertised_ipv4, c.advertised_ipv6);
  if (c.held_back > 0) {
    spdlog::warn("peer {}: {} prefixes held back (family not negotiated or no next hop)",
                 peer.config.session.peer_address.to_string(), c.held_back);
  }
  send_updates(peer, std::move(out), n);
}

void Speaker::answer_refresh(Peer& peer, const RouteRefresh& refresh) {
  if (!peer.rib || peer.session->state() != State::kEstablished) return;
  const AfiSafi family{refresh.afi, refresh.safi};
  VIPD_ASSERT(family == kIpv4Unicast || family == kIpv6Unicast,
              "the FSM delivers refreshes for negotiated families only");
  flush(peer);  // what is owed anyway goes first, outside the refresh
  // RFC 2918 §4: the Adj-RIB-Out of that <AFI, SAFI> again. RFC 7313 §4: with Enhanced Route
  // Refresh negotiated, between a BoRR and an EoRR, so that the peer can drop what it still
  // holds from us and was not re-sent.
  const Negotiated& negotiated = peer.session->negotiated();
  const bool enhanced = negotiated.enhanced_route_refresh;
  std::vector<std::uint8_t> out;
  const auto marker = [&](std::uint8_t subtype) {
    const auto written =
        encode(RouteRefresh{refresh.afi, subtype, refresh.safi}, negotiated.send, out);
    VIPD_ASSERT(written.has_value(), "a ROUTE-REFRESH always fits");
  };
  if (enhanced) marker(route_refresh_subtype::kBegin);
  const std::size_t n =
      peer.rib->full_table(out, family == kIpv4Unicast ? Family::kV4 : Family::kV6);
  if (enhanced) marker(route_refresh_subtype::kEnd);
  send_updates(peer, std::move(out), n);
  ++peer.refreshes_answered;
}

void Speaker::flush(Peer& peer) {
  if (!peer.rib || peer.session->state() != State::kEstablished) return;
  std::vector<std::uint8_t> out;
  if (const std::size_t n = peer.rib->updates(out); n > 0) send_updates(peer, std::move(out), n);
}

void Speaker::set_routes(RouteSet routes) {
  routes_ = std::move(routes);
  for (auto& [address, peer] : peers_) {
    if (!peer->rib || peer->routes) continue;
    peer->rib->replace(routes_);
    flush(*peer);
  }
  interner_.collect();
}

const RouteSet* Speaker::peer_routes(const std::string& address) const {
  const auto it = peers_.find(address);
  if (it == peers_.end() || !it->second->routes) return nullptr;
  return &*it->second->routes;
}

void Speaker::set_peer_routes(const std::string& address, RouteSet routes) {
  const auto it = peers_.find(address);
  if (it == peers_.end()) return;
  Peer& peer = *it->second;
  peer.routes = std::move(routes);
  if (peer.rib) {
    peer.rib->replace(*peer.routes);
    flush(peer);
  }
  interner_.collect();
}

void Speaker::set_drain(bool drain) {
  drain_ = drain;
  for (auto& [address, peer] : peers_) {
    if (!peer->rib) continue;
    ExportPolicy p = peer->rib->policy();
    p.graceful_shutdown = drain;
    peer->rib->set_policy(p);
    flush(*peer);
  }
}

void Speaker::close_gate(const std::string& address, const std::string& why) {
  const auto [it, fresh] = closed_gates_.try_emplace(address, why);
  if (!fresh) return;
  if (const auto p = peers_.find(address); p != peers_.end()) {
    p->second->session->stop(why, cease::kBfdDown);
  }
}

void Speaker::open_gate(const std::string& address) {
  if (closed_gates_.erase(address) == 0 || stopped_) return;
  if (const auto p = peers_.find(address); p != peers_.end()) p->second->session->start();
}

void Speaker::stop_all(const std::string& message) {
  stopped_ = true;
  for (auto& l : listeners_) {
    boost::system::error_code ec;
    l->close(ec);
  }
  for (auto& [address, peer] : peers_) peer->session->stop(message);
}

bool Speaker::quiescent() const {
  for (const auto& [address, peer] : peers_) {
    if (!peer->session->quiescent()) return false;
  }
  return true;
}

std::vector<PeerStatus> Speaker::status() const {
  std::vector<PeerStatus> out;
  for (const auto& [address, peer] : peers_) {
    PeerStatus s;
    s.address = address;
    s.state = peer->session->state();
    s.last_error = peer->session->last_error();
    if (peer->rib) {
      s.advertised_ipv4 = peer->rib->counters().advertised_ipv4;
      s.advertised_ipv6 = peer->rib->counters().advertised_ipv6;
    }
    s.updates_sent = peer->updates_sent;
    s.route_refreshes_answered = peer->refreshes_answered;
    s.messages_received = peer->session->messages_received();
    if (s.state == State::kEstablished) s.established_since = peer->established_since;
    s.transitions = peer->transitions;
    if (const auto g = closed_gates_.find(address); g != closed_gates_.end())
      s.gate_closed = g->second;
    out.push_back(s);
  }
  return out;
}

}  // namespace vipd::bgp
