#include "common/result.hpp"

#include <gtest/gtest.h>

#include "common/assert.hpp"

namespace vipd {
namespace {

Result<int> parse_positive(int v) {
  if (v <= 0) return failure(Errc::kOutOfRange, "must be positive, got " + std::to_string(v));
  return v;
}

Result<int> doubled(int v) {
  VIPD_TRY(auto x, parse_positive(v));
  return 2 * x;
}

Result<void> check(int v) {
  VIPD_TRY(parse_positive(v));
  return success();
}

TEST(Result, CarriesValueOrError) {
  auto ok = doubled(21);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok.value(), 42);

  auto bad = doubled(-1);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), Errc::kOutOfRange);
  EXPECT_EQ(bad.error().message(), "must be positive, got -1");
  EXPECT_TRUE(check(1));
  EXPECT_FALSE(check(0));
}

TEST(Result, ErrorsBelongToTheVipdCategory) {
  const std::error_code code = Errc::kConflict;
  EXPECT_STREQ(code.category().name(), "vipd");
  EXPECT_EQ(code.message(), "conflict");
  EXPECT_EQ(make_error_code(Errc::kIoError).message(), "I/O error");
  EXPECT_NE(code, std::make_error_code(std::errc::invalid_argument));
}

TEST(Result, ContextIsPrependedToTheMessage) {
  const Error e(Errc::kInvalidArgument, "bad octet");
  const Error wrapped = e.with_context("address-pools[0].addresses[1]");
  EXPECT_EQ(wrapped.message(), "address-pools[0].addresses[1]: bad octet");
  EXPECT_EQ(wrapped.code(), e.code());
}

TEST(AssertDeathTest, BrokenInvariantAbortsWithLocation) {
  EXPECT_DEATH(VIPD_ASSERT(1 + 1 == 3, "arithmetic is broken"),
               "assertion failed at .*result_test.cpp.*arithmetic is broken \\(1 \\+ 1 == 3\\)");
}

}  // namespace
}  // namespace vipd
