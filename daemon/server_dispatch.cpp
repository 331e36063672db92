// Requests to answers: who may ask what (the access list), and which
// Supervisor call answers it. Call goes straight to execute_async (its
// completion runs on the Supervisor's loop and posts the answer to our
// thread); the blocking calls run on the pool.
#include <algorithm>
#include <variant>

#include <boost/asio/post.hpp>

#include "daemon/bounds.h"
#include "daemon/server.h"

namespace stockade::daemon {

namespace asio = boost::asio;
namespace fb = control::fb;
using supervisor::CallError;

namespace {

// The same numbers by design (control.fbs), spelled out so that a new
// StatusCode cannot slip through as a wrong code.
fb::Code to_code(supervisor::StatusCode code) {
  using supervisor::StatusCode;
  switch (code) {
    case StatusCode::unknown: return fb::Code::UNKNOWN;
    case StatusCode::cancelled: return fb::Code::CANCELLED;
    case StatusCode::invalid_argument: return fb::Code::INVALID_ARGUMENT;
    case StatusCode::deadline_exceeded: return fb::Code::DEADLINE_EXCEEDED;
    case StatusCode::not_found: return fb::Code::NOT_FOUND;
    case StatusCode::resource_exhausted: return fb::Code::RESOURCE_EXHAUSTED;
    case StatusCode::unavailable: return fb::Code::UNAVAILABLE;
    case StatusCode::internal: return fb::Code::INTERNAL;
    case StatusCode::unimplemented: return fb::Code::UNIMPLEMENTED;
  }
  return fb::Code::UNKNOWN;
}

fb::Delivery to_delivery(supervisor::Delivery d) {
  switch (d) {
    case supervisor::Delivery::not_sent: return fb::Delivery::NOT_SENT;
    case supervisor::Delivery::unknown: return fb::Delivery::UNKNOWN;
    case supervisor::Delivery::answered: return fb::Delivery::ANSWERED;
  }
  return fb::Delivery::UNKNOWN;
}

// An Error the peer's decoder accepts: bounded text.
std::string bounded(std::string text, size_t limit) {
  if (text.size() > limit) text.resize(limit);
  return text;
}

control::ErrorInfo to_error(const CallError& e, const control::ControlLimits& limits) {
  control::ErrorInfo out;
  out.code = to_code(e.code);
  out.message = bounded(e.message, limits.max_string);
  out.delivery = to_delivery(e.delivery);
  out.plugin_exit = e.plugin_exit;
  out.retryable = e.plugin_says_retryable;
  out.hopeless = e.hopeless;
  out.attempts = e.attempts;
  return out;
}

// Errors of start()/restart() (a Status, not a CallError).
control::ErrorInfo to_error(const Error& e, const control::ControlLimits& limits) {
  control::ErrorInfo out;
  switch (e.code) {
    case Errc::not_found: out.code = fb::Code::NOT_FOUND; break;
    case Errc::invalid_input: out.code = fb::Code::INVALID_ARGUMENT; break;
    case Errc::timeout: out.code = fb::Code::DEADLINE_EXCEEDED; break;
    case Errc::limit: out.code = fb::Code::RESOURCE_EXHAUSTED; break;
    case Errc::refused:  // not whitelisted, beyond a ceiling: no retry helps
      out.code = fb::Code::UNAVAILABLE;
      out.hopeless = true;
      break;
    case Errc::unavailable: out.code = fb::Code::UNAVAILABLE; break;
    default: out.code = fb::Code::INTERNAL; break;
  }
  out.message = bounded(e.message(), limits.max_string);
  return out;
}

control::PluginStatusInfo to_status(const supervisor::PluginStatus& s, const control::ControlLimits& limits) {
  control::PluginStatusInfo p;
  p.name = s.name;
  p.state = static_cast<fb::PluginState>(static_cast<int>(s.state));  // same order (control.fbs)
  p.reason = bounded(s.reason, limits.max_string);
  p.breaker = s.breaker;
  p.breaker_opened = s.breaker_opened;
  p.last_failure = bounded(s.last_failure, limits.max_string);
  p.crashes_in_a_row = s.crashes_in_a_row;
  p.launches = s.counters.launches;
  p.restarts = s.counters.restarts;
  p.crashes = s.counters.crashes;
  p.protocol_violations = s.counters.protocol_violations;
  p.late_answers = s.counters.late_answers;
  p.stray_answers = s.counters.stray_answers;
  p.calls_sent = s.counters.calls_sent;
  p.cancels_sent = s.counters.cancels_sent;
  p.pid = s.counters.pid;
  p.retries = s.retries;
  p.retries_refused_by_budget = s.retries_refused_by_budget;
  return p;
}

std::vector<std::string> bounded_list(std::vector<std::string> items, const control::ControlLimits& limits) {
  if (items.size() > limits.max_list_items) items.resize(limits.max_list_items);
  for (auto& item : items) item = bounded(std::move(item), limits.max_string);
  return items;
}

control::InfoReplyInfo to_info(const supervisor::PluginInfo& i, const control::ControlLimits& limits) {
  control::InfoReplyInfo out;
  out.name = bounded(i.name, limits.max_name);
  out.version = bounded(i.version, limits.max_string);
  out.description = bounded(i.description, limits.max_string);
  out.capabilities = bounded_list(i.capabilities, limits);
  out.methods = bounded_list(i.methods, limits);
  for (auto& m : out.methods) m = bounded(std::move(m), limits.max_method);
  for (const auto& [k, v] : i.metadata) {
    if (out.metadata.size() == limits.max_list_items) break;
    out.metadata.emplace_back(bounded(k, limits.max_string), bounded(v, limits.max_string));
  }
  return out;
}

template <typename... F>
struct Overloaded : F... { using F::operator()...; };
template <typename... F>
Overloaded(F...) -> Overloaded<F...>;

}  // namespace

void Server::run_blocking(const std::shared_ptr<Connection>& connection, std::uint64_t id,
                          std::function<Answer()> work) {
  if (blocking_ >= kMaxBlockingRequests) {
    connection->reply_error(id, fb::Code::RESOURCE_EXHAUSTED,
                            std::to_string(kMaxBlockingRequests) +
                                " status, info, health, restart and reload requests are already running; try again");
    return;
  }
  ++blocking_;
  asio::post(pool_, [this, connection, work = std::move(work)] {
    Answer answer = work();
    asio::post(io_, [this, connection, answer = std::move(answer)] {
      --blocking_;
      answer(*connection);
    });
  });
}

control::StatusReplyInfo Server::status_page(const supervisor::ClientAccess& visible, const std::string& after,
                                             const control::ControlLimits& limits) const {
  std::vector<supervisor::PluginStatus> seen;
  for (auto& s : supervisor_->status()) {
    if (s.name > after && (visible.admin || visible.may_call(s.name))) seen.push_back(std::move(s));
  }
  std::sort(seen.begin(), seen.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  control::StatusReplyInfo reply;
  const std::size_t n = std::min<std::size_t>(seen.size(), control::kStatusPageSize);
  reply.plugins.reserve(n);
  for (std::size_t i = 0; i < n; ++i) reply.plugins.push_back(to_status(seen[i], limits));
  reply.more = seen.size() > n;
  return reply;
}

void Server::dispatch_call(const std::shared_ptr<Connection>& connection, std::uint64_t id,
                           control::CallRequest call) {
  supervisor::ExecuteOptions options;
  if (call.timeout_ms) options.timeout = std::chrono::milliseconds(*call.timeout_ms);
  options.idempotent = call.idempotent;
  // The completion runs on the Supervisor's loop thread: it only posts.
  supervisor_->execute_async(
      call.plugin, call.method, call.payload, options,
      [this, connection, id](supervisor::CallResult<supervisor::Bytes> result) {
        asio::post(io_, [this, connection, id, result = std::move(result)]() mutable {
          if (result) {
            control::CallReplyInfo reply{std::move(result.value())};
            connection->reply(id, reply);
          } else {
            connection->reply(id, to_error(result.error(), limits_));
          }
        });
      });
}

void Server::on_request(const std::shared_ptr<Connection>& connection, control::Message message) {
  const std::uint64_t id = message.id;
  if (stopping_) {
    connection->reply_error(id, fb::Code::UNAVAILABLE, "stockade serve is stopping");
    return;
  }
  const auto& access = connection->access();
  auto may_call = [&](const std::string& plugin) {
    if (access.may_call(plugin)) return true;
    connection->reply_error(id, fb::Code::PERMISSION_DENIED,
                            "the access list does not let this user (" + connection->peer().describe() +
                                ") use plugin \"" + bounded(plugin, limits_.max_name) + "\"");
    return false;
  };
  auto admin = [&](const char* what) {
    if (access.admin) return true;
    connection->reply_error(id, fb::Code::PERMISSION_DENIED,
                            std::string(what) + " needs an access-list entry with \"admin\": true (this user: " +
                                connection->peer().describe() + ")");
    return false;
  };
  const control::ControlLimits limits = limits_;
  std::visit(
      Overloaded{
          [&](control::CallRequest& call) {
            if (may_call(call.plugin)) dispatch_call(connection, id, std::move(call));
          },
          [&](control::StatusRequest& status) {
            auto visible = access;
            run_blocking(connection, id, [this, id, visible, limits, after = std::move(status.after)]() -> Answer {
              return [id, reply = status_page(visible, after, limits)](Connection& c) { c.reply(id, reply); };
            });
          },
          [&](control::InfoRequest& info) {
            if (!may_call(info.plugin)) return;
            run_blocking(connection, id, [this, id, name = info.plugin, limits]() -> Answer {
              auto result = supervisor_->info(name);
              if (!result) return [id, e = to_error(result.error(), limits)](Connection& c) { c.reply(id, e); };
              return [id, reply = to_info(result.value(), limits)](Connection& c) { c.reply(id, reply); };
            });
          },
          [&](control::HealthRequest& health) {
            if (!may_call(health.plugin)) return;
            run_blocking(connection, id, [this, id, name = health.plugin, limits]() -> Answer {
              auto result = supervisor_->health(name);
              if (!result) return [id, e = to_error(result.error(), limits)](Connection& c) { c.reply(id, e); };
              control::HealthReplyInfo reply{result->serving, bounded(result->message, limits.max_string)};
              return [id, reply](Connection& c) { c.reply(id, reply); };
            });
          },
          [&](control::RestartRequest& restart) {
            if (!admin("Restart")) return;
            run_blocking(connection, id, [this, id, name = restart.plugin, limits]() -> Answer {
              auto restarted = supervisor_->restart(name);
              if (!restarted) return [id, e = to_error(restarted.error(), limits)](Connection& c) { c.reply(id, e); };
              return [id](Connection& c) { c.reply(id, control::RestartReplyInfo{}); };
            });
          },
          [&](control::ReloadRequest&) {
            if (!admin("Reload")) return;
            start_reload([connection, id](const control::ReloadReplyInfo& reply) { connection->reply(id, reply); });
          },
          [&](control::MetricsRequest&) {
            if (!admin("Metrics")) return;
            run_blocking(connection, id, [this, id]() -> Answer {
              control::MetricsReplyInfo reply{metrics_->render(supervisor_->status())};
              return [id, reply = std::move(reply)](Connection& c) { c.reply(id, reply); };
            });
          },
          [&](auto&) {
            // A reply or an Error sent to the daemon: valid frames, wrong direction.
            connection->reply_error(id, fb::Code::INVALID_ARGUMENT,
                                    std::string("a client sends requests, not ") +
                                        "answers (Call, Status, Info, Health, Reload, Restart, Metrics)");
          },
      },
      message.body);
}

}  // namespace stockade::daemon
