// Health policy, kept apart from process handling: every interval_ms a
// HealthRequest with a timeout_ms deadline; failure_threshold failures in a
// row (no answer, an error, NOT_SERVING) restart the plugin through
// PluginProcess::restart. Internal to the runtime (includes Asio).
#pragma once

#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "config/manifest.h"

namespace stockade::supervisor {

class PluginProcess;

class HealthChecker : public std::enable_shared_from_this<HealthChecker> {
 public:
  HealthChecker(boost::asio::io_context& io, std::weak_ptr<PluginProcess> plugin,
                const HealthSettings& settings);
  void start();
  void stop();

  uint64_t checks() const { return checks_; }
  uint64_t failures() const { return failures_total_; }

 private:
  void schedule();
  void check();
  void on_result(bool healthy, const std::string& what);

  boost::asio::steady_timer timer_;
  std::weak_ptr<PluginProcess> plugin_;
  HealthSettings settings_;
  uint32_t failures_in_row_ = 0;
  bool in_flight_ = false;
  bool stopped_ = false;
  uint64_t checks_ = 0;
  uint64_t failures_total_ = 0;
};

}  // namespace stockade::supervisor
