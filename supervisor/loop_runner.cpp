#include "supervisor/loop_runner.h"

#include <chrono>

#include "supervisor/spin_slot.h"

namespace stockade::supervisor {

namespace {

using Clock = std::chrono::steady_clock;

// About a round trip to a plugin on the slow guests (the answer usually
// comes within it), and 0.5% of a CPU for a loop that runs out of work
// 100 times a second.
constexpr auto kLoopSpin = std::chrono::microseconds(50);
// Between two looks: each is an epoll_wait, and looking back to back made
// about 40 syscalls a call while the loop waited; an answer is seen at most
// this much later.
constexpr auto kLookEvery = std::chrono::microseconds(1);

// Looks for ready handlers until one ran or kLoopSpin passed; true if one ran.
bool spin_for_work(boost::asio::io_context& io) {
  SpinSlot slot;
  if (!slot) return false;
  const auto until = Clock::now() + kLoopSpin;
  for (;;) {
    if (io.poll_one() > 0) return true;
    if (io.stopped()) return false;
    const auto next = Clock::now() + kLookEvery;
    if (next >= until) return false;
    do {
      cpu_relax();
    } while (Clock::now() < next);
  }
}

}  // namespace

void run_loop(boost::asio::io_context& io, const std::function<bool()>& awaiting) {
  // No spin can happen (turned off, or one CPU): io.run() itself. The look
  // below before each sleep would then be one epoll_wait(0) more per call.
  if (!awaiting || !SpinSlot::possible()) {
    io.run();
    return;
  }
  while (!io.stopped()) {
    if (io.poll() > 0) continue;
    if (io.stopped()) return;
    if (awaiting() && spin_for_work(io)) continue;
    io.run_one();  // sleeps until there is work, or the end
  }
}

}  // namespace stockade::supervisor
