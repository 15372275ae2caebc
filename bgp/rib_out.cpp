// Adj-RIB-Out: desired routes against advertised ones, and the UPDATEs that close the gap.
#include "bgp/rib_out.hpp"

#include <algorithm>
#include <limits>
#include <tuple>
#include <utility>

#include "common/assert.hpp"

namespace vipd::bgp {
namespace {

template <class T>
void sort_unique(std::vector<T>& list) {
  std::sort(list.begin(), list.end());
  list.erase(std::unique(list.begin(), list.end()), list.end());
}

template <class T>
bool strictly_increasing(const std::vector<T>& list) {
  return std::adjacent_find(list.begin(), list.end(),
                            [](const T& a, const T& b) { return !(a < b); }) == list.end();
}

void mix(std::size_t& h, std::uint64_t v) {
  h ^= std::hash<std::uint64_t>{}(v) + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
}

bool same(const AttributesRef& a, const AttributesRef& b) { return a == b || (a && b && *a == *b); }

constexpr std::size_t kWithdrawnLength = 2;   // RFC 4271 §4.3: withdrawn routes length
constexpr std::size_t kAttributesLength = 2;  // total path attribute length
constexpr std::size_t kEmptyUpdateSize = kHeaderSize + kWithdrawnLength + kAttributesLength;
constexpr std::size_t kMpUnreachFamily = 3;  // AFI and SAFI

// RFC 4271 §4.3: flags, type, and a one-octet length, or two with the extended-length bit.
constexpr std::size_t attribute_header(std::size_t value_length) {
  return value_length > 255 ? 4 : 3;
}

std::size_t prefix_size(const Prefix& prefix, bool add_path) {
  return (add_path ? 4 : 0) + 1 + static_cast<std::size_t>(prefix.length() + 7) / 8;
}

// The routes that share one exported attribute set in one family.
struct Group {
  Family family = Family::kV4;
  const RouteAttributes* route = nullptr;  // kept alive by the table entries
  PathAttributes attributes;               // as exported, without prefixes
  std::size_t base = 0;                    // encoded UPDATE size without prefixes
  std::size_t mp_value = 0;  // MP_REACH_NLRI value length without prefixes; 0: NLRI field

  // The exact encoded size with `nlri_bytes` of prefixes: MP_REACH_NLRI needs an extended
  // length once its value passes 255 octets.
  std::size_t size(std::size_t nlri_bytes) const {
    const bool longer = mp_value != 0 && mp_value <= 255 && mp_value + nlri_bytes > 255;
    return base + nlri_bytes + (longer ? 1 : 0);
  }
};

struct ValueLess {
  bool operator()(const RouteAttributes* a, const RouteAttributes* b) const { return *a < *b; }
};

// Finds the group of (family, attribute set): by pointer first (consecutive prefixes nearly
// always share one), then by value, so equal sets from different places share a group. Sets
// that export the same way to this peer (LOCAL_PREF apart, toward an eBGP peer) share one too:
// they pack together and a change between them sends nothing.
class Groups {
 public:
  explicit Groups(const ExportPolicy& policy) : policy_(policy) {}

  std::uint32_t find(Family family, const RouteAttributes* route) {
    const int f = family == Family::kV4 ? 0 : 1;
    if (route == last_[f]) return last_index_[f];
    std::uint32_t index = 0;
    if (auto it = by_pointer_[f].find(route); it != by_pointer_[f].end()) {
      index = it->second;
    } else if (auto v = by_value_[f].find(route); v != by_value_[f].end()) {
      index = v->second;
      by_pointer_[f].emplace(route, index);
    } else {
      index = make(family, route);
      for (std::uint32_t i = 0; i + 1 < groups_.size(); ++i) {
        if (groups_[i].family == family && groups_[i].attributes == groups_.back().attributes) {
          groups_.pop_back();
          index = i;
          break;
        }
      }
      by_value_[f].emplace(route, index);
      by_pointer_[f].emplace(route, index);
    }
    last_[f] = route;
    last_index_[f] = index;
    return index;
  }

  std::vector<Group>& all() { return groups_; }

 private:
  std::uint32_t make(Family family, const RouteAttributes* route) {
    VIPD_ASSERT(route->normalized(), "route attributes must be normalized (intern them)");
    Group g;
    g.family = family;
    g.route = route;
    g.attributes = export_attributes(*route, family, policy_);
    if (g.attributes.mp_reach) {
      const MpReach& mp = *g.attributes.mp_reach;
      const std::size_t next_hop =
          mp.next_hop->bytes().size +
          (mp.link_local_next_hop ? mp.link_local_next_hop->bytes().size : 0);
      g.mp_value = 2 + 1 + 1 + next_hop + 1;  // AFI, SAFI, next hop length, next hop, reserved
    }
    // Measured once per group with the codec itself; prefixes then add exact amounts.
    Message probe{Update{}};
    std::get<Update>(probe).attributes = g.attributes;
    scratch_.clear();
    auto size = encode(probe, policy_.codec, scratch_);
    // Attributes too large for any message: nothing of this group can be sent.
    g.base = size ? size.value() : std::numeric_limits<std::size_t>::max() / 2;
    groups_.push_back(std::move(g));
    return static_cast<std::uint32_t>(groups_.size() - 1);
  }

  const ExportPolicy& policy_;
  std::vector<Group> groups_;
  const RouteAttributes* last_[2] = {nullptr, nullptr};
  std::uint32_t last_index_[2] = {0, 0};
  std::unordered_map<const RouteAttributes*, std::uint32_t> by_pointer_[2];
  std::map<const RouteAttributes*, std::uint32_t, ValueLess> by_value_[2];
  std::vector<std::uint8_t> scratch_;
};

}  // namespace

// ---- RouteAttributes ---------------------------------------------------------------------------

void RouteAttributes::normalize() {
  sort_unique(communities);
  sort_unique(large_communities);
  sort_unique(extended_communities);
}

bool RouteAttributes::normalized() const {
  return strictly_increasing(communities) && strictly_increasing(large_communities) &&
         strictly_increasing(extended_communities);
}

std::size_t hash_value(const RouteAttributes& a) {
  std::size_t h = static_cast<std::size_t>(a.origin);
  mix(h, a.med ? (std::uint64_t{1} << 32) | *a.med : 0);
  mix(h, a.local_pref ? (std::uint64_t{1} << 32) | *a.local_pref : 0);
  mix(h, a.communities.size());
  for (std::uint32_t c : a.communities) mix(h, c);
  mix(h, a.large_communities.size());
  for (const auto& c : a.large_communities) {
    mix(h, c.global_admin);
    mix(h, (std::uint64_t{c.local_data1} << 32) | c.local_data2);
  }
  mix(h, a.extended_communities.size());
  for (const auto& c : a.extended_communities) mix(h, c.value);
  return h;
}

AttributesRef AttributeInterner::intern(RouteAttributes attributes) {
  attributes.normalize();
  if (auto it = sets_.find(attributes); it != sets_.end()) return it->second;
  auto ref = std::make_shared<const RouteAttributes>(attributes);
  sets_.emplace(std::move(attributes), ref);
  return ref;
}

std::size_t AttributeInterner::collect() {
  return std::erase_if(sets_, [](const auto& entry) { return entry.second.use_count() == 1; });
}

// ---- ExportPolicy ------------------------------------------------------------------------------

bool ExportPolicy::exports(Family family) const {
  if (family == Family::kV4) {
    return ipv4_unicast &&
           (ipv4_over_ipv6_next_hop ? next_hop_ipv6.has_value() : next_hop_ipv4.has_value());
  }
  return ipv6_unicast && next_hop_ipv6.has_value();
}

bool operator==(const ExportPolicy& a, const ExportPolicy& b) {
  const auto codec = [](const CodecOptions& o) {
    return std::tuple(o.four_octet_as, o.extended_message, o.add_path_ipv4, o.add_path_ipv6,
                      o.external_peer);
  };
  return a.local_as == b.local_as && a.peer_as == b.peer_as && codec(a.codec) == codec(b.codec) &&
         a.next_hop_ipv4 == b.next_hop_ipv4 && a.next_hop_ipv6 == b.next_hop_ipv6 &&
         a.next_hop_ipv6_link_local == b.next_hop_ipv6_link_local &&
         a.ipv4_over_ipv6_next_hop == b.ipv4_over_ipv6_next_hop &&
         a.ipv4_unicast == b.ipv4_unicast && a.ipv6_unicast == b.ipv6_unicast &&
         a.graceful_shutdown == b.graceful_shutdown;
}

PathAttributes export_attributes(const RouteAttributes& route, Family family,
                                 const ExportPolicy& policy) {
  VIPD_ASSERT(policy.exports(family), "family not exported on this session");
  PathAttributes a;
  a.origin = route.origin;
  // RFC 4271 §5.1.2: empty toward internal peers, our AS prepended toward external ones.
  a.as_path.emplace();
  if (!policy.internal()) {
    a.as_path->segments.push_back(AsSegment{AsSegmentType::kSequence, {policy.local_as}});
    // RFC 6793 §4.2.2: a two-octet session sees AS_TRANS in AS_PATH (the codec maps it) and
    // the real path in AS4_PATH.
    if (!policy.codec.four_octet_as && policy.local_as > 0xffff) a.as4_path = a.as_path;
  }
  a.med = route.med;
  if (policy.internal()) {
    // RFC 8326 §4.2: a drained route is the least preferred inside the AS.
    a.local_pref = policy.graceful_shutdown ? 0u : route.local_pref.value_or(kDefaultLocalPref);
  }
  std::vector<std::uint32_t> communities = route.communities;
  if (policy.graceful_shutdown) {
    const auto at =
        std::lower_bound(communities.begin(), communities.end(), kGracefulShutdownCommunity);
    if (at == communities.end() || *at != kGracefulShutdownCommunity) {
      communities.insert(at, kGracefulShutdownCommunity);
    }
  }
  if (!communities.empty()) a.communities = std::move(communities);
  if (!route.extended_communities.empty()) a.extended_communities = route.extended_communities;
  if (!route.large_communities.empty()) a.large_communities = route.large_communities;

  if (family == Family::kV4 && !policy.ipv4_over_ipv6_next_hop) {
    VIPD_ASSERT(policy.next_hop_ipv4->is_v4(), "IPv4 next hop must be an IPv4 address");
    a.next_hop = policy.next_hop_ipv4;
  } else {
    // RFC 4760 §3 (IPv6), RFC 8950 §3 (IPv4 with an IPv6 next hop), RFC 2545 §3 (link-local).
    VIPD_ASSERT(policy.next_hop_ipv6->is_v6(), "IPv6 next hop must be an IPv6 address");
    MpReach mp;
    mp.family = family == Family::kV4 ? kIpv4Unicast : kIpv6Unicast;
    mp.next_hop = policy.next_hop_ipv6;
    if (policy.next_hop_ipv6_link_local) {
      VIPD_ASSERT(policy.next_hop_ipv6_link_local->is_v6(), "link-local next hop must be IPv6");
      mp.link_local_next_hop = policy.next_hop_ipv6_link_local;
    }
    a.mp_reach = std::move(mp);
  }
  return a;
}

// ---- AdjRibOut ---------------------------------------------------------------------------------

// A new table has sent nothing: the first generation looks at every entry.
AdjRibOut::AdjRibOut(ExportPolicy policy) : policy_(std::move(policy)), all_dirty_(true) {}

void AdjRibOut::set_policy(ExportPolicy policy) {
  if (policy == policy_) return;
  policy_ = std::move(policy);
  all_dirty_ = true;
}

void AdjRibOut::mark(Table::iterator it) {
  // While everything is to be looked at anyway, a list of what changed would only cost memory
  // (an iterator per prefix when a table of 100,000 is first filled).
  if (all_dirty_ || it->second.dirty) return;
  it->second.dirty = true;
  dirty_.push_back(it);
}

void AdjRibOut::replace(const RouteSet& desired) {
  // One merge walk over two sorted sequences; new prefixes are inserted with a hint.
  auto it = routes_.begin();
  auto d = desired.begin();
  while (it != routes_.end() || d != desired.end()) {
    if (d == desired.end() || (it != routes_.end() && it->first < d->first)) {
      if (it->second.desired) {
        it->second.desired.reset();
        --desired_count_;
        mark(it);
      }
      ++it;
    } else if (it == routes_.end() || d->first < it->first) {
      VIPD_ASSERT(d->second, "a RouteSet holds no null attributes");
      const auto added = routes_.emplace_hint(it, d->first, Entry{d->second, nullptr});
      ++desired_count_;
      mark(added);
      ++d;
    } else {
      VIPD_ASSERT(d->second, "a RouteSet holds no null attributes");
      Entry& e = it->second;
      if (!e.desired) {
        ++desired_count_;
        mark(it);
      } else if (e.desired != d->second && *e.desired != *d->second) {
        mark(it);
      }
      if (e.desired != d->second) e.desired = d->second;
      ++it;
      ++d;
    }
  }
}

void AdjRibOut::set(const Prefix& prefix, AttributesRef attributes) {
  VIPD_ASSERT(attributes, "set() needs attributes; erase() removes a prefix");
  const auto it = routes_.try_emplace(prefix).first;
  Entry& e = it->second;
  if (!e.desired) {
    ++desired_count_;
    mark(it);
  } else if (!same(e.desired, attributes)) {
    mark(it);
  }
  e.desired = std::move(attributes);
}

void AdjRibOut::erase(const Prefix& prefix) {
  const auto it = routes_.find(prefix);
  if (it == routes_.end() || !it->second.desired) return;
  it->second.desired.reset();
  --desired_count_;
  mark(it);
}

void AdjRibOut::session_down() {
  dirty_.clear();
  for (auto it = routes_.begin(); it != routes_.end();) {
    Entry& e = it->second;
    e.sent.reset();
    e.dirty = false;
    if (e.held && !e.desired) {
      e.held = false;
      --counters_.held_back;
    }
    it = e.desired ? std::next(it) : routes_.erase(it);
  }
  counters_.advertised_ipv4 = 0;
  counters_.advertised_ipv6 = 0;
  // Nothing is advertised: whatever is sent next must carry every desired route.
  all_dirty_ = true;
}

std::size_t AdjRibOut::updates(std::vector<std::uint8_t>& out) {
  return generate(false, [&](const Message& m, std::size_t size) {
    const auto written = encode(m, policy_.codec, out);
    VIPD_ASSERT(written && written.value() == size, "UPDATE size computed wrongly");
  });
}

std::vector<Update> AdjRibOut::take_updates() {
  std::vector<Update> result;
  generate(false, [&](const Message& m, std::size_t) { result.push_back(std::get<Update>(m)); });
  return result;
}

std::size_t AdjRibOut::full_table(std::vector<std::uint8_t>& out) {
  return generate(true, [&](const Message& m, std::size_t size) {
    const auto written = encode(m, policy_.codec, out);
    VIPD_ASSERT(written && written.value() == size, "UPDATE size computed wrongly");
  });
}

std::vector<Update> AdjRibOut::take_full_table() {
  std::vector<Update> result;
  generate(true, [&](const Message& m, std::size_t) { result.push_back(std::get<Update>(m)); });
  return result;
}

std::size_t AdjRibOut::full_table(std::vector<std::uint8_t>& out, Family family) {
  const auto encode_into = [&](const Message& m, std::size_t size) {
    const auto written = encode(m, policy_.codec, out);
    VIPD_ASSERT(written && written.value() == size, "UPDATE size computed wrongly");
  };
  const std::size_t owed = generate(false, encode_into);
  return owed + generate(false, encode_into, family);
}

std::vector<Update> AdjRibOut::take_full_table(Family family) {
  std::vector<Update> result;
  const auto keep = [&](const Message& m, std::size_t) { result.push_back(std::get<Update>(m)); };
  generate(false, keep);
  generate(false, keep, family);
  return result;
}

std::size_t AdjRibOut::generate(bool full, const Emit& emit, std::optional<Family> only) {
  VIPD_ASSERT(!only || (!full && dirty_.empty() && !all_dirty_),
              "a one-family re-send needs the table in step with the peer");
  // 1. The entries to look at, in prefix order.
  const bool everything = full || all_dirty_ || only.has_value();
  std::vector<Table::iterator> work;
  if (everything || dirty_.size() * 4 > routes_.size()) {
    work.reserve(everything ? routes_.size() : dirty_.size());
    for (auto it = routes_.begin(); it != routes_.end(); ++it) {
      if (only && it->first.family() != *only) continue;
      if (everything || it->second.dirty) work.push_back(it);
    }
    std::vector<Table::iterator>().swap(dirty_);  // give a large list's memory back
  } else {
    work.swap(dirty_);
    std::sort(work.begin(), work.end(), [](auto a, auto b) { return a->first < b->first; });
  }

  // 2. What each one needs: announce, withdraw or nothing.
  constexpr std::uint32_t kNoGroup = std::numeric_limits<std::uint32_t>::max();
  enum class Action : std::uint8_t { kNone, kAnnounce, kWithdraw };
  struct Item {
    Table::iterator it;
    std::uint32_t group = kNoGroup;  // set when the route is exported
    Action action = Action::kNone;
  };
  std::vector<Item> items;
  items.reserve(work.size());
  Groups groups(policy_);
  const std::size_t max = policy_.codec.max_message_size();
  const bool exports[2] = {policy_.exports(Family::kV4), policy_.exports(Family::kV6)};
  const bool add_path[2] = {policy_.codec.add_path_ipv4, policy_.codec.add_path_ipv6};
  std::size_t announcements = 0;
  for (const auto it : work) {
    const Entry& e = it->second;
    const Family family = it->first.family();
    const int f = family == Family::kV4 ? 0 : 1;
    Item item{it};
    if (e.desired && exports[f]) {
      const std::uint32_t g = groups.find(family, e.desired.get());
      if (groups.all()[g].size(prefix_size(it->first, add_path[f])) <= max) item.group = g;
    }
    if (item.group != kNoGroup) {
      // Without `everything`, `sent` was exported under the current policy, so its group
      // tells what the peer holds.
      if (everything || !e.sent ||
          (!same(e.sent, e.desired) && groups.find(family, e.sent.get()) != item.group)) {
        item.action = Action::kAnnounce;
        ++announcements;
      }
    } else if (e.sent) {
      item.action = Action::kWithdraw;
    }
    items.push_back(item);
  }

  std::size_t messages = 0;
  Message message{Update{}};
  Update& u = std::get<Update>(message);
  const auto send = [&](std::size_t size) {
    emit(message, size);
    ++messages;
    ++counters_.updates;
  };

  // 3. Withdrawals, as few messages as fit: IPv4 in the withdrawn-routes field, IPv6 in
  // MP_UNREACH_NLRI (RFC 4760 §4).
  for (const Family family : {Family::kV4, Family::kV6}) {
    const int f = family == Family::kV4 ? 0 : 1;
    u = Update{};
    std::vector<Nlri>* target = &u.withdrawn;
    if (family == Family::kV6) {
      u.attributes.mp_unreach = MpUnreach{kIpv6Unicast, {}, {}};
      target = &u.attributes.mp_unreach->withdrawn;
    }
    const auto size = [&](std::size_t bytes) {
      if (family == Family::kV4) return kEmptyUpdateSize + bytes;
      const std::size_t value = kMpUnreachFamily + bytes;
      return kEmptyUpdateSize + attribute_header(value) + value;
    };
    std::size_t bytes = 0;
    for (const Item& item : items) {
      if (item.action != Action::kWithdraw || item.it->first.family() != family) continue;
      const std::size_t add = prefix_size(item.it->first, add_path[f]);
      if (size(bytes + add) > max) {
        send(size(bytes));
        target->clear();
        bytes = 0;
      }
      target->push_back(Nlri{item.it->first, add_path[f] ? kLocalPathId : 0});
      bytes += add;
    }
    if (!target->empty()) send(size(bytes));
  }

  // 4. Announcements: groups in (family, attribute set) order, prefixes in order within each;
  // a counting sort keeps prefix order without comparing prefixes again.
  std::vector<Group>& all = groups.all();
  std::vector<std::uint32_t> rank(all.size());
  {
    std::vector<std::uint32_t> by_order(all.size());
    for (std::uint32_t i = 0; i < by_order.size(); ++i) by_order[i] = i;
    std::sort(by_order.begin(), by_order.end(), [&](std::uint32_t a, std::uint32_t b) {
      if (all[a].family != all[b].family) return all[a].family < all[b].family;
      return *all[a].route < *all[b].route;
    });
    for (std::uint32_t r = 0; r < by_order.size(); ++r) rank[by_order[r]] = r;
  }
  std::vector<std::size_t> start(all.size() + 1, 0);
  for (const Item& item : items) {
    if (item.action == Action::kAnnounce) ++start[rank[item.group] + 1];
  }
  for (std::size_t r = 0; r < all.size(); ++r) start[r + 1] += start[r];
  std::vector<const Item*> ordered(announcements);
  {
    std::vector<std::size_t> next(start.begin(), start.end() - 1);
    for (const Item& item : items) {
      if (item.action == Action::kAnnounce) ordered[next[rank[item.group]]++] = &item;
    }
  }
  for (std::size_t k = 0; k < ordered.size();) {
    const Group& g = all[ordered[k]->group];
    const int f = g.family == Family::kV4 ? 0 : 1;
    u.withdrawn.clear();
    u.nlri.clear();
    u.attributes = g.attributes;
    std::vector<Nlri>& target = g.mp_value != 0 ? u.attributes.mp_reach->nlri : u.nlri;
    const std::size_t end = start[rank[ordered[k]->group] + 1];
    while (k < end) {
      target.clear();
      std::size_t bytes = 0;
      for (; k < end; ++k) {
        const Prefix& prefix = ordered[k]->it->first;
        const std::size_t add = prefix_size(prefix, add_path[f]);
        if (g.size(bytes + add) > max) break;
        target.push_back(Nlri{prefix, add_path[f] ? kLocalPathId : 0});
        bytes += add;
      }
      VIPD_ASSERT(!target.empty(), "a prefix that fits alone was not placed");
      send(g.size(bytes));
    }
  }

  // 5. RFC 4724 §2: End-of-RIB per enabled family after the full table.
  if (full) {
    if (policy_.ipv4_unicast) {
      u = Update{};  // IPv4 unicast: an UPDATE with nothing in it
      send(kEmptyUpdateSize);
      ++counters_.end_of_ribs;
    }
    if (policy_.ipv6_unicast) {
      u = Update{};  // others: an MP_UNREACH_NLRI with the family and no prefixes
      u.attributes.mp_unreach = MpUnreach{kIpv6Unicast, {}, {}};
      send(kEmptyUpdateSize + attribute_header(kMpUnreachFamily) + kMpUnreachFamily);
      ++counters_.end_of_ribs;
    }
  }

  // 6. What was sent is now advertised.
  for (const Item& item : items) {
    Entry& e = item.it->second;
    std::size_t& advertised = item.it->first.family() == Family::kV4 ? counters_.advertised_ipv4
                                                                     : counters_.advertised_ipv6;
    const bool exported = item.group != kNoGroup;
    if (item.action == Action::kAnnounce) ++counters_.announced;
    if (item.action == Action::kWithdraw) ++counters_.withdrawn;
    if (e.sent && !exported) --advertised;
    if (!e.sent && exported) ++advertised;
    if (!exported) {
      e.sent.reset();
    } else if (e.sent != e.desired) {
      e.sent = e.desired;
    }
    const bool held = e.desired && !exported;
    if (held != e.held) held ? ++counters_.held_back : --counters_.held_back;
    e.held = held;
    e.dirty = false;
    if (!e.desired && !e.sent) routes_.erase(item.it);
  }
  all_dirty_ = false;
  return messages;
}

}  // namespace vipd::bgp
