#pragma once
// Loads the golden data under bgp/tests/data: hex vectors from vectors.md, message streams
// from .msgs files, ExaBGP encoding expectations and .expect files.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace vipd::bgp::testing {

using Bytes = std::vector<std::uint8_t>;

Bytes from_hex(std::string_view hex);  // whitespace and ':' ignored; aborts on a bad digit
std::string to_hex(const Bytes& bytes);
std::string data_path(std::string_view relative);  // under bgp/tests/data
std::string read_file(const std::string& path);

// vectors.md: "### ID: title" followed by a fenced hex block. ID → bytes.
std::map<std::string, Bytes> load_vectors();

// One block of a .msgs file.
struct CapturedMessage {
  int seq = 0;
  std::string source;       // "ip:port"
  std::string destination;  // "ip:port"
  std::string type;         // OPEN, UPDATE, ..., TRUNCATED
  std::size_t length = 0;
  Bytes bytes;
};
std::vector<CapturedMessage> load_messages(const std::string& path);

// ExaBGP qa/encoding/*.ci: every "N:raw:" line, as whole messages.
std::vector<Bytes> load_exabgp_raw(const std::string& path);

// key: value lines; a key may repeat.
std::multimap<std::string, std::string> load_expect(const std::string& path);

}  // namespace vipd::bgp::testing
