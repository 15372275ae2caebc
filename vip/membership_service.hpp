#pragma once
// MembershipService: the standalone members' heartbeat over UDP (vip/membership.hpp holds the
// wire format and the rules), for sub-second layer-2 failover without Kubernetes.
//
// Responsible for: one UDP socket per address family that any member's address needs, bound to
// the membership port (7947) on any address (or the address given, for tests), used both ways;
// a heartbeat every interval to every configured address of every other member, sent with
// TTL / hop limit 255; reading each datagram with its TTL / hop limit (recvmsg) and accepting
// it only when it arrived with 255 (the members share a LAN: anything else crossed a router,
// the GTSM rule of RFC 5082 that single-hop BFD uses too), decodes, names a member other than
// this node, and comes from one of that member's configured addresses; feeding Members, this
// node's own heartbeats included (decoded from the bytes sent, so this node sees itself exactly
// as the others do, a cut list included); calling `changed` when the live set or a member's
// ability to serve changes, at a heartbeat or when a member expires (a timer at the next
// expiry); a leaving heartbeat at a clean stop; counters for a status page. Sending errors,
// unreadable and refused datagrams are counted, never fatal; a warning is logged the first time
// each kind happens, and an info line when a member becomes live or not live.
// Not responsible for: health checks (the caller says what this node cannot serve), the
// election (vip/election.hpp reads members()), link-local addresses (no zone index in the
// configuration), authentication (the LAN is trusted as far as source address and TTL go).
// Runs on one executor (single-threaded); never blocks. Every "now" and every wait goes through
// the TimerClock given at construction, which must outlive the service. `changed` is called
// only from the service's own completions (datagrams, timers), never from inside a call the
// caller made; it may call any method but must not destroy the service.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "common/asio.hpp"
#include "common/ip_address.hpp"
#include "common/result.hpp"
#include "common/timer.hpp"
#include "vip/membership.hpp"

namespace vipd::vip {

// Sent, and required on receipt: the members share one LAN.
inline constexpr int kMembershipTtl = 255;

struct MembershipOptions {
  std::string node;                                       // this member's name, one of `members`
  std::map<std::string, std::vector<IpAddress>> members;  // name -> addresses, this node included
  std::uint16_t port = kDefaultMembershipPort;            // every member's, sending and receiving
  std::chrono::milliseconds interval{200};                // 1..60000 ms
  int multiplier = 3;                // heartbeats missed before a member is dead, 1..255
  std::optional<IpAddress> bind_v4;  // bind here instead of 0.0.0.0 (tests)
  std::optional<IpAddress> bind_v6;  // bind here instead of :: (tests)
};

struct MembershipCounters {
  std::uint64_t sent = 0;         // datagrams sent (one per destination address)
  std::uint64_t send_errors = 0;  // datagrams the kernel refused (unreachable, buffer full)
  std::uint64_t received = 0;     // every datagram read
  std::uint64_t accepted = 0;     // passed every check below and given to Members
  // Dropped, by reason:
  std::uint64_t malformed = 0;       // cut by the read, or refused by decode()
  std::uint64_t bad_ttl = 0;         // not received with TTL / hop limit 255
  std::uint64_t own_name = 0;        // names this node (another host configured with its name?)
  std::uint64_t unknown_member = 0;  // names no member of the configuration
  std::uint64_t wrong_source = 0;    // not from one of the named member's addresses
  friend bool operator==(const MembershipCounters&, const MembershipCounters&) = default;
};

class MembershipService {
 public:
  MembershipService(asio::any_io_executor executor, TimerClock& clock, MembershipOptions options,
                    std::function<void()> changed);
  // Closes the sockets without a leaving heartbeat (as a crashed process would: the others
  // time it out). Call leave() first for a clean stop.
  ~MembershipService();
  MembershipService(const MembershipService&) = delete;
  MembershipService& operator=(const MembershipService&) = delete;

  // Checks the options, opens and binds the sockets (all or none), and sends the first
  // heartbeat as soon as the executor runs. Fails on options out of range, a node that is not
  // a member, a port that cannot be bound, or a second start.
  Result<void> start();

  // The service keys ("namespace/name") this node cannot serve now; sorted and de-duplicated
  // here. A change is sent at once (on the executor), and in every heartbeat from then on.
  void set_not_serving(std::vector<std::string> keys);

  // Sends one heartbeat with the leaving flag to every member, now, and stops sending (a clean
  // stop: the others stop counting on this node at once). This node is not live in members()
  // from then on. Heartbeats are still received.
  void leave();

  // Everything known of the members, this node included (live while it sends).
  const Members& members() const { return members_; }
  const MembershipCounters& counters() const { return counters_; }
  std::uint64_t incarnation() const { return incarnation_; }

 private:
  struct Socket;
  struct Destination {
    std::shared_ptr<Socket> socket;
    asio::ip::udp::endpoint endpoint;
  };
  enum class Warning : std::uint8_t {
    kSendError,
    kMalformed,
    kBadTtl,
    kOwnName,
    kUnknownMember,
    kWrongSource
  };

  Result<void> check_options() const;
  Result<void> open(Family family);
  void wait_readable(const std::shared_ptr<Socket>& socket);
  void read_all(Socket& socket);
  // True when the datagram changed what Members says.
  bool on_datagram(std::span<const std::uint8_t> bytes, const IpAddress& source, int ttl);
  // Builds the next heartbeat, sends it to every destination and observes it as this node's.
  bool send_heartbeat(bool leaving);
  void on_send_timer();
  void on_expiry_timer();
  // Logs live-set changes since the last call and re-arms the expiry timer. True when the live
  // set differs from the one last reported.
  bool refresh(Clock::time_point now);
  void notify();
  void warn_once(Warning warning, const std::string& message);

  asio::any_io_executor executor_;
  TimerClock& clock_;
  MembershipOptions options_;
  std::function<void()> changed_;
  Members members_;
  std::uint64_t incarnation_;
  std::uint64_t sequence_ = 0;
  std::vector<std::string> not_serving_;
  bool started_ = false;
  bool left_ = false;
  std::vector<std::shared_ptr<Socket>> sockets_;  // shared with pending completions
  std::vector<Destination> destinations_;
  std::unique_ptr<Timer> send_timer_;
  std::unique_ptr<Timer> expiry_timer_;
  std::set<std::string, std::less<>> reported_live_;
  std::vector<std::uint8_t> buffer_;
  std::set<Warning> warned_;
  MembershipCounters counters_;
};

}  // namespace vipd::vip
