#include "supervisor/call_waiter.h"

#include <sched.h>

#include <chrono>
#include <thread>

namespace stockade::supervisor {

namespace {

using Clock = std::chrono::steady_clock;

// Longer than a small call's round trip on every host we measured (3-100
// us), short against anything slow: a call that takes 10 ms burns 1% of a
// CPU spinning.
constexpr auto kSpin = std::chrono::microseconds(100);

std::atomic<int> spinners{0};

// One fewer than the CPUs this process may run on; none on one CPU.
int spinners_allowed() {
  static const int allowed = [] {
    cpu_set_t set;
    CPU_ZERO(&set);
    int cpus = 1;
    if (::sched_getaffinity(0, sizeof set, &set) == 0) cpus = CPU_COUNT(&set);
    return cpus > 1 ? cpus - 1 : 0;
  }();
  return allowed;
}

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace

std::function<void(CallResult<Bytes>)> CallWaiter::completion() const {
  return [state = state_](CallResult<Bytes> result) {
    state->result.emplace(std::move(result));
    state->ready.store(1, std::memory_order_release);
    state->ready.notify_one();
  };
}

CallResult<Bytes> CallWaiter::wait() {
  auto& ready = state_->ready;
  if (spinners.fetch_add(1, std::memory_order_relaxed) < spinners_allowed()) {
    const auto until = Clock::now() + kSpin;
    // The clock is read once every 64 looks: a look is a few nanoseconds.
    for (unsigned i = 1; ready.load(std::memory_order_acquire) == 0; ++i) {
      cpu_relax();
      if (i % 64 == 0 && Clock::now() >= until) break;
    }
  }
  spinners.fetch_sub(1, std::memory_order_relaxed);
  while (ready.load(std::memory_order_acquire) == 0) ready.wait(0, std::memory_order_acquire);
  return std::move(*state_->result);
}

}  // namespace stockade::supervisor
