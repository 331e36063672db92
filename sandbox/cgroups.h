// Per-sandbox cgroups: detected at run time, v2 first, v1 fallback.
//
// Each sandbox gets its own cgroup, `stockade/sbx-<pid>-<n>` under the
// supervisor's own cgroup in every hierarchy used. On a pure v2 host with
// delegated controllers: memory.max, pids.max and cpu.max there, and the child
// is born inside it (CLONE_INTO_CGROUP). On a hybrid host (v1 controllers, v2
// without them, as on the CI machines): the v2 group is still used for
// CLONE_INTO_CGROUP and cgroup.kill, and the limits go to the v1 memory, pids
// and cpu controllers, which the child joins itself before it runs anything
// (placement_fds()). With no writable cgroup (an unprivileged supervisor)
// nothing is created and the rlimits are the only limits; applied() says so.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "sandbox/policy.h"

namespace stockade::sandbox {

class SandboxCgroup {
 public:
  // Creates the cgroups and writes the limits. Never fails for lack of a
  // usable cgroup (that is reported by the *_limited() accessors); fails only
  // when a cgroup was created but a limit could not be written.
  static Result<SandboxCgroup> create(const ResourceLimits& limits);

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
  // the child's unmapped ones.
  const std::vector<UniqueFd>& placement_fds() const { return placement_fds_; }
  // Once the child has joined (it has exec'd): they are not needed again.
  void close_placement_fds() { placement_fds_.clear(); }
  // SIGKILL to every process in the cgroup (v2 cgroup.kill), when available.
  void kill_all() const;
  // How many processes the memory controller's OOM killer has killed here.
  uint64_t oom_kills() const;
  // Removes the directories now (idempotent; the destructor calls it).
  void remove();

  bool memory_limited() const { return !memory_how_.empty(); }
  bool pids_limited() const { return !pids_how_.empty(); }
  bool cpu_limited() const { return !cpu_how_.empty(); }
  // What was applied, for AppliedLimits: "cgroup v1 memory.limit_in_bytes=…".
  const std::string& memory_how() const { return memory_how_; }
  const std::string& pids_how() const { return pids_how_; }
  const std::string& cpu_how() const { return cpu_how_; }
  // "v2", "v1 (memory, pids, cpu) + v2 group", "none (...)".
  const std::string& summary() const { return summary_; }

 private:
  UniqueFd v2_dir_fd_;
  std::string v2_dir_;               // empty when no v2 group
  std::vector<std::string> v1_dirs_; // created v1 directories
  std::vector<UniqueFd> placement_fds_;  // v1 `tasks` files, see placement_fds()
  std::string oom_file_;             // v2 memory.events or v1 memory.oom_control
  std::string memory_how_, pids_how_, cpu_how_, summary_;
};

}  // namespace stockade::sandbox
