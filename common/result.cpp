#include "common/result.hpp"

namespace vipd {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "vipd"; }
  std::string message(int value) const override {
    switch (static_cast<Errc>(value)) {
      case Errc::kInvalidArgument:
        return "invalid argument";
      case Errc::kOutOfRange:
        return "out of range";
      case Errc::kNotFound:
        return "not found";
      case Errc::kAlreadyExists:
        return "already exists";
      case Errc::kConflict:
        return "conflict";
      case Errc::kProtocolError:
        return "protocol error";
      case Errc::kUnsupported:
        return "unsupported";
      case Errc::kIoError:
        return "I/O error";
      case Errc::kTimedOut:
        return "timed out";
      case Errc::kExhausted:
        return "exhausted";
    }
    return "unknown vipd error " + std::to_string(value);
  }
};

}  // namespace

const std::error_category& error_category() noexcept {
  static const Category category;
  return category;
}

std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), error_category()}; }

Error Error::with_context(std::string_view context) const {
  std::string message(context);
  message += ": ";
  message += message_;
  return Error(code_, std::move(message));
}

}  // namespace vipd
