// Child::State: what a running sandbox owns. Internal to sandbox/.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "base/unique_fd.h"
#include "sandbox/cgroups.h"
#include "sandbox/sandbox.h"

namespace stockade::sandbox {

struct Child::State {
  pid_t pid = -1;
  UniqueFd pidfd;
  UniqueFd listener;  // seccomp user notification; empty until exec
  UniqueFd report;    // stockade-init's report of the plugin's wait status
  SandboxCgroup cgroup;
  AppliedLimits applied;
  LaunchTimings timings;
  uint64_t cpu_seconds_limit = 0;

  std::optional<ExitStatus> status;  // set once reaped
  std::optional<std::string> violation;
  bool killed_by_supervisor = false;

  State() = default;
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  // Kills and reaps if still running; then the cgroup goes.
  ~State();

  // SIGKILL to the pid namespace's init, stockade-init (the kernel then kills
  // the rest), and to the whole cgroup where cgroup.kill exists.
  void kill_all();
  // waitid on init's pidfd, then init's report of the plugin's own status;
  // `block` false: nullopt while running.
  std::optional<ExitStatus> reap(bool block);
  bool handle_violation();
  // Signal `sig` to init, which forwards the stop/act signals to the plugin.
  Status signal(int sig);
};

}  // namespace stockade::sandbox
