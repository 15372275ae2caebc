#include "k8s/errors.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace vipd::k8s {
namespace {

class HttpCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "k8s-http"; }
  std::string message(int value) const override { return "HTTP " + std::to_string(value); }
};

std::string string_field(const boost::json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (value == nullptr || !value->is_string()) return {};
  return std::string(value->get_string());
}

// Servers up to 1.17 said "Gone" where newer ones say "Expired"; both mean 410 (client-go's
// reflector accepts either).
unsigned code_for_reason(std::string_view reason) {
  if (reason == "Expired" || reason == "Gone") return 410;
  return 0;
}

}  // namespace

const std::error_category& http_category() noexcept {
  static const HttpCategory category;
  return category;
}

std::error_code make_http_error_code(unsigned status) noexcept {
  return {static_cast<int>(status), http_category()};
}

std::optional<unsigned> http_status(const Error& error) {
  if (error.code().category() != http_category()) return std::nullopt;
  return static_cast<unsigned>(error.code().value());
}

bool is_expired(const Error& error) { return http_status(error) == 410u; }

bool is_cancelled(const Error& error) { return error.code() == std::errc::operation_canceled; }

std::optional<ApiStatus> api_status(const boost::json::object& object) {
  const auto* kind = object.if_contains("kind");
  if (kind == nullptr || !kind->is_string() || kind->get_string() != "Status") return std::nullopt;
  ApiStatus status;
  status.reason = string_field(object, "reason");
  status.message = string_field(object, "message");
  if (const auto* code = object.if_contains("code")) {
    if (code->is_int64() && code->get_int64() > 0 && code->get_int64() < 1000) {
      status.code = static_cast<unsigned>(code->get_int64());
    }
  }
  return status;
}

std::optional<ApiStatus> parse_api_status(std::string_view body) {
  boost::system::error_code ec;
  const auto value = boost::json::parse(body, ec);
  if (ec || !value.is_object()) return std::nullopt;
  return api_status(value.get_object());
}

Error status_error(std::string_view what, const ApiStatus& status) {
  unsigned code = status.code != 0 ? status.code : code_for_reason(status.reason);
  // A Status with no usable code is still a failure the caller must see; 500 is what
  // client-go's apierrors.FromObject falls back to.
  if (code == 0) code = 500;
  std::string message = std::string(what) + ": HTTP " + std::to_string(code);
  if (!status.reason.empty()) message += " (" + status.reason + ")";
  if (!status.message.empty()) message += ": " + status.message;
  return Error(make_http_error_code(code), std::move(message));
}

Error status_error(std::string_view what, unsigned status, std::string_view body) {
  if (auto parsed = parse_api_status(body)) {
    if (status != 0) parsed->code = status;
    return status_error(what, *parsed);
  }
  // Not a Status (a proxy's HTML page, say): show the start of it.
  constexpr std::size_t kShown = 200;
  ApiStatus plain{status, {}, std::string(body.substr(0, kShown))};
  if (body.size() > kShown) plain.message += "...";
  return status_error(what, plain);
}

}  // namespace vipd::k8s
