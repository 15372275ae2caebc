// ================================================================================================
// Settings vipd reads but does not implement yet.
//
// Nothing is accepted and ignored: each row below refuses one setting at load time, with an error
// at every place it is used. When a feature lands, delete its row (and its cases in
// tests/refusals_test.cpp); nothing else refers to this list. The checks that stay whatever vipd
// implements (MetalLB's rules, such as BFD echo over IPv6) live in validate.cpp.
// ================================================================================================
#include <string_view>

#include "config/validate.hpp"

namespace vipd::config {
namespace {

enum class Mode {
  kAny,         // refused in every mode (`vipd standalone` and the Kubernetes mode)
  kStandalone,  // refused in the standalone file only
};

// An element of one of the model's lists that uses the setting.
using Uses = bool (*)(const Config&, std::size_t);

struct Refusal {
  Mode mode;
  std::string_view list;   // the model list: peers, pools, bfd_profiles, l2_advertisements
  std::string_view field;  // where the error points in the element ("": the element itself)
  Uses uses;
  std::string_view message;  // what is not supported, and what to write instead
};

const Peer& peer(const Config& c, std::size_t i) { return c.peers[i]; }

constexpr Refusal kRefusals[] = {
    {Mode::kAny, "bfd_profiles", "echo_mode",
     [](const Config& c, std::size_t i) { return c.bfd_profiles[i].echo_mode; },
     "BFD echo mode is not supported: set echoMode to false (asynchronous mode, with "
     "receiveInterval and transmitInterval, detects the failure)"},
    {Mode::kAny, "peers", "vrf",
     [](const Config& c, std::size_t i) { return !peer(c, i).vrf.empty(); },
     "VRFs are not supported yet: remove vrf; sessions use the host's default routing table"},
    {Mode::kAny, "peers", "interface",
     [](const Config& c, std::size_t i) { return !peer(c, i).interface.empty(); },
     "BGP unnumbered (interface) is not supported yet: give the peer's address in peerAddress"},
    {Mode::kAny, "peers", "dynamic_asn",
     [](const Config& c, std::size_t i) { return peer(c, i).dynamic_asn != DynamicAsn::kNone; },
     "dynamicASN is not supported yet: give the peer's ASN in peerASN"},
    {Mode::kAny, "peers", "local_asn",
     [](const Config& c, std::size_t i) { return peer(c, i).local_asn != 0; },
     "localASN is not supported (nor is it in MetalLB's native BGP mode): set myASN to the ASN "
     "the peer expects"},
    {Mode::kAny, "peers", "disable_mp",
     [](const Config& c, std::size_t i) { return peer(c, i).disable_mp; },
     "disableMP: true is not supported: use dualStackAddressFamily (false: each session carries "
     "its own address family only; true: both)"},
    {Mode::kAny, "peers", "gtsm",
     [](const Config& c, std::size_t i) { return peer(c, i).gtsm && peer(c, i).ebgp_multihop; },
     "GTSM with ebgp-multihop is not supported yet (GTSM accepts only peers one hop away): "
     "remove one of the two"},
    {Mode::kAny, "peers", "gtsm",
     [](const Config& c, std::size_t i) { return peer(c, i).gtsm && peer(c, i).passive; },
     "GTSM on a passive session is not supported yet (the listener is shared with every peer, "
     "so it cannot drop their segments before the connection is matched to a peer): keep GTSM "
     "with vipd connecting, or drop passive"},
    {Mode::kStandalone, "peers", "password_secret",
     [](const Config& c, std::size_t i) { return !peer(c, i).password_secret.empty(); },
     "Kubernetes Secrets are not supported in standalone mode (it reads none): write the password "
     "in password"},
    {Mode::kStandalone, "pools", "service_allocation.namespace_selectors",
     [](const Config& c, std::size_t i) {
       const auto& a = c.pools[i].service_allocation;
       return a && !a->namespace_selectors.empty();
     },
     "namespace selectors are not supported in standalone mode (its namespaces have no labels): "
     "list the namespaces in namespaces"},
};

std::size_t size_of(const Config& c, std::string_view list) {
  if (list == "peers") return c.peers.size();
  if (list == "pools") return c.pools.size();
  if (list == "bfd_profiles") return c.bfd_profiles.size();
  if (list == "l2_advertisements") return c.l2_advertisements.size();
  return 0;
}

}  // namespace

void refuse_unsupported(const Config& config, SourceFormat format, const Origins& origins,
                        Diagnostics& diagnostics) {
  for (const auto& r : kRefusals) {
    if (r.mode == Mode::kStandalone && format != SourceFormat::kStandalone) continue;
    for (std::size_t i = 0; i < size_of(config, r.list); ++i) {
      if (!r.uses(config, i)) continue;
      const auto element = key(r.list, i);
      diagnostics.error(origins.find(r.field.empty() ? element : key(element, r.field)),
                        std::string(r.message));
    }
  }
}

}  // namespace vipd::config
