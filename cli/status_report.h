// The status object of `stockade jail --status-fd/--status-file`: how the run
// ended, as one line of JSON, written once at the end on a channel the
// program cannot write (docs/drafts/jail-stdio-status.md lists every field).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "sandbox/policy.h"
#include "sandbox/sandbox.h"

namespace stockade::supervisor {

struct StatusReport {
  // exited, signaled, seccomp_violation, memory_limit, cpu_limit,
  // file_size_limit, time_limit, interrupted, killed (the sandbox ran);
  // refused, not_found, failed (it never ran: stockade's 126, 127, 125).
  std::string kind;
  int exit_code = 0;                 // stockade's own exit code
  std::optional<int> code;           // the program's exit code, when it exited
  int signal = 0;                    // the signal that ended it, 0 if none
  std::string syscall;               // seccomp_violation: the syscall's name
  std::string limit;                 // memory, cpu, file_size or time; "" if none
  int interrupted_by = 0;            // the signal stockade received, 0 if none
  std::string message;               // the human line, without "stockade: "
  bool output_cut = false;           // the program's output was not all delivered
  // Known once the policy was built / the sandbox ran.
  std::optional<sandbox::Policy> policy;
  std::optional<uint32_t> wall_seconds;
  std::optional<sandbox::AppliedLimits> applied;
  std::optional<sandbox::LaunchTimings> timings;
  std::optional<int64_t> wall_ms;    // spawn to the end
};

// One JSON object on one line, '\n'-terminated; pure ASCII: every control
// character and everything beyond ASCII escaped (\uXXXX), invalid UTF-8
// replaced by U+FFFD.
std::string status_json(const StatusReport& report);

}  // namespace stockade::supervisor
