// Property tests: thousands of random operation sequences (assign, adopt, release, reload)
// run on the allocator and on the brute-force model (tests/model.hpp). After every operation:
// the outcomes agree, the whole state agrees, counts equal a recount, no address is held by
// incompatible Services, and a released Service holds nothing. Each sequence is replayed on a
// fresh allocator to show that decisions depend only on the history.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "allocator/allocator.hpp"
#include "allocator/tests/helpers.hpp"
#include "allocator/tests/model.hpp"

namespace vipd::allocator {
namespace {

using namespace test;  // NOLINT(google-build-using-namespace): builders only

// 2,000 sequences of 30 operations, in 8 shards so ctest can run them in parallel.
constexpr int kShards = 8;
constexpr int kSequencesPerShard = 250;
constexpr int kOperations = 30;

// Pool sets the sequences reload between: shrink, expand, rename, split, reorder, avoid-buggy
// on and off, and one invalid set (overlap) that both must refuse.
std::vector<std::vector<Pool>> configurations() {
  return {
      {
          pool("a", {"192.0.2.254-192.0.3.3", "2001:db8::/126"}, {.avoid_buggy = true}),
          pool("b", {"198.51.100.0/29", "2001:db8:1::/127"}),
          pool("pin", {"203.0.113.0/30", "2001:db8:2::/127"},
               {.namespaces = {"ns1"}, .priority = 2}),
          pool("sel", {"203.0.113.8/31"},
               {.service_selectors = {selector({{"team", "x"}})}, .priority = 1}),
          pool("manual", {"203.0.113.16/30", "2001:db8:3::/127"}, {.auto_assign = false}),
      },
      {
          pool("a2", {"192.0.2.254-192.0.3.1", "2001:db8::/127"}),
          pool("b", {"198.51.100.2/31", "198.51.100.0/31"}),
          pool("pin", {"203.0.113.0/30", "2001:db8:2::/127"},
               {.namespaces = {"ns1"}, .priority = 2}),
          pool("manual", {"203.0.113.16/29"}),
      },
      {
          pool("a", {"192.0.3.0/30"}, {.avoid_buggy = true}),
          pool("a6", {"2001:db8::/126"}),
          pool("b", {"198.51.100.0/29"}, {.avoid_buggy = true}),
          pool("sel", {"203.0.113.8/31", "2001:db8:1::/127"},
               {.service_selectors = {selector({{"team", "x"}})}}),
          pool("pin", {"203.0.113.0/30"},
               {.namespace_selectors = {selector({{"env", "prod"}})}, .priority = 1}),
      },
      {
          pool("x", {"198.51.100.0/29"}),
          pool("y", {"198.51.100.4/32"}),
      },
  };
}

// Every address the pools above mention, and a few outside them.
std::vector<IpAddress> universe() {
  std::set<IpAddress> all;
  for (const auto& config : configurations()) {
    for (const Pool& p : config) {
      for (const auto& b : p.addresses) {
        const IpRange r = to_range(b);
        for (IpAddress a = r.first();; a = *a.next()) {
          all.insert(a);
          if (a == r.last()) break;
        }
      }
    }
  }
  for (const char* extra : {"192.0.2.100", "203.0.113.200", "2001:db8:9::1", "192.0.3.255"}) {
    all.insert(ip(extra));
  }
  return {all.begin(), all.end()};
}

class Generator {
 public:
  explicit Generator(std::uint64_t seed) : random_(seed), universe_(universe()) {}

  int below(int n) { return static_cast<int>(random_() % static_cast<std::uint64_t>(n)); }
  bool chance(int percent) { return below(100) < percent; }
  const IpAddress& address() {
    return universe_[static_cast<std::size_t>(below(static_cast<int>(universe_.size())))];
  }
  ServiceKey service() { return {chance(50) ? "ns1" : "ns2", "s" + std::to_string(below(6))}; }

  ServiceRequest request(const ServiceKey& key) {
    ServiceRequest r;
    r.key = key;
    if (chance(40)) r.namespace_labels = {{"env", "prod"}};
    if (chance(30)) r.service_labels = {{"team", "x"}};
    switch (below(8)) {
      case 0:
        r.families = {Family::kV6};
        break;
      case 1:
        r.family_policy = IpFamilyPolicy::kPreferDualStack;
        r.families = {Family::kV4, Family::kV6};
        break;
      case 2:
        r.family_policy = IpFamilyPolicy::kPreferDualStack;
        r.families = {Family::kV6, Family::kV4};
        break;
      case 3:
        r.family_policy = IpFamilyPolicy::kRequireDualStack;
        r.families = {Family::kV4, Family::kV6};
        break;
      case 4:
        r.family_policy = IpFamilyPolicy::kPreferDualStack;
        r.families = {Family::kV4};
        break;
      case 5:
        if (chance(10)) r.families = {Family::kV4, Family::kV6};  // invalid for SingleStack
        break;
      default:
        break;
    }
    if (chance(25)) {
      const auto source =
          chance(50) ? AddressSource::kAnnotation : AddressSource::kSpecLoadBalancerIp;
      const int n = 1 + below(2);
      for (int i = 0; i < n; ++i) {
        const auto s = chance(5) ? AddressSource::kStandaloneAddresses : source;
        r.requested.push_back({address(), s});
      }
    }
    if (chance(25)) {
      static const char* const kPools[] = {"a", "b", "pin", "sel", "manual", "a2", "a6", "nope"};
      r.pool = kPools[below(8)];
    }
    static const char* const kKeys[] = {"", "", "k1", "k2"};
    r.sharing_key = kKeys[below(4)];
    if (chance(30)) {
      r.traffic_policy = TrafficPolicy::kLocal;
      r.backend_selector = {{"app", chance(50) ? "a" : "b"}};
    } else if (chance(20)) {
      r.backend_selector = {{"app", "ignored"}};
    }
    static const Port kPorts[] = {
        {Protocol::kTcp, 80}, {Protocol::kTcp, 443}, {Protocol::kUdp, 53}};
    for (const Port& p : kPorts) {
      if (chance(50)) r.ports.push_back(p);
    }
    return r;
  }

 private:
  std::mt19937_64 random_;
  std::vector<IpAddress> universe_;
};

// One operation of a sequence, kept so the sequence can be replayed.
struct Operation {
  enum class Kind { kAssign, kAdopt, kRelease, kReload } kind;
  ServiceRequest request;
  std::vector<IpAddress> addresses;  // adopt
  int configuration = 0;             // reload
};

// The result of an operation as text, for the determinism check.
std::string apply(Allocator& allocator, const Operation& op,
                  const std::vector<std::vector<Pool>>& configs) {
  const auto describe = [](const Result<Assignment>& r) {
    if (!r) return "error: " + r.error().message();
    std::string out = r.value().pool + ":";
    for (const auto& a : r.value().addresses) out += " " + a.to_string();
    return out;
  };
  switch (op.kind) {
    case Operation::Kind::kAssign:
      return describe(allocator.assign(op.request));
    case Operation::Kind::kAdopt:
      return describe(allocator.adopt(op.request, op.addresses));
    case Operation::Kind::kRelease:
      return allocator.release(op.request.key) ? "released" : "nothing to release";
    case Operation::Kind::kReload: {
      auto report = allocator.set_pools(configs[static_cast<std::size_t>(op.configuration)]);
      if (!report) return "error: " + report.error().message();
      std::string out = "reloaded";
      for (const auto& c : report.value().cleared) out += " -" + c.service.to_string();
      for (const auto& m : report.value().moved) out += " >" + m.service.to_string();
      return out;
    }
  }
  return "";
}

Outcome outcome_of(const Result<Assignment>& r) {
  if (r) return Outcome{true, Errc::kInvalidArgument, r.value()};
  return Outcome{false, static_cast<Errc>(r.error().code().value()), {}};
}

std::string show(const Outcome& o) {
  if (!o.ok) return "error " + std::to_string(static_cast<int>(o.code));
  std::string out = o.assignment.pool + ":";
  for (const auto& a : o.assignment.addresses) out += " " + a.to_string();
  return out;
}

class AllocatorModelProperties : public ::testing::TestWithParam<int> {};

TEST_P(AllocatorModelProperties, AgreesWithTheBruteForceModel) {
  const auto configs = configurations();
  const auto addresses = universe();
  std::uint64_t operations = 0;
  std::uint64_t successes = 0;
  std::uint64_t shared = 0;
  const int begin = GetParam() * kSequencesPerShard;
  for (int sequence = begin; sequence < begin + kSequencesPerShard; ++sequence) {
    Generator gen(0x5eed0000u + static_cast<std::uint64_t>(sequence));
    Allocator allocator;
    Model model;
    std::vector<Operation> history;
    const auto first = Operation{Operation::Kind::kReload, {}, {}, gen.below(3)};
    history.push_back(first);
    apply(allocator, first, configs);
    ASSERT_TRUE(model.set_pools(configs[static_cast<std::size_t>(first.configuration)]).ok);

    for (int step = 0; step < kOperations; ++step) {
      Operation op{Operation::Kind::kAssign, gen.request(gen.service()), {}, 0};
      const int dice = gen.below(100);
      if (dice < 12) {
        op.kind = Operation::Kind::kRelease;
      } else if (dice < 20) {
        op.kind = Operation::Kind::kReload;
        op.configuration = gen.below(static_cast<int>(configs.size()));
      } else if (dice < 32) {
        op.kind = Operation::Kind::kAdopt;
        // Mostly what some Service holds (conflicts), sometimes arbitrary addresses.
        const auto held = model.assignments();
        if (!held.empty() && gen.chance(70)) {
          op.addresses = held[static_cast<std::size_t>(gen.below(static_cast<int>(held.size())))]
                             .second.addresses;
        } else {
          op.addresses.push_back(gen.address());
          if (gen.chance(30)) op.addresses.push_back(gen.address());
        }
      }
      SCOPED_TRACE("sequence " + std::to_string(sequence) + " step " + std::to_string(step) +
                   " service " + op.request.key.to_string());
      history.push_back(op);
      ++operations;

      switch (op.kind) {
        case Operation::Kind::kAssign: {
          auto got = allocator.assign(op.request);
          const Outcome want = model.assign(op.request);
          ASSERT_EQ(show(outcome_of(got)), show(want)) << (got ? "" : got.error().message());
          successes += want.ok;
          break;
        }
        case Operation::Kind::kAdopt: {
          auto got = allocator.adopt(op.request, op.addresses);
          const Outcome want = model.adopt(op.request, op.addresses);
          ASSERT_EQ(show(outcome_of(got)), show(want)) << (got ? "" : got.error().message());
          successes += want.ok;
          break;
        }
        case Operation::Kind::kRelease: {
          const auto held = allocator.assignment(op.request.key) != nullptr
                                ? allocator.assignment(op.request.key)->addresses
                                : std::vector<IpAddress>{};
          const bool got = allocator.release(op.request.key);
          ASSERT_EQ(got, model.release(op.request.key));
          // Release frees: the Service holds nothing and no address lists it.
          ASSERT_EQ(allocator.assignment(op.request.key), nullptr);
          for (const auto& a : held) {
            for (const auto& h : allocator.holders(a)) ASSERT_NE(h, op.request.key);
          }
          break;
        }
        case Operation::Kind::kReload: {
          auto got = allocator.set_pools(configs[static_cast<std::size_t>(op.configuration)]);
          const ModelReload want =
              model.set_pools(configs[static_cast<std::size_t>(op.configuration)]);
          ASSERT_EQ(got.has_value(), want.ok);
          if (got) {
            std::vector<ServiceKey> cleared;
            std::vector<ServiceKey> moved;
            for (const auto& c : got.value().cleared) cleared.push_back(c.service);
            for (const auto& m : got.value().moved) moved.push_back(m.service);
            ASSERT_EQ(cleared, want.cleared);
            ASSERT_EQ(moved, want.moved);
          }
          break;
        }
      }

      // The whole state agrees.
      ASSERT_EQ(allocator.assignments(), model.assignments());
      for (const auto& a : addresses) {
        const auto holders = allocator.holders(a);
        ASSERT_EQ(holders, model.holders(a)) << a.to_string();
        shared += holders.size() > 1;
      }
      // Counts equal a brute-force recount.
      for (const Pool& p : model.pools()) {
        const auto counts = allocator.counts(p.name);
        ASSERT_TRUE(counts);
        ASSERT_TRUE(counts.value() == model.counts(p.name)) << p.name;
      }
      // No address is held by incompatible Services.
      std::string problem;
      ASSERT_TRUE(model.sharing_is_sound(&problem)) << problem;
    }

    // Determinism: the same history gives the same decisions, word for word, and the same
    // final state.
    Allocator replay1;
    Allocator replay2;
    for (const auto& op : history) {
      ASSERT_EQ(apply(replay1, op, configs), apply(replay2, op, configs));
    }
    ASSERT_EQ(replay1.assignments(), allocator.assignments());
  }
  // The sequences must exercise the rules, not only their errors.
  EXPECT_GT(successes, operations / 5);
  EXPECT_GT(shared, 100u);
  RecordProperty("operations", std::to_string(operations));
}

INSTANTIATE_TEST_SUITE_P(Shards, AllocatorModelProperties, ::testing::Range(0, kShards));

// The same random history on 203.0.113.0/24 and on 2001:db8::/64 gives the same offsets, and
// every automatic allocation takes the lowest free address (checked against a plain set).
TEST(AllocatorProperties, Ipv4SlashTwentyFourAndIpv6SlashSixtyFourBehaveAlike) {
  for (int sequence = 0; sequence < 200; ++sequence) {
    std::mt19937_64 random(0xab5eedu + static_cast<std::uint64_t>(sequence));
    Allocator v4 = with_pools({pool("p", {"203.0.113.0/24"})});
    Allocator v6 = with_pools({pool("p", {"2001:db8::/64"})});
    const u128 base4 = ip("203.0.113.0").value();
    const u128 base6 = ip("2001:db8::").value();
    std::set<u128> held;  // offsets
    std::map<std::string, u128> owner;
    for (int step = 0; step < 300; ++step) {
      const std::string name = "s" + std::to_string(random() % 200);
      if (owner.count(name) != 0 && random() % 3 == 0) {
        ASSERT_TRUE(v4.release(key(name)));
        ASSERT_TRUE(v6.release(key(name)));
        held.erase(owner[name]);
        owner.erase(name);
        continue;
      }
      auto a4 = v4.assign(Svc(name));
      auto a6 = v6.assign(Svc(name).v6());
      ASSERT_TRUE(a4 && a6);
      const u128 off4 = a4.value().addresses[0].value() - base4;
      const u128 off6 = a6.value().addresses[0].value() - base6;
      ASSERT_TRUE(off4 == off6) << name;
      if (owner.count(name) != 0) {
        ASSERT_TRUE(owner[name] == off4) << "a Service kept its address";
        continue;
      }
      u128 lowest = 0;
      while (held.count(lowest) != 0) ++lowest;
      ASSERT_TRUE(off4 == lowest) << "the lowest free address is taken";
      held.insert(off4);
      owner[name] = off4;
    }
    ASSERT_TRUE(v4.counts("p").value().v4.in_use == held.size());
    ASSERT_TRUE(v6.counts("p").value().v6.in_use == held.size());
  }
}

// Avoid-buggy-ips across many /24 boundaries: allocations walk the usable addresses in order,
// and a freed address is the next one handed out.
TEST(AllocatorProperties, AvoidBuggyIpsAcrossSlashTwentyFourBoundaries) {
  for (int sequence = 0; sequence < 100; ++sequence) {
    std::mt19937_64 random(0xb0661eu + static_cast<std::uint64_t>(sequence));
    Allocator allocator =
        with_pools({pool("p", {"198.18.0.250-198.18.3.5"}, {.avoid_buggy = true})});
    std::vector<IpAddress> usable;
    for (IpAddress a = ip("198.18.0.250"); a <= ip("198.18.3.5"); a = *a.next()) {
      const auto low = a.v4_value() & 0xff;
      if (low != 0 && low != 255) usable.push_back(a);
    }
    ASSERT_TRUE(allocator.counts("p").value().v4.total == usable.size());
    std::set<IpAddress> held;
    std::map<std::string, IpAddress> owner;
    for (int step = 0; step < 800; ++step) {
      const std::string name = "s" + std::to_string(random() % 600);
      if (owner.count(name) != 0) {
        if (random() % 2 == 0) {
          ASSERT_TRUE(allocator.release(key(name)));
          held.erase(owner.at(name));
          owner.erase(name);
        }
        continue;
      }
      auto got = allocator.assign(Svc(name));
      const auto expected = std::find_if(usable.begin(), usable.end(),
                                         [&](const IpAddress& a) { return held.count(a) == 0; });
      if (expected == usable.end()) {
        ASSERT_FALSE(got);
        continue;
      }
      ASSERT_TRUE(got) << got.error().message();
      ASSERT_EQ(got.value().addresses[0], *expected);
      held.insert(*expected);
      owner.emplace(name, *expected);
    }
  }
}

}  // namespace
}  // namespace vipd::allocator
