#include "supervisor/outcome.h"

namespace stockade::supervisor {

const char* status_code_name(StatusCode code) {
  switch (code) {
    case StatusCode::unknown: return "UNKNOWN";
    case StatusCode::cancelled: return "CANCELLED";
    case StatusCode::invalid_argument: return "INVALID_ARGUMENT";
    case StatusCode::deadline_exceeded: return "DEADLINE_EXCEEDED";
    case StatusCode::not_found: return "NOT_FOUND";
    case StatusCode::resource_exhausted: return "RESOURCE_EXHAUSTED";
    case StatusCode::unavailable: return "UNAVAILABLE";
    case StatusCode::internal: return "INTERNAL";
    case StatusCode::unimplemented: return "UNIMPLEMENTED";
  }
  return "UNKNOWN";
}

std::string CallError::describe() const {
  std::string text = status_code_name(code);
  if (!message.empty()) text += ": " + message;
  if (attempts > 1) text += " (after " + std::to_string(attempts) + " attempts)";
  return text;
}

Fault fault_of(const CallError& error) {
  switch (error.delivery) {
    case Delivery::not_sent:
      // Stockade refused or shed the call before the plugin saw it; a crash
      // that caused the refusal was already counted when it happened.
      return Fault::none;
    case Delivery::unknown:
      // Sent, then the plugin died, broke the protocol or missed the deadline.
      return Fault::plugin;
    case Delivery::answered:
      break;
  }
  switch (error.code) {
    case StatusCode::invalid_argument:
    case StatusCode::not_found:
    case StatusCode::unimplemented:
    case StatusCode::cancelled:
      return Fault::caller;
    case StatusCode::resource_exhausted:
      // Overload is the plugin's honest answer, not a malfunction: opening
      // the breaker on it would turn back-pressure into an outage.
      return Fault::none;
    case StatusCode::unavailable:
    case StatusCode::internal:
    case StatusCode::unknown:
    case StatusCode::deadline_exceeded:
      return Fault::plugin;
  }
  return Fault::plugin;
}

bool is_retryable(const CallError& error) {
  if (error.hopeless) return false;
  switch (error.code) {
    case StatusCode::unavailable:
      return true;
    case StatusCode::resource_exhausted:
    case StatusCode::internal:
    case StatusCode::unknown:
      // Only the plugin knows whether its own failure is transient.
      return error.delivery == Delivery::answered && error.plugin_says_retryable;
    default:
      // DEADLINE_EXCEEDED included: the attempt's deadline is the caller's,
      // so no time is left for another one.
      return false;
  }
}

bool may_retry(const CallError& error, bool idempotent) {
  if (!is_retryable(error)) return false;
  return idempotent || error.delivery == Delivery::not_sent;
}

}  // namespace stockade::supervisor
