// Proves that the dev build really runs under AddressSanitizer and UndefinedBehaviorSanitizer:
// a build that silently lost its -fsanitize flags fails here instead of passing everything.
#include <gtest/gtest.h>

#include <climits>
#include <cstdlib>

#ifdef VIPD_SANITIZED_BUILD

namespace {

TEST(Sanitizers, AddressSanitizerIsCompiledIn) {
#if defined(__SANITIZE_ADDRESS__)
  SUCCEED();
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  SUCCEED();
#else
  FAIL() << "VIPD_SANITIZE is on but the compiler did not enable AddressSanitizer";
#endif
#else
  FAIL() << "VIPD_SANITIZE is on but __SANITIZE_ADDRESS__ is not defined";
#endif
}

TEST(SanitizersDeathTest, HeapOverflowIsCaught) {
  EXPECT_DEATH(
      {
        auto* volatile bytes = static_cast<char*>(std::malloc(8));
        bytes[8] = 1;
        std::free(bytes);
      },
      "AddressSanitizer: heap-buffer-overflow");
}

TEST(SanitizersDeathTest, SignedOverflowIsCaught) {
  EXPECT_DEATH(
      {
        volatile int big = INT_MAX;
        volatile int sum = big + 1;
        (void)sum;
      },
      "runtime error: signed integer overflow");
}

}  // namespace

#endif  // VIPD_SANITIZED_BUILD
