#include "k8s/writer.hpp"

#include <spdlog/spdlog.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace vipd::k8s {

asio::awaitable<Result<Written>> Writer::update(std::string path, bool status, Mutation mutate) {
  const std::string target = status ? path + "/status" : path;
  for (int attempt = 1;; ++attempt) {
    auto read = co_await client_.request(Verb::kGet, path);
    if (!read) co_return failure(read.error());
    if (!read.value().ok()) {
      co_return failure(status_error("read " + path, read.value().status, read.value().body));
    }
    boost::system::error_code ec;
    auto value = boost::json::parse(read.value().body, ec);
    if (ec || !value.is_object()) {
      co_return failure(Errc::kProtocolError, "read " + path + ": the answer is not an object");
    }
    auto& object = value.get_object();
    auto changed = mutate(object);
    if (!changed) co_return failure(changed.error());
    if (!changed.value()) co_return Written::kUnchanged;
    // The object carries the resourceVersion it was read at: the server refuses the write with
    // 409 if it changed since (optimistic concurrency).
    auto written = co_await client_.request(Verb::kPut, target, boost::json::serialize(object));
    if (!written) co_return failure(written.error());
    if (written.value().ok()) co_return Written::kWritten;
    if (written.value().status == 409 && attempt < options_.max_attempts) {
      ++conflicts_;
      spdlog::debug("k8s: {}: conflict (attempt {}); reading it again", target, attempt);
      continue;
    }
    if (written.value().status == 409) ++conflicts_;
    auto error = status_error("write " + target, written.value().status, written.value().body);
    spdlog::debug("k8s: {}", error.message());
    co_return failure(std::move(error));
  }
}

asio::awaitable<Result<Response>> Writer::merge_patch(std::string path,
                                                      const boost::json::object& patch) {
  auto r = co_await client_.request(Verb::kPatch, path, boost::json::serialize(patch),
                                    "application/merge-patch+json");
  if (!r) co_return failure(r.error());
  if (!r.value().ok()) {
    auto error = status_error("patch " + path, r.value().status, r.value().body);
    spdlog::debug("k8s: {}", error.message());
    co_return failure(std::move(error));
  }
  co_return std::move(r.value());
}

asio::awaitable<Result<void>> Writer::patch_annotations(
    std::string path, const std::map<std::string, std::optional<std::string>>& changes) {
  boost::json::object annotations;
  for (const auto& [key, value] : changes) {
    if (value) {
      annotations[key] = *value;
    } else {
      annotations[key] = nullptr;  // RFC 7386: null removes the member
    }
  }
  boost::json::object patch{{"metadata", boost::json::object{{"annotations", annotations}}}};
  auto r = co_await merge_patch(std::move(path), patch);
  if (!r) co_return failure(r.error());
  co_return success();
}

}  // namespace vipd::k8s
