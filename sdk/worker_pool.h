// WorkerPool: a fixed number of threads taking tasks from a bounded queue.
// try_submit() refuses instead of growing the queue; the caller answers the
// refused call itself (RESOURCE_EXHAUSTED), so a runaway host cannot make the
// plugin buffer without bound.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "base/result.h"
#include "sdk/thread.h"

namespace stockade::sdk::detail {

class WorkerPool {
 public:
  using Task = std::function<void()>;
  using Clock = std::chrono::steady_clock;

  // Starts `threads` workers (at least 1).
  static Result<std::unique_ptr<WorkerPool>> start(std::size_t threads, std::size_t max_queued,
                                                   std::size_t stack_bytes);
  // Stops and joins: only call once idle (see wait_idle_until), or a hung
  // task hangs the destructor.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task`; false when the queue holds max_queued tasks already or the
  // pool is stopping.
  bool try_submit(Task task);
  // Waits until no task is queued or running; false if `until` came first.
  bool wait_idle_until(Clock::time_point until);
  // Lets the workers finish the queue and joins them.
  void stop_and_join();

  std::size_t threads() const { return threads_.size(); }

 private:
  WorkerPool(std::size_t max_queued) : max_queued_(max_queued) {}
  void run();

  const std::size_t max_queued_;
  std::mutex mu_;
  std::condition_variable work_;  // a task was queued, or stopping
  std::condition_variable idle_;  // queue empty and nothing running
  std::deque<Task> queue_;
  std::size_t running_ = 0;
  std::size_t idle_waiters_ = 0;  // threads in wait_idle_until
  bool stopping_ = false;
  std::vector<Thread> threads_;
};

}  // namespace stockade::sdk::detail
