#include "common/label_selector.hpp"

#include <gtest/gtest.h>

namespace vipd {
namespace {

using Op = LabelRequirement::Operator;

TEST(LabelSelector, EmptyMatchesEverything) {
  EXPECT_TRUE(LabelSelector{}.matches({}));
  EXPECT_TRUE(LabelSelector{}.matches({{"zone", "a"}}));
}

TEST(LabelSelector, MatchLabelsNeedEveryPair) {
  const LabelSelector s{.match_labels = {{"zone", "a"}, {"rack", "1"}}};
  EXPECT_TRUE(s.matches({{"zone", "a"}, {"rack", "1"}, {"extra", "x"}}));
  EXPECT_FALSE(s.matches({{"zone", "a"}}));
  EXPECT_FALSE(s.matches({{"zone", "a"}, {"rack", "2"}}));
}

TEST(LabelSelector, ExpressionsFollowKubernetesSemantics) {
  const Labels labels = {{"zone", "a"}, {"tier", "edge"}};
  const struct {
    LabelRequirement requirement;
    bool expected;
  } cases[] = {
      {{"zone", Op::kIn, {"a", "b"}}, true},      {{"zone", Op::kIn, {"b"}}, false},
      {{"missing", Op::kIn, {"a"}}, false},       {{"zone", Op::kNotIn, {"b"}}, true},
      {{"zone", Op::kNotIn, {"a"}}, false},       {{"missing", Op::kNotIn, {"a"}}, true},
      {{"tier", Op::kExists, {}}, true},          {{"missing", Op::kExists, {}}, false},
      {{"missing", Op::kDoesNotExist, {}}, true}, {{"tier", Op::kDoesNotExist, {}}, false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(c.requirement.matches(labels), c.expected) << c.requirement.key;
    const LabelSelector s{.match_expressions = {c.requirement}};
    EXPECT_EQ(s.matches(labels), c.expected) << c.requirement.key;
  }
  const LabelSelector both{.match_labels = {{"zone", "a"}},
                           .match_expressions = {{"tier", Op::kNotIn, {"edge"}}}};
  EXPECT_FALSE(both.matches(labels));
}

}  // namespace
}  // namespace vipd
