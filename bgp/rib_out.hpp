#pragma once
// Adj-RIB-Out of one BGP session: the routes vipd wants the peer to hold (prefix → attributes)
// against what it has last sent, and the UPDATE messages that move the peer from one to the
// other.
//
// Responsible for: the attributes a route carries toward this peer (AS_PATH and AS4_PATH,
// NEXT_HOP or MP_REACH_NLRI, LOCAL_PREF to iBGP only, RFC 8326 graceful shutdown), packing
// every prefix that shares an attribute set into as few UPDATEs as fit the negotiated message
// size, batched withdrawals, End-of-RIB after the full table (RFC 4724 §2), counters.
// Not responsible for: deciding which routes exist (the planner), when to send or how (the
// session writes the bytes), routes received from the peer (decoded and dropped elsewhere).
// Pure and single-threaded: no I/O, no clocks, no logging. One instance per session, used only
// from the thread that runs that session.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "bgp/codec.hpp"
#include "bgp/messages.hpp"
#include "common/ip_address.hpp"
#include "common/prefix.hpp"

namespace vipd::bgp {

// RFC 8326 §5: the well-known GRACEFUL_SHUTDOWN community, 65535:0.
inline constexpr std::uint32_t kGracefulShutdownCommunity = 0xffff0000u;
// LOCAL_PREF sent to iBGP peers when the planner gives none (RFC 4271 §5.1.5 makes the
// attribute mandatory toward internal peers; 100 is what BIRD, FRR and GoBGP assume).
inline constexpr std::uint32_t kDefaultLocalPref = 100;
// RFC 7911 path identifier of the one path vipd originates per prefix, when add-path is sent.
inline constexpr std::uint32_t kLocalPathId = 1;

// What the announcement planner decides for one prefix. The lists are kept sorted and without
// duplicates (normalize()), so equal sets compare and hash equal.
struct RouteAttributes {
  Origin origin = Origin::kIgp;
  std::optional<std::uint32_t> med;         // sent only when set
  std::optional<std::uint32_t> local_pref;  // sent only to iBGP peers
  std::vector<std::uint32_t> communities;   // RFC 1997: (asn << 16) | value
  std::vector<LargeCommunity> large_communities;
  std::vector<ExtendedCommunity> extended_communities;

  void normalize();
  bool normalized() const;
  friend auto operator<=>(const RouteAttributes&, const RouteAttributes&) = default;
  friend bool operator==(const RouteAttributes&, const RouteAttributes&) = default;
};

std::size_t hash_value(const RouteAttributes& attributes);

}  // namespace vipd::bgp

template <>
struct std::hash<vipd::bgp::RouteAttributes> {
  std::size_t operator()(const vipd::bgp::RouteAttributes& a) const noexcept {
    return vipd::bgp::hash_value(a);
  }
};

namespace vipd::bgp {

// One attribute set, shared by every prefix and every session that uses it. Never null in a
// RouteSet; always normalized.
using AttributesRef = std::shared_ptr<const RouteAttributes>;

// Hands out one shared copy per distinct attribute set, so a table of 100,000 prefixes holds a
// handful of sets and every session compares them by pointer first.
class AttributeInterner {
 public:
  AttributesRef intern(RouteAttributes attributes);  // normalizes
  // Forgets the sets that nobody else refers to any more; returns how many went.
  std::size_t collect();
  std::size_t size() const { return sets_.size(); }

 private:
  std::unordered_map<RouteAttributes, AttributesRef> sets_;
};

// The desired routes of one peer (or of all peers at once: the same map can be given to every
// session's replace()).
using RouteSet = std::map<Prefix, AttributesRef>;

// The facts of one session that decide what goes on the wire.
struct ExportPolicy {
  std::uint32_t local_as = 0;
  std::uint32_t peer_as = 0;  // equal to local_as: iBGP
  CodecOptions codec;         // the send direction: four-octet AS, extended message, add-path
  std::optional<IpAddress> next_hop_ipv4;  // IPv4 routes (the session's local IPv4 address)
  std::optional<IpAddress> next_hop_ipv6;  // IPv6 routes: the global address
  std::optional<IpAddress> next_hop_ipv6_link_local;  // RFC 2545 §3 second next hop, optional
  // RFC 8950: IPv4 routes go in MP_REACH_NLRI with the IPv6 next hop(s) above.
  bool ipv4_over_ipv6_next_hop = false;
  bool ipv4_unicast = true;  // families enabled on the session
  bool ipv6_unicast = false;
  // RFC 8326 drain: every route carries 65535:0 and, toward iBGP peers, LOCAL_PREF 0.
  bool graceful_shutdown = false;

  bool internal() const { return local_as == peer_as; }
  // A family is exported when it is enabled and has the next hop it needs.
  bool exports(Family family) const;
  friend bool operator==(const ExportPolicy& a, const ExportPolicy& b);
};

// The path attributes of a route of `family` toward the peer of `policy`. Routes that travel
// in MP_REACH_NLRI get one with the family and next hop and no prefixes. Requires
// policy.exports(family).
PathAttributes export_attributes(const RouteAttributes& route, Family family,
                                 const ExportPolicy& policy);

struct RibOutCounters {
  std::size_t advertised_ipv4 = 0;  // prefixes the peer holds from this session, now
  std::size_t advertised_ipv6 = 0;
  // Desired prefixes that could not be sent at the last updates()/full_table(): family not
  // enabled, no next hop for it, or attributes too large for one message.
  std::size_t held_back = 0;
  std::uint64_t updates = 0;    // UPDATE messages produced (End-of-RIB markers included)
  std::uint64_t announced = 0;  // prefix announcements produced
  std::uint64_t withdrawn = 0;  // prefix withdrawals produced
  std::uint64_t end_of_ribs = 0;
};

class AdjRibOut {
 public:
  explicit AdjRibOut(ExportPolicy policy);

  const ExportPolicy& policy() const { return policy_; }
  // A different policy (drain toggled, next hop, families) makes the next updates() re-send
  // every route with its new attributes, and withdraw those it no longer exports.
  void set_policy(ExportPolicy policy);

  // The desired set: replaced whole, or one prefix at a time. O(n + m) for replace(), with no
  // allocation but the map nodes of new prefixes; O(log n) for set()/erase().
  void replace(const RouteSet& desired);
  void set(const Prefix& prefix, AttributesRef attributes);
  void erase(const Prefix& prefix);

  // Whether updates() may have something to send (cheap; it can still produce nothing).
  bool pending() const { return !dirty_.empty() || (all_dirty_ && !routes_.empty()); }

  // The delta since the last call (desired minus advertised), which is then taken as sent:
  // withdrawals (IPv4 in the withdrawn-routes field, then IPv6 in MP_UNREACH_NLRI), then
  // announcements ordered by family, attribute set and prefix; sets that export alike (say,
  // LOCAL_PREF toward an eBGP peer) count as one. Costs O(changes · log n).
  // updates() appends the encoded messages to `out` and returns how many it appended.
  std::size_t updates(std::vector<std::uint8_t>& out);
  std::vector<Update> take_updates();

  // After the session comes up (or a ROUTE-REFRESH): withdrawals still owed, every desired
  // route, then End-of-RIB for each enabled family (IPv4 unicast first).
  std::size_t full_table(std::vector<std::uint8_t>& out);
  std::vector<Update> take_full_table();
  // After a ROUTE-REFRESH for `family` (RFC 2918 §4: "re-advertise to that peer the
  // Adj-RIB-Out of the <AFI, SAFI> carried in the message"): first the delta still owed (both
  // families), then every exported route of `family` again; no End-of-RIB, and nothing of the
  // other family is re-sent.
  std::size_t full_table(std::vector<std::uint8_t>& out, Family family);
  std::vector<Update> take_full_table(Family family);

  // The session went down: the peer holds nothing from us any more. The next full_table()
  // (or updates(), without End-of-RIB) announces every desired route.
  void session_down();

  const RibOutCounters& counters() const { return counters_; }
  std::size_t desired_size() const { return desired_count_; }

 private:
  // Invariant: an entry that is not dirty (and all_dirty_ unset) is in step with the peer:
  // `sent` is what export of `desired` under policy_ gives, as far as the peer can be told.
  struct Entry {
    AttributesRef desired;  // null: not wanted (kept until the withdrawal is produced)
    AttributesRef sent;     // null: not advertised
    bool dirty = false;     // listed in dirty_
    bool held = false;      // desired but not exportable at the last generation
  };
  using Table = std::map<Prefix, Entry>;
  // Receives each message with its exact encoded size.
  using Emit = std::function<void(const Message& update, std::size_t size)>;

  void mark(Table::iterator it);
  // `full`: every entry, End-of-RIB after them; `only`: every entry of that family, no
  // End-of-RIB (the other family must be in step: nothing dirty).
  std::size_t generate(bool full, const Emit& emit, std::optional<Family> only = std::nullopt);

  ExportPolicy policy_;
  Table routes_;
  std::vector<Table::iterator> dirty_;
  // Every entry must be looked at and re-sent (policy changed, session went down).
  bool all_dirty_ = false;
  std::size_t desired_count_ = 0;
  RibOutCounters counters_;
};

}  // namespace vipd::bgp
