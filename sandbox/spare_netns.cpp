#include "sandbox/spare_netns.h"
#include "sandbox/sandbox.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <stop_token>
#include <thread>

namespace stockade::sandbox {
namespace {

// Two: a launch takes one while the other waits, so that launches closer
// together than one unshare still find one. Each costs some kernel memory
// and one fd while it waits; a burst beyond them falls back to CLONE_NEWNET.
constexpr size_t kSpares = 2;
// Refilling waits this long after the last take: an unshare(CLONE_NEWNET)
// that overlaps the launch which took the spare slowed its clone3 from 0.33
// to 1.3-1.6 ms (measured: they contend in the kernel and for the CPUs),
// which undid the gain. The second spare serves a launch meanwhile.
constexpr auto kQuietBeforeRefill = std::chrono::milliseconds(20);

class SparePool {
 public:
  UniqueFd take() {
    std::lock_guard lock(mutex_);
    start_locked();
    if (spares_.empty()) return UniqueFd();
    UniqueFd fd = std::move(spares_.front());
    spares_.pop_front();
    last_take_ = std::chrono::steady_clock::now();
    wake_.notify_one();
    return fd;
  }

  void warm() {
    std::lock_guard lock(mutex_);
    start_locked();
  }

 private:
  // Whether we may make and enter network namespaces at all: without
  // CAP_SYS_ADMIN no thread is started (none that would only fail and end).
  static bool may_make_namespaces() {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
    if (syscall(SYS_capget, &header, data) != 0) return false;
    return (data[CAP_SYS_ADMIN / 32].effective & (1u << (CAP_SYS_ADMIN % 32))) != 0;
  }

  void start_locked() {
    if (started_) return;
    started_ = true;
    if (!may_make_namespaces()) return;
    // Born with every signal blocked: the host's handlers (a daemon's
    // SIGHUP, Asio's SIGCHLD) must not run on a thread that sits in an
    // empty network namespace.
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    thread_ = std::jthread([this](std::stop_token stop) { refill(stop); });
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  }

  // Runs on its own thread, which lives in whatever namespace it made last:
  // it does nothing else, so that does not matter.
  void refill(std::stop_token stop) {
    for (;;) {
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, stop, [&] { return spares_.size() < kSpares; });
        // Until no launch has taken one for kQuietBeforeRefill.
        while (!stop.stop_requested() &&
               std::chrono::steady_clock::now() < last_take_ + kQuietBeforeRefill) {
          wake_.wait_until(lock, stop, last_take_ + kQuietBeforeRefill, [] { return false; });
        }
        if (stop.stop_requested()) return;
      }
      // EPERM (no CAP_SYS_ADMIN), ENOSPC (user.max_net_namespaces) or
      // anything else: launches go on with CLONE_NEWNET, which then reports
      // the problem in their own words.
      if (unshare(CLONE_NEWNET) != 0) return;
      UniqueFd fd(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
      if (!fd) return;
      std::lock_guard lock(mutex_);
      spares_.push_back(std::move(fd));
    }
  }

  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::deque<UniqueFd> spares_;
  std::chrono::steady_clock::time_point last_take_{};
  bool started_ = false;
  std::jthread thread_;  // last: stopped and joined before the rest goes
};

SparePool& pool() {
  static SparePool instance;
  return instance;
}

}  // namespace

UniqueFd take_spare_netns() { return pool().take(); }

void warm_spare_netns() { pool().warm(); }

}  // namespace stockade::sandbox
