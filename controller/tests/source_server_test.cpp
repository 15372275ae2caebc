// ConfigSource against the test API server (integration/k8s_api_server.py), fed with kubectl as
// a user feeds a cluster: MetalLB's CRDs applied from its own manifests, MetalLB's samples and
// legacy ConfigMaps, and changes made with kubectl apply / delete. Each test starts its own
// server; every wait polls with a deadline.
#include "controller/source.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <memory>
#include <string>
#include <vector>

#include "k8s/event_recorder.hpp"
#include "k8s/tests/server_fixture.hpp"

namespace vipd::controller {
namespace {

using namespace std::chrono_literals;
using k8s::test::ApiServer;
using k8s::test::run_until;
using k8s::test::TempDir;

const std::string kNamespace = "metallb-system";
const std::string kCrds = std::string(VIPD_CONTROLLER_TEST_DATA) + "/crd";
const std::string kMetallb = std::string(VIPD_CONFIG_TEST_DATA) + "/metallb";

std::string pool(const std::string& name, const std::vector<std::string>& addresses) {
  std::string out =
      "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata:\n  name: " + name +
      "\n  namespace: " + kNamespace + "\nspec:\n  addresses:\n";
  for (const auto& a : addresses) out += "  - " + a + "\n";
  return out;
}

std::vector<std::string> pool_names(const config::Config& config) {
  std::vector<std::string> out;
  for (const auto& p : config.pools) out.push_back(p.name);
  return out;
}

std::vector<std::string> pool_addresses(const config::Config& config, const std::string& name) {
  std::vector<std::string> out;
  if (const auto* p = config.find_pool(name)) {
    for (const auto& a : p->addresses) out.push_back(a.to_string());
  }
  return out;
}

bool any_contains(const std::vector<std::string>& texts, const std::string& part) {
  for (const auto& t : texts) {
    if (t.find(part) != std::string::npos) return true;
  }
  return false;
}

std::string joined(const std::vector<std::string>& texts) {
  std::string out;
  for (const auto& t : texts) out += t + "\n";
  return out;
}

// An Event as `kubectl get events -o json` shows it (core v1).
struct SeenEvent {
  std::string kind, name, uid, api_version, reason, type, message;
};

class SourceTest : public k8s::test::ServerTest {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ApiServer>(dir_.path("server"));
    client_ = client_for(admin_access(*server_));
    recorder_ = std::make_unique<k8s::EventRecorder>(
        io_.get_executor(), *client_, clock_,
        k8s::EventRecorderOptions{.reporting_instance = "controller-test"});
    kubectl_ok({"create", "namespace", kNamespace});
  }
  void TearDown() override {
    source_.reset();
    recorder_.reset();
  }

  void kubectl_ok(std::vector<std::string> args) {
    const auto ran = server_->kubectl(args);
    ASSERT_EQ(ran.status, 0) << joined(args) << ran.out;
  }
  void install_crds() { kubectl_ok({"apply", "-f", kCrds}); }
  void apply_file(const std::string& path) { kubectl_ok({"apply", "-f", path}); }
  void apply_text(const std::string& text) {
    apply_file(dir_.write("apply-" + std::to_string(++files_) + ".yaml", text));
  }
  std::string uid_of(const std::string& resource, const std::string& name) {
    const auto ran = server_->kubectl(
        {"get", resource, name, "-n", kNamespace, "-o", "jsonpath={.metadata.uid}"}, false);
    EXPECT_EQ(ran.status, 0);
    return ran.out;
  }

  // Short backoffs: a CRD installed later is seen within a second.
  static ConfigSourceOptions fast() {
    ConfigSourceOptions options;
    options.probe_initial = 100ms;
    options.probe_max = 400ms;
    options.list_watch.backoff_initial = 100ms;
    options.list_watch.backoff_max = 400ms;
    return options;
  }
  ConfigSource& start_source(ConfigSourceOptions options = fast()) {
    source_ = std::make_unique<ConfigSource>(
        io_.get_executor(), *client_, clock_, *recorder_, std::move(options),
        [this](const config::Config& config) { applied_.push_back(config); });
    source_->start();
    return *source_;
  }
  bool wait(const std::function<bool()>& done, std::chrono::seconds bound = 30s) {
    return run_until(io_, done, bound);
  }

  // The Events of the namespace, as kubectl shows them.
  std::vector<SeenEvent> events() {
    std::vector<SeenEvent> out;
    const auto ran = server_->kubectl({"get", "events", "-n", kNamespace, "-o", "json"}, false);
    if (ran.status != 0) return out;
    const auto list = boost::json::parse(ran.out);
    for (const auto& e : list.at("items").as_array()) {
      const auto& involved = e.at("involvedObject").as_object();
      auto text = [](const boost::json::object& o, const char* key) {
        const auto* v = o.if_contains(key);
        return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
      };
      out.push_back({text(involved, "kind"), text(involved, "name"), text(involved, "uid"),
                     text(involved, "apiVersion"), text(e.as_object(), "reason"),
                     text(e.as_object(), "type"), text(e.as_object(), "message")});
    }
    return out;
  }
  // Waits until an Event with `reason` about KIND/NAME is on the server; returns it.
  std::optional<SeenEvent> wait_event(const std::string& kind, const std::string& name,
                                      std::string_view reason) {
    std::optional<SeenEvent> found;
    wait([&] {
      if (!recorder_->idle()) return false;
      for (auto& e : events()) {
        if (e.kind == kind && e.name == name && e.reason == reason) found = std::move(e);
      }
      return found.has_value();
    });
    return found;
  }

  TempDir dir_;
  int files_ = 0;
  std::unique_ptr<ApiServer> server_;
  std::unique_ptr<k8s::Client> client_;
  std::unique_ptr<k8s::EventRecorder> recorder_;
  std::vector<config::Config> applied_;
  std::unique_ptr<ConfigSource> source_;  // last: goes before the client and recorder
};

TEST_F(SourceTest, FirstConfigurationArrivesOnceSyncedAndAPoolAddedWithKubectlFollows) {
  install_crds();
  apply_file(kMetallb + "/configsamples/simple_pool_adv_bgp.yaml");
  auto& source = start_source();
  ASSERT_TRUE(wait([&] { return source.ready(); }));
  // One configuration, made from the objects already there (not from a partial cache).
  ASSERT_EQ(applied_.size(), 1u);
  EXPECT_EQ(pool_names(applied_[0]), (std::vector<std::string>{"example"}));
  ASSERT_EQ(applied_[0].bgp_advertisements.size(), 1u);
  EXPECT_EQ(applied_[0].bgp_advertisements[0].name, "empty");
  EXPECT_EQ(source.form(), ConfigForm::kResources);
  EXPECT_FALSE(source.stale());
  ASSERT_NE(source.config(), nullptr);
  EXPECT_EQ(*source.config(), applied_[0]);
  for (const auto& c : source.collections()) {
    EXPECT_TRUE(c.installed) << c.resource;
    EXPECT_TRUE(c.synced) << c.resource;
  }

  apply_text(pool("public", {"203.0.113.0/24"}));
  ASSERT_TRUE(wait([&] { return applied_.size() == 2; }));
  EXPECT_EQ(pool_names(applied_[1]), (std::vector<std::string>{"example", "public"}));
  EXPECT_EQ(pool_addresses(applied_[1], "public"), (std::vector<std::string>{"203.0.113.0/24"}));
  // Relabelling nothing that matters (an annotation vipd does not read) gives no new callback.
  kubectl_ok({"annotate", "ipaddresspool", "public", "-n", kNamespace, "note=unread"});
  const auto builds = source.counts().builds;
  ASSERT_TRUE(wait([&] { return source.counts().builds > builds; }));
  EXPECT_EQ(applied_.size(), 2u);
}

TEST_F(SourceTest, AnOverlappingPoolIsRefusedWithAnEventOnItAndFixingItClearsStale) {
  install_crds();
  apply_text(pool("public", {"203.0.113.0/24"}));
  auto& source = start_source();
  ASSERT_TRUE(wait([&] { return source.ready(); }));
  ASSERT_EQ(applied_.size(), 1u);

  // "shadow" sorts after "public", so the overlap is reported at shadow.
  apply_text(pool("shadow", {"203.0.113.128/25"}));
  ASSERT_TRUE(wait([&] { return source.stale(); }));
  EXPECT_EQ(applied_.size(), 1u);  // the owner hears nothing
  EXPECT_EQ(pool_names(*source.config()), (std::vector<std::string>{"public"}));
  EXPECT_TRUE(any_contains(source.errors(),
                           "IPAddressPool(shadow).spec.addresses[0]: "
                           "203.0.113.128/25 overlaps"))
      << joined(source.errors());
  const auto event = wait_event("IPAddressPool", "shadow", kReasonConfigError);
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->type, "Warning");
  EXPECT_EQ(event->uid, uid_of("ipaddresspool", "shadow"));
  EXPECT_EQ(event->api_version, "metallb.io/v1beta1");
  EXPECT_NE(event->message.find("overlaps"), std::string::npos) << event->message;
  // As a user looks for it.
  const auto shown = server_->kubectl({"get", "events", "-n", kNamespace});
  EXPECT_NE(shown.out.find("ipaddresspool/shadow"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find(std::string(kReasonConfigError)), std::string::npos) << shown.out;

  apply_text(pool("shadow", {"198.51.100.0/24"}));
  ASSERT_TRUE(wait([&] { return !source.stale() && applied_.size() == 2; }));
  EXPECT_EQ(pool_names(applied_[1]), (std::vector<std::string>{"public", "shadow"}));
  EXPECT_TRUE(source.errors().empty());
}

TEST_F(SourceTest, AnInvalidCidrKeepsTheLastGoodConfiguration) {
  install_crds();
  apply_text(pool("public", {"203.0.113.0/24"}));
  auto& source = start_source();
  ASSERT_TRUE(wait([&] { return source.ready(); }));

  // The test server does not check CRD schemas: like a cluster whose webhook is off.
  apply_text(pool("public", {"203.0.113.0/33"}));
  ASSERT_TRUE(wait([&] { return source.stale(); }));
  EXPECT_TRUE(any_contains(source.errors(),
                           "IPAddressPool(public).spec.addresses[0]: invalid "
                           "CIDR \"203.0.113.0/33\""))
      << joined(source.errors());
  EXPECT_EQ(pool_addresses(*source.config(), "public"),
            (std::vector<std::string>{"203.0.113.0/24"}));
  EXPECT_EQ(applied_.size(), 1u);
  const auto event = wait_event("IPAddressPool", "public", kReasonConfigError);
  ASSERT_TRUE(event.has_value());
  EXPECT_NE(event->message.find("invalid CIDR"), std::string::npos) << event->message;

  apply_text(pool("public", {"203.0.113.0/25"}));
  ASSERT_TRUE(wait([&] { return !source.stale() && applied_.size() == 2; }));
  EXPECT_EQ(pool_addresses(applied_[1], "public"), (std::vector<std::string>{"203.0.113.0/25"}));
}

TEST_F(SourceTest, AnObjectThatDoesNotDecodeRefusesTheConfiguration) {
  install_crds();
  apply_text(pool("public", {"203.0.113.0/24"}));
  auto& source = start_source();
  ASSERT_TRUE(wait([&] { return source.ready(); }));
  apply_text(
      "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata:\n  name: broken\n"
      "  namespace: " +
      kNamespace + "\nspec: not-an-object\n");
  ASSERT_TRUE(wait([&] { return source.stale(); }));
  EXPECT_TRUE(any_contains(source.errors(), "IPAddressPool(broken): spec"))
      << joined(source.errors());
  EXPECT_TRUE(wait_event("IPAddressPool", "broken", kReasonConfigError).has_value());
  kubectl_ok({"delete", "ipaddresspool", "broken", "-n", kNamespace});
  ASSERT_TRUE(wait([&] { return !source.stale(); }));
  EXPECT_EQ(applied_.size(), 1u);  // back to what is in force: nothing new to hand on
}

TEST_F(SourceTest, TheLegacyConfigMapAloneWorksWithoutTheCrds) {
  apply_file(kMetallb + "/legacy-configmap/example-layer2-config.yaml");
  auto& source = start_source();
  ASSERT_TRUE(wait([&] { return source.ready(); }));
  ASSERT_EQ(applied_.size(), 1u);
  EXPECT_EQ(source.form(), ConfigForm::kConfigMap);
  EXPECT_EQ(pool_names(applied_[0]), (std::vector<std::string>{"my-ip-space"}));
  EXPECT_EQ(applied_[0].l2_advertisements.size(), 1u);
  // No MetalLB CRD is installed: each kind reads as none, and nothing waited for them.
  for (const auto& c : source.collections()) {
    EXPECT_EQ(c.installed, c.resource == "configmaps") << c.resource;
    EXPECT_TRUE(c.synced) << c.resource;
  }

  apply_text(
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: config\n  namespace: " + kNamespace +
      "\ndata:\n  config: |\n    address-pools:\n    - name: my-ip-space\n"
      "      protocol: layer2\n      addresses:\n      - 203.0.113.0/28\n");
  ASSERT_TRUE(wait([&] { return applied_.size() == 2; }));
  EXPECT_EQ(pool_addresses(applied_[1], "my-ip-space"),
            (std::vector<std::string>{"203.0.113.0/28"}));
  // Another ConfigMap is not the configuration.
  kubectl_ok({"create", "configmap", "other", "-n", kNamespace, "--from-literal=config=x: ["});
  kubectl_ok({"delete", "configmap", "config", "-n", kNamespace});
  ASSERT_TRUE(wait([&] { return applied_.size() == 3; }));
  EXPECT_TRUE(applied_[2].pools.empty());
  EXPECT_EQ(source.form(), ConfigForm::kEmpty);
  EXPECT_FALSE(source.stale());
}

TEST_F(SourceTest, MetallbsOwnExampleConfigMapIsRefusedAtItsPosition) {
  // MetalLB v0.12.1's example spells bfdProfile, which v0.12.1 itself refuses.
  apply_file(kMetallb + "/legacy-configmap/example-config.yaml");
  auto& source = start_source();
  ASSERT_TRUE(wait([&] { return source.stale(); }));
  EXPECT_FALSE(source.ready());  // nothing valid yet: the owner gets nothing
  EXPECT_EQ(source.config(), nullptr);
  EXPECT_TRUE(applied_.empty());
  // Line 32, column 3 of data.config is line 39, column 7 of the file.
  EXPECT_TRUE(any_contains(source.errors(),
                           "metallb-system/config data.config:32:3: peers[0].bfdProfile: unknown "
                           "field \"bfdProfile\""))
      << joined(source.errors());
  const auto event = wait_event("ConfigMap", "config", kReasonConfigError);
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->uid, uid_of("configmap", "config"));
  EXPECT_NE(event->message.find("peers[0].bfdProfile"), std::string::npos) << event->message;
}

TEST_F(SourceTest, ResourcesWinOverTheConfigMapWhichIsSaidToBeIgnored) {
  install_crds();
  apply_file(kMetallb + "/legacy-configmap/example-layer2-config.yaml");
  apply_text(pool("public", {"203.0.113.0/24"}));
  auto& source = start_source();
  ASSERT_TRUE(wait([&] { return source.ready(); }));
  ASSERT_EQ(applied_.size(), 1u);
  EXPECT_EQ(source.form(), ConfigForm::kResources);
  EXPECT_EQ(pool_names(applied_[0]), (std::vector<std::string>{"public"}));
  const auto event = wait_event("ConfigMap", "config", kReasonConfigMapIgnored);
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->type, "Warning");

  // Without resources, the ConfigMap is the configuration again.
  kubectl_ok({"delete", "ipaddresspool", "public", "-n", kNamespace});
  ASSERT_TRUE(wait([&] { return applied_.size() == 2; }));
  EXPECT_EQ(source.form(), ConfigForm::kConfigMap);
  EXPECT_EQ(pool_names(applied_[1]), (std::vector<std::string>{"my-ip-space"}));
}

TEST_F(SourceTest, ACrdInstalledAfterTheSourceStartedIsPickedUp) {
  auto& source = start_source();
  ASSERT_TRUE(wait([&] { return source.ready(); }));
  ASSERT_EQ(applied_.size(), 1u);
  EXPECT_TRUE(applied_[0].pools.empty());
  EXPECT_EQ(source.form(), ConfigForm::kEmpty);
  for (const auto& c : source.collections()) {
    if (c.resource != "configmaps") {
      EXPECT_FALSE(c.installed) << c.resource;
    }
  }

  install_crds();
  apply_text(pool("public", {"203.0.113.0/24"}));
  ASSERT_TRUE(wait([&] { return applied_.size() == 2; }));
  EXPECT_EQ(pool_names(applied_[1]), (std::vector<std::string>{"public"}));
  EXPECT_EQ(source.form(), ConfigForm::kResources);
  for (const auto& c : source.collections()) {
    EXPECT_TRUE(c.installed) << c.resource;
    EXPECT_TRUE(c.synced) << c.resource;
  }
}

TEST_F(SourceTest, DeletingEveryResourceGivesTheEmptyConfiguration) {
  install_crds();
  apply_file(kMetallb + "/configsamples/simple_pool_adv_bgp.yaml");
  apply_file(kMetallb + "/configsamples/bgppeer_simple.yaml");
  auto& source = start_source();
  ASSERT_TRUE(wait([&] { return source.ready(); }));
  ASSERT_EQ(applied_.size(), 1u);
  EXPECT_EQ(applied_[0].peers.size(), 1u);

  kubectl_ok({"delete", "ipaddresspools,bgpadvertisements,bgppeers", "--all", "-n", kNamespace});
  ASSERT_TRUE(wait([&] { return applied_.size() == 2; }));
  EXPECT_EQ(applied_[1], config::Config{});
  EXPECT_EQ(source.form(), ConfigForm::kEmpty);
  EXPECT_FALSE(source.stale());
}

TEST_F(SourceTest, ABfdProfileIsAppliedAndEchoModeIsRefusedWithItsPosition) {
  install_crds();
  apply_text(pool("public", {"203.0.113.0/24"}));
  apply_file(kMetallb + "/configsamples/bgppeer_with_bfdprofile.yaml");
  auto& source = start_source();
  ASSERT_TRUE(wait([&] { return source.ready(); }));
  ASSERT_EQ(applied_.size(), 1u);
  ASSERT_EQ(applied_[0].bfd_profiles.size(), 1u);
  EXPECT_EQ(applied_[0].bfd_profiles[0].receive_interval_ms, 380u);
  ASSERT_EQ(applied_[0].peers.size(), 1u);
  EXPECT_EQ(applied_[0].peers[0].bfd_profile, "testbfdprofile");

  // Echo mode is what vipd does not run: refused, the last good configuration stays.
  kubectl_ok({"patch", "bfdprofile", "testbfdprofile", "-n", kNamespace, "--type=merge", "-p",
              R"({"spec":{"echoMode":true}})"});
  ASSERT_TRUE(wait([&] { return source.stale(); }));
  EXPECT_TRUE(any_contains(source.errors(),
                           "BFDProfile(testbfdprofile).spec.echoMode: BFD echo mode is not "
                           "supported"))
      << joined(source.errors());
  const auto event = wait_event("BFDProfile", "testbfdprofile", kReasonConfigError);
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->api_version, "metallb.io/v1beta1");
  EXPECT_EQ(applied_.size(), 1u);

  kubectl_ok({"patch", "bfdprofile", "testbfdprofile", "-n", kNamespace, "--type=merge", "-p",
              R"({"spec":{"echoMode":false}})"});
  ASSERT_TRUE(wait([&] { return !source.stale(); }));
  EXPECT_TRUE(source.errors().empty()) << joined(source.errors());
  EXPECT_EQ(applied_.back().bfd_profiles.size(), 1u);
}

TEST_F(SourceTest, ABurstOfChangesGivesOneConfiguration) {
  install_crds();
  auto options = fast();
  options.debounce = 1s;  // far longer than kubectl takes between the three creates
  auto& source = start_source(options);
  ASSERT_TRUE(wait([&] { return source.ready(); }));
  ASSERT_EQ(applied_.size(), 1u);
  apply_text(pool("a", {"203.0.113.0/26"}) + "---\n" + pool("b", {"203.0.113.64/26"}) + "---\n" +
             pool("c", {"203.0.113.128/26"}));
  ASSERT_TRUE(wait([&] { return applied_.size() >= 2; }));
  EXPECT_EQ(pool_names(applied_[1]), (std::vector<std::string>{"a", "b", "c"}));
}

}  // namespace
}  // namespace vipd::controller
