#include "daemon/report.hpp"

#include <boost/json.hpp>
#include <chrono>
#include <limits>

#include "daemon/metrics.hpp"

namespace vipd::daemon {
namespace {

std::string address_of(const PeerView& p) { return p.status.address; }

// Exact in JSON: a number while it fits 64 bits, else its decimal text (an IPv6 /0 pool).
boost::json::value exact(u128 v) {
  if (v <= std::numeric_limits<std::uint64_t>::max()) return static_cast<std::uint64_t>(v);
  std::string digits;
  while (v > 0) {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  }
  return boost::json::string(digits);
}

}  // namespace

boost::json::value status_document(const ReportInput& in) {
  namespace json = boost::json;
  json::array peers;
  std::map<std::string, std::string> name_of;  // peer name -> address, for announcements
  for (const auto& p : in.peers) {
    const auto& s = p.status;
    json::object o{{"name", p.name},
                   {"address", s.address},
                   {"asn", p.asn},
                   {"local_asn", p.local_asn},
                   {"state", std::string(bgp::to_string(s.state))},
                   {"last_error", s.last_error},
                   {"updates_sent", s.updates_sent},
                   {"messages_received", s.messages_received},
                   {"prefixes", {{"ipv4", s.advertised_ipv4}, {"ipv6", s.advertised_ipv6}}}};
    if (s.established_since) {
      o["established_for_seconds"] = std::chrono::duration_cast<std::chrono::seconds>(
                                         std::chrono::steady_clock::now() - *s.established_since)
                                         .count();
    }
    json::object transitions;
    for (const auto& [reason, count] : s.transitions) {
      transitions[std::string(bgp::to_string(reason))] = count;
    }
    o["transitions"] = std::move(transitions);
    peers.push_back(std::move(o));
  }
  json::array announcements;
  for (const auto& d : in.decisions) {
    json::object o{
        {"peer", d.peer.empty() ? "*" : d.peer},
        {"prefix", d.prefix ? d.prefix->to_string() : (d.address ? d.address->to_string() : "")},
        {"service", d.service},
        {"reason", std::string(to_string(d.reason))},
        {"detail", d.detail}};
    announcements.push_back(std::move(o));
  }
  json::array services;
  for (const auto& s : in.services) {
    json::array addresses;
    for (const auto& a : s.addresses) addresses.push_back(json::string(a.to_string()));
    json::value health = nullptr;
    if (s.health) {
      health = json::object{{"state", std::string(to_string(s.health->verdict))},
                            {"last_result", s.health->last_result},
                            {"kind", s.health_kind},
                            {"checks", s.health->checks},
                            {"failures", s.health->failures}};
    }
    services.push_back(json::object{{"name", s.key},
                                    {"addresses", std::move(addresses)},
                                    {"pool", s.pool},
                                    {"traffic_policy", s.traffic_policy},
                                    {"health", std::move(health)},
                                    {"error", s.error}});
  }
  json::array pools;
  for (const auto& p : in.pools) {
    pools.push_back(json::object{{"name", p.name},
                                 {"family", p.family},
                                 {"total", exact(p.total)},
                                 {"in_use", exact(p.in_use)}});
  }
  json::array errors;
  for (const auto& e : in.config_errors) errors.push_back(json::string(e));
  return json::object{{"node", in.node},
                      {"mode", in.mode},
                      {"version", in.version},
                      {"ready", in.ready},
                      {"config",
                       {{"file", in.config_file},
                        {"stale", in.config_stale},
                        {"loaded", in.config_loaded},
                        {"errors", std::move(errors)}}},
                      {"peers", std::move(peers)},
                      {"announcements", std::move(announcements)},
                      {"services", std::move(services)},
                      {"pools", std::move(pools)}};
}

std::string metrics_text(const ReportInput& in) {
  Exposition e;
  auto& up = e.add(metric::kBgpSessionUp);
  auto& updates = e.add(metric::kBgpUpdatesTotal);
  auto& prefixes = e.add(metric::kBgpAnnouncedPrefixes);
  auto& transitions = e.counter("vipd_bgp_session_transitions_total",
                                "BGP session state changes, by the reason of the change");
  for (const auto& p : in.peers) {
    const auto& s = p.status;
    up.sample({{"peer", address_of(p)}}, s.state == bgp::State::kEstablished ? 1 : 0);
    updates.sample({{"peer", address_of(p)}}, s.updates_sent);
    prefixes.sample({{"peer", address_of(p)}}, s.advertised_ipv4 + s.advertised_ipv6);
    for (const auto& [reason, count] : s.transitions) {
      transitions.sample({{"peer", address_of(p)}, {"reason", std::string(bgp::to_string(reason))}},
                         count);
    }
  }
  auto& total = e.add(metric::kAllocatorAddressesTotal);
  auto& in_use = e.add(metric::kAllocatorAddressesInUse);
  for (const auto& p : in.pools) {
    total.sample({{"pool", p.name}, {"family", p.family}}, p.total);
    in_use.sample({{"pool", p.name}, {"family", p.family}}, p.in_use);
  }
  auto& passing = e.add(metric::kHealthCheckPassing);
  for (const auto& s : in.services) {
    if (!s.health) continue;
    passing.sample({{"service", s.key}, {"kind", s.health_kind}},
                   s.health->verdict == Verdict::kPassing ? 1 : 0);
  }
  e.add(metric::kConfigStale).sample({}, in.config_stale ? 1 : 0);
  e.add(metric::kProcessResidentMemory).sample({}, in.resident_memory);
  return e.text();
}

}  // namespace vipd::daemon
