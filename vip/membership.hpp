#pragma once
// vipd::vip membership: the heartbeat that the members of a standalone cluster exchange so that
// every member agrees, within a fraction of a second, which members are alive and which of them
// can serve which layer-2 service (standalone has no Kubernetes to say so). Its answers feed
// vip::Liveness (vip/election.hpp): `live` and `service_live` (through serves()).
//
// Responsible for:
//  - the heartbeat's wire format (below): encode, and a strict decode of untrusted datagrams;
//  - the rules for what a member is, seen from here: a member is live from a heartbeat until
//    multiplier x the sender's interval has passed on this node's clock without a newer one
//    (the observer's clock only: no other machine's clock is read); an older sequence of the
//    same incarnation is ignored (reordering); a different incarnation (a restart) replaces
//    the old one, and an incarnation once replaced is ignored from then on (a datagram of the
//    previous run that arrives late); a heartbeat with the leaving flag makes the member not
//    live at once; a member serves a service when it is live, its list is complete and the
//    service is not in its not_serving list.
// Not responsible for: sockets, checking the source address of a datagram, timers, logging
// (vip/membership_service.hpp does those), health checks (the caller says what is not served).
// Pure: no I/O, clocks or logging; the caller passes the time.
//
// Wire format, version 1 (one UDP datagram, integers in network byte order):
//   offset  size  field
//   0       4     magic "VIPM" (0x56 0x49 0x50 0x4d)
//   4       1     version = 1
//   5       1     flags: bit 0 (0x01) leaving, bit 1 (0x02) incomplete; other bits must be 0
//   6       1     node name length N, 1..253
//   7       N     node name (bytes, not checked further: the receiver looks it up by value)
//   7+N     8     incarnation
//   15+N    8     sequence
//   23+N    4     interval_ms, 1..60000
//   27+N    2     count of not_serving entries, 0..4096
//   29+N    ...   count x (u16 length 1..253, then the service key "namespace/name"), in
//                 strictly ascending byte order (sorted, no duplicates)
// Nothing may follow the last entry.
//
// Size: a datagram never exceeds kMaxDatagram (65,000 bytes) and never carries more than
// kMaxServices keys of at most kMaxNameLength bytes. What does not fit is left out rather than
// refused (a daemon must not stop because many health checks fail at once, or because a
// service's key is long): the encoder keeps the longest ascending prefix of the list that fits,
// skips keys over kMaxNameLength bytes, and sets the incomplete flag. A receiver cannot know
// what an incomplete list leaves out, so such a member serves nothing until its list fits
// again. The sender learns what its peers see by decoding its own encoding.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"

namespace vipd::vip {

inline constexpr std::uint16_t kDefaultMembershipPort = 7947;

inline constexpr std::uint8_t kMembershipVersion = 1;
inline constexpr std::size_t kMaxDatagram = 65'000;
inline constexpr std::size_t kMaxNameLength = 253;  // node names and service keys
inline constexpr std::size_t kMaxServices = 4096;
inline constexpr std::uint32_t kMaxIntervalMs = 60'000;
// The fixed part: magic, version, flags, name length, incarnation, sequence, interval, count.
inline constexpr std::size_t kHeartbeatFixedSize = 4 + 1 + 1 + 1 + 8 + 8 + 4 + 2;

struct Heartbeat {
  std::string node;               // the sender's member name, 1..253 bytes
  std::uint64_t incarnation = 0;  // random per process start (a restarted member is new)
  std::uint64_t sequence = 0;     // +1 per heartbeat of this incarnation
  std::uint32_t interval_ms = 0;  // the sender's interval; receivers expire it after multiplier x
  bool leaving = false;           // clean stop: not live from this message on
  // Service keys "namespace/name" this member cannot serve now (health failing or no verdict
  // yet); sorted, unique.
  std::vector<std::string> not_serving;
  // not_serving was cut to fit the datagram (see above): the member serves nothing.
  bool incomplete = false;
  friend bool operator==(const Heartbeat&, const Heartbeat&) = default;
};

// Requires a node name of 1..253 bytes, an interval of 1..60000 ms and a sorted, duplicate-free
// not_serving list (VIPD_ASSERT: the service guarantees them); everything else is made to fit.
std::vector<std::uint8_t> encode(const Heartbeat& heartbeat);
// Strict: magic, version, flags, every length bounded by the datagram, no trailing bytes, names
// non-empty and at most 253 bytes, at most 4096 services, ascending order; never throws, never
// reads out of bounds; the error names the field (and the entry) at fault.
Result<Heartbeat> decode(std::span<const std::uint8_t> datagram);

// What this member knows of the others (and of itself, if given its own heartbeats).
class Members {
 public:
  // One member's record, for a status page.
  struct Status {
    std::string name;
    bool live = false;
    std::optional<Heartbeat> last;           // the heartbeat in force; none: never heard
    std::optional<Clock::time_point> heard;  // when it arrived, on this node's clock
    std::optional<Clock::time_point> expires;
  };

  // The file's members; `multiplier` (>= 1) heartbeats may be missed before a member is dead.
  explicit Members(std::vector<std::string> names, int multiplier = 3);

  // A heartbeat from member `heartbeat.node` (the caller has checked the source address).
  // Unknown names are ignored (false). Returns true when the live set or a member's ability to
  // serve (its not_serving list or its incomplete flag) changed.
  bool observe(const Heartbeat& heartbeat, Clock::time_point now);
  std::set<std::string, std::less<>> live(Clock::time_point now) const;
  bool is_live(std::string_view node, Clock::time_point now) const;
  // Whether `node` can serve `service`: false for a non-live or unknown member.
  bool serves(std::string_view node, std::string_view service, Clock::time_point now) const;
  // When the next live member expires (for the caller's timer), if any is live.
  std::optional<Clock::time_point> next_expiry(Clock::time_point now) const;

  bool known(std::string_view node) const { return members_.contains(node); }
  int multiplier() const { return multiplier_; }
  std::vector<Status> status(Clock::time_point now) const;  // by name

 private:
  struct Member {
    std::optional<Heartbeat> last;
    Clock::time_point heard{};
    std::vector<std::uint64_t> retired;  // incarnations replaced by a later one (a few)
  };
  // When `member` stops being live; none when it is not live for a reason other than time.
  std::optional<Clock::time_point> expiry(const Member& member) const;
  bool live(const Member& member, Clock::time_point now) const;

  std::map<std::string, Member, std::less<>> members_;
  int multiplier_;
};

}  // namespace vipd::vip
