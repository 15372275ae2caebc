// FakeNetlink: the add/delete semantics of the kernel implementation (mirroring
// rtnetlink_test.cpp where they apply), the kernel's event order and side effects it models,
// and its test controls (injected failures, the log, resync).
#include "netlink/testing/fake_netlink.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace vipd::netlink {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

IpAddress ip(const char* text) { return IpAddress::parse(text).value(); }

Link make_link(int index, std::string name, bool up = true) {
  Link link;
  link.index = index;
  link.name = std::move(name);
  link.mac = MacAddress{0x02, 0, 0, 0, 0, static_cast<std::uint8_t>(index)};
  link.up = up;
  link.running = up;
  return link;
}

Address operator_address(int link, const char* address, int prefix_length) {
  Address a;
  a.link = link;
  a.address = ip(address);
  a.prefix_length = prefix_length;
  return a;
}

// Every event, as text, in order.
class FakeNetlinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_.add_link(make_link(2, "eth0"));
    fake_.add_link(make_link(3, "eth1"));
    ASSERT_TRUE(fake_.subscribe({
        .link =
            [this](const LinkEvent& e) {
              events_.push_back(std::string(e.removed ? "link- " : "link ") + e.link.name +
                                (e.link.up ? " up" : " down"));
            },
        .address =
            [this](const AddressEvent& e) {
              events_.push_back(
                  std::string(e.removed ? "addr- " : "addr ") + std::to_string(e.address.link) +
                  " " + e.address.address.to_string() + "/" +
                  std::to_string(e.address.prefix_length) + (e.address.vipd ? " vipd" : ""));
            },
        .resync = [this] { events_.push_back("resync"); },
    }));
  }

  FakeNetlink fake_;
  std::vector<std::string> events_;
};

TEST_F(FakeNetlinkTest, ListsLinksByIndex) {
  fake_.add_link(make_link(1, "lo"));
  auto links = fake_.links();
  ASSERT_TRUE(links);
  ASSERT_EQ(links.value().size(), 3u);
  EXPECT_EQ(links.value()[0].name, "lo");
  EXPECT_EQ(links.value()[1], make_link(2, "eth0"));
  EXPECT_EQ(links.value()[2].name, "eth1");
}

TEST_F(FakeNetlinkTest, AddVipAddsHostAddressesMarkedVipd) {
  ASSERT_TRUE(fake_.add_vip(2, ip("192.0.2.10")));
  ASSERT_TRUE(fake_.add_vip(2, ip("2001:db8::10")));
  auto addresses = fake_.addresses();
  ASSERT_TRUE(addresses);
  ASSERT_EQ(addresses.value().size(), 2u);
  EXPECT_EQ(addresses.value()[0].address, ip("192.0.2.10"));
  EXPECT_EQ(addresses.value()[0].prefix_length, 32);
  EXPECT_EQ(addresses.value()[0].link, 2);
  EXPECT_TRUE(addresses.value()[0].vipd);
  EXPECT_EQ(addresses.value()[1].prefix_length, 128);
  EXPECT_TRUE(addresses.value()[1].vipd);
  EXPECT_FALSE(addresses.value()[1].tentative);
  EXPECT_THAT(fake_.log(), ElementsAre("add eth0 192.0.2.10", "add eth0 2001:db8::10"));
  EXPECT_THAT(events_, ElementsAre("addr 2 192.0.2.10/32 vipd", "addr 2 2001:db8::10/128 vipd"));
}

TEST_F(FakeNetlinkTest, AddVipIsIdempotent) {
  ASSERT_TRUE(fake_.add_vip(2, ip("192.0.2.10")));
  ASSERT_TRUE(fake_.add_vip(2, ip("192.0.2.10")));
  EXPECT_EQ(fake_.addresses().value().size(), 1u);
  EXPECT_THAT(fake_.log(), ElementsAre("add eth0 192.0.2.10"));  // the second changed nothing
  EXPECT_EQ(events_.size(), 1u);
}

TEST_F(FakeNetlinkTest, SameAddressOnAnotherLinkIsAnotherVip) {
  ASSERT_TRUE(fake_.add_vip(2, ip("192.0.2.10")));
  ASSERT_TRUE(fake_.add_vip(3, ip("192.0.2.10")));
  EXPECT_THAT(fake_.log(), ElementsAre("add eth0 192.0.2.10", "add eth1 192.0.2.10"));
}

TEST_F(FakeNetlinkTest, AddVipRefusesAnOperatorsAddressAndLeavesItAlone) {
  fake_.add_foreign_address(operator_address(2, "192.0.2.10", 24));
  const auto result = fake_.add_vip(2, ip("192.0.2.10"));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), Errc::kAlreadyExists);
  EXPECT_THAT(result.error().message(), HasSubstr("add 192.0.2.10/32 on eth0"));
  EXPECT_THAT(result.error().message(), HasSubstr("192.0.2.10/24"));
  ASSERT_EQ(fake_.addresses().value().size(), 1u);
  EXPECT_EQ(fake_.addresses().value()[0], operator_address(2, "192.0.2.10", 24));
  EXPECT_THAT(fake_.log(), IsEmpty());
}

TEST_F(FakeNetlinkTest, StaleVipdAddressCountsAsOurs) {
  auto stale = operator_address(2, "2001:db8::10", 128);
  stale.vipd = true;
  fake_.add_foreign_address(stale);
  EXPECT_TRUE(fake_.add_vip(2, ip("2001:db8::10")));
  EXPECT_TRUE(fake_.delete_vip(2, ip("2001:db8::10")));
  EXPECT_THAT(fake_.addresses().value(), IsEmpty());
  EXPECT_THAT(fake_.log(), ElementsAre("delete eth0 2001:db8::10"));
}

TEST_F(FakeNetlinkTest, AddVipRefusesAddressesThatCannotBeVips) {
  for (const char* text : {"0.0.0.0", "0.1.2.3", "127.0.0.1", "224.0.0.1", "255.255.255.255",
                           "::", "::1", "ff02::1", "fe80::1", "::ffff:192.0.2.1"}) {
    const auto result = fake_.add_vip(2, ip(text));
    ASSERT_FALSE(result) << text;
    EXPECT_EQ(result.error().code(), Errc::kInvalidArgument) << text;
    EXPECT_FALSE(fake_.delete_vip(2, ip(text))) << text;
  }
  EXPECT_EQ(fake_.add_vip(0, ip("192.0.2.10")).error().code(), Errc::kInvalidArgument);
  EXPECT_EQ(fake_.add_vip(-1, ip("192.0.2.10")).error().code(), Errc::kInvalidArgument);
  EXPECT_THAT(fake_.log(), IsEmpty());
}

TEST_F(FakeNetlinkTest, AddVipOnAnUnknownLinkIsAnIoError) {
  const auto result = fake_.add_vip(99, ip("192.0.2.10"));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), Errc::kIoError);
  EXPECT_EQ(result.error().message(), "add 192.0.2.10/32 on link 99: No such device");
}

TEST_F(FakeNetlinkTest, DeleteVipDeletesOnlyVipdAddresses) {
  ASSERT_TRUE(fake_.add_vip(2, ip("192.0.2.10")));
  fake_.add_foreign_address(operator_address(2, "192.0.2.11", 32));
  ASSERT_TRUE(fake_.delete_vip(2, ip("192.0.2.10")));
  const auto refused = fake_.delete_vip(2, ip("192.0.2.11"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), Errc::kAlreadyExists);
  EXPECT_THAT(refused.error().message(), HasSubstr("delete 192.0.2.11/32 on eth0"));
  ASSERT_EQ(fake_.addresses().value().size(), 1u);
  EXPECT_EQ(fake_.addresses().value()[0].address, ip("192.0.2.11"));
  EXPECT_THAT(fake_.log(), ElementsAre("add eth0 192.0.2.10", "delete eth0 192.0.2.10"));
  EXPECT_THAT(events_, ElementsAre("addr 2 192.0.2.10/32 vipd", "addr 2 192.0.2.11/32",
                                   "addr- 2 192.0.2.10/32 vipd"));
}

TEST_F(FakeNetlinkTest, DeleteVipOfAMissingAddressOrLinkSucceeds) {
  EXPECT_TRUE(fake_.delete_vip(2, ip("192.0.2.10")));
  EXPECT_TRUE(fake_.delete_vip(99, ip("192.0.2.10")));
  ASSERT_TRUE(fake_.add_vip(2, ip("192.0.2.10")));
  EXPECT_TRUE(fake_.delete_vip(3, ip("192.0.2.10")));  // on another link
  EXPECT_EQ(fake_.addresses().value().size(), 1u);
  EXPECT_THAT(fake_.log(), ElementsAre("add eth0 192.0.2.10"));
}

TEST_F(FakeNetlinkTest, LinkEventsFollowTheControls) {
  fake_.add_link(make_link(4, "eth2"));
  auto down = make_link(4, "eth2", false);
  fake_.set_link(down);
  fake_.remove_link(4);
  EXPECT_THAT(events_, ElementsAre("link eth2 up", "link eth2 down", "link- eth2 down"));
  EXPECT_EQ(fake_.links().value().size(), 2u);
}

TEST_F(FakeNetlinkTest, LinkDownDeletesItsIpv6AddressesAfterTheLinkEvent) {
  ASSERT_TRUE(fake_.add_vip(2, ip("192.0.2.10")));
  ASSERT_TRUE(fake_.add_vip(2, ip("2001:db8::10")));
  ASSERT_TRUE(fake_.add_vip(3, ip("2001:db8::11")));
  events_.clear();
  fake_.set_link(make_link(2, "eth0", false));
  EXPECT_THAT(events_, ElementsAre("link eth0 down", "addr- 2 2001:db8::10/128 vipd"));
  auto addresses = fake_.addresses();
  ASSERT_EQ(addresses.value().size(), 2u);
  EXPECT_EQ(addresses.value()[0].address, ip("192.0.2.10"));
  EXPECT_EQ(addresses.value()[1].address, ip("2001:db8::11"));
  // Down to down (a carrier change, say) deletes nothing more; the IPv6 VIP can come back.
  events_.clear();
  fake_.set_link(make_link(2, "eth0", false));
  EXPECT_THAT(events_, ElementsAre("link eth0 down"));
  fake_.set_link(make_link(2, "eth0", true));
  EXPECT_TRUE(fake_.add_vip(2, ip("2001:db8::10")));
}

TEST_F(FakeNetlinkTest, RemovingALinkRemovesItsAddressesFirst) {
  ASSERT_TRUE(fake_.add_vip(3, ip("192.0.2.10")));
  fake_.add_foreign_address(operator_address(3, "198.51.100.1", 24));
  events_.clear();
  fake_.remove_link(3);
  EXPECT_THAT(events_, ElementsAre("addr- 3 192.0.2.10/32 vipd", "addr- 3 198.51.100.1/24",
                                   "link- eth1 up"));
  EXPECT_THAT(fake_.addresses().value(), IsEmpty());
  // Its VIPs are gone with it: deleting succeeds, adding says there is no such link.
  EXPECT_TRUE(fake_.delete_vip(3, ip("192.0.2.10")));
  EXPECT_EQ(fake_.add_vip(3, ip("192.0.2.10")).error().code(), Errc::kIoError);
}

TEST_F(FakeNetlinkTest, RemoveAddressEmitsAndForgets) {
  ASSERT_TRUE(fake_.add_vip(2, ip("192.0.2.10")));
  events_.clear();
  fake_.remove_address(2, ip("192.0.2.10"));
  fake_.remove_address(2, ip("192.0.2.10"));  // not there any more: nothing
  EXPECT_THAT(events_, ElementsAre("addr- 2 192.0.2.10/32 vipd"));
  EXPECT_THAT(fake_.log(), ElementsAre("add eth0 192.0.2.10"));  // not vipd's doing
}

TEST_F(FakeNetlinkTest, FailNextFailsOnceAndChangesNothing) {
  fake_.fail_next(FakeNetlink::Operation::kAddVip, Error(Errc::kIoError, "injected"));
  const auto failed = fake_.add_vip(2, ip("192.0.2.10"));
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error(), Error(Errc::kIoError, "injected"));
  EXPECT_THAT(fake_.addresses().value(), IsEmpty());
  EXPECT_TRUE(fake_.add_vip(2, ip("192.0.2.10")));

  fake_.fail_next(FakeNetlink::Operation::kDeleteVip, Error(Errc::kIoError, "del"));
  EXPECT_FALSE(fake_.delete_vip(2, ip("192.0.2.10")));
  EXPECT_EQ(fake_.addresses().value().size(), 1u);
  EXPECT_TRUE(fake_.delete_vip(2, ip("192.0.2.10")));

  fake_.fail_next(FakeNetlink::Operation::kLinks, Error(Errc::kIoError, "links"));
  EXPECT_FALSE(fake_.links());
  EXPECT_TRUE(fake_.links());
  fake_.fail_next(FakeNetlink::Operation::kAddresses, Error(Errc::kIoError, "addresses"));
  EXPECT_FALSE(fake_.addresses());
  EXPECT_TRUE(fake_.addresses());
  fake_.fail_next(FakeNetlink::Operation::kSubscribe, Error(Errc::kIoError, "subscribe"));
  EXPECT_FALSE(fake_.subscribe({}));
  EXPECT_THAT(fake_.log(), ElementsAre("add eth0 192.0.2.10", "delete eth0 192.0.2.10"));
}

TEST_F(FakeNetlinkTest, EmitResyncCallsResync) {
  fake_.emit_resync();
  EXPECT_THAT(events_, ElementsAre("resync"));
}

TEST_F(FakeNetlinkTest, NoEventsBeforeSubscribe) {
  FakeNetlink fresh;
  fresh.add_link(make_link(2, "eth0"));
  ASSERT_TRUE(fresh.add_vip(2, ip("192.0.2.10")));
  fresh.emit_resync();
  EXPECT_FALSE(fresh.subscribed());
  int seen = 0;
  ASSERT_TRUE(fresh.subscribe({.link = {}, .address = [&](const AddressEvent&) { ++seen; }}));
  EXPECT_TRUE(fresh.subscribed());
  ASSERT_TRUE(fresh.delete_vip(2, ip("192.0.2.10")));
  EXPECT_EQ(seen, 1);
}

TEST_F(FakeNetlinkTest, ACallbackMayCallBackIntoTheFake) {
  // A reconciler that re-adds its VIP when an operator deletes it, from inside the callback.
  ASSERT_TRUE(fake_.add_vip(2, ip("192.0.2.10")));
  ASSERT_TRUE(fake_.subscribe({.link = {}, .address = [this](const AddressEvent& e) {
                                 if (e.removed) {
                                   EXPECT_TRUE(fake_.add_vip(2, e.address.address));
                                 }
                               }}));
  fake_.remove_address(2, ip("192.0.2.10"));
  ASSERT_EQ(fake_.addresses().value().size(), 1u);
  EXPECT_TRUE(fake_.addresses().value()[0].vipd);
  EXPECT_THAT(fake_.log(), ElementsAre("add eth0 192.0.2.10", "add eth0 192.0.2.10"));
}

}  // namespace
}  // namespace vipd::netlink
