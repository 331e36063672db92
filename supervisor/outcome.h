// Outcome classification of one call attempt: whose fault a failure is (it
// feeds the circuit breaker only when it is the plugin's), whether a retry can
// help, and whether the request can have reached the plugin (a call that is
// not idempotent is retried only when it certainly did not). The codes and
// CallError itself are public (<stockade/supervisor.h>).
#pragma once

#include "stockade/supervisor.h"

namespace stockade::supervisor {

enum class Fault {
  plugin,  // crash, timeout, protocol violation, UNAVAILABLE, INTERNAL, UNKNOWN
  caller,  // INVALID_ARGUMENT, NOT_FOUND, UNIMPLEMENTED, CANCELLED: the plugin works
  none,    // neither: load shedding, stockade refusing before sending
};

Fault fault_of(const CallError& error);
// Could another attempt succeed (ignoring idempotency)?
bool is_retryable(const CallError& error);
// May this failure be retried for a call with this idempotency? A call that
// is not idempotent is retried only when the request was never sent.
bool may_retry(const CallError& error, bool idempotent);

}  // namespace stockade::supervisor
