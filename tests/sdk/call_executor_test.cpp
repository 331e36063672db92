// CallExecutor (sdk/call_executor.h) on its own, driven by a scripted host
// in this process: whatever blocks, a stuck call or a write of replies the
// host does not take, another thread must take the reading role within the
// monitor's bound. Each blocking thing below waits for the next read (as a
// real host would read only once the plugin reads its next request) and
// fails the test if none comes within a second.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "sdk/call_executor.h"

namespace stockade::sdk::detail {
namespace {

using namespace std::chrono_literals;

class ScriptedHost {
 public:
  // Counts a read and lets those waiting for one go on.
  std::uint64_t read_started() {
    std::uint64_t n;
    {
      std::lock_guard lock(mu_);
      n = ++reads_;
    }
    changed_.notify_all();
    return n;
  }
  // Blocks until `more` reads have started after this call; false after 1 s.
  bool wait_for_reads(std::uint64_t more) {
    std::unique_lock lock(mu_);
    const std::uint64_t until = reads_ + more;
    return changed_.wait_for(lock, 1s, [&] { return reads_ >= until; });
  }
  int random(int n) {
    std::lock_guard lock(mu_);
    return static_cast<int>(rng_() % static_cast<unsigned>(n));
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  std::uint64_t reads_ = 0;
  std::mt19937 rng_{20261202};
};

struct Run {
  int reads = 3000;
  bool refusals_without_calls = false;  // reads that queue a reply but no call
  bool flushes_after_calls = false;     // calls whose replies' write blocks
  bool stuck_calls = false;
};

// Serves `run.reads` reads; the number of times a blocked thread was left
// with no other thread reading for a second.
int serve(const Run& run, int& blocked_events) {
  ScriptedHost host;
  std::atomic<int> stranded{0}, blocked{0};
  std::atomic<bool> reply_blocks{false};  // the next write of replies blocks
  CallExecutor* executor = nullptr;
  CallExecutor::Options options;
  options.max_running = 2;
  options.max_queued = 16;
  options.stack_bytes = 256 * 1024;
  options.try_flush = [] {};
  options.replies_queued = [&] { return reply_blocks.load(); };
  options.flush = [&] {
    if (!reply_blocks.exchange(false)) return;
    ++blocked;
    if (!host.wait_for_reads(1)) ++stranded;
  };
  options.read = [&]() -> bool {
    const std::uint64_t n = host.read_started();
    std::this_thread::sleep_for(std::chrono::microseconds(host.random(200)));
    const bool more = n < static_cast<std::uint64_t>(run.reads);
    if (run.refusals_without_calls && host.random(100) == 0) {
      reply_blocks = true;  // a refusal queued: no call to set the monitor's timer
      return more;
    }
    std::vector<CallExecutor::Task> tasks;
    for (int i = host.random(4); i > 0; --i) {
      const int kind = host.random(200);
      if (run.stuck_calls && kind == 0) {
        tasks.emplace_back([&] {
          ++blocked;
          if (!host.wait_for_reads(2)) ++stranded;  // others go on reading meanwhile
        });
        continue;
      }
      const auto work = std::chrono::microseconds(kind < 10 ? 400 + host.random(400) : host.random(50));
      const bool then_block = run.flushes_after_calls && host.random(50) == 0;
      tasks.emplace_back([&reply_blocks, work, then_block] {
        std::this_thread::sleep_for(work);
        if (then_block) reply_blocks = true;
      });
    }
    executor->try_submit_all(tasks);
    return more;
  };
  {
    CallExecutor running(options);
    executor = &running;
    running.serve();
  }
  blocked_events = blocked.load();
  return stranded.load();
}

TEST(SdkCallExecutor, AWriteOfRepliesThatBlocksWithNoCallRunningIsStillRelieved) {
  // Refusals (or control answers) queued by a read that queued no call:
  // their write blocks, and no call started to set the monitor's timer.
  // Before the writer set it too, such writes hung: 39 of 40 while each
  // call cleared the timer again, a few while it stays set.
  int blocked = 0;
  EXPECT_EQ(serve({.reads = 3000, .refusals_without_calls = true}, blocked), 0);
  EXPECT_GT(blocked, 5);
}

TEST(SdkCallExecutor, StuckCallsAndBlockedWritesAfterCallsAreAlwaysRelieved) {
  int blocked = 0;
  EXPECT_EQ(serve({.reads = 5000, .flushes_after_calls = true, .stuck_calls = true}, blocked), 0);
  EXPECT_GT(blocked, 20);
}

// Serves `reads` reads, each queueing one quick call after `wait` (the
// host's pause between calls); the monitor's timer settings made.
std::uint64_t timer_settings_for(int reads, std::chrono::microseconds wait) {
  CallExecutor* executor = nullptr;
  int done = 0;
  CallExecutor::Options options;
  options.stack_bytes = 256 * 1024;
  options.read = [&]() -> bool {
    if (wait.count() > 0) std::this_thread::sleep_for(wait);
    std::vector<CallExecutor::Task> tasks;
    tasks.emplace_back([] {});
    executor->try_submit_all(tasks);
    return ++done < reads;
  };
  CallExecutor running(options);
  executor = &running;
  running.serve();
  return running.timer_settings();
}

TEST(SdkCallExecutor, CallsBackToBackLeaveTheMonitorsTimerSet) {
  // Each read returns at once: a stream. Set and cleared for every call,
  // the timer cost two timerfd_settime calls a call (4,000 here); left set,
  // it is set once a stream and once per monitor look (about one every
  // 5 ms). A quarter of a setting per call leaves room for reads a loaded
  // machine delays past back_to_back.
  constexpr int kReads = 2000;
  EXPECT_LE(timer_settings_for(kReads, 0us), kReads / 4u);
}

TEST(SdkCallExecutor, ALoneCallClearsTheMonitorsTimerBeforeTheThreadReadsAgain) {
  // 1 ms between calls, past back_to_back: the thread clears the timer
  // before each read, so an idle plugin's monitor never wakes. Left set, it
  // would be set about once every 5 ms (a fifth of the calls) and expire.
  constexpr int kReads = 50;
  EXPECT_GE(timer_settings_for(kReads, 1000us), 2u * kReads - 2);
}

TEST(SdkCallExecutorDeathTest, ACallStillRunningPastExitAfterEndsTheProcessWithItsCode) {
  // A call that never returns, and a host that sends nothing more: only
  // the monitor can end it, at exit_after's deadline.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        CallExecutor* executor = nullptr;
        int reads = 0;
        CallExecutor::Options options;
        options.stack_bytes = 256 * 1024;
        options.report = [](const std::string& message) { std::fprintf(stderr, "%s\n", message.c_str()); };
        options.read = [&]() -> bool {
          if (reads++ == 0) {
            std::vector<CallExecutor::Task> tasks;
            tasks.emplace_back([] {
              // Stuck, but not for ever: a monitor that never ends it
              // fails the test with 7 instead of hanging it.
              std::this_thread::sleep_for(3s);
              ::_exit(7);
            });
            executor->try_submit_all(tasks);
            executor->exit_after(CallExecutor::Clock::now() + 50ms, 42);
            return true;
          }
          std::this_thread::sleep_for(5s);  // the thread that takes the reading role over waits too
          return false;
        };
        CallExecutor running(options);
        executor = &running;
        running.serve();
      },
      ::testing::ExitedWithCode(42), "1 call\\(s\\) still running after cancellation; exiting");
}

}  // namespace
}  // namespace stockade::sdk::detail
