#pragma once
// EventRecorder: Kubernetes Events (events.k8s.io/v1) about the objects vipd acts on —
// IPAllocated, AllocationFailed, nodeAssigned, a bad configuration — written the way client-go's
// events recorder writes them, so `kubectl describe` and `kubectl get events` show them.
//
// Responsible for: one Event per distinct occurrence (regarding object, type, reason, action,
// note, reporting controller and instance); a repeat within the series window (6 minutes) does
// not create another Event: the first repeat turns the Event into a series (count 2) at once,
// later repeats raise the count, written every 30 s; writes queued and sent one at a time on the
// loop, never blocking the caller; a bounded queue (full: the newest is dropped and counted);
// one log line per failed write.
// Not responsible for: deciding what to report (callers), retrying a failed write (an Event is
// a hint; the next occurrence writes again).
// Thread: one io_context thread; the Client and the clock outlive the recorder.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <tuple>

#include "common/asio.hpp"
#include "common/timer.hpp"
#include "k8s/client.hpp"
#include "k8s/micro_time.hpp"

namespace vipd::k8s {

struct ObjectReference {
  std::string api_version;  // "v1", "metallb.io/v1beta1"
  std::string kind;         // "Service", "ConfigMap", "Node"
  std::string namespace_;   // empty for cluster objects (their Events go to "default")
  std::string name;
  std::string uid;
  friend auto operator<=>(const ObjectReference&, const ObjectReference&) = default;
};

enum class EventType : std::uint8_t { kNormal, kWarning };

struct EventRecorderOptions {
  std::string reporting_controller = "vipd.io/controller";  // who writes (a domain-named id)
  std::string reporting_instance;  // which copy writes: the pod or node name
  Clock::duration series_window = std::chrono::minutes(6);
  Clock::duration series_refresh = std::chrono::seconds(30);
  std::size_t max_queued = 1000;
  // Whether to write at all (a standby controller keeps quiet): asked at each record().
  std::function<bool()> enabled;
  // The wall clock for eventTime and series.lastObservedTime (injected for tests).
  std::function<std::chrono::system_clock::time_point()> wall_clock = [] {
    return std::chrono::system_clock::now();
  };
};

struct EventCounts {
  std::uint64_t created = 0;         // Events created
  std::uint64_t series_updates = 0;  // series counts written
  std::uint64_t repeats = 0;         // occurrences folded into a series
  std::uint64_t dropped = 0;         // the queue was full
  std::uint64_t failures = 0;        // writes the server refused or that did not reach it
};

class EventRecorder {
 public:
  EventRecorder(asio::any_io_executor executor, Client& client, TimerClock& clock,
                EventRecorderOptions options);
  ~EventRecorder();
  EventRecorder(const EventRecorder&) = delete;
  EventRecorder& operator=(const EventRecorder&) = delete;

  // `action` says what vipd did or failed to do ("Allocate", "Announce"); `note` is for people
  // (at most 1 kB, as the API allows: longer notes are cut).
  void record(const ObjectReference& regarding, EventType type, std::string reason,
              std::string action, std::string note);

  const EventCounts& counts() const { return counts_; }
  bool idle() const { return queue_.empty() && !writing_; }

 private:
  using Key = std::tuple<ObjectReference, EventType, std::string, std::string, std::string>;
  struct Known {
    std::string namespace_;
    std::string name;  // the Event's name on the server, "" until it is created
    std::uint64_t count = 1;
    MicroTime last_observed;
    Clock::time_point last_seen;
    bool series_dirty = false;
  };
  struct Job {
    Key key;
    bool create = true;  // else: write the series
  };

  void enqueue(Job job);
  asio::awaitable<void> drain();
  asio::awaitable<void> write(Job job);
  void refresh();
  MicroTime now_wall() const;

  asio::any_io_executor executor_;
  Client& client_;
  TimerClock& clock_;
  EventRecorderOptions options_;
  std::map<Key, Known> known_;
  std::deque<Job> queue_;
  bool writing_ = false;
  EventCounts counts_;
  std::unique_ptr<Timer> refresh_timer_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace vipd::k8s
