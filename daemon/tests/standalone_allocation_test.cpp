// A reload decides the same addresses as a restart on the new file with the old state file.
#include "daemon/standalone_allocation.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "allocator/state_file.hpp"
#include "daemon/tests/test_config.hpp"

namespace vipd::daemon {
namespace {

using testing::load;

const std::string kPools =
    "address-pools:\n- {name: p, protocol: bgp, addresses: [203.0.113.0/29]}\n"
    "- {name: q, protocol: bgp, addresses: [198.51.100.0/30]}\n";

config::Config file(const std::string& services) { return load(kPools + "services:\n" + services); }

// "ns/name=address" for every holding, in service order; errors as "ns/name!".
std::vector<std::string> held(const StandaloneAllocation& a) {
  std::vector<std::string> out;
  for (const auto& [key, assignment] : a.allocator().assignments()) {
    std::string line = key.to_string() + "=";
    for (const auto& ip : assignment.addresses) line += ip.to_string() + " ";
    line.pop_back();
    out.push_back(line);
  }
  for (const auto& [key, error] : a.errors()) out.push_back(key + "!");
  return out;
}

// What a restart on `next` finds: the state file written for `before`, read back.
StandaloneAllocation restart(const StandaloneAllocation& before, const config::Config& next) {
  allocator::State state;
  for (auto& [key, assignment] : before.allocator().assignments()) {
    state.entries.push_back({key, assignment});
  }
  auto decoded = allocator::decode_state(allocator::encode_state(state));
  EXPECT_TRUE(decoded);
  Holdings holdings;
  for (auto& e : decoded.value().entries) holdings.emplace_back(e.service, e.assignment);
  StandaloneAllocation after;
  EXPECT_TRUE(after.decide(next, holdings));
  return after;
}

struct Outcome {
  std::vector<std::string> reloaded;
  std::vector<std::string> restarted;
};

Outcome reload_and_restart(const config::Config& a, const config::Config& b) {
  StandaloneAllocation live;
  EXPECT_TRUE(live.decide(a, {}));
  const auto restarted = restart(live, b);
  EXPECT_TRUE(live.reload(b));
  return {held(live), held(restarted)};
}

TEST(StandaloneAllocation, ARemovedServicesAddressGoesToTheServiceThatNowAsksForIt) {
  const auto a =
      file("- {name: old, addresses: [203.0.113.1]}\n- {name: web, addresses: [203.0.113.2]}\n");
  const auto b = file("- {name: web, addresses: [203.0.113.1]}\n");
  const auto o = reload_and_restart(a, b);
  EXPECT_THAT(o.reloaded, ::testing::ElementsAre("default/web=203.0.113.1"));
  EXPECT_EQ(o.reloaded, o.restarted);
}

TEST(StandaloneAllocation, TwoServicesSwapTheirAddresses) {
  const auto a =
      file("- {name: a, addresses: [203.0.113.1]}\n- {name: b, addresses: [203.0.113.2]}\n");
  const auto b =
      file("- {name: a, addresses: [203.0.113.2]}\n- {name: b, addresses: [203.0.113.1]}\n");
  const auto o = reload_and_restart(a, b);
  EXPECT_THAT(o.reloaded, ::testing::ElementsAre("default/a=203.0.113.2", "default/b=203.0.113.1"));
  EXPECT_EQ(o.reloaded, o.restarted);
}

TEST(StandaloneAllocation, ARefusedServiceIsRetriedOnceTheAddressIsFree) {
  // q holds four addresses: the fifth service asking for q gets none...
  const auto a = file(
      "- {name: a, pool: q}\n- {name: b, pool: q}\n- {name: c, pool: q}\n- {name: d, pool: q}\n"
      "- {name: e, pool: q}\n");
  StandaloneAllocation live;
  ASSERT_TRUE(live.decide(a, {}));
  EXPECT_THAT(held(live), ::testing::ElementsAre("default/a=198.51.100.0", "default/b=198.51.100.1",
                                                 "default/c=198.51.100.2", "default/d=198.51.100.3",
                                                 "default/e!"));
  // ...until a reload removes one listed before it.
  const auto b = file(
      "- {name: b, pool: q}\n- {name: c, pool: q}\n- {name: d, pool: q}\n- {name: e, pool: q}\n");
  const auto o = reload_and_restart(a, b);
  EXPECT_THAT(o.reloaded,
              ::testing::ElementsAre("default/b=198.51.100.1", "default/c=198.51.100.2",
                                     "default/d=198.51.100.3", "default/e=198.51.100.0"));
  EXPECT_EQ(o.reloaded, o.restarted);
}

TEST(StandaloneAllocation, NothingKeepsAnAddressItNoLongerAsksFor) {
  // `a` now asks for the address `x` took from the pool and keeps: `a` gets nothing rather than
  // the address it held.
  const auto a = file("- {name: x, pool: p}\n- {name: a, addresses: [203.0.113.1]}\n");
  const auto b = file("- {name: x, pool: p}\n- {name: a, addresses: [203.0.113.0]}\n");
  const auto o = reload_and_restart(a, b);
  EXPECT_THAT(o.reloaded, ::testing::ElementsAre("default/x=203.0.113.0", "default/a!"));
  EXPECT_EQ(o.reloaded, o.restarted);
  // A service that stops naming an address but may still have it from its pool keeps it
  // (MetalLB: a held address is kept while it fits).
  const auto c = file("- {name: x, pool: p}\n- {name: a, pool: p}\n");
  const auto kept = reload_and_restart(a, c);
  EXPECT_THAT(kept.reloaded,
              ::testing::ElementsAre("default/a=203.0.113.1", "default/x=203.0.113.0"));
  EXPECT_EQ(kept.reloaded, kept.restarted);
}

TEST(StandaloneAllocation, AnAddressOutsideEveryPoolIsReleased) {
  const auto a = file("- {name: a, pool: q}\n");
  const auto b = load(
      "address-pools:\n- {name: p, protocol: bgp, addresses: [203.0.113.0/29]}\n"
      "services:\n- {name: a}\n");
  const auto o = reload_and_restart(a, b);
  EXPECT_THAT(o.reloaded, ::testing::ElementsAre("default/a=203.0.113.0"));
  EXPECT_EQ(o.reloaded, o.restarted);
}

// Random files over two tiny pools: services asking for addresses (each address at most once:
// the file is refused otherwise), for a pool, or for anything, with and without sharing keys and
// ports. Without pool q only p's addresses and pool are used.
std::string random_services(std::mt19937& rng, bool with_q = true) {
  std::vector<std::string> addresses = {"203.0.113.1", "203.0.113.2", "203.0.113.3"};
  if (with_q) {
    addresses.push_back("198.51.100.1");
    addresses.push_back("198.51.100.2");
  }
  std::shuffle(addresses.begin(), addresses.end(), rng);
  const int count = std::uniform_int_distribution<int>(0, 6)(rng);
  std::vector<int> names = {0, 1, 2, 3, 4, 5, 6, 7};
  std::shuffle(names.begin(), names.end(), rng);
  std::string out;
  for (int i = 0; i < count; ++i) {
    out += "- {name: s" + std::to_string(names[static_cast<std::size_t>(i)]);
    switch (std::uniform_int_distribution<int>(0, 3)(rng)) {
      case 0:
        if (!addresses.empty()) {
          out += ", addresses: [" + addresses.back() + "]";
          addresses.pop_back();
        }
        break;
      case 1:
        out += std::string(", pool: ") + (with_q && rng() % 2 ? "q" : "p");
        break;
      default:
        break;
    }
    if (rng() % 2) out += ", sharing-key: k" + std::to_string(rng() % 2);
    if (rng() % 2) out += ", ports: [{port: " + std::to_string(80 + rng() % 2) + "}]";
    out += "}\n";
  }
  return out;
}

TEST(StandaloneAllocation, ReloadingAToBIsRestartingOnBWithAsStateFile) {
  std::mt19937 rng(20261207);
  for (int round = 0; round < 400; ++round) {
    // Pools change too: sometimes q is gone and p shrinks, so held addresses fall outside.
    const bool shrink = rng() % 3 == 0;
    const std::string pools_b =
        shrink ? "address-pools:\n- {name: p, protocol: bgp, addresses: [203.0.113.0/30]}\n"
               : kPools;
    const auto a = load(kPools + "services:\n" + random_services(rng));
    const auto b = load(pools_b + "services:\n" + random_services(rng, !shrink));
    const auto o = reload_and_restart(a, b);
    ASSERT_EQ(o.reloaded, o.restarted) << "round " << round;
    // Every service of B either holds addresses or says why not.
    StandaloneAllocation again;
    ASSERT_TRUE(again.decide(b, {}));
    EXPECT_EQ(o.reloaded.size(), b.standalone->services.size()) << "round " << round;
  }
}

TEST(StandaloneAllocation, ReloadingTheSameFileChangesNothing) {
  std::mt19937 rng(7);
  for (int round = 0; round < 100; ++round) {
    const auto a = load(kPools + "services:\n" + random_services(rng));
    StandaloneAllocation live;
    ASSERT_TRUE(live.decide(a, {}));
    const auto before = held(live);
    const auto notes = live.reload(a);
    ASSERT_TRUE(notes);
    EXPECT_EQ(held(live), before);
  }
}

}  // namespace
}  // namespace vipd::daemon
