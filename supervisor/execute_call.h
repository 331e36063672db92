// The Execute path on top of PluginProcess::call: circuit breaker check,
// attempt, outcome classification, and retries with full-jitter backoff
// inside the caller's deadline and the retry budget. A call that is not
// idempotent is retried only when it certainly never reached the plugin.
// Internal to the runtime (includes Asio).
#pragma once

#include <functional>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "supervisor/backoff.h"
#include "supervisor/call_payload.h"
#include "supervisor/circuit_breaker.h"
#include "config/manifest.h"
#include "supervisor/retry_budget.h"
#include "stockade/supervisor.h"

namespace stockade::supervisor {

class PluginProcess;

// One plugin's call policy state, from its manifest (retry, circuit_breaker).
struct CallPolicy {
  explicit CallPolicy(const Manifest& manifest);

  CircuitBreaker breaker;
  RetryBudget budget;
  BackoffSettings backoff;
  uint32_t max_attempts;
  bool idempotent;
  std::mt19937_64 random;
  uint64_t retries = 0;
};

using ExecuteDone = std::function<void(CallResult<Bytes>)>;

// The Execute calls of one Supervisor (loop thread only). A call waiting out a
// retry backoff has nothing but its timer on the loop; stopping the loop would
// drop it and its caller would never hear back. stop() instead wakes every
// waiting call, which then ends with "supervisor stopped", and waits until no
// call is left (on_idle).
struct CallRegistry {
  bool stopping = false;
  size_t live = 0;  // calls begun and not yet ended
  // Attempts made and calls ended so far: the loop spins after either
  // (loop_runner.h), an answer or the host's next call being near.
  uint64_t attempts_total = 0;
  uint64_t ended_total = 0;
  uint64_t next_waiter = 0;
  std::unordered_map<uint64_t, boost::asio::steady_timer*> waiting;  // retry backoffs
  std::function<void()> on_idle;  // while stopping: runs once `live` is 0

  // From now on no call retries, waiting calls end at once.
  void stop_all();
  void ended();
};

// The error of a call that cannot run because the supervisor is stopping.
CallError supervisor_stopped();

// Runs on the loop, in a handler of its own (never inside the caller's
// execute_async: a completion there would grow the stack of a callback that
// issues the next call); `done` runs exactly once, on the loop.
void execute_call(boost::asio::io_context& io, const std::shared_ptr<CallRegistry>& registry,
                  const std::shared_ptr<PluginProcess>& plugin, const std::shared_ptr<CallPolicy>& policy,
                  std::string method, CallPayload payload, std::chrono::steady_clock::time_point deadline,
                  bool idempotent, ExecuteDone done);

}  // namespace stockade::supervisor
