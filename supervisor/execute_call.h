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

#include <boost/asio/io_context.hpp>

#include "supervisor/backoff.h"
#include "supervisor/circuit_breaker.h"
#include "supervisor/manifest.h"
#include "supervisor/retry_budget.h"
#include "supervisor/runtime_types.h"

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

// Runs on the loop; `done` runs exactly once, on the loop.
void execute_call(boost::asio::io_context& io, const std::shared_ptr<PluginProcess>& plugin,
                  const std::shared_ptr<CallPolicy>& policy, std::string method, Bytes payload,
                  std::chrono::steady_clock::time_point deadline, bool idempotent, ExecuteDone done);

}  // namespace stockade::supervisor
