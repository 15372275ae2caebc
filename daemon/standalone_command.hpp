#pragma once
// `vipd standalone --config FILE [--admin ADDR] [--state-dir DIR] [--node NAME]
// [--drain-time DURATION]`: the command-line face of daemon/standalone.hpp.

#include <CLI/CLI.hpp>
#include <string>

#include "daemon/standalone.hpp"

namespace vipd::daemon {

class StandaloneCommand {
 public:
  explicit StandaloneCommand(CLI::App& app);

  bool selected() const { return command_->parsed(); }
  int run() const;

 private:
  CLI::App* command_ = nullptr;
  StandaloneOptions options_;
  std::string drain_time_ = "5s";
};

}  // namespace vipd::daemon
