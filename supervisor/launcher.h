// Launcher: a few threads that run launches (verify + spawn, launch.h) off
// the supervisor's event loop.
//
// Why: a launch blocks for milliseconds, most of it waiting for the child
// to build its sandbox (mounts, pivot_root, seccomp, two execs), and with
// many plugins the child's part grows (its pivot_root walks every task on
// the host, its close_range drops its copy of every supervisor fd). On the
// loop thread N launches ran one after another and every call waited
// behind them; here up to kLaunchThreads run at once, on both CPUs, and
// the loop only takes over the finished plugin (launch.h's LaunchedPlugin).
//
// Each job is self-contained: it carries its own copies of the manifest,
// the settings and the whitelist entries it verifies against, so nothing it
// reads can change under it. The threads live as long as the Launcher: a
// sandbox's first process has PR_SET_PDEATHSIG tied to the thread that
// cloned it, so a launcher thread must not end while its plugins run (the
// Supervisor stops every plugin before it destroys the Launcher).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace stockade::supervisor {

class Launcher {
 public:
  // Enough to overlap the children's setup waits on two CPUs, few enough
  // that their CPU-bound parts do not crowd out the loop. Starting 1,000
  // (bench_many_plugins, one loaded session, 2 vCPUs): 12.6 s with 1
  // thread, 9.4 s with 2, 6.0 s with 4, 5.7 s with 8; past 4 the children
  // queue on the kernel's locks instead (docs/benchmarks.md).
  static constexpr size_t kLaunchThreads = 4;

  explicit Launcher(size_t threads = kLaunchThreads);
  // Runs every job still queued, then joins: each queued job is a launch
  // somebody waits for, and its result must reach its owner (or be
  // destroyed, which kills and reaps the sandbox) exactly once.
  ~Launcher();
  Launcher(const Launcher&) = delete;
  Launcher& operator=(const Launcher&) = delete;

  // Any thread. Runs `job` on one of the launcher's threads. Bounded by
  // its callers: a plugin has at most one launch in flight.
  void submit(std::function<void()> job);

 private:
  void run();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;  // last: started once the rest exists
};

}  // namespace stockade::supervisor
