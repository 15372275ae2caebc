// The BFD Control packet codec: golden bytes written by hand from the RFC 5880 §4.1 layout,
// both directions, every flag bit, and every refusal of RFC 5880 §6.8.6.
#include "bfd/packet.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace vipd::bfd {
namespace {

// RFC 5880 §4.1, field by field.
const std::vector<std::uint8_t> kGolden = {
    0x23,                    // Vers 1 (001), Diag 3 Neighbor Signaled Session Down (00011)
    0xe0,                    // Sta 3 Up (11), P 1, F 0, C 0, A 0, D 0, M 0
    0x03,                    // Detect Mult 3
    0x18,                    // Length 24
    0x11, 0x22, 0x33, 0x44,  // My Discriminator 0x11223344
    0x55, 0x66, 0x77, 0x88,  // Your Discriminator 0x55667788
    0x00, 0x04, 0x93, 0xe0,  // Desired Min TX Interval 300000 µs
    0x00, 0x03, 0xd0, 0x90,  // Required Min RX Interval 250000 µs
    0x00, 0x00, 0xc3, 0x50,  // Required Min Echo RX Interval 50000 µs
};

ControlPacket golden_packet() {
  ControlPacket p;
  p.diag = Diag::kNeighborSignaledSessionDown;
  p.state = State::kUp;
  p.poll = true;
  p.detect_mult = 3;
  p.my_discriminator = 0x11223344;
  p.your_discriminator = 0x55667788;
  p.desired_min_tx_us = 300000;
  p.required_min_rx_us = 250000;
  p.required_min_echo_rx_us = 50000;
  return p;
}

// A valid packet's bytes, to be broken one field at a time.
std::vector<std::uint8_t> valid_bytes() {
  const auto a = encode(golden_packet());
  return {a.begin(), a.end()};
}

Error refusal(const std::vector<std::uint8_t>& bytes) {
  auto r = decode(bytes);
  EXPECT_FALSE(r) << "the packet was accepted";
  return r ? Error(Errc::kInvalidArgument, "accepted") : r.error();
}

TEST(BfdPacket, EncodesTheGoldenBytes) {
  const auto bytes = encode(golden_packet());
  EXPECT_EQ(std::vector<std::uint8_t>(bytes.begin(), bytes.end()), kGolden);
}

TEST(BfdPacket, DecodesTheGoldenBytes) {
  auto p = decode(kGolden);
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p.value(), golden_packet());
  EXPECT_EQ(p.value().version, 1);
  EXPECT_EQ(p.value().length, 24);
}

TEST(BfdPacket, EachFlagHasItsOwnBit) {
  // Second byte: Sta(2) P F C A D M (RFC 5880 §4.1).
  struct Case {
    bool ControlPacket::*flag;
    std::uint8_t bit;
  };
  for (const Case& c :
       {Case{&ControlPacket::poll, 0x20}, Case{&ControlPacket::final, 0x10},
        Case{&ControlPacket::control_plane_independent, 0x08},
        Case{&ControlPacket::authentication_present, 0x04}, Case{&ControlPacket::demand, 0x02},
        Case{&ControlPacket::multipoint, 0x01}}) {
    ControlPacket p;
    p.state = State::kAdminDown;
    p.*(c.flag) = true;
    EXPECT_EQ(encode(p)[1], c.bit);
  }
  for (const State s : {State::kAdminDown, State::kDown, State::kInit, State::kUp}) {
    ControlPacket p;
    p.state = s;
    EXPECT_EQ(encode(p)[1], static_cast<std::uint8_t>(s) << 6);
  }
}

TEST(BfdPacket, RoundTripsEveryStateDiagAndFlag) {
  for (int s = 0; s < 4; ++s) {
    for (int d = 0; d < 32; ++d) {  // 9-31 are reserved diag values: kept as they are
      for (int flags = 0; flags < 64; ++flags) {
        ControlPacket p;
        p.state = static_cast<State>(s);
        p.diag = static_cast<Diag>(d);
        p.poll = flags & 1;
        p.final = flags & 2;
        p.control_plane_independent = flags & 4;
        p.demand = flags & 8;
        p.detect_mult = static_cast<std::uint8_t>(1 + flags);
        p.my_discriminator = 0xfffffff0u + static_cast<std::uint32_t>(s);
        p.your_discriminator = static_cast<std::uint32_t>(flags + 1);
        p.desired_min_tx_us = 0xffffffffu;
        p.required_min_rx_us = static_cast<std::uint32_t>(d);
        p.required_min_echo_rx_us = 1;
        const auto bytes = encode(p);
        auto back = decode(bytes);
        ASSERT_TRUE(back) << back.error().message();
        EXPECT_EQ(back.value(), p);
      }
    }
  }
}

TEST(BfdPacket, NamesStatesAndDiagnostics) {
  EXPECT_EQ(to_string(State::kAdminDown), "AdminDown");
  EXPECT_EQ(to_string(State::kInit), "Init");
  EXPECT_EQ(to_string(Diag::kControlDetectionTimeExpired), "Control Detection Time Expired");
  EXPECT_EQ(to_string(Diag::kAdministrativelyDown), "Administratively Down");
  EXPECT_EQ(to_string(Diag::kReverseConcatenatedPathDown), "Reverse Concatenated Path Down");
  EXPECT_EQ(to_string(static_cast<Diag>(9)), "Reserved");
}

TEST(BfdPacket, RefusesADatagramTooShortForTheLengthField) {
  for (std::size_t n : {0, 1, 3}) {
    const std::vector<std::uint8_t> bytes(kGolden.begin(), kGolden.begin() + n);
    const Error e = refusal(bytes);
    EXPECT_EQ(e.code(), Errc::kProtocolError);
    EXPECT_NE(e.message().find("datagram of " + std::to_string(n) + " bytes is too short"),
              std::string::npos)
        << e.message();
  }
}

TEST(BfdPacket, RefusesAVersionOtherThanOne) {
  for (std::uint8_t version : {0, 2, 7}) {
    auto bytes = valid_bytes();
    bytes[0] = static_cast<std::uint8_t>((version << 5) | (bytes[0] & 0x1f));
    EXPECT_NE(refusal(bytes).message().find("version " + std::to_string(version) + " is not 1"),
              std::string::npos);
  }
}

TEST(BfdPacket, RefusesALengthBelow24) {
  auto bytes = valid_bytes();
  bytes[3] = 23;
  EXPECT_NE(refusal(bytes).message().find("Length 23 is less than 24"), std::string::npos);
}

TEST(BfdPacket, RefusesALengthBelow26WithTheABit) {
  auto bytes = valid_bytes();
  bytes[1] |= 0x04;
  EXPECT_NE(refusal(bytes).message().find("Length 24 is less than 26 (the A bit is set)"),
            std::string::npos);
}

TEST(BfdPacket, RefusesALengthBeyondTheDatagram) {
  auto bytes = valid_bytes();
  bytes[3] = 25;
  EXPECT_NE(refusal(bytes).message().find("Length 25 is more than the 24 bytes of the datagram"),
            std::string::npos);
  // Truncated: the Length field is right, the bytes are missing.
  const std::vector<std::uint8_t> truncated(kGolden.begin(), kGolden.end() - 1);
  EXPECT_NE(
      refusal(truncated).message().find("Length 24 is more than the 23 bytes of the datagram"),
      std::string::npos);
}

TEST(BfdPacket, RefusesDetectMultZero) {
  auto bytes = valid_bytes();
  bytes[2] = 0;
  EXPECT_NE(refusal(bytes).message().find("Detect Mult is 0"), std::string::npos);
}

TEST(BfdPacket, RefusesTheMultipointBit) {
  auto bytes = valid_bytes();
  bytes[1] |= 0x01;
  EXPECT_NE(refusal(bytes).message().find("the Multipoint (M) bit is set"), std::string::npos);
}

TEST(BfdPacket, RefusesMyDiscriminatorZero) {
  auto bytes = valid_bytes();
  for (int i = 4; i < 8; ++i) bytes[i] = 0;
  EXPECT_NE(refusal(bytes).message().find("My Discriminator is 0"), std::string::npos);
}

TEST(BfdPacket, YourDiscriminatorZeroOnlyInDownAndAdminDown) {
  for (const State s : {State::kAdminDown, State::kDown, State::kInit, State::kUp}) {
    ControlPacket p = golden_packet();
    p.state = s;
    p.your_discriminator = 0;
    const auto bytes = encode(p);
    auto r = decode(bytes);
    if (s == State::kDown || s == State::kAdminDown) {
      EXPECT_TRUE(r) << to_string(s);
    } else {
      ASSERT_FALSE(r) << to_string(s);
      EXPECT_NE(r.error().message().find("Your Discriminator is 0 while State is " +
                                         std::string(to_string(s))),
                std::string::npos)
          << r.error().message();
    }
  }
}

TEST(BfdPacket, RefusesAuthenticationAsUnsupported) {
  auto bytes = valid_bytes();
  bytes[1] |= 0x04;
  bytes[3] = 26;
  bytes.push_back(1);  // Auth Type 1 (Simple Password)
  bytes.push_back(2);  // Auth Len
  const Error e = refusal(bytes);
  EXPECT_EQ(e.code(), Errc::kUnsupported);
  EXPECT_NE(e.message().find("authentication is not supported"), std::string::npos);
}

TEST(BfdPacket, IgnoresBytesBeyondTheMandatorySection) {
  // Length 30 with the A bit clear is allowed (only "less than 24" is refused); bytes after
  // Length are not part of the packet at all.
  auto bytes = valid_bytes();
  bytes[3] = 30;
  bytes.resize(40, 0xee);
  auto p = decode(bytes);
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p.value().length, 30);
  EXPECT_EQ(p.value().my_discriminator, 0x11223344u);
  const auto again = encode(p.value());
  EXPECT_TRUE(std::equal(again.begin(), again.end(), bytes.begin()));
}

}  // namespace
}  // namespace vipd::bfd
