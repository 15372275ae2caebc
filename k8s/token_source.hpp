#pragma once
// The bearer token a request carries: a fixed one, or the content of a token file that the
// kubelet rewrites before the token expires (projected service-account tokens). The file is
// re-read when it looks changed (inode, size or modification time, checked with one stat per
// request), at least every `reread_period` even if it does not look changed (as client-go's
// cached file token source, which re-reads once a minute), and after the server answered 401.
//
// Not responsible for: asking anyone for a new token (no exec plugins).
// Thread: the caller's; one stat per request, a read only when the file changed.

#include <sys/types.h>

#include <optional>
#include <string>

#include "common/clock.hpp"
#include "common/result.hpp"

namespace vipd::k8s {

class TokenSource {
 public:
  // `file` wins when both are set; neither: no Authorization header.
  TokenSource(const Clock& clock, std::string token, std::string file,
              Clock::duration reread_period);

  // The token to send now (empty: send none). A token file that cannot be read, or is empty,
  // is an error naming the file; the last good token is not used then (it may be revoked).
  Result<std::string> token();

  // The server refused the token (401): read the file again on the next call.
  void invalidate() { checked_.reset(); }

 private:
  struct Stamp {
    dev_t device = 0;
    ino_t inode = 0;
    off_t size = 0;
    long long modified_ns = 0;
    friend bool operator==(const Stamp&, const Stamp&) = default;
  };

  const Clock& clock_;
  std::string token_;
  std::string file_;
  Clock::duration reread_period_;
  std::optional<Stamp> stamp_;                // of the file when it was last read
  std::optional<Clock::time_point> checked_;  // when it was last read
};

}  // namespace vipd::k8s
