#include "supervisor/cgroup_janitor.h"

namespace stockade::supervisor {

void CgroupJanitor::start(std::chrono::milliseconds interval, std::function<void()> prune) {
  prune_ = std::move(prune);
  if (interval.count() <= 0) {
    prune_();
    std::lock_guard lock(mutex_);
    ++passes_;
    return;
  }
  thread_ = std::thread([this, interval] { run(interval); });
}

void CgroupJanitor::run(std::chrono::milliseconds interval) {
  std::unique_lock lock(mutex_);
  while (!quit_) {
    lock.unlock();
    prune_();
    lock.lock();
    ++passes_;
    wake_.wait_for(lock, interval, [this] { return quit_; });
  }
}

void CgroupJanitor::stop() {
  {
    std::lock_guard lock(mutex_);
    quit_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

uint64_t CgroupJanitor::passes() const {
  std::lock_guard lock(mutex_);
  return passes_;
}

}  // namespace stockade::supervisor
