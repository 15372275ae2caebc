#include "k8s/access.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>

namespace vipd::k8s {
namespace {

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

// Closes a descriptor on every path out of read_small_file.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

std::string server_url(const Access& access) {
  const bool v6 = access.server_host.find(':') != std::string::npos;
  std::string url = "https://";
  url += v6 ? "[" + access.server_host + "]" : access.server_host;
  url += ":" + std::to_string(access.port);
  url += access.base_path;
  return url;
}

Result<std::string> read_small_file(const std::string& path, std::size_t max_bytes) {
  Fd file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (file.fd < 0) {
    const int error = errno;
    return failure(error == ENOENT ? Errc::kNotFound : Errc::kIoError,
                   "cannot open " + path + ": " + std::strerror(error));
  }
  struct stat info {};
  if (::fstat(file.fd, &info) == 0 && !S_ISREG(info.st_mode)) {
    return failure(Errc::kIoError, path + " is not a regular file");
  }
  std::string text;
  char buffer[16 * 1024];
  for (;;) {
    const ssize_t n = ::read(file.fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return failure(Errc::kIoError, "cannot read " + path + ": " + std::strerror(errno));
    }
    if (n == 0) break;
    if (text.size() + static_cast<std::size_t>(n) > max_bytes) {
      return failure(Errc::kOutOfRange, path + " is larger than " + std::to_string(max_bytes) +
                                            " bytes, too large for what it should hold");
    }
    text.append(buffer, static_cast<std::size_t>(n));
  }
  return text;
}

Result<Access> in_cluster(const std::map<std::string, std::string>& env, const std::string& root) {
  const auto get = [&env](const char* name) -> std::string {
    const auto it = env.find(name);
    return it == env.end() ? std::string() : it->second;
  };
  std::string host = get("KUBERNETES_SERVICE_HOST");
  const std::string port_text = get("KUBERNETES_SERVICE_PORT");
  if (host.empty() || port_text.empty()) {
    return failure(Errc::kNotFound,
                   "in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must both be "
                   "set (they are in every pod); not running in a cluster?");
  }
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  Access access;
  access.server_host = host;
  access.origin = "in-cluster";
  unsigned port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
      port > 65535) {
    return failure(Errc::kInvalidArgument, "in-cluster: KUBERNETES_SERVICE_PORT \"" + port_text +
                                               "\" is not a port number");
  }
  access.port = static_cast<std::uint16_t>(port);

  access.token_file = root + "/token";
  auto token = read_small_file(access.token_file);
  if (!token) {
    return failure(token.error().with_context("in-cluster: the service account token"));
  }
  if (trim(token.value()).empty()) {
    return failure(Errc::kInvalidArgument,
                   "in-cluster: the service account token file " + access.token_file + " is empty");
  }
  auto ca = read_small_file(root + "/ca.crt");
  if (!ca) return failure(ca.error().with_context("in-cluster: the cluster CA"));
  access.ca_pem = std::move(ca).value();

  if (auto ns = get("POD_NAMESPACE"); !ns.empty()) {
    access.default_namespace = ns;
  } else if (auto file = read_small_file(root + "/namespace")) {
    if (auto text = trim(file.value()); !text.empty()) access.default_namespace = text;
  }
  return access;
}

std::map<std::string, std::string> in_cluster_environment() {
  std::map<std::string, std::string> env;
  for (const char* name : {"KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT", "POD_NAMESPACE"}) {
    if (const char* value = std::getenv(name)) env[name] = value;
  }
  return env;
}

}  // namespace vipd::k8s
