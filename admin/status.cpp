#include "admin/status.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <limits>

#include "admin/metrics.hpp"

namespace vipd::admin {
namespace {

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

boost::json::value count_document(const ListCount& c) {
  boost::json::object o{
      {"total", c.total}, {"matched", c.matched}, {"offset", c.offset}, {"shown", c.shown}};
  if (c.offset + c.shown < c.matched) o["next_offset"] = c.offset + c.shown;
  return o;
}

}  // namespace

boost::json::value status_document(const DaemonStatus& in) {
  namespace json = boost::json;
  json::array peers;
  std::map<std::string, std::string> name_of;  // peer name -> address, for announcements
  for (const auto& p : in.peers) {
    json::object o{{"name", p.name},
                   {"address", p.address},
                   {"asn", p.asn},
                   {"local_asn", p.local_asn},
                   {"state", p.state},
                   {"last_error", p.last_error},
                   {"updates_sent", p.updates_sent},
                   {"messages_received", p.messages_received},
                   {"route_refreshes_answered", p.route_refreshes_answered},
                   {"prefixes", {{"ipv4", p.advertised_ipv4}, {"ipv6", p.advertised_ipv6}}}};
    if (p.established_for) o["established_for_seconds"] = p.established_for->count();
    json::object transitions;
    for (const auto& [reason, count] : p.transitions) transitions[reason] = count;
    o["transitions"] = std::move(transitions);
    if (!p.gate_closed.empty()) o["held_by_bfd"] = p.gate_closed;
    if (p.bfd) {
      const auto& b = *p.bfd;
      json::object bfd{{"profile", b.profile},
                       {"state", b.state},
                       {"diag", b.diag},
                       {"remote_state", b.remote_state},
                       {"remote_diag", b.remote_diag},
                       {"desired_min_tx_ms", b.desired_min_tx_ms},
                       {"required_min_rx_ms", b.required_min_rx_ms},
                       {"detect_multiplier", b.detect_multiplier},
                       {"passive", b.passive},
                       {"multihop", b.multihop},
                       {"transmit_interval_ms", b.transmit_interval_ms},
                       {"detection_time_ms", b.detection_time_ms},
                       {"packets_sent", b.packets_sent},
                       {"packets_received", b.packets_received},
                       {"packets_dropped", b.packets_dropped}};
      if (b.since_change) bfd["since_change_seconds"] = b.since_change->count();
      if (!b.problem.empty()) bfd["problem"] = b.problem;
      o["bfd"] = std::move(bfd);
    }
    peers.push_back(std::move(o));
  }
  json::array announcements;
  for (const auto& a : in.announcements) {
    announcements.push_back(json::object{{"peer", a.peer.empty() ? "*" : a.peer},
                                         {"prefix", a.prefix},
                                         {"service", a.service},
                                         {"reason", a.reason},
                                         {"detail", a.detail}});
  }
  json::array layer2;
  for (const auto& l : in.layer2) {
    json::array candidates;
    for (const auto& c : l.candidates) candidates.push_back(json::string(c));
    layer2.push_back(json::object{{"address", l.address},
                                  {"service", l.service},
                                  {"owner", l.owner},
                                  {"mine", l.mine},
                                  {"reason", l.reason},
                                  {"detail", l.detail},
                                  {"candidates", std::move(candidates)},
                                  {"state", l.state},
                                  {"interface", l.interface},
                                  {"error", l.error},
                                  {"gratuitous_sent", l.gratuitous_sent}});
  }
  json::array services;
  for (const auto& s : in.services) {
    json::array addresses;
    for (const auto& a : s.addresses) addresses.push_back(json::string(a.to_string()));
    json::value health = nullptr;
    if (s.health) {
      health = json::object{{"state", s.health->state},
                            {"last_result", s.health->last_result},
                            {"kind", s.health->kind},
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
  json::object document{{"node", in.node},
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
                        {"layer2", std::move(layer2)},
                        {"services", std::move(services)},
                        {"pools", std::move(pools)}};
  json::object reasons;
  for (const auto& [reason, count] : in.announcement_reasons) reasons[reason] = count;
  document["summary"] = json::object{
      {"services",
       {{"total", in.services_count.total},
        {"with_errors", in.services_with_errors},
        {"failing_health", in.services_failing_health}}},
      {"announcements", {{"total", in.announcements_count.total}, {"by_reason", reasons}}},
      {"layer2", {{"total", in.layer2_count.total}, {"here", in.layer2_here}}}};
  json::object query{{"offset", in.query.offset}, {"limit", in.query.limit}};
  if (!in.query.service.empty()) query["service"] = in.query.service;
  if (!in.query.peer.empty()) query["peer"] = in.query.peer;
  if (in.query.prefix) query["prefix"] = in.query.prefix->to_string();
  document["query"] = std::move(query);
  document["lists"] = json::object{{"services", count_document(in.services_count)},
                                   {"announcements", count_document(in.announcements_count)},
                                   {"layer2", count_document(in.layer2_count)}};
  if (!in.speaker_bfd.empty()) {
    json::array sessions;
    for (const auto& b : in.speaker_bfd) {
      sessions.push_back(json::object{{"node", b.node},
                                      {"address", b.address},
                                      {"state", b.state},
                                      {"diag", b.diag},
                                      {"failed", b.failed}});
    }
    document["speaker_bfd"] = std::move(sessions);
  }
  if (!in.live_speakers.empty()) {
    json::array live;
    for (const auto& n : in.live_speakers) live.push_back(json::string(n));
    document["live_speakers"] = std::move(live);
  }
  if (in.kubernetes) {
    json::array requests;
    for (const auto& [key, count] : in.kubernetes->requests) {
      requests.push_back(json::object{{"verb", key.first}, {"code", key.second}, {"count", count}});
    }
    json::array informers;
    for (const auto& i : in.kubernetes->informers) {
      informers.push_back(json::object{{"resource", i.resource},
                                       {"synced", i.synced},
                                       {"objects", i.objects},
                                       {"lists", i.lists},
                                       {"relists", i.relists},
                                       {"watch_restarts", i.watch_restarts},
                                       {"events", i.events},
                                       {"invalid", i.invalid}});
    }
    document["kubernetes"] = json::object{{"server", in.kubernetes->server},
                                          {"requests", std::move(requests)},
                                          {"informers", std::move(informers)}};
  }
  if (in.controller) {
    json::object writes;
    for (const auto& [object, count] : in.controller->writes) writes[object] = count;
    document["controller"] = json::object{{"identity", in.controller->identity},
                                          {"leading", in.controller->leading},
                                          {"holder", in.controller->holder},
                                          {"writes", std::move(writes)},
                                          {"write_failures", in.controller->write_failures},
                                          {"pending", in.controller->pending}};
  }
  return document;
}

std::string metrics_text(const DaemonStatus& in) {
  Exposition e;
  auto& up = e.add(metric::kBgpSessionUp);
  auto& updates = e.add(metric::kBgpUpdatesTotal);
  auto& refreshes = e.add(metric::kBgpRouteRefreshesAnswered);
  auto& prefixes = e.add(metric::kBgpAnnouncedPrefixes);
  auto& transitions = e.counter("vipd_bgp_session_transitions_total",
                                "BGP session state changes, by the reason of the change");
  for (const auto& p : in.peers) {
    const MetricLabels peer{{"peer", p.address}};
    up.sample(peer, p.established ? 1 : 0);
    updates.sample(peer, p.updates_sent);
    refreshes.sample(peer, p.route_refreshes_answered);
    prefixes.sample(peer, p.advertised_ipv4 + p.advertised_ipv6);
    for (const auto& [reason, count] : p.transitions) {
      transitions.sample({{"peer", p.address}, {"reason", reason}}, count);
    }
  }
  if (std::any_of(in.peers.begin(), in.peers.end(), [](const PeerView& p) { return p.bfd; }) ||
      !in.speaker_bfd.empty()) {
    auto& bfd_up = e.add(metric::kBfdSessionUp);
    for (const auto& p : in.peers) {
      if (p.bfd) bfd_up.sample({{"peer", p.address}}, p.bfd->state == "Up" ? 1 : 0);
    }
    for (const auto& b : in.speaker_bfd) {
      bfd_up.sample({{"peer", b.address}}, b.state == "Up" ? 1 : 0);
    }
  }
  if (!in.layer2.empty()) {
    auto& gratuitous = e.add(metric::kLayer2GratuitousSent);
    auto& owned = e.add(metric::kLayer2Owned);
    for (const auto& l : in.layer2) {
      const MetricLabels ip{{"ip", l.address}};
      owned.sample(ip, l.mine && l.state == "up" ? 1 : 0);
      if (l.mine || l.gratuitous_sent > 0) gratuitous.sample(ip, l.gratuitous_sent);
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
    passing.sample({{"service", s.key}, {"kind", s.health->kind}},
                   s.health->state == "passing" ? 1 : 0);
  }
  if (in.kubernetes) {
    auto& requests = e.add(metric::kK8sRequests);
    for (const auto& [key, count] : in.kubernetes->requests) {
      requests.sample({{"verb", key.first}, {"code", key.second}}, count);
    }
    auto& restarts = e.add(metric::kK8sWatchRestarts);
    auto& relists = e.add(metric::kK8sRelists);
    auto& invalid = e.add(metric::kK8sInvalidObjects);
    auto& objects = e.add(metric::kK8sCachedObjects);
    for (const auto& i : in.kubernetes->informers) {
      const MetricLabels resource{{"resource", i.resource}};
      restarts.sample(resource, i.watch_restarts);
      relists.sample(resource, i.relists);
      invalid.sample(resource, i.invalid);
      objects.sample(resource, i.objects);
    }
  }
  if (in.controller) {
    e.add(metric::kControllerLeader).sample({}, in.controller->leading ? 1 : 0);
    auto& writes = e.add(metric::kControllerWrites);
    for (const auto& [object, count] : in.controller->writes) {
      writes.sample({{"object", object}}, count);
    }
    e.add(metric::kControllerWriteFailures).sample({}, in.controller->write_failures);
    e.add(metric::kControllerWritesPending).sample({}, in.controller->pending);
  }
  e.add(metric::kConfigStale).sample({}, in.config_stale ? 1 : 0);
  e.add(metric::kProcessResidentMemory).sample({}, in.resident_memory);
  return e.text();
}

}  // namespace vipd::admin
