#include "sdk/call_executor.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <utility>

namespace stockade::sdk::detail {

namespace {

// Runs `body`; an exception out of it ends the process with one line on
// stderr. What throws here is std::bad_alloc or std::system_error when the
// sandbox's memory or address space is exhausted (a handler's own exceptions
// are caught by the session): a call's reply or a frame half dispatched
// would be lost and the host would wait for it, so exiting (the supervisor
// sees a crash and restarts the plugin) is the honest end. No allocation on
// this path: there may be no memory left.
template <typename Body>
void or_exit(const char* what, Body&& body) {
  try {
    body();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "stockade sdk: %s failed: %s (out of memory or address space: raise "
                 "resources.max_memory_mb); exiting\n", what, e.what());
    _exit(70);
  } catch (...) {
    std::fprintf(stderr, "stockade sdk: %s failed with a non-standard exception; exiting\n", what);
    _exit(70);
  }
}
}  // namespace

CallExecutor::CallExecutor(Options options) : options_(std::move(options)) {}

void CallExecutor::start_monitor_locked() {
  // Started by serve(), once the handshake is done, not by the first call:
  // a thread's start (clone, its stack, its first run) made the first call
  // to each of 1,000 idle plugins take 77-82 ms instead of 58-65 (the
  // thread is one more that every later sandbox's pivot_root walks, which
  // measured as nothing against the launch: bench_many_plugins).
  if (monitor_started_ || start_failed_) return;
  monitor_started_ = true;
  auto timer = WakeTimer::create();
  if (!timer) {
    start_failed_ = true;
    if (options_.report) {
      options_.report(timer.error().message() +
                      "; calls run one at a time on the reading thread, and a slow call holds "
                      "up the others and Health (EMFILE: the plugin has used up its descriptors)");
    }
    return;
  }
  monitor_timer_ = std::move(*timer);
  auto thread = Thread::start([this] { or_exit("the call monitor thread", [this] { monitor(); }); },
                              options_.stack_bytes);
  if (!thread) {
    monitor_timer_.reset();
    start_failed_ = true;
    if (options_.report) {
      options_.report("cannot start the call monitor thread (" + thread.error().message() +
                      "); calls run one at a time on the reading thread, and a slow call holds "
                      "up the others and Health (EAGAIN: the plugin's process limit, "
                      "resources.max_processes, or its address space, resources.max_memory_mb, is "
                      "too low)");
    }
    return;
  }
  monitor_thread_ = std::move(*thread);
}

void CallExecutor::arm_monitor_locked(Clock::duration after) {
  if (!monitor_timer_) return;
  monitor_armed_ = true;
  ++timer_settings_;
  monitor_timer_->arm(after);
}

void CallExecutor::wake_monitor_locked() {
  if (!monitor_timer_) return;
  monitor_armed_ = true;
  ++timer_settings_;
  monitor_timer_->wake_now();
}

void CallExecutor::watch_locked() {
  if (monitor_armed_) return;
  arm_monitor_locked(options_.first_look);
}

void CallExecutor::unwatch_if_idle_locked() {
  if (!monitor_timer_ || !monitor_armed_ || running_ > 0 || !queue_.empty() || stopping_ ||
      exit_at_ != Clock::time_point::max()) {
    return;
  }
  // Calls come back to back: the next is probably near, and its thread
  // would set the timer again at once. Left set, it wakes the monitor once,
  // after the stream, which then parks (see the header).
  if (last_read_wait_ < options_.back_to_back) return;
  for (const auto& worker : workers_) {
    if (worker->flushing != Clock::time_point::max()) return;
  }
  monitor_armed_ = false;
  ++timer_settings_;
  monitor_timer_->disarm();
}

CallExecutor::~CallExecutor() {
  std::vector<Thread> threads;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    threads = std::move(threads_);
    threads_.clear();
    wake_monitor_locked();
  }
  work_.notify_all();
  monitor_thread_.join();
  for (auto& thread : threads) thread.join();
}

std::size_t CallExecutor::threads_started() const {
  std::lock_guard lock(mu_);
  return threads_.size();
}

std::uint64_t CallExecutor::timer_settings() const {
  std::lock_guard lock(mu_);
  return timer_settings_;
}

void CallExecutor::serve() {
  Worker* me;
  {
    std::lock_guard lock(mu_);
    workers_.push_back(std::make_unique<Worker>());
    me = workers_.back().get();
    start_monitor_locked();
  }
  or_exit("the serving thread", [this, me] { participate(*me); });
}

std::size_t CallExecutor::try_submit_all(std::span<Task> tasks) {
  std::lock_guard lock(mu_);
  if (stopping_) return 0;
  std::size_t queued = 0;
  for (auto& task : tasks) {
    // Threads not started yet count as free: the bound is on calls waiting
    // beyond max_running, not on the threads started so far.
    if (running_ + queue_.size() >= options_.max_running + options_.max_queued) break;
    queue_.push_back(std::move(task));
    ++queued;
  }
  if (queued > 0 && reading_) reader_will_run_ = true;
  return queued;
}

void CallExecutor::exit_after(Clock::time_point until, int code) {
  {
    std::lock_guard lock(mu_);
    exit_at_ = until;
    exit_code_ = code;
    wake_monitor_locked();
  }
}

void CallExecutor::flush_replies(Worker& me, std::unique_lock<std::mutex>& lock) {
  // Marked as writing meanwhile: a write that blocks (a host that does not
  // read) makes this thread count as blocked for the monitor.
  me.flushing = Clock::now();
  // Replies that are not a call's (refusals, control answers while closing)
  // may block too with no call to have set the monitor's timer.
  if (options_.replies_queued && options_.replies_queued()) watch_locked();
  lock.unlock();
  if (options_.flush) options_.flush();
  lock.lock();
  me.flushing = Clock::time_point::max();
}

void CallExecutor::participate(Worker& me) {
  std::unique_lock lock(mu_);
  bool flushed = false;  // the replies were written since the last call ran
  for (;;) {
    if (stopping_) return;
    if (!queue_.empty() && running_ < options_.max_running) {
      Task task = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
      me.since = Clock::now();
      watch_locked();
      lock.unlock();
      task();
      task = nullptr;  // captures (the payload's pin) released outside the lock
      lock.lock();
      --running_;
      me.since = Clock::time_point::max();
      flushed = false;
      continue;
    }
    if (!reading_ && !reading_over_) {
      if (!flushed) {
        // The replies of the calls run so far leave before a read that
        // blocks; written without the reading role, see the header.
        flush_replies(me, lock);
        flushed = true;
        continue;
      }
      unwatch_if_idle_locked();
      reading_ = true;
      lock.unlock();
      const auto began = Clock::now();
      const bool more = options_.read();
      const auto read_wait = Clock::now() - began;
      lock.lock();
      last_read_wait_ = read_wait;
      reading_ = false;
      reader_will_run_ = false;
      flushed = false;
      if (!more) {
        reading_over_ = true;
        work_.notify_all();
        wake_monitor_locked();
      }
      continue;
    }
    if (reading_over_ && queue_.empty() && running_ == 0) {
      work_.notify_all();
      return;
    }
    if (!flushed) {
      // Before sleeping, once: re-check afterwards, the state may have moved.
      flush_replies(me, lock);
      flushed = true;
      continue;
    }
    ++sleeping_;
    work_.wait(lock);
    --sleeping_;
    if (wakes_pending_ > 0) --wakes_pending_;
    flushed = false;
  }
}

std::size_t CallExecutor::wanted_locked(Clock::time_point now) const {
  if (reader_will_run_) return 0;
  // Threads not free: in a call, asleep (and not woken yet), reading, or
  // writing replies for longer than the bound.
  std::size_t busy = running_ + sleeping_ - wakes_pending_ + (reading_ ? 1 : 0);
  for (const auto& worker : workers_) {
    // A call that started recently is probably quick: its thread is back
    // soon (likewise a write that started recently).
    if (worker->since != Clock::time_point::max() && now - worker->since < options_.quick_bound) {
      return 0;
    }
    if (worker->flushing != Clock::time_point::max() &&
        now - worker->flushing >= options_.quick_bound) {
      ++busy;
    }
  }
  // A thread awake outside a call and not reading will take what there is.
  if (workers_.size() > busy) return 0;
  std::size_t wanted = (!reading_ && !reading_over_) ? 1 : 0;
  if (running_ < options_.max_running) {
    wanted += std::min(queue_.size(), options_.max_running - running_);
  }
  return wanted;
}

bool CallExecutor::start_participant_locked() {
  // One reader beside max_running calls: more threads could only sleep.
  if (start_failed_ || stopping_ || workers_.size() >= options_.max_running + 1) return false;
  workers_.push_back(std::make_unique<Worker>());
  Worker* worker = workers_.back().get();
  auto thread = Thread::start(
      [this, worker] { or_exit("a call thread", [this, worker] { participate(*worker); }); },
      options_.stack_bytes);
  if (!thread) {
    workers_.pop_back();
    start_failed_ = true;
    if (options_.report) {
      options_.report("cannot start worker thread " + std::to_string(workers_.size() + 1) +
                      " of " + std::to_string(options_.max_running + 1) + " (" +
                      thread.error().message() + "); continuing with " +
                      std::to_string(workers_.size()) +
                      " (EAGAIN: the plugin's process limit, resources.max_processes, or its address "
                      "space, resources.max_memory_mb, is too low)");
    }
    return false;
  }
  threads_.push_back(std::move(*thread));
  return true;
}

void CallExecutor::monitor() {
  // Asleep until a call has run for first_look (or an end, or exit_after):
  // see watch_locked.
  monitor_timer_->wait();
  std::unique_lock lock(mu_);
  while (!stopping_) {
    const auto now = Clock::now();
    if (now >= exit_at_ && (running_ > 0 || !queue_.empty())) {
      const std::size_t left = running_ + queue_.size();
      const int code = exit_code_;
      lock.unlock();
      if (options_.report) {
        options_.report(std::to_string(left) + " call(s) still running after cancellation; exiting");
      }
      if (options_.try_flush) options_.try_flush();
      _exit(code);
    }
    // Parked at the first look that finds nothing running, nothing queued
    // and nothing being written: the next call sets the timer again. (It
    // ticked for 100 ms after every call once: 1,000 plugins called once
    // each made 200,000 wake-ups, and one call to each took 1.0-1.4 s
    // instead of 0.16.) A thread writing replies to a host that does not
    // read is blocked too (the header): parked, the monitor would never hand
    // its reading role on, and host and plugin would both wait in send() for
    // ever.
    bool writing = false;
    for (const auto& worker : workers_) writing |= worker->flushing != Clock::time_point::max();
    if (running_ == 0 && queue_.empty() && !writing) {
      monitor_armed_ = false;  // it has expired: nothing to disarm
      lock.unlock();
      monitor_timer_->wait();
      lock.lock();
      continue;
    }
    bool blocked = false;  // a call or a write has run past the bound
    // The first look of the oldest call or write still going, as if it had
    // set the timer itself.
    auto next_look = Clock::time_point::max();
    for (const auto& worker : workers_) {
      for (const auto since : {worker->since, worker->flushing}) {
        if (since == Clock::time_point::max()) continue;
        if (now - since >= options_.quick_bound) blocked = true;
        next_look = std::min(next_look, since + options_.first_look);
      }
    }
    // Nothing to do before serve() put the first thread in (it takes the
    // reading role itself; the session is not ready for reading before).
    std::size_t wanted = !workers_.empty() && (blocked || running_ == 0) ? wanted_locked(now) : 0;
    std::size_t notify = 0;
    for (; wanted > 0 && sleeping_ > wakes_pending_; --wanted) {
      ++wakes_pending_;
      ++notify;
    }
    for (; wanted > 0 && start_participant_locked(); --wanted) {
    }
    lock.unlock();
    for (; notify > 0; --notify) work_.notify_one();
    // A blocked thread may have left the replies of its earlier calls
    // queued. Written without blocking: the monitor stuck in a send to a
    // host that does not read would stop looking.
    if (blocked && options_.try_flush) options_.try_flush();
    lock.lock();
    if (stopping_) break;
    // Past the bound, or calls queued with none running: look again soon.
    // Otherwise every call running is young (a stream of quick calls, most
    // often): the next look is the oldest's first look, so a stream wakes
    // the monitor about once a first_look, not once a tick, and no call
    // goes unseen for longer than first_look + tick.
    auto after = options_.tick;
    if (!blocked && next_look != Clock::time_point::max()) after = std::max(after, next_look - now);
    // exit_after's deadline is looked at when it comes, not up to a
    // first_look later.
    if (exit_at_ != Clock::time_point::max()) after = std::min(after, std::max(options_.tick, exit_at_ - now));
    arm_monitor_locked(after);
    lock.unlock();
    monitor_timer_->wait();
    lock.lock();
  }
}

}  // namespace stockade::sdk::detail
