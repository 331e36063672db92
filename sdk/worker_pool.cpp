#include "sdk/worker_pool.h"

#include <algorithm>
#include <utility>

namespace stockade::sdk::detail {

Result<std::unique_ptr<WorkerPool>> WorkerPool::start(std::size_t threads, std::size_t max_queued,
                                                      std::size_t stack_bytes) {
  std::unique_ptr<WorkerPool> pool(new WorkerPool(max_queued));
  threads = std::max<std::size_t>(threads, 1);
  pool->threads_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) {
    auto thread = Thread::start([p = pool.get()] { p->run(); }, stack_bytes);
    if (!thread) {
      pool->stop_and_join();
      return std::move(thread).error();
    }
    pool->threads_.push_back(std::move(*thread));
  }
  return pool;
}

WorkerPool::~WorkerPool() { stop_and_join(); }

bool WorkerPool::try_submit(Task task) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queue_.size() >= max_queued_) return false;
    queue_.push_back(std::move(task));
  }
  work_.notify_one();
  return true;
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
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  work_.notify_all();
  for (auto& thread : threads_) thread.join();
  threads_.clear();
}

void WorkerPool::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    work_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and the queue is drained
    Task task = std::move(queue_.front());
    queue_.pop_front();
    ++running_;
    lock.unlock();
    task();
    task = nullptr;  // release captures outside the lock, before counting done
    lock.lock();
    --running_;
    // Notified only when someone waits: a futex syscall per call otherwise.
    if (queue_.empty() && running_ == 0 && idle_waiters_ > 0) idle_.notify_all();
  }
}

}  // namespace stockade::sdk::detail
