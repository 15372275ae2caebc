// HealthState: rise/fall counting, result by result (pure).
#include "health/health_state.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "health/tests/print.hpp"

namespace vipd::health {
namespace {

ProbeResult ok(std::string text = "ok") { return {true, std::move(text)}; }
ProbeResult bad(std::string text = "bad") { return {false, std::move(text)}; }

struct Step {
  ProbeResult result;
  std::optional<Verdict> transition;  // what record() must report
  Verdict after;
};

void play(HealthState& state, const std::vector<Step>& steps) {
  for (std::size_t i = 0; i < steps.size(); ++i) {
    SCOPED_TRACE("step " + std::to_string(i));
    EXPECT_EQ(state.record(steps[i].result), steps[i].transition);
    EXPECT_EQ(state.verdict(), steps[i].after);
  }
}

TEST(HealthState, StartsUnknownAndRisesAfterRiseSuccesses) {
  HealthState state(2, 3);
  EXPECT_EQ(state.verdict(), Verdict::kUnknown);
  EXPECT_EQ(state.checks(), 0u);
  play(state, {
                  {ok(), std::nullopt, Verdict::kUnknown},
                  {ok(), Verdict::kPassing, Verdict::kPassing},
                  {ok(), std::nullopt, Verdict::kPassing},  // no repeated transition
              });
}

TEST(HealthState, FallsAfterFallFailuresAndRisesAgain) {
  HealthState state(2, 3);
  play(state, {
                  {ok(), std::nullopt, Verdict::kUnknown},
                  {ok(), Verdict::kPassing, Verdict::kPassing},
                  {bad(), std::nullopt, Verdict::kPassing},
                  {bad(), std::nullopt, Verdict::kPassing},
                  {bad(), Verdict::kFailing, Verdict::kFailing},
                  {bad(), std::nullopt, Verdict::kFailing},
                  {ok(), std::nullopt, Verdict::kFailing},
                  {ok(), Verdict::kPassing, Verdict::kPassing},
              });
}

TEST(HealthState, UnknownGoesStraightToFailing) {
  HealthState state(2, 3);
  play(state, {
                  {bad(), std::nullopt, Verdict::kUnknown},
                  {bad(), std::nullopt, Verdict::kUnknown},
                  {bad(), Verdict::kFailing, Verdict::kFailing},
              });
}

TEST(HealthState, AnInterruptedStreakStartsOver) {
  HealthState state(3, 2);
  play(state, {
                  {ok(), std::nullopt, Verdict::kUnknown},
                  {ok(), std::nullopt, Verdict::kUnknown},
                  {bad(), std::nullopt, Verdict::kUnknown},
                  {ok(), std::nullopt, Verdict::kUnknown},
                  {ok(), std::nullopt, Verdict::kUnknown},
                  {ok(), Verdict::kPassing, Verdict::kPassing},
                  {bad(), std::nullopt, Verdict::kPassing},
                  {ok(), std::nullopt, Verdict::kPassing},  // one failure is not a fall
                  {bad(), std::nullopt, Verdict::kPassing},
                  {bad(), Verdict::kFailing, Verdict::kFailing},
              });
}

TEST(HealthState, RiseAndFallOfOneFollowEveryResult) {
  HealthState state(1, 1);
  play(state, {
                  {ok(), Verdict::kPassing, Verdict::kPassing},
                  {bad(), Verdict::kFailing, Verdict::kFailing},
                  {bad(), std::nullopt, Verdict::kFailing},
                  {ok(), Verdict::kPassing, Verdict::kPassing},
              });
}

TEST(HealthState, KeepsTheLastResultAndCounters) {
  HealthState state(2, 2);
  state.record(ok("HTTP 200"));
  state.record(bad("HTTP 503"));
  state.record(bad("connect: Connection refused"));
  EXPECT_EQ(state.last_result(), "connect: Connection refused");
  EXPECT_EQ(state.checks(), 3u);
  EXPECT_EQ(state.failures(), 2u);
  EXPECT_EQ(state.streak(), 2);
}

TEST(HealthState, LongStreaksSaturate) {
  HealthState state(2, 5);
  for (int i = 0; i < 1000; ++i) state.record(ok());
  EXPECT_EQ(state.streak(), 5);
  EXPECT_EQ(state.checks(), 1000u);
  EXPECT_EQ(state.verdict(), Verdict::kPassing);
}

TEST(HealthState, NewThresholdsKeepTheHistory) {
  HealthState state(3, 3);
  state.record(ok());
  state.record(ok());
  EXPECT_EQ(state.verdict(), Verdict::kUnknown);
  state.set_thresholds(2, 3);
  EXPECT_EQ(state.verdict(), Verdict::kUnknown);  // changes only with the next result
  EXPECT_EQ(state.record(ok()), Verdict::kPassing);
}

TEST(HealthState, VerdictNames) {
  EXPECT_EQ(to_string(Verdict::kUnknown), "unknown");
  EXPECT_EQ(to_string(Verdict::kPassing), "passing");
  EXPECT_EQ(to_string(Verdict::kFailing), "failing");
}

}  // namespace
}  // namespace vipd::health
