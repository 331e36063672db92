// CallWaiter: how Supervisor::execute() waits, on the caller's thread, for
// the end its call reaches on the loop thread.
//
// Why it spins first: the end of a small call comes back within tens of
// microseconds, and a caller asleep in futex() is woken through its CPU,
// which has often gone idle meanwhile: on the guests we measured, waking an
// idle CPU costs 25-55 us, as much as the round trip itself (execute() was
// 1.6x the two-process floor, where execute_async was 1.1x). A caller that
// spins keeps its CPU awake, and the loop thread and the plugin then hand
// the call to each other on the other CPU. The spin is bounded in time
// (kSpin) and by a SpinSlot (spin_slot.h: one spinner fewer than the CPUs,
// the loop thread's included): past either, the caller sleeps as before.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <utility>

#include "stockade/supervisor.h"

namespace stockade::supervisor {

class CallWaiter {
 public:
  // `spin`: false, the caller sleeps at once (SupervisorOptions::spin_wait).
  explicit CallWaiter(bool spin = true) : state_(std::make_shared<State>()), spin_(spin) {}

  // The completion to hand execute_async's machinery: stores the result and
  // wakes the caller. It holds the state, so it may outlive wait().
  std::function<void(CallResult<Bytes>)> completion() const;

  // Returns the result once the completion ran.
  CallResult<Bytes> wait();

 private:
  // State::ready: the futex word. kSleeping: the caller is asleep in
  // futex() or about to be, and the completion must wake it.
  static constexpr std::uint32_t kNotReady = 0, kReady = 1, kSleeping = 2;
  struct State {
    std::optional<CallResult<Bytes>> result;
    std::atomic<std::uint32_t> ready{kNotReady};
  };
  std::shared_ptr<State> state_;
  bool spin_;
};

}  // namespace stockade::supervisor
