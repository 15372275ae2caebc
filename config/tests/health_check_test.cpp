// A standalone service's health-check: exactly one of tcp, http or exec, read into the model,
// every mistake reported at its line:column, and shown by `vipd config check` (text and JSON).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "config/load.hpp"
#include "config/summary.hpp"
#include "config/tests/test_util.hpp"

namespace vipd::config {
namespace {

using testing::errors_of;
using testing::last_position_of;

const std::string kPools =
    "address-pools:\n- {name: p, protocol: bgp, addresses: [192.0.2.0/24, 2001:db8::/64]}\n"
    "services:\n- name: web\n  traffic-policy: Local\n  health-check: ";

HealthCheck read(const std::string& check) {
  const auto r = check_text(kPools + check + "\n", "in.yaml", InputFormat::kStandalone);
  EXPECT_TRUE(r.valid()) << errors_of(r);
  if (!r.valid()) return {};
  return *r.config->standalone->services.at(0).details().health_check;
}

IpAddress ip(const char* text) { return IpAddress::parse(text).value(); }

TEST(HealthCheck, Tcp) {
  auto h = read("{tcp: \"192.0.2.10:8080\"}");
  EXPECT_EQ(h.kind, HealthCheck::Kind::kTcp);
  EXPECT_EQ(h.address, ip("192.0.2.10"));
  EXPECT_EQ(h.port, 8080);
  h = read("{tcp: \"[2001:db8::10]:443\", interval: 5s, timeout: 2s, rise: 1, fall: 5}");
  EXPECT_EQ(h.kind, HealthCheck::Kind::kTcp);
  EXPECT_EQ(h.address, ip("2001:db8::10"));
  EXPECT_EQ(h.port, 443);
  EXPECT_EQ(h.interval, std::chrono::seconds(5));
  EXPECT_EQ(h.timeout, std::chrono::seconds(2));
  EXPECT_EQ(h.rise, 1);
  EXPECT_EQ(h.fall, 5);
}

TEST(HealthCheck, HttpDefaultsToPort80AndRootPath) {
  auto h = read("{http: \"http://192.0.2.10\"}");
  EXPECT_EQ(h.kind, HealthCheck::Kind::kHttp);
  EXPECT_EQ(h.address, ip("192.0.2.10"));
  EXPECT_EQ(h.port, 80);
  EXPECT_EQ(h.http_path, "/");
  h = read("{http: \"http://[2001:db8::10]/\"}");
  EXPECT_EQ(h.address, ip("2001:db8::10"));
  EXPECT_EQ(h.port, 80);
  EXPECT_EQ(h.http_path, "/");
}

TEST(HealthCheck, HttpKeepsPortPathAndQuery) {
  auto h = read("{http: \"http://192.0.2.10:8080/healthz?verbose=1&x=%2F\"}");
  EXPECT_EQ(h.port, 8080);
  EXPECT_EQ(h.http_path, "/healthz?verbose=1&x=%2F");
  h = read("{http: \"HTTP://[2001:db8::10]:9090/ready\", timeout: 500ms}");
  EXPECT_EQ(h.kind, HealthCheck::Kind::kHttp);
  EXPECT_EQ(h.address, ip("2001:db8::10"));
  EXPECT_EQ(h.port, 9090);
  EXPECT_EQ(h.http_path, "/ready");
  EXPECT_EQ(h.timeout, std::chrono::milliseconds(500));
}

TEST(HealthCheck, Exec) {
  const auto h = read("\n    exec: [/usr/local/bin/check, --port, \"80\", \"two words\"]");
  EXPECT_EQ(h.kind, HealthCheck::Kind::kExec);
  EXPECT_EQ(h.command,
            (std::vector<std::string>{"/usr/local/bin/check", "--port", "80", "two words"}));
  EXPECT_EQ(read("{exec: [/bin/true]}").command, std::vector<std::string>{"/bin/true"});
}

struct Mistake {
  const char* name;
  const char* check;  // the value of health-check
  const char* token;  // where the error must point (its last occurrence)
  const char* path;
  const char* message;  // a part of it
};

class HealthCheckMistakes : public ::testing::TestWithParam<Mistake> {};

TEST_P(HealthCheckMistakes, ReportedAtTheirPosition) {
  const auto& row = GetParam();
  const auto text = kPools + row.check + "\n";
  const auto r = check_text(text, "in.yaml", InputFormat::kStandalone);
  EXPECT_FALSE(r.valid());
  const auto at = last_position_of(text, row.token);
  bool found = false;
  for (const auto& d : r.diagnostics) {
    if (d.severity != Severity::kError || d.path != row.path ||
        d.message.find(row.message) == std::string::npos) {
      continue;
    }
    found = true;
    EXPECT_EQ(d.position, at) << d.to_string();
  }
  EXPECT_TRUE(found) << "want " << row.path << ": ..." << row.message << "...\ngot:\n"
                     << errors_of(r);
}

constexpr const char* kPath = "services[0].health-check";

const Mistake kMistakes[] = {
    // --- one kind, exactly
    {"NoKind", "{interval: 2s}", "{interval", kPath,
     "missing the kind of health check: write one of tcp, http or exec"},
    {"TcpAndHttp", "{tcp: \"192.0.2.1:80\", http: \"http://192.0.2.1/\"}", "\"http://",
     "services[0].health-check.http",
     "a health check has one kind, found tcp and http: keep one of tcp, http or exec"},
    {"HttpAndExec", "{exec: [/bin/true], http: \"http://[2001:db8::1]/\"}", "[/bin/true]",
     "services[0].health-check.exec", "found http and exec"},
    {"KindWithoutValue", "{tcp: }", "{tcp", "services[0].health-check.tcp", "tcp has no value"},
    {"UnknownKind", "{udp: \"192.0.2.1:53\"}", "udp", "services[0].health-check.udp",
     "unknown field \"udp\""},
    // --- tcp
    {"TcpIpv6WithoutBrackets", "{tcp: \"2001:db8::1:80\"}", "\"2001:db8::1:80\"",
     "services[0].health-check.tcp", "want ADDRESS:PORT (IPv6 as [ADDRESS]:PORT), port 1-65535"},
    {"TcpIpv4InBrackets", "{tcp: \"[192.0.2.1]:80\"}", "\"[192.0.2.1]:80\"",
     "services[0].health-check.tcp", "invalid tcp health check"},
    {"TcpPortZero", "{tcp: \"[2001:db8::1]:0\"}", "\"[2001:db8::1]:0\"",
     "services[0].health-check.tcp", "port 1-65535"},
    {"TcpPortTooLarge", "{tcp: \"192.0.2.1:65536\"}", "\"192.0.2.1:65536\"",
     "services[0].health-check.tcp", "port 1-65535"},
    {"TcpNoPort", "{tcp: \"192.0.2.1\"}", "\"192.0.2.1\"", "services[0].health-check.tcp",
     "want ADDRESS:PORT"},
    {"TcpHostName", "{tcp: \"localhost:80\"}", "\"localhost:80\"", "services[0].health-check.tcp",
     "want ADDRESS:PORT"},
    // --- http
    {"HttpsIsNotHttp", "{http: \"https://192.0.2.1/\"}", "\"https", "services[0].health-check.http",
     "the scheme must be http"},
    {"HttpHostName", "{http: \"http://health.example.com/\"}", "\"http",
     "services[0].health-check.http", "the host must be an IP address"},
    {"HttpPortZero", "{http: \"http://[2001:db8::1]:0/\"}", "\"http",
     "services[0].health-check.http", "the port must be 1-65535"},
    {"HttpPortTooLarge", "{http: \"http://192.0.2.1:70000/\"}", "\"http",
     "services[0].health-check.http", "the port must be 1-65535"},
    {"HttpUserInfo", "{http: \"http://admin@192.0.2.1/\"}", "\"http",
     "services[0].health-check.http", "user information is not allowed"},
    {"HttpFragment", "{http: \"http://192.0.2.1/#top\"}", "\"http", "services[0].health-check.http",
     "a fragment is never sent to the server"},
    {"HttpNotAUrl", "{http: \"192.0.2.1:80\"}", "\"192.0.2.1:80\"", "services[0].health-check.http",
     "not a URL"},
    {"HttpIpv6WithoutBrackets", "{http: \"http://2001:db8::1/\"}", "\"http",
     "services[0].health-check.http", "invalid http health check"},
    {"HttpNotText", "{http: [http://192.0.2.1/]}", "[http", "services[0].health-check.http",
     "expected text"},
    // --- exec
    {"ExecEmpty", "{exec: []}", "[]", "services[0].health-check.exec", "the command is missing"},
    {"ExecRelative", "{exec: [check.sh, --fast]}", "check.sh", "services[0].health-check.exec[0]",
     "must be an absolute path"},
    {"ExecNotAList", "{exec: /bin/true}", "/bin/true", "services[0].health-check.exec",
     "expected a list [/path/to/command, argument, ...]"},
    {"ExecEmptyArgument", "{exec: [/bin/check, \"\"]}", "\"\"", "services[0].health-check.exec[1]",
     "an argument must not be empty"},
    {"ExecMissingArgument", "{exec: [/bin/check, ~]}", "~]", "services[0].health-check.exec[1]",
     "expected text, got nothing"},
    {"ExecNulInArgument", "{exec: [/bin/check, \"a\\0b\"]}", "\"a\\0b\"",
     "services[0].health-check.exec[1]", "must not contain a NUL character"},
    {"ExecArgumentIsAList", "{exec: [/bin/check, [a]]}", "[a]", "services[0].health-check.exec[1]",
     "expected text"},
    // --- timers
    {"TimeoutLongerThanInterval", "{http: \"http://192.0.2.1/\", interval: 1s, timeout: 3s}", "3s",
     "services[0].health-check.timeout", "is longer than the interval"},
};

INSTANTIATE_TEST_SUITE_P(Config, HealthCheckMistakes, ::testing::ValuesIn(kMistakes),
                         [](const auto& row) { return std::string(row.param.name); });

CheckResult checked(const std::string& services) {
  return check_text(
      "address-pools:\n- {name: p, protocol: bgp, addresses: [192.0.2.0/24, 2001:db8::/64]}\n"
      "services:\n" +
          services,
      "alone.yaml", InputFormat::kStandalone);
}

TEST(HealthCheckSummary, TextShowsEachKind) {
  const auto r = checked(
      "- name: a\n  traffic-policy: Local\n  health-check: {tcp: \"[2001:db8::5]:443\"}\n"
      "- name: b\n  health-check: {http: \"http://192.0.2.5:8080/healthz?x=1\", interval: 2s, "
      "fall: 4}\n"
      "- name: c\n  health-check: {exec: [/usr/bin/check, two words, \"q\\\"uote\"]}\n");
  ASSERT_TRUE(r.valid()) << errors_of(r);
  const auto text = text_report(r);
  EXPECT_NE(text.find("    default/a: allocated, traffic-policy Local, health check tcp "
                      "[2001:db8::5]:443 every 1s (timeout 1s, rise 2, fall 3)\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("    default/b: allocated, health check http "
                      "http://192.0.2.5:8080/healthz?x=1 every 2s (timeout 1s, rise 2, fall 4)\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("    default/c: allocated, health check exec /usr/bin/check \"two words\" "
                      "\"q\\\"uote\" every 1s"),
            std::string::npos)
      << text;
}

TEST(HealthCheckSummary, JsonShowsEachKind) {
  const auto r = checked(
      "- name: a\n  health-check: {tcp: \"192.0.2.5:80\"}\n"
      "- name: b\n  traffic-policy: Local\n  health-check: {http: \"http://[2001:db8::5]/ready\"}\n"
      "- name: c\n  health-check: {exec: [/bin/check, --quick], rise: 3}\n- name: d\n");
  ASSERT_TRUE(r.valid()) << errors_of(r);
  const auto json = boost::json::parse(json_report({r}));
  const auto& services = json.at("files").at(0).at("summary").at("services").as_array();
  ASSERT_EQ(services.size(), 4u);
  EXPECT_EQ(services[0].at("health_check"),
            boost::json::parse(R"({"kind":"tcp","interval":"1s","timeout":"1s","rise":2,"fall":3,
                                   "address":"192.0.2.5","port":80})"));
  EXPECT_EQ(services[1].at("traffic_policy").as_string(), "Local");
  EXPECT_EQ(services[1].at("health_check"),
            boost::json::parse(R"({"kind":"http","interval":"1s","timeout":"1s","rise":2,
                                   "fall":3,"url":"http://[2001:db8::5]:80/ready",
                                   "address":"2001:db8::5","port":80,"path":"/ready"})"));
  EXPECT_EQ(services[2].at("health_check").at("command"),
            boost::json::parse(R"(["/bin/check","--quick"])"));
  EXPECT_EQ(services[2].at("health_check").at("rise").as_int64(), 3);
  EXPECT_EQ(services[3].at("traffic_policy").as_string(), "Cluster");
  EXPECT_FALSE(services[3].as_object().contains("health_check"));
}

}  // namespace
}  // namespace vipd::config
