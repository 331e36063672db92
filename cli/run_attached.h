// Running one sandboxed program in the foreground, its stdio relayed to the
// caller's through pipes (stdio_relay.h): the core of `stockade jail`. A time
// limit kills the sandbox; SIGINT, SIGTERM and SIGHUP to the caller kill the
// sandbox too, so none outlives us.
#pragma once

#include <chrono>
#include <optional>

#include "stockade/result.h"
#include "sandbox/policy.h"
#include "sandbox/sandbox.h"


namespace stockade::supervisor {

struct AttachedOutcome {
  sandbox::ExitStatus status;
  int interrupted_by = 0;  // the signal that made us kill the sandbox, 0 if none
  bool timed_out = false;  // the time limit passed and we killed the sandbox
  sandbox::AppliedLimits applied;
  sandbox::LaunchTimings timings;
  std::chrono::milliseconds wall{0};  // from the spawn to the sandbox's end
  bool output_cut = false;            // some output did not reach a stalled host reader in time
  bool stderr_is_terminal = false;
  bool stderr_at_line_start = true;   // the program's output on fd 2 ended with a newline
};

// How long the program's last output may take to reach the host once the
// sandbox has ended (a reader that stalls longer loses the rest).
inline constexpr std::chrono::milliseconds kOutputDrain{3000};

// Spawns `binary` under `policy` with pipes as its fds 0, 1, 2, copied to and
// from ours, verifying it with `verify` while the sandbox is set up
// (sandbox.h), and waits for it; then lets its output drain (kOutputDrain). Errors are the verifier's, or spawn or
// wait failures (the sandbox's own step and errno).
Result<AttachedOutcome> run_attached(OpenedBinary&& binary, const sandbox::BinaryVerifier& verify,
                                     const sandbox::Policy& policy,
                                     std::optional<std::chrono::seconds> time_limit);

}  // namespace stockade::supervisor
