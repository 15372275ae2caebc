#include "allocator/pool_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <tuple>

#include "common/assert.hpp"
#include "common/format.hpp"

namespace vipd::allocator {
namespace {

// Ordinals of an avoid-buggy IPv4 block: 254 per /24, .1 -> 0 ... .254 -> 253.
constexpr u128 kPerBlock = 254;

u128 block_of(const IpAddress& a) { return a.value() >> 8; }
unsigned low_octet(const IpAddress& a) { return static_cast<unsigned>(a.value() & 0xff); }

// Smallest ordinal of a usable address >= a.
u128 ceil_ordinal(const IpAddress& a) {
  const unsigned low = low_octet(a);
  if (low == 0) return block_of(a) * kPerBlock;
  if (low == 255) return (block_of(a) + 1) * kPerBlock;
  return block_of(a) * kPerBlock + low - 1;
}

// Largest ordinal of a usable address <= a; nullopt when there is none (0.0.0.0).
std::optional<u128> floor_ordinal(const IpAddress& a) {
  const unsigned low = low_octet(a);
  if (low == 255) return block_of(a) * kPerBlock + 253;
  if (low == 0) {
    if (block_of(a) == 0) return std::nullopt;
    return block_of(a) * kPerBlock - 1;
  }
  return block_of(a) * kPerBlock + low - 1;
}

std::string describe_block(const PoolTable& table, std::size_t block) {
  const auto& b = table.blocks()[block];
  const auto& pool = table.pools()[b.pool];
  for (const auto& configured : pool.addresses) {
    if (to_range(configured) == b.range) return to_string(configured);
  }
  return b.range.to_string();
}

}  // namespace

bool is_buggy(const IpAddress& address) {
  if (!address.is_v4()) return false;
  const unsigned low = low_octet(address);
  return low == 0 || low == 255;
}

u128 Block::size() const {
  if (empty) return 0;
  const u128 span = last_ordinal - first_ordinal;
  return span == kU128Max ? kU128Max : span + 1;
}

u128 Block::ordinal(const IpAddress& address) const {
  VIPD_ASSERT(range.contains(address), "ordinal of an address outside its block");
  if (!avoid_buggy) return address.value();
  VIPD_ASSERT(!is_buggy(address), "ordinal of an avoided address");
  return ceil_ordinal(address);
}

IpAddress Block::address(u128 ordinal) const {
  VIPD_ASSERT(!empty && ordinal >= first_ordinal && ordinal <= last_ordinal,
              "ordinal outside its block");
  if (!avoid_buggy) {
    return range.family() == Family::kV4 ? IpAddress::v4(static_cast<std::uint32_t>(ordinal))
                                         : IpAddress::v6(ordinal);
  }
  const u128 value = ((ordinal / kPerBlock) << 8) | (ordinal % kPerBlock + 1);
  return IpAddress::v4(static_cast<std::uint32_t>(value));
}

Result<PoolTable> PoolTable::make(std::vector<Pool> pools) {
  PoolTable table;
  std::map<std::string, std::size_t, std::less<>> names;
  for (std::size_t i = 0; i < pools.size(); ++i) {
    if (pools[i].name.empty()) {
      return failure(Errc::kInvalidArgument,
                     fmt::format("address pool #{} has no name; every pool needs one", i + 1));
    }
    if (!names.emplace(pools[i].name, i).second) {
      return failure(Errc::kAlreadyExists,
                     fmt::format("address pool '{}' is defined twice", pools[i].name));
    }
  }
  table.pools_ = std::move(pools);
  table.pool_blocks_.resize(table.pools_.size());
  for (std::size_t p = 0; p < table.pools_.size(); ++p) {
    const Pool& pool = table.pools_[p];
    for (const auto& configured : pool.addresses) {
      Block b{.range = to_range(configured)};
      b.pool = p;
      b.avoid_buggy = pool.avoid_buggy_ips && b.range.family() == Family::kV4;
      if (b.avoid_buggy) {
        const auto last = floor_ordinal(b.range.last());
        b.first_ordinal = ceil_ordinal(b.range.first());
        b.empty = !last || *last < b.first_ordinal;
        b.last_ordinal = last.value_or(0);
      } else {
        b.first_ordinal = b.range.first().value();
        b.last_ordinal = b.range.last().value();
      }
      table.pool_blocks_[p].push_back(table.blocks_.size());
      table.blocks_.push_back(b);
    }
  }

  // Overlap check: sort by first address (family first), compare neighbours.
  std::vector<std::size_t> order(table.blocks_.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return std::tie(table.blocks_[a].range, a) < std::tie(table.blocks_[b].range, b);
  });
  for (std::size_t i = 1; i < order.size(); ++i) {
    const Block& a = table.blocks_[order[i - 1]];
    const Block& b = table.blocks_[order[i]];
    if (a.range.overlaps(b.range)) {
      const auto& pa = table.pools_[a.pool].name;
      const auto& pb = table.pools_[b.pool].name;
      const auto da = describe_block(table, order[i - 1]);
      const auto db = describe_block(table, order[i]);
      if (a.pool == b.pool) {
        return failure(Errc::kConflict,
                       fmt::format("address pool '{}' lists {} and {}, which overlap", pa, da, db));
      }
      return failure(Errc::kConflict,
                     fmt::format("address pool '{}' ({}) overlaps address pool '{}' ({}); an "
                                 "address may belong to one pool only",
                                 pa, da, pb, db));
    }
  }
  for (std::size_t i = 0; i < table.blocks_.size(); ++i) {
    table.by_first_.emplace(table.blocks_[i].range.first(), i);
  }
  return table;
}

std::optional<std::size_t> PoolTable::find_pool(std::string_view name) const {
  for (std::size_t i = 0; i < pools_.size(); ++i) {
    if (pools_[i].name == name) return i;
  }
  return std::nullopt;
}

std::optional<std::size_t> PoolTable::containing(const IpAddress& address) const {
  auto it = by_first_.upper_bound(address);
  if (it == by_first_.begin()) return std::nullopt;
  --it;
  if (!blocks_[it->second].range.contains(address)) return std::nullopt;
  return it->second;
}

std::optional<std::size_t> PoolTable::block_for(const IpAddress& address) const {
  const auto block = containing(address);
  if (!block) return std::nullopt;
  if (blocks_[*block].avoid_buggy && is_buggy(address)) return std::nullopt;
  return block;
}

std::string PoolTable::why_not_owned(const IpAddress& address) const {
  if (const auto block = containing(address)) {
    return fmt::format(
        "{} ends in .0 or .255, which address pool '{}' avoids (avoid-buggy-ips is set)", address,
        pools_[blocks_[*block].pool].name);
  }
  return fmt::format("{} is not in any address pool", address);
}

PoolCounts PoolTable::totals(std::size_t pool) const {
  PoolCounts counts;
  for (const std::size_t b : pool_blocks_[pool]) {
    auto& family = blocks_[b].family() == Family::kV4 ? counts.v4 : counts.v6;
    family.total = saturating_add(family.total, blocks_[b].size());
  }
  return counts;
}

}  // namespace vipd::allocator
