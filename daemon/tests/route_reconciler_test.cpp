// Plan changes → the exact speaker calls: peers added once, re-added only when a setting
// changed, removed when no longer planned; route sets given only when they changed.
#include "daemon/route_reconciler.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "daemon/tests/test_config.hpp"

namespace vipd::daemon {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::load;

IpAddress ip(const char* text) { return IpAddress::parse(text).value(); }
Prefix prefix(const char* text) { return Prefix::parse(text).value(); }

// Records every call as one line.
class RecordingSpeaker final : public SpeakerControl {
 public:
  void add_peer(const bgp::PeerConfig& config) override {
    calls.push_back("add " + config.session.peer_address.to_string());
    configs[config.session.peer_address.to_string()] = config;
  }
  void remove_peer(const std::string& address, const std::string& message) override {
    calls.push_back("remove " + address + " (" + message + ")");
    configs.erase(address);
    held.erase(address);
  }
  void set_peer_routes(const std::string& address, bgp::RouteSet routes) override {
    std::string line = "routes " + address + ":";
    for (const auto& [p, attributes] : routes) line += " " + p.to_string();
    calls.push_back(line);
    if (configs.contains(address)) held[address] = std::move(routes);
  }
  const bgp::RouteSet* peer_routes(const std::string& address) const override {
    const auto it = held.find(address);
    return it == held.end() ? nullptr : &it->second;
  }
  Result<void> listen(const IpAddress& address, std::uint16_t port) override {
    calls.push_back("listen " + address.to_string() + " " + std::to_string(port));
    if (refuse_listen) return failure(Errc::kIoError, "Address already in use");
    return success();
  }
  bgp::AttributeInterner& interner() override { return interner_; }
  void set_bfd(const std::string& address, const std::optional<BfdPeerSettings>& bfd) override {
    if (!bfd) {
      calls.push_back("bfd " + address + " none");
      return;
    }
    const auto ms = [](bfd::Interval i) {
      return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(i).count());
    };
    calls.push_back("bfd " + address + " " + bfd->profile + " rx " +
                    ms(bfd->session.required_min_rx) + " tx " + ms(bfd->session.desired_min_tx) +
                    " x" + std::to_string(bfd->session.detect_mult) +
                    (bfd->session.passive ? " passive" : "") +
                    (bfd->local ? " from " + bfd->local->to_string() : ""));
  }

  std::vector<std::string> take() { return std::exchange(calls, {}); }

  std::vector<std::string> calls;
  std::map<std::string, bgp::PeerConfig> configs;
  std::map<std::string, bgp::RouteSet> held;  // as the speaker keeps each peer's routes
  bool refuse_listen = false;

 private:
  bgp::AttributeInterner interner_;
};

const std::string kPools =
    "address-pools:\n- {name: p, protocol: bgp, addresses: [203.0.113.0/24]}\nservices: []\n";

// A plan toward every peer of `config`, each with `routes`.
planner::Plan plan_for(const config::Config& config, const std::vector<const char*>& routes) {
  planner::Plan plan;
  for (const auto& peer : config.peers) {
    planner::PeerPlan p{.peer = &peer};
    for (const auto& b : config.bfd_profiles) {
      if (b.name == peer.bfd_profile) p.bfd = &b;
    }
    for (const char* r : routes)
      p.routes.emplace(prefix(r), std::make_shared<const bgp::RouteAttributes>());
    plan.peers.push_back(std::move(p));
  }
  return plan;
}

const HostContext kHost{
    .node = "edge-1",
    .host = {{"eth0", ip("192.0.2.7"), 24}, {"eth0", ip("2001:db8::7"), 64}},
};

TEST(RouteReconciler, AddsPeersOnceAndGivesRoutesOnlyWhenTheyChange) {
  RecordingSpeaker speaker;
  RouteReconciler reconciler(speaker);
  const auto config = load(
      "peers:\n- {peer-address: 192.0.2.1, peer-asn: 64500, my-asn: 64501}\n"
      "- {peer-address: 192.0.2.2, peer-asn: 64500, my-asn: 64501}\n" +
      kPools);

  reconciler.apply(plan_for(config, {"203.0.113.10/32"}), kHost);
  EXPECT_THAT(speaker.take(), ElementsAre("add 192.0.2.1", "routes 192.0.2.1: 203.0.113.10/32",
                                          "add 192.0.2.2", "routes 192.0.2.2: 203.0.113.10/32"));
  EXPECT_EQ(speaker.configs["192.0.2.1"].session.fsm.router_id, ip("192.0.2.7").v4_value());

  // The same plan again: nothing to do.
  reconciler.apply(plan_for(config, {"203.0.113.10/32"}), kHost);
  EXPECT_THAT(speaker.take(), ElementsAre());

  // One more route: each peer's set once, no session touched.
  reconciler.apply(plan_for(config, {"203.0.113.10/32", "203.0.113.11/32"}), kHost);
  EXPECT_THAT(speaker.take(), ElementsAre("routes 192.0.2.1: 203.0.113.10/32 203.0.113.11/32",
                                          "routes 192.0.2.2: 203.0.113.10/32 203.0.113.11/32"));

  // Different routes toward one peer only.
  auto plan = plan_for(config, {"203.0.113.10/32", "203.0.113.11/32"});
  plan.peers[1].routes.erase(prefix("203.0.113.10/32"));
  reconciler.apply(std::move(plan), kHost);
  EXPECT_THAT(speaker.take(), ElementsAre("routes 192.0.2.2: 203.0.113.11/32"));

  // End of a drain: every route withdrawn, sessions kept.
  reconciler.withdraw_all();
  EXPECT_THAT(speaker.take(), ElementsAre("routes 192.0.2.1:", "routes 192.0.2.2:"));
  reconciler.withdraw_all();
  EXPECT_THAT(speaker.take(), ElementsAre());
}

TEST(RouteReconciler, AnyChangedSettingReAddsThePeerWithItsRoutes) {
  RecordingSpeaker speaker;
  RouteReconciler reconciler(speaker);
  const std::string peer = "- {peer-address: 192.0.2.1, peer-asn: 64500, my-asn: 64501";
  const auto before = load("peers:\n" + peer + "}\n" + kPools);
  reconciler.apply(plan_for(before, {"203.0.113.10/32"}), kHost);
  speaker.take();
  // Settings that MetalLB's peers carry, and vipd's own: each is part of the comparison.
  for (const char* change : {", hold-time: 9s", ", connect-time: 5s", ", passive: true",
                             ", gtsm: true", ", password: s3cret", ", keepalive-time: 3s"}) {
    const auto after = load("peers:\n" + peer + change + "}\n" + kPools);
    auto notes = reconciler.apply(plan_for(after, {"203.0.113.10/32"}), kHost);
    auto calls = speaker.take();
    std::erase_if(calls, [](const std::string& c) { return c.starts_with("listen"); });
    EXPECT_THAT(calls, ElementsAre("add 192.0.2.1", "routes 192.0.2.1: 203.0.113.10/32")) << change;
    EXPECT_THAT(notes.front().text, HasSubstr("settings changed")) << change;
    reconciler.apply(plan_for(before, {"203.0.113.10/32"}), kHost);  // and back
    EXPECT_THAT(speaker.take(), ElementsAre("add 192.0.2.1", "routes 192.0.2.1: 203.0.113.10/32"));
  }
  // Host facts are settings too: a new router id restarts the session.
  HostContext moved = kHost;
  moved.host = {{"eth0", ip("192.0.2.8"), 24}};
  reconciler.apply(plan_for(before, {"203.0.113.10/32"}), moved);
  EXPECT_THAT(speaker.take(), ElementsAre("add 192.0.2.1", "routes 192.0.2.1: 203.0.113.10/32"));
}

TEST(RouteReconciler, PeersNoLongerPlannedAreRemoved) {
  RecordingSpeaker speaker;
  RouteReconciler reconciler(speaker);
  const auto two = load(
      "peers:\n- {peer-address: 192.0.2.1, peer-asn: 64500, my-asn: 64501}\n"
      "- {peer-address: '2001:db8::1', peer-asn: 64500, my-asn: 64501}\n" +
      kPools);
  reconciler.apply(plan_for(two, {}), kHost);
  EXPECT_THAT(speaker.take(), ElementsAre("add 192.0.2.1", "routes 192.0.2.1:", "add 2001:db8::1",
                                          "routes 2001:db8::1:"));
  EXPECT_EQ(reconciler.peers().size(), 2u);
  auto plan = plan_for(two, {});
  plan.peers.erase(plan.peers.begin());
  const auto notes = reconciler.apply(std::move(plan), kHost);
  EXPECT_THAT(speaker.take(),
              ElementsAre("remove 192.0.2.1 (peer removed from the configuration)"));
  EXPECT_EQ(reconciler.peers().size(), 1u);
  EXPECT_EQ(reconciler.peers().count("2001:db8::1"), 1u);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_THAT(notes[0].text, HasSubstr("no longer configured"));
}

TEST(RouteReconciler, PassivePeersAreListenedForOnce) {
  RecordingSpeaker speaker;
  RouteReconciler reconciler(speaker);
  const auto config = load(
      "peers:\n- {peer-address: 192.0.2.1, peer-asn: 64500, my-asn: 64501, passive: true}\n"
      "- {peer-address: 192.0.2.2, peer-asn: 64500, my-asn: 64501, passive: true}\n"
      "- {peer-address: '2001:db8::1', peer-asn: 64500, my-asn: 64501, passive: true, "
      "source-address: '2001:db8::7'}\n" +
      kPools);
  speaker.refuse_listen = true;
  auto notes = reconciler.apply(plan_for(config, {}), kHost);
  EXPECT_EQ(speaker.configs["192.0.2.1"].session.fsm.passive, true);
  auto calls = speaker.take();
  EXPECT_EQ(std::count(calls.begin(), calls.end(), "listen 0.0.0.0 179"), 2);  // tried for each
  EXPECT_EQ(std::count(calls.begin(), calls.end(), "listen 2001:db8::7 179"), 1);
  EXPECT_TRUE(std::any_of(notes.begin(), notes.end(), [](const Note& n) {
    return n.level == Note::Level::kError &&
           n.text.find("Address already in use") != std::string::npos;
  }));
  // A failed listener is tried again on the next plan; a working one is kept.
  speaker.refuse_listen = false;
  reconciler.apply(plan_for(config, {}), kHost);
  EXPECT_THAT(speaker.take(), ElementsAre("listen 0.0.0.0 179", "listen 2001:db8::7 179"));
  reconciler.apply(plan_for(config, {}), kHost);
  EXPECT_THAT(speaker.take(), ElementsAre());
}

TEST(RouteReconciler, ProblemsAreSaidOnceAndThePeerIsSkipped) {
  RecordingSpeaker speaker;
  RouteReconciler reconciler(speaker);
  auto config =
      load("peers:\n- {peer-address: 192.0.2.1, peer-asn: 64500, my-asn: 64501}\n" + kPools);
  config.peers[0].dynamic_asn = config::DynamicAsn::kExternal;  // validation refuses it in files
  auto notes = reconciler.apply(plan_for(config, {"203.0.113.10/32"}), kHost);
  EXPECT_THAT(speaker.take(), ElementsAre());
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].level, Note::Level::kError);
  EXPECT_THAT(notes[0].text, HasSubstr("dynamic ASN"));
  EXPECT_THAT(reconciler.apply(plan_for(config, {"203.0.113.10/32"}), kHost), ElementsAre());
}

TEST(RouteReconciler, BfdIsSetBeforeThePeerIsAddedAndChangesWithoutRestartingBgp) {
  RecordingSpeaker speaker;
  RouteReconciler reconciler(speaker);
  const std::string peers =
      "peers:\n- {peer-address: 192.0.2.1, peer-asn: 64500, my-asn: 64501, bfd-profile: fast, "
      "source-address: 192.0.2.7}\n- {peer-address: 192.0.2.2, peer-asn: 64500, my-asn: 64501}\n";
  const auto v1 = load(peers + "bfd-profiles:\n- {name: fast}\n" + kPools);
  auto notes = reconciler.apply(plan_for(v1, {"203.0.113.10/32"}), kHost);
  EXPECT_THAT(speaker.take(), ElementsAre("bfd 192.0.2.1 fast rx 300 tx 300 x3 from 192.0.2.7",
                                          "add 192.0.2.1", "routes 192.0.2.1: 203.0.113.10/32",
                                          "add 192.0.2.2", "routes 192.0.2.2: 203.0.113.10/32"));
  ASSERT_GE(notes.size(), 1u);
  EXPECT_EQ(notes[0].text, "peer 192.0.2.1: added; BGP waits for BFD (profile \"fast\") to be Up");

  // New timers: the BFD session changes, the BGP session stays.
  const auto v2 = load(peers +
                       "bfd-profiles:\n- {name: fast, receive-interval: 150, transmit-interval: "
                       "100, detect-multiplier: 5, passive-mode: true}\n" +
                       kPools);
  notes = reconciler.apply(plan_for(v2, {"203.0.113.10/32"}), kHost);
  EXPECT_THAT(speaker.take(),
              ElementsAre("bfd 192.0.2.1 fast rx 150 tx 100 x5 passive from 192.0.2.7"));
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].text, "peer 192.0.2.1: BFD profile \"fast\" applied");
  reconciler.apply(plan_for(v2, {"203.0.113.10/32"}), kHost);
  EXPECT_TRUE(speaker.take().empty()) << "the same plan changes nothing";

  // The profile taken off the peer: BFD goes, BGP stays.
  const auto v3 = load(
      "peers:\n- {peer-address: 192.0.2.1, peer-asn: 64500, my-asn: 64501, source-address: "
      "192.0.2.7}\n- {peer-address: 192.0.2.2, peer-asn: 64500, my-asn: 64501, bfd-profile: "
      "fast}\nbfd-profiles:\n- {name: fast}\n" +
      kPools);
  notes = reconciler.apply(plan_for(v3, {"203.0.113.10/32"}), kHost);
  EXPECT_THAT(speaker.take(),
              ElementsAre("bfd 192.0.2.1 none", "bfd 192.0.2.2 fast rx 300 tx 300 x3"));
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_EQ(notes[0].text, "peer 192.0.2.1: BFD removed");
  EXPECT_EQ(notes[1].text, "peer 192.0.2.2: BFD profile \"fast\" added");

  // A peer that goes takes its BFD session with it, after its Cease.
  const auto v4 = load(
      "peers:\n- {peer-address: 192.0.2.1, peer-asn: 64500, my-asn: 64501, source-address: "
      "192.0.2.7}\n" +
      kPools);
  reconciler.apply(plan_for(v4, {"203.0.113.10/32"}), kHost);
  EXPECT_THAT(speaker.take(), ElementsAre("remove 192.0.2.2 (peer removed from the configuration)",
                                          "bfd 192.0.2.2 none"));
}

TEST(RouteReconciler, APeerWhoseBfdProfileIsMissingIsNotAdded) {
  RecordingSpeaker speaker;
  RouteReconciler reconciler(speaker);
  const auto config = load(
      "peers:\n- {peer-address: 192.0.2.1, peer-asn: 64500, my-asn: 64501, bfd-profile: fast}\n"
      "bfd-profiles:\n- {name: fast}\n" +
      kPools);
  auto plan = plan_for(config, {"203.0.113.10/32"});
  plan.peers[0].bfd = nullptr;  // a plan that lost the profile (validation prevents it)
  const auto notes = reconciler.apply(plan, kHost);
  EXPECT_TRUE(speaker.take().empty());
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].level, Note::Level::kError);
  EXPECT_EQ(notes[0].text, "peer 192.0.2.1: BFD profile \"fast\" not found");
}

TEST(RouteReconciler, NoIPv4AddressForTheRouterIdIsAnError) {
  RecordingSpeaker speaker;
  RouteReconciler reconciler(speaker);
  const auto config =
      load("peers:\n- {peer-address: '2001:db8::1', peer-asn: 64500, my-asn: 64501}\n" + kPools);
  HostContext v6_only = kHost;
  v6_only.host = {{"eth0", ip("2001:db8::7"), 64}};
  const auto notes = reconciler.apply(plan_for(config, {}), v6_only);
  EXPECT_TRUE(std::any_of(notes.begin(), notes.end(), [](const Note& n) {
    return n.level == Note::Level::kError && n.text.find("router id") != std::string::npos;
  }));
}

TEST(RouteReconciler, NewDecisionsAreSaidOnce) {
  RecordingSpeaker speaker;
  RouteReconciler reconciler(speaker);
  const auto config = load(kPools);
  planner::Plan plan;
  plan.decisions = {{"default/web", ip("203.0.113.10"), prefix("203.0.113.10/32"), "peer1",
                     planner::Reason::kAnnounced, ""},
                    {"default/db", ip("203.0.113.11"), std::nullopt, "",
                     planner::Reason::kHealthCheckFailing, "HTTP 503"}};
  auto notes = reconciler.apply(plan, kHost);
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_EQ(notes[0].text, "default/web announces 203.0.113.10/32 to peer1: announced");
  EXPECT_EQ(notes[1].text,
            "default/db does not announce 203.0.113.11 to any peer: healthCheckFailing: HTTP 503");
  EXPECT_THAT(reconciler.apply(plan, kHost), ElementsAre());
  EXPECT_EQ(reconciler.decisions(), plan.decisions);
}

TEST(RouteReconciler, ManyInformationalNotesAreCountedNotListed) {
  std::vector<Note> notes;
  notes.push_back({Note::Level::kInfo, "peer 192.0.2.1: added"});
  for (int i = 0; i < 100; ++i) notes.push_back({Note::Level::kInfo, "s" + std::to_string(i)});
  notes.push_back({Note::Level::kError, "peer 192.0.2.2: no router id"});
  const auto out = bounded_notes(notes, 10);
  ASSERT_EQ(out.size(), 12u);  // 10 informational, the error, the count
  EXPECT_EQ(out[0].text, "peer 192.0.2.1: added");
  EXPECT_EQ(out[9].text, "s8");
  EXPECT_EQ(out[10].text, "peer 192.0.2.2: no router id");  // warnings and errors always
  EXPECT_EQ(out[11].level, Note::Level::kInfo);
  EXPECT_EQ(out[11].text,
            "... and 91 more like these, not logged one by one (vipd status shows every service "
            "and decision)");
  notes.resize(5);
  EXPECT_EQ(bounded_notes(notes, 10), notes);  // few: unchanged
}

// In the planner's order (sorted), the last plan's decisions are searched in place.
TEST(RouteReconciler, NewDecisionsInThePlannersOrderAreSaidOnce) {
  RecordingSpeaker speaker;
  RouteReconciler reconciler(speaker);
  planner::Plan plan;
  for (int i = 10; i < 40; ++i) {
    const auto address = "203.0.113." + std::to_string(i);
    plan.decisions.push_back({"default/s" + std::to_string(i), ip(address.c_str()),
                              prefix((address + "/32").c_str()), "peer1",
                              planner::Reason::kAnnounced, ""});
  }
  EXPECT_EQ(reconciler.apply(plan, kHost).size(), 30u);
  EXPECT_THAT(reconciler.apply(plan, kHost), ElementsAre());
  plan.decisions[7].reason = planner::Reason::kNoLocalEndpoints;  // one changes
  plan.decisions[7].prefix.reset();
  const auto notes = reconciler.apply(plan, kHost);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].text, "default/s17 does not announce 203.0.113.17 to peer1: noLocalEndpoints");
}

}  // namespace
}  // namespace vipd::daemon
