#pragma once
// The TLS side of reaching the API server (internal to k8s/): the OpenSSL context built from an
// Access (CA, client certificate and key from PEM in memory, TLS 1.2 at least, ALPN http/1.1)
// and the per-connection peer check (chain against the CA, then the certificate's names or IP
// addresses against the expected server name) that remembers why it refused, so a failed
// handshake says "unable to get local issuer certificate" rather than only "certificate verify
// failed".

#include <boost/asio/ssl.hpp>
#include <memory>
#include <string>

#include "common/asio.hpp"
#include "common/result.hpp"
#include "k8s/access.hpp"

namespace vipd::k8s::detail {

Result<std::unique_ptr<asio::ssl::context>> make_tls_context(const Access& access);

// The name the server's certificate must carry: tls-server-name if set, else the host.
std::string verify_name(const Access& access);

// Verifies the peer for one connection; writes the reason for a refusal to `*why`.
class PeerVerifier {
 public:
  PeerVerifier(std::string name, std::string* why) : name_(std::move(name)), why_(why) {}
  bool operator()(bool preverified, asio::ssl::verify_context& context) const;

 private:
  std::string name_;
  std::string* why_;
};

}  // namespace vipd::k8s::detail
