#include "bgp/tests/test_data.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace vipd::bgp::testing {

Bytes from_hex(std::string_view hex) {
  Bytes out;
  int high = -1;
  for (char c : hex) {
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      v = c - 'A' + 10;
    } else if (c == ' ' || c == '\n' || c == '\t' || c == ':' || c == '\r') {
      continue;
    } else {
      throw std::runtime_error("bad hex digit in test data: " + std::string(1, c));
    }
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<std::uint8_t>(high * 16 + v));
      high = -1;
    }
  }
  if (high >= 0) throw std::runtime_error("odd number of hex digits in test data");
  return out;
}

std::string to_hex(const Bytes& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (auto b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0xf];
  }
  return out;
}

std::string data_path(std::string_view relative) {
  return std::string(VIPD_BGP_TEST_DATA) + "/" + std::string(relative);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read test data " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::map<std::string, Bytes> load_vectors() {
  std::map<std::string, Bytes> out;
  std::istringstream in(read_file(data_path("vectors.md")));
  std::string line, id, hex;
  bool in_block = false;
  while (std::getline(in, line)) {
    if (line.rfind("### ", 0) == 0) {
      const auto colon = line.find(':');
      id = line.substr(4, colon == std::string::npos ? std::string::npos : colon - 4);
      continue;
    }
    if (line.rfind("```", 0) == 0) {
      if (in_block && !id.empty()) out[id] = from_hex(hex);
      in_block = !in_block;
      hex.clear();
      continue;
    }
    if (in_block) hex += line;
  }
  return out;
}

std::vector<CapturedMessage> load_messages(const std::string& path) {
  std::vector<CapturedMessage> out;
  std::istringstream in(read_file(path));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '@') {
      CapturedMessage m;
      std::istringstream fields(line.substr(1));
      std::string arrow;
      fields >> m.seq >> m.source >> arrow >> m.destination >> m.type >> m.length;
      out.push_back(std::move(m));
      continue;
    }
    if (out.empty()) throw std::runtime_error(path + ": hex before the first '@' line");
    const Bytes more = from_hex(line);
    out.back().bytes.insert(out.back().bytes.end(), more.begin(), more.end());
  }
  return out;
}

std::vector<Bytes> load_exabgp_raw(const std::string& path) {
  std::vector<Bytes> out;
  std::istringstream in(read_file(path));
  std::string line;
  while (std::getline(in, line)) {
    const auto at = line.find(":raw:");
    if (at != std::string::npos) out.push_back(from_hex(line.substr(at + 5)));
  }
  return out;
}

std::multimap<std::string, std::string> load_expect(const std::string& path) {
  std::multimap<std::string, std::string> out;
  std::istringstream in(read_file(path));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    auto trim = [](std::string s) {
      const auto b = s.find_first_not_of(" \t");
      const auto e = s.find_last_not_of(" \t\r");
      return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
    };
    out.emplace(trim(line.substr(0, colon)), trim(line.substr(colon + 1)));
  }
  return out;
}

}  // namespace vipd::bgp::testing
