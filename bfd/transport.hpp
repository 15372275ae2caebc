#pragma once
// BfdService: BFD over UDP, RFC 5881 single hop and RFC 5883 multihop, driving one pure
// bfd::Session per peer.
//
// Responsible for: one receiving socket per address family on port 3784 (RFC 5881 §4) and one
// on port 4784 (RFC 5883 §5) (both configurable for tests), reading each datagram with its TTL
// / hop limit and destination address (recvmsg); on the single-hop port, discarding those not
// received with TTL 255 (RFC 5881 §5, GTSM); on the multihop port, those received with a TTL
// below the session's minimum (RFC 5883 §3: GTSM cannot work across hops; the minimum is
// FRR's minimum-ttl, MetalLB's minimumTtl); decoding them and finding their session (RFC 5880
// §6.8.6, RFC 5883 §4.1: by Your Discriminator when it is nonzero, else by source and
// destination address), a datagram on one port only ever matching a session of that mode;
// one sending socket per session, bound to the session's local address (when given) and a
// source port of its own in 49152-65535 (RFC 5881 §4), sending with TTL / hop limit 255 (§5);
// one Timer per session armed at the session's wake_at; unique nonzero local discriminators
// (random start); reporting state changes (callback and an info log line) and per-session
// counters for a status page.
// Not responsible for: the Echo function, Demand mode, authentication (RFC 5883 §6: SHOULD
// over multihop paths; without it the minimum TTL and the address pair are a weaker defence),
// binding to an interface (SO_BINDTODEVICE), deciding which peers have sessions (the caller
// adds and removes them), tying sessions to BGP.
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
// RFC 5883 §5: multihop Control packets are sent to UDP port 4784 (the encapsulation is
// otherwise RFC 5881's).
inline constexpr std::uint16_t kMultiHopPort = 4784;
// The lowest TTL a multihop session accepts unless told otherwise: 254, at most one router
// between the peers (the default of FRR's minimum-ttl and MetalLB's minimumTtl). RFC 5883
// sets no value and no check (§3: without authentication, a multihop path has no GTSM).
inline constexpr std::uint8_t kDefaultMinimumTtl = 254;

struct ServiceOptions {
  std::uint16_t port = kSingleHopPort;          // single-hop Control packets (0: any, tests)
  std::uint16_t multihop_port = kMultiHopPort;  // multihop Control packets (0: any, tests)
  bool ipv4 = true;                             // open the receiving sockets of this family
  bool ipv6 = true;
};

// How a session is carried: RFC 5881 single hop (the default) or RFC 5883 multihop.
struct SessionOptions {
  // Where the peer receives Control packets; unset: 3784 single hop, 4784 multihop.
  std::optional<std::uint16_t> peer_port;
  bool multihop = false;
  // Multihop only: packets received with a lower TTL / hop limit are dropped (the peer sends
  // with 255 and each router takes one off). A single-hop session always requires 255.
  std::uint8_t minimum_ttl = kDefaultMinimumTtl;
};

struct SessionStatus {
  IpAddress peer;
  std::optional<IpAddress> local;
  bool multihop = false;         // RFC 5883 (else RFC 5881 single hop)
  std::uint16_t peer_port = 0;   // where its Control packets are sent
  std::uint8_t minimum_ttl = 0;  // lowest TTL accepted: 255 for single hop
  State state = State::kDown;
  Diag diag = Diag::kNone;  // bfd.LocalDiag: why the last change happened
  State remote_state = State::kDown;
  Diag remote_diag = Diag::kNone;  // the Diag of the peer's last packet
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
  std::uint64_t received = 0;   // every datagram read
  std::uint64_t malformed = 0;  // decode() refused it (or it was truncated)
  // RFC 5881 §5: single hop, TTL / hop limit not 255; multihop, below the session's minimum
  // (also counted per session, as a packet dropped).
  std::uint64_t bad_ttl = 0;
  // RFC 5880 §6.8.6: no session for its discriminators / addresses, or only one of the other
  // mode than the port it arrived on (single hop, multihop).
  std::uint64_t no_session = 0;
};

class BfdService {
 public:
  using StateCallback = std::function<void(const IpAddress& peer, State from, State to, Diag diag)>;

  BfdService(asio::any_io_executor executor, TimerClock& clock, ServiceOptions options = {});
  ~BfdService();
  BfdService(const BfdService&) = delete;
  BfdService& operator=(const BfdService&) = delete;

  // Opens the receiving sockets (single hop and multihop) of the families in the options.
  // Fails (and opens nothing) when a port cannot be bound.
  Result<void> start();
  bool started() const { return !receivers_.empty(); }
  // The ports the receiving sockets are bound to (the real ones when the option was 0).
  std::optional<std::uint16_t> port(Family family) const;
  std::optional<std::uint16_t> multihop_port(Family family) const;

  // Called after every state change of every session, after the change's packets were sent.
  // The callback may add and remove sessions.
  void on_state(StateCallback callback) { on_state_ = std::move(callback); }

  // A session to `peer` (one per peer address, single hop or multihop), its Control packets
  // sent to the options' peer port from `local` (when given; any address of the family
  // otherwise, and then packets from `peer` to any local address match it). Only datagrams
  // received on the port of its mode reach it. config.local_discriminator is chosen by the
  // service when 0 (a nonzero one already in use is refused), and so is config.jitter_seed.
  // Refused: a peer that already has a session, families that differ, a configuration
  // Session::create refuses, a local address that cannot be bound.
  Result<void> add_session(const IpAddress& peer, std::optional<IpAddress> local,
                           SessionConfig config, SessionOptions options = {});
  // Stops the session at once (nothing more is sent). False when there was none.
  bool remove_session(const IpAddress& peer);
  // New intervals, detect multiplier or passive role for the running session (its
  // discriminator and jitter seed stay): while Up, a Poll Sequence (RFC 5880 §6.8.3), the
  // session stays Up. Errors: no session, or settings Session::create would refuse.
  Result<void> reconfigure_session(const IpAddress& peer, SessionConfig config);
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

  Result<void> open_receiver(Family family, bool multihop);
  std::optional<std::uint16_t> bound_port(Family family, bool multihop) const;
  void wait_readable(const std::shared_ptr<Receiver>& receiver);
  void read_all(Receiver& receiver);
  void on_datagram(std::span<const std::uint8_t> bytes, const IpAddress& source,
                   const IpAddress& destination, int ttl, bool multihop);
  Entry* find(const ControlPacket& packet, const IpAddress& source, const IpAddress& destination,
              bool multihop);
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
