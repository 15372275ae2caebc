#include "k8s/tls.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/ssl/host_name_verification.hpp>

namespace vipd::k8s::detail {
namespace {

std::string ssl_error_text(const boost::system::error_code& ec) {
  std::string text = ec.message();
  if (const char* reason = ERR_reason_error_string(static_cast<unsigned long>(ec.value()))) {
    if (text.find(reason) == std::string::npos) text += std::string(" (") + reason + ")";
  }
  return text;
}

}  // namespace

Result<std::unique_ptr<asio::ssl::context>> make_tls_context(const Access& access) {
  auto context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  boost::system::error_code ec;
  context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                           asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                           asio::ssl::context::no_tlsv1_1 | asio::ssl::context::no_compression,
                       ec);
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  // Watches keep a connection each and sit idle between events: OpenSSL's record buffers
  // (~34 KiB a connection) are then given back and taken again for the next record.
  SSL_CTX_set_mode(context->native_handle(), SSL_MODE_RELEASE_BUFFERS);
  // The API server speaks HTTP/2 too; this client speaks HTTP/1.1 only, so say so.
  static constexpr unsigned char kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  SSL_CTX_set_alpn_protos(context->native_handle(), kAlpn, sizeof kAlpn);

  if (access.insecure_skip_tls_verify) {
    context->set_verify_mode(asio::ssl::verify_none);
  } else {
    context->set_verify_mode(asio::ssl::verify_peer);
    if (access.ca_pem.empty()) {
      context->set_default_verify_paths(ec);
      if (ec) return failure(Errc::kIoError, "the system's CA certificates: " + ssl_error_text(ec));
    } else {
      context->add_certificate_authority(asio::buffer(access.ca_pem), ec);
      if (ec) {
        return failure(Errc::kInvalidArgument,
                       access.origin + ": the CA certificate is not PEM: " + ssl_error_text(ec));
      }
    }
  }
  if (!access.client_cert_pem.empty()) {
    context->use_certificate_chain(asio::buffer(access.client_cert_pem), ec);
    if (ec) {
      return failure(Errc::kInvalidArgument,
                     access.origin + ": the client certificate is not PEM: " + ssl_error_text(ec));
    }
    context->use_private_key(asio::buffer(access.client_key_pem), asio::ssl::context::pem, ec);
    const auto reason = ERR_GET_REASON(static_cast<unsigned long>(ec.value()));
    if (ec && ec.category() == asio::error::get_ssl_category() &&
        reason == X509_R_KEY_VALUES_MISMATCH) {
      return failure(Errc::kInvalidArgument,
                     access.origin + ": the client key does not belong to the client certificate");
    }
    if (ec) {
      return failure(Errc::kInvalidArgument,
                     access.origin + ": the client key is not PEM: " + ssl_error_text(ec));
    }
    if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
      return failure(Errc::kInvalidArgument,
                     access.origin + ": the client key does not belong to the client certificate");
    }
  }
  return context;
}

std::string verify_name(const Access& access) {
  return access.tls_server_name.empty() ? access.server_host : access.tls_server_name;
}

bool PeerVerifier::operator()(bool preverified, asio::ssl::verify_context& context) const {
  X509_STORE_CTX* store = context.native_handle();
  if (!preverified) {
    const int error = X509_STORE_CTX_get_error(store);
    if (why_->empty()) *why_ = X509_verify_cert_error_string(error);
    return false;
  }
  if (!asio::ssl::host_name_verification(name_)(preverified, context)) {
    if (why_->empty()) *why_ = "the server's certificate is not valid for " + name_;
    return false;
  }
  return true;
}

}  // namespace vipd::k8s::detail
