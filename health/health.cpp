#include "health/health.hpp"

#include <spdlog/spdlog.h>

#include <exception>
#include <utility>

#include "common/assert.hpp"
#include "common/logging.hpp"

namespace vipd::health {
namespace {

bool same_target(const config::HealthCheck& a, const config::HealthCheck& b) {
  return a.kind == b.kind && a.address == b.address && a.port == b.port &&
         a.http_path == b.http_path && a.command == b.command;
}

}  // namespace

struct HealthChecker::Check {
  Check(std::string k, config::HealthCheck d)
      : key(std::move(k)), definition(std::move(d)), state(definition.rise, definition.fall) {}

  const std::string key;
  const config::HealthCheck definition;
  HealthState state;
  // Bound to the loop's coroutine: halt() emits it, which cancels whatever the loop awaits
  // (a probe in flight, or the wait for the next one).
  asio::cancellation_signal halt_signal;
  bool stopped = false;
};

HealthChecker::HealthChecker(asio::any_io_executor executor, TimerClock& clock, Callback on_change)
    : executor_(std::move(executor)), clock_(clock), on_change_(std::move(on_change)) {}

HealthChecker::~HealthChecker() { stop(); }

void HealthChecker::set(std::map<std::string, config::HealthCheck> checks) {
  for (auto it = checks_.begin(); it != checks_.end();) {
    if (checks.contains(it->first)) {
      ++it;
    } else {
      halt(*it->second);
      it = checks_.erase(it);
    }
  }
  for (auto& [key, definition] : checks) {
    VIPD_ASSERT(definition.interval.count() > 0 && definition.timeout.count() > 0,
                "health check interval and timeout are positive (the configuration checks)");
    auto it = checks_.find(key);
    if (it != checks_.end() && it->second->definition == definition) continue;
    auto fresh = std::make_shared<Check>(key, std::move(definition));
    if (it == checks_.end()) {
      checks_.emplace(key, fresh);
    } else {
      if (same_target(it->second->definition, fresh->definition)) {
        fresh->state = it->second->state;
        fresh->state.set_thresholds(fresh->definition.rise, fresh->definition.fall);
      }
      halt(*it->second);
      it->second = fresh;
    }
    start(fresh);
  }
}

std::optional<Verdict> HealthChecker::verdict(const std::string& key) const {
  const auto it = checks_.find(key);
  if (it == checks_.end()) return std::nullopt;
  return it->second->state.verdict();
}

std::map<std::string, HealthChecker::Status> HealthChecker::status() const {
  std::map<std::string, Status> out;
  for (const auto& [key, check] : checks_) {
    const auto& s = check->state;
    out.emplace(key, Status{s.verdict(), s.last_result(), s.checks(), s.failures()});
  }
  return out;
}

void HealthChecker::stop() {
  for (auto& [key, check] : checks_) halt(*check);
  checks_.clear();
}

void HealthChecker::halt(Check& check) {
  // `stopped` covers a loop that is not suspended in a cancellable wait right now (its
  // resumption is queued): it looks at the flag after every await.
  check.stopped = true;
  check.halt_signal.emit(asio::cancellation_type::terminal);
}

void HealthChecker::start(const std::shared_ptr<Check>& check) {
  // The loop's completion handler. It offers the check's cancellation slot as a member, not
  // through bind_cancellation_slot: co_spawn then delivers halt() at once instead of
  // dispatching it through the executor, so the loop's pending wait is cancelled (its timer
  // disarmed) before halt() returns, from whichever thread. It keeps the Check, and with it
  // the signal, alive until the loop has finished; what a halted loop ends with is expected.
  struct Done {
    using cancellation_slot_type = asio::cancellation_slot;
    cancellation_slot_type get_cancellation_slot() const noexcept {
      return check->halt_signal.slot();
    }
    void operator()(const std::exception_ptr& error) const {
      if (!check->stopped) log(error);
    }
    std::shared_ptr<Check> check;
    std::function<void(std::exception_ptr)> log;
  };
  asio::co_spawn(executor_, probe_loop(check),
                 Done{check, log_failure("health check " + check->key)});
}

asio::awaitable<void> HealthChecker::probe_loop(std::shared_ptr<Check> check) {
  // `this` is touched only while the check is not stopped: the destructor stops every check.
  while (!check->stopped) {
    // The interval runs from the start of one probe to the start of the next; a probe that
    // takes longer is followed at once by the next, never overlapped.
    const auto started = clock_.now();
    const ProbeResult result = co_await probe(clock_, check->definition);
    if (check->stopped) co_return;
    const Verdict before = check->state.verdict();
    if (!result.success) spdlog::debug("health check {}: {}", check->key, result.text);
    if (const auto changed = check->state.record(result)) {
      spdlog::info("health check {}: {} -> {} ({})", check->key, to_string(before),
                   to_string(*changed), result.text);
      if (on_change_) on_change_(check->key, *changed);
      if (check->stopped) co_return;  // the callback may have removed or replaced it
    }
    const auto next = started + check->definition.interval;
    if (clock_.now() < next) co_await sleep_until(clock_, next);
  }
}

}  // namespace vipd::health
