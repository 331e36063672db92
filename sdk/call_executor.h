// CallExecutor: runs Execute calls on the thread that read them when they are
// quick, and adds threads only when they are not (leader/follower).
//
// Why: handing each call to a worker costs a futex wake-up and a context
// switch, often to the other CPU (5-55 us on the hosts we measured), more
// than a small call itself. So every thread here takes the same loop: run a
// queued call if there is one (and max_running allows); otherwise take the
// reading role if no one holds it (one blocking read, then decode and queue
// the calls it carried); otherwise sleep. The thread that read a burst runs
// its calls one after another, and their replies leave in one write before
// it reads again: no wake-up at all while handlers are quick.
//
// Nothing may wait behind a slow or stuck handler for long: Health, Info and
// Close must still be read, queued calls must still start. A monitor thread
// looks every `tick` while calls run: when no thread is free (awake, outside
// a call and not reading) and every running call has run longer than
// `quick_bound`, it wakes or starts as many threads as the reading role and
// the queue need (within max_running calls plus one reader), and writes the
// replies the blocked threads left queued. A thread blocked writing replies
// (a host that does not read while it sends) counts as blocked too, which is
// why replies are written before taking the reading role, not while holding
// it: reading goes on, and the host's send completes.
//
// The monitor sleeps on a timer (wake_timer.h) that a call starting sets to
// first_look and that the thread disarms when, nothing running, it goes back
// to reading: a lone quick call costs two timerfd_settime calls and wakes the
// monitor never. In a stream of calls (the read before waited less than
// back_to_back for its bytes) the thread leaves the timer set: each setting
// costs 0.4-0.6 us here, two a call were a tenth of a 16 B round trip on one
// CPU, and the stream instead wakes the monitor about once a first_look, to
// find young calls or none (then it parks). A look that finds a call past
// quick_bound ticks until nothing is blocked. Why first_look (5 ms) and not quick_bound:
// a timer due before the CPU's next scheduler tick (4 ms apart at HZ=250)
// makes the kernel program the CPU's timer, and so does removing it; on a
// virtual machine each is an exit to the hypervisor. Set and cleared at
// 0.5 ms for every call, it made a 16-byte call on one CPU take 21 us
// instead of 7; set at 0.5 ms and left to expire, it woke the monitor once
// per lone call (one call to each of 1,000 plugins: 57-60 ms instead of
// 40-45). Replies waiting to be written set the timer too: a write blocked
// on a host that does not read is seen even when no call ran. So a stuck
// handler costs the others about first_look + tick.
//
// The queue is bounded (max_running + max_queued calls, running included):
// try_submit_all() refuses beyond, the caller answers RESOURCE_EXHAUSTED.
//
// Ending: once read() returns false no thread reads again; the threads finish
// the queue and the running calls, then serve() returns. exit_after() gives
// the calls a deadline: past it, with calls still running, the monitor
// reports and ends the process (_exit), as a stuck call would otherwise hang
// the plugin forever.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sdk/thread.h"
#include "sdk/wake_timer.h"

namespace stockade::sdk::detail {

class CallExecutor {
 public:
  using Task = std::function<void()>;
  using Clock = std::chrono::steady_clock;

  struct Options {
    std::size_t max_running = 1;
    std::size_t max_queued = 0;
    std::size_t stack_bytes = 1024 * 1024;
    // A call running longer than this no longer counts as "back soon".
    Clock::duration quick_bound = std::chrono::microseconds(500);
    // The monitor's first look after a call starts (see above), then one
    // every tick while calls run.
    Clock::duration first_look = std::chrono::milliseconds(5);
    Clock::duration tick = std::chrono::microseconds(500);
    // A read whose bytes came within this of its start is taken as one of
    // a stream of calls: the thread leaves the monitor's timer set when it
    // reads again (see above).
    Clock::duration back_to_back = std::chrono::microseconds(200);
    // The reading role: one blocking read and the dispatch of what it read
    // (calls go to try_submit_all); false when reading is over.
    std::function<bool()> read{};
    // Writes the replies queued so far (cheap when there are none).
    std::function<void()> flush{};
    // Whether replies wait to be written (a flush then may block).
    std::function<bool()> replies_queued{};
    // The same without blocking (what the socket takes now): the monitor's,
    // which must keep looking even when the host does not read.
    std::function<void()> try_flush{};
    std::function<void(const std::string&)> report{};
  };

  // Starts no thread: serve() starts the monitor. Without it (no thread can
  // be started) calls run on the serving thread only, one at a time, and a
  // slow call holds up reading: reported once, and the plugin keeps
  // serving.
  explicit CallExecutor(Options options);
  // Joins every thread: call after serve() returned.
  ~CallExecutor();
  CallExecutor(const CallExecutor&) = delete;
  CallExecutor& operator=(const CallExecutor&) = delete;

  // Serves on the calling thread until reading is over and every call ended.
  void serve();
  // Queues the tasks from the front of `tasks` (moved from); returns how many
  // fit. Does not wake anyone: the reader runs them when its read returns.
  std::size_t try_submit_all(std::span<Task> tasks);
  // After `until`, calls still queued or running end the process: _exit(code).
  void exit_after(Clock::time_point until, int code);

  // Threads started for calls and reading so far (the serving one excluded).
  std::size_t threads_started() const;
  // timerfd_settime calls made on the monitor's timer so far: each is a
  // syscall, so a quick call should not make one (tests count them).
  std::uint64_t timer_settings() const;

 private:
  struct Worker {
    Clock::time_point since = Clock::time_point::max();     // in a call since
    Clock::time_point flushing = Clock::time_point::max();  // writing replies since
  };
  void participate(Worker& me);
  // With `lock` held on entry and return: writes the queued replies without
  // the lock, marked as writing.
  void flush_replies(Worker& me, std::unique_lock<std::mutex>& lock);
  void monitor();
  // With the lock held: the threads to wake or start now (see above).
  std::size_t wanted_locked(Clock::time_point now) const;
  // With the lock held: starts one participant; false if not possible.
  bool start_participant_locked();
  // With the lock held: starts the monitor if it was not started yet.
  void start_monitor_locked();
  // With the lock held: sets the monitor's timer to `after` (positive: the
  // monitor will look then), or wakes it now; no-ops without a monitor.
  void arm_monitor_locked(Clock::duration after);
  void wake_monitor_locked();
  // With the lock held, as a call starts or replies are written: makes sure
  // the monitor looks first_look from now if it was not going to.
  void watch_locked();
  // With the lock held, before a blocking read: disarms the monitor's timer
  // when nothing is left for it to watch (no call running or queued, no
  // thread writing replies).
  void unwatch_if_idle_locked();

  const Options options_;
  mutable std::mutex mu_;
  std::condition_variable work_;     // a call queued for a woken thread, or the end
  std::deque<Task> queue_;
  std::vector<std::unique_ptr<Worker>> workers_;  // every participant, the serving one first
  std::vector<Thread> threads_;                   // participants started by the monitor
  std::size_t running_ = 0;
  std::size_t sleeping_ = 0;
  std::size_t wakes_pending_ = 0;  // notified sleepers not awake yet
  bool reading_ = false;           // a thread holds the reading role
  bool reading_over_ = false;
  // The reader queued calls in its current read: it runs them as soon as
  // its read returns, so the monitor need not wake anyone for them.
  bool reader_will_run_ = false;
  bool stopping_ = false;          // the destructor: the monitor ends
  // The monitor's timer is set (or the monitor is awake and sets it
  // itself): a call starting need not set it again.
  bool monitor_armed_ = false;
  bool monitor_started_ = false;   // tried once, by serve()
  // How long the last read waited for its bytes (and dispatched them).
  Clock::duration last_read_wait_ = Clock::duration::max();
  // Settings of the monitor's timer so far (timer_settings()).
  std::uint64_t timer_settings_ = 0;
  bool start_failed_ = false;      // reported once; no further attempts
  Clock::time_point exit_at_ = Clock::time_point::max();
  int exit_code_ = 0;
  std::optional<WakeTimer> monitor_timer_;  // set once the monitor runs
  Thread monitor_thread_;
};

}  // namespace stockade::sdk::detail
