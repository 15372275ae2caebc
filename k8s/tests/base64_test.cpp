#include "k8s/base64.hpp"

#include <gtest/gtest.h>

namespace vipd::k8s {
namespace {

// RFC 4648 §10 test vectors.
TEST(Base64, DecodesTheRfcVectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},
      {"Zg==", "f"},
      {"Zm8=", "fo"},
      {"Zm9v", "foo"},
      {"Zm9vYg==", "foob"},
      {"Zm9vYmE=", "fooba"},
      {"Zm9vYmFy", "foobar"},
  };
  for (const auto& [encoded, decoded] : vectors) {
    auto result = decode_base64(encoded);
    ASSERT_TRUE(result) << encoded;
    EXPECT_EQ(result.value(), decoded) << encoded;
  }
}

TEST(Base64, PaddingIsOptionalAndWhitespaceIgnored) {
  EXPECT_EQ(decode_base64("Zg").value(), "f");
  EXPECT_EQ(decode_base64("Zm9v\nYmFy\r\n").value(), "foobar");
  EXPECT_EQ(decode_base64("/+8=").value(), "\xff\xef");
}

TEST(Base64, RefusesWhatIsNotBase64) {
  for (const char* bad : {"Z", "Zm9v!", "Zg==Zg==", "Zm9=v", "Zg===", "Zm9vY"}) {
    auto result = decode_base64(bad);
    ASSERT_FALSE(result) << bad;
    EXPECT_EQ(result.error().code(), make_error_code(Errc::kInvalidArgument)) << bad;
  }
}

}  // namespace
}  // namespace vipd::k8s
