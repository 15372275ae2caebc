// RawAnnouncer against the real kernel. The test process moves into a network namespace of its
// own (root, as in CI) and makes a veth pair per test: the announcer sends on one end, an
// AF_PACKET socket reads the other. The last tests show what the frames are for: a "router"
// namespace whose neighbour entry for the VIP points at another MAC, moved to ours by one
// announcement, for IPv4 and IPv6, in the STALE and REACHABLE states.
#include "netlink/raw_announcer.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <gtest/gtest.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "common/testing/fake_timer_clock.hpp"
#include "netlink/announce_packets.hpp"

namespace vipd::netlink {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

constexpr MacAddress kNodeMac{0x02, 0x00, 0x5e, 0x00, 0x53, 0x01};
constexpr const char* kNodeMacText = "02:00:5e:00:53:01";
constexpr const char* kPeerMacText = "02:00:5e:00:53:02";
constexpr const char* kOldMacText = "02:00:5e:00:53:99";  // the previous owner's, on the router

IpAddress ip(const char* text) { return IpAddress::parse(text).value(); }

int run(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string output_of(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  std::array<char, 512> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) out += buffer.data();
  ::pclose(pipe);
  return out;
}

bool same_namespace_as_init() {
  struct stat self {};
  struct stat init {};
  if (::stat("/proc/self/ns/net", &self) != 0 || ::stat("/proc/1/ns/net", &init) != 0) {
    return true;  // cannot tell: assume the host's, and move out
  }
  return self.st_ino == init.st_ino && self.st_dev == init.st_dev;
}

// Once per process: root, and a network namespace that is not the host's. Empty when ready,
// else why not. (A process that another test of this binary already moved out stays where it
// is: every name made here carries the PID, so the two never collide.)
const std::string& namespace_problem() {
  static const std::string problem = []() -> std::string {
    if (::geteuid() != 0) {
      return "the kernel tests need root (CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_ADMIN for "
             "unshare); CI runs them as root";
    }
    if (same_namespace_as_init()) {
      if (::unshare(CLONE_NEWNET) != 0) {
        return std::string("unshare(CLONE_NEWNET): ") + std::strerror(errno);
      }
    }
    if (run("ip link set lo up") != 0) return "ip link set lo up failed";
    return {};
  }();
  return problem;
}

std::string pid_text() { return std::to_string(::getpid()); }

Link link_named(const std::string& name, const MacAddress& mac) {
  Link link;
  link.index = static_cast<int>(::if_nametoindex(name.c_str()));
  link.name = name;
  link.mac = mac;
  link.up = true;
  link.running = true;
  return link;
}

// Runs `loop` until `done` or `timeout`. True when done.
bool run_until(asio::io_context& loop, const std::function<bool()>& done,
               SteadyClock::duration timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  while (!done()) {
    const auto now = SteadyClock::now();
    if (now >= deadline) return false;
    loop.run_one_for(deadline - now);
    if (loop.stopped()) loop.restart();
  }
  return true;
}

void run_for(asio::io_context& loop, SteadyClock::duration duration) {
  run_until(
      loop, [] { return false; }, duration);
}

struct Received {
  SteadyClock::time_point at;
  Frame frame;
};

// Reads every frame arriving on one link (ETH_P_ALL) and keeps the announcements from `from`:
// ARP, and ICMPv6 Neighbour Advertisements (the kernel's own MLD, RS and DAD traffic on the new
// links is left out).
class Capture {
 public:
  Capture(asio::io_context& loop, int link_index, const MacAddress& from)
      : socket_(loop), from_(from) {
    using RawProtocol = asio::generic::raw_protocol;
    socket_.open(RawProtocol(AF_PACKET, htons(ETH_P_ALL)));
    sockaddr_ll address{};
    address.sll_family = AF_PACKET;
    address.sll_protocol = htons(ETH_P_ALL);
    address.sll_ifindex = link_index;
    socket_.bind(RawProtocol::endpoint(&address, sizeof address));
    receive();
  }

  const std::vector<Received>& frames() const { return frames_; }
  std::size_t size() const { return frames_.size(); }

 private:
  void receive() {
    socket_.async_receive_from(
        asio::buffer(buffer_), sender_, [this](const boost::system::error_code& ec, std::size_t n) {
          if (ec) return;  // closed
          const auto* from = reinterpret_cast<const sockaddr_ll*>(sender_.data());
          Frame frame(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(n));
          if (from->sll_pkttype != PACKET_OUTGOING && wanted(frame)) {
            frames_.push_back({SteadyClock::now(), std::move(frame)});
          }
          receive();
        });
  }

  bool wanted(const Frame& frame) const {
    if (frame.size() < 14 || !std::equal(from_.begin(), from_.end(), frame.begin() + 6)) {
      return false;
    }
    const int ether_type = frame[12] << 8 | frame[13];
    if (ether_type == kEtherTypeArp) return true;
    return ether_type == kEtherTypeIpv6 && frame.size() > 54 && frame[20] == 58 && frame[54] == 136;
  }

  asio::generic::raw_protocol::socket socket_;
  asio::generic::raw_protocol::endpoint sender_;
  std::array<std::uint8_t, 2048> buffer_{};
  MacAddress from_;
  std::vector<Received> frames_;
};

// Collects the default logger's output while it lives.
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(stream_);
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("test", sink));
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  int count(const std::string& text) const {
    const auto all = stream_.str();
    int n = 0;
    for (auto at = all.find(text); at != std::string::npos; at = all.find(text, at + 1)) ++n;
    return n;
  }

 private:
  std::ostringstream stream_;
  std::shared_ptr<spdlog::logger> previous_;
};

// --- One veth pair: the announcer on `node_`, the capture on `peer_` ------------------------

class RawAnnouncerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(namespace_problem(), "");
    node_ = "va" + pid_text() + "n";
    peer_ = "va" + pid_text() + "p";
    ASSERT_EQ(run("ip link add " + node_ + " address " + kNodeMacText + " type veth peer name " +
                  peer_ + " address " + kPeerMacText),
              0);
    ASSERT_EQ(run("ip link set " + node_ + " up && ip link set " + peer_ + " up"), 0);
    link_ = link_named(node_, kNodeMac);
    ASSERT_GT(link_.index, 0);
    capture_ = std::make_unique<Capture>(loop_, static_cast<int>(::if_nametoindex(peer_.c_str())),
                                         kNodeMac);
  }

  void TearDown() override {
    capture_.reset();
    if (!node_.empty()) run("ip link del " + node_ + " 2>/dev/null");
  }

  std::unique_ptr<RawAnnouncer> announcer(AnnounceOptions options) {
    return std::make_unique<RawAnnouncer>(loop_.get_executor(), clock_, options);
  }

  bool wait_frames(std::size_t n, SteadyClock::duration timeout = 2s) {
    return run_until(
        loop_, [&] { return capture_->size() >= n; }, timeout);
  }

  std::vector<Frame> received() const {
    std::vector<Frame> out;
    for (const auto& r : capture_->frames()) out.push_back(r.frame);
    return out;
  }

  asio::io_context loop_;  // first: destroyed last
  SteadyTimerClock clock_;
  std::string node_;
  std::string peer_;
  Link link_;
  std::unique_ptr<Capture> capture_;
};

TEST_F(RawAnnouncerTest, Ipv4SendsTheRequestThenTheReplyAtOnceAsBuilt) {
  auto a = announcer({.repeats = 0});
  const auto vip = ip("192.0.2.10");
  ASSERT_TRUE(a->announce(link_, vip));
  EXPECT_EQ(a->sent().at(vip), 2u);  // sent within announce(), before the loop ran
  EXPECT_FALSE(a->scheduled(vip));
  ASSERT_TRUE(wait_frames(2));
  EXPECT_EQ(received(), announcement_frames(kNodeMac, vip));
  run_for(loop_, 100ms);
  EXPECT_EQ(capture_->size(), 2u);
  EXPECT_TRUE(a->send_errors().empty());
}

TEST_F(RawAnnouncerTest, Ipv6SendsOneNeighborAdvertisementAsBuilt) {
  auto a = announcer({.repeats = 0});
  const auto vip = ip("2001:db8::10");
  ASSERT_TRUE(a->announce(link_, vip));
  ASSERT_TRUE(wait_frames(1));
  EXPECT_EQ(received(), announcement_frames(kNodeMac, vip));
  run_for(loop_, 100ms);
  EXPECT_EQ(capture_->size(), 1u);
  EXPECT_EQ(a->sent().at(vip), 1u);
}

TEST_F(RawAnnouncerTest, RepeatsOnTheScheduleThenStops) {
  constexpr auto kInterval = 20ms;
  auto a = announcer({.repeats = 3, .interval = kInterval});
  const auto vip = ip("192.0.2.10");
  const auto start = SteadyClock::now();
  ASSERT_TRUE(a->announce(link_, vip));
  ASSERT_TRUE(wait_frames(8));
  EXPECT_FALSE(a->scheduled(vip));
  run_for(loop_, 5 * kInterval);
  ASSERT_EQ(capture_->size(), 8u) << "1 + 3 rounds of request and reply, nothing after";
  const auto frames = announcement_frames(kNodeMac, vip);
  for (std::size_t i = 0; i < 8; ++i) {
    const auto& r = capture_->frames()[i];
    EXPECT_EQ(r.frame, frames[i % 2]) << "frame " << i;
    // Round k is sent no earlier than k intervals after announce() (timers never fire early),
    // and, with a generous bound for loaded sanitizer builds, not much later.
    const auto round = static_cast<int>(i / 2);
    EXPECT_GE(r.at - start, round * kInterval) << "frame " << i;
    EXPECT_LE(r.at - start, round * kInterval + 400ms) << "frame " << i;
  }
  EXPECT_EQ(a->sent().at(vip), 8u);
}

TEST_F(RawAnnouncerTest, ScheduleIsExactOnAFakeClock) {
  vipd::testing::FakeTimerClock fake;
  RawAnnouncer a(loop_.get_executor(), fake, {.repeats = 2, .interval = 500ms});
  const auto vip = ip("2001:db8::10");
  ASSERT_TRUE(a.announce(link_, vip));
  EXPECT_EQ(a.sent().at(vip), 1u);
  fake.advance(499ms);
  EXPECT_EQ(a.sent().at(vip), 1u);
  fake.advance(1ms);
  EXPECT_EQ(a.sent().at(vip), 2u);
  fake.advance(500ms);
  EXPECT_EQ(a.sent().at(vip), 3u);
  EXPECT_FALSE(a.scheduled(vip));
  EXPECT_EQ(fake.pending(), 0u);
  fake.advance(10s);
  EXPECT_EQ(a.sent().at(vip), 3u);
  ASSERT_TRUE(wait_frames(3));
}

TEST_F(RawAnnouncerTest, ASecondAnnounceRestartsTheSchedule) {
  constexpr auto kInterval = 50ms;
  auto a = announcer({.repeats = 3, .interval = kInterval});
  const auto vip = ip("198.51.100.7");
  ASSERT_TRUE(a->announce(link_, vip));
  ASSERT_TRUE(wait_frames(4));  // the first send and the first repeat
  run_for(loop_, 20ms);         // off the first schedule's grid
  // Counted at the restart rather than assumed, so a slow machine only shifts the numbers.
  const auto before = a->sent().at(vip);
  ASSERT_LT(before, 8u) << "the first schedule ended before the restart: the test proves nothing";
  const auto restart = SteadyClock::now();
  ASSERT_TRUE(a->announce(link_, vip));
  ASSERT_TRUE(wait_frames(before + 8));
  run_for(loop_, 4 * kInterval);
  // The first schedule's remaining rounds never came; the new one sent 1 + 3 rounds.
  EXPECT_EQ(a->sent().at(vip), before + 8);
  ASSERT_EQ(capture_->size(), before + 8);
  EXPECT_GE(capture_->frames().back().at - restart, 3 * kInterval);
}

TEST_F(RawAnnouncerTest, StopEndsTheSchedule) {
  auto a = announcer({.repeats = 5, .interval = 20ms});
  const auto vip = ip("192.0.2.10");
  ASSERT_TRUE(a->announce(link_, vip));
  ASSERT_TRUE(wait_frames(2));
  const auto before = a->sent().at(vip);
  ASSERT_LT(before, 12u) << "the schedule ended before stop(): the test proves nothing";
  a->stop(vip);
  EXPECT_FALSE(a->scheduled(vip));
  run_for(loop_, 150ms);
  EXPECT_EQ(a->sent().at(vip), before);  // what was sent stays counted; nothing more
  EXPECT_EQ(capture_->size(), before);
}

TEST_F(RawAnnouncerTest, AddressesHaveTheirOwnSchedulesAndCounts) {
  auto a = announcer({.repeats = 2, .interval = 20ms});
  const auto v4 = ip("203.0.113.5");
  const auto v6 = ip("2001:db8::5");
  ASSERT_TRUE(a->announce(link_, v4));
  ASSERT_TRUE(a->announce(link_, v6));
  a->stop(ip("203.0.113.6"));  // not announced: nothing happens
  ASSERT_TRUE(wait_frames(9));
  run_for(loop_, 100ms);
  EXPECT_EQ(capture_->size(), 9u);
  EXPECT_EQ(a->sent().at(v4), 6u);
  EXPECT_EQ(a->sent().at(v6), 3u);
  EXPECT_EQ(a->sent().size(), 2u);
  const auto v4_frames = announcement_frames(kNodeMac, v4);
  const auto v6_frame = announcement_frames(kNodeMac, v6).front();
  int v4_count = 0;
  int v6_count = 0;
  for (const auto& r : capture_->frames()) {
    if (r.frame == v6_frame) {
      ++v6_count;
    } else {
      EXPECT_TRUE(r.frame == v4_frames[0] || r.frame == v4_frames[1]);
      ++v4_count;
    }
  }
  EXPECT_EQ(v4_count, 6);
  EXPECT_EQ(v6_count, 3);
}

TEST_F(RawAnnouncerTest, RefusesALinkWithoutAMac) {
  auto a = announcer({});
  Link no_mac = link_;
  no_mac.mac.reset();
  const auto result = a->announce(no_mac, ip("192.0.2.10"));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), Errc::kInvalidArgument);
  EXPECT_TRUE(a->sent().empty());
  EXPECT_FALSE(a->scheduled(ip("192.0.2.10")));
  run_for(loop_, 50ms);
  EXPECT_EQ(capture_->size(), 0u);
}

// The socket stays open across a link flap; the announcement after it gets through.
TEST_F(RawAnnouncerTest, AnnouncesAfterALinkFlap) {
  auto a = announcer({.repeats = 0});
  const auto vip = ip("192.0.2.10");
  ASSERT_TRUE(a->announce(link_, vip));
  ASSERT_TRUE(wait_frames(2));
  ASSERT_EQ(run("ip link set " + node_ + " down && ip link set " + node_ + " up"), 0);
  ASSERT_TRUE(a->announce(link_, vip));
  ASSERT_TRUE(wait_frames(4));
  EXPECT_EQ(a->sent().at(vip), 4u);
  EXPECT_TRUE(a->send_errors().empty());
  const auto frames = announcement_frames(kNodeMac, vip);
  EXPECT_EQ(capture_->frames()[2].frame, frames[0]);
  EXPECT_EQ(capture_->frames()[3].frame, frames[1]);
}

// While the link is down every send fails (ENETDOWN, retried once on a new socket, fails
// again): counted, logged once per schedule, and the schedule goes on, so the repeats after
// the link comes back get through.
TEST_F(RawAnnouncerTest, SendFailuresAreCountedLoggedOnceAndTheScheduleGoesOn) {
  LogCapture log;
  // Rounds at 0, 100, 200 and 300 ms; the link comes back after the second.
  auto a = announcer({.repeats = 3, .interval = 100ms});
  const auto vip = ip("192.0.2.10");
  ASSERT_EQ(run("ip link set " + node_ + " down"), 0);
  ASSERT_TRUE(a->announce(link_, vip));
  EXPECT_EQ(a->sent().at(vip), 0u);
  EXPECT_EQ(a->send_errors().at(vip), 2u);
  EXPECT_TRUE(a->scheduled(vip));
  ASSERT_TRUE(run_until(
      loop_, [&] { return a->send_errors().at(vip) >= 4; }, 2s));
  ASSERT_EQ(run("ip link set " + node_ + " up"), 0);
  ASSERT_TRUE(run_until(
      loop_, [&] { return !a->scheduled(vip); }, 2s));
  ASSERT_TRUE(wait_frames(2));
  run_for(loop_, 50ms);
  // 4 rounds of 2 frames: each either sent or failed, and at least the last one was sent.
  EXPECT_EQ(a->sent().at(vip) + a->send_errors().at(vip), 8u);
  EXPECT_GE(a->sent().at(vip), 2u);
  EXPECT_EQ(capture_->size(), a->sent().at(vip));
  EXPECT_EQ(log.count("cannot announce 192.0.2.10"), 1);
  EXPECT_EQ(log.count("Network is down"), 1);

  // A new schedule logs its own first failure again.
  ASSERT_EQ(run("ip link set " + node_ + " down"), 0);
  ASSERT_TRUE(a->announce(link_, vip));
  EXPECT_EQ(log.count("cannot announce 192.0.2.10"), 2);
  a->stop(vip);
}

// The kernel fact behind the ENETDOWN retry (DESIGN.md, "Layer 2 VIPs"), and why the
// announcer's sockets are bound with protocol 0: a packet socket bound with a protocol keeps a
// pending ENETDOWN from a link flap and fails its next send with it; one bound with protocol 0
// registers no receive hook, gets no pending error, and sends at once after the flap.
TEST_F(RawAnnouncerTest, KernelFactAPacketSocketBoundWithAProtocolFailsOnceAfterAFlap) {
  const auto open_bound = [&](std::uint16_t protocol) {
    const int fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
    sockaddr_ll address{};
    address.sll_family = AF_PACKET;
    address.sll_protocol = protocol;
    address.sll_ifindex = link_.index;
    EXPECT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
    return fd;
  };
  const auto frame = gratuitous_arp_request(kNodeMac, ip("192.0.2.10")).value();
  const auto send = [&](int fd) {
    sockaddr_ll to{};
    to.sll_family = AF_PACKET;
    to.sll_protocol = htons(ETH_P_ARP);
    to.sll_ifindex = link_.index;
    const auto n = ::sendto(fd, frame.data(), frame.size(), 0,
                            reinterpret_cast<const sockaddr*>(&to), sizeof to);
    return n < 0 ? errno : 0;
  };
  const int with_protocol = open_bound(htons(ETH_P_ARP));
  const int without = open_bound(0);
  ASSERT_GE(with_protocol, 0);
  ASSERT_GE(without, 0);
  ASSERT_EQ(run("ip link set " + node_ + " down && ip link set " + node_ + " up"), 0);
  EXPECT_EQ(send(with_protocol), ENETDOWN);
  EXPECT_EQ(send(with_protocol), 0);
  EXPECT_EQ(send(without), 0);
  ::close(with_protocol);
  ::close(without);
}

// --- The effect that matters: a router's neighbour entry moves to us --------------------------

// Sends one frame on a link through a packet socket of the test's own.
int send_raw(int link_index, const Frame& frame) {
  const int fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_protocol = htons(static_cast<std::uint16_t>(frame[12] << 8 | frame[13]));
  to.sll_ifindex = link_index;
  const auto n = ::sendto(fd, frame.data(), frame.size(), 0, reinterpret_cast<const sockaddr*>(&to),
                          sizeof to);
  const int error = n < 0 ? errno : 0;
  ::close(fd);
  return error;
}

// RFC 4443 §2.3 checksum of the NA in `frame`, recomputed after a change to it.
void fix_icmpv6_checksum(Frame& frame) {
  constexpr std::size_t kIcmp = 14 + 40;
  frame[kIcmp + 2] = 0;
  frame[kIcmp + 3] = 0;
  std::uint32_t sum = 0;
  for (std::size_t i = 14 + 8; i < 14 + 40; i += 2) sum += frame[i] << 8 | frame[i + 1];
  sum += static_cast<std::uint32_t>(frame.size() - kIcmp) + 58;
  for (std::size_t i = kIcmp; i < frame.size(); i += 2) sum += frame[i] << 8 | frame[i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  frame[kIcmp + 2] = static_cast<std::uint8_t>(~sum >> 8);
  frame[kIcmp + 3] = static_cast<std::uint8_t>(~sum);
}

// The node end of a veth here, the router end in a named namespace of its own, with
// 192.0.2.1/24 and 2001:db8::1/64 (deleted at the end; a leftover of a dead run is deleted at
// the start).
class RouterLab : public ::testing::Test {
 protected:
  static constexpr const char* kPrefix = "vipd-announce-";
  static constexpr auto kWithin = 100ms;

  void SetUp() override {
    ASSERT_EQ(namespace_problem(), "");
    remove_stale_namespaces();
    router_ns_ = kPrefix + pid_text();
    node_ = "vr" + pid_text() + "n";
    router_link_ = "vr" + pid_text() + "r";
    ASSERT_EQ(run("ip netns add " + router_ns_), 0);
    ns_created_ = true;
    ASSERT_EQ(run("ip link add " + node_ + " address " + kNodeMacText + " type veth peer name " +
                  router_link_ + " netns " + router_ns_),
              0);
    ASSERT_EQ(run("ip link set " + node_ + " up"), 0);
    ASSERT_EQ(run(in_router("ip link set lo up") + " && " +
                  in_router("ip link set " + router_link_ + " up") + " && " +
                  in_router("ip addr add 192.0.2.1/24 dev " + router_link_) + " && " +
                  in_router("ip addr add 2001:db8::1/64 dev " + router_link_ + " nodad")),
              0);
    link_ = link_named(node_, kNodeMac);
    ASSERT_GT(link_.index, 0);
  }

  void TearDown() override {
    if (ns_created_) run("ip netns del " + router_ns_);  // takes the veth pair with it
    if (!node_.empty()) run("ip link del " + node_ + " 2>/dev/null");
  }

  std::string in_router(const std::string& command) const {
    return "ip netns exec " + router_ns_ + " " + command;
  }

  std::string neighbour(const std::string& vip) const {
    return output_of("ip -n " + router_ns_ + " neigh show " + vip + " dev " + router_link_);
  }

  // Points the router's entry for `vip` at the previous owner's MAC, in `state` ("stale" or
  // "reachable"); this also starts its locktime.
  void set_old_entry(const std::string& vip, const std::string& state) {
    ASSERT_EQ(run("ip -n " + router_ns_ + " neigh replace " + vip + " lladdr " + kOldMacText +
                  " dev " + router_link_ + " nud " + state),
              0);
    const auto before = neighbour(vip);
    ASSERT_NE(before.find(kOldMacText), std::string::npos) << before;
    ASSERT_NE(before.find(state == "stale" ? "STALE" : "REACHABLE"), std::string::npos) << before;
  }

  struct Outcome {
    bool moved = false;
    std::string entry;  // the router's last answer, first line
    std::chrono::microseconds after{0};
    int looks = 0;
  };

  // Polls the router's entry for `vip` until it holds our MAC or kWithin has passed since
  // `start`, with one last look after the deadline, so a slow `ip` start on a busy machine is
  // not mistaken for a slow kernel.
  Outcome watch(const std::string& vip, SteadyClock::time_point start) const {
    Outcome out;
    for (; out.looks < 1000;) {
      const bool last = SteadyClock::now() >= start + kWithin;
      const auto answer = neighbour(vip);
      ++out.looks;
      out.entry = answer.substr(0, answer.find('\n'));
      out.moved = answer.find(kNodeMacText) != std::string::npos;
      if (out.moved || last) break;
    }
    out.after = std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - start);
    return out;
  }

  // Sends `frame` alone and reports whether the entry moved.
  Outcome send_alone(const std::string& vip, const Frame& frame) const {
    const auto start = SteadyClock::now();
    EXPECT_EQ(send_raw(link_.index, frame), 0);
    return watch(vip, start);
  }

  static void remove_stale_namespaces() {
    DIR* dir = ::opendir("/run/netns");
    if (dir == nullptr) return;
    std::vector<std::string> stale;
    while (const dirent* entry = ::readdir(dir)) {
      const std::string name = entry->d_name;
      if (name.rfind(kPrefix, 0) != 0) continue;
      const int pid = std::atoi(name.c_str() + std::strlen(kPrefix));
      if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH) stale.push_back(name);
    }
    ::closedir(dir);
    for (const auto& name : stale) run("ip netns del " + name);
  }

  asio::io_context loop_;
  SteadyTimerClock clock_;
  std::string router_ns_;
  std::string node_;
  std::string router_link_;
  bool ns_created_ = false;
  Link link_;
};

struct RouterCase {
  const char* vip;
  const char* state;  // the router's entry before the announcement
};

void PrintTo(const RouterCase& c, std::ostream* out) { *out << c.vip << "/" << c.state; }

std::string case_name(const ::testing::TestParamInfo<RouterCase>& info) {
  return std::string(IpAddress::parse(info.param.vip).value().is_v4() ? "Ipv4" : "Ipv6") +
         (std::string(info.param.state) == "stale" ? "Stale" : "Reachable");
}

class RouterNeighbourTest : public RouterLab, public ::testing::WithParamInterface<RouterCase> {};

TEST_P(RouterNeighbourTest, OneAnnouncementMovesTheRoutersEntryWithin100ms) {
  const std::string vip = GetParam().vip;
  const std::string state = GetParam().state;
  set_old_entry(vip, state);
  RawAnnouncer announcer(loop_.get_executor(), clock_, {.repeats = 0});
  const auto start = SteadyClock::now();
  ASSERT_TRUE(announcer.announce(link_, ip(vip.c_str())));
  const auto outcome = watch(vip, start);
  EXPECT_TRUE(outcome.moved) << "router still has: " << outcome.entry;
  std::cout << "[ measured ] " << vip << " (" << state << "): \"" << outcome.entry << "\" after "
            << outcome.after.count() << " us, " << outcome.looks << " look(s)\n";
  RecordProperty("moved_after_us", static_cast<int>(outcome.after.count()));
}

INSTANTIATE_TEST_SUITE_P(RawAnnouncer, RouterNeighbourTest,
                         ::testing::Values(RouterCase{"192.0.2.10", "stale"},
                                           RouterCase{"192.0.2.10", "reachable"},
                                           RouterCase{"2001:db8::10", "stale"},
                                           RouterCase{"2001:db8::10", "reachable"}),
                         case_name);

// Each IPv4 frame does it on its own, within the locktime: the request with its zero target MAC
// (unlike arping -U's broadcast one) and the reply with our own MAC as the target.
TEST_F(RouterLab, EachArpFrameAloneMovesTheEntryInEveryState) {
  const std::string vip = "192.0.2.10";
  const auto request = gratuitous_arp_request(kNodeMac, ip("192.0.2.10")).value();
  const auto reply = gratuitous_arp_reply(kNodeMac, ip("192.0.2.10")).value();
  for (const char* state : {"stale", "reachable"}) {
    for (const auto* frame : {&request, &reply}) {
      set_old_entry(vip, state);
      const auto outcome = send_alone(vip, *frame);
      EXPECT_TRUE(outcome.moved) << (frame == &request ? "request" : "reply") << ", " << state
                                 << ": router still has: " << outcome.entry;
    }
  }
}

// Controls: the fields that make the difference, changed one at a time, and the entry stays
// on the old MAC — so the tests above would catch their loss.
TEST_F(RouterLab, ControlAReplyToBroadcastOrAnNaWithoutOverrideLeavesTheEntryAlone) {
  auto reply_to_broadcast = gratuitous_arp_reply(kNodeMac, ip("192.0.2.10")).value();
  std::fill_n(reply_to_broadcast.begin() + 32, 6, 0xff);  // ARP target MAC
  set_old_entry("192.0.2.10", "reachable");
  const auto arp = send_alone("192.0.2.10", reply_to_broadcast);
  EXPECT_FALSE(arp.moved) << "a reply to broadcast moved it within the locktime: " << arp.entry;

  auto no_override = unsolicited_neighbor_advertisement(kNodeMac, ip("2001:db8::10")).value();
  no_override[14 + 40 + 4] = 0x00;  // R=0 S=0 O=0
  fix_icmpv6_checksum(no_override);
  for (const char* state : {"stale", "reachable"}) {
    set_old_entry("2001:db8::10", state);
    const auto na = send_alone("2001:db8::10", no_override);
    EXPECT_FALSE(na.moved) << "an NA without Override moved a " << state << " entry: " << na.entry;
  }
}

}  // namespace
}  // namespace vipd::netlink
