// WorkerPool: up to `max_threads` threads taking tasks from a bounded queue.
// try_submit() refuses instead of growing the queue; the caller answers the
// refused call itself (RESOURCE_EXHAUSTED), so a runaway host cannot make the
// plugin buffer without bound.
//
// Threads are started on demand, not up front, the first one included: each
// costs a clone and a stack mapping (slow in the sandbox), a plugin allowed
// 64 calls seldom has 64 running, and every thread on the host lengthens
// each later sandbox's pivot_root (the kernel walks every thread there is). A thread that cannot be started (EAGAIN under
// RLIMIT_NPROC or pids.max) is reported once; the pool runs with the threads
// it has.
//
// Wake-ups are the cost of a small call (a futex hand-off and a context
// switch each), so the pool wakes as few threads as keep the queue moving:
// a submitted batch wakes at most one sleeper, and a worker that takes a task
// and leaves more behind makes sure one other thread is looking at the queue
// (wakes or starts one) unless one already is. A worker that finishes a task
// takes the next one without sleeping.
//
// The idle hook (`on_idle`) is how callers batch their output: it runs on a
// worker before it sleeps, and before it starts a task when no other thread
// will look at the queue meanwhile. Whatever a task left for later (queued
// responses) is therefore sent before any thread can block for long.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "stockade/result.h"
#include "sdk/thread.h"

namespace stockade::sdk::detail {

class WorkerPool {
 public:
  using Task = std::function<void()>;
  using Clock = std::chrono::steady_clock;

  struct Options {
    std::size_t max_threads = 1;
    std::size_t max_queued = 0;
    std::size_t stack_bytes = 1024 * 1024;
    // Runs on a worker, outside the pool's lock (see above); may be empty.
    std::function<void()> on_idle{};
    // Called once, when a thread cannot be started.
    std::function<void(const std::string&)> report{};
    // Names the pool's threads in that report ("worker", "control").
    std::string role = "worker";
  };

  // Starts no thread: the first task starts the first worker, and the others
  // start on demand. If not even that one can be started, tasks run on the
  // thread that submits them.
  static Result<std::unique_ptr<WorkerPool>> start(Options options);
  // Stops and joins: only call once idle (see wait_idle_until), or a hung
  // task hangs the destructor.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task`; false when the queue holds max_queued tasks already or the
  // pool is stopping.
  bool try_submit(Task task);
  // Queues the tasks from the front of `tasks` under one lock and one
  // wake-up; returns how many were queued (the rest were refused, as above).
  std::size_t try_submit_all(std::span<Task> tasks);
  // Waits until no task is queued or running; false if `until` came first.
  bool wait_idle_until(Clock::time_point until);
  // Lets the workers finish the queue and joins them.
  void stop_and_join();

  // Threads started so far.
  std::size_t threads() const;

 private:
  explicit WorkerPool(Options options) : options_(std::move(options)) {}
  void run();
  // With the lock held: makes one more thread look at the queue if none is,
  // by starting a thread or by choosing a sleeper for the caller to notify
  // once it has unlocked; `no` if neither was possible.
  enum class Looking { yes, after_notify, no };
  Looking ensure_one_looking();
  // With the lock held: threads awake and outside a task (including those
  // woken and not yet running).
  std::size_t looking() const;
  bool start_thread();

  const Options options_;
  mutable std::mutex mu_;
  std::condition_variable work_;  // a task was queued, or stopping
  std::condition_variable idle_;  // queue empty and nothing running
  std::deque<Task> queue_;
  std::size_t running_ = 0;       // threads inside a task
  std::size_t sleeping_ = 0;      // threads waiting on work_
  std::size_t wakes_pending_ = 0; // notified sleepers that have not woken yet
  std::size_t idle_waiters_ = 0;  // threads in wait_idle_until
  bool stopping_ = false;
  bool start_failed_ = false;     // reported once; no further attempts
  std::vector<Thread> threads_;
};

}  // namespace stockade::sdk::detail
