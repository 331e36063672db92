#include "supervisor/health_checker.h"


#include "supervisor/plugin_process.h"
#include "wire/messages.h"

namespace stockade::supervisor {

using std::chrono::milliseconds;

HealthChecker::HealthChecker(boost::asio::io_context& io, std::weak_ptr<PluginProcess> plugin,
                             const HealthSettings& settings)
    : timer_(io), plugin_(std::move(plugin)), settings_(settings) {}

void HealthChecker::start() { schedule(); }

void HealthChecker::stop() {
  stopped_ = true;
  timer_.cancel();
}

void HealthChecker::schedule() {
  if (stopped_) return;
  timer_.expires_after(milliseconds(settings_.interval_ms));
  timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self || self->stopped_) return;
    self->check();
    self->schedule();
  });
}

void HealthChecker::check() {
  auto plugin = plugin_.lock();
  // Only a ready plugin is checked: starting and restarting have their own
  // timeouts, and a failed one is parked.
  if (!plugin || in_flight_ || plugin->state() != PluginState::ready) return;
  in_flight_ = true;
  ++checks_;
  auto deadline = Clock::now() + milliseconds(settings_.timeout_ms);
  plugin->call(Request{RequestKind::health, {}, {}, 1}, deadline,
               [weak = weak_from_this()](const Answer* answer, const CallError* error) {
                 auto self = weak.lock();
                 if (!self) return;
                 self->in_flight_ = false;
                 if (answer == nullptr) return self->on_result(false, error->describe());
                 const auto* health = answer->envelope.body_as_HealthResponse();
                 bool serving = health->status() == wire::fb::ServingStatus::SERVING;
                 self->on_result(serving, serving ? "" : "NOT_SERVING: " + std::string(wire::view(health->message())));
               });
}

void HealthChecker::on_result(bool healthy, const std::string& what) {
  if (stopped_) return;
  if (healthy) {
    failures_in_row_ = 0;
    return;
  }
  ++failures_total_;
  auto plugin = plugin_.lock();
  if (!plugin) return;
  ++failures_in_row_;
  plugin->log().warn(plugin->manifest().name, "health check failed ({} of {} in a row): {}",
               failures_in_row_, settings_.failure_threshold, what);
  if (failures_in_row_ >= settings_.failure_threshold) {
    failures_in_row_ = 0;
    plugin->restart("unhealthy: " + std::to_string(settings_.failure_threshold) +
                    " health checks failed in a row; last: " + what);
  }
}

}  // namespace stockade::supervisor
