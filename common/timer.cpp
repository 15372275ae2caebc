#include "common/timer.hpp"

#include <optional>

namespace vipd {
namespace {

class SteadyTimer final : public Timer {
 public:
  explicit SteadyTimer(asio::any_io_executor executor)
      : timer_(std::move(executor)), state_(std::make_shared<State>()) {}
  ~SteadyTimer() override { cancel(); }

  void arm(Clock::time_point deadline, std::function<void()> expired) override {
    // The generation is what makes a stale expiry harmless: a completion queued for an earlier
    // arming carries an older generation and returns without calling anything. The callback
    // lives in Asio's pending operation, not in the timer, so an io_context destroyed with the
    // wait pending destroys it too (a coroutine waiting on this timer is not kept alive by a
    // cycle through its own frame).
    const auto generation = ++state_->generation;
    state_->armed = true;
    timer_.expires_at(deadline);
    timer_.async_wait([state = state_, generation,
                       callback = std::move(expired)](const boost::system::error_code&) {
      if (state->generation != generation || !state->armed) return;
      state->armed = false;
      callback();
    });
  }

  void cancel() override {
    ++state_->generation;
    state_->armed = false;
    timer_.cancel();
  }

  bool armed() const override { return state_->armed; }

 private:
  // Shared with pending completions, which may run after the timer is gone.
  struct State {
    std::uint64_t generation = 0;
    bool armed = false;
  };
  asio::steady_timer timer_;
  std::shared_ptr<State> state_;
};

// Completes `handler` once: at the deadline, or with operation_aborted when its cancellation
// slot fires first.
template <class Token>
auto async_wait_timer(Timer& timer, Clock::time_point deadline, Token&& token) {
  return asio::async_initiate<Token, void(boost::system::error_code)>(
      [&timer, deadline](auto handler) {
        using Handler = decltype(handler);
        struct Op {
          std::optional<Handler> handler;
          asio::cancellation_slot slot;
          // Hands the result to the handler's executor; false if it was already handed over.
          bool complete(boost::system::error_code ec) {
            if (!handler) return false;
            auto h = std::move(*handler);
            handler.reset();
            asio::post(asio::append(std::move(h), ec));
            return true;
          }
        };
        auto op = std::make_shared<Op>();
        op->slot = asio::get_associated_cancellation_slot(handler);
        op->handler.emplace(std::move(handler));
        if (op->slot.is_connected()) {
          // Runs inside the slot's emit: it must not clear the slot (that destroys this very
          // function), and touches the timer only while the wait is pending (the timer lives in
          // the waiting coroutine's frame).
          op->slot.assign([op, &timer](asio::cancellation_type) {
            if (!op->handler) return;
            timer.cancel();
            op->complete(asio::error::operation_aborted);
          });
        }
        timer.arm(deadline, [op] {
          if (op->slot.is_connected()) op->slot.clear();  // not inside the slot: safe
          op->complete({});
        });
      },
      token);
}

}  // namespace

std::unique_ptr<Timer> SteadyTimerClock::make_timer(asio::any_io_executor executor) {
  return std::make_unique<SteadyTimer>(std::move(executor));
}

asio::awaitable<bool> sleep_until(TimerClock& clock, Clock::time_point deadline) {
  auto timer = clock.make_timer(co_await asio::this_coro::executor);
  auto [ec] = co_await async_wait_timer(*timer, deadline, asio::as_tuple(asio::use_awaitable));
  co_return !ec;
}

asio::awaitable<bool> sleep_for(TimerClock& clock, Clock::duration duration) {
  co_return co_await sleep_until(clock, clock.now() + duration);
}

}  // namespace vipd
