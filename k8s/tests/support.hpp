#pragma once
// What the k8s tests share: a temporary directory, running a command and collecting its output,
// and running a coroutine on an io_context with a bound in real time (a bound, never a way to
// wait for something: tests poll for what they wait for).

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/asio.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration): unistd.h hides it in C++

namespace vipd::k8s::test {

using namespace std::chrono_literals;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "vipd-k8s-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string path(const std::string& name) const { return path_ + "/" + name; }
  // Writes `name` (creating directories), returns its path.
  std::string write(const std::string& name, const std::string& text) const {
    const auto file = path(name);
    std::filesystem::create_directories(std::filesystem::path(file).parent_path());
    std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
    return file;
  }

 private:
  std::string path_;
};

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

struct Ran {
  int status = -1;  // exit status, or -1
  std::string out;
};

// Runs `argv` (PATH searched), stdin from /dev/null, stderr passed through (or collected with
// stdout); waits for it.
inline Ran run_command(const std::vector<std::string>& argv, bool collect_stderr = false) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return {};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  if (collect_stderr) posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int error = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  Ran ran;
  if (error == 0) {
    char buffer[4096];
    for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) != 0;) {
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) break;
      ran.out.append(buffer, static_cast<std::size_t>(n));
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    ran.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  ::close(pipe_fds[0]);
  return ran;
}

// Runs the io_context until `done()` or `bound` of real time passed; true if done.
inline bool run_until(asio::io_context& io, const std::function<bool()>& done,
                      std::chrono::steady_clock::duration bound = 30s) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  io.restart();
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    io.run_one_for(20ms);
    io.restart();
  }
  return true;
}

// A coroutine started on `io`; `value` is set when it has finished.
template <class T>
struct Started {
  std::optional<T> value;
  std::exception_ptr error;
  bool done() const { return value.has_value() || error; }
};

// co_spawn needs a default-constructible result (Result<T> is not): store it from inside.
template <class T>
asio::awaitable<void> store_into(asio::awaitable<T> work, std::shared_ptr<Started<T>> started) {
  started->value.emplace(co_await std::move(work));
}

// Starts `work`; with `slot`, emitting its signal cancels it.
template <class T>
std::shared_ptr<Started<T>> start(asio::io_context& io, asio::awaitable<T> work,
                                  std::optional<asio::cancellation_slot> slot = std::nullopt) {
  auto started = std::make_shared<Started<T>>();
  auto done = [started](std::exception_ptr e) { started->error = e; };
  if (slot) {
    asio::co_spawn(io, store_into(std::move(work), started),
                   asio::bind_cancellation_slot(*slot, std::move(done)));
  } else {
    asio::co_spawn(io, store_into(std::move(work), started), std::move(done));
  }
  return started;
}

template <class T>
T finish(asio::io_context& io, const std::shared_ptr<Started<T>>& started,
         std::chrono::steady_clock::duration bound = 60s) {
  if (!run_until(
          io, [&] { return started->done(); }, bound)) {
    throw std::runtime_error("the coroutine did not finish in time");
  }
  if (started->error) std::rethrow_exception(started->error);
  return std::move(*started->value);
}

template <class T>
T run_coroutine(asio::io_context& io, asio::awaitable<T> work,
                std::chrono::steady_clock::duration bound = 60s) {
  return finish(io, start(io, std::move(work)), bound);
}

}  // namespace vipd::k8s::test
