// Outcome classification of one call attempt: whose fault a failure is (it
// feeds the circuit breaker only when it is the plugin's), whether a retry can
// help, and whether the request can have reached the plugin (a call that is
// not idempotent is retried only when it certainly did not).
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace stockade::supervisor {

// gRPC-like codes, the same set as the wire's ErrorCode (wire/stockade.fbs).
enum class StatusCode {
  unknown,
  cancelled,
  invalid_argument,
  deadline_exceeded,
  not_found,
  resource_exhausted,
  unavailable,
  internal,
  unimplemented,
};

// "UNAVAILABLE", "INVALID_ARGUMENT", ...
const char* status_code_name(StatusCode code);

// Did the request reach the plugin?
enum class Delivery {
  not_sent,  // never written to the plugin's socket (queued, refused, circuit open)
  unknown,   // written, then the plugin crashed, broke the protocol or the deadline passed
  answered,  // the plugin answered with this error
};

enum class Fault {
  plugin,  // crash, timeout, protocol violation, UNAVAILABLE, INTERNAL, UNKNOWN
  caller,  // INVALID_ARGUMENT, NOT_FOUND, UNIMPLEMENTED, CANCELLED: the plugin works
  none,    // neither: load shedding, stockade refusing before sending
};

struct CallError {
  CallError() = default;
  CallError(StatusCode c, std::string m, Delivery d) : code(c), message(std::move(m)), delivery(d) {}

  StatusCode code = StatusCode::unknown;
  std::string message;
  Delivery delivery = Delivery::not_sent;
  // The plugin's own Error.retryable (only meaningful when answered).
  bool plugin_says_retryable = false;
  // Set by stockade when another attempt cannot help now (circuit open,
  // plugin parked as failed, supervisor stopping, queue full).
  bool hopeless = false;
  // The plugin process's shell-style exit code when its end failed this call.
  std::optional<int> plugin_exit;
  // The plugin's end failed this call (it crashed, was killed, broke the
  // protocol): one event however many calls it failed, reported to the
  // circuit breaker once by the process (docs/host-authors.md, "Execute semantics"), not
  // once per call.
  bool plugin_ended = false;
  // How many attempts were made (filled in by the execute path).
  unsigned attempts = 1;

  // "UNAVAILABLE: plugin crashed: killed by signal 11 (SIGSEGV)"
  std::string describe() const;
};

Fault fault_of(const CallError& error);
// Could another attempt succeed (ignoring idempotency)?
bool is_retryable(const CallError& error);
// May this failure be retried for a call with this idempotency? A call that
// is not idempotent is retried only when the request was never sent.
bool may_retry(const CallError& error, bool idempotent);

}  // namespace stockade::supervisor
