#pragma once
// `vipd config check FILE...` and `vipd config convert FILE`: the command-line face of
// config/. Checking prints every diagnostic with file:line:column and a normalised summary
// (or JSON with --output json); converting prints MetalLB resources for a ConfigMap.
// Exit codes: 0 valid, 1 invalid, 2 usage error (the caller maps CLI11's parse errors to 2).

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "config/load.hpp"

namespace vipd::daemon {

// --max-config-size on a command that reads a configuration file (config check and convert,
// standalone): a size with an optional unit, 1 byte to 1 GiB.
void add_max_config_size(CLI::App& command, std::uint64_t& bytes);

class ConfigCommand {
 public:
  // Registers the `config` subcommand and its two subcommands on `app`.
  explicit ConfigCommand(CLI::App& app);

  bool selected() const { return config_->parsed(); }
  int run() const;

 private:
  int check() const;
  int convert() const;

  CLI::App* config_ = nullptr;
  CLI::App* check_ = nullptr;
  CLI::App* convert_ = nullptr;
  std::vector<std::string> files_;
  std::string output_ = "text";
  std::string format_ = "auto";
  std::uint64_t max_config_bytes_ = config::kDefaultMaxConfigFileBytes;
  std::string convert_file_;
  std::string namespace_ = "metallb-system";
};

}  // namespace vipd::daemon
