#pragma once
// ListWatch: the reflector loop of one collection — paginated LIST, then WATCH from the list's
// resourceVersion with bookmarks, resumed from the last resourceVersion seen when a watch ends or
// fails, and a fresh LIST only when the server says that version is gone (410 Expired), as
// client-go's reflector does (API-NOTES.md §1).
//
// Responsible for: the requests (limit/continue, allowWatchBookmarks, timeoutSeconds), the
// resourceVersion bookkeeping, capped exponential backoff with jitter between failed attempts
// (on the TimerClock), counters for metrics, and one log line per failure. It hands each object
// to a Sink as it arrives and keeps none itself.
// Not responsible for: decoding or caching objects (informer.hpp does), deciding anything.
// Thread: one io_context thread; the Client and the Sink outlive the ListWatch.

#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "common/asio.hpp"
#include "common/timer.hpp"
#include "k8s/client.hpp"

namespace vipd::k8s {

// One collection: its path ("/api/v1/services", "/apis/discovery.k8s.io/v1/namespaces/NS/
// endpointslices") and optional selectors.
struct Collection {
  std::string path;
  std::string label_selector;
  std::string field_selector;
  std::string describe() const;  // the path with its selectors, for messages
};

struct ListWatchOptions {
  std::size_t page_size = 500;
  Clock::duration backoff_initial = std::chrono::seconds(1);
  Clock::duration backoff_max = std::chrono::seconds(30);
  // The server ends each watch after this long (client-go: a random 5–10 minutes); the loop then
  // resumes from where it was.
  std::chrono::seconds watch_timeout = std::chrono::minutes(5);
  std::uint64_t jitter_seed = 0;
};

struct ListWatchCounts {
  std::uint64_t lists = 0;           // complete LISTs (the first one included)
  std::uint64_t relists = 0;         // LISTs after the first: the server said 410 Expired
  std::uint64_t watches = 0;         // watch requests sent
  std::uint64_t watch_restarts = 0;  // watches resumed after the stream ended or failed
  std::uint64_t events = 0;          // ADDED / MODIFIED / DELETED delivered
  std::uint64_t failures = 0;        // failed requests (then backoff)
};

class ListWatch {
 public:
  // What the loop hands on. Objects carry their metadata (namespace, name, resourceVersion).
  struct Sink {
    // After each complete LIST: every object of the collection.
    std::function<void(std::vector<boost::json::object> objects)> replace;
    // A watch event: "ADDED", "MODIFIED" or "DELETED" and the object (its last state for
    // DELETED).
    std::function<void(std::string_view type, boost::json::object object)> event;
  };

  ListWatch(asio::any_io_executor executor, Client& client, TimerClock& clock,
            Collection collection, Sink sink, ListWatchOptions options = {});
  ~ListWatch();
  ListWatch(const ListWatch&) = delete;
  ListWatch& operator=(const ListWatch&) = delete;

  // Runs until stop() (or destruction).
  void start();
  void stop();

  bool listed() const { return listed_; }  // a complete LIST has been handed on
  const std::string& resource_version() const { return resource_version_; }
  const ListWatchCounts& counts() const { return counts_; }
  const Collection& collection() const { return collection_; }

 private:
  asio::awaitable<void> supervise();
  asio::awaitable<void> run();
  asio::awaitable<Result<void>> list();
  asio::awaitable<Result<void>> watch();
  asio::awaitable<bool> back_off();
  std::string target(bool watching, const std::string& continue_token) const;

  asio::any_io_executor executor_;
  Client& client_;
  TimerClock& clock_;
  Collection collection_;
  Sink sink_;
  ListWatchOptions options_;
  std::string resource_version_;
  bool listed_ = false;
  int failures_in_a_row_ = 0;
  std::mt19937_64 jitter_;
  ListWatchCounts counts_;
  std::unique_ptr<asio::steady_timer> wake_;  // never expires: the stop event
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  bool running_ = false;
};

}  // namespace vipd::k8s
