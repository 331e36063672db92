// Periodic, off the launch path: removes the empty cgroups that supervisors
// killed outright (SIGKILL, OOM) left behind (sandbox::prune_stale_cgroups).
// A long-running host would otherwise never clean up after a neighbour that
// died after it started. Its own thread, so neither the event loop nor a
// launch ever waits for a directory scan. Internal to the runtime.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

namespace stockade::supervisor {

class CgroupJanitor {
 public:
  CgroupJanitor() = default;
  ~CgroupJanitor() { stop(); }
  CgroupJanitor(const CgroupJanitor&) = delete;
  CgroupJanitor& operator=(const CgroupJanitor&) = delete;

  // Runs `prune` now and then every `interval` until stop(). A zero interval
  // runs it once, in line.
  void start(std::chrono::milliseconds interval, std::function<void()> prune);
  // Wakes and joins the thread (a pass in progress finishes first).
  void stop();
  // Passes completed so far.
  uint64_t passes() const;

 private:
  void run(std::chrono::milliseconds interval);

  std::function<void()> prune_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool quit_ = false;
  uint64_t passes_ = 0;
  std::thread thread_;
};

}  // namespace stockade::supervisor
