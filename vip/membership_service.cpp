#include "vip/membership_service.hpp"

#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <random>

#include "common/asio_address.hpp"
#include "common/assert.hpp"
#include "common/datagram.hpp"

namespace vipd::vip {

using asio::ip::udp;

struct MembershipService::Socket {
  Socket(asio::any_io_executor executor, Family f) : family(f), socket(std::move(executor)) {}
  Family family;
  udp::socket socket;
};

namespace {

// At most this many datagrams are read per readiness notification, so one busy socket cannot
// starve the timers sharing the executor.
constexpr int kReadBurst = 64;

Error io_error(const std::string& what, const boost::system::error_code& ec) {
  return Error(Errc::kIoError, what + ": " + ec.message());
}

Result<void> set_int_option(udp::socket& socket, int level, int name, int value, const char* what) {
  if (::setsockopt(socket.native_handle(), level, name, &value, sizeof value) != 0) {
    return failure(Errc::kIoError,
                   std::string("membership socket ") + what + ": " + std::strerror(errno));
  }
  return success();
}

std::vector<std::string> names_of(const std::map<std::string, std::vector<IpAddress>>& members) {
  std::vector<std::string> names;
  names.reserve(members.size());
  for (const auto& [name, addresses] : members) names.push_back(name);
  return names;
}

std::uint64_t random_incarnation() {
  std::random_device device;
  return (std::uint64_t{device()} << 32) ^ device();
}

}  // namespace

MembershipService::MembershipService(asio::any_io_executor executor, TimerClock& clock,
                                     MembershipOptions options, std::function<void()> changed)
    : executor_(std::move(executor)),
      clock_(clock),
      options_(std::move(options)),
      changed_(std::move(changed)),
      // start() refuses a multiplier out of range; Members is built before that check.
      members_(names_of(options_.members), std::clamp(options_.multiplier, 1, 255)),
      incarnation_(random_incarnation()) {}

MembershipService::~MembershipService() {
  for (auto& s : sockets_) {
    boost::system::error_code ec;
    s->socket.close(ec);
  }
}

Result<void> MembershipService::check_options() const {
  const auto bad = [](std::string message) {
    return failure(Errc::kInvalidArgument, "membership: " + std::move(message));
  };
  for (const auto& [name, addresses] : options_.members) {
    if (name.empty() || name.size() > kMaxNameLength) {
      return bad("member name \"" + name + "\" must be 1-253 bytes");
    }
  }
  if (!options_.members.contains(options_.node)) {
    return bad("this node \"" + options_.node + "\" is not among the members");
  }
  if (options_.interval.count() < 1 || options_.interval.count() > kMaxIntervalMs) {
    return bad("interval " + std::to_string(options_.interval.count()) +
               " ms is not within 1-60000 ms");
  }
  if (options_.multiplier < 1 || options_.multiplier > 255) {
    return bad("multiplier " + std::to_string(options_.multiplier) + " is not within 1-255");
  }
  if (options_.port == 0) return bad("port 0");
  if (options_.bind_v4 && !options_.bind_v4->is_v4()) return bad("bind_v4 is not IPv4");
  if (options_.bind_v6 && !options_.bind_v6->is_v6()) return bad("bind_v6 is not IPv6");
  return success();
}

Result<void> MembershipService::start() {
  if (started_) return failure(Errc::kConflict, "membership service already started");
  VIPD_TRY(check_options());
  bool needs_v4 = false;
  bool needs_v6 = false;
  for (const auto& [name, addresses] : options_.members) {
    for (const auto& a : addresses) (a.is_v4() ? needs_v4 : needs_v6) = true;
  }
  if (!needs_v4 && !needs_v6) {
    return failure(Errc::kInvalidArgument, "membership: no member has an address");
  }
  for (const auto family : {Family::kV4, Family::kV6}) {
    if (!(family == Family::kV4 ? needs_v4 : needs_v6)) continue;
    if (auto r = open(family); !r) {
      sockets_.clear();
      return r;
    }
  }
  for (const auto& [name, addresses] : options_.members) {
    if (name == options_.node) continue;
    if (addresses.empty()) {
      spdlog::warn("membership: member {} has no address: it can never be live", name);
    }
    for (const auto& a : addresses) {
      const auto socket = std::find_if(sockets_.begin(), sockets_.end(),
                                       [&](const auto& s) { return s->family == a.family(); });
      VIPD_ASSERT(socket != sockets_.end(), "no socket for a member's family");
      destinations_.push_back({*socket, udp::endpoint(to_asio(a), options_.port)});
    }
  }
  buffer_.resize(65536);
  send_timer_ = clock_.make_timer(executor_);
  expiry_timer_ = clock_.make_timer(executor_);
  started_ = true;
  for (auto& s : sockets_) wait_readable(s);
  send_timer_->arm(clock_.now(), [this] { on_send_timer(); });
  spdlog::info("membership: {} (incarnation {:016x}) heartbeats every {} ms to {} address{}",
               options_.node, incarnation_, options_.interval.count(), destinations_.size(),
               destinations_.size() == 1 ? "" : "es");
  return success();
}

Result<void> MembershipService::open(Family family) {
  auto socket = std::make_shared<Socket>(executor_, family);
  auto& s = socket->socket;
  boost::system::error_code ec;
  s.open(family == Family::kV4 ? udp::v4() : udp::v6(), ec);
  if (ec) return io_error("membership socket", ec);
  if (family == Family::kV4) {
    VIPD_TRY(set_int_option(s, IPPROTO_IP, IP_RECVTTL, 1, "IP_RECVTTL"));
    VIPD_TRY(set_int_option(s, IPPROTO_IP, IP_TTL, kMembershipTtl, "IP_TTL"));
  } else {
    s.set_option(asio::ip::v6_only(true), ec);
    if (ec) return io_error("membership socket IPV6_V6ONLY", ec);
    VIPD_TRY(set_int_option(s, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, "IPV6_RECVHOPLIMIT"));
    VIPD_TRY(
        set_int_option(s, IPPROTO_IPV6, IPV6_UNICAST_HOPS, kMembershipTtl, "IPV6_UNICAST_HOPS"));
  }
  const auto bind = family == Family::kV4 ? options_.bind_v4 : options_.bind_v6;
  const IpAddress address = bind.value_or(IpAddress::zero(family));
  s.bind(udp::endpoint(to_asio(address), options_.port), ec);
  if (ec) {
    return io_error(
        fmt::format("membership: cannot bind {} port {}", address.to_string(), options_.port), ec);
  }
  s.non_blocking(true, ec);  // a full send buffer drops the heartbeat rather than stall the loop
  if (ec) return io_error("membership socket non-blocking", ec);
  sockets_.push_back(std::move(socket));
  return success();
}

void MembershipService::wait_readable(const std::shared_ptr<Socket>& socket) {
  // The completion holds the socket weakly: after destruction it finds nothing and returns.
  socket->socket.async_wait(udp::socket::wait_read, [this, weak = std::weak_ptr<Socket>(socket)](
                                                        const boost::system::error_code& ec) {
    auto s = weak.lock();
    if (!s || ec || !s->socket.is_open()) return;
    read_all(*s);
    if (s->socket.is_open()) wait_readable(s);
  });
}

void MembershipService::read_all(Socket& socket) {
  bool changed = false;
  for (int i = 0; i < kReadBurst; ++i) {
    const auto d = receive_datagram(socket.socket.native_handle(), buffer_);
    if (!d) break;  // drained (or an error queued: next readiness)
    ++counters_.received;
    if (d->truncated || !d->source) {
      ++counters_.malformed;
      warn_once(Warning::kMalformed, "a datagram cut short by the read");
      continue;
    }
    changed |=
        on_datagram(std::span<const std::uint8_t>(buffer_.data(), d->size), *d->source, d->ttl);
  }
  changed |= refresh(clock_.now());
  if (changed) notify();  // last: the callback may call into the service
}

bool MembershipService::on_datagram(std::span<const std::uint8_t> bytes, const IpAddress& source,
                                    int ttl) {
  // GTSM (RFC 5082), as RFC 5881 §5 applies it to single-hop BFD: members share a LAN, so a
  // heartbeat that arrives with less than 255 was sent from beyond a router.
  if (ttl != kMembershipTtl) {
    ++counters_.bad_ttl;
    warn_once(Warning::kBadTtl, fmt::format("a datagram from {} with TTL / hop limit {}, not {}",
                                            source.to_string(), ttl, kMembershipTtl));
    return false;
  }
  auto decoded = decode(bytes);
  if (!decoded) {
    ++counters_.malformed;
    warn_once(Warning::kMalformed, "from " + source.to_string() + ": " + decoded.error().message());
    return false;
  }
  const Heartbeat& heartbeat = decoded.value();
  if (heartbeat.node == options_.node) {
    ++counters_.own_name;
    warn_once(Warning::kOwnName, "a heartbeat from " + source.to_string() +
                                     " names this node: is another host configured as " +
                                     options_.node + "?");
    return false;
  }
  const auto member = options_.members.find(heartbeat.node);
  if (member == options_.members.end()) {
    ++counters_.unknown_member;
    warn_once(Warning::kUnknownMember, "a heartbeat from " + source.to_string() + " names \"" +
                                           heartbeat.node + "\", which is not a member");
    return false;
  }
  const auto& addresses = member->second;
  if (std::find(addresses.begin(), addresses.end(), source) == addresses.end()) {
    ++counters_.wrong_source;
    warn_once(Warning::kWrongSource, "a heartbeat naming " + heartbeat.node + " came from " +
                                         source.to_string() +
                                         ", which is not one of its addresses");
    return false;
  }
  ++counters_.accepted;
  return members_.observe(heartbeat, clock_.now());
}

bool MembershipService::send_heartbeat(bool leaving) {
  Heartbeat h;
  h.node = options_.node;
  h.incarnation = incarnation_;
  h.sequence = ++sequence_;
  h.interval_ms = static_cast<std::uint32_t>(options_.interval.count());
  h.leaving = leaving;
  h.not_serving = not_serving_;
  const auto bytes = encode(h);
  for (const auto& d : destinations_) {
    boost::system::error_code ec;
    d.socket->socket.send_to(asio::buffer(bytes), d.endpoint, 0, ec);
    if (ec) {
      ++counters_.send_errors;
      warn_once(Warning::kSendError,
                fmt::format("sending to {}: {}", d.endpoint.address().to_string(), ec.message()));
    } else {
      ++counters_.sent;
    }
  }
  // This node as the others see it: what was sent, cut list included.
  auto sent = decode(bytes);
  VIPD_ASSERT(sent.has_value(), "a heartbeat this node encoded does not decode");
  return members_.observe(sent.value(), clock_.now());
}

void MembershipService::on_send_timer() {
  if (left_) return;
  send_timer_->arm(clock_.now() + options_.interval, [this] { on_send_timer(); });
  bool changed = send_heartbeat(false);
  changed |= refresh(clock_.now());
  if (changed) notify();
}

void MembershipService::on_expiry_timer() {
  if (refresh(clock_.now())) notify();
}

void MembershipService::set_not_serving(std::vector<std::string> keys) {
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  std::erase(keys, std::string());
  if (keys == not_serving_) return;
  not_serving_ = std::move(keys);
  // At once, but from the executor: `changed` is reported from there, not from this call.
  if (started_ && !left_) send_timer_->arm(clock_.now(), [this] { on_send_timer(); });
}

void MembershipService::leave() {
  if (!started_ || left_) return;
  left_ = true;
  send_timer_->cancel();
  send_heartbeat(true);
  refresh(clock_.now());  // the caller knows: nothing is reported
  spdlog::info("membership: {} left (sent {} leaving heartbeats)", options_.node,
               destinations_.size());
}

bool MembershipService::refresh(Clock::time_point now) {
  auto live = members_.live(now);
  if (const auto next = members_.next_expiry(now)) {
    expiry_timer_->arm(*next, [this] { on_expiry_timer(); });
  } else {
    expiry_timer_->cancel();
  }
  if (live == reported_live_) return false;
  for (const auto& name : live) {
    if (!reported_live_.contains(name)) spdlog::info("membership: {} is live", name);
  }
  for (const auto& name : reported_live_) {
    if (!live.contains(name)) spdlog::info("membership: {} is not live", name);
  }
  reported_live_ = std::move(live);
  return true;
}

void MembershipService::notify() {
  if (changed_) changed_();
}

void MembershipService::warn_once(Warning warning, const std::string& message) {
  if (!warned_.insert(warning).second) return;
  spdlog::warn("membership: {} (further ones are only counted)", message);
}

}  // namespace vipd::vip
