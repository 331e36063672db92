// Plain types of the plugin runtime's public API (supervisor/supervisor.h):
// results, options, states and counters. No Asio here.
#pragma once

#include <sys/types.h>

#include <cassert>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "supervisor/outcome.h"

namespace stockade::supervisor {

// A call's value, or the CallError saying what failed and whose fault it is.
template <typename T>
class [[nodiscard]] CallResult {
 public:
  CallResult(T value) : v_(std::in_place_index<0>, std::move(value)) {}         // NOLINT
  CallResult(CallError error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  T& operator*() & { return value(); }
  const CallError& error() const& { assert(!ok()); return std::get<1>(v_); }

 private:
  std::variant<T, CallError> v_;
};

using Bytes = std::vector<uint8_t>;

struct ExecuteOptions {
  // The caller's deadline for the whole call, retries and waiting for a
  // restarting plugin included. Default: the manifest's execute.timeout_ms.
  std::optional<std::chrono::milliseconds> timeout;
  // Override of the manifest's execute.idempotent for this call.
  std::optional<bool> idempotent;
};

struct PluginInfo {
  std::string name;
  std::string version;
  std::string description;
  std::vector<std::string> capabilities;
  std::vector<std::string> methods;
  std::vector<std::pair<std::string, std::string>> metadata;
};

struct HealthReport {
  bool serving = false;
  std::string message;
};

enum class PluginState {
  stopped,      // not running (never started, or stopped on purpose)
  spawning,     // verifying and starting the sandbox
  handshaking,  // waiting for Hello
  ready,        // serving calls
  draining,     // CloseRequest sent, waiting for it to exit
  backoff,      // exited unexpectedly; restarting after a delay
  failed,       // parked: crash loop or refused; reason() says why
};

const char* plugin_state_name(PluginState state);

struct PluginCounters {
  uint64_t launches = 0;
  uint64_t restarts = 0;
  uint64_t crashes = 0;            // unexpected exits
  uint64_t protocol_violations = 0;
  uint64_t late_answers = 0;       // answers to calls that had already expired
  uint64_t stray_answers = 0;      // answers to ids never sent (dropped; a flood is a violation)
  uint64_t calls_sent = 0;
  uint64_t cancels_sent = 0;       // sent calls whose deadline passed: Cancel sent
  pid_t pid = 0;                   // the sandbox's pid, 0 when not running
};

struct PluginStatus {
  std::string name;
  PluginState state = PluginState::stopped;
  std::string reason;        // why it is failed or restarting; empty when ready
  std::string breaker;       // "closed", "open", "half-open"
  uint64_t breaker_opened = 0;  // times the breaker opened
  std::string last_failure;  // the last crash or launch failure, kept once ready again
  // Crashes in a row that each failed a call, with no call answered between
  // them: beyond restart.max_restarts the plugin is parked (a plugin that
  // dies on every call is a crash loop however slowly the calls come).
  uint32_t crashes_in_a_row = 0;
  PluginCounters counters;
  uint64_t retries = 0;
  uint64_t retries_refused_by_budget = 0;
};

}  // namespace stockade::supervisor
