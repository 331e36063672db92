// PluginProcess: one plugin's process and its calls, on the runtime's event
// loop (internal; includes Asio). Explicit states:
//
//   stopped -> spawning -> handshaking -> ready -> draining -> stopped
//                 |             |           |
//                 +-------------+-----------+-> (exit) -> backoff -> spawning
//                                                  \-> failed (crash loop, refusal)
//
// Exits are noticed at once through the pidfd (no polling). A crash fails the
// calls that were sent (UNAVAILABLE, "plugin crashed: ..."); calls still
// queued wait for the restart within their deadline. A restart budget
// (RestartSettings) parks a crash-looping plugin as failed with the reason.
// Health policy (health_checker.cpp) and call policy (execute_call.cpp) live
// apart and only use call() and restart().
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "sandbox/sandbox.h"
#include "supervisor/borrowed_watch.h"
#include "supervisor/call_table.h"
#include "supervisor/launch.h"
#include "supervisor/log.h"
#include "config/manifest.h"
#include "supervisor/plugin_output.h"
#include "supervisor/restart_budget.h"
#include "stockade/supervisor.h"

namespace stockade::supervisor {

class Channel;
class OutputLogger;

// Calls beyond the queue: info/health requests from the runtime itself.
inline constexpr size_t kControlSlots = 64;

// Supervisor-wide knobs (not per plugin: those are in the manifest).
class Launcher;

struct RuntimeSettings {
  LaunchSettings launch;
  // Where launches run (the Supervisor's, which outlives its plugins);
  // nullptr: in line, on the loop thread.
  Launcher* launcher = nullptr;
  std::chrono::milliseconds handshake_timeout{5000};
  size_t max_queued_calls = 4096;  // per plugin, waiting beyond max_concurrency
  uint32_t memfd_threshold = 0;  // SupervisorOptions::memfd_threshold (0: the frame's)
  OutputLimits output;
  std::shared_ptr<Log> log = std::make_shared<Log>();  // the Supervisor's, shared by its plugins
  // The host's observer (SupervisorOptions::observer), shared by its plugins.
  std::shared_ptr<const SupervisorObserver> observer = std::make_shared<SupervisorObserver>();
};

// What the process tells the call policy (the circuit breaker) about itself.
struct ProcessEvents {
  std::function<void()> ended;      // it crashed or was killed, once per exit (not during stop)
  std::function<void()> recovered;  // a launch completed its handshake
};

class PluginProcess : public std::enable_shared_from_this<PluginProcess> {
 public:
  PluginProcess(boost::asio::io_context& io, Manifest manifest, const RuntimeSettings& settings);
  ~PluginProcess();
  PluginProcess(const PluginProcess&) = delete;
  PluginProcess& operator=(const PluginProcess&) = delete;

  // Launches it unless it runs, is starting or is parked as failed.
  void start();
  // Runs `done` once: at the next ready (ok) or the next failure before it.
  void when_started(std::function<void(const Status&)> done);
  // Sends `request` when the plugin is ready (starting it if needed),
  // waiting at most until `deadline`. `done` runs exactly once, on the loop.
  void call(const Request& request, Clock::time_point deadline, Completion done);
  // Kills it for `reason`; the usual restart policy follows.
  void restart(const std::string& reason);
  // The operator's restart: clears the restart budget, the crash count and a
  // parked state, kills it if it runs and launches it again at once. `done`
  // runs once, at the next ready or the next failure before it.
  void relaunch(std::function<void(const Status&)> done);
  void set_events(ProcessEvents events) { events_ = std::move(events); }
  // CloseRequest{grace}, then SIGTERM, then SIGKILL; `done` runs once it is
  // gone. Queued calls, and calls made from now on, end UNAVAILABLE `why`.
  void stop(std::chrono::milliseconds grace, std::function<void()> done,
            const std::string& why = "plugin is stopping");
  // Reload (plugin_process_reload.cpp): runs on `manifest` from now on. Not
  // running: takes it at once, `done` runs at once, returns false. Running:
  // drains (nothing new is sent; the calls in flight finish), closes it as
  // stop() does within `grace`, launches it anew on `manifest` (queued calls
  // wait for it), and runs `done` at its ready or its failure; returns true.
  bool replace_manifest(Manifest manifest, std::chrono::milliseconds grace,
                        std::function<void(const Status&)> done);

  PluginState state() const { return state_; }
  const std::string& reason() const { return reason_; }
  const std::string& last_failure() const { return last_failure_; }
  uint32_t crashes_in_a_row() const { return crashes_in_a_row_; }
  const Manifest& manifest() const { return manifest_; }
  Log& log() const { return *settings_.log; }
  PluginCounters counters() const;

 private:
  // Lifecycle (plugin_process.cpp).
  void launch();
  void on_launched(Result<LaunchedPlugin> launched);
  void on_launch_failure(const Error& error);
  void watch_exit();
  void watch_violations();
  void watch_cpu_budget();  // the sandbox's CPU budget, where a cgroup accounts it
  void on_exit();
  void after_exit(const std::string& message, std::optional<int> exit_code);
  void schedule_restart(const std::string& why);
  void park(const std::string& why);
  void kill(const std::string& reason);
  void finish_stop();
  void notify_started(const Status& status);
  // Returns how many of the failed calls had been sent.
  size_t fail_calls(bool sent_only, const CallError& error);
  void out_of_descriptors(const std::string& why);
  // CloseRequest{grace}; SIGTERM after the grace, SIGKILL shortly after.
  void close_within(std::chrono::milliseconds grace);
  // Reload: the calls in flight are over, close it (from pump()).
  void close_for_reload();
  void adopt(Manifest manifest);
  void emit(const PluginEvent& event) const;
  void emit_ended(const sandbox::ExitStatus* status);

  // Frames and calls (plugin_process_calls.cpp).
  void on_frame(const wire::fb::Envelope& envelope, UniqueFd payload_fd);
  void on_hello(const wire::fb::Envelope& envelope);
  void on_answer(const wire::fb::Envelope& envelope, UniqueFd payload_fd);
  // An execute request's frame, its payload inline or in a memfd; false
  // when the call was ended instead (too big, no memfd).
  bool send_execute(uint64_t id, PendingCall& call);
  void on_channel_error(const Error& error);
  void on_stray_answer(uint64_t id);
  void violation(const std::string& what);
  void pump();
  void send_request(uint64_t id);
  void arm_deadline(Clock::time_point when);
  void on_deadline();

  boost::asio::io_context& io_;
  Manifest manifest_;
  RuntimeSettings settings_;
  PluginState state_ = PluginState::stopped;
  std::string reason_;  // why it is failed, or the last crash
  CallTable table_;
  RestartBudget restarts_;

  std::optional<sandbox::Child> child_;
  std::shared_ptr<Channel> channel_;
  std::shared_ptr<OutputLogger> output_log_;  // stdout and stderr, one pipe
  // Declared after child_, so destroyed (released) before it closes the fds.
  BorrowedWatch exit_watch_;       // child_'s pidfd
  BorrowedWatch violation_watch_;  // child_'s seccomp listener
  std::string cookie_;
  uint64_t generation_ = 0;  // launches so far; stale events carry an older one
  // What this launch's handshake granted: payloads of memfd_threshold_ bytes
  // or more go in sealed memfds, up to max_payload_ (0, 0: frames only).
  uint32_t memfd_threshold_ = 0;
  uint64_t max_payload_ = 0;

  boost::asio::steady_timer handshake_timer_;
  boost::asio::steady_timer restart_timer_;
  boost::asio::steady_timer stop_timer_;
  boost::asio::steady_timer deadline_timer_;
  std::optional<Clock::time_point> deadline_armed_;
  uint64_t deadline_generation_ = 0;

  Clock::time_point stray_window_start_{};
  uint32_t stray_in_window_ = 0;
  std::string kill_reason_;  // set when we kill it: the message its calls get
  std::string park_reason_;  // set when its exit must park it (handshake refused)
  std::string last_failure_;  // the last crash or launch failure; survives a good restart
  uint32_t crashes_in_a_row_ = 0;  // crashes that failed a sent call, no answer between
  bool relaunch_pending_ = false;  // relaunch(): launch at once when this run has ended
  std::optional<Manifest> pending_manifest_;  // reload: the manifest of the next run, once drained
  std::chrono::milliseconds reload_grace_{0};
  bool ran_before_ = false;  // a process of it has run: the next launch is a restart
  std::string stop_reason_ = "plugin is stopping";
  ProcessEvents events_;
  bool stopping_ = false;
  std::vector<std::function<void(const Status&)>> start_waiters_;
  std::vector<std::function<void()>> stop_waiters_;
  PluginCounters counters_;
};

}  // namespace stockade::supervisor
