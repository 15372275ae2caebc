#include "daemon/config_command.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "config/convert.hpp"
#include "config/load.hpp"
#include "config/summary.hpp"

namespace vipd::daemon {

ConfigCommand::ConfigCommand(CLI::App& app) {
  config_ = app.add_subcommand("config", "Check or convert configuration files");
  config_->require_subcommand(1);

  check_ = config_->add_subcommand(
      "check",
      "Validate MetalLB ConfigMaps, MetalLB resources or standalone files; print every error "
      "with file:line:column, or a summary when valid");
  check_->add_option("files", files_, "Files to check")->required()->check(CLI::ExistingFile);
  check_->add_option("--output,-o", output_, "Output: text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  check_->add_option("--format", format_, "Input format: auto, configmap, resources or standalone")
      ->check(CLI::IsMember({"auto", "configmap", "resources", "standalone"}))
      ->capture_default_str();
  add_max_config_size(*check_, max_config_bytes_);

  convert_ = config_->add_subcommand(
      "convert", "Convert a MetalLB ConfigMap into MetalLB resources (YAML on standard output)");
  convert_->add_option("file", convert_file_, "ConfigMap file (whole, or its config body)")
      ->required()
      ->check(CLI::ExistingFile);
  convert_->add_option("--namespace,-n", namespace_, "Namespace of the resources")
      ->capture_default_str();
  add_max_config_size(*convert_, max_config_bytes_);
}

void add_max_config_size(CLI::App& command, std::uint64_t& bytes) {
  command
      .add_option("--max-config-size", bytes,
                  "Refuse a configuration file larger than this, unread: bytes, or with a unit "
                  "(64MiB, 512KiB; at most 1GiB)")
      ->transform(CLI::AsSizeValue(false))
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{config::kMaxConfigBytesCeiling}))
      ->capture_default_str();
}

int ConfigCommand::run() const {
  if (check_->parsed()) return check();
  if (convert_->parsed()) return convert();
  return 2;
}

int ConfigCommand::check() const {
  const auto format = config::parse_input_format(format_).value();
  std::vector<config::CheckResult> results;
  bool all_valid = true;
  for (const auto& file : files_) {
    results.push_back(config::check_file(file, format, config::Purpose::kRun, max_config_bytes_));
    all_valid = all_valid && results.back().valid();
  }
  if (output_ == "json") {
    std::fputs(config::json_report(results).c_str(), stdout);
  } else {
    for (const auto& r : results) std::fputs(config::text_report(r).c_str(), stdout);
  }
  return all_valid ? 0 : 1;
}

int ConfigCommand::convert() const {
  // Bounded read: a file too large for a configuration is refused unread.
  auto text = config::read_config_file(convert_file_, max_config_bytes_);
  if (!text) {
    std::fprintf(stderr, "%s\n", text.error().message().c_str());
    return 1;
  }
  auto yaml = config::convert_configmap(text.value(), convert_file_, namespace_);
  if (!yaml) {
    std::fprintf(stderr, "%s\n%s: not converted\n", yaml.error().message().c_str(),
                 convert_file_.c_str());
    return 1;
  }
  std::fputs(yaml.value().c_str(), stdout);
  return 0;
}

}  // namespace vipd::daemon
