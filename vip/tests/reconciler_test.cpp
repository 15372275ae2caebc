// VipReconciler against the in-memory host (FakeNetlink): which link a VIP lands on, takeover
// announcements, release, stale VIPs of an earlier run, and repairs after links and addresses
// change under it.
#include "vip/reconciler.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "netlink/testing/fake_netlink.hpp"

namespace vipd::vip {
namespace {

using netlink::FakeNetlink;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

IpAddress ip(std::string_view text) { return IpAddress::parse(text).value(); }

// Records what the reconciler asks the announcer to do: "announce eth0 192.0.2.130".
class RecordingAnnouncer final : public netlink::Announcer {
 public:
  Result<void> announce(const netlink::Link& link, const IpAddress& address) override {
    if (!link.mac) return failure(Errc::kInvalidArgument, link.name + " has no MAC address");
    calls.push_back("announce " + link.name + " " + address.to_string());
    ++sent_[address];
    return success();
  }
  void stop(const IpAddress& address) override { calls.push_back("stop " + address.to_string()); }
  const std::map<IpAddress, std::uint64_t>& sent() const override { return sent_; }

  std::vector<std::string> take() { return std::exchange(calls, {}); }
  std::vector<std::string> calls;

 private:
  std::map<IpAddress, std::uint64_t> sent_;
};

netlink::Link link(int index, std::string name, bool up = true) {
  return {.index = index,
          .name = std::move(name),
          .mac = netlink::MacAddress{0x02, 0, 0, 0, 0, static_cast<std::uint8_t>(index)},
          .up = up,
          .running = up};
}

// eth0 on the LAN 192.0.2.0/24 and 2001:db8:2::/64; eth1 on 198.51.100.0/24; lo.
struct Host {
  FakeNetlink netlink;
  RecordingAnnouncer announcer;
  std::vector<std::string> lines;
  VipReconciler reconciler{netlink, announcer,
                           [this](const std::string& l) { lines.push_back(l); }};

  Host() {
    netlink.add_link({.index = 1, .name = "lo", .up = true, .running = true, .loopback = true});
    netlink.add_link(link(2, "eth0"));
    netlink.add_link(link(3, "eth1"));
    netlink.add_foreign_address({.link = 1, .address = ip("127.0.0.1"), .prefix_length = 8});
    netlink.add_foreign_address({.link = 2, .address = ip("192.0.2.1"), .prefix_length = 24});
    netlink.add_foreign_address({.link = 2, .address = ip("2001:db8:2::1"), .prefix_length = 64});
    netlink.add_foreign_address({.link = 3, .address = ip("198.51.100.1"), .prefix_length = 24});
  }
  void start() { ASSERT_TRUE(reconciler.start()); }
  std::vector<VipStatus> status() const { return reconciler.status(); }
};

DesiredVip vip(std::string_view address, std::vector<std::string> interfaces = {}) {
  return {.address = ip(address),
          .service = "default/web",
          .interfaces = interfaces,
          .all_interfaces = interfaces.empty()};
}

TEST(VipReconciler, AddsOnTheLinkWhoseSubnetHoldsTheVipAndAnnounces) {
  Host h;
  h.start();
  h.reconciler.apply({vip("192.0.2.130"), vip("2001:db8:2::10"), vip("198.51.100.7")});
  // In address order: IPv4 first.
  EXPECT_THAT(h.netlink.log(), ElementsAre("add eth0 192.0.2.130", "add eth1 198.51.100.7",
                                           "add eth0 2001:db8:2::10"));
  EXPECT_THAT(h.announcer.take(),
              ElementsAre("announce eth0 192.0.2.130", "announce eth1 198.51.100.7",
                          "announce eth0 2001:db8:2::10"));
  const auto s = h.status();
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].state, VipState::kUp);
  EXPECT_EQ(s[1].interface, "eth1");
  EXPECT_EQ(s[2].interface, "eth0");
  EXPECT_EQ(s[0].service, "default/web");
  // The same desired state again changes nothing and announces nothing.
  h.reconciler.apply({vip("192.0.2.130"), vip("2001:db8:2::10"), vip("198.51.100.7")});
  EXPECT_EQ(h.netlink.log().size(), 3u);
  EXPECT_THAT(h.announcer.take(), IsEmpty());
}

TEST(VipReconciler, ExplicitInterfacesOrNowhere) {
  Host h;
  h.start();
  // No subnet holds 203.0.113.5: the listed interface takes it; with any interface, nowhere.
  h.reconciler.apply({vip("203.0.113.5", {"eth9", "eth1"}), vip("203.0.113.6")});
  EXPECT_THAT(h.netlink.log(), ElementsAre("add eth1 203.0.113.5"));
  const auto s = h.status();
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[1].state, VipState::kNoInterface);
  EXPECT_EQ(s[1].error,
            "no interface that is up has a subnet holding 203.0.113.6 (name the interface in the "
            "L2Advertisement's interfaces)");
  // A listed interface restricts even when another link holds the subnet.
  h.reconciler.apply({vip("192.0.2.130", {"eth1"})});
  EXPECT_THAT(h.netlink.log(), ElementsAre("add eth1 203.0.113.5", "delete eth1 203.0.113.5",
                                           "add eth1 192.0.2.130"));
  h.reconciler.apply({vip("192.0.2.131", {"eth7"})});
  ASSERT_EQ(h.status().size(), 1u);
  EXPECT_EQ(h.status()[0].error, "none of the interfaces eth7 exists and is up with a MAC address");
}

TEST(VipReconciler, ReleaseStopsAnnouncingAndDeletes) {
  Host h;
  h.start();
  h.reconciler.apply({vip("192.0.2.130")});
  h.announcer.take();
  h.reconciler.apply({});
  EXPECT_THAT(h.announcer.take(), ElementsAre("stop 192.0.2.130"));
  EXPECT_THAT(h.netlink.log(), ElementsAre("add eth0 192.0.2.130", "delete eth0 192.0.2.130"));
  EXPECT_THAT(h.status(), IsEmpty());
}

TEST(VipReconciler, FirstApplyAdoptsWantedVipsOfAnEarlierRunAndDeletesTheRest) {
  Host h;
  h.netlink.add_foreign_address(
      {.link = 2, .address = ip("192.0.2.130"), .prefix_length = 32, .vipd = true});
  h.netlink.add_foreign_address(
      {.link = 2, .address = ip("192.0.2.131"), .prefix_length = 32, .vipd = true});
  h.start();
  h.reconciler.apply({vip("192.0.2.130")});
  // 130 stays where it is (no flap), and is announced: this node owns it now.
  EXPECT_THAT(h.netlink.log(), ElementsAre("delete eth0 192.0.2.131"));
  EXPECT_THAT(h.announcer.take(), ElementsAre("stop 192.0.2.131", "announce eth0 192.0.2.130"));
  EXPECT_EQ(h.status()[0].state, VipState::kUp);
}

TEST(VipReconciler, AnOperatorsAddressIsNotTakenAndSaysWhy) {
  Host h;
  h.netlink.add_foreign_address({.link = 2, .address = ip("192.0.2.130"), .prefix_length = 24});
  h.start();
  h.reconciler.apply({vip("192.0.2.130")});
  const auto s = h.status();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].state, VipState::kFailed);
  EXPECT_THAT(s[0].error, ::testing::HasSubstr("192.0.2.130"));
  EXPECT_THAT(h.netlink.log(), IsEmpty());
  EXPECT_THAT(h.announcer.take(), IsEmpty());
  // The operator removes theirs: the next resync brings the VIP up.
  h.netlink.remove_address(2, ip("192.0.2.130"));
  h.reconciler.resync();
  EXPECT_THAT(h.netlink.log(), ElementsAre("add eth0 192.0.2.130"));
  EXPECT_EQ(h.status()[0].state, VipState::kUp);
}

TEST(VipReconciler, AVipDeletedBySomeoneElseComesBack) {
  Host h;
  h.start();
  h.reconciler.apply({vip("192.0.2.130")});
  h.announcer.take();
  h.netlink.remove_address(2, ip("192.0.2.130"));
  EXPECT_THAT(h.netlink.log(), ElementsAre("add eth0 192.0.2.130", "add eth0 192.0.2.130"));
  EXPECT_THAT(h.announcer.take(), ElementsAre("announce eth0 192.0.2.130"));
  EXPECT_EQ(h.status()[0].state, VipState::kUp);
}

TEST(VipReconciler, LinkDownReleasesAndLinkUpBringsBackAndAnnounces) {
  Host h;
  h.start();
  h.reconciler.apply({vip("192.0.2.130")});
  h.announcer.take();
  h.netlink.set_link(link(2, "eth0", false));
  EXPECT_EQ(h.status()[0].state, VipState::kNoInterface);
  EXPECT_THAT(h.netlink.log(), ElementsAre("add eth0 192.0.2.130", "delete eth0 192.0.2.130"));
  h.netlink.set_link(link(2, "eth0", true));
  EXPECT_EQ(h.status()[0].state, VipState::kUp);
  EXPECT_THAT(h.netlink.log().back(), "add eth0 192.0.2.130");
  const auto calls = h.announcer.take();
  ASSERT_FALSE(calls.empty());
  EXPECT_EQ(calls.back(), "announce eth0 192.0.2.130");
}

TEST(VipReconciler, MovesToAnotherListedLinkWhenItsLinkGoesDown) {
  Host h;
  h.start();
  h.reconciler.apply({vip("203.0.113.5", {"eth0", "eth1"})});
  h.announcer.take();
  h.netlink.set_link(link(2, "eth0", false));
  EXPECT_THAT(h.netlink.log(), ElementsAre("add eth0 203.0.113.5", "delete eth0 203.0.113.5",
                                           "add eth1 203.0.113.5"));
  EXPECT_THAT(h.announcer.take(), ElementsAre("stop 203.0.113.5", "announce eth1 203.0.113.5"));
  EXPECT_EQ(h.status()[0].interface, "eth1");
  EXPECT_THAT(h.lines, ::testing::Contains("VIP 203.0.113.5 moves from eth0 to eth1"));
}

TEST(VipReconciler, FailuresAreRetriedByResync) {
  Host h;
  h.start();
  h.netlink.fail_next(FakeNetlink::Operation::kAddVip,
                      Error(Errc::kIoError, "add 192.0.2.130/32 on eth0: Operation not permitted"));
  h.reconciler.apply({vip("192.0.2.130")});
  EXPECT_EQ(h.status()[0].state, VipState::kFailed);
  EXPECT_EQ(h.status()[0].error, "add 192.0.2.130/32 on eth0: Operation not permitted");
  EXPECT_THAT(h.announcer.take(), IsEmpty());
  h.reconciler.resync();
  EXPECT_EQ(h.status()[0].state, VipState::kUp);
  EXPECT_THAT(h.announcer.take(), ElementsAre("announce eth0 192.0.2.130"));
}

TEST(VipReconciler, ResyncAfterAnOverrunRepairsAndDeletesStrays) {
  Host h;
  h.start();
  h.reconciler.apply({vip("192.0.2.130")});
  // A vipd-marked address vipd does not own appears (another process, or a lost event).
  h.netlink.add_foreign_address(
      {.link = 3, .address = ip("198.51.100.9"), .prefix_length = 32, .vipd = true});
  h.netlink.emit_resync();
  EXPECT_THAT(h.netlink.log(), ElementsAre("add eth0 192.0.2.130", "delete eth1 198.51.100.9"));
}

TEST(VipReconciler, ReannounceAnnouncesEveryVipThatIsUp) {
  Host h;
  h.start();
  h.reconciler.apply({vip("192.0.2.130"), vip("203.0.113.6")});
  h.announcer.take();
  h.reconciler.reannounce();
  EXPECT_THAT(h.announcer.take(), ElementsAre("announce eth0 192.0.2.130"));
}

TEST(VipReconciler, StateNames) {
  EXPECT_EQ(to_string(VipState::kUp), "up");
  EXPECT_EQ(to_string(VipState::kNoInterface), "noInterface");
  EXPECT_EQ(to_string(VipState::kFailed), "failed");
}

}  // namespace
}  // namespace vipd::vip
