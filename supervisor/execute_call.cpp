#include "supervisor/execute_call.h"

#include <optional>
#include <utility>

#include <boost/asio/steady_timer.hpp>

#include "supervisor/plugin_process.h"
#include "wire/messages.h"

namespace stockade::supervisor {

namespace asio = boost::asio;
using std::chrono::milliseconds;

CallPolicy::CallPolicy(const Manifest& m)
    : breaker(CircuitBreaker::Settings{m.circuit_breaker.failure_threshold,
                                       milliseconds(m.circuit_breaker.open_ms),
                                       m.circuit_breaker.half_open_probes}),
      budget(m.retry.budget_percent),
      backoff{milliseconds(m.retry.initial_backoff_ms), milliseconds(m.retry.max_backoff_ms),
              m.retry.multiplier},
      max_attempts(m.retry.max_attempts),
      idempotent(m.execute.idempotent),
      random(std::random_device{}()) {}

CallError supervisor_stopped() {
  CallError error{StatusCode::unavailable, "supervisor stopped", Delivery::not_sent};
  error.hopeless = true;
  return error;
}

void CallRegistry::stop_all() {
  stopping = true;
  // cancel() never runs a handler in line: each waiting call's handler runs
  // later on the loop, sees `stopping` and ends.
  for (auto& [id, timer] : waiting) timer->cancel();
  if (live == 0 && on_idle) std::exchange(on_idle, nullptr)();
}

void CallRegistry::ended() {
  --live;
  ++ended_total;
  if (stopping && live == 0 && on_idle) std::exchange(on_idle, nullptr)();
}

namespace {

class ExecuteCall : public std::enable_shared_from_this<ExecuteCall> {
 public:
  ExecuteCall(asio::io_context& io, std::shared_ptr<CallRegistry> registry,
              std::shared_ptr<PluginProcess> plugin, std::shared_ptr<CallPolicy> policy,
              std::string method, CallPayload payload, Clock::time_point deadline, bool idempotent,
              ExecuteDone done)
      : io_(io), registry_(std::move(registry)), plugin_(std::move(plugin)), policy_(std::move(policy)),
        method_(std::move(method)), payload_(std::move(payload)), deadline_(deadline),
        idempotent_(idempotent), done_(std::move(done)) {
    ++registry_->live;
  }

  void attempt() {
    ++attempt_;
    ++registry_->attempts_total;
    if (registry_->stopping) return finish(supervisor_stopped());
    auto now = Clock::now();
    if (now >= deadline_) {
      return finish(CallError{StatusCode::deadline_exceeded, "deadline passed", Delivery::not_sent});
    }
    auto admission = policy_->breaker.admit(now);
    if (!admission.admitted) {
      CallError open{StatusCode::unavailable, "circuit open", Delivery::not_sent};
      open.hopeless = true;
      return finish(std::move(open));
    }
    probe_ = admission.probe;
    if (attempt_ == 1) policy_->budget.on_call();
    Request request{RequestKind::execute, method_, payload_.bytes(), attempt_};
    // The completion keeps this object (and so method_ and payload_, which
    // the request views) alive until the plugin's answer is in.
    plugin_->call(request, deadline_,
                  [self = shared_from_this()](const Answer* answer, const CallError* error) {
                    self->on_result(answer, error);
                  });
  }

 private:
  void on_result(const Answer* answer, const CallError* error) {
    auto& breaker = policy_->breaker;
    if (answer != nullptr) {
      breaker.on_success(probe_);
      return finish(Bytes(answer->payload.begin(), answer->payload.end()));
    }
    switch (fault_of(*error)) {
      case Fault::plugin:
        // A crash reaches the breaker once, from the process (supervisor.cpp).
        if (error->plugin_ended) {
          breaker.on_neutral(probe_);
        } else {
          breaker.on_failure(probe_, Clock::now());
        }
        break;
      case Fault::caller: breaker.on_success(probe_); break;
      case Fault::none: breaker.on_neutral(probe_); break;
    }
    if (!registry_->stopping && attempt_ < policy_->max_attempts && may_retry(*error, idempotent_)) {
      auto left = std::chrono::duration_cast<milliseconds>(deadline_ - Clock::now());
      auto delay = retry_delay(policy_->backoff, attempt_, left, policy_->random);
      if (delay && policy_->budget.try_spend()) {
        ++policy_->retries;
        plugin_->log().debug(plugin_->manifest().name, "retrying {} in {} ms after {}", method_,
                      delay->count(), error->describe());
        timer_.emplace(io_, *delay);
        const uint64_t waiter = ++registry_->next_waiter;
        registry_->waiting.emplace(waiter, &*timer_);
        timer_->async_wait([self = shared_from_this(), waiter, last = *error](const boost::system::error_code&) {
          self->registry_->waiting.erase(waiter);
          if (!self->registry_->stopping) return self->attempt();
          // Cancelled by stop(): the caller hears of it now, with what the
          // last attempt did (it may have reached the plugin).
          CallError stopped = supervisor_stopped();
          stopped.message = "supervisor stopped while the call waited to retry; last attempt: " + last.describe();
          stopped.delivery = last.delivery;
          stopped.plugin_exit = last.plugin_exit;
          self->finish(std::move(stopped));
        });
        return;
      }
    }
    finish(*error);
  }

  void finish(CallResult<Bytes> result) {
    if (!result.ok()) {
      CallError e = result.error();
      e.attempts = attempt_;
      result = CallResult<Bytes>(std::move(e));
    }
    auto done = std::move(done_);
    done(std::move(result));
    registry_->ended();
  }

  asio::io_context& io_;
  std::shared_ptr<CallRegistry> registry_;
  std::shared_ptr<PluginProcess> plugin_;
  std::shared_ptr<CallPolicy> policy_;
  std::string method_;
  CallPayload payload_;
  Clock::time_point deadline_;
  bool idempotent_;
  ExecuteDone done_;
  uint32_t attempt_ = 0;
  bool probe_ = false;
  std::optional<asio::steady_timer> timer_;
};

}  // namespace

void execute_call(asio::io_context& io, const std::shared_ptr<CallRegistry>& registry,
                  const std::shared_ptr<PluginProcess>& plugin, const std::shared_ptr<CallPolicy>& policy,
                  std::string method, CallPayload payload, Clock::time_point deadline, bool idempotent,
                  ExecuteDone done) {
  std::make_shared<ExecuteCall>(io, registry, plugin, policy, std::move(method), std::move(payload),
                                deadline, idempotent, std::move(done))
      ->attempt();
}

}  // namespace stockade::supervisor
