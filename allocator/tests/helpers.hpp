#pragma once
// Builders shared by the allocator tests: addresses, blocks, pools and requests from text.

#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "allocator/allocator.hpp"
#include "allocator/types.hpp"

namespace vipd::allocator {

// Readable failure messages for GoogleTest.
inline void PrintTo(const ServiceKey& k, std::ostream* os) { *os << k.to_string(); }
inline void PrintTo(const Assignment& a, std::ostream* os) {
  *os << a.pool << ":";
  for (const auto& address : a.addresses) *os << " " << address.to_string();
}

}  // namespace vipd::allocator

namespace vipd::allocator::test {

inline IpAddress ip(std::string_view text) { return IpAddress::parse(text).value(); }

inline AddressBlock block(std::string_view text) {
  if (text.find('-') != std::string_view::npos) return IpRange::parse(text).value();
  return Prefix::parse(text).value();
}

struct PoolOptions {
  bool auto_assign = true;
  bool avoid_buggy = false;
  std::vector<std::string> namespaces;
  std::vector<LabelSelector> namespace_selectors;
  std::vector<LabelSelector> service_selectors;
  std::optional<int> priority;
};

inline Pool pool(std::string name, const std::vector<std::string>& blocks,
                 PoolOptions options = {}) {
  Pool p;
  p.name = std::move(name);
  for (const auto& b : blocks) p.addresses.push_back(block(b));
  p.auto_assign = options.auto_assign;
  p.avoid_buggy_ips = options.avoid_buggy;
  p.namespaces = std::move(options.namespaces);
  p.namespace_selectors = std::move(options.namespace_selectors);
  p.service_selectors = std::move(options.service_selectors);
  p.priority = options.priority;
  return p;
}

inline LabelSelector selector(Labels match_labels) {
  return LabelSelector{std::move(match_labels), {}};
}

// "ns/name", or "name" for the namespace "default".
inline ServiceKey key(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return {"default", std::string(text)};
  return {std::string(text.substr(0, slash)), std::string(text.substr(slash + 1))};
}

inline std::vector<RequestedAddress> wants(const std::vector<std::string>& addresses,
                                           AddressSource source = AddressSource::kAnnotation) {
  std::vector<RequestedAddress> out;
  for (const auto& a : addresses) out.push_back({ip(a), source});
  return out;
}

inline std::vector<Port> ports(const std::vector<std::string>& specs) {
  std::vector<Port> out;
  for (const auto& s : specs) {
    const auto slash = s.find('/');
    const auto proto = s.substr(0, slash);
    const Protocol p = proto == "TCP"   ? Protocol::kTcp
                       : proto == "UDP" ? Protocol::kUdp
                                        : Protocol::kSctp;
    out.push_back({p, static_cast<std::uint16_t>(std::stoi(s.substr(slash + 1)))});
  }
  return out;
}

inline std::vector<std::string> strings(const std::vector<IpAddress>& addresses) {
  std::vector<std::string> out;
  for (const auto& a : addresses) out.push_back(a.to_string());
  return out;
}

// A request built step by step: Svc("ns/web").ips({"203.0.113.7"}).share("k").
struct Svc {
  ServiceRequest r;
  explicit Svc(std::string_view k) { r.key = key(k); }
  Svc& ips(const std::vector<std::string>& a, AddressSource s = AddressSource::kAnnotation) {
    r.requested = wants(a, s);
    return *this;
  }
  Svc& from(std::string pool) {
    r.pool = std::move(pool);
    return *this;
  }
  Svc& share(std::string sharing_key) {
    r.sharing_key = std::move(sharing_key);
    return *this;
  }
  Svc& on(const std::vector<std::string>& p) {
    r.ports = ports(p);
    return *this;
  }
  Svc& local(Labels selector) {
    r.traffic_policy = TrafficPolicy::kLocal;
    r.backend_selector = std::move(selector);
    return *this;
  }
  Svc& backend(Labels selector) {  // the selector, traffic policy unchanged
    r.backend_selector = std::move(selector);
    return *this;
  }
  Svc& families(IpFamilyPolicy policy, std::vector<Family> f) {
    r.family_policy = policy;
    r.families = std::move(f);
    return *this;
  }
  Svc& v6() { return families(IpFamilyPolicy::kSingleStack, {Family::kV6}); }
  Svc& require_dual() {
    return families(IpFamilyPolicy::kRequireDualStack, {Family::kV4, Family::kV6});
  }
  Svc& prefer_dual() {
    return families(IpFamilyPolicy::kPreferDualStack, {Family::kV4, Family::kV6});
  }
  Svc& labels(Labels l) {
    r.service_labels = std::move(l);
    return *this;
  }
  Svc& ns_labels(Labels l) {
    r.namespace_labels = std::move(l);
    return *this;
  }
  operator const ServiceRequest&() const { return r; }
};

// One step of a scenario on one allocator. `want` empty means the step must fail with an
// error containing `error`, and leave the allocator exactly as it was.
struct Step {
  std::string desc;
  enum class Op { kAssign, kRelease, kAdopt } op = Op::kAssign;
  ServiceRequest request;
  std::vector<std::string> want;
  std::string pool;   // expected pool, when not empty
  std::string error;  // expected part of the error message
  std::vector<std::string> adopt = {};
};

inline Step assign(std::string desc, const Svc& svc, std::vector<std::string> want,
                   std::string pool = "") {
  return {std::move(desc), Step::Op::kAssign, svc.r, std::move(want), std::move(pool), ""};
}
inline Step refuse(std::string desc, const Svc& svc, std::string error) {
  return {std::move(desc), Step::Op::kAssign, svc.r, {}, "", std::move(error)};
}
inline Step release(std::string desc, std::string_view service) {
  Svc svc(service);
  return {std::move(desc), Step::Op::kRelease, svc.r, {}, "", ""};
}

inline void run(Allocator& allocator, const std::vector<Step>& steps) {
  for (const Step& step : steps) {
    SCOPED_TRACE(step.desc);
    if (step.op == Step::Op::kRelease) {
      allocator.release(step.request.key);
      EXPECT_EQ(allocator.assignment(step.request.key), nullptr);
      continue;
    }
    const auto before = allocator.assignments();
    std::vector<IpAddress> adopted;
    for (const auto& a : step.adopt) adopted.push_back(ip(a));
    auto result = step.op == Step::Op::kAdopt ? allocator.adopt(step.request, adopted)
                                              : allocator.assign(step.request);
    if (step.want.empty()) {
      ASSERT_FALSE(result) << "got " << ::testing::PrintToString(strings(result.value().addresses));
      EXPECT_NE(result.error().message().find(step.error), std::string::npos)
          << "message: " << result.error().message() << "\nexpected part: " << step.error;
      EXPECT_EQ(allocator.assignments(), before) << "a refused step changed the allocator";
      continue;
    }
    ASSERT_TRUE(result) << result.error().message();
    EXPECT_EQ(strings(result.value().addresses), step.want);
    if (!step.pool.empty()) {
      EXPECT_EQ(result.value().pool, step.pool);
    }
    const Assignment* recorded = allocator.assignment(step.request.key);
    ASSERT_NE(recorded, nullptr);
    EXPECT_EQ(*recorded, result.value());
  }
}

inline Allocator with_pools(std::vector<Pool> pools) {
  Allocator allocator;
  auto loaded = allocator.set_pools(std::move(pools));
  EXPECT_TRUE(loaded) << loaded.error().message();
  return allocator;
}

}  // namespace vipd::allocator::test
