// SpinSlot: leave for one thread of this process to spin while it waits,
// instead of sleeping at once.
//
// Why spin at all: on the virtual machines we measured, a thread asleep is
// woken through its CPU, which has gone idle meanwhile, and waking an idle
// CPU costs 25-55 us, as much as a small call's round trip. A thread that
// spins keeps its CPU awake. Why a budget: a spinner holds a CPU the
// plugins may need, so at most one fewer thread than the CPUs this process
// may use spins at a time (none on one CPU), whoever they are (a caller of
// execute(), the loop thread); the others sleep at once.
#pragma once

namespace stockade::supervisor {

class SpinSlot {
 public:
  // Takes a slot if one is free.
  SpinSlot();
  ~SpinSlot();
  SpinSlot(const SpinSlot&) = delete;
  SpinSlot& operator=(const SpinSlot&) = delete;

  // Whether this thread may spin.
  explicit operator bool() const { return held_; }
  // Whether a slot can ever be had here (more than one CPU allowed).
  static bool possible();

 private:
  bool held_ = false;
};

// Lets the CPU's other hardware thread run while this one spins.
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace stockade::supervisor
