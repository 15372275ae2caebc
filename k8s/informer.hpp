#pragma once
// Informer<T>: a cache of one collection's objects as small typed projections (k8s/objects.hpp),
// kept up to date by a ListWatch, and add / update / delete callbacks for the pure side.
//
// Responsible for: decoding every object into T (never keeping its JSON), the cache by
// "namespace/name" (or "name" for cluster objects), and turning a complete LIST into exactly the
// events that take the cache from what it held to what the list says (a relist after 410 loses
// no change and repeats none). An object that no longer decodes is reported (`invalid`) and its
// last good projection stays, so a bad edit never looks like a deletion.
// Not responsible for: the requests, resourceVersions and backoff (list_watch.hpp), deciding
// anything.
// Thread: one io_context thread; callbacks run there.

#include <boost/json/object.hpp>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "k8s/list_watch.hpp"

namespace vipd::k8s {

// "namespace/name", or "name" for an object without a namespace; "" when it has no name.
std::string object_key(const boost::json::object& object);
std::string object_resource_version(const boost::json::object& object);

template <class T>
class Informer {
 public:
  using Decode = std::function<Result<T>(const boost::json::object&)>;
  struct Handlers {
    std::function<void(const std::string& key, const T& object)> added;
    std::function<void(const std::string& key, const T& before, const T& now)> updated;
    std::function<void(const std::string& key, const T& last)> deleted;
    // The object changed into something that does not decode: its last good state stays.
    std::function<void(const std::string& key, const Error& error)> invalid;
    // A complete LIST has been applied (the first one: the cache is complete).
    std::function<void()> synced;
  };
  struct Entry {
    std::string resource_version;
    T value;
  };

  Informer(asio::any_io_executor executor, Client& client, TimerClock& clock, Collection collection,
           Decode decode, Handlers handlers, ListWatchOptions options = {})
      : decode_(std::move(decode)),
        handlers_(std::move(handlers)),
        list_watch_(std::move(executor), client, clock, std::move(collection),
                    ListWatch::Sink{[this](auto objects) { replace(std::move(objects)); },
                                    [this](auto type, auto object) { event(type, object); }},
                    options) {}

  void start() { list_watch_.start(); }
  void stop() { list_watch_.stop(); }

  bool synced() const { return list_watch_.listed(); }
  const T* get(const std::string& key) const {
    const auto it = cache_.find(key);
    return it == cache_.end() ? nullptr : &it->second.value;
  }
  const std::map<std::string, Entry>& items() const { return cache_; }
  std::size_t size() const { return cache_.size(); }
  std::uint64_t invalid_objects() const { return invalid_; }
  const ListWatchCounts& counts() const { return list_watch_.counts(); }
  const ListWatch& list_watch() const { return list_watch_; }

 private:
  void replace(std::vector<boost::json::object> objects) {
    std::set<std::string> seen;
    for (const auto& object : objects) {
      const auto key = object_key(object);
      if (key.empty()) continue;
      seen.insert(key);
      apply(key, object);
    }
    for (auto it = cache_.begin(); it != cache_.end();) {
      if (seen.contains(it->first)) {
        ++it;
        continue;
      }
      auto last = std::move(it->second.value);
      const auto key = it->first;
      it = cache_.erase(it);
      if (handlers_.deleted) handlers_.deleted(key, last);
    }
    if (handlers_.synced) handlers_.synced();
  }

  void event(std::string_view type, const boost::json::object& object) {
    const auto key = object_key(object);
    if (key.empty()) return;
    if (type == "DELETED") {
      const auto it = cache_.find(key);
      if (it == cache_.end()) return;
      auto last = std::move(it->second.value);
      cache_.erase(it);
      if (handlers_.deleted) handlers_.deleted(key, last);
      return;
    }
    apply(key, object);  // ADDED or MODIFIED
  }

  // The object as it is now: added, updated (when its version moved) or reported invalid.
  void apply(const std::string& key, const boost::json::object& object) {
    const auto version = object_resource_version(object);
    const auto it = cache_.find(key);
    if (it != cache_.end() && !version.empty() && it->second.resource_version == version) return;
    auto decoded = decode_(object);
    if (!decoded) {
      ++invalid_;
      if (handlers_.invalid) handlers_.invalid(key, decoded.error());
      return;
    }
    if (it == cache_.end()) {
      const auto& entry =
          cache_.emplace(key, Entry{version, std::move(decoded.value())}).first->second;
      if (handlers_.added) handlers_.added(key, entry.value);
      return;
    }
    T before = std::exchange(it->second.value, std::move(decoded.value()));
    it->second.resource_version = version;
    if (handlers_.updated) handlers_.updated(key, before, it->second.value);
  }

  Decode decode_;
  Handlers handlers_;
  std::map<std::string, Entry> cache_;
  std::uint64_t invalid_ = 0;
  ListWatch list_watch_;  // last: destroyed first, so it never calls into a dead cache
};

}  // namespace vipd::k8s
