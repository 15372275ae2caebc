// Speakers' liveness from their Leases: the observer's clock only, as client-go.
#include "speaker/liveness.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace vipd::speaker {
namespace {

using ::testing::ElementsAre;
using namespace std::chrono_literals;

k8s::Lease lease(std::string name, std::string holder, std::string renew,
                 std::optional<std::int32_t> seconds = 6) {
  k8s::Lease l;
  l.meta.name = std::move(name);
  l.spec.holder_identity = std::move(holder);
  l.spec.lease_duration_seconds = seconds;
  l.spec.renew_time = k8s::parse_micro_time(renew).value();
  return l;
}

const Clock::time_point t0{std::chrono::seconds(1000)};

TEST(LeaseNode, FromTheName) {
  EXPECT_EQ(lease_node("vipd-speaker-node-a"), "node-a");
  EXPECT_EQ(lease_node("vipd-controller"), "");
  EXPECT_EQ(lease_node("vipd-speaker-"), "");
}

TEST(SpeakerLiveness, LiveUntilTheDurationPassesWithoutARenewal) {
  SpeakerLiveness l;
  l.observe(lease("vipd-speaker-node-a", "node-a", "2026-12-07T10:00:00.000000Z"), t0);
  l.observe(lease("vipd-speaker-node-b", "node-b", "2026-12-07T10:00:00.000000Z"), t0 + 2s);
  EXPECT_THAT(l.live(t0 + 5s), ElementsAre("node-a", "node-b"));
  EXPECT_EQ(l.next_expiry(t0 + 5s), t0 + 6s);
  EXPECT_THAT(l.live(t0 + 6s), ElementsAre("node-b"));  // node-a: 6 s without a change
  // The same renewTime seen again (a resync) is not a renewal.
  l.observe(lease("vipd-speaker-node-b", "node-b", "2026-12-07T10:00:00.000000Z"), t0 + 7s);
  EXPECT_TRUE(l.live(t0 + 8s).empty());
  EXPECT_EQ(l.next_expiry(t0 + 8s), std::nullopt);
  // A renewal brings it back.
  l.observe(lease("vipd-speaker-node-b", "node-b", "2026-12-07T10:00:09.000000Z"), t0 + 9s);
  EXPECT_THAT(l.live(t0 + 10s), ElementsAre("node-b"));
}

TEST(SpeakerLiveness, ABfdFailureTakesANodeOutUntilBfdIsUpOrTwoRenewals) {
  SpeakerLiveness l;
  l.observe(lease("vipd-speaker-node-a", "node-a", "2026-12-07T10:00:00.000000Z"), t0);
  l.observe(lease("vipd-speaker-node-b", "node-b", "2026-12-07T10:00:00.000000Z"), t0);
  l.bfd_down("node-a");
  EXPECT_THAT(l.live(t0 + 1s), ElementsAre("node-b"));  // at once, the Lease still valid
  EXPECT_THAT(l.bfd_failed(), ElementsAre("node-a"));
  // One renewal seen after the failure may have been made before it: still out.
  l.observe(lease("vipd-speaker-node-a", "node-a", "2026-12-07T10:00:02.000000Z"), t0 + 2s);
  EXPECT_THAT(l.live(t0 + 2s), ElementsAre("node-b"));
  // A second one: node-a talks to Kubernetes, which ends the disagreement.
  l.observe(lease("vipd-speaker-node-a", "node-a", "2026-12-07T10:00:04.000000Z"), t0 + 4s);
  EXPECT_THAT(l.live(t0 + 4s), ElementsAre("node-a", "node-b"));
  EXPECT_TRUE(l.bfd_failed().empty());

  // BFD Up again clears a failure at once.
  l.bfd_down("node-b");
  EXPECT_THAT(l.live(t0 + 4s), ElementsAre("node-a"));
  l.bfd_up("node-b");
  EXPECT_THAT(l.live(t0 + 4s), ElementsAre("node-a", "node-b"));
  // A node BFD failed and that never renews stays out, and its Lease expires as usual.
  l.bfd_down("node-b");
  EXPECT_THAT(l.live(t0 + 5s), ElementsAre("node-a"));
  EXPECT_THAT(l.live(t0 + 7s), ElementsAre("node-a"));
  EXPECT_THAT(l.bfd_failed(), ElementsAre("node-b"));
}

TEST(SpeakerLiveness, ReleasedForeignOrDeletedIsNotLive) {
  SpeakerLiveness l;
  l.observe(lease("vipd-speaker-node-a", "", "2026-12-07T10:00:00.000000Z"), t0);
  l.observe(lease("vipd-speaker-node-b", "node-x", "2026-12-07T10:00:00.000000Z"), t0);
  l.observe(lease("vipd-speaker-node-c", "node-c", "2026-12-07T10:00:00.000000Z"), t0);
  l.observe(lease("vipd-controller", "vipd-controller-1", "2026-12-07T10:00:00.000000Z"), t0);
  EXPECT_THAT(l.live(t0), ElementsAre("node-c"));
  l.forget("vipd-speaker-node-c");
  EXPECT_TRUE(l.live(t0).empty());
}

TEST(SpeakerLiveness, DurationFromTheLeaseOrTheDefault) {
  SpeakerLiveness l;
  l.observe(lease("vipd-speaker-node-a", "node-a", "2026-12-07T10:00:00.000000Z", 2), t0);
  l.observe(lease("vipd-speaker-node-b", "node-b", "2026-12-07T10:00:00.000000Z", std::nullopt),
            t0);
  EXPECT_THAT(l.live(t0 + 3s), ElementsAre("node-b"));
  EXPECT_THAT(l.live(t0 + 6s), ElementsAre());
}

}  // namespace
}  // namespace vipd::speaker
