#pragma once
// `vipd speaker --node NAME [--kubeconfig FILE] [--context C] [--namespace NS] [--lb-class NAME]
// [--admin ADDR] [--drain-time D]` (daemon/speaker.hpp). --node defaults to $NODE_NAME (the
// downward API), then the host name. Exit codes: 0 after a clean stop, 1 when it cannot start,
// 2 for usage errors.

#include <CLI/CLI.hpp>
#include <string>

#include "daemon/speaker.hpp"

namespace vipd::daemon {

class SpeakerCommand {
 public:
  explicit SpeakerCommand(CLI::App& app);

  bool selected() const { return command_->parsed(); }
  int run() const;

 private:
  CLI::App* command_ = nullptr;
  SpeakerOptions options_;
  std::string drain_time_ = "5s";
};

}  // namespace vipd::daemon
