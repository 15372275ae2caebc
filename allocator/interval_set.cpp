#include "allocator/interval_set.hpp"

#include <iterator>

#include "common/assert.hpp"

namespace vipd::allocator {

bool IntervalSet::contains(u128 value) const {
  auto it = runs_.upper_bound(value);
  if (it == runs_.begin()) return false;
  --it;
  return it->second >= value;
}

void IntervalSet::insert(u128 value) {
  const auto next = runs_.upper_bound(value);  // first run starting after value
  bool joins_prev = false;
  auto prev = runs_.end();
  if (next != runs_.begin()) {
    prev = std::prev(next);
    VIPD_ASSERT(prev->second < value, "value inserted twice into an interval set");
    joins_prev = prev->second + 1 == value;  // prev->second < value, so no overflow
  }
  const bool joins_next = next != runs_.end() && next->first - 1 == value;
  if (joins_prev && joins_next) {
    prev->second = next->second;
    runs_.erase(next);
  } else if (joins_prev) {
    prev->second = value;
  } else if (joins_next) {
    auto node = runs_.extract(next);
    node.key() = value;
    runs_.insert(std::move(node));
  } else {
    runs_.emplace_hint(next, value, value);
  }
  ++size_;
}

void IntervalSet::erase(u128 value) {
  auto it = runs_.upper_bound(value);
  VIPD_ASSERT(it != runs_.begin(), "erasing a value that is not in the interval set");
  --it;
  const u128 first = it->first;
  const u128 last = it->second;
  VIPD_ASSERT(last >= value, "erasing a value that is not in the interval set");
  if (first == value && last == value) {
    runs_.erase(it);
  } else if (first == value) {
    auto node = runs_.extract(it);
    node.key() = value + 1;
    runs_.insert(std::move(node));
  } else if (last == value) {
    it->second = value - 1;
  } else {
    it->second = value - 1;
    runs_.emplace_hint(std::next(it), value + 1, last);
  }
  --size_;
}

std::optional<u128> IntervalSet::first_absent(u128 low, u128 high) const {
  if (low > high) return std::nullopt;
  auto it = runs_.upper_bound(low);
  if (it == runs_.begin()) return low;
  --it;
  if (it->second < low) return low;
  // Runs are maximal, so the value right after this run is absent.
  if (it->second >= high) return std::nullopt;
  return it->second + 1;
}

}  // namespace vipd::allocator
