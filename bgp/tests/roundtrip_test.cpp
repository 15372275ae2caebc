// Property: encode → decode is the identity on valid messages, and decode → encode gives back
// the same bytes; over thousands of generated messages and random session options.
#include <gtest/gtest.h>

#include "bgp/codec.hpp"
#include "bgp/framer.hpp"
#include "bgp/tests/generator.hpp"
#include "bgp/tests/test_data.hpp"

namespace vipd::bgp {
namespace {

// Names the first part of two updates that differs, for a readable failure.
std::string difference(const Message& a, const Message& b) {
  const auto* x = std::get_if<Update>(&a);
  const auto* y = std::get_if<Update>(&b);
  if (!x || !y) return "message type or non-UPDATE fields";
  if (x->withdrawn != y->withdrawn) return "withdrawn";
  if (x->nlri != y->nlri) return "nlri";
  if (x->layout != y->layout) return "layout";
  const auto& p = x->attributes;
  const auto& q = y->attributes;
  if (p.origin != q.origin) return "origin";
  if (p.as_path != q.as_path) return "as_path";
  if (p.next_hop != q.next_hop) return "next_hop";
  if (p.mp_reach != q.mp_reach) return "mp_reach";
  if (p.mp_unreach != q.mp_unreach) return "mp_unreach";
  if (p.unknown != q.unknown) return "unknown";
  if (p.aggregator != q.aggregator) return "aggregator";
  if (p.as4_path != q.as4_path) return "as4_path";
  return "another attribute";
}

TEST(RoundTrip, GeneratedMessagesSurviveEncodeAndDecode) {
  testing::MessageGenerator gen(20261126);
  int checked = 0;
  int updates = 0;
  for (int i = 0; i < 5000; ++i) {
    const CodecOptions options = gen.options();
    const Message m = gen.message(options);
    std::vector<std::uint8_t> bytes;
    if (!encode(m, options, bytes)) continue;  // over the size limit: tested elsewhere
    auto back = decode(bytes, options);
    ASSERT_TRUE(back) << "message " << i << ": " << back.error().reason << "\n"
                      << testing::to_hex(bytes);
    if (const auto* u = std::get_if<Update>(&back.value()); u && !u->issues.empty()) {
      FAIL() << "message " << i << ": " << u->issues[0].reason;
    }
    ASSERT_EQ(back.value(), m) << "message " << i << ": " << difference(back.value(), m) << "\n"
                               << testing::to_hex(bytes);
    std::vector<std::uint8_t> again;
    ASSERT_TRUE(encode(back.value(), options, again));
    ASSERT_EQ(again, bytes);
    ++checked;
    updates += std::holds_alternative<Update>(m) ? 1 : 0;
  }
  EXPECT_GT(checked, 4500);
  EXPECT_GT(updates, 2500);
}

TEST(RoundTrip, OversizedMessagesAreRefusedAndNothingIsAppended) {
  Update u;
  for (std::uint32_t i = 0; i < 1000; ++i) {
    u.nlri.push_back(Nlri{Prefix::host(IpAddress::v4(0xc6120000 + i)), 0});  // 198.18.0.0/15
  }
  u.attributes.origin = Origin::kIgp;
  u.attributes.as_path = AsPath{};
  u.attributes.next_hop = IpAddress::v4(0xc0000201);
  std::vector<std::uint8_t> out = {1, 2, 3};
  auto r = encode(u, {}, out);
  ASSERT_FALSE(r);
  EXPECT_EQ(out, (std::vector<std::uint8_t>{1, 2, 3}));
  EXPECT_TRUE(encode(u, CodecOptions{.extended_message = true}, out));
}

std::vector<std::uint8_t> stream_of(int count, std::vector<std::vector<std::uint8_t>>& each) {
  testing::MessageGenerator gen(7);
  const CodecOptions options{.four_octet_as = true};
  std::vector<std::uint8_t> stream;
  while (static_cast<int>(each.size()) < count) {
    std::vector<std::uint8_t> bytes;
    if (!encode(gen.message(options), options, bytes)) continue;
    stream.insert(stream.end(), bytes.begin(), bytes.end());
    each.push_back(std::move(bytes));
  }
  return stream;
}

std::vector<std::vector<std::uint8_t>> frame(const std::vector<std::uint8_t>& stream,
                                             const std::function<std::size_t()>& chunk) {
  Framer framer;
  std::vector<std::vector<std::uint8_t>> out;
  std::size_t at = 0;
  while (at < stream.size()) {
    const std::size_t n = std::min(chunk(), stream.size() - at);
    framer.feed({stream.data() + at, n});
    at += n;
    while (true) {
      auto next = framer.next();
      EXPECT_TRUE(next);
      if (!next || !next.value()) break;
      out.emplace_back(next.value()->begin(), next.value()->end());
    }
  }
  EXPECT_EQ(framer.buffered(), 0u);
  return out;
}

TEST(Framer, OneByteAtATime) {
  std::vector<std::vector<std::uint8_t>> each;
  const auto stream = stream_of(300, each);
  EXPECT_EQ(frame(stream, [] { return std::size_t{1}; }), each);
}

TEST(Framer, RandomChunkSizes) {
  std::vector<std::vector<std::uint8_t>> each;
  const auto stream = stream_of(500, each);
  std::mt19937 rng(3);
  for (int round = 0; round < 20; ++round) {
    const std::size_t largest = std::size_t{1} << (round % 14);
    EXPECT_EQ(frame(stream, [&] { return 1 + rng() % largest; }), each) << "round " << round;
  }
  EXPECT_EQ(frame(stream, [&] { return stream.size(); }), each);  // all at once
}

TEST(Framer, WaitsForTheWholeMessage) {
  std::vector<std::vector<std::uint8_t>> each;
  stream_of(1, each);
  Framer framer;
  framer.feed({each[0].data(), each[0].size() - 1});
  auto r = framer.next();
  ASSERT_TRUE(r);
  EXPECT_FALSE(r.value());
  framer.feed({each[0].data() + each[0].size() - 1, 1});
  r = framer.next();
  ASSERT_TRUE(r);
  ASSERT_TRUE(r.value());
  EXPECT_EQ(r.value()->size(), each[0].size());
}

TEST(Framer, ExtendedMessagesNeedTheLargerLimit) {
  std::vector<std::uint8_t> big(16, 0xff);
  big.push_back(0x20);  // length 8192
  big.push_back(0x00);
  big.push_back(2);
  big.resize(8192, 0);
  Framer framer;
  framer.feed(big);
  EXPECT_FALSE(framer.next());
  Framer extended(kMaxExtendedMessageSize);
  extended.feed(big);
  auto r = extended.next();
  ASSERT_TRUE(r);
  ASSERT_TRUE(r.value());
  EXPECT_EQ(r.value()->size(), 8192u);
}

}  // namespace
}  // namespace vipd::bgp
