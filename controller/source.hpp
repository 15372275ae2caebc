#pragma once
// ConfigSource: the configuration of `vipd controller` (and `vipd speaker`) as the cluster holds
// it — MetalLB's resources in one namespace, else its legacy ConfigMap — followed with informers
// and turned into one checked config::Config.
//
// Responsible for: one informer per MetalLB kind (IPAddressPool, BGPPeer as metallb.io/v1beta2,
// BGPAdvertisement, L2Advertisement, Community, BFDProfile) and one on the ConfigMap; a kind
// whose CRD is not installed (the API answers 404) counts as "no objects of that kind", is said
// once in the log and asked for again with capped backoff, so installing the CRD later works;
// building a candidate once every collection has synced and again, debounced, after changes;
// checking it with the configuration front end (config/load.hpp, Purpose::kRun: settings vipd
// does not run yet are refused); keeping the last good configuration in force when a candidate
// is refused, with its errors logged, kept for /status and reported as a Warning Event on the
// object the first error points at.
//
// What is read, as MetalLB reads it:
//   - any MetalLB object present: the resources, as one multi-document text in a fixed order
//     (kind, then name), and the ConfigMap is ignored (said once in the log and as an Event on
//     the ConfigMap: MetalLB ≥ v0.13 reads only the resources);
//   - else the ConfigMap's `config` key, as the ConfigMap body (a missing key reads as empty);
//   - neither: the empty configuration (no pools), which is valid.
//
// The owner's callback gets a configuration only when it is valid and differs from the one in
// force (config::Config ==). Before the first valid configuration the owner gets nothing and
// must not act: allocating from no configuration would hand out or release addresses on the
// strength of objects not yet read. ready() tells when that first configuration is there.
//
// Not responsible for: what the configuration means (the owner), Secrets (BGPPeer
// passwordSecret), the cluster's nodes (MetalLB's LOCAL_PREF check against real nodes), CRD
// schema validation (the API server's), noticing a CRD deleted while followed (its objects are
// deleted first, so the configuration follows; the informer then retries its 404s with backoff).
// Thread: one io_context thread; callbacks run there. The Client, clock and EventRecorder
// outlive the ConfigSource.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "common/asio.hpp"
#include "common/timer.hpp"
#include "config/model.hpp"
#include "k8s/client.hpp"
#include "k8s/event_recorder.hpp"
#include "k8s/informer.hpp"
#include "k8s/objects.hpp"

namespace vipd::controller {

// Event reasons. MetalLB records no Event for a refused configuration; its ConfigurationStatus
// condition says "ConfigError" (internal/k8s/controllers/config_controller.go), so the Event
// uses that word.
inline constexpr std::string_view kReasonConfigError = "ConfigError";
inline constexpr std::string_view kReasonConfigMapIgnored = "ConfigMapIgnored";

// Where a configuration was read from.
enum class ConfigForm : std::uint8_t { kEmpty, kResources, kConfigMap };
std::string_view to_string(ConfigForm form);  // "empty", "resources", "configmap"

struct ConfigSourceOptions {
  std::string namespace_ = "metallb-system";
  std::string configmap_name = "config";  // its key "config" holds the body
  // A build runs this long after the last change, and no later than debounce_max after the
  // first change of a burst that does not stop.
  Clock::duration debounce = std::chrono::milliseconds(200);
  Clock::duration debounce_max = std::chrono::seconds(2);
  // Asking again for a kind whose CRD is not installed: capped exponential, jittered.
  Clock::duration probe_initial = std::chrono::seconds(1);
  Clock::duration probe_max = std::chrono::seconds(30);
  k8s::ListWatchOptions list_watch;
  std::uint64_t jitter_seed = 0;
  // Resolve BGPPeer passwordSecret from the Secrets of the namespace (the speaker, which opens
  // the sessions, sets it; the controller needs no password). A Secret must be of type
  // kubernetes.io/basic-auth and hold the key `password`, as MetalLB requires; one that is
  // missing or not so refuses the candidate with an error at that peer.
  bool secrets = false;
  // Called after every candidate is checked, valid, unchanged or refused (stale() and errors()
  // say which): for owners that report the configuration's state.
  std::function<void()> checked;
};

// One followed collection, for /status and metrics.
struct CollectionStatus {
  std::string resource;   // "ipaddresspools", ..., "configmaps"
  bool installed = true;  // false while the API answers 404 (CRD not installed)
  bool synced = false;    // a complete LIST applied, or known not to be installed
  std::size_t objects = 0;
  std::size_t undecodable = 0;  // held objects that do not decode (each refuses the candidate)
  k8s::ListWatchCounts counts;
};

struct ConfigSourceCounts {
  std::uint64_t builds = 0;     // candidates checked
  std::uint64_t applied = 0;    // valid and different from the one in force: callback called
  std::uint64_t unchanged = 0;  // valid and equal to the one in force
  std::uint64_t refused = 0;    // invalid: the one in force stays
};

class ConfigSource {
 public:
  using Apply = std::function<void(const config::Config& config)>;

  ConfigSource(asio::any_io_executor executor, k8s::Client& client, TimerClock& clock,
               k8s::EventRecorder& events, ConfigSourceOptions options, Apply apply);
  ~ConfigSource();
  ConfigSource(const ConfigSource&) = delete;
  ConfigSource& operator=(const ConfigSource&) = delete;

  void start();
  void stop();

  // Every collection synced once and a first configuration is in force (latched: a CRD
  // installed later does not make it false again).
  bool ready() const { return config_.has_value(); }
  // The last candidate was refused: the configuration in force (if any) is older than the
  // cluster's objects.
  bool stale() const { return stale_; }
  // The configuration in force; nullptr before the first valid one.
  const config::Config* config() const { return config_ ? &*config_ : nullptr; }
  ConfigForm form() const { return form_; }
  // The errors of the last refused candidate, each with its position ("IPAddressPool(public).
  // spec.addresses[0]: ..." for resources, "NS/config data.config:LINE:COLUMN: PATH: ..." for
  // the ConfigMap); empty when it was accepted. Warnings of the last candidate, likewise.
  const std::vector<std::string>& errors() const { return errors_; }
  const std::vector<std::string>& warnings() const { return warnings_; }
  std::vector<CollectionStatus> collections() const;
  const ConfigSourceCounts& counts() const { return counts_; }

  // What a held object is when it does not decode: its name and the decoding error.
  template <class T>
  struct Held {
    T value;            // for an undecodable object, only apiVersion, kind and metadata names
    std::string error;  // empty: decoded
  };
  using HeldResource = Held<k8s::MetallbObject>;
  using HeldConfigMap = Held<k8s::ConfigMap>;
  // Of a Secret, only what a BGPPeer may use: its type and its `password`, decoded.
  struct SecretView {
    k8s::ObjectMeta meta;
    std::string type;
    std::optional<std::string> password;
  };
  using HeldSecret = Held<SecretView>;

 private:
  struct Kind;  // one MetalLB kind: its informer and whether its CRD is installed
  struct Candidate;

  k8s::Informer<HeldResource>::Handlers resource_handlers(std::size_t index);
  void probe(std::size_t index);
  asio::awaitable<void> probe_until_stopped(std::shared_ptr<bool> alive, std::size_t index);
  asio::awaitable<void> ask(std::size_t index);
  void changed();
  bool all_synced() const;
  void build();  // check(), then tell the owner
  void check();
  Candidate assemble() const;
  void resolve_secrets(Candidate& candidate) const;
  void refuse(const Candidate& candidate);
  void say_configmap_ignored(bool ignored);
  k8s::ObjectReference regarding(const Candidate& candidate, std::string_view path) const;
  Clock::duration jittered(Clock::duration delay);

  asio::any_io_executor executor_;
  k8s::Client& client_;
  TimerClock& clock_;
  k8s::EventRecorder& events_;
  ConfigSourceOptions options_;
  Apply apply_;
  std::mt19937_64 jitter_;

  std::optional<config::Config> config_;
  ConfigForm form_ = ConfigForm::kEmpty;
  bool stale_ = false;
  std::vector<std::string> errors_;
  std::vector<std::string> warnings_;
  ConfigSourceCounts counts_;
  bool configmap_ignored_said_ = false;

  std::unique_ptr<Timer> debounce_;
  std::optional<Clock::time_point> burst_start_;
  bool running_ = false;
  std::unique_ptr<asio::steady_timer> stop_;  // never expires: cancels a probe in flight
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);

  // Last: destroyed first, so no informer calls into a source being torn down.
  bool configmap_synced_ = false;
  std::unique_ptr<k8s::Informer<HeldConfigMap>> configmap_;
  bool secrets_synced_ = false;
  std::unique_ptr<k8s::Informer<HeldSecret>> secrets_;  // with options_.secrets only
  std::vector<std::unique_ptr<Kind>> kinds_;
};

}  // namespace vipd::controller
