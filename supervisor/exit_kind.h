// How a plugin process ended, for the observer (PluginEvent::exit): the
// sandbox's classification (sandbox::ExitStatus) read together with what the
// supervisor itself was doing to the process at the time. Pure.
#pragma once

#include "sandbox/sandbox.h"
#include "stockade/supervisor.h"

namespace stockade::supervisor {

struct EndContext {
  bool killed_by_us = false;    // the supervisor SIGKILLed it (deadline, violation, restart, ...)
  bool asked_to_close = false;  // CloseRequest/SIGTERM sent: stop(), reload, restart()
  bool handshaking = false;     // it had not completed the handshake
};

ExitKind exit_kind_of(const sandbox::ExitStatus& status, const EndContext& context);

}  // namespace stockade::supervisor
