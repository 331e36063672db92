// run_loop (supervisor/loop_runner.h) and SpinSlot (supervisor/spin_slot.h):
// the loop thread's spin before it sleeps, and the budget of spinners.
#include <gtest/gtest.h>
#include <sched.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "supervisor/loop_runner.h"
#include "supervisor/spin_slot.h"

namespace stockade::supervisor {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;

int cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  EXPECT_EQ(::sched_getaffinity(0, sizeof set, &set), 0);
  return CPU_COUNT(&set);
}

TEST(SpinSlot, AtMostOneFewerThanTheCpusAreHeldAtOnce) {
  std::vector<std::unique_ptr<SpinSlot>> slots;
  int held = 0;
  for (int i = 0; i < cpus() + 4; ++i) {
    slots.push_back(std::make_unique<SpinSlot>());
    if (*slots.back()) ++held;
  }
  EXPECT_EQ(held, cpus() - 1);
  // Given back, they can be taken again.
  slots.clear();
  SpinSlot again;
  EXPECT_EQ(static_cast<bool>(again), cpus() > 1);
}

// Posted work and a timer run, and the loop ends when the work does; with
// `awaiting` empty (spin_wait off) it is io.run().
void runs_work_and_ends_with_it(const std::function<bool()>& awaiting) {
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work(io.get_executor());
  std::promise<void> timer_fired;
  asio::steady_timer timer(io, 20ms);
  timer.async_wait([&](const boost::system::error_code& ec) {
    EXPECT_FALSE(ec);
    timer_fired.set_value();
  });
  std::thread loop([&] { run_loop(io, awaiting); });
  // Posted while the loop spins, and while it sleeps (after the timer).
  std::atomic<int> ran{0};
  for (int i = 0; i < 100; ++i) asio::post(io, [&] { ++ran; });
  timer_fired.get_future().wait();
  std::this_thread::sleep_for(5ms);
  std::promise<void> late;
  asio::post(io, [&] { late.set_value(); });
  EXPECT_EQ(late.get_future().wait_for(5s), std::future_status::ready);
  work.reset();  // no work left: run_loop returns, as run() would
  loop.join();
  EXPECT_EQ(ran.load(), 100);
  EXPECT_TRUE(io.stopped());
}

TEST(RunLoop, RunsWorkFromOtherThreadsAndTimersAndEndsWhenTheWorkDoes) {
  runs_work_and_ends_with_it([] { return true; });
}

TEST(RunLoop, WithoutAwaitingItRunsTheSameWorkWithoutSpinning) {
  runs_work_and_ends_with_it({});
}

TEST(RunLoop, StopEndsItWithWorkLeft) {
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  std::thread loop([&] { run_loop(io, [] { return true; }); });
  std::this_thread::sleep_for(2ms);
  io.stop();
  loop.join();
  EXPECT_TRUE(io.stopped());
}

TEST(RunLoop, AnIdleLoopSleepsInsteadOfSpinning) {
  // Nothing to do for 100 ms: the loop spins at most 0.05 ms of it before
  // it sleeps, so it uses a small part of the CPU a spin would.
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  std::promise<std::chrono::nanoseconds> used;
  asio::steady_timer timer(io, 100ms);
  timespec start{};
  asio::post(io, [&] { ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start); });
  timer.async_wait([&](const boost::system::error_code&) {
    timespec end{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &end);
    used.set_value(std::chrono::seconds(end.tv_sec - start.tv_sec) +
                   std::chrono::nanoseconds(end.tv_nsec - start.tv_nsec));
  });
  std::thread loop([&] { run_loop(io, [] { return true; }); });
  const auto cpu = used.get_future().get();
  work.reset();
  loop.join();
  EXPECT_LT(cpu, 20ms) << "the idle loop used " << cpu.count() << " ns of CPU in 100 ms";
}

}  // namespace
}  // namespace stockade::supervisor
