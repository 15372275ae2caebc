#include "bgp/session.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <cstring>

#include "common/asio_address.hpp"
#include "common/logging.hpp"

namespace vipd::bgp {
namespace {

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

std::string describe(const Notification& n) { return error_name(n.code, n.subcode); }

}  // namespace

Session::Session(asio::any_io_executor executor, TimerClock& clock, SessionConfig config,
                 Callbacks callbacks)
    : executor_(std::move(executor)),
      clock_(clock),
      config_(std::move(config)),
      name_(config_.peer_address.to_string()),
      callbacks_(std::move(callbacks)),
      fsm_(config_.fsm),
      socket_(executor_) {}

Session::~Session() {
  *alive_ = false;
  boost::system::error_code ignored;
  socket_.close(ignored);
}

void Session::start() { dispatch(event::Start{}); }

void Session::stop(std::string message, std::uint8_t subcode) {
  dispatch(event::Stop{subcode, std::move(message)});
}

bool Session::send(std::vector<std::uint8_t> bytes) {
  if (fsm_.state() != State::kEstablished) return false;
  write(std::move(bytes));
  return true;
}

void Session::dispatch(const Event& event) { perform(fsm_.handle(event, clock_.now())); }

void Session::perform(std::vector<Action> actions) {
  for (auto& a : actions) {
    std::visit(
        [&](auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, action::Connect>) {
            connect();
          } else if constexpr (std::is_same_v<T, action::Disconnect>) {
            disconnect();
          } else if constexpr (std::is_same_v<T, action::UseIncoming>) {
            use_incoming();
          } else if constexpr (std::is_same_v<T, action::AwaitOpen>) {
            await_open(x.within);
          } else if constexpr (std::is_same_v<T, action::CloseConnection>) {
            close_connection(x);
          } else if constexpr (std::is_same_v<T, action::Send>) {
            std::vector<std::uint8_t> bytes;
            if (auto r = encode(x.message, negotiated_.send, bytes); !r) {
              spdlog::error("peer {}: cannot encode a message: {}", name_, r.error().message());
              return;
            }
            write(std::move(bytes));
          } else if constexpr (std::is_same_v<T, action::StartTimer>) {
            start_timer(x.timer, x.after);
          } else if constexpr (std::is_same_v<T, action::StopTimer>) {
            stop_timer(x.timer);
          } else if constexpr (std::is_same_v<T, action::Transition>) {
            if (x.reason == Reason::kConnectTimeout && !config_.password.empty()) {
              // A wrong TCP MD5 key is silence, not an error: say what it may be.
              x.detail = "no answer; with TCP MD5 on, check that both sides use the same password";
            }
            if (!x.detail.empty() && x.to == State::kIdle) last_error_ = x.detail;
            spdlog::info("peer {}: {} -> {} ({}{}{})", name_, to_string(x.from), to_string(x.to),
                         to_string(x.reason), x.detail.empty() ? "" : ": ", x.detail);
            if (callbacks_.transition) callbacks_.transition(x);
          } else if constexpr (std::is_same_v<T, action::Up>) {
            negotiated_ = x.negotiated;
            framer_.set_max_message_size(negotiated_.receive.max_message_size());
            if (callbacks_.up) callbacks_.up(x);
          } else if constexpr (std::is_same_v<T, action::Down>) {
            if (callbacks_.down) callbacks_.down(x.reason);
          } else if constexpr (std::is_same_v<T, action::Deliver>) {
            if (callbacks_.message) callbacks_.message(x.message);
          }
        },
        a);
  }
}

std::string set_tcp_md5(int fd, const IpAddress& peer, std::string_view key) {
  tcp_md5sig md5{};
  std::memset(&md5, 0, sizeof md5);
  const AddressBytes bytes = peer.bytes();
  if (peer.is_v6()) {
    auto* sa = reinterpret_cast<sockaddr_in6*>(&md5.tcpm_addr);
    sa->sin6_family = AF_INET6;
    std::memcpy(&sa->sin6_addr, bytes.data.data(), bytes.size);
  } else {
    auto* sa = reinterpret_cast<sockaddr_in*>(&md5.tcpm_addr);
    sa->sin_family = AF_INET;
    std::memcpy(&sa->sin_addr, bytes.data.data(), bytes.size);
  }
  if (key.size() > TCP_MD5SIG_MAXKEYLEN) return "TCP MD5 password is too long";
  md5.tcpm_keylen = static_cast<std::uint16_t>(key.size());  // 0 removes the key
  std::memcpy(md5.tcpm_key, key.data(), key.size());
  if (setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &md5, sizeof md5) != 0) {
    return errno_text(key.empty() ? "removing the TCP MD5 password"
                                  : "setting the TCP MD5 password");
  }
  return {};
}

std::string Session::configure_socket(asio::ip::tcp::socket& socket, bool outgoing) {
  const int fd = socket.native_handle();
  const bool v6 = config_.peer_address.is_v6();
  if (!config_.password.empty() && outgoing) {
    // RFC 2385 (an accepted connection inherits the key from the speaker's listener).
    if (auto problem = set_tcp_md5(fd, config_.peer_address, config_.password); !problem.empty()) {
      return problem;
    }
  }
  const int ttl = config_.gtsm ? 255 : config_.ttl;
  if (setsockopt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_UNICAST_HOPS : IP_TTL, &ttl,
                 sizeof ttl) != 0) {
    return errno_text("setting the TTL");
  }
  if (config_.gtsm) {
    // RFC 5082 §3: accept only segments that crossed at most gtsm_hops routers.
    const int min_ttl = 256 - config_.gtsm_hops;
    if (setsockopt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_MINHOPCOUNT : IP_MINTTL, &min_ttl,
                   sizeof min_ttl) != 0) {
      return errno_text("setting the minimum TTL");
    }
  }
  const int on = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  return {};
}

void Session::connect() {
  const std::uint64_t generation = ++generation_;
  closing_ = false;
  writing_ = false;  // a loop of the old connection ends by itself when its socket closes
  queue_.clear();
  asio::co_spawn(executor_, connect_loop(generation), log_failure("peer " + name_ + " connect"));
}

asio::awaitable<void> Session::connect_loop(std::uint64_t generation) {
  auto alive = alive_;
  const asio::ip::tcp::endpoint remote = to_endpoint(config_.peer_address, config_.peer_port);
  boost::system::error_code ec;
  socket_.close(ec);
  socket_.open(remote.protocol(), ec);
  std::string problem = ec ? "socket: " + ec.message() : configure_socket(socket_, true);
  if (problem.empty() && config_.source_address) {
    socket_.bind(to_endpoint(*config_.source_address, 0), ec);
    if (ec) problem = "binding " + config_.source_address->to_string() + ": " + ec.message();
  }
  if (problem.empty()) {
    auto [error] = co_await socket_.async_connect(remote, asio::as_tuple(asio::use_awaitable));
    if (!*alive || generation != generation_) co_return;
    if (error) problem = error.message();
  }
  if (!problem.empty()) {
    socket_.close(ec);
    dispatch(event::ConnectFailed{problem});
    co_return;
  }
  outgoing_ = true;
  const auto local = socket_.local_endpoint(ec);
  local_address_ = ec ? std::nullopt : std::optional(host_address(local.address()));
  framer_ = Framer();
  negotiated_ = Negotiated{};
  asio::co_spawn(executor_, read_loop(generation), log_failure("peer " + name_ + " read"));
  dispatch(event::Connected{});
}

void Session::accept(asio::ip::tcp::socket socket) {
  if (const auto problem = configure_socket(socket, false); !problem.empty()) {
    spdlog::warn("peer {}: incoming connection dropped: {}", name_, problem);
    return;
  }
  // A newer connection replaces one still held for its OPEN (the peer gave up on that one).
  incoming_ = std::make_unique<Incoming>(std::move(socket));
  incoming_->id = ++incoming_ids_;
  const std::uint64_t id = incoming_->id;
  dispatch(event::Accepted{});
  // The FSM always says what becomes of it; should it not, the connection is not kept open.
  if (incoming_ && incoming_->id == id && !incoming_->deadline) incoming_.reset();
}

void Session::adopt(asio::ip::tcp::socket socket, bool outgoing, Framer framer) {
  ++generation_;  // the loops of the old connection (and a pending connect) end by themselves
  boost::system::error_code ec;
  socket_.close(ec);
  socket_ = std::move(socket);
  outgoing_ = outgoing;
  closing_ = false;
  writing_ = false;
  queue_.clear();
  const auto local = socket_.local_endpoint(ec);
  local_address_ = ec ? std::nullopt : std::optional(host_address(local.address()));
  framer_ = std::move(framer);
  framer_.set_max_message_size(kMaxMessageSize);
  negotiated_ = Negotiated{};
  asio::co_spawn(executor_, read_loop(generation_), log_failure("peer " + name_ + " read"));
}

void Session::use_incoming() {
  if (!incoming_) return;
  auto in = std::move(incoming_);
  adopt(std::move(in->socket), false, std::move(in->framer));
}

void Session::await_open(Duration within) {
  if (!incoming_) return;
  const std::uint64_t id = incoming_->id;
  incoming_->deadline = clock_.make_timer(executor_);
  incoming_->deadline->arm(clock_.now() + within, [this, id] {
    if (!incoming_ || incoming_->id != id) return;
    spdlog::info("peer {}: incoming connection sent no OPEN in time: closed", name_);
    boost::system::error_code ignored;
    incoming_->socket.close(ignored);  // its loop sees the error and lets it go
  });
  asio::co_spawn(executor_, incoming_loop(id), log_failure("peer " + name_ + " incoming"));
}

void Session::close_connection(const action::CloseConnection& close) {
  if (close.connection == Connection::kIncoming) {
    if (!incoming_) return;
    spdlog::info("peer {}: incoming connection closed with {} (session {})", name_,
                 describe(close.notification), to_string(fsm_.state()));
    auto in = std::move(incoming_);
    refuse(std::move(in->socket), close.notification);
    return;
  }
  // Ours goes, with the NOTIFICATION on its own; what it had queued is dropped. Its loops end
  // by themselves (new generation) and feed nothing to the FSM.
  spdlog::info("peer {}: {} connection closed with {}", name_, outgoing_ ? "our" : "the older",
               describe(close.notification));
  ++generation_;
  asio::ip::tcp::socket old(executor_);
  std::swap(old, socket_);
  closing_ = false;
  writing_ = false;
  queue_.clear();
  local_address_.reset();
  refuse(std::move(old), close.notification);
}

asio::awaitable<void> Session::incoming_loop(std::uint64_t id) {
  auto alive = alive_;
  std::vector<std::uint8_t> buffer(4096);
  Incoming* in = incoming_.get();
  const auto current = [&] { return *alive && incoming_ && incoming_.get() == in && in->id == id; };
  while (true) {
    auto [error, n] = co_await in->socket.async_read_some(asio::buffer(buffer),
                                                          asio::as_tuple(asio::use_awaitable));
    if (!current()) co_return;
    if (error) {
      spdlog::info("peer {}: incoming connection closed before its OPEN: {}", name_,
                   error.message());
      incoming_.reset();
      co_return;
    }
    in->framer.feed({buffer.data(), n});
    auto next = in->framer.next();
    if (next && !next.value()) continue;  // the OPEN is not complete yet
    in->deadline->cancel();
    std::optional<Open> open;
    if (next) {
      if (auto m = decode(*next.value(), CodecOptions{}); m) {
        if (auto* o = std::get_if<Open>(&m.value())) open = std::move(*o);
      }
    }
    if (!open) {
      // Anything but a well-formed OPEN first is not a connection worth a collision decision.
      auto bad = std::move(incoming_);
      refuse(std::move(bad->socket),
             Notification{static_cast<std::uint8_t>(ErrorCode::kFsm), 0, {}, std::nullopt});
      co_return;
    }
    dispatch(event::Collision{std::move(*open), outgoing_ ? Opener::kLocal : Opener::kPeer,
                              Opener::kPeer});
    if (current()) incoming_.reset();  // not taken, not refused: not kept either
    co_return;
  }
}

void Session::refuse(asio::ip::tcp::socket socket, const Notification& notification) {
  auto s = std::make_shared<asio::ip::tcp::socket>(std::move(socket));
  auto bytes = std::make_shared<std::vector<std::uint8_t>>();
  if (!encode(Message{notification}, CodecOptions{}, *bytes)) {
    boost::system::error_code ec;
    s->close(ec);
    return;
  }
  asio::async_write(*s, asio::buffer(*bytes),
                    [s, bytes](const boost::system::error_code&, std::size_t) {
                      boost::system::error_code ec;
                      s->shutdown(asio::ip::tcp::socket::shutdown_both, ec);
                      s->close(ec);
                    });
}

asio::awaitable<void> Session::read_loop(std::uint64_t generation) {
  auto alive = alive_;
  std::vector<std::uint8_t> buffer(65536);
  while (true) {
    auto [error, n] =
        co_await socket_.async_read_some(asio::buffer(buffer), asio::as_tuple(asio::use_awaitable));
    if (!*alive || generation != generation_ || closing_) co_return;
    if (error) {
      dispatch(event::Closed{error == asio::error::eof ? "closed by the peer" : error.message()});
      co_return;
    }
    framer_.feed({buffer.data(), n});
    while (generation == generation_ && !closing_) {
      auto next = framer_.next();
      if (!next) {
        dispatch(event::DecodeFailed{next.error()});
        co_return;
      }
      if (!next.value()) break;
      ++received_;
      auto message = decode(*next.value(), negotiated_.receive);
      if (!message) {
        dispatch(event::DecodeFailed{message.error()});
        co_return;
      }
      if (const auto* u = std::get_if<Update>(&message.value()); u && !u->issues.empty()) {
        // vipd only originates routes and drops what it receives, so a treat-as-withdraw or
        // AFI/SAFI-disable outcome costs nothing: log it and keep the session (RFC 7606 §2).
        spdlog::warn("peer {}: UPDATE with {} problem(s), {}: {}", name_, u->issues.size(),
                     to_string(u->action), u->issues.front().reason);
      }
      dispatch(event::Received{std::move(message.value())});
    }
  }
}

void Session::write(std::vector<std::uint8_t> bytes) {
  queue_.push_back(std::move(bytes));
  if (writing_ || !socket_.is_open()) return;
  writing_ = true;
  asio::co_spawn(executor_, write_loop(generation_), log_failure("peer " + name_ + " write"));
}

asio::awaitable<void> Session::write_loop(std::uint64_t generation) {
  auto alive = alive_;
  // Writes until the queue is empty, on the connection it was started for. A disconnect lets it
  // finish (the NOTIFICATION queued before it goes out) and then closes the socket.
  while (!queue_.empty()) {
    std::vector<std::uint8_t> batch = std::move(queue_.front());
    queue_.pop_front();
    while (!queue_.empty() && batch.size() < 65536) {
      batch.insert(batch.end(), queue_.front().begin(), queue_.front().end());
      queue_.pop_front();
    }
    auto [error, n] = co_await asio::async_write(socket_, asio::buffer(batch),
                                                 asio::as_tuple(asio::use_awaitable));
    if (!*alive || generation != generation_) co_return;  // a new connection owns the state
    if (error) {
      writing_ = false;
      queue_.clear();
      if (!closing_) dispatch(event::Closed{"write: " + error.message()});
      co_return;
    }
  }
  writing_ = false;
  if (closing_) close_socket();
}

void Session::close_socket() {
  boost::system::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
}

void Session::disconnect() {
  closing_ = true;
  local_address_.reset();
  if (writing_) return;  // the write loop closes once the queue is out
  if (queue_.empty()) {
    close_socket();
    return;
  }
  writing_ = true;
  asio::co_spawn(executor_, write_loop(generation_), log_failure("peer " + name_ + " write"));
}

void Session::start_timer(Timer timer, Duration after) {
  auto& t = timers_[timer];
  if (!t) t = clock_.make_timer(executor_);
  // Timer guarantees that re-arming or cancelling silences an earlier arming, even one whose
  // expiry is already queued: a KEEPALIVE that restarts the hold timer always wins.
  t->arm(clock_.now() + after, [this, timer] { dispatch(event::TimerFired{timer}); });
}

void Session::stop_timer(Timer timer) {
  if (auto it = timers_.find(timer); it != timers_.end()) it->second->cancel();
}

}  // namespace vipd::bgp
