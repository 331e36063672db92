#include "supervisor/launcher.h"

#include <pthread.h>
#include <signal.h>

namespace stockade::supervisor {

Launcher::Launcher(size_t threads) {
  // Born with every signal blocked: the host's handlers (a daemon's SIGHUP,
  // Asio's SIGCHLD) run on its own threads, never on one that is between a
  // setns into a sandbox's network namespace and its return (spawn.cpp).
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  threads_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

Launcher::~Launcher() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_) t.join();
}

void Launcher::submit(std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
}

void Launcher::run() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, and nothing left to run
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

}  // namespace stockade::supervisor
