#pragma once
// Timers read through a Clock: every module that waits (BGP sessions, the speaker, health
// checks, the daemons) arms a Timer made by a TimerClock, so tests drive time with
// FakeTimerClock (common/testing/fake_timer_clock.hpp) instead of sleeping.
//
// Responsible for: one-shot timers on an executor, and a coroutine wait built on them.
// The guarantee every user relies on: once arm() or cancel() returns, the callback of an
// earlier arming never runs, even when its expiry was already queued on the executor (a
// re-armed timer never acts on a stale expiry).
// Not responsible for: periodic schedules (callers re-arm), wall-clock time.
// Thread: a Timer is used from the thread running its executor; callbacks run there.

#include <functional>
#include <memory>

#include "common/asio.hpp"
#include "common/clock.hpp"

namespace vipd {

class Timer {
 public:
  virtual ~Timer() = default;
  // Calls `expired` once, on the timer's executor, when the clock reaches `deadline` (soon
  // after, if it already has). Replaces an earlier arming.
  virtual void arm(Clock::time_point deadline, std::function<void()> expired) = 0;
  // Nothing fires until the next arm().
  virtual void cancel() = 0;
  virtual bool armed() const = 0;
};

class TimerClock : public Clock {
 public:
  virtual std::unique_ptr<Timer> make_timer(asio::any_io_executor executor) = 0;
};

// The real monotonic clock, with timers on Asio's steady_timer.
class SteadyTimerClock final : public TimerClock {
 public:
  time_point now() const override { return std::chrono::steady_clock::now(); }
  std::unique_ptr<Timer> make_timer(asio::any_io_executor executor) override;
};

// Waits until `clock` reaches `deadline`. True when the deadline was reached; false when the
// wait was cancelled (e.g. it lost an `||` race, or its coroutine was cancelled).
asio::awaitable<bool> sleep_until(TimerClock& clock, Clock::time_point deadline);
asio::awaitable<bool> sleep_for(TimerClock& clock, Clock::duration duration);

}  // namespace vipd
