// The daemon's server: one asio thread of its own (never the Supervisor's
// loop) owns the acceptor, every connection, the signals and the timers;
// blocking Supervisor calls (status, info, health, restart, reload) run on a
// small worker pool and post their answers back. Split over server.cpp
// (start, accept, signals, shutdown), server_dispatch.cpp (requests) and
// server_reload.cpp (reload).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include "daemon/connection.h"
#include "daemon/daemon.h"
#include "daemon/listener.h"
#include "daemon/log_format.h"
#include "daemon/metrics.h"
#include "daemon/metrics_http.h"
#include "daemon/rate_limited_log.h"
#include "daemon/sd_notify.h"
#include "stockade/config.h"
#include "stockade/supervisor.h"

namespace stockade::daemon {

class Server final : public ConnectionOwner {
 public:
  Server(ServeOptions options, Logger& log, SdNotifier notifier);
  ~Server() override;

  // Loads, listens, serves until SIGTERM/SIGINT, shuts down.
  Status run();

  void on_request(const std::shared_ptr<Connection>& connection, control::Message message) override;
  void on_closed(Connection* connection) override;
  void client_warning(const std::string& line) override;

 private:
  using Answer = std::function<void(Connection&)>;

  Status start();
  void accept_next();
  void admit(UnixSocket socket);
  void wait_for_signal();
  void arm_watchdog();
  void autostart(std::vector<std::string> names, std::function<void()> done);
  void notify(const std::string& state);

  // Runs `work` (returning the Answer) on the pool; the Answer on our thread.
  void run_blocking(const std::shared_ptr<Connection>& connection, std::uint64_t id,
                    std::function<Answer()> work);
  void dispatch_call(const std::shared_ptr<Connection>& connection, std::uint64_t id,
                     control::CallRequest call);
  // One page of Status (control::kStatusPageSize plugins, in name order,
  // after `after`) of the plugins `visible` may see. Runs on the pool.
  control::StatusReplyInfo status_page(const supervisor::ClientAccess& visible, const std::string& after,
                                       const control::ControlLimits& limits) const;

  using ReloadDone = std::function<void(control::ReloadReplyInfo)>;
  void start_reload(ReloadDone done);
  struct PreparedReload;
  PreparedReload prepare_reload();
  void apply_reload(PreparedReload prepared, ReloadDone done);

  void begin_shutdown(const std::string& why);
  void drain();
  void after_supervisor_stopped();

  ServeOptions options_;
  Logger& log_;
  SdNotifier notifier_;
  RateLimitedLog client_log_;

  boost::asio::io_context io_;
  boost::asio::thread_pool pool_;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer watchdog_timer_;
  boost::asio::steady_timer drain_timer_;
  std::optional<ControlListener> listener_;
  std::optional<boost::asio::local::stream_protocol::acceptor> acceptor_;

  supervisor::Config config_;
  std::unique_ptr<supervisor::Supervisor> supervisor_;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<MetricsHttp> metrics_http_;  // when metrics.listen is set
  control::ControlLimits limits_{};

  std::map<Connection*, std::shared_ptr<Connection>> connections_;
  std::size_t blocking_ = 0;  // requests on the pool
  bool reloading_ = false;
  // Reload requests that came while one ran (SIGHUP's has no one to answer).
  static constexpr std::size_t kMaxReloadWaiters = 64;
  std::vector<ReloadDone> reload_waiters_;
  bool stopping_ = false;
  bool supervisor_stopped_ = false;
  // How long calls in flight may finish after SIGTERM: the Supervisor's
  // shutdown_grace (which its stop() then gives each plugin as well).
  std::chrono::milliseconds grace_{supervisor::SupervisorOptions{}.shutdown_grace};
  std::chrono::steady_clock::time_point drain_deadline_{};
  std::thread stopper_;  // runs Supervisor::stop(), which blocks
};

}  // namespace stockade::daemon
