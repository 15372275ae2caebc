// Three MembershipService instances as three members a, b and c on 127.0.0.1, 127.0.0.2 and
// 127.0.0.3 (all loopback), each bound to its own address and all on one port as on a real LAN,
// on the real clock with short intervals and one io_context run in bounded steps. Crafted
// datagrams from plain sockets check the reception rules (source address, TTL 255, decoding,
// names), each next to a control that the same datagram is accepted when sent properly.
#include "vip/membership_service.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <functional>

#include "common/asio_address.hpp"
#include "common/testing/run_until.hpp"

namespace vipd::vip {
namespace {

using namespace std::chrono_literals;
using asio::ip::udp;
using ::testing::HasSubstr;
using Live = std::set<std::string, std::less<>>;

const IpAddress kA = IpAddress::v4(0x7f000001);  // 127.0.0.1
const IpAddress kB = IpAddress::v4(0x7f000002);
const IpAddress kC = IpAddress::v4(0x7f000003);
const IpAddress kStranger = IpAddress::v4(0x7f000004);
const IpAddress kLoopback6 = IpAddress::parse_v6("::1").value();

using vipd::testing::run_until;

// A port that is free on every loopback address right now (the kernel's choice on 127.0.0.1,
// which it gives only when nothing holds it on the wildcard address either).
std::uint16_t free_port(asio::io_context& io) {
  udp::socket probe(io, udp::endpoint(to_asio(kA), 0));
  return probe.local_endpoint().port();
}

class MembershipServiceTest : public ::testing::Test {
 protected:
  struct Node {
    std::unique_ptr<MembershipService> service;
    std::vector<Live> reported;  // what members().live() said at each `changed`
  };

  MembershipOptions options(const std::string& name, const IpAddress& bind,
                            std::chrono::milliseconds interval) const {
    MembershipOptions o;
    o.node = name;
    o.members = members_;
    o.port = port_;
    o.interval = interval;
    o.multiplier = 3;
    (bind.is_v4() ? o.bind_v4 : o.bind_v6) = bind;
    return o;
  }

  void add(const std::string& name, const IpAddress& bind, std::chrono::milliseconds interval) {
    auto& n = nodes_[name];
    n.service = std::make_unique<MembershipService>(
        io_.get_executor(), clock_, options(name, bind, interval), [this, name] {
          auto& node = nodes_[name];
          node.reported.push_back(node.service->members().live(clock_.now()));
        });
  }

  // a, b and c on one port (another free one if something takes it between probe and bind).
  void start_all(std::chrono::milliseconds interval) {
    for (int attempt = 0; attempt < 10; ++attempt) {
      nodes_.clear();
      port_ = free_port(io_);
      add("a", kA, interval);
      add("b", kB, interval);
      add("c", kC, interval);
      bool started = true;
      for (auto& [name, node] : nodes_) started = started && node.service->start().has_value();
      if (started) return;
    }
    FAIL() << "no port was free on 127.0.0.1-3";
  }

  MembershipService& service(const std::string& name) { return *nodes_.at(name).service; }

  bool sees_live(const std::string& observer, const Live& live) {
    return service(observer).members().live(clock_.now()) == live;
  }

  bool all_see(const Live& live) {
    for (const auto& [name, node] : nodes_) {
      if (!node.service || node.service->members().live(clock_.now()) != live) return false;
    }
    return true;
  }

  std::optional<Heartbeat> last_heard(const std::string& observer, const std::string& member) {
    for (const auto& s : service(observer).members().status(clock_.now())) {
      if (s.name == member) return s.last;
    }
    return std::nullopt;
  }

  // A datagram from a plain socket on `from` to a's port, with this TTL.
  void send_to(const IpAddress& from, const IpAddress& to, std::span<const std::uint8_t> bytes,
               int ttl) {
    udp::socket s(io_, udp::endpoint(to_asio(from), 0));
    const int value = ttl;
    if (from.is_v4()) {
      ASSERT_EQ(::setsockopt(s.native_handle(), IPPROTO_IP, IP_TTL, &value, sizeof value), 0);
    } else {
      ASSERT_EQ(
          ::setsockopt(s.native_handle(), IPPROTO_IPV6, IPV6_UNICAST_HOPS, &value, sizeof value),
          0);
    }
    s.send_to(asio::buffer(bytes.data(), bytes.size()), udp::endpoint(to_asio(to), port_));
  }

  // What b would say when leaving, with a sequence b has not reached.
  std::vector<std::uint8_t> b_leaving() {
    return encode({.node = "b",
                   .incarnation = service("b").incarnation(),
                   .sequence = 1'000'000,
                   .interval_ms = 20,
                   .leaving = true});
  }

  // Waits until a counter of a's moves, then lets the loop run a little more.
  bool a_counts(const std::function<std::uint64_t(const MembershipCounters&)>& counter,
                std::uint64_t expected) {
    return run_until(
        io_, [&] { return counter(service("a").counters()) == expected; }, 2s);
  }

  asio::io_context io_;
  SteadyTimerClock clock_;
  std::uint16_t port_ = 0;
  std::map<std::string, std::vector<IpAddress>> members_ = {{"a", {kA}}, {"b", {kB}}, {"c", {kC}}};
  std::map<std::string, Node> nodes_;
};

TEST_F(MembershipServiceTest, MembersSeeEachOtherLiveAndServing) {
  start_all(20ms);
  ASSERT_TRUE(run_until(
      io_,
      [&] {
        return all_see({"a", "b", "c"});
      },
      2s));
  for (const auto& [name, node] : nodes_) {
    const auto& m = node.service->members();
    EXPECT_TRUE(m.serves("b", "ns/web", clock_.now())) << name;
    ASSERT_FALSE(node.reported.empty()) << name;
    const auto& c = node.service->counters();
    EXPECT_GT(c.sent, 0u);
    EXPECT_GT(c.accepted, 0u);
    EXPECT_EQ(
        c.send_errors + c.malformed + c.bad_ttl + c.own_name + c.unknown_member + c.wrong_source,
        0u)
        << name;
  }
  // Heartbeats keep them live well past the 60 ms expiry.
  run_until(
      io_, [] { return false; }, 200ms);
  EXPECT_TRUE(all_see({"a", "b", "c"}));
  EXPECT_EQ(nodes_["a"].reported.back(), (Live{"a", "b", "c"}));
}

// A leaving heartbeat is acted on at once: long before the 600 ms expiry of a 200 ms interval.
TEST_F(MembershipServiceTest, LeaveIsSeenAtOnce) {
  start_all(200ms);
  ASSERT_TRUE(run_until(
      io_,
      [&] {
        return all_see({"a", "b", "c"});
      },
      2s));
  const auto c_reports = nodes_["c"].reported.size();
  const auto a_reports = nodes_["a"].reported.size();
  const auto left_at = std::chrono::steady_clock::now();
  service("c").leave();
  EXPECT_EQ(service("c").members().live(clock_.now()), (Live{"a", "b"}));
  EXPECT_EQ(nodes_["c"].reported.size(), c_reports);  // not from inside the caller's call
  ASSERT_TRUE(run_until(
      io_,
      [&] {
        return sees_live("a", {"a", "b"}) && sees_live("b", {"a", "b"});
      },
      2s));
  EXPECT_LT(std::chrono::steady_clock::now() - left_at, 400ms);
  EXPECT_TRUE(last_heard("a", "c")->leaving);
  ASSERT_GT(nodes_["a"].reported.size(), a_reports);
  EXPECT_EQ(nodes_["a"].reported.back(), (Live{"a", "b"}));
  // c sends nothing more, and stays not live.
  const auto sent = service("c").counters().sent;
  run_until(
      io_, [] { return false; }, 500ms);
  EXPECT_EQ(service("c").counters().sent, sent);
  EXPECT_TRUE(sees_live("a", {"a", "b"}));
}

// A member that stops without leaving is dead multiplier x interval after its last heartbeat,
// reported by the expiry timer (no datagram announces it).
TEST_F(MembershipServiceTest, SilentMemberExpires) {
  start_all(20ms);
  ASSERT_TRUE(run_until(
      io_,
      [&] {
        return all_see({"a", "b", "c"});
      },
      2s));
  nodes_["c"].service.reset();
  EXPECT_TRUE(sees_live("a", {"a", "b", "c"}));  // not told anything
  const auto reported_c_gone = [&] {
    const auto& r = nodes_["a"].reported;
    return !r.empty() && r.back() == Live{"a", "b"};
  };
  ASSERT_TRUE(run_until(io_, reported_c_gone, 2s));
  // Reported no earlier than the rule allows: 3 x 20 ms after c's last heartbeat was heard.
  const auto now = clock_.now();
  for (const auto& s : service("a").members().status(now)) {
    if (s.name != "c") continue;
    ASSERT_TRUE(s.heard.has_value());
    EXPECT_GE(now - *s.heard, 60ms);
    EXPECT_FALSE(s.last->leaving);
  }
  EXPECT_TRUE(sees_live("b", {"a", "b"}));
}

TEST_F(MembershipServiceTest, NotServingPropagatesAtOnce) {
  // A 1 s interval: a change that arrives within half of it was not the periodic heartbeat.
  start_all(1000ms);
  ASSERT_TRUE(run_until(
      io_,
      [&] {
        return all_see({"a", "b", "c"});
      },
      2s));
  run_until(
      io_, [] { return false; }, 20ms);
  const auto reports = nodes_["a"].reported.size();
  const auto changed_at = std::chrono::steady_clock::now();
  service("b").set_not_serving({"ns/web", "ns/db", "ns/web"});
  const auto b_not_serving = [&](const std::string& observer) {
    const auto& m = service(observer).members();
    const auto now = clock_.now();
    return !m.serves("b", "ns/web", now) && !m.serves("b", "ns/db", now) &&
           m.serves("b", "ns/api", now);
  };
  ASSERT_TRUE(run_until(
      io_, [&] { return b_not_serving("a") && b_not_serving("c") && b_not_serving("b"); }, 2s));
  EXPECT_LT(std::chrono::steady_clock::now() - changed_at, 500ms);
  EXPECT_GT(nodes_["a"].reported.size(), reports);
  EXPECT_EQ(last_heard("a", "b")->not_serving, (std::vector<std::string>{"ns/db", "ns/web"}));
  // And back.
  service("b").set_not_serving({});
  ASSERT_TRUE(run_until(
      io_, [&] { return service("a").members().serves("b", "ns/web", clock_.now()); }, 500ms));
  EXPECT_TRUE(all_see({"a", "b", "c"}));
}

TEST_F(MembershipServiceTest, DatagramFromAnotherAddressIsDroppedAndCounted) {
  start_all(20ms);
  ASSERT_TRUE(run_until(
      io_,
      [&] {
        return all_see({"a", "b", "c"});
      },
      2s));
  // b's leaving heartbeat, but from 127.0.0.4, and from c's address.
  send_to(kStranger, kA, b_leaving(), 255);
  ASSERT_TRUE(a_counts([](const auto& c) { return c.wrong_source; }, 1));
  send_to(kC, kA, b_leaving(), 255);
  ASSERT_TRUE(a_counts([](const auto& c) { return c.wrong_source; }, 2));
  EXPECT_TRUE(sees_live("a", {"a", "b", "c"}));
  EXPECT_FALSE(last_heard("a", "b")->leaving);
  // Names that are not a member, or are a itself; bytes that are not a heartbeat.
  send_to(kStranger, kA, encode({.node = "z", .interval_ms = 20}), 255);
  ASSERT_TRUE(a_counts([](const auto& c) { return c.unknown_member; }, 1));
  send_to(kA, kA, encode({.node = "a", .interval_ms = 20, .leaving = true}), 255);
  ASSERT_TRUE(a_counts([](const auto& c) { return c.own_name; }, 1));
  const std::vector<std::uint8_t> junk = {'V', 'I', 'P', 'M', 9};
  send_to(kB, kA, junk, 255);
  ASSERT_TRUE(a_counts([](const auto& c) { return c.malformed; }, 1));
  EXPECT_TRUE(sees_live("a", {"a", "b", "c"}));
  // Control: from b's own address the same heartbeat is taken, and b is gone at once.
  send_to(kB, kA, b_leaving(), 255);
  ASSERT_TRUE(run_until(
      io_,
      [&] {
        return sees_live("a", {"a", "c"});
      },
      2s));
  EXPECT_TRUE(last_heard("a", "b")->leaving);
  EXPECT_EQ(service("a").counters().wrong_source, 2u);
}

TEST_F(MembershipServiceTest, DatagramWithoutTtl255IsDroppedAndCounted) {
  start_all(20ms);
  ASSERT_TRUE(run_until(
      io_,
      [&] {
        return all_see({"a", "b", "c"});
      },
      2s));
  send_to(kB, kA, b_leaving(), 64);
  ASSERT_TRUE(a_counts([](const auto& c) { return c.bad_ttl; }, 1));
  send_to(kB, kA, b_leaving(), 254);
  ASSERT_TRUE(a_counts([](const auto& c) { return c.bad_ttl; }, 2));
  EXPECT_TRUE(sees_live("a", {"a", "b", "c"}));
  EXPECT_FALSE(last_heard("a", "b")->leaving);
  // Control: the same datagram with 255 is taken.
  send_to(kB, kA, b_leaving(), 255);
  ASSERT_TRUE(run_until(
      io_,
      [&] {
        return sees_live("a", {"a", "c"});
      },
      2s));
  EXPECT_EQ(service("a").counters().bad_ttl, 2u);
}

// IPv6: hop limit 255 is sent and required. One service on ::1; member b is played by a plain
// socket on ::1, so a's heartbeats to b reach a itself (counted as naming this node: they
// passed the hop-limit check, so they were sent with 255).
TEST_F(MembershipServiceTest, Ipv6HopLimit) {
  members_ = {{"a", {kLoopback6}}, {"b", {kLoopback6}}};
  bool started = false;
  for (int attempt = 0; attempt < 10 && !started; ++attempt) {
    nodes_.clear();
    {
      udp::socket probe(io_, udp::endpoint(to_asio(kLoopback6), 0));
      port_ = probe.local_endpoint().port();
    }
    add("a", kLoopback6, 20ms);
    started = service("a").start().has_value();
  }
  ASSERT_TRUE(started);
  ASSERT_TRUE(run_until(
      io_, [&] { return service("a").counters().own_name > 0; }, 2s));
  EXPECT_EQ(service("a").counters().bad_ttl, 0u);
  const auto b = encode({.node = "b", .incarnation = 5, .sequence = 1, .interval_ms = 1000});
  send_to(kLoopback6, kLoopback6, b, 64);
  ASSERT_TRUE(a_counts([](const auto& c) { return c.bad_ttl; }, 1));
  EXPECT_EQ(service("a").members().live(clock_.now()), Live{"a"});
  send_to(kLoopback6, kLoopback6, b, 255);
  ASSERT_TRUE(run_until(
      io_,
      [&] {
        return sees_live("a", {"a", "b"});
      },
      2s));
  EXPECT_EQ(nodes_["a"].reported.back(), (Live{"a", "b"}));
}

TEST_F(MembershipServiceTest, StartRefusesBadOptionsAndABusyPort) {
  port_ = free_port(io_);
  const auto refused = [&](MembershipOptions o, std::string_view why) {
    MembershipService s(io_.get_executor(), clock_, std::move(o), {});
    const auto r = s.start();
    ASSERT_FALSE(r) << why;
    EXPECT_THAT(r.error().message(), HasSubstr(why));
  };
  auto o = options("x", kA, 20ms);
  refused(o, "this node \"x\" is not among the members");
  o = options("a", kA, 0ms);
  refused(o, "interval 0 ms is not within 1-60000 ms");
  o = options("a", kA, 20ms);
  o.multiplier = 0;
  refused(o, "multiplier 0 is not within 1-255");
  o = options("a", kA, 20ms);
  o.bind_v4 = kLoopback6;
  refused(o, "bind_v4 is not IPv4");
  o = options("a", kA, 20ms);
  o.members = {{"a", {}}};
  refused(o, "no member has an address");

  MembershipService first(io_.get_executor(), clock_, options("a", kA, 20ms), {});
  ASSERT_TRUE(first.start());
  EXPECT_EQ(first.start().error().code(), make_error_code(Errc::kConflict));
  refused(options("a", kA, 20ms), "cannot bind 127.0.0.1 port");
}

}  // namespace
}  // namespace vipd::vip
