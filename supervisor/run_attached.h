// Running one sandboxed program in the foreground, with the caller's stdio:
// the core of `stockade jail`. A time limit kills the sandbox; SIGINT, SIGTERM
// and SIGHUP to the caller kill the sandbox too, so none outlives us.
#pragma once

#include <chrono>
#include <optional>

#include "base/result.h"
#include "sandbox/policy.h"
#include "sandbox/sandbox.h"


namespace stockade::supervisor {

struct AttachedOutcome {
  sandbox::ExitStatus status;
  int interrupted_by = 0;  // the signal that made us kill the sandbox, 0 if none
  bool timed_out = false;  // the time limit passed and we killed the sandbox
};

// Spawns `binary` under `policy` with our fds 0, 1, 2 as its own (a closed one
// is replaced by /dev/null), verifying it with `verify` while the sandbox is
// set up (sandbox.h), and waits for it. Errors are the verifier's, or spawn or
// wait failures (the sandbox's own step and errno).
Result<AttachedOutcome> run_attached(OpenedBinary&& binary, const sandbox::BinaryVerifier& verify,
                                     const sandbox::Policy& policy,
                                     std::optional<std::chrono::seconds> time_limit);

}  // namespace stockade::supervisor
