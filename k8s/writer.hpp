#pragma once
// Writes to the API server that survive other writers: read-modify-write with optimistic
// concurrency (a 409 Conflict means someone wrote in between: read again, apply the change
// again, bounded), the status subresource apart from the object, and JSON merge patches (RFC
// 7386) for annotations, as kubectl and client-go write them.
//
// Responsible for: the retry loop and its bound, telling "nothing to change" from a write, and
// an Error naming the object and the server's answer (logged at debug; the caller, who knows
// what the write was for, logs it). Not responsible for: what to change (the caller's mutation),
// Events (event_recorder.hpp), leader election (a caller that may have lost its lease checks
// before each write).
// Thread: one io_context thread; the Client outlives the Writer.

#include <boost/json/object.hpp>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "common/asio.hpp"
#include "k8s/client.hpp"

namespace vipd::k8s {

struct WriterOptions {
  int max_attempts = 5;  // reads and writes per update(), conflicts included
};

// What an update did.
enum class Written : std::uint8_t {
  kUnchanged,  // the mutation found nothing to change: no write
  kWritten,
};

class Writer {
 public:
  // The mutation: change `object` (a fresh read of the object) in place and say whether it
  // changed anything; an Error stops the update (nothing is written).
  using Mutation = std::function<Result<bool>(boost::json::object& object)>;

  explicit Writer(Client& client, WriterOptions options = {})
      : client_(client), options_(options) {}

  // Reads `path` ("/api/v1/namespaces/NS/services/NAME"), applies `mutate`, and writes the
  // object back with the resourceVersion it was read at: to `path`, or with `status` to
  // `path + "/status"` (where the server takes the status and ignores the rest). A 409 starts
  // over from the read, at most max_attempts times in all. A 404 is an Error with
  // http_status(e) == 404.
  asio::awaitable<Result<Written>> update(std::string path, bool status, Mutation mutate);

  // A JSON merge patch of metadata.annotations: a value sets the key, nullopt removes it.
  asio::awaitable<Result<void>> patch_annotations(
      std::string path, const std::map<std::string, std::optional<std::string>>& changes);

  // Any JSON merge patch (application/merge-patch+json) of `path`.
  asio::awaitable<Result<Response>> merge_patch(std::string path, const boost::json::object& patch);

  std::uint64_t conflicts() const { return conflicts_; }  // 409s met (then retried)

 private:
  Client& client_;
  WriterOptions options_;
  std::uint64_t conflicts_ = 0;
};

}  // namespace vipd::k8s
