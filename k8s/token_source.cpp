#include "k8s/token_source.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "k8s/access.hpp"

namespace vipd::k8s {

TokenSource::TokenSource(const Clock& clock, std::string token, std::string file,
                         Clock::duration reread_period)
    : clock_(clock),
      token_(std::move(token)),
      file_(std::move(file)),
      reread_period_(reread_period) {}

namespace {

// RFC 6750 §2.1 allows far fewer characters; anything outside visible ASCII would break the
// header (or add one).
Result<void> check_header_safe(const std::string& token, const std::string& from) {
  for (const char c : token) {
    if (c < 0x21 || c > 0x7e) {
      return failure(Errc::kInvalidArgument,
                     "the token " + from + " holds a character not allowed in an HTTP header");
    }
  }
  return success();
}

}  // namespace

Result<std::string> TokenSource::token() {
  if (file_.empty()) {
    VIPD_TRY(check_header_safe(token_, "given"));
    return token_;
  }
  struct stat info {};
  if (::stat(file_.c_str(), &info) != 0) {
    checked_.reset();
    return failure(Errc::kIoError,
                   "the token file " + file_ + " cannot be read: " + std::strerror(errno));
  }
  const Stamp stamp{
      info.st_dev, info.st_ino, info.st_size,
      static_cast<long long>(info.st_mtim.tv_sec) * 1'000'000'000LL + info.st_mtim.tv_nsec};
  const auto now = clock_.now();
  const bool fresh = checked_ && stamp_ == stamp && now - *checked_ < reread_period_;
  if (fresh) return token_;

  auto text = read_small_file(file_);
  if (!text) {
    checked_.reset();
    return failure(text.error().with_context("the token file"));
  }
  // client-go trims the file's whitespace (a trailing newline is common).
  std::string& t = text.value();
  const auto first = t.find_first_not_of(" \t\r\n");
  const auto last = t.find_last_not_of(" \t\r\n");
  if (first == std::string::npos) {
    checked_.reset();
    return failure(Errc::kInvalidArgument, "the token file " + file_ + " is empty");
  }
  auto trimmed = t.substr(first, last - first + 1);
  if (auto safe = check_header_safe(trimmed, "in " + file_); !safe) {
    checked_.reset();
    return failure(safe.error());
  }
  token_ = std::move(trimmed);
  stamp_ = stamp;
  checked_ = now;
  return token_;
}

}  // namespace vipd::k8s
