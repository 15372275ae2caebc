#include "health/probe.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <cstring>
#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/asio_address.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration): unistd.h hides it in C++

namespace vipd::health {
namespace {

namespace http = boost::beast::http;
using asio::as_tuple;
using asio::use_awaitable;

// A health endpoint answers with a status line and a few headers; anything larger is not a
// health endpoint, and the body is never read.
constexpr std::size_t kMaxHeaderBytes = 16 * 1024;
constexpr std::size_t kMaxReadBytes = 64 * 1024;
// 1xx interim responses (103 Early Hints) may precede the final one; a few at most.
constexpr int kMaxInterimResponses = 4;
// waitpid found no such child: someone else reaped it (or SIGCHLD is ignored).
constexpr int kReapedElsewhere = -1;

std::string errno_text(std::string_view what, int error) {
  return std::string(what) + ": " + std::strerror(error);
}

// RFC 9110 §7.2: Host is uri-host ":" port, and an IPv6 literal is bracketed (RFC 3986 §3.2.2).
std::string host_header(const IpAddress& address, std::uint16_t port) {
  const auto host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return host + ":" + std::to_string(port);
}

// `work`, unless `clock` reaches `deadline` first: then nullopt, once `work` has finished
// reacting to its cancellation (a command is dead and reaped by then). An exception from
// `work` propagates at once (awaitable_operators' `||` would hold it until the deadline).
template <class T>
asio::awaitable<std::optional<T>> within(TimerClock& clock, Clock::time_point deadline,
                                         asio::awaitable<T> work) {
  auto executor = co_await asio::this_coro::executor;
  auto [order, error, value, sleep_error, reached] =
      co_await asio::experimental::make_parallel_group(
          asio::co_spawn(executor, std::move(work), asio::deferred),
          asio::co_spawn(executor, sleep_until(clock, deadline), asio::deferred))
          .async_wait(asio::experimental::wait_for_one(), use_awaitable);
  (void)sleep_error;
  (void)reached;
  if (order[0] == 1) co_return std::nullopt;
  if (error) std::rethrow_exception(error);
  co_return std::move(value);
}

asio::awaitable<ProbeResult> tcp_probe(asio::ip::tcp::endpoint target) {
  asio::ip::tcp::socket socket(co_await asio::this_coro::executor);
  auto [error] = co_await socket.async_connect(target, as_tuple(use_awaitable));
  if (error) co_return ProbeResult{false, "connect: " + error.message()};
  boost::system::error_code ignored;
  socket.close(ignored);
  co_return ProbeResult{true, "connected"};
}

asio::awaitable<ProbeResult> http_probe(asio::ip::tcp::endpoint target, std::string host,
                                        std::string path) {
  if (path.empty()) path = "/";
  // The target goes onto the request line as written: a space or control character would
  // split it (or add a header), so such a path never leaves.
  if (std::any_of(path.begin(), path.end(),
                  [](unsigned char c) { return c <= 0x20 || c == 0x7f; })) {
    co_return ProbeResult{false, "invalid HTTP path (space or control character)"};
  }
  asio::ip::tcp::socket socket(co_await asio::this_coro::executor);
  auto [error] = co_await socket.async_connect(target, as_tuple(use_awaitable));
  if (error) co_return ProbeResult{false, "connect: " + error.message()};

  http::request<http::empty_body> request(http::verb::get, path, 11);
  request.set(http::field::host, host);
  request.set(http::field::user_agent, "vipd-health");
  request.set(http::field::connection, "close");
  auto [write_error, written] =
      co_await http::async_write(socket, request, as_tuple(use_awaitable));
  (void)written;
  if (write_error) co_return ProbeResult{false, "sending the request: " + write_error.message()};

  // Only the status matters: read the header, never the body.
  boost::beast::flat_buffer buffer(kMaxReadBytes);
  for (int interim = 0; interim <= kMaxInterimResponses; ++interim) {
    http::response_parser<http::empty_body> parser;
    parser.header_limit(kMaxHeaderBytes);
    auto [read_error, read] =
        co_await http::async_read_header(socket, buffer, parser, as_tuple(use_awaitable));
    (void)read;
    if (read_error) co_return ProbeResult{false, "reading the response: " + read_error.message()};
    const unsigned status = parser.get().result_int();
    // RFC 9110 §15.2: a 1xx (other than 101, which GET without Upgrade never gets) is interim.
    if (status >= 100 && status < 200 && status != 101) continue;
    co_return ProbeResult{status >= 200 && status < 300, "HTTP " + std::to_string(status)};
  }
  co_return ProbeResult{false, "too many interim (1xx) responses"};
}

// glibc 2.36's <sys/pidfd.h> declares pidfd_open without C linkage, so C++ cannot link it.
int open_pidfd(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

// Kills the command's process group, then reaps the command; returns its wait status. The
// command has exited, or has just been sent SIGKILL, so waitpid returns at once. Killing
// before reaping matters: while the command is unreaped its pid cannot name another group.
int kill_group_and_reap(pid_t pid) {
  ::kill(-pid, SIGKILL);  // whatever it left running in its group ends with it
  int status = 0;
  pid_t reaped = -1;
  do {
    reaped = ::waitpid(pid, &status, 0);
  } while (reaped < 0 && errno == EINTR);
  return reaped == pid ? status : kReapedElsewhere;
}

// Reaps synchronously when an exec probe ends without doing so itself: pidfd_open failed, or
// the io_context was destroyed with the probe pending. No zombie is ever left.
struct ChildGuard {
  explicit ChildGuard(pid_t p) : pid(p) {}
  ChildGuard(const ChildGuard&) = delete;
  ChildGuard& operator=(const ChildGuard&) = delete;
  ~ChildGuard() {
    if (pid > 0) kill_group_and_reap(pid);
  }
  int reap() { return kill_group_and_reap(std::exchange(pid, -1)); }
  pid_t pid;
};

// posix_spawn without a shell: argv as given (PATH searched when argv[0] has no '/'), stdin,
// stdout and stderr on /dev/null, no descriptor of the daemon inherited, default signal
// dispositions and an empty mask, and its own process group so that what it starts can be
// killed with it. Returns the pid or the reason it could not run.
Result<pid_t> spawn(const std::vector<std::string>& command) {
  std::vector<char*> argv;
  argv.reserve(command.size() + 1);
  for (const auto& a : command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attributes);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
  sigset_t none;
  sigset_t all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setsigdefault(&attributes, &all);
  posix_spawnattr_setpgroup(&attributes, 0);
  posix_spawnattr_setflags(&attributes,
                           POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);

  pid_t pid = -1;
  const bool search_path = command.front().find('/') == std::string::npos;
  const int error = search_path
                        ? posix_spawnp(&pid, argv[0], &actions, &attributes, argv.data(), environ)
                        : posix_spawn(&pid, argv[0], &actions, &attributes, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (error != 0) {
    return failure(Errc::kIoError, errno_text("cannot run " + command.front(), error));
  }
  return pid;
}

// Waits until `pid` has exited, without reaping it (WNOWAIT). False when cancelled first.
// `pidfd` turns readable when the process exits.
asio::awaitable<bool> wait_exited(asio::posix::stream_descriptor& pidfd, pid_t pid) {
  while (true) {
    siginfo_t info{};
    if (::waitid(P_PID, pid, &info, WEXITED | WNOHANG | WNOWAIT) < 0 && errno != EINTR) {
      co_return true;  // not our child any more: reaping will say so
    }
    if (info.si_pid == pid) co_return true;
    // A cancellation that arrived while this coroutine was not suspended is only recorded;
    // the wait below would not see it.
    const auto state = co_await asio::this_coro::cancellation_state;
    if (state.cancelled() != asio::cancellation_type::none) co_return false;
    auto [error] = co_await pidfd.async_wait(asio::posix::stream_descriptor::wait_read,
                                             as_tuple(use_awaitable));
    if (error) co_return false;
  }
}

ProbeResult describe_exit(int status) {
  if (status == kReapedElsewhere) return {false, "exit status unknown (reaped elsewhere)"};
  if (WIFEXITED(status)) {
    const int code = WEXITSTATUS(status);
    return {code == 0, "exit status " + std::to_string(code)};
  }
  if (WIFSIGNALED(status)) return {false, "killed by signal " + std::to_string(WTERMSIG(status))};
  return {false, "wait status " + std::to_string(status)};
}

asio::awaitable<ProbeResult> exec_probe(std::vector<std::string> command) {
  if (command.empty() || command.front().empty()) co_return ProbeResult{false, "no command"};
  // Cancellation (a timeout, or the check stopping) must still reach the kill and the reap
  // below, so it is handled by hand instead of by exceptions.
  co_await asio::this_coro::throw_if_cancelled(false);
  auto spawned = spawn(command);
  if (!spawned) co_return ProbeResult{false, spawned.error().message()};
  ChildGuard child(spawned.value());

  const int fd = open_pidfd(child.pid);
  if (fd < 0) co_return ProbeResult{false, errno_text("pidfd_open", errno)};  // guard reaps
  asio::posix::stream_descriptor pidfd(co_await asio::this_coro::executor, fd);

  if (!co_await wait_exited(pidfd, child.pid)) {
    // Cancelled: kill it, then wait for it to die (no longer cancellable) and reap it, so
    // the caller hears of the timeout only once nothing is left running.
    ::kill(-child.pid, SIGKILL);
    co_await asio::this_coro::reset_cancellation_state(
        [](asio::cancellation_type) { return asio::cancellation_type::none; });
    if (co_await wait_exited(pidfd, child.pid)) child.reap();
    co_return ProbeResult{false, "cancelled"};
  }
  co_return describe_exit(child.reap());
}

asio::awaitable<ProbeResult> run_probe(config::HealthCheck check) {
  const asio::ip::tcp::endpoint target = to_endpoint(check.address, check.port);
  switch (check.kind) {
    case config::HealthCheck::Kind::kTcp:
      co_return co_await tcp_probe(target);
    case config::HealthCheck::Kind::kHttp:
      co_return co_await http_probe(target, host_header(check.address, check.port),
                                    check.http_path);
    case config::HealthCheck::Kind::kExec:
      co_return co_await exec_probe(check.command);
  }
  co_return ProbeResult{false, "unknown kind of health check"};
}

}  // namespace

asio::awaitable<ProbeResult> probe(TimerClock& clock, config::HealthCheck check) {
  const auto timeout = check.timeout;
  auto result = co_await within(clock, clock.now() + timeout, run_probe(std::move(check)));
  if (!result) co_return ProbeResult{false, "timed out after " + config::format_duration(timeout)};
  co_return std::move(*result);
}

}  // namespace vipd::health
