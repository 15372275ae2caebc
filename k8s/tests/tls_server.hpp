#pragma once
// Test-only: certificates made with the openssl command, and a TLS server on the test's
// io_context whose every connection is scripted by the test (answer, stall, close mid-way, send
// a watch stream cut anywhere), so the client's handling of each case is shown byte for byte.

#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/asio.hpp"
#include "common/logging.hpp"
#include "k8s/tests/support.hpp"

namespace vipd::k8s::test {

namespace http = boost::beast::http;
using asio::ip::tcp;

// A CA, a server certificate from it for 127.0.0.1, ::1 and localhost, and a second CA that
// signed nothing here.
struct TestPki {
  std::string ca_pem, server_cert_pem, server_key_pem, other_ca_pem, other_key_pem;

  static const TestPki& get() {
    static const TestPki pki = make();
    return pki;
  }

 private:
  static TestPki make() {
    TempDir dir;
    const auto openssl = [](std::vector<std::string> args) {
      args.insert(args.begin(), "openssl");
      const auto ran = run_command(args, /*collect_stderr=*/true);
      if (ran.status != 0) throw std::runtime_error("openssl failed: " + ran.out);
    };
    const std::vector<std::string> ec = {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                                         "-nodes"};
    const auto req = [&](std::vector<std::string> args) {
      args.insert(args.begin(), "req");
      args.insert(args.end(), ec.begin(), ec.end());
      openssl(args);
    };
    req({"-x509", "-keyout", dir.path("ca.key"), "-out", dir.path("ca.crt"), "-subj",
         "/CN=vipd-k8s-test-ca", "-days", "2"});
    req({"-x509", "-keyout", dir.path("other.key"), "-out", dir.path("other.crt"), "-subj",
         "/CN=vipd-k8s-other-ca", "-days", "2"});
    req({"-new", "-keyout", dir.path("server.key"), "-out", dir.path("server.csr"), "-subj",
         "/CN=vipd-k8s-test-server"});
    dir.write("ext.cnf", "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\n");
    openssl({"x509", "-req", "-in", dir.path("server.csr"), "-CA", dir.path("ca.crt"), "-CAkey",
             dir.path("ca.key"), "-CAcreateserial", "-days", "2", "-extfile", dir.path("ext.cnf"),
             "-out", dir.path("server.crt")});
    return {read_file(dir.path("ca.crt")), read_file(dir.path("server.crt")),
            read_file(dir.path("server.key")), read_file(dir.path("other.crt")),
            read_file(dir.path("other.key"))};
  }
};

// Opens when told; a coroutine waiting on it resumes then.
class Gate {
 public:
  explicit Gate(asio::any_io_executor executor) : timer_(std::move(executor)) {}
  asio::awaitable<void> wait() {
    while (!open_) {
      timer_.expires_at(asio::steady_timer::time_point::max());
      co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
    }
  }
  void open() {
    open_ = true;
    timer_.cancel();
  }

 private:
  asio::steady_timer timer_;
  bool open_ = false;
};

class TlsServer {
 public:
  using Stream = asio::ssl::stream<tcp::socket>;
  struct Peer {
    Stream stream;
    boost::beast::flat_buffer buffer;
    int index;  // 0 for the first connection accepted
  };
  using Script = std::function<asio::awaitable<void>(TlsServer& server, Peer& peer)>;

  TlsServer(asio::io_context& io, Script script, bool tls = true)
      : io_(io),
        tls_(asio::ssl::context::tls_server),
        acceptor_(io),
        script_(std::move(script)),
        speak_tls_(tls) {
    const auto& pki = TestPki::get();
    tls_.use_certificate_chain(asio::buffer(pki.server_cert_pem));
    tls_.use_private_key(asio::buffer(pki.server_key_pem), asio::ssl::context::pem);
    acceptor_.open(tcp::v4());
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    asio::co_spawn(io, accept_loop(), log_failure("test server"));
  }
  ~TlsServer() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    for (auto& peer : peers_) peer->stream.lowest_layer().close(ignored);
  }

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  int accepted() const { return static_cast<int>(peers_.size()); }
  std::vector<http::request<http::string_body>> requests;
  int closed_by_client = 0;  // connections on which the server read end-of-stream or an error

  // Reads one request into `requests`; false at end of stream (counted in closed_by_client).
  asio::awaitable<bool> read(Peer& peer) {
    http::request<http::string_body> request;
    auto [ec, n] = co_await http::async_read(peer.stream, peer.buffer, request,
                                             asio::as_tuple(asio::use_awaitable));
    (void)n;
    if (ec) {
      ++closed_by_client;
      co_return false;
    }
    requests.push_back(std::move(request));
    co_return true;
  }
  static asio::awaitable<bool> send(Peer& peer, std::string bytes) {
    auto [ec, n] = co_await asio::async_write(peer.stream, asio::buffer(bytes),
                                              asio::as_tuple(asio::use_awaitable));
    (void)n;
    co_return !ec;
  }
  static std::string answer(unsigned status, const std::string& body, bool keep_alive = true) {
    return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: application/json\r\n" +
           "Content-Length: " + std::to_string(body.size()) + "\r\n" +
           (keep_alive ? "" : "Connection: close\r\n") + "\r\n" + body;
  }
  static std::string chunk(const std::string& data) {
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    return size + data + "\r\n";
  }
  static constexpr const char* kStreamHeader =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
  static void close(Peer& peer) {
    boost::system::error_code ignored;
    peer.stream.lowest_layer().close(ignored);
  }
  // Waits (forever) for the client: returns when it closes the connection.
  asio::awaitable<void> until_client_closes(Peer& peer) {
    char byte;
    auto [ec, n] = co_await peer.stream.async_read_some(asio::buffer(&byte, 1),
                                                        asio::as_tuple(asio::use_awaitable));
    (void)n;
    if (ec) ++closed_by_client;
  }

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      peers_.push_back(std::make_unique<Peer>(
          Peer{Stream(std::move(socket), tls_), {}, static_cast<int>(peers_.size())}));
      asio::co_spawn(io_, serve(*peers_.back()), log_failure("test server connection"));
    }
  }
  asio::awaitable<void> serve(Peer& peer) {
    if (speak_tls_) {
      auto [ec] = co_await peer.stream.async_handshake(asio::ssl::stream_base::server,
                                                       asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      co_await script_(*this, peer);
    } else {
      co_await until_client_closes(peer);  // accepts, never speaks
    }
  }

  asio::io_context& io_;
  asio::ssl::context tls_;
  tcp::acceptor acceptor_;
  Script script_;
  bool speak_tls_;
  std::vector<std::unique_ptr<Peer>> peers_;
};

}  // namespace vipd::k8s::test
