#pragma once
// PoolTable: the validated address space of a set of pools.
//
// Each configured address block becomes a Block with an ordinal space: in an avoid-buggy-ips
// pool the IPv4 addresses ending in .0 or .255 have no ordinal and the rest are numbered
// consecutively (254 per /24), elsewhere the ordinal is the address itself. The allocator's
// free-space search runs in ordinal space, so skipping buggy addresses costs nothing and never
// walks a pool. Blocks never overlap (validated), so an address has at most one owner.
// Pure; no I/O.

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "allocator/types.hpp"
#include "common/result.hpp"

namespace vipd::allocator {

// True for IPv4 addresses ending in .0 or .255 (some CPE firmware drops traffic to them).
bool is_buggy(const IpAddress& address);

struct Block {
  IpRange range;             // as configured
  std::size_t pool = 0;      // index into PoolTable::pools()
  bool avoid_buggy = false;  // ordinals skip .0 and .255
  bool empty = false;        // no usable address (for example 192.0.2.255-192.0.2.255, avoided)
  u128 first_ordinal = 0;    // valid when !empty
  u128 last_ordinal = 0;

  Family family() const { return range.family(); }
  // Usable addresses (ordinal span), saturating at 2^128 - 1.
  u128 size() const;
  // Requires an address of this block that is not avoided.
  u128 ordinal(const IpAddress& address) const;
  IpAddress address(u128 ordinal) const;
};

class PoolTable {
 public:
  PoolTable() = default;  // no pools

  // Rejects nameless or duplicate pools and overlapping blocks (within or across pools).
  static Result<PoolTable> make(std::vector<Pool> pools);

  const std::vector<Pool>& pools() const { return pools_; }
  const std::vector<Block>& blocks() const { return blocks_; }
  // Indexes into blocks(), in the pool's configured order.
  const std::vector<std::size_t>& blocks_of(std::size_t pool) const { return pool_blocks_[pool]; }
  std::optional<std::size_t> find_pool(std::string_view name) const;

  // The block that may hand out this address: nullopt when no block contains it, or when its
  // pool avoids it (buggy IPv4 address in an avoid-buggy-ips pool).
  std::optional<std::size_t> block_for(const IpAddress& address) const;
  // Why block_for() said no, in words for a person.
  std::string why_not_owned(const IpAddress& address) const;

  PoolCounts totals(std::size_t pool) const;  // in_use left at zero

 private:
  // The block whose range contains the address, avoided or not.
  std::optional<std::size_t> containing(const IpAddress& address) const;

  std::vector<Pool> pools_;
  std::vector<Block> blocks_;
  std::vector<std::vector<std::size_t>> pool_blocks_;
  std::map<IpAddress, std::size_t> by_first_;  // range.first -> block
};

}  // namespace vipd::allocator
