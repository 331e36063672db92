// Running sandbox_probe (and other binaries) in a real sandbox from a test:
// stdout and stderr captured through a pipe, a bounded wait.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "stockade/result.h"
#include "base/unique_fd.h"
#include "sandbox/sandbox.h"

namespace stockade::sandbox::test {

// <directory of this test binary>/sandbox_probe.
std::string probe_path();
// The real path of /usr/bin/python3 (verification refuses symlinks).
std::string python_path();
bool running_as_root();

// A policy for tests: argv given, empty environment, 5 s of CPU.
Policy policy_for(std::vector<std::string> argv);

struct SandboxRun {
  Result<ExitStatus> status = Error{};
  std::string output;  // stdout and stderr, interleaved
  AppliedLimits applied;
};

// Spawns `binary` (the probe by default) under `policy` with stdout and
// stderr on a pipe and stdin on /dev/null, reads all output, waits (killing
// after `timeout`). A spawn failure is returned in `status`.
SandboxRun run_sandboxed(const Policy& policy, const std::string& binary = probe_path(),
                  std::chrono::milliseconds timeout = std::chrono::seconds(20));

// A running sandbox whose output is read line by line.
struct Started {
  Child child;
  UniqueFd output;  // read end of the stdout/stderr pipe
  // The next line of output ("" on EOF or after `timeout`).
  std::string read_line(std::chrono::milliseconds timeout = std::chrono::seconds(10));
};
Result<Started> start_sandboxed(const Policy& policy, const std::string& binary = probe_path());

}  // namespace stockade::sandbox::test
