#include "daemon/route_reconciler.hpp"

#include <algorithm>
#include <tuple>

namespace vipd::daemon {
namespace {

auto decision_order(const planner::Decision& d) {
  return std::tie(d.service, d.address, d.peer, d.prefix, d.reason, d.detail);
}

struct DecisionLess {
  bool operator()(const planner::Decision& a, const planner::Decision& b) const {
    return decision_order(a) < decision_order(b);
  }
};

std::string describe(const planner::Decision& d) {
  const bool announced = d.reason == planner::Reason::kAnnounced;
  return d.service + (announced ? " announces " : " does not announce ") +
         (d.prefix    ? d.prefix->to_string()
          : d.address ? d.address->to_string()
                      : "") +
         " to " + (d.peer.empty() ? "any peer" : d.peer) + ": " + std::string(to_string(d.reason)) +
         (d.detail.empty() ? "" : ": " + d.detail);
}

std::string address_of(const config::Peer& peer) {
  return peer.address ? peer.address->to_string() : peer.name;
}

}  // namespace

std::vector<Note> RouteReconciler::apply(planner::Plan plan, const HostContext& host) {
  std::vector<Note> notes;
  std::set<std::string> desired;
  for (auto& p : plan.peers) {
    const std::string address = address_of(*p.peer);
    auto settings = to_peer_config(
        *p.peer, host_facts(*p.peer, host.node, host.host, host.node_addresses), host.options);
    auto bfd = settings ? to_bfd_settings(*p.peer, p.bfd, settings.value())
                        : Result<std::optional<BfdPeerSettings>>(std::nullopt);
    if (!settings || !bfd) {
      const std::string problem = !settings ? settings.error().message() : bfd.error().message();
      if (problems_[address] != problem) {
        notes.push_back({Note::Level::kError, "peer " + address + ": " + problem});
        problems_[address] = problem;
      }
      continue;
    }
    problems_.erase(address);
    desired.insert(address);
    auto [it, fresh] = applied_.try_emplace(address);
    Applied& applied = it->second;
    const bool changed = fresh || !(applied.config == settings.value());
    // BFD first: a new peer with BFD must find its gate closed.
    if (fresh ? bfd.value().has_value() : applied.bfd != bfd.value()) {
      if (!fresh) {
        notes.push_back(
            {Note::Level::kInfo,
             "peer " + address + ": BFD " +
                 (!bfd.value()   ? "removed"
                  : !applied.bfd ? "profile \"" + bfd.value()->profile + "\" added"
                                 : "profile \"" + bfd.value()->profile + "\" applied")});
      }
      speaker_.set_bfd(address, bfd.value());
      applied.bfd = std::move(bfd.value());
    }
    if (changed) {
      if (settings.value().session.fsm.router_id == 0) {
        notes.push_back(
            {Note::Level::kError, "peer " + address +
                                      ": no IPv4 address on this host to use as the router id; set "
                                      "router-id"});
      }
      notes.push_back({Note::Level::kInfo,
                       "peer " + address +
                           (fresh && applied.bfd ? ": added; BGP waits for BFD (profile \"" +
                                                       applied.bfd->profile + "\") to be Up"
                            : fresh ? ": added"
                                    : ": settings changed; restarting "
                                      "its session")});
      speaker_.add_peer(settings.value());
      applied.config = std::move(settings.value());
    }
    if (applied.config.session.fsm.passive) {
      const std::pair<IpAddress, std::uint16_t> endpoint{
          applied.config.session.source_address.value_or(
              applied.config.session.peer_address.is_v4() ? IpAddress::v4(0) : IpAddress()),
          kBgpPort};
      if (!listening_.contains(endpoint)) {
        if (auto r = speaker_.listen(endpoint.first, endpoint.second); !r) {
          notes.push_back(
              {Note::Level::kError,
               "peer " + address + ": cannot accept connections: " + r.error().message()});
        } else {
          listening_.insert(endpoint);
          notes.push_back({Note::Level::kInfo, "accepting BGP connections on " +
                                                   endpoint.first.to_string() + " port " +
                                                   std::to_string(endpoint.second)});
        }
      }
    }
    identities_[address] = {p.peer->name.empty() ? address : p.peer->name, p.peer->peer_asn,
                            p.peer->my_asn};
    // A re-added peer starts with no routes in the speaker: give it its set again.
    // Interned attributes compare by pointer: equal sets share every attribute set. The
    // speaker's own copy is the one compared with: the reconciler keeps none.
    auto routes = to_route_set(std::move(p.routes), speaker_.interner());
    const bgp::RouteSet* held = speaker_.peer_routes(address);
    if (changed || held == nullptr || *held != routes) {
      speaker_.set_peer_routes(address, std::move(routes));
    }
  }
  for (auto it = applied_.begin(); it != applied_.end();) {
    if (desired.contains(it->first)) {
      ++it;
      continue;
    }
    notes.push_back({Note::Level::kInfo,
                     "peer " + it->first + ": no longer configured for this node; closing"});
    speaker_.remove_peer(it->first, "peer removed from the configuration");
    if (it->second.bfd) speaker_.set_bfd(it->first, std::nullopt);
    identities_.erase(it->first);
    it = applied_.erase(it);
  }
  // Decisions new since the last plan, in the plan's order. The planner sorts them
  // (decision_order), so the last plan's are searched in place, without a copy; a list given
  // in another order is searched one by one.
  const bool sorted = std::is_sorted(decisions_.begin(), decisions_.end(), DecisionLess{});
  const auto known = [&](const planner::Decision& d) {
    return sorted ? std::binary_search(decisions_.begin(), decisions_.end(), d, DecisionLess{})
                  : std::find(decisions_.begin(), decisions_.end(), d) != decisions_.end();
  };
  for (const auto& d : plan.decisions) {
    if ((d.prefix || d.address) && !known(d)) notes.push_back({Note::Level::kInfo, describe(d)});
  }
  decisions_ = std::move(plan.decisions);
  return notes;
}

std::vector<Note> bounded_notes(std::vector<Note> notes, std::size_t max_info) {
  std::size_t info = 0;
  std::size_t cut = 0;
  std::vector<Note> out;
  out.reserve(std::min(notes.size(), max_info + 1));
  for (auto& n : notes) {
    if (n.level == Note::Level::kInfo && info++ >= max_info) {
      ++cut;
      continue;
    }
    out.push_back(std::move(n));
  }
  if (cut > 0) {
    out.push_back({Note::Level::kInfo, "... and " + std::to_string(cut) +
                                           " more like these, not logged one by one (vipd "
                                           "status shows every service and decision)"});
  }
  return out;
}

void RouteReconciler::withdraw_all() {
  for (auto& [address, applied] : applied_) {
    const bgp::RouteSet* held = speaker_.peer_routes(address);
    if (held != nullptr && held->empty()) continue;
    speaker_.set_peer_routes(address, {});
  }
}

}  // namespace vipd::daemon
