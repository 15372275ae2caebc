// open_rtnetlink against the real kernel. Every test moves the process into a network
// namespace of its own (unshare(CLONE_NEWNET); root, as in CI) and builds its links there with
// iproute2, so tests share nothing and leave nothing behind: the namespace disappears with the
// test's last socket. What vipd claims to have set is read back independently: with
// `ip -j addr show` (label, nodad, lifetimes, tentative) and, for IFA_PROTO, which iproute2 6.1
// neither sets nor shows, with a plain NETLINK_ROUTE socket that shares no code with libnl.
#include "netlink/rtnetlink.hpp"
#include "common/testing/run_until.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>
#include <boost/json.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

namespace vipd::netlink {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::StartsWith;

IpAddress ip(const char* text) { return IpAddress::parse(text).value(); }

// Runs a shell command in this process's namespace; its exit status.
int shell(const std::string& command) { return std::system((command + " 2>&1").c_str()); }

std::string capture(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  ::pclose(pipe);
  return out;
}

// Feeds `lines` to `ip -batch -` (thousands of changes in one process).
int ip_batch(const std::vector<std::string>& lines) {
  FILE* pipe = ::popen("ip -batch -", "w");
  if (pipe == nullptr) return -1;
  for (const auto& line : lines) std::fprintf(pipe, "%s\n", line.c_str());
  return ::pclose(pipe);
}

int index_of(const char* name) { return static_cast<int>(::if_nametoindex(name)); }

// The address `local` on link `dev` as `ip -j addr show` reports it.
std::optional<boost::json::object> ip_address_json(const std::string& dev,
                                                   const std::string& local) {
  const auto text = capture("ip -j addr show dev " + dev);
  boost::system::error_code ec;
  const auto parsed = boost::json::parse(text, ec);
  if (ec || !parsed.is_array() || parsed.as_array().empty()) return std::nullopt;
  const auto* infos = parsed.as_array()[0].as_object().if_contains("addr_info");
  if (infos == nullptr) return std::nullopt;
  for (const auto& info : infos->as_array()) {
    const auto& object = info.as_object();
    if (const auto* l = object.if_contains("local"); l != nullptr && l->as_string() == local) {
      return object;
    }
  }
  return std::nullopt;
}

bool json_flag(const boost::json::object& object, const char* key) {
  const auto* value = object.if_contains(key);
  return value != nullptr && value->is_bool() && value->as_bool();
}

std::int64_t json_int(const boost::json::object& object, const char* key) {
  return object.at(key).to_number<std::int64_t>();
}

// A plain NETLINK_ROUTE socket: one request, every message of the answer.
std::vector<std::vector<char>> raw_request(std::vector<char> request) {
  std::vector<std::vector<char>> messages;
  const int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return messages;
  auto* header = reinterpret_cast<nlmsghdr*>(request.data());
  header->nlmsg_len = static_cast<std::uint32_t>(request.size());
  header->nlmsg_seq = 1;
  if (::send(fd, request.data(), request.size(), 0) < 0) {
    ::close(fd);
    return messages;
  }
  alignas(nlmsghdr) char buffer[32768];
  for (int reads = 0; reads < 1000; ++reads) {
    const auto n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    int left = static_cast<int>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buffer); NLMSG_OK(h, left);
         h = NLMSG_NEXT(h, left)) {
      const char* begin = reinterpret_cast<const char*>(h);
      messages.emplace_back(begin, begin + h->nlmsg_len);
      if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
        ::close(fd);
        return messages;
      }
    }
  }
  ::close(fd);
  return messages;
}

std::vector<char> address_request(std::uint16_t type, std::uint16_t flags, int link,
                                  const IpAddress& address, int prefix_length) {
  std::vector<char> request(NLMSG_SPACE(sizeof(ifaddrmsg)));
  auto* header = reinterpret_cast<nlmsghdr*>(request.data());
  header->nlmsg_type = type;
  header->nlmsg_flags = static_cast<std::uint16_t>(NLM_F_REQUEST | flags);
  auto* ifa = static_cast<ifaddrmsg*>(NLMSG_DATA(header));
  ifa->ifa_family = address.is_v4() ? AF_INET : AF_INET6;
  ifa->ifa_prefixlen = static_cast<std::uint8_t>(prefix_length);
  ifa->ifa_index = static_cast<std::uint32_t>(link);
  return request;
}

void put_attribute(std::vector<char>& request, std::uint16_t type, const void* data,
                   std::size_t size) {
  const std::size_t start = request.size();
  request.resize(start + RTA_SPACE(size));
  auto* attribute = reinterpret_cast<rtattr*>(request.data() + start);
  attribute->rta_type = type;
  attribute->rta_len = static_cast<std::uint16_t>(RTA_LENGTH(size));
  std::memcpy(RTA_DATA(attribute), data, size);
}

// Adds an address with IFA_PROTO `protocol` (what `ip addr add ... proto` does in newer
// iproute2); the kernel's errno, 0 on success.
int raw_add_address(int link, const IpAddress& address, int prefix_length, std::uint8_t protocol) {
  auto request = address_request(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, link, address,
                                 prefix_length);
  const auto bytes = address.bytes();
  put_attribute(request, IFA_LOCAL, bytes.data.data(), bytes.size);
  put_attribute(request, IFA_ADDRESS, bytes.data.data(), bytes.size);
  const std::uint32_t flags = IFA_F_NODAD;
  put_attribute(request, IFA_FLAGS, &flags, sizeof flags);
  put_attribute(request, IFA_PROTO, &protocol, sizeof protocol);
  const auto answer = raw_request(std::move(request));
  if (answer.empty()) return EIO;
  const auto* header = reinterpret_cast<const nlmsghdr*>(answer.back().data());
  if (header->nlmsg_type != NLMSG_ERROR) return EIO;
  return -static_cast<const nlmsgerr*>(NLMSG_DATA(header))->error;
}

// IFA_PROTO of every address (nullopt: the kernel reported none).
std::map<IpAddress, std::optional<int>> raw_address_protocols() {
  std::map<IpAddress, std::optional<int>> protocols;
  auto request = address_request(RTM_GETADDR, NLM_F_DUMP, 0, IpAddress(), 0);
  reinterpret_cast<ifaddrmsg*>(NLMSG_DATA(reinterpret_cast<nlmsghdr*>(request.data())))
      ->ifa_family = AF_UNSPEC;
  for (auto& message : raw_request(std::move(request))) {
    auto* header = reinterpret_cast<nlmsghdr*>(message.data());
    if (header->nlmsg_type != RTM_NEWADDR) continue;
    auto* ifa = static_cast<ifaddrmsg*>(NLMSG_DATA(header));
    std::optional<IpAddress> address;
    std::optional<int> protocol;
    int left = static_cast<int>(IFA_PAYLOAD(header));
    for (auto* a = IFA_RTA(ifa); RTA_OK(a, left); a = RTA_NEXT(a, left)) {
      const std::span<const std::uint8_t> payload(static_cast<const std::uint8_t*>(RTA_DATA(a)),
                                                  RTA_PAYLOAD(a));
      if (a->rta_type == IFA_ADDRESS && !address) address = IpAddress::from_bytes(payload);
      if (a->rta_type == IFA_LOCAL) address = IpAddress::from_bytes(payload);
      if (a->rta_type == IFA_PROTO && !payload.empty()) protocol = payload[0];
    }
    if (address) protocols[*address] = protocol;
  }
  return protocols;
}

using vipd::testing::run_until;

class RtnetlinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "the kernel tests make a network namespace and links: run "
                                  "them as root (CI does); they are not skipped";
    ASSERT_EQ(::unshare(CLONE_NEWNET), 0) << "unshare(CLONE_NEWNET): " << std::strerror(errno);
    ASSERT_EQ(shell("ip link set lo up"), 0);
    // No dummy driver on every kernel: a veth pair, v1 being the far end (carrier for v0).
    ASSERT_EQ(shell("ip link add v0 address 02:00:00:00:01:01 type veth peer name v1 address "
                    "02:00:00:00:01:02"),
              0);
    v0_ = index_of("v0");
    v1_ = index_of("v1");
    ASSERT_GT(v0_, 0);
    auto opened = open_rtnetlink(io_.get_executor());
    ASSERT_TRUE(opened) << opened.error().message();
    netlink_ = std::move(opened).value();
  }

  void up(const char* link) { ASSERT_EQ(shell(std::string("ip link set ") + link + " up"), 0); }

  std::optional<Link> link_named(const std::string& name) {
    auto links = netlink_->links();
    if (!links) return std::nullopt;
    for (const auto& l : links.value()) {
      if (l.name == name) return l;
    }
    return std::nullopt;
  }

  std::optional<Address> address_of(const IpAddress& address) {
    auto all = netlink_->addresses();
    if (!all) return std::nullopt;
    for (const auto& a : all.value()) {
      if (a.address == address) return a;
    }
    return std::nullopt;
  }

  // Polls links() until `predicate` holds for the link (operstate follows carrier through the
  // kernel's linkwatch work, which runs a little later).
  bool eventually(const std::string& name, const std::function<bool(const Link&)>& predicate) {
    const auto deadline = std::chrono::steady_clock::now() + 3s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (auto l = link_named(name); l && predicate(*l)) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  asio::io_context io_;
  std::unique_ptr<Netlink> netlink_;
  int v0_ = 0;
  int v1_ = 0;
};

TEST_F(RtnetlinkTest, LinksReportNameMacAndState) {
  auto v0 = link_named("v0");
  ASSERT_TRUE(v0);
  EXPECT_EQ(v0->index, v0_);
  EXPECT_EQ(v0->mac, (MacAddress{0x02, 0, 0, 0, 0x01, 0x01}));
  EXPECT_FALSE(v0->up);
  EXPECT_FALSE(v0->running);
  EXPECT_FALSE(v0->loopback);

  auto lo = link_named("lo");
  ASSERT_TRUE(lo);
  EXPECT_TRUE(lo->loopback);
  EXPECT_FALSE(lo->mac);  // 00:00:00:00:00:00 is no address to announce
  EXPECT_TRUE(lo->up);

  up("v0");  // administratively up, but the far end is down: no carrier
  v0 = link_named("v0");
  ASSERT_TRUE(v0);
  EXPECT_TRUE(v0->up);
  EXPECT_FALSE(v0->running);

  up("v1");
  EXPECT_TRUE(eventually("v0", [](const Link& l) { return l.up && l.running; }));
  EXPECT_TRUE(eventually("lo", [](const Link& l) { return l.running; }));

  ASSERT_EQ(shell("ip link set v0 down"), 0);
  EXPECT_TRUE(eventually("v0", [](const Link& l) { return !l.up && !l.running; }));
}

TEST_F(RtnetlinkTest, AddVipIpv4) {
  up("v0");
  ASSERT_TRUE(netlink_->add_vip(v0_, ip("192.0.2.10")));

  const auto json = ip_address_json("v0", "192.0.2.10");
  ASSERT_TRUE(json);
  EXPECT_EQ(json_int(*json, "prefixlen"), 32);
  EXPECT_EQ(json->at("label").as_string(), "v0:vip");
  EXPECT_FALSE(json_flag(*json, "deprecated"));  // no lifetimes on IPv4 (see rtnetlink.hpp)
  EXPECT_FALSE(json_flag(*json, "nodad"));
  EXPECT_EQ(json_int(*json, "valid_life_time"), 4294967295);
  EXPECT_EQ(raw_address_protocols()[ip("192.0.2.10")], kVipdAddressProtocol);

  const auto listed = address_of(ip("192.0.2.10"));
  ASSERT_TRUE(listed);
  EXPECT_EQ(*listed, (Address{.link = v0_,
                              .address = ip("192.0.2.10"),
                              .prefix_length = 32,
                              .vipd = true,
                              .tentative = false,
                              .dad_failed = false}));
  // The host accepts it: a local route, and no prefix route in main.
  EXPECT_THAT(capture("ip route show table local"), HasSubstr("local 192.0.2.10 dev v0"));
  EXPECT_THAT(capture("ip route show table main"), ::testing::Not(HasSubstr("192.0.2.10")));
}

TEST_F(RtnetlinkTest, AddVipIpv6IsNeverTentativeNorASourceAddress) {
  up("v0");
  up("v1");  // with carrier, so that DAD would run if it were asked for
  ASSERT_TRUE(netlink_->add_vip(v0_, ip("2001:db8::10")));

  const auto json = ip_address_json("v0", "2001:db8::10");
  ASSERT_TRUE(json);
  EXPECT_EQ(json_int(*json, "prefixlen"), 128);
  EXPECT_TRUE(json_flag(*json, "nodad"));
  EXPECT_TRUE(json_flag(*json, "noprefixroute"));
  EXPECT_TRUE(json_flag(*json, "deprecated"));
  EXPECT_FALSE(json_flag(*json, "tentative"));
  EXPECT_EQ(json_int(*json, "preferred_life_time"), 0);
  EXPECT_EQ(json_int(*json, "valid_life_time"), 4294967295);
  EXPECT_EQ(raw_address_protocols()[ip("2001:db8::10")], kVipdAddressProtocol);

  const auto listed = address_of(ip("2001:db8::10"));
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->link, v0_);
  EXPECT_EQ(listed->prefix_length, 128);
  EXPECT_TRUE(listed->vipd);
  EXPECT_FALSE(listed->tentative);
  EXPECT_FALSE(listed->dad_failed);

  EXPECT_THAT(capture("ip -6 route show table local"), HasSubstr("local 2001:db8::10 dev v0"));
  EXPECT_THAT(capture("ip -6 route show table main"), ::testing::Not(HasSubstr("2001:db8::10")));
  // With the node's own address next to it, the kernel picks that one as source.
  ASSERT_EQ(shell("ip addr add 2001:db8::11/64 dev v0 nodad"), 0);
  ASSERT_EQ(shell("ip -6 route add 2001:db8:1::/64 dev v0"), 0);
  EXPECT_THAT(capture("ip -6 route get 2001:db8:1::1"), HasSubstr("src 2001:db8::11 "));
}

TEST_F(RtnetlinkTest, Ipv4LabelOnlyWhenItFits) {
  ASSERT_EQ(shell("ip link set v0 name abcdefghijk"), 0);   // 11 + ":vip" = 15 characters
  ASSERT_EQ(shell("ip link set v1 name abcdefghijkl"), 0);  // 12 + 4 = 16: too long
  ASSERT_TRUE(netlink_->add_vip(v0_, ip("192.0.2.10")));
  ASSERT_TRUE(netlink_->add_vip(v1_, ip("192.0.2.11")));
  const auto fits = ip_address_json("abcdefghijk", "192.0.2.10");
  const auto long_name = ip_address_json("abcdefghijkl", "192.0.2.11");
  ASSERT_TRUE(fits);
  ASSERT_TRUE(long_name);
  EXPECT_EQ(fits->at("label").as_string(), "abcdefghijk:vip");
  EXPECT_EQ(long_name->at("label").as_string(), "abcdefghijkl");  // the kernel's default
  EXPECT_EQ(raw_address_protocols()[ip("192.0.2.11")], kVipdAddressProtocol);
}

TEST_F(RtnetlinkTest, AddVipIsIdempotent) {
  for (const char* vip : {"192.0.2.10", "2001:db8::10"}) {
    ASSERT_TRUE(netlink_->add_vip(v0_, ip(vip))) << vip;
    const auto again = netlink_->add_vip(v0_, ip(vip));
    EXPECT_TRUE(again) << (again ? "" : again.error().message());
  }
  const auto all = netlink_->addresses();
  ASSERT_TRUE(all);
  EXPECT_EQ(std::count_if(all.value().begin(), all.value().end(),
                          [&](const Address& a) { return a.link == v0_ && a.vipd; }),
            2);
}

TEST_F(RtnetlinkTest, OperatorsAddressIsRefusedAndUntouched) {
  ASSERT_EQ(shell("ip addr add 192.0.2.20/24 dev v0"), 0);
  ASSERT_EQ(shell("ip addr add 2001:db8::20/64 dev v0 nodad"), 0);
  for (const char* address : {"192.0.2.20", "2001:db8::20"}) {
    const auto added = netlink_->add_vip(v0_, ip(address));
    ASSERT_FALSE(added) << address;
    EXPECT_EQ(added.error().code(), Errc::kAlreadyExists);
    EXPECT_THAT(added.error().message(), StartsWith(std::string("add ") + address));
    EXPECT_THAT(added.error().message(), HasSubstr(" on v0: "));
    const auto deleted = netlink_->delete_vip(v0_, ip(address));
    ASSERT_FALSE(deleted) << address;
    EXPECT_EQ(deleted.error().code(), Errc::kAlreadyExists);
  }
  const auto v4 = ip_address_json("v0", "192.0.2.20");
  const auto v6 = ip_address_json("v0", "2001:db8::20");
  ASSERT_TRUE(v4);
  ASSERT_TRUE(v6);
  EXPECT_EQ(json_int(*v4, "prefixlen"), 24);
  EXPECT_EQ(v4->at("label").as_string(), "v0");
  EXPECT_EQ(json_int(*v6, "prefixlen"), 64);
  EXPECT_EQ(address_of(ip("192.0.2.20"))->vipd, false);
  EXPECT_EQ(raw_address_protocols()[ip("192.0.2.20")], std::nullopt);
}

TEST_F(RtnetlinkTest, DeleteVip) {
  ASSERT_TRUE(netlink_->add_vip(v0_, ip("192.0.2.10")));
  ASSERT_TRUE(netlink_->add_vip(v0_, ip("2001:db8::10")));
  ASSERT_TRUE(netlink_->delete_vip(v0_, ip("192.0.2.10")));
  ASSERT_TRUE(netlink_->delete_vip(v0_, ip("2001:db8::10")));
  EXPECT_FALSE(ip_address_json("v0", "192.0.2.10"));
  EXPECT_FALSE(ip_address_json("v0", "2001:db8::10"));
  EXPECT_FALSE(address_of(ip("192.0.2.10")));
}

TEST_F(RtnetlinkTest, DeleteMissingSucceeds) {
  EXPECT_TRUE(netlink_->delete_vip(v0_, ip("192.0.2.10")));
  EXPECT_TRUE(netlink_->delete_vip(v0_, ip("2001:db8::10")));
  EXPECT_TRUE(netlink_->delete_vip(9999, ip("192.0.2.10")));  // no such link: nothing there
  ASSERT_TRUE(netlink_->add_vip(v1_, ip("192.0.2.10")));
  EXPECT_TRUE(netlink_->delete_vip(v0_, ip("192.0.2.10")));  // on another link
  EXPECT_TRUE(ip_address_json("v1", "192.0.2.10"));
}

TEST_F(RtnetlinkTest, StaleVipdAddressIsReportedAndDeleted) {
  // Left by an earlier run: marked with vipd's protocol, not added through this object.
  ASSERT_EQ(raw_add_address(v0_, ip("192.0.2.30"), 32, kVipdAddressProtocol), 0);
  ASSERT_EQ(raw_add_address(v0_, ip("2001:db8::30"), 128, kVipdAddressProtocol), 0);
  ASSERT_EQ(raw_add_address(v0_, ip("192.0.2.31"), 32, kVipdAddressProtocol + 1), 0);
  const auto v4 = address_of(ip("192.0.2.30"));
  const auto v6 = address_of(ip("2001:db8::30"));
  const auto other = address_of(ip("192.0.2.31"));
  ASSERT_TRUE(v4 && v6 && other);
  EXPECT_TRUE(v4->vipd);
  EXPECT_TRUE(v6->vipd);
  EXPECT_FALSE(other->vipd);                              // another protocol is someone else's
  EXPECT_TRUE(netlink_->add_vip(v0_, ip("192.0.2.30")));  // ours already
  EXPECT_TRUE(netlink_->delete_vip(v0_, ip("192.0.2.30")));
  EXPECT_TRUE(netlink_->delete_vip(v0_, ip("2001:db8::30")));
  EXPECT_EQ(netlink_->delete_vip(v0_, ip("192.0.2.31")).error().code(), Errc::kAlreadyExists);
  EXPECT_FALSE(address_of(ip("192.0.2.30")));
  EXPECT_FALSE(address_of(ip("2001:db8::30")));
  EXPECT_TRUE(address_of(ip("192.0.2.31")));
}

TEST_F(RtnetlinkTest, TentativeAndDadFailedAreReported) {
  up("v0");
  up("v1");
  // v1 holds the address already, so v0's duplicate address detection fails.
  ASSERT_EQ(shell("ip addr add 2001:db8::60/64 dev v1 nodad"), 0);
  ASSERT_EQ(shell("ip addr add 2001:db8::60/64 dev v0"), 0);
  auto on_v0 = [&]() -> std::optional<Address> {
    auto all = netlink_->addresses();
    if (!all) return std::nullopt;
    for (const auto& a : all.value()) {
      if (a.link == v0_ && a.address == ip("2001:db8::60")) return a;
    }
    return std::nullopt;
  };
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  std::optional<Address> address = on_v0();
  ASSERT_TRUE(address);
  EXPECT_TRUE(address->tentative);
  while (address && !address->dad_failed && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
    address = on_v0();
  }
  ASSERT_TRUE(address);
  EXPECT_TRUE(address->dad_failed);
  EXPECT_FALSE(address->vipd);
}

TEST_F(RtnetlinkTest, AddressesThatCannotBeVipsAreRefused) {
  for (const char* text : {"0.0.0.0", "0.1.2.3", "127.0.0.1", "224.0.0.1", "255.255.255.255",
                           "::", "::1", "ff02::1", "fe80::1", "::ffff:192.0.2.1"}) {
    const auto added = netlink_->add_vip(v0_, ip(text));
    ASSERT_FALSE(added) << text;
    EXPECT_EQ(added.error().code(), Errc::kInvalidArgument) << text;
    const auto deleted = netlink_->delete_vip(v0_, ip(text));
    ASSERT_FALSE(deleted) << text;
    EXPECT_EQ(deleted.error().code(), Errc::kInvalidArgument) << text;
  }
  EXPECT_EQ(netlink_->add_vip(0, ip("192.0.2.10")).error().code(), Errc::kInvalidArgument);
  EXPECT_EQ(netlink_->add_vip(-1, ip("192.0.2.10")).error().code(), Errc::kInvalidArgument);
  EXPECT_EQ(capture("ip -j addr show dev v0").find("\"local\""), std::string::npos);
}

TEST_F(RtnetlinkTest, KernelErrorsNameTheOperationAndTheLink) {
  const auto unknown = netlink_->add_vip(9999, ip("192.0.2.10"));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code(), Errc::kIoError);
  EXPECT_EQ(unknown.error().message(), "add 192.0.2.10/32 on link 9999: No such device");

  ASSERT_EQ(shell("sysctl -qw net.ipv6.conf.v0.disable_ipv6=1"), 0);
  const auto refused = netlink_->add_vip(v0_, ip("2001:db8::10"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), Errc::kIoError);
  EXPECT_THAT(refused.error().message(), StartsWith("add 2001:db8::10/128 on v0: "));
  EXPECT_THAT(refused.error().message(), HasSubstr("IPv6 is disabled on this device"));
}

// Kernel fact the VIP reconciler depends on: IPv6 addresses go with an administrative down.
TEST_F(RtnetlinkTest, Ipv6VipsGoAwayWhenTheLinkGoesDown) {
  up("v0");
  ASSERT_TRUE(netlink_->add_vip(v0_, ip("192.0.2.10")));
  ASSERT_TRUE(netlink_->add_vip(v0_, ip("2001:db8::10")));
  ASSERT_EQ(shell("ip link set v0 down"), 0);
  EXPECT_TRUE(address_of(ip("192.0.2.10")));
  EXPECT_FALSE(address_of(ip("2001:db8::10")));
  up("v0");
  EXPECT_TRUE(netlink_->add_vip(v0_, ip("2001:db8::10")));
}

struct Recorder {
  std::vector<LinkEvent> links;
  std::vector<AddressEvent> addresses;
  int resyncs = 0;

  Netlink::Callbacks callbacks() {
    return {.link = [this](const LinkEvent& e) { links.push_back(e); },
            .address = [this](const AddressEvent& e) { addresses.push_back(e); },
            .resync = [this] { ++resyncs; }};
  }
  bool saw_link(const std::string& name, const std::function<bool(const LinkEvent&)>& match) const {
    return std::any_of(links.begin(), links.end(),
                       [&](const LinkEvent& e) { return e.link.name == name && match(e); });
  }
  bool saw_address(const IpAddress& address, bool removed) const {
    return std::any_of(addresses.begin(), addresses.end(), [&](const AddressEvent& e) {
      return e.address.address == address && e.removed == removed;
    });
  }
  const AddressEvent* address_event(const IpAddress& address, bool removed) const {
    for (const auto& e : addresses) {
      if (e.address.address == address && e.removed == removed) return &e;
    }
    return nullptr;
  }
};

TEST_F(RtnetlinkTest, EventsReportLinkAndAddressChanges) {
  Recorder seen;
  ASSERT_TRUE(netlink_->subscribe(seen.callbacks()));

  up("v0");
  ASSERT_TRUE(run_until(
      io_, [&] { return seen.saw_link("v0", [](const LinkEvent& e) { return e.link.up; }); }, 3s));
  const auto& event = *std::find_if(seen.links.begin(), seen.links.end(),
                                    [](const LinkEvent& e) { return e.link.name == "v0"; });
  EXPECT_EQ(event.link.index, v0_);
  EXPECT_EQ(event.link.mac, (MacAddress{0x02, 0, 0, 0, 0x01, 0x01}));
  EXPECT_FALSE(event.removed);

  ASSERT_EQ(shell("ip addr add 192.0.2.40/32 dev v0"), 0);
  ASSERT_TRUE(run_until(
      io_, [&] { return seen.saw_address(ip("192.0.2.40"), false); }, 3s));
  EXPECT_EQ(seen.address_event(ip("192.0.2.40"), false)->address.link, v0_);
  EXPECT_FALSE(seen.address_event(ip("192.0.2.40"), false)->address.vipd);
  ASSERT_EQ(shell("ip addr del 192.0.2.40/32 dev v0"), 0);
  ASSERT_TRUE(run_until(
      io_, [&] { return seen.saw_address(ip("192.0.2.40"), true); }, 3s));

  ASSERT_TRUE(netlink_->add_vip(v0_, ip("2001:db8::10")));
  ASSERT_TRUE(run_until(
      io_, [&] { return seen.saw_address(ip("2001:db8::10"), false); }, 3s));
  EXPECT_TRUE(seen.address_event(ip("2001:db8::10"), false)->address.vipd);
  EXPECT_FALSE(seen.address_event(ip("2001:db8::10"), false)->address.tentative);

  ASSERT_EQ(shell("ip link set v0 down"), 0);
  ASSERT_TRUE(run_until(
      io_, [&] { return seen.saw_address(ip("2001:db8::10"), true); }, 3s));  // kernel: down
  EXPECT_TRUE(seen.saw_link("v0", [](const LinkEvent& e) { return !e.link.up; }));

  ASSERT_EQ(shell("ip link del v0"), 0);
  ASSERT_TRUE(run_until(
      io_,
      [&] {
        return seen.saw_link("v0", [](const LinkEvent& e) { return e.removed; }) &&
               seen.saw_link("v1", [](const LinkEvent& e) { return e.removed; });
      },
      3s));
  EXPECT_EQ(seen.resyncs, 0);
}

TEST_F(RtnetlinkTest, BridgePortMessagesAreNotLinkRemovals) {
  ASSERT_EQ(shell("ip link add b0 type bridge"), 0);
  ASSERT_EQ(shell("ip link set v1 master b0"), 0);
  Recorder seen;
  ASSERT_TRUE(netlink_->subscribe(seen.callbacks()));
  ASSERT_EQ(shell("ip link set v1 nomaster"), 0);  // an AF_BRIDGE RTM_DELLINK for v1
  // Events arrive in order: once this one is in, everything before it has been delivered.
  ASSERT_EQ(shell("ip addr add 192.0.2.99/32 dev v0"), 0);
  ASSERT_TRUE(run_until(
      io_, [&] { return seen.saw_address(ip("192.0.2.99"), false); }, 3s));
  EXPECT_FALSE(seen.saw_link("v1", [](const LinkEvent& e) { return e.removed; }));
}

TEST_F(RtnetlinkTest, OverrunOfTheEventSocketAsksForAResync) {
  Recorder seen;
  ASSERT_TRUE(netlink_->subscribe(seen.callbacks()));
  // Thousands of link messages while nobody reads: more than any receive buffer holds.
  std::vector<std::string> changes;
  for (int i = 0; i < 4000; ++i)
    changes.push_back("link set dev v0 mtu " + std::to_string(1400 + i % 2));
  ASSERT_EQ(ip_batch(changes), 0);
  ASSERT_TRUE(run_until(
      io_, [&] { return seen.resyncs > 0; }, 5s));
  // The socket keeps working afterwards.
  ASSERT_EQ(shell("ip addr add 192.0.2.50/32 dev v0"), 0);
  EXPECT_TRUE(run_until(
      io_, [&] { return seen.saw_address(ip("192.0.2.50"), false); }, 3s));
}

TEST_F(RtnetlinkTest, SubscribeAgainReplacesTheCallbacks) {
  Recorder first;
  Recorder second;
  ASSERT_TRUE(netlink_->subscribe(first.callbacks()));
  ASSERT_TRUE(netlink_->subscribe(second.callbacks()));
  ASSERT_EQ(shell("ip addr add 192.0.2.51/32 dev v0"), 0);
  ASSERT_TRUE(run_until(
      io_, [&] { return second.saw_address(ip("192.0.2.51"), false); }, 3s));
  EXPECT_TRUE(first.addresses.empty());
}

TEST_F(RtnetlinkTest, DestroyingCancelsTheWait) {
  bool called = false;
  ASSERT_TRUE(netlink_->subscribe({.link = [&](const LinkEvent&) { called = true; },
                                   .address = [&](const AddressEvent&) { called = true; },
                                   .resync = [&] { called = true; }}));
  up("v0");  // readable now, the wait is armed
  netlink_.reset();
  io_.run_for(200ms);
  EXPECT_FALSE(called);
}

TEST_F(RtnetlinkTest, ACallbackMayDestroyTheNetlink) {
  int calls = 0;
  ASSERT_TRUE(netlink_->subscribe({.link =
                                       [&](const LinkEvent&) {
                                         ++calls;
                                         netlink_.reset();
                                       },
                                   .address = {},
                                   .resync = {}}));
  up("v0");
  up("v1");
  ASSERT_EQ(shell("ip link set v0 down"), 0);
  ASSERT_TRUE(run_until(
      io_, [&] { return calls > 0; }, 3s));
  io_.run_for(100ms);
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace vipd::netlink
