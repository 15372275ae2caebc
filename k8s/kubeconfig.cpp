// from_kubeconfig(): the fields of a kubeconfig file that reach one cluster as one user
// (API-NOTES.md §10; field names as client-go's clientcmd/api/v1 types.go).
#include <yaml-cpp/yaml.h>

#include <boost/url/parse.hpp>
#include <charconv>
#include <filesystem>
#include <optional>

#include "config/yaml_guard.hpp"
#include "k8s/access.hpp"
#include "k8s/base64.hpp"

namespace vipd::k8s {
namespace {

constexpr std::string_view kUseInstead = "not supported; use a token or client certificate";

class Kubeconfig {
 public:
  Kubeconfig(std::string path, YAML::Node root) : path_(std::move(path)), root_(std::move(root)) {
    dir_ = std::filesystem::path(path_).parent_path();
  }

  Error error(const std::string& what) const {
    return Error(Errc::kInvalidArgument, "kubeconfig " + path_ + ": " + what);
  }
  Error error_at(const YAML::Node& node, const std::string& what) const {
    const auto mark = node.Mark();
    if (mark.is_null()) return error(what);
    return Error(Errc::kInvalidArgument, "kubeconfig " + path_ + ":" +
                                             std::to_string(mark.line + 1) + ":" +
                                             std::to_string(mark.column + 1) + ": " + what);
  }

  // The scalar at `key` of `map`; empty when absent or null.
  Result<std::string> text(const YAML::Node& map, const char* key, const std::string& where) const {
    const YAML::Node node = map[key];
    if (!node || node.IsNull()) return std::string();
    if (!node.IsScalar()) return failure(error_at(node, where + ": " + key + " is not a string"));
    return node.Scalar();
  }

  Result<bool> flag(const YAML::Node& map, const char* key, const std::string& where) const {
    const YAML::Node node = map[key];
    if (!node || node.IsNull()) return false;
    bool value = false;
    if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) {
      return failure(error_at(node, where + ": " + key + " is not true or false"));
    }
    return value;
  }

  // The inner mapping (`context`, `cluster`, `user`) of the entry named `name` in the list at
  // `list` (`contexts`, `clusters`, `users`); nullopt when there is none.
  Result<std::optional<YAML::Node>> named(const char* list, const char* inner,
                                          const std::string& name) const {
    const YAML::Node entries = root_[list];
    if (!entries || entries.IsNull()) return std::optional<YAML::Node>();
    if (!entries.IsSequence())
      return failure(error_at(entries, std::string(list) + " is not a list"));
    std::optional<YAML::Node> found;
    for (const auto& entry : entries) {
      if (!entry.IsMap())
        return failure(error_at(entry, std::string(list) + ": an entry is not a mapping"));
      VIPD_TRY(auto entry_name, text(entry, "name", list));
      if (entry_name != name) continue;
      if (found) {
        return failure(error_at(entry, std::string(list) + ": \"" + name + "\" is defined twice"));
      }
      const YAML::Node body = entry[inner];
      if (body && !body.IsNull() && !body.IsMap()) {
        return failure(error_at(
            body, std::string(list) + ": \"" + name + "\": " + inner + " is not a mapping"));
      }
      found = body && body.IsMap() ? body : YAML::Node(YAML::NodeType::Map);
    }
    return found;
  }

  // The PEM text given inline as base64 (`data_key`) or by file name (`file_key`, relative to
  // the kubeconfig's directory); empty when neither is set.
  Result<std::string> pem(const YAML::Node& map, const char* data_key, const char* file_key,
                          const std::string& where) const {
    VIPD_TRY(auto data, text(map, data_key, where));
    VIPD_TRY(auto file, text(map, file_key, where));
    if (!data.empty() && !file.empty()) {
      return failure(
          error_at(map, where + ": both " + file_key + " and " + data_key + " are set; keep one"));
    }
    if (!data.empty()) {
      auto decoded = decode_base64(data);
      if (!decoded) {
        return failure(
            error_at(map[data_key], where + ": " + data_key + ": " + decoded.error().message()));
      }
      return decoded;
    }
    if (file.empty()) return std::string();
    auto read = read_small_file(resolve(file));
    if (!read)
      return failure(
          error_at(map[file_key], where + ": " + file_key + ": " + read.error().message()));
    return read;
  }

  std::string resolve(const std::string& file) const {
    const std::filesystem::path p(file);
    return p.is_absolute() ? file : (dir_ / p).string();
  }

  const YAML::Node& root() const { return root_; }

 private:
  std::string path_;
  std::filesystem::path dir_;
  YAML::Node root_;
};

// server: https://HOST[:PORT][/PREFIX]
Result<void> read_server(const Kubeconfig& kc, const YAML::Node& cluster, const std::string& where,
                         Access& access) {
  VIPD_TRY(auto server, kc.text(cluster, "server", where));
  if (server.empty()) return failure(kc.error_at(cluster, where + ": server is not set"));
  const auto bad = [&](const std::string& why) {
    return failure(kc.error_at(cluster["server"], where + ": server \"" + server + "\" " + why));
  };
  const auto url = boost::urls::parse_uri(server);
  if (!url) return bad("is not a URL (expected https://HOST[:PORT])");
  if (url->scheme_id() == boost::urls::scheme::http) {
    return bad("is plain http; vipd talks to the API server over https only");
  }
  if (url->scheme_id() != boost::urls::scheme::https) return bad("is not an https:// URL");
  if (url->has_userinfo() || url->has_query() || url->has_fragment()) {
    return bad("has a user, query or fragment; expected https://HOST[:PORT][/PATH]");
  }
  if (url->host_type() == boost::urls::host_type::ipvfuture || url->host_address().empty()) {
    return bad("has no usable host");
  }
  access.server_host = url->host_address();
  if (url->has_port()) {
    const auto text = url->port();
    unsigned port = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
    if (ec != std::errc() || end != text.data() + text.size() || port == 0 || port > 65535) {
      return bad("has no valid port");
    }
    access.port = static_cast<std::uint16_t>(port);
  }
  std::string path(url->encoded_path());
  while (!path.empty() && path.back() == '/') path.pop_back();
  access.base_path = path;
  return success();
}

Result<void> read_cluster(const Kubeconfig& kc, const YAML::Node& cluster, const std::string& name,
                          bool allow_insecure, Access& access) {
  const std::string where = "cluster \"" + name + "\"";
  VIPD_TRY(read_server(kc, cluster, where, access));
  VIPD_TRY(access.ca_pem,
           kc.pem(cluster, "certificate-authority-data", "certificate-authority", where));
  VIPD_TRY(access.insecure_skip_tls_verify, kc.flag(cluster, "insecure-skip-tls-verify", where));
  VIPD_TRY(access.tls_server_name, kc.text(cluster, "tls-server-name", where));
  VIPD_TRY(auto proxy, kc.text(cluster, "proxy-url", where));
  if (!proxy.empty())
    return failure(kc.error_at(cluster["proxy-url"], where + ": proxy-url is not supported"));
  if (access.insecure_skip_tls_verify) {
    if (!allow_insecure) {
      return failure(kc.error_at(cluster["insecure-skip-tls-verify"],
                                 where + ": insecure-skip-tls-verify is set; vipd verifies the API "
                                         "server's certificate unless insecure access is allowed "
                                         "explicitly"));
    }
    if (!access.ca_pem.empty()) {
      // client-go refuses this combination too: which of the two was meant is unclear.
      return failure(kc.error_at(cluster, where + ": a certificate authority and "
                                                  "insecure-skip-tls-verify are both set"));
    }
  }
  return success();
}

Result<void> read_user(const Kubeconfig& kc, const YAML::Node& user, const std::string& name,
                       Access& access) {
  const std::string where = "user \"" + name + "\"";
  for (const char* key : {"exec", "auth-provider"}) {
    if (user[key]) {
      return failure(kc.error_at(
          user[key], where + ": " + key + " credentials are " + std::string(kUseInstead)));
    }
  }
  if (user["username"] || user["password"]) {
    return failure(kc.error_at(
        user, where + ": basic authentication (username/password) is " + std::string(kUseInstead)));
  }
  for (const char* key : {"as", "as-uid", "as-groups", "as-user-extra"}) {
    if (user[key])
      return failure(
          kc.error_at(user[key], where + ": impersonation (" + key + ") is not supported"));
  }
  VIPD_TRY(access.client_cert_pem,
           kc.pem(user, "client-certificate-data", "client-certificate", where));
  VIPD_TRY(access.client_key_pem, kc.pem(user, "client-key-data", "client-key", where));
  if (access.client_cert_pem.empty() != access.client_key_pem.empty()) {
    return failure(kc.error_at(user, where + ": a client certificate needs its key, and a key its "
                                             "certificate; only one is set"));
  }
  VIPD_TRY(access.token, kc.text(user, "token", where));
  VIPD_TRY(auto token_file, kc.text(user, "tokenFile", where));
  if (!token_file.empty()) {
    // As client-go: a token file wins over an inline token. Read now so that a missing file is
    // reported at start, not on the first request.
    access.token_file = kc.resolve(token_file);
    auto read = read_small_file(access.token_file);
    if (!read)
      return failure(
          kc.error_at(user["tokenFile"], where + ": tokenFile: " + read.error().message()));
  }
  return success();
}

}  // namespace

Result<Access> from_kubeconfig(const std::string& path, std::string_view context_override,
                               bool allow_insecure) {
  auto text = read_small_file(path);
  if (!text) return failure(text.error().with_context("kubeconfig"));
  auto loaded = config::detail::load_yaml_document(text.value());
  if (loaded.problem) {
    const auto& mark = loaded.problem->mark;
    std::string where = "kubeconfig " + path;
    if (!mark.is_null())
      where += ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
    return failure(Errc::kInvalidArgument, where + ": " + loaded.problem->message);
  }
  const Kubeconfig kc(path, loaded.node);
  if (!kc.root().IsMap())
    return failure(kc.error("the file is not a kubeconfig (not a YAML mapping)"));

  std::string context_name(context_override);
  if (context_name.empty()) {
    VIPD_TRY(context_name, kc.text(kc.root(), "current-context", "kubeconfig"));
    if (context_name.empty())
      return failure(kc.error("current-context is not set and no context was given"));
  }
  VIPD_TRY(auto context, kc.named("contexts", "context", context_name));
  if (!context) return failure(kc.error("context \"" + context_name + "\" is not defined"));
  const std::string where = "context \"" + context_name + "\"";

  Access access;
  access.origin = "kubeconfig " + path + " context " + context_name;
  VIPD_TRY(auto cluster_name, kc.text(*context, "cluster", where));
  if (cluster_name.empty()) return failure(kc.error(where + " names no cluster"));
  VIPD_TRY(auto cluster, kc.named("clusters", "cluster", cluster_name));
  if (!cluster) {
    return failure(
        kc.error(where + " names cluster \"" + cluster_name + "\" which is not defined"));
  }
  VIPD_TRY(read_cluster(kc, *cluster, cluster_name, allow_insecure, access));

  VIPD_TRY(auto user_name, kc.text(*context, "user", where));
  if (!user_name.empty()) {  // no user: anonymous, as kubectl
    VIPD_TRY(auto user, kc.named("users", "user", user_name));
    if (!user)
      return failure(kc.error(where + " names user \"" + user_name + "\" which is not defined"));
    VIPD_TRY(read_user(kc, *user, user_name, access));
  }
  VIPD_TRY(auto ns, kc.text(*context, "namespace", where));
  if (!ns.empty()) access.default_namespace = ns;
  return access;
}

}  // namespace vipd::k8s
