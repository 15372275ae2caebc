#pragma once
// `vipd controller [--kubeconfig FILE] [--namespace NS] [--lb-class NAME] [--admin ADDR]`:
// MetalLB's controller (controller/controller.hpp) as a process — the API server's credentials
// (the kubeconfig, else the pod's service account), the admin endpoint, and signals: SIGTERM and
// SIGINT stop it, releasing its Lease so that a standby takes over at once.
// Exit codes: 0 after a clean stop, 1 when it cannot start (credentials, admin address), 2 for
// usage errors. Thread: one io_context on the calling thread.

#include <CLI/CLI.hpp>
#include <string>

namespace vipd::daemon {

struct ControllerCommandOptions {
  std::string kubeconfig;  // empty: in-cluster
  std::string context;
  std::string namespace_ = "metallb-system";
  std::string lb_class;
  std::string admin = "127.0.0.1:7473";
  std::string identity;  // empty: the host name and the process id
  std::string lease_duration = "15s";
  std::string renew_deadline = "10s";
  std::string retry_period = "2s";
};

class ControllerCommand {
 public:
  explicit ControllerCommand(CLI::App& app);

  bool selected() const { return command_->parsed(); }
  int run() const;

 private:
  CLI::App* command_ = nullptr;
  ControllerCommandOptions options_;
};

}  // namespace vipd::daemon
