#include "daemon/daemon_support.hpp"

#include <spdlog/spdlog.h>

#include <malloc.h>

#include <ctime>

#include "daemon/version.hpp"
#include "k8s/access.hpp"

namespace vipd::daemon {

void log_notes(const std::vector<Note>& notes) {
  for (const auto& n : bounded_notes(notes)) {
    switch (n.level) {
      case Note::Level::kInfo:
        spdlog::info("{}", n.text);
        break;
      case Note::Level::kWarning:
        spdlog::warn("{}", n.text);
        break;
      case Note::Level::kError:
        spdlog::error("{}", n.text);
        break;
    }
  }
}

HeapTrimmer::HeapTrimmer(TimerClock& clock, asio::any_io_executor executor)
    : clock_(clock), quiet_(clock.make_timer(std::move(executor))) {}

void HeapTrimmer::after_plan() {
  if (!last_ || clock_.now() - *last_ >= std::chrono::seconds(10)) trim();
  quiet_->arm(clock_.now() + std::chrono::seconds(5), [this] { trim(); });
}

void HeapTrimmer::trim() {
  malloc_trim(0);
  last_ = clock_.now();
}

std::string now_rfc3339() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

std::unique_ptr<k8s::Client> kubernetes_client(asio::any_io_executor executor, TimerClock& clock,
                                               const std::string& kubeconfig,
                                               const std::string& context) {
  auto access = kubeconfig.empty() ? k8s::in_cluster(k8s::in_cluster_environment())
                                   : k8s::from_kubeconfig(kubeconfig, context);
  if (!access) {
    spdlog::error("{}{}", access.error().message(),
                  kubeconfig.empty() ? " (not in a pod? give --kubeconfig)" : "");
    return nullptr;
  }
  auto client = k8s::Client::create(std::move(executor), clock, access.value(),
                                    {.user_agent = "vipd/" + std::string(version())});
  if (!client) {
    spdlog::error("{}", client.error().message());
    return nullptr;
  }
  return std::move(client).value();
}

std::unique_ptr<admin::AdminServer> start_admin(asio::any_io_executor executor,
                                                const std::string& address, StatusReport report,
                                                std::function<bool()> ready) {
  auto endpoint = admin::parse_admin_address(address);
  if (!endpoint) {
    spdlog::error("--admin {}: {}", address, endpoint.error().message());
    return nullptr;
  }
  admin::AdminServer::Handlers handlers;
  handlers.metrics = [report] { return admin::metrics_text(report(admin::metrics_query())); };
  handlers.status = [report](std::string_view text) -> Result<boost::json::value> {
    VIPD_TRY(const auto query, admin::parse_status_query(text));
    return admin::status_document(report(query));
  };
  handlers.ready = std::move(ready);
  auto server = std::make_unique<admin::AdminServer>(std::move(executor), endpoint.value(),
                                                     std::move(handlers));
  if (auto r = server->start(); !r) {
    spdlog::error("{}", r.error().message());
    return nullptr;
  }
  return server;
}

Shutdown::Shutdown(asio::io_context& io, TimerClock& clock, std::chrono::milliseconds drain_time,
                   Steps steps)
    : signals_(io, SIGTERM, SIGINT),
      clock_(clock),
      drain_time_(drain_time),
      steps_(std::move(steps)),
      timer_(clock.make_timer(io.get_executor())) {
  if (steps_.hangup) signals_.add(SIGHUP);
}

void Shutdown::start() { wait(); }

void Shutdown::wait() {
  signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    if (signal == SIGHUP && !stopping_) {
      steps_.hangup();
    } else if (signal == SIGTERM && !stopping_) {
      begin_drain();
    } else if (signal != SIGHUP) {
      stop_now(signal == SIGINT ? "vipd stopped" : "vipd stopped during drain");
      return;
    }
    wait();
  });
}

void Shutdown::begin_drain() {
  stopping_ = true;
  spdlog::info("SIGTERM: draining for {} ms (RFC 8326 graceful shutdown)", drain_time_.count());
  steps_.drain();
  timer_->arm(clock_.now() + drain_time_, [this] {
    spdlog::info("drain time over: withdrawing every route and closing the sessions");
    steps_.withdraw();
    stop_now("vipd shutting down");
  });
}

void Shutdown::stop_now(const std::string& message) {
  stopping_ = true;
  timer_->cancel();
  steps_.stop(message);
  signals_.cancel();
  done_when_quiet(40);
}

void Shutdown::done_when_quiet(int checks_left) {
  if (steps_.quiet() || checks_left == 0) {
    steps_.done();
    return;
  }
  timer_->arm(clock_.now() + std::chrono::milliseconds(25),
              [this, checks_left] { done_when_quiet(checks_left - 1); });
}

}  // namespace vipd::daemon
