#include "k8s/event_recorder.hpp"

#include <spdlog/spdlog.h>

#include <boost/json/serialize.hpp>

#include "common/logging.hpp"

namespace vipd::k8s {
namespace {

constexpr std::size_t kMaxNote = 1024;  // events.k8s.io/v1 validation: note <= 1 kB

std::string events_path(const std::string& ns) {
  return "/apis/events.k8s.io/v1/namespaces/" + ns + "/events";
}

}  // namespace

EventRecorder::EventRecorder(asio::any_io_executor executor, Client& client, TimerClock& clock,
                             EventRecorderOptions options)
    : executor_(std::move(executor)),
      client_(client),
      clock_(clock),
      options_(std::move(options)),
      refresh_timer_(clock.make_timer(executor_)) {
  refresh();
}

EventRecorder::~EventRecorder() { *alive_ = false; }

MicroTime EventRecorder::now_wall() const {
  return std::chrono::time_point_cast<std::chrono::microseconds>(options_.wall_clock());
}

void EventRecorder::record(const ObjectReference& regarding, EventType type, std::string reason,
                           std::string action, std::string note) {
  if (options_.enabled && !options_.enabled()) return;
  if (note.size() > kMaxNote) note.resize(kMaxNote);
  Key key{regarding, type, std::move(reason), std::move(action), std::move(note)};
  const auto now = clock_.now();
  auto it = known_.find(key);
  if (it != known_.end() && now - it->second.last_seen < options_.series_window) {
    // client-go: the first repeat makes the Event a series of 2 at once; later ones only count,
    // and the count is written by the periodic refresh.
    auto& k = it->second;
    ++k.count;
    ++counts_.repeats;
    k.last_seen = now;
    k.last_observed = now_wall();
    if (k.count == 2 && !k.name.empty()) {
      enqueue({key, false});
    } else {
      k.series_dirty = true;
    }
    return;
  }
  Known fresh;
  fresh.namespace_ = regarding.namespace_.empty() ? "default" : regarding.namespace_;
  fresh.last_seen = now;
  fresh.last_observed = now_wall();
  known_.insert_or_assign(key, std::move(fresh));
  enqueue({std::move(key), true});
}

void EventRecorder::enqueue(Job job) {
  if (queue_.size() >= options_.max_queued) {
    ++counts_.dropped;
    return;
  }
  queue_.push_back(std::move(job));
  if (!writing_) {
    writing_ = true;
    asio::co_spawn(executor_, drain(), log_failure("k8s events"));
  }
}

asio::awaitable<void> EventRecorder::drain() {
  const auto alive = alive_;
  while (*alive && !queue_.empty()) {
    Job job = std::move(queue_.front());
    queue_.pop_front();
    co_await write(std::move(job));
  }
  if (*alive) writing_ = false;
}

asio::awaitable<void> EventRecorder::write(Job job) {
  const auto alive = alive_;
  auto it = known_.find(job.key);
  if (it == known_.end()) co_return;  // expired meanwhile
  const auto& [regarding, type, reason, action, note] = job.key;
  const std::string ns = it->second.namespace_;
  if (job.create) {
    const auto wall = now_wall();
    // client-go names Events "<object>.<unique hex>": unique per occurrence, sorted by time.
    const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(
                           options_.wall_clock().time_since_epoch())
                           .count();
    char suffix[24];
    std::snprintf(suffix, sizeof suffix, "%llx", static_cast<unsigned long long>(nanos));
    const std::string name = regarding.name + "." + suffix;
    boost::json::object reg{
        {"apiVersion", regarding.api_version}, {"kind", regarding.kind}, {"name", regarding.name}};
    if (!regarding.namespace_.empty()) reg["namespace"] = regarding.namespace_;
    if (!regarding.uid.empty()) reg["uid"] = regarding.uid;
    boost::json::object event{{"apiVersion", "events.k8s.io/v1"},
                              {"kind", "Event"},
                              {"metadata", boost::json::object{{"name", name}, {"namespace", ns}}},
                              {"eventTime", format_micro_time(wall)},
                              {"reportingController", options_.reporting_controller},
                              {"reportingInstance", options_.reporting_instance},
                              {"action", action},
                              {"reason", reason},
                              {"regarding", std::move(reg)},
                              {"note", note},
                              {"type", type == EventType::kWarning ? "Warning" : "Normal"}};
    auto r = co_await client_.request(Verb::kPost, events_path(ns), boost::json::serialize(event));
    if (!*alive) co_return;
    if (!r || !r.value().ok()) {
      ++counts_.failures;
      spdlog::warn("k8s: event {} about {} {}/{}: {}", reason, regarding.kind, ns, regarding.name,
                   r ? status_error("create", r.value().status, r.value().body).message()
                     : r.error().message());
      known_.erase(job.key);  // the next occurrence tries again
      co_return;
    }
    ++counts_.created;
    it = known_.find(job.key);
    if (it == known_.end()) co_return;
    it->second.name = name;
    // A repeat that came while the create was in flight becomes the series now.
    if (it->second.count >= 2) {
      it->second.series_dirty = false;
      job.create = false;
    } else {
      co_return;
    }
  }
  const auto& k = it->second;
  if (k.name.empty()) co_return;
  boost::json::object patch{
      {"series", boost::json::object{{"count", k.count},
                                     {"lastObservedTime", format_micro_time(k.last_observed)}}}};
  auto r = co_await client_.request(Verb::kPatch, events_path(ns) + "/" + k.name,
                                    boost::json::serialize(patch), "application/merge-patch+json");
  if (!*alive) co_return;
  if (!r || !r.value().ok()) {
    ++counts_.failures;
    spdlog::warn("k8s: event series {} {}: {}", ns, k.name,
                 r ? status_error("patch", r.value().status, r.value().body).message()
                   : r.error().message());
    co_return;
  }
  ++counts_.series_updates;
}

void EventRecorder::refresh() {
  // Every series_refresh: write the counts that moved, forget what has been quiet for a window.
  const auto now = clock_.now();
  for (auto it = known_.begin(); it != known_.end();) {
    if (now - it->second.last_seen >= options_.series_window) {
      it = known_.erase(it);
      continue;
    }
    if (it->second.series_dirty && !it->second.name.empty()) {
      it->second.series_dirty = false;
      enqueue({it->first, false});
    }
    ++it;
  }
  refresh_timer_->arm(now + options_.series_refresh, [this] { refresh(); });
}

}  // namespace vipd::k8s
