#include "config/model.hpp"

#include <algorithm>
#include <charconv>
#include <limits>

namespace vipd::config {

const StandaloneServiceDetails& StandaloneService::details() const {
  static const StandaloneServiceDetails kNone;
  return more ? *more : kNone;
}

StandaloneServiceDetails& StandaloneService::edit() {
  if (!more) more = StandaloneServiceDetails{};
  return *more;
}

namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Decimal digits into a u32 with an upper bound; nullopt when out of range.
std::optional<std::uint32_t> to_u32(std::string_view s, std::uint32_t max) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v > max) return std::nullopt;
  return static_cast<std::uint32_t>(v);
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const auto pos = s.find(sep, start);
    parts.push_back(s.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos) return parts;
    start = pos + 1;
  }
}

// Nanoseconds per unit, for the units Go's time.ParseDuration knows.
std::optional<std::int64_t> unit_ns(std::string_view unit) {
  if (unit == "ns") return 1;
  if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") return 1000;
  if (unit == "ms") return 1000000;
  if (unit == "s") return 1000000000;
  if (unit == "m") return 60LL * 1000000000;
  if (unit == "h") return 3600LL * 1000000000;
  return std::nullopt;
}

std::string trimmed_fraction(std::uint64_t rem, int digits) {
  std::string s(static_cast<std::size_t>(digits), '0');
  for (int i = digits - 1; i >= 0; --i, rem /= 10) s[static_cast<std::size_t>(i)] += rem % 10;
  while (!s.empty() && s.back() == '0') s.pop_back();
  return s.empty() ? s : "." + s;
}

}  // namespace

Result<Duration> parse_duration(std::string_view text) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return Duration(0);
  if (s.empty()) return failure(Errc::kInvalidArgument, "invalid duration " + quoted);
  __int128 total = 0;
  constexpr __int128 kMax = std::numeric_limits<std::int64_t>::max();
  while (!s.empty()) {
    std::size_t i = 0;
    __int128 whole = 0;
    bool digits = false;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      whole = whole * 10 + (s[i] - '0');
      if (whole > kMax) return failure(Errc::kOutOfRange, "invalid duration " + quoted);
      digits = true;
      ++i;
    }
    std::int64_t frac = 0, scale = 1;
    if (i < s.size() && s[i] == '.') {
      ++i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        if (scale < 1000000000000000000LL / 10) {
          frac = frac * 10 + (s[i] - '0');
          scale *= 10;
        }
        digits = true;
        ++i;
      }
    }
    if (!digits) return failure(Errc::kInvalidArgument, "invalid duration " + quoted);
    std::size_t u = i;
    while (u < s.size() && !(s[u] >= '0' && s[u] <= '9') && s[u] != '.') ++u;
    const auto unit = s.substr(i, u - i);
    if (unit.empty()) {
      return failure(Errc::kInvalidArgument,
                     "missing unit in duration " + quoted + " (use ns, us, ms, s, m or h)");
    }
    const auto ns = unit_ns(unit);
    if (!ns) {
      return failure(Errc::kInvalidArgument, "unknown unit \"" + std::string(unit) +
                                                 "\" in duration " + quoted +
                                                 " (use ns, us, ms, s, m or h)");
    }
    total += whole * *ns + static_cast<__int128>(frac) * *ns / scale;
    if (total > kMax) return failure(Errc::kOutOfRange, "invalid duration " + quoted);
    s.remove_prefix(u);
  }
  const auto value = static_cast<std::int64_t>(total);
  return Duration(negative ? -value : value);
}

std::string format_duration(Duration d) {
  const auto count = d.count();
  if (count == 0) return "0s";
  std::string sign = count < 0 ? "-" : "";
  const std::uint64_t u =
      count < 0 ? std::uint64_t(0) - static_cast<std::uint64_t>(count) : std::uint64_t(count);
  if (u < 1000) return sign + std::to_string(u) + "ns";
  if (u < 1000000) return sign + std::to_string(u / 1000) + trimmed_fraction(u % 1000, 3) + "µs";
  if (u < 1000000000) {
    return sign + std::to_string(u / 1000000) + trimmed_fraction(u % 1000000, 6) + "ms";
  }
  const std::uint64_t secs = u / 1000000000;
  const std::uint64_t h = secs / 3600, m = secs / 60 % 60, sec = secs % 60;
  std::string out = sign;
  if (h > 0) out += std::to_string(h) + "h";
  if (h > 0 || m > 0) out += std::to_string(m) + "m";
  return out + std::to_string(sec) + trimmed_fraction(u % 1000000000, 9) + "s";
}

Result<Community> Community::parse(std::string_view text) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  constexpr std::string_view kLarge = "large:";
  if (text.substr(0, kLarge.size()) == kLarge) {
    const auto parts = split(text.substr(kLarge.size()), ':');
    if (parts.size() != 3 || !std::all_of(parts.begin(), parts.end(), all_digits)) {
      return failure(Errc::kInvalidArgument,
                     "invalid large community " + quoted + ": want large:NUMBER:NUMBER:NUMBER");
    }
    Community c{.kind = Kind::kLarge};
    const auto a = to_u32(parts[0], UINT32_MAX), b = to_u32(parts[1], UINT32_MAX),
               d = to_u32(parts[2], UINT32_MAX);
    if (!a || !b || !d) {
      return failure(Errc::kOutOfRange,
                     "invalid large community " + quoted + ": each part must be 0..4294967295");
    }
    c.global = *a;
    c.local1 = *b;
    c.local2 = *d;
    return c;
  }
  const auto parts = split(text, ':');
  if (parts.size() != 2 || !all_digits(parts[0]) || !all_digits(parts[1])) {
    return failure(Errc::kInvalidArgument,
                   "invalid community " + quoted + ": want NUMBER:NUMBER or large:N:N:N");
  }
  const auto a = to_u32(parts[0], 65535), b = to_u32(parts[1], 65535);
  if (!a || !b) {
    return failure(Errc::kOutOfRange,
                   "invalid community " + quoted + ": each part must be 0..65535");
  }
  return Community{.kind = Kind::kStandard, .global = *a, .local1 = *b};
}

std::string Community::to_string() const {
  if (kind == Kind::kLarge) {
    return "large:" + std::to_string(global) + ":" + std::to_string(local1) + ":" +
           std::to_string(local2);
  }
  return std::to_string(global) + ":" + std::to_string(local1);
}

int AddressBlock::widest_prefix_length() const {
  int widest = range.first().bits();
  for (const auto& p : range.to_cidrs()) widest = std::min(widest, p.length());
  return widest;
}

std::string AddressBlock::to_string() const {
  if (is_cidr) return range.to_cidrs().front().to_string();
  return range.first().to_string() + "-" + range.last().to_string();
}

u128 Pool::size(Family family) const {
  u128 total = 0;
  for (const auto& block : addresses) {
    if (block.family() != family) continue;
    const u128 n = block.range.size();
    total = (kU128Max - total < n) ? kU128Max : total + n;
  }
  return total;
}

std::string_view to_string(SourceFormat format) {
  switch (format) {
    case SourceFormat::kConfigMap:
      return "MetalLB ConfigMap";
    case SourceFormat::kResources:
      return "MetalLB resources";
    case SourceFormat::kStandalone:
      return "standalone";
  }
  return "unknown";
}

std::string_view to_string(IpFamilyPolicy policy) {
  switch (policy) {
    case IpFamilyPolicy::kSingleStack:
      return "SingleStack";
    case IpFamilyPolicy::kPreferDualStack:
      return "PreferDualStack";
    case IpFamilyPolicy::kRequireDualStack:
      return "RequireDualStack";
  }
  return "unknown";
}

const Pool* Config::find_pool(std::string_view name) const {
  for (const auto& p : pools) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

bool Config::is_layer2(const Pool& pool) const {
  return std::any_of(l2_advertisements.begin(), l2_advertisements.end(),
                     [&](const L2Advertisement& ad) { return selects_pool(ad, pool); });
}

namespace {

template <class Advertisement>
bool selects(const Advertisement& ad, const Pool& pool) {
  if (ad.pools.empty() && ad.pool_selectors.empty()) return true;
  return std::find(ad.pools.begin(), ad.pools.end(), pool.name) != ad.pools.end() ||
         std::any_of(ad.pool_selectors.begin(), ad.pool_selectors.end(),
                     [&](const LabelSelector& s) { return s.matches(pool.labels); });
}

}  // namespace

bool selects_pool(const BgpAdvertisement& ad, const Pool& pool) { return selects(ad, pool); }
bool selects_pool(const L2Advertisement& ad, const Pool& pool) { return selects(ad, pool); }

std::optional<Community> Config::resolve_community(std::string_view text) const {
  if (const auto it = communities.find(text); it != communities.end()) return it->second;
  if (auto c = Community::parse(text)) return c.value();
  return std::nullopt;
}

}  // namespace vipd::config
