#pragma once
// Runs the real `vipd` binary (VIPD_BINARY) with arguments, as a user would, and returns its
// exit status and combined output.

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace vipd::testing {

struct Run {
  int status;
  std::string output;
};

inline Run run_vipd(const std::string& args) {
  const std::string command = std::string(VIPD_BINARY) + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return {-1, "popen failed"};
  std::string output;
  std::array<char, 4096> buffer;
  while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe)) {
    output.append(buffer.data(), n);
  }
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

}  // namespace vipd::testing
