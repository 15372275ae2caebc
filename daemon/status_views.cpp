#include "daemon/status_views.hpp"

namespace vipd::daemon {

admin::PeerView peer_view(const bgp::PeerStatus& s, const PeerIdentity* identity,
                          Clock::time_point now) {
  admin::PeerView v;
  if (identity) {
    v.name = identity->name;
    v.asn = identity->asn;
    v.local_asn = identity->local_asn;
  }
  v.address = s.address;
  v.state = std::string(bgp::to_string(s.state));
  v.established = s.state == bgp::State::kEstablished;
  v.last_error = s.last_error;
  v.advertised_ipv4 = s.advertised_ipv4;
  v.advertised_ipv6 = s.advertised_ipv6;
  v.updates_sent = s.updates_sent;
  v.messages_received = s.messages_received;
  v.route_refreshes_answered = s.route_refreshes_answered;
  if (s.established_since) {
    v.established_for =
        std::chrono::duration_cast<std::chrono::seconds>(now - *s.established_since);
  }
  for (const auto& [reason, count] : s.transitions) {
    v.transitions[std::string(bgp::to_string(reason))] = count;
  }
  if (s.gate_closed) v.gate_closed = *s.gate_closed;
  return v;
}

admin::AnnouncementView announcement_view(const planner::Decision& d) {
  return {d.peer, d.prefix ? d.prefix->to_string() : (d.address ? d.address->to_string() : ""),
          d.service, std::string(to_string(d.reason)), d.detail};
}

void fill_announcements(admin::DaemonStatus& status,
                        const std::vector<planner::Decision>& decisions,
                        const std::map<std::string, PeerIdentity>& peers,
                        const admin::StatusQuery& query) {
  // Decisions name their peer; a query may give its address.
  std::map<std::string_view, std::string_view> address_of;
  for (const auto& [address, identity] : peers) address_of.emplace(identity.name, address);
  std::map<planner::Reason, std::uint64_t> reasons;
  admin::ListPage page(query);
  for (const auto& d : decisions) {
    page.entry();
    ++reasons[d.reason];
    if (!query.announcements) continue;
    if (!query.peer.empty()) {
      const auto it = address_of.find(d.peer.view());
      if (!query.peer_matches(d.peer.view(), it == address_of.end() ? "" : it->second)) continue;
    }
    if (!query.service_matches(d.service)) continue;
    if (query.prefix && !(d.prefix    ? query.prefix_matches(*d.prefix)
                          : d.address ? query.address_matches(*d.address)
                                      : false)) {
      continue;
    }
    if (page.admit()) status.announcements.push_back(announcement_view(d));
  }
  status.announcements_count = page.count();
  for (const auto& [reason, count] : reasons) {
    status.announcement_reasons[std::string(to_string(reason))] = count;
  }
}

admin::HealthView health_view(const config::HealthCheck& check,
                              const health::HealthChecker::Status* status) {
  using K = config::HealthCheck::Kind;
  admin::HealthView h;
  h.kind = check.kind == K::kTcp ? "tcp" : check.kind == K::kHttp ? "http" : "exec";
  h.state = std::string(health::to_string(status ? status->verdict : health::Verdict::kUnknown));
  if (status) {
    h.last_result = status->last_result;
    h.checks = status->checks;
    h.failures = status->failures;
  }
  return h;
}

}  // namespace vipd::daemon
