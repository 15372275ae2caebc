#include "k8s/tests/api_server.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <stdexcept>

#ifndef VIPD_SOURCE_DIR
#error "VIPD_SOURCE_DIR must name the source tree (integration/k8s_api_server.py)"
#endif

namespace vipd::k8s::test {
namespace {

// Waits until `pid` exits or `timeout_ms` passes, without reaping it; true if it exited.
bool wait_exit(pid_t pid, int timeout_ms) {
  const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return false;
  pollfd p{fd, POLLIN, 0};
  const int ready = ::poll(&p, 1, timeout_ms);
  ::close(fd);
  return ready == 1;
}

}  // namespace

ApiServer::ApiServer(std::string data_dir, ApiServerOptions options)
    : data_dir_(std::move(data_dir)) {
  const bool v6 = options.host.find(':') != std::string::npos;
  const auto listen =
      (v6 ? "[" + options.host + "]" : options.host) + ":" + std::to_string(options.port);
  std::vector<std::string> argv = {
      "python3",    std::string(VIPD_SOURCE_DIR) + "/integration/k8s_api_server.py",
      "--listen",   listen,
      "--data-dir", data_dir_};
  if (options.compact_every > 0) {
    argv.insert(argv.end(), {"--compact-every", std::to_string(options.compact_every)});
  }
  if (options.drop_watches_every > 0) {
    argv.insert(argv.end(), {"--drop-watches-every", std::to_string(options.drop_watches_every)});
  }
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  // fork, not posix_spawn: the server must die with this process even when a test crashes
  // (PR_SET_PDEATHSIG), or it would outlive the run holding the test's output open.
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ == 0) {  // only async-signal-safe calls until exec
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    const int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, STDIN_FILENO);
    ::dup2(fds[1], STDOUT_FILENO);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  out_ = fds[0];
  if (pid_ < 0) throw std::runtime_error("cannot start python3");
  // The one line it prints: "ready https://HOST:PORT".
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (line.find('\n') == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    pollfd p{out_, POLLIN, 0};
    char buffer[256];
    ssize_t n = 0;
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) != 1 ||
        (n = ::read(out_, buffer, sizeof buffer)) <= 0) {
      stop();
      throw std::runtime_error("the test API server did not say it was ready: " + line);
    }
    line.append(buffer, static_cast<std::size_t>(n));
  }
  const std::string prefix = "ready https://";
  const auto end = line.find('\n');
  const auto colon = line.rfind(':', end);
  if (line.rfind(prefix, 0) != 0 || colon == std::string::npos) {
    stop();
    throw std::runtime_error("unexpected first line from the test API server: " + line);
  }
  url_ = line.substr(6, end - 6);
  port_ = static_cast<std::uint16_t>(std::stoi(line.substr(colon + 1, end - colon - 1)));
}

ApiServer::~ApiServer() { stop(); }

void ApiServer::stop() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    if (!wait_exit(pid_, 10'000)) ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }
  if (out_ >= 0) ::close(out_);
  out_ = -1;
}

Ran ApiServer::kubectl(std::vector<std::string> args, bool collect_stderr) const {
  args.insert(args.begin(), {"kubectl", "--kubeconfig", kubeconfig(), "--request-timeout=20s"});
  return run_command(args, collect_stderr);
}

}  // namespace vipd::k8s::test
