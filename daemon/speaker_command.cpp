#include "daemon/speaker_command.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "config/model.hpp"

namespace vipd::daemon {

SpeakerCommand::SpeakerCommand(CLI::App& app) {
  command_ = app.add_subcommand(
      "speaker",
      "Run MetalLB's speaker on this Kubernetes node: announce the LoadBalancer addresses the "
      "controller assigned, from the nodes that should get their traffic");
  auto& o = options_;
  command_->add_option("--node", o.node,
                       "This node's name (default: $NODE_NAME, else the host name)");
  command_->add_option("--kubeconfig", o.kubeconfig,
                       "Credentials for the API server (default: the pod's service account)");
  command_->add_option("--context", o.context, "The kubeconfig context (default: current)");
  command_->add_option("--namespace", o.namespace_, "Where MetalLB's configuration lives")
      ->capture_default_str();
  command_->add_option("--lb-class", o.lb_class,
                       "Announce only Services of this loadBalancerClass (default: only those "
                       "without one)");
  command_->add_option("--admin", o.admin, "Admin endpoint address (/metrics, /status)")
      ->capture_default_str();
  command_
      ->add_option("--drain-time", drain_time_,
                   "How long SIGTERM announces GRACEFUL_SHUTDOWN before withdrawing (RFC "
                   "8326), e.g. 5s, 500ms, 0s")
      ->capture_default_str();
}

int SpeakerCommand::run() const {
  SpeakerOptions options = options_;
  auto drain = config::parse_duration(drain_time_);
  if (!drain || drain.value().count() < 0) {
    std::fprintf(stderr, "vipd speaker: --drain-time %s: want a duration such as 5s or 500ms\n",
                 drain_time_.c_str());
    return 2;
  }
  options.drain_time = std::chrono::duration_cast<std::chrono::milliseconds>(drain.value());
  if (options.node.empty()) {
    if (const char* env = std::getenv("NODE_NAME"); env != nullptr && *env != '\0') {
      options.node = env;
    } else {
      char host[256] = {};
      if (gethostname(host, sizeof host - 1) == 0) options.node = host;
    }
  }
  if (options.node.empty()) {
    std::fprintf(stderr, "vipd speaker: no node name: give --node or set NODE_NAME\n");
    return 2;
  }
  return run_speaker(options);
}

}  // namespace vipd::daemon
