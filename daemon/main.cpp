// vipd: stable virtual IPs for Kubernetes Services and plain Linux services.
//
// The entry point parses the command line and hands each subcommand to its module; it holds
// no logic of its own.
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "common/logging.hpp"
#include "daemon/config_command.hpp"
#include "daemon/controller_command.hpp"
#include "daemon/speaker_command.hpp"
#include "daemon/standalone_command.hpp"
#include "daemon/status_command.hpp"
#include "daemon/version.hpp"

namespace {

// The admin endpoint must keep answering while hostile clients hold many idle connections, and a
// speaker has sessions besides: use the whole descriptor allowance (the soft limit is often
// 1,024 while the hard one is far higher).
void raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "vipd gives services stable virtual IPs reachable from outside the cluster: it announces\n"
      "them over BGP (layer 3) or owns them on the LAN (layer 2), with addresses allocated\n"
      "from MetalLB-compatible pools.",
      "vipd"};
  app.set_version_flag(
      "-V,--version", [] { return "vipd " + std::string(vipd::version()); },
      "Print the version and exit");
  // The global options are accepted after the subcommand too (`vipd standalone --config F
  // --log-level warn`): subcommands created below inherit this.
  app.fallthrough();
  std::string log_format = "text";
  std::string log_level = "info";
  app.add_option("--log-format", log_format, "Log format: text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  app.add_option("--log-level", log_level,
                 "Log level: trace, debug, info, warn, error, critical or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}))
      ->capture_default_str();
  app.require_subcommand(0, 1);
  vipd::daemon::ConfigCommand config_command(app);
  vipd::daemon::StandaloneCommand standalone_command(app);
  vipd::daemon::ControllerCommand controller_command(app);
  vipd::daemon::SpeakerCommand speaker_command(app);
  vipd::daemon::StatusCommand status_command(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;  // --help and --version exit 0; usage errors exit 2
  }

  vipd::setup_logging(vipd::parse_log_format(log_format).value(),
                      vipd::parse_log_level(log_level).value());
  if (app.get_subcommands().empty()) {
    std::fputs(app.help().c_str(), stdout);
    return 0;
  }
  if (config_command.selected()) return config_command.run();
  if (standalone_command.selected()) {
    raise_open_file_limit();
    return standalone_command.run();
  }
  if (controller_command.selected()) {
    raise_open_file_limit();
    return controller_command.run();
  }
  if (speaker_command.selected()) {
    raise_open_file_limit();
    return speaker_command.run();
  }
  if (status_command.selected()) return status_command.run();
  return 0;
}
