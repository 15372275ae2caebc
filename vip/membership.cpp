#include "vip/membership.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "common/assert.hpp"

namespace vipd::vip {
namespace {

constexpr std::array<std::uint8_t, 4> kMagic = {'V', 'I', 'P', 'M'};
constexpr std::uint8_t kLeaving = 0x01;
constexpr std::uint8_t kIncomplete = 0x02;
constexpr std::uint8_t kKnownFlags = kLeaving | kIncomplete;
// Incarnations remembered per member after a restart replaced them (late datagrams of a
// previous run are ignored); a member restarting more often than this within a datagram's
// lifetime is not a case worth more memory.
constexpr std::size_t kRetiredIncarnations = 4;

void put(std::vector<std::uint8_t>& out, std::uint64_t value, int bytes) {
  for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8) {
    out.push_back(static_cast<std::uint8_t>(value >> shift));
  }
}

void put_bytes(std::vector<std::uint8_t>& out, std::string_view bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}

bool sorted_unique(const std::vector<std::string>& keys) {
  return std::adjacent_find(keys.begin(), keys.end(),
                            [](const auto& a, const auto& b) { return !(a < b); }) == keys.end();
}

// Reads the datagram front to back; every read is checked against what is left.
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  std::size_t offset() const { return offset_; }
  std::size_t left() const { return bytes_.size() - offset_; }

  // The next `n` bytes as an unsigned number (n <= 8), or nullopt when fewer are left.
  std::optional<std::uint64_t> number(std::size_t n) {
    if (left() < n) return std::nullopt;
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v = (v << 8) | bytes_[offset_ + i];
    offset_ += n;
    return v;
  }

  std::optional<std::string> text(std::size_t n) {
    if (left() < n) return std::nullopt;
    std::string s(reinterpret_cast<const char*>(bytes_.data() + offset_), n);
    offset_ += n;
    return s;
  }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t offset_ = 0;
};

Error refused(std::string_view field, std::string_view why, std::size_t offset) {
  return Error(Errc::kProtocolError, "membership heartbeat refused: " + std::string(field) + ": " +
                                         std::string(why) + " (offset " + std::to_string(offset) +
                                         ")");
}

std::string truncated(std::size_t need, std::size_t left) {
  return "needs " + std::to_string(need) + " bytes, " + std::to_string(left) + " left";
}

// A fixed-size number, or the error naming it.
Result<std::uint64_t> read_number(Reader& r, std::string_view field, std::size_t n) {
  const auto at = r.offset();
  const auto left = r.left();
  if (auto v = r.number(n)) return *v;
  return failure(refused(field, truncated(n, left), at));
}

// A name: length (`length_bytes` wide), then 1..kMaxNameLength bytes.
Result<std::string> read_name(Reader& r, const std::string& field, std::size_t length_bytes) {
  VIPD_TRY(auto length, read_number(r, field + " length", length_bytes));
  const auto at = r.offset();
  if (length == 0) return failure(refused(field + " length", "must not be 0", at - length_bytes));
  if (length > kMaxNameLength) {
    return failure(refused(field + " length",
                           std::to_string(length) + " is over " + std::to_string(kMaxNameLength),
                           at - length_bytes));
  }
  const auto left = r.left();
  if (auto s = r.text(length)) return std::move(*s);
  return failure(refused(field, truncated(length, left), at));
}

}  // namespace

std::vector<std::uint8_t> encode(const Heartbeat& heartbeat) {
  VIPD_ASSERT(!heartbeat.node.empty() && heartbeat.node.size() <= kMaxNameLength,
              "membership node name must be 1-253 bytes");
  VIPD_ASSERT(heartbeat.interval_ms >= 1 && heartbeat.interval_ms <= kMaxIntervalMs,
              "membership interval must be 1-60000 ms");
  VIPD_ASSERT(sorted_unique(heartbeat.not_serving), "not_serving must be sorted and unique");

  std::vector<std::uint8_t> out;
  out.reserve(kHeartbeatFixedSize + heartbeat.node.size() + 64);
  out.insert(out.end(), kMagic.begin(), kMagic.end());
  out.push_back(kMembershipVersion);
  const std::size_t flags_at = out.size();
  out.push_back(0);
  put(out, heartbeat.node.size(), 1);
  put_bytes(out, heartbeat.node);
  put(out, heartbeat.incarnation, 8);
  put(out, heartbeat.sequence, 8);
  put(out, heartbeat.interval_ms, 4);
  const std::size_t count_at = out.size();
  put(out, 0, 2);

  bool incomplete = heartbeat.incomplete;
  std::size_t count = 0;
  for (const auto& key : heartbeat.not_serving) {
    VIPD_ASSERT(!key.empty(), "an empty service key in not_serving");
    if (key.size() > kMaxNameLength) {  // cannot be said on the wire: left out
      incomplete = true;
      continue;
    }
    if (count == kMaxServices || out.size() + 2 + key.size() > kMaxDatagram) {
      incomplete = true;
      break;
    }
    put(out, key.size(), 2);
    put_bytes(out, key);
    ++count;
  }
  out[flags_at] = static_cast<std::uint8_t>((heartbeat.leaving ? kLeaving : 0) |
                                            (incomplete ? kIncomplete : 0));
  out[count_at] = static_cast<std::uint8_t>(count >> 8);
  out[count_at + 1] = static_cast<std::uint8_t>(count);
  return out;
}

Result<Heartbeat> decode(std::span<const std::uint8_t> datagram) {
  if (datagram.size() > kMaxDatagram) {
    return failure(refused(
        "datagram",
        std::to_string(datagram.size()) + " bytes, over " + std::to_string(kMaxDatagram), 0));
  }
  Reader r(datagram);
  VIPD_TRY(auto magic, read_number(r, "magic", 4));
  if (magic != 0x5649504dU) return failure(refused("magic", "not \"VIPM\"", 0));
  VIPD_TRY(auto version, read_number(r, "version", 1));
  if (version != kMembershipVersion) {
    return failure(refused("version", std::to_string(version) + " is not 1", 4));
  }
  VIPD_TRY(auto flags, read_number(r, "flags", 1));
  if ((flags & ~std::uint64_t{kKnownFlags}) != 0) {
    return failure(refused("flags", "unknown bits set in " + std::to_string(flags), 5));
  }
  Heartbeat h;
  h.leaving = (flags & kLeaving) != 0;
  h.incomplete = (flags & kIncomplete) != 0;
  VIPD_TRY(h.node, read_name(r, "node", 1));
  VIPD_TRY(h.incarnation, read_number(r, "incarnation", 8));
  VIPD_TRY(h.sequence, read_number(r, "sequence", 8));
  const auto interval_at = r.offset();
  VIPD_TRY(auto interval, read_number(r, "interval_ms", 4));
  if (interval == 0 || interval > kMaxIntervalMs) {
    return failure(
        refused("interval_ms", std::to_string(interval) + " is not within 1-60000", interval_at));
  }
  h.interval_ms = static_cast<std::uint32_t>(interval);
  const auto count_at = r.offset();
  VIPD_TRY(auto count, read_number(r, "count", 2));
  if (count > kMaxServices) {
    return failure(refused("count", std::to_string(count) + " is over 4096", count_at));
  }
  // Each entry takes at least 3 bytes: a count the datagram cannot hold is refused before any
  // allocation it would cause.
  if (count * 3 > r.left()) {
    return failure(refused(
        "count",
        std::to_string(count) + " entries cannot fit in " + std::to_string(r.left()) + " bytes",
        count_at));
  }
  h.not_serving.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const auto field = "not_serving[" + std::to_string(i) + "]";
    const auto at = r.offset();
    VIPD_TRY(auto key, read_name(r, field, 2));
    if (!h.not_serving.empty() && !(h.not_serving.back() < key)) {
      return failure(refused(field, "not after the previous entry (sorted, unique)", at));
    }
    h.not_serving.push_back(std::move(key));
  }
  if (r.left() != 0) {
    return failure(refused("end", std::to_string(r.left()) + " trailing bytes", r.offset()));
  }
  return h;
}

Members::Members(std::vector<std::string> names, int multiplier) : multiplier_(multiplier) {
  VIPD_ASSERT(multiplier >= 1 && multiplier <= 255, "membership multiplier must be 1-255");
  for (auto& n : names) members_.try_emplace(std::move(n));
}

std::optional<Clock::time_point> Members::expiry(const Member& member) const {
  if (!member.last || member.last->leaving) return std::nullopt;
  return member.heard + std::chrono::milliseconds(member.last->interval_ms) * multiplier_;
}

bool Members::live(const Member& member, Clock::time_point now) const {
  const auto e = expiry(member);
  return e && now < *e;
}

bool Members::observe(const Heartbeat& heartbeat, Clock::time_point now) {
  const auto it = members_.find(heartbeat.node);
  if (it == members_.end()) return false;
  Member& m = it->second;
  if (m.last) {
    if (heartbeat.incarnation == m.last->incarnation) {
      if (heartbeat.sequence <= m.last->sequence) return false;  // reordered or repeated
    } else {
      if (std::find(m.retired.begin(), m.retired.end(), heartbeat.incarnation) != m.retired.end()) {
        return false;  // a previous run's datagram, late
      }
      m.retired.push_back(m.last->incarnation);
      if (m.retired.size() > kRetiredIncarnations) m.retired.erase(m.retired.begin());
    }
  }
  const bool was_live = live(m, now);
  const bool serving_changed = !m.last || m.last->incomplete != heartbeat.incomplete ||
                               m.last->not_serving != heartbeat.not_serving;
  m.last = heartbeat;
  m.heard = now;
  const bool is_live_now = live(m, now);
  return was_live != is_live_now || (is_live_now && serving_changed);
}

std::set<std::string, std::less<>> Members::live(Clock::time_point now) const {
  std::set<std::string, std::less<>> out;
  for (const auto& [name, member] : members_) {
    if (live(member, now)) out.insert(name);
  }
  return out;
}

bool Members::is_live(std::string_view node, Clock::time_point now) const {
  const auto it = members_.find(node);
  return it != members_.end() && live(it->second, now);
}

bool Members::serves(std::string_view node, std::string_view service, Clock::time_point now) const {
  const auto it = members_.find(node);
  if (it == members_.end() || !live(it->second, now)) return false;
  const Heartbeat& h = *it->second.last;
  if (h.incomplete) return false;
  return !std::binary_search(h.not_serving.begin(), h.not_serving.end(), service, std::less<>());
}

std::optional<Clock::time_point> Members::next_expiry(Clock::time_point now) const {
  std::optional<Clock::time_point> next;
  for (const auto& [name, member] : members_) {
    const auto e = expiry(member);
    if (e && *e > now && (!next || *e < *next)) next = e;
  }
  return next;
}

std::vector<Members::Status> Members::status(Clock::time_point now) const {
  std::vector<Status> out;
  out.reserve(members_.size());
  for (const auto& [name, member] : members_) {
    Status s;
    s.name = name;
    s.live = live(member, now);
    s.last = member.last;
    if (member.last) s.heard = member.heard;
    s.expires = expiry(member);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace vipd::vip
