#include "k8s/list_watch.hpp"

#include <spdlog/spdlog.h>

#include <boost/json/parse.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include "common/logging.hpp"
#include "k8s/informer.hpp"

namespace vipd::k8s {
namespace {

// Query values are percent-encoded except RFC 3986's unreserved characters.
std::string encode(std::string_view value) {
  return boost::urls::encode(value, boost::urls::unreserved_chars);
}

std::string string_at(const boost::json::object& o, std::string_view a, std::string_view b) {
  const auto* outer = o.if_contains(a);
  const auto* inner = outer && outer->is_object() ? outer->get_object().if_contains(b) : nullptr;
  return inner && inner->is_string() ? std::string(inner->get_string()) : std::string();
}

// A LIST whose continue token expired is started again from scratch, this many times at most.
constexpr int kListRestarts = 3;

}  // namespace

std::string object_key(const boost::json::object& object) {
  const auto name = string_at(object, "metadata", "name");
  if (name.empty()) return {};
  const auto ns = string_at(object, "metadata", "namespace");
  return ns.empty() ? name : ns + "/" + name;
}

std::string object_resource_version(const boost::json::object& object) {
  return string_at(object, "metadata", "resourceVersion");
}

std::string Collection::describe() const {
  std::string out = path;
  if (!label_selector.empty()) out += " (labels " + label_selector + ")";
  if (!field_selector.empty()) out += " (fields " + field_selector + ")";
  return out;
}

ListWatch::ListWatch(asio::any_io_executor executor, Client& client, TimerClock& clock,
                     Collection collection, Sink sink, ListWatchOptions options)
    : executor_(std::move(executor)),
      client_(client),
      clock_(clock),
      collection_(std::move(collection)),
      sink_(std::move(sink)),
      options_(options),
      jitter_(options.jitter_seed) {}

ListWatch::~ListWatch() { *alive_ = false; }  // wake_ goes too: its wait ends, and the loop

void ListWatch::start() {
  if (running_) return;
  running_ = true;
  // A timer that never expires is the stop event: stop() (or destruction) cancels it, and the
  // `||` below then cancels the loop. No cancellation_signal outlives or is outlived by the loop.
  wake_ = std::make_unique<asio::steady_timer>(executor_, asio::steady_timer::time_point::max());
  asio::co_spawn(executor_, supervise(), log_failure("list/watch " + collection_.describe()));
}

void ListWatch::stop() {
  if (!running_) return;
  running_ = false;
  wake_->cancel();
}

asio::awaitable<void> ListWatch::supervise() {
  co_await (run() || wake_->async_wait(asio::as_tuple(asio::use_awaitable)));
}

std::string ListWatch::target(bool watching, const std::string& continue_token) const {
  std::string t = collection_.path + "?";
  if (!collection_.label_selector.empty()) {
    t += "labelSelector=" + encode(collection_.label_selector) + "&";
  }
  if (!collection_.field_selector.empty()) {
    t += "fieldSelector=" + encode(collection_.field_selector) + "&";
  }
  if (watching) {
    t += "watch=1&allowWatchBookmarks=true&resourceVersion=" + encode(resource_version_) +
         "&timeoutSeconds=" + std::to_string(options_.watch_timeout.count());
  } else {
    t += "limit=" + std::to_string(options_.page_size);
    if (!continue_token.empty()) t += "&continue=" + encode(continue_token);
  }
  return t;
}

asio::awaitable<void> ListWatch::run() {
  const auto alive = alive_;
  const std::string what = collection_.describe();
  bool need_list = true;
  while (*alive) {
    if (need_list) {
      auto listed = co_await list();
      if (!*alive) co_return;
      if (!listed) {
        if (is_cancelled(listed.error())) co_return;
        spdlog::warn("k8s: list {}: {}", what, listed.error().message());
        if (!co_await back_off()) co_return;
        continue;
      }
      need_list = false;
      failures_in_a_row_ = 0;
    }
    auto watched = co_await watch();
    if (!*alive) co_return;
    ++counts_.watch_restarts;
    if (watched) {
      // The server ended the stream (its timeout, or it dropped it): resume where it was.
      failures_in_a_row_ = 0;
      spdlog::debug("k8s: watch {} ended at resourceVersion {}; resuming", what, resource_version_);
      continue;
    }
    if (is_cancelled(watched.error())) co_return;
    if (is_expired(watched.error())) {
      // 410: the version is gone; only a new LIST can say what exists now.
      spdlog::info("k8s: watch {}: resourceVersion {} expired; listing again", what,
                   resource_version_);
      need_list = true;
      continue;
    }
    spdlog::warn("k8s: watch {}: {}", what, watched.error().message());
    if (!co_await back_off()) co_return;
  }
}

asio::awaitable<Result<void>> ListWatch::list() {
  const auto alive = alive_;
  for (int attempt = 0;; ++attempt) {
    std::vector<boost::json::object> objects;
    std::string continue_token, version;
    bool expired = false;
    while (true) {
      auto response = co_await client_.request(Verb::kGet, target(false, continue_token));
      if (!*alive) co_return failure(Errc::kIoError, "stopped");
      if (!response) {
        ++counts_.failures;
        co_return failure(response.error());
      }
      if (response.value().status == 410 && !continue_token.empty() && attempt < kListRestarts) {
        expired = true;  // the continue token expired between pages: start over
        break;
      }
      if (!response.value().ok()) {
        ++counts_.failures;
        co_return failure(status_error("list " + collection_.describe(), response.value().status,
                                       response.value().body));
      }
      boost::system::error_code ec;
      auto value = boost::json::parse(response.value().body, ec);
      auto* page = ec ? nullptr : value.if_object();
      auto* items = page ? page->if_contains("items") : nullptr;
      if (page == nullptr || items == nullptr || !(items->is_array() || items->is_null())) {
        ++counts_.failures;
        co_return failure(Errc::kProtocolError,
                          "list " + collection_.describe() + ": the answer is not a list");
      }
      if (version.empty()) version = string_at(*page, "metadata", "resourceVersion");
      if (items->is_array()) {
        for (auto& item : items->get_array()) {
          if (item.is_object()) objects.push_back(std::move(item.get_object()));
        }
      }
      continue_token = string_at(*page, "metadata", "continue");
      if (continue_token.empty()) break;
    }
    if (expired) continue;
    resource_version_ = version;
    ++counts_.lists;
    if (listed_) ++counts_.relists;
    listed_ = true;
    if (sink_.replace) sink_.replace(std::move(objects));
    co_return success();
  }
}

asio::awaitable<Result<void>> ListWatch::watch() {
  ++counts_.watches;
  const auto alive = alive_;
  // Named, not a temporary in the co_await expression: GCC 12 destroys such temporaries twice.
  WatchHandler handler = [this, alive](WatchEvent event) {
    if (!*alive) return;
    const auto version = string_at(event.object, "metadata", "resourceVersion");
    if (!version.empty()) resource_version_ = version;
    if (event.type == "BOOKMARK") return;
    ++counts_.events;
    if (sink_.event) sink_.event(event.type, std::move(event.object));
  };
  auto result = co_await client_.watch(target(true, {}), std::move(handler));
  if (!result && !is_cancelled(result.error()) && !is_expired(result.error())) ++counts_.failures;
  co_return result;
}

asio::awaitable<bool> ListWatch::back_off() {
  // Capped exponential, with jitter in [half, whole] so that many informers that failed together
  // do not retry together.
  auto delay = options_.backoff_initial;
  for (int i = 0; i < failures_in_a_row_ && delay < options_.backoff_max; ++i) delay *= 2;
  delay = std::min(delay, options_.backoff_max);
  ++failures_in_a_row_;
  std::uniform_int_distribution<Clock::duration::rep> spread(delay.count() / 2, delay.count());
  co_return co_await sleep_for(clock_, Clock::duration(spread(jitter_)));
}

}  // namespace vipd::k8s
