// Thread: a joinable thread with an explicit stack size. std::thread takes
// the stack size from RLIMIT_STACK (8 MiB usually), and the sandbox caps the
// address space (RLIMIT_AS): 64 workers of 8 MiB each would not fit in a
// 256 MiB plugin, so the SDK asks for small stacks.
#pragma once

#include <pthread.h>

#include <cstddef>
#include <functional>
#include <memory>

#include "stockade/result.h"

namespace stockade::sdk::detail {

class Thread {
 public:
  Thread() = default;
  ~Thread() { join(); }
  Thread(Thread&& other) noexcept;
  Thread& operator=(Thread&& other) noexcept;
  Thread(const Thread&) = delete;
  Thread& operator=(const Thread&) = delete;

  // Starts `body` on a new thread with `stack_bytes` of stack.
  static Result<Thread> start(std::function<void()> body, std::size_t stack_bytes);

  bool joinable() const { return started_; }
  void join();

 private:
  pthread_t handle_{};
  bool started_ = false;
};

}  // namespace stockade::sdk::detail
