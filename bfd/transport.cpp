#include "bfd/transport.hpp"

#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "common/asio_address.hpp"
#include "common/datagram.hpp"

namespace vipd::bfd {

using asio::ip::udp;

struct BfdService::Receiver {
  Receiver(asio::any_io_executor executor, Family f, bool m)
      : family(f), multihop(m), socket(std::move(executor)) {}
  Family family;
  bool multihop;  // the RFC 5883 port: only multihop sessions match what arrives here
  udp::socket socket;
};

struct BfdService::Entry {
  Entry(asio::any_io_executor executor, Session s)
      : socket(std::move(executor)), session(std::move(s)) {}
  IpAddress peer;
  std::optional<IpAddress> local;
  bool multihop = false;
  std::uint8_t minimum_ttl = kSingleHopTtl;  // multihop only (single hop: exactly 255)
  udp::socket socket;                        // this session's own source port (RFC 5881 §4)
  udp::endpoint destination;
  Session session;
  std::unique_ptr<Timer> timer;
  std::uint64_t sent = 0;
  std::uint64_t received = 0;
  std::uint64_t dropped = 0;
  std::uint64_t send_errors = 0;
  std::optional<TimePoint> last_change;
};

namespace {

udp protocol(Family family) { return family == Family::kV4 ? udp::v4() : udp::v6(); }

udp::endpoint endpoint(const IpAddress& address, std::uint16_t port) {
  return {to_asio(address), port};
}

Error io_error(const std::string& what, const boost::system::error_code& ec) {
  return Error(Errc::kIoError, what + ": " + ec.message());
}

Result<void> set_int_option(udp::socket& socket, int level, int name, int value, const char* what) {
  if (::setsockopt(socket.native_handle(), level, name, &value, sizeof value) != 0) {
    return failure(Errc::kIoError, std::string(what) + ": " + std::strerror(errno));
  }
  return success();
}

// At most this many datagrams are read per readiness notification, so one busy socket cannot
// starve the timers sharing the executor.
constexpr int kReadBurst = 64;

}  // namespace

BfdService::BfdService(asio::any_io_executor executor, TimerClock& clock, ServiceOptions options)
    : executor_(std::move(executor)),
      clock_(clock),
      options_(options),
      rng_(std::random_device{}()) {
  next_discriminator_ = static_cast<std::uint32_t>(rng_());
}

BfdService::~BfdService() { stop(); }

Result<void> BfdService::start() {
  if (!receivers_.empty()) return failure(Errc::kConflict, "BFD service already started");
  for (const auto family : {Family::kV4, Family::kV6}) {
    if (!(family == Family::kV4 ? options_.ipv4 : options_.ipv6)) continue;
    for (const bool multihop : {false, true}) {
      if (auto r = open_receiver(family, multihop); !r) {
        receivers_.clear();
        return r;
      }
    }
  }
  for (auto& r : receivers_) wait_readable(r);
  return success();
}

Result<void> BfdService::open_receiver(Family family, bool multihop) {
  auto receiver = std::make_shared<Receiver>(executor_, family, multihop);
  auto& s = receiver->socket;
  boost::system::error_code ec;
  s.open(protocol(family), ec);
  if (ec) return io_error("BFD socket", ec);
  if (family == Family::kV4) {
    VIPD_TRY(set_int_option(s, IPPROTO_IP, IP_RECVTTL, 1, "IP_RECVTTL"));
    VIPD_TRY(set_int_option(s, IPPROTO_IP, IP_PKTINFO, 1, "IP_PKTINFO"));
  } else {
    s.set_option(asio::ip::v6_only(true), ec);
    if (ec) return io_error("IPV6_V6ONLY", ec);
    VIPD_TRY(set_int_option(s, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, "IPV6_RECVHOPLIMIT"));
    VIPD_TRY(set_int_option(s, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO"));
  }
  // RFC 5881 §4: single hop on 3784; RFC 5883 §5: multihop on 4784.
  const std::uint16_t port = multihop ? options_.multihop_port : options_.port;
  s.bind(endpoint(IpAddress::zero(family), port), ec);
  if (ec) {
    return io_error(fmt::format("BFD: cannot bind {} {} port {}", to_string(family),
                                multihop ? "multihop" : "single-hop", port),
                    ec);
  }
  s.non_blocking(true, ec);
  if (ec) return io_error("BFD socket non-blocking", ec);
  receivers_.push_back(std::move(receiver));
  return success();
}

std::optional<std::uint16_t> BfdService::port(Family family) const {
  return bound_port(family, false);
}

std::optional<std::uint16_t> BfdService::multihop_port(Family family) const {
  return bound_port(family, true);
}

std::optional<std::uint16_t> BfdService::bound_port(Family family, bool multihop) const {
  for (const auto& r : receivers_) {
    boost::system::error_code ec;
    if (r->family == family && r->multihop == multihop) {
      const auto local = r->socket.local_endpoint(ec);
      if (!ec) return local.port();
    }
  }
  return std::nullopt;
}

void BfdService::wait_readable(const std::shared_ptr<Receiver>& receiver) {
  // The completion holds the receiver weakly: after stop() it finds nothing and returns.
  receiver->socket.async_wait(
      udp::socket::wait_read,
      [this, weak = std::weak_ptr<Receiver>(receiver)](const boost::system::error_code& ec) {
        auto r = weak.lock();
        if (!r || ec || !r->socket.is_open()) return;
        read_all(*r);
        if (r->socket.is_open()) wait_readable(r);
      });
}

void BfdService::read_all(Receiver& receiver) {
  for (int i = 0; i < kReadBurst && receiver.socket.is_open(); ++i) {
    std::array<std::uint8_t, 512> buffer{};
    const auto d = receive_datagram(receiver.socket.native_handle(), buffer);
    if (!d) return;  // drained (or an error queued: next readiness)
    ++counters_.received;
    if (d->truncated || !d->source) {
      ++counters_.malformed;
      continue;
    }
    on_datagram(std::span<const std::uint8_t>(buffer.data(), d->size), *d->source,
                d->destination.value_or(IpAddress::zero(d->source->family())), d->ttl,
                receiver.multihop);
  }
}

void BfdService::on_datagram(std::span<const std::uint8_t> bytes, const IpAddress& source,
                             const IpAddress& destination, int ttl, bool multihop) {
  const auto packet = decode(bytes);
  if (!packet) {
    ++counters_.malformed;
    return;
  }
  Entry* entry = find(packet.value(), source, destination, multihop);
  if (!multihop) {
    // RFC 5881 §5: without authentication, a single-hop packet not received with TTL / hop
    // limit 255 has crossed a router (or was forged off-link) and is discarded (GTSM, RFC
    // 5082).
    if (ttl != kSingleHopTtl) {
      ++counters_.bad_ttl;
      if (entry != nullptr) ++entry->dropped;
      return;
    }
  } else if (entry != nullptr && ttl < entry->minimum_ttl) {
    // RFC 5883 §3: TTL 255 cannot be required across hops. The session's minimum (FRR's
    // minimum-ttl, which MetalLB's minimumTtl sets: "the minimum expected TTL for an incoming
    // BFD control packet") bounds how many routers a packet may have crossed; the rest were
    // sent from farther away, or forged.
    ++counters_.bad_ttl;
    ++entry->dropped;
    return;
  }
  if (entry == nullptr) {
    ++counters_.no_session;
    return;
  }
  auto output = entry->session.on_packet(packet.value(), clock_.now());
  if (!output) {
    ++entry->dropped;
    return;
  }
  ++entry->received;
  apply(*entry, std::move(output).value());
}

BfdService::Entry* BfdService::find(const ControlPacket& packet, const IpAddress& source,
                                    const IpAddress& destination, bool multihop) {
  // A datagram only ever reaches a session of the mode of the port it arrived on: 3784 is
  // single hop (RFC 5881 §4), 4784 multihop (RFC 5883 §5, "to aid in the demultiplexing").
  // RFC 5880 §6.8.6 and RFC 5883 §3: a nonzero Your Discriminator selects the session. vipd
  // also wants the source to be that session's peer: a discriminator guessed from elsewhere
  // selects nothing.
  if (packet.your_discriminator != 0) {
    const auto it = by_discriminator_.find(packet.your_discriminator);
    if (it == by_discriminator_.end() || it->second->peer != source ||
        it->second->multihop != multihop) {
      return nullptr;
    }
    return it->second;
  }
  // Your Discriminator 0 (a peer that has not learnt ours yet): source and destination (RFC
  // 5883 §4.1: the source/destination address pair; one session per peer address here).
  const auto it = sessions_.find(source);
  if (it == sessions_.end() || it->second->multihop != multihop) return nullptr;
  if (it->second->local && *it->second->local != destination) return nullptr;
  return it->second.get();
}

Result<void> BfdService::add_session(const IpAddress& peer, std::optional<IpAddress> local,
                                     SessionConfig config, SessionOptions options) {
  if (sessions_.contains(peer)) {
    return failure(Errc::kAlreadyExists, "BFD session to " + peer.to_string() + " exists");
  }
  if (local && local->family() != peer.family()) {
    return failure(Errc::kInvalidArgument, "BFD local address " + local->to_string() +
                                               " is not of the family of peer " + peer.to_string());
  }
  if (config.local_discriminator == 0) {
    config.local_discriminator = next_discriminator();
  } else if (by_discriminator_.contains(config.local_discriminator)) {
    return failure(Errc::kAlreadyExists,
                   fmt::format("BFD discriminator {} is in use", config.local_discriminator));
  }
  if (config.jitter_seed == 0) config.jitter_seed = static_cast<std::uint32_t>(rng_());
  const auto now = clock_.now();
  auto session = Session::create(config, now);
  if (!session) return failure(session.error().with_context("BFD session to " + peer.to_string()));

  auto entry = std::make_unique<Entry>(executor_, std::move(session).value());
  entry->peer = peer;
  entry->local = local;
  entry->multihop = options.multihop;
  if (options.multihop) entry->minimum_ttl = options.minimum_ttl;
  // RFC 5881 §4: to 3784; RFC 5883 §5: multihop to 4784.
  entry->destination =
      endpoint(peer, options.peer_port.value_or(options.multihop ? kMultiHopPort : kSingleHopPort));
  auto& s = entry->socket;
  boost::system::error_code ec;
  s.open(protocol(peer.family()), ec);
  if (ec) return io_error("BFD socket", ec);
  // RFC 5881 §5: sent with TTL / hop limit 255. RFC 5883 §5 keeps RFC 5881's encapsulation
  // and names no TTL: multihop packets leave with 255 too, so the peer's minimum TTL counts
  // the routers crossed (FRR sends 255 in both modes).
  if (peer.is_v4()) {
    VIPD_TRY(set_int_option(s, IPPROTO_IP, IP_TTL, kSingleHopTtl, "IP_TTL"));
  } else {
    VIPD_TRY(
        set_int_option(s, IPPROTO_IPV6, IPV6_UNICAST_HOPS, kSingleHopTtl, "IPV6_UNICAST_HOPS"));
  }
  s.non_blocking(true, ec);  // a full send buffer drops the packet rather than stall the loop
  if (ec) return io_error("BFD socket non-blocking", ec);
  // RFC 5881 §4 (and RFC 5883 §5, which keeps it): a source port of its own for each
  // session, in 49152-65535.
  std::uniform_int_distribution<int> ports(kSourcePortMin, kSourcePortMax);
  const IpAddress bind_address = local.value_or(IpAddress::zero(peer.family()));
  for (int attempt = 0;; ++attempt) {
    s.bind(endpoint(bind_address, static_cast<std::uint16_t>(ports(rng_))), ec);
    if (!ec) break;
    if (ec != asio::error::address_in_use || attempt == 100) {
      return io_error("BFD: cannot bind a source port on " + bind_address.to_string(), ec);
    }
  }
  entry->timer = clock_.make_timer(executor_);

  Entry& e = *entry;
  by_discriminator_[config.local_discriminator] = &e;
  sessions_.emplace(peer, std::move(entry));
  Output first;
  first.wake_at = e.session.wake_at();
  apply(e, std::move(first));
  return success();
}

bool BfdService::remove_session(const IpAddress& peer) {
  const auto it = sessions_.find(peer);
  if (it == sessions_.end()) return false;
  by_discriminator_.erase(it->second->session.local_discriminator());
  sessions_.erase(it);  // the timer's destructor cancels it; the socket closes
  return true;
}

Result<void> BfdService::reconfigure_session(const IpAddress& peer, SessionConfig config) {
  const auto it = sessions_.find(peer);
  if (it == sessions_.end()) {
    return failure(Errc::kNotFound, "no BFD session to " + peer.to_string());
  }
  Entry& e = *it->second;
  config.local_discriminator = e.session.config().local_discriminator;
  config.jitter_seed = e.session.config().jitter_seed;
  VIPD_TRY(auto output, e.session.reconfigure(config, clock_.now()));
  apply(e, std::move(output));
  return success();
}

bool BfdService::disable_session(const IpAddress& peer, Diag diag) {
  const auto it = sessions_.find(peer);
  if (it == sessions_.end()) return false;
  Entry& e = *it->second;
  apply(e, e.session.disable(diag, clock_.now()));
  return true;
}

bool BfdService::enable_session(const IpAddress& peer) {
  const auto it = sessions_.find(peer);
  if (it == sessions_.end()) return false;
  Entry& e = *it->second;
  apply(e, e.session.enable(clock_.now()));
  return true;
}

void BfdService::stop() {
  for (auto& r : receivers_) {
    boost::system::error_code ec;
    r->socket.close(ec);
  }
  receivers_.clear();
  by_discriminator_.clear();
  sessions_.clear();
}

void BfdService::apply(Entry& entry, Output output) {
  for (const auto& packet : output.send) send(entry, packet);
  if (output.wake_at) {
    entry.timer->arm(*output.wake_at,
                     [this, e = &entry] { apply(*e, e->session.on_time(clock_.now())); });
  } else {
    entry.timer->cancel();
  }
  if (output.changes.empty()) return;
  entry.last_change = clock_.now();
  // The callback may remove this session: nothing below touches the entry.
  const IpAddress peer = entry.peer;
  const auto changes = std::move(output.changes);
  for (const auto& c : changes) {
    spdlog::info("bfd peer {}: {} -> {} (diag {}: {})", peer.to_string(), to_string(c.from),
                 to_string(c.to), static_cast<int>(c.diag), to_string(c.diag));
  }
  if (on_state_) {
    const auto callback = on_state_;  // may be replaced by the callback itself
    for (const auto& c : changes) callback(peer, c.from, c.to, c.diag);
  }
}

void BfdService::send(Entry& entry, const ControlPacket& packet) {
  const auto bytes = encode(packet);
  boost::system::error_code ec;
  entry.socket.send_to(asio::buffer(bytes), entry.destination, 0, ec);
  if (ec) {
    ++entry.send_errors;
  } else {
    ++entry.sent;
  }
}

std::uint32_t BfdService::next_discriminator() {
  for (;;) {
    const std::uint32_t d = next_discriminator_++;
    if (d != 0 && !by_discriminator_.contains(d)) return d;
  }
}

std::optional<State> BfdService::state(const IpAddress& peer) const {
  const auto it = sessions_.find(peer);
  if (it == sessions_.end()) return std::nullopt;
  return it->second->session.state();
}

SessionStatus BfdService::status_of(const Entry& e) const {
  SessionStatus s;
  s.peer = e.peer;
  s.local = e.local;
  s.multihop = e.multihop;
  s.peer_port = e.destination.port();
  s.minimum_ttl = e.minimum_ttl;
  s.state = e.session.state();
  s.diag = e.session.local_diag();
  s.remote_state = e.session.remote_state();
  s.remote_diag = e.session.remote_diag();
  s.local_discriminator = e.session.local_discriminator();
  s.remote_discriminator = e.session.remote_discriminator();
  s.transmit_interval = e.session.transmit_interval();
  s.detection_time = e.session.detection_time();
  boost::system::error_code ec;
  const auto local = e.socket.local_endpoint(ec);
  if (!ec) s.source_port = local.port();
  s.packets_sent = e.sent;
  s.packets_received = e.received;
  s.packets_dropped = e.dropped;
  s.send_errors = e.send_errors;
  s.last_change = e.last_change;
  return s;
}

std::optional<SessionStatus> BfdService::status(const IpAddress& peer) const {
  const auto it = sessions_.find(peer);
  if (it == sessions_.end()) return std::nullopt;
  return status_of(*it->second);
}

std::vector<SessionStatus> BfdService::status() const {
  std::vector<SessionStatus> out;
  out.reserve(sessions_.size());
  for (const auto& [peer, entry] : sessions_) out.push_back(status_of(*entry));
  return out;
}

}  // namespace vipd::bfd
