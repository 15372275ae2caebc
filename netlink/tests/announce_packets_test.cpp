// Announcement frames, byte for byte: hand-annotated golden frames (RFC 826, RFC 5227, RFC 4861,
// RFC 8200), the frames the kernel and iputils send (captured, tests/fixtures/README.md), and
// the ICMPv6 checksum recomputed here independently of the code under test.
#include "netlink/announce_packets.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace vipd::netlink {
namespace {

using ::testing::ElementsAreArray;

const MacAddress kMac{0x02, 0x00, 0x5e, 0x00, 0x53, 0x0a};

IpAddress ip(const char* text) { return IpAddress::parse(text).value(); }

// Offsets into the frames (Ethernet header first).
constexpr std::size_t kEthSource = 6;
constexpr std::size_t kArpSenderMac = 14 + 8;
constexpr std::size_t kArpSenderIp = 14 + 14;
constexpr std::size_t kArpTargetMac = 14 + 18;
constexpr std::size_t kIpv6 = 14;
constexpr std::size_t kIcmp = 14 + 40;
constexpr std::size_t kNaTarget = kIcmp + 8;

// One frame from tests/fixtures/NAME: hex octets, whitespace ignored, "#" to end of line a
// comment.
Frame fixture(const std::string& name) {
  const auto path = std::filesystem::path(__FILE__).parent_path() / "fixtures" / name;
  std::ifstream in(path);
  EXPECT_TRUE(in.is_open()) << "cannot open " << path;
  Frame out;
  std::string line;
  while (std::getline(in, line)) {
    line = line.substr(0, line.find('#'));
    std::istringstream words(line);
    std::string word;
    while (words >> word) {
      EXPECT_EQ(word.size(), 2u) << path << ": " << word;
      out.push_back(static_cast<std::uint8_t>(std::stoul(word, nullptr, 16)));
    }
  }
  EXPECT_FALSE(out.empty()) << path;
  return out;
}

MacAddress mac_at(const Frame& frame, std::size_t offset) {
  MacAddress mac{};
  for (std::size_t i = 0; i < mac.size(); ++i) mac[i] = frame.at(offset + i);
  return mac;
}

IpAddress ip_at(const Frame& frame, std::size_t offset, std::size_t size) {
  return IpAddress::from_bytes(std::span<const std::uint8_t>(frame).subspan(offset, size)).value();
}

// RFC 4443 §2.3 / RFC 8200 §8.1, written out independently of announce_packets.cpp: the sum of
// the pseudo-header (taken from the frame's own IPv6 header) and the ICMPv6 message, checksum
// field included, folds to 0xffff when the checksum is right.
std::uint16_t folded_icmpv6_sum(const Frame& frame) {
  const std::size_t payload_length = (frame.at(kIpv6 + 4) << 8) | frame.at(kIpv6 + 5);
  std::vector<std::uint8_t> pseudo(frame.begin() + kIpv6 + 8, frame.begin() + kIpv6 + 40);
  pseudo.push_back(static_cast<std::uint8_t>(payload_length >> 24));
  pseudo.push_back(static_cast<std::uint8_t>(payload_length >> 16));
  pseudo.push_back(static_cast<std::uint8_t>(payload_length >> 8));
  pseudo.push_back(static_cast<std::uint8_t>(payload_length));
  pseudo.insert(pseudo.end(), {0, 0, 0, frame.at(kIpv6 + 6)});
  pseudo.insert(pseudo.end(), frame.begin() + kIcmp, frame.begin() + kIcmp + payload_length);
  if (pseudo.size() % 2 != 0) pseudo.push_back(0);
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < pseudo.size(); i += 2) sum += (pseudo[i] << 8) | pseudo[i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(sum);
}

// --- Golden frames, field by field ------------------------------------------------------------

TEST(GratuitousArpRequest, GoldenBytes) {
  const std::vector<std::uint8_t> golden = {
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // Ethernet destination: broadcast
      0x02, 0x00, 0x5e, 0x00, 0x53, 0x0a,  // Ethernet source: our MAC
      0x08, 0x06,                          // EtherType ARP
      0x00, 0x01,                          // hardware type 1, Ethernet (RFC 826)
      0x08, 0x00,                          // protocol type IPv4
      0x06,                                // hardware address length
      0x04,                                // protocol address length
      0x00, 0x01,                          // operation 1, request
      0x02, 0x00, 0x5e, 0x00, 0x53, 0x0a,  // sender hardware address: our MAC
      0xc0, 0x00, 0x02, 0x0a,              // sender protocol address: the VIP 192.0.2.10
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // target hardware address: zero (RFC 5227 §2.3)
      0xc0, 0x00, 0x02, 0x0a,              // target protocol address: the VIP again
  };
  const auto frame = gratuitous_arp_request(kMac, ip("192.0.2.10"));
  ASSERT_TRUE(frame);
  EXPECT_THAT(frame.value(), ElementsAreArray(golden));
  EXPECT_EQ(frame.value().size(), kArpFrameSize);
}

TEST(GratuitousArpReply, GoldenBytes) {
  const std::vector<std::uint8_t> golden = {
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // Ethernet destination: broadcast
      0x02, 0x00, 0x5e, 0x00, 0x53, 0x0a,  // Ethernet source: our MAC
      0x08, 0x06,                          // EtherType ARP
      0x00, 0x01,                          // hardware type Ethernet
      0x08, 0x00,                          // protocol type IPv4
      0x06, 0x04,                          // address lengths
      0x00, 0x02,                          // operation 2, reply
      0x02, 0x00, 0x5e, 0x00, 0x53, 0x0a,  // sender hardware address: our MAC
      0xcb, 0x00, 0x71, 0xfe,              // sender protocol address: the VIP 203.0.113.254
      0x02, 0x00, 0x5e, 0x00, 0x53, 0x0a,  // target hardware address: our MAC, not broadcast
      0xcb, 0x00, 0x71, 0xfe,              // target protocol address: the VIP again
  };
  const auto frame = gratuitous_arp_reply(kMac, ip("203.0.113.254"));
  ASSERT_TRUE(frame);
  EXPECT_THAT(frame.value(), ElementsAreArray(golden));
}

TEST(UnsolicitedNeighborAdvertisement, GoldenBytes) {
  const std::vector<std::uint8_t> golden = {
      0x33, 0x33, 0x00, 0x00, 0x00, 0x01,  // Ethernet destination: ff02::1 (RFC 2464 §7)
      0x02, 0x00, 0x5e, 0x00, 0x53, 0x0a,  // Ethernet source: our MAC
      0x86, 0xdd,                          // EtherType IPv6
      0x60, 0x00, 0x00, 0x00,              // version 6, traffic class 0, flow label 0
      0x00, 0x20,                          // payload length 32
      0x3a,                                // next header 58, ICMPv6
      0xff,                                // hop limit 255 (RFC 4861 §7.1.2)
      0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00,  // source: the VIP 2001:db8::10
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,  //
      0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // destination: ff02::1
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,  //
      0x88,                                            // type 136, Neighbor Advertisement
      0x00,                                            // code 0
      0x48, 0x03,        // checksum (computed separately with Python's ipaddress + struct)
      0x20,              // R=0, S=0, O=1 (RFC 4861 §4.4, §7.2.6)
      0x00, 0x00, 0x00,  // reserved
      0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00,  // target: the VIP
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,  //
      0x02,                                            // option 2, Target Link-Layer Address
      0x01,                                            // length 1 (8 octets)
      0x02, 0x00, 0x5e, 0x00, 0x53, 0x0a,              // our MAC
  };
  const auto frame = unsolicited_neighbor_advertisement(kMac, ip("2001:db8::10"));
  ASSERT_TRUE(frame);
  EXPECT_THAT(frame.value(), ElementsAreArray(golden));
  EXPECT_EQ(frame.value().size(), kNeighborAdvertFrameSize);
}

// --- The kernel's and iputils' own frames ---------------------------------------------------

TEST(GratuitousArpRequest, EqualsTheKernelsArpNotifyByteForByte) {
  const auto captured = fixture("kernel_arp_notify_request.hex");
  ASSERT_EQ(captured.size(), kArpFrameSize);
  const auto mac = mac_at(captured, kEthSource);
  const auto vip = ip_at(captured, kArpSenderIp, 4);
  EXPECT_EQ(vip, ip("192.0.2.10"));
  EXPECT_EQ(mac_at(captured, kArpSenderMac), mac);
  EXPECT_THAT(gratuitous_arp_request(mac, vip).value(), ElementsAreArray(captured));
}

// iputils' arping -U sends broadcast as the ARP target MAC; we send zero like the kernel (the
// field is ignored by receivers, RFC 5227 §2.3). Every other octet is the same.
TEST(GratuitousArpRequest, DiffersFromArpingUOnlyInTheIgnoredTargetMac) {
  auto captured = fixture("arping_unsolicited_request.hex");
  ASSERT_EQ(captured.size(), kArpFrameSize);
  const auto mac = mac_at(captured, kEthSource);
  const auto vip = ip_at(captured, kArpSenderIp, 4);
  EXPECT_EQ(mac_at(captured, kArpTargetMac), kBroadcastMac);
  const auto ours = gratuitous_arp_request(mac, vip).value();
  for (std::size_t i = 0; i < 6; ++i) captured[kArpTargetMac + i] = 0;
  EXPECT_THAT(ours, ElementsAreArray(captured));
}

// iputils 20221126 arping -A already puts the sender's MAC in the target MAC (a broadcast
// target would be ignored within the neighbour locktime): the same frame as ours.
TEST(GratuitousArpReply, EqualsArpingAByteForByte) {
  const auto captured = fixture("arping_unsolicited_reply.hex");
  ASSERT_EQ(captured.size(), kArpFrameSize);
  const auto mac = mac_at(captured, kEthSource);
  const auto vip = ip_at(captured, kArpSenderIp, 4);
  EXPECT_EQ(mac_at(captured, kArpTargetMac), mac);
  EXPECT_THAT(gratuitous_arp_reply(mac, vip).value(), ElementsAreArray(captured));
}

// The kernel's unsolicited NA (ndisc_notify) for a global address is sent from that address;
// ours is the same frame, checksum included.
TEST(UnsolicitedNeighborAdvertisement, EqualsTheKernelsNdiscNotifyByteForByte) {
  const auto captured = fixture("kernel_unsolicited_na.hex");
  ASSERT_EQ(captured.size(), kNeighborAdvertFrameSize);
  const auto mac = mac_at(captured, kEthSource);
  const auto vip = ip_at(captured, kNaTarget, 16);
  EXPECT_EQ(vip, ip("2001:db8::10"));
  EXPECT_EQ(ip_at(captured, kIpv6 + 8, 16), vip);  // source = target
  EXPECT_EQ(captured.at(kIcmp + 4), 0x20);         // Override only
  EXPECT_THAT(unsolicited_neighbor_advertisement(mac, vip).value(), ElementsAreArray(captured));
}

TEST(UnsolicitedNeighborAdvertisement, EqualsTheKernelsLinkLocalNaByteForByte) {
  const auto captured = fixture("kernel_unsolicited_na_link_local.hex");
  ASSERT_EQ(captured.size(), kNeighborAdvertFrameSize);
  const auto mac = mac_at(captured, kEthSource);
  const auto target = ip_at(captured, kNaTarget, 16);
  EXPECT_EQ(target, ip("fe80::5eff:fe10:1"));
  EXPECT_THAT(unsolicited_neighbor_advertisement(mac, target).value(), ElementsAreArray(captured));
}

// --- Checksum, recomputed -------------------------------------------------------------------

TEST(UnsolicitedNeighborAdvertisement, TheKernelsChecksumsVerifyWithTheIndependentSum) {
  // Proves the test's own checksum code on frames the kernel checksummed.
  EXPECT_EQ(folded_icmpv6_sum(fixture("kernel_unsolicited_na.hex")), 0xffff);
  EXPECT_EQ(folded_icmpv6_sum(fixture("kernel_unsolicited_na_link_local.hex")), 0xffff);
  auto broken = fixture("kernel_unsolicited_na.hex");
  broken.at(kNaTarget + 15) ^= 0x01;
  EXPECT_NE(folded_icmpv6_sum(broken), 0xffff);
}

TEST(UnsolicitedNeighborAdvertisement, ChecksumIsRightForManyAddressesAndMacs) {
  // Addresses whose octets exercise carries (0xff..), zeros, and both ends of 2001:db8::/32.
  const std::vector<IpAddress> addresses = {ip("2001:db8::"),
                                            ip("2001:db8::1"),
                                            ip("2001:db8:ffff:ffff::ffff"),
                                            ip("2001:db8:1:2:3:4:5:6"),
                                            ip("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"),
                                            ip("fe80::1")};
  const std::vector<MacAddress> macs = {
      MacAddress{0x02, 0, 0, 0, 0, 0},
      MacAddress{0x02, 0xff, 0xff, 0xff, 0xff, 0xff},
      kMac,
  };
  for (const auto& address : addresses) {
    for (const auto& mac : macs) {
      const auto frame = unsolicited_neighbor_advertisement(mac, address).value();
      EXPECT_EQ(folded_icmpv6_sum(frame), 0xffff) << address.to_string();
      EXPECT_EQ(ip_at(frame, kIpv6 + 8, 16), address);
      EXPECT_EQ(ip_at(frame, kNaTarget, 16), address);
      EXPECT_EQ(mac_at(frame, kEthSource), mac);
      EXPECT_EQ(mac_at(frame, kNaTarget + 18), mac);
    }
  }
}

// --- Refusals and the combined list -------------------------------------------------------

TEST(AnnouncePackets, RefusesTheWrongFamily) {
  const auto request = gratuitous_arp_request(kMac, ip("2001:db8::10"));
  ASSERT_FALSE(request);
  EXPECT_EQ(request.error().code(), Errc::kInvalidArgument);
  EXPECT_THAT(request.error().message(), ::testing::HasSubstr("2001:db8::10"));
  const auto reply = gratuitous_arp_reply(kMac, ip("2001:db8::10"));
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().code(), Errc::kInvalidArgument);
  const auto na = unsolicited_neighbor_advertisement(kMac, ip("192.0.2.10"));
  ASSERT_FALSE(na);
  EXPECT_EQ(na.error().code(), Errc::kInvalidArgument);
  EXPECT_THAT(na.error().message(), ::testing::HasSubstr("192.0.2.10"));
}

TEST(AnnouncePackets, AnnouncementFramesAreRequestThenReplyOrOneNa) {
  const auto v4 = announcement_frames(kMac, ip("198.51.100.7"));
  ASSERT_EQ(v4.size(), 2u);
  EXPECT_EQ(v4[0], gratuitous_arp_request(kMac, ip("198.51.100.7")).value());
  EXPECT_EQ(v4[1], gratuitous_arp_reply(kMac, ip("198.51.100.7")).value());
  const auto v6 = announcement_frames(kMac, ip("2001:db8::7"));
  ASSERT_EQ(v6.size(), 1u);
  EXPECT_EQ(v6[0], unsolicited_neighbor_advertisement(kMac, ip("2001:db8::7")).value());
}

}  // namespace
}  // namespace vipd::netlink
