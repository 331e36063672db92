#include "supervisor/spin_slot.h"

#include <sched.h>

#include <atomic>

namespace stockade::supervisor {

namespace {

std::atomic<int> spinning{0};

// One fewer than the CPUs this process may run on; none on one CPU.
int slots() {
  static const int allowed = [] {
    cpu_set_t set;
    CPU_ZERO(&set);
    int cpus = 1;
    if (::sched_getaffinity(0, sizeof set, &set) == 0) cpus = CPU_COUNT(&set);
    return cpus > 1 ? cpus - 1 : 0;
  }();
  return allowed;
}

}  // namespace

SpinSlot::SpinSlot() {
  int now = spinning.load(std::memory_order_relaxed);
  while (now < slots()) {
    if (spinning.compare_exchange_weak(now, now + 1, std::memory_order_relaxed)) {
      held_ = true;
      return;
    }
  }
}

bool SpinSlot::possible() { return slots() > 0; }

SpinSlot::~SpinSlot() {
  if (held_) spinning.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace stockade::supervisor
