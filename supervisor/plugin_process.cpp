#include "supervisor/plugin_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <boost/asio/post.hpp>

#include "supervisor/channel.h"
#include "supervisor/exit_kind.h"
#include "supervisor/fd_limit.h"
#include "supervisor/output_logger.h"
#include "supervisor/launcher.h"
#include "whitelist/whitelist.h"
#include "wire/protocol.h"

namespace stockade::supervisor {

namespace asio = boost::asio;
using std::chrono::milliseconds;

// After SIGTERM, how long before SIGKILL. SIGTERM goes to the sandbox's init,
// which forwards it to the plugin; a plugin may ignore it, so SIGKILL (from
// the host side, ending init and with it the whole pid namespace) is the
// backstop that always works.
constexpr milliseconds kTermToKill{200};

const char* plugin_state_name(PluginState state) {
  switch (state) {
    case PluginState::stopped: return "stopped";
    case PluginState::spawning: return "spawning";
    case PluginState::handshaking: return "handshaking";
    case PluginState::ready: return "ready";
    case PluginState::draining: return "draining";
    case PluginState::backoff: return "backoff";
    case PluginState::failed: return "failed";
  }
  return "?";
}

PluginProcess::PluginProcess(asio::io_context& io, Manifest manifest, const RuntimeSettings& settings)
    : io_(io),
      manifest_(std::move(manifest)),
      settings_(settings),
      table_(manifest_.execute.max_concurrency + settings.max_queued_calls + kControlSlots),
      restarts_(manifest_.restart.max_restarts, milliseconds(manifest_.restart.window_ms),
                milliseconds(manifest_.restart.backoff_ms)),
      handshake_timer_(io),
      restart_timer_(io),
      stop_timer_(io),
      deadline_timer_(io) {}

PluginProcess::~PluginProcess() {
  if (channel_) channel_->close();
  if (output_log_) output_log_->close();
  // child_'s destructor kills and reaps whatever is left.
}

PluginCounters PluginProcess::counters() const {
  PluginCounters c = counters_;
  c.pid = child_ ? child_->pid() : 0;
  return c;
}

void PluginProcess::start() {
  if (state_ == PluginState::stopped && !stopping_) launch();
}

void PluginProcess::when_started(std::function<void(const Status&)> done) {
  if (state_ == PluginState::ready) return done({});
  // Stopping or stopped by stop(): nothing would ever start it again.
  if (stopping_) return done(Error{Errc::unavailable, "supervisor stopped", manifest_.name});
  if (state_ == PluginState::failed) return done(Error{Errc::unavailable, reason_, manifest_.name});
  start_waiters_.push_back(std::move(done));
  start();
}

void PluginProcess::notify_started(const Status& status) {
  auto waiters = std::move(start_waiters_);
  start_waiters_.clear();
  for (auto& w : waiters) w(status);
}

namespace {

// What one launch reads, its own: the loop may adopt a new manifest or
// reload the whitelist while the launch runs on a launcher thread.
struct LaunchJob {
  Manifest manifest;
  LaunchSettings settings;
  std::optional<Whitelist> pins;  // settings.whitelist points here (none: development mode)
};

Result<LaunchedPlugin> run_launch(const LaunchJob& job) {
  try {
    return launch_plugin(job.manifest, job.settings);
  } catch (const std::exception& e) {
    // bad_alloc and kin: the launch fails, the launcher thread goes on.
    return Error{Errc::internal, std::string("launch failed: ") + e.what(), job.manifest.name};
  }
}

}  // namespace

void PluginProcess::launch() {
  state_ = PluginState::spawning;
  ++generation_;
  ++counters_.launches;
  kill_reason_.clear();
  if (settings_.launcher == nullptr) return on_launched(launch_plugin(manifest_, settings_.launch));
  auto job = std::make_shared<LaunchJob>(LaunchJob{manifest_, settings_.launch, std::nullopt});
  if (settings_.launch.whitelist != nullptr) {
    job->pins = settings_.launch.whitelist->pins_of(manifest_.name);
    job->settings.whitelist = &*job->pins;
  }
  // The result comes back to the loop in a handler of its own. Dropped
  // unrun (this process gone, or the loop stopped with it still queued),
  // the result's destructor kills and reaps the sandbox: nothing outlives
  // the launch.
  settings_.launcher->submit([job, weak = weak_from_this(), gen = generation_, io = &io_] {
    asio::post(*io, [weak, gen, launched = run_launch(*job)]() mutable {
      auto self = weak.lock();
      if (!self || self->generation_ != gen) return;
      self->on_launched(std::move(launched));
    });
  });
}

void PluginProcess::on_launched(Result<LaunchedPlugin> launched) {
  if (!launched) return on_launch_failure(launched.error());

  child_.emplace(std::move(launched->child));
  cookie_ = std::move(launched->cookie);
  const bool digest_cached = launched->digest_cached;
  emit({.plugin = manifest_.name,
        .type = ran_before_ ? PluginEvent::Type::restarted : PluginEvent::Type::launched,
        .pid = child_->pid()});
  ran_before_ = true;
  auto weak = weak_from_this();
  const uint64_t gen = generation_;
  memfd_threshold_ = 0;
  max_payload_ = 0;
  wire::DecodeLimits limits;
  limits.max_frame = std::min<uint32_t>(manifest_.execute.max_frame_kb * 1024u, wire::kMaxFrameCeiling);
  size_t queue_bytes = std::max<size_t>(4u << 20, 2u * limits.max_frame);
  channel_ = std::make_shared<Channel>(
      io_, std::move(launched->socket), limits, queue_bytes,
      [this](const wire::fb::Envelope& envelope, UniqueFd payload_fd) {
        on_frame(envelope, std::move(payload_fd));
      },
      [weak, gen](const Error& error) {
        if (auto self = weak.lock(); self && self->generation_ == gen) self->on_channel_error(error);
      });
  output_log_ = std::make_shared<OutputLogger>(io_, std::move(launched->output_pipe), manifest_.name,
                                               "output", settings_.output, settings_.log);
  output_log_->start();
  watch_exit();
  watch_violations();
  watch_cpu_budget();

  state_ = PluginState::handshaking;
  handshake_timer_.expires_after(settings_.handshake_timeout);
  handshake_timer_.async_wait([weak, gen](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self || self->generation_ != gen || self->state_ != PluginState::handshaking) return;
    self->kill("handshake timed out after " + std::to_string(self->settings_.handshake_timeout.count()) +
               " ms (no Hello)");
  });
  channel_->start();
  log().info(manifest_.name, "started, pid {}{}", child_->pid(),
             digest_cached ? " (binary unchanged since hashed: its digest came from the cache)" : "");
  // A stop(), relaunch() or reload that came while it was spawning asked
  // for this run to end; its exit now does what they asked (after_exit).
  if (!kill_reason_.empty()) kill(kill_reason_);
}

void PluginProcess::on_launch_failure(const Error& error) {
  if (stopping_) {
    // stop() came while the launch ran: nothing to kill, the stop is over.
    log().info(manifest_.name, "stopped while starting; the launch failed: {}", error.message());
    return finish_stop();
  }
  if (relaunch_pending_ || pending_manifest_) {
    // relaunch() or a reload came while the launch ran: launch anew (on
    // the new manifest), as after_exit does; their waiters wait for that.
    relaunch_pending_ = false;
    if (pending_manifest_) {
      adopt(std::move(*pending_manifest_));
      pending_manifest_.reset();
    }
    log().warn(manifest_.name, "cannot start: {}; launching again as asked", error.message());
    ++counters_.restarts;
    return launch();
  }
  if (auto exhausted = fd_exhaustion(error)) return out_of_descriptors(*exhausted);
  log().error(manifest_.name, "cannot start: {}", error.message());
  last_failure_ = "cannot start: " + error.message();
  // Refusals and missing binaries will not fix themselves by retrying.
  if (error.code == Errc::not_found || error.code == Errc::refused || error.code == Errc::invalid_input) {
    notify_started(error);
    park(error.message());
    return;
  }
  notify_started(error);
  schedule_restart("cannot start: " + error.message());
}

// Running out of descriptors is the host's state, not the plugin's fault:
// not a crash (no restart budget spent, no backoff loop that cannot help);
// the queued calls end with RESOURCE_EXHAUSTED, and the next call or start()
// tries again.
void PluginProcess::out_of_descriptors(const std::string& why) {
  log().error(manifest_.name, "cannot start: {}", why);
  state_ = PluginState::stopped;
  reason_ = why;
  last_failure_ = "cannot start: " + why;
  child_.reset();
  CallError error{StatusCode::resource_exhausted, why, Delivery::not_sent};
  error.hopeless = true;
  fail_calls(false, error);
  notify_started(Error{Errc::limit, why, manifest_.name});
}

void PluginProcess::watch_exit() {
  if (!exit_watch_.watch(io_, child_->pidfd())) {
    // Without a pidfd watch an exit would go unnoticed: refuse to run blind.
    kill("cannot watch the plugin's pidfd");
    return;
  }
  auto weak = weak_from_this();
  const uint64_t gen = generation_;
  exit_watch_->async_wait(asio::posix::stream_descriptor::wait_read,
                          [weak, gen](const boost::system::error_code& ec) {
                            auto self = weak.lock();
                            if (ec || !self || self->generation_ != gen) return;
                            self->on_exit();
                          });
}

// A timer of its own for each check (due at the earliest the budget could
// run out); it kills the sandbox at the budget, and the pidfd reports it.
void PluginProcess::watch_cpu_budget() {
  const auto due = child_->cpu_check_due();
  if (!due) return;
  auto timer = std::make_shared<asio::steady_timer>(io_, *due);
  timer->async_wait([weak = weak_from_this(), gen = generation_, timer](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self || self->generation_ != gen || !self->child_) return;
    if (!self->child_->check_cpu_budget()) self->watch_cpu_budget();
  });
}

void PluginProcess::watch_violations() {
  // Re-armed on the same listener while it is open; released as soon as the
  // Child has closed it (see BorrowedWatch).
  if (violation_watch_.fd() != child_->violation_fd() && !violation_watch_.watch(io_, child_->violation_fd())) {
    return;
  }
  auto weak = weak_from_this();
  const uint64_t gen = generation_;
  violation_watch_->async_wait(asio::posix::stream_descriptor::wait_read,
                               [weak, gen](const boost::system::error_code& ec) {
                                 auto self = weak.lock();
                                 if (ec || !self || self->generation_ != gen || !self->child_) return;
                                 // Records the syscall and kills the sandbox; the
                                 // pidfd then reports the exit with its name. A
                                 // wakeup without a violation (a hang-up closes the
                                 // listener) re-arms while the listener is left.
                                 const bool violation = self->child_->handle_violation();
                                 if (self->child_->violation_fd() != self->violation_watch_.fd()) {
                                   self->violation_watch_.release();
                                 }
                                 if (!violation && self->child_->violation_fd() >= 0) self->watch_violations();
                               });
}

void PluginProcess::on_exit() {
  auto status = child_->try_wait();
  if (!status) {
    // The pidfd said so; reap without waiting long (never block the loop forever).
    auto waited = child_->wait(milliseconds(100));
    if (!waited) {
      emit_ended(nullptr);
      return after_exit("plugin vanished: " + waited.error().message(), std::nullopt);
    }
    status = std::move(*waited);
  }
  emit_ended(&*status);
  std::string how = status->describe();
  if (status->kind == sandbox::ExitStatus::Kind::killed && kill_reason_.empty()) {
    // We did not kill it, so someone outside did: the sandbox's init has
    // no handler for SIGKILL and the kernel tells a waiter which signal
    // ended a child, never who sent it (si_pid is the child's own pid).
    how = "killed by signal " + std::to_string(status->signal != 0 ? status->signal : SIGKILL) +
          " (SIGKILL) from outside the sandbox";
  }
  std::string message = !kill_reason_.empty() ? kill_reason_ + " (" + how + ")"
                        : stopping_         ? how
                        : state_ == PluginState::draining && pending_manifest_ ? "closed for reload: " + how
                                            : "plugin crashed: " + how;
  after_exit(message, status->shell_code());
}

void PluginProcess::after_exit(const std::string& message, std::optional<int> exit_code) {
  const PluginState was = state_;
  handshake_timer_.cancel();
  stop_timer_.cancel();
  if (channel_) channel_->close();
  channel_.reset();
  // The loggers read on until EOF: the plugin's last words still reach the log.
  output_log_.reset();
  exit_watch_.release();
  violation_watch_.release();
  child_.reset();
  ++generation_;  // late events of this run are stale from here on

  CallError error{StatusCode::unavailable, message, Delivery::unknown};
  error.plugin_exit = exit_code;
  error.plugin_ended = true;
  const size_t sent_failed = fail_calls(true, error);

  if (stopping_) {
    log().info(manifest_.name, "stopped: {}", message);
    finish_stop();
    return;
  }
  if (relaunch_pending_ || pending_manifest_) {
    // The operator's restart() or a reload ended it: no crash, a launch at
    // once (on the new manifest for a reload). A crash while a reload was
    // draining it is still a crash.
    if (pending_manifest_ && was != PluginState::draining && !relaunch_pending_ && kill_reason_.empty()) {
      ++counters_.crashes;
      last_failure_ = message;
      if (events_.ended) events_.ended();
    }
    relaunch_pending_ = false;
    if (pending_manifest_) {
      adopt(std::move(*pending_manifest_));
      pending_manifest_.reset();
      log().info(manifest_.name, "restarting for reload: {}", message);
    } else {
      log().info(manifest_.name, "restarting on request: {}", message);
    }
    ++counters_.restarts;
    return launch();
  }
  ++counters_.crashes;
  last_failure_ = message;
  // A crash that took calls with it, and no call answered since the last
  // one: the plugin dies of its calls. Crashes of an idle plugin (an
  // outside kill, the OOM killer) do not count here.
  if (sent_failed > 0) ++crashes_in_a_row_;
  if (events_.ended) events_.ended();
  if (was == PluginState::handshaking) {
    notify_started(Error{Errc::unavailable, "during the handshake: " + message, manifest_.name});
  }
  if (!park_reason_.empty()) return park(park_reason_);
  log().warn(manifest_.name, "{}", message);
  schedule_restart(message);
}

void PluginProcess::schedule_restart(const std::string& why) {
  reason_ = why;
  // Whatever the breaker does: a plugin crashing on every call is parked
  // even when the breaker spaces its calls wider than the restart window.
  if (crashes_in_a_row_ > restarts_.max_restarts()) {
    park("crash loop: " + std::to_string(crashes_in_a_row_) +
         " crashes in a row during calls, no call answered in between; last: " + why);
    return;
  }
  auto now = Clock::now();
  if (!restarts_.allows(now)) {
    park("crash loop: " + std::to_string(restarts_.max_restarts()) + " restarts within " +
         std::to_string(restarts_.window().count()) + " ms; last: " + why);
    return;
  }
  auto delay = restarts_.record(now);
  state_ = PluginState::backoff;
  log().info(manifest_.name, "restarting in {} ms", delay.count());
  restart_timer_.expires_after(delay);
  restart_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self || self->state_ != PluginState::backoff || self->stopping_) return;
    ++self->counters_.restarts;
    self->launch();
  });
}

void PluginProcess::park(const std::string& why) {
  state_ = PluginState::failed;
  reason_ = why;
  log().error(manifest_.name, "failed: {}", why);
  CallError error{StatusCode::unavailable, "plugin failed: " + why, Delivery::not_sent};
  error.hopeless = true;
  fail_calls(false, error);
  notify_started(Error{Errc::unavailable, why, manifest_.name});
}

void PluginProcess::kill(const std::string& reason) {
  if (kill_reason_.empty()) kill_reason_ = reason;
  if (channel_) channel_->close();
  if (child_) child_->kill();
}

void PluginProcess::restart(const std::string& reason) {
  if (state_ == PluginState::ready) kill(reason);
}

size_t PluginProcess::fail_calls(bool sent_only, const CallError& error) {
  auto failed = table_.take_if([sent_only](const PendingCall& c) { return c.sent || !sent_only; });
  size_t sent = 0;
  for (auto& [id, call] : failed) {
    CallError e = error;
    if (!call.sent && e.delivery == Delivery::unknown) e.delivery = Delivery::not_sent;
    if (call.sent && call.request.kind == RequestKind::execute) ++sent;
    call.done(nullptr, &e);
  }
  return sent;
}

void PluginProcess::relaunch(std::function<void(const Status&)> done) {
  if (stopping_) return done(Error{Errc::unavailable, "supervisor stopped", manifest_.name});
  restarts_ = RestartBudget(manifest_.restart.max_restarts, milliseconds(manifest_.restart.window_ms),
                            milliseconds(manifest_.restart.backoff_ms));
  crashes_in_a_row_ = 0;
  park_reason_.clear();
  start_waiters_.push_back(std::move(done));
  if (child_ || state_ == PluginState::spawning) {
    // Running (or starting): its exit launches the next one (after_exit).
    relaunch_pending_ = true;
    kill("restarted on request");
    return;
  }
  restart_timer_.cancel();
  reason_.clear();
  ++counters_.restarts;
  launch();
}

void PluginProcess::stop(milliseconds grace, std::function<void()> done, const std::string& why) {
  stop_waiters_.push_back(std::move(done));
  if (stopping_) return;
  stopping_ = true;
  stop_reason_ = why;
  CallError refused{StatusCode::unavailable, why, Delivery::not_sent};
  refused.hopeless = true;
  // Queued ones only: sent ones may still be answered within the grace (at
  // its end, its exit fails whatever is left). (fail_calls(false) would
  // take the sent ones too.)
  for (auto& [id, call] : table_.take_if([](const PendingCall& c) { return !c.sent; })) {
    CallError error = refused;
    call.done(nullptr, &error);
  }
  // Spawning: kill() records the reason and on_launched() kills it.
  if (!child_ && state_ != PluginState::spawning) return finish_stop();
  // Already closing for a reload: its timers end it within that grace.
  if (state_ == PluginState::draining) return;
  if (state_ != PluginState::ready) return kill("stopped before it was ready");
  close_within(grace);
}

void PluginProcess::close_within(milliseconds grace) {
  state_ = PluginState::draining;
  if (auto frame = channel_->builder().encode_close_request(0, static_cast<uint32_t>(grace.count()))) {
    (void)channel_->send(*frame);
  }
  auto weak = weak_from_this();
  const uint64_t gen = generation_;
  stop_timer_.expires_after(grace);
  stop_timer_.async_wait([weak, gen](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self || self->generation_ != gen || !self->child_) return;
    ::syscall(SYS_pidfd_send_signal, self->child_->pidfd(), SIGTERM, nullptr, 0);
    self->stop_timer_.expires_after(kTermToKill);
    self->stop_timer_.async_wait([weak, gen](const boost::system::error_code& ec2) {
      auto again = weak.lock();
      if (ec2 || !again || again->generation_ != gen) return;
      again->kill("did not exit within the grace period after CloseRequest; killed");
    });
  });
}

void PluginProcess::finish_stop() {
  state_ = PluginState::stopped;
  restart_timer_.cancel();
  CallError gone{StatusCode::unavailable, "plugin stopped", Delivery::not_sent};
  gone.hopeless = true;
  fail_calls(false, gone);
  notify_started(Error{Errc::unavailable, "stopped", manifest_.name});
  auto waiters = std::move(stop_waiters_);
  stop_waiters_.clear();
  for (auto& w : waiters) w();
}

}  // namespace stockade::supervisor
