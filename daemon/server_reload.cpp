// Reload (SIGHUP or a Reload request): the config read anew on the pool; any
// problem refuses the whole reload and the running config serves on;
// otherwise Supervisor::reload applies the plugins' changes and, back on our
// thread, the access list and the socket's mode and group take effect.
#include <boost/asio/post.hpp>

#include "config/access_list.h"
#include "config/config.h"
#include "daemon/server.h"
#include "daemon/server_config.h"

namespace stockade::daemon {

namespace asio = boost::asio;

struct Server::PreparedReload {
  bool applied = false;
  std::vector<std::string> problems{};
  supervisor::Config config{};
  supervisor::ReloadReport report{};
};

namespace {

std::vector<std::string> messages(const supervisor::Problems& problems) {
  std::vector<std::string> out;
  for (const auto& p : problems) out.push_back(p.message());
  return out;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none" : out;
}

}  // namespace

void Server::start_reload(ReloadDone done) {
  if (stopping_) {
    done(control::ReloadReplyInfo{false, {"stockade serve is stopping"}, {}, {}, {}});
    return;
  }
  if (reloading_) {
    // One more reload runs when this one ends, for every request that came
    // meanwhile: each then answers for a reading of the files made after it
    // was asked (a SIGHUP and `stockade reload` together both take effect).
    if (reload_waiters_.size() >= kMaxReloadWaiters) {
      done(control::ReloadReplyInfo{false, {"too many reloads waiting; try again when the running one ends"},
                                    {}, {}, {}});
      return;
    }
    reload_waiters_.push_back(std::move(done));
    return;
  }
  reloading_ = true;
  ++blocking_;
  notify(SdNotifier::reloading_message() + "\nSTATUS=reloading " + options_.config_path);
  log_.info("reloading " + options_.config_path);
  asio::post(pool_, [this, done = std::move(done)]() mutable {
    PreparedReload prepared = prepare_reload();
    asio::post(io_, [this, prepared = std::move(prepared), done = std::move(done)]() mutable {
      --blocking_;
      apply_reload(std::move(prepared), std::move(done));
    });
  });
}

// On the pool: everything that reads files or waits for plugins.
Server::PreparedReload Server::prepare_reload() {
  PreparedReload out;
  supervisor::Problems problems;
  auto config = supervisor::load_config(options_.config_path, &problems);
  if (config) {
    for (auto& p : check_autostart(*config)) problems.push_back(std::move(p));
  }
  if (!config || !problems.empty()) {
    out.problems = messages(problems);
    if (out.problems.empty()) out.problems.push_back(config.error().message());
    return out;
  }
  // The Supervisor refuses options that differ where it cannot follow (it
  // names them); log and observer stay create()'s.
  auto report = supervisor_->reload(supervisor_options(*config, log_.sink()));
  if (!report) {
    out.problems.push_back(report.error().message());
    return out;
  }
  out.applied = true;
  out.config = std::move(*config);
  out.report = std::move(*report);
  return out;
}

// On our thread: the daemon's own state.
void Server::apply_reload(PreparedReload prepared, ReloadDone done) {
  control::ReloadReplyInfo reply;
  reply.applied = prepared.applied;
  if (!prepared.applied) {
    for (const auto& p : prepared.problems) log_.error("reload refused: " + p);
    log_.error("reload refused; the running config serves on");
    reply.problems = std::move(prepared.problems);
  } else {
    supervisor::Config& next = prepared.config;
    if (next.control.socket != config_.control.socket) {
      // The listening socket is not re-bound: clients connected to the old
      // path would lose it, and a unit's RuntimeDirectory may not hold the new one.
      reply.problems.push_back(next.source + ": control.socket: changed from " + config_.control.socket +
                               " to " + next.control.socket +
                               ", which takes a restart of stockade serve; the old socket serves on");
      next.control.socket = config_.control.socket;
    }
    if (next.metrics.listen != config_.metrics.listen) {
      reply.problems.push_back(next.source + ": metrics.listen: changed, which takes a restart of stockade serve; "
                               "the endpoint stays as it was");
      next.metrics.listen = config_.metrics.listen;
    }
    if (listener_) {
      if (auto perms = listener_->apply_permissions(next.control); !perms) {
        reply.problems.push_back(perms.error().message());
      }
    }
    config_ = std::move(next);
    // The new access list applies to the clients already connected too.
    for (const auto& [raw, connection] : connections_) {
      auto access = supervisor::match_client(config_.clients, connection->peer().credentials);
      if (!access.matched) {
        client_warning("control client " + connection->peer().describe() + " dropped: not in the reloaded access list");
        connection->refuse(control::fb::Code::PERMISSION_DENIED, "this user is no longer in the access list");
      } else {
        connection->set_access(std::move(access));
      }
    }
    for (const auto& p : supervisor_->discovery_problems()) reply.problems.push_back("plugin skipped: " + p.message());
    reply.restarted = prepared.report.restarted;
    reply.stopped = prepared.report.stopped;
    reply.added = prepared.report.added;
    log_.info("reloaded " + config_.source + ": restarted " + joined(reply.restarted) + "; stopped " +
              joined(reply.stopped) + "; added " + joined(reply.added) + "; changed, not running " +
              joined(prepared.report.updated));
    for (const auto& p : reply.problems) log_.warn("reload: " + p);
  }
  // Bounded as the decoder wants them (a huge plugins folder must not make the answer unsendable).
  for (auto* list : {&reply.problems, &reply.restarted, &reply.stopped, &reply.added}) {
    if (list->size() > limits_.max_list_items) list->resize(limits_.max_list_items);
    for (auto& item : *list) {
      if (item.size() > limits_.max_string) item.resize(limits_.max_string);
    }
  }
  const bool applied = reply.applied;
  done(reply);
  auto ready = [this] {
    reloading_ = false;
    notify("READY=1\nSTATUS=serving " + std::to_string(supervisor_->plugins().size()) + " plugins on " +
           config_.control.socket);
    if (!reload_waiters_.empty()) {
      auto waiters = std::move(reload_waiters_);
      reload_waiters_.clear();
      start_reload([waiters = std::move(waiters)](const control::ReloadReplyInfo& next) {
        for (const auto& waiter : waiters) waiter(next);
      });
    }
  };
  if (applied && !stopping_) {
    autostart(plugins_to_autostart(config_, supervisor_->plugins()), ready);
  } else {
    ready();
  }
}

}  // namespace stockade::daemon
