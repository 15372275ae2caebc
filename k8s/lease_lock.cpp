#include "k8s/lease_lock.hpp"

#include <spdlog/spdlog.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <utility>

#include "common/logging.hpp"
#include "k8s/errors.hpp"
#include "k8s/lease_view.hpp"

namespace vipd::k8s {
namespace {

namespace ev = election_event;
namespace act = election_action;

// RFC 1123 names as Kubernetes checks them: a label (namespaces), a subdomain (object names).
bool alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool dns_name(std::string_view s, std::size_t max, bool dots) {
  if (s.empty() || s.size() > max || !alnum(s.front()) || !alnum(s.back())) return false;
  for (const char c : s) {
    if (!alnum(c) && c != '-' && !(dots && c == '.')) return false;
  }
  return true;
}

std::shared_ptr<asio::steady_timer> make_wakeup(const asio::any_io_executor& executor) {
  auto timer = std::make_shared<asio::steady_timer>(executor);
  timer->expires_at(asio::steady_timer::time_point::max());
  return timer;
}

MicroTime system_wall_clock() {
  return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
}

// co_spawn needs a default-constructible result: Result<Response> is not.
asio::awaitable<std::optional<Result<Response>>> ask(Client& client, Verb verb, std::string target,
                                                     std::string body) {
  co_return co_await client.request(verb, std::move(target), std::move(body));
}

}  // namespace

Result<std::unique_ptr<LeaseLock>> LeaseLock::create(asio::any_io_executor executor, Client& client,
                                                     TimerClock& clock, LeaseLockOptions options,
                                                     LeaseLockCallbacks callbacks) {
  if (!dns_name(options.lease_namespace, 63, false)) {
    return failure(Errc::kInvalidArgument,
                   "lease namespace \"" + options.lease_namespace + "\" is not a DNS label");
  }
  if (!dns_name(options.lease_name, 253, true)) {
    return failure(Errc::kInvalidArgument,
                   "lease name \"" + options.lease_name + "\" is not a DNS subdomain");
  }
  auto elector = LeaderElector::create(options.election);
  if (!elector) return failure(elector.error().with_context("leader election"));
  if (!options.wall_clock) options.wall_clock = system_wall_clock;
  return std::unique_ptr<LeaseLock>(new LeaseLock(std::move(executor), client, clock,
                                                  std::move(options), std::move(callbacks),
                                                  std::move(elector).value()));
}

LeaseLock::LeaseLock(asio::any_io_executor executor, Client& client, TimerClock& clock,
                     LeaseLockOptions options, LeaseLockCallbacks callbacks, LeaderElector elector)
    : executor_(std::move(executor)),
      client_(client),
      clock_(clock),
      options_(std::move(options)),
      callbacks_(std::move(callbacks)),
      elector_(std::move(elector)),
      timer_(clock.make_timer(executor_)),
      finished_wakeup_(make_wakeup(executor_)) {
  last_meta_.name = options_.lease_name;
  last_meta_.namespace_ = options_.lease_namespace;
}

LeaseLock::~LeaseLock() {
  *alive_ = false;
  timer_->cancel();
  if (abandon_) abandon_->cancel();
  finished_wakeup_->cancel();
}

void LeaseLock::start() {
  if (started_) return;
  started_ = true;
  spdlog::info("k8s: lease {}/{}: {} is a candidate", options_.lease_namespace, options_.lease_name,
               identity());
  feed(ev::Tick{});
}

asio::awaitable<void> LeaseLock::stop() {
  const auto alive = alive_;
  if (finished_) co_return;
  if (!started_) {
    finished_ = true;  // never took part: nothing to release
    co_return;
  }
  feed(ev::Stop{});
  if (!*alive || finished_) co_return;
  // The release is in flight (or the answer it waits for first): wait for Finished.
  const auto wakeup = finished_wakeup_;
  co_await (sleep_until(clock_, clock_.now() + options_.release_timeout) ||
            wakeup->async_wait(asio::as_tuple(asio::use_awaitable)));
  if (!*alive || finished_) co_return;
  spdlog::warn(
      "k8s: lease {}/{}: release not answered within {} ms; giving up", options_.lease_namespace,
      options_.lease_name,
      std::chrono::duration_cast<std::chrono::milliseconds>(options_.release_timeout).count());
  finished_ = true;
  timer_->cancel();
  if (abandon_) abandon_->cancel();
}

bool LeaseLock::leading() const { return !finished_ && elector_.leading(clock_.now()); }

Now LeaseLock::now() const { return Now{clock_.now(), options_.wall_clock()}; }

std::string LeaseLock::collection_path() const {
  return "/apis/coordination.k8s.io/v1/namespaces/" + options_.lease_namespace + "/leases";
}

std::string LeaseLock::object_path() const { return collection_path() + "/" + options_.lease_name; }

void LeaseLock::feed(const ElectionEvent& event) {
  const auto alive = alive_;
  for (const auto& action : elector_.handle(event, now())) {
    perform(action);
    if (!*alive) return;
  }
}

void LeaseLock::perform(const ElectionAction& action) {
  const auto& ns = options_.lease_namespace;
  const auto& name = options_.lease_name;
  if (std::holds_alternative<act::ReadLease>(action) ||
      std::holds_alternative<act::WriteLease>(action)) {
    send(action);
  } else if (std::holds_alternative<act::StartedLeading>(action)) {
    spdlog::info("k8s: lease {}/{}: {} started leading", ns, name, identity());
    if (callbacks_.on_started_leading) callbacks_.on_started_leading();
  } else if (const auto* stopped = std::get_if<act::StoppedLeading>(&action)) {
    spdlog::info("k8s: lease {}/{}: {} stopped leading ({})", ns, name, identity(),
                 to_string(stopped->reason));
    if (callbacks_.on_stopped_leading) callbacks_.on_stopped_leading(stopped->reason);
  } else if (const auto* tick = std::get_if<act::ScheduleTick>(&action)) {
    timer_->arm(tick->at, [this, alive = alive_] {
      if (*alive) feed(ev::Tick{});
    });
  } else if (std::holds_alternative<act::Finished>(action)) {
    finished_ = true;
    timer_->cancel();
    finished_wakeup_->cancel();
  }
}

void LeaseLock::send(ElectionAction request) {
  const bool is_read = std::holds_alternative<act::ReadLease>(request);
  auto abandon = make_wakeup(executor_);
  abandon_ = abandon;
  auto done = [this, alive = alive_, abandon, is_read](std::exception_ptr error,
                                                       ElectionEvent event) {
    if (!*alive) return;
    if (abandon_ == abandon) abandon_.reset();
    if (finished_) return;  // stop() gave up on this request
    if (error) {
      // Nothing here throws on purpose; should it happen, the elector still gets its answer.
      std::string what = "unexpected exception";
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
      }
      spdlog::error("k8s: lease {}/{}: {}", options_.lease_namespace, options_.lease_name, what);
      event = is_read ? ElectionEvent(ev::ReadFailed{what}) : ElectionEvent(ev::WriteFailed{what});
    }
    feed(event);
  };
  asio::co_spawn(executor_, exchange(std::move(request), std::move(abandon)), std::move(done));
}

asio::awaitable<ElectionEvent> LeaseLock::exchange(ElectionAction request,
                                                   std::shared_ptr<asio::steady_timer> abandon) {
  const auto alive = alive_;
  Verb verb = Verb::kGet;
  std::string target = object_path();
  std::string body;
  const auto* write = std::get_if<act::WriteLease>(&request);
  if (write != nullptr) {
    ObjectMeta meta = last_meta_;
    meta.resource_version = write->resource_version;
    if (write->purpose == WritePurpose::kCreate) {
      verb = Verb::kPost;
      target = collection_path();
    } else {
      verb = Verb::kPut;
    }
    body = boost::json::serialize(encode_lease(meta, write->spec));
    ++counts_.writes;
  } else {
    ++counts_.reads;
  }
  const auto timeout = options_.request_timeout.value_or(options_.election.renew_deadline);
  auto executor = co_await asio::this_coro::executor;
  // The answer, unless the timeout or an abandon comes first (the request is then cancelled, and
  // its connection closed, before this resumes).
  auto [order, error, answer, sleep_error, reached, abandoned] =
      co_await asio::experimental::make_parallel_group(
          asio::co_spawn(executor, ask(client_, verb, std::move(target), std::move(body)),
                         asio::deferred),
          asio::co_spawn(executor, sleep_until(clock_, clock_.now() + timeout), asio::deferred),
          abandon->async_wait(asio::deferred))
          .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
  (void)sleep_error;
  (void)reached;
  (void)abandoned;
  if (!*alive || order[0] == 2) co_return ev::Tick{};  // nobody reads this
  if (error) std::rethrow_exception(error);
  Result<Response> result =
      order[0] == 1 || !answer
          ? Result<Response>(failure(
                Errc::kTimedOut,
                std::string(verb_name(verb)) + " timed out after " +
                    std::to_string(
                        std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count()) +
                    " ms"))
          : std::move(*answer);
  co_return write != nullptr ? write_answer(*write, result) : read_answer(result);
}

ElectionEvent LeaseLock::read_answer(const Result<Response>& answer) {
  const auto failed = [this](std::string why) {
    ++counts_.failures;
    spdlog::warn("k8s: lease {}/{}: GET: {}", options_.lease_namespace, options_.lease_name, why);
    return ev::ReadFailed{std::move(why)};
  };
  if (!answer && is_cancelled(answer.error())) return ev::ReadFailed{answer.error().message()};
  if (!answer) return failed(answer.error().message());
  const auto& response = answer.value();
  if (response.status == 404) return ev::ReadDone{};
  if (!response.ok()) return failed(status_error("GET", response.status, response.body).message());
  boost::system::error_code ec;
  const auto value = boost::json::parse(response.body, ec);
  if (ec) return failed("the answer is not JSON: " + ec.message());
  auto lease = decode_lease(value);
  if (!lease) return failed(lease.error().message());
  last_meta_.labels = lease.value().meta.labels;
  return ev::ReadDone{
      StoredLease{std::move(lease.value().spec), std::move(lease.value().meta.resource_version)}};
}

ElectionEvent LeaseLock::write_answer(const act::WriteLease& write,
                                      const Result<Response>& answer) {
  const std::string what = std::string(to_string(write.purpose));
  const auto failed = [&](std::string why) {
    ++counts_.failures;
    spdlog::warn("k8s: lease {}/{}: {}: {}", options_.lease_namespace, options_.lease_name, what,
                 why);
    return ev::WriteFailed{std::move(why)};
  };
  if (!answer && is_cancelled(answer.error())) return ev::WriteFailed{answer.error().message()};
  if (!answer) return failed(answer.error().message());
  const auto& response = answer.value();
  if (response.status == 409) {
    // Someone else wrote first (or created it): the elector reads again.
    ++counts_.conflicts;
    spdlog::debug("k8s: lease {}/{}: {}: conflict", options_.lease_namespace, options_.lease_name,
                  what);
    return ev::WriteConflict{};
  }
  if (!response.ok()) return failed(status_error(what, response.status, response.body).message());
  // Written; an answer we cannot read leaves the version unknown: the elector reads again.
  boost::system::error_code ec;
  const auto value = boost::json::parse(response.body, ec);
  if (ec) return failed("the answer is not JSON: " + ec.message());
  auto lease = decode_lease(value);
  if (!lease) return failed(lease.error().message());
  if (lease.value().meta.resource_version.empty())
    return failed("no resourceVersion in the answer");
  last_meta_.labels = lease.value().meta.labels;
  return ev::WriteDone{std::move(lease.value().meta.resource_version)};
}

}  // namespace vipd::k8s
