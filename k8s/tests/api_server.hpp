#pragma once
// Test-only: the test Kubernetes API server (integration/k8s_api_server.py) as a child process
// with its own data directory, started on a port (0: any), stopped by its PID; and kubectl run
// against it with the admin kubeconfig it writes.

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "k8s/tests/support.hpp"

namespace vipd::k8s::test {

struct ApiServerOptions {
  std::string host = "127.0.0.1";  // or "::1"
  std::uint16_t port = 0;
  int compact_every = 0;          // --compact-every N
  double drop_watches_every = 0;  // --drop-watches-every SECONDS
};

class ApiServer {
 public:
  // Starts the server on `data_dir` (created if missing; an existing one is the same cluster
  // again) and waits for its "ready" line. Throws when it does not come within 60 s.
  ApiServer(std::string data_dir, ApiServerOptions options = {});
  ~ApiServer();  // stops it: SIGTERM, then SIGKILL if it has not exited within 10 s
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  std::uint16_t port() const { return port_; }
  const std::string& url() const { return url_; }
  std::string kubeconfig() const { return data_dir_ + "/admin.kubeconfig"; }
  std::string file(const std::string& name) const { return data_dir_ + "/" + name; }

  // kubectl --kubeconfig admin.kubeconfig ARGS; its stdout, and stderr when collect_stderr.
  Ran kubectl(std::vector<std::string> args, bool collect_stderr = true) const;

 private:
  void stop();

  std::string data_dir_;
  pid_t pid_ = -1;
  int out_ = -1;  // its stdout
  std::uint16_t port_ = 0;
  std::string url_;
};

}  // namespace vipd::k8s::test
