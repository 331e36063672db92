// Runs one hostile probe through the real sandbox and collects everything a
// test asserts on: how it ended, what it printed, and whether it left any
// process or host descriptor behind.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "sandbox/policy.h"
#include "sandbox/sandbox.h"

namespace stockade::hostile {

// The probes' exit codes (tests/hostile/probes/probe.h).
inline constexpr int kBlocked = 0;
inline constexpr int kEscaped = 66;

// The small limits every probe runs under, so the bombs end fast.
struct HostileLimits {
  static constexpr uint64_t memory = 64 * sandbox::kMiB;
  static constexpr uint64_t cpu_seconds = 1;
  static constexpr uint32_t processes = 32;
  static constexpr uint32_t open_files = 64;
  static constexpr uint64_t file_size = 1 * sandbox::kMiB;
  static constexpr uint64_t tmp = 1 * sandbox::kMiB;
};

// The policy probes run under: the default profile with HostileLimits and an
// environment of exactly one variable.
sandbox::Policy hostile_policy();
inline const char* const kProbeEnvironment = "STOCKADE_PROBE=1";

// Where the probe binaries are: $STOCKADE_HOSTILE_PROBE_DIR if set (the
// unprivileged run copies them to a world-readable place), else the build tree.
std::string probe_path(const std::string& probe);

struct ProbeRequest {
  std::string probe;
  std::vector<std::string> args;
  sandbox::Policy policy = hostile_policy();
  // Mapped in addition to stdout and stderr (a pipe the runner reads). If no
  // mapping targets fd 0, stdin is /dev/null.
  std::vector<sandbox::FdMapping> fds;
  std::chrono::milliseconds timeout{20000};
};

struct ProbeRun {
  bool spawned = false;
  std::string spawn_error;            // spawn()'s message when !spawned
  sandbox::ExitStatus status;
  std::string output;                 // stdout and stderr, interleaved
  std::optional<std::string> pid_namespace;  // the sandbox's, read right after spawn
  std::vector<pid_t> leftover_processes;     // still in that namespace after the Child is gone
  std::vector<int> leaked_host_fds;          // open in the test after the run, not before

  // For failure messages: status, output and leftovers in one paragraph.
  std::string summary() const;
};

ProbeRun run_probe(const ProbeRequest& request);

}  // namespace stockade::hostile

namespace stockade::hostile {

// The supervisor crashing: a forked helper spawns `probe`, waits for a line
// of its output starting with `ready_prefix`, and dies without destroying
// the Child (no kill, no reap). Then the plugin gets two seconds to die.
struct SupervisorDeath {
  std::string error;       // setup failure, empty when the scenario ran
  std::string line;        // the probe's line, empty if it was killed before
  bool plugin_died = false;
  std::vector<pid_t> leftovers;  // processes left in the plugin's pid namespace
};
SupervisorDeath run_and_kill_supervisor(const std::string& probe, const std::vector<std::string>& args,
                                        const std::string& ready_prefix);

}  // namespace stockade::hostile
