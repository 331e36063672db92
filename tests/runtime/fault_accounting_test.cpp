// The breaker's accounting of crashes (one event however many calls it
// failed; a good handshake after a restart probes at once; reset) and the
// cgroup janitor's period. Pure pieces, no processes.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "supervisor/cgroup_janitor.h"
#include "supervisor/circuit_breaker.h"

namespace stockade::supervisor {
namespace {

using namespace std::chrono_literals;
using State = CircuitBreaker::State;
const auto t0 = CircuitBreaker::Clock::time_point{} + 1h;

TEST(BreakerAccounting, ACrashIsOneFailureEventAndItsCallsAreNeutral) {
  CircuitBreaker b({3, 1000ms, 1});
  // Eight calls in flight when the plugin dies: each is neutral, the crash
  // itself one failure.
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(b.admit(t0).admitted);
  for (int i = 0; i < 8; ++i) b.on_neutral(false);
  b.on_failure_event(t0);
  EXPECT_EQ(b.state(), State::closed);
  EXPECT_EQ(b.consecutive_failures(), 1u);
  b.on_failure_event(t0);
  b.on_failure_event(t0);
  EXPECT_EQ(b.state(), State::open);
}

TEST(BreakerAccounting, RecoveryAfterARestartMovesOpenToHalfOpen) {
  CircuitBreaker b({1, 600000ms, 1});
  b.on_failure_event(t0);
  ASSERT_EQ(b.state(), State::open);
  EXPECT_FALSE(b.admit(t0 + 1ms).admitted);
  b.on_recovered();
  EXPECT_EQ(b.state(), State::half_open);
  auto probe = b.admit(t0 + 2ms);
  ASSERT_TRUE(probe.admitted);
  EXPECT_TRUE(probe.probe);
  EXPECT_FALSE(b.admit(t0 + 2ms).admitted);  // one probe at a time
  b.on_success(true);
  EXPECT_EQ(b.state(), State::closed);
}

TEST(BreakerAccounting, ACrashWhileHalfOpenOpensAgainAndRecoveryOfAClosedBreakerIsANoOp) {
  CircuitBreaker b({1, 600000ms, 1});
  b.on_recovered();
  EXPECT_EQ(b.state(), State::closed);
  b.on_failure_event(t0);
  b.on_recovered();
  ASSERT_TRUE(b.admit(t0).probe);
  b.on_neutral(true);  // the probe died with the plugin
  b.on_failure_event(t0);
  EXPECT_EQ(b.state(), State::open);
  EXPECT_EQ(b.times_opened(), 2u);
  b.reset();
  EXPECT_EQ(b.state(), State::closed);
  EXPECT_TRUE(b.admit(t0).admitted);
}

TEST(CgroupJanitor, PrunesAtOnceAndThenPeriodicallyUntilStopped) {
  std::atomic<int> passes{0};
  CgroupJanitor janitor;
  janitor.start(5ms, [&] { ++passes; });
  auto end = std::chrono::steady_clock::now() + 10s;
  while (passes.load() < 3 && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(1ms);
  EXPECT_GE(passes.load(), 3);
  janitor.stop();
  int after_stop = passes.load();
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(passes.load(), after_stop);
  EXPECT_EQ(janitor.passes(), static_cast<uint64_t>(after_stop));
}

TEST(CgroupJanitor, AZeroIntervalPrunesOnceInLine) {
  int passes = 0;
  CgroupJanitor janitor;
  janitor.start(0ms, [&] { ++passes; });
  EXPECT_EQ(passes, 1);
  janitor.stop();
  EXPECT_EQ(passes, 1);
}

}  // namespace
}  // namespace stockade::supervisor
