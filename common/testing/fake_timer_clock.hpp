#pragma once
// FakeTimerClock: a TimerClock that moves only when a test says so. advance() walks the clock
// from deadline to deadline and calls each due timer's callback at its own deadline, so a
// callback that re-arms a timer sees the time it would have seen for real. Test-only target;
// the daemon never links it.
// Unlike SteadyTimerClock, whose pending callbacks belong to the io_context, a pending callback
// here belongs to its timer: a coroutine waiting on one (sleep_until) when its io_context is
// destroyed without running again is never freed (LeakSanitizer says so). Let the loop finish
// its work, or cancel the waits, before destroying it.

#include <cstdint>
#include <map>
#include <memory>
#include <utility>

#include "common/assert.hpp"
#include "common/timer.hpp"

namespace vipd::testing {

class FakeTimerClock final : public TimerClock {
 public:
  explicit FakeTimerClock(time_point start = time_point{} + std::chrono::hours(1)) : now_(start) {}

  time_point now() const override { return now_; }

  std::unique_ptr<Timer> make_timer(asio::any_io_executor) override {
    return std::make_unique<FakeTimer>(*this);
  }

  // Moves the clock forward by `by`, firing every timer that falls due on the way, in deadline
  // order (ties in arming order), synchronously on the caller's thread.
  void advance(duration by) {
    const time_point target = now_ + by;
    for (int fired = 0; !queue_.empty() && queue_.begin()->first.first <= target; ++fired) {
      VIPD_ASSERT(fired < 1'000'000, "timers keep re-arming at the same instant");
      auto it = queue_.begin();
      FakeTimer* timer = it->second;
      now_ = std::max(now_, it->first.first);
      queue_.erase(it);
      auto callback = std::move(timer->callback_);
      timer->callback_ = nullptr;
      timer->key_.reset();
      callback();
    }
    now_ = std::max(now_, target);
  }

  // Armed timers, and the earliest deadline among them.
  std::size_t pending() const { return queue_.size(); }
  std::optional<time_point> next_deadline() const {
    if (queue_.empty()) return std::nullopt;
    return queue_.begin()->first.first;
  }

 private:
  using Key = std::pair<time_point, std::uint64_t>;

  class FakeTimer final : public Timer {
   public:
    explicit FakeTimer(FakeTimerClock& clock) : clock_(clock) {}
    ~FakeTimer() override { cancel(); }
    void arm(time_point deadline, std::function<void()> expired) override {
      cancel();
      callback_ = std::move(expired);
      key_ = Key{deadline, clock_.sequence_++};
      clock_.queue_.emplace(*key_, this);
    }
    void cancel() override {
      if (key_) clock_.queue_.erase(*key_);
      key_.reset();
      callback_ = nullptr;
    }
    bool armed() const override { return key_.has_value(); }

   private:
    friend class FakeTimerClock;
    FakeTimerClock& clock_;
    std::optional<Key> key_;
    std::function<void()> callback_;
  };

  time_point now_;
  std::uint64_t sequence_ = 0;
  std::map<Key, FakeTimer*> queue_;
};

}  // namespace vipd::testing
