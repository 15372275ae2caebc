// BoxedOptional: reads like std::optional, copies deeply, compares by value.
#include "common/boxed.hpp"

#include <gtest/gtest.h>

#include <string>

namespace vipd {
namespace {

struct Holder {
  BoxedOptional<std::string> value;
  friend bool operator==(const Holder&, const Holder&) = default;
};

TEST(BoxedOptional, ReadsLikeAnOptional) {
  BoxedOptional<std::string> none;
  EXPECT_FALSE(none);
  EXPECT_FALSE(none.has_value());
  BoxedOptional<std::string> some = std::optional<std::string>("check");
  ASSERT_TRUE(some);
  EXPECT_EQ(*some, "check");
  EXPECT_EQ(some->size(), 5u);
  some = std::nullopt;
  EXPECT_FALSE(some);
  some = std::string("again");
  EXPECT_EQ(*some, "again");
  some.reset();
  EXPECT_FALSE(some);
  EXPECT_EQ(sizeof(BoxedOptional<std::string>), sizeof(void*));
}

TEST(BoxedOptional, CopiesDeeplyAndComparesByValue) {
  Holder a{std::string("x")};
  Holder b = a;
  EXPECT_EQ(a, b);
  *b.value = "y";  // the copy has its own value
  EXPECT_EQ(*a.value, "x");
  EXPECT_NE(a, b);
  EXPECT_NE(a, Holder{});
  EXPECT_EQ(Holder{}, Holder{});
  Holder c{std::string("y")};
  EXPECT_EQ(b, c);  // equal values in different boxes
  a = c;
  EXPECT_EQ(*a.value, "y");
  Holder moved = std::move(c);
  EXPECT_EQ(*moved.value, "y");
}

}  // namespace
}  // namespace vipd
