#pragma once
// Random valid BGP messages for property tests, benchmarks and fuzz seeds. Every message it
// makes is one the codec must encode and decode back to the same value under `options`.

#include <random>

#include "bgp/codec.hpp"

namespace vipd::bgp::testing {

class MessageGenerator {
 public:
  explicit MessageGenerator(std::uint64_t seed) : rng_(seed) {}

  CodecOptions options();  // a random, consistent set of session facts
  Message message(const CodecOptions& options);
  Open open();
  Update update(const CodecOptions& options);
  Notification notification();
  RouteRefresh route_refresh();

 private:
  std::uint32_t u32() { return static_cast<std::uint32_t>(rng_()); }
  std::uint32_t below(std::uint32_t n) { return n == 0 ? 0 : u32() % n; }
  bool coin(int percent = 50) { return below(100) < static_cast<std::uint32_t>(percent); }
  Nlri prefix(Family family, bool add_path);
  std::vector<Nlri> prefixes(Family family, bool add_path, std::size_t most);
  AsPath as_path(bool four_octet, bool confederations);
  Capability capability();

  std::mt19937_64 rng_;
};

}  // namespace vipd::bgp::testing
