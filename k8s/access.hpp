#pragma once
// Access: how to reach one Kubernetes API server and who to be there, read from a kubeconfig
// file or from a pod's service-account files. A plain value; the Client (client.hpp) uses it.
//
// Responsible for: finding the server (https only), the CA to verify it with, and one kind of
// credential (client certificate and key, a bearer token, or a token file that is re-read while
// running), with an error that names the file and what is wrong in it.
// Not responsible for: exec plugins and auth providers (refused: vipd runs unattended and
// starts no helper programs), basic auth, impersonation, proxies, merging several kubeconfig
// files ($KUBECONFIG lists): pass the one file to read.
// Thread: any; reads files on the caller's thread (start-up only).

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace vipd::k8s {

struct Access {
  std::string server_host;  // DNS name or IP literal, without brackets
  std::uint16_t port = 443;
  std::string base_path;  // a path prefix of the server URL ("/k8s/clusters/c-1"), or empty
  std::string ca_pem;     // PEM bundle to verify the server with; empty: the system's CAs
  std::string client_cert_pem, client_key_pem;  // both or neither
  std::string token;                            // a bearer token, or
  std::string token_file;  // a file holding one, re-read when it changes (wins over `token`)
  std::string default_namespace = "default";
  bool insecure_skip_tls_verify = false;  // only when the caller allowed it
  std::string tls_server_name;            // name to verify and send as SNI instead of server_host
  std::string origin;  // for messages: "kubeconfig FILE context C" or "in-cluster"

  friend bool operator==(const Access&, const Access&) = default;
};

// "https://HOST:PORT" (an IPv6 host bracketed), plus the base path if any.
std::string server_url(const Access& access);

// The current context of the kubeconfig file at `path` (or `context_override`), its cluster and
// user. Relative file names inside it are relative to its directory. `insecure-skip-tls-verify:
// true` is refused unless `allow_insecure`.
Result<Access> from_kubeconfig(const std::string& path, std::string_view context_override = {},
                               bool allow_insecure = false);

// Inside a pod: KUBERNETES_SERVICE_HOST / KUBERNETES_SERVICE_PORT from `env` and the
// service-account files under `root` (token, ca.crt, namespace). kNotFound when either variable
// is missing (not running in a cluster). The namespace is POD_NAMESPACE, else the namespace
// file, else "default" (as client-go's in-cluster loader).
inline constexpr std::string_view kServiceAccountDir =
    "/var/run/secrets/kubernetes.io/serviceaccount";
Result<Access> in_cluster(const std::map<std::string, std::string>& env,
                          const std::string& root = std::string(kServiceAccountDir));

// The variables in_cluster() reads, from this process's environment.
std::map<std::string, std::string> in_cluster_environment();

// The whole of a small file (credentials, kubeconfig), refusing one over `max_bytes`.
// kNotFound when it does not exist, kIoError when it cannot be read, kOutOfRange when too large.
inline constexpr std::size_t kMaxCredentialFileBytes = std::size_t{1} << 20;  // 1 MiB
Result<std::string> read_small_file(const std::string& path,
                                    std::size_t max_bytes = kMaxCredentialFileBytes);

}  // namespace vipd::k8s
