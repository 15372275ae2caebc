#include "daemon/speaker_statuses.hpp"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <chrono>
#include <ctime>

#include "common/logging.hpp"
#include "daemon/daemon_support.hpp"
#include "k8s/errors.hpp"

namespace vipd::daemon {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr std::string_view kGroupVersion = "metallb.io/v1beta1";

std::string encode_query(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '/') {
      out += "%2F";
    } else if (c == '=') {
      out += "%3D";
    } else {
      out += c;
    }
  }
  return out;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += (out.empty() ? "" : "\n") + l;
  return out;
}

json::array string_array(const std::vector<std::string>& values) {
  json::array out;
  for (const auto& v : values) out.emplace_back(v);
  return out;
}

std::pair<std::string, std::string> split_key(const std::string& key) {
  const auto slash = key.find('/');
  return {key.substr(0, slash), key.substr(slash + 1)};
}

}  // namespace

SpeakerStatuses::SpeakerStatuses(asio::any_io_executor executor, k8s::Client& client,
                                 TimerClock& clock, std::string ns, std::string node)
    : executor_(executor),
      client_(client),
      clock_(clock),
      writer_(client),
      namespace_(std::move(ns)),
      node_(std::move(node)),
      retry_(clock.make_timer(executor)) {}

SpeakerStatuses::~SpeakerStatuses() { *alive_ = false; }

std::string SpeakerStatuses::collection(std::string_view kind) const {
  return "/apis/" + std::string(kGroupVersion) + "/namespaces/" + namespace_ + "/" +
         std::string(kind);
}

void SpeakerStatuses::set_announced(std::map<std::string, std::vector<std::string>> peers) {
  if (peers == bgp_.desired && bgp_.listed) return;
  bgp_.desired = std::move(peers);
  dirty_ = true;
  kick();
}

void SpeakerStatuses::set_layer2(std::map<std::string, std::vector<std::string>> interfaces) {
  if (interfaces == l2_.desired && l2_.listed) return;
  l2_.desired = std::move(interfaces);
  dirty_ = true;
  kick();
}

void SpeakerStatuses::set_configuration(bool valid, std::vector<std::string> errors) {
  auto next = std::make_pair(valid, std::move(errors));
  if (configuration_ == next) return;
  configuration_ = std::move(next);
  dirty_ = true;
  kick();
}

void SpeakerStatuses::kick() {
  if (writing_ || retry_->armed()) return;
  writing_ = true;
  asio::co_spawn(executor_, write_loop(), log_failure("speaker statuses"));
}

asio::awaitable<void> SpeakerStatuses::write_loop() {
  const auto alive = alive_;
  bool ok = true;
  while (*alive && dirty_ && ok) {
    dirty_ = false;
    ok = co_await write_configuration_state();
    if (!*alive) co_return;
    const bool bgp = co_await write_statuses(bgp_);
    if (!*alive) co_return;
    const bool l2 = co_await write_statuses(l2_);
    if (!*alive) co_return;
    ok = ok && bgp && l2;
  }
  writing_ = false;
  if (ok) {
    backoff_ = {};
    co_return;
  }
  // Something was refused or not answered: all of it is compared again after the backoff.
  dirty_ = true;
  backoff_ = backoff_ == Clock::duration{} ? Clock::duration{1s}
                                           : std::min<Clock::duration>(backoff_ * 2, 30s);
  retry_->arm(clock_.now() + backoff_, [this] { kick(); });
}

asio::awaitable<bool> SpeakerStatuses::list_held(Objects& o) {
  const auto alive = alive_;
  auto r = co_await client_.request(
      k8s::Verb::kGet, collection(o.resource) + "?labelSelector=" +
                           encode_query(std::string(speaker::kLabelNode) + "=" + node_));
  if (!*alive) co_return false;
  if (!r) {
    ++counts_.failures;
    spdlog::warn("speaker: {} list: {}", o.kind, r.error().message());
    co_return false;
  }
  if (r.value().status == 404) {
    if (!o.crd_missing_said) {
      spdlog::warn(
          "speaker: the {} CRD is not installed: no such status objects are written (asked "
          "again every 30 s)",
          o.kind);
      o.crd_missing_said = true;
    }
    backoff_ = 15s;  // doubled to 30 s by the caller
    co_return false;
  }
  if (!r.value().ok()) {
    ++counts_.failures;
    spdlog::warn("speaker: {}",
                 k8s::status_error(std::string(o.kind) + " list", r.value().status, r.value().body)
                     .message());
    co_return false;
  }
  boost::system::error_code ec;
  const auto list = json::parse(r.value().body, ec);
  if (ec || !list.is_object()) co_return false;
  o.held.clear();
  if (const auto* items = list.as_object().if_contains("items"); items && items->is_array()) {
    for (const auto& item : items->as_array()) {
      if (!item.is_object()) continue;
      const auto* meta = item.as_object().if_contains("metadata");
      if (meta == nullptr || !meta->is_object()) continue;
      speaker::HeldStatus h;
      if (const auto* name = meta->as_object().if_contains("name"); name && name->is_string()) {
        h.name = std::string(name->as_string());
      }
      std::string ns, svc;
      if (const auto* labels = meta->as_object().if_contains("labels");
          labels && labels->is_object()) {
        const auto text = [&](std::string_view k) {
          const auto* v = labels->as_object().if_contains(k);
          return v && v->is_string() ? std::string(v->as_string()) : std::string();
        };
        ns = text(speaker::kLabelServiceNamespace);
        svc = text(speaker::kLabelServiceName);
      }
      h.service = ns + "/" + svc;
      if (const auto* status = item.as_object().if_contains("status");
          status && status->is_object()) {
        const auto* values = status->as_object().if_contains(o.layer2 ? "interfaces" : "peers");
        if (values && values->is_array()) {
          for (const auto& v : values->as_array()) {
            if (v.is_string()) h.peers.emplace_back(v.as_string());
            const auto* name = v.is_object() ? v.as_object().if_contains("name") : nullptr;
            if (name && name->is_string()) h.peers.emplace_back(name->as_string());
          }
        }
      }
      if (!h.name.empty()) o.held.push_back(std::move(h));
    }
  }
  if (o.crd_missing_said) spdlog::info("speaker: the {} CRD is installed", o.kind);
  o.crd_missing_said = false;
  o.listed = true;
  co_return true;
}

asio::awaitable<bool> SpeakerStatuses::write_status(Objects& o, const std::string& name,
                                                    const std::string& service,
                                                    const std::vector<std::string>& values) {
  const auto key = split_key(service);
  const std::string& ns = key.first;
  const std::string& svc = key.second;
  json::object status{{"node", node_}, {"serviceName", svc}, {"serviceNamespace", ns}};
  if (o.layer2) {
    json::array interfaces;
    for (const auto& v : values) interfaces.push_back(json::object{{"name", v}});
    status["interfaces"] = std::move(interfaces);
  } else {
    status["peers"] = string_array(values);
  }
  auto r = co_await writer_.update(collection(o.resource) + "/" + name, true,
                                   [&](json::object& object) -> Result<bool> {
                                     object["status"] = status;
                                     return true;
                                   });
  if (!r) {
    ++counts_.failures;
    spdlog::warn("speaker: {} {} ({}): {}", o.kind, name, service, r.error().message());
    co_return false;
  }
  co_return true;
}

asio::awaitable<bool> SpeakerStatuses::write_statuses(Objects& o) {
  const auto alive = alive_;
  if (!o.listed) {
    if (!co_await list_held(o)) co_return false;
  }
  auto changes = speaker::status_changes(o.desired, o.held);
  bool ok = true;
  for (const auto& name : changes.remove) {
    auto r = co_await client_.request(k8s::Verb::kDelete, collection(o.resource) + "/" + name);
    if (!*alive) co_return false;
    if (r && (r.value().ok() || r.value().status == 404)) {
      ++counts_.deleted;
      std::erase_if(o.held, [&](const speaker::HeldStatus& h) { return h.name == name; });
    } else {
      ++counts_.failures;
      ok = false;
    }
  }
  for (const auto& h : changes.update) {
    const bool written = co_await write_status(o, h.name, h.service, h.peers);
    if (!*alive) co_return false;
    if (written) {
      ++counts_.updated;
      for (auto& held : o.held) {
        if (held.name == h.name) held.peers = h.peers;
      }
    } else {
      ok = false;
      o.listed = false;  // deleted by someone else, perhaps: list again
    }
  }
  for (const auto& service : changes.create) {
    const auto key = split_key(service);
    const std::string& ns = key.first;
    const std::string& svc = key.second;
    const json::object object{
        {"apiVersion", kGroupVersion},
        {"kind", o.kind},
        {"metadata",
         json::object{{"generateName", o.prefix},
                      {"namespace", namespace_},
                      {"labels", json::object{{speaker::kLabelNode, node_},
                                              {speaker::kLabelServiceName, svc},
                                              {speaker::kLabelServiceNamespace, ns}}}}}};
    auto r =
        co_await client_.request(k8s::Verb::kPost, collection(o.resource), json::serialize(object));
    if (!*alive) co_return false;
    if (!r || !r.value().ok()) {
      ++counts_.failures;
      spdlog::warn("speaker: {} for {}: {}", o.kind, service,
                   r ? k8s::status_error("create", r.value().status, r.value().body).message()
                     : r.error().message());
      ok = false;
      continue;
    }
    boost::system::error_code ec;
    const auto created = json::parse(r.value().body, ec);
    const auto* name = ec ? nullptr : created.find_pointer("/metadata/name", ec);
    if (name == nullptr || !name->is_string()) {
      ok = false;
      o.listed = false;
      continue;
    }
    ++counts_.created;
    const std::string object_name(name->as_string());
    o.held.push_back({object_name, service, {}});
    const auto values = o.desired.at(service);
    if (co_await write_status(o, object_name, service, values)) {
      if (!*alive) co_return false;
      for (auto& held : o.held) {
        if (held.name == object_name) held.peers = values;
      }
    } else {
      ok = false;
    }
  }
  co_return ok;
}

asio::awaitable<bool> SpeakerStatuses::write_configuration_state() {
  const auto alive = alive_;
  if (!configuration_ || configuration_ == configuration_written_) co_return true;
  const bool valid = configuration_->first;
  const std::vector<std::string> errors = configuration_->second;
  const std::string name = "speaker-" + node_;
  const json::object object{
      {"apiVersion", kGroupVersion},
      {"kind", "ConfigurationState"},
      {"metadata", json::object{{"name", name},
                                {"namespace", namespace_},
                                {"labels", json::object{{"app.kubernetes.io/component", "speaker"},
                                                        {speaker::kLabelNode, node_}}}}}};
  auto created = co_await client_.request(k8s::Verb::kPost, collection("configurationstates"),
                                          json::serialize(object));
  if (!*alive) co_return false;
  if (created && created.value().status == 404) {
    if (!state_crd_missing_said_) {
      spdlog::warn(
          "speaker: the ConfigurationState CRD is not installed: the configuration's "
          "state is in vipd status only");
      state_crd_missing_said_ = true;
    }
    configuration_written_ = configuration_;  // asked again when the configuration changes
    co_return true;
  }
  if (!created || !(created.value().ok() || created.value().status == 409)) {
    ++counts_.failures;
    spdlog::warn(
        "speaker: ConfigurationState {}: {}", name,
        created
            ? k8s::status_error("create", created.value().status, created.value().body).message()
            : created.error().message());
    co_return false;
  }
  const std::string summary = joined(errors);
  auto r = co_await writer_.update(
      collection("configurationstates") + "/" + name, true, [&](json::object& o) -> Result<bool> {
        o["status"] = json::object{
            {"result", valid ? "Valid" : "Invalid"},
            {"errorSummary", summary},
            {"conditions",
             json::array{json::object{{"type", "ConfigurationValid"},
                                      {"status", valid ? "True" : "False"},
                                      {"reason", valid ? "None" : "ConfigurationError"},
                                      {"message", summary.substr(0, 32768)},
                                      {"lastTransitionTime", now_rfc3339()}}}}};
        return true;
      });
  if (!*alive) co_return false;
  if (!r) {
    ++counts_.failures;
    spdlog::warn("speaker: ConfigurationState {}: {}", name, r.error().message());
    co_return false;
  }
  configuration_written_ = configuration_;
  co_return true;
}

}  // namespace vipd::daemon
