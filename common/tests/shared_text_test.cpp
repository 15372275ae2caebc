// SharedText: one copy for every holder, compared and read as the text it holds.
#include "common/shared_text.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <tuple>

namespace vipd {
namespace {

using ::testing::HasSubstr;

TEST(SharedText, CopiesShareOneTextAndCompareByValue) {
  const SharedText a = std::string("BGP advertisement 'public'");
  const SharedText b = a;  // NOLINT(performance-unnecessary-copy-initialization)
  const SharedText c = "BGP advertisement 'public'";
  EXPECT_TRUE(a.same(b));
  EXPECT_FALSE(a.same(c));
  EXPECT_EQ(a, c);  // by value
  EXPECT_EQ(a, "BGP advertisement 'public'");
  EXPECT_EQ(a.view(), "BGP advertisement 'public'");
  EXPECT_EQ(a.size(), 26u);
  EXPECT_NE(a, SharedText("other"));
  EXPECT_THAT(a, HasSubstr("'public'"));  // reads as a std::string
  std::ostringstream out;
  out << a;
  EXPECT_EQ(out.str(), "BGP advertisement 'public'");
  EXPECT_EQ("detail: " + a, "detail: BGP advertisement 'public'");
}

TEST(SharedText, EmptyHoldsNothing) {
  const SharedText none;
  EXPECT_TRUE(none.empty());
  EXPECT_TRUE(SharedText("").empty());
  EXPECT_TRUE(SharedText(std::string()).same(none));
  EXPECT_EQ(none.str(), "");
  EXPECT_EQ(none, SharedText(""));
}

TEST(SharedText, AppendingChangesThisCopyOnly) {
  SharedText a = "x";
  const SharedText b = a;
  a += "; y";
  EXPECT_EQ(a, "x; y");
  EXPECT_EQ(b, "x");
  a += "";
  EXPECT_EQ(a, "x; y");
}

TEST(SharedText, OrdersAsItsText) {
  EXPECT_LT(SharedText("a"), SharedText("b"));
  EXPECT_LT(SharedText(), SharedText("a"));  // empty first, as std::string
  const SharedText a = "a", b = "b";
  const std::string k = "k";
  EXPECT_TRUE(std::tie(k, a) < std::tie(k, b));
  std::map<SharedText, int> m{{"b", 2}, {"a", 1}};
  EXPECT_EQ(m.begin()->second, 1);
}

}  // namespace
}  // namespace vipd
