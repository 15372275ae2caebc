#pragma once
// BfdService: RFC 5881 single-hop BFD over UDP, driving one pure bfd::Session per peer.
//
// Responsible for: one receiving socket per address family on port 3784 (RFC 5881 §4;
// configurable for tests), reading each datagram with its TTL / hop limit and destination
// address (recvmsg), discarding those not received with TTL 255 (RFC 5881 §5, GTSM), decoding
// them and finding their session (RFC 5880 §6.8.6: by Your Discriminator when it is nonzero,
// else by source and destination address); one sending socket per session, bound to the
// session's local address (when given) and a source port of its own in 49152-65535 (RFC 5881
// §4), sending with TTL / hop limit 255 (§5); one Timer per session armed at the session's
// wake_at; unique nonzero local discriminators (random start); reporting state changes
// (callback and an info log line) and per-session counters for a status page.
// Not responsible for: multihop (RFC 5883, port 4784), the Echo function, Demand mode,
// authentication, binding to an interface (SO_BINDTODEVICE), deciding which peers have
// sessions (the caller adds and removes them), tying sessions to BGP.
// Malformed or unexpected datagrams are counted and dropped; nothing on the receive or send
// path logs except state changes.
// Runs on one executor (single-threaded); every "now" and every wait goes through the
// TimerClock given at construction, which must outlive the service.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <unordered_map>
#include <vector>

#include "bfd/packet.hpp"
#include "bfd/session.hpp"
#include "common/asio.hpp"
#include "common/ip_address.hpp"
#include "common/result.hpp"
#include "common/timer.hpp"

namespace vipd::bfd {

// RFC 5881 §4: Control packets are sent to UDP port 3784.
inline constexpr std::uint16_t kSingleHopPort = 3784;
// RFC 5881 §4: the source port is in the dynamic range 49152-65535.
inline constexpr std::uint16_t kSourcePortMin = 49152;
inline constexpr std::uint16_t kSourcePortMax = 65535;
// RFC 5881 §5: single-hop packets are sent, and must be received, with TTL / hop limit 255.
inline constexpr int kSingleHopTtl = 255;

struct ServiceOptions {
  std::uint16_t port = kSingleHopPort;  // where Control packets are received (0: any, tests)
  bool ipv4 = true;                     // open a receiving socket for this family
  bool ipv6 = true;
};

struct SessionStatus {
  IpAddress peer;
  std::optional<IpAddress> local;
  State state = State::kDown;
  Diag diag = Diag::kNone;  // bfd.LocalDiag: why the last change happened
  State remote_state = State::kDown;
  std::uint32_t local_discriminator = 0;
  std::uint32_t remote_discriminator = 0;  // 0: not learnt (yet, or since a timeout)
  Interval transmit_interval{0};           // negotiated, before jitter
  Interval detection_time{0};              // 0 before the peer's first packet
  std::uint16_t source_port = 0;
  std::uint64_t packets_sent = 0;
  std::uint64_t packets_received = 0;  // accepted by the session
  std::uint64_t packets_dropped = 0;   // demultiplexed here but refused (TTL, session rules)
  std::uint64_t send_errors = 0;
  std::optional<TimePoint> last_change;  // on the service's clock; none: never changed
};

// Datagrams the service dropped before or without a session to blame.
struct ServiceCounters {
  std::uint64_t received = 0;    // every datagram read
  std::uint64_t malformed = 0;   // decode() refused it (or it was truncated)
  std::uint64_t bad_ttl = 0;     // RFC 5881 §5: TTL / hop limit not 255 (also counted per session)
  std::uint64_t no_session = 0;  // RFC 5880 §6.8.6: no session for its discriminators/addresses
};

class BfdService {
 public:
  using StateCallback = std::function<void(const IpAddress& peer, State from, State to, Diag diag)>;

  BfdService(asio::any_io_executor executor, TimerClock& clock, ServiceOptions options = {});
  ~BfdService();
  BfdService(const BfdService&) = delete;
  BfdService& operator=(const BfdService&) = delete;

  // Opens the receiving sockets of the families in the options. Fails (and opens nothing) when
  // a port cannot be bound.
  Result<void> start();
  // The ports the receiving sockets are bound to (the real ones when the option was 0).
  std::optional<std::uint16_t> port(Family family) const;

  // Called after every state change of every session, after the change's packets were sent.
  // The callback may add and remove sessions.
  void on_state(StateCallback callback) { on_state_ = std::move(callback); }

  // A session to `peer` (one per peer address), its Control packets sent to `peer_port` from
  // `local` (when given; any address of the family otherwise, and then packets from `peer` to
  // any local address match it). config.local_discriminator is chosen by the service when 0
  // (a nonzero one already in use is refused), and so is config.jitter_seed. Refused: a peer
  // that already has a session, families that differ, a configuration Session::create
  // refuses, a local address that cannot be bound.
  Result<void> add_session(const IpAddress& peer, std::optional<IpAddress> local,
                           SessionConfig config, std::uint16_t peer_port = kSingleHopPort);
  // Stops the session at once (nothing more is sent). False when there was none.
  bool remove_session(const IpAddress& peer);
  // RFC 5880 §6.8.16: AdminDown with `diag` (the peer is told), and back. False: no session.
  bool disable_session(const IpAddress& peer, Diag diag);
  bool enable_session(const IpAddress& peer);

  // Closes every socket and stops every session, silently (as a crashed process would: the
  // peers time out). The service can be started again; its sessions are gone.
  void stop();

  std::optional<State> state(const IpAddress& peer) const;
  std::optional<SessionStatus> status(const IpAddress& peer) const;
  std::vector<SessionStatus> status() const;
  const ServiceCounters& counters() const { return counters_; }

 private:
  struct Entry;
  struct Receiver;

  Result<void> open_receiver(Family family);
  void wait_readable(const std::shared_ptr<Receiver>& receiver);
  void read_all(Receiver& receiver);
  void on_datagram(std::span<const std::uint8_t> bytes, const IpAddress& source,
                   const IpAddress& destination, int ttl);
  Entry* find(const ControlPacket& packet, const IpAddress& source, const IpAddress& destination);
  // Sends the packets, re-arms the timer, then reports the changes (last: the callback may
  // remove the session).
  void apply(Entry& entry, Output output);
  void send(Entry& entry, const ControlPacket& packet);
  std::uint32_t next_discriminator();
  SessionStatus status_of(const Entry& entry) const;

  asio::any_io_executor executor_;
  TimerClock& clock_;
  ServiceOptions options_;
  StateCallback on_state_;
  std::vector<std::shared_ptr<Receiver>> receivers_;  // shared with pending completions
  std::map<IpAddress, std::unique_ptr<Entry>> sessions_;
  std::unordered_map<std::uint32_t, Entry*> by_discriminator_;
  std::uint32_t next_discriminator_;
  std::mt19937 rng_;
  ServiceCounters counters_;
};

}  // namespace vipd::bfd
