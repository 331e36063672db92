// CallWaiter (supervisor/call_waiter.h): execute()'s wait on the caller's
// thread, a bounded spin and then a sleep.
#include <gtest/gtest.h>
#include <time.h>

#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include "supervisor/call_waiter.h"

namespace stockade::supervisor {
namespace {

using namespace std::chrono_literals;

Bytes bytes_of(std::uint8_t value) { return Bytes{value}; }

// CPU time this thread has used so far.
std::chrono::nanoseconds thread_cpu() {
  timespec ts{};
  EXPECT_EQ(::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts), 0);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

TEST(CallWaiter, AnEndBeforeTheWaitIsReturnedAtOnce) {
  CallWaiter waiter;
  waiter.completion()(bytes_of(7));
  auto result = waiter.wait();
  ASSERT_TRUE(result);
  EXPECT_EQ(*result, bytes_of(7));
}

TEST(CallWaiter, AnErrorIsReturnedAsItCame) {
  CallWaiter waiter;
  waiter.completion()(CallError{StatusCode::unavailable, "plugin failed", Delivery::not_sent});
  auto result = waiter.wait();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, StatusCode::unavailable);
  EXPECT_EQ(result.error().message, "plugin failed");
}

TEST(CallWaiter, ACallerWaitingLongSleepsInsteadOfSpinning) {
  // The end comes 50 ms later: the caller spins at most 0.1 ms of that and
  // sleeps the rest, so it uses a small part of the 50 ms of CPU a spin
  // throughout would (a slower or busier machine only spins less).
  CallWaiter waiter;
  auto done = waiter.completion();
  std::thread loop([done] {
    std::this_thread::sleep_for(50ms);
    done(bytes_of(1));
  });
  const auto before = thread_cpu();
  auto result = waiter.wait();
  const auto used = thread_cpu() - before;
  loop.join();
  ASSERT_TRUE(result);
  EXPECT_EQ(*result, bytes_of(1));
  EXPECT_LT(used, 10ms) << "the caller used " << used.count() << " ns of CPU waiting 50 ms";
}

TEST(CallWaiter, MoreCallersThanCpusEachGetTheirOwnEnd) {
  // Beyond the spinners allowed, callers sleep at once; every one still
  // gets its own result, whatever the order the ends come in.
  constexpr int kCallers = 32;
  std::vector<CallWaiter> waiters(kCallers);
  std::vector<std::function<void(CallResult<Bytes>)>> ends;
  for (auto& waiter : waiters) ends.push_back(waiter.completion());
  std::vector<int> got(kCallers, -1);
  std::vector<std::thread> callers;
  for (int i = 0; i < kCallers; ++i) {
    callers.emplace_back([&, i] {
      auto result = waiters[i].wait();
      got[i] = result ? (*result)[0] : -2;
    });
  }
  std::thread loop([&] {
    for (int i = kCallers - 1; i >= 0; --i) {
      if (i % 4 == 0) std::this_thread::sleep_for(1ms);
      ends[i](bytes_of(static_cast<std::uint8_t>(i)));
    }
  });
  loop.join();
  for (auto& caller : callers) caller.join();
  for (int i = 0; i < kCallers; ++i) EXPECT_EQ(got[i], i);
}

TEST(CallWaiter, TheCompletionMayOutliveTheWaiter) {
  // The loop's copy of the completion keeps the state: destroying the
  // caller's side first (the caller returned) leaves it valid.
  std::function<void(CallResult<Bytes>)> kept;
  {
    CallWaiter waiter;
    kept = waiter.completion();
    waiter.completion()(bytes_of(3));
    auto result = waiter.wait();
    ASSERT_TRUE(result);
    EXPECT_EQ(*result, bytes_of(3));
  }
  kept = nullptr;  // the last owner: ASan would see a use after free
}

}  // namespace
}  // namespace stockade::supervisor
