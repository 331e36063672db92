// The pure pieces of the Execute policy: circuit breaker, backoff, retry
// budget, restart budget and outcome classification.
#include <gtest/gtest.h>

#include "supervisor/backoff.h"
#include "supervisor/circuit_breaker.h"
#include "supervisor/outcome.h"
#include "supervisor/restart_budget.h"
#include "supervisor/retry_budget.h"

namespace stockade::supervisor {
namespace {

using namespace std::chrono_literals;
using State = CircuitBreaker::State;
const auto t0 = CircuitBreaker::Clock::time_point{} + 1h;

CircuitBreaker breaker(uint32_t threshold = 3, uint32_t probes = 1) {
  return CircuitBreaker({threshold, 1000ms, probes});
}

TEST(CircuitBreaker, OpensAfterThresholdConsecutiveFailures) {
  auto b = breaker(3);
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(b.admit(t0).admitted);
    b.on_failure(false, t0);
  }
  EXPECT_EQ(b.state(), State::closed);
  ASSERT_TRUE(b.admit(t0).admitted);
  b.on_failure(false, t0);
  EXPECT_EQ(b.state(), State::open);
  EXPECT_FALSE(b.admit(t0 + 999ms).admitted);
  EXPECT_EQ(b.times_opened(), 1u);
}

TEST(CircuitBreaker, SuccessResetsTheConsecutiveCount) {
  auto b = breaker(3);
  b.on_failure(false, t0);
  b.on_failure(false, t0);
  b.on_success(false);
  b.on_failure(false, t0);
  b.on_failure(false, t0);
  EXPECT_EQ(b.state(), State::closed);
  EXPECT_EQ(b.consecutive_failures(), 2u);
}

TEST(CircuitBreaker, NeutralOutcomesNeitherCountNorReset) {
  auto b = breaker(2);
  b.on_failure(false, t0);
  b.on_neutral(false);
  EXPECT_EQ(b.consecutive_failures(), 1u);
  b.on_failure(false, t0);
  EXPECT_EQ(b.state(), State::open);
}

TEST(CircuitBreaker, HalfOpenAdmitsBoundedProbesAndClosesAfterThem) {
  auto b = breaker(1, 2);
  b.on_failure(false, t0);
  ASSERT_EQ(b.state(), State::open);
  auto first = b.admit(t0 + 1000ms);
  auto second = b.admit(t0 + 1000ms);
  auto third = b.admit(t0 + 1000ms);
  EXPECT_TRUE(first.admitted && first.probe);
  EXPECT_TRUE(second.admitted && second.probe);
  EXPECT_FALSE(third.admitted);
  EXPECT_EQ(b.state(), State::half_open);
  b.on_success(true);
  EXPECT_EQ(b.state(), State::half_open);
  b.on_success(true);
  EXPECT_EQ(b.state(), State::closed);
  EXPECT_TRUE(b.admit(t0 + 1001ms).admitted);
}

TEST(CircuitBreaker, FailedProbeReopensForAnotherFullPeriod) {
  auto b = breaker(1);
  b.on_failure(false, t0);
  auto probe = b.admit(t0 + 1000ms);
  ASSERT_TRUE(probe.probe);
  b.on_failure(true, t0 + 1100ms);
  EXPECT_EQ(b.state(), State::open);
  EXPECT_FALSE(b.admit(t0 + 2000ms).admitted);
  EXPECT_TRUE(b.admit(t0 + 2100ms).admitted);
}

TEST(CircuitBreaker, LateResultsOfOldCallsDoNotDecideHalfOpen) {
  auto b = breaker(1);
  b.on_failure(false, t0);
  ASSERT_TRUE(b.admit(t0 + 1000ms).probe);
  b.on_success(false);                 // admitted before it opened
  b.on_failure(false, t0 + 1000ms);    // same
  EXPECT_EQ(b.state(), State::half_open);
  b.on_neutral(true);                  // the probe was shed: slot freed
  EXPECT_TRUE(b.admit(t0 + 1000ms).admitted);
}

TEST(Backoff, CeilingGrowsByTheMultiplierUpToTheCap) {
  BackoffSettings s{100ms, 1000ms, 2.0};
  EXPECT_EQ(backoff_ceiling(s, 1), 100ms);
  EXPECT_EQ(backoff_ceiling(s, 2), 200ms);
  EXPECT_EQ(backoff_ceiling(s, 4), 800ms);
  EXPECT_EQ(backoff_ceiling(s, 5), 1000ms);
  EXPECT_EQ(backoff_ceiling(s, 4000000000u), 1000ms);
}

TEST(Backoff, FullJitterStaysWithinZeroAndTheCeilingAndSpreads) {
  std::mt19937_64 random(42);
  int64_t low = 1 << 30, high = -1;
  for (int i = 0; i < 10000; ++i) {
    auto d = full_jitter(300ms, random).count();
    ASSERT_GE(d, 0);
    ASSERT_LE(d, 300);
    low = std::min(low, d);
    high = std::max(high, d);
  }
  EXPECT_LT(low, 10);   // not a fixed delay: the whole range is used
  EXPECT_GT(high, 290);
}

TEST(Backoff, NeverSleepsPastTheCallersDeadline) {
  std::mt19937_64 random(7);
  BackoffSettings s{500ms, 500ms, 2.0};
  for (int i = 0; i < 1000; ++i) {
    auto d = retry_delay(s, 1, 100ms, random);
    if (d) {
      EXPECT_LT(*d, 100ms);
    }
  }
  EXPECT_FALSE(retry_delay(s, 1, 0ms, random).has_value());
}

TEST(RetryBudget, RetriesStayABoundedFractionOfCalls) {
  RetryBudget budget(20);
  int retries = 0;
  for (int call = 0; call < 1000; ++call) {
    budget.on_call();
    // Every call fails and wants two retries.
    for (int r = 0; r < 2; ++r) retries += budget.try_spend() ? 1 : 0;
  }
  EXPECT_LE(retries, static_cast<int>(RetryBudget::kReserve) + 200);
  EXPECT_GE(retries, 190);
  EXPECT_GT(budget.retries_refused(), 0u);
}

TEST(RetryBudget, ZeroPercentMeansNoRetries) {
  RetryBudget budget(0);
  budget.on_call();
  EXPECT_FALSE(budget.try_spend());
}

TEST(RestartBudget, ParksAfterMaxRestartsInTheWindowAndForgetsOldOnes) {
  RestartBudget budget(2, 1000ms, 100ms);
  auto now = RestartBudget::Clock::time_point{} + 1h;
  ASSERT_TRUE(budget.allows(now));
  EXPECT_EQ(budget.record(now), 100ms);
  ASSERT_TRUE(budget.allows(now + 10ms));
  EXPECT_EQ(budget.record(now + 10ms), 200ms);
  EXPECT_FALSE(budget.allows(now + 20ms));
  EXPECT_TRUE(budget.allows(now + 1011ms));  // both fell out of the window
}

TEST(RestartBudget, ZeroRestartsParksAtTheFirstCrash) {
  RestartBudget budget(0, 1000ms, 100ms);
  EXPECT_FALSE(budget.allows(RestartBudget::Clock::now()));
}

CallError answered(StatusCode code, bool retryable = false) {
  CallError e(code, "x", Delivery::answered);
  e.plugin_says_retryable = retryable;
  return e;
}

TEST(Outcome, CallerErrorsAreNotThePluginsFaultAndNotRetried) {
  for (auto code : {StatusCode::invalid_argument, StatusCode::not_found, StatusCode::unimplemented,
                    StatusCode::cancelled}) {
    EXPECT_EQ(fault_of(answered(code, true)), Fault::caller) << status_code_name(code);
    EXPECT_FALSE(is_retryable(answered(code, true))) << status_code_name(code);
  }
}

TEST(Outcome, PluginFailuresFeedTheBreaker) {
  EXPECT_EQ(fault_of(answered(StatusCode::unavailable)), Fault::plugin);
  EXPECT_EQ(fault_of(answered(StatusCode::internal)), Fault::plugin);
  CallError crash(StatusCode::unavailable, "plugin crashed", Delivery::unknown);
  EXPECT_EQ(fault_of(crash), Fault::plugin);
  CallError timeout(StatusCode::deadline_exceeded, "", Delivery::unknown);
  EXPECT_EQ(fault_of(timeout), Fault::plugin);
  CallError shed(StatusCode::resource_exhausted, "queue full", Delivery::not_sent);
  EXPECT_EQ(fault_of(shed), Fault::none);
}

TEST(Outcome, RetryableCodesAndThePluginsOwnVerdict) {
  EXPECT_TRUE(is_retryable(answered(StatusCode::unavailable)));
  EXPECT_FALSE(is_retryable(answered(StatusCode::internal)));
  EXPECT_TRUE(is_retryable(answered(StatusCode::internal, true)));
  EXPECT_FALSE(is_retryable(CallError(StatusCode::deadline_exceeded, "", Delivery::unknown)));
  CallError open(StatusCode::unavailable, "circuit open", Delivery::not_sent);
  open.hopeless = true;
  EXPECT_FALSE(is_retryable(open));
}

TEST(Outcome, NonIdempotentCallsAreRetriedOnlyWhenNeverSent) {
  CallError crash(StatusCode::unavailable, "plugin crashed", Delivery::unknown);
  EXPECT_TRUE(may_retry(crash, true));
  EXPECT_FALSE(may_retry(crash, false));
  EXPECT_FALSE(may_retry(answered(StatusCode::unavailable), false));
  CallError unsent(StatusCode::unavailable, "output queue full", Delivery::not_sent);
  EXPECT_TRUE(may_retry(unsent, false));
}

}  // namespace
}  // namespace stockade::supervisor
