#include "daemon/standalone_command.hpp"

#include <cstdio>

#include "config/model.hpp"
#include "daemon/config_command.hpp"

namespace vipd::daemon {

StandaloneCommand::StandaloneCommand(CLI::App& app) {
  command_ = app.add_subcommand(
      "standalone",
      "Run without Kubernetes: allocate, health-check and announce the services of one file");
  command_->add_option("--config", options_.config_file, "The standalone configuration file")
      ->required();
  command_->add_option("--admin", options_.admin, "Admin endpoint address (/metrics, /status)")
      ->capture_default_str();
  command_
      ->add_option("--state-dir", options_.state_dir, "Where allocations are kept across restarts")
      ->capture_default_str();
  add_max_config_size(*command_, options_.max_config_bytes);
  command_->add_option("--node", options_.node,
                       "This host's node name (default: the file's `node`, else the host name)");
  command_
      ->add_option("--drain-time", drain_time_,
                   "How long SIGTERM announces GRACEFUL_SHUTDOWN before withdrawing (RFC "
                   "8326), e.g. 5s, 500ms, 0s")
      ->capture_default_str();
}

int StandaloneCommand::run() const {
  StandaloneOptions options = options_;
  auto drain = config::parse_duration(drain_time_);
  if (!drain || drain.value().count() < 0) {
    std::fprintf(stderr, "vipd standalone: --drain-time %s: want a duration such as 5s or 500ms\n",
                 drain_time_.c_str());
    return 2;
  }
  options.drain_time = std::chrono::duration_cast<std::chrono::milliseconds>(drain.value());
  return run_standalone(options);
}

}  // namespace vipd::daemon
