// PluginProcess, the reload side: taking a new manifest (drained and
// relaunched when it runs) and the observer's plugin events.
#include "supervisor/exit_kind.h"
#include "supervisor/plugin_process.h"

namespace stockade::supervisor {

using std::chrono::milliseconds;

// The table's bound, as the constructor computes it (plugin_process.cpp).
static size_t table_capacity(const Manifest& manifest, size_t max_queued) {
  return manifest.execute.max_concurrency + max_queued + kControlSlots;
}

bool PluginProcess::replace_manifest(Manifest manifest, milliseconds grace,
                                     std::function<void(const Status&)> done) {
  if (stopping_) {
    done(Error{Errc::unavailable, "supervisor stopped", manifest_.name});
    return false;
  }
  if (!child_ && state_ != PluginState::spawning) {
    // Stopped, waiting out a backoff (its timer launches the new manifest)
    // or parked: a new manifest may be the fix, so a parked one may run again.
    adopt(std::move(manifest));
    if (state_ == PluginState::failed) {
      state_ = PluginState::stopped;
      reason_.clear();
    }
    done({});
    return false;
  }
  pending_manifest_ = std::move(manifest);
  reload_grace_ = grace;
  start_waiters_.push_back(std::move(done));
  if (state_ == PluginState::draining) return true;  // closing already: its exit launches the new one
  if (state_ != PluginState::ready) {
    // Spawning or handshaking: no call was sent yet, nothing to drain.
    kill("restarted by reload before it was ready");
    return true;
  }
  pump();  // closes it at once when no call is in flight
  return true;
}

void PluginProcess::close_for_reload() {
  log().info(manifest_.name, "reload: calls in flight are over; closing it for its new manifest");
  close_within(reload_grace_);
}

void PluginProcess::adopt(Manifest manifest) {
  manifest_ = std::move(manifest);
  restarts_ = RestartBudget(manifest_.restart.max_restarts, milliseconds(manifest_.restart.window_ms),
                            milliseconds(manifest_.restart.backoff_ms));
  crashes_in_a_row_ = 0;
  park_reason_.clear();
  table_.set_capacity(table_capacity(manifest_, settings_.max_queued_calls));
}

void PluginProcess::emit(const PluginEvent& event) const {
  const auto& observer = settings_.observer->plugin_event;
  if (!observer) return;
  // The loop serves every plugin: a throwing observer must not end it.
  try {
    observer(event);
  } catch (const std::exception& e) {
    log().error(manifest_.name, "the observer's plugin_event threw (ignored): {}", e.what());
  } catch (...) {
    log().error(manifest_.name, "the observer's plugin_event threw (ignored)");
  }
}

void PluginProcess::emit_ended(const sandbox::ExitStatus* status) {
  if (!settings_.observer->plugin_event) return;
  PluginEvent event{.plugin = manifest_.name, .type = PluginEvent::Type::ended,
                    .exit = ExitKind::crashed, .pid = child_ ? child_->pid() : 0};
  std::string detail = "vanished (cannot be reaped)";
  if (status != nullptr) {
    const bool asked = stopping_ || relaunch_pending_ || pending_manifest_.has_value() ||
                       state_ == PluginState::draining;
    event.exit = exit_kind_of(*status, {.killed_by_us = !kill_reason_.empty(),
                                        .asked_to_close = asked,
                                        .handshaking = state_ == PluginState::handshaking ||
                                                       state_ == PluginState::spawning});
    event.syscall = status->syscall;
    detail = status->describe();
  }
  event.detail = detail;
  emit(event);
}

}  // namespace stockade::supervisor
