// What a speaker's ServiceBGPStatus objects should say, and the changes that get them there.
#include "speaker/service_status.hpp"

#include <gtest/gtest.h>

namespace vipd::speaker {
namespace {

planner::Decision decision(std::string service, std::string peer, planner::Reason reason) {
  planner::Decision d;
  d.service = std::move(service);
  d.peer = std::move(peer);
  d.reason = reason;
  return d;
}

TEST(AnnouncedPeers, OnlyAnnouncedDecisionsSortedOnce) {
  using planner::Reason;
  const auto peers = announced_peers({
      decision("shop/web", "router-v6", Reason::kAnnounced),
      decision("shop/web", "router", Reason::kAnnounced),
      decision("shop/web", "router", Reason::kAnnounced),  // its IPv6 prefix, say
      decision("shop/web", "collector", Reason::kAddressFamilyNotCarried),
      decision("shop/api", "", Reason::kNoLocalEndpoints),
      decision("shop/db", "router", Reason::kFilteredByNodeSelector),
  });
  ASSERT_EQ(peers.size(), 1u);
  EXPECT_EQ(peers.at("shop/web"), (std::vector<std::string>{"router", "router-v6"}));
}

TEST(StatusChanges, CreateUpdateRemoveAndDuplicates) {
  const std::map<std::string, std::vector<std::string>> desired{
      {"shop/web", {"router"}}, {"shop/api", {"router", "router-v6"}}, {"shop/new", {"r"}}};
  const std::vector<HeldStatus> held{
      {"bgp-b", "shop/web", {"router"}},   // as desired
      {"bgp-a", "shop/api", {"router"}},   // a peer more now
      {"bgp-c", "shop/api", {"router"}},   // a duplicate: removed
      {"bgp-d", "shop/gone", {"router"}},  // no longer announced
  };
  const auto changes = status_changes(desired, held);
  EXPECT_EQ(changes.create, (std::vector<std::string>{"shop/new"}));
  ASSERT_EQ(changes.update.size(), 1u);
  EXPECT_EQ(changes.update[0], (HeldStatus{"bgp-a", "shop/api", {"router", "router-v6"}}));
  EXPECT_EQ(changes.remove, (std::vector<std::string>{"bgp-c", "bgp-d"}));
  EXPECT_TRUE(status_changes(desired, {{"bgp-1", "shop/web", {"router"}},
                                       {"bgp-2", "shop/api", {"router", "router-v6"}},
                                       {"bgp-3", "shop/new", {"r"}}})
                  .empty());
  EXPECT_EQ(status_changes({}, held).remove.size(), 4u);
}

}  // namespace
}  // namespace vipd::speaker
