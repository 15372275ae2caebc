#include "daemon/controller_command.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "admin/process_memory.hpp"
#include "admin/server.hpp"
#include "admin/status.hpp"
#include "common/asio.hpp"
#include "common/logging.hpp"
#include "common/timer.hpp"
#include "config/model.hpp"
#include "controller/controller.hpp"
#include "daemon/daemon_support.hpp"
#include "daemon/version.hpp"
#include "k8s/client.hpp"

namespace vipd::daemon {
namespace {

std::string default_identity() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "vipd");
  return std::string(host) + "_" + std::to_string(::getpid());
}

Result<Clock::duration> duration(const std::string& flag, const std::string& text) {
  auto d = config::parse_duration(text);
  if (!d || d.value().count() <= 0) {
    return failure(Errc::kInvalidArgument,
                   flag + " " + text + ": want a positive duration such as 15s or 500ms");
  }
  return std::chrono::duration_cast<Clock::duration>(d.value());
}

}  // namespace

ControllerCommand::ControllerCommand(CLI::App& app) {
  command_ = app.add_subcommand(
      "controller",
      "Run MetalLB's controller: allocate addresses to Services of type LoadBalancer (and "
      "Romana VIPs) from the cluster's MetalLB configuration, leader-elected");
  auto& o = options_;
  command_->add_option("--kubeconfig", o.kubeconfig,
                       "Credentials for the API server (default: the pod's service account)");
  command_->add_option("--context", o.context, "The kubeconfig context (default: current)");
  command_
      ->add_option("--namespace", o.namespace_,
                   "Where MetalLB's configuration and the controller's Lease live")
      ->capture_default_str();
  command_->add_option("--lb-class", o.lb_class,
                       "Serve only Services of this loadBalancerClass (default: only those "
                       "without one)");
  command_->add_option("--admin", o.admin, "Admin endpoint address (/metrics, /status)")
      ->capture_default_str();
  command_->add_option("--identity", o.identity,
                       "This replica's name in the Lease (default: host name and process id)");
  command_->add_option("--lease-duration", o.lease_duration, "Leader election: lease duration")
      ->capture_default_str();
  command_
      ->add_option("--renew-deadline", o.renew_deadline,
                   "Leader election: how long a leader may fail to renew")
      ->capture_default_str();
  command_->add_option("--retry-period", o.retry_period, "Leader election: between attempts")
      ->capture_default_str();
}

int ControllerCommand::run() const {
  const auto& o = options_;
  controller::ControllerOptions options;
  options.namespace_ = o.namespace_;
  options.lb_class = o.lb_class;
  options.identity = o.identity.empty() ? default_identity() : o.identity;
  for (const auto& [flag, text, out] :
       {std::tuple{"--lease-duration", &o.lease_duration, &options.election.lease_duration},
        std::tuple{"--renew-deadline", &o.renew_deadline, &options.election.renew_deadline},
        std::tuple{"--retry-period", &o.retry_period, &options.election.retry_period}}) {
    auto d = duration(flag, *text);
    if (!d) {
      std::fprintf(stderr, "vipd controller: %s\n", d.error().message().c_str());
      return 2;
    }
    *out = d.value();
  }
  options.election.jitter_seed = static_cast<std::uint64_t>(::getpid());

  asio::io_context io;
  SteadyTimerClock clock;
  auto client = kubernetes_client(io.get_executor(), clock, o.kubeconfig, o.context);
  if (!client) return 1;
  controller::Controller controller(io.get_executor(), *client, clock, options);

  const auto report = [&](const admin::StatusQuery& query) {
    admin::DaemonStatus s;
    s.query = query;
    s.node = options.identity;
    s.version = std::string(version());
    s.ready = controller.ready();
    controller.fill(s, query);
    s.mode = controller.leading() ? "controller (leader)" : "controller (standby)";
    if (auto rss = admin::process_resident_memory_bytes()) s.resident_memory = rss.value();
    return s;
  };
  auto server = start_admin(io.get_executor(), o.admin, report, [&] { return controller.ready(); });
  if (!server) return 1;
  if (auto r = controller.start(); !r) {
    spdlog::error("{}", r.error().message());
    return 1;
  }
  spdlog::info("vipd {} controller {}: API server {}, namespace {}, admin on {}", version(),
               options.identity, client->server_url(), o.namespace_,
               admin::format_endpoint(server->local_endpoint()));

  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("{}: releasing the Lease and stopping", signal == SIGTERM ? "SIGTERM" : "SIGINT");
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          co_await controller.stop();
          server->stop();
          io.stop();
        },
        log_failure("controller stop"));
  });
  io.run();
  spdlog::info("stopped");
  return 0;
}

}  // namespace vipd::daemon
