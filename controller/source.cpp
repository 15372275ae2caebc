#include "controller/source.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <utility>

#include "common/logging.hpp"
#include "config/load.hpp"
#include "k8s/base64.hpp"

namespace vipd::controller {
namespace json = boost::json;

namespace {

// The MetalLB kinds in the order their documents are joined (then by name). BGPPeer is read as
// v1beta2, the version MetalLB stores (v1beta1 is still served).
struct KindRow {
  k8s::Kind kind;
  std::string_view version;
  std::string_view plural;
};
constexpr std::array<KindRow, 6> kKinds = {{
    {k8s::Kind::kIpAddressPool, "v1beta1", "ipaddresspools"},
    {k8s::Kind::kBgpPeer, "v1beta2", "bgppeers"},
    {k8s::Kind::kBgpAdvertisement, "v1beta1", "bgpadvertisements"},
    {k8s::Kind::kL2Advertisement, "v1beta1", "l2advertisements"},
    {k8s::Kind::kCommunity, "v1beta1", "communities"},
    {k8s::Kind::kBfdProfile, "v1beta1", "bfdprofiles"},
}};

std::string string_member(const json::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

// The names of an object that does not decode, read leniently: enough to say which it is.
k8s::ObjectMeta names_of(const json::object& object) {
  k8s::ObjectMeta meta;
  const auto* m = object.if_contains("metadata");
  if (m != nullptr && m->is_object()) {
    meta.name = string_member(m->get_object(), "name");
    meta.namespace_ = string_member(m->get_object(), "namespace");
    meta.uid = string_member(m->get_object(), "uid");
  }
  return meta;
}

// "IPAddressPool(public).spec.addresses[0]" → the kind and name it starts with.
std::optional<std::pair<k8s::Kind, std::string>> object_in_path(std::string_view path) {
  const auto open = path.find('(');
  const auto close = path.find(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    return std::nullopt;
  }
  const auto kind = k8s::parse_kind(path.substr(0, open));
  if (!kind || !k8s::is_metallb(*kind)) return std::nullopt;
  return std::pair{*kind, std::string(path.substr(open + 1, close - open - 1))};
}

}  // namespace

std::string_view to_string(ConfigForm form) {
  switch (form) {
    case ConfigForm::kEmpty:
      return "empty";
    case ConfigForm::kResources:
      return "resources";
    case ConfigForm::kConfigMap:
      return "configmap";
  }
  return "?";
}

struct ConfigSource::Kind {
  KindRow row;
  std::string path;
  std::unique_ptr<k8s::Informer<HeldResource>> informer;
  bool missing = false;   // the API answered 404: the CRD is not installed
  bool watching = false;  // the informer runs
  bool synced = false;    // its first LIST is applied
  bool said_failure = false;
  Clock::duration delay{};       // before asking again
  std::unique_ptr<Timer> retry;  // asking again
  bool synced_or_missing() const { return missing || synced; }
};

struct ConfigSource::Candidate {
  ConfigForm form = ConfigForm::kEmpty;
  config::CheckResult result;
  std::vector<std::string> errors;  // as shown: with their positions
  std::vector<std::string> warnings;
  std::string first_error_path;  // "IPAddressPool(public).spec..." or a ConfigMap body's path
  const HeldConfigMap* configmap = nullptr;  // present (decoded or not)
};

ConfigSource::ConfigSource(asio::any_io_executor executor, k8s::Client& client, TimerClock& clock,
                           k8s::EventRecorder& events, ConfigSourceOptions options, Apply apply)
    : executor_(std::move(executor)),
      client_(client),
      clock_(clock),
      events_(events),
      options_(std::move(options)),
      apply_(std::move(apply)),
      jitter_(options_.jitter_seed),
      debounce_(clock.make_timer(executor_)) {
  const auto& ns = options_.namespace_;
  for (std::size_t i = 0; i < kKinds.size(); ++i) {
    auto kind = std::make_unique<Kind>();
    kind->row = kKinds[i];
    kind->delay = options_.probe_initial;
    kind->retry = clock.make_timer(executor_);
    kind->path = "/apis/metallb.io/" + std::string(kKinds[i].version) + "/namespaces/" + ns + "/" +
                 std::string(kKinds[i].plural);
    const auto k = kKinds[i].kind;
    auto decode = [k](const json::object& object) -> Result<HeldResource> {
      auto decoded = k8s::decode_metallb_object(k, object);
      if (decoded) return HeldResource{std::move(decoded).value(), {}};
      HeldResource held;
      held.value.kind = k;
      held.value.api_version = string_member(object, "apiVersion");
      held.value.meta = names_of(object);
      held.error = decoded.error().message();
      return held;
    };
    kind->informer = std::make_unique<k8s::Informer<HeldResource>>(
        executor_, client_, clock_, k8s::Collection{kind->path}, std::move(decode),
        resource_handlers(i), options_.list_watch);
    kinds_.push_back(std::move(kind));
  }
  auto decode_map = [](const json::object& object) -> Result<HeldConfigMap> {
    auto decoded = k8s::decode_config_map(object);
    if (decoded) return HeldConfigMap{std::move(decoded).value(), {}};
    HeldConfigMap held;
    held.value.meta = names_of(object);
    held.error = decoded.error().message();
    return held;
  };
  k8s::Informer<HeldConfigMap>::Handlers map_handlers{
      [this](const std::string&, const HeldConfigMap&) { changed(); },
      [this](const std::string&, const HeldConfigMap&, const HeldConfigMap&) { changed(); },
      [this](const std::string&, const HeldConfigMap&) { changed(); },
      {},  // decoding never fails: an undecodable ConfigMap is held with its error
      [this] {
        configmap_synced_ = true;
        changed();
      }};
  configmap_ = std::make_unique<k8s::Informer<HeldConfigMap>>(
      executor_, client_, clock_,
      k8s::Collection{"/api/v1/namespaces/" + ns + "/configmaps",
                      {},
                      "metadata.name=" + options_.configmap_name},
      std::move(decode_map), std::move(map_handlers), options_.list_watch);
  if (!options_.secrets) return;
  auto decode_secret = [](const json::object& object) -> Result<HeldSecret> {
    HeldSecret held;
    held.value.meta = names_of(object);
    held.value.type = string_member(object, "type");
    const auto* data = object.if_contains("data");
    const auto* password =
        data != nullptr && data->is_object() ? data->get_object().if_contains("password") : nullptr;
    if (password != nullptr) {
      auto decoded = password->is_string()
                         ? k8s::decode_base64(password->get_string())
                         : Result<std::string>(failure(Errc::kInvalidArgument, "not a string"));
      if (decoded) {
        held.value.password = std::move(decoded).value();
      } else {
        held.error = "data.password: " + decoded.error().message();
      }
    }
    return held;
  };
  k8s::Informer<HeldSecret>::Handlers secret_handlers{
      [this](const std::string&, const HeldSecret&) { changed(); },
      [this](const std::string&, const HeldSecret&, const HeldSecret&) { changed(); },
      [this](const std::string&, const HeldSecret&) { changed(); },
      {},
      [this] {
        secrets_synced_ = true;
        changed();
      }};
  secrets_ = std::make_unique<k8s::Informer<HeldSecret>>(
      executor_, client_, clock_, k8s::Collection{"/api/v1/namespaces/" + ns + "/secrets"},
      std::move(decode_secret), std::move(secret_handlers), options_.list_watch);
}

ConfigSource::~ConfigSource() {
  *alive_ = false;
  if (stop_) stop_->cancel();
}

k8s::Informer<ConfigSource::HeldResource>::Handlers ConfigSource::resource_handlers(
    std::size_t index) {
  return {[this](const std::string&, const HeldResource&) { changed(); },
          [this](const std::string&, const HeldResource&, const HeldResource&) { changed(); },
          [this](const std::string&, const HeldResource&) { changed(); },
          {},
          [this, index] {
            kinds_[index]->synced = true;
            changed();
          }};
}

void ConfigSource::start() {
  if (running_) return;
  running_ = true;
  stop_ = std::make_unique<asio::steady_timer>(executor_, asio::steady_timer::time_point::max());
  configmap_->start();
  if (secrets_) secrets_->start();
  for (std::size_t i = 0; i < kinds_.size(); ++i) probe(i);
}

void ConfigSource::stop() {
  if (!running_) return;
  running_ = false;
  stop_->cancel();
  debounce_->cancel();
  configmap_->stop();
  if (secrets_) secrets_->stop();
  for (auto& kind : kinds_) {
    kind->retry->cancel();
    kind->informer->stop();
  }
}

void ConfigSource::probe(std::size_t index) {
  asio::co_spawn(executor_, probe_until_stopped(alive_, index),
                 log_failure("configuration: asking for " + kinds_[index]->path));
}

// Runs later, from the executor: by then the source may be gone.
asio::awaitable<void> ConfigSource::probe_until_stopped(std::shared_ptr<bool> alive,
                                                        std::size_t index) {
  if (!*alive || !running_) co_return;
  co_await (ask(index) || stop_->async_wait(asio::as_tuple(asio::use_awaitable)));
}

// Asks for one item of the kind: a 404 means the CRD is not installed (no objects of that kind;
// asked again with backoff), an answer means the informer can run. The wait between attempts is
// a Timer, not a suspended coroutine, so a source destroyed while it waits leaves nothing behind.
asio::awaitable<void> ConfigSource::ask(std::size_t index) {
  const auto alive = alive_;
  Kind& kind = *kinds_[index];
  auto response = co_await client_.request(k8s::Verb::kGet, kind.path + "?limit=1");
  if (!*alive || !running_) co_return;
  if (response && response.value().ok()) {
    if (kind.missing) {
      spdlog::info("configuration: {} is installed now; following {}", kind.row.plural, kind.path);
    }
    kind.missing = false;
    kind.watching = true;
    kind.informer->start();
    changed();
    co_return;
  }
  if (response && response.value().status == 404) {
    if (!kind.missing) {
      spdlog::warn(
          "configuration: {} (metallb.io/{}) is not installed (404 on {}): none are read; asking "
          "again with backoff",
          kind.row.plural, kind.row.version, kind.path);
      kind.missing = true;
      changed();
    }
  } else if (!response && k8s::is_cancelled(response.error())) {
    co_return;
  } else if (!kind.said_failure) {
    kind.said_failure = true;  // once: the informer logs its own failures once it runs
    spdlog::warn(
        "configuration: {}: {}", kind.path,
        response
            ? k8s::status_error("list", response.value().status, response.value().body).message()
            : response.error().message());
  }
  kind.retry->arm(clock_.now() + jittered(kind.delay), [this, index] { probe(index); });
  kind.delay = std::min(kind.delay * 2, options_.probe_max);
}

Clock::duration ConfigSource::jittered(Clock::duration delay) {
  std::uniform_int_distribution<Clock::duration::rep> spread(delay.count() / 2, delay.count());
  return Clock::duration(spread(jitter_));
}

bool ConfigSource::all_synced() const {
  return configmap_synced_ && (!secrets_ || secrets_synced_) &&
         std::all_of(kinds_.begin(), kinds_.end(),
                     [](const auto& kind) { return kind->synced_or_missing(); });
}

// Never builds from inside an informer's callback (a LIST is applied object by object, and
// only its last callback sees the whole collection): the build runs from the timer.
void ConfigSource::changed() {
  if (!running_ || !all_synced()) return;
  const auto now = clock_.now();
  if (counts_.builds == 0) {
    debounce_->arm(now, [this] { build(); });  // the first one: as soon as everything synced
    return;
  }
  if (!burst_start_) burst_start_ = now;
  debounce_->arm(std::min(now + options_.debounce, *burst_start_ + options_.debounce_max),
                 [this] { build(); });
}

ConfigSource::Candidate ConfigSource::assemble() const {
  Candidate c;
  for (const auto& [key, entry] : configmap_->items()) c.configmap = &entry.value;
  std::string text;
  std::vector<std::string> undecodable;
  bool undecodable_first = false;
  bool any = false;
  for (const auto& kind : kinds_) {
    if (!kind->watching) continue;
    // The cache is ordered by "namespace/name": one namespace, so by name.
    for (const auto& [key, entry] : kind->informer->items()) {
      any = true;
      const auto& held = entry.value;
      const auto label =
          std::string(k8s::to_string(kind->row.kind)) + "(" + held.value.meta.name + ")";
      if (!held.error.empty()) {
        undecodable.push_back(label + ": " + held.error);
        continue;
      }
      if (!text.empty()) text += "\n---\n";
      text += held.value.document;
    }
  }
  const auto& ns = options_.namespace_;
  if (any) {
    c.form = ConfigForm::kResources;
    c.result = config::check_text(text, ns + "/metallb resources", config::InputFormat::kResources);
    undecodable_first = !undecodable.empty();
    c.errors = std::move(undecodable);
  } else if (c.configmap != nullptr) {
    c.form = ConfigForm::kConfigMap;
    const auto& held = *c.configmap;
    if (!held.error.empty()) {
      c.errors.push_back("ConfigMap " + ns + "/" + options_.configmap_name + ": " + held.error);
    } else {
      const auto it = held.value.data.find("config");
      c.result = config::check_text(it == held.value.data.end() ? std::string_view() : it->second,
                                    ns + "/" + options_.configmap_name + " data.config",
                                    config::InputFormat::kConfigMap);
    }
  } else {
    c.form = ConfigForm::kEmpty;
    c.result.config = config::Config{};
  }
  for (const auto& d : c.result.diagnostics) {
    // Resources are joined into a text of our own making, whose lines mean nothing to the user:
    // the path ("IPAddressPool(public).spec.addresses[0]") is the position there.
    std::string shown =
        c.form == ConfigForm::kResources && !d.path.empty()
            ? (d.severity == config::Severity::kError
                   ? d.path + ": " + d.message
                   : std::string(config::to_string(d.severity)) + ": " + d.path + ": " + d.message)
            : d.to_string();
    if (d.severity == config::Severity::kError) {
      c.errors.push_back(std::move(shown));
    } else if (d.severity == config::Severity::kWarning) {
      c.warnings.push_back(std::move(shown));
    }
  }
  // The Event goes to the object the first error names: the path of a resource error starts
  // with "Kind(name)", and so does the text of an undecodable object.
  if (!c.errors.empty()) c.first_error_path = c.errors.front();
  for (const auto& d : c.result.diagnostics) {
    if (!undecodable_first && d.severity == config::Severity::kError) {
      c.first_error_path = d.path;
      break;
    }
  }
  if (c.result.config && secrets_) resolve_secrets(c);
  // An undecodable object refuses the candidate even when the rest checks.
  if (!c.errors.empty()) c.result.config.reset();
  return c;
}

void ConfigSource::resolve_secrets(Candidate& c) const {
  const auto& ns = options_.namespace_;
  for (auto& peer : c.result.config->peers) {
    if (peer.password_secret.empty()) continue;
    const std::string where = "BGPPeer(" + peer.name + ").spec.passwordSecret: ";
    if (!peer.password_secret_namespace.empty() && peer.password_secret_namespace != ns) {
      c.errors.push_back(where + "the Secret must be in " + ns +
                         " (where vipd reads Secrets), "
                         "not in " +
                         peer.password_secret_namespace);
      continue;
    }
    const auto* held = secrets_->get(ns + "/" + peer.password_secret);
    if (held == nullptr) {
      c.errors.push_back(where + "Secret " + ns + "/" + peer.password_secret + " not found");
    } else if (held->value.type != "kubernetes.io/basic-auth") {
      c.errors.push_back(where + "Secret " + ns + "/" + peer.password_secret + " is of type " +
                         (held->value.type.empty() ? "Opaque" : held->value.type) +
                         "; it must be kubernetes.io/basic-auth");
    } else if (!held->error.empty()) {
      c.errors.push_back(where + "Secret " + ns + "/" + peer.password_secret + ": " + held->error);
    } else if (!held->value.password) {
      c.errors.push_back(where + "Secret " + ns + "/" + peer.password_secret +
                         " has no key `password`");
    } else {
      peer.password = *held->value.password;
    }
  }
  if (c.first_error_path.empty() && !c.errors.empty()) c.first_error_path = c.errors.front();
}

void ConfigSource::build() {
  check();
  if (options_.checked) options_.checked();
}

void ConfigSource::check() {
  burst_start_.reset();
  ++counts_.builds;
  auto candidate = assemble();
  say_configmap_ignored(candidate.form == ConfigForm::kResources && candidate.configmap);
  warnings_ = candidate.warnings;
  if (!candidate.result.config) {
    refuse(candidate);
    return;
  }
  if (stale_ && config_) spdlog::info("configuration: the configuration is valid again");
  stale_ = false;
  errors_.clear();
  if (config_ && *config_ == *candidate.result.config) {
    ++counts_.unchanged;
    form_ = candidate.form;
    spdlog::debug("configuration: configuration ({}) unchanged", to_string(candidate.form));
    return;
  }
  for (const auto& w : candidate.warnings) spdlog::warn("configuration: {}", w);
  config_ = std::move(candidate.result.config);
  form_ = candidate.form;
  ++counts_.applied;
  spdlog::info("configuration: configuration from {} in force: {} pools, {} peers",
               to_string(form_), config_->pools.size(), config_->peers.size());
  if (apply_) apply_(*config_);
}

void ConfigSource::refuse(const Candidate& candidate) {
  ++counts_.refused;
  stale_ = true;
  errors_ = candidate.errors;
  spdlog::error("configuration: the configuration from {} is refused ({} errors); {}",
                to_string(candidate.form), candidate.errors.size(),
                config_ ? "the previous one stays in force" : "none is in force yet");
  for (const auto& e : candidate.errors) spdlog::error("configuration: {}", e);
  for (const auto& w : candidate.warnings) spdlog::warn("configuration: {}", w);
  std::string note =
      candidate.errors.empty() ? "the configuration is refused" : candidate.errors.front();
  if (candidate.errors.size() > 1) {
    note += " (and " + std::to_string(candidate.errors.size() - 1) + " more errors)";
  }
  events_.record(regarding(candidate, candidate.first_error_path), k8s::EventType::kWarning,
                 std::string(kReasonConfigError), "LoadConfiguration", std::move(note));
}

k8s::ObjectReference ConfigSource::regarding(const Candidate& candidate,
                                             std::string_view path) const {
  const auto& ns = options_.namespace_;
  if (candidate.form == ConfigForm::kResources) {
    if (const auto named = object_in_path(path)) {
      for (const auto& kind : kinds_) {
        if (kind->row.kind != named->first) continue;
        if (const auto* held = kind->informer->get(ns + "/" + named->second)) {
          return {held->value.api_version.empty() ? "metallb.io/" + std::string(kind->row.version)
                                                  : held->value.api_version,
                  std::string(k8s::to_string(named->first)), ns, named->second,
                  held->value.meta.uid};
        }
      }
    }
  }
  if (candidate.configmap != nullptr) {
    return {"v1", "ConfigMap", ns, options_.configmap_name, candidate.configmap->value.meta.uid};
  }
  return {"v1", "Namespace", "", ns, ""};
}

void ConfigSource::say_configmap_ignored(bool ignored) {
  if (!ignored) {
    configmap_ignored_said_ = false;
    return;
  }
  if (configmap_ignored_said_) return;
  configmap_ignored_said_ = true;
  const auto& ns = options_.namespace_;
  const std::string note = "MetalLB resources exist in " + ns +
                           ": they are the configuration and "
                           "the ConfigMap " +
                           options_.configmap_name +
                           " is ignored (vipd config convert turns it into resources)";
  spdlog::warn("configuration: {}", note);
  const auto& map = configmap_->items().begin()->second.value.value;
  events_.record({"v1", "ConfigMap", ns, options_.configmap_name, map.meta.uid},
                 k8s::EventType::kWarning, std::string(kReasonConfigMapIgnored),
                 "LoadConfiguration", note);
}

std::vector<CollectionStatus> ConfigSource::collections() const {
  std::vector<CollectionStatus> out;
  auto undecodable = [](const auto& informer) {
    std::size_t n = 0;
    for (const auto& [key, entry] : informer.items()) n += !entry.value.error.empty();
    return n;
  };
  for (const auto& kind : kinds_) {
    out.push_back({std::string(kind->row.plural), !kind->missing, kind->synced_or_missing(),
                   kind->informer->size(), undecodable(*kind->informer), kind->informer->counts()});
  }
  out.push_back({"configmaps", true, configmap_synced_, configmap_->size(),
                 undecodable(*configmap_), configmap_->counts()});
  if (secrets_) {
    out.push_back({"secrets", true, secrets_synced_, secrets_->size(), undecodable(*secrets_),
                   secrets_->counts()});
  }
  return out;
}

}  // namespace vipd::controller
