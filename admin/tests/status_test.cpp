// The /status document and the /metrics text built from one DaemonStatus, and the `vipd
// status` tables rendered from that document.
#include "admin/status.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "admin/render.hpp"

namespace vipd::admin {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
namespace json = boost::json;

DaemonStatus sample() {
  DaemonStatus s;
  s.node = "edge-1";
  s.mode = "standalone";
  s.version = "0.1.0";
  s.ready = true;
  s.config_file = "/etc/vipd/vipd.yaml";
  s.config_loaded = "2026-12-07T02:00:00Z";
  PeerView up;
  up.name = "router";
  up.address = "192.0.2.1";
  up.asn = 64500;
  up.local_asn = 64501;
  up.state = "Established";
  up.established = true;
  up.advertised_ipv4 = 2;
  up.advertised_ipv6 = 1;
  up.updates_sent = 3;
  up.messages_received = 7;
  up.route_refreshes_answered = 2;
  up.established_for = std::chrono::seconds(3725);
  up.transitions = {{"OpenReceived", 1}, {"KeepaliveReceived", 1}};
  PeerView down;
  down.name = "backup";
  down.address = "2001:db8::2";
  down.asn = 65551;
  down.local_asn = 64501;
  down.state = "Active";
  down.last_error = "connect: Connection refused";
  s.peers = {up, down};
  s.announcements = {{"router", "203.0.113.10/32", "default/web", "announced", ""},
                     {"", "203.0.113.11", "default/db", "healthCheckFailing", "HTTP 503"}};
  ServiceView web{"default/web", {IpAddress::parse("203.0.113.10").value()},       "public",
                  "Local",       HealthView{"http", "passing", "HTTP 200", 10, 0}, ""};
  ServiceView fresh{"default/new", {}, "", "Cluster", std::nullopt, "no free address"};
  s.services = {web, fresh};
  s.pools = {{"public", "ipv4", 256, 2}, {"public", "ipv6", kU128Max, 1}};
  s.resident_memory = 5 << 20;
  return s;
}

TEST(StatusDocument, CarriesEveryView) {
  const auto doc = status_document(sample());
  const auto& o = doc.as_object();
  EXPECT_EQ(o.at("node"), "edge-1");
  EXPECT_EQ(o.at("ready"), true);
  const auto& peers = o.at("peers").as_array();
  ASSERT_EQ(peers.size(), 2u);
  EXPECT_EQ(peers[0].at("state"), "Established");
  EXPECT_EQ(peers[0].at("established_for_seconds"), 3725);
  EXPECT_EQ(peers[0].at("updates_sent"), 3u);
  EXPECT_EQ(peers[0].at("route_refreshes_answered"), 2u);
  EXPECT_EQ(peers[1].at("route_refreshes_answered"), 0u);
  EXPECT_EQ(peers[0].at("prefixes").at("ipv4"), 2u);
  EXPECT_EQ(peers[0].at("transitions").at("OpenReceived"), 1u);
  EXPECT_FALSE(peers[1].as_object().contains("established_for_seconds"));
  EXPECT_EQ(peers[1].at("last_error"), "connect: Connection refused");
  const auto& announcements = o.at("announcements").as_array();
  EXPECT_EQ(announcements[1].at("peer"), "*");  // every peer
  EXPECT_EQ(announcements[1].at("reason"), "healthCheckFailing");
  const auto& services = o.at("services").as_array();
  EXPECT_EQ(services[0].at("health").at("state"), "passing");
  EXPECT_TRUE(services[1].at("health").is_null());
  // A pool size past 64 bits stays exact, as text.
  EXPECT_EQ(o.at("pools").as_array()[1].at("total"), "340282366920938463463374607431768211455");
}

TEST(StatusMetrics, OneSeriesPerPeerPoolAndCheck) {
  const auto text = metrics_text(sample());
  EXPECT_THAT(text, HasSubstr("vipd_bgp_session_up{peer=\"192.0.2.1\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("vipd_bgp_session_up{peer=\"2001:db8::2\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("vipd_bgp_updates_total{peer=\"192.0.2.1\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE vipd_bgp_route_refreshes_answered_total counter\n"));
  EXPECT_THAT(text, HasSubstr("vipd_bgp_route_refreshes_answered_total{peer=\"192.0.2.1\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("vipd_bgp_route_refreshes_answered_total{peer=\"2001:db8::2\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("vipd_bgp_announced_prefixes_total{peer=\"192.0.2.1\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("vipd_bgp_session_transitions_total{peer=\"192.0.2.1\",reason="
                              "\"OpenReceived\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("vipd_allocator_addresses_total{family=\"ipv6\",pool=\"public\"} "
                              "340282366920938463463374607431768211455\n"));
  EXPECT_THAT(text,
              HasSubstr("vipd_health_check_passing{kind=\"http\",service=\"default/web\"} 1\n"));
  EXPECT_THAT(text, Not(HasSubstr("default/new")));  // no check, no series
  EXPECT_THAT(text, HasSubstr("vipd_config_stale_bool 0\n"));
  EXPECT_THAT(text, HasSubstr("process_resident_memory_bytes 5242880\n"));
}

TEST(StatusKubernetes, RequestsAndInformersInTheDocumentAndTheMetrics) {
  auto s = sample();
  EXPECT_FALSE(status_document(s).as_object().contains("kubernetes"));
  EXPECT_THAT(metrics_text(s), Not(HasSubstr("vipd_k8s_")));  // a daemon without Kubernetes
  s.kubernetes =
      KubernetesView{"https://192.0.2.1:6443",
                     {{{"GET", "200"}, 12}, {{"WATCH", "200"}, 3}, {{"GET", "<error>"}, 1}},
                     {InformerView{"services", true, 40, 2, 1, 5, 77, 1}}};
  const auto doc = status_document(s);
  const auto& k = doc.at("kubernetes");
  EXPECT_EQ(k.at("server"), "https://192.0.2.1:6443");
  EXPECT_EQ(k.at("requests").as_array().size(), 3u);
  EXPECT_EQ(k.at("informers").at(0).at("relists"), 1u);
  EXPECT_EQ(k.at("informers").at(0).at("synced"), true);
  const auto text = metrics_text(s);
  EXPECT_THAT(text, HasSubstr("vipd_k8s_requests_total{code=\"200\",verb=\"GET\"} 12\n"));
  EXPECT_THAT(text, HasSubstr("vipd_k8s_requests_total{code=\"<error>\",verb=\"GET\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("vipd_k8s_watch_restarts_total{resource=\"services\"} 5\n"));
  EXPECT_THAT(text, HasSubstr("vipd_k8s_relists_total{resource=\"services\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("vipd_k8s_invalid_objects_total{resource=\"services\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("vipd_k8s_cached_objects{resource=\"services\"} 40\n"));
  const auto tables = render_status(doc);
  EXPECT_THAT(tables, HasSubstr("KUBERNETES https://192.0.2.1:6443"));
  EXPECT_THAT(tables, HasSubstr("INFORMERS"));
  EXPECT_THAT(tables, HasSubstr("services"));
  EXPECT_THAT(tables, HasSubstr("API REQUESTS"));
  EXPECT_THAT(render_status(status_document(sample())), Not(HasSubstr("KUBERNETES")));
}

TEST(StatusController, LeadershipAndWritesInTheDocumentTheMetricsAndTheTables) {
  auto s = sample();
  EXPECT_THAT(metrics_text(s), Not(HasSubstr("vipd_controller_")));
  s.controller = ControllerView{.identity = "ctl-a",
                                .leading = false,
                                .holder = "ctl-b",
                                .writes = {{"status", 7}, {"annotations", 3}},
                                .write_failures = 2,
                                .pending = 1};
  const auto doc = status_document(s);
  EXPECT_EQ(doc.at("controller").at("holder"), "ctl-b");
  EXPECT_EQ(doc.at("controller").at("writes").at("status"), 7u);
  const auto text = metrics_text(s);
  EXPECT_THAT(text, HasSubstr("vipd_controller_leader_bool 0\n"));
  EXPECT_THAT(text, HasSubstr("vipd_controller_writes_total{object=\"status\"} 7\n"));
  EXPECT_THAT(text, HasSubstr("vipd_controller_write_failures_total 2\n"));
  EXPECT_THAT(text, HasSubstr("vipd_controller_writes_pending 1\n"));
  EXPECT_THAT(render_status(doc), HasSubstr("CONTROLLER ctl-a   standby (leader: ctl-b)\n"
                                            "writes   annotations 3   status 7   failures 2"
                                            "   pending 1\n"));
  s.controller->leading = true;
  s.controller->holder = "ctl-a";
  EXPECT_THAT(render_status(status_document(s)), HasSubstr("CONTROLLER ctl-a   leader\n"));
  EXPECT_THAT(metrics_text(s), HasSubstr("vipd_controller_leader_bool 1\n"));
}

TEST(StatusLayer2, OwnersStatesAndCountersInTheDocumentTheMetricsAndTheTable) {
  auto s = sample();
  EXPECT_THAT(metrics_text(s), Not(HasSubstr("vipd_layer2_")));
  s.layer2 = {Layer2View{.address = "192.0.2.130",
                         .service = "default/web",
                         .owner = "edge-1",
                         .mine = true,
                         .reason = "owner",
                         .detail = "node 'edge-1' ranks first of 2 candidates",
                         .candidates = {"edge-1", "edge-2"},
                         .state = "up",
                         .interface = "eth0",
                         .gratuitous_sent = 10},
              Layer2View{.address = "192.0.2.131",
                         .service = "default/db",
                         .owner = "edge-2",
                         .reason = "notOwner",
                         .detail = "node 'edge-2' ranks first",
                         .candidates = {"edge-2", "edge-1"}}};
  s.live_speakers = {"edge-1", "edge-2"};
  const auto doc = status_document(s);
  EXPECT_EQ(doc.at("layer2").at(0).at("interface"), "eth0");
  EXPECT_EQ(doc.at("layer2").at(1).at("candidates").at(0), "edge-2");
  EXPECT_EQ(doc.at("live_speakers").at(1), "edge-2");
  const auto text = metrics_text(s);
  EXPECT_THAT(text, HasSubstr("vipd_layer2_gratuitous_sent{ip=\"192.0.2.130\"} 10\n"));
  EXPECT_THAT(text, Not(HasSubstr("vipd_layer2_gratuitous_sent{ip=\"192.0.2.131\"}")));
  EXPECT_THAT(text, HasSubstr("vipd_layer2_owned_bool{ip=\"192.0.2.130\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("vipd_layer2_owned_bool{ip=\"192.0.2.131\"} 0\n"));
  const auto table = render_status(doc);
  EXPECT_THAT(table, HasSubstr("LAYER 2"));
  EXPECT_THAT(table, HasSubstr("owner: node 'edge-1' ranks first of 2 candidates"));
  EXPECT_THAT(table, HasSubstr("notOwner: node 'edge-2' ranks first"));
}

TEST(StatusDocument, SummaryQueryAndPageCounts) {
  auto s = sample();
  s.query.service = "default/";
  s.query.offset = 1;
  s.query.limit = 1;
  s.services_count = {.total = 100'000, .matched = 3, .offset = 1, .shown = 1};
  s.services = {s.services[0]};
  s.announcements_count = {.total = 2, .matched = 1, .offset = 1, .shown = 0};
  s.announcements.clear();
  s.announcement_reasons = {{"announced", 99'990}, {"noEndpoints", 10}};
  s.services_with_errors = 1;
  s.services_failing_health = 2;
  const auto doc = status_document(s);
  const auto& o = doc.as_object();
  EXPECT_EQ(json::serialize(o.at("summary")),
            R"({"services":{"total":100000,"with_errors":1,"failing_health":2},)"
            R"("announcements":{"total":2,"by_reason":{"announced":99990,"noEndpoints":10}},)"
            R"("layer2":{"total":0,"here":0}})");
  EXPECT_EQ(json::serialize(o.at("query")), R"({"offset":1,"limit":1,"service":"default/"})");
  EXPECT_EQ(json::serialize(o.at("lists").at("services")),
            R"({"total":100000,"matched":3,"offset":1,"shown":1,"next_offset":2})");
  // The last page has no next one.
  EXPECT_FALSE(o.at("lists").at("announcements").as_object().contains("next_offset"));

  const auto text = render_status(doc);
  EXPECT_THAT(text, HasSubstr("services 100000 (1 with errors, 2 failing health)   "
                              "announcements 2 (announced 99990, noEndpoints 10)   layer2 0\n"));
  EXPECT_THAT(text, HasSubstr("(2-2 of 3 matching, 100000 in all; --offset 2 for the next "
                              "page)\n"));
  EXPECT_THAT(text, HasSubstr("ANNOUNCEMENTS\n(none past --offset 1; 1 match)\n"));
}

TEST(StatusRender, NothingMatching) {
  auto s = sample();
  s.services.clear();
  s.services_count = {.total = 5, .matched = 0, .offset = 0, .shown = 0};
  EXPECT_THAT(render_status(status_document(s)), HasSubstr("SERVICES\n(none of 5 matches)\n"));
  // A whole list on one page says nothing more.
  s = sample();
  s.services_count = {.total = 2, .matched = 2, .offset = 0, .shown = 2};
  EXPECT_THAT(render_status(status_document(s)), Not(HasSubstr(" of 2")));
}

TEST(StatusRender, TablesFromTheDocument) {
  const auto text = render_status(status_document(sample()));
  EXPECT_THAT(text, HasSubstr("edge-1"));
  EXPECT_THAT(text, HasSubstr("PEERS"));
  EXPECT_THAT(text, HasSubstr("1h2m5s"));  // established for 3725 s
  EXPECT_THAT(text, HasSubstr("connect: Connection refused"));
  EXPECT_THAT(text, HasSubstr("healthCheckFailing: HTTP 503"));
  EXPECT_THAT(text, HasSubstr("no free address"));
}

}  // namespace
}  // namespace vipd::admin
