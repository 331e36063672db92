#include "sdk/worker_pool.h"

#include <algorithm>
#include <utility>

namespace stockade::sdk::detail {

Result<std::unique_ptr<WorkerPool>> WorkerPool::start(Options options) {
  options.max_threads = std::max<std::size_t>(options.max_threads, 1);
  // No thread yet: the first task starts one (see try_submit_all).
  return std::unique_ptr<WorkerPool>(new WorkerPool(std::move(options)));
}

WorkerPool::~WorkerPool() { stop_and_join(); }

std::size_t WorkerPool::threads() const {
  std::lock_guard lock(mu_);
  return threads_.size();
}

std::size_t WorkerPool::looking() const {
  return threads_.size() - running_ - sleeping_ + wakes_pending_;
}

bool WorkerPool::start_thread() {
  if (start_failed_ || stopping_ || threads_.size() >= options_.max_threads) return false;
  // Started under the lock: it happens at most max_threads times, and the
  // new thread must be counted before anyone decides whether to wake another.
  auto thread = Thread::start([this] { run(); }, options_.stack_bytes);
  if (!thread) {
    start_failed_ = true;
    if (options_.report) {
      options_.report(
          "cannot start " + options_.role + " thread " + std::to_string(threads_.size() + 1) +
          " of " +
          std::to_string(options_.max_threads) + " (" + thread.error().message() +
          "); continuing with " +
          (threads_.empty() ? std::string("none: its work runs one at a time on the reading thread")
                            : std::to_string(threads_.size())) +
          " (the plugin's process limit, resources.max_processes, is too low)");
    }
    return false;
  }
  threads_.push_back(std::move(*thread));
  return true;
}

WorkerPool::Looking WorkerPool::ensure_one_looking() {
  if (looking() > 0) return Looking::yes;
  if (sleeping_ > wakes_pending_) {
    ++wakes_pending_;
    return Looking::after_notify;
  }
  return start_thread() ? Looking::yes : Looking::no;
}

bool WorkerPool::try_submit(Task task) { return try_submit_all(std::span<Task>(&task, 1)) == 1; }

std::size_t WorkerPool::try_submit_all(std::span<Task> tasks) {
  std::unique_lock lock(mu_);
  if (stopping_) return 0;
  // The first thread starts with the first task: an idle plugin (never asked
  // for its health, say) has no thread here at all.
  if (threads_.empty() && !tasks.empty()) start_thread();
  if (threads_.empty() && start_failed_) {
    // Without even one thread the pool runs tasks on the submitting thread:
    // slower and serial, but the plugin keeps serving.
    // No thread could be started: run here, one at a time, outside the lock.
    ++running_;
    lock.unlock();
    for (auto& task : tasks) {
      // The replies so far leave before a task that may block.
      if (options_.on_idle) options_.on_idle();
      task();
      task = nullptr;
    }
    if (options_.on_idle) options_.on_idle();
    lock.lock();
    --running_;
    if (running_ == 0 && idle_waiters_ > 0) idle_.notify_all();
    return tasks.size();
  }
  std::size_t queued = 0;
  // Threads not started yet count as free: the bound is on calls waiting
  // beyond the pool's capacity, not on the threads started so far.
  const std::size_t capacity = start_failed_ ? threads_.size() : options_.max_threads;
  for (auto& task : tasks) {
    if (running_ + queue_.size() >= capacity + options_.max_queued) break;
    queue_.push_back(std::move(task));
    ++queued;
  }
  const bool notify = queued > 0 && ensure_one_looking() == Looking::after_notify;
  lock.unlock();
  // After unlocking: a sleeper woken under the lock would only block on it.
  if (notify) work_.notify_one();
  return queued;
}

bool WorkerPool::wait_idle_until(Clock::time_point until) {
  std::unique_lock lock(mu_);
  ++idle_waiters_;
  const bool idle =
      idle_.wait_until(lock, until, [this] { return queue_.empty() && running_ == 0; });
  --idle_waiters_;
  return idle;
}

void WorkerPool::stop_and_join() {
  std::vector<Thread> threads;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  work_.notify_all();
  // Joined outside the lock; no thread is started once stopping_ is set.
  {
    std::lock_guard lock(mu_);
    threads = std::move(threads_);
    threads_.clear();
  }
  for (auto& thread : threads) thread.join();
}

void WorkerPool::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    if (queue_.empty()) {
      if (options_.on_idle) {
        lock.unlock();
        options_.on_idle();
        lock.lock();
        if (!queue_.empty()) continue;
      }
      if (stopping_) return;  // stopping, and the queue is drained
      ++sleeping_;
      work_.wait(lock);
      --sleeping_;
      if (wakes_pending_ > 0) --wakes_pending_;
      continue;
    }
    Task task = std::move(queue_.front());
    queue_.pop_front();
    ++running_;
    // Someone must keep taking the queued tasks while this one runs; if no
    // one will look at the queue meanwhile, the idle hook runs now, since
    // this task may block for as long as it likes.
    const Looking other = queue_.empty() ? Looking::no : ensure_one_looking();
    lock.unlock();
    if (other == Looking::after_notify) work_.notify_one();
    if (other == Looking::no && options_.on_idle) options_.on_idle();
    task();
    task = nullptr;  // release captures outside the lock, before counting done
    lock.lock();
    --running_;
    // Notified only when someone waits: a futex syscall per call otherwise.
    if (queue_.empty() && running_ == 0 && idle_waiters_ > 0) idle_.notify_all();
  }
}

}  // namespace stockade::sdk::detail
