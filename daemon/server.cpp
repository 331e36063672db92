#include "daemon/server.h"

#include <signal.h>

#include <boost/asio/post.hpp>

#include "config/access_list.h"
#include "config/config.h"
#include "daemon/bounds.h"
#include "daemon/server_config.h"

namespace stockade::daemon {

namespace asio = boost::asio;

Server::Server(ServeOptions options, Logger& log, SdNotifier notifier)
    : options_(std::move(options)),
      log_(log),
      notifier_(std::move(notifier)),
      client_log_(log, kDropLogsPerSecond),
      pool_(kWorkerThreads),
      signals_(io_, SIGTERM, SIGINT, SIGHUP),
      watchdog_timer_(io_),
      drain_timer_(io_) {}

Server::~Server() {
  pool_.join();
  if (stopper_.joinable()) stopper_.join();
}

void Server::notify(const std::string& state) {
  if (auto sent = notifier_.notify(state); !sent) log_.warn(sent.error().message());
}

Status Server::start() {
  supervisor::Problems problems;
  auto config = supervisor::load_config(options_.config_path, &problems);
  if (config) {
    for (auto& p : check_autostart(*config)) problems.push_back(std::move(p));
  }
  if (!config || !problems.empty()) {
    for (const auto& p : problems) log_.error(p.message());
    return problems.empty() ? config.error() : problems.front();
  }
  config_ = std::move(*config);

  auto sup_options = supervisor_options(config_, log_.sink());
  metrics_ = std::make_unique<Metrics>();
  sup_options.observer = metrics_->observer();
  auto sup = supervisor::Supervisor::create(sup_options);
  if (!sup) {
    log_.error(sup.error().message());
    return sup.error();
  }
  supervisor_ = std::move(*sup);
  for (const auto& p : supervisor_->discovery_problems()) log_.warn("plugin skipped: " + p.message());

  auto listener = ControlListener::open(config_.control);
  if (!listener) {
    log_.error(listener.error().message());
    return listener.error();
  }
  listener_ = std::move(*listener);
  acceptor_.emplace(io_, asio::local::stream_protocol(), listener_->release_fd());
  log_.info(std::string("listening on ") + (listener_->activated() ? "the socket systemd passed (" : "") +
            config_.control.socket + (listener_->activated() ? ")" : "") + "; " +
            std::to_string(supervisor_->plugins().size()) + " plugins, " +
            std::to_string(config_.clients.size()) + " access-list entries");
  if (!config_.metrics.listen.empty()) {
    // render() runs on the endpoint's thread; status() may be called from any thread but the loop's.
    auto http = MetricsHttp::start(config_.metrics.listen,
                                   [this] { return metrics_->render(supervisor_->status()); });
    if (!http) {
      log_.error(http.error().message());
      return http.error();
    }
    metrics_http_ = std::move(*http);
    log_.info("metrics on " + metrics_http_->endpoint());
  }
  accept_next();
  wait_for_signal();
  arm_watchdog();

  autostart(plugins_to_autostart(config_, supervisor_->plugins()), [this] {
    notify("READY=1\nSTATUS=serving " + std::to_string(supervisor_->plugins().size()) + " plugins on " +
           config_.control.socket);
  });
  return {};
}

Status Server::run() {
  if (auto started = start(); !started) return started;
  io_.run();
  pool_.join();
  if (stopper_.joinable()) stopper_.join();
  connections_.clear();
  metrics_http_.reset();  // its render() reads the Supervisor
  supervisor_.reset();
  log_.info("stopped");
  return {};
}

// ---- Accepting

void Server::accept_next() {
  if (stopping_ || !acceptor_) return;
  acceptor_->async_accept([this](boost::system::error_code ec, UnixSocket socket) {
    if (stopping_) return;
    if (ec) {
      // EMFILE and friends: log, and try again shortly rather than spin.
      client_warning("accept on the control socket failed: " + ec.message());
      auto retry = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(100));
      retry->async_wait([this, retry](boost::system::error_code) { accept_next(); });
      return;
    }
    admit(std::move(socket));
    accept_next();
  });
}

void Server::admit(UnixSocket socket) {
  if (connections_.size() >= kMaxConnections) {
    client_warning("control connection closed at once: " + std::to_string(kMaxConnections) +
                   " connections are open (the daemon's bound)");
    boost::system::error_code ignored;
    socket.close(ignored);
    return;
  }
  auto peer = read_peer(socket.native_handle());
  if (!peer) {
    client_warning("control connection closed: " + peer.error().message());
    return;
  }
  auto access = supervisor::match_client(config_.clients, peer->credentials);
  auto connection = std::make_shared<Connection>(std::move(socket), *peer, access, *this, limits_);
  connections_.emplace(connection.get(), connection);
  if (!access.matched) {
    client_warning("control client refused: " + peer->describe() + " is in no entry of \"clients\" (" +
                   config_.source + ")");
    connection->refuse(control::fb::Code::PERMISSION_DENIED,
                       "this user (" + peer->describe() + ") is not in the daemon's access list (\"clients\")");
    return;
  }
  if (stopping_) {
    connection->refuse(control::fb::Code::UNAVAILABLE, "stockade serve is stopping");
    return;
  }
  connection->start();
}

void Server::on_closed(Connection* connection) {
  // Later: a handler may still hold it; the map only lets go of our reference.
  asio::post(io_, [this, connection] {
    connections_.erase(connection);
    if (stopping_ && connections_.empty() && supervisor_stopped_) io_.stop();
  });
}

void Server::client_warning(const std::string& line) { client_log_.warn(line); }

// ---- Signals, watchdog, autostart

void Server::wait_for_signal() {
  // asio's handler only records the signal; all work happens here, on our thread.
  signals_.async_wait([this](boost::system::error_code ec, int signal) {
    if (ec) return;
    if (signal == SIGHUP) {
      start_reload([](const control::ReloadReplyInfo&) {});
    } else {
      begin_shutdown(signal == SIGTERM ? "SIGTERM" : "SIGINT");
    }
    wait_for_signal();
  });
}

void Server::arm_watchdog() {
  const auto interval = notifier_.watchdog_interval();
  if (!interval) return;
  watchdog_timer_.expires_after(*interval);
  watchdog_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    // Sent from the thread that serves clients: a stuck loop stops the pings.
    notify("WATCHDOG=1");
    arm_watchdog();
  });
}

void Server::autostart(std::vector<std::string> names, std::function<void()> done) {
  if (names.empty()) {
    done();
    return;
  }
  auto left = std::make_shared<size_t>(names.size());
  for (auto& name : names) {
    ++blocking_;
    asio::post(pool_, [this, name, left, done] {
      auto started = supervisor_->start(name);
      asio::post(io_, [this, name, left, done, started = std::move(started)] {
        --blocking_;
        if (started) {
          log_.info("autostart: " + name + " is ready");
        } else {
          log_.error("autostart: " + name + " did not start: " + started.error().message());
        }
        if (--*left == 0) done();
      });
    });
  }
}

// ---- Shutdown

void Server::begin_shutdown(const std::string& why) {
  if (stopping_) return;
  stopping_ = true;
  log_.info(why + ": stopping (calls in flight get " + std::to_string(grace_.count()) + " ms)");
  notify("STOPPING=1\nSTATUS=stopping");
  boost::system::error_code ignored;
  if (acceptor_) acceptor_->close(ignored);
  watchdog_timer_.cancel();
  drain_deadline_ = std::chrono::steady_clock::now() + grace_;
  drain();
}

void Server::drain() {
  size_t in_flight = blocking_;
  for (const auto& [raw, connection] : connections_) in_flight += connection->requests_in_flight();
  if (in_flight > 0 && std::chrono::steady_clock::now() < drain_deadline_) {
    drain_timer_.expires_after(std::chrono::milliseconds(20));
    drain_timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec) drain();
    });
    return;
  }
  if (in_flight > 0) log_.warn(std::to_string(in_flight) + " requests still in flight after the grace: cancelled");
  // stop() blocks until every plugin is gone and every call has ended (its
  // answer posted to us): on a thread of its own, so the pool may be busy.
  stopper_ = std::thread([this] {
    supervisor_->stop();
    asio::post(io_, [this] { after_supervisor_stopped(); });
  });
}

void Server::after_supervisor_stopped() {
  supervisor_stopped_ = true;
  for (const auto& [raw, connection] : connections_) connection->close_when_flushed();
  if (connections_.empty()) {
    io_.stop();
    return;
  }
  drain_timer_.expires_after(kFinalFlush);
  drain_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    // Clients that do not read their answers do not hold up the exit.
    std::vector<std::shared_ptr<Connection>> left;
    for (const auto& [raw, connection] : connections_) left.push_back(connection);
    for (const auto& connection : left) connection->close();
    io_.stop();
  });
}

// ---- Entry

Status serve(const ServeOptions& options) {
  Logger log(options.log_format);
  auto notifier = SdNotifier::from_environment();
  if (!notifier) {
    log.error(notifier.error().message());
    return notifier.error();
  }
  Server server(options, log, std::move(*notifier));
  return server.run();
}

}  // namespace stockade::daemon
