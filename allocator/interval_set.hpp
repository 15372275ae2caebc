#pragma once
// IntervalSet: a set of 128-bit values stored as maximal runs of consecutive values.
//
// The allocator keeps one per configured address block, holding the ordinals of the addresses
// in use. Inserting, erasing and finding the smallest absent value in a window are O(log r) in
// the number of runs r, whatever the size of the window (an IPv6 /64 is 2^64 values), so no
// pool is ever enumerated. Pure; no I/O; not thread-safe.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>

#include "common/uint128.hpp"

namespace vipd::allocator {

class IntervalSet {
 public:
  bool contains(u128 value) const;
  // Adds a value that is not in the set (asserted).
  void insert(u128 value);
  // Removes a value that is in the set (asserted).
  void erase(u128 value);
  // The smallest value in [low, high] that is not in the set; nullopt when all are present.
  std::optional<u128> first_absent(u128 low, u128 high) const;

  std::uint64_t size() const { return size_; }  // number of values
  std::size_t runs() const { return runs_.size(); }
  bool empty() const { return size_ == 0; }
  void clear() {
    runs_.clear();
    size_ = 0;
  }

 private:
  std::map<u128, u128> runs_;  // first -> last; disjoint, never adjacent
  std::uint64_t size_ = 0;
};

}  // namespace vipd::allocator
