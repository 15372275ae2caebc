// Status bodies and the error codes callers decide on (HTTP status, cancellation).
#include "k8s/errors.hpp"

#include <gtest/gtest.h>

namespace vipd::k8s {
namespace {

// fixtures/k8s/status-410-expired.json (a real apiserver's answer, API-NOTES.md §4).
constexpr std::string_view kExpired =
    R"j({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 10245 (12001)","reason":"Expired","code":410})j";

TEST(ApiStatus, ReadsAStatusBody) {
  const auto status = parse_api_status(kExpired);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->code, 410u);
  EXPECT_EQ(status->reason, "Expired");
  EXPECT_EQ(status->message, "too old resource version: 10245 (12001)");
  EXPECT_FALSE(parse_api_status(R"({"kind":"Service"})"));
  EXPECT_FALSE(parse_api_status("<html>"));
}

TEST(StatusError, CarriesTheHttpStatusAsItsCode) {
  const auto error = status_error("GET /x", 410, kExpired);
  EXPECT_EQ(http_status(error), 410u);
  EXPECT_TRUE(is_expired(error));
  EXPECT_FALSE(is_cancelled(error));
  EXPECT_EQ(error.message(), "GET /x: HTTP 410 (Expired): too old resource version: 10245 (12001)");
  const auto forbidden = status_error("watch", 403, R"({"kind":"Status","reason":"Forbidden"})");
  EXPECT_EQ(http_status(forbidden), 403u);
  EXPECT_FALSE(is_expired(forbidden));
}

TEST(StatusError, AnOldServersGoneWithoutACodeIsExpired) {
  const auto error = status_error("watch", ApiStatus{0, "Gone", "too old"});
  EXPECT_TRUE(is_expired(error));
  EXPECT_EQ(http_status(status_error("watch", ApiStatus{0, "Weird", ""})), 500u);
}

TEST(StatusError, ABodyThatIsNoStatusIsQuotedShortly) {
  const auto error = status_error("GET /", 502, std::string(300, 'x'));
  EXPECT_EQ(http_status(error), 502u);
  EXPECT_EQ(error.message(), "GET /: HTTP 502: " + std::string(200, 'x') + "...");
}

TEST(HttpStatus, OtherErrorsHaveNone) {
  EXPECT_EQ(http_status(Error(Errc::kTimedOut, "slow")), std::nullopt);
  EXPECT_FALSE(is_expired(Error(Errc::kTimedOut, "slow")));
  EXPECT_TRUE(is_cancelled(Error(std::make_error_code(std::errc::operation_canceled), "")));
}

}  // namespace
}  // namespace vipd::k8s
