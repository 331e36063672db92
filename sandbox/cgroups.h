// Per-sandbox cgroups: detected at run time, v2 first, v1 fallback.
//
// Each sandbox gets its own cgroup, `stockade/sbx-t<time>-<random>` under
// the supervisor's own cgroup in every hierarchy used (no supervisor pid in
// the name: the plugin reads it in /proc/self/cgroup), made in two phases:
//  - create_v2(), before the clone, wherever the v2 hierarchy is writable:
//    the child is born inside the group (CLONE_INTO_CGROUP), which accounts
//    the CPU time of all its processes (cpu.stat) and can kill them at once
//    (cgroup.kill) even with no controller (the hybrid layout of the CI
//    machines); with delegated controllers also memory.max, pids.max and
//    cpu.max. The v2 cgroup is prepared once, before the first group
//    (cgroup_delegation.h: the controllers enabled, the supervisor moved
//    into a leaf where the kernel's no-internal-processes rule needs it).
//  - add_v1(), while the child builds its root: the v1 memory, pids and cpu
//    controllers for what v2 did not limit, and v1 cpuacct for the CPU
//    account when there is no v2 group. The child joins them itself before
//    its rlimits and exec (placement_fds()).
// With no writable cgroup (an unprivileged supervisor) nothing is created and
// the rlimits are the only limits; summary() says so.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "stockade/result.h"
#include "base/unique_fd.h"
#include "sandbox/policy.h"

namespace stockade::sandbox {

class SandboxCgroup {
 public:
  // The v2 group and its limits, when v2 has one of our controllers. Never
  // fails for lack of a usable cgroup (the *_limited() accessors say what is
  // limited); fails only when a group was made but a limit could not be set.
  // `cpu_quota`: whether cpu_cores needs a CPU quota (spawn.cpp says when).
  static Result<SandboxCgroup> create_v2(const ResourceLimits& limits, bool cpu_quota);
  // v1 groups for the limits the v2 group does not set, where the v1
  // controllers are mounted and writable; errors as create_v2's.
  Status add_v1(const ResourceLimits& limits, bool cpu_quota);

  SandboxCgroup() = default;
  SandboxCgroup(SandboxCgroup&& other) noexcept { *this = std::move(other); }
  SandboxCgroup& operator=(SandboxCgroup&&) noexcept;
  SandboxCgroup(const SandboxCgroup&) = delete;
  SandboxCgroup& operator=(const SandboxCgroup&) = delete;
  // Removes the cgroup directories (the processes must be gone).
  ~SandboxCgroup();

  // The v2 directory for CLONE_INTO_CGROUP, or -1.
  int clone_into_fd() const { return v2_dir_fd_.get(); }
  // The v1 groups' `tasks` files, opened for writing. The child writes "0"
  // to each, which moves the writing thread alone: the kernel then skips the
  // global threadgroup lock, whose RCU grace period made a pid written to
  // cgroup.procs cost 5-16 ms here, against 0.03 ms. We open them so the
  // kernel's permission check sees our credentials (the file's opener), not
  // the child's.
  const std::vector<UniqueFd>& placement_fds() const { return placement_fds_; }
  // Once sent to the child (it received copies of its own): not needed again.
  void close_placement_fds() { placement_fds_.clear(); }
  // Once the child was cloned into it: the v2 directory is reached by path
  // from then on (cgroup.kill, cpu.stat), so a running sandbox does not keep
  // a descriptor for it (issue 13: descriptors per plugin).
  void close_clone_fd() { v2_dir_fd_.reset(); }
  // SIGKILL to every process in the cgroup (v2 cgroup.kill), when available.
  void kill_all() const;
  // How many processes the memory controller's OOM killer has killed here.
  uint64_t oom_kills() const;
  // Removes the directories now (idempotent; the destructor calls it).
  void remove();

  // The CPU time used by every process the group ever held, in microseconds
  // (v2 cpu.stat usage_usec, v1 cpuacct.usage), or nullopt when no group
  // accounts it (or its file could not be read).
  std::optional<uint64_t> cpu_usage_us() const;
  bool cpu_accounted() const { return !cpu_usage_file_.empty(); }
  // "cgroup v2 cpu.stat" / "cgroup v1 cpuacct", for AppliedLimits.
  const std::string& cpu_usage_how() const { return cpu_usage_how_; }

  bool memory_limited() const { return !memory_how_.empty(); }
  bool pids_limited() const { return !pids_how_.empty(); }
  bool cpu_limited() const { return !cpu_how_.empty(); }
  // What was applied, for AppliedLimits: "cgroup v1 memory.limit_in_bytes=…".
  const std::string& memory_how() const { return memory_how_; }
  const std::string& pids_how() const { return pids_how_; }
  const std::string& cpu_how() const { return cpu_how_; }
  // "v2", "v1 (memory, pids, cpu)", "v1 (cpu) + v2", "none (...)".
  std::string summary() const;

 private:
  UniqueFd v2_dir_fd_;
  std::string v2_dir_;               // empty when no v2 group
  std::vector<std::string> v1_dirs_; // created v1 directories
  std::vector<UniqueFd> placement_fds_;  // v1 `tasks` files, see placement_fds()
  std::string oom_file_;             // v2 memory.events or v1 memory.oom_control
  std::string name_;                 // sbx-t<time>-<random>, the same in every hierarchy
  std::string cpu_usage_file_;       // v2 cpu.stat or v1 cpuacct.usage, or empty
  std::string cpu_usage_how_;
  std::vector<std::string> v1_used_; // the v1 controllers, for summary()
  std::string memory_how_, pids_how_, cpu_how_;
};

}  // namespace stockade::sandbox
