// Child::State: what a running sandbox owns. Internal to sandbox/.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "base/unique_fd.h"
#include "sandbox/cgroups.h"
#include "sandbox/report_page.h"
#include "sandbox/sandbox.h"

namespace stockade::sandbox {

struct Child::State {
  pid_t pid = -1;
  UniqueFd pidfd;
  UniqueFd listener;  // seccomp user notification; empty until exec
  ReportPage report;  // stockade-init's report of the plugin's wait status
  SandboxCgroup cgroup;
  AppliedLimits applied;
  LaunchTimings timings;
  uint64_t cpu_seconds_limit = 0;
  // The sandbox's CPU budget where its cgroup accounts it (the supervisor
  // checks; stockade-init does without a cgroup): 0 when not ours to check.
  uint64_t cpu_budget_us = 0;
  // How many CPUs the sandbox can run on at once: the budget cannot run out
  // sooner than remaining / cpus after a check.
  unsigned cpus = 1;
  std::chrono::steady_clock::time_point next_cpu_check{};
  std::optional<uint64_t> cpu_budget_used_us;  // set when the budget ended it

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
  // The time of the next CPU-budget check, or nullopt when none is ours.
  std::optional<std::chrono::steady_clock::time_point> cpu_check_due() const;
  // Reads the cgroup's account; kills the sandbox at the budget (true), else
  // schedules the next check.
  bool check_cpu_budget();
  // Signal `sig` to init, which forwards the stop/act signals to the plugin.
  Status signal(int sig);
};

}  // namespace stockade::sandbox
